#pragma once
// `statelab shell`: one JSON request per line in, one JSON reply per line out (docs/cli.md).
// Runs are addressed by name through RunIndex; a name that no run has is not_found (runs are
// created explicitly with run.create). Requests are pipelined: each runs as soon as it is read,
// and replies are written in request order; a write replies with its commit version once the
// commit is as durable as the database's mode promises, so consecutive writes share syncs.
// Thread-safety: a Shell is used by one thread.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <deque>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engines/primitives/database.h"
#include "engines/registry/any_engine.h"
#include "tools/primitive_ops.h"
#include "tools/protocol.h"

namespace statelab::cli {

using Db = Database<AnyEngine>;

// Thread-safety: not thread-safe; one thread drives a Shell.
class Shell {
 public:
  explicit Shell(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  // Runs one request line at once; its reply joins the queue of replies not yet written (a blank
  // line gets none). A write's reply waits in the queue until its commit is as durable as the
  // mode promises (Drain), so the writes of consecutive requests share group commits. Database
  // ops (flush, snapshot, recovery, stats, close) drain the queue into `out` before they run.
  // Never fails: a malformed request gets an error reply.
  void Submit(std::string_view line, std::ostream& out);
  // Waits until every queued write is durable, then writes the queued replies to `out` in
  // request order and flushes. A write whose durability wait failed is answered with that error.
  void Drain(std::ostream& out);
  size_t queued() const noexcept { return queue_.size(); }
  // True once a `close` request was handled: no more requests are read.
  bool closed() const noexcept { return closed_; }
  // What recovery did when the database was opened.
  const RecoveryReport& recovery() const { return db_->recovery(); }
  // Closes the database (idempotent).
  Status Close() { return db_->Close(); }

 private:
  // One request's outcome until its reply is written.
  struct Reply {
    Status status;
    boost::json::object result;       // reply members besides "ok" and "request_id"
    boost::json::object error_extra;  // members added to the error object (op_index, a message)
    std::optional<boost::json::value> request_id;
    CommitTicket ticket;  // durable_token 0: nothing to wait for
    bool force = false;   // "durability": "strict"
  };

  // Runs the request and fills `reply` (status, result, error members, ticket).
  Status Dispatch(const boost::json::object& req, Reply& reply, std::ostream& out);
  Status HandleTxn(RequestReader& r, Reply& reply);
  // Runs fn on a read snapshot, or commits it as a write transaction without waiting for
  // durability: the commit version joins the result, the ticket the reply.
  Status Execute(const RunId& run, bool writes, const TxnOptions& o, const OpFn& fn, Reply& reply);
  // not_found (with a message naming the run) when no run has that name.
  Result<RunId> ResolveRun(const std::string& name, boost::json::object& error_extra);

  std::unique_ptr<Db> db_;
  std::deque<Reply> queue_;
  bool closed_ = false;
};

// Reads requests from file descriptor `in` until EOF or `close`, running each as soon as it is
// read (Shell::Submit) and writing the queued replies whenever no more input is at hand (or 256
// are queued). Returns the exit code (0, or 1 when closing the database failed).
int RunShell(Shell& shell, int in, std::ostream& out, std::ostream& err);

}  // namespace statelab::cli
