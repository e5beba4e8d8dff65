#include "harness/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <memory>

namespace statelab::harness {
namespace {

constexpr int kSubBuckets = 1 << Histogram::kSubBucketBits;  // 128 per power of two.
constexpr int kLinearLimit = 2 * kSubBuckets;                // 0..255 are exact.
constexpr int kFirstLogExponent = Histogram::kSubBucketBits + 1;
constexpr int kLastExponent = 39;  // kMaxTrackableNs < 2^40.
constexpr int kBucketCount = kLinearLimit + (kLastExponent - kFirstLogExponent + 1) * kSubBuckets;

}  // namespace

uint64_t MinSamplesForPercentile(double q) {
  if (!(q > 0.0) || q >= 100.0) return 1;
  // 100 - 99.9 is not exactly 0.1: round away the last bits before the ceiling.
  const double n = static_cast<double>(kMinTailSamples) * 100.0 / (100.0 - q);
  return static_cast<uint64_t>(std::ceil(n - 1e-6 * n));
}

std::string PercentileLabel(double q) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", q);
  return buf;
}

std::string TooFewSamplesReason(uint64_t samples, double q) {
  const uint64_t need = MinSamplesForPercentile(q);
  if (samples >= need) return "";
  return std::to_string(samples) + " samples; " + PercentileLabel(q) +
         " needs >= " + std::to_string(need) + " (" + std::to_string(kMinTailSamples) +
         " at or beyond it)";
}

int Histogram::BucketCount() { return kBucketCount; }

int Histogram::BucketIndex(int64_t value_ns) {
  if (value_ns < kLinearLimit) return value_ns < 0 ? 0 : static_cast<int>(value_ns);
  const uint64_t v = static_cast<uint64_t>(std::min(value_ns, kMaxTrackableNs));
  const int exponent = 63 - std::countl_zero(v);  // >= kFirstLogExponent.
  const int shift = exponent - kSubBucketBits;
  const int sub = static_cast<int>(v >> shift) - kSubBuckets;  // 0..127.
  return kLinearLimit + (exponent - kFirstLogExponent) * kSubBuckets + sub;
}

int64_t Histogram::BucketLowest(int index) {
  if (index < kLinearLimit) return index;
  const int group = (index - kLinearLimit) / kSubBuckets;
  const int sub = (index - kLinearLimit) % kSubBuckets;
  const int shift = group + kFirstLogExponent - kSubBucketBits;
  return static_cast<int64_t>(kSubBuckets + sub) << shift;
}

int64_t Histogram::BucketWidth(int index) {
  if (index < kLinearLimit) return 1;
  const int group = (index - kLinearLimit) / kSubBuckets;
  return int64_t{1} << (group + kFirstLogExponent - kSubBucketBits);
}

Histogram::Histogram() : counts_(std::make_unique<uint64_t[]>(kBucketCount)) {}

Histogram::Histogram(const Histogram& other) : Histogram() { *this = other; }

Histogram& Histogram::operator=(const Histogram& other) {
  if (this == &other) return *this;
  if (!counts_) counts_ = std::make_unique<uint64_t[]>(kBucketCount);
  std::copy(other.counts_.get(), other.counts_.get() + kBucketCount, counts_.get());
  count_ = other.count_;
  min_ = other.min_;
  max_ = other.max_;
  sum_ = other.sum_;
  return *this;
}

void Histogram::RecordN(int64_t value_ns, uint64_t n) {
  if (n == 0) return;
  if (value_ns < 0) value_ns = 0;
  counts_[BucketIndex(value_ns)] += n;
  if (count_ == 0) {
    min_ = max_ = value_ns;
  } else {
    min_ = std::min(min_, value_ns);
    max_ = std::max(max_, value_ns);
  }
  count_ += n;
  sum_ += static_cast<double>(value_ns) * static_cast<double>(n);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.get(), counts_.get() + kBucketCount, 0);
  count_ = 0;
  min_ = max_ = 0;
  sum_ = 0.0;
}

int64_t Histogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0.0)) return min_;  // Also catches NaN.
  if (q >= 100.0) return max_;
  const double exact_rank = std::ceil(q / 100.0 * static_cast<double>(count_));
  const uint64_t rank =
      std::clamp<uint64_t>(static_cast<uint64_t>(exact_rank), uint64_t{1}, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int64_t mid = BucketLowest(i) + (BucketWidth(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace statelab::harness
