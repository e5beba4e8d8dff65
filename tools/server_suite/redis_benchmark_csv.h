#pragma once
// Reading `redis-benchmark --csv` output. Redis 6.2 and later print a header line
// ("test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...) and one row per test
// ("MSET (10 keys)","74074.07","0.200",...); earlier versions print rows of test and rps only.
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::servers {

// RFC 4180 records: fields separated by ',', records by '\n' (a '\r' before it is dropped),
// a field in double quotes may hold ',', '\n' and "" (one quote). Blank lines are skipped.
// InvalidArgument for an unterminated quote or text after a closing quote.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

struct BenchmarkRow {
  std::string test;  // as printed: "SET", "MSET (10 keys)"
  std::string op;    // the test's first word in lower case: "set", "mset"
  // +inf when the test finished within redis-benchmark's millisecond clock (too few requests).
  double ops_per_sec = 0;
  std::optional<double> p50_ms;  // absent when this redis-benchmark does not print it
  std::optional<double> p99_ms;
};

// The rows of redis-benchmark's CSV output. With a header, columns are found by name (test, rps,
// p50_latency_ms, p99_latency_ms); without one, the first two columns are test and rps.
// InvalidArgument for malformed CSV, a missing test or rps column, or a number that is not one.
Result<std::vector<BenchmarkRow>> ParseRedisBenchmarkCsv(std::string_view text);

}  // namespace statelab::servers
