// What a YCSB workload draws (workloads/core_ops.h): the op mix matches the proportions within 1%
// over 100k ops, scan lengths follow maxscanlength and their distribution, the request
// distributions put their weight where YCSB does, key names never collide, and the start-key
// scan built from prefix scans returns what an ordered seek would.
#include "workloads/core_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace statelab::workloads {
namespace {

CoreWorkload Parse(const std::string& text) {
  Result<CoreWorkload> w = ParseCoreWorkload(text, "t", "t");
  EXPECT_TRUE(w.ok()) << w.error().ToString();
  return w.ok() ? *w : CoreWorkload{};
}

constexpr uint64_t kDraws = 100000;

TEST(CoreOps, OpMixMatchesTheProportionsWithinOnePercent) {
  const CoreWorkload w = Parse(
      "recordcount=1000\nreadproportion=0.35\nupdateproportion=0.25\ninsertproportion=0.05\n"
      "scanproportion=0.15\nreadmodifywriteproportion=0.2\nrequestdistribution=zipfian\n");
  OpStream s(w, 7);
  std::array<uint64_t, kOpKinds> n{};
  for (uint64_t i = 0; i < kDraws; ++i) ++n[static_cast<int>(s.Next().kind)];
  const double want[kOpKinds] = {0.35, 0.25, 0.05, 0.15, 0.2};
  for (int k = 0; k < kOpKinds; ++k) {
    EXPECT_NEAR(static_cast<double>(n[k]) / kDraws, want[k], 0.01) << "kind " << k;
  }
  EXPECT_EQ(s.records(), 1000 + n[static_cast<int>(OpKind::kInsert)]);
}

TEST(CoreOps, ACoreMixWithOneKindOnlyDrawsOnlyIt) {
  const CoreWorkload w = Parse("readproportion=1\nupdateproportion=0\n");
  OpStream s(w, 1);
  for (uint64_t i = 0; i < 10000; ++i) ASSERT_EQ(s.Next().kind, OpKind::kRead);
}

std::vector<uint32_t> ScanLengths(const std::string& dist, uint64_t max) {
  const CoreWorkload w = Parse(
      "readproportion=0\nupdateproportion=0\nscanproportion=1\n"
      "maxscanlength=" +
      std::to_string(max) + "\nscanlengthdistribution=" + dist + "\n");
  OpStream s(w, 3);
  std::vector<uint32_t> out;
  for (uint64_t i = 0; i < kDraws; ++i) out.push_back(s.Next().scan_length);
  return out;
}

TEST(CoreOps, UniformScanLengthsCoverOneToMax) {
  const std::vector<uint32_t> l = ScanLengths("uniform", 100);
  EXPECT_EQ(*std::min_element(l.begin(), l.end()), 1u);
  EXPECT_EQ(*std::max_element(l.begin(), l.end()), 100u);
  double sum = 0;
  for (uint32_t x : l) sum += x;
  EXPECT_NEAR(sum / kDraws, 50.5, 0.5);
}

TEST(CoreOps, ZipfianScanLengthsFavourShortScans) {
  const std::vector<uint32_t> l = ScanLengths("zipfian", 100);
  EXPECT_GE(*std::min_element(l.begin(), l.end()), 1u);
  EXPECT_LE(*std::max_element(l.begin(), l.end()), 100u);
  const auto ones = std::count(l.begin(), l.end(), 1u);
  double zeta = 0;  // P(length 1) = 1 / zeta(100, 0.99), about 0.19
  for (int i = 1; i <= 100; ++i) zeta += 1 / std::pow(i, 0.99);
  EXPECT_NEAR(static_cast<double>(ones) / kDraws, 1 / zeta, 0.01);
  EXPECT_EQ(ScanLengths("zipfian", 1), std::vector<uint32_t>(kDraws, 1));
}

TEST(CoreOps, HotspotPutsItsOperationFractionOnItsDataFraction) {
  const CoreWorkload w = Parse(
      "recordcount=10000\nrequestdistribution=hotspot\n"
      "hotspotdatafraction=0.1\nhotspotopnfraction=0.9\n");
  OpStream s(w, 5);
  uint64_t hot = 0, reads = 0;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const Op op = s.Next();
    if (op.kind == OpKind::kInsert) continue;
    ASSERT_LT(op.key, 10000u);
    ++reads;
    hot += op.key < 1000;
  }
  EXPECT_NEAR(static_cast<double>(hot) / reads, 0.9, 0.01);
}

TEST(CoreOps, LatestFavoursTheNewestRecords) {
  const CoreWorkload w = Parse(
      "recordcount=1000\nreadproportion=0.9\nupdateproportion=0\n"
      "insertproportion=0.1\nrequestdistribution=latest\n");
  OpStream s(w, 9);
  uint64_t newest = 0, reads = 0;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const Op op = s.Next();
    if (op.kind != OpKind::kRead) continue;
    ASSERT_LT(op.key, s.records());
    ++reads;
    newest += op.key == s.records() - 1;
  }
  // P(rank 0) of a zipfian over 1000 items at 0.99 ~ 0.133.
  EXPECT_NEAR(static_cast<double>(newest) / reads, 0.133, 0.02);
}

// threadcount clients: each draws its own ops; their inserts take disjoint key numbers above the
// loaded records, and latest reads only records its client knows (loaded or its own inserts).
TEST(CoreOps, ClientsInsertDisjointKeysAndReadOnlyKeysTheyKnow) {
  const CoreWorkload w = Parse(
      "recordcount=1000\nreadproportion=0.5\nupdateproportion=0\n"
      "insertproportion=0.5\nrequestdistribution=latest\nthreadcount=3\n");
  std::set<uint64_t> inserted;
  std::vector<Op> first_ops;
  for (uint32_t c = 0; c < 3; ++c) {
    OpStream s(w, ClientSeed(7, c), c, 3);
    std::set<uint64_t> mine;
    for (uint64_t i = 0; i < 10000; ++i) {
      const Op op = s.Next();
      ASSERT_LT(op.key, s.records());
      if (op.kind == OpKind::kInsert) {
        ASSERT_EQ((op.key - 1000) % 3, c) << op.key;
        ASSERT_TRUE(inserted.insert(op.key).second) << "key " << op.key << " inserted twice";
        mine.insert(op.key);
      } else if (op.key >= 1000) {
        ASSERT_TRUE(mine.contains(op.key)) << "client " << c << " read " << op.key;
      }
      if (i == 0) first_ops.push_back(op);
    }
  }
  EXPECT_GT(inserted.size(), 14000u);
  // Clients draw different streams; client 0 of 1 draws what a plain OpStream draws.
  EXPECT_FALSE(first_ops[0].kind == first_ops[1].kind && first_ops[0].key == first_ops[1].key &&
               first_ops[1].kind == first_ops[2].kind && first_ops[1].key == first_ops[2].key);
  OpStream plain(w, 7), client0(w, ClientSeed(7, 0), 0, 1);
  for (int i = 0; i < 1000; ++i) {
    const Op a = plain.Next(), b = client0.Next();
    ASSERT_EQ(a.kind, b.kind);
    ASSERT_EQ(a.key, b.key);
  }
}

TEST(CoreOps, UniformRequestsCoverTheRecords) {
  const CoreWorkload w = Parse("recordcount=10\n");
  OpStream s(w, 2);
  std::array<uint64_t, 10> n{};
  for (uint64_t i = 0; i < kDraws; ++i) ++n[s.Next().key];
  for (uint64_t c : n) EXPECT_NEAR(static_cast<double>(c) / kDraws, 0.1, 0.01);
}

TEST(CoreOps, HashedKeyNamesAreFixedWidthAndDistinct) {
  const CoreWorkload w = Parse("recordcount=1000\n");
  const KeySpace space(w);
  EXPECT_EQ(space.digits(), 5);
  EXPECT_EQ(space.capacity(), 100000u);
  std::set<std::string> names;
  for (uint64_t k = 0; k < space.capacity(); ++k) names.insert(space.Name(k));
  EXPECT_EQ(names.size(), space.capacity());
  EXPECT_EQ(names.begin()->size(), 4u + 5u);
  EXPECT_NE(space.Name(0), "user00000");  // hashed: not the key number
}

TEST(CoreOps, OrderedKeyNamesAreTheKeyNumbers) {
  const CoreWorkload w = Parse("recordcount=1000\ninsertorder=ordered\n");
  const KeySpace space(w);
  EXPECT_EQ(space.Name(42), "user0000000042");
}

TEST(CoreOps, RecordValuesHaveFieldcountFieldsOfFieldlength) {
  const CoreWorkload c = Parse("fieldcount=4\nfieldlength=25\n");
  for (const std::string& v : RecordValues(c, 16, 1)) EXPECT_EQ(v.size(), 100u);
  const CoreWorkload u = Parse("fieldcount=4\nfieldlength=25\nfieldlengthdistribution=uniform\n");
  std::set<size_t> sizes;
  for (const std::string& v : RecordValues(u, 256, 1)) {
    EXPECT_GE(v.size(), 4u);
    EXPECT_LE(v.size(), 100u);
    sizes.insert(v.size());
  }
  EXPECT_GT(sizes.size(), 10u);
}

// A sorted key set scanned by prefix, as an engine would.
struct FakePrefixScans {
  std::set<std::string> keys;
  int scans = 0;
  template <class F>
  Status operator()(std::string_view prefix, F& fn) {
    ++scans;
    for (auto it = keys.lower_bound(std::string(prefix));
         it != keys.end() && it->starts_with(prefix); ++it) {
      if (!fn(*it)) break;
    }
    return Status::OK();
  }
};

TEST(CoreOps, ScanFromByDigitsEqualsASeek) {
  for (const char* order : {"hashed", "ordered"}) {
    const CoreWorkload w = Parse(std::string("recordcount=2000\ninsertorder=") + order + "\n");
    const KeySpace space(w);
    FakePrefixScans fake;
    for (uint64_t k = 0; k < 2000; ++k) fake.keys.insert(space.Name(k));
    Xoshiro256 rng(11);
    std::vector<std::string> got;
    for (int q = 0; q < 500; ++q) {
      const std::string start = space.Name(rng.Below(3000));  // some starts are absent keys
      const uint64_t count = 1 + rng.Below(120);
      ASSERT_TRUE(ScanFromByDigits(start, count, fake, &got).ok());
      std::vector<std::string> want;
      for (auto it = fake.keys.lower_bound(start); it != fake.keys.end() && want.size() < count;
           ++it) {
        want.push_back(*it);
      }
      ASSERT_EQ(got, want) << order << " from " << start << " count " << count;
    }
  }
}

}  // namespace
}  // namespace statelab::workloads
