#pragma once
// The derived section of baseline.json: facade tax (the ratio of one logical operation's median
// between tiers) and scaling (throughput at n threads over one thread), computed from the
// benchmarks of a run. Pure functions over plain values; thread-safe.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/baseline.h"

namespace statelab::harness {

// One row of the facade-tax table the caller supplies: which benchmark of each tier measures the
// same logical operation (e.g. op "kv_get": A0 raw/get_uniform, A1 engine/get_direct, B kv/get).
struct TierOp {
  std::string group;
  std::string op;
};
struct FacadeMapping {
  std::string op;  // Label written to derived.facade_tax[].op.
  std::optional<TierOp> a0;
  std::optional<TierOp> a1;
  std::optional<TierOp> b;
};

// The facade-tax mapping of the bench catalogue (which A0, A1 and B benchmarks are the same op),
// for the bench and for merged fleet runs (reports/merge.h).
std::vector<FacadeMapping> FacadeTable();

// facade_tax and scaling from the benchmarks present only; an entry whose inputs are missing is
// left out. See docs/baseline_schema.md for the matching rules.
Derived ComputeDerived(std::span<const BenchmarkResult> benchmarks,
                       std::span<const FacadeMapping> facade_table);

}  // namespace statelab::harness
