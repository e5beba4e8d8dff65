#include "engines/peers/rocksdb_peer.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

namespace statelab::peers {

namespace {

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound();
  return Status::IOError("rocksdb: " + s.ToString());
}

}  // namespace

struct RocksDbPeer::Impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write;
  rocksdb::ReadOptions read;
};

namespace {

// Per-thread buffers: value bytes of a Get, encoded values, a batch (reused, so the steady state
// allocates nothing; per thread, so writers on several threads do not share them).
struct Scratch {
  std::string value;
  PeerValueCodec codec;
  rocksdb::WriteBatch batch;
};
Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

RocksDbPeer::RocksDbPeer(std::unique_ptr<Impl> impl, DurabilityMode mode)
    : impl_(std::move(impl)), mode_(mode) {}

RocksDbPeer::~RocksDbPeer() {
  if (impl_ && impl_->db) (void)impl_->db->Close();
}

Result<std::unique_ptr<RocksDbPeer>> RocksDbPeer::Open(const PeerKvOptions& o) {
  auto impl = std::make_unique<Impl>();
  rocksdb::Options opts;
  opts.create_if_missing = true;
  switch (o.mode) {
    case DurabilityMode::kInMemory:
      impl->write.disableWAL = true;
      break;
    case DurabilityMode::kBuffered:
      impl->write.sync = false;
      break;
    case DurabilityMode::kStrict:
      impl->write.sync = true;
      break;
  }
  rocksdb::DB* db = nullptr;
  STATELAB_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(opts, o.dir, &db)));
  impl->db.reset(db);
  return std::unique_ptr<RocksDbPeer>(new RocksDbPeer(std::move(impl), o.mode));
}

std::string RocksDbPeer::Settings() const {
  switch (mode_) {
    case DurabilityMode::kInMemory:
      return "WriteOptions.disableWAL=true";
    case DurabilityMode::kBuffered:
      return "WAL on, WriteOptions.sync=false";
    case DurabilityMode::kStrict:
      return "WAL on, WriteOptions.sync=true";
  }
  return "";
}

Status RocksDbPeer::Put(std::string_view key, const Value& v) {
  const std::string_view bytes = ThreadScratch().codec.Encode(v);
  return FromRocks(impl_->db->Put(impl_->write, rocksdb::Slice(key.data(), key.size()),
                                  rocksdb::Slice(bytes.data(), bytes.size())));
}

Status RocksDbPeer::Get(std::string_view key, Value* out) {
  STATELAB_RETURN_IF_ERROR(FromRocks(
      impl_->db->Get(impl_->read, rocksdb::Slice(key.data(), key.size()), &ThreadScratch().value)));
  return out == nullptr ? Status::OK() : PeerValueCodec::Decode(ThreadScratch().value, kName, out);
}

Result<bool> RocksDbPeer::Delete(std::string_view key) {
  const rocksdb::Slice k(key.data(), key.size());
  const rocksdb::Status g = impl_->db->Get(impl_->read, k, &ThreadScratch().value);
  if (g.IsNotFound()) return false;
  STATELAB_RETURN_IF_ERROR(FromRocks(g));
  STATELAB_RETURN_IF_ERROR(FromRocks(impl_->db->Delete(impl_->write, k)));
  return true;
}

Status RocksDbPeer::List(std::string_view prefix, std::vector<std::string>* keys) {
  keys->clear();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(impl_->read));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
    keys->emplace_back(k.data(), k.size());
  }
  return FromRocks(it->status());
}

Status RocksDbPeer::Scan(std::string_view start, uint64_t count, std::vector<std::string>* keys) {
  keys->clear();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(impl_->read));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid() && keys->size() < count;
       it->Next()) {
    keys->emplace_back(it->key().data(), it->key().size());
  }
  return FromRocks(it->status());
}

Status RocksDbPeer::PutBatch(std::span<const KvWrite> batch) {
  rocksdb::WriteBatch& b = ThreadScratch().batch;
  b.Clear();
  for (const KvWrite& w : batch) {
    const std::string_view bytes = ThreadScratch().codec.Encode(*w.value);
    STATELAB_RETURN_IF_ERROR(FromRocks(b.Put(rocksdb::Slice(w.key.data(), w.key.size()),
                                             rocksdb::Slice(bytes.data(), bytes.size()))));
  }
  return FromRocks(impl_->db->Write(impl_->write, &b));
}

Status RocksDbPeer::ReadModifyWrite(std::string_view key, const Value& v, Value* out) {
  STATELAB_RETURN_IF_ERROR(Get(key, out));
  return Put(key, v);
}

}  // namespace statelab::peers
