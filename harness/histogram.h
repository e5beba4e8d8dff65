#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace statelab::harness {

// A percentile is published only when at least kMinTailSamples samples lie at or beyond it, so it
// is not one stray sample: p50 needs 20 samples, p90 100, p99 1,000, p99.9 10,000
// (docs/baseline_schema.md). Fewer, and baseline.json writes null with the reason.
inline constexpr uint64_t kMinTailSamples = 10;
// Samples percentile `q` (in (0, 100)) needs to be published.
uint64_t MinSamplesForPercentile(double q);
// "p99.9" for 99.9.
std::string PercentileLabel(double q);
// "5 samples; p99.9 needs >= 10000 (10 at or beyond it)"; "" when `samples` are enough.
std::string TooFewSamplesReason(uint64_t samples, double q);

// Log-linear latency histogram in the spirit of HdrHistogram. Values below 256 ns are counted
// exactly; above, every power-of-two range [2^e, 2^(e+1)) is split into 128 equal buckets, so a
// bucket is at most 1/128 (0.78%) of its values wide and the reported midpoint is within 0.4%.
// Range: 0 .. kMaxTrackableNs (about 1.1e12 ns = 18 minutes); larger values land in the last bucket
// (Max() stays exact). All buckets are allocated by the constructor: Record() never allocates.
//
// Not thread-safe: one instance per thread, merged with Merge() after the phase (never a shared
// atomic histogram written by every thread). Cache-line aligned so per-thread instances stored side
// by side do not share a line.
class alignas(64) Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kMaxTrackableNs = (int64_t{1} << 40) - 1;

  Histogram();
  Histogram(const Histogram& other);
  Histogram& operator=(const Histogram& other);
  Histogram(Histogram&&) noexcept = default;
  Histogram& operator=(Histogram&&) noexcept = default;
  ~Histogram() = default;

  // Negative values (a clock step) are recorded as 0.
  void Record(int64_t value_ns) { RecordN(value_ns, 1); }
  void RecordN(int64_t value_ns, uint64_t n);

  // Adds every sample of `other` to this histogram.
  void Merge(const Histogram& other);
  void Reset();

  // Value at percentile `q` in [0, 100] (99.9 for p99.9): the midpoint of the bucket holding the
  // ceil(q/100 * Count())-th smallest sample, clamped to [Min(), Max()]. q <= 0 gives Min(),
  // q >= 100 gives Max(). 0 when empty (callers check Count() first).
  int64_t Percentile(double q) const;

  uint64_t Count() const { return count_; }
  int64_t Min() const { return count_ == 0 ? 0 : min_; }
  int64_t Max() const { return count_ == 0 ? 0 : max_; }
  // Exact mean of the recorded values (kept as a sum, not derived from buckets).
  double Mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

  static int BucketCount();
  // Bucket mapping, exposed for tests.
  static int BucketIndex(int64_t value_ns);
  static int64_t BucketLowest(int index);
  static int64_t BucketWidth(int index);

 private:
  std::unique_ptr<uint64_t[]> counts_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  // Sum in double: 2^53 ns of headroom per unit of rounding is ample for a mean.
  double sum_ = 0.0;
};

}  // namespace statelab::harness
