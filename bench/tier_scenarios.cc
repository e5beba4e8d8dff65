// Tiers scenario (agent workloads composed of several primitives) and ycsb (YCSB workload files
// over the KV primitive, bench/ycsb.h; the KV peers run the same files from bench/tier_peers.cc).
#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/primitive_inputs.h"
#include "bench/ycsb.h"

namespace statelab::bench {

namespace {

// ---------------------------------------------------------------- scenarios

constexpr std::string_view kEmbeddings = "emb";
constexpr uint32_t kEmbeddingDim = 384;
constexpr uint64_t kEmbeddingCorpus = 1000;

template <class Eng>
struct AgentState : AllPrimitivesState<Eng> {
  using AllPrimitivesState<Eng>::AllPrimitivesState;
  TraceBody tool_call = trace::ToolCall{"web_search", boost::json::object{{"q", "forecast"}},
                                        boost::json::object{{"hits", 3}}, 1500};
  std::vector<std::string> result_keys = workloads::KeyNames("tool_result/", 1024, 6);
  Value result = Value(std::string(200, 'r'));
  std::vector<std::vector<float>> embeddings;
  std::vector<std::string> doc_keys = workloads::KeyNames("d", 1024, 6);
  boost::json::object no_filter;
  std::vector<SearchHit> hits;
  uint64_t call = 0;
};

enum class Scenario { kThinkCycle, kToolUse, kEmbedding, kAllSeven };

template <class Eng>
void RunScenario(Scenario sc, Measure& m, AgentState<Eng>& s) {
  auto& db = *s.db;
  switch (sc) {
    case Scenario::kThinkCycle:
      // Read the agent's phase, think, log it, move the phase on: one transaction.
      m.Loop([&](uint64_t i) {
        Check(m, db.Transaction(s.run, [&](auto& h) -> Status {
          STATELAB_ASSIGN_OR_RETURN(Versioned phase, h.state().Read("cell"));
          STATELAB_RETURN_IF_ERROR(h.traces().Record(s.thought, s.trace_tags).status());
          STATELAB_RETURN_IF_ERROR(h.events().Append("thought", s.payload).status());
          STATELAB_ASSIGN_OR_RETURN(Value next, IncrementCounter(phase.value));
          return h.state().Set("cell", std::move(next));
        }));
      });
      break;
    case Scenario::kToolUse:
      // Record the call, keep its result, log the step.
      m.Loop([&](uint64_t i) {
        Check(m, db.Transaction(s.run, [&](auto& h) -> Status {
          STATELAB_RETURN_IF_ERROR(h.traces().Record(s.tool_call, s.trace_tags).status());
          STATELAB_RETURN_IF_ERROR(h.kv().Put(s.result_keys[i & 1023], s.result));
          return h.events().Append("tool", s.payload).status();
        }));
      });
      break;
    case Scenario::kEmbedding:
      // Store a chunk's embedding and its document metadata atomically, then retrieve neighbours.
      m.Loop([&](uint64_t i) {
        const std::string& key = s.doc_keys[i & 1023];
        Check(m, db.Transaction(s.run, [&](auto& h) -> Status {
          STATELAB_RETURN_IF_ERROR(
              h.vectors().Upsert(kEmbeddings, key, s.embeddings[i % kSampleVectors]));
          return h.json().Set("doc", "$.last", boost::json::value(static_cast<int64_t>(i)));
        }));
        Check(m, db.vectors().Search(s.run, kEmbeddings, s.embeddings[(i + 1) % kSampleVectors], 10,
                                     s.no_filter, &s.hits));
      });
      break;
    case Scenario::kAllSeven: {
      // A whole agent run: create it (run index, meta run), write every data primitive of it in
      // one transaction, complete it. Three commits; the run index cannot share the transaction.
      const std::vector<std::string> names =
          workloads::KeyNames("agent" + std::to_string(s.call++) + "_", m.planned(), 10);
      m.Loop([&](uint64_t i) {
        Result<RunId> run = db.runs().CreateRun(names[i]);
        if (!run.ok()) [[unlikely]] {
          m.Fail(run.status().ToString());
          return;
        }
        Check(m, db.Transaction(*run, [&](auto& h) -> Status {
          const int64_t n = static_cast<int64_t>(i);
          STATELAB_RETURN_IF_ERROR(h.kv().Put("k", Value(n)));
          STATELAB_RETURN_IF_ERROR(h.events().Append("step", s.payload).status());
          STATELAB_RETURN_IF_ERROR(h.state().Init("cell", Value(n)));
          STATELAB_RETURN_IF_ERROR(h.traces().Record(s.thought, s.trace_tags).status());
          STATELAB_RETURN_IF_ERROR(h.json().Create("doc", boost::json::object{{"n", n}}));
          STATELAB_RETURN_IF_ERROR(
              h.vectors().CreateCollection(kAllCollection, 8, VectorMetric::kCosine));
          return h.vectors().Upsert(kAllCollection, "v", s.vector);
        }));
        Check(m, db.runs().UpdateStatus(names[i], RunStatus::kCompleted));
      });
      break;
    }
  }
}

template <class D>
void AddScenarioCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = AgentState<Eng>;
  struct Def {
    Scenario sc;
    const char* name;
  };
  for (const Def& d :
       {Def{Scenario::kThinkCycle, "think_cycle"}, Def{Scenario::kToolUse, "tool_use"},
        Def{Scenario::kEmbedding, "embedding_workflow"},
        Def{Scenario::kAllSeven, "all_seven_atomic"}}) {
    const Scenario sc = d.sc;
    cat.Add(
        {MakeKey("scenario", "agent", d.name, D::Label(), ModeName(mode)), Suite::kStandard,
         Timing::kLoop, [mode, sc](const CellContext& ctx) {
           auto open = [&]() -> Result<std::unique_ptr<S>> {
             STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenAllPrimitives<D, S>(ctx, mode)));
             if (sc == Scenario::kEmbedding) {
               STATELAB_RETURN_IF_ERROR(
                   s->db->vectors()
                       .CreateCollection(s->run, kEmbeddings, kEmbeddingDim, VectorMetric::kCosine)
                       .status());
               s->embeddings = RandomVectors(kSampleVectors, kEmbeddingDim, ctx.seed);
               const std::vector<std::string> keys = workloads::KeyNames("c", kEmbeddingCorpus, 6);
               STATELAB_RETURN_IF_ERROR(
                   BulkLoad(*s->db, s->run, kEmbeddingCorpus, [&](auto& h, uint64_t i) {
                     return h.vectors().Upsert(kEmbeddings, keys[i],
                                               s->embeddings[i % kSampleVectors]);
                   }));
             }
             return s;
           };
           return Bind(open(), [sc](Measure& m, S& s) { RunScenario(sc, m, s); });
         }});
  }
}

// ---------------------------------------------------------------- YCSB

template <class Eng>
struct YcsbState : DbState<Eng>, YcsbInputs {
  using DbState<Eng>::DbState;
};

template <class D>
void AddYcsbCells(Catalogue& cat, DurabilityMode mode) {
  using S = YcsbState<typename D::Eng>;
  for (const YcsbWorkload& y : cat.options().ycsb) {
    cat.Add(YcsbCell(y, D::Label(), ModeName(mode), [mode, w = y.def](const CellContext& ctx) {
      auto open = [&]() -> Result<std::unique_ptr<S>> {
        STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
        PrepareYcsb(w, ctx.seed, s.get());
        OurKv kv(*s->db, s->run);
        STATELAB_RETURN_IF_ERROR(LoadYcsb(kv, *s));
        return s;
      };
      return Bind(open(), [](Measure& m, S& s) {
        if (s.clients.size() > 1) {
          RunYcsbThreads(m, s, [&](size_t) { return OurKv(*s.db, s.run); });
        } else {
          OurKv kv(*s.db, s.run);
          RunYcsb(m, kv, s);
        }
      });
    }));
  }
}

}  // namespace

void AddScenarioTiers(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) AddScenarioCells<Dispatch<E, false>>(cat, mode);
  });
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) AddYcsbCells<Dispatch<E, false>>(cat, mode);
  });
}

}  // namespace statelab::bench
