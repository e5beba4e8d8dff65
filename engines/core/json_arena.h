#pragma once
// json_doc::Arena: a memory resource for JSON values that a hot path decodes again and again into
// the same place (an event read into a reused buffer). It bumps through one block; what does not
// fit goes to overflow blocks, and the next Reset frees them and grows the block to the round's
// total, so a reader whose values keep their size allocates nothing after its first reads.
// Deallocation is a no-op: memory comes back only at Reset.
//
// Thread-safety: none; one owner thread.

#include <boost/json/memory_resource.hpp>
#include <boost/json/storage_ptr.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace statelab::json_doc {

class Arena final : public boost::json::memory_resource {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Non-owning: values using it must not outlive the arena or the next Reset.
  boost::json::storage_ptr storage() noexcept { return boost::json::storage_ptr(this); }
  // Takes back everything handed out; values still using it must be destroyed or cleared first.
  void Reset();
  size_t capacity() const noexcept { return size_; }

 private:
  void* do_allocate(size_t bytes, size_t align) override;
  void do_deallocate(void*, size_t, size_t) override {}
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }

  std::unique_ptr<std::byte[]> block_;
  size_t size_ = 0;
  size_t used_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> overflow_;
  size_t overflow_bytes_ = 0;
};

}  // namespace statelab::json_doc
