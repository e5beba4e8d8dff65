#pragma once
// The binary codec shared by the WAL and snapshots: little-endian fixed-width integers,
// length-prefixed byte strings, and Value <-> bytes (JSON documents in a compact binary form that
// keeps int64 / uint64 / double apart). Layouts: docs/wal_format.md ("Values").
// Decoding never trusts its input (it is fuzzed): every read is bounds-checked and a failure
// leaves the Reader failed instead of crashing.
// Thread-safety: pure functions; a Reader belongs to one thread.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engines/api/value.h"

namespace statelab::codec {

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}
inline void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}
// u32 length, then the bytes.
inline void PutBytes(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
// One unaligned load on little-endian hosts (GCC does not merge the byte loop into a load, and
// replay decodes several of these per record); the byte loop elsewhere.
template <class T>
inline T LoadLittle(const char* p) {
  T v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof v);
  } else {
    for (int i = sizeof(T) - 1; i >= 0; --i) v = static_cast<T>(v << 8) | static_cast<uint8_t>(p[i]);
  }
  return v;
}
inline uint32_t LoadU32(const char* p) { return LoadLittle<uint32_t>(p); }
inline uint64_t LoadU64(const char* p) { return LoadLittle<uint64_t>(p); }
inline void StoreU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

// Sequential bounds-checked reader. After the first failed read every read fails.
class Reader {
 public:
  explicit Reader(std::string_view in) noexcept : in_(in) {}
  bool ok() const noexcept { return ok_; }
  size_t remaining() const noexcept { return in_.size(); }
  bool U8(uint8_t* v) noexcept {
    if (!Need(1)) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) noexcept {
    if (!Need(4)) return false;
    *v = LoadU32(in_.data());
    in_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) noexcept {
    if (!Need(8)) return false;
    *v = LoadU64(in_.data());
    in_.remove_prefix(8);
    return true;
  }
  bool I64(int64_t* v) noexcept {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Raw(size_t n, std::string_view* v) noexcept {
    if (!Need(n)) return false;
    *v = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Bytes(std::string_view* v) noexcept {
    uint32_t n;
    return U32(&n) && Raw(n, v);
  }
  bool Fail() noexcept { return ok_ = false; }

 private:
  bool Need(size_t n) noexcept {
    if (!ok_ || in_.size() < n) return ok_ = false;
    return true;
  }
  std::string_view in_;
  bool ok_ = true;
};

// u8 ValueType, then the payload (docs/wal_format.md, "Values").
void EncodeValue(const Value& v, std::string* out);
bool DecodeValue(Reader& r, Value* out);

}  // namespace statelab::codec
