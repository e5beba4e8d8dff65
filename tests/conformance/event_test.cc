// EventLog: every operation and every documented error, the hash chain, and concurrent appends.
#include <boost/json/parse.hpp>
#include <set>
#include <thread>
#include <vector>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

template <class C>
class EventConformance : public EngineTest<C> {
 protected:
  Appended MustAppend(std::string_view type, const boost::json::value& payload) {
    Result<Appended> r = this->db_->events().Append(this->run_, type, payload);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Appended{};
  }
  uint64_t Len() { return *this->db_->events().Len(this->run_); }
  std::vector<uint64_t> Sequences(const Result<std::vector<Event>>& events) {
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    std::vector<uint64_t> out;
    if (events.ok()) {
      for (const Event& e : *events) out.push_back(e.sequence);
    }
    return out;
  }
  // Replaces the stored record of e.sequence, bypassing the EventLog (as a corrupting writer).
  void Overwrite(const Event& e) {
    ASSERT_OK(this->db_->Transaction(this->run_, [&](typename EngineTest<C>::Handle& h) {
      h.raw().Put(Tag::kEvent, event_log::EventKey(e.sequence), event_log::EncodeEvent(e));
      return Status::OK();
    }));
  }
  static TxnOptions NoRetry() {
    TxnOptions o;
    o.retry.max_retries = 0;
    return o;
  }
};
ENGINE_TEST_SUITE(EventConformance, ModeSet::kAll);

using Seqs = std::vector<uint64_t>;

ENGINE_TEST(EventConformance, EmptyLog) {
  auto events = this->db_->events();
  EXPECT_EQ(*events.Len(this->run_), 0u);
  EXPECT_TRUE(events.Head(this->run_).status().IsNotFound());
  EXPECT_TRUE(events.Read(this->run_, 0).status().IsNotFound());
  EXPECT_TRUE(events.ReadRange(this->run_, 0, 10)->empty());
  EXPECT_TRUE(events.ReadByType(this->run_, "a")->empty());
  Result<ChainReport> report = events.VerifyChain(this->run_);
  ASSERT_OK(report);
  EXPECT_TRUE(report->valid());
  EXPECT_EQ(report->length, 0u);
}

ENGINE_TEST(EventConformance, AppendReadHeadLen) {
  auto events = this->db_->events();
  const boost::json::value p0 = {{"step", 1}, {"note", "start"}};
  Appended a0 = this->MustAppend("created", p0);
  Appended a1 = this->MustAppend("updated", {{"step", 2}});
  Appended a2 = this->MustAppend("created", nullptr);
  EXPECT_EQ(a0.sequence, 0u);
  EXPECT_EQ(a1.sequence, 1u);
  EXPECT_EQ(a2.sequence, 2u);
  EXPECT_GT(a0.version, 0u);
  EXPECT_GT(a1.version, a0.version);
  EXPECT_NE(a0.hash, EventHash{});
  EXPECT_EQ(this->Len(), 3u);

  Result<Event> e0 = events.Read(this->run_, 0);
  ASSERT_OK(e0);
  EXPECT_EQ(e0->sequence, 0u);
  EXPECT_EQ(e0->type, "created");
  EXPECT_EQ(e0->payload, p0);
  EXPECT_GT(e0->timestamp_us, 0);
  EXPECT_EQ(e0->prev_hash, EventHash{});  // the first prev_hash is 32 zero bytes
  EXPECT_EQ(e0->hash, a0.hash);
  EXPECT_EQ(e0->version, a0.version);
  EXPECT_EQ(e0->hash, event_log::ComputeHash(*e0));

  Result<Event> e1 = events.Read(this->run_, 1);
  ASSERT_OK(e1);
  EXPECT_EQ(e1->prev_hash, a0.hash);
  EXPECT_EQ(e1->hash, a1.hash);

  Result<Event> head = events.Head(this->run_);
  ASSERT_OK(head);
  EXPECT_EQ(head->sequence, 2u);
  EXPECT_EQ(head->prev_hash, a1.hash);
  EXPECT_TRUE(head->payload.is_null());
  EXPECT_TRUE(events.Read(this->run_, 3).status().IsNotFound());
  EXPECT_TRUE(events.VerifyChain(this->run_)->valid());
}

// A reused buffer reads exactly what Read returns, whatever the payloads' sizes in turn, and a
// miss or a malformed record leaves the status to say so.
ENGINE_TEST(EventConformance, ReadIntoABufferEqualsRead) {
  auto events = this->db_->events();
  boost::json::value big = boost::json::object();
  for (int i = 0; i < 200; ++i) big.as_object()[std::to_string(i)] = std::string(40, 'x');
  this->MustAppend("small", {{"n", 1}});
  this->MustAppend("big", big);
  this->MustAppend("none", nullptr);
  EventBuffer buf;
  for (uint64_t seq : {0, 1, 0, 2, 1, 1}) {
    ASSERT_OK(events.Read(this->run_, seq, &buf));
    Result<Event> plain = events.Read(this->run_, seq);
    ASSERT_OK(plain);
    EXPECT_EQ(buf.event(), *plain) << "sequence " << seq;
  }
  EXPECT_EQ(buf.event().payload, big);
  EXPECT_TRUE(events.Read(this->run_, 3, &buf).IsNotFound());

  ASSERT_OK(this->db_->Transaction(this->run_, [&](typename EngineTest<TypeParam>::Handle& h) {
    h.raw().Put(Tag::kEvent, event_log::EventKey(1), boost::json::value{{"sequence", "x"}});
    return Status::OK();
  }));
  const Status malformed = events.Read(this->run_, 1, &buf);
  EXPECT_EQ(malformed.code(), Code::kCorruption) << malformed.ToString();
}

ENGINE_TEST(EventConformance, ReadRangeIsHalfOpenAndClipped) {
  auto events = this->db_->events();
  for (int i = 0; i < 5; ++i) this->MustAppend("t", {{"i", i}});
  EXPECT_EQ(this->Sequences(events.ReadRange(this->run_, 0, 5)), (Seqs{0, 1, 2, 3, 4}));
  EXPECT_EQ(this->Sequences(events.ReadRange(this->run_, 1, 3)), (Seqs{1, 2}));
  EXPECT_EQ(this->Sequences(events.ReadRange(this->run_, 3, 100)), (Seqs{3, 4}));
  EXPECT_EQ(this->Sequences(events.ReadRange(this->run_, 2, 2)), Seqs{});
  EXPECT_EQ(this->Sequences(events.ReadRange(this->run_, 7, 9)), Seqs{});
  Result<std::vector<Event>> bad = events.ReadRange(this->run_, 4, 2);
  ASSERT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("start"), std::string_view::npos);
  Result<std::vector<Event>> r = events.ReadRange(this->run_, 2, 3);
  ASSERT_OK(r);
  EXPECT_EQ((*r)[0].payload, (boost::json::value{{"i", 2}}));
}

ENGINE_TEST(EventConformance, ReadByTypeUsesTheTypeIndex) {
  auto events = this->db_->events();
  for (const char* t : {"a", "b", "a", "ab", "b", "a"}) this->MustAppend(t, nullptr);
  EXPECT_EQ(this->Sequences(events.ReadByType(this->run_, "a")), (Seqs{0, 2, 5}));
  EXPECT_EQ(this->Sequences(events.ReadByType(this->run_, "b")), (Seqs{1, 4}));
  EXPECT_EQ(this->Sequences(events.ReadByType(this->run_, "ab")), (Seqs{3}));
  EXPECT_EQ(this->Sequences(events.ReadByType(this->run_, "c")), Seqs{});
  Result<std::vector<Event>> r = events.ReadByType(this->run_, "a");
  for (const Event& e : *r) EXPECT_EQ(e.type, "a");
  EXPECT_EQ(events.ReadByType(this->run_, "").status().code(), Code::kInvalidArgument);
}

ENGINE_TEST(EventConformance, TypeAndPayloadLimits) {
  auto events = this->db_->events();
  auto expect_invalid = [&](std::string_view type, const boost::json::value& payload,
                            std::string_view field, std::string_view detail) {
    Result<Appended> r = events.Append(this->run_, type, payload);
    ASSERT_EQ(r.status().code(), Code::kInvalidArgument) << type.size();
    EXPECT_NE(r.status().message().find(field), std::string_view::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(detail), std::string_view::npos) << r.status().ToString();
  };
  expect_invalid("", nullptr, "type", "empty");
  expect_invalid(std::string(kMaxEventTypeBytes + 1, 't'), nullptr, "type", "256");
  expect_invalid("bad\xff", nullptr, "type", "UTF-8");
  boost::json::value deep = nullptr;
  for (int i = 0; i < 101; ++i) deep = boost::json::array{deep};
  expect_invalid("t", deep, "payload", "100");
  expect_invalid("t", std::numeric_limits<double>::quiet_NaN(), "payload", "");
  EXPECT_EQ(this->Len(), 0u);  // nothing was appended, no sequence used
  this->MustAppend(std::string(kMaxEventTypeBytes, 't'), nullptr);
  EXPECT_EQ(this->Len(), 1u);
}

ENGINE_TEST(EventConformance, HashFollowsTheDocumentedEncoding) {
  // The worked example of docs/event_hash.md.
  const boost::json::value payload = boost::json::parse(R"({"b":1.5,"a":[true,null,"x"]})");
  const std::string in = event_log::HashInput(0, "created", payload, 1700000000000000, EventHash{});
  const std::string canonical = R"({"a":[true,null,"x"],"b":1.5E0})";
  std::string expected("\0\0\0\0\0\0\0\0", 8);
  expected += std::string("\0\0\0\7", 4) + "created";
  expected += std::string("\0\0\0", 3) + static_cast<char>(canonical.size()) + canonical;
  expected += std::string("\x00\x06\x0a\x24\x18\x1e\x40\x00", 8);
  expected += std::string(32, '\0');
  EXPECT_EQ(in, expected);
  Event e;
  e.type = "created";
  e.payload = payload;
  e.timestamp_us = 1700000000000000;
  EXPECT_EQ(event_log::HashHex(event_log::ComputeHash(e)),
            "cba256eae84c1aa0452b57ccce9ba4e0b8a8e3778b1acd6a6a05ff08bc12b40f");
  // Key order does not matter: the payload is hashed in canonical form.
  e.payload = boost::json::parse(R"({"a":[true,null,"x"],"b":1.5})");
  EXPECT_EQ(event_log::HashHex(event_log::ComputeHash(e)),
            "cba256eae84c1aa0452b57ccce9ba4e0b8a8e3778b1acd6a6a05ff08bc12b40f");
}

ENGINE_TEST(EventConformance, VerifyChainNamesATamperedPayload) {
  auto events = this->db_->events();
  for (int i = 0; i < 5; ++i) this->MustAppend("t", {{"i", i}});
  ASSERT_TRUE(events.VerifyChain(this->run_)->valid());
  Event e = *events.Read(this->run_, 2);
  e.payload = {{"i", 99}};  // hash left as it was
  this->Overwrite(e);
  Result<ChainReport> report = events.VerifyChain(this->run_);
  ASSERT_OK(report);
  EXPECT_FALSE(report->valid());
  EXPECT_EQ(report->first_bad, 2u);
  EXPECT_EQ(report->reason, "hash mismatch");
  EXPECT_EQ(report->length, 5u);
}

ENGINE_TEST(EventConformance, VerifyChainNamesABrokenLink) {
  auto events = this->db_->events();
  for (int i = 0; i < 4; ++i) this->MustAppend("t", {{"i", i}});
  // A self-consistent event whose prev_hash does not link to its predecessor.
  Event e = *events.Read(this->run_, 3);
  e.prev_hash[0] ^= 1;
  e.hash = event_log::ComputeHash(e);
  this->Overwrite(e);
  Result<ChainReport> report = events.VerifyChain(this->run_);
  ASSERT_OK(report);
  EXPECT_EQ(report->first_bad, 3u);
  EXPECT_EQ(report->reason, "prev_hash mismatch");
}

ENGINE_TEST(EventConformance, AbortedAppendDoesNotBurnASequence) {
  auto& db = *this->db_;
  using H = typename TestFixture::Handle;
  this->MustAppend("t", nullptr);
  Result<Version> aborted = db.Transaction(this->run_, [&](H& h) -> Status {
    Result<Appended> a = h.events().Append("t", nullptr);
    EXPECT_TRUE(a.ok());
    EXPECT_EQ(a->sequence, 1u);
    return Status::InvalidArgument("caller aborts");
  });
  EXPECT_EQ(aborted.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(this->Len(), 1u);
  EXPECT_TRUE(db.events().ReadByType(this->run_, "t")->size() == 1);
  EXPECT_EQ(this->MustAppend("t", nullptr).sequence, 1u);

  if (db.engine().serial_runs()) return;  // a conflict needs interleaved transactions
  // An append that loses a conflict (and is not retried) leaves no trace either.
  Result<Version> lost = db.Transaction(
      this->run_,
      [&](H& h) -> Status {
        STATELAB_RETURN_IF_ERROR(h.events().Append("t", nullptr).status());
        std::thread([&] { this->MustAppend("other", nullptr); }).join();
        return Status::OK();
      },
      this->NoRetry());
  EXPECT_EQ(lost.status().code(), Code::kConflict);
  EXPECT_EQ(this->Len(), 3u);
  EXPECT_EQ(db.events().Read(this->run_, 2)->type, "other");
  EXPECT_EQ(this->MustAppend("t", nullptr).sequence, 3u);
  EXPECT_TRUE(db.events().VerifyChain(this->run_)->valid());
}

ENGINE_TEST(EventConformance, AppendsInOneTransactionChainAndSeeEachOther) {
  using H = typename TestFixture::Handle;
  this->MustAppend("before", nullptr);
  Appended first, second;
  ASSERT_OK(this->db_->Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_ASSIGN_OR_RETURN(first, h.events().Append("in", {{"n", 1}}));
    STATELAB_ASSIGN_OR_RETURN(second, h.events().Append("in", {{"n", 2}}));
    STATELAB_ASSIGN_OR_RETURN(uint64_t len, h.events().Len());
    EXPECT_EQ(len, 3u);
    STATELAB_ASSIGN_OR_RETURN(Event head, h.events().Head());
    EXPECT_EQ(head.sequence, 2u);
    EXPECT_EQ(head.version, 0u);  // own, uncommitted
    return h.kv().Put("k", int64_t{1});
  }));
  EXPECT_EQ(first.sequence, 1u);
  EXPECT_EQ(second.sequence, 2u);
  EXPECT_EQ(this->db_->events().Read(this->run_, 2)->prev_hash, first.hash);
  EXPECT_TRUE(this->db_->events().VerifyChain(this->run_)->valid());
}

ENGINE_TEST(EventConformance, RunsHaveSeparateLogs) {
  this->MustAppend("t", nullptr);
  const RunId other = RunId::Random();
  Result<Appended> a = this->db_->events().Append(other, "t", nullptr);
  ASSERT_OK(a);
  EXPECT_EQ(a->sequence, 0u);
  EXPECT_EQ(*this->db_->events().Len(other), 1u);
  EXPECT_EQ(this->Len(), 1u);
}

// The hash covers the canonical payload, so it must survive the WAL and snapshot codecs exactly
// (doubles, integers beyond 2^63, escapes).
ENGINE_TEST(EventConformance, ChainSurvivesReopen) {
  if (this->mode() == DurabilityMode::kInMemory) GTEST_SKIP() << "nothing outlives a reopen";
  const boost::json::value payload = boost::json::parse(
      R"({"z":1.5,"a":[0.1,-0.0,1e300,18446744073709551615],"s":"\u0001\u00e9"})");
  const Appended a0 = this->MustAppend("t", payload);
  const Appended a1 = this->MustAppend("u", nullptr);
  ASSERT_OK(this->db_->Flush());
  this->Reopen();
  Result<ChainReport> report = this->db_->events().VerifyChain(this->run_);
  ASSERT_OK(report);
  EXPECT_TRUE(report->valid()) << report->reason;
  EXPECT_EQ(this->db_->events().Read(this->run_, 0)->payload, payload);
  EXPECT_EQ(this->db_->events().Head(this->run_)->hash, a1.hash);
  EXPECT_EQ(this->MustAppend("t", nullptr).sequence, 2u);
  EXPECT_EQ(this->Sequences(this->db_->events().ReadByType(this->run_, "t")), (Seqs{0, 2}));
  EXPECT_EQ(this->db_->events().Read(this->run_, 1)->prev_hash, a0.hash);
}

ENGINE_TEST(EventConformance, ConcurrentAppendsAreContiguousAndChained) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  TxnOptions o;
  o.retry.max_retries = 1000000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      std::string type = "t";
      type += std::to_string(t);  // not "t" + ...: GCC 12 -Wrestrict false positive
      for (int i = 0; i < kPerThread; ++i) {
        Result<Appended> r = this->db_->events().Append(this->run_, type, {{"i", i}}, o);
        ASSERT_OK(r);
        got[t].push_back(r->sequence);
      }
    });
  }
  for (auto& t : ts) t.join();
  constexpr uint64_t kTotal = uint64_t{kThreads} * kPerThread;
  ASSERT_EQ(this->Len(), kTotal);
  std::set<uint64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), kTotal);
  EXPECT_EQ(*all.rbegin(), kTotal - 1);
  Result<std::vector<Event>> events = this->db_->events().ReadRange(this->run_, 0, kTotal);
  ASSERT_OK(events);
  for (uint64_t i = 0; i < kTotal; ++i) EXPECT_EQ((*events)[i].sequence, i);
  EXPECT_EQ(this->db_->events().ReadByType(this->run_, "t0")->size(), size_t{kPerThread});
  Result<ChainReport> report = this->db_->events().VerifyChain(this->run_);
  ASSERT_OK(report);
  EXPECT_TRUE(report->valid()) << report->reason << " at " << report->first_bad.value_or(0);
}

}  // namespace
}  // namespace statelab::testing_util
