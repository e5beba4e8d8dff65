#include "tools/offline.h"

#include <boost/json/serialize.hpp>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "engines/api/key.h"
#include "engines/primitives/database.h"
#include "engines/registry/any_engine.h"
#include "engines/replay/replay.h"
#include "tools/data_dir.h"
#include "tools/protocol.h"
#include "tools/render.h"

namespace statelab::cli {

namespace bj = boost::json;

namespace {

using ImageDb = Database<BTreeEngine>;

void Emit(const LineFn& out, const bj::object& o) { out(bj::serialize(o)); }
// Prints `o` with "kind" as its first member.
void EmitKind(const LineFn& out, std::string_view kind, bj::object o) {
  bj::object line{{"kind", kind}};
  for (auto& member : o) line[member.key()] = std::move(member.value());
  Emit(out, line);
}

std::string_view LifecycleName(Lifecycle l) {
  switch (l) {
    case Lifecycle::kNone:
      return "none";
    case Lifecycle::kRunBegin:
      return "run_begin";
    case Lifecycle::kRunEnd:
      return "run_end";
  }
  return "unknown";
}

// A user key as text when it is printable ASCII, else as {"$bytes": base64}.
bj::value KeyToJson(std::string_view user_key) {
  for (char c : user_key) {
    if (c < 0x20 || c > 0x7e) return ValueToProtocol(Value(Bytes{std::string(user_key)}));
  }
  return bj::string(user_key);
}

bj::object ProblemToJson(std::string_view check, const Problem& p) {
  return {{"kind", "problem"},  {"check", check}, {"file", p.file},
          {"offset", p.offset}, {"what", p.what}, {"mid_log", p.mid_log}};
}

bj::object RecordToJson(const WalRecord& r) {
  bj::object o{{"kind", "record"},
               {"file", r.file},
               {"offset", r.offset},
               {"size", r.size},
               {"version", r.rec.version},
               {"run", r.rec.txn.run.ToString()},
               {"timestamp_us", r.rec.timestamp_us},
               {"lifecycle", LifecycleName(r.rec.txn.lifecycle)}};
  if (r.rec.txn.lifecycle != Lifecycle::kNone) {
    o["lifecycle_run"] = r.rec.txn.lifecycle_run.ToString();
  }
  bj::array& writes = o["writes"].emplace_array();
  for (const WriteEntry& w : r.rec.txn.writes) {
    bj::object one{{"tag", TagName(w.key.tag())}, {"key", KeyToJson(w.key.user_key())}};
    if (w.key.run() != r.rec.txn.run) one["run"] = w.key.run().ToString();
    if (w.kind == WriteKind::kDelete) {
      one["op"] = "delete";
    } else {
      one["op"] = "put";
      if (w.expire_at_us != 0) one["expire_at_us"] = w.expire_at_us;
      one["value"] = ValueToProtocol(w.value);
    }
    writes.emplace_back(std::move(one));
  }
  return o;
}

// Live keys per primitive of one run, through the primitives where a raw count would include
// index entries (events, traces).
Result<bj::object> CountsOf(ImageDb& db, const RunId& run) {
  bj::object counts;
  STATELAB_RETURN_IF_ERROR(db.Read(run, [&](ImageDb::Handle& h) -> Status {
    auto raw = [&](Tag tag) -> Result<uint64_t> {
      uint64_t n = 0;
      STATELAB_RETURN_IF_ERROR(h.raw().Scan(tag, "", [&](std::string_view, const Value&, Version) {
        ++n;
        return true;
      }));
      return n;
    };
    STATELAB_ASSIGN_OR_RETURN(counts["kv"], raw(Tag::kKv));
    STATELAB_ASSIGN_OR_RETURN(counts["events"], h.events().Len());
    STATELAB_ASSIGN_OR_RETURN(counts["state"], raw(Tag::kState));
    STATELAB_ASSIGN_OR_RETURN(counts["traces"], h.traces().Count());
    STATELAB_ASSIGN_OR_RETURN(counts["json"], raw(Tag::kJson));
    STATELAB_ASSIGN_OR_RETURN(counts["vectors"], raw(Tag::kVector));
    STATELAB_ASSIGN_OR_RETURN(counts["vector_collections"], raw(Tag::kVectorConfig));
    return Status::OK();
  }));
  return counts;
}

// Every run that holds a live key, the meta run excluded, in id order.
std::vector<RunId> RunsWithData(BTreeEngine& e) {
  std::set<RunId> ids;
  const Version snap = e.AcquireSnapshot();
  TimestampUs now = kNowUnread;
  (void)e.Scan(snap, "", now, [&](std::string_view key, const Value&, Version) {
    RunId id;
    std::memcpy(id.bytes.data(), key.data(), id.bytes.size());
    if (!id.IsMeta()) ids.insert(id);
    return true;
  });
  e.ReleaseSnapshot();
  return {ids.begin(), ids.end()};
}

// The image of `dir` behind a Database, with the runs RunIndex names (id -> name).
struct OpenImage {
  std::vector<std::string> roots;
  RecoveryReport report;
  Status refusal;  // what open would return; OK: it opens
  std::unique_ptr<ImageDb> db;
  std::map<RunId, RunInfo> named;
};

Result<OpenImage> Open(const std::string& dir, RecoveryPolicy policy) {
  OpenImage o;
  STATELAB_ASSIGN_OR_RETURN(o.roots, FindRoots(dir));
  STATELAB_ASSIGN_OR_RETURN(Image img, LoadImage(o.roots, policy));
  o.report = std::move(img.report);
  o.refusal = std::move(img.refusal);
  o.db = std::make_unique<ImageDb>(std::move(img.engine));
  std::vector<RunInfo> runs;
  STATELAB_RETURN_IF_ERROR(o.db->runs().ListRuns(&runs));
  for (RunInfo& r : runs) o.named.emplace(r.id, std::move(r));
  return o;
}

// Opens `dir` through recovery with the engine its layout names. Nothing is snapshotted, so the
// files change only as any open changes them (a torn tail cut, an interrupted run delete
// finished, an empty segment for the next commit).
Result<std::unique_ptr<Database<AnyEngine>>> OpenThroughRecovery(const std::string& dir) {
  STATELAB_ASSIGN_OR_RETURN(const std::vector<std::string> roots, FindRoots(dir));
  DbOptions opts;
  opts.engine = EngineForLayout(roots, dir);
  opts.dir = dir;
  opts.mode = DurabilityMode::kStrict;
  opts.snapshot_wal_bytes = 0;
  opts.snapshot_interval_s = 0;
  opts.snapshot_on_close = false;
  return Database<AnyEngine>::Open(opts);
}

// The run named `name`; a miss says which name.
Result<RunInfo> GetRun(Database<AnyEngine>& db, const std::string& name) {
  Result<RunInfo> info = db.runs().GetRun(name);
  if (!info.ok() && info.error().IsNotFound()) {
    return Status::InvalidArgument("run: no run named '" + name + "'");
  }
  return info;
}

// Prints each element of o[section] as its own line, with kind `kind`.
void EmitEach(const LineFn& out, std::string_view kind, bj::object& o, std::string_view section) {
  for (bj::value& v : o[section].as_array()) EmitKind(out, kind, std::move(v.as_object()));
}

// What recovery does about WAL problem p (DurableState::DryRun's verdict): "refuses_open",
// "cut" (a torn tail, or truncate-tail), "skipped" (skip-corrupt), "covered" (the records there
// are in the snapshot used), "not_read" (in a segment before the one recovery starts from) or
// "not_reached" (recovery refused before it).
std::string_view WalVerdict(const OpenImage& img, const Problem& p) {
  // A damaged record's refusal is Corruption(file, offset); a cut segment's names it first.
  if (!img.refusal.ok() && img.refusal.message().starts_with(p.file) &&
      img.refusal.a() == p.offset) {
    return "refuses_open";
  }
  for (const RecoveryLoss& l : img.report.losses) {
    if (l.file == p.file && l.offset == p.offset) {
      if (l.what == "covered") return "covered";
      return l.what == "corrupt_record" || l.what == "truncated_segment" ? "skipped" : "cut";
    }
  }
  return img.refusal.ok() ? "not_read" : "not_reached";
}

// What recovery does about snapshot `file`, corrupt at `offset`: "refuses_open", "skipped"
// (skip-corrupt opened without the versions it alone held) or "bypassed" (an older snapshot plus
// the log cover it, or it is older than the one used).
std::string_view SnapshotVerdict(const OpenImage& img, const std::string& file, uint64_t offset) {
  if (!img.refusal.ok() && img.refusal.message().find(file) != std::string_view::npos &&
      img.refusal.a() == offset) {
    return "refuses_open";
  }
  for (const RecoveryLoss& l : img.report.losses) {
    if (l.what == "snapshot" && l.file == file) return "skipped";
  }
  return "bypassed";
}

std::string RootLabel(const std::string& root, const std::string& dir) {
  return root == dir ? "." : std::filesystem::path(root).filename().string();
}

}  // namespace

Status Inspect(const std::string& dir, const LineFn& out, RecoveryPolicy policy) {
  STATELAB_ASSIGN_OR_RETURN(OpenImage img, Open(dir, policy));
  Emit(out,
       {{"kind", "directory"},
        {"dir", dir},
        {"layout", EngineForLayout(img.roots, dir) == "btree" ? "single root (btree, sharded)"
                                                              : "worker roots (shared_nothing)"},
        {"roots", img.roots.size()}});
  uint64_t wal_bytes = 0, segments = 0, snapshots = 0;
  for (const std::string& root : img.roots) {
    const std::string label = RootLabel(root, dir);
    // Records per segment, from one walk of the root.
    std::map<std::string, std::pair<uint64_t, std::pair<Version, Version>>, std::less<>> per_file;
    std::vector<FileInfo> segs;
    STATELAB_RETURN_IF_ERROR(ListSegments(root, &segs));
    STATELAB_ASSIGN_OR_RETURN(std::vector<Problem> problems, WalkWal(root, [&](WalRecord& r) {
                                auto& [n, range] = per_file[std::string(r.file)];
                                if (n++ == 0) range.first = r.rec.version;
                                range.second = r.rec.version;
                              }));
    for (const FileInfo& f : segs) {
      const auto& [n, range] = per_file[f.path];
      bj::object o{{"kind", "wal_segment"},
                   {"root", label},
                   {"file", f.path},
                   {"bytes", f.bytes},
                   {"records", n}};
      if (n > 0) {
        o["first_version"] = range.first;
        o["last_version"] = range.second;
      }
      Emit(out, o);
      wal_bytes += f.bytes;
      ++segments;
    }
    for (const Problem& p : problems) {
      bj::object o = ProblemToJson("wal", p);
      o["recovery"] = WalVerdict(img, p);  // as verify says: open's verdict
      Emit(out, o);
    }
    std::vector<FileInfo> snaps;
    std::vector<std::string> leftovers;
    STATELAB_RETURN_IF_ERROR(ListSnapshots(root, &snaps, &leftovers));
    for (const FileInfo& f : snaps) {
      snapshot::Header h;
      uint64_t entries = 0;
      const Status s = CheckSnapshot(f, &h, &entries);
      bj::object o{{"kind", "snapshot"}, {"root", label},        {"file", f.path},
                   {"bytes", f.bytes},   {"version", f.version}, {"valid", s.ok()}};
      if (s.ok()) {
        o["timestamp_us"] = h.timestamp_us;
        o["entries"] = entries;
      } else {
        o["corrupt_at_offset"] = s.a();
        o["recovery"] = SnapshotVerdict(img, f.path, s.a());
      }
      Emit(out, o);
      ++snapshots;
    }
    for (const std::string& l : leftovers) {
      Emit(out, {{"kind", "incomplete_snapshot"}, {"root", label}, {"file", l}});
    }
  }
  bj::object recovery = RecoveryReportToJson(img.report);
  recovery["dry_run"] = true;  // what the next open would do; nothing was changed
  recovery["opens"] = img.refusal.ok();
  if (!img.refusal.ok()) recovery["error"] = img.refusal.ToString();
  EmitKind(out, "recovery", std::move(recovery));

  for (const RunId& id : RunsWithData(img.db->engine())) {
    if (img.named.contains(id)) continue;
    STATELAB_ASSIGN_OR_RETURN(bj::object counts, CountsOf(*img.db, id));
    Emit(out, {{"kind", "unnamed_run"}, {"run_id", id.ToString()}, {"counts", std::move(counts)}});
  }
  for (const auto& [id, info] : img.named) {
    bj::object o = RunInfoToJson(info);
    STATELAB_ASSIGN_OR_RETURN(o["counts"], CountsOf(*img.db, id));
    EmitKind(out, "run", std::move(o));
  }
  Emit(out, {{"kind", "summary"},
             {"runs", img.named.size()},
             {"wal_segments", segments},
             {"wal_bytes", wal_bytes},
             {"snapshots", snapshots},
             {"version", img.report.recovered_version}});
  return Status::OK();
}

Result<bool> Verify(const std::string& dir, const LineFn& out, RecoveryPolicy policy) {
  STATELAB_ASSIGN_OR_RETURN(OpenImage img, Open(dir, policy));
  bool refusal_named = img.refusal.ok();
  uint64_t problems = 0;
  std::optional<bj::object> first;
  auto problem = [&](const bj::object& p) {
    ++problems;
    if (!first) first = p;
    Emit(out, p);
  };
  for (const std::string& root : img.roots) {
    std::map<std::string, uint64_t, std::less<>> records;
    std::vector<FileInfo> segs;
    STATELAB_RETURN_IF_ERROR(ListSegments(root, &segs));
    STATELAB_ASSIGN_OR_RETURN(std::vector<Problem> bad,
                              WalkWal(root, [&](WalRecord& r) { ++records[std::string(r.file)]; }));
    for (const FileInfo& f : segs) {
      bool ok = true;
      for (const Problem& p : bad) ok = ok && p.file != f.path;
      Emit(out,
           {{"kind", "wal_segment"}, {"file", f.path}, {"records", records[f.path]}, {"ok", ok}});
    }
    for (const Problem& p : bad) {
      bj::object o = ProblemToJson("wal", p);
      const std::string_view verdict = WalVerdict(img, p);
      refusal_named = refusal_named || verdict == "refuses_open";
      o["recovery"] = verdict;
      problem(o);
    }

    std::vector<FileInfo> snaps;
    std::vector<std::string> leftovers;
    STATELAB_RETURN_IF_ERROR(ListSnapshots(root, &snaps, &leftovers));
    for (const FileInfo& f : snaps) {
      snapshot::Header h;
      const Status s = CheckSnapshot(f, &h, nullptr);
      Emit(out, {{"kind", "snapshot"}, {"file", f.path}, {"ok", s.ok()}});
      if (s.ok()) continue;
      if (s.code() != Code::kCorruption) return s;  // unreadable, not corrupt
      const bool crc = f.bytes >= 4 && s.a() == f.bytes - 4;
      const std::string_view verdict = SnapshotVerdict(img, f.path, s.a());
      refusal_named = refusal_named || verdict == "refuses_open";
      problem({{"kind", "problem"},
               {"check", "snapshot"},
               {"file", f.path},
               {"offset", s.a()},
               {"what", crc ? "CRC mismatch (the damaged byte parses: it is inside a value)"
                            : "the entry or field at this offset does not validate"},
               {"recovery", verdict}});
    }
  }
  // A refusal no file problem above explains (a gap between segments: whole records missing).
  if (!refusal_named) {
    problem({{"kind", "problem"},
             {"check", "recovery"},
             {"what", img.refusal.message()},
             {"offset", img.refusal.a()},
             {"recovery", "refuses_open"}});
  }
  // Event chains, on the state recovery would rebuild.
  for (const RunId& id : RunsWithData(img.db->engine())) {
    STATELAB_ASSIGN_OR_RETURN(ChainReport chain, img.db->events().VerifyChain(id));
    if (chain.length == 0 && chain.valid()) continue;
    auto named = img.named.find(id);
    const bj::value run =
        named != img.named.end() ? bj::value(named->second.name) : bj::value(nullptr);
    Emit(out, {{"kind", "event_chain"},
               {"run", run},
               {"run_id", id.ToString()},
               {"length", chain.length},
               {"ok", chain.valid()}});
    if (!chain.valid()) {
      problem({{"kind", "problem"},
               {"check", "event_chain"},
               {"run", run},
               {"run_id", id.ToString()},
               {"sequence", *chain.first_bad},
               {"what", chain.reason}});
    }
  }
  bj::object summary{{"kind", "summary"},
                     {"clean", problems == 0},
                     {"problems", problems},
                     {"opens", img.refusal.ok()},
                     {"policy", img.report.policy}};
  if (first) summary["first_problem"] = std::move(*first);
  Emit(out, summary);
  return problems == 0;
}

Status Replay(const std::string& dir, const std::string& run, const LineFn& out) {
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<Database<AnyEngine>> db, OpenThroughRecovery(dir));
  STATELAB_ASSIGN_OR_RETURN(const RunInfo info, GetRun(*db, run));
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<RunView> view, ReplayRun(*db, info.id));
  STATELAB_ASSIGN_OR_RETURN(bj::object o, RunViewToJson(*view));
  Emit(out, {{"kind", "replay"},
             {"run", run},
             {"run_id", o["run_id"]},
             {"as_of", o["as_of"]},
             {"from_history", o["from_history"]}});
  for (std::string_view section : {"kv", "state", "json"}) EmitEach(out, section, o, section);
  EmitEach(out, "event", o, "events");
  EmitEach(out, "trace", o, "traces");
  return db->Close();
}

Status Diff(const std::string& dir, const std::string& a, const std::string& b, const LineFn& out) {
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<Database<AnyEngine>> db, OpenThroughRecovery(dir));
  STATELAB_ASSIGN_OR_RETURN(const RunInfo ia, GetRun(*db, a));
  STATELAB_ASSIGN_OR_RETURN(const RunInfo ib, GetRun(*db, b));
  STATELAB_ASSIGN_OR_RETURN(const RunDiff d, DiffRuns(*db, ia.id, ib.id));
  Emit(out, {{"kind", "diff"}, {"run_a", a}, {"run_b", b}, {"identical", d.empty()}});
  bj::object o = d.ToJson().as_object();
  for (std::string_view section : {"kv", "json", "state", "events"}) {
    for (bj::value& v : o[section].as_array()) {
      bj::object line{{"primitive", section == "events" ? "event" : section}};
      for (auto& member : v.as_object()) line[member.key()] = std::move(member.value());
      EmitKind(out, "change", std::move(line));
    }
  }
  return db->Close();
}

Status WalDump(const std::string& dir, Version from, const LineFn& out) {
  STATELAB_ASSIGN_OR_RETURN(std::vector<std::string> roots, FindRoots(dir));
  std::optional<Problem> first;
  for (const std::string& root : roots) {
    STATELAB_ASSIGN_OR_RETURN(std::vector<Problem> bad, WalkWal(root, [&](WalRecord& r) {
                                if (r.rec.version >= from) Emit(out, RecordToJson(r));
                              }));
    for (const Problem& p : bad) {
      Emit(out, ProblemToJson("wal", p));
      if (!first) first = p;
    }
  }
  if (first) return Status::Corruption(first->file, first->offset);
  return Status::OK();
}

}  // namespace statelab::cli
