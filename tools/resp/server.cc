#include "tools/resp/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tools/resp/resp_reply.h"

namespace statelab::resp {
namespace {

// Per-connection input starts this small (10,000 idle clients cost 160 MiB, not 640) and grows.
constexpr size_t kReadChunk = 16u << 10;
// Bytes one connection may read per wake-up before the worker serves the others.
constexpr size_t kReadBudget = 1u << 20;
constexpr int kMaxEvents = 256;
constexpr auto kSweepInterval = std::chrono::seconds(1);

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// One client: its input (unparsed requests), output (unsent replies) and session.
// Thread-safety: belongs to the worker that accepted it.
struct Conn {
  Conn(int f, Session s, const RespLimits& limits) : fd(f), parser(limits), session(std::move(s)) {}
  ~Conn() { ::close(fd); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  int fd;
  std::vector<char> in = std::vector<char>(kReadChunk);
  size_t in_len = 0;
  RespParser parser;
  Session session;
  std::string out;
  size_t out_sent = 0;
  bool closing = false;     // close once `out` is sent
  bool want_write = false;  // registered for EPOLLOUT (output pending) instead of EPOLLIN
  std::chrono::steady_clock::time_point last_active = std::chrono::steady_clock::now();
};

// One epoll loop. Thread-safety: Run executes on its own thread; nothing else touches it.
class Worker {
 public:
  Worker(ServerContext& ctx, const ServerOptions& opts, int listen_fd, int stop_fd)
      : ctx_(ctx), opts_(opts), listen_fd_(listen_fd), stop_fd_(stop_fd) {}
  Status Init();
  void Run();

 private:
  void Accept();
  void OnEvent(Conn& c, uint32_t events);
  // Reads what is available; false when the peer closed or the read failed.
  bool ReadInput(Conn& c);
  // Runs the complete requests in c.in, then waits for their durability.
  void Process(Conn& c);
  // Sends pending output; switches between EPOLLIN and EPOLLOUT interest as needed.
  void Flush(Conn& c);
  void Close(Conn& c);
  void SweepIdle();

  ServerContext& ctx_;
  const ServerOptions& opts_;
  const int listen_fd_, stop_fd_;
  std::optional<Fd> epoll_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
};

Status Worker::Init() {
  epoll_.emplace(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll_->get() < 0) return Errno("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listen_fd_;
  if (::epoll_ctl(epoll_->get(), EPOLL_CTL_ADD, listen_fd_, &ev) != 0) return Errno("epoll_ctl");
  ev.events = EPOLLIN;  // level-triggered and never read: wakes every worker for good
  ev.data.fd = stop_fd_;
  if (::epoll_ctl(epoll_->get(), EPOLL_CTL_ADD, stop_fd_, &ev) != 0) return Errno("epoll_ctl");
  return Status::OK();
}

void Worker::Run() {
  epoll_event events[kMaxEvents];
  auto next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
  bool stopping = false;
  while (!stopping) {
    const int n = ::epoll_wait(epoll_->get(), events, kMaxEvents, 1000);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        stopping = true;
      } else if (fd == listen_fd_) {
        Accept();
      } else if (auto it = conns_.find(fd); it != conns_.end()) {
        OnEvent(*it->second, events[i].events);
      }
    }
    if (opts_.idle_timeout.count() > 0 && std::chrono::steady_clock::now() >= next_sweep) {
      SweepIdle();
      next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
    }
  }
  // Clean stop: what was already answered goes out (best effort), then every connection closes.
  for (auto& [fd, c] : conns_) {
    if (c->out_sent < c->out.size()) {
      (void)::send(fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent, MSG_NOSIGNAL);
    }
    ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
  }
  conns_.clear();
}

void Worker::Accept() {
  while (true) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN (another worker took it) or a transient error
    ctx_.total_connections.fetch_add(1, std::memory_order_relaxed);
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (ctx_.connected_clients.fetch_add(1, std::memory_order_relaxed) >=
        static_cast<int64_t>(opts_.max_clients)) {
      ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
      ctx_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      static constexpr std::string_view kFull = "-ERR max number of clients reached\r\n";
      (void)::send(fd, kFull.data(), kFull.size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    Result<Session> session = Session::Open(ctx_);
    if (!session.ok()) {
      std::string reply;
      AppendError(&reply, "ERR " + session.error().ToString());
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(fd);
      ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    auto c = std::make_unique<Conn>(fd, std::move(session).value(), opts_.limits);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_->get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
      continue;  // c closes fd
    }
    conns_.emplace(fd, std::move(c));
  }
}

void Worker::OnEvent(Conn& c, uint32_t events) {
  const int fd = c.fd;
  c.last_active = std::chrono::steady_clock::now();
  bool eof = false;
  if (events & EPOLLOUT) {
    Flush(c);
    if (!conns_.contains(fd) || c.want_write) return;  // closed, or still backed up
  } else {
    eof = !ReadInput(c);
  }
  Process(c);
  if (eof) c.closing = true;
  Flush(c);
}

bool Worker::ReadInput(Conn& c) {
  for (size_t budget = kReadBudget; budget > 0;) {
    if (c.in.size() - c.in_len < kReadChunk / 2) c.in.resize(c.in.size() * 2);
    const size_t room = c.in.size() - c.in_len;
    const ssize_t n = ::read(c.fd, c.in.data() + c.in_len, room);
    if (n > 0) {
      c.in_len += static_cast<size_t>(n);
      budget -= std::min(budget, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < room) return true;  // drained for now
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;
}

void Worker::Process(Conn& c) {
  if (c.closing || c.want_write) return;
  size_t off = 0;
  while (!c.closing) {
    const ParseOutcome r = c.parser.Parse(std::string_view(c.in.data() + off, c.in_len - off));
    if (r == ParseOutcome::kNeedMore) break;
    if (r == ParseOutcome::kError) {
      AppendError(&c.out, "ERR " + std::string(c.parser.error()));
      c.closing = true;
      break;
    }
    off += c.parser.consumed();
    if (c.parser.args().empty()) continue;
    if (c.session.Execute(c.parser.args(), &c.out) == AfterReply::kClose) c.closing = true;
  }
  // Keep the partial request at the front; its parser state is relative to its first byte.
  if (off > 0) {
    std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
    c.in_len -= off;
  }
  // An input buffer grown for one big request shrinks back once it is consumed.
  if (c.in_len == 0 && c.in.size() > 4 * kReadChunk) c.in = std::vector<char>(kReadChunk);
  if (!c.session.WaitDurable().ok()) {
    // Never acknowledge a write that is not as durable as promised: drop the replies.
    c.out.clear();
    c.out_sent = 0;
    c.closing = true;
  }
}

void Worker::Flush(Conn& c) {
  while (c.out_sent < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    return Close(c);  // the peer is gone
  }
  const bool pending = c.out_sent < c.out.size();
  if (!pending) {
    c.out.clear();
    c.out_sent = 0;
    if (c.closing) return Close(c);
  }
  if (pending != c.want_write) {
    // Backpressure: while replies are unsent, read nothing more from this client.
    epoll_event ev{};
    ev.events = pending ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
    ev.data.fd = c.fd;
    (void)::epoll_ctl(epoll_->get(), EPOLL_CTL_MOD, c.fd, &ev);
    c.want_write = pending;
  }
}

void Worker::Close(Conn& c) {
  (void)::epoll_ctl(epoll_->get(), EPOLL_CTL_DEL, c.fd, nullptr);
  ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
  conns_.erase(c.fd);  // destroys c
}

void Worker::SweepIdle() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Conn*> idle;
  for (auto& [fd, c] : conns_) {
    if (now - c->last_active > opts_.idle_timeout) idle.push_back(c.get());
  }
  for (Conn* c : idle) Close(*c);
}

Result<Fd> Listen(const ServerOptions& opts, int* port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(opts.port));
  if (::inet_pton(AF_INET, opts.bind.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("bind: '" + opts.bind + "' is not an IPv4 address");
  }
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno("socket");
  const int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::string where = opts.bind + ":" + std::to_string(opts.port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Errno("bind " + where);
  }
  if (::listen(fd.get(), 511) != 0) return Errno("listen " + where);
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Errno("getsockname");
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

Status Serve(const DbOptions& db_options, const ServerOptions& opts,
             const std::function<void(int port)>& on_listening) {
  if (opts.threads < 1) return Status::InvalidArgument("threads: must be at least 1");
  // SIGTERM and SIGINT arrive through a signalfd on this thread. They are blocked before the
  // database starts its own threads, so every thread of the process inherits the mask and no
  // signal can kill the process half-way through a commit.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // They stay blocked after Serve returns: a second SIGTERM during the close must not kill it.
  if (::pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) return Status::IOError("sigmask");
  Fd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (sigfd.get() < 0) return Errno("signalfd");
  Fd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (stop.get() < 0) return Errno("eventfd");

  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(db_options));
  int port = 0;
  STATELAB_ASSIGN_OR_RETURN(Fd listener, Listen(opts, &port));
  ServerContext ctx(*db, db_options.engine, opts.password, port);
  STATELAB_RETURN_IF_ERROR(ctx.Run(0).status());  // fail before serving when db 0 cannot open
  const int stop_fd = stop.get();
  ctx.request_shutdown = [stop_fd] {
    const uint64_t one = 1;
    (void)!::write(stop_fd, &one, sizeof one);
  };

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < opts.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(ctx, opts, listener.get(), stop_fd));
    STATELAB_RETURN_IF_ERROR(workers.back()->Init());
  }
  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  on_listening(port);

  pollfd fds[2] = {{sigfd.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
  }
  if (fds[0].revents & POLLIN) {
    signalfd_siginfo info;
    (void)!::read(sigfd.get(), &info, sizeof info);  // consumed, so it is never delivered
  }
  ctx.request_shutdown();  // after a signal: tell the workers (SHUTDOWN already did)
  for (std::thread& t : threads) t.join();
  return db->Close();  // finishes in-flight commits, flushes, writes the closing snapshot
}

}  // namespace statelab::resp
