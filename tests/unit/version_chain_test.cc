// VersionChain and the reads over chains (engines/core/chain_reads.h) on their own: append,
// visibility at a snapshot (the newest entry at or below it), tombstones (a deleted key's version
// is its tombstone's), expiry, pruning below a horizon, ordered scans and dump chunks.
#include "engines/core/version_chain.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/api/key.h"
#include "engines/api/value.h"
#include "engines/core/chain_reads.h"

namespace statelab {
namespace {

// Reads take their attempt's `now` by reference (resolved at first use); a fixed time for a call.
struct At {
  TimestampUs t;
  operator TimestampUs&() { return t; }  // NOLINT(google-explicit-constructor): call sites
};

VersionEntry Put(Version v, Value value, TimestampUs expire_at_us = 0) {
  VersionEntry e;
  e.version = v;
  e.value = std::move(value);
  e.expire_at_us = expire_at_us;
  return e;
}

VersionEntry Tombstone(Version v) {
  VersionEntry e;
  e.version = v;
  e.tombstone = true;
  return e;
}

std::vector<Version> Versions(const VersionChain& c) {
  std::vector<Version> out;
  for (size_t i = 0; i < c.size(); ++i) out.push_back(c.at(i).version);
  return out;
}

// A chain holding "v2"@2, "v5"@5, "v9"@9.
VersionChain ThreeVersions() {
  VersionChain c;
  c.Add(Put(2, "v2"));
  c.Add(Put(5, "v5"));
  c.Add(Put(9, "v9"));
  return c;
}

TEST(VersionChain, EmptyChain) {
  VersionChain c;
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.Find(100), nullptr);
  EXPECT_EQ(c.Newest(), nullptr);
  EXPECT_EQ(c.NewestVersion(), 0u);
  c.Prune(100);
  EXPECT_TRUE(c.empty());
}

TEST(VersionChain, AddKeepsEntriesOldestFirst) {
  VersionChain c = ThreeVersions();
  EXPECT_FALSE(c.empty());
  EXPECT_EQ(Versions(c), (std::vector<Version>{2, 5, 9}));
  ASSERT_NE(c.Newest(), nullptr);
  EXPECT_EQ(c.Newest()->version, 9u);
  EXPECT_EQ(c.Newest()->value, Value("v9"));
  EXPECT_EQ(c.NewestVersion(), 9u);
}

TEST(VersionChain, FindReturnsTheNewestEntryAtOrBelowTheSnapshot) {
  const VersionChain c = ThreeVersions();
  EXPECT_EQ(c.Find(0), nullptr);
  EXPECT_EQ(c.Find(1), nullptr);
  const std::vector<std::pair<Version, Version>> cases = {{2, 2}, {3, 2}, {4, 2},  {5, 5},
                                                          {8, 5}, {9, 9}, {10, 9}, {1000, 9}};
  for (const auto& [snap, want] : cases) {
    const VersionEntry* e = c.Find(snap);
    ASSERT_NE(e, nullptr) << "snapshot " << snap;
    EXPECT_EQ(e->version, want) << "snapshot " << snap;
    EXPECT_EQ(e->value, Value("v" + std::to_string(want))) << "snapshot " << snap;
  }
}

TEST(VersionChain, ForEachNewerThanVisitsOnlyNewerEntriesOldestFirst) {
  const VersionChain c = ThreeVersions();
  auto newer = [&c](Version snap) {
    std::vector<Version> out;
    c.ForEachNewerThan(snap, [&out](const VersionEntry& e) { out.push_back(e.version); });
    return out;
  };
  EXPECT_EQ(newer(0), (std::vector<Version>{2, 5, 9}));
  EXPECT_EQ(newer(2), (std::vector<Version>{5, 9}));
  EXPECT_EQ(newer(6), (std::vector<Version>{9}));
  EXPECT_EQ(newer(9), (std::vector<Version>{}));
}

// The clock is read at the first entry with an expiry, once: later checks reuse that time.
TEST(VersionChain, LiveReadsTheClockOnlyForAnExpiringEntryAndOnce) {
  TimestampUs now = kNowUnread;
  EXPECT_TRUE(Put(1, "x").Live(now));
  EXPECT_FALSE(Tombstone(1).Live(now));
  EXPECT_EQ(now, kNowUnread);
  const TimestampUs before = NowMicros();
  EXPECT_TRUE(Put(1, "x", before + 3'600'000'000).Live(now));
  EXPECT_GE(now, before);
  const TimestampUs first = now;
  EXPECT_FALSE(Put(1, "x", first).Live(now));  // expiry is exclusive, at the same reading
  EXPECT_EQ(now, first);
}

TEST(VersionChain, LiveIsFalseForTombstonesAndExpiredEntries) {
  EXPECT_TRUE(Put(1, "x").Live(At{0}));
  EXPECT_TRUE(Put(1, "x").Live(At{1'000'000'000}));
  EXPECT_TRUE(Put(1, "x", 100).Live(At{99}));
  EXPECT_FALSE(Put(1, "x", 100).Live(At{100}));  // expiry is exclusive
  EXPECT_FALSE(Put(1, "x", 100).Live(At{101}));
  EXPECT_FALSE(Tombstone(1).Live(At{0}));
}

TEST(VersionChain, PruneKeepsTheNewestEntryAtOrBelowTheHorizonAndNewerOnes) {
  {
    VersionChain c = ThreeVersions();
    c.Prune(1);  // nothing at or below 1: nothing can go
    EXPECT_EQ(Versions(c), (std::vector<Version>{2, 5, 9}));
  }
  {
    VersionChain c = ThreeVersions();
    c.Prune(2);  // 2 is the newest <= 2: kept
    EXPECT_EQ(Versions(c), (std::vector<Version>{2, 5, 9}));
  }
  {
    VersionChain c = ThreeVersions();
    c.Prune(6);  // 5 serves snapshots 5..8; 2 is unreachable
    EXPECT_EQ(Versions(c), (std::vector<Version>{5, 9}));
    ASSERT_NE(c.Find(6), nullptr);
    EXPECT_EQ(c.Find(6)->value, Value("v5"));
    EXPECT_EQ(c.Find(4), nullptr);  // below the horizon: no snapshot reads there any more
  }
  {
    VersionChain c = ThreeVersions();
    c.Prune(5);
    EXPECT_EQ(Versions(c), (std::vector<Version>{5, 9}));
  }
  {
    VersionChain c = ThreeVersions();
    c.Prune(9);
    EXPECT_EQ(Versions(c), (std::vector<Version>{9}));
    EXPECT_EQ(c.Find(9)->value, Value("v9"));
  }
  {
    VersionChain c = ThreeVersions();
    c.Prune(1000);
    EXPECT_EQ(Versions(c), (std::vector<Version>{9}));
  }
}

TEST(VersionChain, PruneIsIdempotentAndNeverMovesBackwards) {
  VersionChain c = ThreeVersions();
  c.Prune(6);
  c.Prune(6);
  EXPECT_EQ(Versions(c), (std::vector<Version>{5, 9}));
  c.Prune(3);  // an older horizon cannot bring anything back, nor drop anything
  EXPECT_EQ(Versions(c), (std::vector<Version>{5, 9}));
}

TEST(VersionChain, PruneKeepsATombstoneThatIsTheNewestAtTheHorizon) {
  VersionChain c;
  c.Add(Put(3, "a"));
  c.Add(Put(4, "b"));
  c.Add(Tombstone(7));
  c.Prune(100);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c.at(0).tombstone);
  EXPECT_EQ(c.NewestVersion(), 7u);
  // A tombstone below the horizon with a newer put is unreachable and goes.
  c.Add(Put(12, "again"));
  c.Prune(12);
  EXPECT_EQ(Versions(c), (std::vector<Version>{12}));
  EXPECT_FALSE(c.at(0).tombstone);
}

TEST(ChainReads, ReadVisibleOfANeverStoredKeyIsNotFoundAtVersionZero) {
  Value out = "untouched";
  Version ver = 99;
  EXPECT_TRUE(ReadVisible(nullptr, 10, At{0}, &out, &ver).IsNotFound());
  EXPECT_EQ(ver, 0u);
  EXPECT_EQ(out, Value("untouched"));
  VersionChain c = ThreeVersions();
  ver = 99;
  EXPECT_TRUE(ReadVisible(&c, 1, At{0}, &out, &ver).IsNotFound());  // before the first version
  EXPECT_EQ(ver, 0u);
}

TEST(ChainReads, ReadVisibleReturnsTheValueAndVersionAtTheSnapshot) {
  const VersionChain c = ThreeVersions();
  Value out;
  Version ver = 0;
  ASSERT_TRUE(ReadVisible(&c, 7, At{0}, &out, &ver).ok());
  EXPECT_EQ(out, Value("v5"));
  EXPECT_EQ(ver, 5u);
  ASSERT_TRUE(ReadVisible(&c, 9, At{0}, &out, &ver).ok());
  EXPECT_EQ(out, Value("v9"));
  EXPECT_EQ(ver, 9u);
  // Null out and null version: only the status.
  EXPECT_TRUE(ReadVisible(&c, 9, At{0}, nullptr, nullptr).ok());
}

TEST(ChainReads, ADeletedKeysVersionIsItsTombstones) {
  VersionChain c;
  c.Add(Put(3, "alive"));
  c.Add(Tombstone(7));
  Value out;
  Version ver = 0;
  ASSERT_TRUE(ReadVisible(&c, 6, At{0}, &out, &ver).ok());
  EXPECT_EQ(out, Value("alive"));
  EXPECT_EQ(ver, 3u);
  out = Value("untouched");
  EXPECT_TRUE(ReadVisible(&c, 7, At{0}, &out, &ver).IsNotFound());
  EXPECT_EQ(ver, 7u);
  EXPECT_EQ(out, Value("untouched"));
  EXPECT_TRUE(ReadVisible(&c, 50, At{0}, &out, &ver).IsNotFound());
  EXPECT_EQ(ver, 7u);
  // After garbage collection the answer is the same.
  c.Prune(50);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(ReadVisible(&c, 50, At{0}, &out, &ver).IsNotFound());
  EXPECT_EQ(ver, 7u);
}

TEST(ChainReads, ExpiredEntryIsNotFoundWithItsVersionAndExpiryIsPassedToTheCallback) {
  VersionChain c;
  c.Add(Put(4, "ttl", /*expire_at_us=*/1000));
  int calls = 0;
  TimestampUs seen_expiry = -1;
  const Value* seen = nullptr;
  // ViewVisible is noexcept: the callback only records, the checks run after it.
  auto fn = [&](const Value& v, TimestampUs expire_at_us) noexcept {
    ++calls;
    seen_expiry = expire_at_us;
    seen = &v;
  };
  Version ver = 0;
  ASSERT_TRUE(ViewVisible(&c, 4, At{999}, fn, &ver).ok());
  EXPECT_EQ(calls, 1);
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(*seen, Value("ttl"));
  EXPECT_EQ(seen_expiry, 1000);
  EXPECT_EQ(ver, 4u);
  ver = 0;
  EXPECT_TRUE(ViewVisible(&c, 4, At{1000}, fn, &ver).IsNotFound());
  EXPECT_EQ(calls, 1);  // not called for an expired entry
  EXPECT_EQ(ver, 4u);
  // An older snapshot sees no entry at all.
  EXPECT_TRUE(ViewVisible(&c, 3, At{0}, fn, &ver).IsNotFound());
  EXPECT_EQ(ver, 0u);
}

using ChainMap = std::map<Key, VersionChain, KeyLess>;

const RunId kRun = RunId::Random();

Key K(std::string_view user) { return Key(kRun, Tag::kKv, user); }

// a/1 live, a/2 deleted at 6, a/3 expires at 500, a/4 only from version 8, b/1 outside "a/".
ChainMap SampleMap() {
  ChainMap m;
  m[K("a/1")].Add(Put(1, "one"));
  m[K("a/2")].Add(Put(2, "two"));
  m[K("a/2")].Add(Tombstone(6));
  m[K("a/3")].Add(Put(3, "three", 500));
  m[K("a/4")].Add(Put(8, "four"));
  m[K("b/1")].Add(Put(4, "b-one"));
  return m;
}

struct Seen {
  std::string user_key;
  Value value;
  Version version;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::vector<Seen> ScanAll(const ChainMap& m, std::string_view user_prefix, Version snap,
                          TimestampUs now, size_t stop_after = 1000) {
  std::vector<Seen> out;
  auto fn = [&](std::string_view k, const Value& v, Version ver) {
    out.push_back(Seen{std::string(k.substr(kKeyPrefixBytes)), v, ver});
    return out.size() < stop_after;
  };
  KeyBuf prefix(kRun, Tag::kKv, user_prefix);
  ScanVisible(m, prefix.view(), snap, now, fn);
  return out;
}

TEST(ChainReads, ScanVisibleReturnsLiveEntriesUnderThePrefixInKeyOrder) {
  const ChainMap m = SampleMap();
  EXPECT_EQ(ScanAll(m, "a/", 5, 0),
            (std::vector<Seen>{{"a/1", "one", 1}, {"a/2", "two", 2}, {"a/3", "three", 3}}));
  // At 9: a/2 deleted, a/4 exists; at now=500 a/3 has expired.
  EXPECT_EQ(ScanAll(m, "a/", 9, 500), (std::vector<Seen>{{"a/1", "one", 1}, {"a/4", "four", 8}}));
  EXPECT_EQ(ScanAll(m, "b/", 9, 0), (std::vector<Seen>{{"b/1", "b-one", 4}}));
  EXPECT_EQ(ScanAll(m, "c/", 9, 0), (std::vector<Seen>{}));
  // The whole tag, and stopping early.
  EXPECT_EQ(ScanAll(m, "", 9, 0).size(), 4u);
  EXPECT_EQ(ScanAll(m, "", 9, 0, 2), (std::vector<Seen>{{"a/1", "one", 1}, {"a/3", "three", 3}}));
}

TEST(ChainReads, ScanVisibleWorksOverAMapOfChainPointers) {
  const ChainMap owner = SampleMap();
  std::map<std::string_view, const VersionChain*> index;
  for (const auto& [k, c] : owner) index.emplace(k.view(), &c);
  std::vector<std::string> keys;
  auto fn = [&](std::string_view k, const Value&, Version) {
    keys.emplace_back(k.substr(kKeyPrefixBytes));
    return true;
  };
  KeyBuf prefix(kRun, Tag::kKv, "a/");
  ScanVisible(index, prefix.view(), 9, At{0}, fn);
  EXPECT_EQ(keys, (std::vector<std::string>{"a/1", "a/3", "a/4"}));
}

TEST(ChainReads, CopyDumpChunkEmitsTombstonesAndExpiredEntriesInChunks) {
  const ChainMap m = SampleMap();
  std::string resume;
  std::vector<DumpItem> chunk;
  std::vector<std::pair<std::string, Version>> all;
  std::vector<bool> tombstones;
  int chunks = 0;
  for (bool done = false; !done; ++chunks) {
    done = CopyDumpChunk(m, 7, 2, &resume, &chunk);
    EXPECT_LE(chunk.size(), 2u);
    for (const DumpItem& d : chunk) {
      all.emplace_back(std::string(d.key.user_key()), d.entry.version);
      tombstones.push_back(d.entry.tombstone);
    }
    ASSERT_LT(chunks, 10);
  }
  EXPECT_EQ(chunks, 3);  // 5 keys, 2 per chunk
  // At 7: a/4 does not exist yet (version 8); a/2 is its tombstone; a/3 is expired but dumped.
  EXPECT_EQ(all, (std::vector<std::pair<std::string, Version>>{
                     {"a/1", 1}, {"a/2", 6}, {"a/3", 3}, {"b/1", 4}}));
  EXPECT_EQ(tombstones, (std::vector<bool>{false, true, false, false}));
}

}  // namespace
}  // namespace statelab
