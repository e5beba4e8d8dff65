#pragma once
// statelab-report fleet: the runs of one commit on several machines side by side (scripts/fleet.sh
// --same-suite; docs/fleet.md): the median of every cell on every machine and its ratio to a
// chosen machine's. Runs of different commits or metrics are refused: the table compares
// hardware, not code. Pure over loaded runs; thread-safe.

#include <string>
#include <vector>

#include "engines/api/status.h"
#include "gates/run_facts.h"

namespace statelab::reports {

// The markdown report over `runs` (at least one, all of one commit and metric); `base` indexes
// the machine the ratios are against. InvalidArgument naming the run that does not belong.
Result<std::string> RenderFleetReport(const std::vector<gates::RunFile>& runs, size_t base);

}  // namespace statelab::reports
