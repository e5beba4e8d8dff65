#pragma once
// Keys: (run, tag, user key bytes), encoded as run[16] | tag[1] | user bytes, so byte order of
// the encoding is the key order (run, then tag, then bytes). Key owns an encoding with inline
// storage for short user keys (no allocation); KeyBuf builds one on the stack for lookups.
// Thread-safety: value types.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engines/api/types.h"

namespace statelab {

inline constexpr size_t kKeyPrefixBytes = 17;  // run + tag

class Key {
 public:
  // User keys up to this size live inline; longer ones use the heap.
  static constexpr size_t kInlineUserBytes = 47;

  Key() noexcept = default;
  Key(const RunId& run, Tag tag, std::string_view user) { Assign(run, tag, user); }
  // From an encoded view (must be at least kKeyPrefixBytes long).
  explicit Key(std::string_view encoded) { AssignEncoded(encoded); }
  Key(const Key& o) { AssignEncoded(o.view()); }
  Key(Key&& o) noexcept { MoveFrom(o); }
  Key& operator=(const Key& o) {
    if (this != &o) AssignEncoded(o.view());
    return *this;
  }
  Key& operator=(Key&& o) noexcept {
    if (this != &o) {
      Free();
      MoveFrom(o);
    }
    return *this;
  }
  ~Key() { Free(); }

  void Assign(const RunId& run, Tag tag, std::string_view user) {
    char* p = Prepare(kKeyPrefixBytes + user.size());
    std::memcpy(p, run.bytes.data(), 16);
    p[16] = static_cast<char>(tag);
    if (!user.empty()) std::memcpy(p + kKeyPrefixBytes, user.data(), user.size());
  }
  void AssignEncoded(std::string_view enc) {
    char* p = Prepare(enc.size());
    if (!enc.empty()) std::memcpy(p, enc.data(), enc.size());
  }

  std::string_view view() const noexcept { return {data(), size_}; }
  RunId run() const noexcept {
    RunId r;
    std::memcpy(r.bytes.data(), data(), 16);
    return r;
  }
  Tag tag() const noexcept { return static_cast<Tag>(data()[16]); }
  std::string_view user_key() const noexcept { return view().substr(kKeyPrefixBytes); }
  size_t HeapBytes() const noexcept { return IsInline() ? 0 : size_; }

  friend bool operator==(const Key& a, const Key& b) noexcept { return a.view() == b.view(); }
  friend auto operator<=>(const Key& a, const Key& b) noexcept { return a.view() <=> b.view(); }

 private:
  static constexpr size_t kInlineBytes = kKeyPrefixBytes + kInlineUserBytes;
  bool IsInline() const noexcept { return size_ <= kInlineBytes; }
  const char* data() const noexcept { return IsInline() ? inline_ : heap_; }
  char* Prepare(size_t n) {
    if (n > kInlineBytes) {
      if (IsInline() || n > size_) {
        Free();
        heap_ = new char[n];
      }
    } else {
      Free();
    }
    size_ = static_cast<uint32_t>(n);
    return IsInline() ? inline_ : heap_;
  }
  void Free() noexcept {
    if (!IsInline()) delete[] heap_;
    size_ = 0;
  }
  void MoveFrom(Key& o) noexcept {
    size_ = o.size_;
    if (o.IsInline()) {
      std::memcpy(inline_, o.inline_, size_);
    } else {
      heap_ = o.heap_;
      o.size_ = 0;
    }
  }

  uint32_t size_ = 0;
  union {
    char inline_[kInlineBytes];
    char* heap_;
  };
};

// A stack buffer large enough for any valid key: lookups never allocate.
class KeyBuf {
 public:
  KeyBuf(const RunId& run, Tag tag, std::string_view user) noexcept {
    if (user.size() > kMaxUserKeyBytes) user = user.substr(0, kMaxUserKeyBytes);  // caller validates
    std::memcpy(buf_, run.bytes.data(), 16);
    buf_[16] = static_cast<char>(tag);
    std::memcpy(buf_ + kKeyPrefixBytes, user.data(), user.size());
    size_ = kKeyPrefixBytes + user.size();
  }
  std::string_view view() const noexcept { return {buf_, size_}; }

 private:
  char buf_[kKeyPrefixBytes + kMaxUserKeyBytes];
  size_t size_;
};

// Transparent comparator / hasher so maps keyed by Key accept string_view lookups.
struct KeyLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a < b; }
  bool operator()(const Key& a, const Key& b) const noexcept { return a.view() < b.view(); }
  bool operator()(const Key& a, std::string_view b) const noexcept { return a.view() < b; }
  bool operator()(std::string_view a, const Key& b) const noexcept { return a < b.view(); }
};

// Validates a user key against the limit: InvalidArgument names the field and the limit.
Status CheckUserKey(std::string_view field, std::string_view user_key);

}  // namespace statelab
