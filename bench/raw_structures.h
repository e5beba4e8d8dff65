#pragma once
// Tier A0: the data structure each engine is built on, without snapshots registry, transactions
// or locks, holding the same keys and version chains the engine would. RawStructureOf<E> names it;
// an engine without a specialization gets its A0 cells reported as skipped (so a new engine shows
// up as "no raw structure" rather than silently missing).
//   btree:          absl::btree_map<Key, VersionChain, KeyLess>   (BTreeEngine::Map)
//   sharded:        one shard's ChainTable (engines/core/chain_table.h): a node_hash_map<Key,
//                   VersionChain> plus its ordered index
//   shared_nothing: a worker's ChainTable owned by a thread, every operation one round trip
//                   through the engine's Mailbox (engines/shared_nothing/mailbox.h)
// Every store offers Insert (loading), Get (ReadVisible, as the engines' partitions read),
// Put (add a version and prune to it, as ApplyWrites does), Scan (ScanVisible) and Call (run fn
// where the data lives).
// Thread-safety: a store is used by one benchmark thread (the mailbox store's data lives on its
// worker thread).

#include <absl/container/btree_map.h>

#include <atomic>
#include <functional>
#include <string_view>
#include <thread>
#include <utility>

#include "engines/api/key.h"
#include "engines/btree/btree_engine.h"
#include "engines/core/chain_reads.h"
#include "engines/core/chain_table.h"
#include "engines/core/slab_arena.h"
#include "engines/core/version_chain.h"
#include "engines/sharded/sharded_engine.h"
#include "engines/shared_nothing/mailbox.h"
#include "engines/shared_nothing/shared_nothing_engine.h"

namespace statelab::bench {

template <class E>
struct RawStructureOf {
  static constexpr bool kDefined = false;
};

namespace raw {

inline void AddVersion(VersionChain& c, const Value& v, Version ver) {
  VersionEntry e;
  e.version = ver;
  e.value = v;
  c.Add(std::move(e));
  c.Prune(ver);
}

// Ordered map of version chains (btree engine; a shared_nothing worker's map).
class OrderedStore {
 public:
  static constexpr bool kHasMailbox = false;
  void Insert(std::string_view key, const Value& v, Version ver) {
    AddVersion(map_[Key(key)], v, ver);
  }
  Status Get(std::string_view key, Version snap, Value* out) const {
    auto it = map_.find(key);
    TimestampUs now = kNowUnread;
    return ReadVisible(it == map_.end() ? nullptr : &it->second, snap, now, out, nullptr);
  }
  void Put(std::string_view key, const Value& v, Version ver) {
    auto it = map_.find(key);
    if (it != map_.end()) AddVersion(it->second, v, ver);
  }
  size_t Scan(std::string_view prefix, Version snap) const {
    size_t n = 0;
    auto count = [&](std::string_view, const Value&, Version) { return ++n > 0; };
    TimestampUs now = kNowUnread;
    ScanVisible(map_, prefix, snap, now, count);
    return n;
  }
  template <class F>
  void Call(F&& fn) {
    fn(*this);
  }

 private:
  SlabArena arena_;  // as in the engine: declared first, so destroyed after map_
  BTreeEngine::Map map_{BTreeEngine::Map::allocator_type(&arena_)};
};

// A shard's hash table plus the ordered index its scans use (the engines' ChainTable).
class HashStore {
 public:
  static constexpr bool kHasMailbox = false;
  void Insert(std::string_view key, const Value& v, Version ver) {
    AddVersion(chains_.Upsert(Key(key)), v, ver);
  }
  Status Get(std::string_view key, Version snap, Value* out) const {
    TimestampUs now = kNowUnread;
    return ReadVisible(chains_.Find(key), snap, now, out, nullptr);
  }
  void Put(std::string_view key, const Value& v, Version ver) {
    if (VersionChain* c = chains_.Find(key)) AddVersion(*c, v, ver);
  }
  size_t Scan(std::string_view prefix, Version snap) const {
    size_t n = 0;
    auto count = [&](std::string_view, const Value&, Version) { return ++n > 0; };
    TimestampUs now = kNowUnread;
    ScanVisible(chains_.index(), prefix, snap, now, count);
    return n;
  }
  template <class F>
  void Call(F&& fn) {
    fn(*this);
  }

 private:
  SlabArena arena_;  // as in the engine: declared first, so destroyed after the maps
  ChainTable chains_{&arena_};
};

// A hash store owned by a worker thread; Call is one mailbox round trip.
class MailboxStore {
 public:
  static constexpr bool kHasMailbox = true;
  MailboxStore() : worker_([this] { Loop(); }) {}
  ~MailboxStore() {
    stop_.store(true, std::memory_order_release);
    mailbox_.Wake();
    worker_.join();
  }
  MailboxStore(const MailboxStore&) = delete;
  MailboxStore& operator=(const MailboxStore&) = delete;

  void Insert(std::string_view key, const Value& v, Version ver) {
    Call([&](HashStore& s) { s.Insert(key, v, ver); });
  }
  Status Get(std::string_view key, Version snap, Value* out) {
    Status r;
    Call([&](HashStore& s) { r = s.Get(key, snap, out); });
    return r;
  }
  void Put(std::string_view key, const Value& v, Version ver) {
    Call([&](HashStore& s) { s.Put(key, v, ver); });
  }
  size_t Scan(std::string_view prefix, Version snap) {
    size_t n = 0;
    Call([&](HashStore& s) { n = s.Scan(prefix, snap); });
    return n;
  }
  // Runs fn(store) on the worker and waits for it: the message lives on this stack.
  template <class F>
  void Call(F&& fn) {
    Message m;
    m.run = [](void* f, HashStore& s) { (*static_cast<std::remove_reference_t<F>*>(f))(s); };
    m.fn = &fn;
    mailbox_.Send(&m, nullptr);
    mailbox_.Await(&m);
  }

 private:
  struct Message : MailboxNode {
    void (*run)(void* fn, HashStore& s) = nullptr;
    void* fn = nullptr;
  };
  void Loop() {
    for (;;) {
      if (MailboxNode* n = mailbox_.Receive()) {
        auto* m = static_cast<Message*>(n);
        m->run(m->fn, store_);
        mailbox_.Complete(n);
        continue;
      }
      if (stop_.load(std::memory_order_acquire) && mailbox_.Empty()) return;
      mailbox_.Park(stop_);
    }
  }

  Mailbox mailbox_;
  HashStore store_;  // touched by the worker only
  std::atomic<bool> stop_{false};
  std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace raw

template <>
struct RawStructureOf<BTreeEngine> {
  static constexpr bool kDefined = true;
  using Store = raw::OrderedStore;
};
template <>
struct RawStructureOf<ShardedEngine> {
  static constexpr bool kDefined = true;
  using Store = raw::HashStore;
};
template <>
struct RawStructureOf<SharedNothingEngine> {
  static constexpr bool kDefined = true;
  using Store = raw::MailboxStore;
};

}  // namespace statelab::bench
