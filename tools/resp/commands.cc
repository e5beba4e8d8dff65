#include "tools/resp/commands.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>
#include <utility>

#include "engines/primitives/run_index.h"
#include "tools/resp/resp_reply.h"

namespace statelab::resp {
namespace {

using P = AnyPartition;
constexpr int64_t kMaxTtlUs = std::numeric_limits<int64_t>::max() / 4;  // far beyond any clock
// A transaction finds its own writes by a linear search, so a write's cost grows with the
// transaction: MSET and DEL take at most kMaxKeysPerWrite keys, FLUSHDB deletes in chunks.
constexpr size_t kMaxKeysPerWrite = 10000;
constexpr size_t kFlushChunk = 1000;
constexpr std::string_view kTooManyKeys = "ERR too many keys in one command (limit 10000)";

constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kSyntax = "ERR syntax error";
constexpr std::string_view kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// Redis's integer syntax: optional '-', decimal digits, no spaces, no '+', within int64.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20 || s[0] == '+') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The reply for a stored value: strings and bytes as they are, numbers in decimal. False for
// the kinds Redis strings cannot hold (null, bool, JSON written through the JSON shell).
bool AppendValue(const Value& v, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    AppendBulk(out, *s);
  } else if (const auto* b = std::get_if<Bytes>(&v)) {
    AppendBulk(out, b->data);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    char buf[24];
    AppendBulk(out, std::string_view(buf, std::to_chars(buf, buf + sizeof buf, *i).ptr - buf));
  } else if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    AppendBulk(out, std::string_view(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr - buf));
  } else {
    return false;
  }
  return true;
}

// An integer stored as int64 (INCR) or as its decimal text (SET).
bool IntegerOf(const Value& v, int64_t* out) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    *out = *i;
    return true;
  }
  const auto* s = std::get_if<std::string>(&v);
  return s != nullptr && ParseInt64(*s, out);
}

// The expiry of a key (0 = none, or no such key).
Status ReadExpiry(Txn<P>& t, std::string_view key, TimestampUs* at) {
  *at = 0;
  Status s = KvOps<P>(t).Get(key, nullptr, nullptr, at);
  return s.IsNotFound() ? Status::OK() : s;
}

// Writes a string key with expiry `at` (0 = none).
Status WriteKey(Txn<P>& t, std::string_view key, Value v, TimestampUs at) {
  KvOps<P> kv(t);
  if (at == 0) return kv.Put(key, std::move(v));
  return kv.PutWithTtl(key, std::move(v), std::chrono::microseconds(at - t.now()));
}

// Calls fn(user key) for every live key of `tag` in the transaction's run.
template <class F>
Status ForEachKey(Txn<P>& t, Tag tag, F&& fn) {
  return t.Scan(tag, "", [&](std::string_view k, const Value&, Version) {
    fn(k);
    return true;
  });
}

int64_t RssBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * ::sysconf(_SC_PAGESIZE);
}

}  // namespace

std::string RunNameOf(int index) { return "resp-db" + std::to_string(index); }

ServerContext::ServerContext(Db& db, std::string engine, std::string password, int port,
                             bool strict_acks)
    : db_(db),
      engine_(std::move(engine)),
      password_(std::move(password)),
      port_(port),
      strict_acks_(strict_acks) {}

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
  if (runs_[index]) return *runs_[index];
  RunIndex<AnyEngine> runs(db_.engine());
  const std::string name = RunNameOf(index);
  Result<RunInfo> info = runs.GetRun(name);
  if (info.ok()) return *(runs_[index] = info->id);
  if (!info.error().IsNotFound()) return info.error();
  STATELAB_ASSIGN_OR_RETURN(const RunId id, runs.CreateRun(name));
  return *(runs_[index] = id);
}

std::array<std::optional<RunId>, kDatabases> ServerContext::KnownRuns() {
  std::lock_guard lk(mu_);
  return runs_;
}

// arity: as Redis counts it (the command name included); negative = at least -arity.
struct Session::Spec {
  std::string_view name;
  int arity;
  void (Session::*run)(Args, std::string*);
};

const Session::Spec* Session::Find(std::string_view name) {
  // GET and SET first: the linear search is the fast path for them.
  static constexpr Spec kSpecs[] = {
      {"GET", 2, &Session::Get},          {"SET", -3, &Session::Set},
      {"MGET", -2, &Session::MGet},       {"MSET", -3, &Session::MSet},
      {"INCR", 2, &Session::Incr},        {"INCRBY", 3, &Session::IncrBy},
      {"DECR", 2, &Session::Decr},        {"DEL", -2, &Session::Del},
      {"EXISTS", -2, &Session::Exists},   {"EXPIRE", 3, &Session::Expire},
      {"PEXPIRE", 3, &Session::PExpire},  {"TTL", 2, &Session::Ttl},
      {"PTTL", 2, &Session::PTtl},        {"PING", -1, &Session::Ping},
      {"ECHO", 2, &Session::Echo},        {"DBSIZE", 1, &Session::DbSize},
      {"FLUSHDB", -1, &Session::FlushDb}, {"INFO", -1, &Session::Info},
      {"SELECT", 2, &Session::Select},    {"CLIENT", -2, &Session::Client},
      {"COMMAND", -1, &Session::Command}, {"CONFIG", -2, &Session::Config},
      {"AUTH", -2, &Session::Auth},
  };
  for (const Spec& s : kSpecs) {
    if (EqualsNoCase(s.name, name)) return &s;
  }
  return nullptr;
}

Result<Session> Session::Open(ServerContext& ctx) {
  STATELAB_ASSIGN_OR_RETURN(const RunId run, ctx.Run(0));
  return Session(ctx, run);
}

AfterReply Session::Execute(Args args, std::string* out) {
  ctx_.total_commands.fetch_add(1, std::memory_order_relaxed);
  const std::string_view name = args[0];
  if (EqualsNoCase(name, "QUIT")) {
    AppendOk(out);
    return AfterReply::kClose;
  }
  if (!authenticated_ && !ctx_.password().empty() && !EqualsNoCase(name, "AUTH")) {
    AppendError(out, "NOAUTH Authentication required.");
    return AfterReply::kContinue;
  }
  if (EqualsNoCase(name, "SHUTDOWN")) {
    // No reply, as Redis: the client sees the connection close once the server has stopped.
    if (ctx_.request_shutdown) ctx_.request_shutdown();
    return AfterReply::kClose;
  }
  const Spec* spec = Find(name);
  if (spec == nullptr) {
    AppendError(out, "ERR unknown command '" + std::string(name.substr(0, 128)) + "'");
    return AfterReply::kContinue;
  }
  const int n = static_cast<int>(std::min<size_t>(args.size(), 1u << 30));
  if (spec->arity > 0 ? n != spec->arity : n < -spec->arity) {
    std::string lower(spec->name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    AppendError(out, "ERR wrong number of arguments for '" + lower + "' command");
    return AfterReply::kContinue;
  }
  (this->*spec->run)(args, out);
  return AfterReply::kContinue;
}

template <class F>
bool Session::Commit(F&& body, std::string* out) {
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
  Status s = RunRead(ctx_.db().engine(), run_, body);
  if (!s.ok()) AppendFailure(s, out);
  return s.ok();
}

Status Session::Refuse(std::string_view redis_error) {
  refusal_ = redis_error;
  return Status::InvalidArgument(redis_error);
}

void Session::AppendFailure(const Status& s, std::string* out) {
  if (!refusal_.empty()) {
    AppendError(out, refusal_);
    refusal_ = {};
  } else {
    AppendError(out, "ERR " + s.ToString());
  }
}

void Session::Ping(Args a, std::string* out) {
  if (a.size() > 2) return AppendError(out, "ERR wrong number of arguments for 'ping' command");
  if (a.size() == 2) return AppendBulk(out, a[1]);
  AppendSimple(out, "PONG");
}

void Session::Echo(Args a, std::string* out) { AppendBulk(out, a[1]); }

void Session::Get(Args a, std::string* out) {
  Value v;
  Status s = RunRead(ctx_.db().engine(), run_,
                     [&](Txn<P>& t) { return KvOps<P>(t).Get(a[1], &v); });
  if (s.IsNotFound()) return AppendNullBulk(out);
  if (!s.ok()) return AppendFailure(s, out);
  if (!AppendValue(v, out)) AppendError(out, kWrongType);
}

void Session::Set(Args a, std::string* out) {
  enum class Cond { kAlways, kIfAbsent, kIfPresent } cond = Cond::kAlways;
  int64_t ttl_us = 0;
  bool keep_ttl = false;
  for (size_t i = 3; i < a.size(); ++i) {
    const bool has_next = i + 1 < a.size();
    if (EqualsNoCase(a[i], "NX") && cond == Cond::kAlways) {
      cond = Cond::kIfAbsent;
    } else if (EqualsNoCase(a[i], "XX") && cond == Cond::kAlways) {
      cond = Cond::kIfPresent;
    } else if (EqualsNoCase(a[i], "KEEPTTL") && ttl_us == 0) {
      keep_ttl = true;
    } else if ((EqualsNoCase(a[i], "EX") || EqualsNoCase(a[i], "PX")) && has_next && ttl_us == 0 &&
               !keep_ttl) {
      const int64_t unit_us = EqualsNoCase(a[i], "EX") ? 1000000 : 1000;
      int64_t n = 0;
      if (!ParseInt64(a[++i], &n)) return AppendError(out, kNotInteger);
      if (n <= 0 || n > kMaxTtlUs / unit_us) {
        return AppendError(out, "ERR invalid expire time in 'set' command");
      }
      ttl_us = n * unit_us;
    } else {
      return AppendError(out, kSyntax);
    }
  }
  bool written = false;
  const bool ok = Commit(
      [&](Txn<P>& t) -> Status {
        written = false;
        if (cond != Cond::kAlways) {
          STATELAB_ASSIGN_OR_RETURN(const bool exists, KvOps<P>(t).Exists(a[1]));
          if (exists != (cond == Cond::kIfPresent)) return Status::OK();
        }
        TimestampUs at = ttl_us != 0 ? t.now() + ttl_us : 0;
        if (keep_ttl) STATELAB_RETURN_IF_ERROR(ReadExpiry(t, a[1], &at));
        written = true;
        return WriteKey(t, a[1], Value(std::string(a[2])), at);
      },
      out);
  if (!ok) return;
  written ? AppendOk(out) : AppendNullBulk(out);
}

void Session::Del(Args a, std::string* out) {
  if (a.size() - 1 > kMaxKeysPerWrite) return AppendError(out, kTooManyKeys);
  int64_t deleted = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            deleted = 0;
            for (size_t i = 1; i < a.size(); ++i) {
              STATELAB_ASSIGN_OR_RETURN(const bool existed, KvOps<P>(t).Delete(a[i]));
              deleted += existed;
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, deleted);
}

void Session::Exists(Args a, std::string* out) {
  int64_t n = 0;
  if (!Read(
          [&](Txn<P>& t) -> Status {
            KvOps<P> kv(t);
            for (size_t i = 1; i < a.size(); ++i) {
              STATELAB_ASSIGN_OR_RETURN(const bool e, kv.Exists(a[i]));
              n += e;
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, n);
}

void Session::MGet(Args a, std::string* out) {
  std::vector<std::optional<Versioned>> values;
  if (!Read([&](Txn<P>& t) { return KvOps<P>(t).GetMany(a.subspan(1), &values); }, out)) return;
  AppendArrayHeader(out, static_cast<int64_t>(values.size()));
  for (const auto& v : values) {
    // Values Redis strings cannot hold read as nil, as MGET does for other types.
    if (!v || !AppendValue(v->value, out)) AppendNullBulk(out);
  }
}

void Session::MSet(Args a, std::string* out) {
  if (a.size() % 2 != 1) return AppendError(out, "ERR wrong number of arguments for 'mset' command");
  if (a.size() / 2 > kMaxKeysPerWrite) return AppendError(out, kTooManyKeys);
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            for (size_t i = 1; i < a.size(); i += 2) {
              STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Put(a[i], Value(std::string(a[i + 1]))));
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendOk(out);
}

void Session::AddInteger(std::string_view key, int64_t delta, std::string* out) {
  int64_t result = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            Value v;
            TimestampUs at = 0;
            Status s = KvOps<P>(t).Get(key, &v, nullptr, &at);
            int64_t current = 0;
            if (s.ok()) {
              if (!IntegerOf(v, &current)) return Refuse(kNotInteger);
            } else if (!s.IsNotFound()) {
              return s;
            }
            if (__builtin_add_overflow(current, delta, &result)) {
              return Refuse("ERR increment or decrement would overflow");
            }
            return WriteKey(t, key, Value(result), at);  // INCR keeps the TTL
          },
          out)) {
    return;
  }
  AppendInt(out, result);
}

void Session::Incr(Args a, std::string* out) { AddInteger(a[1], 1, out); }
void Session::Decr(Args a, std::string* out) { AddInteger(a[1], -1, out); }
void Session::IncrBy(Args a, std::string* out) {
  int64_t delta = 0;
  if (!ParseInt64(a[2], &delta)) return AppendError(out, kNotInteger);
  AddInteger(a[1], delta, out);
}

void Session::SetExpiry(std::string_view key, int64_t ttl_us, std::string* out) {
  bool exists = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            Value v;
            Status s = KvOps<P>(t).Get(key, &v);
            exists = s.ok();
            if (s.IsNotFound()) return Status::OK();
            STATELAB_RETURN_IF_ERROR(s);
            // An expiry in the past deletes the key, as Redis does.
            if (ttl_us <= 0) return KvOps<P>(t).Delete(key).status();
            return WriteKey(t, key, std::move(v), t.now() + ttl_us);
          },
          out)) {
    return;
  }
  AppendInt(out, exists ? 1 : 0);
}

void Session::Expire(Args a, std::string* out) {
  int64_t n = 0;
  if (!ParseInt64(a[2], &n)) return AppendError(out, kNotInteger);
  if (n > kMaxTtlUs / 1000000 || n < -kMaxTtlUs / 1000000) {
    return AppendError(out, "ERR invalid expire time in 'expire' command");
  }
  SetExpiry(a[1], n * 1000000, out);
}

void Session::PExpire(Args a, std::string* out) {
  int64_t n = 0;
  if (!ParseInt64(a[2], &n)) return AppendError(out, kNotInteger);
  if (n > kMaxTtlUs / 1000 || n < -kMaxTtlUs / 1000) {
    return AppendError(out, "ERR invalid expire time in 'pexpire' command");
  }
  SetExpiry(a[1], n * 1000, out);
}

void Session::ReplyTtl(std::string_view key, int64_t unit_us, std::string* out) {
  int64_t reply = -2;  // no such key
  if (!Read(
          [&](Txn<P>& t) -> Status {
            TimestampUs at = 0;
            Status s = KvOps<P>(t).Get(key, nullptr, nullptr, &at);
            if (s.IsNotFound()) return Status::OK();
            STATELAB_RETURN_IF_ERROR(s);
            // Rounded to the nearest unit, as Redis rounds TTL.
            reply = at == 0 ? -1 : std::max<int64_t>(0, (at - t.now() + unit_us / 2) / unit_us);
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, reply);
}

void Session::Ttl(Args a, std::string* out) { ReplyTtl(a[1], 1000000, out); }
void Session::PTtl(Args a, std::string* out) { ReplyTtl(a[1], 1000, out); }

void Session::DbSize(Args a, std::string* out) {
  int64_t n = 0;
  if (!Read([&](Txn<P>& t) { return ForEachKey(t, Tag::kKv, [&](std::string_view) { ++n; }); },
            out)) {
    return;
  }
  AppendInt(out, n);
}

void Session::FlushDb(Args a, std::string* out) {
  if (a.size() > 2 || (a.size() == 2 && !EqualsNoCase(a[1], "SYNC") && !EqualsNoCase(a[1], "ASYNC"))) {
    return AppendError(out, kSyntax);
  }
  // Chunks of kFlushChunk keys, each one transaction, until the database is empty: a concurrent
  // reader may see it partly flushed.
  for (size_t n = kFlushChunk; n == kFlushChunk;) {
    if (!Commit(
            [&](Txn<P>& t) -> Status {
              std::vector<std::string> keys;
              STATELAB_RETURN_IF_ERROR(t.Scan(Tag::kKv, "", [&](std::string_view k, const Value&, Version) {
                keys.emplace_back(k);
                return keys.size() < kFlushChunk;
              }));
              n = keys.size();
              for (const std::string& k : keys) {
                STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Delete(k).status());
              }
              return Status::OK();
            },
            out)) {
      return;
    }
  }
  AppendOk(out);
}

void Session::Info(Args a, std::string* out) {
  const DurabilityMode mode = ctx_.db().mode();
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now() - ctx_.started())
                          .count();
  const EngineStats stats = ctx_.db().Stats();
  const int64_t rss = RssBytes();
  std::string info;
  auto line = [&](std::string_view k, const std::string& v) {
    info.append(k).append(":").append(v).append("\r\n");
  };
  info += "# Server\r\n";
  line("redis_version", "7.0.0");  // the protocol level clients may check; not Redis itself
  line("statelab_engine", ctx_.engine());
  line("statelab_mode", std::string(ModeName(mode)));
  line("process_id", std::to_string(::getpid()));
  line("tcp_port", std::to_string(ctx_.port()));
  line("uptime_in_seconds", std::to_string(uptime));
  info += "\r\n# Clients\r\n";
  line("connected_clients", std::to_string(ctx_.connected_clients.load()));
  info += "\r\n# Memory\r\n";
  line("used_memory", std::to_string(rss));  // the process's RSS: the engine has no allocator count
  line("used_memory_rss", std::to_string(rss));
  info += "\r\n# Persistence\r\n";
  line("aof_enabled", mode == DurabilityMode::kInMemory ? "0" : "1");
  line("statelab_wal_syncs", std::to_string(stats.wal_syncs));
  info += "\r\n# Stats\r\n";
  line("total_connections_received", std::to_string(ctx_.total_connections.load()));
  line("total_commands_processed", std::to_string(ctx_.total_commands.load()));
  line("rejected_connections", std::to_string(ctx_.rejected_connections.load()));
  line("statelab_commits", std::to_string(stats.commits));
  line("statelab_engine_keys", std::to_string(stats.keys));
  // The keyspace section visits every key: only when it is asked for (as in Redis, INFO with no
  // section, "default", "all" or "everything" includes it).
  const bool keyspace = a.size() < 2 || EqualsNoCase(a[1], "keyspace") ||
                        EqualsNoCase(a[1], "default") || EqualsNoCase(a[1], "all") ||
                        EqualsNoCase(a[1], "everything");
  if (!keyspace) return AppendBulk(out, info);
  info += "\r\n# Keyspace\r\n";
  const auto runs = ctx_.KnownRuns();
  for (int i = 0; i < kDatabases; ++i) {
    if (!runs[i]) continue;
    int64_t keys = 0, expires = 0;
    Status s = RunRead(ctx_.db().engine(), *runs[i], [&](Txn<P>& t) {
      // A scan does not report expiry: collect the names, then read each key's.
      std::vector<std::string> names;
      STATELAB_RETURN_IF_ERROR(
          ForEachKey(t, Tag::kKv, [&](std::string_view k) { names.emplace_back(k); }));
      keys = static_cast<int64_t>(names.size());
      for (const std::string& k : names) {
        TimestampUs at = 0;
        STATELAB_RETURN_IF_ERROR(ReadExpiry(t, k, &at));
        expires += at != 0;
      }
      return Status::OK();
    });
    if (!s.ok()) return AppendFailure(s, out);
    if (keys > 0) {
      line("db" + std::to_string(i),
           "keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires));
    }
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
  AppendOk(out);
}

void Session::Client(Args a, std::string* out) {
  if (EqualsNoCase(a[1], "SETNAME") && a.size() == 3) {
    for (char c : a[2]) {
      if (c <= ' ' || c > '~') {
        return AppendError(
            out, "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    name_ = a[2];
    return AppendOk(out);
  }
  if (EqualsNoCase(a[1], "GETNAME") && a.size() == 2) {
    return name_.empty() ? AppendNullBulk(out) : AppendBulk(out, name_);
  }
  AppendError(out, "ERR unknown subcommand or wrong number of arguments for 'client' command");
}

void Session::Command(Args a, std::string* out) {
  // Enough for redis-cli: it only uses COMMAND DOCS for interactive hints.
  if (a.size() >= 2 && EqualsNoCase(a[1], "COUNT")) return AppendInt(out, 0);
  AppendArrayHeader(out, 0);
}

void Session::Config(Args a, std::string* out) {
  // CONFIG GET of the persistence settings redis-benchmark asks for; other names: none.
  if (!EqualsNoCase(a[1], "GET") || a.size() != 3) {
    return AppendError(out, "ERR CONFIG: only CONFIG GET <name> is supported");
  }
  const DurabilityMode mode = ctx_.db().mode();
  std::string_view value;
  if (EqualsNoCase(a[2], "save")) {
    value = "";
  } else if (EqualsNoCase(a[2], "appendonly")) {
    value = mode == DurabilityMode::kInMemory ? "no" : "yes";
  } else if (EqualsNoCase(a[2], "appendfsync")) {
    value = mode == DurabilityMode::kStrict ? "always" : "everysec";
  } else {
    return AppendArrayHeader(out, 0);
  }
  AppendArrayHeader(out, 2);
  AppendBulk(out, a[2]);
  AppendBulk(out, value);
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

}  // namespace statelab::resp
