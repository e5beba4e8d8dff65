#include "tools/resp/resp_parser.h"

#include <algorithm>
#include <string>

namespace statelab::resp {
namespace {

// "*N" and "$N" header lines are short; a longer one without "\r\n" is garbage, not a slow client.
constexpr size_t kMaxHeaderBytes = 32;

// A decimal integer, optionally negative, with no other characters.
bool ParseInt(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) return false;  // 18 digits cannot overflow int64
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

}  // namespace

ParseOutcome RespParser::Fail(std::string_view why) {
  error_ = why;
  return ParseOutcome::kError;
}

size_t RespParser::FindCrlf(std::string_view data) {
  const size_t at = data.find("\r\n", scan_);
  // Next time, resume at the last byte: it may be the '\r' of a "\r\n" split across reads.
  if (at == std::string_view::npos) scan_ = std::max(scan_, data.size() > 0 ? data.size() - 1 : 0);
  return at;
}

ParseOutcome RespParser::Parse(std::string_view data) {
  args_.clear();
  consumed_ = 0;
  if (want_args_ < 0) {
    if (data.empty()) return ParseOutcome::kNeedMore;
    if (data[0] != '*') return ParseInline(data);
    const size_t end = FindCrlf(data);
    if (end == std::string_view::npos) {
      if (data.size() > kMaxHeaderBytes) return Fail("Protocol error: invalid multibulk length");
      return ParseOutcome::kNeedMore;
    }
    int64_t n = 0;
    if (!ParseInt(data.substr(1, end - 1), &n) || n > static_cast<int64_t>(limits_.max_args)) {
      return Fail(limits_.unauthenticated ? "Protocol error: unauthenticated multibulk length"
                                          : "Protocol error: invalid multibulk length");
    }
    pos_ = scan_ = end + 2;
    if (n <= 0) return Complete(data, pos_);  // "*0" and "*-1": nothing to run
    want_args_ = n;
    spans_.reserve(std::min<size_t>(static_cast<size_t>(n), 1024));
  }
  while (spans_.size() < static_cast<size_t>(want_args_)) {
    if (bulk_len_ < 0) {
      if (pos_ >= data.size()) return ParseOutcome::kNeedMore;
      if (data[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + data[pos_] + "'");
      }
      const size_t end = FindCrlf(data);
      if (end == std::string_view::npos) {
        if (data.size() - pos_ > kMaxHeaderBytes) return Fail("Protocol error: invalid bulk length");
        return ParseOutcome::kNeedMore;
      }
      int64_t len = 0;
      if (!ParseInt(data.substr(pos_ + 1, end - pos_ - 1), &len) || len < 0 ||
          static_cast<size_t>(len) > limits_.max_bulk_bytes) {
        return Fail(limits_.unauthenticated ? "Protocol error: unauthenticated bulk length"
                                            : "Protocol error: invalid bulk length");
      }
      if (end + 2 + static_cast<size_t>(len) + 2 > limits_.max_request_bytes) {
        return Fail("Protocol error: request too large");
      }
      bulk_len_ = len;
      pos_ = scan_ = end + 2;
    }
    const size_t len = static_cast<size_t>(bulk_len_);
    if (data.size() < pos_ + len + 2) return ParseOutcome::kNeedMore;
    if (data[pos_ + len] != '\r' || data[pos_ + len + 1] != '\n') {
      return Fail("Protocol error: bulk string not terminated by CRLF");
    }
    spans_.emplace_back(pos_, len);
    pos_ = scan_ = pos_ + len + 2;
    bulk_len_ = -1;
  }
  return Complete(data, pos_);
}

ParseOutcome RespParser::ParseInline(std::string_view data) {
  const size_t nl = data.find('\n', scan_);
  if (nl == std::string_view::npos) {
    if (data.size() > limits_.max_inline_bytes) {
      return Fail("Protocol error: too big inline request");
    }
    scan_ = data.size();
    return ParseOutcome::kNeedMore;
  }
  if (nl > limits_.max_inline_bytes) return Fail("Protocol error: too big inline request");
  std::string_view line = data.substr(0, nl > 0 && data[nl - 1] == '\r' ? nl - 1 : nl);
  line = line.substr(0, line.find('\0'));  // Redis reads the line as a C string
  if (!SplitInline(line)) return Fail("Protocol error: unbalanced quotes in request");
  if (inline_n_ > limits_.max_args) return Fail("Protocol error: invalid multibulk length");
  args_.assign(inline_args_.begin(), inline_args_.begin() + static_cast<ptrdiff_t>(inline_n_));
  consumed_ = nl + 1;
  pos_ = scan_ = 0;
  return ParseOutcome::kCommand;
}

namespace {
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool RespParser::SplitInline(std::string_view line) {
  inline_n_ = 0;
  size_t i = 0;
  const size_t n = line.size();
  auto at = [&](size_t k) { return k < n ? line[k] : '\0'; };
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i == n) return true;
    if (inline_n_ == inline_args_.size()) inline_args_.emplace_back();
    std::string& arg = inline_args_[inline_n_++];
    arg.clear();
    bool in_double = false, in_single = false;
    for (bool done = false; !done; ++i) {
      const char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && HexValue(at(i + 2)) >= 0 && HexValue(at(i + 3)) >= 0) {
          arg.push_back(static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3))));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          const char e = line[++i];
          arg.push_back(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b'
                        : e == 'a' ? '\a' : e);
        } else if (c == '"') {
          // The closing quote must end the argument.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else if (i >= n) {
          return false;  // unterminated quotes
        } else {
          arg.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          arg.push_back('\'');
          ++i;
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else if (i >= n) {
          return false;
        } else {
          arg.push_back(c);
        }
      } else if (i >= n || IsSpace(c)) {
        done = true;
      } else if (c == '"') {
        in_double = true;
      } else if (c == '\'') {
        in_single = true;
      } else {
        arg.push_back(c);
      }
    }
    if (i > n) i = n;
  }
}

ParseOutcome RespParser::Complete(std::string_view data, size_t end) {
  args_.reserve(spans_.size());
  for (const auto& [offset, len] : spans_) args_.push_back(data.substr(offset, len));
  consumed_ = end;
  pos_ = scan_ = 0;
  want_args_ = bulk_len_ = -1;
  spans_.clear();
  return ParseOutcome::kCommand;
}

}  // namespace statelab::resp
