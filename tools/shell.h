#pragma once
// `statelab shell`: one JSON request per line in, one JSON reply per line out (docs/cli.md).
// Runs are addressed by name through RunIndex; a name that no run has is not_found (runs are
// created explicitly with run.create). Writes reply with their commit version once the commit is
// as durable as the database's mode promises (the Database API waits before returning).
// Thread-safety: a Shell is used by one thread.

#include <boost/json/object.hpp>
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

  // The reply to one request line (a JSON object, no newline); nullopt for a blank line.
  // Never fails: a malformed request gets an error reply.
  std::optional<std::string> HandleLine(std::string_view line);
  // True once a `close` request was handled: no more requests are read.
  bool closed() const noexcept { return closed_; }
  // Closes the database (idempotent).
  Status Close() { return db_->Close(); }

 private:
  // Fill `out` with the reply members besides "ok" and "request_id"; a non-OK status becomes
  // "error", with the members of `error_extra` added to it.
  Status Dispatch(const boost::json::object& req, boost::json::object& out,
                  boost::json::object& error_extra);
  Status HandleTxn(RequestReader& r, boost::json::object& out, boost::json::object& error_extra);
  // Runs fn on a read snapshot, or in a write transaction whose commit version joins `out`.
  Status Execute(const RunId& run, bool writes, const TxnOptions& o, const OpFn& fn,
                 boost::json::object& out);
  // not_found (with a message naming the run) when no run has that name.
  Result<RunId> ResolveRun(const std::string& name, boost::json::object& error_extra);

  std::unique_ptr<Db> db_;
  bool closed_ = false;
};

// Reads requests from `in` until EOF or `close`, writing each reply to `out` and flushing it.
// Returns the exit code (0, or 1 when closing the database failed).
int RunShell(Shell& shell, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace statelab::cli
