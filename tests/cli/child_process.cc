#include "tests/cli/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace statelab::testing_util {

namespace {

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// Appends what is available on fd (waiting up to timeout_ms); false on EOF or error.
bool ReadSome(int fd, std::string* out, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) return r == 0;  // timeout: not EOF
  char buf[65536];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return n < 0 && errno == EINTR;
  out->append(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a write to a dead child is an error return, not a signal
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return;
  }
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_fd_ = err[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && status_ < 0) {
    Kill(SIGKILL);
    Wait();
  }
  CloseFd(&in_);
  CloseFd(&out_);
  CloseFd(&err_fd_);
}

bool ChildProcess::Send(std::string_view line) {
  std::string data(line);
  data.push_back('\n');
  std::string_view rest = data;
  while (!rest.empty()) {
    const ssize_t n = ::write(in_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool ChildProcess::ReadLine(std::string* line, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const size_t nl = buf_.find('\n'); nl != std::string::npos) {
      *line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const size_t before = buf_.size();
    if (!ReadSome(out_, &buf_, static_cast<int>(left.count()))) return false;
    if (buf_.size() == before && std::chrono::steady_clock::now() >= deadline) return false;
  }
}

void ChildProcess::CloseStdin() { CloseFd(&in_); }

void ChildProcess::Kill(int signal) {
  if (pid_ > 0 && status_ < 0) ::kill(pid_, signal);
}

void ChildProcess::DrainStderr() {
  while (err_fd_ >= 0 && ReadSome(err_fd_, &err_, 1000)) {
  }
  CloseFd(&err_fd_);
}

int ChildProcess::Wait() {
  if (pid_ <= 0) return -1;
  if (status_ >= 0) return status_;
  CloseStdin();
  DrainStderr();
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return status_;
}

RunOutput RunToCompletion(const std::vector<std::string>& argv, std::string_view input) {
  ChildProcess child(argv);
  RunOutput r;
  if (!input.empty()) child.Send(input.substr(0, input.size() - (input.back() == '\n')));
  child.CloseStdin();
  std::string line;
  while (child.ReadLine(&line)) {
    r.out += line + "\n";
    r.lines.push_back(line);
  }
  r.exit_code = child.Wait();
  r.err = child.stderr_text();
  return r;
}

}  // namespace statelab::testing_util
