#include "bench/ycsb.h"

namespace statelab::bench {

namespace {

std::string RecordKey(uint64_t i) { return workloads::KeyName("user", i, 10); }
// The 100 records sharing the first 8 digits of record i (a short YCSB-E scan).
std::string ScanPrefix(uint64_t i) { return workloads::KeyName("user", i / 100, 8); }

}  // namespace

harness::Params YcsbParams(const YcsbDef& w, uint64_t records) {
  return P({{"records", static_cast<double>(records)},
            {"dist", std::string(w.latest ? "latest" : "scrambled_zipfian")},
            {"theta", 0.99}});
}

void PrepareYcsb(uint64_t records, uint64_t seed, YcsbInputs* in) {
  in->seed = seed;
  in->keys.reserve(records);
  for (uint64_t i = 0; i < records; ++i) in->keys.push_back(RecordKey(i));
  for (int v = 0; v < 16; ++v) {
    in->values.emplace_back(std::string(100, static_cast<char>('a' + v)));
  }
}

void GenerateOps(const YcsbDef& w, uint64_t n, YcsbInputs* in) {
  workloads::Xoshiro256 mix(workloads::SplitSeed(in->seed, 2 * in->call));
  const uint64_t records = in->keys.size();
  workloads::ScrambledZipfianGenerator zipf(records, 0.99,
                                            workloads::SplitSeed(in->seed, 2 * in->call + 1));
  workloads::LatestGenerator latest(records, 0.99,
                                    workloads::SplitSeed(in->seed, 2 * in->call + 1));
  ++in->call;
  in->ops.clear();
  in->ops.reserve(n);
  uint64_t next_insert = records;
  for (uint64_t i = 0; i < n; ++i) {
    const double r = mix.NextDouble();
    YKind kind = YKind::kRead;
    if (r < w.read) {
      kind = YKind::kRead;
    } else if (r < w.read + w.update) {
      kind = YKind::kUpdate;
    } else if (r < w.read + w.update + w.insert) {
      kind = YKind::kInsert;
    } else if (r < w.read + w.update + w.insert + w.scan) {
      kind = YKind::kScan;
    } else {
      kind = YKind::kReadModifyWrite;
    }
    if (kind == YKind::kInsert) {
      in->ops.push_back({kind, static_cast<uint32_t>(next_insert++)});
      latest.Inserted();
      continue;
    }
    const uint64_t key = w.latest ? latest.Next() : zipf.Next();
    in->ops.push_back({kind, static_cast<uint32_t>(key)});
  }
  for (uint64_t k = records; k < next_insert; ++k) in->keys.push_back(RecordKey(k));
  for (uint64_t g = in->prefixes.size(); g * 100 < next_insert; ++g) {
    in->prefixes.push_back(ScanPrefix(g * 100));
  }
}

}  // namespace statelab::bench
