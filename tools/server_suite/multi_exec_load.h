#pragma once
// The server suite's MULTI/EXEC row (docs/resp.md "statelab-servers"). redis-benchmark sends one
// command per request, repeated, so it cannot send a transaction; this client sends one to both
// servers the way redis-benchmark sends its tests: one thread, `clients` connections over
// loopback, each writing `pipeline` transactions (MULTI, SET key:<r> xxx, INCR counter:<r>, EXEC;
// r at random below 100,000, 12 digits as redis-benchmark -r writes them) at once and writing
// the next batch when every reply of the last one arrived. A transaction's latency runs from the
// write of its batch to its EXEC reply (redis-benchmark's measure of a pipelined request).
// Thread-safety: RunMultiExecLoad is reentrant.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "engines/api/status.h"

namespace statelab::servers {

struct MultiExecLoad {
  int port = 0;  // on 127.0.0.1
  int64_t clients = 1;
  int64_t pipeline = 1;
  int64_t transactions = 0;  // in whole batches of `pipeline` (the last one may be shorter)
  int64_t keyspace = 100000;
  uint64_t seed = 1;
  std::chrono::milliseconds timeout{120000};
};

struct MultiExecFigures {
  double ops_per_sec = 0;  // transactions per second
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
};

// Runs the load. IOError when a connection fails or closes, the server answers anything but
// MULTI's OK, QUEUED twice and EXEC's [OK, integer] (naming the reply), or `timeout` passes.
Result<MultiExecFigures> RunMultiExecLoad(const MultiExecLoad& load);

// The length of the one RESP2 reply at the start of `buf`: 0 while it is incomplete, -1 when it
// is malformed. Exposed for tests.
int64_t ReplyLength(std::string_view buf);

}  // namespace statelab::servers
