// TraceStore: every operation and every documented error, the indexes, and concurrent records.
#include <chrono>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

using Ids = std::vector<std::string>;

template <class C>
class TraceConformance : public EngineTest<C> {
 protected:
  std::string MustRecord(const TraceBody& body, const std::vector<std::string>& tags = {},
                         std::optional<std::string_view> parent = std::nullopt) {
    Result<Recorded> r = this->db_->traces().Record(this->run_, body, tags, {}, parent);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : std::string();
  }
  static Ids IdsOf(const Result<std::vector<Trace>>& r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Ids out;
    if (r.ok()) {
      for (const Trace& t : *r) out.push_back(t.id);
    }
    return out;
  }
  void ExpectInvalid(const Status& s, std::string_view field, std::string_view detail = "") {
    ASSERT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(field), std::string_view::npos) << s.ToString();
    EXPECT_NE(s.message().find(detail), std::string_view::npos) << s.ToString();
  }
};
ENGINE_TEST_SUITE(TraceConformance, ModeSet::kAll);

trace::Thought Thought(std::string content) { return trace::Thought{std::move(content), {}}; }

std::vector<TraceBody> OneOfEachType() {
  return {
      trace::ToolCall{"search", {{"q", "cats"}}, boost::json::value{{"hits", 3}}, 1500},
      trace::Decision{"which?", {"a", "b"}, "b", "b is cheaper"},
      trace::Query{"vector", "nearest cats", 5},
      trace::Thought{"maybe cats", 0.75},
      trace::Error{"timeout", "tool took too long", true},
      trace::Custom{"plan", {{"steps", boost::json::array{1, 2}}}},
      trace::ToolCall{"noop", nullptr, std::nullopt, std::nullopt},  // optionals absent
  };
}

ENGINE_TEST(TraceConformance, RecordAndGetEveryType) {
  auto traces = this->db_->traces();
  const boost::json::object metadata = {{"model", "m1"}, {"tokens", 12}};
  const std::vector<TraceBody> bodies = OneOfEachType();
  Ids ids;
  for (const TraceBody& b : bodies) {
    Result<Recorded> r = traces.Record(this->run_, b, {"z", "a", "z"}, metadata);
    ASSERT_OK(r);
    EXPECT_GT(r->version, 0u);
    ids.push_back(r->id);
  }
  EXPECT_EQ(ids.front(), "0000000000000000");
  EXPECT_EQ(ids.back(), "0000000000000006");
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));  // ids sort by creation
  for (size_t i = 0; i < bodies.size(); ++i) {
    Result<Trace> t = traces.Get(this->run_, ids[i]);
    ASSERT_OK(t);
    EXPECT_EQ(t->id, ids[i]);
    EXPECT_EQ(KindOf(t->body), KindOf(bodies[i]));
    EXPECT_EQ(TraceBodyToJson(t->body), TraceBodyToJson(bodies[i]));
    EXPECT_EQ(t->tags, (std::vector<std::string>{"a", "z"}));  // sorted, unique
    EXPECT_EQ(t->metadata, metadata);
    EXPECT_FALSE(t->parent_id.has_value());
    EXPECT_GT(t->timestamp_us, 0);
    EXPECT_GT(t->version, 0u);
  }
  Result<Trace> first = traces.Get(this->run_, ids[0]);
  const auto& tool = std::get<trace::ToolCall>(first->body);
  EXPECT_EQ(tool.duration_us, 1500);
  EXPECT_EQ(*tool.result, (boost::json::value{{"hits", 3}}));
  EXPECT_EQ(std::get<trace::Thought>(traces.Get(this->run_, ids[3])->body).confidence, 0.75);
  EXPECT_EQ(*traces.Count(this->run_), bodies.size());
}

ENGINE_TEST(TraceConformance, BodyJsonUsesKindAndRoundTrips) {
  for (const TraceBody& b : OneOfEachType()) {
    const boost::json::value j = TraceBodyToJson(b);
    EXPECT_EQ(j.at("kind").as_string(), TraceKindName(KindOf(b)));
    Result<TraceBody> back = TraceBodyFromJson(j);
    ASSERT_OK(back);
    EXPECT_EQ(TraceBodyToJson(*back), j);
  }
  const boost::json::value query = TraceBodyToJson(trace::Query{"sql", "select 1", std::nullopt});
  EXPECT_EQ(query,
            (boost::json::value{{"kind", "query"}, {"query_kind", "sql"}, {"query", "select 1"}}));
  this->ExpectInvalid(TraceBodyFromJson({{"kind", "dream"}}).status(), "body.kind", "dream");
  this->ExpectInvalid(TraceBodyFromJson({{"kind", "thought"}}).status(), "body.content", "missing");
  this->ExpectInvalid(
      TraceBodyFromJson(
          {{"kind", "error"}, {"error_kind", "x"}, {"message", "m"}, {"recoverable", "yes"}})
          .status(),
      "body.recoverable", "boolean");
  EXPECT_EQ(*ParseTraceKind("tool_call"), TraceKind::kToolCall);
  this->ExpectInvalid(ParseTraceKind("nope").status(), "kind", "nope");
}

// A  (tool_call, tags x y)
// +- B  (thought, tag x)
// |  +- D  (error, tag y)
// +- C  (decision)
// E  (custom)
ENGINE_TEST(TraceConformance, IndexesReturnExactlyTheExpectedIds) {
  auto traces = this->db_->traces();
  const std::string a = this->MustRecord(trace::ToolCall{"t", nullptr, {}, {}}, {"x", "y"});
  const std::string b = this->MustRecord(Thought("b"), {"x"}, a);
  const std::string c = this->MustRecord(trace::Decision{"q", {"o"}, "o", {}}, {}, a);
  const std::string d = this->MustRecord(trace::Error{"k", "m", false}, {"y"}, b);
  const std::string e = this->MustRecord(trace::Custom{"n", nullptr});
  const RunId& run = this->run_;
  EXPECT_EQ(this->IdsOf(traces.QueryByType(run, TraceKind::kThought)), Ids{b});
  EXPECT_EQ(this->IdsOf(traces.QueryByType(run, TraceKind::kToolCall)), Ids{a});
  EXPECT_EQ(this->IdsOf(traces.QueryByType(run, TraceKind::kQuery)), Ids{});
  EXPECT_EQ(this->IdsOf(traces.QueryByTag(run, "x")), (Ids{a, b}));
  EXPECT_EQ(this->IdsOf(traces.QueryByTag(run, "y")), (Ids{a, d}));
  EXPECT_EQ(this->IdsOf(traces.QueryByTag(run, "xy")), Ids{});
  EXPECT_EQ(this->IdsOf(traces.Children(run, a)), (Ids{b, c}));
  EXPECT_EQ(this->IdsOf(traces.Children(run, b)), Ids{d});
  EXPECT_EQ(this->IdsOf(traces.Children(run, c)), Ids{});
  EXPECT_EQ(this->IdsOf(traces.Roots(run)), (Ids{a, e}));
  EXPECT_EQ(*traces.Count(run), 5u);
  EXPECT_EQ(*traces.Get(run, d)->parent_id, b);

  Result<std::vector<TraceNode>> tree = traces.Tree(run, a);
  ASSERT_OK(tree);
  std::vector<std::pair<std::string, uint32_t>> got;
  for (const TraceNode& n : *tree) got.emplace_back(n.trace.id, n.depth);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, uint32_t>>{{a, 0}, {b, 1}, {d, 2}, {c, 1}}));
  Result<std::vector<TraceNode>> leaf = traces.Tree(run, e);
  ASSERT_OK(leaf);
  ASSERT_EQ(leaf->size(), 1u);
  EXPECT_EQ((*leaf)[0].trace.id, e);
}

ENGINE_TEST(TraceConformance, QueryByTimeIsHalfOpen) {
  auto traces = this->db_->traces();
  std::vector<TimestampUs> ts;
  Ids ids;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ids.push_back(this->MustRecord(Thought(std::to_string(i))));
    ts.push_back(traces.Get(this->run_, ids.back())->timestamp_us);
  }
  ASSERT_TRUE(std::is_sorted(ts.begin(), ts.end()));
  ASSERT_LT(ts[0], ts[1]);
  const RunId& run = this->run_;
  EXPECT_EQ(this->IdsOf(traces.QueryByTime(run, ts[1], ts[3])), (Ids{ids[1], ids[2]}));
  EXPECT_EQ(this->IdsOf(traces.QueryByTime(run, ts[0], ts[0] + 1)), Ids{ids[0]});
  EXPECT_EQ(this->IdsOf(traces.QueryByTime(run, ts[1] + 1, ts[2])), Ids{});
  EXPECT_EQ(this->IdsOf(traces.QueryByTime(run, ts[3], ts[3])), Ids{});
  EXPECT_EQ(this->IdsOf(traces.QueryByTime(run, std::numeric_limits<TimestampUs>::min(),
                                           std::numeric_limits<TimestampUs>::max())),
            ids);
  EXPECT_EQ(this->IdsOf(traces.QueryByTime(run, -5, 0)), Ids{});
  this->ExpectInvalid(traces.QueryByTime(run, ts[2], ts[1]).status(), "start_us");
}

ENGINE_TEST(TraceConformance, ParentMustExistInTheSameRun) {
  auto traces = this->db_->traces();
  const std::string mine = this->MustRecord(Thought("root"));
  const RunId other = RunId::Random();
  // The other run has no trace with that id: its parent must be one of its own.
  Result<Recorded> cross = traces.Record(other, Thought("child"), {}, {}, mine);
  this->ExpectInvalid(cross.status(), "parent_id", mine);
  EXPECT_EQ(*traces.Count(other), 0u);
  this->ExpectInvalid(traces.Record(this->run_, Thought("c"), {}, {}, "0000000000000009").status(),
                      "parent_id", "0000000000000009");
  this->ExpectInvalid(traces.Record(this->run_, Thought("c"), {}, {}, "not-an-id").status(),
                      "parent_id", "16");
  EXPECT_EQ(*traces.Count(this->run_), 1u);
  // A parent recorded earlier in the same run works, also from another transaction.
  Result<Recorded> child = traces.Record(this->run_, Thought("c"), {}, {}, mine);
  ASSERT_OK(child);
  EXPECT_EQ(*traces.Get(this->run_, child->id)->parent_id, mine);
}

ENGINE_TEST(TraceConformance, LookupsOfMissingOrMalformedIds) {
  auto traces = this->db_->traces();
  const RunId& run = this->run_;
  EXPECT_TRUE(traces.Get(run, "0000000000000000").status().IsNotFound());
  EXPECT_TRUE(traces.Children(run, "0000000000000000").status().IsNotFound());
  EXPECT_TRUE(traces.Tree(run, "0000000000000000").status().IsNotFound());
  this->ExpectInvalid(traces.Get(run, "0000000000000000x").status(), "id");
  this->ExpectInvalid(traces.Get(run, "000000000000000A").status(), "id");
  this->ExpectInvalid(traces.Children(run, "").status(), "id");
  this->ExpectInvalid(traces.Tree(run, "zz").status(), "root");
  this->ExpectInvalid(traces.QueryByTag(run, "").status(), "tag", "empty");
  EXPECT_TRUE(traces.Roots(run)->empty());
  EXPECT_EQ(*traces.Count(run), 0u);
}

ENGINE_TEST(TraceConformance, InvalidRecordsAreRejectedAndLeaveNoTrace) {
  auto traces = this->db_->traces();
  const RunId& run = this->run_;
  auto record = [&](const TraceBody& b, const std::vector<std::string>& tags = {}) {
    return traces.Record(run, b, tags).status();
  };
  this->ExpectInvalid(record(trace::ToolCall{"", nullptr, {}, {}}), "body.tool", "empty");
  this->ExpectInvalid(record(trace::ToolCall{"t", nullptr, {}, -1}), "body.duration_us");
  this->ExpectInvalid(record(trace::Query{"k", "q", -1}), "body.results_count");
  this->ExpectInvalid(record(trace::Thought{"c", 1.5}), "body.confidence", "[0, 1]");
  this->ExpectInvalid(record(trace::Thought{"c", std::numeric_limits<double>::quiet_NaN()}),
                      "body.confidence");
  this->ExpectInvalid(record(trace::Custom{"", nullptr}), "body.name", "empty");
  this->ExpectInvalid(record(Thought("bad \xff utf-8")), "trace", "UTF-8");
  this->ExpectInvalid(record(Thought("c"), {"ok", ""}), "tags[1]", "empty");
  this->ExpectInvalid(record(Thought("c"), {std::string(kMaxTraceTagBytes + 1, 't')}), "tags[0]",
                      "256");
  this->ExpectInvalid(record(Thought("c"), std::vector<std::string>(kMaxTraceTags + 1, "t")),
                      "tags", "64");
  EXPECT_EQ(*traces.Count(run), 0u);
  EXPECT_TRUE(traces.Roots(run)->empty());
  EXPECT_TRUE(traces
                  .QueryByTime(run, std::numeric_limits<TimestampUs>::min(),
                               std::numeric_limits<TimestampUs>::max())
                  ->empty());
  ASSERT_OK(record(Thought("c"), std::vector<std::string>(kMaxTraceTags, "t")));
}

ENGINE_TEST(TraceConformance, RecordsInsideATransactionAreAtomic) {
  using H = typename TestFixture::Handle;
  auto& db = *this->db_;
  std::string parent, child;
  ASSERT_OK(db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_ASSIGN_OR_RETURN(Recorded p, h.traces().Record(Thought("p"), {"t"}));
    STATELAB_ASSIGN_OR_RETURN(Recorded c, h.traces().Record(Thought("c"), {"t"}, {}, p.id));
    EXPECT_EQ(p.version, 0u);
    STATELAB_ASSIGN_OR_RETURN(std::vector<Trace> kids, h.traces().Children(p.id));
    EXPECT_EQ(kids.size(), 1u);  // own writes are visible
    parent = p.id;
    child = c.id;
    return Status::OK();
  }));
  EXPECT_EQ(this->IdsOf(db.traces().Children(this->run_, parent)), Ids{child});
  Result<Version> aborted = db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.traces().Record(Thought("x"), {"t"}, {}, child).status());
    return Status::InvalidArgument("caller aborts");
  });
  EXPECT_EQ(aborted.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*db.traces().Count(this->run_), 2u);
  EXPECT_EQ(this->IdsOf(db.traces().QueryByTag(this->run_, "t")), (Ids{parent, child}));
  EXPECT_EQ(this->IdsOf(db.traces().Children(this->run_, child)), Ids{});
  // The aborted record did not use up an id.
  EXPECT_EQ(this->MustRecord(Thought("y")), "0000000000000002");
}

ENGINE_TEST(TraceConformance, TracesAndIndexesSurviveReopen) {
  if (this->mode() == DurabilityMode::kInMemory) GTEST_SKIP() << "nothing outlives a reopen";
  const std::string root = this->MustRecord(Thought("root"), {"x"});
  const std::string child = this->MustRecord(trace::Thought{"child", 0.25}, {"x"}, root);
  ASSERT_OK(this->db_->Flush());
  this->Reopen();
  auto traces = this->db_->traces();
  EXPECT_EQ(*traces.Count(this->run_), 2u);
  EXPECT_EQ(this->IdsOf(traces.QueryByTag(this->run_, "x")), (Ids{root, child}));
  EXPECT_EQ(this->IdsOf(traces.Children(this->run_, root)), Ids{child});
  EXPECT_EQ(std::get<trace::Thought>(traces.Get(this->run_, child)->body).confidence, 0.25);
  EXPECT_EQ(this->MustRecord(Thought("next")), trace_store::FormatId(2));
}

ENGINE_TEST(TraceConformance, ConcurrentRecordsGetUniqueIds) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  TxnOptions o;
  o.retry.max_retries = 1000000;
  std::vector<Ids> got(kThreads);
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<Recorded> r = this->db_->traces().Record(
            this->run_, Thought("t"), {"thread" + std::to_string(t)}, {}, std::nullopt, o);
        ASSERT_OK(r);
        got[t].push_back(r->id);
      }
    });
  }
  for (auto& t : ts) t.join();
  std::set<std::string> all;
  for (const Ids& g : got) all.insert(g.begin(), g.end());
  ASSERT_EQ(all.size(), size_t{kThreads} * kPerThread);
  EXPECT_EQ(*all.begin(), trace_store::FormatId(0));
  EXPECT_EQ(*all.rbegin(), trace_store::FormatId(kThreads * kPerThread - 1));
  EXPECT_EQ(*this->db_->traces().Count(this->run_), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(this->IdsOf(this->db_->traces().QueryByTag(this->run_, "thread2")), got[2]);
}

}  // namespace
}  // namespace statelab::testing_util
