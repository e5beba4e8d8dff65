// `statelab serve` (docs/resp.md) as a child process on a free loopback port, driven by redis-cli
// (every command, pipelined input through --pipe, error replies, SHUTDOWN, AUTH) and by raw
// sockets (pipelined batches, limits, randomized malformed and truncated requests while another
// client keeps being served). Strict mode: an acknowledged SET survives SIGKILL and restart;
// many concurrent clients share syncs (parked connections), get their pipelined replies in
// order, and every write acknowledged before a SIGKILL mid-load is there after restart.
// Skipped, with the reason, when redis-cli is not installed.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engines/registry/engine_list.h"
#include "tests/cli/child_process.h"

namespace statelab::testing_util {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr char kBin[] = STATELAB_BIN;

// redis-cli's path ("" when it is not installed): ChildProcess runs a path, not a PATH lookup.
const std::string& RedisCli() {
  static const std::string path = [] {
    const char* env = std::getenv("PATH");
    std::string dirs = env != nullptr ? env : "/usr/bin";
    for (size_t start = 0; start <= dirs.size();) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string candidate = dirs.substr(start, end - start) + "/redis-cli";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
    return std::string();
  }();
  return path;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "statelab-resp-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Data() const { return path_ + "/data"; }

 private:
  std::string path_;
};

// A running `statelab serve --port 0`; the port comes from its first stdout line.
class Server {
 public:
  explicit Server(std::vector<std::string> flags) {
    std::vector<std::string> argv = {kBin, "serve", "--port", "0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    child_ = std::make_unique<ChildProcess>(argv);
    std::string line;
    if (child_->ReadLine(&line, milliseconds(20000))) {
      const size_t colon = line.rfind(':', line.find(" (engine"));
      if (colon != std::string::npos) port_ = std::stoi(line.substr(colon + 1));
    }
    EXPECT_GT(port_, 0) << "no 'listening on' line: " << line;
  }
  int port() const { return port_; }
  ChildProcess& child() { return *child_; }
  // redis-cli with these arguments (or, with none, the commands on stdin, one connection).
  RunOutput Cli(std::vector<std::string> args, std::string_view input = {}) const {
    std::vector<std::string> argv = {RedisCli(), "-p", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToCompletion(argv, input);
  }
  // The single-line output of one redis-cli command.
  std::string One(std::vector<std::string> args) const {
    RunOutput r = Cli(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.lines.empty() ? "" : r.lines[0];
  }

 private:
  std::unique_ptr<ChildProcess> child_;
  int port_ = -1;
};

// A raw TCP client. Thread-safety: one thread.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  // Reads until `want` bytes arrived, EOF, or the timeout; what arrived.
  std::string Read(size_t want, milliseconds timeout = milliseconds(5000)) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.size() < want) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
};

std::string Resp(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// clang-format 14 reformats this macro differently on every pass.
// clang-format off
#define REQUIRE_REDIS_CLI() \
  if (RedisCli().empty()) GTEST_SKIP() << "redis-cli is not installed (apt-get install redis-tools)"
// clang-format on

TEST(RespServer, EveryCommandThroughRedisCli) {
  REQUIRE_REDIS_CLI();
  Server s({"--engine", "btree", "--mode", "inmemory"});
  EXPECT_EQ(s.One({"PING"}), "PONG");
  EXPECT_EQ(s.One({"PING", "hi"}), "hi");
  EXPECT_EQ(s.One({"ECHO", "hello world"}), "hello world");
  EXPECT_EQ(s.One({"SET", "k", "v"}), "OK");
  EXPECT_EQ(s.One({"GET", "k"}), "v");
  EXPECT_EQ(s.One({"GET", "missing"}), "");
  EXPECT_EQ(s.One({"SET", "k", "w", "NX"}), "");
  EXPECT_EQ(s.One({"SET", "k", "w", "XX"}), "OK");
  EXPECT_EQ(s.One({"SET", "n", "w", "XX"}), "");
  EXPECT_EQ(s.One({"SET", "n", "1", "NX"}), "OK");
  EXPECT_EQ(s.One({"GET", "k"}), "w");
  EXPECT_EQ(s.One({"MSET", "a", "1", "b", "2"}), "OK");
  RunOutput mget = s.Cli({"MGET", "a", "nope", "b"});
  EXPECT_EQ(mget.lines, (std::vector<std::string>{"1", "", "2"}));
  EXPECT_EQ(s.One({"EXISTS", "a", "b", "nope", "a"}), "3");
  EXPECT_EQ(s.One({"INCR", "a"}), "2");
  EXPECT_EQ(s.One({"INCRBY", "a", "40"}), "42");
  EXPECT_EQ(s.One({"DECR", "a"}), "41");
  EXPECT_EQ(s.One({"INCR", "fresh"}), "1");
  EXPECT_EQ(s.One({"GET", "a"}), "41");
  EXPECT_EQ(s.One({"DEL", "a", "nope", "b"}), "2");
  EXPECT_EQ(s.One({"DBSIZE"}), "3");  // k, n, fresh
  // TTLs: EX, PX, EXPIRE, PEXPIRE; TTL/PTTL of keys without one and of missing keys.
  EXPECT_EQ(s.One({"TTL", "k"}), "-1");
  EXPECT_EQ(s.One({"TTL", "nope"}), "-2");
  EXPECT_EQ(s.One({"PTTL", "nope"}), "-2");
  EXPECT_EQ(s.One({"SET", "t", "v", "EX", "100"}), "OK");
  EXPECT_EQ(s.One({"TTL", "t"}), "100");
  EXPECT_EQ(s.One({"EXPIRE", "k", "50"}), "1");
  EXPECT_EQ(s.One({"TTL", "k"}), "50");
  EXPECT_EQ(s.One({"GET", "k"}), "w") << "EXPIRE keeps the value";
  EXPECT_EQ(s.One({"EXPIRE", "nope", "50"}), "0");
  EXPECT_EQ(s.One({"PEXPIRE", "n", "100000"}), "1");
  const int pttl = std::stoi(s.One({"PTTL", "n"}));
  EXPECT_GT(pttl, 90000);
  EXPECT_LE(pttl, 100000);
  EXPECT_EQ(s.One({"INCR", "n"}), "2");
  EXPECT_GT(std::stoi(s.One({"PTTL", "n"})), 0) << "INCR keeps the TTL";
  EXPECT_EQ(s.One({"SET", "n", "5"}), "OK");
  EXPECT_EQ(s.One({"TTL", "n"}), "-1") << "SET without options clears the TTL";
  EXPECT_EQ(s.One({"SET", "short", "v", "PX", "100"}), "OK");
  EXPECT_EQ(s.One({"PEXPIRE", "fresh", "100"}), "1");
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(s.One({"GET", "short"}), "");
  EXPECT_EQ(s.One({"EXISTS", "fresh"}), "0");
  EXPECT_EQ(s.One({"TTL", "short"}), "-2");
  EXPECT_EQ(s.One({"EXPIRE", "t", "0"}), "1");
  EXPECT_EQ(s.One({"EXISTS", "t"}), "0") << "an expiry in the past deletes";
  // SELECT: databases are separate runs.
  EXPECT_EQ(s.One({"-n", "3", "SET", "k", "in3"}), "OK");
  EXPECT_EQ(s.One({"-n", "3", "GET", "k"}), "in3");
  EXPECT_EQ(s.One({"-n", "3", "DBSIZE"}), "1");
  EXPECT_EQ(s.One({"GET", "k"}), "w");
  // One connection through stdin: SELECT and CLIENT SETNAME/GETNAME are per connection.
  RunOutput conn =
      s.Cli({}, "CLIENT GETNAME\nCLIENT SETNAME tester\nCLIENT GETNAME\nSELECT 3\nGET k\n");
  EXPECT_EQ(conn.lines, (std::vector<std::string>{"", "OK", "tester", "OK", "in3"}));
  EXPECT_EQ(s.One({"-n", "3", "SET", "e", "v", "EX", "100"}), "OK");
  const RunOutput info = s.Cli({"INFO"});
  EXPECT_NE(info.out.find("statelab_engine:btree"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("db3:keys=2,expires=1"), std::string::npos) << info.out;
  const RunOutput memory = s.Cli({"INFO", "memory"});
  EXPECT_NE(memory.out.find("used_memory_rss:"), std::string::npos) << memory.out;
  EXPECT_EQ(memory.out.find("# Keyspace"), std::string::npos) << "a section was asked for";
  EXPECT_EQ(s.One({"-n", "3", "DEL", "e"}), "1");
  EXPECT_GT(std::stoi(s.One({"COMMAND", "COUNT"})), 60);
  EXPECT_EQ(s.Cli({"COMMAND", "DOCS"}).exit_code, 0);
  EXPECT_EQ(s.One({"FLUSHDB"}), "OK");
  EXPECT_EQ(s.One({"DBSIZE"}), "0");
  EXPECT_EQ(s.One({"-n", "3", "DBSIZE"}), "1") << "FLUSHDB empties the selected database only";
  // SHUTDOWN: no reply, a clean exit.
  s.Cli({"SHUTDOWN"});
  EXPECT_EQ(s.child().Wait(), 0) << s.child().stderr_text();
}

TEST(RespServer, ErrorReplies) {
  REQUIRE_REDIS_CLI();
  Server s({"--engine", "sharded", "--mode", "inmemory"});
  auto err = [&](std::vector<std::string> args) {
    std::string r = s.One(std::move(args));
    EXPECT_EQ(r.rfind("ERR", 0), 0u) << r;
    return r;
  };
  EXPECT_EQ(err({"NOSUCH", "x", "y"}),
            "ERR unknown command 'NOSUCH', with args beginning with: 'x' 'y' ");
  EXPECT_EQ(err({"GET"}), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(err({"SET", "k"}), "ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(err({"MSET", "a", "1", "b"}), "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(err({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(err({"SET", "k", "v", "EX", "ten"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(err({"SET", "k", "v", "NX", "XX"}), "ERR syntax error");
  EXPECT_EQ(err({"SET", "k", "v", "EX", "1", "PX", "1"}), "ERR syntax error");
  EXPECT_EQ(s.One({"SET", "word", "abc"}), "OK");
  EXPECT_EQ(err({"INCR", "word"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(err({"INCRBY", "x", "1.5"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(s.One({"SET", "big", "9223372036854775807"}), "OK");
  EXPECT_EQ(err({"INCR", "big"}), "ERR increment or decrement would overflow");
  EXPECT_EQ(err({"SELECT", "16"}), "ERR DB index is out of range");
  EXPECT_EQ(err({"AUTH", "pw"}).find("without any password configured") != std::string::npos, true);
  EXPECT_EQ(err({"GET", std::string(2000, 'k')}).find("invalid_argument"), 4u);
  std::vector<std::string> del = {"DEL"};
  for (int i = 0; i <= 10000; ++i) del.push_back("k" + std::to_string(i));
  EXPECT_EQ(err(del), "ERR too many keys in one command (limit 10000)");
  // The connection survives every error above: one connection, an error between two successes.
  RunOutput conn = s.Cli({}, "SET a 1\nINCR word\nGET a\n");
  // (redis-cli prints a blank line after an error.)
  EXPECT_EQ(conn.lines, (std::vector<std::string>{
                            "OK", "ERR value is not an integer or out of range", "", "1"}));
}

TEST(RespServer, AuthWhenAPasswordIsSet) {
  REQUIRE_REDIS_CLI();
  Server s({"--engine", "btree", "--mode", "inmemory", "--password", "s3cret"});
  EXPECT_EQ(s.One({"GET", "k"}), "NOAUTH Authentication required.");
  const RunOutput wrong = s.Cli({"-a", "wrong", "--no-auth-warning", "GET", "k"});
  EXPECT_NE(wrong.err.find("AUTH failed: WRONGPASS"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.lines, (std::vector<std::string>{"NOAUTH Authentication required.", ""}));
  EXPECT_EQ(s.One({"-a", "s3cret", "--no-auth-warning", "SET", "k", "v"}), "OK");
  EXPECT_EQ(s.One({"-a", "s3cret", "--no-auth-warning", "GET", "k"}), "v");
}

TEST(RespServer, PipelinedInput) {
  REQUIRE_REDIS_CLI();
  Server s({"--engine", "shared_nothing", "--mode", "inmemory"});
  // redis-cli --pipe: 2000 SETs in raw RESP, then its own ECHO marker.
  std::string mass;
  for (int i = 0; i < 2000; ++i)
    mass += Resp({"SET", "key:" + std::to_string(i), std::to_string(i)});
  RunOutput pipe = s.Cli({"--pipe"}, mass);
  EXPECT_EQ(pipe.exit_code, 0) << pipe.out << pipe.err;
  EXPECT_NE(pipe.out.find("errors: 0, replies: 2000"), std::string::npos) << pipe.out;
  EXPECT_EQ(s.One({"DBSIZE"}), "2000");
  EXPECT_EQ(s.One({"GET", "key:1999"}), "1999");
  // A raw pipelined batch in one write: every reply, in order.
  Client c(s.port());
  ASSERT_TRUE(c.connected());
  std::string batch, want;
  for (int i = 0; i < 100; ++i) {
    batch += Resp({"INCR", "ctr"}) + Resp({"GET", "key:" + std::to_string(i)});
    want += ":" + std::to_string(i + 1) + "\r\n$" + std::to_string(std::to_string(i).size()) +
            "\r\n" + std::to_string(i) + "\r\n";
  }
  batch += "PING\r\n";  // inline
  want += "+PONG\r\n";
  ASSERT_TRUE(c.Send(batch));
  EXPECT_EQ(c.Read(want.size()), want);
  // INFO commandstats sums the per-thread counters; CONFIG RESETSTAT zeroes them all.
  const RunOutput stats = s.Cli({"INFO", "commandstats"});
  EXPECT_NE(stats.out.find("cmdstat_set:calls=2000,"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("cmdstat_incr:calls=100,"), std::string::npos) << stats.out;
  EXPECT_EQ(s.One({"CONFIG", "RESETSTAT"}), "OK");
  EXPECT_EQ(s.Cli({"INFO", "commandstats"}).out.find("cmdstat_set:"), std::string::npos);
}

TEST(RespServer, ClientLimitsAndIdleTimeout) {
  Server s(
      {"--engine", "btree", "--mode", "inmemory", "--max-clients", "2", "--idle-timeout", "1"});
  Client a(s.port()), b(s.port());
  ASSERT_TRUE(a.Send("PING\r\n") && b.Send("PING\r\n"));
  EXPECT_EQ(a.Read(7), "+PONG\r\n");
  EXPECT_EQ(b.Read(7), "+PONG\r\n");
  Client c(s.port());
  const std::string full = "-ERR max number of clients reached\r\n";
  EXPECT_EQ(c.Read(full.size() + 1), full);
  EXPECT_TRUE(c.eof());
  // Idle for more than a second: closed by the server.
  EXPECT_EQ(a.Read(1, milliseconds(4000)), "");
  EXPECT_TRUE(a.eof());
  // A request past a limit: a RESP error, then a clean close.
  Client d(s.port());
  ASSERT_TRUE(d.Send("*1\r\n$999999999\r\n"));
  const std::string bulk = "-ERR Protocol error: invalid bulk length\r\n";
  EXPECT_EQ(d.Read(bulk.size() + 1), bulk);
  EXPECT_TRUE(d.eof());
}

// Random damage to valid requests (truncation, flipped and inserted bytes, hostile lengths) on
// short-lived connections, while one client keeps working; the server must answer it every time
// and exit cleanly at the end. Run under the asan preset too.
TEST(RespServer, MalformedAndTruncatedInputNeverHurtsOtherClients) {
  Server s({"--engine", "btree", "--mode", "inmemory", "--threads", "2"});
  Client good(s.port());
  ASSERT_TRUE(good.connected());
  std::mt19937_64 rng(20240611);
  const std::vector<std::string> seeds = {
      Resp({"SET", "k", "value"}),   Resp({"MSET", "a", "1", "b", "2"}), Resp({"GET", "k"}),
      Resp({"INCRBY", "n", "5"}),    Resp({"EXPIRE", "k", "100"}),       "PING hello\r\n",
      Resp({"MGET", "a", "b", "c"}), Resp({"SET", "k", "v", "PX", "10"})};
  const std::vector<std::string> hostile = {
      "*999999999999\r\n",   "*3\r\n$99999999999\r\n", "$5\r\nhello\r\n",      "*-5\r\n",
      "*2\r\n$-3\r\nab\r\n", std::string(70000, 'A'),  "*1\r\n$4\r\nPING\n\n", "\r\n\r\n*0\r\n"};
  constexpr int kRounds = 2000;
  for (int round = 0; round < kRounds; ++round) {
    std::string junk;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i) {
      std::string r =
          rng() % 5 == 0 ? hostile[rng() % hostile.size()] : seeds[rng() % seeds.size()];
      switch (rng() % 4) {
        case 0:  // truncate
          r.resize(rng() % (r.size() + 1));
          break;
        case 1:  // flip bytes
          for (int f = 0; f < 3 && !r.empty(); ++f) r[rng() % r.size()] = static_cast<char>(rng());
          break;
        case 2:  // insert a byte
          r.insert(rng() % (r.size() + 1), 1, static_cast<char>(rng()));
          break;
        default:  // intact
          break;
      }
      junk += r;
    }
    {
      Client bad(s.port());
      ASSERT_TRUE(bad.connected()) << "round " << round;
      bad.Send(junk);
      if (rng() % 2 == 0) {
        bad.ShutdownWrite();  // the server answers what it can, then closes
        bad.Read(1u << 20, milliseconds(2000));
        EXPECT_TRUE(bad.eof()) << "round " << round;
      }
    }  // or just vanish mid-request
    if (round % 10 == 0) {
      const std::string v = std::to_string(round);
      ASSERT_TRUE(good.Send(Resp({"SET", "good", v}) + Resp({"GET", "good"})));
      const std::string want = "+OK\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
      ASSERT_EQ(good.Read(want.size()), want) << "round " << round;
    }
  }
  ASSERT_TRUE(good.Send(Resp({"SHUTDOWN"})));
  good.Read(1, milliseconds(10000));
  EXPECT_EQ(s.child().Wait(), 0) << s.child().stderr_text();
}

TEST(RespServer, StrictSetSurvivesSigkill) {
  REQUIRE_REDIS_CLI();
  TempDir dir;
  {
    Server s({"--engine", "btree", "--mode", "strict", "--dir", dir.Data()});
    EXPECT_EQ(s.One({"SET", "durable", "yes"}), "OK");
    EXPECT_EQ(s.One({"MSET", "m1", "a", "m2", "b"}), "OK");
    EXPECT_EQ(s.One({"INCR", "ctr"}), "1");
    s.child().Kill(SIGKILL);
    EXPECT_EQ(s.child().Wait(), 128 + SIGKILL);
  }
  Server s({"--engine", "btree", "--mode", "strict", "--dir", dir.Data()});
  EXPECT_EQ(s.One({"GET", "durable"}), "yes");
  EXPECT_EQ(s.Cli({"MGET", "m1", "m2"}).lines, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.One({"GET", "ctr"}), "1");
  // SIGTERM: a clean close (exit 0), and the data is still there after it.
  s.child().Kill(SIGTERM);
  EXPECT_EQ(s.child().Wait(), 0) << s.child().stderr_text();
  Server again({"--engine", "btree", "--mode", "strict", "--dir", dir.Data()});
  EXPECT_EQ(again.One({"GET", "durable"}), "yes");
}

// An integer field of INFO ("name:value" line); -1 when missing.
int64_t InfoField(const Server& s, const std::string& name) {
  const RunOutput r = s.Cli({"INFO"});
  const std::string key = name + ":";
  const size_t at = r.out.find(key);
  return at == std::string::npos ? -1 : std::stoll(r.out.substr(at + key.size()));
}

// The replies a batch of `n` pipelined (SET k:<c>:<i> <i>, GET it, INCR ctr:<c>, PING) requests
// gets, and the batch itself; `i` starts at `first`, the `first` items before it incremented the
// counter, so item i's INCR replies i + 1.
std::pair<std::string, std::string> MixedBatch(int c, int first, int n) {
  std::string batch, want;
  for (int i = first; i < first + n; ++i) {
    const std::string key = "k:" + std::to_string(c) + ":" + std::to_string(i);
    const std::string v = std::to_string(i);
    batch += Resp({"SET", key, v}) + Resp({"GET", key}) +
             Resp({"INCR", "ctr:" + std::to_string(c)}) + Resp({"PING"});
    want += "+OK\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n:" + std::to_string(i + 1) +
            "\r\n+PONG\r\n";
  }
  return {batch, want};
}

// One worker thread, many clients: a parked connection's replies wait for a sync that covers
// the other connections' commits too, so there are fewer syncs than commits (one worker that
// waited for each connection's sync in turn would sync once per commit); replies of pipelined
// reads and PINGs queued behind a parked write come back in order.
TEST(RespServer, ParkedConnectionsShareSyncsAndKeepReplyOrder) {
  REQUIRE_REDIS_CLI();
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{"--mode", "strict"},
        std::vector<std::string>{"--mode", "buffered", "--strict-acks", "--interval-ms",
                                 "600000"}}) {
    SCOPED_TRACE(mode[1]);
    TempDir dir;
    std::vector<std::string> flags = {"--engine", "sharded", "--threads", "1", "--dir", dir.Data()};
    flags.insert(flags.end(), mode.begin(), mode.end());
    Server s(flags);
    const int64_t commits_before = InfoField(s, "statelab_commits");
    const int64_t syncs_before = InfoField(s, "statelab_wal_syncs");
    constexpr int kClients = 24, kRounds = 40;
    std::atomic<int> failures{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        Client conn(s.port());
        for (int r = 0; r < kRounds && conn.connected(); ++r) {
          // Even rounds: one SET alone (pipeline 1); odd rounds: a mixed pipelined batch.
          const int n = r % 2 == 0 ? 0 : 3;
          const auto [batch, want] =
              n == 0 ? std::pair{Resp({"SET", "solo:" + std::to_string(c), std::to_string(r)}),
                                 std::string("+OK\r\n")}
                     : MixedBatch(c, r / 2 * n, n);
          if (!conn.Send(batch) || conn.Read(want.size()) != want) {
            failures.fetch_add(1);
            return;
          }
        }
      });
    }
    for (std::thread& t : clients) t.join();
    EXPECT_EQ(failures.load(), 0);
    const int64_t commits = InfoField(s, "statelab_commits") - commits_before;
    const int64_t syncs = InfoField(s, "statelab_wal_syncs") - syncs_before;
    // Per client: 20 solo SETs + 20 batches of 3 SETs and 3 INCRs; requests read together
    // share a commit (docs/resp.md, "Batches"), so at most that many.
    EXPECT_GT(commits, 0);
    EXPECT_LE(commits, kClients * (kRounds / 2) * 7);
    EXPECT_GT(syncs, 0);
    EXPECT_LT(syncs * 2, commits) << syncs << " syncs for " << commits << " commits";
    std::cout << mode[1] << ": " << syncs << " syncs for " << commits << " commits\n";
  }
}

// Clients write distinct keys in pipelined batches while the server is SIGKILLed: every key whose
// OK arrived is there after the restart (a reply is never sent before its commit is durable).
TEST(RespServer, AcknowledgedWritesSurviveSigkillUnderLoad) {
  REQUIRE_REDIS_CLI();
  const std::vector<std::vector<std::string>> configs = {
      {"--engine", "sharded", "--mode", "strict", "--threads", "2"},
      {"--engine", "btree", "--mode", "strict", "--threads", "2"},
      {"--engine", "sharded", "--mode", "buffered", "--strict-acks", "--interval-ms", "600000"}};
  for (const std::vector<std::string>& config : configs) {
    SCOPED_TRACE(config[1] + " " + config[3]);
    TempDir dir;
    std::vector<std::string> flags = config;
    flags.insert(flags.end(), {"--dir", dir.Data()});
    constexpr int kClients = 16, kPipeline = 8;
    std::vector<int> acked(kClients, 0);
    {
      Server s(flags);
      std::vector<std::thread> clients;
      for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
          Client conn(s.port());
          std::string ok;
          for (int i = 0; i < kPipeline; ++i) ok += "+OK\r\n";
          for (int next = 0; conn.connected(); next += kPipeline) {
            std::string batch;
            for (int i = next; i < next + kPipeline; ++i) {
              batch += Resp({"SET", "w:" + std::to_string(c) + ":" + std::to_string(i), "v"});
            }
            if (!conn.Send(batch)) return;
            const std::string got = conn.Read(ok.size());
            // Replies come whole or not at all: count the OKs that arrived before the kill.
            acked[c] = next + static_cast<int>(got.size() / 5);
            if (got != ok) return;
          }
        });
      }
      std::this_thread::sleep_for(milliseconds(1500));
      s.child().Kill(SIGKILL);
      EXPECT_EQ(s.child().Wait(), 128 + SIGKILL);
      for (std::thread& t : clients) t.join();
    }
    Server s(flags);
    Client check(s.port());
    ASSERT_TRUE(check.connected());
    int total = 0;
    for (int c = 0; c < kClients; ++c) {
      total += acked[c];
      if (acked[c] == 0) continue;
      std::vector<std::string> exists = {"EXISTS"};
      for (int i = 0; i < acked[c]; ++i)
        exists.push_back("w:" + std::to_string(c) + ":" + std::to_string(i));
      ASSERT_TRUE(check.Send(Resp(exists)));
      const std::string want = ":" + std::to_string(acked[c]) + "\r\n";
      EXPECT_EQ(check.Read(want.size()), want) << "client " << c;
    }
    EXPECT_GT(total, 0) << "nothing was acknowledged before the kill";
    std::cout << config[1] << " " << config[3] << ": " << total << " acknowledged writes\n";
  }
}

// One request, its whole reply (the caller knows its length from `want`).
std::string Ask(Client& c, const std::vector<std::string>& args, std::string_view want) {
  if (!c.Send(Resp(args))) return "<send failed>";
  return c.Read(want.size());
}

// An integer field of INFO ("name:value").
int64_t InfoField(Client& c, const std::string& section, const std::string& name) {
  c.Send(Resp({"INFO", section}));
  const std::string got = c.Read(1u << 16, milliseconds(500));
  const size_t at = got.find(name + ":");
  return at == std::string::npos ? -1 : std::stoll(got.substr(at + name.size() + 1));
}

// MULTI/EXEC/DISCARD/WATCH on every engine (docs/resp.md#transactions).
TEST(RespServer, TransactionsAreOneEngineTransaction) {
  for (std::string_view engine : AllEngines::names) {
    SCOPED_TRACE(engine);
    TempDir dir;
    Server s({"--engine", std::string(engine), "--mode", "strict", "--dir", dir.Data()});
    Client c(s.port()), other(s.port());
    ASSERT_TRUE(c.connected() && other.connected());
    // Every queued write applies in one engine commit (one WAL record, one durability wait).
    const int64_t commits = InfoField(c, "stats", "statelab_commits");
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"SET", "k", "v"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"INCR", "n"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"GET", "k"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"PING"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(other, {"GET", "k"}, "$-1\r\n"), "$-1\r\n") << "nothing applied before EXEC";
    const std::string exec = "*4\r\n+OK\r\n:1\r\n$1\r\nv\r\n+PONG\r\n";
    EXPECT_EQ(Ask(c, {"EXEC"}, exec), exec);
    EXPECT_EQ(InfoField(c, "stats", "statelab_commits"), commits + 1);
    EXPECT_EQ(Ask(other, {"MGET", "k", "n"}, "*2\r\n$1\r\nv\r\n$1\r\n1\r\n"),
              "*2\r\n$1\r\nv\r\n$1\r\n1\r\n");
    // An error while queuing: EXECABORT, nothing applied.
    const std::string unknown = "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n";
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"SET", "a", "1"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"NOSUCH", "x"}, unknown), unknown);
    const std::string arity = "-ERR wrong number of arguments for 'get' command\r\n";
    EXPECT_EQ(Ask(c, {"GET"}, arity), arity);
    const std::string abort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
    EXPECT_EQ(Ask(c, {"EXEC"}, abort), abort);
    EXPECT_EQ(Ask(other, {"EXISTS", "a"}, ":0\r\n"), ":0\r\n");
    // A command that fails when it runs fails alone, as in Redis; the others apply.
    EXPECT_EQ(Ask(c, {"SET", "word", "abc"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"SET", "b", "1"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"INCR", "word"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    const std::string mixed = "*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n";
    EXPECT_EQ(Ask(c, {"EXEC"}, mixed), mixed);
    EXPECT_EQ(Ask(other, {"EXISTS", "b"}, ":1\r\n"), ":1\r\n");
    // DISCARD drops the queue; misuse errors.
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"DEL", "b"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    const std::string nested = "-ERR MULTI calls can not be nested\r\n";
    EXPECT_EQ(Ask(c, {"MULTI"}, nested), nested);
    const std::string watch_inside = "-ERR WATCH inside MULTI is not allowed\r\n";
    EXPECT_EQ(Ask(c, {"WATCH", "b"}, watch_inside), watch_inside);
    EXPECT_EQ(Ask(c, {"DISCARD"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(other, {"EXISTS", "b"}, ":1\r\n"), ":1\r\n");
    const std::string no_multi = "-ERR EXEC without MULTI\r\n";
    EXPECT_EQ(Ask(c, {"EXEC"}, no_multi), no_multi);
    // WATCH: a change by another client after WATCH makes EXEC return null and apply nothing.
    EXPECT_EQ(Ask(c, {"WATCH", "w", "b"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(other, {"SET", "w", "theirs"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"SET", "w", "mine"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"EXEC"}, "*-1\r\n"), "*-1\r\n");
    EXPECT_EQ(Ask(other, {"GET", "w"}, "$6\r\ntheirs\r\n"), "$6\r\ntheirs\r\n");
    // EXEC unwatched the keys; an unchanged watched key lets EXEC apply; so does UNWATCH.
    EXPECT_EQ(Ask(c, {"WATCH", "w"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"SET", "w", "mine"}, "+QUEUED\r\n"), "+QUEUED\r\n");
    EXPECT_EQ(Ask(c, {"EXEC"}, "*1\r\n+OK\r\n"), "*1\r\n+OK\r\n");
    EXPECT_EQ(Ask(c, {"WATCH", "w"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(other, {"DEL", "w"}, ":1\r\n"), ":1\r\n");
    EXPECT_EQ(Ask(c, {"UNWATCH"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"EXEC"}, "*0\r\n"), "*0\r\n");
    // A watched key that expires counts as changed, as in Redis.
    // PX 300: the key must still exist at WATCH on a loaded machine.
    EXPECT_EQ(Ask(c, {"SET", "e", "v", "PX", "300"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"WATCH", "e"}, "+OK\r\n"), "+OK\r\n");
    std::this_thread::sleep_for(milliseconds(450));
    EXPECT_EQ(Ask(c, {"MULTI"}, "+OK\r\n"), "+OK\r\n");
    EXPECT_EQ(Ask(c, {"EXEC"}, "*-1\r\n"), "*-1\r\n");
  }
}

// Concurrent WATCH/GET/MULTI/SET/EXEC increments with retries on a null EXEC: no update is lost,
// so EXEC validated the watched version in the same engine transaction that wrote.
TEST(RespServer, WatchRetryLoopsLoseNoUpdate) {
  for (std::string_view engine : AllEngines::names) {
    SCOPED_TRACE(engine);
    Server s({"--engine", std::string(engine), "--mode", "inmemory", "--threads", "2"});
    constexpr int kClients = 4, kIncrements = 150;
    std::atomic<int> retries{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&] {
        Client c(s.port());
        for (int done = 0; done < kIncrements;) {
          ASSERT_EQ(Ask(c, {"WATCH", "ctr"}, "+OK\r\n"), "+OK\r\n");
          // GET's reply: "$-1\r\n" or "$N\r\n<N bytes>\r\n", read until complete.
          ASSERT_TRUE(c.Send(Resp({"GET", "ctr"})));
          std::string got = c.Read(5);
          int64_t value = 0;
          if (got != "$-1\r\n") {
            // A closed connection reads "": fail instead of spinning (a server crash).
            auto more = [&](size_t n) {
              const std::string part = c.Read(n);
              got += part;
              return !part.empty();
            };
            while (got.find("\r\n") == std::string::npos) ASSERT_TRUE(more(1)) << got;
            const size_t nl = got.find("\r\n");
            const size_t len = std::stoul(got.substr(1, nl - 1));
            while (got.size() < nl + 2 + len + 2) {
              ASSERT_TRUE(more(nl + 2 + len + 2 - got.size())) << got;
            }
            value = std::stoll(got.substr(nl + 2, len));
          }
          const std::string next = std::to_string(value + 1);
          ASSERT_TRUE(c.Send(Resp({"MULTI"}) + Resp({"SET", "ctr", next}) + Resp({"EXEC"})));
          // "+OK" "+QUEUED", then "*-1" (a watched change: retry) or "*1" "+OK" (applied).
          const std::string aborted = "+OK\r\n+QUEUED\r\n*-1\r\n";
          const std::string applied = "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n";
          std::string reply = c.Read(aborted.size());
          if (reply == aborted) {
            ++retries;
            continue;
          }
          reply += c.Read(applied.size() - reply.size());
          ASSERT_EQ(reply, applied);
          ++done;
        }
      });
    }
    for (std::thread& t : clients) t.join();
    Client check(s.port());
    const std::string want = std::to_string(kClients * kIncrements);
    EXPECT_EQ(
        Ask(check, {"GET", "ctr"}, "$" + std::to_string(want.size()) + "\r\n" + want + "\r\n"),
        "$" + std::to_string(want.size()) + "\r\n" + want + "\r\n");
    std::cout << engine << ": " << retries.load() << " EXEC retries\n";
  }
}

// Redis's string and key semantics where they are easy to get wrong (issue 21).
TEST(RespServer, StringAndKeyCommandsFollowRedis) {
  Server s({"--engine", "sharded", "--mode", "inmemory"});
  Client c(s.port());
  ASSERT_TRUE(c.connected());
  auto is = [&](const std::vector<std::string>& args, std::string_view want) {
    EXPECT_EQ(Ask(c, args, want), want) << args[0];
  };
  const std::string not_int = "-ERR value is not an integer or out of range\r\n";
  is({"SET", "z", "01"}, "+OK\r\n");
  is({"INCR", "z"}, not_int);
  is({"SET", "z", "-0"}, "+OK\r\n");
  is({"INCR", "z"}, not_int);
  is({"SET", "n", "10"}, "+OK\r\n");
  is({"DECRBY", "n", "3"}, ":7\r\n");
  is({"DECRBY", "n", "-9223372036854775808"}, "-ERR decrement would overflow\r\n");
  is({"INCRBYFLOAT", "n", "0.5"}, "$3\r\n7.5\r\n");
  is({"INCRBYFLOAT", "f", "10.5"}, "$4\r\n10.5\r\n");
  is({"INCRBYFLOAT", "f", "0.1"}, "$4\r\n10.6\r\n");
  // TTL rounds to the nearest second, as Redis (PX 100800: TTL 101, not 100). Not 100500: one
  // millisecond between SET and TTL (ASan) makes that 100499 ms, which Redis also answers as 100.
  is({"SET", "t", "v", "PX", "100800"}, "+OK\r\n");
  is({"TTL", "t"}, ":101\r\n");
  is({"SET", "t", "v", "EX", "10", "EX", "20"}, "+OK\r\n");
  is({"TTL", "t"}, ":20\r\n");
  is({"SET", "t", "v", "EX", "10", "PX", "20"}, "-ERR syntax error\r\n");
  is({"SET", "t", "w", "GET"}, "$1\r\nv\r\n");
  is({"SET", "t", "x", "NX", "GET"}, "$1\r\nw\r\n");
  is({"GET", "t"}, "$1\r\nw\r\n");
  is({"SET", "t", "v", "PXAT", "1"}, "+OK\r\n");
  is({"EXISTS", "t"}, ":0\r\n");
  // EXPIRE NX|XX|GT|LT.
  is({"SET", "e", "v"}, "+OK\r\n");
  is({"EXPIRE", "e", "100", "XX"}, ":0\r\n");
  is({"EXPIRE", "e", "100", "GT"}, ":0\r\n");
  is({"EXPIRE", "e", "100", "NX"}, ":1\r\n");
  is({"EXPIRE", "e", "200", "NX"}, ":0\r\n");
  is({"EXPIRE", "e", "50", "GT"}, ":0\r\n");
  is({"EXPIRE", "e", "50", "LT"}, ":1\r\n");
  is({"TTL", "e"}, ":50\r\n");
  is({"EXPIRE", "e", "5", "NX", "XX"},
     "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  is({"PERSIST", "e"}, ":1\r\n");
  is({"TTL", "e"}, ":-1\r\n");
  // Strings.
  is({"APPEND", "s", "Hello"}, ":5\r\n");
  is({"SETRANGE", "s", "6", "World"}, ":11\r\n");
  is({"GETRANGE", "s", "-5", "-1"}, "$5\r\nWorld\r\n");
  is({"STRLEN", "s"}, ":11\r\n");
  is({"SETBIT", "b", "1", "1"}, ":0\r\n");
  is({"GETBIT", "b", "1"}, ":1\r\n");
  is({"BITCOUNT", "s"}, ":42\r\n");
  is({"LCS", "s", "s", "LEN"}, ":11\r\n");
  is({"GETDEL", "b"}, "$1\r\n@\r\n");
  is({"MSETNX", "m1", "1", "s", "2"}, ":0\r\n");
  is({"EXISTS", "m1"}, ":0\r\n");
  // Keys.
  is({"RENAME", "s", "s2"}, "+OK\r\n");
  is({"RENAME", "nope", "x"}, "-ERR no such key\r\n");
  is({"COPY", "s2", "s3", "DB", "1"}, ":1\r\n");
  is({"MOVE", "s2", "1"}, ":1\r\n");
  is({"EXISTS", "s2"}, ":0\r\n");
  is({"SELECT", "1"}, "+OK\r\n");
  is({"KEYS", "s[23]"}, "*2\r\n$2\r\ns2\r\n$2\r\ns3\r\n");
  is({"SCAN", "0", "MATCH", "*3"}, "*2\r\n$1\r\n0\r\n*1\r\n$2\r\ns3\r\n");
  is({"TYPE", "s3"}, "+string\r\n");
  is({"FLUSHALL"}, "+OK\r\n");
  is({"DBSIZE"}, ":0\r\n");
  is({"SELECT", "0"}, "+OK\r\n");
  is({"DBSIZE"}, ":0\r\n");
  is({"CLIENT", "ID"}, ":1\r\n");
  is({"HELLO", "4"}, "-NOPROTO unsupported protocol version\r\n");
  // SWAPDB: the databases trade their keys, and a key watched before it counts as changed.
  is({"SET", "w", "in0"}, "+OK\r\n");
  is({"WATCH", "w"}, "+OK\r\n");
  is({"SWAPDB", "0", "1"}, "+OK\r\n");
  is({"EXISTS", "w"}, ":0\r\n");
  is({"MULTI"}, "+OK\r\n");
  is({"PING"}, "+QUEUED\r\n");
  is({"EXEC"}, "*-1\r\n");
  is({"SELECT", "1"}, "+OK\r\n");
  is({"GET", "w"}, "$3\r\nin0\r\n");
  is({"SWAPDB", "0", "x"}, "-ERR invalid second DB index\r\n");
  // No-multi commands and a bad CONFIG SET value.
  is({"MULTI"}, "+OK\r\n");
  is({"SET", "w", "never"}, "+QUEUED\r\n");
  is({"SAVE"}, "-ERR Command not allowed inside a transaction\r\n");
  is({"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n");
  is({"GET", "w"}, "$3\r\nin0\r\n");
  is({"CONFIG", "SET", "maxmemory", "bla"},
     "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a "
     "memory value\r\n");
  is({"CONFIG", "SET", "maxmemory", "100mb"}, "+OK\r\n");
}

// Before AUTH, requests are limited as Redis limits unauthenticated clients.
TEST(RespServer, UnauthenticatedClientsSendSmallRequestsOnly) {
  Server s({"--engine", "btree", "--mode", "inmemory", "--password", "pw"});
  Client big(s.port());
  ASSERT_TRUE(big.Send("*2\r\n$3\r\nGET\r\n$100000\r\n"));
  const std::string bulk = "-ERR Protocol error: unauthenticated bulk length\r\n";
  EXPECT_EQ(big.Read(bulk.size() + 1), bulk);
  EXPECT_TRUE(big.eof());
  Client authed(s.port());
  EXPECT_EQ(Ask(authed, {"AUTH", "pw"}, "+OK\r\n"), "+OK\r\n");
  const std::string value(100000, 'v');
  EXPECT_EQ(Ask(authed, {"SET", "k", value}, "+OK\r\n"), "+OK\r\n");
}

}  // namespace
}  // namespace statelab::testing_util
