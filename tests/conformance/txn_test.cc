// Transactions: snapshot isolation with read-set validation, atomicity, versions, GC.
#include <atomic>
#include <thread>
#include <vector>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

template <class C>
class TxnConformance : public EngineTest<C> {
 protected:
  int64_t ReadInt(std::string_view key) {
    Value v;
    Status s = this->db_->kv().Get(this->run_, key, &v);
    if (!s.ok()) return -1;
    return std::get<int64_t>(v);
  }
  TxnOptions NoRetry() {
    TxnOptions o;
    o.retry.max_retries = 0;
    return o;
  }
};
ENGINE_TEST_SUITE(TxnConformance, ModeSet::kAll);

// Runs `inner` on another thread while `outer`'s transaction is open (optimistic engines only:
// a serial engine would run them one after the other by design).
template <class F>
void OnOtherThread(F&& f) {
  std::thread t(std::forward<F>(f));
  t.join();
}

ENGINE_TEST(TxnConformance, LostUpdatePrevented) {
  auto& db = *this->db_;
  ASSERT_OK(db.kv().Put(this->run_, "x", int64_t{0}));
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::Handle;
  auto increment = [&](H& h) -> Status {
    Value v;
    STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &v));
    return h.kv().Put("x", std::get<int64_t>(v) + 1);
  };
  Result<Version> outer = db.Transaction(
      this->run_,
      [&](H& h) -> Status {
        Value v;
        STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &v));
        OnOtherThread([&] { ASSERT_OK(db.Transaction(this->run_, increment)); });
        return h.kv().Put("x", std::get<int64_t>(v) + 1);
      },
      this->NoRetry());
  EXPECT_EQ(outer.status().code(), Code::kConflict);
  EXPECT_EQ(this->ReadInt("x"), 1);
}

// A transaction that conflicts on every attempt gives up after max_retries + 1 attempts with a
// Conflict that says how many attempts and how long; EngineStats counts the retries and the
// give-up, and a transaction that commits at once counts neither.
ENGINE_TEST(TxnConformance, GiveUpReportsAttemptsAndTimeAndIsCounted) {
  auto& db = *this->db_;
  ASSERT_OK(db.kv().Put(this->run_, "x", int64_t{0}));
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::Handle;
  const EngineStats before = db.Stats();
  TxnOptions o;
  o.retry.max_retries = 2;
  int attempts = 0;
  Result<Version> r = db.Transaction(
      this->run_,
      [&](H& h) -> Status {
        ++attempts;
        Value v;
        STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &v));
        OnOtherThread([&] { ASSERT_OK(db.kv().Put(this->run_, "x", int64_t{-1})); });
        return h.kv().Put("x", std::get<int64_t>(v) + 1);
      },
      o);
  EXPECT_EQ(attempts, 3);
  ASSERT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(r.status().a(), 3u);  // attempts
  EXPECT_GT(r.status().b(), 0u);  // microseconds: three other threads committed meanwhile
  EXPECT_NE(r.status().ToString().find("gave up after 3 attempts in "), std::string::npos)
      << r.status().ToString();
  const EngineStats after = db.Stats();
  EXPECT_EQ(after.conflicts - before.conflicts, 3u);
  EXPECT_EQ(after.txn_retries - before.txn_retries, 2u);
  EXPECT_EQ(after.txn_gave_up - before.txn_gave_up, 1u);
  ASSERT_OK(db.kv().Put(this->run_, "y", int64_t{1}));
  EXPECT_EQ(db.Stats().txn_retries, after.txn_retries);
  EXPECT_EQ(db.Stats().txn_gave_up, after.txn_gave_up);
}

ENGINE_TEST(TxnConformance, ConcurrentIncrementsAllCount) {
  auto& db = *this->db_;
  ASSERT_OK(db.kv().Put(this->run_, "n", int64_t{0}));
  using H = typename TestFixture::Handle;
  TxnOptions o;
  o.retry.max_retries = 100000;
  std::vector<std::thread> ts;
  ts.reserve(4);
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < 500; ++j) {
        ASSERT_OK(db.Transaction(
            this->run_,
            [&](H& h) -> Status {
              Value v;
              STATELAB_RETURN_IF_ERROR(h.kv().Get("n", &v));
              return h.kv().Put("n", std::get<int64_t>(v) + 1);
            },
            o));
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(this->ReadInt("n"), 2000);
}

ENGINE_TEST(TxnConformance, WriteSkewOverReadKeysPrevented) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  ASSERT_OK(db.kv().Put(this->run_, "a", int64_t{1}));
  ASSERT_OK(db.kv().Put(this->run_, "b", int64_t{1}));
  using H = typename TestFixture::Handle;
  // Invariant a + b >= 1: each transaction reads both and zeroes one.
  auto zero = [&](std::string_view target) {
    return [&, target](H& h) -> Status {
      Value a, b;
      STATELAB_RETURN_IF_ERROR(h.kv().Get("a", &a));
      STATELAB_RETURN_IF_ERROR(h.kv().Get("b", &b));
      if (std::get<int64_t>(a) + std::get<int64_t>(b) < 2) return Status::InvalidArgument("guard");
      return h.kv().Put(target, int64_t{0});
    };
  };
  Result<Version> outer = db.Transaction(
      this->run_,
      [&](H& h) -> Status {
        Value a, b;
        STATELAB_RETURN_IF_ERROR(h.kv().Get("a", &a));
        STATELAB_RETURN_IF_ERROR(h.kv().Get("b", &b));
        OnOtherThread([&] { ASSERT_OK(db.Transaction(this->run_, zero("b"))); });
        return h.kv().Put("a", int64_t{0});
      },
      this->NoRetry());
  EXPECT_EQ(outer.status().code(), Code::kConflict);
  EXPECT_EQ(this->ReadInt("a") + this->ReadInt("b"), 1);
}

// Documented: SI + read-set validation does not lock predicates. Both see an empty prefix and
// both insert under it; both commit (write skew through a phantom is allowed).
ENGINE_TEST(TxnConformance, PhantomInsertIsAllowed) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::Handle;
  auto insert_if_empty = [&](std::string key) {
    return [&, key](H& h) -> Status {
      std::vector<std::string> keys;
      STATELAB_RETURN_IF_ERROR(h.kv().List("slot/", &keys));
      if (!keys.empty()) return Status::AlreadyExists("slot");
      return h.kv().Put(key, true);
    };
  };
  Result<Version> outer = db.Transaction(
      this->run_,
      [&](H& h) -> Status {
        std::vector<std::string> keys;
        STATELAB_RETURN_IF_ERROR(h.kv().List("slot/", &keys));
        EXPECT_TRUE(keys.empty());
        OnOtherThread([&] { ASSERT_OK(db.Transaction(this->run_, insert_if_empty("slot/b"))); });
        return h.kv().Put("slot/a", true);
      },
      this->NoRetry());
  EXPECT_OK(outer);
  std::vector<std::string> keys;
  ASSERT_OK(db.kv().List(this->run_, "slot/", &keys));
  EXPECT_EQ(keys, (std::vector<std::string>{"slot/a", "slot/b"}));
}

ENGINE_TEST(TxnConformance, ReadYourWrites) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  ASSERT_OK(db.kv().Put(this->run_, "k2", "old"));
  ASSERT_OK(db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put("k1", "v1"));
    Value v;
    STATELAB_RETURN_IF_ERROR(h.kv().Get("k1", &v));
    EXPECT_EQ(std::get<std::string>(v), "v1");
    STATELAB_ASSIGN_OR_RETURN(bool existed, h.kv().Delete("k2"));
    EXPECT_TRUE(existed);
    EXPECT_TRUE(h.kv().Get("k2", &v).IsNotFound());
    std::vector<std::string> keys;
    STATELAB_RETURN_IF_ERROR(h.kv().List("k", &keys));
    EXPECT_EQ(keys, std::vector<std::string>{"k1"});
    return Status::OK();
  }));
}

ENGINE_TEST(TxnConformance, RepeatableReadWhileAnotherCommits) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::Handle;
  ASSERT_OK(db.kv().Put(this->run_, "r", int64_t{1}));
  ASSERT_OK(db.Read(this->run_, [&](H& h) -> Status {
    Value v1, v2;
    STATELAB_RETURN_IF_ERROR(h.kv().Get("r", &v1));
    OnOtherThread([&] { ASSERT_OK(db.kv().Put(this->run_, "r", int64_t{2})); });
    STATELAB_RETURN_IF_ERROR(h.kv().Get("r", &v2));
    EXPECT_EQ(v1, v2);
    std::vector<KvEntry> all;
    STATELAB_RETURN_IF_ERROR(h.kv().ListWithValues("", &all));
    EXPECT_EQ(all.size(), 1u);
    EXPECT_EQ(std::get<int64_t>(all[0].value), 1);
    return Status::OK();
  }));
  EXPECT_EQ(this->ReadInt("r"), 2);
}

ENGINE_TEST(TxnConformance, ReadOnlyTransactionNeverAborts) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  ASSERT_OK(db.kv().Put(this->run_, "q", int64_t{1}));
  const bool interleave = !db.engine().serial_runs();
  Result<Version> r = db.Transaction(
      this->run_,
      [&](H& h) -> Status {
        Value v;
        STATELAB_RETURN_IF_ERROR(h.kv().Get("q", &v));
        if (interleave) OnOtherThread([&] { ASSERT_OK(db.kv().Put(this->run_, "q", int64_t{2})); });
        return h.kv().Get("q", &v);
      },
      this->NoRetry());
  EXPECT_OK(r);
}

ENGINE_TEST(TxnConformance, FailedFunctionDiscardsWrites) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  Result<Version> r = db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put("gone", int64_t{1}));
    return Status::InvalidArgument("abort on purpose");
  });
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  Value v;
  EXPECT_TRUE(db.kv().Get(this->run_, "gone", &v).IsNotFound());
}

ENGINE_TEST(TxnConformance, VersionsIncreaseAndWritesShareTheCommitVersion) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  Result<Version> v1 = db.kv().Put(this->run_, "a", int64_t{1});
  ASSERT_OK(v1);
  Result<Version> v2 = db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put("b", int64_t{2}));
    return h.kv().Put("c", int64_t{3});
  });
  ASSERT_OK(v2);
  EXPECT_GT(*v2, *v1);
  Result<Versioned> b = db.kv().Get(this->run_, "b");
  Result<Versioned> c = db.kv().Get(this->run_, "c");
  ASSERT_OK(b);
  ASSERT_OK(c);
  EXPECT_EQ(b->version, *v2);
  EXPECT_EQ(c->version, *v2);
}

ENGINE_TEST(TxnConformance, RunsAreIsolated) {
  auto& db = *this->db_;
  RunId other = RunId::Random();
  ASSERT_OK(db.kv().Put(this->run_, "k", "mine"));
  Value v;
  EXPECT_TRUE(db.kv().Get(other, "k", &v).IsNotFound());
  std::vector<std::string> keys;
  ASSERT_OK(db.kv().List(other, "", &keys));
  EXPECT_TRUE(keys.empty());
}

ENGINE_TEST(TxnConformance, StrictOverrideInInMemoryIsInvalid) {
  auto& db = *this->db_;
  if (db.mode() != DurabilityMode::kInMemory) GTEST_SKIP();
  TxnOptions o;
  o.durability = DurabilityOverride::kStrict;
  Result<Version> r = db.kv().Put(this->run_, "k", int64_t{1}, o);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("durability"), std::string_view::npos);
}

ENGINE_TEST(TxnConformance, OverwritesKeepBoundedVersions) {
  this->opts_.search_index = false;  // counts data keys only (search index keys: search_test.cc)
  this->Reopen();
  auto& db = *this->db_;
  // Each of the 100 keys is overwritten 1,000 times (without pruning: 100,000 versions). Strict
  // logs every put with one fdatasync, so it runs fewer; the bound is the same.
  const int n = this->mode() == DurabilityMode::kStrict ? 2'000 : 100'000;
  for (int i = 0; i < n; ++i) {
    ASSERT_OK(db.kv().Put(this->run_, "key" + std::to_string(i % 100), int64_t{i}));
  }
  EngineStats s = db.Stats();
  EXPECT_EQ(s.keys, 100u);
  EXPECT_LE(s.versions, 100u * 2);  // newest + at most one older per key
}

// A fast-path multi-key read never sees half a transaction: writers move value between keys
// keeping the sum constant.
ENGINE_TEST(TxnConformance, FastMultiKeyReadIsConsistent) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  constexpr int kKeys = 8;
  std::vector<std::string> names;
  for (int i = 0; i < kKeys; ++i) {
    names.push_back("acct" + std::to_string(i));
    ASSERT_OK(db.kv().Put(this->run_, names.back(), int64_t{100}));
  }
  std::vector<std::string_view> views(names.begin(), names.end());
  std::atomic<bool> stop{false};
  TxnOptions o;
  o.retry.max_retries = 100000;
  std::vector<std::thread> writers;
  writers.reserve(2);
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        const std::string& from = names[(i + w) % kKeys];
        const std::string& to = names[(i * 3 + 1 + w) % kKeys];
        if (from == to) continue;
        ASSERT_OK(db.Transaction(
            this->run_,
            [&](H& h) -> Status {
              Value a, b;
              STATELAB_RETURN_IF_ERROR(h.kv().Get(from, &a));
              STATELAB_RETURN_IF_ERROR(h.kv().Get(to, &b));
              STATELAB_RETURN_IF_ERROR(h.kv().Put(from, std::get<int64_t>(a) - 1));
              return h.kv().Put(to, std::get<int64_t>(b) + 1);
            },
            o));
      }
    });
  }
  std::vector<std::optional<Versioned>> out;
  int reads = 0;
  for (; reads < 3000; ++reads) {
    ASSERT_OK(db.kv().GetMany(this->run_, views, &out));
    int64_t sum = 0;
    for (auto& v : out) sum += std::get<int64_t>(v->value);
    ASSERT_EQ(sum, 100 * kKeys);
  }
  stop = true;
  for (auto& t : writers) t.join();
}

// A facade call on the transaction's own run from inside its function (fast-path read, one-op
// write, a nested transaction or read) would take its own snapshot and bypass the read set: it
// is refused with InvalidArgument on every engine, and the transaction itself goes on. Another
// run's facade works there, and the same run's facade works again once the function returned.
ENGINE_TEST(TxnConformance, FacadeCallOnOwnRunInsideTransactionIsRefused) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  const RunId other = RunId::Random();
  ASSERT_OK(db.kv().Put(this->run_, "x", int64_t{0}));
  auto refused = [&](const Status& s) {
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("transaction handle"), std::string_view::npos) << s.ToString();
    EXPECT_NE(s.message().find(this->run_.ToString()), std::string_view::npos) << s.ToString();
  };
  Result<Version> v = db.Transaction(this->run_, [&](H& h) -> Status {
    Value x;
    refused(db.kv().Get(this->run_, "x", &x));
    refused(db.kv().Put(this->run_, "x", int64_t{7}).status());
    refused(db.events().Len(this->run_).status());
    refused(db.state().Set(this->run_, "cell", int64_t{1}).status());
    refused(db.Transaction(this->run_, [](H&) { return Status::OK(); }).status());
    refused(db.Read(this->run_, [](H&) { return Status::OK(); }));
    EXPECT_OK(db.kv().Put(other, "y", int64_t{1}));  // another run: allowed
    STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &x));
    return h.kv().Put("x", std::get<int64_t>(x) + 1);
  });
  ASSERT_OK(v);
  EXPECT_EQ(this->ReadInt("x"), 1);  // the refused Put wrote nothing
  EXPECT_EQ(db.state().Read(this->run_, "cell").status().code(), Code::kNotFound);
  ASSERT_OK(db.Read(this->run_, [&](H&) -> Status {
    Value x;
    refused(db.kv().Get(this->run_, "x", &x));
    return Status::OK();
  }));
  Value y;
  ASSERT_OK(db.kv().Get(other, "y", &y));
  ASSERT_OK(db.kv().Put(this->run_, "x", int64_t{2}));  // outside any transaction again
  EXPECT_EQ(this->ReadInt("x"), 2);
}

}  // namespace
}  // namespace statelab::testing_util
