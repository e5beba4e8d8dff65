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
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
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
// Requests per shared engine transaction (Session::RunBatch). A transaction finds its own writes
// by a linear search, so each write costs O(batch): 16 keeps that below the commit it saves.
constexpr size_t kMaxBatch = 16;
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

// What a connection is registered in epoll for: nothing (parked, or not yet added), input, or
// room for pending output (backpressure: nothing more is read meanwhile).
enum class Interest : uint8_t { kNone, kRead, kWrite };

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
  bool closing = false;  // close once `out` is sent
  // This loop iteration's requests (Worker::requests_[first_request, end_request)), parsed from
  // in[0, parsed); those before `next_request` have run.
  size_t parsed = 0;
  size_t first_request = 0, end_request = 0, next_request = 0;
  bool parse_failed = false;  // in[parsed] starts a protocol error (parser.error())
  // Prepare stopped after one request: the client has not authenticated (AUTH changes the
  // limits of the next request), or the request was inline (its arguments are copies in the
  // parser, which the next parse overwrites).
  bool one_request = false;
  bool eof = false;  // the peer closed: close after the replies to what it sent
  // Waiting for the durability of the commits behind `out`: nothing read or sent.
  bool parked = false;
  Interest interest = Interest::kNone;
  std::chrono::steady_clock::time_point last_active = std::chrono::steady_clock::now();
};

// Where the durability waiter reports finished batches to one worker. A worker numbers its
// batches 1, 2, ... and they finish in that order. Thread-safety: thread-safe.
class Mailbox {
 public:
  struct Done {
    uint64_t through = 0;                                         // every batch <= through finished
    uint64_t failed_from = std::numeric_limits<uint64_t>::max();  // these and later failed
  };
  Status Init() {
    efd_.emplace(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    return efd_->get() < 0 ? Errno("eventfd") : Status::OK();
  }
  int fd() const { return efd_->get(); }
  // Waiter side: batches up to `seq` finished; !ok: their wait failed (nothing is known durable).
  void Finish(uint64_t seq, bool ok) {
    {
      std::lock_guard lk(mu_);
      done_.through = seq;
      if (!ok) done_.failed_from = std::min(done_.failed_from, seq);
    }
    cv_.notify_all();
    const uint64_t one = 1;
    (void)!::write(efd_->get(), &one, sizeof one);
  }
  // Worker side: consumes the wake-up; what has finished so far.
  Done Take() {
    uint64_t wakeups = 0;
    (void)!::read(efd_->get(), &wakeups, sizeof wakeups);
    std::lock_guard lk(mu_);
    return done_;
  }
  // Worker side, at stop only: blocks until batch `seq` finished.
  void WaitFor(uint64_t seq) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return done_.through >= seq; });
  }

 private:
  std::optional<Fd> efd_;
  std::mutex mu_;
  std::condition_variable cv_;
  Done done_;  // guarded by mu_
};

// The one thread that waits for durability for every worker: each round takes all the batches
// queued meanwhile (every parked connection's commits, of every worker) and waits for them
// together, so one sync covers them all while the workers keep serving.
// Thread-safety: Submit is thread-safe; Start and Stop are called by Serve's thread.
class DurabilityWaiter {
 public:
  explicit DurabilityWaiter(ServerContext& ctx) : ctx_(ctx) {}
  DurabilityWaiter(const DurabilityWaiter&) = delete;
  DurabilityWaiter& operator=(const DurabilityWaiter&) = delete;
  ~DurabilityWaiter() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  // Returns once every submitted batch has finished.
  void Stop() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  // Batch `seq` of the worker behind `to`: its replies wait for these tickets.
  void Submit(Mailbox* to, uint64_t seq, std::vector<CommitTicket> tickets) {
    {
      std::lock_guard lk(mu_);
      queue_.push_back({to, seq, std::move(tickets)});
    }
    cv_.notify_one();
  }

 private:
  struct Batch {
    Mailbox* to;
    uint64_t seq;
    std::vector<CommitTicket> tickets;
  };

  void Loop() {
    std::vector<Batch> round;
    std::vector<CommitTicket> tickets;
    while (true) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing is left to wait for
        round.swap(queue_);
      }
      tickets.clear();
      for (const Batch& b : round)
        tickets.insert(tickets.end(), b.tickets.begin(), b.tickets.end());
      const bool ok = ctx_.WaitDurable(tickets).ok();
      for (const Batch& b : round) b.to->Finish(b.seq, ok);
      round.clear();
    }
  }

  ServerContext& ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch> queue_;  // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  std::thread thread_;
};

// One epoll loop. Thread-safety: Run executes on its own thread; the waiter only touches the
// mailbox.
class Worker {
 public:
  Worker(ServerContext& ctx, const ServerOptions& opts, DurabilityWaiter& waiter, int listen_fd,
         int stop_fd)
      : ctx_(ctx), opts_(opts), waiter_(waiter), listen_fd_(listen_fd), stop_fd_(stop_fd) {}
  Status Init();
  void Run();

 private:
  // A parsed request: its arguments are args_[first_arg, first_arg + args), views into c->in.
  struct Request {
    Conn* c;
    size_t first_arg;
    size_t args;
  };

  void Accept();
  void OnEvent(Conn& c, uint32_t events, std::chrono::steady_clock::time_point now);
  // Reads what is available; false when the peer closed or the read failed.
  bool ReadInput(Conn& c);
  // Parses the complete requests in c.in into requests_ (see Conn::one_request).
  void Prepare(Conn& c);
  // Runs the leading batchable requests of every ready connection, a batch of at most kMaxBatch
  // requests per engine transaction (Session::RunBatch), so a pipeline, or many clients' requests
  // read in one iteration, share a commit.
  void RunBatches();
  // Runs the rest of c's requests one by one; parks c when its replies must wait for a sync.
  void Finish(Conn& c);
  Session::Args ArgsOf(const Request& r) const {
    return Session::Args(args_.data() + r.first_arg, r.args);
  }
  // Holds c's replies until its tickets (just added to batch_) are durable.
  void Park(Conn& c);
  // Hands this iteration's batch (if any) to the waiter.
  void SubmitBatch();
  // Sends the replies of the connections whose batch finished (closes them if it failed).
  void Release();
  // Sends pending output (not while parked); switches between input and output interest.
  void Flush(Conn& c);
  // Registers c for `want` (kNone: removes it from epoll); false when epoll_ctl failed.
  bool Watch(Conn& c, Interest want);
  void Close(Conn& c);
  void SweepIdle();

  ServerContext& ctx_;
  const ServerOptions& opts_;
  DurabilityWaiter& waiter_;
  const int listen_fd_, stop_fd_;
  std::optional<Fd> epoll_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  Mailbox mailbox_;
  std::vector<CommitTicket> batch_;  // the tickets of this iteration's parked connections
  // This iteration's connections with requests to run, and those requests.
  std::vector<Conn*> ready_;
  std::vector<Request> requests_;
  std::vector<std::string_view> args_;
  std::vector<Session::Batched> batched_;  // RunBatches' current batch
  std::vector<Conn*> batched_conns_;       // the connection of each
  uint64_t submitted_ = 0;                 // the last batch handed to the waiter
  // Parked connections by batch number, oldest first (a parked one is never closed, so its fd
  // stays its own).
  std::deque<std::pair<uint64_t, int>> parked_;
};

Status Worker::Init() {
  STATELAB_RETURN_IF_ERROR(mailbox_.Init());
  epoll_.emplace(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll_->get() < 0) return Errno("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listen_fd_;
  if (::epoll_ctl(epoll_->get(), EPOLL_CTL_ADD, listen_fd_, &ev) != 0) return Errno("epoll_ctl");
  ev.events = EPOLLIN;  // level-triggered and never read: wakes every worker for good
  ev.data.fd = stop_fd_;
  if (::epoll_ctl(epoll_->get(), EPOLL_CTL_ADD, stop_fd_, &ev) != 0) return Errno("epoll_ctl");
  ev.data.fd = mailbox_.fd();
  if (::epoll_ctl(epoll_->get(), EPOLL_CTL_ADD, mailbox_.fd(), &ev) != 0) {
    return Errno("epoll_ctl");
  }
  return Status::OK();
}

void Worker::Run() {
  epoll_event events[kMaxEvents];
  auto next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
  bool stopping = false;
  while (!stopping) {
    const int n = ::epoll_wait(epoll_->get(), events, kMaxEvents, 1000);
    const auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        stopping = true;
      } else if (fd == mailbox_.fd()) {
        Release();
      } else if (fd == listen_fd_) {
        Accept();
      } else if (auto it = conns_.find(fd); it != conns_.end()) {
        OnEvent(*it->second, events[i].events, now);
      }
    }
    RunBatches();
    for (Conn* c : ready_) Finish(*c);  // may close c
    ready_.clear();
    requests_.clear();
    args_.clear();
    SubmitBatch();
    if (opts_.idle_timeout.count() > 0 && std::chrono::steady_clock::now() >= next_sweep) {
      SweepIdle();
      next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
    }
  }
  // Clean stop: parked replies go out once durable (the waiter still runs), what was answered
  // goes out (best effort), then every connection closes.
  mailbox_.WaitFor(submitted_);
  Release();
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
    if (!Watch(*c, Interest::kRead)) {
      ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
      continue;  // c closes fd
    }
    conns_.emplace(fd, std::move(c));
  }
}

void Worker::OnEvent(Conn& c, uint32_t events, std::chrono::steady_clock::time_point now) {
  if (c.parked) {
    // More input (or a hang-up) while parked: leave it in the socket, out of epoll until the
    // release, so replies stay in request order. Taken out only now: most clients wait for
    // their replies, and then parking costs no epoll_ctl.
    (void)Watch(c, Interest::kNone);
    return;
  }
  const int fd = c.fd;
  c.last_active = now;
  if (events & EPOLLOUT) {
    Flush(c);
    if (!conns_.contains(fd) || c.interest == Interest::kWrite) return;  // closed, or backed up
  } else {
    c.eof = !ReadInput(c);
  }
  Prepare(c);
  ready_.push_back(&c);
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

void Worker::Prepare(Conn& c) {
  c.first_request = c.next_request = c.end_request = requests_.size();
  c.one_request = false;
  if (c.closing || c.parked || c.interest == Interest::kWrite) return;
  while (!c.parse_failed) {
    // A request of an unauthenticated client is limited before its bytes are read.
    const bool authenticated = c.session.authenticated();
    c.parser.set_limits(authenticated ? opts_.limits : kUnauthenticatedLimits);
    const ParseOutcome r =
        c.parser.Parse(std::string_view(c.in.data() + c.parsed, c.in_len - c.parsed));
    if (r == ParseOutcome::kNeedMore) break;
    if (r == ParseOutcome::kError) {
      c.parse_failed = true;
      break;
    }
    c.parsed += c.parser.consumed();
    const auto args = c.parser.args();
    if (args.empty()) continue;
    requests_.push_back({&c, args_.size(), args.size()});
    args_.insert(args_.end(), args.begin(), args.end());
    const bool in_input = args[0].data() >= c.in.data() && args[0].data() < c.in.data() + c.in_len;
    if (!authenticated || !in_input) {
      c.one_request = true;
      break;
    }
  }
  c.end_request = requests_.size();
}

void Worker::RunBatches() {
  const RunId* run = nullptr;  // every request of a batch is in the same run
  auto run_batch = [&] {
    const bool ok = batched_.empty() || Session::RunBatch(ctx_, *run, batched_);
    if (ok) {
      for (Conn* c : batched_conns_) ++c->next_request;
    }
    batched_.clear();
    batched_conns_.clear();
    return ok;  // after a failure the rest runs one by one, in order
  };
  for (Conn* c : ready_) {
    for (size_t i = c->first_request; i < c->end_request; ++i) {
      const Session::Args args = ArgsOf(requests_[i]);
      const auto* spec = c->session.Batchable(args);
      if (spec == nullptr) break;
      if (run != nullptr && !(c->session.run() == *run)) {
        if (!run_batch()) return;
      }
      run = &c->session.run();
      batched_.push_back({&c->session, spec, args, &c->out});
      batched_conns_.push_back(c);
      if (batched_.size() == kMaxBatch && !run_batch()) return;
    }
  }
  (void)run_batch();
}

void Worker::Finish(Conn& c) {
  while (true) {
    for (; c.next_request < c.end_request && !c.closing; ++c.next_request) {
      if (c.session.Execute(ArgsOf(requests_[c.next_request]), &c.out) == AfterReply::kClose) {
        c.closing = true;
      }
    }
    // Prepare stopped after one request (Conn::one_request): parse the next one now.
    if (!c.one_request || c.closing) break;
    Prepare(c);
  }
  if (c.parse_failed && !c.closing) {
    // The replies to the requests before it, then the error, then the connection closes.
    AppendError(&c.out, "ERR " + std::string(c.parser.error()));
    c.closing = true;
  }
  if (c.eof) c.closing = true;
  // Keep the partial request at the front; its parser state is relative to its first byte.
  if (c.parsed > 0) {
    std::memmove(c.in.data(), c.in.data() + c.parsed, c.in_len - c.parsed);
    c.in_len -= c.parsed;
    c.parsed = 0;
  }
  // An input buffer grown for one big request shrinks back once it is consumed.
  if (c.in_len == 0 && c.in.size() > 4 * kReadChunk) c.in = std::vector<char>(kReadChunk);
  const size_t before = batch_.size();
  c.session.TakePending(&batch_);
  if (batch_.size() > before) {
    if (ctx_.AcksWaitForSync()) {
      Park(c);
    } else if (!ctx_.WaitDurable(std::span(batch_).subspan(before)).ok()) {
      // Buffered: the wait returns at once (the record is queued); only a poisoned log fails it.
      // Never acknowledge a write that is not as durable as promised: drop the replies.
      c.out.clear();
      c.out_sent = 0;
      c.closing = true;
    }
    if (!c.parked) batch_.resize(before);
  }
  Flush(c);
}

void Worker::Park(Conn& c) {
  parked_.emplace_back(submitted_ + 1, c.fd);
  c.parked = true;
}

void Worker::SubmitBatch() {
  if (batch_.empty()) return;
  waiter_.Submit(&mailbox_, ++submitted_, std::exchange(batch_, {}));
}

void Worker::Release() {
  const Mailbox::Done done = mailbox_.Take();
  while (!parked_.empty() && parked_.front().first <= done.through) {
    const auto [seq, fd] = parked_.front();
    parked_.pop_front();
    Conn& c = *conns_.at(fd);
    c.parked = false;
    if (seq >= done.failed_from) {
      // Never acknowledge a write that is not as durable as promised: drop the replies.
      c.out.clear();
      c.out_sent = 0;
      c.closing = true;
    }
    Flush(c);  // re-registers c for input (or output), or closes it
  }
}

void Worker::Flush(Conn& c) {
  if (c.parked) return;
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
  // Backpressure: while replies are unsent, read nothing more from this client.
  if (!Watch(c, pending ? Interest::kWrite : Interest::kRead)) Close(c);
}

bool Worker::Watch(Conn& c, Interest want) {
  if (c.interest == want) return true;
  epoll_event ev{};
  ev.events = want == Interest::kWrite ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
  ev.data.fd = c.fd;
  const int op = c.interest == Interest::kNone ? EPOLL_CTL_ADD
                 : want == Interest::kNone     ? EPOLL_CTL_DEL
                                               : EPOLL_CTL_MOD;
  if (::epoll_ctl(epoll_->get(), op, c.fd, &ev) != 0) return false;
  c.interest = want;
  return true;
}

void Worker::Close(Conn& c) {
  (void)Watch(c, Interest::kNone);
  ctx_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
  conns_.erase(c.fd);  // destroys c
}

void Worker::SweepIdle() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Conn*> idle;
  for (auto& [fd, c] : conns_) {
    if (!c->parked && now - c->last_active > opts_.idle_timeout) idle.push_back(c.get());
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
  ServerContext ctx(*db, db_options.engine, opts.password, port, opts.strict_acks);
  STATELAB_RETURN_IF_ERROR(ctx.Run(0).status());  // fail before serving when db 0 cannot open
  const int stop_fd = stop.get();
  ctx.request_shutdown = [stop_fd] {
    const uint64_t one = 1;
    (void)!::write(stop_fd, &one, sizeof one);
  };

  DurabilityWaiter waiter(ctx);  // declared before the workers: outlives them
  waiter.Start();
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < opts.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(ctx, opts, waiter, listener.get(), stop_fd));
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
  waiter.Stop();
  return db->Close();  // finishes in-flight commits, flushes, writes the closing snapshot
}

}  // namespace statelab::resp
