// SQLite FTS5's bm25 top-10 and our keyword search's agree on a fixed corpus (the same
// tokenization, k1 and b; only the IDF differs, docs/peers.md): at least 9 of 10 documents in
// common for every query, and the best document the same. Queries are tokenized as ours are
// (case, punctuation), and a query without a token finds nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engines/btree/btree_engine.h"
#include "engines/peers/peer_list.h"
#include "engines/primitives/database.h"
#include "workloads/generators.h"

namespace statelab::peers {
namespace {

constexpr uint64_t kDocs = 2000;
constexpr size_t kK = 10;

// kDocs documents of 12 words drawn uniformly from 400 ("w000".."w399"); each document's text
// is its key and its words, as our index reads a KV document.
struct Corpus {
  std::vector<std::string> keys, words, texts;
};

Corpus MakeCorpus() {
  Corpus c;
  c.keys = workloads::KeyNames("doc", kDocs, 5);
  c.words = workloads::KeyNames("w", 400, 3);
  workloads::Xoshiro256 rng(11);
  for (uint64_t d = 0; d < kDocs; ++d) {
    std::string t;
    for (int w = 0; w < 12; ++w) t += ' ' + c.words[rng.Next() % c.words.size()];
    c.texts.push_back(t.substr(1));
  }
  return c;
}

TEST(SqliteFts5, TopTenSharesNineWithOurKeywordSearch) {
  if constexpr (!Fts5Peer::kAvailable) {
    GTEST_SKIP() << "sqlite fts5 unavailable: " << Fts5Peer::kWhyNotAvailable;
  } else {
    const Corpus c = MakeCorpus();
    auto db = std::move(Database<BTreeEngine>::Open(DbOptions{}).value());
    const RunId run = RunId::Random();
    std::vector<std::string> peer_texts;
    for (uint64_t d = 0; d < kDocs; ++d) {
      ASSERT_TRUE(db->kv().Put(run, c.keys[d], Value(c.texts[d])).ok());
      peer_texts.push_back(c.keys[d] + ' ' + c.texts[d]);
    }
    auto fts = Fts5Peer::Build(peer_texts);
    ASSERT_TRUE(fts.ok()) << fts.status().ToString();
    workloads::Xoshiro256 rng(12);
    std::vector<int64_t> ids;
    for (int q = 0; q < 40; ++q) {
      const std::string query = c.words[rng.Next() % c.words.size()] + ' ' +
                                c.words[rng.Next() % c.words.size()];
      auto ours = db->search().Keyword(run, query, SearchOptions{});
      ASSERT_TRUE(ours.ok()) << ours.status().ToString();
      ASSERT_TRUE((*fts)->Search(query, kK, &ids).ok());
      ASSERT_EQ(ids.size(), ours->matches.size()) << query;
      size_t common = 0;
      for (const SearchMatch& m : ours->matches) {
        common += std::count_if(ids.begin(), ids.end(),
                                [&](int64_t id) { return c.keys[id] == m.key; });
      }
      EXPECT_GE(common, 9u) << query;
      ASSERT_FALSE(ids.empty()) << query;
      EXPECT_EQ(c.keys[ids[0]], ours->matches[0].key) << query;
    }
  }
}

TEST(SqliteFts5, QueriesAreTokenizedAsOurs) {
  if constexpr (!Fts5Peer::kAvailable) {
    GTEST_SKIP() << "sqlite fts5 unavailable: " << Fts5Peer::kWhyNotAvailable;
  } else {
    const std::vector<std::string> texts = {"disk full on node7", "Disk quota", "network down"};
    auto fts = Fts5Peer::Build(texts);
    ASSERT_TRUE(fts.ok()) << fts.status().ToString();
    std::vector<int64_t> ids;
    ASSERT_TRUE((*fts)->Search("DISK, \"full\" OR", kK, &ids).ok());  // operators are words
    EXPECT_EQ(ids, (std::vector<int64_t>{0, 1}));
    ASSERT_TRUE((*fts)->Search("node7", kK, &ids).ok());
    EXPECT_EQ(ids, (std::vector<int64_t>{0}));
    ASSERT_TRUE((*fts)->Search(" ,;- ", kK, &ids).ok());
    EXPECT_TRUE(ids.empty());
  }
}

}  // namespace
}  // namespace statelab::peers
