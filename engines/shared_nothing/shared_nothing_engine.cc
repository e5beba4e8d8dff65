#include "engines/shared_nothing/shared_nothing_engine.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <thread>
#include <vector>

#include "engines/durability/env.h"

namespace statelab {

namespace {
constexpr size_t kDumpChunkKeys = 1024;

std::string WorkerRoot(const std::string& dir, uint32_t i) {
  return dir + "/worker-" + std::to_string(i);
}

// The worker roots `dir` already holds (0 for a new directory). Their names must be worker-0 up
// to worker-<n-1>: with one missing, the runs' owners (RunId hash modulo n) are unknown.
Result<uint32_t> ExistingWorkers(Env* env, const std::string& dir) {
  if (!env->FileExists(dir)) return 0;
  std::vector<std::string> names;
  STATELAB_RETURN_IF_ERROR(env->ListDir(dir, &names));
  constexpr std::string_view kPrefix = "worker-";
  uint64_t count = 0;
  uint64_t end = 0;  // highest index + 1
  for (const std::string& n : names) {
    const std::string_view digits = std::string_view(n).substr(std::min(n.size(), kPrefix.size()));
    uint64_t index = 0;
    const auto [last, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (!n.starts_with(kPrefix) || digits.empty() || ec != std::errc() ||
        last != digits.data() + digits.size()) {
      continue;
    }
    ++count;
    end = std::max(end, index + 1);
  }
  if (count != end) {
    return Status::InvalidArgument("dir: " + dir + " holds " + std::to_string(count) +
                                   " worker roots up to worker-" + std::to_string(end - 1) +
                                   ", so one is missing: the owner of each run is unknown");
  }
  if (count > SharedNothingEngine::kMaxWorkers) {
    return Status::InvalidArgument("dir: " + dir + " holds " + std::to_string(count) +
                                   " worker roots, more than the engine takes");
  }
  return static_cast<uint32_t>(count);
}

// Each run's WAL lives in its owner's root, so a durable directory keeps its worker count.
Result<uint32_t> WorkerCount(const DbOptions& opts) {
  if (opts.partitions > SharedNothingEngine::kMaxWorkers) {
    return Status::InvalidArgument("partitions: the shared_nothing engine takes at most " +
                                   std::to_string(SharedNothingEngine::kMaxWorkers) + " workers");
  }
  if (opts.mode != DurabilityMode::kInMemory) {
    STATELAB_ASSIGN_OR_RETURN(
        uint32_t found, ExistingWorkers(opts.env != nullptr ? opts.env : Env::Default(), opts.dir));
    if (found != 0) {
      if (opts.partitions != 0 && opts.partitions != found) {
        return Status::InvalidArgument(
            "partitions: " + opts.dir + " holds " + std::to_string(found) +
            " worker logs; open it with partitions 0 or " + std::to_string(found));
      }
      return found;
    }
  }
  if (opts.partitions != 0) return opts.partitions;
  // A worker is a token and a map (and, durable, a WAL root), so 4 per hardware thread (as
  // sharded's shards) keep disjoint runs off each other's tokens when threads outnumber cores.
  return std::min(SharedNothingEngine::kMaxWorkers,
                  4 * std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace

Result<std::unique_ptr<SharedNothingEngine>> SharedNothingEngine::Open(const DbOptions& opts) {
  STATELAB_ASSIGN_OR_RETURN(uint32_t n, WorkerCount(opts));
  std::unique_ptr<SharedNothingEngine> e(new SharedNothingEngine(opts, n));
  if (opts.mode != DurabilityMode::kInMemory) {  // recovery: one thread per worker, in parallel
    // The roots first, in index order: an open cut short leaves worker-0..k, a smaller count
    // that reopens (no run has committed yet), never a gap that would refuse to.
    Env* env = opts.env != nullptr ? opts.env : Env::Default();
    for (uint32_t i = 0; i < n; ++i)
      STATELAB_RETURN_IF_ERROR(env->CreateDirs(WorkerRoot(opts.dir, i)));
    std::vector<std::thread> recovering;
    recovering.reserve(e->workers_.size());
    for (auto& w : e->workers_) {
      recovering.emplace_back([raw = e.get(), &worker = *w] { raw->Recover(worker); });
    }
    for (std::thread& t : recovering) t.join();
  }
  Status failed;
  for (auto& w : e->workers_) {
    if (!w->open_status.ok()) {
      if (failed.ok()) failed = w->open_status;
    } else if (opts.mode != DurabilityMode::kInMemory) {
      e->report_.Merge(w->report);
    }
  }
  if (!failed.ok()) {
    (void)e->Close();
    return failed;
  }
  return e;
}

SharedNothingEngine::SharedNothingEngine(const DbOptions& opts, uint32_t workers) : opts_(opts) {
  workers_.reserve(workers);
  for (uint32_t i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->store.clock_ = &version_;
    w->store.worker_ = i;
    w->store.search_index_ = opts_.search_index;
    workers_.push_back(std::move(w));
  }
}

SharedNothingEngine::~SharedNothingEngine() { (void)Close(); }

void SharedNothingEngine::Recover(Worker& w) {
  // Holds the store while it loads, so a dump the durability layer starts meanwhile waits.
  const bool held = w.mailbox.TryAcquire();  // a fresh engine: nobody else holds it
  current_worker_ = &w;
  w.open_status = OpenDurable(w);
  current_worker_ = nullptr;
  if (held) w.mailbox.Release();
}

size_t SharedNothingEngine::DrainAndRelease(Worker& w) {
  const Worker* outer = current_worker_;
  current_worker_ = &w;
  size_t ran = 0;
  // Bounded, so a holder returns to its own caller even while others keep sending; what is left
  // is taken by its senders, who wait for the token to be free.
  constexpr size_t kMaxBatch = 64;
  while (ran < kMaxBatch) {
    MailboxNode* n = w.mailbox.Receive();
    if (n == nullptr) break;
    auto* m = static_cast<Message*>(n);
    m->result = m->run(m->fn, w.store);
    w.mailbox.Complete(m);
    ++ran;
  }
  current_worker_ = outer;
  w.mailbox.Release();
  return ran;
}

Status SharedNothingEngine::OpenDurable(Worker& w) {
  WorkerStore& store = w.store;
  DurableState::Hooks hooks;
  hooks.load_entry = [&store](std::string_view key, VersionEntry v) {
    store.chains_.LoadUpsert(key).Add(std::move(v));
  };
  hooks.apply_commit = [&store](Version v, TxnState& t) { store.Install(v, t, v); };
  hooks.dump = [this, &w](const EntryEmit& emit) { return Dump(w, emit); };
  STATELAB_ASSIGN_OR_RETURN(
      w.durable,
      DurableState::Open(opts_, WorkerRoot(opts_.dir, store.worker_), std::move(hooks), &w.report));
  store.durable_ = w.durable.get();
  // The counter covers this worker's history before it serves anything (a dump pins at it).
  const Version recovered = w.durable->recovered_version();
  Version cur = version_.load(std::memory_order_relaxed);
  while (cur < recovered &&
         !version_.compare_exchange_weak(cur, recovered, std::memory_order_acq_rel)) {
  }
  return Status::OK();
}

Result<CommitTicket> WorkerStore::Commit(TxnState& t) {
  if (t.ReadOnly()) return CommitTicket{t.snapshot, 0};
  // Transactions of this store run one at a time on this thread, so nothing changed since the
  // snapshot unless a transaction function committed in its own run meanwhile (a nested,
  // inline Execute). Only then is there something to validate; materializing (JSON rebase, a
  // no-op on a current snapshot, and the search index) always runs.
  auto find = [this](std::string_view k) { return Find(k); };
  if (last_commit_ > t.snapshot) {
    if (Status s = ValidateReads(t, find); !s.ok()) {
      ++conflicts_;
      return s;
    }
  }
  t.search_index = search_index_;
  STATELAB_RETURN_IF_ERROR(MaterializeWrites(t, find));
  CommitTicket ticket;
  ticket.version = clock_->fetch_add(1, std::memory_order_acq_rel) + 1;
  if (durable_ != nullptr) {
    STATELAB_ASSIGN_OR_RETURN(uint64_t token, durable_->log().Append(ticket.version, t));
    ticket.durable_token =
        token == 0 ? 0 : (token << SharedNothingEngine::kWorkerBits) | (worker_ + 1);
  }
  Install(ticket.version, t, Horizon());
  last_commit_ = ticket.version;
  ++commits_;
  return ticket;
}

void WorkerStore::Install(Version v, TxnState& t, Version horizon) {
  ApplyWrites(t, v, horizon, [this](const Key& k) -> VersionChain& { return chains_.Upsert(k); });
}

void WorkerStore::AddStats(EngineStats* s) const {
  s->commits += commits_;
  s->conflicts += conflicts_;
  s->keys += chains_.table().size();
  for (const auto& [k, c] : chains_.table()) s->versions += c.size();
  s->active_snapshots += open_snapshots_;
}

// Pins a version on the owner, then copies the store a chunk per message: the owner only copies
// memory, the I/O happens here.
Result<Version> SharedNothingEngine::Dump(Worker& w, const EntryEmit& emit) {
  Version v = 0;
  auto pin = [&v](WorkerStore& s) {
    v = s.AcquireSnapshot();
    return Status::OK();
  };
  STATELAB_RETURN_IF_ERROR(Call(w, pin, nullptr));
  std::string resume;
  std::vector<DumpItem> chunk;
  bool done = false;
  auto copy = [&](WorkerStore& s) {
    done = CopyDumpChunk(s.chains_.index(), v, kDumpChunkKeys, &resume, &chunk);
    return Status::OK();
  };
  while (!done) {
    STATELAB_RETURN_IF_ERROR(Call(w, copy, nullptr));
    for (const DumpItem& d : chunk) emit(d.key.view(), d.entry);
  }
  auto unpin = [](WorkerStore& s) {
    s.ReleaseSnapshot();
    return Status::OK();
  };
  STATELAB_RETURN_IF_ERROR(Call(w, unpin, nullptr));
  return v;
}

Status SharedNothingEngine::WaitDurable(CommitTicket t, bool force) {
  if (t.durable_token == 0) return Status::OK();
  const uint64_t worker = (t.durable_token & ((uint64_t{1} << kWorkerBits) - 1)) - 1;
  return workers_[worker]->durable->log().WaitDurable(t.durable_token >> kWorkerBits, force);
}

Status SharedNothingEngine::Flush() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  for (const auto& w : workers_) {
    if (w->durable) STATELAB_RETURN_IF_ERROR(w->durable->Flush());
  }
  return Status::OK();
}

Status SharedNothingEngine::Snapshot() {
  if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
  for (const auto& w : workers_) {
    if (w->durable) STATELAB_RETURN_IF_ERROR(w->durable->Snapshot());
  }
  return Status::OK();
}

Status SharedNothingEngine::Close() {
  for (const auto& w : workers_) {
    if (current_worker_ == w.get()) {
      return Status::InvalidArgument("Close: called from inside an operation on a worker");
    }
  }
  if (closed_.exchange(true, std::memory_order_seq_cst)) {
    close_done_.wait(false, std::memory_order_acquire);
    return Status::OK();
  }
  // Admitted operations finish; Admit refuses everything else from now on.
  for (const auto& w : workers_) {
    while (w->mailbox.in_flight() != 0) std::this_thread::yield();
  }
  Status result;
  for (const auto& w : workers_) {
    if (!w->durable) continue;
    Status s = w->durable->Close();
    if (result.ok() && !s.ok()) result = std::move(s);
  }
  close_done_.store(true, std::memory_order_release);
  close_done_.notify_all();
  return result;
}

EngineStats SharedNothingEngine::Stats() const {
  EngineStats s;
  auto gather = [&s](WorkerStore& store) {
    store.AddStats(&s);
    return Status::OK();
  };
  bool gathered = true;
  for (const auto& w : workers_) {
    if (!Call(*w, gather, &closed_).ok()) {
      gathered = false;
      break;
    }
  }
  if (!gathered) {  // closing or closed: read the stores once Close is done
    s = EngineStats{};
    close_done_.wait(false, std::memory_order_acquire);
    for (const auto& w : workers_) w->store.AddStats(&s);
  }
  s.mode = opts_.mode;
  txn_counters_.AddTo(&s);
  for (const auto& w : workers_) {
    if (!w->durable) continue;
    s.wal_appends += w->durable->log().appends();
    s.wal_syncs += w->durable->log().syncs();
    s.wal_bytes += w->durable->log().bytes();
  }
  return s;
}

}  // namespace statelab
