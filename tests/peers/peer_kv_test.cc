// A KV peer returns the same values as our KV primitive for the same operation sequence (put,
// get, delete, list by prefix, multi_put as one batch, read-modify-write) in every setting the
// peer has, so the side-by-side cells compare equal work; and every method works from several
// threads at once (the multi-threaded YCSB cells' clients share one peer).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engines/btree/btree_engine.h"
#include "engines/peers/peer_list.h"
#include "engines/primitives/database.h"
#include "workloads/generators.h"

namespace statelab::peers {
namespace {

constexpr uint64_t kKeys = 300;
constexpr int kOps = 3000;
constexpr int kStrictOps = 600;  // every write syncs on both sides

std::string TempDirFor(std::string_view tag) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("statelab_peers_" + std::string(tag) + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

// Removes a directory when the test ends.
struct DirGuard {
  std::string path;
  ~DirGuard() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Values of every kind a peer must carry through its byte encoding.
Value MakeValue(workloads::Xoshiro256& rng) {
  switch (rng.Below(6)) {
    case 0:
      return Value(static_cast<int64_t>(rng.Next()));
    case 1:
      return Value(std::string(rng.Below(200), static_cast<char>('a' + rng.Below(26))));
    case 2:
      return Value(rng.NextDouble() * 1e6);
    case 3:
      return Value(rng.Below(2) == 1);
    case 4:
      return Value(Bytes{std::string("\0\x01\xff", 3)});
    default:
      return Value(
          boost::json::value(boost::json::object{{"n", static_cast<int64_t>(rng.Below(9))}}));
  }
}

template <class P>
class PeerKvTest : public ::testing::Test {
 protected:
  void Compare(DurabilityMode mode) {
    if constexpr (!P::kAvailable) {
      GTEST_SKIP() << P::kName << " unavailable: " << P::kWhyNotAvailable;
    } else {
      const DirGuard ours_dir{TempDirFor(std::string(P::kName) + "_ours")};
      const DirGuard peer_dir{TempDirFor(std::string(P::kName) + "_peer")};
      Result<std::unique_ptr<P>> opened = P::Open(PeerKvOptions{peer_dir.path, mode});
      if (!opened.ok() && opened.status().code() == Code::kInvalidArgument) {
        GTEST_SKIP() << P::kName << " has no " << ModeName(mode)
                     << " setting: " << opened.status().ToString();
      }
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      P& peer = **opened;
      EXPECT_EQ(peer.mode(), mode);
      EXPECT_FALSE(peer.Settings().empty());

      DbOptions o;
      o.mode = mode;
      o.dir = ours_dir.path;
      o.snapshot_on_close = false;
      auto db = Database<BTreeEngine>::Open(o);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      auto kv = (*db)->kv();
      const RunId run = RunId::Random();
      const std::vector<std::string> keys = workloads::KeyNames("k", kKeys, 8);
      workloads::Xoshiro256 rng(workloads::SplitSeed(42, static_cast<uint64_t>(mode)));

      const int ops = mode == DurabilityMode::kStrict ? kStrictOps : kOps;
      for (int i = 0; i < ops; ++i) {
        SCOPED_TRACE("op " + std::to_string(i));
        const std::string& key = keys[rng.Below(kKeys)];
        const Value v = MakeValue(rng);
        Value a, b;
        switch (rng.Below(7)) {
          case 0:
          case 1: {
            ASSERT_TRUE(kv.Put(run, key, v).ok());
            ASSERT_TRUE(peer.Put(key, v).ok());
            break;
          }
          case 2: {
            const Status sa = kv.Get(run, key, &a), sb = peer.Get(key, &b);
            ASSERT_EQ(sa.code(), sb.code()) << sa.ToString() << " vs " << sb.ToString();
            if (sa.ok()) {
              ASSERT_TRUE(a == b) << "value of " << key;
            }
            break;
          }
          case 3: {
            Result<bool> ra = kv.Delete(run, key), rb = peer.Delete(key);
            ASSERT_TRUE(ra.ok() && rb.ok());
            ASSERT_EQ(*ra, *rb) << "existed " << key;
            break;
          }
          case 4: {
            // 1 to 3 digits of a 8-digit key: prefixes of 100 000 down to 1000 keys.
            const std::string prefix = key.substr(0, 2 + rng.Below(4));
            std::vector<std::string> la, lb;
            ASSERT_TRUE(kv.List(run, prefix, &la).ok());
            ASSERT_TRUE(peer.List(prefix, &lb).ok());
            ASSERT_EQ(la, lb) << "prefix " << prefix;
            break;
          }
          case 5: {
            // multi_put: 10 consecutive keys in one transaction / one batch.
            const uint64_t base = rng.Below(kKeys);
            std::vector<KvWrite> batch;
            for (uint64_t j = 0; j < 10; ++j) batch.push_back({keys[(base + j) % kKeys], &v});
            ASSERT_TRUE((*db)
                            ->Transaction(run,
                                          [&](auto& h) -> Status {
                                            for (const KvWrite& w : batch) {
                                              STATELAB_RETURN_IF_ERROR(h.kv().Put(w.key, *w.value));
                                            }
                                            return Status::OK();
                                          })
                            .ok());
            ASSERT_TRUE(peer.PutBatch(batch).ok());
            break;
          }
          default: {
            // Read-modify-write of a key that exists on both sides (YCSB F).
            ASSERT_TRUE(kv.Put(run, key, Value(int64_t{i})).ok());
            ASSERT_TRUE(peer.Put(key, Value(int64_t{i})).ok());
            Status sa = (*db)
                            ->Transaction(run,
                                          [&](auto& h) -> Status {
                                            STATELAB_RETURN_IF_ERROR(h.kv().Get(key, &a));
                                            return h.kv().Put(key, v);
                                          })
                            .status();
            ASSERT_TRUE(sa.ok()) << sa.ToString();
            ASSERT_TRUE(peer.ReadModifyWrite(key, v, &b).ok());
            ASSERT_TRUE(a == b);
            break;
          }
        }
      }
      // Final state: every key, and the whole listing.
      for (const std::string& key : keys) {
        Value a, b;
        const Status sa = kv.Get(run, key, &a), sb = peer.Get(key, &b);
        ASSERT_EQ(sa.code(), sb.code()) << key;
        if (sa.ok()) {
          EXPECT_TRUE(a == b) << key;
        }
      }
      std::vector<std::string> la, lb;
      ASSERT_TRUE(kv.List(run, "k", &la).ok());
      ASSERT_TRUE(peer.List("k", &lb).ok());
      EXPECT_EQ(la, lb);
      EXPECT_TRUE((*db)->Close().ok());
    }
  }
};

using Peers = ::testing::Types<RocksDbPeer, LmdbPeer>;
class PeerName {
 public:
  template <class P>
  static std::string GetName(int) {
    return std::string(P::kName);
  }
};
TYPED_TEST_SUITE(PeerKvTest, Peers, PeerName);

TYPED_TEST(PeerKvTest, SameValuesAsOurKvInMemory) { this->Compare(DurabilityMode::kInMemory); }
TYPED_TEST(PeerKvTest, SameValuesAsOurKvBuffered) { this->Compare(DurabilityMode::kBuffered); }
TYPED_TEST(PeerKvTest, SameValuesAsOurKvStrict) { this->Compare(DurabilityMode::kStrict); }

// Four threads read, scan and write one peer at once: every read sees a value some thread wrote
// for that key (each thread writes its own value), none fails.
TYPED_TEST(PeerKvTest, ConcurrentReadsAndWritesFromSeveralThreads) {
  using P = TypeParam;
  if constexpr (!P::kAvailable) {
    GTEST_SKIP() << P::kName << " unavailable: " << P::kWhyNotAvailable;
  } else {
    const DirGuard dir{TempDirFor(std::string(P::kName) + "_threads")};
    Result<std::unique_ptr<P>> opened = P::Open(PeerKvOptions{dir.path, DurabilityMode::kBuffered});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    P& peer = **opened;
    const std::vector<std::string> keys = workloads::KeyNames("k", kKeys, 8);
    for (const std::string& k : keys) ASSERT_TRUE(peer.Put(k, Value(int64_t{-1})).ok());
    constexpr int kThreads = 4;
    std::vector<int> failures(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        workloads::Xoshiro256 rng(static_cast<uint64_t>(t) + 1);
        Value out;
        std::vector<std::string> scanned;
        for (int i = 0; i < 500; ++i) {
          const std::string& key = keys[rng.Below(kKeys)];
          bool ok = true;
          switch (rng.Below(4)) {
            case 0:
              ok = peer.Put(key, Value(int64_t{t})).ok();
              break;
            case 1:
              ok = peer.Scan(key, 10, &scanned).ok() && !scanned.empty() && scanned[0] == key;
              break;
            default:
              ok = peer.Get(key, &out).ok() && std::holds_alternative<int64_t>(out) &&
                   std::get<int64_t>(out) >= -1 && std::get<int64_t>(out) < kThreads;
              break;
          }
          failures[t] += ok ? 0 : 1;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
}

TEST(PeerList, NamesAreDistinctFromOurEngines) {
  for (std::string_view p : kPeerNames) {
    EXPECT_TRUE(IsPeer(p));
    for (std::string_view e : AllEngines::names) EXPECT_NE(p, e);
  }
  EXPECT_FALSE(IsPeer("btree"));
}

}  // namespace
}  // namespace statelab::peers
