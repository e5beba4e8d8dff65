#pragma once
// KVStore: put, put_with_ttl, get, exists, delete, cas, get_many, list, list_with_values.
// KvOps<P> works inside a transaction; KvStore<E> is the facade: fast-path reads (one snapshot,
// no transaction machinery) and one-operation transactions for writes.
// Thread-safety: KvOps belongs to its transaction's thread; KvStore is thread-safe.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/core/run_transaction.h"

namespace statelab {

struct KvEntry {
  std::string key;
  Value value;
  Version version = 0;  // 0 for this transaction's own uncommitted writes
};

template <Partition P>
class KvOps {
 public:
  explicit KvOps(Txn<P>& t) noexcept : t_(t) {}

  Status Put(std::string_view key, Value v) { return PutExpiring(key, std::move(v), 0); }
  // The key becomes invisible to every read once ttl has passed (measured from this call).
  Status PutWithTtl(std::string_view key, Value v, std::chrono::microseconds ttl) {
    if (ttl.count() <= 0) return Status::InvalidArgument("ttl: must be positive");
    return PutExpiring(key, std::move(v), t_.now() + ttl.count());
  }
  // *expire_at_us: when the key expires (0 = never). Each out-parameter may be null.
  Status Get(std::string_view key, Value* out, Version* ver = nullptr,
             TimestampUs* expire_at_us = nullptr) {
    STATELAB_RETURN_IF_ERROR(CheckUserKey("key", key));
    auto read = [&](const Value& v, TimestampUs at) {
      if (out != nullptr) *out = v;
      if (expire_at_us != nullptr) *expire_at_us = at;
    };
    return t_.View(Tag::kKv, key, read, ver);
  }
  Result<bool> Exists(std::string_view key) {
    Status s = Get(key, nullptr);
    if (s.ok()) return true;
    if (s.IsNotFound()) return false;
    return s;
  }
  // Returns whether the key existed (live) before.
  Result<bool> Delete(std::string_view key) {
    STATELAB_ASSIGN_OR_RETURN(bool existed, Exists(key));
    if (existed) t_.Delete(Tag::kKv, key);
    return existed;
  }
  // Writes only if the key's current version is `expected` (0 = never existed; a deleted key's
  // version is its tombstone's). Otherwise VersionMismatch{expected, actual}.
  Status Cas(std::string_view key, Version expected, Value v) {
    STATELAB_RETURN_IF_ERROR(CheckUserKey("key", key));
    STATELAB_RETURN_IF_ERROR(CheckValue("value", v));
    Version actual = t_.ReadVersion(Tag::kKv, key);
    if (actual != expected) return Status::VersionMismatch(expected, actual);
    t_.Put(Tag::kKv, key, std::move(v));
    return Status::OK();
  }
  // One snapshot for all keys; absent keys give nullopt.
  Status GetMany(std::span<const std::string_view> keys,
                 std::vector<std::optional<Versioned>>* out) {
    out->clear();
    out->reserve(keys.size());
    for (std::string_view k : keys) {
      Versioned v;
      Status s = Get(k, &v.value, &v.version);
      if (s.ok()) {
        out->emplace_back(std::move(v));
      } else if (s.IsNotFound()) {
        out->emplace_back(std::nullopt);
      } else {
        return s;
      }
    }
    return Status::OK();
  }
  Status List(std::string_view prefix, std::vector<std::string>* keys) {
    STATELAB_RETURN_IF_ERROR(CheckUserKey("prefix", prefix));
    keys->clear();
    return t_.Scan(Tag::kKv, prefix, [&](std::string_view k, const Value&, Version) {
      keys->emplace_back(k);
      return true;
    });
  }
  Status ListWithValues(std::string_view prefix, std::vector<KvEntry>* out) {
    STATELAB_RETURN_IF_ERROR(CheckUserKey("prefix", prefix));
    out->clear();
    return t_.Scan(Tag::kKv, prefix, [&](std::string_view k, const Value& v, Version ver) {
      out->push_back(KvEntry{std::string(k), v, ver});
      return true;
    });
  }

 private:
  Status PutExpiring(std::string_view key, Value v, TimestampUs expire_at_us) {
    STATELAB_RETURN_IF_ERROR(CheckUserKey("key", key));
    STATELAB_RETURN_IF_ERROR(CheckValue("value", v));
    t_.Put(Tag::kKv, key, std::move(v), expire_at_us);
    return Status::OK();
  }

  Txn<P>& t_;
};

template <Engine E>
class KvStore {
 public:
  using P = typename E::Partition;
  explicit KvStore(E& e) noexcept : e_(e) {}

  Result<Version> Put(const RunId& run, std::string_view key, Value v,
                      const TxnOptions& o = {}) {
    return Write(run, o, [&](KvOps<P>& kv) { return kv.Put(key, v); });
  }
  Result<Version> PutWithTtl(const RunId& run, std::string_view key, Value v,
                             std::chrono::microseconds ttl) {
    return Write(run, {}, [&](KvOps<P>& kv) { return kv.PutWithTtl(key, v, ttl); });
  }
  // Fast path: no allocation on a miss; on a hit, assigning into an existing *out reuses it.
  Status Get(const RunId& run, std::string_view key, Value* out, Version* ver = nullptr,
             TimestampUs* expire_at_us = nullptr) {
    return RunRead(e_, run,
                   [&](Txn<P>& t) { return KvOps<P>(t).Get(key, out, ver, expire_at_us); });
  }
  Result<Versioned> Get(const RunId& run, std::string_view key) {
    Versioned v;
    STATELAB_RETURN_IF_ERROR(Get(run, key, &v.value, &v.version));
    return v;
  }
  Result<bool> Exists(const RunId& run, std::string_view key) {
    Result<bool> r = false;
    STATELAB_RETURN_IF_ERROR(
        RunRead(e_, run, [&](Txn<P>& t) { return (r = KvOps<P>(t).Exists(key)).status(); }));
    return r;
  }
  // Returns whether the key existed; the commit version is not reported for a no-op delete.
  Result<bool> Delete(const RunId& run, std::string_view key) {
    bool existed = false;
    STATELAB_RETURN_IF_ERROR(Write(run, {}, [&](KvOps<P>& kv) -> Status {
                               STATELAB_ASSIGN_OR_RETURN(existed, kv.Delete(key));
                               return Status::OK();
                             }).status());
    return existed;
  }
  Result<Version> Cas(const RunId& run, std::string_view key, Version expected, Value v) {
    // A lost race retries and then reports VersionMismatch with the winner's version.
    return Write(run, {}, [&](KvOps<P>& kv) { return kv.Cas(key, expected, v); });
  }
  Status GetMany(const RunId& run, std::span<const std::string_view> keys,
                 std::vector<std::optional<Versioned>>* out) {
    return RunRead(e_, run, [&](Txn<P>& t) { return KvOps<P>(t).GetMany(keys, out); });
  }
  Status List(const RunId& run, std::string_view prefix, std::vector<std::string>* keys) {
    return RunRead(e_, run, [&](Txn<P>& t) { return KvOps<P>(t).List(prefix, keys); });
  }
  Status ListWithValues(const RunId& run, std::string_view prefix, std::vector<KvEntry>* out) {
    return RunRead(e_, run, [&](Txn<P>& t) { return KvOps<P>(t).ListWithValues(prefix, out); });
  }

 private:
  // f may run several times (conflict retries): it copies its inputs, never moves them.
  template <class F>
  Result<Version> Write(const RunId& run, const TxnOptions& o, F&& f) {
    return RunTransaction(
        e_, run,
        [&](Txn<P>& t) {
          KvOps<P> kv(t);
          return f(kv);
        },
        o);
  }

  E& e_;
};

}  // namespace statelab
