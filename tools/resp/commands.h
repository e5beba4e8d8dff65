#pragma once
// The Redis commands `statelab serve` understands (docs/resp.md), over KV of one run per Redis
// database. Session is one connection's state (selected database, name, authentication, commits
// awaiting durability); ServerContext is what every session shares.
//
// Keys are KV keys of run "resp-db<N>" (N = the SELECTed database, 0..15), values are stored as
// strings (INCR stores an int64; GET renders int64 and double values in decimal). A key's TTL is
// the KV expiry (KvOps::PutWithTtl), which a KV read reports (KvOps::Get's expire_at_us).
// Thread-safety: ServerContext is thread-safe; a Session belongs to its connection's thread.

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/primitives/database.h"
#include "engines/registry/any_engine.h"

namespace statelab::resp {

using Db = Database<AnyEngine>;

inline constexpr int kDatabases = 16;
// The run that holds Redis database `index`.
std::string RunNameOf(int index);

// Thread-safety: thread-safe (counters are atomics; the run cache has its own mutex).
class ServerContext {
 public:
  // strict_acks: in Buffered mode too, a write is acknowledged only once fdatasync'ed.
  ServerContext(Db& db, std::string engine, std::string password, int port,
                bool strict_acks = false);

  // The run of database `index` (created on first use, then cached).
  Result<RunId> Run(int index);
  Db& db() noexcept { return db_; }
  const std::string& engine() const noexcept { return engine_; }
  const std::string& password() const noexcept { return password_; }
  int port() const noexcept { return port_; }
  std::chrono::steady_clock::time_point started() const noexcept { return started_; }
  // The runs resolved so far, by database index (INFO keyspace lists them).
  std::array<std::optional<RunId>, kDatabases> KnownRuns();
  // Whether waiting for a commit's durability can block on a sync: Strict, or Buffered with
  // strict_acks. The server then parks the connection instead of waiting on its thread.
  bool AcksWaitForSync() const noexcept;
  // Blocks until every ticket is as durable as the server promises. Newest first: one log's
  // newest ticket covers its older ones, which then return at once.
  Status WaitDurable(std::span<const CommitTicket> tickets);

  // Set by the server: begins a clean shutdown (SHUTDOWN calls it).
  std::function<void()> request_shutdown;
  std::atomic<int64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> total_commands{0};
  std::atomic<uint64_t> rejected_connections{0};

 private:
  Db& db_;
  const std::string engine_;
  const std::string password_;
  const int port_;
  const bool strict_acks_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::array<std::optional<RunId>, kDatabases> runs_;  // guarded by mu_
};

// What the connection does after a request's reply is written.
enum class AfterReply : uint8_t { kContinue, kClose };

// Thread-safety: not thread-safe; one connection's thread drives a Session.
class Session {
 public:
  // Fails when database 0's run cannot be opened.
  static Result<Session> Open(ServerContext& ctx);

  // Executes one request (args non-empty), appending its reply to *out.
  AfterReply Execute(std::span<const std::string_view> args, std::string* out);
  // Moves the tickets of the commits acknowledged since the last call to the end of *out: the
  // replies written since then may be sent only once ServerContext::WaitDurable(them) is OK.
  void TakePending(std::vector<CommitTicket>* out) {
    out->insert(out->end(), pending_.begin(), pending_.end());
    pending_.clear();  // keeps its capacity: no allocation per request
  }

 private:
  struct Spec;
  explicit Session(ServerContext& ctx, RunId run) : ctx_(ctx), run_(run) {}
  static const Spec* Find(std::string_view name);

  // Runs body(Txn&) -> Status as one transaction of the selected run; its commit joins the
  // batch's pending acknowledgements. On failure appends the error reply and returns false.
  template <class F>
  bool Commit(F&& body, std::string* out);
  // One read snapshot of the selected run; on failure appends the error reply.
  template <class F>
  bool Read(F&& body, std::string* out);
  // A transaction body's way to stop with a Redis error reply (nothing is committed).
  Status Refuse(std::string_view redis_error);
  void AppendFailure(const Status& s, std::string* out);

  using Args = std::span<const std::string_view>;
  void Ping(Args a, std::string* out);
  void Echo(Args a, std::string* out);
  void Get(Args a, std::string* out);
  void Set(Args a, std::string* out);
  void Del(Args a, std::string* out);
  void Exists(Args a, std::string* out);
  void MGet(Args a, std::string* out);
  void MSet(Args a, std::string* out);
  void Incr(Args a, std::string* out);
  void IncrBy(Args a, std::string* out);
  void Decr(Args a, std::string* out);
  void Expire(Args a, std::string* out);
  void PExpire(Args a, std::string* out);
  void Ttl(Args a, std::string* out);
  void PTtl(Args a, std::string* out);
  void DbSize(Args a, std::string* out);
  void FlushDb(Args a, std::string* out);
  void Info(Args a, std::string* out);
  void Select(Args a, std::string* out);
  void Client(Args a, std::string* out);
  void Command(Args a, std::string* out);
  void Config(Args a, std::string* out);
  void Auth(Args a, std::string* out);
  // Shared bodies: add `delta` to an integer; set an expiry of `ttl_us` (<= 0 deletes); reply
  // with the remaining time in `unit_us` units.
  void AddInteger(std::string_view key, int64_t delta, std::string* out);
  void SetExpiry(std::string_view key, int64_t ttl_us, std::string* out);
  void ReplyTtl(std::string_view key, int64_t unit_us, std::string* out);

  ServerContext& ctx_;
  RunId run_;
  bool authenticated_ = false;
  std::string name_;  // CLIENT SETNAME
  std::string_view refusal_;  // set by Refuse, read by AppendFailure
  std::vector<CommitTicket> pending_;  // commits not yet known durable
};

}  // namespace statelab::resp
