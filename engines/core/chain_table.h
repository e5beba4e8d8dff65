#pragma once
// A partition's keys for point reads and ordered scans: a node_hash_map from key to version
// chain (a point read is one hash lookup) and an ordered index of views into it (prefix scans,
// snapshot dumps). node_hash_map never moves a node, so the index's views and pointers stay
// valid. Both take their nodes from the partition's arena. The layout of sharded's Shard
// (engines/sharded/sharded_engine.h), which keeps its own copy of these maps.
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
  VersionChain& Upsert(const Key& key) {
    auto [it, inserted] = table_.try_emplace(key);
    if (inserted) index_.emplace(it->first.view(), &it->second);
    return it->second;
  }
  const Table& table() const noexcept { return table_; }
  const Index& index() const noexcept { return index_; }  // in key order

 private:
  Table table_;
  Index index_;
};

}  // namespace statelab
