// Tiers A0 (raw structures, the null engine's harness floor) and A1 (the engine API without the
// primitives). Key ops of A1 also run through the AnyEngine wrapper ("<engine>+any").
#include <benchmark/benchmark.h>

#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/flags.h"
#include "bench/kv_bodies.h"
#include "bench/measure.h"
#include "bench/null_engine.h"
#include "bench/raw_structures.h"

namespace statelab::bench {

namespace {

constexpr Version kReadAll = ~Version{0};  // a snapshot that sees every version
constexpr uint64_t kHotKeys = 16;

// ---------------------------------------------------------------- A0

template <class Store>
struct RawState {
  Store store;
  std::vector<std::string> encoded;
  std::vector<std::string> prefixes;  // encoded 100-key prefixes
  std::vector<uint32_t> idx;
  std::vector<uint32_t> prefix_idx;
  Value out;
  Version next = 2;
};

template <class Store>
std::unique_ptr<RawState<Store>> OpenRaw(const CellContext& ctx) {
  auto s = std::make_unique<RawState<Store>>();
  const RunId run = SeededRun(ctx.seed);
  for (uint64_t i = 0; i < kPointKeys; ++i) {
    s->encoded.emplace_back(KeyBuf(run, Tag::kKv, PointKey(i)).view());
    s->store.Insert(s->encoded.back(), Value(static_cast<int64_t>(i)), 1);
  }
  // More versions of every key: chains reach their steady capacity, as in OpenPoint.
  for (int w = 1; w < kSteadyWrites; ++w) {
    for (const std::string& k : s->encoded) s->store.Put(k, Value(int64_t{0}), s->next++);
  }
  for (uint64_t g = 0; g < kPointKeys / 100; ++g) {
    s->prefixes.emplace_back(KeyBuf(run, Tag::kKv, PointPrefix(g)).view());
  }
  s->idx = UniformIndexes(kPointKeys, ctx.seed);
  s->prefix_idx = UniformIndexes(kPointKeys / 100, ctx.seed + 1);
  return s;
}

template <class E>
void AddRawCells(Catalogue& cat) {
  const std::string engine(E::kName);
  const std::string na(kModeNotApplicable);
  const CellKey hot = MakeKey("A0", "raw", "get_hot", engine, na, P({{"hot", double(kHotKeys)}}));
  const CellKey uniform = MakeKey("A0", "raw", "get_uniform", engine, na, PointParams());
  const CellKey put = MakeKey("A0", "raw", "put_prealloc", engine, na, PointParams());
  const CellKey scan = MakeKey("A0", "raw", "scan_prefix_100", engine, na, PointParams());
  if constexpr (!RawStructureOf<E>::kDefined) {
    const std::string why = "no raw structure for engine " + engine + " (bench/raw_structures.h)";
    for (const CellKey& k : {hot, uniform, put, scan}) cat.Skip(k, Suite::kQuick, why);
  } else {
    using Store = typename RawStructureOf<E>::Store;
    using S = RawState<Store>;
    auto cell = [&](const CellKey& key, auto body) {
      cat.Add({key, Suite::kQuick, Timing::kLoop,
               [body](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
                 return MakeFixture(OpenRaw<Store>(ctx), body);
               }});
    };
    cell(hot, [](Measure& m, S& s) {
      m.Loop([&](uint64_t i) {
        Check(m, s.store.Get(s.encoded[(i & (kHotKeys - 1)) * (kPointKeys / kHotKeys)], kReadAll,
                             &s.out));
      });
    });
    cell(uniform, [](Measure& m, S& s) {
      m.Loop([&](uint64_t i) {
        Check(m, s.store.Get(s.encoded[s.idx[i & kIndexMask]], kReadAll, &s.out));
      });
    });
    cell(put, [](Measure& m, S& s) {
      m.Loop([&](uint64_t i) {
        s.store.Put(s.encoded[s.idx[i & kIndexMask]], Value(static_cast<int64_t>(i)), s.next++);
      });
    });
    cell(scan, [](Measure& m, S& s) {
      m.Loop([&](uint64_t i) {
        const size_t n = s.store.Scan(s.prefixes[s.prefix_idx[i & kIndexMask]], kReadAll);
        if (n != 100) [[unlikely]]
          m.Fail("scan_prefix_100 saw " + std::to_string(n) + " keys");
      });
    });
    if constexpr (Store::kHasMailbox) {
      cat.Add({MakeKey("A0", "raw", "mailbox_roundtrip", engine, na), Suite::kQuick, Timing::kLoop,
               [](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
                 return MakeFixture(std::make_unique<Store>(), [](Measure& m, Store& st) {
                   // The owner on a core of its own, away from the caller (thread 0): the hop
                   // between two cores that the design pays, not a wake-up on a shared one.
                   if (const Pinner* p = m.config().pinner; p != nullptr && p->cores() > 1) {
                     harness::PinResult pin;
                     st.Call([&](auto&) { pin = p->Pin(1); });
                     if (pin.pinned) m.Extra("owner_pinned_pu_os_index", pin.pu.pu_os_index);
                   }
                   m.Loop([&](uint64_t) { st.Call([](auto&) {}); });
                 });
               }});
    }
  }
}

// The empty loop: timer sampling and loop overhead only.
void AddFloorCell(Catalogue& cat) {
  struct Nothing {};
  cat.Add({MakeKey("A0", "raw", "noop", kNullEngine, kModeNotApplicable), Suite::kQuick,
           Timing::kLoop, [](const CellContext&) -> Result<std::unique_ptr<Fixture>> {
             return MakeFixture(std::make_unique<Nothing>(), [](Measure& m, Nothing&) {
               m.Loop([](uint64_t i) { benchmark::DoNotOptimize(i); });
             });
           }});
}

// ---------------------------------------------------------------- A1

enum class A1Op {
  kGetDirect,
  kPutDirect,
  kCasDirect,
  kSnapshot,
  kEmptyCommit,
  kReadYourWrites,
  kMultiPut3,
  kMultiPut10
};

struct A1Def {
  A1Op op;
  const char* name;
  Suite suite;
  bool facade_op;  // also measured through AnyEngine
  bool on_null;    // also measured on the null engine
};
constexpr A1Def kA1Ops[] = {
    {A1Op::kGetDirect, "get_direct", Suite::kQuick, true, true},
    {A1Op::kPutDirect, "put_direct", Suite::kQuick, true, true},
    {A1Op::kCasDirect, "cas_direct", Suite::kQuick, false, false},
    {A1Op::kSnapshot, "snapshot_acquire", Suite::kQuick, false, true},
    {A1Op::kEmptyCommit, "txn_empty_commit", Suite::kQuick, false, true},
    {A1Op::kReadYourWrites, "read_your_writes", Suite::kStandard, false, false},
    {A1Op::kMultiPut3, "multi_put", Suite::kStandard, false, false},
    {A1Op::kMultiPut10, "multi_put", Suite::kStandard, false, false},
};

harness::Params A1Params(A1Op op) {
  switch (op) {
    case A1Op::kGetDirect:
    case A1Op::kPutDirect:
    case A1Op::kCasDirect:
      return PointParams();
    case A1Op::kMultiPut3:
      return P({{"keys", 3.0}});
    case A1Op::kMultiPut10:
      return P({{"keys", 10.0}});
    default:
      return {};
  }
}

// The measured body of an A1 op on engine type Eng. expect_hit: reads must find their key (false
// on the null engine, where every read misses).
template <class Eng>
void RunA1(A1Op op, bool expect_hit, Measure& m, PointState<Eng>& s) {
  using P = typename Eng::Partition;
  Eng& e = s.engine();
  const TxnOptions o;
  TimestampUs now = kNowUnread;  // as the facade: keys never expire, so never read
  EngineTxnKv<Eng> batches(e, s.run);   // put_direct and multi_put: shared with the KV peers
  switch (op) {
    case A1Op::kGetDirect:
      m.Loop([&](uint64_t i) {
        const std::string_view k = s.encoded[s.idx[i & kIndexMask]];
        const Status st = e.Execute(s.run, [&](P& p) -> Status {
          const Version v = p.AcquireSnapshot();
          Status r = ReadCopy(p, v, k, now, &s.out, &s.ver);
          p.ReleaseSnapshot();
          return r;
        });
        if (!st.ok() && (expect_hit || !st.IsNotFound())) [[unlikely]]
          m.Fail(st.ToString());
      });
      break;
    case A1Op::kPutDirect:
      RunMultiPut(m, batches, s, 1);
      break;
    case A1Op::kMultiPut3:
      RunMultiPut(m, batches, s, 3);
      break;
    case A1Op::kMultiPut10:
      RunMultiPut(m, batches, s, 10);
      break;
    case A1Op::kCasDirect:
      m.Loop([&](uint64_t i) {
        const uint32_t j = s.idx[i & kIndexMask];
        const Version expected = s.versions[j];
        Result<Version> r = RunTransaction(
            e, s.run,
            [&](Txn<P>& t) -> Status {
              const Version cur = t.ReadVersion(Tag::kKv, s.keys[j]);
              if (cur != expected) return Status::VersionMismatch(expected, cur);
              t.Put(Tag::kKv, s.keys[j], Value(static_cast<int64_t>(i)));
              return Status::OK();
            },
            o);
        Check(m, r);
        if (r.ok()) s.versions[j] = *r;
      });
      break;
    case A1Op::kSnapshot:
      // Inside one Execute: the registry's cost, without the routing every op pays (routing is
      // what get_direct and raw/mailbox_roundtrip measure).
      Check(m, e.Execute(s.run, [&](P& p) {
        m.Loop([&](uint64_t) {
          const Version v = p.AcquireSnapshot();
          benchmark::DoNotOptimize(v);
          p.ReleaseSnapshot();
        });
        return Status::OK();
      }));
      break;
    case A1Op::kEmptyCommit:
      m.Loop([&](uint64_t) {
        Check(m, RunTransaction(
                     e, s.run, [](Txn<P>&) { return Status::OK(); }, o));
      });
      break;
    case A1Op::kReadYourWrites:
      m.Loop([&](uint64_t i) {
        const std::string_view k = s.keys[s.idx[i & kIndexMask]];
        Check(m, RunTransaction(
                     e, s.run,
                     [&](Txn<P>& t) -> Status {
                       t.Put(Tag::kKv, k, Value(static_cast<int64_t>(i)));
                       return t.Get(Tag::kKv, k, &s.out);
                     },
                     o));
      });
      break;
  }
}

template <class D>
void AddA1Cell(Catalogue& cat, const A1Def& def, DurabilityMode mode, std::string_view mode_label,
               bool expect_hit) {
  const A1Op op = def.op;
  cat.Add({MakeKey("A1", "engine", def.name, D::Label(), mode_label, A1Params(op)), def.suite,
           Timing::kLoop,
           [op, mode, expect_hit](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
             STATELAB_ASSIGN_OR_RETURN(auto s, OpenPoint<D>(ctx, mode));
             return MakeFixture(std::move(s),
                                [op, expect_hit](Measure& m, PointState<typename D::Eng>& st) {
                                  RunA1(op, expect_hit, m, st);
                                });
           }});
}

}  // namespace

void AddRawAndEngineTiers(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() { AddRawCells<E>(cat); });
  if (cat.EngineSelected(kNullEngine)) {
    AddFloorCell(cat);
    for (const A1Def& def : kA1Ops) {
      if (def.on_null) {
        AddA1Cell<Dispatch<NullEngine, false>>(cat, def, DurabilityMode::kInMemory,
                                               kModeNotApplicable, false);
      }
    }
  }
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) {
      for (const A1Def& def : kA1Ops) {
        AddA1Cell<Dispatch<E, false>>(cat, def, mode, ModeName(mode), true);
        if (def.facade_op) AddA1Cell<Dispatch<E, true>>(cat, def, mode, ModeName(mode), true);
      }
    }
  });
}

}  // namespace statelab::bench
