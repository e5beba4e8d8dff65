#include "engines/durability/durable_state.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "engines/api/key.h"
#include "engines/durability/env.h"
#include "engines/durability/snapshot_format.h"
#include "engines/durability/wal_format.h"

namespace statelab {

void RecoveryReport::Merge(const RecoveryReport& o) {
  if (!o.snapshot_used.empty()) {
    snapshot_used += (snapshot_used.empty() ? "" : ",") + o.snapshot_used;
  }
  snapshot_version = std::max(snapshot_version, o.snapshot_version);
  recovered_version = std::max(recovered_version, o.recovered_version);
  records_replayed += o.records_replayed;
  bytes_truncated += o.bytes_truncated;
  records_skipped += o.records_skipped;
  orphaned_runs.insert(orphaned_runs.end(), o.orphaned_runs.begin(), o.orphaned_runs.end());
  std::sort(orphaned_runs.begin(), orphaned_runs.end());
  time_ms = std::max(time_ms, o.time_ms);  // roots recover in parallel or not: the longest
  notes.insert(notes.end(), o.notes.begin(), o.notes.end());
}

namespace {

struct Segment {
  Version first = 0;
  std::string path;
};

Status ListSegments(Env* env, const std::string& wal_dir, std::vector<Segment>* out) {
  std::vector<std::string> names;
  STATELAB_RETURN_IF_ERROR(env->ListDir(wal_dir, &names));
  out->clear();
  for (const std::string& n : names) {
    Version v;
    if (wal::ParseSegmentName(n, &v)) out->push_back({v, JoinPath(wal_dir, n)});
  }
  std::sort(out->begin(), out->end(),
            [](const Segment& a, const Segment& b) { return a.first < b.first; });
  return Status::OK();
}

// Index of the segment holding the first record newer than `base` (segments before it only
// hold versions <= base).
size_t FirstSegmentAfter(const std::vector<Segment>& segs, Version base) {
  size_t i = 0;
  for (size_t k = 0; k < segs.size(); ++k) {
    if (segs[k].first <= base + 1) i = k;
  }
  return i;
}

// Snapshot files, newest first.
Status ListSnapshots(Env* env, const std::string& dir,
                     std::vector<std::pair<Version, std::string>>* out) {
  std::vector<std::string> names;
  STATELAB_RETURN_IF_ERROR(env->ListDir(dir, &names));
  out->clear();
  for (const std::string& n : names) {
    Version v;
    if (snapshot::ParseFileName(n, &v)) out->emplace_back(v, n);
  }
  std::sort(out->rbegin(), out->rend());
  return Status::OK();
}

void NoteLifecycle(std::map<RunId, snapshot::RunLife>& runs, Version v, const TxnState& t) {
  if (t.lifecycle == Lifecycle::kNone) return;
  snapshot::RunLife& r = runs[t.lifecycle_run];
  r.run = t.lifecycle_run;
  Version& slot = t.lifecycle == Lifecycle::kRunBegin ? r.begin : r.end;
  if (slot == 0) slot = v;
}

}  // namespace

class DurableState::Impl {
 public:
  Impl(const DbOptions& o, std::string root, Hooks hooks)
      : opts(o),
        env(o.env ? o.env : Env::Default()),
        root(std::move(root)),
        wal_dir(JoinPath(this->root, "wal")),
        snap_dir(JoinPath(this->root, "snapshots")),
        hooks(std::move(hooks)) {}

  Status Recover(RecoveryReport* rep, Version* recovered, std::vector<snapshot::RunLife>* runs_out);
  Status WriteSnapshot(CommitLog& log);
  Status Prune();
  Status ReadRunHistory(const RunId& run, Version until, const EntryEmit& emit, Version* as_of);

  const DbOptions opts;
  Env* const env;
  const std::string root, wal_dir, snap_dir;
  const Hooks hooks;

  std::mutex snap_mu;  // one snapshot, prune or history read at a time
  std::atomic<uint64_t> bytes_at_snapshot{0};
  std::atomic<int64_t> snapshot_at_us{NowMicros()};

  std::mutex thread_mu;
  std::condition_variable thread_cv;
  bool stop = false;
  bool closed = false;
  Status close_status;
  std::thread trigger_thread;

 private:
  // Loads the newest snapshot that validates. Returns its header (version 0: none).
  Status LoadSnapshot(RecoveryReport* rep, snapshot::Header* h);
  // Replays one segment; sets *stop when the rest of the log was cut off as a torn tail.
  Status ReplaySegment(std::vector<Segment>& segs, size_t i, Version base, Version* last,
                       std::map<RunId, snapshot::RunLife>& runs, RecoveryReport* rep, bool* stop);
  bool LaterSegmentsHaveFrames(const std::vector<Segment>& segs, size_t i);
};

Status DurableState::Impl::LoadSnapshot(RecoveryReport* rep, snapshot::Header* h) {
  std::vector<std::string> names;
  STATELAB_RETURN_IF_ERROR(env->ListDir(snap_dir, &names));
  for (const std::string& n : names) {
    if (n.ends_with(".tmp")) {  // a snapshot that never reached its rename
      STATELAB_RETURN_IF_ERROR(env->RemoveFile(JoinPath(snap_dir, n)));
      rep->notes.push_back("removed incomplete snapshot " + n);
    }
  }
  std::vector<std::pair<Version, std::string>> snaps;
  STATELAB_RETURN_IF_ERROR(ListSnapshots(env, snap_dir, &snaps));
  std::string data;
  for (const auto& [v, name] : snaps) {
    const std::string path = JoinPath(snap_dir, name);
    STATELAB_RETURN_IF_ERROR(env->ReadFile(path, &data));
    Status s = snapshot::ParseSnapshot(data, path, true, h, hooks.load_entry);
    if (s.ok() && h->version != v) s = Status::Corruption(path, 12);  // header vs name
    if (s.ok()) {
      rep->snapshot_used = name;
      rep->snapshot_version = v;
      return Status::OK();
    }
    rep->notes.push_back("snapshot " + name + " is corrupt at offset " + std::to_string(s.a()) +
                         "; falling back to an older one");
  }
  *h = snapshot::Header{};
  return Status::OK();
}

bool DurableState::Impl::LaterSegmentsHaveFrames(const std::vector<Segment>& segs, size_t i) {
  std::string data;
  for (size_t k = i + 1; k < segs.size(); ++k) {
    if (env->ReadFile(segs[k].path, &data).ok() && wal::FindNextFrame(data, 0) != data.npos) {
      return true;
    }
  }
  return false;
}

Status DurableState::Impl::ReplaySegment(std::vector<Segment>& segs, size_t i, Version base,
                                         Version* last, std::map<RunId, snapshot::RunLife>& runs,
                                         RecoveryReport* rep, bool* stop) {
  std::string data;
  STATELAB_RETURN_IF_ERROR(env->ReadFile(segs[i].path, &data));
  const std::string& path = segs[i].path;
  wal::CommitRecord rec;
  uint64_t off = 0;
  while (off < data.size()) {
    wal::Frame f;
    if (wal::ParseFrame(data, off, &f) && wal::DecodeCommit(f.payload, &rec) &&
        rec.version > *last) {
      off += f.size;
      *last = rec.version;
      if (rec.version <= base) continue;  // already in the snapshot
      NoteLifecycle(runs, rec.version, rec.txn);
      hooks.apply_commit(rec.version, rec.txn);
      ++rep->records_replayed;
      continue;
    }
    // A bad record. Valid records after it make it mid-log corruption; otherwise it is the torn
    // tail of a crash during append and is cut off.
    const uint64_t next = wal::FindNextFrame(data, off + 1);
    if (next == data.npos && !LaterSegmentsHaveFrames(segs, i)) {
      uint64_t cut = data.size() - off;
      STATELAB_RETURN_IF_ERROR(env->Truncate(path, off));
      for (size_t k = i + 1; k < segs.size(); ++k) {
        STATELAB_RETURN_IF_ERROR(env->ReadFile(segs[k].path, &data));
        cut += data.size();
        STATELAB_RETURN_IF_ERROR(env->RemoveFile(segs[k].path));
      }
      if (i + 1 < segs.size()) STATELAB_RETURN_IF_ERROR(env->SyncDir(wal_dir));
      segs.resize(i + 1);
      rep->bytes_truncated += cut;
      rep->notes.push_back("truncated torn tail of " + path + " at offset " + std::to_string(off) +
                           " (" + std::to_string(cut) + " bytes)");
      *stop = true;
      return Status::OK();
    }
    if (opts.recovery_policy != RecoveryPolicy::kSkipCorrupt) return Status::Corruption(path, off);
    ++rep->records_skipped;
    const uint64_t resume = next == data.npos ? data.size() : next;
    rep->notes.push_back("skipped corrupt record in " + path + " at offset " + std::to_string(off) +
                         " (" + std::to_string(resume - off) + " bytes)");
    off = resume;
  }
  return Status::OK();
}

Status DurableState::Impl::Recover(RecoveryReport* rep, Version* recovered,
                                   std::vector<snapshot::RunLife>* runs_out) {
  STATELAB_RETURN_IF_ERROR(env->CreateDirs(wal_dir));
  STATELAB_RETURN_IF_ERROR(env->CreateDirs(snap_dir));
  STATELAB_RETURN_IF_ERROR(env->SyncDir(root));

  snapshot::Header h;
  STATELAB_RETURN_IF_ERROR(LoadSnapshot(rep, &h));
  std::map<RunId, snapshot::RunLife> runs;
  for (const snapshot::RunLife& r : h.runs) runs[r.run] = r;

  std::vector<Segment> segs;
  STATELAB_RETURN_IF_ERROR(ListSegments(env, wal_dir, &segs));
  Version last = 0;
  bool stop = false;
  for (size_t i = segs.empty() ? 0 : FirstSegmentAfter(segs, h.version); i < segs.size() && !stop;
       ++i) {
    STATELAB_RETURN_IF_ERROR(ReplaySegment(segs, i, h.version, &last, runs, rep, &stop));
  }
  *recovered = std::max(last, h.version);
  rep->recovered_version = *recovered;
  for (const auto& [id, r] : runs) {
    if (r.begin != 0 && r.end == 0) rep->orphaned_runs.push_back(id);
    runs_out->push_back(r);
  }
  return Status::OK();
}

Status DurableState::Impl::WriteSnapshot(CommitLog& log) {
  std::lock_guard lk(snap_mu);
  STATELAB_RETURN_IF_ERROR(log.health());
  const uint64_t bytes_before = log.bytes();
  snapshot::SnapshotBuilder b;
  STATELAB_ASSIGN_OR_RETURN(
      Version v, hooks.dump([&b](std::string_view key, const VersionEntry& e) { b.Add(key, e); }));
  const std::string name = snapshot::FileName(v);
  const std::string path = JoinPath(snap_dir, name);
  if (v > 0 && !env->FileExists(path)) {
    std::vector<Segment> segs;
    STATELAB_RETURN_IF_ERROR(ListSegments(env, wal_dir, &segs));
    snapshot::Header h;
    h.version = v;
    h.timestamp_us = NowMicros();
    h.wal_start_segment = segs.empty() ? v + 1 : segs[FirstSegmentAfter(segs, v)].first;
    h.runs = log.RunsAt(v);
    const std::string data = b.Finish(h);
    const std::string tmp = path + ".tmp";
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritable(tmp));
    STATELAB_RETURN_IF_ERROR(f->Append(data));
    STATELAB_RETURN_IF_ERROR(f->Sync());
    STATELAB_RETURN_IF_ERROR(f->Close());
    STATELAB_RETURN_IF_ERROR(env->RenameFile(tmp, path));
    STATELAB_RETURN_IF_ERROR(env->SyncDir(snap_dir));
  }
  bytes_at_snapshot.store(bytes_before);
  snapshot_at_us.store(NowMicros());
  return Prune();
}

// Keeps the newest two snapshots; deletes WAL segments whose every record is covered by the
// oldest kept one (a segment's records are all older than the next segment's first version).
Status DurableState::Impl::Prune() {
  std::vector<std::pair<Version, std::string>> snaps;
  STATELAB_RETURN_IF_ERROR(ListSnapshots(env, snap_dir, &snaps));
  if (snaps.empty()) return Status::OK();
  for (size_t i = 2; i < snaps.size(); ++i) {
    STATELAB_RETURN_IF_ERROR(env->RemoveFile(JoinPath(snap_dir, snaps[i].second)));
  }
  if (snaps.size() > 2) STATELAB_RETURN_IF_ERROR(env->SyncDir(snap_dir));
  const Version oldest = snaps[std::min<size_t>(snaps.size(), 2) - 1].first;
  std::vector<Segment> segs;
  STATELAB_RETURN_IF_ERROR(ListSegments(env, wal_dir, &segs));
  bool removed = false;
  for (size_t i = 0; i + 1 < segs.size() && segs[i + 1].first <= oldest + 1; ++i) {
    STATELAB_RETURN_IF_ERROR(env->RemoveFile(segs[i].path));
    removed = true;
  }
  return removed ? env->SyncDir(wal_dir) : Status::OK();
}

Status DurableState::Impl::ReadRunHistory(const RunId& run, Version until, const EntryEmit& emit,
                                          Version* as_of) {
  std::lock_guard lk(snap_mu);
  const std::string_view prefix(reinterpret_cast<const char*>(run.bytes.data()), 16);
  std::map<std::string, VersionEntry, std::less<>> keys;
  std::vector<Segment> segs;
  STATELAB_RETURN_IF_ERROR(ListSegments(env, wal_dir, &segs));
  std::vector<std::pair<Version, std::string>> snaps;
  STATELAB_RETURN_IF_ERROR(ListSnapshots(env, snap_dir, &snaps));
  // Base: the newest snapshot at or below `until`; none: the start of the log if it is still
  // there, else the oldest snapshot (history before it was compacted away).
  const bool log_from_start = segs.empty() || segs.front().first <= 1;
  std::vector<std::pair<Version, std::string>> candidates;
  for (const auto& s : snaps) {
    if (s.first <= until) candidates.push_back(s);
  }
  if (candidates.empty() && !log_from_start) candidates.assign(snaps.rbegin(), snaps.rend());
  Version base = 0;
  std::string data;
  for (const auto& [v, name] : candidates) {
    const std::string path = JoinPath(snap_dir, name);
    STATELAB_RETURN_IF_ERROR(env->ReadFile(path, &data));
    snapshot::Header h;
    keys.clear();
    Status s =
        snapshot::ParseSnapshot(data, path, true, &h, [&](std::string_view key, VersionEntry e) {
          if (key.starts_with(prefix)) keys[std::string(key)] = std::move(e);
        });
    if (s.ok()) {
      base = v;
      break;
    }
  }
  Version last = 0;
  wal::CommitRecord rec;
  for (size_t i = segs.empty() ? 0 : FirstSegmentAfter(segs, base); i < segs.size(); ++i) {
    if (segs[i].first > until) break;
    STATELAB_RETURN_IF_ERROR(env->ReadFile(segs[i].path, &data));
    wal::Frame f;
    for (uint64_t off = 0; wal::ParseFrame(data, off, &f); off += f.size) {
      if (!wal::DecodeCommit(f.payload, &rec) || rec.version <= last) break;
      last = rec.version;
      if (rec.version <= base) continue;
      if (rec.version > until) break;
      for (WriteEntry& w : rec.txn.writes) {
        if (!w.key.view().starts_with(prefix)) continue;
        VersionEntry e;
        e.version = rec.version;
        e.expire_at_us = w.expire_at_us;
        e.tombstone = w.kind == WriteKind::kDelete;
        if (!e.tombstone) e.value = std::move(w.value);
        keys[std::string(w.key.view())] = std::move(e);
      }
    }
  }
  for (const auto& [k, e] : keys) emit(k, e);
  *as_of = std::max(until, base);
  return Status::OK();
}

Result<std::unique_ptr<DurableState>> DurableState::Open(const DbOptions& opts, std::string root,
                                                         Hooks hooks, RecoveryReport* report) {
  if (opts.mode == DurabilityMode::kInMemory) {
    return Status::InvalidArgument("mode: durable state is not used in inmemory mode");
  }
  if (root.empty()) return Status::InvalidArgument("dir: a durable mode needs a data directory");
  if (opts.mode == DurabilityMode::kBuffered && opts.buffered_interval_ms == 0) {
    return Status::InvalidArgument("buffered_interval_ms: 0 is below the minimum of 1");
  }
  if (opts.wal_segment_bytes == 0) {
    return Status::InvalidArgument("wal_segment_bytes: 0 is below the minimum of 1");
  }
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<DurableState> ds(new DurableState());
  ds->impl_ = std::make_unique<Impl>(opts, std::move(root), std::move(hooks));
  Impl& im = *ds->impl_;
  std::vector<snapshot::RunLife> runs;
  STATELAB_RETURN_IF_ERROR(im.Recover(&ds->report_, &ds->recovered_version_, &runs));
  STATELAB_ASSIGN_OR_RETURN(
      ds->log_, CommitLog::Open(opts, im.env, im.wal_dir, ds->recovered_version_ + 1, runs));
  ds->report_.time_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (report) *report = ds->report_;
  if (opts.snapshot_wal_bytes > 0 || opts.snapshot_interval_s > 0) {
    DurableState* self = ds.get();
    im.trigger_thread = std::thread([self] { self->TriggerLoop(); });
  }
  return ds;
}

void DurableState::TriggerLoop() {
  Impl& im = *impl_;
  const auto poll = std::chrono::milliseconds(
      im.opts.snapshot_interval_s > 0
          ? std::min<uint64_t>(100, uint64_t{im.opts.snapshot_interval_s} * 1000)
          : 100);
  std::unique_lock lk(im.thread_mu);
  while (!im.stop) {
    im.thread_cv.wait_for(lk, poll, [&] { return im.stop; });
    if (im.stop) break;
    const uint64_t grown = log_->bytes() - im.bytes_at_snapshot.load();
    const bool by_size = im.opts.snapshot_wal_bytes > 0 && grown >= im.opts.snapshot_wal_bytes;
    const bool by_time =
        im.opts.snapshot_interval_s > 0 && grown > 0 &&
        NowMicros() - im.snapshot_at_us.load() >= int64_t{im.opts.snapshot_interval_s} * 1000000;
    if (!by_size && !by_time) continue;
    lk.unlock();
    (void)im.WriteSnapshot(*log_);  // a failure is retried at the next trigger
    lk.lock();
  }
}

DurableState::~DurableState() { (void)Close(); }

Status DurableState::Snapshot() {
  {
    std::lock_guard lk(impl_->thread_mu);
    if (impl_->closed) return Status::ShuttingDown();
  }
  return impl_->WriteSnapshot(*log_);
}

Status DurableState::Close() {
  if (!log_) return Status::OK();  // Open failed before the log existed
  Impl& im = *impl_;
  {
    std::lock_guard lk(im.thread_mu);
    if (im.closed) return im.close_status;
    im.closed = im.stop = true;
    im.thread_cv.notify_all();
  }
  if (im.trigger_thread.joinable()) im.trigger_thread.join();
  Status s = log_->Flush();
  if (s.ok() && im.opts.snapshot_on_close) s = im.WriteSnapshot(*log_);
  Status c = log_->Close();
  if (s.ok()) s = std::move(c);
  std::lock_guard lk(im.thread_mu);
  im.close_status = s;
  return s;
}

Version DurableState::RunEndVersion(const RunId& run) const { return log_->RunEnd(run); }

Status DurableState::ReadRunHistory(const RunId& run, Version until, const EntryEmit& emit,
                                    Version* as_of) {
  STATELAB_RETURN_IF_ERROR(log_->Flush());
  return impl_->ReadRunHistory(run, until, emit, as_of);
}

}  // namespace statelab
