#include "harness/baseline.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "harness/histogram.h"
#include "util/stats.h"

namespace statelab::harness {

std::string ParamText(const ParamValue& value) {
  if (const std::string* s = std::get_if<std::string>(&value)) return *s;
  const double d = std::get<double>(value);
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, end);
}

std::string ParamsText(const Params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += ',';
    out += key + "=" + ParamText(value);
  }
  return out;
}

Result<Stats> ComputeStats(std::span<const Repetition> reps) {
  if (reps.empty()) return Status::InvalidArgument("ComputeStats: no repetitions");
  std::vector<double> v;
  v.reserve(reps.size());
  for (const Repetition& r : reps) v.push_back(r.ns_per_op);
  Stats s;
  double sum = 0;
  for (double x : v) sum += x;
  const double n = static_cast<double>(v.size());
  s.mean_ns = sum / n;
  s.min_ns = *std::min_element(v.begin(), v.end());
  s.max_ns = *std::max_element(v.begin(), v.end());
  s.median_ns = *util::Median(v);
  if (v.size() >= 2) {
    double sq = 0;
    for (double x : v) sq += (x - s.mean_ns) * (x - s.mean_ns);
    s.stddev_ns = std::sqrt(sq / (n - 1));
    if (s.mean_ns != 0) s.cv = *s.stddev_ns / s.mean_ns;
  }
  return s;
}

std::optional<Latency> LatencyFromHistogram(const Histogram& h, double timer_overhead_ns) {
  if (h.Count() == 0) return std::nullopt;
  Latency l;
  for (const LatencyPercentile& p : kLatencyPercentiles) {
    if (std::string why = TooFewSamplesReason(h.Count(), p.q); !why.empty()) {
      l.percentile_notes[std::string(p.name)] = std::move(why);
    } else {
      l.*p.field = static_cast<double>(h.Percentile(p.q));
    }
  }
  l.max_ns = static_cast<double>(h.Max());
  l.samples = static_cast<int64_t>(h.Count());
  l.timer_overhead_ns = timer_overhead_ns;
  return l;
}

}  // namespace statelab::harness
