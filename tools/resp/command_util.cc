#include "tools/resp/command_util.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace statelab::resp {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  const size_t first = s[0] == '-' ? 1 : 0;
  if (first >= s.size() || s[first] < '1' || s[first] > '9') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseLongDouble(std::string_view s, long double* out) {
  constexpr size_t kMaxChars = size_t{5} * 1024;  // Redis's MAX_LONG_DOUBLE_CHARS
  if (s.empty() || s.size() >= kMaxChars || std::isspace(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  const std::string text(s);  // strtold needs the terminator
  char* end = nullptr;
  errno = 0;
  const long double v = std::strtold(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isnan(v)) return false;
  if (errno == ERANGE && !std::isinf(v) && v != 0) return false;
  *out = v;
  return true;
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024 + 32];
  int len = std::snprintf(buf, sizeof buf, "%.17Lf", v);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof buf) return "0";
  std::string s(buf, static_cast<size_t>(len));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one non-'*' token of the pattern at p against c; *len is the token's length.
bool MatchOne(std::string_view p, char c, bool nocase, size_t* len) {
  c = Fold(c, nocase);
  if (p[0] == '?') {
    *len = 1;
    return true;
  }
  if (p[0] == '\\' && p.size() >= 2) {
    *len = 2;
    return Fold(p[1], nocase) == c;
  }
  if (p[0] != '[') {
    *len = 1;
    return Fold(p[0], nocase) == c;
  }
  size_t i = 1;
  const bool negate = i < p.size() && p[i] == '^';
  if (negate) ++i;
  bool match = false;
  for (; i < p.size() && p[i] != ']'; ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      ++i;
      match |= Fold(p[i], nocase) == c;
    } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      char lo = Fold(p[i], nocase), hi = Fold(p[i + 2], nocase);
      if (lo > hi) std::swap(lo, hi);
      match |= c >= lo && c <= hi;
      i += 2;
    } else {
      match |= Fold(p[i], nocase) == c;
    }
  }
  *len = std::min(i + 1, p.size());  // an unterminated class runs to the end, as in Redis
  return negate ? !match : match;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase) {
  // The two-pointer wildcard match: only the last '*' is ever backtracked to, so a pattern
  // like "a*a*a*...b" costs O(pattern * string), not an exponential search.
  size_t p = 0, i = 0;
  size_t star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    size_t len = 0;
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_i = i;
    } else if (p < pattern.size() && MatchOne(pattern.substr(p), s[i], nocase, &len)) {
      p += len;
      ++i;
    } else if (star_p != std::string_view::npos) {
      p = star_p;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool StringOf(const Value& v, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    *out = *s;
  } else if (const auto* b = std::get_if<Bytes>(&v)) {
    *out = b->data;
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    *out = std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    *out = std::string(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);
  } else {
    return false;
  }
  return true;
}

}  // namespace statelab::resp
