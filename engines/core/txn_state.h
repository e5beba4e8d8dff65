#pragma once
// The read set and write set of one transaction, and the shared commit steps every engine runs:
// validate (first committer wins), materialize (rebase JSON path writes), apply (install versions).
// Thread-safety: a TxnState belongs to one transaction on one thread; the commit steps must run
// under the owning partition's commit exclusion.

#include <algorithm>
#include <iterator>
#include <memory>
#include <string_view>
#include <vector>

#include "engines/api/key.h"
#include "engines/api/value.h"
#include "engines/core/json_doc.h"
#include "engines/core/search_index.h"
#include "engines/core/version_chain.h"

namespace statelab {

struct JsonPathOp {
  enum class Kind : uint8_t { kSet, kDelete, kMerge };
  Kind kind;
  json_doc::Path path;
  boost::json::value value;  // kSet: the new value; kMerge: the merge patch
};

enum class WriteKind : uint8_t {
  kPut,        // whole value
  kDelete,     // versioned tombstone
  kJsonPaths,  // JSON document changed through paths; rebased on the newest document at commit
};

struct WriteEntry {
  Key key;
  WriteKind kind = WriteKind::kPut;
  Value value;  // kPut: the value; kJsonPaths: this transaction's view of the document
  TimestampUs expire_at_us = 0;
  std::vector<JsonPathOp> json_ops;        // kJsonPaths only
  std::vector<json_doc::Path> json_paths;  // kJsonPaths only: conflict paths written
};

struct ReadEntry {
  Key key;
  Version seen = 0;                   // version observed (0 = never existed)
  std::vector<json_doc::Path> paths;  // empty: the whole key was read; else only these paths
};

// Run lifecycle markers carried by the commit that creates or ends a run (RunIndex sets them).
// The marker travels inside that commit's WAL record, so marker and transaction are durable
// together or not at all, and recovery can report runs begun and never ended
// (docs/wal_format.md, engines/durability/wal_format.h).
enum class Lifecycle : uint8_t { kNone = 0, kRunBegin = 1, kRunEnd = 2 };

struct TxnState {
  RunId run;
  Lifecycle lifecycle = Lifecycle::kNone;
  RunId lifecycle_run;  // the run begun or ended (the commit itself runs in the meta run)
  Version snapshot = 0;
  TimestampUs now_us = 0;  // one clock reading per attempt, at first use (kNowUnread before)
  bool record_reads = true;
  bool search_index = true;  // the committing partition sets it from DbOptions::search_index
  std::vector<ReadEntry> reads;
  std::vector<WriteEntry> writes;

  void Reset(const RunId& r, Version snap, TimestampUs now) {
    run = r;
    lifecycle = Lifecycle::kNone;
    snapshot = snap;
    now_us = now;
    reads.clear();
    writes.clear();
  }
  bool ReadOnly() const noexcept { return writes.empty(); }
  WriteEntry* FindWrite(std::string_view key) noexcept {
    for (WriteEntry& w : writes) {
      if (w.key.view() == key) return &w;
    }
    return nullptr;
  }
  WriteEntry& UpsertWrite(std::string_view key) {
    if (WriteEntry* w = FindWrite(key)) return *w;
    WriteEntry& w = writes.emplace_back();
    w.key.AssignEncoded(key);
    return w;
  }
  void RecordRead(std::string_view key, Version seen) {
    if (!record_reads) return;
    ReadEntry& r = reads.emplace_back();
    r.key.AssignEncoded(key);
    r.seen = seen;
  }
  void RecordPathRead(std::string_view key, Version seen, const json_doc::Path& path) {
    if (!record_reads) return;
    for (ReadEntry& r : reads) {
      if (r.key.view() == key && !r.paths.empty()) {
        r.paths.push_back(path);
        return;
      }
    }
    ReadEntry& r = reads.emplace_back();
    r.key.AssignEncoded(key);
    r.seen = seen;
    r.paths.push_back(path);
  }
};

// First committer wins: every key read must still be at the version seen; a path-level read
// conflicts only with newer commits that wrote an overlapping path (or the whole value).
// FindFn: const VersionChain* (std::string_view encoded_key).
template <class FindFn>
Status ValidateReads(const TxnState& t, FindFn&& find) {
  for (const ReadEntry& r : t.reads) {
    const VersionChain* c = find(r.key.view());
    if (r.paths.empty()) {
      if ((c ? c->NewestVersion() : 0) != r.seen) return Status::Conflict();
      continue;
    }
    if (c == nullptr) continue;
    bool conflict = false;
    c->ForEachNewerThan(t.snapshot, [&](const VersionEntry& e) {
      if (conflict) return;
      if (!e.json_paths) {
        conflict = true;
        return;
      }
      for (const json_doc::Path& mine : r.paths) {
        for (const json_doc::Path& theirs : *e.json_paths) {
          if (json_doc::Path::Overlaps(mine, theirs)) conflict = true;
        }
      }
    });
    if (conflict) return Status::Conflict();
  }
  return Status::OK();
}

// Appends the Tag::kSearch writes that move the search index of every written document from its
// newest committed value to the written one (engines/core/search_index.h). Under the commit
// exclusion "newest committed" is exact, so concurrent blind writes cannot leave stale postings.
// A kSearch key the transaction writes itself (delete_run wipes them) is not derived again.
template <class FindFn>
void IndexSearchWrites(TxnState& t, FindFn&& find) {
  thread_local std::vector<WriteEntry> derived;
  thread_local std::vector<std::string_view> explicit_keys;
  derived.clear();
  explicit_keys.clear();
  for (const WriteEntry& w : t.writes) {
    if (w.key.tag() == Tag::kSearch) explicit_keys.push_back(w.key.view());
  }
  std::sort(explicit_keys.begin(), explicit_keys.end());
  for (const WriteEntry& w : t.writes) {
    const Tag tag = w.key.tag();
    if (tag == Tag::kSearch || !search::IsDocument(tag, w.key.user_key())) continue;
    const VersionChain* c = find(w.key.view());
    const VersionEntry* newest = c ? c->Newest() : nullptr;
    search::DocState before, after;
    if (newest != nullptr && !newest->tombstone) before = {&newest->value, newest->expire_at_us};
    if (w.kind != WriteKind::kDelete) after = {&w.value, w.expire_at_us};
    search::DiffDocument(
        tag, w.key.user_key(), before, after,
        [&](std::string_view key, const Value* v, TimestampUs expire_at_us) {
          WriteEntry& d = derived.emplace_back();
          d.key.Assign(t.run, Tag::kSearch, key);
          if (!explicit_keys.empty() &&
              std::binary_search(explicit_keys.begin(), explicit_keys.end(), d.key.view())) {
            derived.pop_back();
            return;
          }
          d.kind = v ? WriteKind::kPut : WriteKind::kDelete;
          if (v) d.value = *v;
          d.expire_at_us = expire_at_us;
        });
  }
  t.writes.insert(t.writes.end(), std::make_move_iterator(derived.begin()),
                  std::make_move_iterator(derived.end()));
  derived.clear();
}

// Rebases JSON path writes on documents that others changed (at other paths) since the snapshot,
// then derives the search index writes (when t.search_index). Runs before anything is logged or
// applied, so a failure leaves no trace.
template <class FindFn>
Status MaterializeWrites(TxnState& t, FindFn&& find) {
  for (WriteEntry& w : t.writes) {
    if (w.kind != WriteKind::kJsonPaths) continue;
    const VersionChain* c = find(w.key.view());
    const VersionEntry* newest = c ? c->Newest() : nullptr;
    if (newest == nullptr || newest->version <= t.snapshot) continue;  // our view is current
    if (!newest->Live(t.now_us) || !std::holds_alternative<boost::json::value>(newest->value)) {
      return Status::Conflict();  // the document was destroyed or replaced meanwhile
    }
    boost::json::value doc = std::get<boost::json::value>(newest->value);
    for (const JsonPathOp& op : w.json_ops) {
      Status s;
      switch (op.kind) {
        case JsonPathOp::Kind::kSet:
          s = json_doc::Set(doc, op.path, op.value).status();
          break;
        case JsonPathOp::Kind::kDelete:
          s = json_doc::DeleteAt(doc, op.path).status();
          break;
        case JsonPathOp::Kind::kMerge:
          s = json_doc::Merge(doc, op.path, op.value).status();
          break;
      }
      if (!s.ok()) return Status::Conflict();
    }
    STATELAB_RETURN_IF_ERROR(json_doc::CheckLimits(doc));
    w.value = std::move(doc);
  }
  if (t.search_index) IndexSearchWrites(t, find);
  return Status::OK();
}

// Installs every write at version v and prunes the touched chains to `horizon`.
// UpsertFn: VersionChain& (const Key&).
template <class UpsertFn>
void ApplyWrites(TxnState& t, Version v, Version horizon, UpsertFn&& upsert) {
  for (WriteEntry& w : t.writes) {
    VersionChain& c = upsert(w.key);
    VersionEntry e;
    e.version = v;
    e.expire_at_us = w.expire_at_us;
    e.tombstone = w.kind == WriteKind::kDelete;
    if (!e.tombstone) e.value = std::move(w.value);
    if (w.kind == WriteKind::kJsonPaths) {
      e.json_paths = std::make_shared<const std::vector<json_doc::Path>>(std::move(w.json_paths));
    }
    c.Add(std::move(e));
    c.Prune(horizon);
  }
}

}  // namespace statelab
