#pragma once
// A child process with its stdin, stdout and stderr on pipes, for driving the statelab binary in
// tests: line-at-a-time conversations (the shell), or one-shot runs that collect all output.
// Thread-safety: a ChildProcess belongs to one thread.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace statelab::testing_util {

// Thread-safety: not thread-safe; one thread drives a ChildProcess.
class ChildProcess {
 public:
  // Starts `argv[0]` with the arguments; fails the test (and leaves the object dead) on error.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // SIGKILLs and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes `line` and a newline to the child's stdin; false when the child closed it.
  bool Send(std::string_view line);
  // The next stdout line (without the newline); false on EOF or after `timeout`.
  bool ReadLine(std::string* line,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  void CloseStdin();
  // Sends a signal (SIGKILL: the process is gone at once, nothing flushed).
  void Kill(int signal);
  // Waits for the exit: the exit status, or 128 + the signal that ended it.
  int Wait();
  // Everything the child wrote to stderr (call after Wait).
  const std::string& stderr_text() const { return err_; }

 private:
  void DrainStderr();

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_fd_ = -1;
  std::string buf_;  // stdout read but not yet returned
  std::string err_;
  int status_ = -1;
};

struct RunOutput {
  int exit_code = -1;
  std::string out, err;
  std::vector<std::string> lines;  // `out` split into lines
};
// Runs argv to completion, feeding it `input` on stdin.
RunOutput RunToCompletion(const std::vector<std::string>& argv, std::string_view input = {});

}  // namespace statelab::testing_util
