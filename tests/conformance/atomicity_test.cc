// Atomicity across primitives: a transaction that writes to every primitive of a run and then
// fails leaves nothing anywhere; the same transaction succeeding leaves everything.
#include "tests/conformance/fixture.h"
#include "tests/conformance/primitive_samples.h"

namespace statelab::testing_util {
namespace {

template <class C>
class AtomicityConformance : public EngineTest<C> {};
ENGINE_TEST_SUITE(AtomicityConformance, ModeSet::kAll);

ENGINE_TEST(AtomicityConformance, FailedTransactionOverEveryPrimitiveLeavesNothing) {
  auto& db = *this->db_;
  Result<RunId> run = db.runs().CreateRun("atomic", std::nullopt, {"t"});
  ASSERT_OK(run);
  ASSERT_OK(CreateSampleCollection(db, *run));
  const size_t keys_before = CountLiveKeys(db, *run);
  const EngineStats before = db.Stats();
  bool wrote_all = false;
  Result<Version> r = db.Transaction(*run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(WriteSamples(h));
    wrote_all = true;
    // Inside the transaction, every write is visible to its own reads.
    Value v;
    STATELAB_RETURN_IF_ERROR(h.kv().Get("k", &v));
    STATELAB_ASSIGN_OR_RETURN(bool cell, h.state().Exists("cell"));
    STATELAB_ASSIGN_OR_RETURN(bool doc, h.json().Exists("doc"));
    STATELAB_ASSIGN_OR_RETURN(uint64_t vectors, h.vectors().Count(kSampleCollection));
    EXPECT_TRUE(cell && doc && vectors == 1);
    return Status::InvalidArgument("abort on purpose");
  });
  ASSERT_TRUE(wrote_all);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "abort on purpose");
  ExpectSamples(db, *run, false);
  EXPECT_EQ(CountLiveKeys(db, *run), keys_before);
  const EngineStats after = db.Stats();
  EXPECT_EQ(after.keys, before.keys);
  EXPECT_EQ(after.versions, before.versions);
  EXPECT_EQ(after.commits, before.commits);
  EXPECT_EQ(after.wal_appends, before.wal_appends);
  // The run's metadata is untouched too.
  Result<RunInfo> info = db.runs().GetRun("atomic");
  ASSERT_OK(info);
  EXPECT_EQ(info->status, RunStatus::kActive);
  // The event log burned no sequence: the next append is sequence 0.
  Result<Appended> first = db.events().Append(*run, "first", boost::json::value{{"n", 0}});
  ASSERT_OK(first);
  EXPECT_EQ(first->sequence, 0u);
}

ENGINE_TEST(AtomicityConformance, SameTransactionCommittedLeavesEverything) {
  auto& db = *this->db_;
  Result<RunId> run = db.runs().CreateRun("atomic");
  ASSERT_OK(run);
  ASSERT_OK(CreateSampleCollection(db, *run));
  const EngineStats before = db.Stats();
  Result<Version> v = db.Transaction(*run, [&](auto& h) { return WriteSamples(h); });
  ASSERT_OK(v);
  ExpectSamples(db, *run, true);
  EXPECT_EQ(db.Stats().commits, before.commits + 1);
  // Every write carries the one commit version.
  EXPECT_EQ(db.kv().Get(*run, "k")->version, *v);
  EXPECT_EQ(db.state().Read(*run, "cell")->version, *v);
  EXPECT_EQ(*db.json().GetVersion(*run, "doc"), *v);
  EXPECT_EQ(db.vectors().Get(*run, kSampleCollection, "v1")->version, *v);
  EXPECT_EQ(db.events().Read(*run, 0)->version, *v);
}

}  // namespace
}  // namespace statelab::testing_util
