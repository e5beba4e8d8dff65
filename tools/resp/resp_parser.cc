#include "tools/resp/resp_parser.h"

#include <algorithm>

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
      if (data[pos_] != '$') return Fail("Protocol error: expected '$'");
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
  const size_t line_end = nl > 0 && data[nl - 1] == '\r' ? nl - 1 : nl;
  size_t i = 0;
  while (i < line_end) {
    while (i < line_end && (data[i] == ' ' || data[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line_end && data[i] != ' ' && data[i] != '\t') ++i;
    if (i > start) {
      if (spans_.size() == limits_.max_args) return Fail("Protocol error: invalid multibulk length");
      spans_.emplace_back(start, i - start);
    }
  }
  return Complete(data, nl + 1);
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
