#include "engines/api/types.h"

#include <chrono>
#include <cstring>
#include <random>

namespace statelab {

TimestampUs NowMicros() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view TagName(Tag t) noexcept {
  switch (t) {
    case Tag::kKv: return "kv";
    case Tag::kEvent: return "event";
    case Tag::kState: return "state";
    case Tag::kTrace: return "trace";
    case Tag::kRun: return "run";
    case Tag::kJson: return "json";
    case Tag::kVector: return "vector";
    case Tag::kVectorConfig: return "vector_config";
    case Tag::kSearch: return "search";
  }
  return "unknown";
}

RunId RunId::Random() noexcept {
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   static_cast<uint64_t>(NowMicros())};
  RunId id;
  uint64_t a = rng(), b = rng();
  std::memcpy(id.bytes.data(), &a, 8);
  std::memcpy(id.bytes.data() + 8, &b, 8);
  id.bytes[6] = (id.bytes[6] & 0x0f) | 0x40;  // version 4
  id.bytes[8] = (id.bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return id;
}

std::string RunId::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

Result<RunId> RunId::Parse(std::string_view text) {
  if (text.size() != 36) {
    return Status::InvalidArgument("run_id: expected 36-character UUID, got " +
                                   std::to_string(text.size()) + " characters");
  }
  RunId id;
  int n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return Status::InvalidArgument("run_id: expected '-' at position " + std::to_string(i));
      continue;
    }
    int v = (c >= '0' && c <= '9') ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return Status::InvalidArgument("run_id: bad hex digit at position " + std::to_string(i));
    id.bytes[n / 2] = static_cast<uint8_t>((id.bytes[n / 2] << 4) | v);
    ++n;
  }
  return id;
}

uint64_t RunId::Hash() const noexcept {
  uint64_t a, b;
  std::memcpy(&a, bytes.data(), 8);
  std::memcpy(&b, bytes.data() + 8, 8);
  uint64_t x = a ^ (b * 0x9E3779B97F4A7C15ull);
  x ^= x >> 30;  // splitmix64 finalizer
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace statelab

#include "engines/api/options.h"

namespace statelab {

std::string_view ModeName(DurabilityMode m) noexcept {
  switch (m) {
    case DurabilityMode::kInMemory: return "inmemory";
    case DurabilityMode::kBuffered: return "buffered";
    case DurabilityMode::kStrict: return "strict";
  }
  return "unknown";
}

Result<DurabilityMode> ParseMode(std::string_view name) {
  if (name == "inmemory") return DurabilityMode::kInMemory;
  if (name == "buffered") return DurabilityMode::kBuffered;
  if (name == "strict") return DurabilityMode::kStrict;
  return Status::InvalidArgument("mode: '" + std::string(name) +
                                 "' is not one of inmemory, buffered, strict");
}

std::string_view RecoveryPolicyName(RecoveryPolicy p) noexcept {
  switch (p) {
    case RecoveryPolicy::kStrict:
      return "strict";
    case RecoveryPolicy::kTruncateTail:
      return "truncate-tail";
    case RecoveryPolicy::kSkipCorrupt:
      return "skip-corrupt";
  }
  return "unknown";
}

Result<RecoveryPolicy> ParseRecoveryPolicy(std::string_view name) {
  for (RecoveryPolicy p :
       {RecoveryPolicy::kStrict, RecoveryPolicy::kTruncateTail, RecoveryPolicy::kSkipCorrupt}) {
    if (name == RecoveryPolicyName(p)) return p;
  }
  return Status::InvalidArgument("recovery: '" + std::string(name) +
                                 "' is not one of strict, truncate-tail, skip-corrupt");
}

}  // namespace statelab
