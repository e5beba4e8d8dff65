#include "engines/durability/commit_log.h"

// Placeholder: durable modes land with the durability layer.
namespace statelab {

class CommitLog::Impl {};

Result<std::unique_ptr<CommitLog>> CommitLog::Open(const DbOptions&, std::string, Version) {
  return Status::IOError("durable modes are not built yet");
}
CommitLog::CommitLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CommitLog::~CommitLog() = default;
Result<uint64_t> CommitLog::Append(Version, const TxnState&) { return Status::IOError("no wal"); }
Status CommitLog::WaitDurable(uint64_t, bool) { return Status::OK(); }
Status CommitLog::Flush() { return Status::OK(); }
Status CommitLog::Close() { return Status::OK(); }
uint64_t CommitLog::appends() const { return 0; }
uint64_t CommitLog::syncs() const { return 0; }
uint64_t CommitLog::bytes() const { return 0; }

}  // namespace statelab
