#pragma once
// The versions of one key, oldest first. Shared by every engine's storage.
// Thread-safety: none; the owning engine serialises access (lock or single owner thread).

#include <absl/container/inlined_vector.h>

#include <memory>
#include <vector>

#include "engines/api/types.h"
#include "engines/api/value.h"
#include "engines/core/json_doc.h"

namespace statelab {

struct VersionEntry {
  Version version = 0;
  TimestampUs expire_at_us = 0;  // 0 = never expires
  bool tombstone = false;
  Value value;
  // JSON documents written through paths: the paths this commit wrote, so a concurrent transaction
  // that touched other paths of the same document still commits. Null = whole value written.
  std::shared_ptr<const std::vector<json_doc::Path>> json_paths;

  bool Live(TimestampUs& now) const noexcept {
    return !tombstone && (expire_at_us == 0 || ResolveNow(now) < expire_at_us);
  }
};

class VersionChain {
 public:
  // Newest entry with version <= snapshot, or null.
  const VersionEntry* Find(Version snapshot) const noexcept {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->version <= snapshot) return &*it;
    }
    return nullptr;
  }
  const VersionEntry* Newest() const noexcept {
    return entries_.empty() ? nullptr : &entries_.back();
  }
  Version NewestVersion() const noexcept { return entries_.empty() ? 0 : entries_.back().version; }

  // Entries newer than `snapshot`, oldest first (for path-level validation).
  template <class F>
  void ForEachNewerThan(Version snapshot, F&& f) const {
    for (const VersionEntry& e : entries_) {
      if (e.version > snapshot) f(e);
    }
  }

  void Add(VersionEntry e) { entries_.push_back(std::move(e)); }

  // Drops versions no snapshot >= horizon can see: keeps the newest entry <= horizon and all
  // newer ones. Tombstones stay (a deleted key keeps its version; see docs/architecture.md).
  void Prune(Version horizon) {
    size_t keep_from = 0;
    for (size_t i = entries_.size(); i-- > 0;) {
      if (entries_[i].version <= horizon) {
        keep_from = i;
        break;
      }
    }
    if (keep_from > 0) entries_.erase(entries_.begin(), entries_.begin() + keep_from);
  }

  size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  const VersionEntry& at(size_t i) const noexcept { return entries_[i]; }

 private:
  absl::InlinedVector<VersionEntry, 1> entries_;
};

}  // namespace statelab
