// Replacement global operator new/delete that count every allocation into the per-thread slots of
// harness/alloc_counter.h. Built as the OBJECT library `statelab_alloc_hooks` and linked only into
// the bench binary and the tests that check allocation counts, so every other binary keeps the
// normal allocator. Memory still comes from malloc/posix_memalign; only counting is added.

#include <cstdlib>
#include <new>

#include "harness/alloc_counter.h"

namespace {

namespace h = statelab::harness::internal;

// Runs during static initialization of any binary that links this object.
[[maybe_unused]] const bool kInstalled = (h::MarkHooksInstalled(), true);

void* AllocOrNull(std::size_t size) noexcept {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p != nullptr) h::CountAlloc(size);
  return p;
}

void* AlignedAllocOrNull(std::size_t size, std::align_val_t align) noexcept {
  std::size_t alignment = static_cast<std::size_t>(align);
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, alignment, size == 0 ? 1 : size) != 0) return nullptr;
  h::CountAlloc(size);
  return p;
}

// The standard's contract for throwing new: call the new_handler until it succeeds or throws.
void* AllocOrThrow(std::size_t size) {
  for (;;) {
    if (void* p = AllocOrNull(size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AlignedAllocOrThrow(std::size_t size, std::align_val_t align) {
  for (;;) {
    if (void* p = AlignedAllocOrNull(size, align)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void Free(void* p) noexcept {
  if (p == nullptr) return;
  h::CountFree();
  std::free(p);
}

}  // namespace

// Plain.
void* operator new(std::size_t size) { return AllocOrThrow(size); }
void* operator new[](std::size_t size) { return AllocOrThrow(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return AllocOrNull(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return AllocOrNull(size); }

// Over-aligned.
void* operator new(std::size_t size, std::align_val_t al) { return AlignedAllocOrThrow(size, al); }
void* operator new[](std::size_t size, std::align_val_t al) {
  return AlignedAllocOrThrow(size, al);
}
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return AlignedAllocOrNull(size, al);
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return AlignedAllocOrNull(size, al);
}

// Every delete form frees with free(): both malloc and posix_memalign memory go back that way.
void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete(void* p, std::size_t) noexcept { Free(p); }
void operator delete[](void* p, std::size_t) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
