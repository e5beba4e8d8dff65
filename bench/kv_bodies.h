#pragma once
// KV cell bodies shared by our engines and the KV peers (docs/peers.md), so both run the same
// keys, values, index streams and checks: B kv get / put / get_missing / delete / list_100 and
// A1 multi_put. A body takes a target with the PeerKv operations (engines/peers/peer_kv.h): a
// peer itself, OurKv (our KV primitive's facade over one run) or EngineTxnKv (one engine-level
// transaction per batch, the A1 ops).
// Thread-safety: targets and inputs belong to the thread running the cell.

#include <array>
#include <span>
#include <string>
#include <vector>

#include "bench/catalogue_util.h"
#include "engines/peers/peer_kv.h"
#include "workloads/core_ops.h"

namespace statelab::bench {

// Our KV primitive over one run, with the PeerKv operations.
template <class Eng>
class OurKv {
 public:
  using P = typename Eng::Partition;
  OurKv(Database<Eng>& db, const RunId& run) : db_(db), kv_(db.kv()), run_(run) {}

  Status Put(std::string_view key, const Value& v) { return kv_.Put(run_, key, v).status(); }
  Status Get(std::string_view key, Value* out) { return kv_.Get(run_, key, out, &ver_); }
  Result<bool> Delete(std::string_view key) { return kv_.Delete(run_, key); }
  Status List(std::string_view prefix, std::vector<std::string>* keys) {
    return kv_.List(run_, prefix, keys);
  }
  // Up to `count` keys from `start` on, in one read snapshot. The engines scan by prefix only, so
  // this is a scan per digit prefix (workloads::ScanFromByDigits): keys must end in fixed-width
  // digits, as YCSB's record keys do.
  Status Scan(std::string_view start, uint64_t count, std::vector<std::string>* keys) {
    return RunRead(db_.engine(), run_, [&](Txn<P>& t) {
      return workloads::ScanFromByDigits(
          start, count,
          [&](std::string_view prefix, auto& take) {
            return t.Scan(Tag::kKv, prefix,
                          [&](std::string_view k, const Value&, Version) { return take(k); });
          },
          keys);
    });
  }
  Status PutBatch(std::span<const peers::KvWrite> batch) {
    return db_
        .Transaction(run_,
                     [&](auto& h) -> Status {
                       for (const peers::KvWrite& w : batch) {
                         STATELAB_RETURN_IF_ERROR(h.kv().Put(w.key, *w.value));
                       }
                       return Status::OK();
                     })
        .status();
  }
  Status ReadModifyWrite(std::string_view key, const Value& v, Value* out) {
    return RunTransaction(
               db_.engine(), run_,
               [&](Txn<P>& t) -> Status {
                 STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Get(key, out));
                 return KvOps<P>(t).Put(key, v);
               },
               TxnOptions{})
        .status();
  }

 private:
  Database<Eng>& db_;
  KvStore<Eng> kv_;
  RunId run_;
  Version ver_ = 0;
};

// A1: a batch is one engine-level transaction of Txn::Put (no primitive facade).
template <class Eng>
class EngineTxnKv {
 public:
  using P = typename Eng::Partition;
  EngineTxnKv(Eng& e, const RunId& run) : e_(e), run_(run) {}
  Status PutBatch(std::span<const peers::KvWrite> batch) {
    return RunTransaction(
               e_, run_,
               [&](Txn<P>& t) {
                 for (const peers::KvWrite& w : batch) t.Put(Tag::kKv, w.key, *w.value);
                 return Status::OK();
               },
               o_)
        .status();
  }

 private:
  Eng& e_;
  RunId run_;
  TxnOptions o_;
};

// Writes keys[i] = value_of(i) for every key in batches of `batch` (one transaction or write
// batch each), so loading a durable store costs keys.size() / batch syncs.
template <class T, class ValueOf>
Status LoadBatches(T& kv, const std::vector<std::string>& keys, ValueOf&& value_of,
                   size_t batch = 1024) {
  std::vector<Value> values;
  std::vector<peers::KvWrite> writes;
  for (size_t start = 0; start < keys.size(); start += batch) {
    const size_t end = std::min(keys.size(), start + batch);
    values.clear();
    writes.clear();
    for (size_t i = start; i < end; ++i) values.push_back(value_of(i));
    for (size_t i = start; i < end; ++i) writes.push_back({keys[i], &values[i - start]});
    STATELAB_RETURN_IF_ERROR(kv.PutBatch(writes));
  }
  return Status::OK();
}

// The point-op cells both sides run (tier B kv; names, suites and params are shared).
enum class KvOp : uint8_t { kGet, kPut, kGetMissing, kDelete, kList100 };
struct KvOpDef {
  KvOp op;
  const char* name;
  Suite suite;
  bool point_params;  // params {"n": kPointKeys}; delete has none (fresh keys per call)
};
inline constexpr KvOpDef kKvOps[] = {
    {KvOp::kGet, "get", Suite::kQuick, true},
    {KvOp::kPut, "put", Suite::kQuick, true},
    {KvOp::kGetMissing, "get_missing", Suite::kQuick, true},
    {KvOp::kDelete, "delete", Suite::kQuick, false},
    {KvOp::kList100, "list_100", Suite::kStandard, true},
};

// The measured body of a point op on `kv`, whose keys `in.keys` hold int64 values.
template <class T>
void RunKvOp(KvOp op, Measure& m, T& kv, KvInputs& in) {
  switch (op) {
    case KvOp::kGet:
      m.Loop([&](uint64_t i) { Check(m, kv.Get(in.keys[in.idx[i & kIndexMask]], &in.out)); });
      break;
    case KvOp::kPut:
      m.Loop([&](uint64_t i) {
        Check(m, kv.Put(in.keys[in.idx[i & kIndexMask]], Value(static_cast<int64_t>(i))));
      });
      break;
    case KvOp::kGetMissing:
      if (in.missing.empty()) in.missing = workloads::KeyNames("m", kIndexCount, 8);
      m.Loop([&](uint64_t i) {
        const Status st = kv.Get(in.missing[i & kIndexMask], &in.out);
        if (!st.IsNotFound()) [[unlikely]]
          m.Fail("get_missing found a key: " + st.ToString());
      });
      break;
    case KvOp::kDelete: {
      // Fresh keys for every planned delete of this call, loaded before the loop.
      const std::vector<std::string> doomed =
          workloads::KeyNames("d" + std::to_string(in.call++) + "_", m.planned(), 10);
      Check(m, LoadBatches(kv, doomed, [](size_t) { return Value(int64_t{1}); }));
      m.Loop([&](uint64_t i) {
        Result<bool> r = kv.Delete(doomed[i]);
        if (!r.ok() || !*r) [[unlikely]]
          m.Fail("delete of a loaded key: " + r.status().ToString());
      });
      break;
    }
    case KvOp::kList100: {
      std::vector<std::string> prefixes;
      for (uint64_t g = 0; g < kPointKeys / 100; ++g) prefixes.push_back(PointPrefix(g));
      const std::vector<uint32_t> pick = UniformIndexes(prefixes.size(), in.idx[0]);
      in.listed.reserve(100);
      m.Loop([&](uint64_t i) {
        Check(m, kv.List(prefixes[pick[i & kIndexMask]], &in.listed));
        if (in.listed.size() != 100) [[unlikely]]
          m.Fail("list_100 listed " + std::to_string(in.listed.size()));
      });
      break;
    }
  }
}

// A1 put_direct (keys = 1) and multi_put (keys = 3, 10): one batch of `keys` consecutive keys
// from a uniform start, all set to the op's index.
inline constexpr uint64_t kMaxBatchKeys = 16;
template <class T>
void RunMultiPut(Measure& m, T& kv, const KvInputs& in, uint64_t keys) {
  std::array<peers::KvWrite, kMaxBatchKeys> writes;
  const std::span<const peers::KvWrite> batch(writes.data(), std::min(keys, kMaxBatchKeys));
  Value v;
  m.Loop([&](uint64_t i) {
    const uint64_t base = in.idx[i & kIndexMask];
    v = Value(static_cast<int64_t>(i));
    for (uint64_t j = 0; j < batch.size(); ++j) writes[j] = {in.keys[(base + j) % kPointKeys], &v};
    Check(m, kv.PutBatch(batch));
  });
}

}  // namespace statelab::bench
