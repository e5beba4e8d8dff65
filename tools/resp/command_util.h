#pragma once
// What the command files of `statelab serve` share: Redis's argument syntax (case-insensitive
// words, its integer and float parsing, glob patterns) and the conversion of stored values to
// Redis strings. Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "engines/api/value.h"

namespace statelab::resp {

inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

bool EqualsNoCase(std::string_view a, std::string_view b);
std::string Lower(std::string_view s);
// Redis's string2ll: optional '-', no leading zeros ("01", "-0" refused), no spaces, no '+'.
bool ParseInt64(std::string_view s, int64_t* out);
// Redis's string2ld: strtold over the whole argument, no leading space, no NaN.
bool ParseLongDouble(std::string_view s, long double* out);
// Redis's LD_STR_HUMAN: "%.17Lf" without trailing zeros (and without a trailing '.').
std::string FormatLongDouble(long double v);
// Redis's stringmatchlen: '*', '?', '[...]' (with '^' and ranges) and '\' escapes.
bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase = false);
// The Redis string of a stored value: strings and bytes as they are, numbers in decimal. False
// for the kinds Redis strings cannot hold (null, bool, JSON written through the JSON shell).
bool StringOf(const Value& v, std::string* out);

}  // namespace statelab::resp
