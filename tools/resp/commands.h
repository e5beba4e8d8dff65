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
#include <utility>
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

  // SWAPDB: databases a and b trade their runs (in memory only: the run names stay, so the
  // swap would not survive a restart; durable modes refuse SWAPDB). Sessions notice it by
  // swap_epoch() and look their database's run up again.
  Status SwapDatabases(int a, int b);
  uint64_t swap_epoch() const noexcept { return swap_epoch_.load(std::memory_order_acquire); }
  // The run of database `index` if it exists (none: the database was never used).
  Result<std::optional<RunId>> ExistingRun(int index);
  // CONFIG GET/SET of the settings kept for clients and Redis's test suite (they change nothing
  // in the engine); the persistence settings are derived from the mode.
  std::string GetConfig(std::string_view name);
  void SetConfig(std::string_view name, std::string_view value);

  // Set by the server: begins a clean shutdown (SHUTDOWN calls it).
  std::function<void()> request_shutdown;
  std::atomic<int64_t> next_client_id{0};
  // INFO commandstats: calls, time, rejected (not run: arity, queuing) and failed (error reply)
  // per command, by its index in the command table. A batch (Session::RunBatch) is timed once,
  // its time split evenly over its commands: two clock reads per command were the top symbol of
  // a pipelined GET's profile.
  struct CommandStats {
    std::atomic<uint64_t> calls{0}, ns{0}, rejected{0}, failed{0};
  };
  struct CommandTotals {
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
  };
  static constexpr size_t kMaxCommands = 96;
  // The calling thread's counters of command `index`: each thread counts in a stripe of its own
  // (up to kStatStripes threads), so workers running the same command do not pull one cache
  // line back and forth on every command.
  CommandStats& StatsFor(size_t index) noexcept { return MyStripe().commands[index]; }
  void CountCommands(uint64_t n) noexcept {
    MyStripe().total_commands.fetch_add(n, std::memory_order_relaxed);
  }
  // Sums over the stripes (INFO); ResetStats zeroes them (CONFIG RESETSTAT).
  CommandTotals TotalsOf(size_t index) const noexcept;
  uint64_t TotalCommands() const noexcept;
  void ResetStats() noexcept;
  std::atomic<int64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};

 private:
  static constexpr size_t kStatStripes = 8;
  struct alignas(64) StatStripe {
    std::array<CommandStats, kMaxCommands> commands;
    std::atomic<uint64_t> total_commands{0};
  };
  StatStripe& MyStripe() noexcept;

  std::array<StatStripe, kStatStripes> stat_stripes_;
  Db& db_;
  const std::string engine_;
  const std::string password_;
  const int port_;
  const bool strict_acks_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> swap_epoch_{0};
  std::mutex mu_;
  std::array<std::optional<RunId>, kDatabases> runs_;  // guarded by mu_
  std::vector<std::pair<std::string, std::string>> config_;  // guarded by mu_

  Result<RunId> RunLocked(int index);  // Run with mu_ held
};

// What the connection does after a request's reply is written.
enum class AfterReply : uint8_t { kContinue, kClose };

// Thread-safety: not thread-safe; one connection's thread drives a Session.
class Session {
 public:
  struct Spec;  // a command table entry (commands.cc)
  using Args = std::span<const std::string_view>;

  // Fails when database 0's run cannot be opened.
  static Result<Session> Open(ServerContext& ctx);

  // Executes one request (args non-empty), appending its reply to *out.
  AfterReply Execute(std::span<const std::string_view> args, std::string* out);
  // The command `args` names when it may share one engine transaction with other requests
  // (RunBatch): a well-formed command on named keys of the selected database, outside MULTI,
  // from an authenticated client. Null otherwise: Execute it alone.
  const Spec* Batchable(Args args);
  // The run of the selected database.
  const RunId& run() const noexcept { return run_; }
  // One request of a batch: Batchable(args) of `session` said `spec`; its reply goes to *out.
  struct Batched {
    Session* session;
    const Spec* spec;
    Args args;
    std::string* out;
  };
  // Runs the requests of `batch`, in order, in one engine transaction of `run` (the run of every
  // request's session): one commit, and one durability ticket joining each session's pending
  // acknowledgements, where each alone would cost a commit (docs/resp.md, "Batches"). False when
  // the transaction failed (an engine error, or conflicts past the retries): nothing is applied,
  // every *out is as before, and the caller Executes the requests one by one.
  static bool RunBatch(ServerContext& ctx, const RunId& run, std::span<const Batched> batch);
  // Moves the tickets of the commits acknowledged since the last call to the end of *out: the
  // replies written since then may be sent only once ServerContext::WaitDurable(them) is OK.
  void TakePending(std::vector<CommitTicket>* out) {
    out->insert(out->end(), pending_.begin(), pending_.end());
    pending_.clear();  // keeps its capacity: no allocation per request
  }
  // Whether the client may send arguments as big as the engine accepts: before AUTH (when the
  // server has a password) requests are limited, as Redis limits unauthenticated clients.
  bool authenticated() const noexcept { return authenticated_ || ctx_.password().empty(); }

 private:
  using P = AnyPartition;
  explicit Session(ServerContext& ctx, RunId run)
      : ctx_(ctx), run_(run), swap_epoch_(ctx.swap_epoch()) {}
  // The command table (docs/resp.md#commands) and a name's entry in it (null: unknown).
  static std::span<const Spec> Specs();
  static const Spec* Find(std::string_view name);
  // The index of `spec` in the command table (ServerContext::StatsFor, TotalsOf).
  static size_t IndexOf(const Spec& spec);
  // Runs one command and counts it (INFO commandstats).
  void Dispatch(const Spec& spec, Args args, std::string* out);
  // Looks the selected database's run up again after a SWAPDB.
  void FollowSwaps();

  // Runs body(Txn&) -> Status as one transaction of the selected run; its commit joins the
  // batch's pending acknowledgements. Inside EXEC it runs in EXEC's transaction instead. On
  // failure appends the error reply and returns false.
  template <class F>
  bool Commit(F&& body, std::string* out);
  // One read snapshot of the selected run (inside EXEC: EXEC's transaction); on failure appends
  // the error reply.
  template <class F>
  bool Read(F&& body, std::string* out);
  // A transaction body's way to stop with a Redis error reply (nothing is committed).
  Status Refuse(std::string_view redis_error);
  void AppendFailure(const Status& s, std::string* out);
  // A command's outcome inside EXEC: a Redis error (Refuse) is that command's reply, as in
  // Redis; an engine error (a conflict) fails EXEC's whole transaction (exec_error_), which
  // retries or applies nothing.
  bool InExec(const Status& s, std::string* out);
  // A null and a map header in the connection's protocol (HELLO 3: RESP3).
  void Null(std::string* out) const;
  void MapHeader(std::string* out, int64_t pairs) const;
  // Read of one key's value (and expiry) in its own snapshot (inside EXEC: EXEC's transaction);
  // *found false when absent. On failure appends the error reply and returns false.
  bool ReadValue(std::string_view key, Value* v, bool* found, std::string* out,
                 TimestampUs* expire_at = nullptr);
  // The string value of `key` (*found false when absent); refuses WRONGTYPE for other values.
  Status ReadString(Txn<P>& t, std::string_view key, std::string* value, bool* found,
                    TimestampUs* expire_at = nullptr);

  // Transactions (MULTI/EXEC/WATCH): docs/resp.md#transactions.
  void Multi(Args a, std::string* out);
  void Exec(Args a, std::string* out);
  void Discard(Args a, std::string* out);
  void Watch(Args a, std::string* out);
  void Unwatch(Args a, std::string* out);
  // Whether a watched key of database `db` changed since WATCH, read in `t`.
  Result<bool> WatchedChanged(Txn<P>& t, int db);

  void Ping(Args a, std::string* out);
  void Echo(Args a, std::string* out);
  void Get(Args a, std::string* out);
  void Set(Args a, std::string* out);
  void SetEx(Args a, std::string* out);
  void PSetEx(Args a, std::string* out);
  // SETEX (unit_ms 1000) and PSETEX (1): key, expiry in units, value.
  void SetExpiring(Args a, int64_t unit_ms, std::string* out);
  void SetNx(Args a, std::string* out);
  void GetSet(Args a, std::string* out);
  void GetDel(Args a, std::string* out);
  void GetEx(Args a, std::string* out);
  void Append(Args a, std::string* out);
  void StrLen(Args a, std::string* out);
  void GetRange(Args a, std::string* out);
  void SetRange(Args a, std::string* out);
  void GetBit(Args a, std::string* out);
  void SetBit(Args a, std::string* out);
  void BitCount(Args a, std::string* out);
  void Lcs(Args a, std::string* out);
  void Del(Args a, std::string* out);
  void Exists(Args a, std::string* out);
  void MGet(Args a, std::string* out);
  void MSet(Args a, std::string* out);
  void MSetNx(Args a, std::string* out);
  void Incr(Args a, std::string* out);
  void IncrBy(Args a, std::string* out);
  void Decr(Args a, std::string* out);
  void DecrBy(Args a, std::string* out);
  void IncrByFloat(Args a, std::string* out);
  void Expire(Args a, std::string* out);
  void PExpire(Args a, std::string* out);
  void ExpireAt(Args a, std::string* out);
  void PExpireAt(Args a, std::string* out);
  void ExpireTime(Args a, std::string* out);
  void PExpireTime(Args a, std::string* out);
  void Persist(Args a, std::string* out);
  void Ttl(Args a, std::string* out);
  void PTtl(Args a, std::string* out);
  void Type(Args a, std::string* out);
  void Object(Args a, std::string* out);
  void Keys(Args a, std::string* out);
  void Scan(Args a, std::string* out);
  void RandomKey(Args a, std::string* out);
  void Rename(Args a, std::string* out);
  void RenameNx(Args a, std::string* out);
  void Copy(Args a, std::string* out);
  void Move(Args a, std::string* out);
  void DbSize(Args a, std::string* out);
  void FlushDb(Args a, std::string* out);
  void FlushAll(Args a, std::string* out);
  void Info(Args a, std::string* out);
  void Select(Args a, std::string* out);
  void Client(Args a, std::string* out);
  void Command(Args a, std::string* out);
  void Config(Args a, std::string* out);
  void Auth(Args a, std::string* out);
  void Hello(Args a, std::string* out);
  void Time(Args a, std::string* out);
  void Save(Args a, std::string* out);
  void SwapDb(Args a, std::string* out);
  void Function(Args a, std::string* out);
  // Shared bodies: add `delta` to an integer; set an expiry at `at_us` (absolute, <= now
  // deletes) under EXPIRE's NX|XX|GT|LT flags from a[first_flag]; reply with the remaining time
  // in `unit_us` units or the absolute expiry; SET's and GETEX's options; RENAME(NX); COPY/MOVE.
  void AddInteger(std::string_view key, int64_t delta, std::string* out);
  void ExpireCommand(Args a, int64_t unit_us, bool absolute, std::string* out);
  void ReplyTtl(std::string_view key, int64_t unit_us, bool absolute, std::string* out);
  void RenameCommand(Args a, bool only_if_absent, std::string* out);
  // Deletes every key of database `db` (transactions of at most 1,000 keys).
  bool FlushRun(const RunId& run, std::string* out);
  // Copies `key` of this database to `to_key` of database `to_db`; deletes the source when
  // `move`. Reply: 1 copied, 0 not (absent, or the target exists and !replace).
  void CopyKey(std::string_view key, int to_db, std::string_view to_key, bool replace, bool move,
               std::string* out);

  ServerContext& ctx_;
  RunId run_;
  int db_ = 0;  // the SELECTed database
  uint64_t swap_epoch_;  // ServerContext::swap_epoch() when run_ was looked up
  bool authenticated_ = false;
  int protocol_ = 2;  // HELLO: RESP2 or RESP3
  std::string name_;  // CLIENT SETNAME
  int64_t id_ = 0;    // CLIENT ID
  std::string refusal_;  // set by Refuse, read by AppendFailure
  std::vector<CommitTicket> pending_;  // commits not yet known durable
  // MULTI: the queued requests (copies: the input buffer moves on); a queuing error makes EXEC
  // fail with EXECABORT.
  bool multi_ = false;
  bool multi_failed_ = false;
  std::vector<std::vector<std::string>> queued_;
  // WATCH: each key's database, version and liveness when it was watched.
  struct Watched {
    int db;
    std::string key;
    Version version;
    bool live;
  };
  std::vector<Watched> watched_;
  Txn<P>* exec_ = nullptr;  // EXEC's transaction while its commands run
  Status exec_error_;       // the first engine error of a command inside EXEC
};

template <class F>
bool Session::Commit(F&& body, std::string* out) {
  if (exec_ != nullptr) return InExec(body(*exec_), out);
  Result<CommitTicket> r = CommitTransaction(ctx_.db().engine(), run_, body, TxnOptions{});
  if (!r.ok()) {
    AppendFailure(r.error(), out);
    return false;
  }
  if (r->durable_token != 0) pending_.push_back(*r);
  return true;
}

template <class F>
bool Session::Read(F&& body, std::string* out) {
  if (exec_ != nullptr) return InExec(body(*exec_), out);
  Status s = RunRead(ctx_.db().engine(), run_, body);
  if (!s.ok()) AppendFailure(s, out);
  return s.ok();
}

}  // namespace statelab::resp
