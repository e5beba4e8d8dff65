// Tier B: the primitives' facades (fast-path reads, one-operation writes), one cell per operation,
// engine and mode; kv get and put also through the AnyEngine wrapper ("<engine>+any"). Inputs
// (keys, names, documents, vectors, payloads) are generated before the timed loop; cells that
// consume what they touch (delete, init, create) load one fresh input per planned operation of
// the call first.
#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/kv_bodies.h"
#include "bench/primitive_inputs.h"

namespace statelab::bench {

namespace {

constexpr std::string_view kCollection = "emb";

// ---------------------------------------------------------------- kv

template <class D>
void AddKvCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = PointState<Eng>;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  auto cell = [&](std::string_view op, Suite suite, harness::Params params, auto body) {
    cat.Add({MakeKey("B", "kv", op, engine, ml, std::move(params)), suite, Timing::kLoop,
             [mode, body](const CellContext& ctx) { return Bind(OpenPoint<D>(ctx, mode), body); }});
  };
  // The point ops the KV peers also run (bench/kv_bodies.h); the wrapper runs get and put
  // only (the facade-tax ops).
  for (const KvOpDef& def : kKvOps) {
    if (std::is_same_v<Eng, AnyEngine> && def.op != KvOp::kGet && def.op != KvOp::kPut) continue;
    cell(def.name, def.suite, def.point_params ? PointParams() : harness::Params{},
         [op = def.op](Measure& m, S& s) {
           OurKv kv(*s.db, s.run);
           RunKvOp(op, m, kv, s);
         });
  }
  if constexpr (std::is_same_v<Eng, AnyEngine>) return;

  cell("cas", Suite::kQuick, PointParams(), [](Measure& m, S& s) {
    auto kv = s.db->kv();
    m.Loop([&](uint64_t i) {
      const uint32_t j = s.idx[i & kIndexMask];
      Result<Version> r = kv.Cas(s.run, s.keys[j], s.versions[j], Value(static_cast<int64_t>(i)));
      Check(m, r);
      if (r.ok()) s.versions[j] = *r;
    });
  });
  // The cost of search indexing on a text write: the same puts with the index on and off.
  for (bool index : {true, false}) {
    cat.Add({MakeKey("B", "kv", "put_text", engine, ml,
                     P({{"n", static_cast<double>(kPointKeys)},
                        {"search_index", std::string(index ? "on" : "off")}})),
             Suite::kStandard, Timing::kLoop, [mode, index](const CellContext& ctx) {
               auto open = [&]() -> Result<std::unique_ptr<S>> {
                 DbOptions o = BenchDbOptions(ctx, mode);
                 o.search_index = index;
                 STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode, o)));
                 s->keys = PointKeys(kPointKeys);
                 s->idx = UniformIndexes(kPointKeys, ctx.seed);
                 return s;
               };
               return Bind(open(), [texts = TextValues(256, 12, ctx.seed)](Measure& m, S& s) {
                 auto kv = s.db->kv();
                 m.Loop([&](uint64_t i) {
                   Check(m, kv.Put(s.run, s.keys[s.idx[i & kIndexMask]], texts[i & 255]));
                 });
               });
             }});
  }
  cell("get_many_10", Suite::kStandard, PointParams(), [](Measure& m, S& s) {
    std::vector<std::array<std::string_view, 10>> groups(4096);
    for (size_t g = 0; g < groups.size(); ++g) {
      for (size_t j = 0; j < 10; ++j) groups[g][j] = s.keys[s.idx[(g * 10 + j) & kIndexMask]];
    }
    std::vector<std::optional<Versioned>> out;
    out.reserve(10);
    auto kv = s.db->kv();
    m.Loop([&](uint64_t i) { Check(m, kv.GetMany(s.run, groups[i & 4095], &out)); });
  });
}

// ---------------------------------------------------------------- event

template <class Eng>
struct EventState : DbState<Eng> {
  using DbState<Eng>::DbState;
  boost::json::value payload = EventPayload();
  std::vector<uint32_t> idx;
  EventBuffer buf;  // outlives the cell's calls: its arena grows once, on the first reads
};

template <class D>
void AddEventCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = EventState<Eng>;
  constexpr uint64_t kEvents = 1000;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  auto open = [mode](const CellContext& ctx, uint64_t events) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, events, [&](auto& h, uint64_t) {
      return h.events().Append("tick", s->payload).status();
    }));
    s->idx = UniformIndexes(std::max<uint64_t>(events, 1), ctx.seed);
    return s;
  };
  auto cell = [&](std::string_view op, Suite suite, uint64_t events, auto body) {
    harness::Params p = events > 0 ? P({{"n", static_cast<double>(events)}}) : harness::Params{};
    cat.Add(
        {MakeKey("B", "event", op, engine, ml, std::move(p)), suite, Timing::kLoop,
         [open, events, body](const CellContext& ctx) { return Bind(open(ctx, events), body); }});
  };
  auto append = [](Measure& m, S& s) {
    auto ev = s.db->events();
    m.Loop([&](uint64_t) { Check(m, ev.Append(s.run, "tick", s.payload)); });
  };
  cell("append", Suite::kQuick, 0, append);
  // What search indexing costs an append (each event is a document of its own): index off.
  cat.Add({MakeKey("B", "event", "append", engine, ml, P({{"search_index", std::string("off")}})),
           Suite::kStandard, Timing::kLoop, [mode, append](const CellContext& ctx) {
             DbOptions o = BenchDbOptions(ctx, mode);
             o.search_index = false;
             return Bind(OpenState<D, S>(ctx, mode, o), append);
           }});
  cell("read", Suite::kQuick, kEvents, [](Measure& m, S& s) {
    auto ev = s.db->events();
    m.Loop([&](uint64_t i) { Check(m, ev.Read(s.run, s.idx[i & kIndexMask], &s.buf)); });
  });
  cell("read_range_100", Suite::kStandard, kEvents, [](Measure& m, S& s) {
    auto ev = s.db->events();
    m.Loop([&](uint64_t i) {
      const uint64_t start = s.idx[i & kIndexMask] % (kEvents - 100);
      Check(m, ev.ReadRange(s.run, start, start + 100));
    });
  });
  cell("verify_chain_1000", Suite::kStandard, kEvents, [](Measure& m, S& s) {
    auto ev = s.db->events();
    m.Loop([&](uint64_t) {
      Result<ChainReport> r = ev.VerifyChain(s.run);
      if (!r.ok() || !r->valid() || r->length != kEvents) [[unlikely]] {
        m.Fail("verify_chain_1000: " + (r.ok() ? r->reason : r.status().ToString()));
      }
    });
  });
}

// ---------------------------------------------------------------- state

template <class Eng>
struct CellsState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::string> names;
  std::vector<Version> versions;
  std::vector<uint32_t> idx;
};

template <class D>
void AddStateCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = CellsState<Eng>;
  constexpr uint64_t kCells = 1000;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  auto open = [mode](const CellContext& ctx) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    s->names = workloads::KeyNames("cell", kCells, 6);
    STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, kCells, [&](auto& h, uint64_t i) {
      return h.state().Init(s->names[i], Value(int64_t{0}));
    }));
    STATELAB_RETURN_IF_ERROR(s->db->Read(s->run, [&](auto& h) -> Status {
      s->versions.clear();
      for (const std::string& n : s->names) {
        STATELAB_ASSIGN_OR_RETURN(Versioned v, h.state().Read(n));
        s->versions.push_back(v.version);
      }
      return Status::OK();
    }));
    s->idx = UniformIndexes(kCells, ctx.seed);
    return s;
  };
  const harness::Params n = P({{"n", static_cast<double>(kCells)}});
  auto cell = [&](std::string_view op, Suite suite, harness::Params p, auto body) {
    cat.Add({MakeKey("B", "state", op, engine, ml, std::move(p)), suite, Timing::kLoop,
             [open, body](const CellContext& ctx) { return Bind(open(ctx), body); }});
  };
  cell("read", Suite::kQuick, n, [](Measure& m, S& s) {
    auto st = s.db->state();
    m.Loop([&](uint64_t i) { Check(m, st.Read(s.run, s.names[s.idx[i & kIndexMask]])); });
  });
  cell("set", Suite::kStandard, n, [](Measure& m, S& s) {
    auto st = s.db->state();
    m.Loop([&](uint64_t i) {
      Check(m, st.Set(s.run, s.names[s.idx[i & kIndexMask]], Value(static_cast<int64_t>(i))));
    });
  });
  cell("cas", Suite::kStandard, n, [](Measure& m, S& s) {
    auto st = s.db->state();
    m.Loop([&](uint64_t i) {
      const uint32_t j = s.idx[i & kIndexMask];
      Result<Version> r = st.Cas(s.run, s.names[j], s.versions[j], Value(static_cast<int64_t>(i)));
      Check(m, r);
      if (r.ok()) s.versions[j] = *r;
    });
  });
  cell("transition", Suite::kQuick, n, [](Measure& m, S& s) {
    auto st = s.db->state();
    m.Loop([&](uint64_t i) {
      Check(m, st.Transition(s.run, s.names[s.idx[i & kIndexMask]], IncrementCounter));
    });
  });
  cell("init", Suite::kStandard, {}, [call = uint64_t{0}](Measure& m, S& s) mutable {
    const std::vector<std::string> fresh =
        workloads::KeyNames("i" + std::to_string(call++) + "_", m.planned(), 10);
    auto st = s.db->state();
    m.Loop([&](uint64_t i) { Check(m, st.Init(s.run, fresh[i], Value(int64_t{0}))); });
  });
}

// ---------------------------------------------------------------- json

template <class Eng>
struct JsonState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::string> ids;
  std::string path;    // the leaf at the cell's depth
  std::string parent;  // its parent (merge target)
  boost::json::value doc;
  std::vector<uint32_t> idx;
};

template <class D>
void AddJsonCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = JsonState<Eng>;
  constexpr uint64_t kDocs = 100;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  auto open = [mode](const CellContext& ctx, int depth) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    s->doc = NestedDocument(depth);
    s->path = NestedPath(depth);
    s->parent = NestedPath(depth - 1);
    s->ids = workloads::KeyNames("doc", kDocs, 4);
    STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, kDocs, [&](auto& h, uint64_t i) {
      return h.json().Create(s->ids[i], s->doc);
    }));
    s->idx = UniformIndexes(kDocs, ctx.seed);
    return s;
  };
  for (int depth : {1, 5, 10}) {
    const Suite base = depth == 1 ? Suite::kQuick : Suite::kStandard;
    auto cell = [&](std::string_view op, Suite suite, auto body) {
      cat.Add({MakeKey("B", "json", op, engine, ml, P({{"depth", static_cast<double>(depth)}})),
               suite, Timing::kLoop, [open, depth, body](const CellContext& ctx) {
                 return Bind(open(ctx, depth), body);
               }});
    };
    cell("get", base, [](Measure& m, S& s) {
      auto js = s.db->json();
      m.Loop([&](uint64_t i) { Check(m, js.Get(s.run, s.ids[s.idx[i & kIndexMask]], s.path)); });
    });
    cell("set", Suite::kStandard, [](Measure& m, S& s) {
      auto js = s.db->json();
      const boost::json::value v(int64_t{7});
      m.Loop([&](uint64_t i) { Check(m, js.Set(s.run, s.ids[s.idx[i & kIndexMask]], s.path, v)); });
    });
    cell("merge", Suite::kStandard, [](Measure& m, S& s) {
      auto js = s.db->json();
      const boost::json::value patch = boost::json::object{{"merged", 1}};
      m.Loop([&](uint64_t i) {
        Check(m, js.Merge(s.run, s.ids[s.idx[i & kIndexMask]], s.parent, patch));
      });
    });
    cell("create", Suite::kStandard, [call = uint64_t{0}](Measure& m, S& s) mutable {
      const std::vector<std::string> fresh =
          workloads::KeyNames("c" + std::to_string(call++) + "_", m.planned(), 10);
      auto js = s.db->json();
      m.Loop([&](uint64_t i) { Check(m, js.Create(s.run, fresh[i], s.doc)); });
    });
    cell("delete", Suite::kStandard, [call = uint64_t{0}](Measure& m, S& s) mutable {
      const std::vector<std::string> fresh =
          workloads::KeyNames("x" + std::to_string(call++) + "_", m.planned(), 10);
      Check(m, BulkLoad(*s.db, s.run, fresh.size(),
                        [&](auto& h, uint64_t i) { return h.json().Create(fresh[i], s.doc); }));
      auto js = s.db->json();
      m.Loop([&](uint64_t i) { Check(m, js.DeleteAt(s.run, fresh[i], s.path)); });
    });
  }
}

// ---------------------------------------------------------------- vector

template <class Eng>
struct VectorState : DbState<Eng> {
  using DbState<Eng>::DbState;
  std::vector<std::string> keys;
  std::vector<std::vector<float>> vectors;  // kSampleVectors inputs, reused cyclically
  std::vector<uint32_t> idx;
  std::vector<SearchHit> hits;
};

template <class D>
void AddVectorCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = VectorState<Eng>;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  auto open = [mode](const CellContext& ctx, uint64_t n,
                     uint32_t dim) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    STATELAB_RETURN_IF_ERROR(s->db->vectors()
                                 .CreateCollection(s->run, kCollection, dim, VectorMetric::kCosine)
                                 .status());
    s->keys = workloads::KeyNames("v", n, 8);
    s->vectors = RandomVectors(kSampleVectors, dim, ctx.seed);
    STATELAB_RETURN_IF_ERROR(BulkLoad(*s->db, s->run, n, [&](auto& h, uint64_t i) {
      return h.vectors().Upsert(kCollection, s->keys[i], s->vectors[i % kSampleVectors]);
    }));
    s->idx = UniformIndexes(n, ctx.seed);
    return s;
  };
  auto cell = [&](std::string_view op, Suite suite, harness::Params p, uint64_t n, uint32_t dim,
                  auto body) {
    cat.Add(
        {MakeKey("B", "vector", op, engine, ml, std::move(p)), suite, Timing::kLoop,
         [open, n, dim, body](const CellContext& ctx) { return Bind(open(ctx, n, dim), body); }});
  };
  for (uint32_t dim : kSearchDims) {
    for (uint64_t n : kSearchSizes) {
      if (!InSearchGrid(n, dim)) continue;
      const Suite suite = SearchSuite(n, dim);
      const double dn = static_cast<double>(n), dd = dim;
      cell("search", suite, SearchParams(n, dim), n, dim, [](Measure& m, S& s) {
        auto vs = s.db->vectors();
        const boost::json::object no_filter;
        m.Loop([&](uint64_t i) {
          Check(m, vs.Search(s.run, kCollection, s.vectors[i % kSampleVectors], kSearchK, no_filter,
                             &s.hits));
        });
      });
      if (n != 1000) continue;  // point ops do not depend on the collection's size
      cell("upsert", suite, P({{"n", dn}, {"dim", dd}}), n, dim, [](Measure& m, S& s) {
        auto vs = s.db->vectors();
        m.Loop([&](uint64_t i) {
          Check(m, vs.Upsert(s.run, kCollection, s.keys[s.idx[i & kIndexMask]],
                             s.vectors[i % kSampleVectors]));
        });
      });
      cell("get", suite, P({{"n", dn}, {"dim", dd}}), n, dim, [](Measure& m, S& s) {
        auto vs = s.db->vectors();
        m.Loop([&](uint64_t i) {
          Check(m, vs.Get(s.run, kCollection, s.keys[s.idx[i & kIndexMask]]));
        });
      });
      cell("delete", Suite::kStandard, P({{"n", dn}, {"dim", dd}}), n, dim,
           [call = uint64_t{0}](Measure& m, S& s) mutable {
             const std::vector<std::string> fresh =
                 workloads::KeyNames("x" + std::to_string(call++) + "_", m.planned(), 10);
             Check(m, BulkLoad(*s.db, s.run, fresh.size(), [&](auto& h, uint64_t i) {
                     return h.vectors().Upsert(kCollection, fresh[i],
                                               s.vectors[i % kSampleVectors]);
                   }));
             auto vs = s.db->vectors();
             m.Loop([&](uint64_t i) {
               Result<bool> r = vs.Delete(s.run, kCollection, fresh[i]);
               if (!r.ok() || !*r) [[unlikely]]
                 m.Fail("vector delete: " + r.status().ToString());
             });
           });
    }
  }
}

// ---------------------------------------------------------------- cross-primitive transaction

template <class D>
void AddTxnCell(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = AllPrimitivesState<Eng>;
  cat.Add({MakeKey("B", "txn", "all_primitives", D::Label(), ModeName(mode)), Suite::kQuick,
           Timing::kLoop, [mode](const CellContext& ctx) {
             return Bind(OpenAllPrimitives<D>(ctx, mode), [](Measure& m, S& s) {
               m.Loop([&](uint64_t i) { Check(m, WriteAllPrimitives(*s.db, s, i)); });
             });
           }});
}

}  // namespace

void AddPrimitiveTier(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) {
      AddKvCells<Dispatch<E, false>>(cat, mode);
      AddKvCells<Dispatch<E, true>>(cat, mode);
      AddEventCells<Dispatch<E, false>>(cat, mode);
      AddStateCells<Dispatch<E, false>>(cat, mode);
      AddJsonCells<Dispatch<E, false>>(cat, mode);
      AddVectorCells<Dispatch<E, false>>(cat, mode);
      AddTxnCell<Dispatch<E, false>>(cat, mode);
    }
  });
}

}  // namespace statelab::bench
