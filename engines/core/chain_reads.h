#pragma once
// Reads over stored version chains, shared by the engines' partitions: the point read a snapshot
// sees, the ordered scan of live entries under a prefix, and one chunk of a consistent dump
// (snapshots copy a chunk under the partition's exclusion and write it outside).
// Thread-safety: none; callers hold their partition's read exclusion (lock or owner thread).

#include <string>
#include <string_view>
#include <vector>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/api/status.h"
#include "engines/core/version_chain.h"

namespace statelab {

// The Partition::View contract for the chain of a key (null: never stored) at `snap`.
template <class F>
Status ViewVisible(const VersionChain* c, Version snap, TimestampUs& now, F& fn,
                   Version* ver) noexcept {
  const VersionEntry* e = c == nullptr ? nullptr : c->Find(snap);
  if (e == nullptr) {
    if (ver) *ver = 0;
    return Status::NotFound();
  }
  if (ver) *ver = e->version;
  if (!e->Live(now)) return Status::NotFound();
  fn(e->value, e->expire_at_us);
  return Status::OK();
}

// ViewVisible copying the value into *out (null: only the status and version).
inline Status ReadVisible(const VersionChain* c, Version snap, TimestampUs& now, Value* out,
                          Version* ver) noexcept {
  CopyInto copy{out};
  return ViewVisible(c, snap, now, copy, ver);
}

namespace internal {
inline std::string_view KeyOf(const Key& k) noexcept { return k.view(); }
inline std::string_view KeyOf(std::string_view k) noexcept { return k; }
inline const VersionChain& ChainOf(const VersionChain& c) noexcept { return c; }
inline const VersionChain& ChainOf(const VersionChain* c) noexcept { return *c; }
}  // namespace internal

// Calls fn(key, value, version) -> keep going for the live entries under `prefix` at `snap`, in
// key order. Map: an ordered map from Key or std::string_view to VersionChain or its pointer.
template <class Map, class F>
void ScanVisible(const Map& m, std::string_view prefix, Version snap, TimestampUs& now, F& fn) {
  for (auto it = m.lower_bound(prefix); it != m.end(); ++it) {
    const std::string_view k = internal::KeyOf(it->first);
    if (!k.starts_with(prefix)) break;
    const VersionEntry* e = internal::ChainOf(it->second).Find(snap);
    if (e == nullptr || !e->Live(now)) continue;
    if (!fn(k, e->value, e->version)) break;
  }
}

struct DumpItem {
  Key key;
  VersionEntry entry;
};

// Copies into *out (cleared) the entries visible at v (tombstones and expired ones included) of
// at most `max` keys after *resume, in key order, and advances *resume (empty: from the start).
// Returns true when the map is exhausted.
template <class Map>
bool CopyDumpChunk(const Map& m, Version v, size_t max, std::string* resume,
                   std::vector<DumpItem>* out) {
  out->clear();
  auto it = m.upper_bound(std::string_view(*resume));  // no key is empty: "" is the start
  for (size_t n = 0; it != m.end() && n < max; ++it, ++n) {
    const std::string_view k = internal::KeyOf(it->first);
    resume->assign(k);
    if (const VersionEntry* e = internal::ChainOf(it->second).Find(v)) {
      out->push_back(DumpItem{Key(k), *e});
    }
  }
  return it == m.end();
}

}  // namespace statelab
