// RunIndex: every operation, every documented error, the whole transition table, and delete_run
// (all primitives, metadata, and an interrupted delete finished at open).
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "engines/durability/durable_state.h"
#include "tests/conformance/fixture.h"
#include "tests/conformance/primitive_samples.h"

namespace statelab::internal {
// Stops a delete_run between its steps, as a crash would.
struct RunIndexTestPeer {
  template <class E>
  static Status MarkDeleting(RunIndex<E>& r, std::string_view name, RunId* id) {
    return r.MarkDeleting(name, {}, id);
  }
  template <class E>
  static Status WipeRunData(RunIndex<E>& r, const RunId& id) {
    return r.WipeRunData(id, {});
  }
};
}  // namespace statelab::internal

namespace statelab::testing_util {
namespace {

using internal::RunIndexTestPeer;

template <class C>
class RunIndexConformance : public EngineTest<C> {
 protected:
  std::vector<std::string> Names(const std::vector<RunInfo>& runs) {
    std::vector<std::string> out;
    out.reserve(runs.size());
    for (const RunInfo& r : runs) out.push_back(r.name);
    return out;
  }
  std::vector<std::string> ListNames() {
    std::vector<RunInfo> runs;
    EXPECT_OK(this->db_->runs().ListRuns(&runs));
    return Names(runs);
  }
  std::vector<std::string> ByStatus(RunStatus s) {
    std::vector<RunInfo> runs;
    EXPECT_OK(this->db_->runs().QueryByStatus(s, &runs));
    return Names(runs);
  }
  std::vector<std::string> ByTag(std::string_view tag) {
    std::vector<RunInfo> runs;
    EXPECT_OK(this->db_->runs().QueryByTag(tag, &runs));
    return Names(runs);
  }
  // A run whose status is `s`, reached through allowed transitions.
  void Reach(std::string_view name, RunStatus s) {
    auto runs = this->db_->runs();
    ASSERT_OK(runs.CreateRun(name));
    if (s == RunStatus::kActive) return;
    ASSERT_OK(runs.UpdateStatus(name, s));
  }
};
ENGINE_TEST_SUITE(RunIndexConformance, ModeSet::kAll);

using Strings = std::vector<std::string>;

ENGINE_TEST(RunIndexConformance, CreateGetListById) {
  auto runs = this->db_->runs();
  const TimestampUs before = NowMicros();
  Result<RunId> id = runs.CreateRun("alpha", std::nullopt, {"b", "a", "b"},
                                    boost::json::object{{"owner", "me"}, {"n", 3}});
  ASSERT_OK(id);
  EXPECT_FALSE(id->IsMeta());
  Result<RunInfo> info = runs.GetRun("alpha");
  ASSERT_OK(info);
  EXPECT_EQ(info->id, *id);
  EXPECT_EQ(info->name, "alpha");
  EXPECT_FALSE(info->parent.has_value());
  EXPECT_EQ(info->status, RunStatus::kActive);
  EXPECT_EQ(info->tags, (Strings{"a", "b"}));
  EXPECT_EQ(info->metadata, (boost::json::object{{"owner", "me"}, {"n", 3}}));
  EXPECT_GE(info->created_at_us, before);
  EXPECT_EQ(info->created_at_us, info->updated_at_us);
  EXPECT_GT(info->version, 0u);
  Result<RunInfo> by_id = runs.GetRunById(*id);
  ASSERT_OK(by_id);
  EXPECT_EQ(by_id->name, "alpha");
  EXPECT_TRUE(runs.GetRunById(RunId::Random()).status().IsNotFound());
  EXPECT_TRUE(runs.GetRun("beta").status().IsNotFound());
  ASSERT_OK(runs.CreateRun("beta"));
  ASSERT_OK(runs.CreateRun("Alpha-2_x.y"));
  EXPECT_EQ(this->ListNames(), (Strings{"Alpha-2_x.y", "alpha", "beta"}));
  // The run's own data space is separate from the meta run.
  ASSERT_OK(this->db_->kv().Put(*id, "k", "v"));
  EXPECT_EQ(this->ListNames().size(), 3u);
}

ENGINE_TEST(RunIndexConformance, BadNamesDuplicatesAndMissingParentChangeNothing) {
  auto runs = this->db_->runs();
  ASSERT_OK(runs.CreateRun("taken"));
  for (const std::string& bad :
       {std::string(), std::string(257, 'a'), std::string("a b"), std::string("a/b"),
        std::string("caf\xc3\xa9"), std::string("x\0y", 3)}) {
    Result<RunId> r = runs.CreateRun(bad);
    ASSERT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("name"), std::string_view::npos);
    EXPECT_NE(r.status().message().find("[A-Za-z0-9_.-]"), std::string_view::npos);
    EXPECT_NE(r.status().message().find("256"), std::string_view::npos);
  }
  ASSERT_OK(runs.CreateRun(std::string(256, 'a')));
  Result<RunId> dup = runs.CreateRun("taken");
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("taken"), std::string_view::npos);
  EXPECT_TRUE(runs.CreateRun("orphan", "nobody").status().IsNotFound());
  Result<RunId> bad_parent = runs.CreateRun("orphan", "no body");
  EXPECT_EQ(bad_parent.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_parent.status().message().find("parent"), std::string_view::npos);
  Result<RunId> bad_tag = runs.CreateRun("orphan", std::nullopt, {""});
  EXPECT_EQ(bad_tag.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_tag.status().message().find("tag"), std::string_view::npos);
  boost::json::value deep = 1;
  for (int i = 0; i < 101; ++i) deep = boost::json::object{{"d", deep}};
  Result<RunId> too_deep = runs.CreateRun("orphan", std::nullopt, {}, deep.as_object());
  EXPECT_EQ(too_deep.status().code(), Code::kInvalidArgument);
  EXPECT_NE(too_deep.status().message().find("metadata"), std::string_view::npos);
  EXPECT_NE(too_deep.status().message().find("depth"), std::string_view::npos);
  EXPECT_EQ(this->ListNames(), (Strings{std::string(256, 'a'), "taken"}));
  EXPECT_EQ(this->ByStatus(RunStatus::kActive), (Strings{std::string(256, 'a'), "taken"}));
  // Every operation taking a name validates it.
  std::vector<RunInfo> out;
  EXPECT_EQ(runs.GetRun("a b").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(runs.UpdateStatus("a b", RunStatus::kPaused).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(runs.AddTags("a b", {"x"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(runs.ChildRuns("a b", &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(runs.DeleteRun("a b").code(), Code::kInvalidArgument);
}

ENGINE_TEST(RunIndexConformance, MissingRunsAreNotFound) {
  auto runs = this->db_->runs();
  std::vector<RunInfo> out;
  EXPECT_TRUE(runs.UpdateStatus("ghost", RunStatus::kPaused).status().IsNotFound());
  EXPECT_TRUE(runs.AddTags("ghost", {"x"}).status().IsNotFound());
  EXPECT_TRUE(runs.RemoveTags("ghost", {"x"}).status().IsNotFound());
  EXPECT_TRUE(runs.UpdateMetadata("ghost", {}).status().IsNotFound());
  EXPECT_TRUE(runs.ChildRuns("ghost", &out).IsNotFound());
  EXPECT_TRUE(runs.DeleteRun("ghost").IsNotFound());
  EXPECT_TRUE(this->ListNames().empty());
}

// Every (from, to) pair: exactly the pairs of the table are accepted.
ENGINE_TEST(RunIndexConformance, TransitionTableIsExact) {
  auto runs = this->db_->runs();
  const std::vector<std::pair<RunStatus, RunStatus>> table = {
      {RunStatus::kActive, RunStatus::kCompleted},   {RunStatus::kActive, RunStatus::kFailed},
      {RunStatus::kActive, RunStatus::kCancelled},   {RunStatus::kActive, RunStatus::kPaused},
      {RunStatus::kActive, RunStatus::kArchived},    {RunStatus::kPaused, RunStatus::kActive},
      {RunStatus::kPaused, RunStatus::kCancelled},   {RunStatus::kPaused, RunStatus::kArchived},
      {RunStatus::kCompleted, RunStatus::kArchived}, {RunStatus::kFailed, RunStatus::kArchived},
      {RunStatus::kCancelled, RunStatus::kArchived}};
  int accepted = 0;
  for (RunStatus from : kAllRunStatuses) {
    for (RunStatus to : kAllRunStatuses) {
      const std::string name =
          std::string(RunStatusName(from)) + "-to-" + std::string(RunStatusName(to));
      this->Reach(name, from);
      const bool allowed =
          std::find(table.begin(), table.end(), std::make_pair(from, to)) != table.end();
      EXPECT_EQ(IsAllowedTransition(from, to), allowed) << name;
      Result<RunInfo> before = runs.GetRun(name);
      ASSERT_OK(before);
      Result<Version> r = runs.UpdateStatus(name, to);
      Result<RunInfo> after = runs.GetRun(name);
      ASSERT_OK(after);
      if (allowed) {
        ++accepted;
        ASSERT_OK(r);
        EXPECT_EQ(after->status, to) << name;
        EXPECT_EQ(after->version, *r);
        EXPECT_GE(after->updated_at_us, before->updated_at_us);
      } else {
        ASSERT_EQ(r.status().code(), Code::kInvalidTransition) << name;
        EXPECT_EQ(r.status().message(),
                  std::string(RunStatusName(from)) + " -> " + std::string(RunStatusName(to)));
        EXPECT_EQ(after->status, from) << name;
        EXPECT_EQ(after->version, before->version) << name;
      }
    }
  }
  EXPECT_EQ(accepted, 11);
  // The status index agrees with the records.
  for (RunStatus s : kAllRunStatuses) {
    for (const std::string& name : this->ByStatus(s)) {
      EXPECT_EQ(runs.GetRun(name)->status, s) << name;
    }
  }
  EXPECT_EQ(this->ByStatus(RunStatus::kActive), (Strings{"active-to-active", "paused-to-active"}));
}

ENGINE_TEST(RunIndexConformance, StatusNamesRoundTrip) {
  for (RunStatus s : kAllRunStatuses) EXPECT_EQ(*ParseRunStatus(RunStatusName(s)), s);
  Result<RunStatus> bad = ParseRunStatus("running");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("status"), std::string_view::npos);
}

ENGINE_TEST(RunIndexConformance, QueryByStatus) {
  auto runs = this->db_->runs();
  for (const char* n : {"c", "a", "b", "d"}) ASSERT_OK(runs.CreateRun(n));
  ASSERT_OK(runs.UpdateStatus("b", RunStatus::kCompleted));
  ASSERT_OK(runs.UpdateStatus("d", RunStatus::kCompleted));
  ASSERT_OK(runs.UpdateStatus("c", RunStatus::kPaused));
  EXPECT_EQ(this->ByStatus(RunStatus::kActive), (Strings{"a"}));
  EXPECT_EQ(this->ByStatus(RunStatus::kCompleted), (Strings{"b", "d"}));
  EXPECT_EQ(this->ByStatus(RunStatus::kPaused), (Strings{"c"}));
  EXPECT_TRUE(this->ByStatus(RunStatus::kFailed).empty());
  ASSERT_OK(runs.UpdateStatus("d", RunStatus::kArchived));
  EXPECT_EQ(this->ByStatus(RunStatus::kCompleted), (Strings{"b"}));
  EXPECT_EQ(this->ByStatus(RunStatus::kArchived), (Strings{"d"}));
}

ENGINE_TEST(RunIndexConformance, TagsAddRemoveQuery) {
  auto runs = this->db_->runs();
  ASSERT_OK(runs.CreateRun("r1", std::nullopt, {"x"}));
  ASSERT_OK(runs.CreateRun("r2", std::nullopt, {"xy"}));
  ASSERT_OK(runs.CreateRun("r3"));
  // A tag that is a prefix of another tag does not match it.
  EXPECT_EQ(this->ByTag("x"), (Strings{"r1"}));
  EXPECT_EQ(this->ByTag("xy"), (Strings{"r2"}));
  ASSERT_OK(runs.AddTags("r3", {"x", "with/slash", std::string("nul\0byte", 8)}));
  ASSERT_OK(runs.AddTags("r3", {"x"}));  // idempotent
  EXPECT_EQ(runs.GetRun("r3")->tags,
            (Strings{"nul" + std::string(1, '\0') + "byte", "with/slash", "x"}));
  EXPECT_EQ(this->ByTag("x"), (Strings{"r1", "r3"}));
  EXPECT_EQ(this->ByTag("with/slash"), (Strings{"r3"}));
  EXPECT_EQ(this->ByTag(std::string("nul\0byte", 8)), (Strings{"r3"}));
  EXPECT_TRUE(this->ByTag("nul").empty());
  ASSERT_OK(runs.RemoveTags("r3", {"x", "never-had"}));
  EXPECT_EQ(this->ByTag("x"), (Strings{"r1"}));
  EXPECT_EQ(runs.GetRun("r3")->tags,
            (Strings{"nul" + std::string(1, '\0') + "byte", "with/slash"}));
  Result<Version> bad = runs.AddTags("r3", {std::string(257, 't')});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("tag"), std::string_view::npos);
  EXPECT_NE(bad.status().message().find("256"), std::string_view::npos);
  std::vector<RunInfo> out;
  EXPECT_EQ(runs.QueryByTag("", &out).code(), Code::kInvalidArgument);
}

ENGINE_TEST(RunIndexConformance, UpdateMetadataMergesOrReplaces) {
  auto runs = this->db_->runs();
  ASSERT_OK(
      runs.CreateRun("m", std::nullopt, {}, boost::json::object{{"a", 1}, {"b", {{"c", 2}}}}));
  ASSERT_OK(runs.UpdateMetadata("m", boost::json::object{{"a", nullptr}, {"b", {{"d", 3}}}}));
  EXPECT_EQ(runs.GetRun("m")->metadata, (boost::json::object{{"b", {{"c", 2}, {"d", 3}}}}));
  ASSERT_OK(runs.UpdateMetadata("m", boost::json::object{{"z", true}}, MetadataUpdate::kReplace));
  EXPECT_EQ(runs.GetRun("m")->metadata, (boost::json::object{{"z", true}}));
  const Version v = runs.GetRun("m")->version;
  boost::json::value deep = 1;
  for (int i = 0; i < 101; ++i) deep = boost::json::object{{"d", deep}};
  Result<Version> bad = runs.UpdateMetadata("m", deep.as_object());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("metadata"), std::string_view::npos);
  EXPECT_EQ(runs.GetRun("m")->version, v);
  EXPECT_EQ(runs.GetRun("m")->metadata, (boost::json::object{{"z", true}}));
}

ENGINE_TEST(RunIndexConformance, ParentsAndChildren) {
  auto runs = this->db_->runs();
  Result<RunId> root = runs.CreateRun("root");
  ASSERT_OK(root);
  ASSERT_OK(runs.CreateRun("kid-b", "root"));
  ASSERT_OK(runs.CreateRun("kid-a", "root"));
  ASSERT_OK(runs.CreateRun("grandkid", "kid-a"));
  EXPECT_EQ(runs.GetRun("kid-a")->parent, *root);
  std::vector<RunInfo> kids;
  ASSERT_OK(runs.ChildRuns("root", &kids));
  EXPECT_EQ(this->Names(kids), (Strings{"kid-a", "kid-b"}));
  ASSERT_OK(runs.ChildRuns("kid-a", &kids));
  EXPECT_EQ(this->Names(kids), (Strings{"grandkid"}));
  ASSERT_OK(runs.ChildRuns("grandkid", &kids));
  EXPECT_TRUE(kids.empty());
  // Deleting a parent leaves its children, which keep the deleted parent's id.
  ASSERT_OK(runs.DeleteRun("kid-a"));
  ASSERT_OK(runs.ChildRuns("root", &kids));
  EXPECT_EQ(this->Names(kids), (Strings{"kid-b"}));
  Result<RunInfo> orphan = runs.GetRun("grandkid");
  ASSERT_OK(orphan);
  EXPECT_TRUE(orphan->parent.has_value());
  EXPECT_TRUE(runs.GetRunById(*orphan->parent).status().IsNotFound());
  // A new run under the reused name is a different parent.
  ASSERT_OK(runs.CreateRun("kid-a", "root"));
  ASSERT_OK(runs.ChildRuns("kid-a", &kids));
  EXPECT_TRUE(kids.empty());
}

ENGINE_TEST(RunIndexConformance, ConcurrentCreatesOfOneNameHaveOneWinner) {
  auto& db = *this->db_;
  std::atomic<int> won{0}, exists{0};
  std::vector<std::thread> ts;
  ts.reserve(4);
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      TxnOptions o;
      o.retry.max_retries = 100000;
      Result<RunId> r = db.runs().CreateRun("contested", std::nullopt, {}, {}, o);
      if (r.ok()) ++won;
      if (r.status().code() == Code::kAlreadyExists) ++exists;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(exists, 3);
  EXPECT_EQ(this->ByStatus(RunStatus::kActive), (Strings{"contested"}));
}

ENGINE_TEST(RunIndexConformance, DeleteRunRemovesEveryPrimitiveAndItsMetadata) {
  auto& db = *this->db_;
  auto runs = db.runs();
  Result<RunId> id = runs.CreateRun("doomed", std::nullopt, {"tagged"}, {{"k", 1}});
  ASSERT_OK(id);
  Result<RunId> keep = runs.CreateRun("kept", std::nullopt, {"tagged"});
  ASSERT_OK(keep);
  ASSERT_OK(runs.CreateRun("child", "doomed"));
  for (const RunId& r : {*id, *keep}) {
    ASSERT_OK(CreateSampleCollection(db, r));
    ASSERT_OK(db.Transaction(r, [&](auto& h) { return WriteSamples(h); }));
    ExpectSamples(db, r, true);
  }
  ASSERT_GT(CountLiveKeys(db, *id), 6u);
  ASSERT_OK(runs.DeleteRun("doomed"));
  ExpectSamples(db, *id, false);
  EXPECT_EQ(CountLiveKeys(db, *id), 0u);
  std::vector<CollectionInfo> collections;
  ASSERT_OK(db.vectors().ListCollections(*id, &collections));
  EXPECT_TRUE(collections.empty());
  // The other run is untouched.
  ExpectSamples(db, *keep, true);
  // Metadata and every index entry are gone.
  EXPECT_TRUE(runs.GetRun("doomed").status().IsNotFound());
  EXPECT_TRUE(runs.GetRunById(*id).status().IsNotFound());
  EXPECT_EQ(this->ListNames(), (Strings{"child", "kept"}));
  EXPECT_EQ(this->ByTag("tagged"), (Strings{"kept"}));
  EXPECT_EQ(this->ByStatus(RunStatus::kActive), (Strings{"child", "kept"}));
  size_t meta_keys = 0;
  ASSERT_OK(db.Read(RunId::Meta(), [&](auto& h) {
    return h.raw().Scan(Tag::kRun, "", [&](std::string_view k, const Value&, Version) {
      EXPECT_EQ(k.find("doomed"), std::string_view::npos) << k;
      ++meta_keys;
      return true;
    });
  }));
  EXPECT_GT(meta_keys, 0u);
  // The name can be used again, for a new, empty run.
  Result<RunId> again = runs.CreateRun("doomed");
  ASSERT_OK(again);
  EXPECT_NE(*again, *id);
  EXPECT_EQ(CountLiveKeys(db, *again), 0u);
}

ENGINE_TEST(RunIndexConformance, InterruptedDeleteIsInvisibleAndFinished) {
  auto& db = *this->db_;
  auto runs = db.runs();
  Result<RunId> a = runs.CreateRun("after-mark", std::nullopt, {"t"});
  Result<RunId> b = runs.CreateRun("after-wipe", std::nullopt, {"t"});
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(runs.CreateRun("child", "after-mark"));
  for (const RunId& r : {*a, *b}) {
    ASSERT_OK(CreateSampleCollection(db, r));
    ASSERT_OK(db.Transaction(r, [&](auto& h) { return WriteSamples(h); }));
  }
  // "Crash" after step 1 for one run, after step 2 for the other.
  RunId id;
  ASSERT_OK(RunIndexTestPeer::MarkDeleting(runs, "after-mark", &id));
  EXPECT_EQ(id, *a);
  ASSERT_OK(RunIndexTestPeer::MarkDeleting(runs, "after-wipe", &id));
  ASSERT_OK(RunIndexTestPeer::WipeRunData(runs, id));
  // A run being deleted is invisible everywhere, and its name stays taken.
  for (const char* name : {"after-mark", "after-wipe"}) {
    EXPECT_TRUE(runs.GetRun(name).status().IsNotFound());
    EXPECT_EQ(runs.CreateRun(name).status().code(), Code::kAlreadyExists);
    EXPECT_TRUE(runs.UpdateStatus(name, RunStatus::kPaused).status().IsNotFound());
  }
  EXPECT_TRUE(runs.GetRunById(*a).status().IsNotFound());
  EXPECT_EQ(this->ListNames(), (Strings{"child"}));
  EXPECT_TRUE(this->ByTag("t").empty());
  EXPECT_EQ(this->ByStatus(RunStatus::kActive), (Strings{"child"}));
  ExpectSamples(db, *a, true);  // not yet wiped
  ExpectSamples(db, *b, false);
  ASSERT_OK(runs.FinishPendingDeletes());
  ExpectSamples(db, *a, false);
  EXPECT_EQ(CountLiveKeys(db, *a), 0u);
  EXPECT_EQ(CountLiveKeys(db, *b), 0u);
  ASSERT_OK(runs.FinishPendingDeletes());  // idempotent
  ASSERT_OK(runs.CreateRun("after-mark"));
  ASSERT_OK(runs.CreateRun("after-wipe"));
  EXPECT_EQ(this->ListNames(), (Strings{"after-mark", "after-wipe", "child"}));
}

ENGINE_TEST(RunIndexConformance, DeleteRunFinishesAnInterruptedDelete) {
  auto& db = *this->db_;
  auto runs = db.runs();
  Result<RunId> a = runs.CreateRun("half");
  ASSERT_OK(a);
  ASSERT_OK(db.kv().Put(*a, "k", "v"));
  RunId id;
  ASSERT_OK(RunIndexTestPeer::MarkDeleting(runs, "half", &id));
  ASSERT_OK(runs.DeleteRun("half"));
  EXPECT_EQ(CountLiveKeys(db, *a), 0u);
  EXPECT_TRUE(this->ListNames().empty());
  EXPECT_TRUE(runs.DeleteRun("half").IsNotFound());
}

// Database::Open finishes an interrupted delete (durable modes: the state survives the reopen).
ENGINE_TEST(RunIndexConformance, ReopenFinishesAnInterruptedDelete) {
  if (this->mode() == DurabilityMode::kInMemory) {
    GTEST_SKIP() << "nothing survives a reopen in inmemory mode";
  }
  Result<RunId> a = this->db_->runs().CreateRun("crashed");
  ASSERT_OK(a);
  ASSERT_OK(this->db_->kv().Put(*a, "k", "v"));
  auto runs = this->db_->runs();
  RunId id;
  ASSERT_OK(RunIndexTestPeer::MarkDeleting(runs, "crashed", &id));
  this->Reopen();
  EXPECT_EQ(CountLiveKeys(*this->db_, *a), 0u);
  EXPECT_TRUE(this->ListNames().empty());
  ASSERT_OK(this->db_->runs().CreateRun("crashed"));
}

// Lifecycle markers: recovery reports as open exactly the runs begun and never ended.
ENGINE_TEST(RunIndexConformance, RecoveryReportsRunsThatNeverEnded) {
  if (this->mode() == DurabilityMode::kInMemory) {
    GTEST_SKIP() << "there is no recovery in inmemory mode";
  }
  auto runs = this->db_->runs();
  std::vector<RunId> orphans;
  for (const char* name :
       {"open", "paused", "done", "failed", "cancelled", "archived", "gone", "ended-then-gone"}) {
    Result<RunId> id = runs.CreateRun(name);
    ASSERT_OK(id);
    if (std::string_view(name) == "open" || std::string_view(name) == "paused") {
      orphans.push_back(*id);
    }
  }
  ASSERT_OK(runs.UpdateStatus("paused", RunStatus::kPaused));
  ASSERT_OK(runs.UpdateStatus("done", RunStatus::kCompleted));
  ASSERT_OK(runs.UpdateStatus("done", RunStatus::kArchived));
  ASSERT_OK(runs.UpdateStatus("failed", RunStatus::kFailed));
  ASSERT_OK(runs.UpdateStatus("cancelled", RunStatus::kCancelled));
  ASSERT_OK(runs.UpdateStatus("archived", RunStatus::kArchived));
  ASSERT_OK(runs.DeleteRun("gone"));
  ASSERT_OK(runs.UpdateStatus("ended-then-gone", RunStatus::kCompleted));
  ASSERT_OK(runs.DeleteRun("ended-then-gone"));
  this->Reopen();
  std::sort(orphans.begin(), orphans.end());
  EXPECT_EQ(this->db_->engine().recovery().open_runs, orphans);
}

}  // namespace
}  // namespace statelab::testing_util
