// KVStore: every operation and every documented error.
#include <chrono>
#include <thread>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

template <class C>
class KvConformance : public EngineTest<C> {};
ENGINE_TEST_SUITE(KvConformance, ModeSet::kAll);

ENGINE_TEST(KvConformance, PutGetExistsDelete) {
  auto kv = this->db_->kv();
  const RunId& run = this->run_;
  Value v;
  EXPECT_TRUE(kv.Get(run, "a", &v).IsNotFound());
  ASSERT_OK(kv.Put(run, "a", "hello"));
  ASSERT_OK(kv.Get(run, "a", &v));
  EXPECT_EQ(std::get<std::string>(v), "hello");
  EXPECT_TRUE(*kv.Exists(run, "a"));
  EXPECT_TRUE(*kv.Delete(run, "a"));
  EXPECT_FALSE(*kv.Delete(run, "a"));
  EXPECT_FALSE(*kv.Exists(run, "a"));
  EXPECT_TRUE(kv.Get(run, "a", &v).IsNotFound());
}

ENGINE_TEST(KvConformance, EveryValueType) {
  auto kv = this->db_->kv();
  const std::vector<Value> values = {Value{},         Value{true},
                                     Value{int64_t{-7}}, Value{2.5},
                                     Value{std::string("text")}, Value{Bytes{std::string("\0\1", 2)}},
                                     Value{boost::json::value{{"a", 1}}}};
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_OK(kv.Put(this->run_, "v" + std::to_string(i), values[i]));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    Result<Versioned> r = kv.Get(this->run_, "v" + std::to_string(i));
    ASSERT_OK(r);
    EXPECT_EQ(r->value, values[i]) << i;
  }
}

ENGINE_TEST(KvConformance, TtlExpiresForEveryRead) {
  auto kv = this->db_->kv();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK(kv.PutWithTtl(this->run_, "t", int64_t{1}, std::chrono::milliseconds(100)));
  ASSERT_OK(kv.Put(this->run_, "u", int64_t{2}));
  // A Strict put waits for an fdatasync, which a loaded machine can stretch past the ttl.
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(50)) {
    EXPECT_TRUE(*kv.Exists(this->run_, "t"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  Value v;
  EXPECT_TRUE(kv.Get(this->run_, "t", &v).IsNotFound());
  EXPECT_FALSE(*kv.Exists(this->run_, "t"));
  std::vector<std::string> keys;
  ASSERT_OK(kv.List(this->run_, "", &keys));
  EXPECT_EQ(keys, std::vector<std::string>{"u"});
  std::vector<std::string_view> names{"t", "u"};
  std::vector<std::optional<Versioned>> many;
  ASSERT_OK(kv.GetMany(this->run_, names, &many));
  EXPECT_FALSE(many[0].has_value());
  EXPECT_TRUE(many[1].has_value());
  EXPECT_EQ(kv.PutWithTtl(this->run_, "z", int64_t{1}, std::chrono::microseconds(0))
                .status()
                .code(),
            Code::kInvalidArgument);
}

// A read reports the expiry it sees: committed (also after a reopen), an own uncommitted write's,
// and 0 for a key without one.
ENGINE_TEST(KvConformance, ReadsReportTheExpiry) {
  using H = typename TestFixture::Handle;
  auto kv = this->db_->kv();
  const TimestampUs before = NowMicros();
  ASSERT_OK(kv.PutWithTtl(this->run_, "t", int64_t{1}, std::chrono::hours(1)));
  ASSERT_OK(kv.Put(this->run_, "u", int64_t{2}));
  auto expiry = [&](std::string_view key) {
    TimestampUs at = -1;
    Status s = this->db_->kv().Get(this->run_, key, nullptr, nullptr, &at);  // survives Reopen
    EXPECT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
    return s.ok() ? at : TimestampUs{-2};
  };
  const TimestampUs at = expiry("t");
  EXPECT_GE(at, before + 3'600'000'000);
  EXPECT_LE(at, NowMicros() + 3'600'000'000);
  EXPECT_EQ(expiry("u"), 0);
  EXPECT_EQ(expiry("missing"), -2);
  ASSERT_OK(this->db_->Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().PutWithTtl("u", int64_t{3}, std::chrono::seconds(10)));
    TimestampUs own = 0;
    Value v;
    STATELAB_RETURN_IF_ERROR(h.kv().Get("u", &v, nullptr, &own));
    EXPECT_EQ(v, Value(int64_t{3}));
    EXPECT_GT(own, 0) << "an own write's expiry";
    return Status::OK();
  }));
  EXPECT_GT(expiry("u"), 0);
  if (this->mode() == DurabilityMode::kInMemory) return;
  ASSERT_OK(this->db_->Flush());
  this->Reopen();
  EXPECT_EQ(expiry("t"), at) << "the expiry is durable";
}

ENGINE_TEST(KvConformance, CasOnNewExistingAndDeletedKeys) {
  auto kv = this->db_->kv();
  const RunId& run = this->run_;
  // Version 0 means "never existed": CAS 0 creates a new key.
  Result<Version> v1 = kv.Cas(run, "c", 0, int64_t{1});
  ASSERT_OK(v1);
  // CAS 0 again: the key exists now.
  Result<Version> again = kv.Cas(run, "c", 0, int64_t{2});
  ASSERT_EQ(again.status().code(), Code::kVersionMismatch);
  EXPECT_EQ(again.status().a(), 0u);
  EXPECT_EQ(again.status().b(), *v1);
  Result<Version> v2 = kv.Cas(run, "c", *v1, int64_t{2});
  ASSERT_OK(v2);
  // A deleted key keeps a versioned tombstone: CAS 0 fails, CAS with the tombstone's version
  // re-creates it.
  ASSERT_TRUE(*kv.Delete(run, "c"));
  Version tomb = 0;
  Value v;
  EXPECT_TRUE(kv.Get(run, "c", &v, &tomb).IsNotFound());
  EXPECT_GT(tomb, *v2);
  Result<Version> zero = kv.Cas(run, "c", 0, int64_t{3});
  ASSERT_EQ(zero.status().code(), Code::kVersionMismatch);
  EXPECT_EQ(zero.status().b(), tomb);
  ASSERT_OK(kv.Cas(run, "c", tomb, int64_t{3}));
  EXPECT_EQ(std::get<int64_t>(kv.Get(run, "c")->value), 3);
}

ENGINE_TEST(KvConformance, ListInKeyOrder) {
  auto kv = this->db_->kv();
  for (const char* k : {"b/2", "a/1", "b/1", "b/10", "c"}) ASSERT_OK(kv.Put(this->run_, k, k));
  std::vector<std::string> keys;
  ASSERT_OK(kv.List(this->run_, "b/", &keys));
  EXPECT_EQ(keys, (std::vector<std::string>{"b/1", "b/10", "b/2"}));
  std::vector<KvEntry> entries;
  ASSERT_OK(kv.ListWithValues(this->run_, "", &entries));
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].key, "a/1");
  EXPECT_EQ(std::get<std::string>(entries[4].value), "c");
  EXPECT_GT(entries[4].version, 0u);
}

ENGINE_TEST(KvConformance, OversizedKeyAndValueRejectedNothingChanges) {
  auto kv = this->db_->kv();
  ASSERT_OK(kv.Put(this->run_, "keep", "stored"));
  std::string big_key(kMaxUserKeyBytes + 1, 'k');
  Result<Version> r = kv.Put(this->run_, big_key, int64_t{1});
  ASSERT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("key"), std::string_view::npos);
  EXPECT_NE(r.status().message().find("1024"), std::string_view::npos);
  std::string big_value(kMaxValueBytes + 1, 'v');
  r = kv.Put(this->run_, "keep", big_value);
  ASSERT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("value"), std::string_view::npos);
  EXPECT_NE(r.status().message().find(std::to_string(kMaxValueBytes)), std::string_view::npos);
  EXPECT_EQ(std::get<std::string>(kv.Get(this->run_, "keep")->value), "stored");
  // A key of exactly the limit is fine.
  ASSERT_OK(kv.Put(this->run_, std::string(kMaxUserKeyBytes, 'k'), int64_t{1}));
}

ENGINE_TEST(KvConformance, CloseMakesEveryCallShuttingDown) {
  auto& db = *this->db_;
  ASSERT_OK(db.kv().Put(this->run_, "a", int64_t{1}));
  ASSERT_OK(db.Close());
  Value v;
  EXPECT_EQ(db.kv().Get(this->run_, "a", &v).code(), Code::kShuttingDown);
  EXPECT_EQ(db.kv().Put(this->run_, "a", int64_t{2}).status().code(), Code::kShuttingDown);
  EXPECT_EQ(db.Flush().code(), Code::kShuttingDown);
}

}  // namespace
}  // namespace statelab::testing_util
