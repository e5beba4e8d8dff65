#pragma once
// RespParser: an incremental, zero-copy parser of client requests in RESP2 (docs/resp.md):
// arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", what every client library and
// redis-cli send) and inline commands ("PING\r\n", what telnet and `redis-cli --pipe` users type).
// Incremental: a request split across reads is resumed where the previous call stopped, never
// re-scanned from its start. Zero-copy: the arguments are views into the caller's buffer.
// Thread-safety: a RespParser belongs to one connection (one thread).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace statelab::resp {

// Checked while parsing, before the bytes they govern arrive, so a hostile length never makes
// the server allocate or wait for it.
struct RespLimits {
  size_t max_bulk_bytes = 16u << 20;         // one argument (= the engine's kMaxValueBytes)
  size_t max_args = 1u << 20;                // arguments of one request
  size_t max_inline_bytes = 64u << 10;       // one inline request line
  size_t max_request_bytes = 256ull << 20;   // one whole request
  bool unauthenticated = false;  // the errors say so (Redis's words for the limits below)
};

// Before AUTH, when the server has a password: Redis's limits for unauthenticated clients.
inline constexpr RespLimits kUnauthenticatedLimits{.max_bulk_bytes = 16u << 10,
                                                   .max_args = 10,
                                                   .max_inline_bytes = 64u << 10,
                                                   .max_request_bytes = 1u << 20,
                                                   .unauthenticated = true};

enum class ParseOutcome : uint8_t {
  kCommand,   // one request is complete: args(), consumed()
  kNeedMore,  // the request is incomplete: call again with more bytes
  kError,     // a protocol error: error(); the stream cannot be resynchronized, so close it
};

class RespParser {
 public:
  explicit RespParser(const RespLimits& limits = {}) : limits_(limits) {}
  // Between requests only (the server tightens them until the client has authenticated).
  void set_limits(const RespLimits& limits) { limits_ = limits; }

  // `data` holds the unconsumed input, starting at the first byte of the request being parsed;
  // each call passes the bytes of the previous call (possibly moved in memory) plus any that
  // arrived since. After kCommand the next call starts the next request at data[consumed()].
  ParseOutcome Parse(std::string_view data);

  // The complete request's arguments (views into the last `data`); empty for "*0\r\n" and blank
  // inline lines, which a server ignores.
  std::span<const std::string_view> args() const noexcept { return args_; }
  // Bytes of the complete request.
  size_t consumed() const noexcept { return consumed_; }
  // Why the last Parse returned kError, in the words Redis uses ("Protocol error: ...").
  std::string_view error() const noexcept { return error_; }

 private:
  ParseOutcome Fail(std::string_view why);
  // The end of the line starting at pos_ ("\r\n"), resuming the scan at scan_; npos if absent.
  size_t FindCrlf(std::string_view data);
  ParseOutcome ParseInline(std::string_view data);
  // Redis's sdssplitargs: words split at spaces, "..." with C escapes (\n, \xHH, ...), '...'
  // with \' only; a closing quote must end its word. Fills inline_args_; false when unbalanced.
  bool SplitInline(std::string_view line);
  ParseOutcome Complete(std::string_view data, size_t end);

  RespLimits limits_;
  // Progress within the current request (all offsets from its first byte).
  size_t pos_ = 0;              // first byte not yet consumed by a complete element
  size_t scan_ = 0;             // where the search for the next "\r\n" resumes
  int64_t want_args_ = -1;      // from the "*N" header; -1 before it is read
  int64_t bulk_len_ = -1;       // from the current "$N" header; -1 before it is read
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of complete arguments
  std::vector<std::string_view> args_;
  // An inline request's arguments, unquoted (copies: inline requests are typed, not hot).
  std::vector<std::string> inline_args_;
  size_t inline_n_ = 0;
  size_t consumed_ = 0;
  std::string error_;
};

}  // namespace statelab::resp
