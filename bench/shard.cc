#include "bench/shard.h"

#include <algorithm>
#include <charconv>
#include <numeric>

namespace statelab::bench {

namespace json = boost::json;

namespace {

constexpr int kMaxShards = 10000;

bool ParseInt(std::string_view s, int* out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

Result<ShardSpec> ParseShard(std::string_view text) {
  const size_t slash = text.find('/');
  ShardSpec spec;
  if (slash == std::string_view::npos || !ParseInt(text.substr(0, slash), &spec.index) ||
      !ParseInt(text.substr(slash + 1), &spec.count) || spec.count < 1 ||
      spec.count > kMaxShards || spec.index < 1 || spec.index > spec.count) {
    return Status::InvalidArgument("--shard: '" + std::string(text) +
                                   "' is not I/N with 1 <= I <= N <= " +
                                   std::to_string(kMaxShards));
  }
  return spec;
}

std::vector<int> DealShards(std::span<const DealItem> items, int count) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (items[a].expected_seconds != items[b].expected_seconds) {
      return items[a].expected_seconds > items[b].expected_seconds;
    }
    return items[a].name < items[b].name;
  });
  // (expected seconds, cells) per shard: cells without a known cost still spread evenly.
  std::vector<std::pair<double, size_t>> load(static_cast<size_t>(count), {0.0, 0});
  std::vector<int> shard(items.size(), 0);
  for (size_t i : order) {
    // min_element keeps the first of equal loads: the lowest index.
    const auto least = std::min_element(load.begin(), load.end());
    least->first += items[i].expected_seconds;
    ++least->second;
    shard[i] = static_cast<int>(least - load.begin());
  }
  return shard;
}

double ExpectedSeconds(const CellDef& cell, const RunnerConfig& cfg) {
  const int reps =
      cell.max_repetitions > 0 ? std::min(cell.max_repetitions, cfg.repetitions) : cfg.repetitions;
  if (cell.timing == Timing::kSingleShot) {
    const CellContext ctx = MakeCellContext(cell, 0, cfg);
    return reps * (ctx.warmup_seconds + ctx.measure_seconds);
  }
  return reps * cfg.min_time;
}

ShardPlan KeepShard(Catalogue& cat, ShardSpec spec, const RunnerConfig& cfg) {
  std::vector<DealItem> items;
  items.reserve(cat.cells().size() + cat.skipped().size());
  for (const CellDef& c : cat.cells()) items.push_back({c.key.Name(), ExpectedSeconds(c, cfg)});
  for (const SkippedCell& s : cat.skipped()) items.push_back({s.key.Name(), 0});
  const std::vector<int> shard = DealShards(items, spec.count);
  const int mine = spec.index - 1;

  ShardPlan plan;
  plan.spec = spec;
  plan.selection = items.size();
  std::vector<CellDef> cells;
  for (size_t i = 0; i < cat.cells().size(); ++i) {
    if (shard[i] != mine) continue;
    plan.cells.push_back({items[i].name, i});
    cells.push_back(std::move(cat.cells()[i]));
  }
  std::vector<SkippedCell> skipped;
  const size_t first_skip = cat.cells().size();
  for (size_t i = 0; i < cat.skipped().size(); ++i) {
    if (shard[first_skip + i] != mine) continue;
    plan.skipped.push_back({items[first_skip + i].name, first_skip + i});
    skipped.push_back(std::move(cat.skipped()[i]));
  }
  cat.cells() = std::move(cells);
  cat.skipped() = std::move(skipped);
  return plan;
}

json::object CellKeyJson(const CellKey& key) {
  json::object params;
  for (const auto& [k, v] : key.params) {
    if (const double* d = std::get_if<double>(&v)) {
      params[k] = *d;
    } else {
      params[k] = std::get<std::string>(v);
    }
  }
  return json::object{{"name", key.Name()},   {"tier", key.tier},
                      {"group", key.group},   {"op", key.op},
                      {"engine", key.engine}, {"kind", EngineKind(key.engine)},
                      {"mode", key.mode},     {"threads", key.threads},
                      {"params", params}};
}

json::object ShardFileJson(const ShardPlan& plan, std::span<const CellDef> cells,
                           std::span<const SkippedCell> skipped,
                           const json::object& environment, std::string_view commit,
                           std::string_view suite, uint64_t seed) {
  json::array cells_json;
  for (size_t i = 0; i < cells.size(); ++i) {
    json::object o = CellKeyJson(cells[i].key);
    o["order"] = plan.cells[i].order;
    cells_json.emplace_back(std::move(o));
  }
  json::array skipped_json;
  for (size_t i = 0; i < skipped.size(); ++i) {
    json::object o = CellKeyJson(skipped[i].key);
    o["reason"] = skipped[i].reason;
    o["failed"] = skipped[i].failed;
    o["order"] = plan.skipped[i].order;
    skipped_json.emplace_back(std::move(o));
  }
  const json::value* machine = environment.if_contains("machine");
  const json::value* fingerprint =
      machine != nullptr && machine->is_object() ? machine->get_object().if_contains("fingerprint")
                                                 : nullptr;
  const json::value* host = environment.if_contains("hostname");
  return json::object{
      {"kind", harness::kShardFileKind},
      {"shard_index", plan.spec.index},
      {"shard_count", plan.spec.count},
      {"selection_cells", plan.selection},
      {"git_commit", commit},
      {"suite", suite},
      {"seed", seed},
      {"host", host != nullptr ? *host : json::value(nullptr)},
      {"machine_fingerprint", fingerprint != nullptr ? *fingerprint : json::value(nullptr)},
      {"cells", std::move(cells_json)},
      {"skipped", std::move(skipped_json)}};
}

}  // namespace statelab::bench
