#include "reports/cells.h"

#include <algorithm>

#include "gates/metrics.h"
#include "util/format.h"

namespace statelab::reports {

const harness::BenchmarkResult* FindCell(const harness::Baseline& run, std::string_view tier,
                                         std::string_view group, std::string_view op,
                                         std::string_view engine, std::string_view mode) {
  for (const auto& b : run.benchmarks) {
    if (b.tier == tier && b.group == group && b.op == op && b.engine == engine && b.threads == 1 &&
        (mode.empty() || b.mode == mode)) {
      return &b;
    }
  }
  return nullptr;
}

util::Stability StabilityOf(const harness::BenchmarkResult& b) {
  return util::JudgeStability(gates::NsPerOp(b));
}

std::string CvText(const util::Stability& s) {
  return s.cv ? util::FormatNumber(*s.cv * 100) + "%" : "—";
}

std::vector<std::string> EnginesOf(const harness::Baseline& run) {
  std::vector<std::string> out = run.config.engines;
  for (const auto& b : run.benchmarks) {
    if (std::find(out.begin(), out.end(), b.engine) == out.end()) out.push_back(b.engine);
  }
  return out;
}

std::vector<std::string> ModesOf(const harness::Baseline& run) {
  std::vector<std::string> out = run.config.modes;
  for (const auto& b : run.benchmarks) {
    if (b.mode != "n/a" && std::find(out.begin(), out.end(), b.mode) == out.end()) {
      out.push_back(b.mode);
    }
  }
  return out;
}

}  // namespace statelab::reports
