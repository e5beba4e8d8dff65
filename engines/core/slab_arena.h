#pragma once
// SlabArena: the node storage of one partition's maps (hash nodes, B-tree nodes). Small blocks
// are carved from 64 KiB slabs, so loading or replaying a key costs no malloc of its own and no
// malloc header (docs/performance.md, "Memory per key"). A freed block goes to the free list of
// its 16-byte size class and is reused by the next block of that class; slabs go back only when
// the arena is destroyed (the engines never erase a key, so freed blocks are rare: B-tree nodes
// of a growing root). Blocks above kMaxBlock (hash tables' slot arrays) use operator new.
// ArenaAllocator<T> is the standard allocator over an arena.
// Thread-safety: none; the owner serialises every allocation and free (its exclusive lock or its
// owner thread), and the arena must outlive every container that uses it.

#include <cstddef>
#include <new>
#include <type_traits>
#include <vector>

namespace statelab {

class SlabArena {
 public:
  static constexpr size_t kSlabBytes = size_t{64} << 10;
  static constexpr size_t kGranule = 16;
  static constexpr size_t kMaxBlock = 1024;

  SlabArena() = default;
  SlabArena(const SlabArena&) = delete;
  SlabArena& operator=(const SlabArena&) = delete;
  ~SlabArena() {
    for (std::byte* s : slabs_) ::operator delete(s);
  }

  void* Allocate(size_t bytes, size_t align) {
    if (!Pooled(bytes, align)) return ::operator new(bytes, std::align_val_t{align});
    const size_t cls = Class(bytes);
    if (FreeBlock* b = free_[cls]) {
      free_[cls] = b->next;
      return b;
    }
    const size_t n = cls * kGranule;
    if (static_cast<size_t>(end_ - cur_) < n) NewSlab();
    void* p = cur_;
    cur_ += n;
    return p;
  }
  void Deallocate(void* p, size_t bytes, size_t align) noexcept {
    if (!Pooled(bytes, align)) {
      ::operator delete(p, std::align_val_t{align});
      return;
    }
    const size_t cls = Class(bytes);
    free_[cls] = new (p) FreeBlock{free_[cls]};
  }

  // Bytes held in slabs (used, free-listed and not yet carved).
  size_t slab_bytes() const noexcept { return slabs_.size() * kSlabBytes; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static bool Pooled(size_t bytes, size_t align) noexcept {
    return bytes <= kMaxBlock && align <= kGranule;
  }
  static size_t Class(size_t bytes) noexcept {
    return bytes == 0 ? 1 : (bytes + kGranule - 1) / kGranule;
  }
  void NewSlab() {
    slabs_.push_back(static_cast<std::byte*>(::operator new(kSlabBytes)));
    cur_ = slabs_.back();
    end_ = cur_ + kSlabBytes;
  }

  std::byte* cur_ = nullptr;
  std::byte* end_ = nullptr;
  FreeBlock* free_[kMaxBlock / kGranule + 1] = {};
  std::vector<std::byte*> slabs_;
};

template <class T>
class ArenaAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;

  explicit ArenaAllocator(SlabArena* arena) noexcept : arena_(arena) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& o) noexcept : arena_(o.arena()) {}  // NOLINT: rebind

  T* allocate(size_t n) { return static_cast<T*>(arena_->Allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, size_t n) noexcept { arena_->Deallocate(p, n * sizeof(T), alignof(T)); }
  SlabArena* arena() const noexcept { return arena_; }

  template <class U>
  friend bool operator==(const ArenaAllocator& a, const ArenaAllocator<U>& b) noexcept {
    return a.arena_ == b.arena();
  }

 private:
  SlabArena* arena_;
};

}  // namespace statelab
