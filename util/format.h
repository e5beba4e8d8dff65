#pragma once
// Number formatting for human-readable outputs (markdown). JSON outputs keep raw numbers.
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace statelab::util {

// Plain number with a precision that suits its magnitude: 12345 -> "12345", 123.4 -> "123.4",
// 1.234 -> "1.23", 0.00123 -> "0.00123". Used in tables whose header carries the unit.
std::string FormatNumber(double v);

// Nanoseconds with a readable unit: 850 -> "850 ns", 2100 -> "2.1 µs", 2.1e6 -> "2.1 ms".
std::string FormatNs(double ns);

// A value in a gate unit ("ns", "ms", "ops_per_sec", "ratio", "allocs_per_op", ...).
std::string FormatValue(double v, std::string_view unit);

// Signed percentage: 12.345 -> "+12.3%".
std::string FormatPct(double pct);

// "n/a" for a missing value, else FormatNumber.
std::string FormatOpt(const std::optional<double>& v);

// p-value: 0.00794 -> "0.0079", 1e-7 -> "<0.0001".
std::string FormatP(double p);

}  // namespace statelab::util
