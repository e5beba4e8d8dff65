// StateCell: every operation and every documented error, and concurrent transitions.
#include <thread>
#include <vector>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

template <class C>
class StateConformance : public EngineTest<C> {};
ENGINE_TEST_SUITE(StateConformance, ModeSet::kAll);

Result<Value> Increment(const Value& v) { return Value(std::get<int64_t>(v) + 1); }

ENGINE_TEST(StateConformance, InitReadExists) {
  auto state = this->db_->state();
  const RunId& run = this->run_;
  EXPECT_TRUE(state.Read(run, "c").status().IsNotFound());
  EXPECT_FALSE(*state.Exists(run, "c"));
  Result<Version> v = state.Init(run, "c", int64_t{7});
  ASSERT_OK(v);
  Result<Versioned> r = state.Read(run, "c");
  ASSERT_OK(r);
  EXPECT_EQ(std::get<int64_t>(r->value), 7);
  EXPECT_EQ(r->version, *v);
  EXPECT_TRUE(*state.Exists(run, "c"));
  Result<Version> again = state.Init(run, "c", int64_t{8});
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(std::get<int64_t>(state.Read(run, "c")->value), 7);
}

ENGINE_TEST(StateConformance, SetCreatesAndOverwrites) {
  auto state = this->db_->state();
  Result<Version> v1 = state.Set(this->run_, "s", "one");
  ASSERT_OK(v1);
  Result<Version> v2 = state.Set(this->run_, "s", Value(boost::json::value{{"two", 2}}));
  ASSERT_OK(v2);
  EXPECT_GT(*v2, *v1);
  Result<Versioned> r = state.Read(this->run_, "s");
  EXPECT_EQ(r->value, Value(boost::json::value{{"two", 2}}));
  EXPECT_EQ(r->version, *v2);
}

ENGINE_TEST(StateConformance, CasReportsExpectedAndActual) {
  auto state = this->db_->state();
  const RunId& run = this->run_;
  Result<Version> v1 = state.Cas(run, "c", 0, int64_t{1});  // 0: the cell must not exist
  ASSERT_OK(v1);
  Result<Version> stale = state.Cas(run, "c", 0, int64_t{2});
  ASSERT_EQ(stale.status().code(), Code::kVersionMismatch);
  EXPECT_EQ(stale.status().a(), 0u);
  EXPECT_EQ(stale.status().b(), *v1);
  Result<Version> wrong = state.Cas(run, "c", *v1 + 100, int64_t{2});
  ASSERT_EQ(wrong.status().code(), Code::kVersionMismatch);
  EXPECT_EQ(wrong.status().a(), *v1 + 100);
  EXPECT_EQ(wrong.status().b(), *v1);
  Result<Version> v2 = state.Cas(run, "c", *v1, int64_t{2});
  ASSERT_OK(v2);
  EXPECT_EQ(state.Read(run, "c")->version, *v2);
  // A deleted cell keeps its tombstone's version.
  ASSERT_TRUE(*state.Delete(run, "c"));
  Result<Version> gone = state.Cas(run, "c", 0, int64_t{3});
  ASSERT_EQ(gone.status().code(), Code::kVersionMismatch);
  EXPECT_GT(gone.status().b(), *v2);
  ASSERT_OK(state.Cas(run, "c", gone.status().b(), int64_t{3}));
  EXPECT_EQ(std::get<int64_t>(state.Read(run, "c")->value), 3);
}

ENGINE_TEST(StateConformance, DeleteAndReinit) {
  auto state = this->db_->state();
  EXPECT_FALSE(*state.Delete(this->run_, "d"));
  ASSERT_OK(state.Init(this->run_, "d", true));
  EXPECT_TRUE(*state.Delete(this->run_, "d"));
  EXPECT_FALSE(*state.Exists(this->run_, "d"));
  EXPECT_TRUE(state.Read(this->run_, "d").status().IsNotFound());
  EXPECT_FALSE(*state.Delete(this->run_, "d"));
  ASSERT_OK(state.Init(this->run_, "d", false));  // a deleted cell may be initialised again
  EXPECT_EQ(std::get<bool>(state.Read(this->run_, "d")->value), false);
}

ENGINE_TEST(StateConformance, ListInNameOrder) {
  auto state = this->db_->state();
  EXPECT_TRUE(state.List(this->run_)->empty());
  for (const char* n : {"b", "a/2", "a/10", "c"}) ASSERT_OK(state.Set(this->run_, n, n));
  ASSERT_TRUE(*state.Delete(this->run_, "c"));
  ASSERT_OK(state.Set(RunId::Random(), "other-run", 1));
  EXPECT_EQ(*state.List(this->run_), (std::vector<std::string>{"a/10", "a/2", "b"}));
}

ENGINE_TEST(StateConformance, Transition) {
  auto state = this->db_->state();
  EXPECT_TRUE(state.Transition(this->run_, "n", Increment).status().IsNotFound());
  ASSERT_OK(state.Init(this->run_, "n", int64_t{41}));
  Result<Versioned> r = state.Transition(this->run_, "n", Increment);
  ASSERT_OK(r);
  EXPECT_EQ(std::get<int64_t>(r->value), 42);
  Result<Versioned> read = state.Read(this->run_, "n");
  EXPECT_EQ(read->value, r->value);
  EXPECT_EQ(read->version, r->version);
  // An error from fn aborts the transaction and is returned as is.
  auto refuse = [](const Value&) -> Result<Value> { return Status::InvalidArgument("refused"); };
  Result<Versioned> refused = state.Transition(this->run_, "n", refuse);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "refused");
  EXPECT_EQ(state.Read(this->run_, "n")->version, r->version);
}

ENGINE_TEST(StateConformance, TransitionOrInit) {
  auto state = this->db_->state();
  // Absent: fn applies to init.
  Result<Versioned> first = state.TransitionOrInit(this->run_, "n", int64_t{10}, Increment);
  ASSERT_OK(first);
  EXPECT_EQ(std::get<int64_t>(first->value), 11);
  EXPECT_GT(first->version, 0u);
  // Present: fn applies to the current value.
  Result<Versioned> second = state.TransitionOrInit(this->run_, "n", int64_t{10}, Increment);
  ASSERT_OK(second);
  EXPECT_EQ(std::get<int64_t>(second->value), 12);
  EXPECT_EQ(state.Read(this->run_, "n")->version, second->version);
}

ENGINE_TEST(StateConformance, NameAndValueLimits) {
  auto state = this->db_->state();
  auto expect_invalid = [](const Status& s, std::string_view field, std::string_view detail) {
    ASSERT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_NE(s.message().find(field), std::string_view::npos) << s.ToString();
    EXPECT_NE(s.message().find(detail), std::string_view::npos) << s.ToString();
  };
  expect_invalid(state.Init(this->run_, "", 1).status(), "name", "empty");
  expect_invalid(state.Set(this->run_, "", 1).status(), "name", "empty");
  expect_invalid(state.Read(this->run_, "").status(), "name", "empty");
  const std::string too_long(kMaxUserKeyBytes + 1, 'n');
  expect_invalid(state.Set(this->run_, too_long, 1).status(), "name", "1024");
  expect_invalid(state.Cas(this->run_, too_long, 0, 1).status(), "name", "1024");
  expect_invalid(state.Exists(this->run_, too_long).status(), "name", "1024");
  expect_invalid(state.Transition(this->run_, too_long, Increment).status(), "name", "1024");
  expect_invalid(state.Set(this->run_, "big", std::string(kMaxValueBytes + 1, 'v')).status(),
                 "value", std::to_string(kMaxValueBytes));
  EXPECT_TRUE(state.List(this->run_)->empty());
  ASSERT_OK(state.Set(this->run_, std::string(kMaxUserKeyBytes, 'n'), 1));
}

ENGINE_TEST(StateConformance, OpsInsideATransactionAreAtomic) {
  using H = typename TestFixture::Handle;
  ASSERT_OK(this->db_->state().Init(this->run_, "a", int64_t{1}));
  Result<Version> aborted = this->db_->Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.state().Set("a", int64_t{2}));
    STATELAB_RETURN_IF_ERROR(h.state().Init("b", int64_t{1}));
    Result<Versioned> own = h.state().Read("a");
    EXPECT_EQ(std::get<int64_t>(own->value), 2);  // read-your-writes
    EXPECT_EQ(own->version, 0u);
    EXPECT_EQ(*h.state().List(), (std::vector<std::string>{"a", "b"}));
    return Status::InvalidArgument("caller aborts");
  });
  EXPECT_EQ(aborted.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(std::get<int64_t>(this->db_->state().Read(this->run_, "a")->value), 1);
  EXPECT_FALSE(*this->db_->state().Exists(this->run_, "b"));
}

// Transition honours max_retries as every write does: a function that another thread's write
// interrupts each time runs max_retries + 1 times, then the transition gives up with Conflict.
ENGINE_TEST(StateConformance, TransitionHonoursMaxRetries) {
  auto& db = *this->db_;
  ASSERT_OK(db.state().Init(this->run_, "n", int64_t{0}));
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  constexpr uint32_t kRetries = 3;
  constexpr int kInterrupted = 10;  // more than kRetries + 1: a driver that ignores it commits
  int calls = 0;
  auto interrupted = [&](const Value& v) -> Result<Value> {
    if (++calls <= kInterrupted) {
      std::thread([&] { ASSERT_OK(db.state().Set(this->run_, "n", int64_t{100})); }).join();
    }
    return Increment(v);
  };
  const EngineStats before = db.Stats();
  TxnOptions o;
  o.retry.max_retries = kRetries;
  Result<Versioned> r = db.state().Transition(this->run_, "n", interrupted, o);
  EXPECT_EQ(calls, static_cast<int>(kRetries) + 1);
  ASSERT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(r.status().a(), kRetries + 1);  // attempts
  const EngineStats after = db.Stats();
  EXPECT_EQ(after.txn_retries - before.txn_retries, kRetries);
  EXPECT_EQ(after.txn_gave_up - before.txn_gave_up, 1u);
}

ENGINE_TEST(StateConformance, ConcurrentTransitionsAllCount) {
  constexpr int kThreads = 4;
  // Strict: every commit waits for an fdatasync (shared by group commit, but these transitions
  // conflict and mostly commit one at a time), so fewer rounds keep the suite fast.
  const int kPerThread = this->mode() == DurabilityMode::kStrict ? 1000 : 10000;
  ASSERT_OK(this->db_->state().Init(this->run_, "n", int64_t{0}));
  TxnOptions o;
  o.retry.max_retries = 1000000;  // every transition conflicts with three others: let them retry
  o.retry.max_backoff = std::chrono::microseconds(100);
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_OK(this->db_->state().Transition(this->run_, "n", Increment, o));
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(std::get<int64_t>(this->db_->state().Read(this->run_, "n")->value),
            kThreads * kPerThread);
}

}  // namespace
}  // namespace statelab::testing_util
