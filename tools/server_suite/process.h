#pragma once
// Child processes for the server suite, started with fork + execv (no shell, so no quoting):
// short commands whose output is captured under a deadline (redis-cli, redis-benchmark), and
// long-running servers whose output goes to files (redis-server, statelab serve). Every child
// gets SIGKILL when this process dies, so a killed suite leaves no server behind.
// The caller ignores SIGPIPE (a child that stops reading its input must not kill the suite);
// children start with the default SIGPIPE action.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::servers {

// Where a long-running child's stdout and stderr go; "" = /dev/null.
struct OutputFiles {
  std::string stdout_path;
  std::string stderr_path;
};

// A started child. Thread-safety: not synchronized; one thread owns a Process.
class Process {
 public:
  // Starts argv (argv[0] is a path, not looked up on PATH) with stdin on /dev/null.
  static Result<Process> Start(const std::vector<std::string>& argv, const OutputFiles& files);

  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGKILLs and reaps a child still running

  pid_t pid() const { return pid_; }
  // The exit status (128 + signal when a signal ended it) once the child has exited.
  std::optional<int> TryWait();
  // Waits up to `timeout`; std::nullopt when the child is still running.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after `grace`; the exit status.
  int Stop(std::chrono::milliseconds grace);

 private:
  explicit Process(pid_t pid) : pid_(pid) {}

  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Of a child's stderr, Run keeps this much (enough to say why it failed).
inline constexpr size_t kMaxStderrBytes = 4096;

struct Captured {
  int exit_code = -1;  // 128 + signal when a signal ended the child
  bool timed_out = false;
  std::string out;
  std::string err;  // the first kMaxStderrBytes
};

// Runs argv to completion, feeding `input` on its stdin, and collects its stdout and stderr. A
// child still running at `timeout` is killed (timed_out). IOError when it cannot be started.
Result<Captured> Run(const std::vector<std::string>& argv, std::string_view input,
                     std::chrono::milliseconds timeout);

// A loopback TCP port nothing is bound to, tried at random in [lo, hi] (at most `tries` ports);
// std::nullopt when every port tried was taken.
std::optional<int> FindFreePort(int lo, int hi, int tries);

// The resident set of a process (VmRSS of /proc/PID/status); std::nullopt once it is gone.
std::optional<int64_t> RssBytes(pid_t pid);

}  // namespace statelab::servers
