// RwLock: mutual exclusion (readers never see half a write), and writer preference (a reader that
// arrives while a writer waits goes after it, so readers cannot starve a writer).
#include "engines/core/rw_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace statelab {
namespace {

TEST(RwLock, ReadersNeverSeeHalfAWrite) {
  RwLock mu;
  uint64_t a = 0, b = 0;  // guarded by mu: always equal outside a write
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0}, reads{0};
  std::vector<std::thread> ts;
  for (int r = 0; r < 2; ++r) {
    ts.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::shared_lock lk(mu);
        if (a != b) torn.fetch_add(1, std::memory_order_relaxed);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int w = 0; w < 2; ++w) {
    ts.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        std::unique_lock lk(mu);
        ++a;
        ++b;
      }
    });
  }
  ts[2].join();
  ts[3].join();
  stop.store(true);
  ts[0].join();
  ts[1].join();
  EXPECT_EQ(a, 40000u);
  EXPECT_EQ(b, 40000u);
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
}

// A reader holds the lock; a writer starts waiting; a second reader arrives. The writer must get
// the lock before the second reader (a reader-preferring lock lets the second reader straight in,
// next to the first, and the writer waits for both).
TEST(RwLock, ReaderArrivingWhileAWriterWaitsGoesAfterIt) {
  RwLock mu;
  std::mutex order_mu;
  std::vector<char> order;
  auto record = [&](char c) {
    std::lock_guard lk(order_mu);
    order.push_back(c);
  };
  mu.lock_shared();  // the first reader
  std::thread writer([&] {
    std::unique_lock lk(mu);
    record('w');
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer is waiting by now
  std::thread reader([&] {
    std::shared_lock lk(mu);
    record('r');
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a preferring lock lets it in
  record('1');                                                 // the first reader leaves
  mu.unlock_shared();
  writer.join();
  reader.join();
  EXPECT_EQ(order, (std::vector<char>{'1', 'w', 'r'}));
}

}  // namespace
}  // namespace statelab
