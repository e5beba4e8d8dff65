#pragma once
// A partition's keys for point reads and ordered scans: a node_hash_map from key to version
// chain (a point read is one hash lookup) and an ordered index of views into it (prefix scans,
// snapshot dumps). node_hash_map never moves a node, so the index's views and pointers stay
// valid. Both take their nodes from the partition's arena (one malloc per slab, not per key).
// sharded's shards and shared_nothing's workers hold one each.
// Thread-safety: none; the owning partition's exclusion guards it.

#include <absl/container/btree_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/hash/hash.h>

#include <functional>
#include <string_view>
#include <utility>

#include "engines/api/key.h"
#include "engines/core/chain_reads.h"
#include "engines/core/slab_arena.h"
#include "engines/core/version_chain.h"

namespace statelab {

class ChainTable {
 public:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const noexcept {
      return absl::Hash<std::string_view>{}(k);
    }
    size_t operator()(const Key& k) const noexcept { return (*this)(k.view()); }
  };
  struct KeyEq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return internal::KeyOf(a) == internal::KeyOf(b);
    }
  };
  using Table = absl::node_hash_map<Key, VersionChain, KeyHash, KeyEq,
                                    ArenaAllocator<std::pair<const Key, VersionChain>>>;
  using Index =
      absl::btree_map<std::string_view, const VersionChain*, std::less<std::string_view>,
                      ArenaAllocator<std::pair<const std::string_view, const VersionChain*>>>;

  explicit ChainTable(SlabArena* arena)
      : table_(0, KeyHash{}, KeyEq{}, Table::allocator_type(arena)),
        index_(Index::allocator_type(arena)) {}

  const VersionChain* Find(std::string_view key) const noexcept {
    auto it = table_.find(key);
    return it == table_.end() ? nullptr : &it->second;
  }
  VersionChain* Find(std::string_view key) noexcept {
    return const_cast<VersionChain*>(std::as_const(*this).Find(key));
  }
  VersionChain& Upsert(const Key& key) {
    auto [it, inserted] = table_.try_emplace(key);
    if (inserted) index_.emplace(it->first.view(), &it->second);
    return it->second;
  }
  // Snapshot load only (nothing else changes the table meanwhile): Upsert that inserts into the
  // index at the slot after the previous load insert when that is the key's place (a snapshot
  // holds a partition's keys in order), a normal insert otherwise. Not for WAL replay: replayed
  // keys arrive out of order and a failed hint costs more than it saves (docs/performance.md).
  VersionChain& LoadUpsert(std::string_view key) {
    auto [it, inserted] = table_.try_emplace(key);
    if (inserted) {
      load_hint_ = std::next(index_.emplace_hint(load_hint_, it->first.view(), &it->second));
    }
    return it->second;
  }
  void Reserve(size_t keys) { table_.reserve(keys); }
  const Table& table() const noexcept { return table_; }
  const Index& index() const noexcept { return index_; }  // in key order

 private:
  Table table_;
  Index index_;
  Index::iterator load_hint_ = index_.end();  // LoadUpsert's: the slot after its last insert
};

}  // namespace statelab
