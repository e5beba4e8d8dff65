#pragma once
// A shard of the selected cells (statelab-bench --shard I/N, docs/fleet.md): every task of a fleet
// run builds the same catalogue, deals it the same way and keeps the cells dealt to it, so the N
// parts together hold the selection exactly once. Each part records its share in shard.json,
// which the merge (reports/merge.h) reads back to name the cells of a part that did not finish.
// Thread-safety: pure functions over plain values, except KeepShard (one catalogue, one thread).

#include <boost/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cell.h"
#include "bench/run.h"
#include "engines/api/status.h"

namespace statelab::bench {

struct ShardSpec {
  int index = 1;  // 1..count, as Slurm array task ids
  int count = 1;
};
// "I/N" with 1 <= I <= N <= 10000; InvalidArgument naming the text otherwise.
Result<ShardSpec> ParseShard(std::string_view text);

struct DealItem {
  std::string name;
  double expected_seconds = 0;
};
// The 0-based shard of each item: items longest expected first (then by name) each go to the
// shard with the least expected time so far, then the fewest items (so cells without a known
// cost are dealt round-robin by name), then the lowest index. Depends only on the items' names
// and costs, never on their order.
std::vector<int> DealShards(std::span<const DealItem> items, int count);

// What running `cell` is expected to take with `cfg`'s repetitions, minimum time and phase
// lengths (a lower bound: setup and Google Benchmark's estimates are not counted).
double ExpectedSeconds(const CellDef& cell, const RunnerConfig& cfg);

// A cell kept in a shard, with its position in the unsharded selection (cells first, then the
// planned skips), so a merge can restore the single-process order.
struct ShardCell {
  std::string name;
  size_t order = 0;
};
struct ShardPlan {
  ShardSpec spec;
  size_t selection = 0;            // cells and planned skips of the unsharded selection
  std::vector<ShardCell> cells;    // parallel to the catalogue's cells() after KeepShard
  std::vector<ShardCell> skipped;  // parallel to its skipped()
};
// Deals every selected cell and planned skip (skips cost nothing) and keeps in `cat` only those
// dealt to `spec.index`.
ShardPlan KeepShard(Catalogue& cat, ShardSpec spec, const RunnerConfig& cfg);

// The identity fields of a cell as baseline.json's skipped[] writes them (name, tier, group, op,
// engine, kind, mode, threads, params).
boost::json::object CellKeyJson(const CellKey& key);

// shard.json: kind, shard_index, shard_count, selection_cells (the unsharded selection's size:
// parts that dealt different selections must not merge), the run's commit, suite, seed, this
// task's host and machine fingerprint, and the shard's cells (to run) and skipped (planned skips with reasons),
// each with its "order".
// `cells` and `skipped` are the catalogue's after KeepShard.
boost::json::object ShardFileJson(const ShardPlan& plan, std::span<const CellDef> cells,
                                  std::span<const SkippedCell> skipped,
                                  const boost::json::object& environment, std::string_view commit,
                                  std::string_view suite, uint64_t seed);

}  // namespace statelab::bench
