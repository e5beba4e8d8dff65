#pragma once
// `statelab serve`: a RESP2 server over TCP (docs/resp.md). One epoll loop per worker thread,
// all sharing one listening socket (EPOLLEXCLUSIVE wakes one worker per new connection); each
// connection stays on the worker that accepted it. Per readable event a worker reads what is
// there, runs every complete request and writes all the replies with one send. When the replies
// must wait for a sync (Strict), the connection is parked instead: no more reads, replies held.
// One durability-waiter thread waits for every parked connection's commits of all workers at
// once (one sync covers them all) and wakes the workers (eventfd), which send the replies and
// resume reading. No worker blocks on a sync.
// Thread-safety: Serve is called once per process: it blocks SIGTERM and SIGINT in every thread
// (they are read through a signalfd) and leaves them blocked.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "tools/resp/commands.h"
#include "tools/resp/resp_parser.h"

namespace statelab::resp {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 6379;  // 0: any free port (announced through on_listening)
  int threads = 1;
  size_t max_clients = 10000;
  std::chrono::seconds idle_timeout{300};  // 0: never
  std::string password;  // non-empty: clients must AUTH first
  bool strict_acks = false;  // buffered mode: acknowledge a write once fdatasync'ed, as strict
  RespLimits limits;
};

// Opens the database, listens, calls on_listening(port), serves until SIGTERM, SIGINT or
// SHUTDOWN, then closes every connection, joins the workers and closes (flushes) the database.
Status Serve(const DbOptions& db_options, const ServerOptions& opts,
             const std::function<void(int port)>& on_listening);

}  // namespace statelab::resp
