#pragma once
// RocksDB as a KV peer (docs/peers.md). Modes: inmemory = WriteOptions::disableWAL (writes live in
// the memtable until a flush; nothing is synced), buffered = WAL written per write without sync,
// strict = WAL synced per write (WriteOptions::sync). Reads use default ReadOptions (the latest
// committed state); one column family; default block cache. The library's headers stay in the
// .cc, which is compiled only when librocksdb was found (engines/peers/CMakeLists.txt).
// Thread-safety: every method from any thread (RocksDB's DB is thread-safe; buffers are per thread);
// ReadModifyWrite is a Get then a Put, not isolated from other writers.

#include <memory>
#include <string>
#include <vector>

#include "engines/peers/peer_config.h"
#include "engines/peers/peer_kv.h"

namespace statelab::peers {

class RocksDbPeer {
 public:
  static constexpr std::string_view kName = "rocksdb";
  static constexpr bool kAvailable = config::kRocksDb;
  static constexpr std::string_view kWhyNotAvailable = config::kRocksDbWhyNot;

  static Result<std::unique_ptr<RocksDbPeer>> Open(const PeerKvOptions& o);
  ~RocksDbPeer();
  RocksDbPeer(const RocksDbPeer&) = delete;
  RocksDbPeer& operator=(const RocksDbPeer&) = delete;

  std::string Settings() const;
  DurabilityMode mode() const noexcept { return mode_; }
  Status Put(std::string_view key, const Value& v);
  Status Get(std::string_view key, Value* out);
  Result<bool> Delete(std::string_view key);
  Status List(std::string_view prefix, std::vector<std::string>* keys);
  Status Scan(std::string_view start, uint64_t count, std::vector<std::string>* keys);
  Status PutBatch(std::span<const KvWrite> batch);
  Status ReadModifyWrite(std::string_view key, const Value& v, Value* out);

 private:
  struct Impl;
  RocksDbPeer(std::unique_ptr<Impl> impl, DurabilityMode mode);
  std::unique_ptr<Impl> impl_;
  DurabilityMode mode_;
};

static_assert(PeerKv<RocksDbPeer>);

}  // namespace statelab::peers
