// Peers (docs/peers.md) in the cells our engines run, with the same bodies, keys, values and
// distributions: the KV peers (RocksDB, LMDB) run B kv get / put / get_missing / delete /
// list_100 (bench/kv_bodies.h), A1 engine/multi_put keys=10 as one write batch, the YCSB
// workload files (bench/ycsb.h) and D disjoint/put; the vector peers (FAISS, hnswlib) run B
// vector/search over the same vectors, approximate ones reporting recall@10 against the exact
// ranking; the keyword peer (SQLite FTS5) runs C search/keyword over the same corpus and queries.
// A peer whose library was not found, or that has no setting for a mode, gets its cells skipped
// with the reason.
#include <filesystem>
#include <optional>

#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/contention.h"
#include "bench/kv_bodies.h"
#include "bench/primitive_inputs.h"
#include "bench/ycsb.h"
#include "engines/peers/peer_list.h"

namespace statelab::bench {

namespace {

// A peer opened in the cell's directory, and the inputs of its cell. The peer closes before its
// directory is removed (members are destroyed in reverse order).
template <class P, class Inputs>
struct PeerState : Inputs {
  explicit PeerState(std::string d) : dir(std::move(d)) {}
  TempDir dir;
  std::unique_ptr<P> peer;
  std::vector<std::vector<std::string>> thread_keys;  // D: each thread's own keys
};

template <class P, class Inputs>
Result<std::unique_ptr<PeerState<P, Inputs>>> OpenPeer(const CellContext& ctx,
                                                       DurabilityMode mode) {
  auto s = std::make_unique<PeerState<P, Inputs>>(ctx.data_dir);
  STATELAB_ASSIGN_OR_RETURN(s->peer, P::Open(peers::PeerKvOptions{ctx.data_dir, mode}));
  if (s->peer->mode() != mode) {
    return Status::InvalidArgument("mode: peer opened in " + std::string(ModeName(mode)) +
                                   " reports " + std::string(ModeName(s->peer->mode())));
  }
  return s;
}

// The point keys loaded as our OpenPoint loads them (kSteadyWrites passes of int64 values).
template <class P>
Result<std::unique_ptr<PeerState<P, KvInputs>>> OpenPeerPoint(const CellContext& ctx,
                                                              DurabilityMode mode) {
  STATELAB_ASSIGN_OR_RETURN(auto s, (OpenPeer<P, KvInputs>(ctx, mode)));
  s->keys = PointKeys(kPointKeys);
  for (int w = 0; w < kSteadyWrites; ++w) {
    STATELAB_RETURN_IF_ERROR(
        LoadBatches(*s->peer, s->keys, [](size_t i) { return Value(static_cast<int64_t>(i)); }));
  }
  s->idx = UniformIndexes(kPointKeys, ctx.seed);
  return s;
}

// Records whether P opens in each selected mode ("" = it does).
template <class P>
void ProbeKvPeer(Catalogue& cat) {
  for (DurabilityMode mode : cat.Modes()) {
    std::string why_not;
    if constexpr (!P::kAvailable) {
      why_not = "peer library unavailable: " + std::string(P::kWhyNotAvailable);
    } else {
      TempDir dir((std::filesystem::path(cat.options().data_root) /
                   ("probe-" + std::string(P::kName) + "-" + std::string(ModeName(mode))))
                      .string());
      Result<std::unique_ptr<P>> p = P::Open(peers::PeerKvOptions{dir.path(), mode});
      if (!p.ok()) why_not = "cannot open in this mode: " + p.status().ToString();
    }
    cat.SetAvailability(P::kName, mode, why_not);
  }
}

template <class P>
void AddKvPeerCells(Catalogue& cat, DurabilityMode mode) {
  const std::string_view engine = P::kName;
  const std::string_view ml = ModeName(mode);
  // Cells of an unavailable peer are kept as skipped cells (availability set by ProbeKvPeer);
  // their factories are never called, so the adapter is not referenced when it is not linked.
  auto add = [&](CellKey key, Suite suite, Timing timing, auto make) {
    if constexpr (P::kAvailable) {
      cat.Add({std::move(key), suite, timing, std::move(make)});
    } else {
      cat.Add({std::move(key), suite, timing, FixtureFactory()});
    }
  };
  using Point = PeerState<P, KvInputs>;
  for (const KvOpDef& def : kKvOps) {
    add(MakeKey("B", "kv", def.name, engine, ml,
                def.point_params ? PointParams() : harness::Params{}),
        def.suite, Timing::kLoop, [mode, op = def.op](const CellContext& ctx) {
          return Bind(OpenPeerPoint<P>(ctx, mode),
                      [op](Measure& m, Point& s) { RunKvOp(op, m, *s.peer, s); });
        });
  }
  add(MakeKey("A1", "engine", "multi_put", engine, ml, harness::Params{{"keys", 10.0}}),
      Suite::kStandard, Timing::kLoop, [mode](const CellContext& ctx) {
        return Bind(OpenPeerPoint<P>(ctx, mode),
                    [](Measure& m, Point& s) { RunMultiPut(m, *s.peer, s, 10); });
      });

  using Ycsb = PeerState<P, YcsbInputs>;
  for (const YcsbWorkload& y : cat.options().ycsb) {
    if constexpr (P::kAvailable) {
      cat.Add(YcsbCell(y, engine, ml, [mode, w = y.def](const CellContext& ctx) {
        auto open = [&]() -> Result<std::unique_ptr<Ycsb>> {
          STATELAB_ASSIGN_OR_RETURN(auto s, (OpenPeer<P, YcsbInputs>(ctx, mode)));
          PrepareYcsb(w, ctx.seed, s.get());
          STATELAB_RETURN_IF_ERROR(LoadYcsb(*s->peer, *s));
          return s;
        };
        return Bind(open(), [](Measure& m, Ycsb& s) {
          if (s.clients.size() > 1) {
            RunYcsbThreads(m, s, [&](size_t) { return s.peer.get(); });
          } else {
            RunYcsb(m, *s.peer, s);
          }
        });
      }));
    } else {
      cat.Add(YcsbCell(y, engine, ml, FixtureFactory()));
    }
  }

  // D disjoint/put: each thread writes its own keys (our engines: its own run), no preload.
  for (int threads : cat.options().threads) {
    add(SeriesKey("D", "disjoint", "put", engine, ml, threads), Suite::kQuick, Timing::kSingleShot,
        [mode, threads](const CellContext& ctx) {
          auto open = [&]() -> Result<std::unique_ptr<Point>> {
            STATELAB_ASSIGN_OR_RETURN(auto s, (OpenPeer<P, KvInputs>(ctx, mode)));
            s->idx = UniformIndexes(kPointKeys, ctx.seed);
            for (int t = 0; t < threads; ++t) {
              std::string prefix = "t";  // "t<t>/k" + 8 digits: the point keys under a thread
              prefix += std::to_string(t);
              prefix += "/k";
              s->thread_keys.push_back(workloads::KeyNames(prefix, kPointKeys, 8));
            }
            return s;
          };
          return Bind(open(), [threads](Measure& m, Point& s) {
            RunBodies(m, threads, PhaseSpec{}, [&](int t, Status* err) {
              return [&s, &keys = s.thread_keys[t], t, err](uint64_t i) {
                return CountedRead(
                    s.peer->Put(keys[ThreadIndex(s.idx, i, t)], Value(static_cast<int64_t>(i))),
                    err);
              };
            });
          });
        });
  }
}

// ---------------------------------------------------------------- vector peers

// Exact ranking checks run on this many distinct queries, once per cell, outside the timed loop.
constexpr uint64_t kRecallQueries = 64;

template <class P>
struct VectorPeerState {
  uint32_t dim = 0;
  std::vector<std::vector<float>> samples;  // the distinct vectors, as our cells draw them
  std::vector<float> rows;                  // n rows: samples[i % kSampleVectors], as ours load
  std::unique_ptr<P> index;
  std::vector<int64_t> ids;
  std::optional<double> recall;
};

template <class P>
Result<std::unique_ptr<VectorPeerState<P>>> OpenVectorPeer(const CellContext& ctx, uint64_t n,
                                                           uint32_t dim) {
  auto s = std::make_unique<VectorPeerState<P>>();
  s->dim = dim;
  s->samples = RandomVectors(kSampleVectors, dim, ctx.seed);
  s->rows.reserve(n * dim);
  for (uint64_t i = 0; i < n; ++i) {
    const std::vector<float>& v = s->samples[i % kSampleVectors];
    s->rows.insert(s->rows.end(), v.begin(), v.end());
  }
  STATELAB_ASSIGN_OR_RETURN(s->index, P::Build(dim, s->rows));
  return s;
}

template <class P>
void SearchBody(Measure& m, VectorPeerState<P>& s) {
  m.Loop([&](uint64_t i) {
    Check(m, s.index->Search(s.samples[i % kSampleVectors], kSearchK, &s.ids));
  });
  if (!s.recall) {
    double sum = 0;
    for (uint64_t q = 0; q < kRecallQueries; ++q) {
      Check(m, s.index->Search(s.samples[q], kSearchK, &s.ids));
      sum += peers::RecallAtK(s.dim, s.rows, s.samples[q], s.ids, kSearchK);
    }
    s.recall = sum / kRecallQueries;
    if (P::kExact && *s.recall < 1.0) [[unlikely]]
      m.Fail("exact peer recall@10 " + std::to_string(*s.recall) + " < 1");
  }
  m.Extra("recall_at_10", *s.recall);
}

template <class P>
void AddVectorPeerCells(Catalogue& cat) {
  for (DurabilityMode mode : cat.Modes()) {
    for (uint32_t dim : kSearchDims) {
      for (uint64_t n : kSearchSizes) {
        if (!InSearchGrid(n, dim)) continue;
        CellKey key =
            MakeKey("B", "vector", "search", P::kName, ModeName(mode), SearchParams(n, dim));
        if (!P::kAvailable) {
          cat.Skip(std::move(key), SearchSuite(n, dim),
                   "peer library unavailable: " + std::string(P::kWhyNotAvailable));
        } else if (mode != DurabilityMode::kInMemory) {
          cat.Skip(std::move(key), SearchSuite(n, dim),
                   std::string(P::kName) +
                       " is an in-memory index without persistence: inmemory cells only");
        } else {
          cat.Add({std::move(key), SearchSuite(n, dim), Timing::kLoop,
                   [n, dim](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
                     if constexpr (P::kAvailable) {
                       return Bind(OpenVectorPeer<P>(ctx, n, dim), SearchBody<P>);
                     } else {
                       return Status::InvalidArgument("unavailable peer");  // never called
                     }
                   }});
        }
      }
    }
  }
}

// ---------------------------------------------------------------- keyword-search peers

template <class P>
struct SearchPeerState {
  std::vector<std::string> queries;
  std::unique_ptr<P> index;
  std::vector<int64_t> ids;
};

template <class P>
Result<std::unique_ptr<SearchPeerState<P>>> OpenSearchPeer(const CellContext& ctx, uint64_t n) {
  SearchCorpus corpus = MakeSearchCorpus(n, ctx.seed);
  std::vector<std::string> texts;
  texts.reserve(n);
  for (uint64_t i = 0; i < n; ++i) texts.push_back(corpus.Text(i));
  auto s = std::make_unique<SearchPeerState<P>>();
  s->queries = std::move(corpus.queries);
  STATELAB_ASSIGN_OR_RETURN(s->index, P::Build(texts));
  return s;
}

// The C search/keyword cells of our engines, on the same corpus and queries.
template <class P>
void AddSearchPeerCells(Catalogue& cat) {
  for (DurabilityMode mode : cat.Modes()) {
    for (uint64_t n : kKeywordDocs) {
      CellKey key = MakeKey("C", "search", "keyword", P::kName, ModeName(mode), KeywordParams(n));
      if (!P::kAvailable) {
        cat.Skip(std::move(key), KeywordSuite(n),
                 "peer library unavailable: " + std::string(P::kWhyNotAvailable));
      } else if (mode != DurabilityMode::kInMemory) {
        cat.Skip(std::move(key), KeywordSuite(n),
                 std::string(P::kName) + " is measured as an in-memory index: inmemory cells only");
      } else {
        cat.Add({std::move(key), KeywordSuite(n), Timing::kLoop,
                 [n](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
                   if constexpr (P::kAvailable) {
                     return Bind(OpenSearchPeer<P>(ctx, n), [](Measure& m, SearchPeerState<P>& s) {
                       m.Loop([&](uint64_t i) {
                         Check(m, s.index->Search(s.queries[i & 63], 10, &s.ids));
                       });
                     });
                   } else {
                     return Status::InvalidArgument("unavailable peer");  // never called
                   }
                 }});
      }
    }
  }
}

}  // namespace

void AddPeerTier(Catalogue& cat) {
  peers::KvPeers::ForEach([&]<class P>() {
    if (!cat.EngineSelected(P::kName)) return;
    ProbeKvPeer<P>(cat);
    for (DurabilityMode mode : cat.Modes()) AddKvPeerCells<P>(cat, mode);
  });
  peers::VectorPeers::ForEach([&]<class P>() {
    if (cat.EngineSelected(P::kName)) AddVectorPeerCells<P>(cat);
  });
  peers::SearchPeers::ForEach([&]<class P>() {
    if (cat.EngineSelected(P::kName)) AddSearchPeerCells<P>(cat);
  });
}

}  // namespace statelab::bench
