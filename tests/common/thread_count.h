// Counting this process's threads for tests that check a Close() joined every thread.
#pragma once

#include <dirent.h>

#include <chrono>
#include <thread>

namespace statelab::testing_util {

// Threads of this process, from /proc/self/task.
inline int ThreadCount() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// The thread count once it equals `expected` or, with no expectation, once it stops changing (at
// most ~2 s either way): a joined thread's /proc entry outlives pthread_join briefly, and
// ThreadSanitizer starts a background thread of its own at the first thread creation.
inline int SettledThreadCount(int expected = -1) {
  int now = ThreadCount();
  for (int i = 0, stable = 0; i < 200 && now != expected && (expected >= 0 || stable < 5); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const int next = ThreadCount();
    stable = next == now ? stable + 1 : 0;
    now = next;
  }
  return now;
}

}  // namespace statelab::testing_util
