#pragma once
// Core vocabulary: RunId, primitive tags, versions, timestamps and the size limits.
// Thread-safety: value types and pure functions.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "engines/api/status.h"

namespace statelab {

// One global, monotonically increasing commit number. 0 means "never existed".
using Version = uint64_t;
// Microseconds since the Unix epoch, everywhere.
using TimestampUs = int64_t;
TimestampUs NowMicros() noexcept;
// A `now` not read from the clock yet. Reads take their attempt's `now` by reference and resolve it
// at the first entry that has an expiry, so a read of keys that never expire does not read the
// clock (a tenth of a facade get), and every TTL check of one attempt sees the same time.
inline constexpr TimestampUs kNowUnread = INT64_MIN;
inline TimestampUs ResolveNow(TimestampUs& now) noexcept {
  if (now == kNowUnread) [[unlikely]] now = NowMicros();
  return now;
}

inline constexpr size_t kMaxUserKeyBytes = 1024;
inline constexpr size_t kMaxValueBytes = 16u << 20;

// Primitive tags: one byte each, part of every key's order. Fixed forever; never reuse a value.
enum class Tag : uint8_t {
  kKv = 1,
  kEvent = 2,
  kState = 3,
  kTrace = 4,
  kRun = 5,
  kJson = 6,
  kVector = 7,
  kVectorConfig = 8,
  kSearch = 9,  // derived search index entries (rebuilt, never user-visible)
};
std::string_view TagName(Tag t) noexcept;  // "kv", "event", ...
inline constexpr Tag kAllTags[] = {Tag::kKv,     Tag::kEvent,        Tag::kState,
                                   Tag::kTrace,  Tag::kRun,          Tag::kJson,
                                   Tag::kVector, Tag::kVectorConfig, Tag::kSearch};

// 16-byte run identifier (UUID v4). The all-zero id is the reserved "meta" run of RunIndex.
struct RunId {
  std::array<uint8_t, 16> bytes{};

  static constexpr RunId Meta() noexcept { return RunId{}; }
  static RunId Random() noexcept;
  // Accepts the canonical 36-char UUID form (8-4-4-4-12 hex).
  static Result<RunId> Parse(std::string_view text);
  std::string ToString() const;
  bool IsMeta() const noexcept { return *this == RunId{}; }
  uint64_t Hash() const noexcept;  // well mixed; used for shard / owner routing

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 flags the 0 the defaulted <=> compares to
  friend auto operator<=>(const RunId&, const RunId&) = default;
  friend bool operator==(const RunId&, const RunId&) = default;
};

}  // namespace statelab
