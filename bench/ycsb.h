#pragma once
// YCSB A-F over a KV target (ours or a peer, bench/kv_bodies.h): the workload mixes, the
// records and values, and the op stream of each call (scrambled zipfian 0.99; workload D
// "latest"), generated before the timed loop and sized to the call's planned operations.
// Thread-safety: YcsbInputs belongs to the thread running the cell.

#include <cstdint>
#include <string>
#include <vector>

#include "bench/kv_bodies.h"

namespace statelab::bench {

enum class YKind : uint8_t { kRead, kUpdate, kInsert, kScan, kReadModifyWrite };

struct YOp {
  YKind kind;
  uint32_t key;  // record index (inserts: the new record's index)
};

struct YcsbDef {
  char name;
  double read, update, insert, scan, rmw;
  bool latest;  // key choice: "latest" (D) instead of scrambled zipfian
};
inline constexpr YcsbDef kYcsb[] = {
    {'a', 0.50, 0.50, 0, 0, 0, false}, {'b', 0.95, 0.05, 0, 0, 0, false},
    {'c', 1.00, 0, 0, 0, 0, false},    {'d', 0.95, 0, 0.05, 0, 0, true},
    {'e', 0, 0, 0.05, 0.95, 0, false}, {'f', 0.50, 0, 0, 0, 0.50, false},
};

// Record counts and the smallest suite that runs them.
struct YcsbSize {
  uint64_t records;
  Suite suite;
};
inline constexpr YcsbSize kYcsbSizes[] = {{100000, Suite::kStandard}, {1000000, Suite::kFull}};

// The cell's params: records, dist, theta.
harness::Params YcsbParams(const YcsbDef& w, uint64_t records);

struct YcsbInputs {
  std::vector<std::string> keys;      // loaded and inserted records
  std::vector<std::string> prefixes;  // the scan prefix of every 100 records
  std::vector<YOp> ops;
  std::vector<Value> values;  // 16 values of 100 bytes, used in turn
  std::vector<std::string> scanned;
  Value out;
  uint64_t seed = 0;
  uint64_t call = 0;
};

// Records "user" + 10 digits, values, seed; nothing loaded yet.
void PrepareYcsb(uint64_t records, uint64_t seed, YcsbInputs* in);
// The op stream of one call: n ops of workload w over the records so far (inserts append).
void GenerateOps(const YcsbDef& w, uint64_t n, YcsbInputs* in);

template <class T>
Status LoadYcsb(T& kv, const YcsbInputs& in) {
  return LoadBatches(kv, in.keys, [&](size_t i) { return in.values[i % 16]; });
}

template <class T>
void RunYcsb(const YcsbDef& w, Measure& m, T& kv, YcsbInputs& in) {
  GenerateOps(w, m.planned(), &in);
  m.Loop([&](uint64_t i) {
    const YOp& op = in.ops[i];
    const std::string& key = in.keys[op.key];
    const Value& v = in.values[i & 15];
    switch (op.kind) {
      case YKind::kRead:
        Check(m, kv.Get(key, &in.out));
        break;
      case YKind::kUpdate:
      case YKind::kInsert:
        Check(m, kv.Put(key, v));
        break;
      case YKind::kScan:
        Check(m, kv.List(in.prefixes[op.key / 100], &in.scanned));
        break;
      case YKind::kReadModifyWrite:
        Check(m, kv.ReadModifyWrite(key, v, &in.out));
        break;
    }
  });
}

}  // namespace statelab::bench
