#include "tools/server_suite/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>
#include <utility>

namespace statelab::servers {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Status Errno(std::string_view what) {
  return Status::IOError(std::string(what) + ": " + std::strerror(errno));
}

// A file descriptor closed by its destructor. Not synchronized.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Result<Fd> OpenFile(const std::string& path, int flags) {
  const int fd = ::open(path.empty() ? "/dev/null" : path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open " + (path.empty() ? std::string("/dev/null") : path));
  return Fd(fd);
}

Status MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe");
  *read_end = Fd(fds[0]);
  *write_end = Fd(fds[1]);
  return Status::OK();
}

// In the child: makes `fd` the descriptor `target`, open across exec.
bool MoveTo(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

// Forks and execs argv with `in`, `out`, `err` as its stdin, stdout and stderr. An exec failure
// is reported here (through a close-on-exec pipe), not as a child exiting 127.
Result<pid_t> Spawn(const std::vector<std::string>& argv, int in, int out, int err) {
  if (argv.empty()) return Status::InvalidArgument("no command");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Fd exec_error_read, exec_error_write;
  STATELAB_RETURN_IF_ERROR(MakePipe(&exec_error_read, &exec_error_write));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::signal(SIGPIPE, SIG_DFL);
    if (MoveTo(in, 0) && MoveTo(out, 1) && MoveTo(err, 2)) ::execv(args[0], args.data());
    const int e = errno;
    (void)!::write(exec_error_write.get(), &e, sizeof e);
    ::_exit(127);
  }
  exec_error_write.Close();
  int e = 0;
  ssize_t n;
  while ((n = ::read(exec_error_read.get(), &e, sizeof e)) < 0 && errno == EINTR) {
  }
  if (n == 0) return pid;
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return Status::IOError("cannot execute " + argv[0] + ": " + std::strerror(e));
}

int ExitCode(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

int Reap(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return ExitCode(st);
}

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

}  // namespace

Result<Process> Process::Start(const std::vector<std::string>& argv, const OutputFiles& files) {
  STATELAB_ASSIGN_OR_RETURN(Fd in, OpenFile("", O_RDONLY));
  STATELAB_ASSIGN_OR_RETURN(Fd out, OpenFile(files.stdout_path, O_WRONLY | O_CREAT | O_TRUNC));
  STATELAB_ASSIGN_OR_RETURN(Fd err, OpenFile(files.stderr_path, O_WRONLY | O_CREAT | O_TRUNC));
  STATELAB_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, in.get(), out.get(), err.get()));
  return Process(pid);
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}

Process::~Process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    Reap(pid_);
  }
}

std::optional<int> Process::TryWait() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = ExitCode(st);
  return status_;
}

std::optional<int> Process::WaitFor(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!TryWait() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
  return status_;
}

int Process::Stop(milliseconds grace) {
  if (TryWait()) return *status_;
  ::kill(pid_, SIGTERM);
  if (WaitFor(grace)) return *status_;
  ::kill(pid_, SIGKILL);
  status_ = Reap(pid_);
  return *status_;
}

Result<Captured> Run(const std::vector<std::string>& argv, std::string_view input,
                     milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Fd in_read, in_write, out_read, out_write, err_read, err_write;
  if (input.empty()) {
    STATELAB_ASSIGN_OR_RETURN(in_read, OpenFile("", O_RDONLY));
  } else {
    STATELAB_RETURN_IF_ERROR(MakePipe(&in_read, &in_write));
    ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);  // never block on a child that stops reading
  }
  STATELAB_RETURN_IF_ERROR(MakePipe(&out_read, &out_write));
  STATELAB_RETURN_IF_ERROR(MakePipe(&err_read, &err_write));
  STATELAB_ASSIGN_OR_RETURN(pid_t pid,
                            Spawn(argv, in_read.get(), out_write.get(), err_write.get()));
  in_read.Close();
  out_write.Close();
  err_write.Close();

  Captured c;
  // Appends what `fd` has to `to` (at most `limit` bytes kept); closes it at EOF.
  auto drain = [](Fd& fd, std::string& to, size_t limit) {
    char buf[65536];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) to.append(buf, std::min(static_cast<size_t>(n), limit - std::min(limit, to.size())));
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) fd.Close();
  };
  while (out_read.get() >= 0 || err_read.get() >= 0) {
    // A closed descriptor (-1) is ignored by poll.
    pollfd fds[3] = {
        {out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}, {in_write.get(), POLLOUT, 0}};
    const int r = ::poll(fds, 3, MillisLeft(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      Status error = Errno("poll");
      ::kill(pid, SIGKILL);
      Reap(pid);
      return error;
    }
    if (r == 0) {
      c.timed_out = true;
      break;
    }
    if (fds[0].revents != 0) drain(out_read, c.out, std::string::npos);
    if (fds[1].revents != 0) drain(err_read, c.err, kMaxStderrBytes);
    if (fds[2].revents != 0) {
      const ssize_t n = ::write(in_write.get(), input.data(), input.size());
      if (n > 0) input.remove_prefix(static_cast<size_t>(n));
      // All written, or the child closed its stdin (EPIPE): it gets no more.
      if (input.empty() || (n < 0 && errno != EINTR && errno != EAGAIN)) in_write.Close();
    }
  }
  in_write.Close();  // EOF for a child still reading
  int st = 0;
  while (!c.timed_out && ::waitpid(pid, &st, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      c.timed_out = true;
    } else {
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
  if (c.timed_out) {
    ::kill(pid, SIGKILL);
    c.exit_code = Reap(pid);
  } else {
    c.exit_code = ExitCode(st);
  }
  return c;
}

std::optional<int> FindFreePort(int lo, int hi, int tries) {
  std::random_device rd;
  std::mt19937 rng(rd());
  std::uniform_int_distribution<int> pick(lo, hi);
  for (int i = 0; i < tries; ++i) {
    const int port = pick(rng);
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) return std::nullopt;
    // As a server binds: SO_REUSEADDR, so only a port someone holds counts as taken.
    const int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return port;
  }
  return std::nullopt;
}

std::optional<int64_t> RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("VmRSS:")) continue;
    const size_t digits = line.find_first_of("0123456789");
    if (digits == std::string::npos) return std::nullopt;
    int64_t kib = 0;
    std::from_chars(line.data() + digits, line.data() + line.size(), kib);
    return kib * 1024;
  }
  return std::nullopt;
}

}  // namespace statelab::servers
