#pragma once
// The KV subset a peer (RocksDB, LMDB) offers the harness, as a concept of its own: peers are not
// in AllEngines (no runs, transactions across primitives, snapshots or the seven primitives).
// Keys are our user keys as they are; values are our Values in the WAL's byte encoding
// (engines/durability/codec.h), so a peer stores and returns what our KV primitive does.
// Durability settings mirror our modes (docs/peers.md):
//   inmemory -> nothing written durably (RocksDB: WAL disabled; LMDB: no such setting),
//   buffered -> the write reaches the OS, no sync (RocksDB: WAL, sync=false; LMDB: MDB_NOSYNC),
//   strict   -> each write is synced before it returns (RocksDB: WAL, sync=true; LMDB: default).
// Thread-safety: PeerValueCodec belongs to one thread; adapters state their own.

#include <concepts>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/options.h"
#include "engines/api/status.h"
#include "engines/api/value.h"

namespace statelab::peers {

struct PeerKvOptions {
  std::string dir;  // created if missing; the peer owns everything in it
  DurabilityMode mode = DurabilityMode::kInMemory;
};

// One write of a batch.
struct KvWrite {
  std::string_view key;
  const Value* value = nullptr;
};

template <class P>
concept PeerKv = requires(P& p, const PeerKvOptions& o, std::string_view key, const Value& v,
                          Value* out, std::span<const KvWrite> batch,
                          std::vector<std::string>* keys) {
  { P::kName } -> std::convertible_to<std::string_view>;
  // False when the library was not found at configure time; the adapter is then not linked.
  { P::kAvailable } -> std::convertible_to<bool>;
  { P::kWhyNotAvailable } -> std::convertible_to<std::string_view>;
  // InvalidArgument naming the mode when the peer has no setting that matches it.
  { P::Open(o) } -> std::same_as<Result<std::unique_ptr<P>>>;
  // How the peer is configured for its mode, for docs and logs.
  { p.Settings() } -> std::convertible_to<std::string>;
  { p.mode() } -> std::same_as<DurabilityMode>;
  { p.Put(key, v) } -> std::same_as<Status>;
  // NotFound when absent.
  { p.Get(key, out) } -> std::same_as<Status>;
  // Whether the key existed (as our KV's Delete: a read, then the delete).
  { p.Delete(key) } -> std::same_as<Result<bool>>;
  // The keys starting with `key`, in order (our KV's List).
  { p.List(key, keys) } -> std::same_as<Status>;
  // Up to `count` keys from `start` on, in order (an iterator seek, then next).
  { p.Scan(key, uint64_t{}, keys) } -> std::same_as<Status>;
  // Every write of the batch, atomically, with one sync in strict mode.
  { p.PutBatch(batch) } -> std::same_as<Status>;
  // Get then Put of one key, as atomically as the peer can (docs/peers.md).
  { p.ReadModifyWrite(key, v, out) } -> std::same_as<Status>;
};

// A peer's value bytes: our Value in the WAL encoding. Reuses its buffer, so an encode allocates
// only until the buffer reaches the largest value.
class PeerValueCodec {
 public:
  std::string_view Encode(const Value& v);
  // Corruption naming `peer` when the bytes are not an encoded Value.
  static Status Decode(std::string_view bytes, std::string_view peer, Value* out);

 private:
  std::string buf_;
};

}  // namespace statelab::peers
