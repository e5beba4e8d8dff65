#pragma once
// RunIndex: named runs and their metadata, kept in the reserved meta run (RunId::Meta()).
// create_run, get_run (by name or id), list_runs, update_status, add_tags, remove_tags,
// update_metadata, query_by_status, query_by_tag, child_runs, delete_run.
//
// Layout (Tag::kRun keys of the meta run; the indexes are ordinary keys written in the same
// transaction as the record, so they are exactly as atomic and durable):
//   r/<name>                          the run record (JSON, see EncodeRunRecord)
//   i/<run id>                        name (lookup by id)
//   s/<status>/<name>                 status index
//   t/<u16 length><tag><name>         tag index (length-prefixed, so a tag may hold any bytes)
//   c/<parent run id>/<name>          child index
//   d/<name>                          run id of a delete in progress
//
// Choices where the spec is silent:
//   - update_metadata merges (RFC 7386 merge patch) by default; MetadataUpdate::kReplace replaces.
//   - A run ends (Lifecycle::kRunEnd) when it leaves Active/Paused for Completed, Failed,
//     Cancelled or Archived, or when it is deleted before it ended.
//   - Deleting a parent leaves its children in place; their `parent` keeps the deleted id.
//   - The JSON limits apply to the run record, which holds the tags and nests the metadata one
//     level deep.
//   - delete_run does not fence writers: a write to the run racing with delete_run may survive
//     it (callers stop writing to a run before deleting it).
// Thread-safety: RunIndex is thread-safe.

#include <algorithm>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/api/record_keys.h"
#include "engines/core/json_doc.h"
#include "engines/core/run_transaction.h"
#include "engines/primitives/names.h"

namespace statelab {

enum class RunStatus : uint8_t { kActive, kPaused, kCompleted, kFailed, kCancelled, kArchived };
inline constexpr RunStatus kAllRunStatuses[] = {RunStatus::kActive,    RunStatus::kPaused,
                                                RunStatus::kCompleted, RunStatus::kFailed,
                                                RunStatus::kCancelled, RunStatus::kArchived};
std::string_view RunStatusName(RunStatus s) noexcept;  // "active", "paused", ...
Result<RunStatus> ParseRunStatus(std::string_view name);
// The transition table: Active -> {Completed, Failed, Cancelled, Paused, Archived};
// Paused -> {Active, Cancelled, Archived}; Completed, Failed, Cancelled -> Archived.
bool IsAllowedTransition(RunStatus from, RunStatus to) noexcept;
// Completed, Failed, Cancelled and Archived: the run has ended.
bool IsEnded(RunStatus s) noexcept;

enum class MetadataUpdate : uint8_t { kMerge, kReplace };

struct RunInfo {
  RunId id;
  std::string name;
  std::optional<RunId> parent;
  RunStatus status = RunStatus::kActive;
  std::vector<std::string> tags;  // sorted, unique
  boost::json::object metadata;
  TimestampUs created_at_us = 0;
  TimestampUs updated_at_us = 0;
  Version version = 0;  // of the run record; 0 for this transaction's own uncommitted write
};

namespace internal {
struct RunIndexTestPeer;
inline constexpr std::string_view kRunRecordPrefix = record_keys::kRunPrefix;
inline constexpr std::string_view kRunDeletingPrefix = "d/";
std::string RunRecordKey(std::string_view name);
std::string RunIdKey(const RunId& id);
std::string RunStatusPrefix(RunStatus s);
std::string RunStatusKey(RunStatus s, std::string_view name);
std::string RunTagPrefix(std::string_view tag);
std::string RunTagKey(std::string_view tag, std::string_view name);
std::string RunChildPrefix(const RunId& parent);
std::string RunChildKey(const RunId& parent, std::string_view name);
std::string RunDeletingKey(std::string_view name);

// Each tag 1..256 bytes.
Status CheckRunTags(const std::vector<std::string>& tags);
std::vector<std::string> SortedUnique(std::vector<std::string> tags);
// The record as stored; InvalidArgument naming `metadata` when it breaks the JSON limits.
Result<Value> EncodeRunRecord(const RunInfo& info, bool deleting);
// Corruption when the stored value is not a run record.
Status DecodeRunRecord(const Value& v, RunInfo* info, bool* deleting);
}  // namespace internal

template <Engine E>
class RunIndex {
 public:
  using P = typename E::Partition;
  explicit RunIndex(E& e) noexcept : e_(e) {}

  // A new run named `name` (unique; AlreadyExists if taken), under `parent` if given (NotFound if
  // that run does not exist). Its commit carries the Lifecycle::kRunBegin marker.
  Result<RunId> CreateRun(std::string_view name,
                          std::optional<std::string_view> parent = std::nullopt,
                          const std::vector<std::string>& tags = {},
                          const boost::json::object& metadata = {}, const TxnOptions& o = {}) {
    STATELAB_RETURN_IF_ERROR(CheckName("name", name));
    if (parent) STATELAB_RETURN_IF_ERROR(CheckName("parent", *parent));
    STATELAB_RETURN_IF_ERROR(internal::CheckRunTags(tags));
    const RunId id = RunId::Random();  // outside the function: a retry keeps the id
    Result<Version> v = Meta(o, [&](Txn<P>& t) -> Status {
      Status s = t.Get(Tag::kRun, internal::RunRecordKey(name), nullptr);
      if (s.ok()) {
        return Status::AlreadyExists("name: a run named '" + std::string(name) + "' exists");
      }
      if (!s.IsNotFound()) return s;
      RunInfo info;
      info.id = id;
      info.name = name;
      info.tags = internal::SortedUnique(tags);
      info.metadata = metadata;
      info.created_at_us = info.updated_at_us = t.now();
      if (parent) {
        RunInfo p;
        STATELAB_RETURN_IF_ERROR(LoadVisible(t, *parent, &p));
        info.parent = p.id;
      }
      STATELAB_RETURN_IF_ERROR(Store(t, info, false));
      t.Put(Tag::kRun, internal::RunIdKey(id), Value(std::string(name)));
      PutIndexes(t, info);
      t.state().lifecycle = Lifecycle::kRunBegin;
      t.state().lifecycle_run = id;
      return Status::OK();
    });
    if (!v.ok()) return std::move(v).error();
    return id;
  }

  // NotFound when no such run (or it is being deleted).
  Result<RunInfo> GetRun(std::string_view name) {
    STATELAB_RETURN_IF_ERROR(CheckName("name", name));
    RunInfo info;
    STATELAB_RETURN_IF_ERROR(ReadMeta([&](Txn<P>& t) { return LoadVisible(t, name, &info); }));
    return info;
  }
  Result<RunInfo> GetRunById(const RunId& id) {
    RunInfo info;
    STATELAB_RETURN_IF_ERROR(ReadMeta([&](Txn<P>& t) -> Status {
      Value name;
      STATELAB_RETURN_IF_ERROR(t.Get(Tag::kRun, internal::RunIdKey(id), &name));
      if (!std::holds_alternative<std::string>(name)) {
        return Status::Corruption("meta run: " + internal::RunIdKey(id), 0);
      }
      STATELAB_RETURN_IF_ERROR(LoadVisible(t, std::get<std::string>(name), &info));
      return info.id == id ? Status::OK() : Status::NotFound();
    }));
    return info;
  }
  // Every visible run, by name.
  Status ListRuns(std::vector<RunInfo>* out) {
    out->clear();
    return ReadMeta([&](Txn<P>& t) {
      Status bad;
      STATELAB_RETURN_IF_ERROR(t.Scan(Tag::kRun, internal::kRunRecordPrefix,
                                      [&](std::string_view, const Value& v, Version ver) {
                                        RunInfo info;
                                        bool deleting = false;
                                        bad = internal::DecodeRunRecord(v, &info, &deleting);
                                        if (!bad.ok()) return false;
                                        info.version = ver;
                                        if (!deleting) out->push_back(std::move(info));
                                        return true;
                                      }));
      return bad;
    });
  }

  // Follows the transition table; anything else is InvalidTransition{from, to}. Entering an
  // ended status from Active/Paused carries the Lifecycle::kRunEnd marker.
  Result<Version> UpdateStatus(std::string_view name, RunStatus to, const TxnOptions& o = {}) {
    return Update(name, o, [&](Txn<P>& t, RunInfo& info) -> Status {
      if (!IsAllowedTransition(info.status, to)) {
        return Status::InvalidTransition(RunStatusName(info.status), RunStatusName(to));
      }
      if (!IsEnded(info.status) && IsEnded(to)) MarkEnd(t, info.id);
      t.Delete(Tag::kRun, internal::RunStatusKey(info.status, name));
      t.Put(Tag::kRun, internal::RunStatusKey(to, name), Value(true));
      info.status = to;
      return Status::OK();
    });
  }
  Result<Version> AddTags(std::string_view name, const std::vector<std::string>& tags,
                          const TxnOptions& o = {}) {
    STATELAB_RETURN_IF_ERROR(internal::CheckRunTags(tags));
    return Update(name, o, [&](Txn<P>& t, RunInfo& info) -> Status {
      std::vector<std::string> all = info.tags;
      all.insert(all.end(), tags.begin(), tags.end());
      info.tags = internal::SortedUnique(std::move(all));
      for (const std::string& tag : tags) {
        t.Put(Tag::kRun, internal::RunTagKey(tag, name), Value(true));
      }
      return Status::OK();
    });
  }
  // Tags the run does not have are ignored.
  Result<Version> RemoveTags(std::string_view name, const std::vector<std::string>& tags,
                             const TxnOptions& o = {}) {
    STATELAB_RETURN_IF_ERROR(internal::CheckRunTags(tags));
    return Update(name, o, [&](Txn<P>& t, RunInfo& info) -> Status {
      for (const std::string& tag : tags) {
        auto it = std::find(info.tags.begin(), info.tags.end(), tag);
        if (it == info.tags.end()) continue;
        info.tags.erase(it);
        t.Delete(Tag::kRun, internal::RunTagKey(tag, name));
      }
      return Status::OK();
    });
  }
  // kMerge: RFC 7386 merge patch into the metadata (null members delete); kReplace: replaces it.
  Result<Version> UpdateMetadata(std::string_view name, const boost::json::object& metadata,
                                 MetadataUpdate mode = MetadataUpdate::kMerge,
                                 const TxnOptions& o = {}) {
    return Update(name, o, [&](Txn<P>&, RunInfo& info) -> Status {
      if (mode == MetadataUpdate::kReplace) {
        info.metadata = metadata;
        return Status::OK();
      }
      boost::json::value merged(std::move(info.metadata));
      if (Status s = json_doc::MergePatch(merged, boost::json::value(metadata)); !s.ok()) {
        return Status::InvalidArgument("metadata: " + std::string(s.message()));
      }
      info.metadata = std::move(merged.as_object());  // an object patch keeps an object
      return Status::OK();
    });
  }

  // Runs in the status / with the tag / whose parent is `name`, by name.
  Status QueryByStatus(RunStatus status, std::vector<RunInfo>* out) {
    return ReadMeta(
        [&](Txn<P>& t) { return LoadIndexed(t, internal::RunStatusPrefix(status), out); });
  }
  Status QueryByTag(std::string_view tag, std::vector<RunInfo>* out) {
    STATELAB_RETURN_IF_ERROR(CheckId("tag", tag, kMaxNameBytes));
    return ReadMeta([&](Txn<P>& t) { return LoadIndexed(t, internal::RunTagPrefix(tag), out); });
  }
  // NotFound when `name` itself does not exist.
  Status ChildRuns(std::string_view name, std::vector<RunInfo>* out) {
    STATELAB_RETURN_IF_ERROR(CheckName("name", name));
    return ReadMeta([&](Txn<P>& t) {
      RunInfo parent;
      STATELAB_RETURN_IF_ERROR(LoadVisible(t, name, &parent));
      return LoadIndexed(t, internal::RunChildPrefix(parent.id), out);
    });
  }

  // Removes every key of the run (all tags) and its record and index entries, in three steps,
  // since a transaction never spans runs: (1) in the meta run, mark the run deleting (it vanishes
  // from every read and index at once); (2) one transaction on the run deletes all its keys;
  // (3) in the meta run, delete the record. A crash after (1) is finished by
  // FinishPendingDeletes at open, so a run is never left half deleted. Deleting a run whose
  // delete was interrupted finishes it.
  Status DeleteRun(std::string_view name, const TxnOptions& o = {}) {
    STATELAB_RETURN_IF_ERROR(CheckName("name", name));
    RunId id;
    STATELAB_RETURN_IF_ERROR(MarkDeleting(name, o, &id));
    STATELAB_RETURN_IF_ERROR(WipeRunData(id, o));
    return DropRecord(name, id, o);
  }

  // Completes every delete_run interrupted after step (1). Database::Open calls it.
  Status FinishPendingDeletes() {
    std::vector<std::pair<std::string, std::string>> pending;  // name, run id text
    STATELAB_RETURN_IF_ERROR(ReadMeta([&](Txn<P>& t) {
      return t.Scan(Tag::kRun, internal::kRunDeletingPrefix,
                    [&](std::string_view k, const Value& v, Version) {
                      const auto* id = std::get_if<std::string>(&v);
                      pending.emplace_back(k.substr(internal::kRunDeletingPrefix.size()),
                                           id ? *id : std::string());
                      return true;
                    });
    }));
    for (const auto& [name, id_text] : pending) {
      Result<RunId> id = RunId::Parse(id_text);
      if (!id.ok()) return Status::Corruption("meta run: " + internal::RunDeletingKey(name), 0);
      STATELAB_RETURN_IF_ERROR(WipeRunData(*id, {}));
      STATELAB_RETURN_IF_ERROR(DropRecord(name, *id, {}));
    }
    return Status::OK();
  }

 private:
  template <class F>
  Result<Version> Meta(const TxnOptions& o, F&& f) {
    return RunTransaction(e_, RunId::Meta(), std::forward<F>(f), o);
  }
  template <class F>
  Status ReadMeta(F&& f) {
    return RunRead(e_, RunId::Meta(), std::forward<F>(f));
  }

  // Loads the visible record of `name`, lets f(txn, info) change it, stores it.
  template <class F>
  Result<Version> Update(std::string_view name, const TxnOptions& o, F&& f) {
    STATELAB_RETURN_IF_ERROR(CheckName("name", name));
    return Meta(o, [&](Txn<P>& t) -> Status {
      RunInfo info;
      STATELAB_RETURN_IF_ERROR(LoadVisible(t, name, &info));
      STATELAB_RETURN_IF_ERROR(f(t, info));
      info.updated_at_us = t.now();
      return Store(t, info, false);
    });
  }

  static Status Load(Txn<P>& t, std::string_view name, RunInfo* info, bool* deleting) {
    Value v;
    Version ver = 0;
    STATELAB_RETURN_IF_ERROR(t.Get(Tag::kRun, internal::RunRecordKey(name), &v, &ver));
    STATELAB_RETURN_IF_ERROR(internal::DecodeRunRecord(v, info, deleting));
    info->version = ver;
    return Status::OK();
  }
  static Status LoadVisible(Txn<P>& t, std::string_view name, RunInfo* info) {
    bool deleting = false;
    STATELAB_RETURN_IF_ERROR(Load(t, name, info, &deleting));
    return deleting ? Status::NotFound() : Status::OK();
  }
  static Status Store(Txn<P>& t, const RunInfo& info, bool deleting) {
    STATELAB_ASSIGN_OR_RETURN(Value record, internal::EncodeRunRecord(info, deleting));
    t.Put(Tag::kRun, internal::RunRecordKey(info.name), std::move(record));
    return Status::OK();
  }
  // The runs named by the index keys under `prefix` (the name is the rest of the key).
  static Status LoadIndexed(Txn<P>& t, const std::string& prefix, std::vector<RunInfo>* out) {
    out->clear();
    std::vector<std::string> names;
    STATELAB_RETURN_IF_ERROR(
        t.Scan(Tag::kRun, prefix, [&](std::string_view k, const Value&, Version) {
          names.emplace_back(k.substr(prefix.size()));
          return true;
        }));
    for (const std::string& name : names) {
      RunInfo info;
      STATELAB_RETURN_IF_ERROR(LoadVisible(t, name, &info));
      out->push_back(std::move(info));
    }
    return Status::OK();
  }
  static void PutIndexes(Txn<P>& t, const RunInfo& info) {
    t.Put(Tag::kRun, internal::RunStatusKey(info.status, info.name), Value(true));
    for (const std::string& tag : info.tags) {
      t.Put(Tag::kRun, internal::RunTagKey(tag, info.name), Value(true));
    }
    if (info.parent) t.Put(Tag::kRun, internal::RunChildKey(*info.parent, info.name), Value(true));
  }
  // The entries PutIndexes wrote, and the child entries naming this run as parent.
  static Status RemoveIndexes(Txn<P>& t, const RunInfo& info) {
    t.Delete(Tag::kRun, internal::RunStatusKey(info.status, info.name));
    for (const std::string& tag : info.tags)
      t.Delete(Tag::kRun, internal::RunTagKey(tag, info.name));
    if (info.parent) t.Delete(Tag::kRun, internal::RunChildKey(*info.parent, info.name));
    std::vector<std::string> children;
    STATELAB_RETURN_IF_ERROR(t.Scan(Tag::kRun, internal::RunChildPrefix(info.id),
                                    [&](std::string_view k, const Value&, Version) {
                                      children.emplace_back(k);
                                      return true;
                                    }));
    for (const std::string& k : children) t.Delete(Tag::kRun, k);
    return Status::OK();
  }
  static void MarkEnd(Txn<P>& t, const RunId& id) {
    t.state().lifecycle = Lifecycle::kRunEnd;
    t.state().lifecycle_run = id;
  }

  // The three steps of DeleteRun; each is idempotent.
  // (1) Marks the run deleting and drops its index entries; an interrupted delete is kept.
  Status MarkDeleting(std::string_view name, const TxnOptions& o, RunId* id) {
    return Meta(o,
                [&](Txn<P>& t) -> Status {
                  RunInfo info;
                  bool deleting = false;
                  STATELAB_RETURN_IF_ERROR(Load(t, name, &info, &deleting));
                  *id = info.id;
                  if (deleting) return Status::OK();
                  if (!IsEnded(info.status)) MarkEnd(t, info.id);
                  STATELAB_RETURN_IF_ERROR(RemoveIndexes(t, info));
                  t.Put(Tag::kRun, internal::RunDeletingKey(name), Value(info.id.ToString()));
                  return Store(t, info, true);
                })
        .status();
  }
  // (2) Deletes every key of the run, all tags, in one transaction.
  Status WipeRunData(const RunId& id, const TxnOptions& o) {
    return RunTransaction(
               e_, id,
               [&](Txn<P>& t) -> Status {
                 std::vector<std::string> keys;
                 for (Tag tag : kAllTags) {
                   keys.clear();
                   STATELAB_RETURN_IF_ERROR(
                       t.Scan(tag, "", [&](std::string_view k, const Value&, Version) {
                         keys.emplace_back(k);
                         return true;
                       }));
                   for (const std::string& k : keys) t.Delete(tag, k);
                 }
                 return Status::OK();
               },
               o)
        .status();
  }
  // (3) Deletes the record, the id entry and the marker.
  Status DropRecord(std::string_view name, const RunId& id, const TxnOptions& o) {
    return Meta(o,
                [&](Txn<P>& t) -> Status {
                  Value marker;
                  Status s = t.Get(Tag::kRun, internal::RunDeletingKey(name), &marker);
                  if (s.IsNotFound()) return Status::OK();  // finished by another caller
                  if (!s.ok()) return s;
                  const auto* text = std::get_if<std::string>(&marker);
                  if (text == nullptr || *text != id.ToString()) return Status::OK();
                  t.Delete(Tag::kRun, internal::RunRecordKey(name));
                  t.Delete(Tag::kRun, internal::RunIdKey(id));
                  t.Delete(Tag::kRun, internal::RunDeletingKey(name));
                  return Status::OK();
                })
        .status();
  }

  friend struct internal::RunIndexTestPeer;  // tests stop a delete between its steps
  E& e_;
};

}  // namespace statelab
