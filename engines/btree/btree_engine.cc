#include "engines/btree/btree_engine.h"

#include <mutex>

#include "engines/core/layer_timing.h"

namespace statelab {

Result<std::unique_ptr<BTreeEngine>> BTreeEngine::Open(const DbOptions& opts) {
  std::unique_ptr<BTreeEngine> e(new BTreeEngine(opts));
  if (opts.mode == DurabilityMode::kInMemory) return e;
  BTreeEngine* self = e.get();
  DurableState::Hooks hooks;
  hooks.load_entry = [self](std::string_view key, VersionEntry v) {
    self->LoadEntry(key, std::move(v));
  };
  hooks.apply_commit = [self](Version v, TxnState& t) { self->ApplyRecovered(v, t); };
  hooks.dump = [self](const EntryEmit& emit) -> Result<Version> {
    SnapshotGuard pin(self->registry_, self->visible_);  // GC keeps what the dump reads
    self->DumpAt(pin.version(), emit);
    return pin.version();
  };
  STATELAB_ASSIGN_OR_RETURN(e->durable_,
                            DurableState::Open(opts, opts.dir, std::move(hooks), &e->report_));
  e->RestoreVersion(e->durable_->recovered_version());
  return e;
}

BTreeEngine::~BTreeEngine() { (void)Close(); }

Result<CommitTicket> BTreeEngine::Commit(TxnState& t) {
  if (t.ReadOnly()) return CommitTicket{t.snapshot, 0};  // a read-only transaction never aborts
  if (read_only_.load(std::memory_order_acquire)) {
    return Status::InvalidArgument("engine: this is a read-only replay view; writes are refused");
  }
  std::unique_lock lk(mu_);
  if (closed_.load(std::memory_order_relaxed)) return Status::ShuttingDown();
  auto find = [this](std::string_view k) -> const VersionChain* {
    auto it = map_.find(k);
    return it == map_.end() ? nullptr : &it->second;
  };
  {
    STATELAB_LAYER_PROBE(kValidate);
    if (Status s = ValidateReads(t, find); !s.ok()) {
      conflicts_.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    t.search_index = opts_.search_index;
    STATELAB_RETURN_IF_ERROR(MaterializeWrites(t, find));
  }
  const Version v = visible_.load(std::memory_order_relaxed) + 1;
  uint64_t token = 0;
  if (durable_) {
    STATELAB_LAYER_PROBE(kAppend);  // includes the record's encoding (CommitLog::Append)
    STATELAB_ASSIGN_OR_RETURN(token, durable_->log().Append(v, t));
  }
  {
    STATELAB_LAYER_PROBE(kApply);
    const Version horizon = registry_.Horizon(visible_);
    ApplyWrites(t, v, horizon, [this](const Key& k) -> VersionChain& { return map_[k]; });
  }
  visible_.store(v, std::memory_order_release);
  commits_.fetch_add(1, std::memory_order_relaxed);
  return CommitTicket{v, token};
}

void BTreeEngine::LoadEntry(std::string_view key, VersionEntry e) {
  std::unique_lock lk(mu_);
  map_[Key(key)].Add(std::move(e));
}

void BTreeEngine::ApplyRecovered(Version v, TxnState& t) {
  std::unique_lock lk(mu_);
  ApplyWrites(t, v, v, [this](const Key& k) -> VersionChain& { return map_[k]; });
  if (v > visible_.load(std::memory_order_relaxed)) visible_.store(v, std::memory_order_release);
}

void BTreeEngine::RestoreVersion(Version v) {
  if (v > visible_.load(std::memory_order_relaxed)) visible_.store(v, std::memory_order_release);
}

void BTreeEngine::DumpAt(Version v, const EntryEmit& emit) const {
  constexpr int kChunk = 512;
  Key last;
  bool first = true;
  for (;;) {
    std::shared_lock lk(mu_);
    auto it = first ? map_.begin() : map_.upper_bound(last.view());
    for (int n = 0; it != map_.end() && n < kChunk; ++it, ++n) {
      if (const VersionEntry* e = it->second.Find(v)) emit(it->first.view(), *e);
    }
    if (it == map_.end()) return;
    last = std::prev(it)->first;
    first = false;
  }
}

Status BTreeEngine::WaitDurable(CommitTicket t, bool force) {
  if (!durable_ || t.durable_token == 0) return Status::OK();
  return durable_->log().WaitDurable(t.durable_token, force);
}

Status BTreeEngine::Flush() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  return durable_ ? durable_->Flush() : Status::OK();
}

Status BTreeEngine::Snapshot() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  return durable_ ? durable_->Snapshot() : Status::OK();
}

Status BTreeEngine::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return Status::OK();
  { std::unique_lock lk(mu_); }  // waits for in-flight commits; later ones see closed_
  return durable_ ? durable_->Close() : Status::OK();
}

EngineStats BTreeEngine::Stats() const {
  EngineStats s;
  s.mode = opts_.mode;
  s.commits = commits_.load(std::memory_order_relaxed);
  s.conflicts = conflicts_.load(std::memory_order_relaxed);
  txn_counters_.AddTo(&s);
  {
    std::shared_lock lk(mu_);
    s.keys = map_.size();
    for (const auto& [k, c] : map_) s.versions += c.size();
  }
  if (durable_) {
    s.wal_appends = durable_->log().appends();
    s.wal_syncs = durable_->log().syncs();
    s.wal_bytes = durable_->log().bytes();
  }
  s.active_snapshots = registry_.ActiveSnapshots();
  return s;
}

}  // namespace statelab
