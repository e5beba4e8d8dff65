#pragma once
// Status and Result<T>: the error vocabulary of statelab. No exceptions on hot paths.
// OK and the common codes (NotFound, Conflict, ShuttingDown, ...) carry no heap message, so a miss
// never allocates. Result<T> is shaped like std::expected so C++23 can alias it later.
// Thread-safety: value types; distinct objects may be used from different threads.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace statelab {

enum class Code : uint8_t {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kConflict,           // retryable
  kVersionMismatch,    // a = expected, b = actual
  kInvalidArgument,    // message names the field and the limit
  kInvalidTransition,  // message "from -> to"
  kDimensionMismatch,  // a = expected, b = got
  kIOError,
  kCorruption,  // message = file, a = offset
  kShuttingDown,
};

std::string_view CodeName(Code c) noexcept;  // "not_found", "conflict", ... (snake_case, stable)

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(const Status& o) : code_(o.code_), has_sequence_(o.has_sequence_), a_(o.a_), b_(o.b_) {
    if (o.msg_) msg_ = std::make_unique<std::string>(*o.msg_);
  }
  Status& operator=(const Status& o) {
    if (this != &o) *this = Status(o);
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() noexcept { return Status(); }
  static Status NotFound() noexcept { return Status(Code::kNotFound); }
  // NotFound of a numbered item (an event's sequence): a() holds the number, still no heap
  // message, so the edges (shell, server) can name what was missing without the miss allocating.
  static Status NotFoundSequence(uint64_t sequence) noexcept {
    Status s(Code::kNotFound, {}, sequence, 0);
    s.has_sequence_ = true;
    return s;
  }
  static Status AlreadyExists(std::string_view what = {}) {
    return Status(Code::kAlreadyExists, what);
  }
  static Status Conflict() noexcept { return Status(Code::kConflict); }
  // The conflict a transaction driver returns when it gives up: after `attempts` attempts, the
  // first `elapsed_us` microseconds after it started (still no heap message).
  static Status ConflictGaveUp(uint64_t attempts, uint64_t elapsed_us) noexcept {
    return Status(Code::kConflict, {}, attempts, elapsed_us);
  }
  static Status VersionMismatch(uint64_t expected, uint64_t actual) noexcept {
    return Status(Code::kVersionMismatch, {}, expected, actual);
  }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status InvalidTransition(std::string_view from, std::string_view to) {
    return Status(Code::kInvalidTransition, std::string(from) + " -> " + std::string(to));
  }
  static Status DimensionMismatch(uint64_t expected, uint64_t got) noexcept {
    return Status(Code::kDimensionMismatch, {}, expected, got);
  }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Corruption(std::string_view file, uint64_t offset) {
    return Status(Code::kCorruption, file, offset, 0);
  }
  static Status ShuttingDown() noexcept { return Status(Code::kShuttingDown); }

  bool ok() const noexcept { return code_ == Code::kOk; }
  Code code() const noexcept { return code_; }
  bool IsNotFound() const noexcept { return code_ == Code::kNotFound; }
  bool IsConflict() const noexcept { return code_ == Code::kConflict; }
  // NotFoundSequence: whether a() holds the missing sequence.
  bool has_sequence() const noexcept { return has_sequence_; }
  // VersionMismatch: expected/actual. DimensionMismatch: expected/got. Corruption: offset in a().
  // Conflict: attempts/elapsed microseconds when a driver gave up (0/0 for one commit's).
  uint64_t a() const noexcept { return a_; }
  uint64_t b() const noexcept { return b_; }
  std::string_view message() const noexcept {
    return msg_ ? std::string_view(*msg_) : std::string_view();
  }
  std::string ToString() const;  // "invalid_argument: key: 2000 bytes exceeds limit 1024"

 private:
  explicit Status(Code c) noexcept : code_(c) {}
  Status(Code c, std::string_view msg, uint64_t a = 0, uint64_t b = 0) : code_(c), a_(a), b_(b) {
    if (!msg.empty()) msg_ = std::make_unique<std::string>(msg);
  }

  Code code_ = Code::kOk;
  bool has_sequence_ = false;  // in the padding after code_: Status keeps its size
  uint64_t a_ = 0;
  uint64_t b_ = 0;
  std::unique_ptr<std::string> msg_;  // only for codes that need words; never for a miss
};

// Result<T>: either a T or a non-OK Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}       // NOLINT: implicit like expected
  Result(Status s) : v_(std::in_place_index<1>, std::move(s)) {}  // NOLINT: must not be OK

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  bool ok() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; Status::OK() when a value is held.
  Status status() const { return has_value() ? Status::OK() : std::get<1>(v_); }
  const Status& error() const& { return std::get<1>(v_); }
  Status&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Status> v_;
};

#define STATELAB_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::statelab::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)

#define STATELAB_CONCAT_INNER(a, b) a##b
#define STATELAB_CONCAT(a, b) STATELAB_CONCAT_INNER(a, b)
// `tmp` is the name of the local this declares and `lhs` may itself be a declaration
// (`const T x`): neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define STATELAB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.has_value()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
#define STATELAB_ASSIGN_OR_RETURN(lhs, expr) \
  STATELAB_ASSIGN_OR_RETURN_IMPL(STATELAB_CONCAT(_res_, __LINE__), lhs, expr)

}  // namespace statelab
