// Tiers scenario (agent workloads composed of several primitives) and ycsb (YCSB A-F over the KV
// primitive: zipfian 0.99 scrambled, workload D "latest"). YCSB op streams (kinds and keys) are
// generated per call before the timed loop, sized to the call's planned operations.
#include "workloads/catalogue.h"
#include "workloads/catalogue_util.h"
#include "workloads/primitive_inputs.h"

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

enum class YKind : uint8_t { kRead, kUpdate, kInsert, kScan, kReadModifyWrite };

struct YOp {
  YKind kind;
  uint32_t key;  // record index (inserts: the new record's index)
};

struct YcsbDef {
  char name;
  double read, update, insert, scan, rmw;
  bool latest;  // key choice: "latest" (D) instead of scrambled zipfian
};
constexpr YcsbDef kYcsb[] = {
    {'a', 0.50, 0.50, 0, 0, 0, false}, {'b', 0.95, 0.05, 0, 0, 0, false},
    {'c', 1.00, 0, 0, 0, 0, false},    {'d', 0.95, 0, 0.05, 0, 0, true},
    {'e', 0, 0, 0.05, 0.95, 0, false}, {'f', 0.50, 0, 0, 0, 0.50, false},
};

std::string RecordKey(uint64_t i) { return workloads::KeyName("user", i, 10); }
// The 100 records sharing the first 8 digits of record i (a short YCSB-E scan).
std::string ScanPrefix(uint64_t i) { return workloads::KeyName("user", i / 100, 8); }

template <class Eng>
struct YcsbState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::string> keys;      // loaded and inserted records
  std::vector<std::string> prefixes;  // ScanPrefix of every 100 records
  std::vector<YOp> ops;
  std::vector<Value> values;
  std::vector<std::string> scanned;
  Value out;
  uint64_t seed = 0;
  uint64_t call = 0;
};

// The op stream of one call: n ops of workload w over the records loaded so far (inserts append).
template <class Eng>
void GenerateOps(const YcsbDef& w, uint64_t n, YcsbState<Eng>& s) {
  workloads::Xoshiro256 mix(workloads::SplitSeed(s.seed, 2 * s.call));
  const uint64_t records = s.keys.size();
  workloads::ScrambledZipfianGenerator zipf(records, 0.99,
                                            workloads::SplitSeed(s.seed, 2 * s.call + 1));
  workloads::LatestGenerator latest(records, 0.99, workloads::SplitSeed(s.seed, 2 * s.call + 1));
  ++s.call;
  s.ops.clear();
  s.ops.reserve(n);
  uint64_t next_insert = records;
  for (uint64_t i = 0; i < n; ++i) {
    const double r = mix.NextDouble();
    YKind kind = YKind::kRead;
    if (r < w.read) {
      kind = YKind::kRead;
    } else if (r < w.read + w.update) {
      kind = YKind::kUpdate;
    } else if (r < w.read + w.update + w.insert) {
      kind = YKind::kInsert;
    } else if (r < w.read + w.update + w.insert + w.scan) {
      kind = YKind::kScan;
    } else {
      kind = YKind::kReadModifyWrite;
    }
    if (kind == YKind::kInsert) {
      s.ops.push_back({kind, static_cast<uint32_t>(next_insert++)});
      latest.Inserted();
      continue;
    }
    const uint64_t key = w.latest ? latest.Next() : zipf.Next();
    s.ops.push_back({kind, static_cast<uint32_t>(key)});
  }
  for (uint64_t k = records; k < next_insert; ++k) s.keys.push_back(RecordKey(k));
  for (uint64_t g = s.prefixes.size(); g * 100 < next_insert; ++g)
    s.prefixes.push_back(ScanPrefix(g * 100));
}

template <class D>
void AddYcsbCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using Part = typename Eng::Partition;
  using S = YcsbState<Eng>;
  for (const YcsbDef& w : kYcsb) {
    for (const auto& [records, suite] : {std::pair<uint64_t, Suite>{100000, Suite::kStandard},
                                         std::pair<uint64_t, Suite>{1000000, Suite::kFull}}) {
      const std::string op(1, w.name);
      cat.Add({MakeKey("ycsb", "workload", op, D::Label(), ModeName(mode),
                       P({{"records", double(records)},
                          {"dist", std::string(w.latest ? "latest" : "scrambled_zipfian")},
                          {"theta", 0.99}})),
               suite, Timing::kLoop, [mode, w, records = records](const CellContext& ctx) {
                 auto open = [&]() -> Result<std::unique_ptr<S>> {
                   STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
                   s->seed = ctx.seed;
                   s->keys.reserve(records);
                   for (uint64_t i = 0; i < records; ++i) s->keys.push_back(RecordKey(i));
                   for (int v = 0; v < 16; ++v) s->values.emplace_back(std::string(100, 'a' + v));
                   STATELAB_RETURN_IF_ERROR(
                       BulkLoad(*s->db, s->run, records, [&](auto& h, uint64_t i) {
                         return h.kv().Put(s->keys[i], s->values[i % 16]);
                       }));
                   return s;
                 };
                 return Bind(open(), [w](Measure& m, S& s) {
                   GenerateOps(w, m.planned(), s);
                   auto kv = s.db->kv();
                   m.Loop([&](uint64_t i) {
                     const YOp& op = s.ops[i];
                     const std::string& key = s.keys[op.key];
                     const Value& v = s.values[i & 15];
                     switch (op.kind) {
                       case YKind::kRead:
                         Check(m, kv.Get(s.run, key, &s.out));
                         break;
                       case YKind::kUpdate:
                       case YKind::kInsert:
                         Check(m, kv.Put(s.run, key, v));
                         break;
                       case YKind::kScan:
                         Check(m, kv.List(s.run, s.prefixes[op.key / 100], &s.scanned));
                         break;
                       case YKind::kReadModifyWrite:
                         Check(m, RunTransaction(
                                      s.engine(), s.run,
                                      [&](Txn<Part>& t) -> Status {
                                        STATELAB_RETURN_IF_ERROR(KvOps<Part>(t).Get(key, &s.out));
                                        return KvOps<Part>(t).Put(key, v);
                                      },
                                      TxnOptions{}));
                         break;
                     }
                   });
                 });
               }});
    }
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
