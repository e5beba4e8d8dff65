#pragma once
// `statelab-bench --describe`: what this build can run, as JSON, for every reader that must not
// keep a list of its own (bench_runner.sh, the server suite, the fourth-engine test, docs): the
// engines of AllEngines, the harness's pseudo-engines, the peers (and whether each was built),
// the durability modes, the tiers and suites, and the load threshold of the environment checks.
// Thread-safety: a pure function.

#include <boost/json/object.hpp>

namespace statelab::bench {

boost::json::object Describe();

}  // namespace statelab::bench
