#pragma once
// Shared pieces of the benchmark catalogue: opening a database for a cell (concrete engine or
// through the AnyEngine wrapper), bulk loading outside the timed region, pre-generated keys and
// index streams, cell keys, and a fixture built from a state object and a measured body.
// Thread-safety: fixtures and their state belong to the thread running the cell.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bench/bench_env.h"
#include "bench/cell.h"
#include "bench/measure.h"
#include "engines/primitives/database.h"
#include "engines/registry/engine_list.h"
#include "workloads/generators.h"

namespace statelab::bench {

// Index streams are this long and are read with i & kIndexMask: the random draws happen before
// the timed loop, and the stream is long enough that caches do not learn it.
inline constexpr uint64_t kIndexCount = 1u << 16;
inline constexpr uint64_t kIndexMask = kIndexCount - 1;

// Keys of the point-op tiers (A0, A1, B kv): "k" + 8 digits, so the first 7 characters name a
// group of 100 consecutive keys (scan_prefix_100, list_100).
inline constexpr uint64_t kPointKeys = 10000;
// Writes per key before a point-op cell measures (see PointState).
inline constexpr int kSteadyWrites = 3;
std::string PointKey(uint64_t i);
std::string PointPrefix(uint64_t group);  // the 100 keys 100*group .. 100*group+99
std::vector<std::string> PointKeys(uint64_t n);

// Uniform indexes in [0, n), kIndexCount of them.
std::vector<uint32_t> UniformIndexes(uint64_t n, uint64_t seed);
// Scrambled-zipfian indexes (theta 0.99) in [0, n), kIndexCount of them.
std::vector<uint32_t> ZipfIndexes(uint64_t n, uint64_t seed);

// The run every single-run cell writes to, derived from the cell seed.
RunId SeededRun(uint64_t seed, uint64_t i = 0);

// DbOptions of a benchmark database: the cell's directory, the mode, no snapshot on close (a
// teardown cost the cell does not measure).
DbOptions BenchDbOptions(const CellContext& ctx, DurabilityMode mode);

CellKey MakeKey(std::string_view tier, std::string_view group, std::string_view op,
                std::string_view engine, std::string_view mode, harness::Params params = {});
CellKey SeriesKey(std::string_view tier, std::string_view group, std::string_view op,
                  std::string_view engine, std::string_view mode, int threads,
                  harness::Params params = {});
// The params of the point-op cells: {"n": kPointKeys}.
inline harness::Params PointParams() {
  return harness::Params{{"n", static_cast<double>(kPointKeys)}};
}
inline harness::Params P(
    std::initializer_list<std::pair<const std::string, harness::ParamValue>> l) {
  return harness::Params(l);
}

// How a cell reaches engine E: the concrete type, or the AnyEngine virtual wrapper over it.
template <class E, bool kVirtual>
struct Dispatch {
  using Eng = std::conditional_t<kVirtual, AnyEngine, E>;
  static std::string Label() { return kVirtual ? VirtualLabel(E::kName) : std::string(E::kName); }
  static Result<std::unique_ptr<Database<Eng>>> Open(const DbOptions& o) {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<E> e, E::Open(o));
    if constexpr (kVirtual) {
      return std::make_unique<Database<AnyEngine>>(
          std::unique_ptr<AnyEngine>(new AnyEngineImpl<E>(std::move(e))));
    } else {
      return std::make_unique<Database<E>>(std::move(e));
    }
  }
};

// A cell's database, opened on `env`. Members are destroyed in reverse order: the database
// closes before its file layer goes and its directory is removed.
template <class Eng>
struct DbState {
  explicit DbState(std::string dir) : dir(std::move(dir)) {}
  ~DbState() {
    if (db) (void)db->Close();
  }
  TempDir dir;
  BenchEnv env;
  std::unique_ptr<Database<Eng>> db;
  RunId run;
  Eng& engine() { return db->engine(); }
};

template <class D, class S = DbState<typename D::Eng>>
Result<std::unique_ptr<S>> OpenState(const CellContext& ctx, DurabilityMode mode, DbOptions opts) {
  auto s = std::make_unique<S>(ctx.data_dir);
  opts.env = &s->env;
  STATELAB_ASSIGN_OR_RETURN(s->db, D::Open(opts));
  if (s->db->mode() != mode) {
    return Status::InvalidArgument("mode: engine opened in " + std::string(ModeName(mode)) +
                                   " reports " + std::string(ModeName(s->db->mode())));
  }
  s->run = SeededRun(ctx.seed);
  return s;
}
template <class D, class S = DbState<typename D::Eng>>
Result<std::unique_ptr<S>> OpenState(const CellContext& ctx, DurabilityMode mode) {
  return OpenState<D, S>(ctx, mode, BenchDbOptions(ctx, mode));
}

// Writes n items through write(handle, i) in transactions of `batch` items, so loading a durable
// database costs n / batch syncs.
template <class Eng, class F>
Status BulkLoad(Database<Eng>& db, const RunId& run, uint64_t n, F&& write, uint64_t batch = 1024) {
  for (uint64_t start = 0; start < n; start += batch) {
    const uint64_t end = std::min(n, start + batch);
    Result<Version> r = db.Transaction(run, [&](typename Database<Eng>::Handle& h) -> Status {
      for (uint64_t i = start; i < end; ++i) STATELAB_RETURN_IF_ERROR(write(h, i));
      return Status::OK();
    });
    STATELAB_RETURN_IF_ERROR(r.status());
  }
  return Status::OK();
}

// The inputs of the point-op cells (bench/kv_bodies.h): the loaded keys (PointKeys), a
// uniform index stream over them, and scratch. PointState and the KV peers' state carry one.
struct KvInputs {
  std::vector<std::string> keys;
  std::vector<uint32_t> idx;
  std::vector<std::string> missing;  // never-loaded keys, made on first use (get_missing)
  std::vector<std::string> listed;   // list_100's output
  Value out;
  uint64_t call = 0;  // calls so far: fresh keys per call for delete
};

// Loads the point keys 0..n-1 with int64 values (= their index) through the KV primitive.
template <class Eng>
Status LoadPointKeys(Database<Eng>& db, const RunId& run, const std::vector<std::string>& keys) {
  return BulkLoad(db, run, keys.size(), [&](auto& h, uint64_t i) {
    return h.kv().Put(keys[i], Value(static_cast<int64_t>(i)));
  });
}

// A database loaded with the point keys (int64 values), with everything the point-op cells read:
// user keys, engine-encoded keys of `run`, a uniform index stream and each key's version. Every
// key is written kSteadyWrites times first: a chain briefly holds three versions during a commit
// (the one the horizon keeps, the previous newest and the new one) before pruning, so its storage
// reaches its steady capacity on the third write; the cells measure the steady state, not first
// touches (an overwrite-only workload allocates nothing after that).
template <class Eng>
struct PointState : DbState<Eng>, KvInputs {
  using DbState<Eng>::DbState;
  std::vector<std::string> encoded;
  std::vector<Version> versions;
  Version ver = 0;
};

template <class D>
Result<std::unique_ptr<PointState<typename D::Eng>>> OpenPoint(const CellContext& ctx,
                                                               DurabilityMode mode) {
  using S = PointState<typename D::Eng>;
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
  s->keys = PointKeys(kPointKeys);
  for (int w = 0; w < kSteadyWrites; ++w) {
    STATELAB_RETURN_IF_ERROR(LoadPointKeys(*s->db, s->run, s->keys));
  }
  s->encoded.reserve(s->keys.size());
  for (const std::string& k : s->keys) s->encoded.emplace_back(KeyBuf(s->run, Tag::kKv, k).view());
  // One read transaction (one round trip to an owner thread, not one per key).
  STATELAB_RETURN_IF_ERROR(s->db->Read(s->run, [&](auto& h) -> Status {
    s->versions.clear();
    for (const std::string& k : s->keys) {
      Version v = 0;
      Status g = h.kv().Get(k, nullptr, &v);
      if (!g.ok() && !g.IsNotFound()) return g;
      s->versions.push_back(v);
    }
    return Status::OK();
  }));
  s->idx = UniformIndexes(s->keys.size(), ctx.seed);
  return s;
}

// Marks the call failed on an unexpected status (the branch is cold in the loop).
inline void Check(Measure& m, const Status& s) {
  if (!s.ok()) [[unlikely]]
    m.Fail(s.ToString());
}
template <class T>
inline void Check(Measure& m, const Result<T>& r) {
  if (!r.ok()) [[unlikely]]
    m.Fail(r.status().ToString());
}

// A fixture made of a state object and a body(Measure&, S&); its engine counters come from
// state.db and its file operations from state.env when the state has them.
template <class S, class Body>
class FnFixture final : public Fixture {
 public:
  FnFixture(std::unique_ptr<S> s, Body body) : s_(std::move(s)), body_(std::move(body)) {}
  void Run(Measure& m) override { body_(m, *s_); }
  std::optional<EngineStats> Stats() const override {
    if constexpr (requires(S & s) { s.db->Stats(); }) {
      return s_->db->Stats();
    } else {
      return std::nullopt;
    }
  }
  std::optional<uint64_t> FileOps() const override {
    if constexpr (requires(S & s) { s.env.file_ops(); }) {
      return s_->env.file_ops();
    } else {
      return std::nullopt;
    }
  }

 private:
  std::unique_ptr<S> s_;
  Body body_;
};

template <class S, class Body>
std::unique_ptr<Fixture> MakeFixture(std::unique_ptr<S> s, Body body) {
  return std::make_unique<FnFixture<S, Body>>(std::move(s), std::move(body));
}

// A factory's result: the fixture over an opened state, or why the state did not open.
template <class S, class Body>
Result<std::unique_ptr<Fixture>> Bind(Result<std::unique_ptr<S>> s, Body body) {
  if (!s.ok()) return std::move(s).error();
  return MakeFixture(std::move(s).value(), std::move(body));
}

// Calls f.template operator()<E>() for each engine of AllEngines in the selection.
template <class F>
void ForEachEngine(const Catalogue& cat, F&& f) {
  AllEngines::ForEach([&]<class E>() {
    if (cat.EngineSelected(E::kName)) f.template operator()<E>();
  });
}

}  // namespace statelab::bench
