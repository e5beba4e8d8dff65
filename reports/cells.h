#pragma once
// Lookups over the benchmarks of one run shared by compare, the report writers and the plots, so
// SUMMARY.md and engines_ab.svg show the same key operations of the same engines and every tool
// judges a cell's stability the same way. Pure; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "harness/baseline.h"
#include "util/stability.h"

namespace statelab::reports {

// The single-threaded hot paths SUMMARY.md and engines_ab.svg show.
struct KeyOp {
  std::string_view tier, group, op;
};
inline constexpr KeyOp kKeyOps[] = {{"A1", "engine", "get_direct"},
                                    {"A1", "engine", "put_direct"},
                                    {"A1", "engine", "snapshot_acquire"},
                                    {"B", "kv", "get"},
                                    {"B", "kv", "put"},
                                    {"B", "event", "append"}};

// First single-threaded benchmark of a cell (any params); `mode` "" matches any mode.
const harness::BenchmarkResult* FindCell(const harness::Baseline& run, std::string_view tier,
                                         std::string_view group, std::string_view op,
                                         std::string_view engine, std::string_view mode);

// The stability verdict of a benchmark's repetitions (ns per op; docs/compare.md#stability).
util::Stability StabilityOf(const harness::BenchmarkResult& b);
// The cv as a percentage ("1.6%"), "—" when there is none.
std::string CvText(const util::Stability& s);

// Engines in config order, then any others that appear in benchmarks.
std::vector<std::string> EnginesOf(const harness::Baseline& run);
// Modes in config order, then any others (except "n/a") that appear in benchmarks.
std::vector<std::string> ModesOf(const harness::Baseline& run);

}  // namespace statelab::reports
