// Hot-path reads allocate nothing after warm-up, counted by the same hooks as the benchmarks:
// the JSON arena behind reused buffers, an event read into an EventBuffer on every engine (a
// plain Read, which returns a fresh Event, must allocate: the counter sees this path), and
// misses (an absent key, an absent event, which still names its sequence).
#include <gtest/gtest.h>

#include <string>

#include "engines/core/json_arena.h"
#include "engines/primitives/database.h"
#include "engines/registry/engine_list.h"
#include "harness/alloc_counter.h"

namespace statelab {
namespace {

using harness::AllocCounts;
using harness::ProcessAllocs;

boost::json::value Payload(int fields) {
  boost::json::object o;
  for (int i = 0; i < fields; ++i) o[std::to_string(i)] = std::string(30, 'v');
  return o;
}

TEST(JsonArenaTest, GrowsToTheLargestRoundThenStopsAllocating) {
  json_doc::Arena arena;
  const boost::json::value source = Payload(50);
  boost::json::value v(arena.storage());
  v = source;  // first round: everything overflows
  EXPECT_EQ(v, source);
  v = nullptr;
  arena.Reset();
  EXPECT_GT(arena.capacity(), 0u);
  const AllocCounts before = ProcessAllocs();
  for (int i = 0; i < 100; ++i) {
    v = source;
    v = nullptr;
    arena.Reset();
  }
  EXPECT_EQ((ProcessAllocs() - before).allocs, 0u);
  // A larger value overflows once more, then fits.
  const boost::json::value bigger = Payload(500);
  v = bigger;
  EXPECT_EQ(v, bigger);
  v = nullptr;
  arena.Reset();
  const AllocCounts again = ProcessAllocs();
  v = bigger;
  EXPECT_EQ((ProcessAllocs() - again).allocs, 0u);
  EXPECT_EQ(v, bigger);
}

// A miss allocates nothing either, and the facades' not_found for an event still says which
// sequence was missing (Status::NotFoundSequence: a number, no message); the words naming the
// key or the run are added at the edges (the shell), from the request.
TEST(HotPathAllocTest, MissesAllocateNothingAndNameTheSequence) {
  ASSERT_TRUE(harness::AllocCountingEnabled());
  AllEngines::ForEach([]<class E>() {
    SCOPED_TRACE(std::string(E::kName));
    DbOptions opts;
    opts.mode = DurabilityMode::kInMemory;
    auto db = Database<E>::Open(opts);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const RunId run = RunId::Random();
    auto events = (*db)->events();
    auto kv = (*db)->kv();
    ASSERT_TRUE(events.Append(run, "tick", Payload(2)).ok());
    ASSERT_TRUE(kv.Put(run, "present", int64_t{1}).ok());
    EventBuffer buf;
    Value v;
    ASSERT_TRUE(events.Read(run, 0, &buf).ok());  // warm-up
    const Status miss = events.Read(run, 42, &buf);
    EXPECT_TRUE(miss.IsNotFound());
    EXPECT_TRUE(miss.has_sequence());
    EXPECT_EQ(miss.a(), 42u);
    EXPECT_EQ(miss.ToString(), "not_found: sequence 42");

    constexpr uint64_t kReads = 1000;
    const AllocCounts before = ProcessAllocs();
    for (uint64_t i = 0; i < kReads; ++i) {
      ASSERT_TRUE(events.Read(run, 1 + i, &buf).IsNotFound());
      ASSERT_TRUE(kv.Get(run, "absent", &v).IsNotFound());
    }
    EXPECT_EQ((ProcessAllocs() - before).allocs, 0u);
  });
}

TEST(HotPathAllocTest, EventReadIntoABufferAllocatesNothing) {
  ASSERT_TRUE(harness::AllocCountingEnabled());
  AllEngines::ForEach([]<class E>() {
    SCOPED_TRACE(std::string(E::kName));
    DbOptions opts;
    opts.mode = DurabilityMode::kInMemory;
    auto db = Database<E>::Open(opts);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const RunId run = RunId::Random();
    auto events = (*db)->events();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(events.Append(run, "tick", Payload(8)).ok());
    EventBuffer buf;
    for (uint64_t s = 0; s < 10; ++s) ASSERT_TRUE(events.Read(run, s, &buf).ok());  // warm-up

    constexpr uint64_t kReads = 1000;
    const AllocCounts before = ProcessAllocs();
    for (uint64_t i = 0; i < kReads; ++i) {
      ASSERT_TRUE(events.Read(run, i % 100, &buf).ok());
    }
    EXPECT_EQ((ProcessAllocs() - before).allocs, 0u);
    EXPECT_EQ(buf.event().sequence, (kReads - 1) % 100);

    const AllocCounts plain = ProcessAllocs();
    for (uint64_t i = 0; i < kReads; ++i) ASSERT_TRUE(events.Read(run, i % 100).ok());
    EXPECT_GE((ProcessAllocs() - plain).allocs, kReads);
  });
}

}  // namespace
}  // namespace statelab
