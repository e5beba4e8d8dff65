// The transaction state and the shared commit steps (engines/core/txn_state.h) on their own, over
// a plain ordered map of version chains: ValidateReads (first committer wins, blind writes do not
// conflict, scanned keys join the read set but phantoms do not conflict, path-level reads),
// MaterializeWrites (JSON path writes rebased on the newest document; search index writes) and
// ApplyWrites (install at the commit version, prune the touched chains).
#include "engines/core/txn_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/core/chain_reads.h"
#include "engines/core/snapshot_registry.h"
#include "engines/core/transaction.h"
#include "engines/core/version_chain.h"

namespace statelab {
namespace {

namespace bj = boost::json;

const RunId kRun = RunId::Random();

std::string K(std::string_view user, Tag tag = Tag::kKv) {
  return std::string(KeyBuf(kRun, tag, user).view());
}

json_doc::Path P(std::string_view text) {
  Result<json_doc::Path> p = json_doc::Path::Parse(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : json_doc::Path();
}

Value Doc(std::string_view text) { return Value(bj::parse(text)); }

std::string Serialized(const Value& v) {
  if (!std::holds_alternative<bj::value>(v)) return "<not json>";
  return bj::serialize(std::get<bj::value>(v));
}

// The committed store of one partition, with the find / upsert functions the steps take.
class Store {
 public:
  const VersionChain* Find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  VersionChain& Upsert(const Key& key) { return map_[key]; }
  auto finder() const {
    return [this](std::string_view k) { return Find(k); };
  }
  auto upserter() {
    return [this](const Key& k) -> VersionChain& { return Upsert(k); };
  }

  // Installs a committed entry directly (what another transaction committed).
  void Put(std::string_view user, Version v, Value value) {
    VersionEntry e;
    e.version = v;
    e.value = std::move(value);
    map_[Key(K(user))].Add(std::move(e));
  }
  void Delete(std::string_view user, Version v) {
    VersionEntry e;
    e.version = v;
    e.tombstone = true;
    map_[Key(K(user))].Add(std::move(e));
  }
  // A JSON document written through `paths` at v.
  void PutPaths(std::string_view user, Version v, Value doc, std::vector<json_doc::Path> paths) {
    VersionEntry e;
    e.version = v;
    e.value = std::move(doc);
    e.json_paths = std::make_shared<const std::vector<json_doc::Path>>(std::move(paths));
    map_[Key(K(user))].Add(std::move(e));
  }
  Version NewestVersion(std::string_view user) const {
    const VersionChain* c = Find(K(user));
    return c ? c->NewestVersion() : 0;
  }
  const VersionChain& chain(std::string_view user) const { return *Find(K(user)); }
  const std::map<Key, VersionChain, KeyLess>& map() const { return map_; }

 private:
  std::map<Key, VersionChain, KeyLess> map_;
};

TxnState Begin(Version snapshot) {
  TxnState t;
  t.Reset(kRun, snapshot, /*now=*/1'000'000);
  t.search_index = false;  // the search index has its own test below
  return t;
}

void WritePut(TxnState& t, std::string_view user, Value v) {
  WriteEntry& w = t.UpsertWrite(K(user));
  w.kind = WriteKind::kPut;
  w.value = std::move(v);
}

// Validate, materialize and apply at v, as a partition's Commit does under its exclusion.
Status CommitAt(Store& s, TxnState& t, Version v, Version horizon) {
  STATELAB_RETURN_IF_ERROR(ValidateReads(t, s.finder()));
  STATELAB_RETURN_IF_ERROR(MaterializeWrites(t, s.finder()));
  ApplyWrites(t, v, horizon, s.upserter());
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// TxnState bookkeeping

TEST(TxnState, ResetClearsReadsAndWritesAndSetsTheSnapshot) {
  TxnState t = Begin(5);
  t.lifecycle = Lifecycle::kRunEnd;
  t.RecordRead(K("a"), 3);
  WritePut(t, "b", 1);
  EXPECT_FALSE(t.ReadOnly());
  const RunId other = RunId::Random();
  t.Reset(other, 9, 77);
  EXPECT_EQ(t.run, other);
  EXPECT_EQ(t.snapshot, 9u);
  EXPECT_EQ(t.now_us, 77);
  EXPECT_EQ(t.lifecycle, Lifecycle::kNone);
  EXPECT_TRUE(t.reads.empty());
  EXPECT_TRUE(t.writes.empty());
  EXPECT_TRUE(t.ReadOnly());
}

TEST(TxnState, UpsertWriteKeepsOneEntryPerKey) {
  TxnState t = Begin(1);
  EXPECT_EQ(t.FindWrite(K("a")), nullptr);
  WritePut(t, "a", 1);
  WritePut(t, "b", 2);
  WritePut(t, "a", 3);
  ASSERT_EQ(t.writes.size(), 2u);
  ASSERT_NE(t.FindWrite(K("a")), nullptr);
  EXPECT_EQ(t.FindWrite(K("a"))->value, Value(3));
  EXPECT_EQ(t.FindWrite(K("b"))->value, Value(2));
  EXPECT_EQ(t.writes[0].key.view(), K("a"));  // first write position kept
}

TEST(TxnState, RecordReadHonoursRecordReadsAndPathReadsMerge) {
  TxnState t = Begin(4);
  t.RecordRead(K("whole"), 2);
  t.RecordPathRead(K("doc"), 3, P("$.a"));
  t.RecordPathRead(K("doc"), 3, P("$.b"));
  ASSERT_EQ(t.reads.size(), 2u);
  EXPECT_EQ(t.reads[0].key.view(), K("whole"));
  EXPECT_EQ(t.reads[0].seen, 2u);
  EXPECT_TRUE(t.reads[0].paths.empty());
  EXPECT_EQ(t.reads[1].key.view(), K("doc"));
  EXPECT_EQ(t.reads[1].seen, 3u);
  EXPECT_EQ(t.reads[1].paths, (std::vector<json_doc::Path>{P("$.a"), P("$.b")}));
  // A path read never merges into a whole-key read of the same key.
  t.RecordPathRead(K("whole"), 2, P("$.x"));
  EXPECT_EQ(t.reads.size(), 3u);
  EXPECT_TRUE(t.reads[0].paths.empty());

  TxnState fast = Begin(4);
  fast.record_reads = false;  // fast-path reads keep no read set
  fast.RecordRead(K("a"), 1);
  fast.RecordPathRead(K("doc"), 1, P("$.a"));
  EXPECT_TRUE(fast.reads.empty());
}

// ---------------------------------------------------------------------------------------------
// ValidateReads

TEST(ValidateReads, UnchangedReadsValidate) {
  Store s;
  s.Put("x", 3, "x3");
  TxnState t = Begin(3);
  t.RecordRead(K("x"), 3);
  t.RecordRead(K("never"), 0);
  EXPECT_TRUE(ValidateReads(t, s.finder()).ok());
}

TEST(ValidateReads, FirstCommitterWinsOnAKeyChangedSinceTheSnapshot) {
  Store s;
  s.Put("x", 3, "x3");
  TxnState t1 = Begin(3), t2 = Begin(3);
  for (TxnState* t : {&t1, &t2}) {
    t->RecordRead(K("x"), 3);
    WritePut(*t, "x", t == &t1 ? "from t1" : "from t2");
  }
  ASSERT_TRUE(CommitAt(s, t1, 4, 3).ok());
  EXPECT_EQ(s.NewestVersion("x"), 4u);
  EXPECT_TRUE(ValidateReads(t2, s.finder()).IsConflict());
  EXPECT_TRUE(CommitAt(s, t2, 5, 3).IsConflict());
  // The loser left no trace.
  EXPECT_EQ(s.NewestVersion("x"), 4u);
  EXPECT_EQ(s.chain("x").Newest()->value, Value("from t1"));
}

TEST(ValidateReads, AbsenceIsAReadToo) {
  Store s;
  TxnState t = Begin(2);
  t.RecordRead(K("new"), 0);  // read: not there
  EXPECT_TRUE(ValidateReads(t, s.finder()).ok());
  s.Put("new", 3, "inserted");
  EXPECT_TRUE(ValidateReads(t, s.finder()).IsConflict());
}

TEST(ValidateReads, ADeleteSinceTheSnapshotConflicts) {
  Store s;
  s.Put("x", 1, "x1");
  TxnState t = Begin(1);
  t.RecordRead(K("x"), 1);
  s.Delete("x", 2);
  EXPECT_TRUE(ValidateReads(t, s.finder()).IsConflict());
  // Reading the deleted key sees its tombstone's version, which validates while it stays deleted.
  TxnState after = Begin(2);
  after.RecordRead(K("x"), 2);
  EXPECT_TRUE(ValidateReads(after, s.finder()).ok());
}

TEST(ValidateReads, ClassicWriteSkewOverReadKeysIsPrevented) {
  Store s;
  s.Put("x", 1, 1);
  s.Put("y", 1, 1);
  TxnState t1 = Begin(1), t2 = Begin(1);
  for (TxnState* t : {&t1, &t2}) {
    t->RecordRead(K("x"), 1);
    t->RecordRead(K("y"), 1);
  }
  WritePut(t1, "x", 0);
  WritePut(t2, "y", 0);
  ASSERT_TRUE(CommitAt(s, t1, 2, 1).ok());
  EXPECT_TRUE(CommitAt(s, t2, 3, 1).IsConflict());
  EXPECT_EQ(s.NewestVersion("y"), 1u);
}

TEST(ValidateReads, BlindWritesDoNotConflict) {
  Store s;
  s.Put("x", 1, "x1");
  TxnState t1 = Begin(1), t2 = Begin(1);
  WritePut(t1, "x", "blind 1");
  WritePut(t2, "x", "blind 2");
  ASSERT_TRUE(CommitAt(s, t1, 2, 1).ok());
  ASSERT_TRUE(CommitAt(s, t2, 3, 1).ok());
  const VersionChain& c = s.chain("x");
  EXPECT_EQ(c.NewestVersion(), 3u);
  EXPECT_EQ(c.Newest()->value, Value("blind 2"));
  EXPECT_EQ(c.Find(2)->value, Value("blind 1"));
}

// A partition over the Store, so the real Txn<P>::Scan builds the read set.
class StorePartition {
 public:
  explicit StorePartition(Store& s) : s_(s) {}
  Version AcquireSnapshot() noexcept { return registry_.Acquire(visible_); }
  void ReleaseSnapshot() noexcept { registry_.Release(); }
  template <class F>
  Status View(Version snap, std::string_view key, TimestampUs now, F&& fn, Version* ver) noexcept {
    return ViewVisible(s_.Find(key), snap, now, fn, ver);
  }
  template <class F>
  Status Scan(Version snap, std::string_view prefix, TimestampUs now, F&& fn) {
    ScanVisible(s_.map(), prefix, snap, now, fn);
    return Status::OK();
  }
  Result<CommitTicket> Commit(TxnState& t) {
    const Version v = visible_.load() + 1;
    STATELAB_RETURN_IF_ERROR(CommitAt(s_, t, v, registry_.Horizon(visible_)));
    visible_.store(v);
    return CommitTicket{v, 0};
  }
  void Publish(Version v) { visible_.store(v); }

 private:
  Store& s_;
  SnapshotRegistry registry_;
  std::atomic<Version> visible_{0};
};
static_assert(Partition<StorePartition>);

TEST(ValidateReads, ScannedKeysJoinTheReadSetButAnInsertedKeyIsNoConflict) {
  Store s;
  s.Put("a/1", 1, "one");
  s.Put("a/2", 2, "two");
  s.Put("b/1", 2, "other prefix");
  StorePartition p(s);
  TxnState t = Begin(2);
  Txn<StorePartition> txn(p, t);
  std::vector<std::string> seen;
  ASSERT_TRUE(txn.Scan(Tag::kKv, "a/",
                       [&](std::string_view k, const Value&, Version) {
                         seen.emplace_back(k);
                         return true;
                       })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a/1", "a/2"}));
  ASSERT_EQ(t.reads.size(), 2u);
  EXPECT_EQ(t.reads[0].key.view(), K("a/1"));
  EXPECT_EQ(t.reads[0].seen, 1u);
  EXPECT_EQ(t.reads[1].key.view(), K("a/2"));
  EXPECT_EQ(t.reads[1].seen, 2u);
  WritePut(t, "summary", "2 items");

  // A phantom: another transaction inserts a key into the scanned range.
  s.Put("a/3", 3, "three");
  EXPECT_TRUE(ValidateReads(t, s.finder()).ok());
  // A key the scan returned changes: conflict.
  s.Put("a/2", 4, "two, changed");
  EXPECT_TRUE(ValidateReads(t, s.finder()).IsConflict());
}

TEST(ValidateReads, AScanStoppedEarlyReadsOnlyTheKeysItSaw) {
  Store s;
  s.Put("a/1", 1, "one");
  s.Put("a/2", 1, "two");
  StorePartition p(s);
  TxnState t = Begin(1);
  Txn<StorePartition> txn(p, t);
  ASSERT_TRUE(txn.Scan(Tag::kKv, "a/", [](auto&&...) { return false; }).ok());
  ASSERT_EQ(t.reads.size(), 1u);
  EXPECT_EQ(t.reads[0].key.view(), K("a/1"));
  s.Put("a/2", 2, "two, changed");  // never read: not a conflict
  EXPECT_TRUE(ValidateReads(t, s.finder()).ok());
}

TEST(ValidateReads, PathReadsConflictOnlyWithOverlappingPathsOrWholeValueWrites) {
  auto store = [] {
    Store s;
    s.PutPaths("doc", 1, Doc(R"({"a":{"x":1},"b":1})"), {});
    return s;
  };
  auto reader = [] {
    TxnState t = Begin(1);
    t.RecordPathRead(K("doc"), 1, P("$.a"));
    return t;
  };
  {
    Store s = store();
    s.PutPaths("doc", 2, Doc(R"({"a":{"x":1},"b":2})"), {P("$.b")});
    EXPECT_TRUE(ValidateReads(reader(), s.finder()).ok()) << "sibling path";
  }
  {
    Store s = store();
    s.PutPaths("doc", 2, Doc(R"({"a":{"x":2},"b":1})"), {P("$.a.x")});
    EXPECT_TRUE(ValidateReads(reader(), s.finder()).IsConflict()) << "a path under $.a";
  }
  {
    Store s = store();
    s.PutPaths("doc", 2, Doc(R"({"b":1})"), {P("$")});
    EXPECT_TRUE(ValidateReads(reader(), s.finder()).IsConflict()) << "the root";
  }
  {
    Store s = store();
    s.Put("doc", 2, Doc(R"({"a":{"x":1},"b":1})"));  // whole value, same content
    EXPECT_TRUE(ValidateReads(reader(), s.finder()).IsConflict()) << "whole-value write";
  }
  {
    Store s = store();
    s.PutPaths("doc", 2, Doc(R"({"a":{"x":1},"b":2})"), {P("$.b")});
    s.PutPaths("doc", 3, Doc(R"({"a":{"x":1},"b":2,"ab":0})"), {P("$.ab")});
    EXPECT_TRUE(ValidateReads(reader(), s.finder()).ok()) << "several sibling writes";
    s.PutPaths("doc", 4, Doc(R"({"a":5,"b":2,"ab":0})"), {P("$.a")});
    EXPECT_TRUE(ValidateReads(reader(), s.finder()).IsConflict()) << "then $.a itself";
  }
}

// ---------------------------------------------------------------------------------------------
// MaterializeWrites

// A transaction at `snapshot` that sets `path` = `value` on the document it read, as
// Txn::JsonWritePath records it: its view of the document, the op to replay, the conflict path.
TxnState SetPath(Version snapshot, std::string_view user, const Value& seen_doc,
                 std::string_view path, bj::value value) {
  TxnState t = Begin(snapshot);
  bj::value doc = std::get<bj::value>(seen_doc);
  EXPECT_TRUE(json_doc::Set(doc, P(path), value).ok());
  WriteEntry& w = t.UpsertWrite(K(user));
  w.kind = WriteKind::kJsonPaths;
  w.value = std::move(doc);
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kSet, P(path), std::move(value)});
  w.json_paths.push_back(P(path));
  t.RecordPathRead(K(user), snapshot, P(path));
  return t;
}

TEST(MaterializeWrites, PathWritesAreReplayedOnTheNewestDocument) {
  Store s;
  const Value v1 = Doc(R"({"a":1,"b":1})");
  s.PutPaths("doc", 1, v1, {});
  TxnState mine = SetPath(1, "doc", v1, "$.a", 2);
  EXPECT_EQ(Serialized(mine.writes[0].value), R"({"a":2,"b":1})");
  // Meanwhile another transaction changed $.b.
  s.PutPaths("doc", 2, Doc(R"({"a":1,"b":5})"), {P("$.b")});
  ASSERT_TRUE(ValidateReads(mine, s.finder()).ok());
  ASSERT_TRUE(MaterializeWrites(mine, s.finder()).ok());
  EXPECT_EQ(Serialized(mine.writes[0].value), R"({"a":2,"b":5})");  // both changes kept
  ApplyWrites(mine, 3, 2, s.upserter());
  const VersionEntry* newest = s.chain("doc").Newest();
  EXPECT_EQ(newest->version, 3u);
  EXPECT_EQ(Serialized(newest->value), R"({"a":2,"b":5})");
  ASSERT_NE(newest->json_paths, nullptr);
  EXPECT_EQ(*newest->json_paths, (std::vector<json_doc::Path>{P("$.a")}));
}

TEST(MaterializeWrites, EveryOpIsReplayedInOrder) {
  Store s;
  const Value v1 = Doc(R"({"list":[1],"n":0,"m":{"k":1}})");
  s.PutPaths("doc", 1, v1, {});
  TxnState t = Begin(1);
  WriteEntry& w = t.UpsertWrite(K("doc"));
  w.kind = WriteKind::kJsonPaths;
  w.value = Doc(R"({"stale view":true})");
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kSet, P("$.n"), bj::value(1)});
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kSet, P("$.n"), bj::value(2)});
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kDelete, P("$.list[0]"), nullptr});
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kMerge, P("$.m"), bj::parse(R"({"j":2})")});
  s.PutPaths("doc", 2, Doc(R"({"list":[1],"n":0,"m":{"k":1},"other":true})"), {P("$.other")});
  ASSERT_TRUE(MaterializeWrites(t, s.finder()).ok());
  EXPECT_EQ(Serialized(t.writes[0].value), R"({"list":[],"n":2,"m":{"k":1,"j":2},"other":true})");
}

TEST(MaterializeWrites, ACurrentViewIsKeptAsIs) {
  Store s;
  const Value v1 = Doc(R"({"a":1})");
  s.PutPaths("doc", 1, v1, {});
  TxnState t = SetPath(1, "doc", v1, "$.a", 2);
  // Nothing newer than the snapshot: the transaction's own view is the result, no replay (a
  // marker only in the view shows it was not rebuilt).
  std::get<bj::value>(t.writes[0].value).as_object()["view"] = true;
  ASSERT_TRUE(MaterializeWrites(t, s.finder()).ok());
  EXPECT_EQ(Serialized(t.writes[0].value), R"({"a":2,"view":true})");
  // Same when the document does not exist at all (created through paths).
  TxnState created = Begin(1);
  WriteEntry& w = created.UpsertWrite(K("fresh"));
  w.kind = WriteKind::kJsonPaths;
  w.value = Doc(R"({"x":1})");
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kSet, P("$.x"), bj::value(1)});
  ASSERT_TRUE(MaterializeWrites(created, s.finder()).ok());
  EXPECT_EQ(Serialized(created.writes[0].value), R"({"x":1})");
}

TEST(MaterializeWrites, ADocumentDestroyedOrReplacedMeanwhileIsAConflict) {
  const Value v1 = Doc(R"({"a":1})");
  {
    Store s;
    s.PutPaths("doc", 1, v1, {});
    s.Delete("doc", 2);
    TxnState t = SetPath(1, "doc", v1, "$.a", 2);
    EXPECT_TRUE(MaterializeWrites(t, s.finder()).IsConflict()) << "deleted";
  }
  {
    Store s;
    s.PutPaths("doc", 1, v1, {});
    s.Put("doc", 2, "a string now");
    TxnState t = SetPath(1, "doc", v1, "$.a", 2);
    EXPECT_TRUE(MaterializeWrites(t, s.finder()).IsConflict()) << "not a document any more";
  }
  {
    Store s;
    s.PutPaths("doc", 1, v1, {});
    VersionEntry e;
    e.version = 2;
    e.value = Doc(R"({"a":1,"b":2})");
    e.expire_at_us = 500'000;  // before the transaction's clock (1'000'000)
    e.json_paths =
        std::make_shared<const std::vector<json_doc::Path>>(std::vector<json_doc::Path>{P("$.b")});
    s.Upsert(Key(K("doc"))).Add(std::move(e));
    TxnState t = SetPath(1, "doc", v1, "$.a", 2);
    EXPECT_TRUE(MaterializeWrites(t, s.finder()).IsConflict()) << "expired";
  }
}

TEST(MaterializeWrites, AnOpThatNoLongerAppliesIsAConflict) {
  Store s;
  const Value v1 = Doc(R"({"a":{"x":1}})");
  s.PutPaths("doc", 1, v1, {});
  TxnState t = Begin(1);
  WriteEntry& w = t.UpsertWrite(K("doc"));
  w.kind = WriteKind::kJsonPaths;
  w.value = Doc(R"({"a":{}})");
  w.json_ops.push_back(JsonPathOp{JsonPathOp::Kind::kDelete, P("$.a.x"), nullptr});
  s.PutPaths("doc", 2, Doc(R"({"b":1})"), {P("$.a"), P("$.b")});  // $.a is gone
  EXPECT_TRUE(MaterializeWrites(t, s.finder()).IsConflict());
}

TEST(MaterializeWrites, WholeValueWritesAreNotTouched) {
  Store s;
  s.Put("k", 1, "old");
  s.Put("k", 2, "newer");
  TxnState t = Begin(1);
  WritePut(t, "k", "mine");
  ASSERT_TRUE(MaterializeWrites(t, s.finder()).ok());
  ASSERT_EQ(t.writes.size(), 1u);
  EXPECT_EQ(t.writes[0].value, Value("mine"));
}

// The search index moves from the newest committed value to the written one; unchanged postings
// are not rewritten, and with the index off nothing is derived.
TEST(MaterializeWrites, DerivesSearchIndexWritesFromTheNewestCommittedValue) {
  auto posting = [](std::string_view term, std::string_view user) {
    std::string k = "p";
    k.append(term).push_back('\0');
    k.push_back(static_cast<char>(Tag::kKv));
    k.append(user);
    return K(k, Tag::kSearch);
  };
  Store s;
  TxnState first = Begin(0);
  first.search_index = true;
  WritePut(first, "k", "hello world");
  ASSERT_TRUE(MaterializeWrites(first, s.finder()).ok());
  const WriteEntry* hello = first.FindWrite(posting("hello", "k"));
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->kind, WriteKind::kPut);
  EXPECT_EQ(hello->value, Value(int64_t{1}));
  ASSERT_NE(first.FindWrite(posting("world", "k")), nullptr);
  ApplyWrites(first, 1, 0, s.upserter());

  TxnState second = Begin(1);
  second.search_index = true;
  WritePut(second, "k", "goodbye world");
  ASSERT_TRUE(MaterializeWrites(second, s.finder()).ok());
  std::vector<std::pair<std::string, WriteKind>> derived;
  for (const WriteEntry& w : second.writes) {
    if (w.key.tag() == Tag::kSearch) derived.emplace_back(std::string(w.key.view()), w.kind);
  }
  // "world" (and the key's own term "k") keep their frequency: not rewritten.
  std::sort(derived.begin(), derived.end());
  EXPECT_EQ(derived, (std::vector<std::pair<std::string, WriteKind>>{
                         {posting("goodbye", "k"), WriteKind::kPut},
                         {posting("hello", "k"), WriteKind::kDelete}}));

  TxnState off = Begin(1);
  WritePut(off, "k", "something else");
  ASSERT_TRUE(MaterializeWrites(off, s.finder()).ok());
  EXPECT_EQ(off.writes.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// ApplyWrites

TEST(ApplyWrites, InstallsEveryWriteAtTheCommitVersion) {
  Store s;
  s.Put("gone", 1, "was here");
  TxnState t = Begin(1);
  WritePut(t, "plain", "v");
  {
    WriteEntry& w = t.UpsertWrite(K("ttl"));
    w.value = "short lived";
    w.expire_at_us = 5'000'000;
  }
  t.UpsertWrite(K("gone")).kind = WriteKind::kDelete;
  {
    WriteEntry& w = t.UpsertWrite(K("doc"));
    w.kind = WriteKind::kJsonPaths;
    w.value = Doc(R"({"a":1})");
    w.json_paths = {P("$.a")};
  }
  ApplyWrites(t, 7, 1, s.upserter());

  const VersionEntry* plain = s.chain("plain").Newest();
  EXPECT_EQ(plain->version, 7u);
  EXPECT_EQ(plain->value, Value("v"));
  EXPECT_FALSE(plain->tombstone);
  EXPECT_EQ(plain->expire_at_us, 0);
  EXPECT_EQ(plain->json_paths, nullptr);

  const VersionEntry* ttl = s.chain("ttl").Newest();
  EXPECT_EQ(ttl->version, 7u);
  EXPECT_EQ(ttl->expire_at_us, 5'000'000);

  const VersionChain& gone = s.chain("gone");
  EXPECT_EQ(gone.size(), 2u);  // horizon 1: version 1 still readable
  EXPECT_TRUE(gone.Newest()->tombstone);
  EXPECT_EQ(gone.Newest()->version, 7u);
  EXPECT_EQ(gone.Newest()->value, Value());
  Version ver = 0;
  TimestampUs now = 0;
  EXPECT_TRUE(ReadVisible(&gone, 7, now, nullptr, &ver).IsNotFound());
  EXPECT_EQ(ver, 7u);

  const VersionEntry* doc = s.chain("doc").Newest();
  EXPECT_EQ(doc->version, 7u);
  ASSERT_NE(doc->json_paths, nullptr);
  EXPECT_EQ(*doc->json_paths, (std::vector<json_doc::Path>{P("$.a")}));
}

TEST(ApplyWrites, PrunesTouchedChainsToTheHorizon) {
  Store s;
  for (Version v : {1, 3, 5}) {
    s.Put("touched", v, static_cast<int64_t>(v));
    s.Put("untouched", v, static_cast<int64_t>(v));
  }
  TxnState t = Begin(5);
  WritePut(t, "touched", int64_t{7});
  ApplyWrites(t, 7, /*horizon=*/4, s.upserter());
  std::vector<Version> versions;
  const VersionChain& c = s.chain("touched");
  for (size_t i = 0; i < c.size(); ++i) versions.push_back(c.at(i).version);
  EXPECT_EQ(versions, (std::vector<Version>{3, 5, 7}));  // 3: what a snapshot at 4 reads
  EXPECT_EQ(c.Find(4)->value, Value(int64_t{3}));
  EXPECT_EQ(s.chain("untouched").size(), 3u);  // pruning happens only where a commit writes

  // Recovery applies with the horizon at the commit version: only the new entry stays.
  TxnState r = Begin(7);
  WritePut(r, "touched", int64_t{8});
  ApplyWrites(r, 8, 8, s.upserter());
  ASSERT_EQ(s.chain("touched").size(), 1u);
  EXPECT_EQ(s.chain("touched").Newest()->version, 8u);
}

// Through a partition: the horizon comes from the snapshot registry, so a snapshot still held
// keeps reading its version while commits prune.
TEST(ApplyWrites, AHeldSnapshotKeepsItsVersionThroughPruning) {
  Store s;
  StorePartition p(s);
  auto commit = [&p](int64_t value) {
    TxnState t = Begin(0);
    WritePut(t, "k", value);
    auto r = p.Commit(t);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->version : 0;
  };
  EXPECT_EQ(commit(1), 1u);
  EXPECT_EQ(commit(2), 2u);
  const Version held = p.AcquireSnapshot();
  EXPECT_EQ(held, 2u);
  for (int64_t i = 3; i <= 10; ++i) EXPECT_EQ(commit(i), static_cast<Version>(i));
  Value out;
  Version ver = 0;
  TimestampUs now = 0;
  ASSERT_TRUE(ReadVisible(s.Find(K("k")), held, now, &out, &ver).ok());
  EXPECT_EQ(out, Value(int64_t{2}));
  EXPECT_EQ(ver, 2u);
  EXPECT_EQ(s.chain("k").size(), 9u);  // 2..10: nothing a held snapshot reads was pruned
  p.ReleaseSnapshot();
  EXPECT_EQ(commit(11), 11u);
  ASSERT_EQ(s.chain("k").size(), 2u);  // the horizon was 10 at that commit: 10 and 11 remain
  EXPECT_EQ(s.chain("k").at(0).version, 10u);
}

}  // namespace
}  // namespace statelab
