#include "util/format.h"

#include <cmath>
#include <cstdio>

namespace statelab::util {

namespace {

std::string Printf(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// Up to three significant digits, trailing zeros removed ("2.10" -> "2.1").
std::string Short(double v) {
  std::string s;
  const double a = std::fabs(v);
  if (a >= 100) {
    s = Printf("%.0f", v);
  } else if (a >= 10) {
    s = Printf("%.1f", v);
  } else {
    s = Printf("%.2f", v);
  }
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace

std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return "n/a";
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 100) return Printf("%.0f", v);
  if (a >= 10) return Printf("%.1f", v);
  if (a >= 0.01) return Printf("%.2f", v);
  return Printf("%.3g", v);
}

std::string FormatNs(double ns) {
  if (!std::isfinite(ns)) return "n/a";
  const double a = std::fabs(ns);
  if (a >= 1e9) return Short(ns / 1e9) + " s";
  if (a >= 1e6) return Short(ns / 1e6) + " ms";
  if (a >= 1e3) return Short(ns / 1e3) + " µs";
  return Short(ns) + " ns";
}

std::string FormatValue(double v, std::string_view unit) {
  if (!std::isfinite(v)) return "n/a";
  if (unit == "ns") return FormatNs(v);
  if (unit == "ms") return FormatNs(v * 1e6);
  if (unit == "ops_per_sec") {
    const double a = std::fabs(v);
    if (a >= 1e6) return Short(v / 1e6) + "M ops/s";
    if (a >= 1e3) return Short(v / 1e3) + "K ops/s";
    return Short(v) + " ops/s";
  }
  if (unit == "ratio") return Short(v) + "x";
  if (unit == "allocs_per_op") return FormatNumber(v) + " allocs/op";
  if (unit == "bytes") return FormatNumber(v) + " B";
  if (unit.empty()) return FormatNumber(v);
  return FormatNumber(v) + " " + std::string(unit);
}

std::string FormatPct(double pct) {
  if (!std::isfinite(pct)) return "n/a";
  return Printf("%+.1f%%", pct);
}

std::string FormatOpt(const std::optional<double>& v) {
  return v.has_value() ? FormatNumber(*v) : "n/a";
}

std::string FormatP(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 0.0001) return "<0.0001";
  return Printf("%.4f", p);
}

}  // namespace statelab::util
