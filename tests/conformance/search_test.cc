// Search: BM25 rankings checked against hand computations, the index kept in the commit (aborted,
// deleted, overwritten and expired data never found), recovery, extraction from every primitive,
// filters, RRF fusion and the budget. Typed over every engine x mode: identical on every engine and mode.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

template <class C>
class SearchConformance : public EngineTest<C> {
 protected:
  // The hand-built corpus (KV keys are text too, so each key is one more term):
  //   a: "apple banana apple"         terms a, apple x2, banana  -> length 4
  //   b: "banana cherry"              terms b, banana, cherry    -> length 3
  //   c: "cherry cherry cherry date"  terms c, cherry x3, date   -> length 5
  // N = 3, average length = (4 + 3 + 5) / 3 = 4.
  void PutCorpus() {
    auto kv = this->db_->kv();
    ASSERT_OK(kv.Put(this->run_, "a", "apple banana apple"));
    ASSERT_OK(kv.Put(this->run_, "b", "banana cherry"));
    ASSERT_OK(kv.Put(this->run_, "c", "cherry cherry cherry date"));
  }
  SearchResult Keyword(std::string_view q, const SearchOptions& o = {}) {
    Result<SearchResult> r = this->db_->search().Keyword(this->run_, q, o);
    EXPECT_OK(r);
    return r.ok() ? std::move(r).value() : SearchResult{};
  }
};
ENGINE_TEST_SUITE(SearchConformance, ModeSet::kAll);

// "primitive:key" of each match, in rank order.
std::vector<std::string> Docs(const SearchResult& r) {
  std::vector<std::string> out;
  for (const SearchMatch& m : r.matches)
    out.push_back(std::string(TagName(m.primitive)) + ":" + m.key);
  return out;
}
using Strings = std::vector<std::string>;
using Floats = std::vector<float>;

ENGINE_TEST(SearchConformance, Bm25ScoresMatchHandComputation) {
  this->PutCorpus();
  // "apple": n = 1, IDF = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)) = ln(2.666...) = 0.9808292530117263.
  // a: tf = 2, dl = 4: IDF * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 4/4)) = IDF * 4.4 / 3.2
  //    = 1.3486402228911236.
  SearchResult r = this->Keyword("Apple");
  EXPECT_EQ(Docs(r), Strings({"kv:a"}));
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_NEAR(r.matches[0].score, 1.3486402228911236, 1e-12);
  EXPECT_EQ(r.documents, 3u);
  EXPECT_FALSE(r.truncated);

  // "banana cherry": both terms have n = 2, IDF = ln(1 + (3 - 2 + 0.5) / 2.5) = ln(1.6)
  // = 0.47000362924573563.
  // b: banana tf 1, dl 3: 2.2 / (1 + 1.2 * (0.25 + 0.75 * 3/4)) = 2.2 / 1.975; the same for
  //    cherry: 2 * IDF * 2.2 / 1.975 = 1.047096693003158.
  // c: cherry tf 3, dl 5: IDF * 6.6 / (3 + 1.2 * (0.25 + 0.75 * 5/4)) = IDF * 6.6 / 4.425
  //    = 0.7010223622648261.
  // a: banana tf 1, dl 4: IDF * 2.2 / 2.2 = 0.47000362924573563.
  r = this->Keyword("banana, CHERRY banana");  // duplicate query terms count once
  EXPECT_EQ(Docs(r), Strings({"kv:b", "kv:c", "kv:a"}));
  ASSERT_EQ(r.matches.size(), 3u);
  EXPECT_NEAR(r.matches[0].score, 1.047096693003158, 1e-12);
  EXPECT_NEAR(r.matches[1].score, 0.7010223622648261, 1e-12);
  EXPECT_NEAR(r.matches[2].score, 0.47000362924573563, 1e-12);
  EXPECT_EQ(r.matches[0].keyword_rank, 1u);
  EXPECT_EQ(r.matches[2].keyword_rank, 3u);
  ASSERT_EQ(r.matches[0].fields.size(), 1u);
  EXPECT_EQ(r.matches[0].fields[0].path, "value");
  EXPECT_EQ(r.matches[0].fields[0].text, "banana cherry");

  SearchOptions o;
  o.limit = 2;
  EXPECT_EQ(Docs(this->Keyword("banana cherry", o)), Strings({"kv:b", "kv:c"}));
  EXPECT_TRUE(this->Keyword("durian").matches.empty());
  EXPECT_TRUE(this->Keyword("  ,. ").matches.empty());
}

ENGINE_TEST(SearchConformance, EqualScoresRankByKey) {
  auto kv = this->db_->kv();
  ASSERT_OK(kv.Put(this->run_, "k2", "same words"));
  ASSERT_OK(kv.Put(this->run_, "k1", "same words"));
  ASSERT_OK(this->db_->state().Set(this->run_, "k0", "same words"));
  SearchResult r = this->Keyword("same");
  // kv (tag 1) sorts before state (tag 3); within kv, key order.
  EXPECT_EQ(Docs(r), Strings({"kv:k1", "kv:k2", "state:k0"}));
  EXPECT_EQ(r.matches[0].score, r.matches[2].score);
}

ENGINE_TEST(SearchConformance, AbortedWritesAreNeverFound) {
  this->PutCorpus();
  Result<Version> r = this->db_->Transaction(this->run_, [](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put("z", "zebra apple"));
    STATELAB_RETURN_IF_ERROR(h.kv().Delete("a").status());
    return Status::InvalidArgument("abort on purpose");
  });
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(this->Keyword("zebra").matches.empty());
  SearchResult s = this->Keyword("apple");
  EXPECT_EQ(Docs(s), Strings({"kv:a"}));
  EXPECT_EQ(s.documents, 3u);
}

ENGINE_TEST(SearchConformance, DeletedAndOverwrittenTextIsNotFound) {
  this->PutCorpus();
  auto kv = this->db_->kv();
  ASSERT_TRUE(*kv.Delete(this->run_, "a"));
  EXPECT_TRUE(this->Keyword("apple").matches.empty());
  ASSERT_OK(kv.Put(this->run_, "b", "elderberry fig"));
  EXPECT_TRUE(this->Keyword("banana").matches.empty());
  EXPECT_EQ(Docs(this->Keyword("cherry")), Strings({"kv:c"}));
  SearchResult r = this->Keyword("fig");
  EXPECT_EQ(Docs(r), Strings({"kv:b"}));
  EXPECT_EQ(r.documents, 2u);
  // Non-text values have no text but the key.
  ASSERT_OK(kv.Put(this->run_, "c", int64_t{7}));
  EXPECT_TRUE(this->Keyword("cherry").matches.empty());
  EXPECT_EQ(Docs(this->Keyword("c")), Strings({"kv:c"}));
  // Several writes of one key in one transaction: only the last counts.
  ASSERT_OK(this->db_->Transaction(this->run_, [](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put("g", "grape"));
    return h.kv().Put("g", "guava");
  }));
  EXPECT_TRUE(this->Keyword("grape").matches.empty());
  EXPECT_EQ(Docs(this->Keyword("guava")), Strings({"kv:g"}));
}

ENGINE_TEST(SearchConformance, ExpiredValuesAreNotFound) {
  auto kv = this->db_->kv();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK(kv.PutWithTtl(this->run_, "t", "transient words", std::chrono::milliseconds(20)));
  ASSERT_OK(kv.Put(this->run_, "p", "permanent words"));
  SearchResult before = this->Keyword("words");
  // A Strict put waits for an fdatasync, which a loaded machine can stretch past the ttl.
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(10)) {
    EXPECT_EQ(Docs(before), Strings({"kv:p", "kv:t"}));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  SearchResult r = this->Keyword("words transient");
  EXPECT_EQ(Docs(r), Strings({"kv:p"}));
  EXPECT_EQ(r.documents, 1u);
}

ENGINE_TEST(SearchConformance, ResultsSurviveReopen) {
  if (this->mode() == DurabilityMode::kInMemory) GTEST_SKIP() << "nothing outlives a reopen";
  this->PutCorpus();
  ASSERT_OK(this->db_->kv().Delete(this->run_, "c"));
  ASSERT_OK(this->db_->events().Append(this->run_, "note", {{"text", "cherry pie"}}));
  const SearchResult before = this->Keyword("banana cherry apple");
  ASSERT_EQ(Docs(before), Strings({"kv:a", "kv:b", "event:0"}));
  auto same = [&](const SearchResult& after) {
    EXPECT_EQ(Docs(after), Docs(before));
    ASSERT_EQ(after.matches.size(), before.matches.size());
    for (size_t i = 0; i < after.matches.size(); ++i) {
      EXPECT_EQ(after.matches[i].score, before.matches[i].score);
    }
    EXPECT_EQ(after.documents, before.documents);
  };
  this->Reopen();  // recovery replays the log
  same(this->Keyword("banana cherry apple"));
  ASSERT_OK(this->db_->Snapshot());
  this->Reopen();  // recovery loads the snapshot
  same(this->Keyword("banana cherry apple"));
}

ENGINE_TEST(SearchConformance, EveryPrimitiveIsSearchable) {
  auto& db = *this->db_;
  const RunId& run = this->run_;
  ASSERT_OK(db.kv().Put(run, "kvkey", boost::json::value{{"nested", {{"word", "alpha"}}}}));
  ASSERT_OK(db.events().Append(run, "deploy", {{"target", "beta"}}));
  ASSERT_OK(db.state().Set(run, "cell", "gamma"));
  ASSERT_OK(db.json().Create(run, "doc1",
                             boost::json::value{{"title", "delta"}, {"list", {"x", "epsilon"}}}));
  Result<Recorded> tr =
      db.traces().Record(run, trace::Thought{"zeta thinking", 0.5}, {"eta"}, {{"note", "theta"}});
  ASSERT_OK(tr);
  ASSERT_OK(db.vectors().CreateCollection(run, "col", 2, VectorMetric::kDot));
  ASSERT_OK(
      db.vectors().Upsert(run, "col", "vec", Floats{1, 0}, boost::json::object{{"m", "iota"}}));

  auto only = [&](std::string_view q, const std::string& doc, const std::string& path,
                  const std::string& text) {
    SearchResult r = this->Keyword(q);
    ASSERT_EQ(Docs(r), Strings({doc})) << q;
    if (path.empty()) {  // member names are indexed, never shown
      EXPECT_TRUE(r.matches[0].fields.empty()) << q;
      return;
    }
    ASSERT_EQ(r.matches[0].fields.size(), 1u) << q;
    EXPECT_EQ(r.matches[0].fields[0].path, path) << q;
    EXPECT_EQ(r.matches[0].fields[0].text, text) << q;
  };
  only("alpha", "kv:kvkey", "value.nested.word", "alpha");
  only("nested", "kv:kvkey", "", "");
  only("beta", "event:0", "payload.target", "beta");
  only("deploy", "event:0", "type", "deploy");
  only("gamma", "state:cell", "value", "gamma");
  only("delta", "json:doc1", "$.title", "delta");
  only("epsilon", "json:doc1", "$.list[1]", "epsilon");
  only("zeta", "trace:" + tr->id, "body.content", "zeta thinking");
  only("eta", "trace:" + tr->id, "tags[0]", "eta");
  only("theta", "trace:" + tr->id, "metadata.note", "theta");
  EXPECT_TRUE(this->Keyword("iota").matches.empty());  // vectors are found by hybrid search

  // A JSON path edit re-indexes the whole document.
  ASSERT_OK(db.json().Set(run, "doc1", "$.title", "kappa"));
  EXPECT_TRUE(this->Keyword("delta").matches.empty());
  EXPECT_EQ(Docs(this->Keyword("kappa epsilon")), Strings({"json:doc1"}));

  // Run metadata lives in the meta run, and so does its index.
  ASSERT_OK(db.runs().CreateRun("lambda-run", std::nullopt, {"mu"}, {{"owner", "nu"}}));
  Result<SearchResult> runs = db.search().Keyword(RunId::Meta(), "lambda mu nu");
  ASSERT_OK(runs);
  EXPECT_EQ(Docs(*runs), Strings({"run:lambda-run"}));
}

ENGINE_TEST(SearchConformance, DeleteRunRemovesItsIndex) {
  auto& db = *this->db_;
  Result<RunId> run = db.runs().CreateRun("doomed");
  ASSERT_OK(run);
  ASSERT_OK(db.kv().Put(*run, "k", "omicron"));
  EXPECT_EQ(Docs(*db.search().Keyword(*run, "omicron")), Strings({"kv:k"}));
  ASSERT_OK(db.runs().DeleteRun("doomed"));
  Result<SearchResult> r = db.search().Keyword(*run, "omicron");
  ASSERT_OK(r);
  EXPECT_TRUE(r->matches.empty());
  EXPECT_EQ(r->documents, 0u);
}

ENGINE_TEST(SearchConformance, FiltersByPrimitiveAndTime) {
  auto& db = *this->db_;
  const RunId& run = this->run_;
  ASSERT_OK(db.kv().Put(run, "k", "shared"));
  ASSERT_OK(db.events().Append(run, "e", {{"t", "shared"}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const TimestampUs mid = NowMicros();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_OK(db.events().Append(run, "e", {{"t", "shared"}}));
  SearchOptions o;
  o.primitives = {Tag::kEvent};
  EXPECT_EQ(Docs(this->Keyword("shared", o)), Strings({"event:0", "event:1"}));
  o.start_us = mid;
  EXPECT_EQ(Docs(this->Keyword("shared", o)), Strings({"event:1"}));
  o.primitives.clear();  // KV has no time: a time range never matches it
  EXPECT_EQ(Docs(this->Keyword("shared", o)), Strings({"event:1"}));
  o.start_us.reset();
  o.end_us = mid;
  EXPECT_EQ(Docs(this->Keyword("shared", o)), Strings({"event:0"}));

  SearchOptions bad;
  bad.primitives = {Tag::kVector};
  EXPECT_EQ(db.search().Keyword(run, "x", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.limit = 0;
  EXPECT_EQ(db.search().Keyword(run, "x", bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.start_us = 5;
  bad.end_us = 5;
  EXPECT_EQ(db.search().Keyword(run, "x", bad).status().code(), Code::kInvalidArgument);
}

ENGINE_TEST(SearchConformance, HybridFusesByReciprocalRank) {
  this->PutCorpus();
  auto& db = *this->db_;
  ASSERT_OK(db.vectors().CreateCollection(this->run_, "emb", 2, VectorMetric::kDot));
  // Vector keys name KV keys. Query (1, 0) with dot scores: a 3, c 2, x 1.
  ASSERT_OK(db.vectors().Upsert(this->run_, "emb", "c", Floats{2, 0}));
  ASSERT_OK(db.vectors().Upsert(this->run_, "emb", "a", Floats{3, 0}));
  ASSERT_OK(db.vectors().Upsert(this->run_, "emb", "x", Floats{1, 0}));
  VectorQuery q;
  q.collection = "emb";
  q.embedding = {1, 0};
  q.k = 3;
  q.key_primitive = Tag::kKv;
  // Keyword ranks (see Bm25ScoresMatchHandComputation): b 1, c 2, a 3. Vector ranks: a 1, c 2,
  // x 3. RRF: a = 1/63 + 1/61 = 0.0322664..., c = 1/62 + 1/62 = 0.0322580...,
  // b = 1/61 = 0.0163934..., x = 1/63 = 0.0158730...
  Result<SearchResult> r = db.search().Hybrid(this->run_, "banana cherry", q);
  ASSERT_OK(r);
  EXPECT_EQ(Docs(*r), Strings({"kv:a", "kv:c", "kv:b", "kv:x"}));
  ASSERT_EQ(r->matches.size(), 4u);
  EXPECT_NEAR(r->matches[0].score, 1.0 / 63 + 1.0 / 61, 1e-15);
  EXPECT_NEAR(r->matches[1].score, 2.0 / 62, 1e-15);
  EXPECT_EQ(r->matches[0].keyword_rank, 3u);
  EXPECT_EQ(r->matches[0].vector_rank, 1u);
  EXPECT_EQ(r->matches[3].keyword_rank, 0u);
  EXPECT_EQ(r->matches[2].fields.size(), 1u);  // keyword hits keep their matched fields

  // Equal fused scores rank by document: keyword-only "b" (1/61) and vector-only "a" (1/61).
  q.k = 1;
  SearchOptions o;
  o.limit = 5;
  r = db.search().Hybrid(this->run_, "banana cherry", q, o);
  ASSERT_OK(r);
  EXPECT_EQ(Docs(*r), Strings({"kv:a", "kv:b"}));
  // Vectors that are their own documents.
  q.key_primitive.reset();
  r = db.search().Hybrid(this->run_, "banana cherry", q, o);
  ASSERT_OK(r);
  EXPECT_EQ(Docs(*r), Strings({"kv:b", "vector:a"}));

  q.k = 0;
  EXPECT_EQ(db.search().Hybrid(this->run_, "x", q).status().code(), Code::kInvalidArgument);
}

ENGINE_TEST(SearchConformance, BudgetTruncatesAndSaysSo) {
  this->PutCorpus();
  SearchOptions o;
  o.max_candidates = 2;  // "banana" has 2 postings, "cherry" 2 more: only banana is read
  SearchResult r = this->Keyword("banana cherry", o);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.truncated_reason, "candidates");
  EXPECT_EQ(r.postings_read, 2u);
  EXPECT_EQ(Docs(r), Strings({"kv:b", "kv:a"}));  // banana alone: dl 3 beats dl 4
  o.max_candidates = 4;
  r = this->Keyword("banana cherry", o);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.matches.size(), 3u);

  ASSERT_OK(this->db_->Transaction(this->run_, [](auto& h) -> Status {
    for (int i = 0; i < 2000; ++i) {
      STATELAB_RETURN_IF_ERROR(h.kv().Put("bulk" + std::to_string(i), "common filler text"));
    }
    return Status::OK();
  }));
  SearchOptions t;
  t.time_budget = std::chrono::microseconds(1);
  r = this->Keyword("common filler", t);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.truncated_reason, "time");
}

ENGINE_TEST(SearchConformance, IndexCanBeTurnedOff) {
  if (this->mode() == DurabilityMode::kInMemory) GTEST_SKIP() << "needs a reopen";
  this->PutCorpus();
  this->opts_.search_index = false;
  this->Reopen();
  ASSERT_OK(this->db_->kv().Put(this->run_, "n", "unindexed"));
  EXPECT_TRUE(this->Keyword("unindexed").matches.empty());
  EXPECT_EQ(Docs(this->Keyword("apple")), Strings({"kv:a"}));  // what was indexed stays
}

}  // namespace
}  // namespace statelab::testing_util
