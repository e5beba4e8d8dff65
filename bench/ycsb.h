#pragma once
// YCSB CoreWorkload cells over a KV target (ours or a peer, bench/kv_bodies.h), defined by
// property files (workloads/core_workload.h): the six core files under workloads/ycsb/ scaled by
// suite, or the --workload files of the command line; one path for both. A cell loads
// recordcount records (key + fieldcount fields of fieldlength, one value per record), then each
// repetition runs operationcount ops drawn before the timed loop (workloads/core_ops.h).
// docs/harness.md, "Workload files".
// Thread-safety: YcsbInputs belongs to the thread running the cell.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/kv_bodies.h"
#include "workloads/core_ops.h"
#include "workloads/core_workload.h"

namespace statelab::bench {

// The catalogue's workload files, under the source tree: workloads/ycsb/ holds YCSB's six core
// workloads (every file in it; recordcount and operationcount scaled by suite), and
// workloads/catalogue/ the harness's own parameter sets (every *.properties file, run as
// written). Adding a file adds its cells to the standard suite, no C++ needed.
std::string CoreWorkloadDir();
std::string CatalogueWorkloadDir();
// The suite's scaling of the core files (recordcount, operationcount as overrides).
std::vector<workloads::PropertyOverride> CoreScaling(Suite suite);
// Every file of `dir` whose name ends in `extension` ("" = every file), in name order, parsed
// with `overrides`, as cells of `suite`. A missing directory holds none.
Result<std::vector<YcsbWorkload>> LoadWorkloadDir(
    const std::string& dir, std::string_view extension,
    std::span<const workloads::PropertyOverride> overrides, Suite suite);
// The core files scaled by `suite`, then the catalogue's parameter sets; all standard-suite
// cells (quick runs none). InvalidArgument when two share a name.
Result<std::vector<YcsbWorkload>> CatalogueWorkloads(Suite suite);

// The cell of workload w: ycsb/<file stem>/run/<engine>/<mode>/operations=N,records=N, whose
// repetitions run exactly operationcount ops.
CellKey YcsbKey(const workloads::CoreWorkload& w, std::string_view engine, std::string_view mode);

// baseline.json `workloads`: per workload name its file, the file's sha256, the definition's
// sha256 and every property (docs/baseline_schema.md).
boost::json::object WorkloadsJson(const std::vector<YcsbWorkload>& workloads);

struct YcsbInputs {
  std::shared_ptr<const workloads::CoreWorkload> w;
  std::unique_ptr<workloads::KeySpace> space;
  std::unique_ptr<workloads::OpStream> stream;  // lives across calls: inserts go on
  std::vector<std::string> keys;                // names of key numbers [0, stream->records())
  std::vector<workloads::Op> ops;
  std::vector<Value> values;  // kRecordValues record values, used in turn
  std::vector<std::string> scanned;
  Value out;
};
inline constexpr size_t kRecordValues = 256;

// Keys, values and the op stream of w; nothing loaded yet.
void PrepareYcsb(std::shared_ptr<const workloads::CoreWorkload> w, uint64_t seed, YcsbInputs* in);
// The next n ops, and the names of the records they insert. InvalidArgument when the inserts
// outgrow the key space (hashed: 10 x recordcount and more).
Status GenerateOps(uint64_t n, YcsbInputs* in);

template <class T>
Status LoadYcsb(T& kv, const YcsbInputs& in) {
  return LoadBatches(kv, in.keys, [&](size_t i) { return in.values[i % kRecordValues]; });
}

// extra: the share of each op kind among the call's ops (`ycsb_<kind>_share`) and the keys a scan
// returned on average (`ycsb_keys_per_scan`), so a run shows the mix and scan lengths it ran.
void RecordMix(Measure& m, std::span<const workloads::Op> ops, uint64_t scanned_keys);

template <class T>
void RunYcsb(Measure& m, T& kv, YcsbInputs& in) {
  const Status gen = GenerateOps(m.planned(), &in);
  if (!gen.ok()) m.Fail(gen.ToString());
  uint64_t scanned_keys = 0;
  m.Loop([&](uint64_t i) {
    if (i >= in.ops.size()) return;  // only after a failed GenerateOps
    const workloads::Op& op = in.ops[i];
    const std::string& key = in.keys[op.key];
    const Value& v = in.values[i % kRecordValues];
    switch (op.kind) {
      case workloads::OpKind::kRead:
        Check(m, kv.Get(key, &in.out));
        break;
      case workloads::OpKind::kUpdate:
      case workloads::OpKind::kInsert:
        Check(m, kv.Put(key, v));
        break;
      case workloads::OpKind::kScan:
        Check(m, kv.Scan(key, op.scan_length, &in.scanned));
        scanned_keys += in.scanned.size();
        break;
      case workloads::OpKind::kReadModifyWrite:
        Check(m, kv.ReadModifyWrite(key, v, &in.out));
        break;
    }
  });
  RecordMix(m, in.ops, scanned_keys);
}

}  // namespace statelab::bench
