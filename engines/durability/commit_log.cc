#include "engines/durability/commit_log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "engines/core/spin.h"
#include "engines/core/txn_state.h"
#include "engines/durability/env.h"
#include "engines/durability/wal_format.h"

namespace statelab {

class CommitLog::Impl {
 public:
  Impl(const DbOptions& o, Env* env, std::string dir, Version last)
      : mode_(o.mode),
        interval_(std::chrono::milliseconds(o.buffered_interval_ms)),
        batch_(o.buffered_batch_size == 0 ? 1 : o.buffered_batch_size),
        segment_limit_(o.wal_segment_bytes),
        env_(env),
        dir_(std::move(dir)),
        segment_capacity_(o.wal_segment_bytes),
        last_version_(last) {}

  // Creates segment `first` preallocated for `capacity` record bytes, its header and size synced
  // before any record goes in: a file shorter than its header says was cut by someone else
  // (docs/wal_format.md). An existing segment of that name (one that holds nothing) is replaced.
  Status OpenSegment(Version first, uint64_t capacity) {
    const std::string path = JoinPath(dir_, wal::SegmentName(first));
    const uint64_t size = wal::kSegmentHeaderBytes + capacity;
    STATELAB_ASSIGN_OR_RETURN(file_,
                              env_->NewPreallocated(path, wal::EncodeSegmentHeader(size), size));
    return env_->SyncDir(dir_);  // the new segment's directory entry is durable
  }

  Status OpenFirstSegment(Version name) {
    segment_name_ = name;  // no round runs yet: mu_ is not needed
    return OpenSegment(name, segment_capacity_);
  }

  void StartWriter() {
    if (mode_ == DurabilityMode::kBuffered) writer_ = std::thread([this] { WriterLoop(); });
  }

  // `next` null: the record's version is *v. Otherwise the log assigns it: *next + 1, stored
  // into *next (release) and *v under mu_ once the record is queued. The record is encoded
  // before mu_ (with a placeholder version when the log assigns it): mu_ covers the queueing.
  Result<uint64_t> Append(Version* v, const TxnState& t, std::atomic<Version>* next) {
    thread_local std::string rec;
    rec.clear();
    wal::EncodeCommit(*v, t, &rec);
    uint64_t token;
    {
      std::unique_lock lk = Lock();
      if (closed_) return Status::ShuttingDown();
      if (!error_.ok()) return error_;
      if (next != nullptr) {
        *v = next->load(std::memory_order_relaxed) + 1;
        wal::SetCommitVersion(*v, rec.data(), rec.size());
      }
      // Records never span segments nor grow one past its preallocated size: a record that
      // does not fit opens the next segment (an empty one is replaced by one large enough).
      if (segment_bytes_ + rec.size() > segment_capacity_) {
        // Named after the record before it (not v): shared_nothing roots skip the versions of
        // other workers, and recovery checks each segment continues the one before. An empty
        // segment is replaced under its own name (the order of names stays the order of records).
        if (segment_bytes_ > 0) segment_name_ = last_version_ + 1;
        segment_capacity_ = std::max<uint64_t>(segment_limit_, rec.size());
        rolls_.push_back({pending_.size(), segment_name_, segment_capacity_});
        segment_bytes_ = 0;
      }
      pending_.append(rec);
      segment_bytes_ += rec.size();
      last_version_ = *v;
      token = ++appended_;
      appends_.fetch_add(1, std::memory_order_relaxed);
      bytes_.fetch_add(rec.size(), std::memory_order_relaxed);
      if (mode_ == DurabilityMode::kBuffered && appended_ - durable_ >= batch_) {
        writer_cv_.notify_one();
      }
      // Before the version is published: a snapshot at v finds its run markers (RunsAt).
      if (t.lifecycle != Lifecycle::kNone) NoteLifecycle(*v, t.lifecycle, t.lifecycle_run);
      if (next != nullptr) next->store(*v, std::memory_order_release);
    }
    if (rec.capacity() > (1u << 20)) std::string().swap(rec);  // do not pin a huge buffer
    return token;
  }

  Status WaitDurable(uint64_t token, bool force) {
    // Buffered, written by another's round (batched) and syncs not lagging: no lock needed.
    if (mode_ == DurabilityMode::kBuffered && !force &&
        written_hint_.load(std::memory_order_acquire) >= token &&
        !failed_.load(std::memory_order_acquire)) {
      const int64_t since = unsynced_hint_ns_.load(std::memory_order_relaxed);
      if (since == 0 || NowNs() - since <= 2 * IntervalNs()) return Status::OK();
    }
    std::unique_lock lk = Lock();
    if (mode_ == DurabilityMode::kBuffered && !force) return WriteUpTo(token, lk);
    return SyncUpTo(token, lk);
  }

  Status Flush() {
    std::unique_lock lk(mu_);
    if (closed_) return Status::ShuttingDown();
    return SyncUpTo(appended_, lk);
  }

  Status Close() {
    Status s;
    {
      std::unique_lock lk(mu_);
      if (closed_) return close_status_;
      closed_ = true;
      s = SyncUpTo(appended_, lk);
      stop_writer_ = true;
      writer_cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    std::unique_lock lk(mu_);
    // After a failure SyncUpTo returns at once; a round still in flight owns the file until it ends.
    durable_cv_.wait(lk, [&] { return !writing_ && !syncing_; });
    if (file_) {
      Status c = file_->Close();
      if (s.ok()) s = std::move(c);
      file_.reset();
    }
    close_status_ = s;
    return s;
  }

  Status health() const {
    std::lock_guard lk(mu_);
    return error_;
  }
  Version last_version() const {
    std::lock_guard lk(mu_);
    return last_version_;
  }

  void SeedRuns(const std::vector<snapshot::RunLife>& runs) {
    std::lock_guard lk(runs_mu_);
    for (const snapshot::RunLife& r : runs) runs_[r.run] = r;
  }
  std::vector<snapshot::RunLife> RunsAt(Version v) const {
    std::lock_guard lk(runs_mu_);
    std::vector<snapshot::RunLife> out;
    for (const auto& [id, r] : runs_) {
      snapshot::RunLife l = r;
      if (l.begin > v) l.begin = 0;
      if (l.end > v) l.end = 0;
      if (l.begin != 0 || l.end != 0) out.push_back(l);
    }
    return out;
  }
  Version RunEnd(const RunId& run) const {
    std::lock_guard lk(runs_mu_);
    auto it = runs_.find(run);
    return it == runs_.end() ? 0 : it->second.end;
  }

  alignas(64) std::atomic<uint64_t> appends_{0}, syncs_{0}, bytes_{0};

 private:
  void NoteLifecycle(Version v, Lifecycle l, const RunId& run) {
    std::lock_guard lk(runs_mu_);
    snapshot::RunLife& r = runs_[run];
    r.run = run;
    Version& slot = l == Lifecycle::kRunBegin ? r.begin : r.end;
    if (slot == 0) slot = v;  // the first marker counts
  }

  // mu_ is held for short stretches (queueing one record, starting or ending a round), far
  // shorter than a futex sleep and wake-up: try it for a while before blocking.
  std::unique_lock<std::mutex> Lock() {
    std::unique_lock lk(mu_, std::defer_lock);
    Relock(lk);
    return lk;
  }
  void Relock(std::unique_lock<std::mutex>& lk) {
    for (int i = 0; i < kLockTries; ++i) {
      if (lk.try_lock()) return;
      CpuRelax();
    }
    lk.lock();
  }

  // A Buffered follower waits for the write round in flight to end: spinning outside mu_ first
  // (a write(2) into the page cache takes about a microsecond, a sleep and wake-up on the
  // condition variable costs more), then sleeping. The caller re-checks its condition.
  void AwaitRound(std::unique_lock<std::mutex>& lk) {
    const uint64_t seen = rounds_.load(std::memory_order_relaxed);
    lk.unlock();
    const bool ended = SpinUntil(
        [&] { return rounds_.load(std::memory_order_acquire) != seen; }, kFollowerSpin);
    Relock(lk);
    // rounds_ changes only under mu_, before notify_all: no wake-up is lost.
    if (!ended && rounds_.load(std::memory_order_relaxed) == seen) durable_cv_.wait(lk);
  }

  // Leader/follower group commit: the first waiter with nothing in flight takes everything
  // queued, writes and syncs it outside the lock; waiters arriving meanwhile share the next round.
  Status SyncUpTo(uint64_t target, std::unique_lock<std::mutex>& lk) {
    while (durable_ < target) {
      if (!error_.ok()) return error_;
      if (written_ >= target && !syncing_) {
        SyncRound(lk);
      } else if (written_ < target && !writing_ && !syncing_) {
        WriteRound(lk, /*sync=*/true);
      } else {
        durable_cv_.wait(lk);
      }
    }
    return Status::OK();
  }

  // Buffered acknowledgement: the record of `target` is in the file (the page cache), written by
  // a leader that takes everything queued (followers share its write(2)), so a process crash
  // loses nothing acknowledged. When the background sync falls more than two intervals behind,
  // the commit also waits for (or runs) a sync: the power-loss window stays bounded.
  Status WriteUpTo(uint64_t target, std::unique_lock<std::mutex>& lk) {
    while (written_ < target) {
      if (!error_.ok()) return error_;
      // A round that rolls a segment syncs and closes the file, so no sync may be in flight.
      if (!writing_ && (rolls_.empty() || !syncing_)) {
        WriteRound(lk, /*sync=*/false);
      } else {
        AwaitRound(lk);
      }
    }
    if (durable_ < target && unsynced_since_ns_ != 0 &&
        NowNs() - unsynced_since_ns_ > 2 * IntervalNs()) {
      return SyncUpTo(target, lk);
    }
    return error_;
  }

  // Writes everything queued (and fdatasyncs it when `sync`) outside the lock. Needs
  // !writing_ (and !syncing_ when syncing or rolling) and something queued.
  void WriteRound(std::unique_lock<std::mutex>& lk, bool sync) {
    // A roll closes the file and a sync round may be fdatasyncing it: wait for that round (and
    // for any write round that started meanwhile).
    while ((sync || !rolls_.empty()) && (syncing_ || writing_)) durable_cv_.wait(lk);
    sync = sync || !rolls_.empty();
    writing_ = true;
    // Only set, never cleared here: a sync round may be in flight beside a plain write round.
    if (sync) syncing_ = true;
    write_buf_.swap(pending_);
    write_rolls_.swap(rolls_);
    pending_.clear();
    rolls_.clear();
    const uint64_t end = appended_;
    const int64_t started = NowNs();
    lk.unlock();
    Status s = WriteOut(sync);
    write_buf_.clear();
    if (write_buf_.capacity() > (16u << 20)) std::string().swap(write_buf_);
    write_rolls_.clear();
    Relock(lk);
    writing_ = false;
    if (sync) syncing_ = false;
    if (!s.ok()) {
      Poison(std::move(s));
    } else {
      if (!sync && unsynced_since_ns_ == 0) SetUnsyncedSince(started);
      written_ = end;
      written_hint_.store(end, std::memory_order_release);
      if (sync) MarkDurable(end, started);
    }
    rounds_.fetch_add(1, std::memory_order_release);
    durable_cv_.notify_all();
  }

  // fdatasyncs what is written (appends may continue meanwhile). Needs !syncing_.
  void SyncRound(std::unique_lock<std::mutex>& lk) {
    syncing_ = true;
    const uint64_t end = written_;
    const int64_t started = NowNs();
    lk.unlock();
    Status s = SyncFile();
    lk.lock();
    syncing_ = false;
    if (s.ok()) {
      MarkDurable(end, started);
    } else {
      Poison(std::move(s));
    }
    rounds_.fetch_add(1, std::memory_order_release);
    durable_cv_.notify_all();
  }

  void Poison(Status s) {
    error_ = std::move(s);
    failed_.store(true, std::memory_order_release);
  }
  void SetUnsyncedSince(int64_t ns) {
    unsynced_since_ns_ = ns;
    unsynced_hint_ns_.store(ns, std::memory_order_relaxed);
  }

  // Records up to `end` are synced by a round that started at `started`.
  void MarkDurable(uint64_t end, int64_t started) {
    durable_ = std::max(durable_, end);
    // What was written after the round started is at most that old (an upper bound suffices).
    SetUnsyncedSince(durable_ >= written_ ? 0 : started);
  }

  // Only the leader of a write round (writing_, and syncing_ when sync) runs this.
  Status WriteOut(bool sync) {
    std::string_view buf = write_buf_;
    size_t pos = 0;
    for (const Roll& r : write_rolls_) {
      if (r.offset > pos) {
        STATELAB_RETURN_IF_ERROR(file_->Append(buf.substr(pos, r.offset - pos)));
      }
      STATELAB_RETURN_IF_ERROR(SyncFile());
      STATELAB_RETURN_IF_ERROR(file_->Close());
      STATELAB_RETURN_IF_ERROR(OpenSegment(r.name, r.capacity));
      pos = r.offset;
    }
    if (pos < buf.size()) STATELAB_RETURN_IF_ERROR(file_->Append(buf.substr(pos)));
    return sync ? SyncFile() : Status::OK();
  }
  Status SyncFile() {
    STATELAB_RETURN_IF_ERROR(file_->Sync());
    syncs_.fetch_add(1, std::memory_order_relaxed);
    return Status::OK();
  }

  // Buffered: every interval, or once batch_ records are unsynced, writes what no committer has
  // written yet (a record appended and not yet waited for) and fdatasyncs the file.
  void WriterLoop() {
    std::unique_lock lk(mu_);
    while (!stop_writer_) {
      writer_cv_.wait_for(lk, interval_, [&] {
        return stop_writer_ ||
               (error_.ok() && !writing_ && !syncing_ && appended_ - durable_ >= batch_);
      });
      if (stop_writer_) break;
      if (!error_.ok()) continue;
      if (appended_ > written_ && !writing_ && (rolls_.empty() || !syncing_)) {
        WriteRound(lk, /*sync=*/false);
      }
      if (written_ > durable_ && !syncing_ && error_.ok()) SyncRound(lk);
    }
  }

  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t IntervalNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(interval_).count();
  }

  alignas(64) const DurabilityMode mode_;  // read-only: apart from the counters above
  const std::chrono::milliseconds interval_;
  const uint64_t batch_;
  const uint64_t segment_limit_;
  Env* const env_;
  const std::string dir_;

  static constexpr int kLockTries = 64;
  static constexpr std::chrono::nanoseconds kFollowerSpin{10'000};

  alignas(64) mutable std::mutex mu_;
  // Spun on outside mu_, changed under it; apart from mu_'s cache line.
  alignas(64) std::atomic<uint64_t> rounds_{0};  // write and sync rounds ended
  std::atomic<uint64_t> written_hint_{0};        // written_
  std::atomic<int64_t> unsynced_hint_ns_{0};     // unsynced_since_ns_
  std::atomic<bool> failed_{false};              // !error_.ok()
  alignas(64) std::condition_variable durable_cv_;
  std::condition_variable writer_cv_;
  struct Roll {
    size_t offset;      // in pending_ / write_buf_: the first record of the new segment
    Version name;       // SegmentName of the new segment
    uint64_t capacity;  // record bytes it is preallocated for
  };
  std::string pending_;       // frames not yet taken by a leader
  std::vector<Roll> rolls_;   // segments opened by what is in pending_
  uint64_t appended_ = 0;  // tokens handed out
  uint64_t written_ = 0;   // tokens in the file (write(2) returned)
  uint64_t durable_ = 0;   // tokens on stable storage
  int64_t unsynced_since_ns_ = 0;  // when the oldest written, unsynced record was written; 0: none
  uint64_t segment_bytes_ = 0;     // record bytes in the segment Append fills
  uint64_t segment_capacity_;      // record bytes that segment is preallocated for
  Version segment_name_ = 0;       // and its name
  Version last_version_;
  bool writing_ = false;  // a write round is in flight
  bool syncing_ = false;  // a sync is in flight (a round that rolls a segment counts)
  bool closed_ = false;
  bool stop_writer_ = false;
  Status error_;
  Status close_status_;

  // Owned by the leader of the round in flight; a plain write round and a sync round may use the
  // same file at once (a sync covers what was written before it started). Replaced only by a
  // round holding both writing_ and syncing_ (a segment roll).
  std::unique_ptr<WritableFile> file_;
  std::string write_buf_;
  std::vector<Roll> write_rolls_;

  std::thread writer_;

  mutable std::mutex runs_mu_;
  std::map<RunId, snapshot::RunLife> runs_;
};

Result<std::unique_ptr<CommitLog>> CommitLog::Open(const DbOptions& opts, Env* env,
                                                   std::string wal_dir, Version next_version,
                                                   const std::vector<snapshot::RunLife>& runs,
                                                   Version segment_name) {
  if (opts.mode == DurabilityMode::kInMemory) {
    return Status::InvalidArgument("mode: the commit log is not used in inmemory mode");
  }
  auto impl = std::make_unique<Impl>(opts, env, std::move(wal_dir), next_version - 1);
  STATELAB_RETURN_IF_ERROR(impl->OpenFirstSegment(segment_name == 0 ? next_version : segment_name));
  impl->SeedRuns(runs);
  impl->StartWriter();
  return std::unique_ptr<CommitLog>(new CommitLog(std::move(impl)));
}

CommitLog::CommitLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CommitLog::~CommitLog() { (void)Close(); }
Result<uint64_t> CommitLog::Append(Version v, const TxnState& t) {
  return impl_->Append(&v, t, nullptr);
}
Result<uint64_t> CommitLog::AppendNext(std::atomic<Version>* last, const TxnState& t,
                                       Version* v) {
  *v = 0;  // the placeholder the record is encoded with
  return impl_->Append(v, t, last);
}
Status CommitLog::WaitDurable(uint64_t token, bool force) {
  return impl_->WaitDurable(token, force);
}
Status CommitLog::Flush() { return impl_->Flush(); }
Status CommitLog::Close() { return impl_->Close(); }
Status CommitLog::health() const { return impl_->health(); }
uint64_t CommitLog::appends() const { return impl_->appends_.load(std::memory_order_relaxed); }
uint64_t CommitLog::syncs() const { return impl_->syncs_.load(std::memory_order_relaxed); }
uint64_t CommitLog::bytes() const { return impl_->bytes_.load(std::memory_order_relaxed); }
Version CommitLog::last_version() const { return impl_->last_version(); }
std::vector<snapshot::RunLife> CommitLog::RunsAt(Version v) const { return impl_->RunsAt(v); }
Version CommitLog::RunEnd(const RunId& run) const { return impl_->RunEnd(run); }

}  // namespace statelab
