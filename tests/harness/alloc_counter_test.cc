#include "harness/alloc_counter.h"

#include <gtest/gtest.h>

#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace statelab::harness {
namespace {

// Makes `p` escape so new/delete pairs cannot be elided (C++14 allows eliding them otherwise).
template <typename T>
void Escape(T* p) {
  asm volatile("" : : "g"(p) : "memory");
}

TEST(AllocCounterTest, HooksAreLinked) { EXPECT_TRUE(AllocCountingEnabled()); }

TEST(AllocCounterTest, ExactlyOneAllocPerOp) {
  constexpr uint64_t kOps = 10000;
  const AllocCounts before = ThreadAllocs();
  for (uint64_t i = 0; i < kOps; ++i) {
    auto* p = new uint64_t(i);
    Escape(p);
    delete p;
  }
  const AllocCounts delta = ThreadAllocs() - before;
  EXPECT_EQ(delta.allocs, kOps);
  EXPECT_EQ(delta.frees, kOps);
  EXPECT_EQ(delta.bytes_allocated, kOps * sizeof(uint64_t));
  ASSERT_TRUE(AllocsPerOp(delta, kOps).has_value());
  EXPECT_EQ(*AllocsPerOp(delta, kOps), 1.0);
  EXPECT_EQ(*BytesAllocatedPerOp(delta, kOps), 8.0);
}

TEST(AllocCounterTest, ZeroAllocsForNonAllocatingLoop) {
  constexpr uint64_t kOps = 10000;
  std::vector<uint64_t> buf(64);
  const AllocCounts before = ThreadAllocs();
  for (uint64_t i = 0; i < kOps; ++i) {
    buf[i % buf.size()] += i;
    Escape(buf.data());
  }
  const AllocCounts delta = ThreadAllocs() - before;
  EXPECT_EQ(delta.allocs, 0u);
  ASSERT_TRUE(AllocsPerOp(delta, kOps).has_value());
  EXPECT_EQ(*AllocsPerOp(delta, kOps), 0.0);
}

struct alignas(128) OverAligned {
  char bytes[128];
};

TEST(AllocCounterTest, EveryOperatorFormCounts) {
  const AllocCounts before = ThreadAllocs();
  auto* a = new int(1);
  Escape(a);
  auto* b = new int[10];
  Escape(b);
  auto* c = new (std::nothrow) int(2);
  Escape(c);
  auto* d = new (std::nothrow) int[3];
  Escape(d);
  auto* e = new OverAligned;
  Escape(e);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(e) % 128, 0u);
  auto* f = new OverAligned[2];
  Escape(f);
  auto* g = new (std::nothrow) OverAligned;
  Escape(g);
  const AllocCounts mid = ThreadAllocs() - before;
  EXPECT_EQ(mid.allocs, 7u);
  delete a;
  delete[] b;
  delete c;
  delete[] d;
  delete e;
  delete[] f;
  delete g;
  ::operator delete(nullptr);  // Not counted: nothing was freed.
  const AllocCounts delta = ThreadAllocs() - before;
  EXPECT_EQ(delta.allocs, 7u);
  EXPECT_EQ(delta.frees, 7u);
}

TEST(AllocCounterTest, ThreadCountsAreSeparateAndAggregate) {
  constexpr uint64_t kPerThread = 5000;
  constexpr int kThreads = 4;
  const AllocCounts main_before = ThreadAllocs();
  const AllocCounts process_before = ProcessAllocs();
  std::vector<uint64_t> seen(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&seen, t] {
      const AllocCounts before = ThreadAllocs();
      for (uint64_t i = 0; i < kPerThread; ++i) {
        auto* p = new char[16];
        Escape(p);
        delete[] p;
      }
      seen[t] = (ThreadAllocs() - before).allocs;
    });
  }
  for (auto& th : threads) th.join();
  const uint64_t main_allocs = (ThreadAllocs() - main_before).allocs;
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seen[t], kPerThread) << "thread " << t;
  // Exited threads' counts survive in the process total (plus std::thread's own state).
  const AllocCounts process = ProcessAllocs() - process_before;
  EXPECT_GE(process.allocs, kThreads * kPerThread + main_allocs);
  EXPECT_LE(process.allocs, kThreads * kPerThread + main_allocs + uint64_t{4} * kThreads);
}

TEST(AllocCounterTest, SlotsAreReusedAfterThreadsExit) {
  // More threads over time than there are slots: retired slots must be recycled and their counts
  // kept.
  const AllocCounts before = ProcessAllocs();
  constexpr int kRounds = kAllocCounterSlots + 50;
  for (int r = 0; r < kRounds; ++r) {
    std::thread([] {
      auto* p = new int(7);
      Escape(p);
      delete p;
    }).join();
  }
  const AllocCounts delta = ProcessAllocs() - before;
  EXPECT_GE(delta.allocs, static_cast<uint64_t>(kRounds));
}

TEST(AllocCounterTest, PerOpAbsentForZeroOps) {
  EXPECT_FALSE(AllocsPerOp(AllocCounts{}, 0).has_value());
}

}  // namespace
}  // namespace statelab::harness
