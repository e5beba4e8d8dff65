#pragma once
// The server suite (docs/resp.md "Measuring against Redis"): per durability mode, redis-server
// with the matching persistence and then `statelab serve` for each engine, under the same
// redis-benchmark runs, plus memory per key loaded through `redis-cli --pipe`. Programs come from
// PATH (redis-server, redis-cli, redis-benchmark) and SuiteOptions::statelab_bin.
// Thread-safety: RunServerSuite is reentrant, but two concurrent suites compete for the machine.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "tools/server_suite/servers_json.h"

namespace statelab::servers {

inline constexpr std::string_view kServerSuite = "server";

struct SuiteOptions {
  // quick, standard, full (the Redis comparison of a bench run: redis-server only, SET and GET
  // at pipeline 1 and 16, one client) or server (every engine's `statelab serve` too, INCR, MSET
  // and the MULTI/EXEC pair, pipeline 64, 1 and 50 clients, memory per key).
  std::string suite = "quick";
  // Engines served in the server suite (empty: btree; "all": every engine of AllEngines).
  std::vector<std::string> engines;
  std::vector<std::string> modes;  // empty: every durability mode
  // The bench run's --tier list: outside the server suite, a run without tier B is skipped.
  std::vector<std::string> tiers;
  std::vector<std::string> tests;   // kKnownTests; empty: the suite's
  std::vector<int64_t> pipelines;   // empty: the suite's
  std::optional<int64_t> requests;  // -n for every run; empty: per suite, mode and pipeline
  std::vector<int64_t> clients;     // redis-benchmark -c, a run each; empty: the suite's
  int64_t serve_threads = 1;        // statelab serve --threads
  int64_t memory_keys = 1'000'000;  // keys loaded to measure memory per key
  std::string statelab_bin;         // the `statelab` binary
  std::chrono::seconds benchmark_timeout{120};
  std::chrono::seconds load_timeout{300};
};

// The tests the server suite knows (the `op` of a result): redis-benchmark -t names, and
// kMultiExec, the MULTI/EXEC pair the suite's own client sends (multi_exec_load.h).
inline constexpr std::string_view kMultiExec = "multi";
inline constexpr std::string_view kKnownTests[] = {"set", "get", "incr", "mset", kMultiExec};

// Checks the options (suite, modes, tests, pipelines, counts); InvalidArgument naming the bad one.
Status ValidateOptions(const SuiteOptions& options);

// The engines `statelab serve` runs in this suite, from options.engines and AllEngines; each
// requested name that is not an engine of AllEngines is appended to `not_served`.
std::vector<std::string> ServedEngines(const SuiteOptions& options,
                                       std::vector<std::string>* not_served);

// redis-benchmark -n for a run: options.requests, or the suite's count for the mode and pipeline
// (strict ones are small: every batch waits for an fsync; five times as many with more than one
// client in the server suite), rounded up to whole pipeline batches:
// redis-benchmark sends whole batches anyway, and with a partial last batch it now and then
// aborts ("All clients disconnected"), against redis-server too.
int64_t RequestCount(const SuiteOptions& options, std::string_view mode, int64_t pipeline,
                     int64_t clients);

// Runs the suite; progress lines and warnings ("WARNING: ...") go to `log`. Never fails: what
// could not be measured is a warning, and when nothing was, the report says why (available
// false, with the reason).
ServersReport RunServerSuite(const SuiteOptions& options, std::ostream& log);

}  // namespace statelab::servers
