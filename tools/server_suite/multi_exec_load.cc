#include "tools/server_suite/multi_exec_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace statelab::servers {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRepliesPerTransaction = 4;  // MULTI, SET, INCR, EXEC
constexpr size_t kReadChunk = size_t{64} * 1024;

// One connection and its batch in flight. Thread-safety: owned by the load's thread.
struct Conn {
  int fd = -1;
  std::string out;
  size_t written = 0;
  std::string in;
  int64_t batch = 0;    // transactions in flight
  int64_t replies = 0;  // replies of the batch read so far
  Clock::time_point start;

  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() {
    if (fd >= 0) ::close(fd);
  }
};

Status Errno(const std::string& what) {
  return Status::IOError("MULTI/EXEC load: " + what + ": " + std::strerror(errno));
}

Status Connect(int port, Conn* c) {
  c->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return Errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(c->fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return Errno("connect to port " + std::to_string(port));
  }
  const int one = 1;  // as hiredis, redis-benchmark's client, sets it
  (void)::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::fcntl(c->fd, F_SETFL, ::fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0) return Errno("fcntl");
  return Status::OK();
}

// Twelve digits, as redis-benchmark -r expands __rand_int__.
void AppendKey(std::string* out, std::string_view prefix, int64_t r) {
  char bulk[64];
  const int n = std::snprintf(bulk, sizeof bulk, "$%zu\r\n%.*s%012lld\r\n", prefix.size() + 12,
                              static_cast<int>(prefix.size()), prefix.data(),
                              static_cast<long long>(r));
  out->append(bulk, static_cast<size_t>(n));
}

// The reply, as a warning shows it: its first line, at most 80 bytes.
std::string Shown(std::string_view reply) {
  return std::string(reply.substr(0, std::min<size_t>(reply.find('\r'), 80)));
}

// Whether reply number `index` of a transaction is the one a successful one gets.
bool Expected(int64_t index, std::string_view reply) {
  switch (index) {
    case 0:
      return reply == "+OK\r\n";
    case 3:
      return reply.starts_with("*2\r\n+OK\r\n:");
    default:
      return reply == "+QUEUED\r\n";
  }
}

// Nearest rank.
int64_t Percentile(const std::vector<int64_t>& sorted, double q) {
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

int64_t ReplyLength(std::string_view buf) {
  if (buf.empty()) return 0;
  const size_t eol = buf.find("\r\n");
  if (eol == std::string_view::npos) return 0;
  const auto line = static_cast<int64_t>(eol + 2);
  if (buf[0] == '+' || buf[0] == '-' || buf[0] == ':') return line;
  if (buf[0] != '$' && buf[0] != '*') return -1;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(buf.data() + 1, buf.data() + eol, n);
  if (ec != std::errc() || end != buf.data() + eol || n < -1) return -1;
  if (n == -1) return line;  // null bulk string or array
  if (buf[0] == '$') {
    const int64_t total = line + n + 2;
    if (static_cast<int64_t>(buf.size()) < total) return 0;
    return buf.substr(static_cast<size_t>(total - 2), 2) == "\r\n" ? total : -1;
  }
  int64_t at = line;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = ReplyLength(buf.substr(static_cast<size_t>(at)));
    if (len <= 0) return len;
    at += len;
  }
  return at;
}

Result<MultiExecFigures> RunMultiExecLoad(const MultiExecLoad& load) {
  std::vector<Conn> conns(static_cast<size_t>(load.clients));
  for (Conn& c : conns) {
    if (Status s = Connect(load.port, &c); !s.ok()) return s;
  }
  std::mt19937_64 rng(load.seed);
  std::uniform_int_distribution<int64_t> key(0, load.keyspace - 1);
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(load.transactions));
  int64_t unsent = load.transactions;
  const Clock::time_point begin = Clock::now();

  // Writes a new batch to an idle connection, if transactions are left to send.
  auto next_batch = [&](Conn& c) {
    c.batch = std::min(load.pipeline, unsent);
    unsent -= c.batch;
    c.replies = 0;
    c.out.clear();
    c.written = 0;
    for (int64_t t = 0; t < c.batch; ++t) {
      c.out += "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n";
      AppendKey(&c.out, "key:", key(rng));
      c.out += "$3\r\nxxx\r\n*2\r\n$4\r\nINCR\r\n";
      AppendKey(&c.out, "counter:", key(rng));
      c.out += "*1\r\n$4\r\nEXEC\r\n";
    }
    c.start = Clock::now();
  };
  for (Conn& c : conns) next_batch(c);

  std::vector<pollfd> fds(conns.size());
  char chunk[kReadChunk];
  while (true) {
    size_t busy = 0;
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      // Write what the socket takes now; poll for the rest.
      while (c.batch > 0 && c.written < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written,
                                 MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno != EINTR) return Errno("send");
        if (n > 0) c.written += static_cast<size_t>(n);
      }
      fds[i] = {c.fd, 0, 0};
      if (c.batch > 0) {
        fds[i].events = static_cast<short>(POLLIN | (c.written < c.out.size() ? POLLOUT : 0));
        ++busy;
      } else {
        fds[i].fd = -1;  // idle: poll ignores it
      }
    }
    if (busy == 0) break;
    const auto left = load.timeout - (Clock::now() - begin);
    if (left <= Clock::duration::zero()) {
      return Status::IOError("MULTI/EXEC load: timed out after " +
                             std::to_string(load.timeout.count()) + " ms");
    }
    const int ms = static_cast<int>(
        std::chrono::ceil<std::chrono::milliseconds>(left).count());
    if (::poll(fds.data(), fds.size(), ms) < 0) {
      if (errno == EINTR) continue;
      return Errno("poll");
    }
    for (size_t i = 0; i < conns.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      Conn& c = conns[i];
      const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n < 0) return Errno("recv");
      if (n == 0) return Status::IOError("MULTI/EXEC load: the server closed a connection");
      c.in.append(chunk, static_cast<size_t>(n));
      size_t at = 0;
      int64_t len = 0;
      while ((len = ReplyLength(std::string_view(c.in).substr(at))) > 0) {
        const std::string_view reply = std::string_view(c.in).substr(at, static_cast<size_t>(len));
        const int64_t index = c.replies % kRepliesPerTransaction;
        if (!Expected(index, reply)) {
          static constexpr const char* kNames[] = {"MULTI", "SET", "INCR", "EXEC"};
          return Status::IOError(std::string("MULTI/EXEC load: unexpected reply to ") +
                                 kNames[index] + ": " + Shown(reply));
        }
        if (index == kRepliesPerTransaction - 1) {
          latencies.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  Clock::now() - c.start)
                                  .count());
        }
        at += static_cast<size_t>(len);
        ++c.replies;
      }
      if (len < 0) return Status::IOError("MULTI/EXEC load: malformed reply");
      c.in.erase(0, at);
      if (c.replies == c.batch * kRepliesPerTransaction) {
        c.batch = 0;
        if (unsent > 0) next_batch(c);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  MultiExecFigures f;
  // Two decimals, as redis-benchmark prints its rps.
  f.ops_per_sec = std::round(static_cast<double>(latencies.size()) / seconds * 100) / 100;
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    f.p50_ns = Percentile(latencies, 0.50);
    f.p99_ns = Percentile(latencies, 0.99);
  }
  return f;
}

}  // namespace statelab::servers
