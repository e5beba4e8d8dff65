// The crash loop: a child process writes ticks (each touching kv, events, state and json with an
// invariant), acknowledges each commit and each completed flush on a pipe, and is SIGKILLed at a
// random moment; the parent recovers and checks what the mode promises:
//   every acknowledged commit is there, in Strict and in Buffered (a Buffered commit is written
//   to the file before it is acknowledged, and a process crash keeps the page cache); never half
//   a transaction (the invariant holds), nothing invented (at most one unacknowledged commit),
//   recovering twice gives the same state.
// Iterations: 200 in total over every engine x durable mode (STATELAB_CRASH_ITERATIONS per
// configuration overrides). Also, with no background sync at all (a 60 s interval): Buffered
// commits, plain or made durable by the per-transaction strict override, survive a SIGKILL that
// follows their acknowledgement at once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "tests/durability/workload.h"

namespace statelab::testing_util {
namespace {

struct Ack {
  char kind;  // 'R' opened (n = recovered counter), 'C' committed n, 'F' flushed through n,
              // 'S' committed n with the strict override
  int64_t n;
};

void Send(int fd, char kind, int64_t n) {
  Ack a{kind, n};
  if (::write(fd, &a, sizeof a) != sizeof a) ::_exit(9);
}

// Reads one ack; false at end of stream (the child is gone).
bool Receive(int fd, Ack* a) {
  size_t got = 0;
  while (got < sizeof *a) {
    ssize_t n = ::read(fd, reinterpret_cast<char*>(a) + got, sizeof *a - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

int IterationsPerConfig() {
  if (const char* s = std::getenv("STATELAB_CRASH_ITERATIONS")) return std::atoi(s);
  constexpr int kConfigs = static_cast<int>(AllEngines::size) * 2;
  return (200 + kConfigs - 1) / kConfigs;
}

// Never returns: writes ticks until killed. `override_after` > 0: that tick uses the strict
// override and is acknowledged with 'S'. `flushes`: flush after one tick in eight (only when no
// override is planned).
template <class E>
[[noreturn]] void Child(const DbOptions& opts, int fd, uint32_t seed, int64_t override_after,
                        bool flushes, TickMix mix) {
  auto db = Database<E>::Open(opts);
  if (!db.ok()) ::_exit(3);
  TickState s = ReadTicks(**db);
  if (!s.consistent()) ::_exit(4);
  Send(fd, 'R', s.counter);
  std::mt19937 rng(seed);
  TxnOptions strict;
  strict.durability = DurabilityOverride::kStrict;
  for (int64_t n = s.counter + 1, i = 1;; ++n, ++i) {
    const bool forced = i == override_after;
    if (!CommitTick(**db, n, forced ? strict : TxnOptions{}, mix).ok()) ::_exit(5);
    Send(fd, forced ? 'S' : 'C', n);
    if (flushes && override_after == 0 && rng() % 8 == 0) {
      if (!(*db)->Flush().ok()) ::_exit(6);
      Send(fd, 'F', n);
    }
  }
}

struct Outcome {
  int64_t opened = -1, committed = -1, flushed = -1, forced = -1;
};

// Forks a child running Child<E>, kills it once `stop(ack)` says so (after `delay_us`), and
// returns what it acknowledged.
template <class E, class Stop>
Outcome RunChild(const DbOptions& opts, uint32_t seed, int64_t override_after, bool flushes,
                 int delay_us, TickMix mix, Stop&& stop) {
  Outcome out;
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    Child<E>(opts, fds[1], seed, override_after, flushes, mix);
  }
  ::close(fds[1]);
  Ack a;
  auto note = [&](const Ack& x) {
    switch (x.kind) {
      case 'R':
        out.opened = x.n;
        break;
      case 'C':
        out.committed = x.n;
        break;
      case 'F':
        out.flushed = x.n;
        break;
      case 'S':
        out.forced = out.committed = x.n;
        break;
    }
  };
  bool alive = true;
  while (alive && !stop(out)) {
    alive = Receive(fds[0], &a);
    if (alive) note(a);
  }
  if (delay_us > 0) ::usleep(static_cast<useconds_t>(delay_us));
  ::kill(pid, SIGKILL);
  while (Receive(fds[0], &a)) note(a);  // acks written before the kill
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited early with code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return out;
}

// Recovers, checks the invariant (and that every pad holds the recovered tick's value), recovers
// again and checks nothing changed.
template <class E>
TickState RecoverTwice(const DbOptions& opts, TickMix mix) {
  TickState first, second;
  {
    auto db = Database<E>::Open(opts);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return first;
    first = ReadTicks(**db);
    EXPECT_TRUE(PadsMatch(**db, first.counter, mix))
        << "a pad is not tick " << first.counter << "'s";
    EXPECT_OK((*db)->Close());
  }
  {
    auto db = Database<E>::Open(opts);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return first;
    second = ReadTicks(**db);
  }
  EXPECT_EQ(first, second) << "recovering twice changed the state";
  EXPECT_TRUE(first.consistent()) << "half a transaction: " << first;
  return first;
}

template <class C>
class CrashLoop : public ModeTest {
 protected:
  using E = typename C::Engine;
  void SetUp() override {
    dir_ = MakeTempDir("crash");
    opts_.mode = this->mode();
    opts_.dir = dir_;
    opts_.engine = std::string(E::kName);
    opts_.snapshot_wal_bytes = 24 << 10;  // snapshots and log pruning happen during the loop
    opts_.wal_segment_bytes = 16 << 10;
    opts_.buffered_interval_ms = 5;
    opts_.buffered_batch_size = 16;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  TickState RecoverTwice() { return statelab::testing_util::RecoverTwice<E>(opts_, {}); }

  std::string dir_;
  DbOptions opts_;
};
ENGINE_TEST_SUITE(CrashLoop, ModeSet::kDurable);

ENGINE_TEST(CrashLoop, KilledAtRandomRecoversWhatTheModePromises) {
  using E = typename TestFixture::E;
  std::mt19937 rng(::testing::UnitTest::GetInstance()->random_seed() * 7919 +
                   static_cast<uint32_t>(this->mode()) * 31 + E::kName.size());
  int64_t before = 0;
  const int iterations = IterationsPerConfig();
  for (int it = 0; it < iterations && !::testing::Test::HasFailure(); ++it) {
    this->opts_.snapshot_on_close = rng() % 2 == 0;
    const auto acks = static_cast<int64_t>(rng() % 30);  // 0: killed while opening / recovering
    const int delay_us = static_cast<int>(rng() % 1500);
    Outcome o = RunChild<E>(this->opts_, rng(), 0, true, delay_us, {}, [&](const Outcome& x) {
      return x.opened >= 0 && x.committed - x.opened >= acks;
    });
    const TickState s = this->RecoverTwice();
    SCOPED_TRACE("iteration " + std::to_string(it));
    EXPECT_GE(s.counter, before) << "a recovered commit disappeared";
    EXPECT_GE(s.counter, o.committed) << "lost an acknowledged commit";
    EXPECT_GE(s.counter, o.flushed) << "lost a flushed commit";
    EXPECT_LE(s.counter, std::max(o.committed, o.opened) + 1) << "invented data";
    before = s.counter;
  }
  this->RecordProperty("iterations", iterations);
  this->RecordProperty("ticks", static_cast<int>(before));
}

ENGINE_TEST(CrashLoop, BufferedCommitsSurviveAnImmediateKill) {
  using E = typename TestFixture::E;
  if (this->mode() != DurabilityMode::kBuffered) GTEST_SKIP() << "Strict: the loop above";
  this->opts_.buffered_interval_ms = 60'000;  // nothing syncs in the background
  this->opts_.buffered_batch_size = 1'000'000;
  this->opts_.snapshot_wal_bytes = 0;
  this->opts_.snapshot_on_close = false;
  for (int it = 0; it < 5; ++it) {
    // Plain commits: killed right after the (3 + it)th acknowledgement.
    Outcome o = RunChild<E>(this->opts_, it, 0, false, 0, {}, [&](const Outcome& x) {
      return x.opened >= 0 && x.committed - x.opened >= 3 + it;
    });
    TickState s = this->RecoverTwice();
    EXPECT_GE(s.counter, o.committed) << "iteration " << it << ": lost an acknowledged commit";
    // The strict override: killed right after the overridden commit's acknowledgement.
    o = RunChild<E>(this->opts_, it, 3 + it, false, 0, {},
                    [](const Outcome& x) { return x.forced >= 0; });
    ASSERT_GE(o.forced, 0);
    s = this->RecoverTwice();
    EXPECT_GE(s.counter, o.forced) << "iteration " << it;
  }
}

// db_crashtest in the spirit of RocksDB's: each round draws an engine, a mode, the partitions,
// the segment size, the snapshot triggers (WAL size, interval, on close), the Buffered sync
// interval, the tick's extra writes (count, value size, primitive: kv, state or json) and, per
// kill, the moment of the SIGKILL and whether the child flushes; it kills the child 2-5 times in
// one directory, recovering and checking after each kill what the loop above checks (plus every
// extra value whole). Runs
// for STATELAB_CRASHTEST_SECONDS (default 5; scripts/crashtest.sh --minutes N runs longer);
// STATELAB_CRASHTEST_SEED replays a run (the seed is printed and recorded).
struct RoundConfig {
  size_t engine = 0;
  DbOptions opts;
  TickMix mix;
  int kills = 0;
  std::string Describe() const {
    return std::string(AllEngines::names[engine]) + " " + std::string(ModeName(opts.mode)) +
           " partitions=" + std::to_string(opts.partitions) +
           " segment=" + std::to_string(opts.wal_segment_bytes) +
           " snapshot_wal=" + std::to_string(opts.snapshot_wal_bytes) +
           " snapshot_interval_s=" + std::to_string(opts.snapshot_interval_s) +
           " buffered_interval_ms=" + std::to_string(opts.buffered_interval_ms) +
           " pads=" + std::to_string(mix.keys) + "x" + std::to_string(mix.bytes) + "B in " +
           PadPrimitiveName(mix.in);
  }
};

RoundConfig DrawRound(std::mt19937& rng, const std::string& dir) {
  RoundConfig c;
  c.engine = rng() % AllEngines::size;
  c.opts.engine = std::string(AllEngines::names[c.engine]);
  c.opts.dir = dir;
  c.opts.mode = rng() % 2 == 0 ? DurabilityMode::kStrict : DurabilityMode::kBuffered;
  c.opts.partitions = 1 + rng() % 4;
  c.opts.wal_segment_bytes = uint64_t{512} << (rng() % 8);  // 512 B .. 64 KiB
  c.opts.snapshot_wal_bytes = rng() % 3 == 0 ? 0 : uint64_t{2048} << (rng() % 6);
  c.opts.snapshot_interval_s = rng() % 4 == 0 ? 1 : 0;
  c.opts.buffered_interval_ms = 1 + rng() % 20;
  c.opts.buffered_batch_size = 1 + rng() % 64;
  c.mix.keys = rng() % 5;
  c.mix.bytes = rng() % 3 == 0 ? 0 : 1u << (rng() % 13);  // up to 4 KiB
  c.mix.in = static_cast<PadPrimitive>(rng() % 3);
  c.kills = 2 + static_cast<int>(rng() % 4);
  return c;
}

template <class E>
void RunRound(RoundConfig& c, std::mt19937& rng) {
  int64_t before = 0;
  for (int k = 0; k < c.kills && !::testing::Test::HasFailure(); ++k) {
    c.opts.snapshot_on_close = rng() % 2 == 0;
    const auto acks = static_cast<int64_t>(rng() % 40);
    const int delay_us = static_cast<int>(rng() % 3000);
    const bool flushes = rng() % 2 == 0;
    Outcome o = RunChild<E>(c.opts, rng(), 0, flushes, delay_us, c.mix, [&](const Outcome& x) {
      return x.opened >= 0 && x.committed - x.opened >= acks;
    });
    const TickState s = RecoverTwice<E>(c.opts, c.mix);
    SCOPED_TRACE("kill " + std::to_string(k));
    EXPECT_GE(s.counter, before) << "a recovered commit disappeared";
    EXPECT_GE(s.counter, o.committed) << "lost an acknowledged commit";
    EXPECT_GE(s.counter, o.flushed) << "lost a flushed commit";
    EXPECT_LE(s.counter, std::max(o.committed, o.opened) + 1) << "invented data";
    before = s.counter;
  }
}

TEST(Crashtest, RandomizedConfigurations) {
  const char* secs = std::getenv("STATELAB_CRASHTEST_SECONDS");
  const double budget_s = secs != nullptr ? std::atof(secs) : 5.0;
  const char* seed_env = std::getenv("STATELAB_CRASHTEST_SEED");
  const uint32_t seed = seed_env != nullptr
                            ? static_cast<uint32_t>(std::strtoul(seed_env, nullptr, 10))
                            : std::random_device{}();
  std::printf("crashtest seed %u (STATELAB_CRASHTEST_SEED=%u replays it), %.0f s\n", seed, seed,
              budget_s);
  std::mt19937 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  int rounds = 0, kills = 0;
  while (!::testing::Test::HasFailure() &&
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
             budget_s) {
    const std::string dir = MakeTempDir("crashtest");
    RoundConfig c = DrawRound(rng, dir);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", round " + std::to_string(rounds) + ": " +
                 c.Describe());
    size_t i = 0;
    AllEngines::ForEach([&]<class E>() {
      if (i++ == c.engine) RunRound<E>(c, rng);
    });
    ++rounds;
    kills += c.kills;
    std::filesystem::remove_all(dir);
  }
  std::printf("crashtest: %d rounds, %d kills\n", rounds, kills);
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  ::testing::Test::RecordProperty("rounds", rounds);
  ::testing::Test::RecordProperty("kills", kills);
}

}  // namespace
}  // namespace statelab::testing_util
