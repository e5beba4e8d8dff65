#include "engines/durability/durable_state.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "engines/api/key.h"
#include "engines/durability/codec.h"
#include "engines/durability/crc32c.h"
#include "engines/durability/env.h"
#include "engines/durability/snapshot_format.h"
#include "engines/durability/wal_format.h"

namespace statelab {

void RecoveryReport::Merge(const RecoveryReport& o) {
  policy = o.policy;  // every root recovers under the same DbOptions
  if (!o.snapshot_used.empty()) {
    snapshot_used += (snapshot_used.empty() ? "" : ",") + o.snapshot_used;
  }
  snapshot_version = std::max(snapshot_version, o.snapshot_version);
  recovered_version = std::max(recovered_version, o.recovered_version);
  records_replayed += o.records_replayed;
  bytes_truncated += o.bytes_truncated;
  records_skipped += o.records_skipped;
  losses.insert(losses.end(), o.losses.begin(), o.losses.end());
  open_runs.insert(open_runs.end(), o.open_runs.begin(), o.open_runs.end());
  std::sort(open_runs.begin(), open_runs.end());
  time_ms = std::max(time_ms, o.time_ms);  // roots recover in parallel or not: the longest
  notes.insert(notes.end(), o.notes.begin(), o.notes.end());
}

// Reads growing prefixes until the log's end is followed by enough zeros (or the whole file is
// read): replay reads what was written, not a 64 MiB preallocated segment.
Status ReadSegment(Env* env, const std::string& path, SegmentImage* out) {
  constexpr uint64_t kZerosAfterEnd = 64 << 10;
  for (uint64_t limit = 256 << 10;; limit *= 4) {
    STATELAB_RETURN_IF_ERROR(env->ReadPrefix(path, limit, &out->data, &out->file_bytes));
    out->header = wal::ParseSegmentHeader(out->data);
    const uint64_t end = wal::LogEnd(out->data, out->header);
    if (out->data.size() < limit || out->data.size() >= out->file_bytes ||
        end + kZerosAfterEnd <= out->data.size()) {
      out->data.resize(end);
      return Status::OK();
    }
  }
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

  // Recovers into the hooks. dry_run: changes no file (DurableState::DryRun).
  Status Recover(bool dry_run, RecoveryReport* rep, Version* recovered, Version* segment_name,
                 std::vector<snapshot::RunLife>* runs_out);
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
};

namespace {

constexpr size_t kMaxListedRecords = 1000;

// Whether the bad bytes at data[off..] (with no valid frame anywhere after them) are what a crash
// during an append leaves: fewer bytes than a frame, a frame whose length runs past the end of the
// file (a prefix of the append reached the disk), or zeros (a block allocated but never written).
// A complete frame that fails its CRC, or one whose damaged length field hides a complete frame
// ending at the end of the file, is damage to a record that was written whole.
bool IsTornTail(std::string_view data, uint64_t off) {
  const std::string_view rest = data.substr(off);
  if (rest.size() < wal::kHeaderBytes + wal::kTrailerBytes) return true;
  if (rest.find_first_not_of('\0') == std::string_view::npos) return true;
  if (static_cast<uint8_t>(rest[4]) != static_cast<uint8_t>(wal::RecordType::kCommit) ||
      static_cast<uint8_t>(rest[5]) != wal::kFormatVersion) {
    return false;
  }
  const uint64_t len = codec::LoadU32(rest.data());
  if (wal::kHeaderBytes + len + wal::kTrailerBytes <= rest.size()) {
    const std::string_view tail = rest.substr(rest.size() - 8);  // a torn sector reads as zeros
    return tail.find_first_not_of('\0') == std::string_view::npos;
  }
  // Only CRC bytes are missing (zeros after the data were trimmed as never written): a torn
  // append kept the payload whole, so the CRC bytes that are there match it. A record written
  // whole whose CRC ends in zero bytes and whose payload was damaged does not match: refused.
  const uint64_t frame = wal::kHeaderBytes + len + wal::kTrailerBytes;
  if (frame - rest.size() < wal::kTrailerBytes) {
    char crc[wal::kTrailerBytes];
    codec::StoreU32(crc, crc32c::Value(rest.substr(0, wal::kHeaderBytes + len)));
    const size_t present = wal::kTrailerBytes - (frame - rest.size());
    return std::memcmp(crc, rest.data() + wal::kHeaderBytes + len, present) == 0;
  }
  // Runs past the end: torn, unless the bytes there are a whole frame with a damaged length.
  std::string fixed(rest.substr(0, rest.size() - wal::kTrailerBytes));
  codec::StoreU32(fixed.data(),
                  static_cast<uint32_t>(rest.size() - wal::kHeaderBytes - wal::kTrailerBytes));
  return crc32c::Value(fixed) != codec::LoadU32(rest.data() + rest.size() - wal::kTrailerBytes);
}

// The record a damaged frame probably held (its payload decoded without the CRC), if any.
bool GuessRecord(std::string_view data, uint64_t off, wal::CommitRecord* rec) {
  if (data.size() - off < wal::kHeaderBytes + wal::kTrailerBytes) return false;
  const uint64_t len = codec::LoadU32(data.data() + off);
  if (wal::kHeaderBytes + len > data.size() - off) return false;
  return wal::DecodeCommit(data.substr(off + wal::kHeaderBytes, len), rec);
}

RecoveryLoss Loss(std::string what, std::string file, uint64_t offset, Version after) {
  RecoveryLoss l;
  l.what = std::move(what);
  l.file = std::move(file);
  l.offset = offset;
  l.after = after;
  return l;
}

std::string VersionRange(Version from, Version to) {
  return from == to ? "version " + std::to_string(from)
                    : "versions " + std::to_string(from) + ".." + std::to_string(to);
}

// One recovery pass over a root: picks the base snapshot, replays the log after it, checks that
// the log is continuous (each segment's name says which version it begins after) and that every
// corrupt snapshot it bypasses is covered, and applies the policy to what is damaged or missing.
// File changes (cutting a torn tail) are collected and made only once nothing refuses.
class Recovery {
 public:
  Recovery(const DbOptions& opts, Env* env, std::string wal_dir, std::string snap_dir,
           const DurableState::Hooks& hooks, bool dry_run, RecoveryReport* rep)
      : env_(env),
        wal_dir_(std::move(wal_dir)),
        snap_dir_(std::move(snap_dir)),
        hooks_(hooks),
        dry_run_(dry_run),
        rep_(rep),
        policy_(opts.recovery_policy) {}

  Status Run(Version* recovered, Version* segment_name, std::vector<snapshot::RunLife>* runs_out);

 private:
  struct Bypassed {
    std::string path;
    Version version;
    uint64_t offset;
    bool handled = false;  // refused or reported already
  };

  Status LoadBase(snapshot::Header* h);
  Status ReplaySegment(size_t i, bool* stop);
  // The log is missing versions between what is covered and segment i (named after the version
  // it begins after). `prev` describes what came before: a segment, or the base.
  Status Gap(size_t i, const std::string& prev, uint64_t prev_end, bool* stop);
  // Cuts the log at segs_[i] offset `off` (truncate-tail, torn tails): later segments go.
  Status Cut(size_t i, uint64_t off, RecoveryLoss loss, const SegmentImage& seg);
  // Lists every valid record in segs_[i] from `from` on and in later segments into `loss`.
  Status ListLater(size_t i, uint64_t from, const SegmentImage& seg, RecoveryLoss* loss);
  // Segment i is shorter than it was created: refuse (strict) or report it and, truncate-tail,
  // end the log there.
  // `path` must not refer into segs_: a cut before it may have shrunk segs_.
  Status Truncated(size_t i, const std::string& path, const SegmentImage& seg, bool* stop);
  void Apply(wal::CommitRecord& rec);
  Version covered() const { return std::max(base_, last_); }

  // Refuses (or, skip-corrupt, accepts and reports) bypassing corrupt snapshot b with what the
  // base and the log cover so far.
  Status Uncovered(Bypassed& b);

  Env* const env_;
  const std::string wal_dir_, snap_dir_;
  const DurableState::Hooks& hooks_;
  const bool dry_run_;
  RecoveryReport* const rep_;
  const RecoveryPolicy policy_;
  std::vector<Segment> segs_;
  bool any_preallocated_ = false;  // some segment of the root has a format 2 header
  Version base_ = 0;  // the base snapshot's version (0: none)
  Version last_ = 0;  // the newest record seen in the log (those at or below base_ included)
  std::string base_name_;
  std::vector<Bypassed> bypassed_;
  std::map<RunId, snapshot::RunLife> runs_;
  std::vector<size_t> open_losses_;  // losses whose `before` the next replayed record sets
  // Deferred file changes: truncate path to size (npos: remove it), then extend it back to
  // restore bytes (a preallocated segment keeps its size: zeros after the cut).
  struct Change {
    std::string path;
    uint64_t size;
    uint64_t restore;
  };
  std::vector<Change> changes_;
};

Status Recovery::LoadBase(snapshot::Header* h) {
  Env* env = env_;
  std::vector<std::string> names;
  if (env->FileExists(snap_dir_)) STATELAB_RETURN_IF_ERROR(env->ListDir(snap_dir_, &names));
  for (const std::string& n : names) {
    if (!n.ends_with(".tmp")) continue;  // a snapshot that never reached its rename
    if (!dry_run_) STATELAB_RETURN_IF_ERROR(env->RemoveFile(JoinPath(snap_dir_, n)));
    rep_->notes.push_back(std::string(dry_run_ ? "would remove" : "removed") +
                          " incomplete snapshot " + n);
  }
  std::vector<std::pair<Version, std::string>> snaps;
  if (env->FileExists(snap_dir_)) {
    STATELAB_RETURN_IF_ERROR(ListSnapshots(env, snap_dir_, &snaps));
  }
  std::string data;
  for (const auto& [v, name] : snaps) {
    const std::string path = JoinPath(snap_dir_, name);
    STATELAB_RETURN_IF_ERROR(env->ReadFile(path, &data));
    // Validates the whole file before loading any entry. A snapshot whose header version is not
    // its name's is refused before loading too (the first pass has no entry callback).
    Status s = snapshot::ParseSnapshot(data, path, true, h, {});
    if (s.ok() && h->version != v) s = Status::Corruption(path, snapshot::kVersionOffset);
    if (!s.ok()) {
      bypassed_.push_back({path, v, s.a(), false});
      continue;
    }
    if (hooks_.count_entry) {
      snapshot::ForEachEntry(data, [&](std::string_view key, const VersionEntry&) {
        hooks_.count_entry(key);
      });
    }
    if (hooks_.load_entry) snapshot::ForEachEntry(data, hooks_.load_entry);
    rep_->snapshot_used = name;
    rep_->snapshot_version = v;
    base_ = v;
    base_name_ = name;
    return Status::OK();
  }
  *h = snapshot::Header{};
  return Status::OK();
}

void Recovery::Apply(wal::CommitRecord& rec) {
  NoteLifecycle(runs_, rec.version, rec.txn);
  hooks_.apply_commit(rec.version, rec.txn);
  ++rep_->records_replayed;
  for (size_t k : open_losses_) rep_->losses[k].before = rec.version;
  open_losses_.clear();
}

Status Recovery::ListLater(size_t i, uint64_t from, const SegmentImage& seg, RecoveryLoss* loss) {
  SegmentImage other;
  wal::CommitRecord rec;
  for (size_t k = i; k < segs_.size(); ++k) {
    if (k > i) STATELAB_RETURN_IF_ERROR(ReadSegment(env_, segs_[k].path, &other));
    const SegmentImage& sk = k == i ? seg : other;
    const std::string& d = sk.data;
    wal::Frame f;
    for (uint64_t off = wal::FindNextFrame(d, k == i ? from : sk.header.first_frame);
         off != std::string::npos;
         off = wal::FindNextFrame(d, off + f.size)) {
      if (!wal::ParseFrame(d, off, &f) || !wal::DecodeCommit(f.payload, &rec)) break;
      ++loss->records_lost;
      if (loss->records.size() < kMaxListedRecords) {
        loss->records.push_back({rec.version, rec.txn.run, true});
      }
    }
  }
  return Status::OK();
}

Status Recovery::Cut(size_t i, uint64_t off, RecoveryLoss loss, const SegmentImage& seg) {
  uint64_t cut = seg.data.size() - off;
  // Cut to before its first record, a segment goes: left empty, its name (the version it begins
  // after) would claim versions the log no longer reaches.
  const bool empty = off <= seg.header.first_frame;
  changes_.push_back(
      {segs_[i].path, empty ? std::string::npos : off, empty ? 0 : seg.restore_bytes()});
  for (size_t k = i + 1; k < segs_.size(); ++k) {
    SegmentImage other;
    STATELAB_RETURN_IF_ERROR(ReadSegment(env_, segs_[k].path, &other));
    cut += other.data.size();
    changes_.push_back({segs_[k].path, std::string::npos, 0});
  }
  segs_.resize(empty ? i : i + 1);
  rep_->bytes_truncated += cut;
  loss.bytes += cut;  // a cut segment's loss already counts the bytes it misses
  rep_->notes.push_back(
      std::string(dry_run_ ? "would truncate " : "truncated ") +
      (loss.what == "torn_tail" ? "the torn tail of " : "the log at ") + loss.file + " at offset " +
      std::to_string(off) + " (" + std::to_string(cut) + " bytes" +
      (loss.records_lost > 0 ? ", " + std::to_string(loss.records_lost) + " valid records"
                             : std::string()) +
      ")");
  rep_->losses.push_back(std::move(loss));
  return Status::OK();
}

Status Recovery::Gap(size_t i, const std::string& prev, uint64_t prev_end, bool* stop) {
  const Version from = covered() + 1, to = segs_[i].first - 1;
  const std::string what = prev + " ends at version " + std::to_string(covered()) + " but " +
                           segs_[i].path + " begins after version " + std::to_string(to) + ": " +
                           VersionRange(from, to) + " missing";
  switch (policy_) {
    case RecoveryPolicy::kStrict:
      return Status::Corruption(what + " (recovery policy strict)", prev_end);
    case RecoveryPolicy::kTruncateTail: {
      RecoveryLoss loss = Loss("cut_tail", segs_[i].path, 0, covered());
      SegmentImage seg;
      STATELAB_RETURN_IF_ERROR(ReadSegment(env_, segs_[i].path, &seg));
      STATELAB_RETURN_IF_ERROR(ListLater(i, 0, seg, &loss));
      rep_->notes.push_back(what + "; the log is cut there");
      // Segment i and everything after it go: cut i to nothing, remove the rest.
      *stop = true;
      return Cut(i, 0, std::move(loss), seg);
    }
    case RecoveryPolicy::kSkipCorrupt:
      rep_->notes.push_back(what + "; skipped");
      open_losses_.push_back(rep_->losses.size());
      rep_->losses.push_back(Loss("gap", segs_[i].path, 0, covered()));
      last_ = std::max(last_, to);  // accepted as covered from here on
      return Status::OK();
  }
  return Status::OK();
}

Status Recovery::Truncated(size_t i, const std::string& path, const SegmentImage& seg,
                           bool* stop) {
  if (!*stop && i + 1 < segs_.size() && segs_[i + 1].first - 1 <= covered()) {
    // The next segment begins right after what was read: the cut held no record recovery needs.
    rep_->notes.push_back(path + " is shorter than it was created; the next segment continues " +
                          "from its last record: nothing lost");
    changes_.push_back({path, seg.file_bytes, seg.header.file_bytes});
    return Status::OK();
  }
  const std::string what = path + " is " + std::to_string(seg.file_bytes) +
                           " bytes, shorter than the " + std::to_string(seg.header.file_bytes) +
                           " it was created with: cut after its records were written, so the " +
                           "records after offset " + std::to_string(seg.file_bytes) +
                           " are lost";
  if (policy_ == RecoveryPolicy::kStrict) {
    return Status::Corruption(what + " (recovery policy strict)", seg.file_bytes);
  }
  RecoveryLoss loss = Loss(
      policy_ == RecoveryPolicy::kTruncateTail ? "cut_tail" : "truncated_segment", path,
      seg.file_bytes, covered());
  loss.bytes = seg.header.file_bytes - seg.file_bytes;
  if (*stop) {  // the log was cut inside it already (at a partial record): listed as well
    rep_->notes.push_back(what);
    rep_->losses.push_back(std::move(loss));
    return Status::OK();
  }
  if (policy_ == RecoveryPolicy::kTruncateTail) {
    // The log ends here: later segments go (their records listed).
    rep_->notes.push_back(what + "; the log ends there");
    if (i + 1 < segs_.size()) {
      SegmentImage next;
      STATELAB_RETURN_IF_ERROR(ReadSegment(env_, segs_[i + 1].path, &next));
      STATELAB_RETURN_IF_ERROR(ListLater(i + 1, next.header.first_frame, next, &loss));
    }
    *stop = true;
    return Cut(i, seg.data.size(), std::move(loss), seg);
  }
  rep_->notes.push_back(what + "; skipped");
  open_losses_.push_back(rep_->losses.size());
  rep_->losses.push_back(std::move(loss));
  changes_.push_back({path, seg.file_bytes, seg.header.file_bytes});  // the next open accepts it
  return Status::OK();
}

Status Recovery::ReplaySegment(size_t i, bool* stop) {
  SegmentImage seg;
  STATELAB_RETURN_IF_ERROR(ReadSegment(env_, segs_[i].path, &seg));
  const std::string& data = seg.data;
  const std::string path = segs_[i].path;  // a copy: Cut shrinks segs_
  // An empty file among preallocated segments was cut to nothing (format 1 segments could be
  // empty; a preallocated one never is).
  if (seg.file_bytes == 0 && any_preallocated_) {
    seg.header.kind = wal::SegmentKind::kDamagedHeader;
  }
  if (seg.header.kind == wal::SegmentKind::kDamagedHeader) {
    if (policy_ == RecoveryPolicy::kStrict) {
      return Status::Corruption(path + ": damaged segment header (recovery policy strict)", 0);
    }
    rep_->notes.push_back("damaged segment header in " + path + "; its records are read anyway");
    RecoveryLoss loss = Loss("corrupt_record", path, 0, covered());
    loss.bytes = wal::kSegmentHeaderBytes;
    rep_->losses.push_back(std::move(loss));
  }
  wal::CommitRecord rec;
  uint64_t off = seg.header.first_frame;
  while (off < data.size()) {
    wal::Frame f;
    if (wal::ParseFrame(data, off, &f) && wal::DecodeCommit(f.payload, &rec) &&
        rec.version > last_) {
      off += f.size;
      last_ = rec.version;
      if (rec.version > base_) Apply(rec);
      continue;
    }
    // A bad record. Valid records after it (here or in a later segment) make it mid-log damage;
    // otherwise it is the tail of the log.
    const uint64_t next = wal::FindNextFrame(data, off + 1);
    bool follows = next != std::string::npos;
    for (size_t k = i + 1; k < segs_.size() && !follows; ++k) {
      SegmentImage other;
      follows = ReadSegment(env_, segs_[k].path, &other).ok() &&
                wal::FindNextFrame(other.data, other.header.first_frame) != std::string::npos;
    }
    // Damage to records the base snapshot holds (the next record, or the next segment's name,
    // says every damaged version is <= base_) loses nothing: recovery does not need them.
    Version bound = 0;  // the damaged records are below it; 0: unknown
    if (next != std::string::npos) {
      wal::Frame nf;
      if (wal::ParseFrame(data, next, &nf) && wal::DecodeCommit(nf.payload, &rec)) {
        bound = rec.version;
      }
    } else if (i + 1 < segs_.size()) {
      bound = segs_[i + 1].first;
    }
    if (bound != 0 && bound <= base_ + 1) {
      const uint64_t resume = next == std::string::npos ? data.size() : next;
      rep_->notes.push_back("damaged bytes in " + path + " at offset " + std::to_string(off) +
                            " (" + std::to_string(resume - off) + " bytes) hold versions the " +
                            "snapshot " + base_name_ + " covers: not needed");
      RecoveryLoss covered_loss = Loss("covered", path, off, last_);
      covered_loss.bytes = resume - off;
      covered_loss.before = bound;
      rep_->losses.push_back(std::move(covered_loss));
      last_ = std::max(last_, bound - 1);
      off = resume;
      continue;
    }
    RecoveryLoss loss = Loss("", path, off, covered());
    if (GuessRecord(data, off, &rec)) {
      loss.records.push_back({rec.version, rec.txn.run, false});
    }
    if (!follows) {
      // The tail. Later (frame-less) segments must still continue from here: one named after a
      // version this one does not reach means whole records are missing, not torn.
      bool gap = false;
      for (size_t k = i + 1; k < segs_.size() && !gap; ++k) {
        gap = segs_[k].first - 1 > covered();
        if (gap && policy_ == RecoveryPolicy::kStrict) {
          return Gap(k, path + " (damaged at offset " + std::to_string(off) + ")", off, stop);
        }
      }
      const bool torn = !gap && IsTornTail(data, off);
      if (!torn && policy_ == RecoveryPolicy::kStrict) return Status::Corruption(path, off);
      loss.what = torn ? "torn_tail" : "cut_tail";
      if (torn) loss.records.clear();  // never acknowledged: a crash during its append
      *stop = true;
      STATELAB_RETURN_IF_ERROR(Cut(i, off, std::move(loss), seg));
      return seg.truncated() ? Truncated(i, path, seg, stop) : Status::OK();
    }
    switch (policy_) {
      case RecoveryPolicy::kStrict:
        return Status::Corruption(path, off);
      case RecoveryPolicy::kTruncateTail:
        loss.what = "cut_tail";
        STATELAB_RETURN_IF_ERROR(ListLater(i, off + 1, seg, &loss));
        *stop = true;
        return Cut(i, off, std::move(loss), seg);
      case RecoveryPolicy::kSkipCorrupt: {
        ++rep_->records_skipped;
        const uint64_t resume = next == std::string::npos ? data.size() : next;
        loss.what = "corrupt_record";
        loss.bytes = resume - off;
        rep_->notes.push_back("skipped corrupt record in " + path + " at offset " +
                              std::to_string(off) + " (" + std::to_string(resume - off) +
                              " bytes)");
        open_losses_.push_back(rep_->losses.size());
        rep_->losses.push_back(std::move(loss));
        // The rest of a segment skipped: the next one's name is where the log continues.
        if (next == std::string::npos && i + 1 < segs_.size()) {
          last_ = std::max(last_, segs_[i + 1].first - 1);
        }
        off = resume;
        break;
      }
    }
  }
  return seg.truncated() ? Truncated(i, path, seg, stop) : Status::OK();
}

Status Recovery::Uncovered(Bypassed& b) {
  b.handled = true;
  const std::string what =
      "snapshot " + b.path + " is corrupt at offset " + std::to_string(b.offset) + "; " +
      (base_name_.empty() ? std::string("the empty state") : "snapshot " + base_name_) +
      " plus the log reach version " + std::to_string(covered());
  if (covered() >= b.version) {
    rep_->notes.push_back(what + ", which covers it: bypassed");
    return Status::OK();
  }
  if (policy_ != RecoveryPolicy::kSkipCorrupt) {
    return Status::Corruption(what + " of its " + std::to_string(b.version) + ": " +
                                  VersionRange(covered() + 1, b.version) +
                                  " would be lost (recovery policy " +
                                  std::string(RecoveryPolicyName(policy_)) + ")",
                              b.offset);
  }
  rep_->notes.push_back(what + " of its " + std::to_string(b.version) + "; opened without " +
                        VersionRange(covered() + 1, b.version));
  rep_->losses.push_back(Loss("snapshot", b.path, b.offset, covered()));
  return Status::OK();
}

Status Recovery::Run(Version* recovered, Version* segment_name,
                     std::vector<snapshot::RunLife>* runs_out) {
  rep_->policy = std::string(RecoveryPolicyName(policy_));
  snapshot::Header h;
  STATELAB_RETURN_IF_ERROR(LoadBase(&h));
  for (const snapshot::RunLife& r : h.runs) runs_[r.run] = r;

  if (env_->FileExists(wal_dir_)) {
    STATELAB_RETURN_IF_ERROR(ListSegments(env_, wal_dir_, &segs_));
    std::string head;
    for (const Segment& sg : segs_) {
      uint64_t bytes = 0;
      STATELAB_RETURN_IF_ERROR(env_->ReadPrefix(sg.path, wal::kSegmentHeaderBytes, &head, &bytes));
      any_preallocated_ = any_preallocated_ ||
                          wal::ParseSegmentHeader(head).kind == wal::SegmentKind::kPreallocated;
    }
    std::vector<std::string> names;
    STATELAB_RETURN_IF_ERROR(env_->ListDir(wal_dir_, &names));
    for (const std::string& n : names) {
      if (!n.ends_with(".wal.tmp")) continue;  // a segment that never reached its rename
      if (!dry_run_) STATELAB_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(wal_dir_, n)));
      rep_->notes.push_back(std::string(dry_run_ ? "would remove" : "removed") +
                            " incomplete segment " + n);
    }
  }
  bool stop = false;
  const size_t first = segs_.empty() ? 0 : FirstSegmentAfter(segs_, base_);
  for (size_t i = first; i < segs_.size() && !stop; ++i) {
    // Segment i begins after version name - 1: everything up to there must be covered already.
    if (segs_[i].first - 1 > covered()) {
      for (Bypassed& b : bypassed_) {
        if (i == first && b.version > base_) STATELAB_RETURN_IF_ERROR(Uncovered(b));
      }
      const std::string prev = i == first ? (base_name_.empty() ? std::string("the empty state")
                                                                : JoinPath(snap_dir_, base_name_))
                                          : segs_[i - 1].path;
      uint64_t prev_end = 0;
      if (i > first) {
        SegmentImage p;
        STATELAB_RETURN_IF_ERROR(ReadSegment(env_, prev, &p));
        prev_end = p.data.size();
      }
      STATELAB_RETURN_IF_ERROR(Gap(i, prev, prev_end, &stop));
      if (stop) break;
    }
    STATELAB_RETURN_IF_ERROR(ReplaySegment(i, &stop));
  }

  // A corrupt snapshot newer than the base may be bypassed only when the base plus the log cover
  // every version it held.
  for (Bypassed& b : bypassed_) {
    if (b.handled) continue;
    if (b.version <= base_) {
      rep_->notes.push_back("snapshot " + b.path + " is corrupt at offset " +
                            std::to_string(b.offset) + " (older than the one used)");
      continue;
    }
    STATELAB_RETURN_IF_ERROR(Uncovered(b));
  }

  // Nothing refused: make the file changes.
  bool removed = false;
  for (const Change& c : changes_) {
    if (dry_run_) break;
    if (c.size == std::string::npos) {
      STATELAB_RETURN_IF_ERROR(env_->RemoveFile(c.path));
      removed = true;
      continue;
    }
    STATELAB_RETURN_IF_ERROR(env_->Truncate(c.path, c.size));
    if (c.restore > c.size) STATELAB_RETURN_IF_ERROR(env_->Truncate(c.path, c.restore));
  }
  if (removed) STATELAB_RETURN_IF_ERROR(env_->SyncDir(wal_dir_));

  *recovered = std::max(last_, base_);
  rep_->recovered_version = *recovered;
  // The next segment begins after the newest record the log holds (continuity is checked against
  // it); an existing segment with a later name that holds nothing is reused.
  *segment_name = last_ + 1;
  if (!segs_.empty()) *segment_name = std::max(*segment_name, segs_.back().first);
  if (last_ == 0 && segs_.empty()) *segment_name = *recovered + 1;
  for (const auto& [id, r] : runs_) {
    if (r.begin != 0 && r.end == 0) rep_->open_runs.push_back(id);
    runs_out->push_back(r);
  }
  return Status::OK();
}

}  // namespace

Status DurableState::Impl::Recover(bool dry_run, RecoveryReport* rep, Version* recovered,
                                   Version* segment_name,
                                   std::vector<snapshot::RunLife>* runs_out) {
  if (!dry_run) {
    STATELAB_RETURN_IF_ERROR(env->CreateDirs(wal_dir));
    STATELAB_RETURN_IF_ERROR(env->CreateDirs(snap_dir));
    STATELAB_RETURN_IF_ERROR(env->SyncDir(root));
  }
  return Recovery(opts, env, wal_dir, snap_dir, hooks, dry_run, rep)
      .Run(recovered, segment_name, runs_out);
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

// Keeps the newest two snapshots that validate (and any corrupt one newer than the older of
// them); deletes older snapshots and the WAL segments whose every record that older one covers.
// With fewer than two valid snapshots nothing goes: the log must still be able to replace the
// only one (a corrupt snapshot is bypassed only when the log covers it).
Status DurableState::Impl::Prune() {
  std::vector<std::pair<Version, std::string>> snaps;
  STATELAB_RETURN_IF_ERROR(ListSnapshots(env, snap_dir, &snaps));
  size_t valid = 0, keep = snaps.size();
  std::string data;
  for (size_t i = 0; i < snaps.size() && valid < 2; ++i) {
    const std::string path = JoinPath(snap_dir, snaps[i].second);
    STATELAB_RETURN_IF_ERROR(env->ReadFile(path, &data));
    snapshot::Header h;
    if (snapshot::ParseSnapshot(data, path, true, &h, {}).ok() && h.version == snaps[i].first &&
        ++valid == 2) {
      keep = i + 1;
    }
  }
  if (valid < 2) return Status::OK();
  for (size_t i = keep; i < snaps.size(); ++i) {
    STATELAB_RETURN_IF_ERROR(env->RemoveFile(JoinPath(snap_dir, snaps[i].second)));
  }
  if (keep < snaps.size()) STATELAB_RETURN_IF_ERROR(env->SyncDir(snap_dir));
  const Version oldest = snaps[keep - 1].first;
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
  std::string snap_data;
  for (const auto& [v, name] : candidates) {
    const std::string path = JoinPath(snap_dir, name);
    STATELAB_RETURN_IF_ERROR(env->ReadFile(path, &snap_data));
    snapshot::Header h;
    keys.clear();
    Status s =
        snapshot::ParseSnapshot(snap_data, path, true, &h, [&](std::string_view key, VersionEntry e) {
          if (key.starts_with(prefix)) keys[std::string(key)] = std::move(e);
        });
    if (s.ok()) {
      base = v;
      break;
    }
  }
  // The history must be whole: a gap before a segment (its name says which version it begins
  // after) or a damaged record the base does not cover is Corruption naming the file, never a
  // shorter history (recovery under skip-corrupt may have opened past it).
  Version last = 0;
  std::string prev =
      base == 0 ? std::string("the empty state") : JoinPath(snap_dir, snapshot::FileName(base));
  uint64_t prev_end = 0;
  wal::CommitRecord rec, next_rec;
  bool done = false;
  for (size_t i = segs.empty() ? 0 : FirstSegmentAfter(segs, base); i < segs.size() && !done;
       ++i) {
    if (segs[i].first > until) break;
    const Version covered = std::max(last, base);
    if (segs[i].first - 1 > covered) {
      return Status::Corruption("run history: " + prev + " ends at version " +
                                    std::to_string(covered) + " but " + segs[i].path +
                                    " begins after version " + std::to_string(segs[i].first - 1) +
                                    ": " + VersionRange(covered + 1, segs[i].first - 1) +
                                    " missing",
                                prev_end);
    }
    SegmentImage seg;
    STATELAB_RETURN_IF_ERROR(ReadSegment(env, segs[i].path, &seg));
    if (seg.truncated() || seg.header.kind == wal::SegmentKind::kDamagedHeader) {
      return Status::Corruption("run history: " + segs[i].path + " is cut or its header damaged",
                                seg.truncated() ? seg.file_bytes : 0);
    }
    const std::string& data = seg.data;
    prev = segs[i].path;
    prev_end = data.size();
    uint64_t off = seg.header.first_frame;
    while (off < data.size() && !done) {
      wal::Frame f;
      if (!wal::ParseFrame(data, off, &f) || !wal::DecodeCommit(f.payload, &rec) ||
          rec.version <= last) {
        // Damage: not needed when the next record (or segment) shows the base holds it; at the
        // end of the log it is an append in flight (open cut any torn tail).
        const uint64_t next = wal::FindNextFrame(data, off + 1);
        Version bound = 0;
        wal::Frame nf;
        if (next != std::string::npos) {
          if (wal::ParseFrame(data, next, &nf) && wal::DecodeCommit(nf.payload, &next_rec)) {
            bound = next_rec.version;
          }
        } else if (i + 1 < segs.size()) {
          bound = segs[i + 1].first;
        } else {
          break;
        }
        if (bound == 0 || bound > base + 1) return Status::Corruption(segs[i].path, off);
        if (next == std::string::npos) break;
        off = next;
        continue;
      }
      off += f.size;
      last = rec.version;
      if (rec.version <= base) continue;
      if (rec.version > until) {
        done = true;
        break;
      }
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
  Version segment_name = 0;
  STATELAB_RETURN_IF_ERROR(
      im.Recover(false, &ds->report_, &ds->recovered_version_, &segment_name, &runs));
  STATELAB_ASSIGN_OR_RETURN(
      ds->log_,
      CommitLog::Open(opts, im.env, im.wal_dir, ds->recovered_version_ + 1, runs, segment_name));
  ds->report_.time_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (report) *report = ds->report_;
  if (opts.snapshot_wal_bytes > 0 || opts.snapshot_interval_s > 0) {
    DurableState* self = ds.get();
    im.trigger_thread = std::thread([self] { self->TriggerLoop(); });
  }
  return ds;
}

Status DurableState::DryRun(const DbOptions& opts, std::string root, Hooks hooks,
                            RecoveryReport* report) {
  const auto start = std::chrono::steady_clock::now();
  Impl im(opts, std::move(root), std::move(hooks));
  RecoveryReport rep;
  Version recovered = 0, segment_name = 0;
  std::vector<snapshot::RunLife> runs;
  Status s = im.Recover(true, &rep, &recovered, &segment_name, &runs);
  rep.time_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (report) *report = std::move(rep);
  return s;
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
