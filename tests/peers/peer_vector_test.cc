// The vector peers score by the metric of our collections: FAISS IndexFlat's exact top-10 equals
// our VectorStore's exact search on the same data, and so does ExactTopK (the reference recall is
// computed against); recall@10 counts hits, ties and misses right; hnswlib's recall on random
// data is what an HNSW index at these settings gives.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engines/btree/btree_engine.h"
#include "engines/peers/peer_list.h"
#include "engines/primitives/database.h"
#include "workloads/generators.h"

namespace statelab::peers {
namespace {

constexpr uint32_t kDim = 32;
constexpr uint64_t kRows = 500;
constexpr size_t kK = 10;

std::vector<float> RandomRows(uint64_t n, uint32_t dim, uint64_t seed) {
  workloads::Xoshiro256 rng(seed);
  std::vector<float> rows(n * dim);
  for (float& x : rows) x = static_cast<float>(rng.NextDouble() * 2 - 1);
  return rows;
}

std::span<const float> Row(const std::vector<float>& rows, uint64_t r, uint32_t dim) {
  return std::span<const float>(rows).subspan(r * dim, dim);
}

// Our VectorStore's exact top-k over the same rows (keys are zero-padded row numbers).
class OurVectors {
 public:
  explicit OurVectors(const std::vector<float>& rows, uint32_t dim = kDim) {
    db_ = std::move(Database<BTreeEngine>::Open(DbOptions{}).value());
    run_ = RunId::Random();
    EXPECT_TRUE(db_->vectors().CreateCollection(run_, "c", dim, VectorMetric::kCosine).ok());
    for (uint64_t r = 0; r < rows.size() / dim; ++r) {
      EXPECT_TRUE(
          db_->vectors().Upsert(run_, "c", workloads::KeyName("", r, 6), Row(rows, r, dim)).ok());
    }
  }
  std::vector<int64_t> Search(std::span<const float> q) {
    std::vector<SearchHit> hits;
    EXPECT_TRUE(db_->vectors().Search(run_, "c", q, kK, boost::json::object(), &hits).ok());
    std::vector<int64_t> ids;
    ids.reserve(hits.size());
    for (const SearchHit& h : hits) ids.push_back(std::stoll(h.key));
    return ids;
  }

 private:
  std::unique_ptr<Database<BTreeEngine>> db_;
  RunId run_;
};

TEST(ExactTopK, EqualsOurVectorStore) {
  const std::vector<float> rows = RandomRows(kRows, kDim, 1);
  OurVectors ours(rows);
  const std::vector<float> queries = RandomRows(20, kDim, 2);
  for (uint64_t q = 0; q < 20; ++q) {
    EXPECT_EQ(ExactTopK(kDim, rows, Row(queries, q, kDim), kK), ours.Search(Row(queries, q, kDim)))
        << "query " << q;
  }
}

// FAISS's top-10 equals ours for every query, on the first search (which builds our matrix) and
// on the later ones (which reuse it).
void ExpectFaissTopTenEqualsOurs(uint32_t dim, uint64_t rows_n, uint64_t seed) {
  if constexpr (!FaissFlatPeer::kAvailable) {
    GTEST_SKIP() << "faiss unavailable: " << FaissFlatPeer::kWhyNotAvailable;
  } else {
    const std::vector<float> rows = RandomRows(rows_n, dim, seed);
    OurVectors ours(rows, dim);
    auto faiss = FaissFlatPeer::Build(dim, rows);
    ASSERT_TRUE(faiss.ok()) << faiss.status().ToString();
    const std::vector<float> queries = RandomRows(20, dim, seed + 1);
    std::vector<int64_t> ids;
    for (int round = 0; round < 2; ++round) {
      for (uint64_t q = 0; q < 20; ++q) {
        ASSERT_TRUE((*faiss)->Search(Row(queries, q, dim), kK, &ids).ok());
        EXPECT_EQ(ids, ours.Search(Row(queries, q, dim))) << "query " << q << " round " << round;
      }
    }
    EXPECT_EQ((*faiss)->Search(std::vector<float>(dim + 1), kK, &ids).code(),
              Code::kDimensionMismatch);
  }
}

TEST(FaissFlat, TopTenEqualsOurVectorStore) { ExpectFaissTopTenEqualsOurs(kDim, kRows, 3); }

TEST(FaissFlat, TopTenEqualsOurVectorStoreAt128Dims) { ExpectFaissTopTenEqualsOurs(128, 3000, 7); }

TEST(RecallAtK, CountsHitsMissesAndTies) {
  // Rows 0..9 score 1 - r/100 against the query (unit x axis); rows 10, 11 duplicate row 9.
  std::vector<float> rows;
  auto add = [&](float x) {
    rows.push_back(x);
    rows.push_back(std::sqrt(1 - x * x));
  };
  const float xs[] = {1.0f, 0.99f, 0.98f, 0.97f, 0.96f, 0.95f, 0.94f, 0.93f, 0.92f, 0.91f};
  for (float x : xs) add(x);
  add(xs[9]);
  add(xs[9]);
  add(-1.0f);  // row 12: the worst
  const std::vector<float> q = {1.0f, 0.0f};
  const std::vector<int64_t> exact = ExactTopK(2, rows, q, 10);
  EXPECT_DOUBLE_EQ(RecallAtK(2, rows, q, exact, 10), 1.0);
  // A duplicate of the 10th best instead of it is a hit (a tie), the worst row is a miss.
  std::vector<int64_t> tie = exact;
  tie.back() = 11;
  EXPECT_DOUBLE_EQ(RecallAtK(2, rows, q, tie, 10), 1.0);
  std::vector<int64_t> miss = exact;
  miss[0] = 12;
  miss[1] = 12;  // a repeated id counts once
  EXPECT_DOUBLE_EQ(RecallAtK(2, rows, q, miss, 10), 0.8);
  EXPECT_DOUBLE_EQ(RecallAtK(2, rows, q, std::vector<int64_t>{0, 1}, 10), 0.2);
  EXPECT_DOUBLE_EQ(RecallAtK(2, rows, q, std::vector<int64_t>{-1, 99}, 10), 0.0);
}

TEST(Hnswlib, RecallAtTenOnRandomData) {
  if constexpr (!HnswlibPeer::kAvailable) {
    GTEST_SKIP() << "hnswlib unavailable: " << HnswlibPeer::kWhyNotAvailable;
  } else {
    const std::vector<float> rows = RandomRows(2000, kDim, 5);
    auto hnsw = HnswlibPeer::Build(kDim, rows);
    ASSERT_TRUE(hnsw.ok()) << hnsw.status().ToString();
    const std::vector<float> queries = RandomRows(50, kDim, 6);
    std::vector<int64_t> ids;
    double sum = 0;
    for (uint64_t q = 0; q < 50; ++q) {
      ASSERT_TRUE((*hnsw)->Search(Row(queries, q, kDim), kK, &ids).ok());
      ASSERT_EQ(ids.size(), kK);
      sum += RecallAtK(kDim, rows, Row(queries, q, kDim), ids, kK);
    }
    // HNSW at M=16, ef=64 on 2000 random 32-d rows finds nearly all true neighbours; an index
    // that ignored the metric would score near 10/2000.
    EXPECT_GT(sum / 50, 0.9);
    EXPECT_LE(sum / 50, 1.0);
  }
}

}  // namespace
}  // namespace statelab::peers
