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

bool HasFrame(const std::string& path) {
  SegmentImage seg;
  return ReadSegment(Env::Default(), path, &seg).ok() &&
         wal::FindNextFrame(seg.data, seg.header.first_frame) != std::string_view::npos;
}

}  // namespace

Result<std::vector<Problem>> WalkWal(const std::string& root, const RecordFn& fn) {
  std::vector<FileInfo> segs;
  STATELAB_RETURN_IF_ERROR(ListSegments(root, &segs));
  std::vector<Problem> problems;
  Version last = 0;
  SegmentImage seg;
  for (size_t i = 0; i < segs.size(); ++i) {
    STATELAB_RETURN_IF_ERROR(ReadSegment(Env::Default(), segs[i].path, &seg));
    const wal::SegmentHeader& h = seg.header;
    const std::string& data = seg.data;
    const auto later_frames = [&] {
      for (size_t k = i + 1; k < segs.size(); ++k) {
        if (HasFrame(segs[k].path)) return true;
      }
      return false;
    };
    if (h.kind == wal::SegmentKind::kDamagedHeader) {
      problems.push_back({segs[i].path, 0, "damaged segment header", true});
    } else if (seg.truncated()) {
      problems.push_back({segs[i].path, seg.file_bytes,
                          "the file is " + std::to_string(seg.file_bytes) +
                              " bytes, shorter than the " + std::to_string(h.file_bytes) +
                              " it was created with (cut: records after it are lost)",
                          later_frames()});
    }
    WalRecord r;
    uint64_t off = h.first_frame;
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
      const bool follows =
          wal::FindNextFrame(data, off + 1) != std::string_view::npos || later_frames();
      problems.push_back({segs[i].path, off, DescribeBadRecord(data, off, last), follows});
      break;
    }
  }
  return problems;
}

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

Result<Image> LoadImage(const std::vector<std::string>& roots, RecoveryPolicy policy) {
  DbOptions opts;
  opts.mode = DurabilityMode::kInMemory;
  Image img;
  STATELAB_ASSIGN_OR_RETURN(img.engine, BTreeEngine::Open(opts));
  BTreeEngine& e = *img.engine;
  DbOptions recovery;
  recovery.mode = DurabilityMode::kStrict;
  recovery.recovery_policy = policy;
  for (const std::string& root : roots) {
    // The recovery open runs, without changing a file: the same verdict and report.
    DurableState::Hooks hooks;
    hooks.load_entry = [&e](std::string_view key, VersionEntry v) {
      e.LoadEntry(key, std::move(v));
    };
    hooks.apply_commit = [&e](Version v, TxnState& t) { e.ApplyRecovered(v, t); };
    RecoveryReport rep;
    const Status s = DurableState::DryRun(recovery, root, std::move(hooks), &rep);
    if (!s.ok() && s.code() != Code::kCorruption) return s;
    if (!s.ok()) {
      rep.notes.push_back("would refuse to open: " + s.ToString());
      if (img.refusal.ok()) img.refusal = s;
    }
    img.report.Merge(rep);
  }
  e.RestoreVersion(img.report.recovered_version);
  e.SetReadOnly();
  return img;
}

}  // namespace statelab::cli
