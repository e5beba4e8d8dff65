#include "engines/peers/lmdb_peer.h"

#include <lmdb.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <system_error>
#include <thread>

namespace statelab::peers {

namespace {

constexpr size_t kMapBytes = size_t{4} << 30;  // address space only: the file grows as used
// Read transactions kept for reuse, one per concurrent reader (LMDB's default limit is 126).
constexpr size_t kReaders = 64;

Status FromMdb(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return Status::OK();
  if (rc == MDB_NOTFOUND) return Status::NotFound();
  return Status::IOError("lmdb: " + std::string(what) + ": " + mdb_strerror(rc));
}

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

}  // namespace

struct LmdbPeer::Impl {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  // A reader takes a free slot; its transaction is reset between reads and renewed by the next
  // (LMDB's fast path for repeated reads; MDB_NOTLS lets any thread renew it).
  struct ReaderSlot {
    std::atomic<bool> busy{false};
    MDB_txn* txn = nullptr;
  };
  std::array<ReaderSlot, kReaders> readers;
  PeerValueCodec codec;  // used inside write transactions only: serialized by LMDB's writer lock

  ~Impl() {
    for (ReaderSlot& r : readers) {
      if (r.txn != nullptr) mdb_txn_abort(r.txn);
    }
    if (env != nullptr) mdb_env_close(env);
  }
  // A renewed read transaction of a free slot (waits while every slot is in use).
  Result<ReaderSlot*> BeginRead() {
    for (size_t i = 0;; i = (i + 1) % kReaders) {
      ReaderSlot& r = readers[i];
      if (r.busy.load(std::memory_order_relaxed) ||
          r.busy.exchange(true, std::memory_order_acquire)) {
        if (i + 1 == kReaders) std::this_thread::yield();
        continue;
      }
      const Status s = FromMdb(
          r.txn == nullptr ? mdb_txn_begin(env, nullptr, MDB_RDONLY, &r.txn) : mdb_txn_renew(r.txn),
          "begin read");
      if (!s.ok()) {
        r.busy.store(false, std::memory_order_release);
        return s;
      }
      return &r;
    }
  }
  static void EndRead(ReaderSlot* r) {
    mdb_txn_reset(r->txn);
    r->busy.store(false, std::memory_order_release);
  }
  // fn(MDB_txn*) -> Status inside one write transaction, committed when fn succeeds.
  template <class F>
  Status Write(F&& fn) {
    MDB_txn* txn = nullptr;
    STATELAB_RETURN_IF_ERROR(FromMdb(mdb_txn_begin(env, nullptr, 0, &txn), "begin write"));
    Status s = fn(txn);
    if (!s.ok()) {
      mdb_txn_abort(txn);
      return s;
    }
    return FromMdb(mdb_txn_commit(txn), "commit");
  }
};

LmdbPeer::LmdbPeer(std::unique_ptr<Impl> impl, DurabilityMode mode)
    : impl_(std::move(impl)), mode_(mode) {}

LmdbPeer::~LmdbPeer() = default;

Result<std::unique_ptr<LmdbPeer>> LmdbPeer::Open(const PeerKvOptions& o) {
  if (o.mode == DurabilityMode::kInMemory) {
    return Status::InvalidArgument(
        "mode: LMDB has no in-memory setting (every commit writes its memory-mapped file); "
        "MDB_NOSYNC is the buffered setting");
  }
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return Status::IOError("lmdb: create " + o.dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>();
  STATELAB_RETURN_IF_ERROR(FromMdb(mdb_env_create(&impl->env), "env create"));
  STATELAB_RETURN_IF_ERROR(FromMdb(mdb_env_set_mapsize(impl->env, kMapBytes), "set mapsize"));
  const unsigned flags = MDB_NOTLS | (o.mode == DurabilityMode::kBuffered ? MDB_NOSYNC : 0);
  STATELAB_RETURN_IF_ERROR(FromMdb(mdb_env_open(impl->env, o.dir.c_str(), flags, 0644), "open"));
  STATELAB_RETURN_IF_ERROR(impl->Write([&](MDB_txn* txn) {
    return FromMdb(mdb_dbi_open(txn, nullptr, 0, &impl->dbi), "dbi open");
  }));
  return std::unique_ptr<LmdbPeer>(new LmdbPeer(std::move(impl), o.mode));
}

std::string LmdbPeer::Settings() const {
  return mode_ == DurabilityMode::kBuffered ? "MDB_NOSYNC" : "synchronous commit (default)";
}

Status LmdbPeer::Put(std::string_view key, const Value& v) {
  return impl_->Write([&](MDB_txn* txn) {
    MDB_val k = Val(key), d = Val(impl_->codec.Encode(v));
    return FromMdb(mdb_put(txn, impl_->dbi, &k, &d, 0), "put");
  });
}

Status LmdbPeer::Get(std::string_view key, Value* out) {
  STATELAB_ASSIGN_OR_RETURN(Impl::ReaderSlot * reader, impl_->BeginRead());
  MDB_val k = Val(key), d;
  Status s = FromMdb(mdb_get(reader->txn, impl_->dbi, &k, &d), "get");
  if (s.ok() && out != nullptr) {
    // Decoded straight from the map, before the read transaction ends.
    s = PeerValueCodec::Decode({static_cast<const char*>(d.mv_data), d.mv_size}, kName, out);
  }
  Impl::EndRead(reader);
  return s;
}

Result<bool> LmdbPeer::Delete(std::string_view key) {
  bool existed = false;
  STATELAB_RETURN_IF_ERROR(impl_->Write([&](MDB_txn* txn) {
    MDB_val k = Val(key);
    const int rc = mdb_del(txn, impl_->dbi, &k, nullptr);
    existed = rc == MDB_SUCCESS;
    return rc == MDB_NOTFOUND ? Status::OK() : FromMdb(rc, "del");
  }));
  return existed;
}

Status LmdbPeer::List(std::string_view prefix, std::vector<std::string>* keys) {
  keys->clear();
  STATELAB_ASSIGN_OR_RETURN(Impl::ReaderSlot * reader, impl_->BeginRead());
  MDB_cursor* c = nullptr;
  Status s = FromMdb(mdb_cursor_open(reader->txn, impl_->dbi, &c), "cursor open");
  if (s.ok()) {
    MDB_val k = Val(prefix), d;
    for (int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc != MDB_NOTFOUND;
         rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
      if (rc != MDB_SUCCESS) {
        s = FromMdb(rc, "cursor get");
        break;
      }
      const std::string_view found(static_cast<const char*>(k.mv_data), k.mv_size);
      if (!found.starts_with(prefix)) break;
      keys->emplace_back(found);
    }
    mdb_cursor_close(c);
  }
  Impl::EndRead(reader);
  return s;
}

Status LmdbPeer::Scan(std::string_view start, uint64_t count, std::vector<std::string>* keys) {
  keys->clear();
  STATELAB_ASSIGN_OR_RETURN(Impl::ReaderSlot * reader, impl_->BeginRead());
  MDB_cursor* c = nullptr;
  Status s = FromMdb(mdb_cursor_open(reader->txn, impl_->dbi, &c), "cursor open");
  if (s.ok()) {
    MDB_val k = Val(start), d;
    for (int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
         rc != MDB_NOTFOUND && keys->size() < count; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
      if (rc != MDB_SUCCESS) {
        s = FromMdb(rc, "cursor get");
        break;
      }
      keys->emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
    }
    mdb_cursor_close(c);
  }
  Impl::EndRead(reader);
  return s;
}

Status LmdbPeer::PutBatch(std::span<const KvWrite> batch) {
  return impl_->Write([&](MDB_txn* txn) {
    for (const KvWrite& w : batch) {
      MDB_val k = Val(w.key), d = Val(impl_->codec.Encode(*w.value));
      STATELAB_RETURN_IF_ERROR(FromMdb(mdb_put(txn, impl_->dbi, &k, &d, 0), "put"));
    }
    return Status::OK();
  });
}

Status LmdbPeer::ReadModifyWrite(std::string_view key, const Value& v, Value* out) {
  return impl_->Write([&](MDB_txn* txn) {
    MDB_val k = Val(key), d;
    STATELAB_RETURN_IF_ERROR(FromMdb(mdb_get(txn, impl_->dbi, &k, &d), "get"));
    STATELAB_RETURN_IF_ERROR(
        PeerValueCodec::Decode({static_cast<const char*>(d.mv_data), d.mv_size}, kName, out));
    MDB_val nd = Val(impl_->codec.Encode(v));
    return FromMdb(mdb_put(txn, impl_->dbi, &k, &nd, 0), "put");
  });
}

}  // namespace statelab::peers
