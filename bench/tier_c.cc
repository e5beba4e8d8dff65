// Tier C: operations that maintain or read secondary indexes (ordinary keys written in the same
// transaction as the data): trace records with 0/1/3/5 tags, trace queries and trees, run
// lifecycle and status queries, filtered vector search, keyword (BM25) and hybrid (keyword +
// vector, RRF) search over KV documents.
#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/primitive_inputs.h"

namespace statelab::bench {

namespace {

constexpr std::string_view kCollection = "emb";

template <class Eng>
struct TraceState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<TraceBody> bodies;  // one of each kind
  std::vector<std::string> tags;
  std::string root;
};

std::vector<TraceBody> OneOfEachKind() {
  return {trace::ToolCall{"search", boost::json::object{{"q", "weather"}}, std::nullopt, 1200},
          trace::Decision{"which tool", {"search", "calc"}, "search", std::nullopt},
          trace::Query{"vector", "similar documents", 10},
          trace::Thought{"the user wants a forecast", 0.8},
          trace::Error{"timeout", "tool did not answer", true},
          trace::Custom{"note", boost::json::object{{"k", 1}}}};
}

template <class D>
void AddTraceCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = TraceState<Eng>;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  // traces: how many to load; tree: as a binary tree under one root (else in a flat list).
  auto open = [mode](const CellContext& ctx, uint64_t traces,
                     bool tree) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    s->bodies = OneOfEachKind();
    std::vector<std::string> ids;
    ids.reserve(traces);
    STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, traces, [&](auto& h, uint64_t i) -> Status {
      std::optional<std::string_view> parent;
      if (tree && i > 0) parent = ids[(i - 1) / 2];
      STATELAB_ASSIGN_OR_RETURN(Recorded r,
                                h.traces().Record(s->bodies[i % s->bodies.size()], {}, {}, parent));
      ids.push_back(std::move(r.id));
      return Status::OK();
    }));
    if (!ids.empty()) s->root = ids.front();
    return s;
  };
  auto cell = [&](std::string_view op, Suite suite, harness::Params p, uint64_t traces, bool tree,
                  auto body) {
    cat.Add({MakeKey("C", "trace", op, engine, ml, std::move(p)), suite, Timing::kLoop,
             [open, traces, tree, body](const CellContext& ctx) {
               return Bind(open(ctx, traces, tree), body);
             }});
  };
  for (int tags : {0, 1, 3, 5}) {
    cell("record", tags == 1 ? Suite::kQuick : Suite::kStandard,
         P({{"tags", static_cast<double>(tags)}}), 0, false, [tags](Measure& m, S& s) {
           s.tags.clear();
           for (int t = 0; t < tags; ++t) s.tags.push_back("tag" + std::to_string(t));
           auto tr = s.db->traces();
           m.Loop([&](uint64_t i) {
             Check(m, tr.Record(s.run, s.bodies[i % s.bodies.size()], s.tags));
           });
         });
  }
  cell("query_by_type", Suite::kStandard, P({{"n", 1000.0}}), 1000, false, [](Measure& m, S& s) {
    auto tr = s.db->traces();
    m.Loop([&](uint64_t) {
      Result<std::vector<Trace>> r = tr.QueryByType(s.run, TraceKind::kThought);
      if (!r.ok() || r->empty()) [[unlikely]]
        m.Fail("query_by_type: " + r.status().ToString());
    });
  });
  cell("tree", Suite::kStandard, P({{"n", 100.0}}), 100, true, [](Measure& m, S& s) {
    auto tr = s.db->traces();
    m.Loop([&](uint64_t) {
      Result<std::vector<TraceNode>> r = tr.Tree(s.run, s.root);
      if (!r.ok() || r->size() != 100) [[unlikely]]
        m.Fail("tree: " + r.status().ToString());
    });
  });
}

template <class Eng>
struct RunsState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<RunInfo> found;
};

template <class D>
void AddRunCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = RunsState<Eng>;
  constexpr uint64_t kRuns = 200;  // each is its own transaction: kept small for Strict set-up
  constexpr uint64_t kPausedEvery = 5;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  auto open = [mode](const CellContext& ctx, uint64_t runs) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    auto ri = s->db->runs();
    for (uint64_t i = 0; i < runs; ++i) {
      const std::string name = workloads::KeyName("run", i, 6);
      STATELAB_RETURN_IF_ERROR(ri.CreateRun(name).status());
      if (i % kPausedEvery == 0) {
        STATELAB_RETURN_IF_ERROR(ri.UpdateStatus(name, RunStatus::kPaused).status());
      }
    }
    return s;
  };
  auto cell = [&](std::string_view op, Suite suite, harness::Params p, uint64_t runs, auto body) {
    cat.Add({MakeKey("C", "run", op, engine, ml, std::move(p)), suite, Timing::kLoop,
             [open, runs, body](const CellContext& ctx) { return Bind(open(ctx, runs), body); }});
  };
  cell("create", Suite::kQuick, {}, 0, [call = uint64_t{0}](Measure& m, S& s) mutable {
    const std::vector<std::string> names =
        workloads::KeyNames("r" + std::to_string(call++) + "_", m.planned(), 10);
    auto ri = s.db->runs();
    m.Loop([&](uint64_t i) { Check(m, ri.CreateRun(names[i])); });
  });
  cell("transition", Suite::kStandard, {}, 1, [](Measure& m, S& s) {
    // run000000 starts paused; each op flips it between active and paused.
    auto ri = s.db->runs();
    const std::string name = workloads::KeyName("run", 0, 6);
    m.Loop([&](uint64_t i) {
      Check(m, ri.UpdateStatus(name, i % 2 == 0 ? RunStatus::kActive : RunStatus::kPaused));
    });
    if (m.planned() % 2 == 1) Check(m, ri.UpdateStatus(name, RunStatus::kPaused));
  });
  cell("query_by_status", Suite::kStandard, P({{"n", static_cast<double>(kRuns)}}), kRuns,
       [](Measure& m, S& s) {
         auto ri = s.db->runs();
         m.Loop([&](uint64_t) {
           Check(m, ri.QueryByStatus(RunStatus::kPaused, &s.found));
           if (s.found.size() != kRuns / kPausedEvery) [[unlikely]] {
             m.Fail("query_by_status found " + std::to_string(s.found.size()));
           }
         });
       });
}

template <class Eng>
struct FilteredVectorState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::vector<float>> queries;
  boost::json::object filter{{"cat", 3}};
  std::vector<SearchHit> hits;
};

template <class D>
void AddFilteredSearchCell(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = FilteredVectorState<Eng>;
  constexpr uint64_t kVectors = 1000;
  constexpr uint32_t kDim = 128;
  cat.Add(
      {MakeKey(
           "C", "vector", "search_filter", D::Label(), ModeName(mode),
           P({{"k", 10.0}, {"n", double(kVectors)}, {"dim", double(kDim)}, {"selectivity", 0.1}})),
       Suite::kQuick, Timing::kLoop, [mode](const CellContext& ctx) {
         auto open = [&]() -> Result<std::unique_ptr<S>> {
           STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
           STATELAB_RETURN_IF_ERROR(
               s->db->vectors()
                   .CreateCollection(s->run, kCollection, kDim, VectorMetric::kCosine)
                   .status());
           const auto vectors = RandomVectors(kVectors, kDim, ctx.seed);
           const std::vector<std::string> keys = workloads::KeyNames("v", kVectors, 8);
           STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, kVectors, [&](auto& h, uint64_t i) {
             return h.vectors().Upsert(kCollection, keys[i], vectors[i],
                                       boost::json::object{{"cat", static_cast<int64_t>(i % 10)}});
           }));
           s->queries = RandomVectors(kSampleVectors, kDim, ctx.seed + 1);
           return s;
         };
         return Bind(open(), [](Measure& m, S& s) {
           auto vs = s.db->vectors();
           m.Loop([&](uint64_t i) {
             Check(m, vs.Search(s.run, kCollection, s.queries[i % kSampleVectors], 10, s.filter,
                                &s.hits));
             if (s.hits.size() != 10) [[unlikely]]
               m.Fail("search_filter returned too few hits");
           });
         });
       }});
}

template <class Eng>
struct SearchState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::string> queries;
  std::vector<std::vector<float>> embeddings;
  SearchOptions options;
};

// The keyword corpus (MakeSearchCorpus) as KV documents; with vectors, a 128-d embedding per
// document under the same key, so hybrid hits fuse per document.
template <class D>
Result<std::unique_ptr<SearchState<typename D::Eng>>> OpenSearch(const CellContext& ctx,
                                                                 DurabilityMode mode, uint64_t n,
                                                                 bool vectors) {
  using S = SearchState<typename D::Eng>;
  constexpr uint32_t kDim = 128;
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
  SearchCorpus corpus = MakeSearchCorpus(n, ctx.seed);
  s->queries = std::move(corpus.queries);
  if (vectors) {
    STATELAB_RETURN_IF_ERROR(s->db->vectors()
                                 .CreateCollection(s->run, kCollection, kDim, VectorMetric::kCosine)
                                 .status());
    s->embeddings = RandomVectors(kSampleVectors, kDim, ctx.seed);
  }
  STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, n, [&](auto& h, uint64_t i) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put(corpus.keys[i], corpus.values[i]));
    if (!vectors) return Status::OK();
    return h.vectors().Upsert(kCollection, corpus.keys[i], s->embeddings[i % kSampleVectors]);
  }));
  s->options.limit = 10;
  return s;
}

template <class D>
void AddSearchCells(Catalogue& cat, DurabilityMode mode) {
  using S = SearchState<typename D::Eng>;
  for (uint64_t n : kKeywordDocs) {
    const harness::Params p = KeywordParams(n);
    cat.Add({MakeKey("C", "search", "keyword", D::Label(), ModeName(mode), p), KeywordSuite(n),
             Timing::kLoop,
             [mode, n](const CellContext& ctx) {
               return Bind(OpenSearch<D>(ctx, mode, n, false), [](Measure& m, S& s) {
                 auto search = s.db->search();
                 m.Loop([&](uint64_t i) {
                   Check(m, search.Keyword(s.run, s.queries[i & 63], s.options));
                 });
               });
             }});
    if (n > 10000) continue;  // hybrid: 1k and 10k documents
    cat.Add(
        {MakeKey("C", "search", "hybrid", D::Label(), ModeName(mode), p), Suite::kStandard,
         Timing::kLoop, [mode, n](const CellContext& ctx) {
           return Bind(OpenSearch<D>(ctx, mode, n, true), [](Measure& m, S& s) {
             std::vector<VectorQuery> vq(kSampleVectors);
             for (size_t q = 0; q < vq.size(); ++q) {
               vq[q].collection = std::string(kCollection);
               vq[q].embedding = s.embeddings[q];
               vq[q].key_primitive = Tag::kKv;
             }
             auto search = s.db->search();
             m.Loop([&](uint64_t i) {
               Check(m, search.Hybrid(s.run, s.queries[i & 63], vq[i % kSampleVectors], s.options));
             });
           });
         }});
  }
}

}  // namespace

void AddIndexedTier(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) {
      using D = Dispatch<E, false>;
      AddTraceCells<D>(cat, mode);
      AddRunCells<D>(cat, mode);
      AddFilteredSearchCell<D>(cat, mode);
      AddSearchCells<D>(cat, mode);
    }
  });
}

}  // namespace statelab::bench
