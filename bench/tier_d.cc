// Tier D: contention on the harness's own pinned threads (bench/phases.h), one
// warm-up / measure / drain cycle per repetition. Groups: disjoint (each thread its own run),
// same_run (one run, distinct keys), same_key (one state cell, one event log: every commit
// conflicts with every other), writer_vs_readers (one writer alone, then beside readers getting
// keys of its run in tight loops: the writer's commits/s only), and the groups defined by
// workload files (workloads/harness/D/<group>/<op>.properties, e.g. mixed/read80_write20: gets
// and puts over one run's keys in the file's mix and distribution). Throughput is summed over the
// measured threads; aborts and retries are counted by the harness, not the driver.
#include <string_view>

#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/contention.h"
#include "bench/primitive_inputs.h"
#include "bench/ycsb.h"

namespace statelab::bench {

namespace {

template <class Eng>
struct ContentionState : PointState<Eng> {
  using PointState<Eng>::PointState;
  std::vector<RunId> runs;  // one per thread (disjoint)
  boost::json::value payload = EventPayload();
  int threads = 1;
};

template <class D>
Result<std::unique_ptr<ContentionState<typename D::Eng>>> OpenContention(const CellContext& ctx,
                                                                         DurabilityMode mode,
                                                                         bool preload) {
  using S = ContentionState<typename D::Eng>;
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
  s->keys = PointKeys(kPointKeys);
  if (preload) STATELAB_RETURN_IF_ERROR(LoadPointKeys(*s->db, s->run, s->keys));
  s->idx = UniformIndexes(kPointKeys, ctx.seed);
  for (uint64_t t = 0; t < 256; ++t) s->runs.push_back(SeededRun(ctx.seed, t + 1));
  if (!preload) {
    STATELAB_RETURN_IF_ERROR(s->db->state().Init(s->run, "hot", Value(int64_t{0})).status());
  }
  return s;
}

enum class DOp { kDisjoint, kSameRun, kSameKeyTransition, kSameKeyAppend };

struct DDef {
  DOp op;
  const char* group;
  const char* name;
  bool quick;  // in the quick suite (at the largest thread count; disjoint at every count)
};
constexpr DDef kDOps[] = {
    {DOp::kDisjoint, "disjoint", "put", true},
    {DOp::kSameRun, "same_run", "put_distinct_keys", false},
    {DOp::kSameKeyTransition, "same_key", "state_transition", true},
    {DOp::kSameKeyAppend, "same_key", "event_append", false},
};

// One transaction putting value i (or v) at `key` of `run`; one snapshot read of `key` of `run`.
template <class Eng>
OpOutcome PutOne(Eng& e, const RunId& run, std::string_view key, uint64_t i, Status* err) {
  return CountedCommit(
      e, run,
      [&](Txn<typename Eng::Partition>& x) {
        x.Put(Tag::kKv, key, Value(static_cast<int64_t>(i)));
        return Status::OK();
      },
      err);
}
template <class Eng>
OpOutcome PutValue(Eng& e, const RunId& run, std::string_view key, const Value& v, Status* err) {
  return CountedCommit(
      e, run,
      [&](Txn<typename Eng::Partition>& x) {
        x.Put(Tag::kKv, key, v);
        return Status::OK();
      },
      err);
}
template <class Eng>
OpOutcome GetOne(Eng& e, const RunId& run, std::string_view key, Value* val, Status* err) {
  return CountedRead(
      RunRead(e, run, [&](Txn<typename Eng::Partition>& x) { return x.Get(Tag::kKv, key, val); }),
      err);
}

template <class Eng>
void RunD(DOp op, int threads, Measure& m, ContentionState<Eng>& s) {
  using P = typename Eng::Partition;
  Eng& e = s.engine();
  auto make = [&](int t, Status* err) {
    return [&s, &e, op, t, err](uint64_t i) -> OpOutcome {
      const uint32_t k = ThreadIndex(s.idx, i, t);
      switch (op) {
        case DOp::kDisjoint:
          return PutOne(e, s.runs[t], s.keys[k], i, err);
        case DOp::kSameRun:
          // Thread t writes only keys congruent to t modulo the thread count.
          return CountedCommit(
              e, s.run,
              [&](Txn<P>& x) {
                uint64_t mine = k / s.threads * s.threads + t;
                if (mine >= kPointKeys) mine -= s.threads;
                x.Put(Tag::kKv, s.keys[mine], Value(static_cast<int64_t>(i)));
                return Status::OK();
              },
              err);
        case DOp::kSameKeyTransition:
          return CountedCommit(
              e, s.run,
              [&](Txn<P>& x) {
                return StateOps<P>(x).Transition("hot", IncrementCounter).status();
              },
              err);
        case DOp::kSameKeyAppend:
          return CountedCommit(
              e, s.run,
              [&](Txn<P>& x) { return EventOps<P>(x).Append("tick", s.payload).status(); }, err);
      }
      return OpOutcome{false, 0};
    };
  };
  s.threads = threads;
  RunContended(m, *s.db, threads, make);
}

// Thread 0 puts keys of the preloaded run; threads 1..readers get keys of the same run (the
// writer's partition) in tight loops. Only the writer's commits make the record.
template <class Eng>
void RunWriterVsReaders(int readers, Measure& m, ContentionState<Eng>& s) {
  Eng& e = s.engine();
  auto make = [&](int t, Status* err) {
    return [&s, &e, t, err, val = Value()](uint64_t i) mutable -> OpOutcome {
      const uint32_t k = ThreadIndex(s.idx, i, t);
      if (t > 0) return GetOne(e, s.run, s.keys[k], &val, err);
      return PutOne(e, s.run, s.keys[k], i, err);
    };
  };
  RunContended(m, *s.db, 1 + readers, make, /*measured_threads=*/1);
}

// writer_vs_readers/put at readers=0 and 4 (both quick): the pair gives the writer's share.
template <class D>
void AddWriterVsReadersCells(Catalogue& cat, DurabilityMode mode) {
  for (int readers : {0, 4}) {
    cat.Add({SeriesKey("D", "writer_vs_readers", "put", D::Label(), ModeName(mode), 1,
                       P({{"readers", static_cast<double>(readers)}})),
             Suite::kQuick, Timing::kSingleShot, [mode, readers](const CellContext& ctx) {
               return Bind(OpenContention<D>(ctx, mode, /*preload=*/true),
                           [readers](Measure& m, ContentionState<typename D::Eng>& s) {
                             RunWriterVsReaders(readers, m, s);
                           });
             }});
  }
}

// A D cell of a workload file: one run loaded with recordcount point keys holding the file's
// record values (fieldcount x fieldlength); thread t cycles over operationcount ops its own
// client stream drew (workloads::OpStream, requestdistribution over the keys): a read is a get,
// an update a put of a record value. LoadHarnessWorkloads admits no other op kind.
template <class Eng>
struct FileMixState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::string> keys;
  std::vector<Value> values;
  std::vector<std::vector<workloads::Op>> ops;  // per thread
};

template <class D>
Result<std::unique_ptr<FileMixState<typename D::Eng>>> OpenFileMix(const CellContext& ctx,
                                                                   DurabilityMode mode,
                                                                   const workloads::CoreWorkload& w,
                                                                   int threads) {
  using S = FileMixState<typename D::Eng>;
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
  s->keys = PointKeys(w.record_count);
  for (std::string& v : workloads::RecordValues(w, kRecordValues, ctx.seed)) {
    s->values.emplace_back(std::move(v));
  }
  STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, s->keys.size(), [&](auto& h, uint64_t i) {
    return h.kv().Put(s->keys[i], s->values[i % kRecordValues]);
  }));
  for (int t = 0; t < threads; ++t) {
    workloads::OpStream stream(w, workloads::ClientSeed(ctx.seed, static_cast<uint32_t>(t)),
                               static_cast<uint32_t>(t), static_cast<uint32_t>(threads));
    std::vector<workloads::Op>& ops = s->ops.emplace_back();
    ops.reserve(w.operation_count);
    for (uint64_t i = 0; i < w.operation_count; ++i) ops.push_back(stream.Next());
  }
  return s;
}

template <class Eng>
void RunFileMix(int threads, Measure& m, FileMixState<Eng>& s) {
  Eng& e = s.engine();
  auto make = [&](int t, Status* err) {
    return [&s, &e, &ops = s.ops[t], err, val = Value()](uint64_t i) mutable -> OpOutcome {
      const workloads::Op& op = ops[i % ops.size()];
      if (op.kind == workloads::OpKind::kRead) return GetOne(e, s.run, s.keys[op.key], &val, err);
      return PutValue(e, s.run, s.keys[op.key], s.values[i % kRecordValues], err);
    };
  };
  RunContended(m, *s.db, threads, make);
}

// The file-defined D cells, at every thread count; quick at the most threads.
template <class D>
void AddFileContentionCells(Catalogue& cat, DurabilityMode mode) {
  const CatalogueOptions& o = cat.options();
  const int most = *std::max_element(o.threads.begin(), o.threads.end());
  for (const HarnessWorkload& h : o.harness) {
    if (h.tier != "D") continue;
    for (int threads : o.threads) {
      cat.Add({SeriesKey("D", h.group, h.op, D::Label(), ModeName(mode), threads),
               threads == most ? Suite::kQuick : Suite::kStandard, Timing::kSingleShot,
               [mode, threads, w = h.def](const CellContext& ctx) {
                 return Bind(OpenFileMix<D>(ctx, mode, *w, threads),
                             [threads](Measure& m, FileMixState<typename D::Eng>& s) {
                               RunFileMix(threads, m, s);
                             });
               }});
    }
  }
}

template <class D>
void AddContentionCells(Catalogue& cat, DurabilityMode mode) {
  const CatalogueOptions& o = cat.options();
  const int most = *std::max_element(o.threads.begin(), o.threads.end());
  for (const DDef& def : kDOps) {
    const bool disjoint = def.op == DOp::kDisjoint && !o.disjoint_threads.empty();
    for (int threads : disjoint ? o.disjoint_threads : o.threads) {
      const bool quick = def.quick && (def.op == DOp::kDisjoint || threads == most);
      const Suite suite = quick ? Suite::kQuick : Suite::kStandard;
      const DOp op = def.op;
      cat.Add({SeriesKey("D", def.group, def.name, D::Label(), ModeName(mode), threads), suite,
               Timing::kSingleShot, [mode, op, threads](const CellContext& ctx) {
                 return Bind(OpenContention<D>(ctx, mode, /*preload=*/false),
                             [op, threads](Measure& m, ContentionState<typename D::Eng>& s) {
                               RunD(op, threads, m, s);
                             });
               }});
    }
  }
}

}  // namespace

void AddContentionTier(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) {
      AddContentionCells<Dispatch<E, false>>(cat, mode);
      AddFileContentionCells<Dispatch<E, false>>(cat, mode);
      AddWriterVsReadersCells<Dispatch<E, false>>(cat, mode);
    }
  });
}

}  // namespace statelab::bench
