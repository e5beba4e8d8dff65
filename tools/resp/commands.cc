// The dispatch, transactions (MULTI/EXEC/WATCH) and the server and connection commands of
// `statelab serve`; the string and key commands are in string_commands.cc.
#include "tools/resp/commands.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

#include "engines/primitives/run_index.h"
#include "tools/resp/command_util.h"
#include "tools/resp/resp_reply.h"

namespace statelab::resp {
namespace {

using P = AnyPartition;
constexpr size_t kMaxQueued = 10000;  // commands between MULTI and EXEC
constexpr std::string_view kNotInMulti = "ERR Command not allowed inside a transaction";

int64_t RssBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * ::sysconf(_SC_PAGESIZE);
}

// Redis's reply to an unknown command: the name and the beginning of the arguments.
std::string UnknownCommand(std::span<const std::string_view> args) {
  std::string msg = "ERR unknown command '" + std::string(args[0].substr(0, 128)) +
                    "', with args beginning with: ";
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    list += "'" + std::string(args[i].substr(0, 128 - list.size())) + "' ";
  }
  return msg + list;
}

// The settings CONFIG GET/SET know, with their defaults and the values CONFIG SET accepts
// (persistence ones are derived from the mode in GetConfig). They are kept so clients and the
// Redis suite can read back what they set; they change nothing in the engine.
struct ConfigSetting {
  enum Type : uint8_t { kInteger, kMemory, kYesNo, kPolicy, kText };
  std::string_view name;
  std::string_view default_value;
  Type type;
};
constexpr ConfigSetting kConfigDefaults[] = {
    {"maxmemory", "0", ConfigSetting::kMemory},
    {"maxmemory-policy", "noeviction", ConfigSetting::kPolicy},
    {"timeout", "0", ConfigSetting::kInteger},
    {"hz", "10", ConfigSetting::kInteger},
    {"databases", "16", ConfigSetting::kInteger},
    {"proto-max-bulk-len", "16777216", ConfigSetting::kMemory},
    {"lazyfree-lazy-user-del", "no", ConfigSetting::kYesNo},
    {"lazyfree-lazy-user-flush", "no", ConfigSetting::kYesNo},
    {"lazyfree-lazy-expire", "no", ConfigSetting::kYesNo},
    {"lazyfree-lazy-server-del", "no", ConfigSetting::kYesNo},
    {"latency-tracking", "yes", ConfigSetting::kYesNo},
    {"list-max-listpack-size", "-2", ConfigSetting::kInteger},
    {"set-max-intset-entries", "512", ConfigSetting::kInteger},
    {"zset-max-ziplist-entries", "128", ConfigSetting::kInteger},
    {"hash-max-ziplist-entries", "128", ConfigSetting::kInteger},
    {"notify-keyspace-events", "", ConfigSetting::kText},
};
constexpr std::string_view kPolicies[] = {
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru",  "allkeys-lfu",  "allkeys-random",  "noeviction"};

// Why CONFIG SET refuses `value` for `s` (Redis's words), empty when it accepts it.
std::string ConfigValueError(const ConfigSetting& s, std::string_view value) {
  int64_t n = 0;
  switch (s.type) {
    case ConfigSetting::kInteger:
      return ParseInt64(value, &n) ? "" : "argument couldn't be parsed into an integer";
    case ConfigSetting::kMemory: {
      // Redis's memtoull: digits, then b, k, kb, m, mb, g or gb.
      size_t digits = 0;
      while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) {
        ++digits;
      }
      const std::string unit = Lower(value.substr(digits));
      static constexpr std::string_view kUnits[] = {"", "b", "k", "kb", "m", "mb", "g", "gb"};
      const bool ok = digits > 0 && std::find(std::begin(kUnits), std::end(kUnits), unit) !=
                                        std::end(kUnits);
      return ok ? "" : "argument must be a memory value";
    }
    case ConfigSetting::kYesNo:
      return EqualsNoCase(value, "yes") || EqualsNoCase(value, "no")
                 ? ""
                 : "argument must be 'yes' or 'no'";
    case ConfigSetting::kPolicy:
      for (std::string_view p : kPolicies) {
        if (EqualsNoCase(p, value)) return "";
      }
      return "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
             "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
             "noeviction";
    case ConfigSetting::kText:
      return "";
  }
  return "";
}

}  // namespace

std::string RunNameOf(int index) { return "resp-db" + std::to_string(index); }

ServerContext::ServerContext(Db& db, std::string engine, std::string password, int port,
                             bool strict_acks)
    : db_(db),
      engine_(std::move(engine)),
      password_(std::move(password)),
      port_(port),
      strict_acks_(strict_acks) {
  for (const ConfigSetting& s : kConfigDefaults) config_.emplace_back(s.name, s.default_value);
}

ServerContext::StatStripe& ServerContext::MyStripe() noexcept {
  // Threads take stripes in turn, the first time they count anything.
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kStatStripes;
  return stat_stripes_[mine];
}

ServerContext::CommandTotals ServerContext::TotalsOf(size_t index) const noexcept {
  CommandTotals t;
  for (const StatStripe& s : stat_stripes_) {
    const CommandStats& c = s.commands[index];
    t.calls += c.calls.load(std::memory_order_relaxed);
    t.usec += c.ns.load(std::memory_order_relaxed);
    t.rejected += c.rejected.load(std::memory_order_relaxed);
    t.failed += c.failed.load(std::memory_order_relaxed);
  }
  t.usec /= 1000;
  return t;
}

uint64_t ServerContext::TotalCommands() const noexcept {
  uint64_t n = 0;
  for (const StatStripe& s : stat_stripes_) n += s.total_commands.load(std::memory_order_relaxed);
  return n;
}

void ServerContext::ResetStats() noexcept {
  for (StatStripe& s : stat_stripes_) {
    for (CommandStats& c : s.commands) {
      for (std::atomic<uint64_t>* v : {&c.calls, &c.ns, &c.rejected, &c.failed}) {
        v->store(0, std::memory_order_relaxed);
      }
    }
  }
}

bool ServerContext::AcksWaitForSync() const noexcept {
  const DurabilityMode mode = db_.mode();
  return mode == DurabilityMode::kStrict || (mode == DurabilityMode::kBuffered && strict_acks_);
}

Status ServerContext::WaitDurable(std::span<const CommitTicket> tickets) {
  std::vector<CommitTicket> newest_first(tickets.begin(), tickets.end());
  std::sort(newest_first.begin(), newest_first.end(),
            [](const CommitTicket& a, const CommitTicket& b) {
              return a.durable_token > b.durable_token;
            });
  for (const CommitTicket& t : newest_first) {
    STATELAB_RETURN_IF_ERROR(db_.engine().WaitDurable(t, strict_acks_));
  }
  return Status::OK();
}

Result<RunId> ServerContext::Run(int index) {
  std::lock_guard lk(mu_);
  return RunLocked(index);
}

Status ServerContext::SwapDatabases(int a, int b) {
  std::lock_guard lk(mu_);
  STATELAB_ASSIGN_OR_RETURN(const RunId run_a, RunLocked(a));
  STATELAB_ASSIGN_OR_RETURN(const RunId run_b, RunLocked(b));
  runs_[a] = run_b;
  runs_[b] = run_a;
  swap_epoch_.fetch_add(1, std::memory_order_release);
  return Status::OK();
}

Result<RunId> ServerContext::RunLocked(int index) {
  if (runs_[index]) return *runs_[index];
  RunIndex<AnyEngine> runs(db_.engine());
  const std::string name = RunNameOf(index);
  Result<RunInfo> info = runs.GetRun(name);
  if (info.ok()) return *(runs_[index] = info->id);
  if (!info.error().IsNotFound()) return info.error();
  STATELAB_ASSIGN_OR_RETURN(const RunId id, runs.CreateRun(name));
  return *(runs_[index] = id);
}

Result<std::optional<RunId>> ServerContext::ExistingRun(int index) {
  std::lock_guard lk(mu_);
  if (runs_[index]) return runs_[index];
  Result<RunInfo> info = RunIndex<AnyEngine>(db_.engine()).GetRun(RunNameOf(index));
  if (info.ok()) return runs_[index] = info->id;
  if (!info.error().IsNotFound()) return info.error();
  return std::optional<RunId>();
}

std::array<std::optional<RunId>, kDatabases> ServerContext::KnownRuns() {
  std::lock_guard lk(mu_);
  return runs_;
}

std::string ServerContext::GetConfig(std::string_view name) {
  const DurabilityMode mode = db_.mode();
  if (EqualsNoCase(name, "appendonly")) return mode == DurabilityMode::kInMemory ? "no" : "yes";
  if (EqualsNoCase(name, "appendfsync")) {
    return mode == DurabilityMode::kStrict ? "always" : "everysec";
  }
  if (EqualsNoCase(name, "save")) return "";
  if (EqualsNoCase(name, "port")) return std::to_string(port_);
  std::lock_guard lk(mu_);
  for (const auto& [k, v] : config_) {
    if (EqualsNoCase(k, name)) return v;
  }
  return {};
}

void ServerContext::SetConfig(std::string_view name, std::string_view value) {
  std::lock_guard lk(mu_);
  for (auto& [k, v] : config_) {
    if (EqualsNoCase(k, name)) v = value;
  }
}

// arity: as Redis counts it (the command name included); negative = at least -arity.
struct Session::Spec {
  // kTxn: runs inside EXEC's engine transaction (keys of the selected database). kAfter: inside
  // EXEC it runs after the transaction committed (server, connection and cross-database
  // commands). kControl: MULTI, EXEC, DISCARD, WATCH, UNWATCH (never queued). kNoMulti: refused
  // inside MULTI (the transaction then fails), as Redis's no-multi commands.
  enum Kind : uint8_t { kTxn, kAfter, kControl, kNoMulti };
  std::string_view name;
  int arity;
  void (Session::*run)(Args, std::string*);
  Kind kind;
  int first_key;  // COMMAND INFO: first key, last key (-1: to the end), step
  int last_key;
  int step;
};

std::span<const Session::Spec> Session::Specs() {
  using K = Spec::Kind;
  using S = Session;
  // GET and SET first: Find's linear search is the fast path for them.
  static constexpr Spec kSpecs[] = {
      {"GET", 2, &S::Get, K::kTxn, 1, 1, 1},
      {"SET", -3, &S::Set, K::kTxn, 1, 1, 1},
      {"MGET", -2, &S::MGet, K::kTxn, 1, -1, 1},
      {"MSET", -3, &S::MSet, K::kTxn, 1, -1, 2},
      {"INCR", 2, &S::Incr, K::kTxn, 1, 1, 1},
      {"INCRBY", 3, &S::IncrBy, K::kTxn, 1, 1, 1},
      {"DECR", 2, &S::Decr, K::kTxn, 1, 1, 1},
      {"DECRBY", 3, &S::DecrBy, K::kTxn, 1, 1, 1},
      {"DEL", -2, &S::Del, K::kTxn, 1, -1, 1},
      {"UNLINK", -2, &S::Del, K::kTxn, 1, -1, 1},
      {"EXISTS", -2, &S::Exists, K::kTxn, 1, -1, 1},
      {"EXPIRE", -3, &S::Expire, K::kTxn, 1, 1, 1},
      {"PEXPIRE", -3, &S::PExpire, K::kTxn, 1, 1, 1},
      {"EXPIREAT", -3, &S::ExpireAt, K::kTxn, 1, 1, 1},
      {"PEXPIREAT", -3, &S::PExpireAt, K::kTxn, 1, 1, 1},
      {"EXPIRETIME", 2, &S::ExpireTime, K::kTxn, 1, 1, 1},
      {"PEXPIRETIME", 2, &S::PExpireTime, K::kTxn, 1, 1, 1},
      {"PERSIST", 2, &S::Persist, K::kTxn, 1, 1, 1},
      {"TTL", 2, &S::Ttl, K::kTxn, 1, 1, 1},
      {"PTTL", 2, &S::PTtl, K::kTxn, 1, 1, 1},
      {"SETEX", 4, &S::SetEx, K::kTxn, 1, 1, 1},
      {"PSETEX", 4, &S::PSetEx, K::kTxn, 1, 1, 1},
      {"SETNX", 3, &S::SetNx, K::kTxn, 1, 1, 1},
      {"GETSET", 3, &S::GetSet, K::kTxn, 1, 1, 1},
      {"GETDEL", 2, &S::GetDel, K::kTxn, 1, 1, 1},
      {"GETEX", -2, &S::GetEx, K::kTxn, 1, 1, 1},
      {"MSETNX", -3, &S::MSetNx, K::kTxn, 1, -1, 2},
      {"APPEND", 3, &S::Append, K::kTxn, 1, 1, 1},
      {"STRLEN", 2, &S::StrLen, K::kTxn, 1, 1, 1},
      {"GETRANGE", 4, &S::GetRange, K::kTxn, 1, 1, 1},
      {"SUBSTR", 4, &S::GetRange, K::kTxn, 1, 1, 1},
      {"SETRANGE", 4, &S::SetRange, K::kTxn, 1, 1, 1},
      {"GETBIT", 3, &S::GetBit, K::kTxn, 1, 1, 1},
      {"SETBIT", 4, &S::SetBit, K::kTxn, 1, 1, 1},
      {"BITCOUNT", -2, &S::BitCount, K::kTxn, 1, 1, 1},
      {"INCRBYFLOAT", 3, &S::IncrByFloat, K::kTxn, 1, 1, 1},
      {"LCS", -3, &S::Lcs, K::kTxn, 1, 2, 1},
      {"KEYS", 2, &S::Keys, K::kTxn, 0, 0, 0},
      {"SCAN", -2, &S::Scan, K::kTxn, 0, 0, 0},
      {"RANDOMKEY", 1, &S::RandomKey, K::kTxn, 0, 0, 0},
      {"RENAME", 3, &S::Rename, K::kTxn, 1, 2, 1},
      {"RENAMENX", 3, &S::RenameNx, K::kTxn, 1, 2, 1},
      {"COPY", -3, &S::Copy, K::kAfter, 1, 2, 1},
      {"MOVE", 3, &S::Move, K::kAfter, 1, 1, 1},
      {"TYPE", 2, &S::Type, K::kTxn, 1, 1, 1},
      {"OBJECT", -2, &S::Object, K::kTxn, 2, 2, 1},
      {"DBSIZE", 1, &S::DbSize, K::kTxn, 0, 0, 0},
      {"FLUSHDB", -1, &S::FlushDb, K::kTxn, 0, 0, 0},
      {"FLUSHALL", -1, &S::FlushAll, K::kAfter, 0, 0, 0},
      {"MULTI", 1, &S::Multi, K::kControl, 0, 0, 0},
      {"EXEC", 1, &S::Exec, K::kControl, 0, 0, 0},
      {"DISCARD", 1, &S::Discard, K::kControl, 0, 0, 0},
      {"WATCH", -2, &S::Watch, K::kControl, 1, -1, 1},
      {"UNWATCH", 1, &S::Unwatch, K::kControl, 0, 0, 0},
      {"PING", -1, &S::Ping, K::kAfter, 0, 0, 0},
      {"ECHO", 2, &S::Echo, K::kAfter, 0, 0, 0},
      {"INFO", -1, &S::Info, K::kAfter, 0, 0, 0},
      {"SELECT", 2, &S::Select, K::kAfter, 0, 0, 0},
      {"CLIENT", -2, &S::Client, K::kAfter, 0, 0, 0},
      {"COMMAND", -1, &S::Command, K::kAfter, 0, 0, 0},
      {"CONFIG", -2, &S::Config, K::kAfter, 0, 0, 0},
      {"AUTH", -2, &S::Auth, K::kAfter, 0, 0, 0},
      {"HELLO", -1, &S::Hello, K::kAfter, 0, 0, 0},
      {"TIME", 1, &S::Time, K::kAfter, 0, 0, 0},
      {"FUNCTION", -2, &S::Function, K::kAfter, 0, 0, 0},
      {"SAVE", 1, &S::Save, K::kNoMulti, 0, 0, 0},
      {"SWAPDB", 3, &S::SwapDb, K::kAfter, 0, 0, 0},
  };
  static_assert(std::size(kSpecs) <= ServerContext::kMaxCommands);
  return kSpecs;
}

const Session::Spec* Session::Find(std::string_view name) {
  for (const Spec& s : Specs()) {
    if (EqualsNoCase(s.name, name)) return &s;
  }
  return nullptr;
}

size_t Session::IndexOf(const Spec& spec) { return static_cast<size_t>(&spec - Specs().data()); }

Result<Session> Session::Open(ServerContext& ctx) {
  STATELAB_ASSIGN_OR_RETURN(const RunId run, ctx.Run(0));
  Session s(ctx, run);
  s.id_ = ctx.next_client_id.fetch_add(1, std::memory_order_relaxed) + 1;
  return s;
}

AfterReply Session::Execute(Args args, std::string* out) {
  ctx_.CountCommands(1);
  const std::string_view name = args[0];
  if (EqualsNoCase(name, "QUIT")) {
    AppendOk(out);
    return AfterReply::kClose;
  }
  if (!authenticated() && !EqualsNoCase(name, "AUTH") && !EqualsNoCase(name, "HELLO")) {
    AppendError(out, "NOAUTH Authentication required.");
    return AfterReply::kContinue;
  }
  if (EqualsNoCase(name, "SHUTDOWN")) {
    if (multi_) {
      multi_failed_ = true;
      AppendError(out, kNotInMulti);
      return AfterReply::kContinue;
    }
    // No reply, as Redis: the client sees the connection close once the server has stopped.
    if (ctx_.request_shutdown) ctx_.request_shutdown();
    return AfterReply::kClose;
  }
  FollowSwaps();
  const Spec* spec = Find(name);
  if (spec == nullptr) {
    multi_failed_ |= multi_;
    AppendError(out, UnknownCommand(args));
    return AfterReply::kContinue;
  }
  const int n = static_cast<int>(std::min<size_t>(args.size(), 1u << 30));
  if (spec->arity > 0 ? n != spec->arity : n < -spec->arity) {
    multi_failed_ |= multi_;
    ctx_.StatsFor(IndexOf(*spec)).rejected.fetch_add(1, std::memory_order_relaxed);
    AppendError(out, "ERR wrong number of arguments for '" + Lower(spec->name) + "' command");
    return AfterReply::kContinue;
  }
  if (multi_ && spec->kind == Spec::kNoMulti) {
    multi_failed_ = true;
    AppendError(out, kNotInMulti);
    return AfterReply::kContinue;
  }
  if (multi_ && spec->kind != Spec::kControl) {
    // EXEC runs the queue as one transaction, which finds its own writes by linear search.
    if (queued_.size() >= kMaxQueued) {
      multi_failed_ = true;
      AppendError(out, "ERR too many commands in one transaction (limit 10000)");
      return AfterReply::kContinue;
    }
    queued_.emplace_back(args.begin(), args.end());
    AppendSimple(out, "QUEUED");
    return AfterReply::kContinue;
  }
  Dispatch(*spec, args, out);
  return AfterReply::kContinue;
}

void Session::FollowSwaps() {
  if (const uint64_t epoch = ctx_.swap_epoch(); epoch != swap_epoch_) {
    // A SWAPDB since this session looked its database up (Run of a known index cannot fail).
    Result<RunId> run = ctx_.Run(db_);
    if (run.ok()) run_ = *run;
    swap_epoch_ = epoch;
  }
}

const Session::Spec* Session::Batchable(Args args) {
  if (multi_ || !authenticated()) return nullptr;
  FollowSwaps();
  const Spec* spec = Find(args[0]);
  // Commands over the whole keyspace (KEYS, SCAN, DBSIZE, FLUSHDB, ...; first_key 0) would put
  // every key into the shared transaction's read or write set: they run alone.
  if (spec == nullptr || spec->kind != Spec::kTxn || spec->first_key == 0) return nullptr;
  const size_t n = args.size();
  const bool arity_ok = spec->arity > 0 ? n == static_cast<size_t>(spec->arity)
                                        : n >= static_cast<size_t>(-spec->arity);
  return arity_ok ? spec : nullptr;  // a wrong arity is answered by Execute
}

bool Session::RunBatch(ServerContext& ctx, const RunId& run, std::span<const Batched> batch) {
  // Each reply's start: a retry starts over from there. Named through a local reference: the
  // transaction may run on another thread (shared_nothing runs queued calls on the token holder),
  // where the name of a thread_local would be that thread's vector.
  thread_local std::vector<size_t> this_thread_sizes;
  std::vector<size_t>& sizes = this_thread_sizes;
  sizes.clear();
  for (const Batched& b : batch) sizes.push_back(b.out->size());
  // Requests of one connection share its output: truncating newest first only ever shrinks it.
  auto truncate = [&] {
    for (size_t i = batch.size(); i-- > 0;) batch[i].out->resize(sizes[i]);
  };
  const RunId batch_run = run;  // CommitTransaction's scope refers to it while it runs
  std::chrono::steady_clock::duration took{};  // the last attempt's
  Result<CommitTicket> r = CommitTransaction(
      ctx.db().engine(), batch_run,
      [&](Txn<P>& t) -> Status {
        truncate();
        const auto start = std::chrono::steady_clock::now();
        for (const Batched& b : batch) {
          Session& s = *b.session;
          s.exec_ = &t;
          (s.*b.spec->run)(b.args, b.out);
          s.exec_ = nullptr;
          // An engine error (not a Redis error reply) fails the shared transaction.
          if (!s.exec_error_.ok()) return std::exchange(s.exec_error_, Status::OK());
        }
        took = std::chrono::steady_clock::now() - start;
        return Status::OK();
      },
      TxnOptions{});
  if (!r.ok()) {
    truncate();
    return false;
  }
  ctx.CountCommands(batch.size());
  // Counted once the batch committed, so a retried attempt is not counted twice.
  const auto share = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(took).count() /
      static_cast<int64_t>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    ServerContext::CommandStats& st = ctx.StatsFor(IndexOf(*batch[i].spec));
    st.calls.fetch_add(1, std::memory_order_relaxed);
    st.ns.fetch_add(share, std::memory_order_relaxed);
    if (batch[i].out->size() > sizes[i] && (*batch[i].out)[sizes[i]] == '-') {
      st.failed.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (r->durable_token != 0) {
    for (const Batched& b : batch) {
      std::vector<CommitTicket>& pending = b.session->pending_;
      if (pending.empty() || pending.back().durable_token != r->durable_token)
        pending.push_back(*r);
    }
  }
  return true;
}

void Session::Dispatch(const Spec& spec, Args args, std::string* out) {
  const size_t before = out->size();
  const auto start = std::chrono::steady_clock::now();
  (this->*spec.run)(args, out);
  ServerContext::CommandStats& st = ctx_.StatsFor(IndexOf(spec));
  st.calls.fetch_add(1, std::memory_order_relaxed);
  st.ns.fetch_add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now() - start)
                                            .count()),
                  std::memory_order_relaxed);
  if (out->size() > before && (*out)[before] == '-') {
    st.failed.fetch_add(1, std::memory_order_relaxed);
  }
}

Status Session::Refuse(std::string_view redis_error) {
  refusal_ = redis_error;
  return Status::InvalidArgument(redis_error);
}

void Session::AppendFailure(const Status& s, std::string* out) {
  if (!refusal_.empty()) {
    AppendError(out, refusal_);
    refusal_.clear();
  } else {
    AppendError(out, "ERR " + s.ToString());
  }
}

bool Session::InExec(const Status& s, std::string* out) {
  if (s.ok()) return true;
  if (refusal_.empty() && exec_error_.ok()) exec_error_ = s;
  AppendFailure(s, out);
  return false;
}

void Session::Null(std::string* out) const {
  out->append(protocol_ == 3 ? "_\r\n" : "$-1\r\n");
}

void Session::MapHeader(std::string* out, int64_t pairs) const {
  if (protocol_ == 3) return AppendPrefixedInt(out, '%', pairs);
  AppendArrayHeader(out, 2 * pairs);
}

// --- Transactions ---------------------------------------------------------------------------

void Session::Multi(Args, std::string* out) {
  if (multi_) return AppendError(out, "ERR MULTI calls can not be nested");
  multi_ = true;
  multi_failed_ = false;
  queued_.clear();
  AppendOk(out);
}

void Session::Discard(Args, std::string* out) {
  if (!multi_) return AppendError(out, "ERR DISCARD without MULTI");
  multi_ = false;
  queued_.clear();
  watched_.clear();
  AppendOk(out);
}

void Session::Watch(Args a, std::string* out) {
  if (multi_) return AppendError(out, "ERR WATCH inside MULTI is not allowed");
  std::vector<Watched> seen;
  if (!Read(
          [&](Txn<P>& t) -> Status {
            seen.clear();
            for (size_t i = 1; i < a.size(); ++i) {
              Version v = 0;
              Status s = KvOps<P>(t).Get(a[i], nullptr, &v);
              if (!s.ok() && !s.IsNotFound()) return s;
              seen.push_back({db_, std::string(a[i]), v, s.ok()});
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  watched_.insert(watched_.end(), seen.begin(), seen.end());
  AppendOk(out);
}

void Session::Unwatch(Args, std::string* out) {
  watched_.clear();
  AppendOk(out);
}

Result<bool> Session::WatchedChanged(Txn<P>& t, int db) {
  for (const Watched& w : watched_) {
    if (w.db != db) continue;
    // Read in t: the key joins t's read set, so a change after this read makes the commit
    // fail validation, and the retry sees the new version.
    Version v = 0;
    Status s = KvOps<P>(t).Get(w.key, nullptr, &v);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (v != w.version || (w.live && !s.ok())) return true;  // written, deleted or expired
  }
  return false;
}

void Session::Exec(Args, std::string* out) {
  if (!multi_) return AppendError(out, "ERR EXEC without MULTI");
  multi_ = false;
  const std::vector<std::vector<std::string>> queued = std::exchange(queued_, {});
  if (multi_failed_) {
    multi_failed_ = false;
    watched_.clear();
    return AppendError(out, "EXECABORT Transaction discarded because of previous errors.");
  }
  auto abort_reply = [&] { out->append(protocol_ == 3 ? "_\r\n" : "*-1\r\n"); };
  // watched_ is read by WatchedChanged below and cleared whatever EXEC's outcome.
  // Keys watched in other databases (WATCH, then SELECT) are checked before the transaction.
  for (int db = 0; db < kDatabases; ++db) {
    if (db == db_ || std::none_of(watched_.begin(), watched_.end(),
                                  [&](const Watched& w) { return w.db == db; })) {
      continue;
    }
    Result<RunId> run = ctx_.Run(db);
    if (!run.ok()) {
      watched_.clear();
      return AppendFailure(run.error(), out);
    }
    bool changed = false;
    Status s = RunRead(ctx_.db().engine(), *run, [&](Txn<P>& t) -> Status {
      STATELAB_ASSIGN_OR_RETURN(changed, WatchedChanged(t, db));
      return Status::OK();
    });
    if (!s.ok() || changed) {
      watched_.clear();
      return s.ok() ? abort_reply() : AppendFailure(s, out);
    }
  }
  std::vector<std::vector<std::string_view>> argv(queued.size());
  std::vector<const Spec*> specs(queued.size());
  for (size_t i = 0; i < queued.size(); ++i) {
    argv[i].assign(queued[i].begin(), queued[i].end());
    specs[i] = Find(argv[i][0]);
  }
  std::vector<std::string> replies(queued.size());
  bool aborted = false;
  // Every queued command of this database in one engine transaction: one commit, one
  // durability wait, all or nothing. A conflict retries the whole body.
  Result<CommitTicket> r = CommitTransaction(
      ctx_.db().engine(), run_,
      [&](Txn<P>& t) -> Status {
        STATELAB_ASSIGN_OR_RETURN(aborted, WatchedChanged(t, db_));
        if (aborted) return Status::OK();
        exec_ = &t;
        exec_error_ = Status::OK();
        for (size_t i = 0; i < queued.size() && exec_error_.ok(); ++i) {
          if (specs[i]->kind != Spec::kTxn) continue;
          replies[i].clear();
          Dispatch(*specs[i], argv[i], &replies[i]);
        }
        exec_ = nullptr;
        return std::exchange(exec_error_, Status::OK());
      },
      TxnOptions{});
  exec_ = nullptr;
  watched_.clear();
  if (!r.ok()) return AppendFailure(r.error(), out);
  if (aborted) return abort_reply();
  if (r->durable_token != 0) pending_.push_back(*r);
  for (size_t i = 0; i < queued.size(); ++i) {
    if (specs[i]->kind == Spec::kAfter) Dispatch(*specs[i], argv[i], &replies[i]);
  }
  AppendArrayHeader(out, static_cast<int64_t>(replies.size()));
  for (const std::string& reply : replies) out->append(reply);
}

// --- Server and connection ------------------------------------------------------------------

void Session::Ping(Args a, std::string* out) {
  if (a.size() > 2) return AppendError(out, "ERR wrong number of arguments for 'ping' command");
  if (a.size() == 2) return AppendBulk(out, a[1]);
  AppendSimple(out, "PONG");
}

void Session::Echo(Args a, std::string* out) { AppendBulk(out, a[1]); }

void Session::Info(Args a, std::string* out) {
  // Sections as Redis 7.0 groups them: default, all (default + commandstats, latencystats),
  // everything; several names may be given.
  static constexpr std::string_view kDefault[] = {
      "server", "clients", "memory", "persistence", "stats", "replication",
      "cpu",    "modules", "errorstats", "cluster", "keyspace"};
  std::vector<std::string> want;
  auto add = [&](std::string_view s) {
    const std::string l = Lower(s);
    if (std::find(want.begin(), want.end(), l) == want.end()) want.push_back(l);
  };
  if (a.size() < 2) {
    for (std::string_view s : kDefault) add(s);
  }
  for (size_t i = 1; i < a.size(); ++i) {
    const std::string l = Lower(a[i]);
    if (l == "default" || l == "all" || l == "everything") {
      for (std::string_view s : kDefault) add(s);
      if (l != "default") {
        add("commandstats");
        add("latencystats");
      }
    } else {
      add(l);
    }
  }
  auto wanted = [&](std::string_view s) {
    return std::find(want.begin(), want.end(), s) != want.end();
  };
  const DurabilityMode mode = ctx_.db().mode();
  std::string info;
  auto line = [&](std::string_view k, const std::string& v) {
    info.append(k).append(":").append(v).append("\r\n");
  };
  auto section = [&](std::string_view title) {
    if (!info.empty()) info += "\r\n";
    info.append("# ").append(title).append("\r\n");
  };
  if (wanted("server")) {
    section("Server");
    line("redis_version", "7.0.0");  // the protocol level clients may check; not Redis itself
    line("redis_mode", "standalone");
    line("statelab_engine", ctx_.engine());
    line("statelab_mode", std::string(ModeName(mode)));
    line("process_id", std::to_string(::getpid()));
    line("tcp_port", std::to_string(ctx_.port()));
    line("uptime_in_seconds",
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - ctx_.started())
                            .count()));
  }
  if (wanted("clients")) {
    section("Clients");
    line("connected_clients", std::to_string(ctx_.connected_clients.load()));
  }
  if (wanted("memory")) {
    const int64_t rss = RssBytes();
    section("Memory");
    line("used_memory", std::to_string(rss));  // the RSS: the engine has no allocator count
    line("used_memory_rss", std::to_string(rss));
  }
  if (wanted("persistence")) {
    section("Persistence");
    line("loading", "0");
    line("aof_enabled", mode == DurabilityMode::kInMemory ? "0" : "1");
    line("statelab_wal_syncs", std::to_string(ctx_.db().Stats().wal_syncs));
  }
  if (wanted("stats")) {
    const EngineStats stats = ctx_.db().Stats();
    section("Stats");
    line("total_connections_received", std::to_string(ctx_.total_connections.load()));
    line("total_commands_processed", std::to_string(ctx_.TotalCommands()));
    line("rejected_connections", std::to_string(ctx_.rejected_connections.load()));
    line("statelab_commits", std::to_string(stats.commits));
    line("statelab_engine_keys", std::to_string(stats.keys));
  }
  if (wanted("replication")) {
    section("Replication");
    line("role", "master");
    line("connected_slaves", "0");
    line("master_repl_offset", "0");
  }
  if (wanted("cpu")) {
    rusage self{}, children{};
    ::getrusage(RUSAGE_SELF, &self);
    ::getrusage(RUSAGE_CHILDREN, &children);
    auto secs = [](const timeval& tv) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%ld.%06ld", static_cast<long>(tv.tv_sec),
                    static_cast<long>(tv.tv_usec));
      return std::string(buf);
    };
    section("CPU");
    line("used_cpu_sys", secs(self.ru_stime));
    line("used_cpu_user", secs(self.ru_utime));
    line("used_cpu_sys_children", secs(children.ru_stime));
    line("used_cpu_user_children", secs(children.ru_utime));
  }
  if (wanted("modules")) section("Modules");
  if (wanted("errorstats")) section("Errorstats");
  if (wanted("cluster")) {
    section("Cluster");
    line("cluster_enabled", "0");
  }
  if (wanted("commandstats")) {
    section("Commandstats");
    for (const Spec& spec : Specs()) {
      const ServerContext::CommandTotals st = ctx_.TotalsOf(IndexOf(spec));
      const uint64_t calls = st.calls, rejected = st.rejected;
      if (calls == 0 && rejected == 0) continue;
      const uint64_t usec = st.usec;
      char per_call[32];
      std::snprintf(per_call, sizeof per_call, "%.2f",
                    calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(calls));
      line("cmdstat_" + Lower(spec.name),
           "calls=" + std::to_string(calls) + ",usec=" + std::to_string(usec) +
               ",usec_per_call=" + per_call + ",rejected_calls=" + std::to_string(rejected) +
               ",failed_calls=" + std::to_string(st.failed));
    }
  }
  if (wanted("latencystats")) section("Latencystats");
  // The keyspace section visits every key: only when it is asked for.
  if (wanted("keyspace")) {
    section("Keyspace");
    const auto runs = ctx_.KnownRuns();
    for (int i = 0; i < kDatabases; ++i) {
      if (!runs[i]) continue;
      int64_t keys = 0, expires = 0;
      Status s = RunRead(ctx_.db().engine(), *runs[i], [&](Txn<P>& t) {
        // A scan does not report expiry: collect the names, then read each key's.
        std::vector<std::string> names;
        STATELAB_RETURN_IF_ERROR(t.Scan(Tag::kKv, "", [&](std::string_view k, const Value&,
                                                          Version) {
          names.emplace_back(k);
          return true;
        }));
        keys = static_cast<int64_t>(names.size());
        for (const std::string& k : names) {
          TimestampUs at = 0;
          STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Get(k, nullptr, nullptr, &at));
          expires += at != 0;
        }
        return Status::OK();
      });
      if (!s.ok()) return AppendFailure(s, out);
      if (keys > 0) {
        line("db" + std::to_string(i),
             "keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) +
                 ",avg_ttl=0");
      }
    }
  }
  if (protocol_ == 3) {
    AppendPrefixedInt(out, '=', static_cast<int64_t>(info.size() + 4));
    out->append("txt:").append(info).append("\r\n");
    return;
  }
  AppendBulk(out, info);
}

void Session::Select(Args a, std::string* out) {
  int64_t index = 0;
  if (!ParseInt64(a[1], &index)) return AppendError(out, kNotInteger);
  if (index < 0 || index >= kDatabases) return AppendError(out, "ERR DB index is out of range");
  Result<RunId> run = ctx_.Run(static_cast<int>(index));
  if (!run.ok()) return AppendFailure(run.error(), out);
  run_ = *run;
  db_ = static_cast<int>(index);
  AppendOk(out);
}

void Session::Client(Args a, std::string* out) {
  const std::string sub = Lower(a[1]);
  auto describe = [&] {
    return "id=" + std::to_string(id_) + " name=" + name_ + " db=" + std::to_string(db_) +
           " flags=" + (multi_ ? "x" : "N") +
           " multi=" + (multi_ ? std::to_string(queued_.size()) : "-1") +
           " user=default resp=" + std::to_string(protocol_) + "\n";
  };
  if (sub == "setname" && a.size() == 3) {
    for (char c : a[2]) {
      if (c <= ' ' || c > '~') {
        return AppendError(
            out, "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    name_ = a[2];
    return AppendOk(out);
  }
  if (sub == "getname" && a.size() == 2) {
    return name_.empty() ? Null(out) : AppendBulk(out, name_);
  }
  if (sub == "id" && a.size() == 2) return AppendInt(out, id_);
  // This connection only: sessions do not see each other (docs/resp.md).
  if ((sub == "info" || sub == "list") && a.size() == 2) return AppendBulk(out, describe());
  if (sub == "setinfo" && a.size() == 4) return AppendOk(out);
  AppendError(out, "ERR unknown subcommand '" + std::string(a[1].substr(0, 128)) +
                       "'. Try CLIENT HELP.");
}

void Session::Command(Args a, std::string* out) {
  const std::string sub = a.size() >= 2 ? Lower(a[1]) : "";
  auto info = [&](const Spec& s) {
    AppendArrayHeader(out, 10);
    AppendBulk(out, Lower(s.name));
    AppendInt(out, s.arity);
    AppendArrayHeader(out, 0);  // flags
    AppendInt(out, s.first_key);
    AppendInt(out, s.last_key);
    AppendInt(out, s.step);
    AppendArrayHeader(out, 0);  // ACL categories
    AppendArrayHeader(out, 0);  // tips
    AppendArrayHeader(out, 0);  // key specifications
    AppendArrayHeader(out, 0);  // subcommands
  };
  if (sub == "count") return AppendInt(out, static_cast<int64_t>(Specs().size()));
  if (sub == "docs") return MapHeader(out, 0);  // enough for redis-cli's hints
  if (sub == "info") {
    AppendArrayHeader(out, static_cast<int64_t>(a.size() - 2));
    for (size_t i = 2; i < a.size(); ++i) {
      const Spec* s = Find(a[i]);
      s != nullptr ? info(*s) : Null(out);
    }
    return;
  }
  if (sub.empty()) {
    AppendArrayHeader(out, static_cast<int64_t>(Specs().size()));
    for (const Spec& s : Specs()) info(s);
    return;
  }
  AppendError(out, "ERR unknown subcommand '" + std::string(a[1].substr(0, 128)) +
                       "'. Try COMMAND HELP.");
}

void Session::Config(Args a, std::string* out) {
  const std::string sub = Lower(a[1]);
  if (sub == "get" && a.size() >= 3) {
    std::vector<std::pair<std::string, std::string>> found;
    auto offer = [&](std::string_view name) {
      for (size_t i = 2; i < a.size(); ++i) {
        if (GlobMatch(a[i], name, true)) {
          found.emplace_back(name, ctx_.GetConfig(name));
          return;
        }
      }
    };
    for (std::string_view n : {"save", "appendonly", "appendfsync", "port"}) offer(n);
    for (const ConfigSetting& setting : kConfigDefaults) offer(setting.name);
    MapHeader(out, static_cast<int64_t>(found.size()));
    for (const auto& [k, v] : found) {
      AppendBulk(out, k);
      AppendBulk(out, v);
    }
    return;
  }
  if (sub == "set" && a.size() >= 4 && a.size() % 2 == 0) {
    // Every pair is checked before any is set: all or nothing, as in Redis.
    for (size_t i = 2; i < a.size(); i += 2) {
      const auto* setting =
          std::find_if(std::begin(kConfigDefaults), std::end(kConfigDefaults),
                       [&](const ConfigSetting& s) { return EqualsNoCase(s.name, a[i]); });
      if (setting == std::end(kConfigDefaults)) {
        return AppendError(out, "ERR Unknown option or number of arguments for CONFIG SET - '" +
                                    std::string(a[i].substr(0, 128)) + "'");
      }
      if (const std::string why = ConfigValueError(*setting, a[i + 1]); !why.empty()) {
        return AppendError(out, "ERR CONFIG SET failed (possibly related to argument '" +
                                    std::string(setting->name) + "') - " + why);
      }
    }
    for (size_t i = 2; i < a.size(); i += 2) ctx_.SetConfig(a[i], a[i + 1]);
    return AppendOk(out);
  }
  if (sub == "resetstat" && a.size() == 2) {
    ctx_.ResetStats();
    return AppendOk(out);
  }
  AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                       std::string(a[1].substr(0, 128)) + "'");
}

void Session::Auth(Args a, std::string* out) {
  if (ctx_.password().empty()) {
    return AppendError(out,
                       "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
  }
  if (a.size() > 3) return AppendError(out, kSyntax);
  // AUTH <password> or AUTH default <password>.
  const bool user_ok = a.size() == 2 || a[1] == "default";
  if (user_ok && a.back() == ctx_.password()) {
    authenticated_ = true;
    return AppendOk(out);
  }
  AppendError(out, "WRONGPASS invalid username-password pair or user is disabled.");
}

void Session::Hello(Args a, std::string* out) {
  int64_t version = protocol_;
  if (a.size() >= 2) {
    if (!ParseInt64(a[1], &version)) {
      return AppendError(out, "ERR Protocol version is not an integer or out of range");
    }
    if (version != 2 && version != 3) {
      return AppendError(out, "NOPROTO unsupported protocol version");
    }
  }
  for (size_t i = 2; i < a.size(); ++i) {
    if (EqualsNoCase(a[i], "AUTH") && i + 2 < a.size()) {
      if (ctx_.password().empty() || (a[i + 1] != "default") || a[i + 2] != ctx_.password()) {
        return AppendError(out, "WRONGPASS invalid username-password pair or user is disabled.");
      }
      authenticated_ = true;
      i += 2;
    } else if (EqualsNoCase(a[i], "SETNAME") && i + 1 < a.size()) {
      name_ = a[++i];
    } else {
      return AppendError(out, "ERR Syntax error in HELLO option '" +
                                  std::string(a[i].substr(0, 128)) + "'");
    }
  }
  if (!authenticated()) {
    return AppendError(out, "NOAUTH HELLO must be called with the client already authenticated, "
                            "otherwise the HELLO <proto> AUTH <user> <pass> option can be used "
                            "to authenticate the client and select the RESP protocol version at "
                            "the same time");
  }
  protocol_ = static_cast<int>(version);
  MapHeader(out, 7);
  AppendBulk(out, "server");
  AppendBulk(out, "redis");
  AppendBulk(out, "version");
  AppendBulk(out, "7.0.0");
  AppendBulk(out, "proto");
  AppendInt(out, protocol_);
  AppendBulk(out, "id");
  AppendInt(out, id_);
  AppendBulk(out, "mode");
  AppendBulk(out, "standalone");
  AppendBulk(out, "role");
  AppendBulk(out, "master");
  AppendBulk(out, "modules");
  AppendArrayHeader(out, 0);
}

void Session::Time(Args, std::string* out) {
  const TimestampUs now = NowMicros();
  AppendArrayHeader(out, 2);
  AppendBulk(out, std::to_string(now / 1000000));
  AppendBulk(out, std::to_string(now % 1000000));
}

void Session::Save(Args, std::string* out) {
  // A snapshot of the whole database (a no-op in memory), as Redis's SAVE writes its RDB.
  if (Status s = ctx_.db().Snapshot(); !s.ok()) return AppendFailure(s, out);
  AppendOk(out);
}

void Session::SwapDb(Args a, std::string* out) {
  int64_t first = 0, second = 0;
  if (!ParseInt64(a[1], &first)) return AppendError(out, "ERR invalid first DB index");
  if (!ParseInt64(a[2], &second)) return AppendError(out, "ERR invalid second DB index");
  if (first < 0 || first >= kDatabases || second < 0 || second >= kDatabases) {
    return AppendError(out, "ERR DB index is out of range");
  }
  if (ctx_.db().mode() != DurabilityMode::kInMemory) {
    return AppendError(out, "ERR SWAPDB is supported in --mode inmemory only (docs/resp.md)");
  }
  if (Status s = ctx_.SwapDatabases(static_cast<int>(first), static_cast<int>(second));
      !s.ok()) {
    return AppendFailure(s, out);
  }
  // This session's own database may have moved: look it up now, not at the next command (the
  // epoch first: a swap between the two reads is then seen next time).
  const uint64_t epoch = ctx_.swap_epoch();
  Result<RunId> run = ctx_.Run(db_);
  if (!run.ok()) return AppendFailure(run.error(), out);
  run_ = *run;
  swap_epoch_ = epoch;
  AppendOk(out);
}

void Session::Function(Args a, std::string* out) {
  // No functions exist; FLUSH succeeds so that clients (and Redis's suite) can reset state.
  if (EqualsNoCase(a[1], "FLUSH") && a.size() <= 3) return AppendOk(out);
  AppendError(out, "ERR unknown subcommand '" + std::string(a[1].substr(0, 128)) +
                       "'. Try FUNCTION HELP.");
}

}  // namespace statelab::resp
