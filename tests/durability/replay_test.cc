// replay_run and diff_runs, on every engine x mode, with exact expected output. In durable modes
// a view is the run as of its end (rebuilt from snapshot + WAL); in InMemory it is the run's
// current committed state, so a write made after the run ended shows up there only.
#include "engines/replay/replay.h"

#include <boost/json/serialize.hpp>

#include "tests/durability/workload.h"

namespace statelab::testing_util {
namespace {

template <class C>
class ReplayTest : public EngineTest<C> {
 protected:
  using H = typename EngineTest<C>::Handle;
  // Two runs with overlapping data; both ended; "late" written to `a` after its end.
  void Populate() {
    auto& db = *this->db_;
    auto runs = db.runs();
    Result<RunId> a = runs.CreateRun("base");
    Result<RunId> b = runs.CreateRun("candidate");
    ASSERT_OK(a);
    ASSERT_OK(b);
    a_ = *a;
    b_ = *b;
    ASSERT_OK(db.Transaction(a_, [](H& h) -> Status {
      STATELAB_RETURN_IF_ERROR(h.kv().Put("a", int64_t{1}));
      STATELAB_RETURN_IF_ERROR(h.kv().Put("b", "x"));
      STATELAB_RETURN_IF_ERROR(h.kv().Put("c", true));
      STATELAB_RETURN_IF_ERROR(h.state().Set("phase", "train"));
      STATELAB_RETURN_IF_ERROR(
          h.json().Create("cfg", boost::json::parse(R"({"lr":3,"layers":[1,2]})")));
      STATELAB_RETURN_IF_ERROR(h.events().Append("start", {{"step", 0}}).status());
      return h.events().Append("metric", {{"loss", 15}}).status();
    }));
    ASSERT_OK(db.Snapshot());  // durable modes: history = this snapshot + the log after it
    ASSERT_OK(db.Transaction(b_, [](H& h) -> Status {
      STATELAB_RETURN_IF_ERROR(h.kv().Put("a", int64_t{2}));
      STATELAB_RETURN_IF_ERROR(h.kv().Put("b", "x"));
      STATELAB_RETURN_IF_ERROR(h.kv().Put("d", int64_t{5}));
      STATELAB_RETURN_IF_ERROR(h.state().Set("phase", "eval"));
      STATELAB_RETURN_IF_ERROR(
          h.json().Create("cfg", boost::json::parse(R"({"lr":3,"layers":[1,2,3]})")));
      STATELAB_RETURN_IF_ERROR(h.json().Create("extra", boost::json::object{}));
      STATELAB_RETURN_IF_ERROR(h.events().Append("start", {{"step", 0}}).status());
      STATELAB_RETURN_IF_ERROR(h.events().Append("metric", {{"loss", 12}}).status());
      return h.events().Append("end", boost::json::object{}).status();
    }));
    // A deleted key is absent from the view.
    ASSERT_OK(db.kv().Put(a_, "tmp", int64_t{9}));
    ASSERT_OK(db.kv().Delete(a_, "tmp"));
    Result<Version> end = runs.UpdateStatus("base", RunStatus::kCompleted);
    ASSERT_OK(end);
    a_end_ = *end;
    ASSERT_OK(runs.UpdateStatus("candidate", RunStatus::kCompleted));
    ASSERT_OK(db.kv().Put(a_, "late", int64_t{7}));  // after the run ended
  }
  bool durable() const { return this->mode() != DurabilityMode::kInMemory; }

  RunId a_, b_;
  Version a_end_ = 0;
};
ENGINE_TEST_SUITE(ReplayTest, ModeSet::kAll);

ENGINE_TEST(ReplayTest, ViewIsTheRunAsOfItsEndAndReadOnly) {
  this->Populate();
  auto& db = *this->db_;
  Result<std::unique_ptr<RunView>> view = ReplayRun(db, this->a_);
  ASSERT_OK(view);
  RunView& v = **view;
  EXPECT_EQ(v.run(), this->a_);
  EXPECT_EQ(v.from_history(), this->durable());
  if (this->durable()) {
    EXPECT_EQ(v.as_of(), this->a_end_);
  }
  auto& vdb = v.db();
  std::vector<KvEntry> kv;
  ASSERT_OK(vdb.kv().ListWithValues(this->a_, "", &kv));
  std::string keys;
  for (const KvEntry& e : kv)
    keys += e.key + "=" + boost::json::serialize(ValueToJson(e.value)) + ";";
  EXPECT_EQ(keys, this->durable() ? R"(a=1;b="x";c=true;)" : R"(a=1;b="x";c=true;late=7;)");
  EXPECT_EQ(std::get<std::string>(vdb.state().Read(this->a_, "phase")->value), "train");
  EXPECT_EQ(boost::json::serialize(vdb.json().Get(this->a_, "cfg", "$.layers")->value), "[1,2]");
  Result<std::vector<Event>> events = vdb.events().ReadRange(this->a_, 0, 10);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].type, "metric");
  Result<ChainReport> chain = vdb.events().VerifyChain(this->a_);
  ASSERT_OK(chain);
  EXPECT_TRUE(chain->valid());
  // Only that run is in the view, and it refuses writes.
  Value out;
  EXPECT_TRUE(vdb.kv().Get(this->b_, "a", &out).IsNotFound());
  EXPECT_EQ(vdb.kv().Put(this->a_, "x", int64_t{1}).status().code(), Code::kInvalidArgument);
  // The store itself did not change.
  EXPECT_EQ(std::get<int64_t>(db.kv().Get(this->a_, "late")->value), 7);
}

ENGINE_TEST(ReplayTest, DiffRunsExactOutput) {
  this->Populate();
  auto& db = *this->db_;
  Result<RunDiff> d = DiffRuns(db, this->a_, this->b_);
  ASSERT_OK(d);
  const std::string late =
      this->durable() ? "" : R"(,{"key":"late","change":"removed","before":7})";
  const std::string want =
      R"({"kv":[{"key":"a","change":"modified","before":1,"after":2},)"
      R"({"key":"c","change":"removed","before":true},{"key":"d","change":"added","after":5})" +
      late +
      R"(],"json":[{"key":"cfg","change":"modified","before":{"lr":3,"layers":[1,2]},)"
      R"("after":{"lr":3,"layers":[1,2,3]}},{"key":"extra","change":"added","after":{}}],)"
      R"("state":[{"key":"phase","change":"modified","before":"train","after":"eval"}],)"
      R"("events":[{"sequence":1,"change":"modified","before":{"type":"metric",)"
      R"("payload":{"loss":15}},"after":{"type":"metric","payload":{"loss":12}}},)"
      R"({"sequence":2,"change":"added","after":{"type":"end","payload":{}}}]})";
  EXPECT_EQ(boost::json::serialize(d->ToJson()), want);
  // Reversed: added and removed swap.
  Result<RunDiff> r = DiffRuns(db, this->b_, this->a_);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[1].change, DiffEntry::Change::kRemoved);
  EXPECT_EQ(r->kv[1].change, DiffEntry::Change::kAdded);
  // A run against itself: nothing.
  Result<RunDiff> same = DiffRuns(db, this->a_, this->a_);
  ASSERT_OK(same);
  EXPECT_TRUE(same->empty());
}

ENGINE_TEST(ReplayTest, ReplayIsDeterministicAcrossReopen) {
  if (!this->durable()) GTEST_SKIP() << "InMemory has no history to reopen";
  this->Populate();
  Result<RunDiff> before = DiffRuns(*this->db_, this->a_, this->b_);
  ASSERT_OK(before);
  this->Reopen();
  Result<RunDiff> after = DiffRuns(*this->db_, this->a_, this->b_);
  ASSERT_OK(after);
  EXPECT_EQ(boost::json::serialize(after->ToJson()), boost::json::serialize(before->ToJson()));
  Result<std::unique_ptr<RunView>> view = ReplayRun(*this->db_, this->a_);
  ASSERT_OK(view);
  EXPECT_EQ((*view)->as_of(), this->a_end_);
}

}  // namespace
}  // namespace statelab::testing_util
