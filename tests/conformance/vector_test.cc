// VectorStore: collections, every operation, every documented error, and exact search checked
// against a brute-force reference.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

using Floats = std::vector<float>;
using Strings = std::vector<std::string>;

template <class C>
class VectorConformance : public EngineTest<C> {
 protected:
  Strings Keys(std::string_view collection) {
    Strings keys;
    EXPECT_OK(this->db_->vectors().ListKeys(this->run_, collection, &keys));
    return keys;
  }
  Strings CollectionNames() {
    std::vector<CollectionInfo> all;
    EXPECT_OK(this->db_->vectors().ListCollections(this->run_, &all));
    Strings out;
    for (const CollectionInfo& c : all) out.push_back(c.name);
    return out;
  }
  std::vector<SearchHit> Search(std::string_view collection, const Floats& q, size_t k,
                                const boost::json::object& filter = {}) {
    std::vector<SearchHit> hits;
    EXPECT_OK(this->db_->vectors().Search(this->run_, collection, q, k, filter, &hits));
    return hits;
  }
};
ENGINE_TEST_SUITE(VectorConformance, ModeSet::kAll);

void ExpectInvalid(const Status& s, std::string_view needle) {
  ASSERT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string_view::npos) << s.ToString();
}

ENGINE_TEST(VectorConformance, CollectionLifecycle) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  ASSERT_OK(vec.CreateCollection(run, "b-docs", 3, VectorMetric::kEuclidean));
  ASSERT_OK(vec.CreateCollection(run, "a.docs_1", 2, VectorMetric::kDot));
  Result<Version> dup = vec.CreateCollection(run, "b-docs", 4, VectorMetric::kCosine);
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("b-docs"), std::string_view::npos);
  std::vector<CollectionInfo> all;
  ASSERT_OK(vec.ListCollections(run, &all));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a.docs_1");
  EXPECT_EQ(all[0].dimension, 2u);
  EXPECT_EQ(all[0].metric, VectorMetric::kDot);
  EXPECT_EQ(all[1].name, "b-docs");
  EXPECT_EQ(all[1].dimension, 3u);
  EXPECT_EQ(all[1].metric, VectorMetric::kEuclidean);
  EXPECT_GT(all[1].version, 0u);
  EXPECT_EQ(vec.GetCollection(run, "b-docs")->dimension, 3u);
  const Floats v{1, 2, 3};
  ASSERT_OK(vec.Upsert(run, "b-docs", "x", v));
  ASSERT_OK(vec.Upsert(run, "a.docs_1", "x", Floats{1, 2}));
  ASSERT_OK(vec.DeleteCollection(run, "b-docs"));
  EXPECT_TRUE(vec.DeleteCollection(run, "b-docs").status().IsNotFound());
  EXPECT_EQ(this->CollectionNames(), Strings{"a.docs_1"});
  EXPECT_TRUE(vec.Get(run, "b-docs", "x").status().IsNotFound());
  // A re-created collection starts empty, with its new dimension.
  ASSERT_OK(vec.CreateCollection(run, "b-docs", 5, VectorMetric::kCosine));
  EXPECT_EQ(*vec.Count(run, "b-docs"), 0u);
  EXPECT_EQ(*vec.Count(run, "a.docs_1"), 1u);  // the other collection is untouched
  for (VectorMetric m : {VectorMetric::kCosine, VectorMetric::kEuclidean, VectorMetric::kDot}) {
    EXPECT_EQ(*ParseMetric(MetricName(m)), m);
  }
  ExpectInvalid(ParseMetric("manhattan").status(), "metric");
}

ENGINE_TEST(VectorConformance, BadCollectionArgumentsChangeNothing) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  for (const std::string& bad : {std::string(), std::string(257, 'c'), std::string("a b"),
                                 std::string("a/b"), std::string("x\0y", 3)}) {
    Result<Version> r = vec.CreateCollection(run, bad, 3, VectorMetric::kCosine);
    ExpectInvalid(r.status(), "collection");
    EXPECT_NE(r.status().message().find("[A-Za-z0-9_.-]"), std::string_view::npos);
    EXPECT_NE(r.status().message().find("256"), std::string_view::npos);
  }
  ExpectInvalid(vec.CreateCollection(run, "c", 0, VectorMetric::kCosine).status(), "dimension");
  ExpectInvalid(vec.CreateCollection(run, "c", 65537, VectorMetric::kCosine).status(), "65536");
  EXPECT_TRUE(this->CollectionNames().empty());
  ASSERT_OK(vec.CreateCollection(run, std::string(256, 'c'), 65536, VectorMetric::kDot));
  ASSERT_OK(vec.CreateCollection(run, "c", 1, VectorMetric::kDot));
  // Every operation validates the collection name.
  std::vector<SearchHit> hits;
  Strings keys;
  ExpectInvalid(vec.Upsert(run, "a b", "k", Floats{1}).status(), "collection");
  ExpectInvalid(vec.Get(run, "a b", "k").status(), "collection");
  ExpectInvalid(vec.Delete(run, "a b", "k").status(), "collection");
  ExpectInvalid(vec.Count(run, "a b").status(), "collection");
  ExpectInvalid(vec.ListKeys(run, "a b", &keys), "collection");
  ExpectInvalid(vec.Search(run, "a b", Floats{1}, 1, {}, &hits), "collection");
  ExpectInvalid(vec.DeleteCollection(run, "a b").status(), "collection");
  // A missing collection is NotFound for every operation.
  EXPECT_TRUE(vec.Upsert(run, "nope", "k", Floats{1}).status().IsNotFound());
  EXPECT_TRUE(vec.Get(run, "nope", "k").status().IsNotFound());
  EXPECT_TRUE(vec.Delete(run, "nope", "k").status().IsNotFound());
  EXPECT_TRUE(vec.Count(run, "nope").status().IsNotFound());
  EXPECT_TRUE(vec.ListKeys(run, "nope", &keys).IsNotFound());
  EXPECT_TRUE(vec.Search(run, "nope", Floats{1}, 1, {}, &hits).IsNotFound());
  EXPECT_EQ(this->CollectionNames(), (Strings{"c", std::string(256, 'c')}));
}

ENGINE_TEST(VectorConformance, UpsertGetDeleteCountListKeys) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  ASSERT_OK(vec.CreateCollection(run, "c", 3, VectorMetric::kCosine));
  Result<Version> v1 = vec.Upsert(run, "c", "k2", Floats{1, 2, 3},
                                  boost::json::object{{"z", 1}, {"a", {{"y", 1}, {"b", 2}}}});
  ASSERT_OK(v1);
  ASSERT_OK(vec.Upsert(run, "c", "k1", Floats{-1.5f, 0, 1e-30f}));
  ASSERT_OK(vec.Upsert(run, "c", "k10", Floats{0, 0, 0}, boost::json::object{}));
  Result<VectorEntry> e = vec.Get(run, "c", "k2");
  ASSERT_OK(e);
  EXPECT_EQ(e->key, "k2");
  EXPECT_EQ(e->values, (Floats{1, 2, 3}));
  EXPECT_EQ(e->metadata, boost::json::value({{"z", 1}, {"a", {{"b", 2}, {"y", 1}}}}));
  EXPECT_EQ(e->version, *v1);
  EXPECT_EQ(vec.Get(run, "c", "k1")->values, (Floats{-1.5f, 0, 1e-30f}));
  EXPECT_TRUE(vec.Get(run, "c", "k1")->metadata.is_null());
  EXPECT_EQ(vec.Get(run, "c", "k10")->metadata, boost::json::value(boost::json::object{}));
  EXPECT_EQ(*vec.Count(run, "c"), 3u);
  EXPECT_EQ(this->Keys("c"), (Strings{"k1", "k10", "k2"}));
  // Overwrite.
  Result<Version> v2 = vec.Upsert(run, "c", "k2", Floats{3, 2, 1});
  ASSERT_OK(v2);
  EXPECT_GT(*v2, *v1);
  EXPECT_EQ(vec.Get(run, "c", "k2")->values, (Floats{3, 2, 1}));
  EXPECT_TRUE(vec.Get(run, "c", "k2")->metadata.is_null());
  EXPECT_TRUE(*vec.Delete(run, "c", "k2"));
  EXPECT_FALSE(*vec.Delete(run, "c", "k2"));
  EXPECT_TRUE(vec.Get(run, "c", "k2").status().IsNotFound());
  EXPECT_EQ(*vec.Count(run, "c"), 2u);
  EXPECT_EQ(this->Keys("c"), (Strings{"k1", "k10"}));
  // Keys may hold any bytes, up to the limit.
  const std::string odd("a\0b/\xff", 5);
  ASSERT_OK(vec.Upsert(run, "c", odd, Floats{1, 1, 1}));
  ASSERT_OK(vec.Upsert(run, "c", std::string(kMaxVectorKeyBytes, 'k'), Floats{1, 1, 1}));
  EXPECT_EQ(vec.Get(run, "c", odd)->values, (Floats{1, 1, 1}));
  EXPECT_EQ(*vec.Count(run, "c"), 4u);
}

ENGINE_TEST(VectorConformance, BadVectorsAreRejectedAndChangeNothing) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  ASSERT_OK(vec.CreateCollection(run, "c", 3, VectorMetric::kDot));
  ASSERT_OK(vec.Upsert(run, "c", "keep", Floats{1, 2, 3}, boost::json::object{{"m", 1}}));
  const Version before = vec.Get(run, "c", "keep")->version;
  Result<Version> wrong = vec.Upsert(run, "c", "keep", Floats{1, 2});
  ASSERT_EQ(wrong.status().code(), Code::kDimensionMismatch);
  EXPECT_EQ(wrong.status().a(), 3u);
  EXPECT_EQ(wrong.status().b(), 2u);
  EXPECT_EQ(vec.Upsert(run, "c", "new", Floats{1, 2, 3, 4}).status().code(),
            Code::kDimensionMismatch);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ExpectInvalid(vec.Upsert(run, "c", "keep", Floats{1, nan, 3}).status(), "vector[1]");
  ExpectInvalid(vec.Upsert(run, "c", "keep", Floats{-inf, 0, 3}).status(), "vector[0]");
  ExpectInvalid(vec.Upsert(run, "c", "keep", Floats{1, 2, 3}, boost::json::array{1}).status(),
                "metadata");
  ExpectInvalid(vec.Upsert(run, "c", "keep", Floats{1, 2, 3}, 5).status(), "metadata");
  boost::json::value deep = 1;
  for (int i = 0; i < 101; ++i) deep = boost::json::object{{"d", deep}};
  ExpectInvalid(vec.Upsert(run, "c", "keep", Floats{1, 2, 3}, deep).status(), "depth");
  ExpectInvalid(vec.Upsert(run, "c", "", Floats{1, 2, 3}).status(), "key");
  ExpectInvalid(
      vec.Upsert(run, "c", std::string(kMaxVectorKeyBytes + 1, 'k'), Floats{1, 2, 3}).status(),
      std::to_string(kMaxVectorKeyBytes));
  std::vector<SearchHit> hits;
  Status s = vec.Search(run, "c", Floats{1, 2}, 1, {}, &hits);
  ASSERT_EQ(s.code(), Code::kDimensionMismatch);
  EXPECT_EQ(s.a(), 3u);
  EXPECT_EQ(s.b(), 2u);
  ExpectInvalid(vec.Search(run, "c", Floats{nan, 0, 0}, 1, {}, &hits), "query[0]");
  ExpectInvalid(vec.Search(run, "c", Floats{1, 2, 3}, 0, {}, &hits), "k");
  // Nothing changed.
  Result<VectorEntry> e = vec.Get(run, "c", "keep");
  ASSERT_OK(e);
  EXPECT_EQ(e->values, (Floats{1, 2, 3}));
  EXPECT_EQ(e->metadata, boost::json::value({{"m", 1}}));
  EXPECT_EQ(e->version, before);
  EXPECT_EQ(this->Keys("c"), Strings{"keep"});
}

// The reference: every vector scored in double, filtered, sorted, cut to k.
struct Ref {
  std::string key;
  Floats v;
  boost::json::object meta;
};
double RefScore(VectorMetric m, const Floats& q, const Floats& v) {
  double dot = 0, qq = 0, vv = 0, l2 = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    dot += double{q[i]} * v[i];
    qq += double{q[i]} * q[i];
    vv += double{v[i]} * v[i];
    l2 += (double{q[i]} - v[i]) * (double{q[i]} - v[i]);
  }
  switch (m) {
    case VectorMetric::kCosine:
      return qq == 0 || vv == 0 ? 0 : dot / (std::sqrt(qq) * std::sqrt(vv));
    case VectorMetric::kEuclidean:
      return 1 / (1 + std::sqrt(l2));
    case VectorMetric::kDot:
      return dot;
  }
  return 0;
}
std::vector<std::pair<std::string, double>> BruteForce(VectorMetric m, const std::vector<Ref>& all,
                                                       const Floats& q, size_t k,
                                                       const boost::json::object& filter) {
  std::vector<std::pair<std::string, double>> out;
  for (const Ref& r : all) {
    bool ok = true;
    for (const auto& f : filter) {
      const boost::json::value* have = r.meta.if_contains(f.key());
      ok = ok && have != nullptr && *have == f.value();
    }
    if (ok) out.emplace_back(r.key, RefScore(m, q, r.v));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  if (out.size() > k) out.resize(k);
  return out;
}

ENGINE_TEST(VectorConformance, ExactSearchEqualsBruteForce) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  std::mt19937 rng(20240607);
  std::normal_distribution<float> normal(0, 1);
  constexpr uint32_t kDim = 24;
  constexpr int kVectors = 400;
  for (VectorMetric m : {VectorMetric::kCosine, VectorMetric::kEuclidean, VectorMetric::kDot}) {
    const std::string coll(MetricName(m));
    ASSERT_OK(vec.CreateCollection(run, coll, kDim, m));
    std::vector<Ref> all;
    for (int i = 0; i < kVectors; ++i) {
      Ref r;
      r.key = "v";
      r.key += std::to_string(i);
      for (uint32_t d = 0; d < kDim; ++d) r.v.push_back(normal(rng));
      r.meta = {{"group", i % 5}, {"even", i % 2 == 0}, {"tag", i % 3 == 0 ? "x" : "y"}};
      all.push_back(r);
    }
    // Written in a few transactions, in random order.
    std::vector<Ref> shuffled = all;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (size_t at = 0; at < shuffled.size(); at += 100) {
      ASSERT_OK(this->db_->Transaction(run, [&](auto& h) -> Status {
        for (size_t i = at; i < at + 100 && i < shuffled.size(); ++i) {
          STATELAB_RETURN_IF_ERROR(h.vectors().Upsert(coll, shuffled[i].key, shuffled[i].v,
                                                      boost::json::value(shuffled[i].meta)));
        }
        return Status::OK();
      }));
    }
    const std::vector<boost::json::object> filters = {
        {}, {{"group", 2}}, {{"group", 2}, {"even", true}}, {{"tag", "x"}}, {{"group", 9}}};
    for (int qi = 0; qi < 5; ++qi) {
      Floats q;
      for (uint32_t d = 0; d < kDim; ++d) q.push_back(normal(rng));
      for (size_t k : {size_t{1}, size_t{7}, size_t{50}, size_t{1000}}) {
        for (const boost::json::object& f : filters) {
          const auto want = BruteForce(m, all, q, k, f);
          const std::vector<SearchHit> got = this->Search(coll, q, k, f);
          ASSERT_EQ(got.size(), want.size())
              << coll << " k=" << k << " filter=" << boost::json::serialize(f);
          for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].key, want[i].first) << coll << " k=" << k << " #" << i;
            EXPECT_NEAR(got[i].score, want[i].second, 1e-9 * (1 + std::abs(want[i].second)));
            const int idx = std::stoi(got[i].key.substr(1));
            EXPECT_EQ(got[i].metadata, boost::json::value(all[idx].meta));
          }
        }
      }
    }
  }
}

ENGINE_TEST(VectorConformance, FilterAppliesBeforeTopK) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  ASSERT_OK(vec.CreateCollection(run, "c", 2, VectorMetric::kDot));
  for (int i = 0; i < 100; ++i) {
    // The three "rare" vectors score worst of all.
    const bool rare = i < 3;
    ASSERT_OK(vec.Upsert(run, "c", "k" + std::to_string(100 + i),
                         Floats{rare ? -100.0f - i : static_cast<float>(i), 0},
                         boost::json::object{{"kind", rare ? "rare" : "common"}, {"i", i}}));
  }
  ASSERT_OK(vec.Upsert(run, "c", "plain", Floats{50, 0}));  // no metadata: matches no filter
  const Floats q{1, 0};
  auto hits = this->Search("c", q, 3, {{"kind", "rare"}});
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].key, "k100");
  EXPECT_EQ(hits[1].key, "k101");
  EXPECT_EQ(hits[2].key, "k102");
  EXPECT_EQ(hits[0].score, -100.0);
  EXPECT_EQ(hits[0].metadata, boost::json::value({{"kind", "rare"}, {"i", 0}}));
  EXPECT_EQ(this->Search("c", q, 10, {{"kind", "rare"}}).size(), 3u);
  EXPECT_EQ(this->Search("c", q, 10, {{"kind", "rare"}, {"i", 1}}).size(), 1u);
  EXPECT_TRUE(this->Search("c", q, 10, {{"kind", "none"}}).empty());
  EXPECT_TRUE(this->Search("c", q, 10, {{"missing", nullptr}}).empty());
  EXPECT_EQ(this->Search("c", q, 1000, {}).size(), 101u);
  EXPECT_EQ(this->Search("c", q, 1, {})[0].key, "k199");
}

ENGINE_TEST(VectorConformance, ScoresAndTies) {
  auto vec = this->db_->vectors();
  const RunId& run = this->run_;
  ASSERT_OK(vec.CreateCollection(run, "cos", 2, VectorMetric::kCosine));
  ASSERT_OK(vec.CreateCollection(run, "l2", 2, VectorMetric::kEuclidean));
  ASSERT_OK(vec.CreateCollection(run, "dot", 2, VectorMetric::kDot));
  for (const char* c : {"cos", "l2", "dot"}) {
    ASSERT_OK(vec.Upsert(run, c, "b", Floats{3, 4}));
    ASSERT_OK(vec.Upsert(run, c, "a", Floats{3, 4}));  // a tie: key order decides
    ASSERT_OK(vec.Upsert(run, c, "zero", Floats{0, 0}));
  }
  const Floats q{3, 4};
  auto cos = this->Search("cos", q, 3);
  ASSERT_EQ(cos.size(), 3u);
  EXPECT_EQ(cos[0].key, "a");
  EXPECT_EQ(cos[1].key, "b");
  EXPECT_NEAR(cos[0].score, 1.0, 1e-12);
  EXPECT_EQ(cos[2].key, "zero");
  EXPECT_EQ(cos[2].score, 0.0);  // a zero vector has no direction
  auto l2 = this->Search("l2", q, 3);
  EXPECT_EQ(l2[0].key, "a");
  EXPECT_EQ(l2[0].score, 1.0);
  EXPECT_NEAR(l2[2].score, 1.0 / 6.0, 1e-12);  // distance 5
  auto dot = this->Search("dot", q, 3);
  EXPECT_EQ(dot[0].key, "a");
  EXPECT_EQ(dot[0].score, 25.0);
  EXPECT_EQ(dot[2].score, 0.0);
}

ENGINE_TEST(VectorConformance, WritesAreTransactional) {
  auto& db = *this->db_;
  const RunId& run = this->run_;
  ASSERT_OK(db.vectors().CreateCollection(run, "c", 2, VectorMetric::kDot));
  ASSERT_OK(db.vectors().Upsert(run, "c", "old", Floats{1, 0}));
  Result<Version> failed = db.Transaction(run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.vectors().Upsert("c", "new", Floats{2, 0}));
    STATELAB_ASSIGN_OR_RETURN(bool existed, h.vectors().Delete("c", "old"));
    EXPECT_TRUE(existed);
    // The transaction sees its own writes.
    std::vector<SearchHit> hits;
    STATELAB_RETURN_IF_ERROR(h.vectors().Search("c", Floats{1, 0}, 5, {}, &hits));
    EXPECT_EQ(hits.size(), 1u);
    if (!hits.empty()) {
      EXPECT_EQ(hits[0].key, "new");
    }
    EXPECT_EQ(*h.vectors().Count("c"), 1u);
    STATELAB_RETURN_IF_ERROR(h.vectors().CreateCollection("d", 1, VectorMetric::kCosine));
    return Status::InvalidArgument("abort on purpose");
  });
  EXPECT_EQ(failed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(this->Keys("c"), Strings{"old"});
  EXPECT_EQ(this->CollectionNames(), Strings{"c"});
  // Collection and vectors created and deleted in one transaction.
  ASSERT_OK(db.Transaction(run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.vectors().CreateCollection("e", 1, VectorMetric::kCosine));
    STATELAB_RETURN_IF_ERROR(h.vectors().Upsert("e", "x", Floats{1}));
    return h.vectors().DeleteCollection("c");
  }));
  EXPECT_EQ(this->CollectionNames(), Strings{"e"});
  EXPECT_EQ(this->Keys("e"), Strings{"x"});
}

ENGINE_TEST(VectorConformance, DeleteCollectionConflictsWithConcurrentUpsert) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  const RunId& run = this->run_;
  ASSERT_OK(db.vectors().CreateCollection(run, "c", 1, VectorMetric::kDot));
  TxnOptions no_retry;
  no_retry.retry.max_retries = 0;
  Result<Version> upsert = db.Transaction(
      run,
      [&](auto& h) -> Status {
        STATELAB_RETURN_IF_ERROR(h.vectors().Upsert("c", "x", Floats{1}));
        std::thread t([&] { EXPECT_OK(db.vectors().DeleteCollection(run, "c")); });
        t.join();
        return Status::OK();
      },
      no_retry);
  EXPECT_EQ(upsert.status().code(), Code::kConflict);
  EXPECT_TRUE(this->CollectionNames().empty());
  ASSERT_OK(db.vectors().CreateCollection(run, "c", 1, VectorMetric::kDot));
  EXPECT_EQ(*db.vectors().Count(run, "c"), 0u);  // no orphan vector
}

// A search at an older snapshot sees exactly the vectors committed at or before it, even after a
// newer search has cached the collection's matrix with later writes; an own uncommitted write is
// seen by its transaction only.
ENGINE_TEST(VectorConformance, SearchAtOlderSnapshotSeesNoLaterVectors) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  const RunId& run = this->run_;
  ASSERT_OK(db.vectors().CreateCollection(run, "c", 2, VectorMetric::kDot));
  ASSERT_OK(db.vectors().Upsert(run, "c", "a", Floats{1, 0}));
  ASSERT_OK(db.vectors().Upsert(run, "c", "b", Floats{2, 0}));
  const Floats q{1, 0};
  auto keys_scores = [](const std::vector<SearchHit>& hits) {
    std::vector<std::pair<std::string, double>> out;
    for (const SearchHit& h : hits) out.emplace_back(h.key, h.score);
    return out;
  };
  using KS = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(keys_scores(this->Search("c", q, 10)), (KS{{"b", 2.0}, {"a", 1.0}}));  // cached
  ASSERT_OK(db.Read(run, [&](auto& h) -> Status {
    auto search_here = [&] {
      std::vector<SearchHit> hits;
      EXPECT_OK(h.vectors().Search("c", q, 10, {}, &hits));
      return keys_scores(hits);
    };
    EXPECT_EQ(search_here(), (KS{{"b", 2.0}, {"a", 1.0}}));  // the cached snapshot: no scan
    std::thread t([&] {
      EXPECT_OK(db.vectors().Upsert(run, "c", "a", Floats{5, 0}).status());  // changed
      EXPECT_OK(db.vectors().Upsert(run, "c", "c", Floats{3, 0}).status());  // added
      EXPECT_OK(db.vectors().Delete(run, "c", "b").status());                // removed
      // The newest snapshot, cached now.
      EXPECT_EQ(keys_scores(this->Search("c", q, 10)), (KS{{"a", 5.0}, {"c", 3.0}}));
    });
    t.join();
    EXPECT_EQ(search_here(), (KS{{"b", 2.0}, {"a", 1.0}}));  // a newer matrix, checked by a scan
    EXPECT_EQ(search_here(), (KS{{"b", 2.0}, {"a", 1.0}}));  // this snapshot's again
    return Status::OK();
  }));
  Result<Version> own = db.Transaction(run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.vectors().Upsert("c", "d", Floats{4, 0}));
    std::vector<SearchHit> hits;
    STATELAB_RETURN_IF_ERROR(h.vectors().Search("c", q, 10, {}, &hits));
    EXPECT_EQ(keys_scores(hits), (KS{{"a", 5.0}, {"d", 4.0}, {"c", 3.0}}));
    return Status::InvalidArgument("discard");
  });
  EXPECT_FALSE(own.ok());
  EXPECT_EQ(keys_scores(this->Search("c", q, 10)), (KS{{"a", 5.0}, {"c", 3.0}}));
  // An own delete hides a committed row from its transaction only.
  Result<Version> own_delete = db.Transaction(run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.vectors().Delete("c", "c").status());
    std::vector<SearchHit> hits;
    STATELAB_RETURN_IF_ERROR(h.vectors().Search("c", q, 10, {}, &hits));
    EXPECT_EQ(keys_scores(hits), (KS{{"a", 5.0}}));
    return Status::InvalidArgument("discard");
  });
  EXPECT_FALSE(own_delete.ok());
  EXPECT_EQ(keys_scores(this->Search("c", q, 10)), (KS{{"a", 5.0}, {"c", 3.0}}));
}

}  // namespace
}  // namespace statelab::testing_util
