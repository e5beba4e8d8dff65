#include "tools/data_dir.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string_view>

#include "engines/durability/codec.h"
#include "engines/durability/crc32c.h"
#include "engines/durability/env.h"
#include "engines/durability/snapshot_format.h"

namespace statelab::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWorkerPrefix = "worker-";

bool IsDir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  const uintmax_t n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

// Files of `dir` whose names `parse` accepts, by the version parse extracts, oldest first. A
// missing directory holds none.
template <class Parse>
Status ListVersioned(const std::string& dir, Parse&& parse, std::vector<FileInfo>* out,
                     std::vector<std::string>* others) {
  out->clear();
  if (!IsDir(dir)) return Status::OK();
  std::vector<std::string> names;
  STATELAB_RETURN_IF_ERROR(Env::Default()->ListDir(dir, &names));
  for (const std::string& n : names) {
    Version v = 0;
    const std::string path = JoinPath(dir, n);
    if (parse(n, &v)) {
      out->push_back({path, v, FileBytes(path)});
    } else if (others != nullptr) {
      others->push_back(path);
    }
  }
  std::sort(out->begin(), out->end(),
            [](const FileInfo& a, const FileInfo& b) { return a.version < b.version; });
  return Status::OK();
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Why the record at data[off] does not validate (the checks of wal::ParseFrame, then the
// payload and the version order), in words.
std::string DescribeBadRecord(std::string_view data, uint64_t off, Version last) {
  const uint64_t left = data.size() - off;
  if (left < wal::kHeaderBytes + wal::kTrailerBytes) {
    return std::to_string(left) + " trailing bytes, too short for a record";
  }
  const char* p = data.data() + off;
  const auto type = static_cast<uint8_t>(p[4]);
  const auto format = static_cast<uint8_t>(p[5]);
  if (type != static_cast<uint8_t>(wal::RecordType::kCommit)) {
    return "unknown record type " + std::to_string(type);
  }
  if (format != wal::kFormatVersion) return "unsupported format version " + std::to_string(format);
  const uint64_t len = codec::LoadU32(p);
  if (wal::kHeaderBytes + len + wal::kTrailerBytes > left) {
    return "record of " + std::to_string(len) + " payload bytes runs past the end of the file";
  }
  const uint32_t stored = codec::LoadU32(p + wal::kHeaderBytes + len);
  const uint32_t computed = crc32c::Value(std::string_view(p, wal::kHeaderBytes + len));
  if (stored != computed) {
    return "CRC mismatch (stored " + Hex32(stored) + ", computed " + Hex32(computed) + ")";
  }
  wal::CommitRecord rec;
  if (!wal::DecodeCommit(std::string_view(p + wal::kHeaderBytes, len), &rec)) {
    return "commit payload does not decode";
  }
  return "version " + std::to_string(rec.version) + " is not above the previous record's " +
         std::to_string(last);
}

bool HasFrame(const std::string& path, uint64_t from) {
  std::string data;
  return Env::Default()->ReadFile(path, &data).ok() &&
         wal::FindNextFrame(data, from) != std::string_view::npos;
}

void NoteLifecycle(std::map<RunId, snapshot::RunLife>& runs, Version v, const TxnState& t) {
  if (t.lifecycle == Lifecycle::kNone) return;
  snapshot::RunLife& r = runs[t.lifecycle_run];
  r.run = t.lifecycle_run;
  Version& slot = t.lifecycle == Lifecycle::kRunBegin ? r.begin : r.end;
  if (slot == 0) slot = v;
}

// Walks the segments of `root` from the one holding the first version above `after`.
Result<std::vector<Problem>> Walk(const std::string& root, Version after, bool stop_at_problem,
                                  const RecordFn& fn, uint64_t* bytes_after_problem) {
  std::vector<FileInfo> segs;
  STATELAB_RETURN_IF_ERROR(ListSegments(root, &segs));
  size_t first = 0;  // segments before it hold only versions <= after
  while (first + 1 < segs.size() && segs[first + 1].version <= after + 1) ++first;
  std::vector<Problem> problems;
  Version last = 0;
  std::string data;
  for (size_t i = first; i < segs.size(); ++i) {
    STATELAB_RETURN_IF_ERROR(Env::Default()->ReadFile(segs[i].path, &data));
    WalRecord r;
    uint64_t off = 0;
    while (off < data.size()) {
      wal::Frame f;
      if (wal::ParseFrame(data, off, &f) && wal::DecodeCommit(f.payload, &r.rec) &&
          r.rec.version > last) {
        r.file = segs[i].path;
        r.offset = off;
        r.size = f.size;
        last = r.rec.version;
        fn(r);
        off += f.size;
        continue;
      }
      bool follows = wal::FindNextFrame(data, off + 1) != std::string_view::npos;
      uint64_t rest = data.size() - off;
      for (size_t k = i + 1; k < segs.size(); ++k) {
        follows = follows || HasFrame(segs[k].path, 0);
        rest += segs[k].bytes;
      }
      problems.push_back({segs[i].path, off, DescribeBadRecord(data, off, last), follows});
      if (bytes_after_problem != nullptr && problems.size() == 1) *bytes_after_problem = rest;
      if (stop_at_problem) return problems;
      break;
    }
  }
  return problems;
}

}  // namespace

Result<std::vector<std::string>> FindRoots(const std::string& dir) {
  if (!IsDir(dir)) return Status::InvalidArgument("dir: " + dir + " is not a directory");
  std::vector<std::string> names;
  STATELAB_RETURN_IF_ERROR(Env::Default()->ListDir(dir, &names));
  std::vector<std::pair<uint64_t, std::string>> workers;
  for (const std::string& n : names) {
    if (!n.starts_with(kWorkerPrefix) || !IsDir(JoinPath(dir, n))) continue;
    const std::string_view digits = std::string_view(n).substr(kWorkerPrefix.size());
    uint64_t index = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) continue;
    workers.emplace_back(index, JoinPath(dir, n));
  }
  std::sort(workers.begin(), workers.end());
  std::vector<std::string> roots;
  roots.reserve(workers.size());
  for (auto& [i, path] : workers) roots.push_back(std::move(path));
  if (roots.empty() && (IsDir(JoinPath(dir, "wal")) || IsDir(JoinPath(dir, "snapshots")))) {
    roots.push_back(dir);
  }
  if (roots.empty()) {
    return Status::InvalidArgument("dir: " + dir +
                                   " is not a statelab data directory (no wal/ or worker-<i>/)");
  }
  return roots;
}

std::string_view EngineForLayout(const std::vector<std::string>& roots, const std::string& dir) {
  return roots.size() == 1 && roots[0] == dir ? "btree" : "shared_nothing";
}

Status ListSegments(const std::string& root, std::vector<FileInfo>* out) {
  return ListVersioned(JoinPath(root, "wal"), wal::ParseSegmentName, out, nullptr);
}

Status ListSnapshots(const std::string& root, std::vector<FileInfo>* out,
                     std::vector<std::string>* leftovers) {
  std::vector<std::string> others;
  STATELAB_RETURN_IF_ERROR(
      ListVersioned(JoinPath(root, "snapshots"), snapshot::ParseFileName, out, &others));
  for (std::string& o : others) {
    if (o.ends_with(".tmp")) leftovers->push_back(std::move(o));
  }
  return Status::OK();
}

Result<std::vector<Problem>> WalkWal(const std::string& root, const RecordFn& fn) {
  return Walk(root, 0, false, fn, nullptr);
}

Status CheckSnapshot(const FileInfo& f, snapshot::Header* h, uint64_t* entries) {
  std::string data;
  STATELAB_RETURN_IF_ERROR(Env::Default()->ReadFile(f.path, &data));
  snapshot::EntryFn count;
  if (entries != nullptr) {
    *entries = 0;
    count = [entries](std::string_view, const VersionEntry&) { ++*entries; };
  }
  STATELAB_RETURN_IF_ERROR(snapshot::ParseSnapshot(data, f.path, true, h, count));
  // The header's version sits after the magic and the format version.
  if (h->version != f.version) return Status::Corruption(f.path, snapshot::kMagic.size() + 4);
  return Status::OK();
}

Result<Image> LoadImage(const std::vector<std::string>& roots) {
  DbOptions opts;
  opts.mode = DurabilityMode::kInMemory;
  Image img;
  STATELAB_ASSIGN_OR_RETURN(img.engine, BTreeEngine::Open(opts));
  BTreeEngine& e = *img.engine;
  for (const std::string& root : roots) {
    RecoveryReport rep;
    std::vector<FileInfo> snaps;
    std::vector<std::string> leftovers;
    STATELAB_RETURN_IF_ERROR(ListSnapshots(root, &snaps, &leftovers));
    for (const std::string& l : leftovers)
      rep.notes.push_back("would remove incomplete snapshot " + l);
    snapshot::Header h;
    std::string data;
    for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
      // Validate before loading: a snapshot is used whole or not at all.
      if (Status s = CheckSnapshot(*it, &h, nullptr); !s.ok()) {
        rep.notes.push_back("snapshot " + it->path + " is corrupt at offset " +
                            std::to_string(s.a()) + "; falling back to an older one");
        continue;
      }
      STATELAB_RETURN_IF_ERROR(Env::Default()->ReadFile(it->path, &data));
      STATELAB_RETURN_IF_ERROR(snapshot::ParseSnapshot(
          data, it->path, true, &h,
          [&e](std::string_view key, VersionEntry v) { e.LoadEntry(key, std::move(v)); }));
      rep.snapshot_used = fs::path(it->path).filename().string();
      rep.snapshot_version = h.version;
      break;
    }
    if (rep.snapshot_used.empty()) h = snapshot::Header{};
    std::map<RunId, snapshot::RunLife> runs;
    for (const snapshot::RunLife& r : h.runs) runs[r.run] = r;
    Version last = h.version;
    uint64_t cut = 0;
    STATELAB_ASSIGN_OR_RETURN(std::vector<Problem> problems,
                              Walk(
                                  root, h.version, true,
                                  [&](WalRecord& r) {
                                    if (r.rec.version <= h.version)
                                      return;  // already in the snapshot
                                    NoteLifecycle(runs, r.rec.version, r.rec.txn);
                                    e.ApplyRecovered(r.rec.version, r.rec.txn);
                                    last = r.rec.version;
                                    ++rep.records_replayed;
                                  },
                                  &cut));
    for (const Problem& p : problems) {
      rep.notes.push_back(std::string(p.mid_log ? "would refuse to open: corrupt record in "
                                                : "would truncate the torn tail of ") +
                          p.file + " at offset " + std::to_string(p.offset) + " (" + p.what + ")");
      if (!p.mid_log) rep.bytes_truncated += cut;
    }
    rep.recovered_version = last;
    for (const auto& [id, r] : runs) {
      if (r.begin != 0 && r.end == 0) rep.orphaned_runs.push_back(id);
    }
    img.report.Merge(rep);
  }
  e.RestoreVersion(img.report.recovered_version);
  e.SetReadOnly();
  return img;
}

}  // namespace statelab::cli
