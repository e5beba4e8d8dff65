#pragma once
// SVG plots through gnuplot: disjoint scaling curves, latency percentiles, engine A/B bars.
// The .dat and .gp files are always written next to the SVGs, so a machine without gnuplot still
// gets reproducible plot inputs, and the outcome says the SVGs were skipped and why.

#include <string>
#include <vector>

#include "harness/baseline.h"

namespace statelab::reports {

struct PlotOutcome {
  std::vector<std::string> written;  // .dat, .gp and .svg files
  std::vector<std::string> svgs;     // the SVGs that gnuplot produced
  std::vector<std::string> notes;    // skipped plots and why
};

// `gnuplot` is the binary to run; "" means gnuplot is not available.
PlotOutcome WritePlots(const harness::Baseline& run, const std::string& plots_dir,
                       const std::string& gnuplot);

}  // namespace statelab::reports
