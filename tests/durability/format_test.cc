// The durability building blocks on their own: CRC32C, the value codec, WAL frames and commit
// records, snapshot files, and the fault-injecting Env.
#include <gtest/gtest.h>

#include <random>

#include "engines/durability/codec.h"
#include "engines/durability/crc32c.h"
#include "engines/durability/fault_injection_env.h"
#include "engines/durability/snapshot_format.h"
#include "engines/durability/wal_format.h"
#include "tests/conformance/fixture.h"
#include "tests/durability/workload.h"

namespace statelab::testing_util {
namespace {

TEST(Crc32c, KnownValuesAndBothImplementationsAgree) {
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);  // the standard check value
  EXPECT_EQ(crc32c::Value(""), 0u);
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  std::mt19937 rng(7);
  for (int n = 0; n < 300; ++n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    EXPECT_EQ(crc32c::Extend(0, s), crc32c::ExtendPortable(0, s));
    // Extending piecewise equals one pass.
    EXPECT_EQ(crc32c::Extend(crc32c::Extend(0, s.substr(0, n / 3)), s.substr(n / 3)),
              crc32c::Value(s));
  }
}

Value RoundTrip(const Value& v) {
  std::string buf;
  codec::EncodeValue(v, &buf);
  codec::Reader r(buf);
  Value out;
  EXPECT_TRUE(codec::DecodeValue(r, &out));
  EXPECT_EQ(r.remaining(), 0u);
  return out;
}

TEST(Codec, EveryValueTypeRoundTripsExactly) {
  boost::json::value doc = boost::json::parse(
      R"({"i":-5,"u":18446744073709551615,"d":0.1,"s":"x","a":[1,[2,{}],null,true,false],"o":{}})");
  for (const Value& v :
       {Value(), Value(true), Value(false), Value(int64_t{-1}), Value(int64_t{INT64_MIN}),
        Value(3.25), Value(-0.0), Value("text"), Value(std::string("\0nul", 4)),
        Value(Bytes{std::string("\x00\xff", 2)}), Value(doc)}) {
    EXPECT_EQ(RoundTrip(v), v);
    EXPECT_EQ(TypeOf(RoundTrip(v)), TypeOf(v));
  }
  // JSON number kinds are kept apart (int64 / uint64 / double).
  Value back = RoundTrip(Value(doc));
  const auto& o = std::get<boost::json::value>(back).as_object();
  EXPECT_TRUE(o.at("i").is_int64());
  EXPECT_TRUE(o.at("u").is_uint64());
  EXPECT_TRUE(o.at("d").is_double());
}

TEST(Codec, TruncatedOrHostileInputFailsCleanly) {
  std::string buf;
  codec::EncodeValue(Value(boost::json::parse(R"({"a":[1,2,3],"b":"text"})")), &buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    codec::Reader r(std::string_view(buf).substr(0, n));
    Value v;
    EXPECT_FALSE(codec::DecodeValue(r, &v)) << n;
  }
  // An array that claims 4 billion elements, and nesting deeper than any valid document.
  std::string huge = "\x06\x07\xff\xff\xff\xff";
  codec::Reader r1(huge);
  Value v;
  EXPECT_FALSE(codec::DecodeValue(r1, &v));
  std::string deep = "\x06";
  for (int i = 0; i < 1000; ++i) deep += std::string("\x07\x01\x00\x00\x00", 5);
  codec::Reader r2(deep);
  EXPECT_FALSE(codec::DecodeValue(r2, &v));
}

TxnState SampleTxn() {
  TxnState t;
  t.run = RunId::Random();
  t.now_us = 1234567;
  t.lifecycle = Lifecycle::kRunEnd;
  t.lifecycle_run = RunId::Random();
  WriteEntry& a = t.writes.emplace_back();
  a.key = Key(t.run, Tag::kKv, "a");
  a.value = Value("hello");
  a.expire_at_us = 99;
  WriteEntry& b = t.writes.emplace_back();
  b.key = Key(t.run, Tag::kState, std::string(300, 'k'));
  b.kind = WriteKind::kDelete;
  WriteEntry& c = t.writes.emplace_back();
  c.key = Key(t.run, Tag::kJson, "doc");
  c.kind = WriteKind::kJsonPaths;  // logged as the materialized document
  c.value = Value(boost::json::parse(R"({"n":1})"));
  return t;
}

TEST(WalFormat, CommitRecordRoundTrips) {
  TxnState t = SampleTxn();
  std::string buf;
  wal::EncodeCommit(42, t, &buf);
  wal::Frame f;
  ASSERT_TRUE(wal::ParseFrame(buf, 0, &f));
  EXPECT_EQ(f.size, buf.size());
  EXPECT_EQ(f.payload.size(), buf.size() - wal::kHeaderBytes - wal::kTrailerBytes);
  wal::CommitRecord rec;
  ASSERT_TRUE(wal::DecodeCommit(f.payload, &rec));
  EXPECT_EQ(rec.version, 42u);
  EXPECT_EQ(rec.timestamp_us, 1234567);
  EXPECT_EQ(rec.txn.run, t.run);
  EXPECT_EQ(rec.txn.lifecycle, Lifecycle::kRunEnd);
  EXPECT_EQ(rec.txn.lifecycle_run, t.lifecycle_run);
  ASSERT_EQ(rec.txn.writes.size(), 3u);
  EXPECT_EQ(rec.txn.writes[0].key, t.writes[0].key);
  EXPECT_EQ(rec.txn.writes[0].kind, WriteKind::kPut);
  EXPECT_EQ(rec.txn.writes[0].value, Value("hello"));
  EXPECT_EQ(rec.txn.writes[0].expire_at_us, 99);
  EXPECT_EQ(rec.txn.writes[1].kind, WriteKind::kDelete);
  EXPECT_EQ(rec.txn.writes[1].key, t.writes[1].key);
  EXPECT_EQ(rec.txn.writes[2].kind, WriteKind::kPut);
  EXPECT_EQ(rec.txn.writes[2].value, t.writes[2].value);
}

// A log that assigns the version under its lock encodes with a placeholder first: rewriting the
// version must give exactly the bytes (CRC included) of encoding with that version.
TEST(WalFormat, SetCommitVersionGivesTheRecordEncodedWithThatVersion) {
  const TxnState t = SampleTxn();
  std::string want;
  wal::EncodeCommit(0x0102030405060708, t, &want);
  std::string buf = "prefix";  // the record need not start the buffer
  const size_t at = buf.size();
  wal::EncodeCommit(0, t, &buf);
  wal::SetCommitVersion(0x0102030405060708, buf.data() + at, buf.size() - at);
  EXPECT_EQ(buf.substr(at), want);
  wal::Frame f;
  ASSERT_TRUE(wal::ParseFrame(buf, at, &f));
  wal::CommitRecord rec;
  ASSERT_TRUE(wal::DecodeCommit(f.payload, &rec));
  EXPECT_EQ(rec.version, 0x0102030405060708u);
}

// Damage mid-log, then a last record whose CRC ends in a zero byte: the zeros after the log are
// trimmed, the last record's own zero bytes are not (they were, and recovery then cut an intact
// record as a torn tail about once in 256 runs).
TEST(WalFormat, LogEndKeepsAValidLastFrameEndingInZeroAfterDamage) {
  const TxnState t = SampleTxn();
  std::string last;
  for (Version v = 2; last.empty() || last.back() != '\0'; ++v) {
    last.clear();
    wal::EncodeCommit(v, t, &last);
  }
  std::string seg = wal::EncodeSegmentHeader(64 << 10);
  const wal::SegmentHeader h = wal::ParseSegmentHeader(seg);
  const size_t damaged = seg.size() + wal::kHeaderBytes + 3;
  wal::EncodeCommit(1, t, &seg);
  seg[damaged] ^= 0x01;
  seg += last;
  const size_t end = seg.size();
  seg.resize(64 << 10, '\0');
  EXPECT_EQ(wal::LogEnd(seg, h), end);
}

TEST(WalFormat, EveryFlippedByteIsDetectedAndResyncFindsTheNextFrame) {
  TxnState t = SampleTxn();
  std::string buf;
  wal::EncodeCommit(1, t, &buf);
  const size_t first = buf.size();
  wal::EncodeCommit(2, t, &buf);
  for (size_t i = 0; i < first; ++i) {
    std::string bad = buf;
    bad[i] ^= 0x01;
    wal::Frame f;
    EXPECT_FALSE(wal::ParseFrame(bad, 0, &f)) << "byte " << i;
    EXPECT_EQ(wal::FindNextFrame(bad, 1), first) << "byte " << i;
  }
  wal::Frame f;
  EXPECT_FALSE(wal::ParseFrame(std::string_view(buf).substr(0, first - 1), 0, &f));
}

TEST(WalFormat, SegmentNames) {
  EXPECT_EQ(wal::SegmentName(17), "00000000000000000017.wal");
  Version v = 0;
  EXPECT_TRUE(wal::ParseSegmentName("00000000000000000017.wal", &v));
  EXPECT_EQ(v, 17u);
  EXPECT_FALSE(wal::ParseSegmentName("0000000000000000017.wal", &v));
  EXPECT_FALSE(wal::ParseSegmentName("0000000000000000001x.wal", &v));
  EXPECT_EQ(snapshot::FileName(5), "snapshot-00000000000000000005.snap");
  EXPECT_TRUE(snapshot::ParseFileName("snapshot-00000000000000000005.snap", &v));
  EXPECT_EQ(v, 5u);
  EXPECT_FALSE(snapshot::ParseFileName("snapshot-00000000000000000005.snap.tmp", &v));
}

std::string SampleSnapshot(std::vector<std::pair<std::string, VersionEntry>>* entries) {
  const RunId run = RunId::Random();
  snapshot::SnapshotBuilder b;
  auto add = [&](Tag tag, std::string_view user, Version v, bool tomb, Value val, TimestampUs exp) {
    VersionEntry e;
    e.version = v;
    e.tombstone = tomb;
    e.value = std::move(val);
    e.expire_at_us = exp;
    Key k(run, tag, user);
    entries->emplace_back(std::string(k.view()), e);
    b.Add(k.view(), e);
  };
  // Added out of tag order: sections come out in ascending tag order.
  add(Tag::kJson, "doc", 3, false, Value(boost::json::parse(R"([1,"a"])")), 0);
  add(Tag::kKv, "a", 1, false, Value(int64_t{7}), 555);
  add(Tag::kKv, "gone", 2, true, Value(), 0);
  add(Tag::kEvent, "e", 3, false, Value(Bytes{"xyz"}), 0);
  snapshot::Header h;
  h.version = 3;
  h.timestamp_us = 77;
  h.wal_start_segment = 1;
  h.runs.push_back({run, 1, 0});
  return b.Finish(h);
}

TEST(SnapshotFormat, RoundTripInTagOrder) {
  std::vector<std::pair<std::string, VersionEntry>> in;
  const std::string data = SampleSnapshot(&in);
  snapshot::Header h;
  std::vector<std::pair<std::string, VersionEntry>> out;
  ASSERT_OK(snapshot::ParseSnapshot(data, "s", true, &h, [&](std::string_view k, VersionEntry e) {
    out.emplace_back(std::string(k), std::move(e));
  }));
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.timestamp_us, 77);
  ASSERT_EQ(h.runs.size(), 1u);
  EXPECT_EQ(h.runs[0].begin, 1u);
  ASSERT_EQ(out.size(), 4u);
  // kv (tag 1) entries first, then event (2), then json (6).
  EXPECT_EQ(out[0].first, in[1].first);
  EXPECT_EQ(std::get<int64_t>(out[0].second.value), 7);
  EXPECT_EQ(out[0].second.expire_at_us, 555);
  EXPECT_TRUE(out[1].second.tombstone);
  EXPECT_EQ(out[1].second.version, 2u);
  EXPECT_EQ(out[2].first, in[3].first);
  EXPECT_EQ(out[3].second.value, in[0].second.value);
}

TEST(SnapshotFormat, EveryFlippedByteIsCorruptionAndNothingIsLoaded) {
  std::vector<std::pair<std::string, VersionEntry>> in;
  const std::string data = SampleSnapshot(&in);
  for (size_t i = 0; i < data.size(); ++i) {
    std::string bad = data;
    bad[i] ^= 0x20;
    snapshot::Header h;
    int loaded = 0;
    Status s = snapshot::ParseSnapshot(bad, "snap", true, &h,
                                       [&](std::string_view, const VersionEntry&) { ++loaded; });
    EXPECT_EQ(s.code(), Code::kCorruption) << "byte " << i;
    EXPECT_EQ(s.message(), "snap");
    EXPECT_EQ(loaded, 0);
    // Placed at the start of what holds the byte (format 2: the header, a section header and
    // each entry have their own CRC), not where the whole-file CRC check failed: the header is
    // the largest of them here (80 bytes from offset 8).
    EXPECT_LE(s.a(), i) << "byte " << i;
    EXPECT_LT(i - std::min<uint64_t>(s.a(), i), 80u) << "byte " << i << " placed at " << s.a();
  }
}

TEST(RecoveryPolicy, NamesRoundTripAndAnUnknownNameSaysTheChoices) {
  for (RecoveryPolicy p :
       {RecoveryPolicy::kStrict, RecoveryPolicy::kTruncateTail, RecoveryPolicy::kSkipCorrupt}) {
    Result<RecoveryPolicy> back = ParseRecoveryPolicy(RecoveryPolicyName(p));
    ASSERT_OK(back);
    EXPECT_EQ(*back, p);
  }
  EXPECT_EQ(RecoveryPolicyName(DbOptions{}.recovery_policy), "strict");
  Result<RecoveryPolicy> bad = ParseRecoveryPolicy("lenient");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("strict, truncate-tail, skip-corrupt"), std::string::npos);
}

TEST(FaultInjectionEnv, DropsUnsyncedBytesAndTearsTheLastWrite) {
  const std::string dir = MakeTempDir("fault_env");
  FaultInjectionEnv env;
  const std::string a = JoinPath(dir, "a"), b = JoinPath(dir, "b");
  {
    auto f = env.OpenAppendable(a);
    ASSERT_OK(f);
    ASSERT_OK((*f)->Append("synced"));
    ASSERT_OK((*f)->Sync());
    ASSERT_OK(env.SyncDir(dir));
    ASSERT_OK((*f)->Append("-lost"));
    EXPECT_EQ(env.unsynced_bytes(), 5u);
    auto g = env.OpenAppendable(b);  // its directory entry is never synced
    ASSERT_OK(g);
    ASSERT_OK((*g)->Append("x"));
    ASSERT_OK((*g)->Sync());
  }
  env.Crash();
  EXPECT_EQ(env.OpenAppendable(a).status().code(), Code::kIOError);
  ASSERT_OK(env.DropUnsyncedData());
  env.Revive();
  EXPECT_EQ(ReadAll(a), "synced");
  EXPECT_FALSE(env.FileExists(b));

  auto f = env.OpenAppendable(a);
  ASSERT_OK(f);
  ASSERT_OK((*f)->Append("0123456789"));
  env.Crash();
  auto torn = env.TearLastWrite(4);
  ASSERT_OK(torn);
  EXPECT_EQ(*torn, 10u);
  env.Revive();
  EXPECT_EQ(ReadAll(a), "synced0123");

  env.FailWrites(1);
  EXPECT_EQ((*f)->Append("x").code(), Code::kIOError);
  ASSERT_OK((*f)->Append("y"));
  env.FailSyncs(1);
  EXPECT_EQ((*f)->Sync().code(), Code::kIOError);
  ASSERT_OK((*f)->Sync());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace statelab::testing_util
