#include "engines/sharded/sharded_engine.h"

#include <bit>
#include <cstring>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace statelab {

namespace {
constexpr uint32_t kMaxShards = 1u << 16;
constexpr size_t kDumpChunkKeys = 1024;

size_t ShardCount(uint32_t requested) {
  const uint32_t n =
      requested != 0 ? requested : 4 * std::max(1u, std::thread::hardware_concurrency());
  return std::bit_ceil(n);
}
}  // namespace

Result<std::unique_ptr<ShardedEngine>> ShardedEngine::Open(const DbOptions& opts) {
  if (opts.partitions > kMaxShards) {
    return Status::InvalidArgument("partitions: the sharded engine takes at most " +
                                   std::to_string(kMaxShards) + " shards");
  }
  std::unique_ptr<ShardedEngine> e(new ShardedEngine(opts));
  if (opts.mode == DurabilityMode::kInMemory) return e;
  ShardedEngine* raw = e.get();
  DurableState::Hooks hooks;
  hooks.count_entry = [raw](std::string_view key) { raw->CountLoadEntry(key); };
  hooks.load_entry = [raw](std::string_view key, VersionEntry v) {
    raw->ReserveCounted();
    Shard& s = raw->ShardOfKey(key);
    std::unique_lock lk(s.mu_);
    s.chains_.LoadUpsert(key).Add(std::move(v));
  };
  hooks.apply_commit = [raw](Version v, TxnState& t) {
    Shard& s = raw->ShardOf(t.run);
    std::unique_lock lk(s.mu_);
    s.Install(v, t, v);
    if (v > raw->version_.load(std::memory_order_relaxed)) {
      raw->version_.store(v, std::memory_order_release);
    }
  };
  hooks.dump = [raw](const EntryEmit& emit) { return raw->Dump(emit); };
  STATELAB_ASSIGN_OR_RETURN(e->durable_,
                            DurableState::Open(opts, opts.dir, std::move(hooks), &e->report_));
  e->version_.store(e->durable_->recovered_version(), std::memory_order_release);
  return e;
}

ShardedEngine::ShardedEngine(const DbOptions& opts)
    : opts_(opts), num_shards_(ShardCount(opts.partitions)), shards_(new Shard[num_shards_]) {
  for (size_t i = 0; i < num_shards_; ++i) shards_[i].engine_ = this;
}

ShardedEngine::~ShardedEngine() { (void)Close(); }

Shard& ShardedEngine::ShardOfKey(std::string_view encoded_key) noexcept {
  RunId run;
  std::memcpy(run.bytes.data(), encoded_key.data(), run.bytes.size());
  return ShardOf(run);
}

void ShardedEngine::CountLoadEntry(std::string_view key) {
  if (load_counts_.empty()) load_counts_.resize(num_shards_);
  ++load_counts_[&ShardOfKey(key) - shards_.get()];
}

void ShardedEngine::ReserveCounted() {
  for (size_t i = 0; i < load_counts_.size(); ++i) {
    Shard& s = shards_[i];
    std::unique_lock lk(s.mu_);
    s.chains_.Reserve(s.chains_.table().size() + load_counts_[i]);
  }
  load_counts_.clear();
}

void Shard::Install(Version v, TxnState& t, Version horizon) {
  ApplyWrites(t, v, horizon, [this](const Key& k) -> VersionChain& { return chains_.Upsert(k); });
}

Version Shard::CommitHorizon() {
  if (commits_ % kHorizonEvery == 0) horizon_ = engine_->registry_.Horizon(engine_->version_);
  return horizon_;
}

Result<CommitTicket> Shard::Commit(TxnState& t) {
  if (t.ReadOnly()) return CommitTicket{t.snapshot, 0};  // a read-only transaction never aborts
  ShardedEngine& e = *engine_;
  std::unique_lock lk(mu_);
  if (e.closed_.load(std::memory_order_relaxed)) return Status::ShuttingDown();
  auto find = [this](std::string_view k) { return Find(k); };
  if (Status s = ValidateReads(t, find); !s.ok()) {
    ++conflicts_;
    return s;
  }
  t.search_index = e.opts_.search_index;
  STATELAB_RETURN_IF_ERROR(MaterializeWrites(t, find));
  // The version is taken while this shard is locked exclusively: a snapshot that includes it
  // reads this shard only after the lock is released, when the commit is installed.
  CommitTicket ticket;
  if (e.durable_) {
    // The log assigns the version under its own lock, so the shared WAL is in version order.
    STATELAB_ASSIGN_OR_RETURN(ticket.durable_token,
                              e.durable_->log().AppendNext(&e.version_, t, &ticket.version));
  } else {
    ticket.version = e.version_.fetch_add(1, std::memory_order_acq_rel) + 1;
  }
  Install(ticket.version, t, CommitHorizon());
  ++commits_;
  return ticket;
}

void Shard::Dump(Version v, const EntryEmit& emit) const {
  std::string resume;
  std::vector<DumpItem> chunk;
  for (bool done = false; !done;) {
    {
      std::shared_lock lk(mu_);
      done = CopyDumpChunk(chains_.index(), v, kDumpChunkKeys, &resume, &chunk);
    }
    for (const DumpItem& d : chunk) emit(d.key.view(), d.entry);
  }
}

Result<Version> ShardedEngine::Dump(const EntryEmit& emit) {
  SnapshotGuard pin(registry_, version_);  // GC keeps every version the dump reads
  for (size_t i = 0; i < num_shards_; ++i) shards_[i].Dump(pin.version(), emit);
  return pin.version();
}

Status ShardedEngine::WaitDurable(CommitTicket t, bool force) {
  if (!durable_ || t.durable_token == 0) return Status::OK();
  return durable_->log().WaitDurable(t.durable_token, force);
}

Status ShardedEngine::Flush() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  return durable_ ? durable_->Flush() : Status::OK();
}

Status ShardedEngine::Snapshot() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  return durable_ ? durable_->Snapshot() : Status::OK();
}

Status ShardedEngine::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return Status::OK();
  // A commit checks closed_ under its shard's lock: once every lock has been taken here, none is
  // in flight and none will start.
  for (size_t i = 0; i < num_shards_; ++i) {
    std::unique_lock lk(shards_[i].mu_);
  }
  return durable_ ? durable_->Close() : Status::OK();
}

EngineStats ShardedEngine::Stats() const {
  EngineStats s;
  s.mode = opts_.mode;
  for (size_t i = 0; i < num_shards_; ++i) {
    const Shard& sh = shards_[i];
    std::shared_lock lk(sh.mu_);
    s.commits += sh.commits_;
    s.conflicts += sh.conflicts_;
    s.keys += sh.chains_.table().size();
    for (const auto& [k, c] : sh.chains_.table()) s.versions += c.size();
  }
  if (durable_) {
    s.wal_appends = durable_->log().appends();
    s.wal_syncs = durable_->log().syncs();
    s.wal_bytes = durable_->log().bytes();
  }
  txn_counters_.AddTo(&s);
  s.active_snapshots = registry_.ActiveSnapshots();
  return s;
}

}  // namespace statelab
