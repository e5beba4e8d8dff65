#pragma once
// Lookups into a GateReport by rule id, shared by the gate tests.

#include <string>
#include <vector>

#include "gates/gate_eval.h"

namespace statelab::gates {

inline std::vector<const Verdict*> VerdictsOf(const GateReport& r, const std::string& id) {
  std::vector<const Verdict*> out;
  for (const auto& v : r.verdicts) {
    if (v.id == id) out.push_back(&v);
  }
  return out;
}

inline const RuleOutcome* OutcomeOf(const GateReport& r, const std::string& id) {
  for (const auto& o : r.rules) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

}  // namespace statelab::gates
