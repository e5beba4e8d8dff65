#include "bench/catalogue_util.h"

namespace statelab::bench {

std::string PointKey(uint64_t i) { return workloads::KeyName("k", i, 8); }

std::string PointPrefix(uint64_t group) { return workloads::KeyName("k", group, 6); }

std::vector<std::string> PointKeys(uint64_t n) { return workloads::KeyNames("k", n, 8); }

std::vector<uint32_t> UniformIndexes(uint64_t n, uint64_t seed) {
  workloads::UniformGenerator g(n, seed);
  std::vector<uint32_t> v(kIndexCount);
  for (uint32_t& x : v) x = static_cast<uint32_t>(g.Next());
  return v;
}

std::vector<uint32_t> ZipfIndexes(uint64_t n, uint64_t seed) {
  workloads::ScrambledZipfianGenerator g(n, 0.99, seed);
  std::vector<uint32_t> v(kIndexCount);
  for (uint32_t& x : v) x = static_cast<uint32_t>(g.Next());
  return v;
}

RunId SeededRun(uint64_t seed, uint64_t i) {
  uint64_t s = workloads::SplitSeed(seed, i + 1);
  RunId r;
  for (int w = 0; w < 2; ++w) {
    const uint64_t x = workloads::SplitMix64(s);
    for (int b = 0; b < 8; ++b) r.bytes[w * 8 + b] = static_cast<uint8_t>(x >> (8 * b));
  }
  if (r.IsMeta()) r.bytes[0] = 1;  // never the reserved meta run
  return r;
}

DbOptions BenchDbOptions(const CellContext& ctx, DurabilityMode mode) {
  DbOptions o;
  o.dir = ctx.data_dir;
  o.mode = mode;
  o.snapshot_on_close = false;
  return o;
}

CellKey MakeKey(std::string_view tier, std::string_view group, std::string_view op,
                std::string_view engine, std::string_view mode, harness::Params params) {
  CellKey k;
  k.tier = tier;
  k.group = group;
  k.op = op;
  k.engine = engine;
  k.mode = mode;
  k.params = std::move(params);
  return k;
}

CellKey SeriesKey(std::string_view tier, std::string_view group, std::string_view op,
                  std::string_view engine, std::string_view mode, int threads,
                  harness::Params params) {
  CellKey k = MakeKey(tier, group, op, engine, mode, std::move(params));
  k.threads = threads;
  k.thread_series = true;
  return k;
}

}  // namespace statelab::bench
