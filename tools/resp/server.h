#pragma once
// `statelab serve`: a RESP2 server over TCP (docs/resp.md). One epoll loop per worker thread,
// all sharing one listening socket (EPOLLEXCLUSIVE wakes one worker per new connection); each
// connection stays on the worker that accepted it. Per readable event a worker reads what is
// there, runs every complete request, waits once for the durability of the batch's commits and
// writes all the replies with one send.
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
  RespLimits limits;
};

// Opens the database, listens, calls on_listening(port), serves until SIGTERM, SIGINT or
// SHUTDOWN, then closes every connection, joins the workers and closes (flushes) the database.
Status Serve(const DbOptions& db_options, const ServerOptions& opts,
             const std::function<void(int port)>& on_listening);

}  // namespace statelab::resp
