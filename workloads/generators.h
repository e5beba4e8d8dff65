#pragma once
// Deterministic key generators for benchmarks, all seeded from one run seed: xoshiro256** for
// randomness (never the low bits of an LCG), uniform, zipfian (YCSB's Gray et al. method),
// scrambled zipfian (hot keys spread over the key space), "latest" (YCSB workload D) and hotspot
// (YCSB's HotspotIntegerGenerator).
// Thread-safety: a generator is used by one thread; give each thread its own (SplitSeed).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace statelab::workloads {

inline uint64_t SplitMix64(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A seed for stream `i` derived from the run seed, so threads get independent streams.
inline uint64_t SplitSeed(uint64_t run_seed, uint64_t i) noexcept {
  uint64_t s = run_seed ^ (i * 0xD1B54A32D192ED03ull);
  return SplitMix64(s);
}

class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) noexcept {
    for (uint64_t& w : s_) w = SplitMix64(seed);
  }
  uint64_t Next() noexcept {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) without modulo bias worth measuring (Lemire's multiply-shift).
  uint64_t Below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  double NextDouble() noexcept { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

class UniformGenerator {
 public:
  UniformGenerator(uint64_t n, uint64_t seed) noexcept : n_(n), rng_(seed) {}
  uint64_t Next() noexcept { return rng_.Below(n_); }

 private:
  uint64_t n_;
  Xoshiro256 rng_;
};

// Zipfian over [0, n) with parameter theta (0.99 in YCSB); item 0 is the most popular.
class ZipfianGenerator {
 public:
  ZipfianGenerator(uint64_t n, double theta, uint64_t seed);
  uint64_t Next() noexcept;
  uint64_t n() const noexcept { return n_; }

 private:
  static double Zeta(uint64_t n, double theta);
  uint64_t n_;
  double alpha_, zetan_, eta_, half_pow_theta_;
  Xoshiro256 rng_;
};

// Zipfian popularity, with ranks scattered over the key space by a hash (YCSB "scrambled").
class ScrambledZipfianGenerator {
 public:
  ScrambledZipfianGenerator(uint64_t n, double theta, uint64_t seed)
      : n_(n), zipf_(n, theta, seed) {}
  uint64_t Next() noexcept {
    uint64_t r = zipf_.Next();
    return SplitMix64(r) % n_;
  }

 private:
  uint64_t n_;
  ZipfianGenerator zipf_;
};

// YCSB "latest": zipfian over recency; the newest inserted key is the most popular.
class LatestGenerator {
 public:
  LatestGenerator(uint64_t initial_n, double theta, uint64_t seed)
      : max_(initial_n), zipf_(initial_n, theta, seed) {}
  void Inserted() noexcept { ++max_; }  // call after inserting key max_
  uint64_t Next() noexcept {
    uint64_t r = zipf_.Next();
    return r >= max_ ? 0 : max_ - 1 - r;
  }
  uint64_t max() const noexcept { return max_; }

 private:
  uint64_t max_;
  ZipfianGenerator zipf_;
};

// YCSB "hotspot": a fraction `opn_fraction` of the draws fall uniformly on the first
// `data_fraction` of [0, n) (the hot set), the rest uniformly on the others.
class HotspotGenerator {
 public:
  HotspotGenerator(uint64_t n, double data_fraction, double opn_fraction, uint64_t seed) noexcept
      : n_(n),
        hot_(std::max<uint64_t>(1, static_cast<uint64_t>(static_cast<double>(n) * data_fraction))),
        opn_fraction_(opn_fraction),
        rng_(seed) {
    if (hot_ > n_) hot_ = n_;
  }
  uint64_t Next() noexcept {
    if (hot_ == n_ || rng_.NextDouble() < opn_fraction_) return rng_.Below(hot_);
    return hot_ + rng_.Below(n_ - hot_);
  }
  uint64_t hot() const noexcept { return hot_; }

 private:
  uint64_t n_, hot_;
  double opn_fraction_;
  Xoshiro256 rng_;
};

// Fixed-width key names ("user0000000042") so keys sort like their numbers; pre-generate them
// outside timed regions.
std::string KeyName(std::string_view prefix, uint64_t i, int width = 12);
std::vector<std::string> KeyNames(std::string_view prefix, uint64_t n, int width = 12);

}  // namespace statelab::workloads
