#include "engines/btree/btree_engine.h"

#include <mutex>

namespace statelab {

Result<std::unique_ptr<BTreeEngine>> BTreeEngine::Open(const DbOptions& opts) {
  std::unique_ptr<BTreeEngine> e(new BTreeEngine(opts));
  if (opts.mode != DurabilityMode::kInMemory) {
    STATELAB_ASSIGN_OR_RETURN(e->log_, CommitLog::Open(opts, opts.dir + "/wal", 0));
  }
  return e;
}

BTreeEngine::~BTreeEngine() { (void)Close(); }

Status BTreeEngine::Get(Version snap, std::string_view key, TimestampUs now, Value* out,
                        Version* ver) noexcept {
  std::shared_lock lk(mu_);
  auto it = map_.find(key);
  const VersionEntry* e = it == map_.end() ? nullptr : it->second.Find(snap);
  if (e == nullptr) {
    if (ver) *ver = 0;
    return Status::NotFound();
  }
  if (ver) *ver = e->version;
  if (!e->Live(now)) return Status::NotFound();
  if (out) *out = e->value;
  return Status::OK();
}

Result<CommitTicket> BTreeEngine::Commit(TxnState& t) {
  if (t.ReadOnly()) return CommitTicket{t.snapshot, 0};  // a read-only transaction never aborts
  std::unique_lock lk(mu_);
  if (closed_.load(std::memory_order_relaxed)) return Status::ShuttingDown();
  auto find = [this](std::string_view k) -> const VersionChain* {
    auto it = map_.find(k);
    return it == map_.end() ? nullptr : &it->second;
  };
  if (Status s = ValidateReads(t, find); !s.ok()) {
    conflicts_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  STATELAB_RETURN_IF_ERROR(MaterializeWrites(t, find));
  const Version v = visible_.load(std::memory_order_relaxed) + 1;
  uint64_t token = 0;
  if (log_) {
    STATELAB_ASSIGN_OR_RETURN(token, log_->Append(v, t));
  }
  const Version horizon = registry_.Horizon(visible_);
  ApplyWrites(t, v, horizon, [this](const Key& k) -> VersionChain& { return map_[k]; });
  visible_.store(v, std::memory_order_release);
  commits_.fetch_add(1, std::memory_order_relaxed);
  return CommitTicket{v, token};
}

void BTreeEngine::ApplyRecovered(Version v, TxnState& t) {
  std::unique_lock lk(mu_);
  ApplyWrites(t, v, v, [this](const Key& k) -> VersionChain& { return map_[k]; });
  if (v > visible_.load(std::memory_order_relaxed)) visible_.store(v, std::memory_order_release);
}

Status BTreeEngine::WaitDurable(CommitTicket t, bool force) {
  if (!log_ || t.durable_token == 0) return Status::OK();
  return log_->WaitDurable(t.durable_token, force);
}

Status BTreeEngine::Flush() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  return log_ ? log_->Flush() : Status::OK();
}

Status BTreeEngine::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return Status::OK();
  std::unique_lock lk(mu_);  // waits for in-flight commits
  return log_ ? log_->Close() : Status::OK();
}

EngineStats BTreeEngine::Stats() const {
  EngineStats s;
  s.mode = opts_.mode;
  s.commits = commits_.load(std::memory_order_relaxed);
  s.conflicts = conflicts_.load(std::memory_order_relaxed);
  {
    std::shared_lock lk(mu_);
    s.keys = map_.size();
    for (const auto& [k, c] : map_) s.versions += c.size();
  }
  if (log_) {
    s.wal_appends = log_->appends();
    s.wal_syncs = log_->syncs();
    s.wal_bytes = log_->bytes();
  }
  s.active_snapshots = registry_.ActiveSnapshots();
  return s;
}

}  // namespace statelab
