#include "engines/core/json_arena.h"

#include <algorithm>
#include <bit>
#include <cstdint>

namespace statelab::json_doc {

void Arena::Reset() {
  if (!overflow_.empty()) {
    size_ = std::bit_ceil(std::max<size_t>(used_ + overflow_bytes_, 256));
    block_ = std::make_unique<std::byte[]>(size_);
    overflow_.clear();
    overflow_bytes_ = 0;
  }
  used_ = 0;
}

void* Arena::do_allocate(size_t bytes, size_t align) {
  const auto base = reinterpret_cast<uintptr_t>(block_.get());
  const size_t start = (base + used_ + align - 1) / align * align - base;
  if (block_ != nullptr && start + bytes <= size_) {
    used_ = start + bytes;
    return block_.get() + start;
  }
  overflow_.push_back(std::make_unique<std::byte[]>(bytes + align));
  overflow_bytes_ += bytes + align;
  std::byte* const raw = overflow_.back().get();
  const auto p = reinterpret_cast<uintptr_t>(raw);
  return raw + ((p + align - 1) / align * align - p);
}

}  // namespace statelab::json_doc
