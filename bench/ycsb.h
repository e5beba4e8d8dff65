#pragma once
// YCSB CoreWorkload cells over a KV target (ours or a peer, bench/kv_bodies.h), defined by
// property files (workloads/core_workload.h): the six core files under workloads/ycsb/ scaled by
// suite, or the --workload files of the command line; one path for both. A cell loads
// recordcount records (key + fieldcount fields of fieldlength, one value per record), then each
// repetition runs operationcount ops drawn before the timed loop (workloads/core_ops.h).
// docs/harness.md, "Workload files".
// Thread-safety: YcsbInputs belongs to the thread running the cell; during a multi-threaded call
// client t's YcsbClient belongs to thread t and the rest is read-only.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/contention.h"
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

// workloads/harness/: cells of the other tiers defined by workload files, one family per file
// at <tier>/<group>/<op>.properties, parsed by the same loader as the YCSB files. Only tier D has
// a file body so far (reads and updates over one run's keys, at every thread count of the suite;
// bench/tier_d.cc).
std::string HarnessWorkloadDir();
// Every *.properties file under `dir`, named by its path, in path order. InvalidArgument naming
// the file for one that is not at <tier>/<group>/<op>.properties, whose tier has no file body, or
// whose properties that body cannot run; a missing directory holds none.
Result<std::vector<HarnessWorkload>> LoadHarnessWorkloads(const std::string& dir);
// The harness workload's name in baseline.json `workloads`: "<tier>/<group>/<op>".
std::string HarnessWorkloadName(const HarnessWorkload& h);

// The cell of workload w: ycsb/<file stem>/run/<engine>/<mode>/operations=N,records=N
// (threadcount T > 1: threads=T,operations=N,records=N, as the D tier's thread cells), whose
// repetitions run exactly operationcount ops: threadcount 1 as a loop of that many iterations,
// more as a single shot over the client threads (RunYcsbThreads).
CellKey YcsbKey(const workloads::CoreWorkload& w, std::string_view engine, std::string_view mode);
CellDef YcsbCell(const YcsbWorkload& y, std::string_view engine, std::string_view mode,
                 FixtureFactory make);

// baseline.json `workloads`: per workload name (harness ones: <tier>/<group>/<op>) its file, the
// file's sha256, the definition's sha256 and every property (docs/baseline_schema.md).
boost::json::object WorkloadsJson(const std::vector<YcsbWorkload>& workloads,
                                  const std::vector<HarnessWorkload>& harness = {});

// One YCSB client thread: its own generators (YCSB's per-thread state) and buffers.
struct YcsbClient {
  std::unique_ptr<workloads::OpStream> stream;  // lives across calls: inserts go on
  std::vector<workloads::Op> ops;               // this call's ops
  std::vector<std::string> scanned;
  Value out;
  uint64_t scanned_keys = 0;  // keys this call's scans returned
};

struct YcsbInputs {
  std::shared_ptr<const workloads::CoreWorkload> w;
  std::unique_ptr<workloads::KeySpace> space;
  std::vector<std::string> keys;    // names of key numbers [0, max over clients of records())
  std::vector<Value> values;        // kRecordValues record values, used in turn
  std::vector<YcsbClient> clients;  // threadcount of them
};
inline constexpr size_t kRecordValues = 256;

// Keys, values and threadcount clients' op streams of w; nothing loaded yet.
void PrepareYcsb(std::shared_ptr<const workloads::CoreWorkload> w, uint64_t seed, YcsbInputs* in);
// The next n ops split across the clients as YCSB splits operationcount (n / threadcount each,
// the first n % threadcount clients one more), and the names of the records they insert.
// InvalidArgument when the inserts outgrow the key space (hashed: 10 x recordcount and more).
Status GenerateOps(uint64_t n, YcsbInputs* in);

template <class T>
Status LoadYcsb(T& kv, const YcsbInputs& in) {
  return LoadBatches(kv, in.keys, [&](size_t i) { return in.values[i % kRecordValues]; });
}

// extra: the share of each op kind among the call's ops of every client (`ycsb_<kind>_share`)
// and the keys a scan returned on average (`ycsb_keys_per_scan`), so a run shows the mix and scan
// lengths it ran.
void RecordMix(Measure& m, const YcsbInputs& in);

// Op i of client c on target kv (i picks the record value written).
template <class T>
Status RunYcsbOp(T& kv, const YcsbInputs& in, YcsbClient& c, uint64_t i) {
  const workloads::Op& op = c.ops[i];
  const std::string& key = in.keys[op.key];
  const Value& v = in.values[i % kRecordValues];
  switch (op.kind) {
    case workloads::OpKind::kRead:
      return kv.Get(key, &c.out);
    case workloads::OpKind::kUpdate:
    case workloads::OpKind::kInsert:
      return kv.Put(key, v);
    case workloads::OpKind::kScan: {
      Status s = kv.Scan(key, op.scan_length, &c.scanned);
      c.scanned_keys += c.scanned.size();
      return s;
    }
    case workloads::OpKind::kReadModifyWrite:
      return kv.ReadModifyWrite(key, v, &c.out);
  }
  return Status::InvalidArgument("unknown YCSB op");
}

// threadcount 1: a timed loop of operationcount ops (Google Benchmark's iterations) on kv.
template <class T>
void RunYcsb(Measure& m, T& kv, YcsbInputs& in) {
  const Status gen = GenerateOps(m.planned(), &in);
  if (!gen.ok()) m.Fail(gen.ToString());
  YcsbClient& c = in.clients.front();
  m.Loop([&](uint64_t i) {
    if (i >= c.ops.size()) return;  // only after a failed GenerateOps
    Check(m, RunYcsbOp(kv, in, c, i));
  });
  RecordMix(m, in);
}

// A client's target: held by value (OurKv, one per client) or by pointer (a peer, shared).
template <class T>
T& TargetOf(T& kv) {
  return kv;
}
template <class T>
T& TargetOf(T* kv) {
  return *kv;
}

// threadcount > 1: one call runs operationcount ops split across threadcount pinned client
// threads started together (bench/phases.h RunFixedOps); the record is the D tier's: ops of all
// threads over the wall time to the last thread's end, latency merged, per-thread counts.
// target(t) gives client t's KV target (its own OurKv; a peer is shared).
template <class Target>
void RunYcsbThreads(Measure& m, YcsbInputs& in, Target&& target) {
  const Status gen = GenerateOps(in.w->operation_count, &in);
  if (!gen.ok()) m.Fail(gen.ToString());  // the clients have no ops: the call still runs
  const size_t n = in.clients.size();
  std::vector<Status> errors(n);
  std::vector<uint64_t> ops;
  auto make = [&](size_t t) {
    return [&in, &c = in.clients[t], kv = target(t), err = &errors[t]](uint64_t i) mutable {
      return CountedRead(RunYcsbOp(TargetOf(kv), in, c, i), err);
    };
  };
  std::vector<decltype(make(0))> bodies;
  bodies.reserve(n);
  for (size_t t = 0; t < n; ++t) {
    bodies.push_back(make(t));
    ops.push_back(in.clients[t].ops.size());
  }
  m.Once([&] { return RunFixedOps(m, bodies, ops); });
  for (const Status& e : errors) {
    if (!e.ok()) m.Fail(e.ToString());
  }
  RecordMix(m, in);
}

}  // namespace statelab::bench
