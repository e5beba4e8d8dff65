#pragma once
// replay_run and diff_runs (semantics in docs/durability.md, "Replay and diff").
//   - ReplayRun(db, run) builds a read-only view of one run as of the run's end: an in-memory
//     Database<BTreeEngine> holding only that run's keys, so every primitive read works on it
//     unchanged and every write fails with InvalidArgument. In durable modes the view is rebuilt
//     from recorded history (snapshot + WAL up to the run's kRunEnd commit; a run that has not
//     ended: up to the newest commit); in kInMemory there is no history, so it is the run's
//     current committed state. It never changes the store, and the same files give the same view.
//   - DiffRuns(db, a, b) compares the two views per user key: KV, JSON and State keys added (only
//     in b), removed (only in a) or modified (different value); events by sequence (type and
//     payload compared; hashes and timestamps always differ between runs and are ignored).
// Thread-safety: ReplayRun / DiffRuns are thread-safe; a RunView is as thread-safe as a Database.

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/btree/btree_engine.h"
#include "engines/primitives/database.h"

namespace statelab {

class RunView {
 public:
  using Entries = std::vector<std::pair<std::string, VersionEntry>>;  // encoded key, entry
  // A view of `run` holding `entries` (keys of that run), reading at as_of.
  static Result<std::unique_ptr<RunView>> Build(const RunId& run, Version as_of, bool from_history,
                                                const Entries& entries);

  const RunId& run() const noexcept { return run_; }
  // The commit version the view reflects (the run's end in durable modes).
  Version as_of() const noexcept { return as_of_; }
  // True when rebuilt from snapshot + WAL; false in kInMemory (current committed state).
  bool from_history() const noexcept { return from_history_; }
  Database<BTreeEngine>& db() noexcept { return *db_; }

 private:
  RunView() = default;
  RunId run_;
  Version as_of_ = 0;
  bool from_history_ = false;
  std::unique_ptr<Database<BTreeEngine>> db_;
};

template <Engine E>
Result<std::unique_ptr<RunView>> ReplayRun(Database<E>& db, const RunId& run) {
  using P = typename E::Partition;
  RunView::Entries entries;
  if (DurableState* ds = db.engine().durable_state(run)) {
    // Lifecycle markers ride on RunIndex commits, which run in the meta run.
    const Version end = db.engine().durable_state(RunId::Meta())->RunEndVersion(run);
    const Version until = end != 0 ? end : ds->log().last_version();
    Version as_of = 0;
    STATELAB_RETURN_IF_ERROR(ds->ReadRunHistory(
        run, until,
        [&](std::string_view key, const VersionEntry& e) { entries.emplace_back(key, e); },
        &as_of));
    return RunView::Build(run, as_of, true, entries);
  }
  Version as_of = 0;
  STATELAB_RETURN_IF_ERROR(RunRead(db.engine(), run, [&](Txn<P>& t) -> Status {
    as_of = t.snapshot();
    for (Tag tag : kAllTags) {
      STATELAB_RETURN_IF_ERROR(
          t.Scan(tag, "", [&](std::string_view user, const Value& v, Version ver) {
            VersionEntry e;
            e.version = ver;
            e.value = v;
            entries.emplace_back(KeyBuf(run, tag, user).view(), std::move(e));
            return true;
          }));
    }
    return Status::OK();
  }));
  return RunView::Build(run, as_of, false, entries);
}

struct DiffEntry {
  enum class Change : uint8_t { kAdded, kRemoved, kModified };
  Change change = Change::kAdded;
  std::string key;              // user key; events: the sequence in decimal
  std::optional<Value> before;  // in a (removed, modified); events: {"type", "payload"}
  std::optional<Value> after;   // in b (added, modified)
};
std::string_view ChangeName(DiffEntry::Change c) noexcept;  // "added" | "removed" | "modified"

struct RunDiff {
  std::vector<DiffEntry> kv, json, state, events;  // keys ascending; events by sequence
  bool empty() const noexcept {
    return kv.empty() && json.empty() && state.empty() && events.empty();
  }
  // {"kv": [{"key", "change", "before"?, "after"?}], "json": [...], "state": [...],
  //  "events": [{"sequence", "change", "before"?, "after"?}]}; values as ValueToJson.
  boost::json::value ToJson() const;
};

Result<RunDiff> DiffViews(RunView& a, RunView& b);

template <Engine E>
Result<RunDiff> DiffRuns(Database<E>& db, const RunId& a, const RunId& b) {
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<RunView> va, ReplayRun(db, a));
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<RunView> vb, ReplayRun(db, b));
  return DiffViews(*va, *vb);
}

}  // namespace statelab
