#pragma once
// The `servers` section of baseline.json (docs/baseline_schema.md#servers) as the server suite
// measures it, and its JSON file. statelab-report --attach-servers stores the file in the run's
// baseline.json. Plain value types and pure functions (file I/O aside); thread-safe.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::servers {

// One redis-benchmark test against one server at one pipeline depth.
struct ServerResult {
  std::string server;  // "redis" or "statelab"
  std::string engine;  // "" for redis
  std::string op;      // "set", "get", "incr", "mset"
  std::string mode;    // the durability mode
  std::string persistence;
  int64_t clients = 1;
  int64_t pipeline = 1;
  int64_t requests = 0;
  double ops_per_sec = 0;
  std::optional<int64_t> p50_ns;  // null when redis-benchmark printed no latency
  std::optional<int64_t> p99_ns;
};

// Memory growth of one server while keys were loaded into it.
struct MemoryResult {
  std::string server;
  std::string engine;
  int64_t keys = 0;
  int64_t value_bytes = 0;
  int64_t rss_before_bytes = 0;
  int64_t rss_after_bytes = 0;
  double rss_bytes_per_key = 0;
  double used_memory_bytes_per_key = 0;  // INFO memory used_memory growth / keys
};

struct ServersReport {
  bool available = false;
  std::string reason;   // why nothing was measured; "" when available
  std::string version;  // redis-server's
  std::string suite;
  std::vector<ServerResult> results;
  std::vector<MemoryResult> memory;
};

// The section as JSON: {available, reason, results: []} when nothing was measured, otherwise
// {available, reason, version, suite, results, memory}. Text that is not valid UTF-8 (a server's
// stderr in a reason) has each bad byte replaced by U+FFFD, so the file always parses.
boost::json::object ToJson(const ServersReport& report);

// Writes ToJson(report) as every statelab tool writes JSON (util::PrettyJson, a newline,
// through a temporary file and a rename). IOError naming the file when that fails.
Status WriteServersFile(const ServersReport& report, const std::string& path);

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

}  // namespace statelab::servers
