#pragma once
// BenchEnv: the file layer every benchmark database is opened with. It forwards to the POSIX Env
// and counts every file operation (so a cell labelled inmemory that touched a file is caught),
// and for each WAL root (a directory named "wal") notes how many bytes had been appended when
// each sync started and when it finished. With the commit log's own byte count after each
// acknowledged commit, that tells how long every acknowledged commit stayed unsynced: Buffered
// mode's loss window, measured rather than assumed from the interval.
// Thread-safety: all methods are thread-safe.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "engines/durability/env.h"

namespace statelab::bench {

struct SyncEvent {
  uint64_t bytes_before = 0;  // WAL bytes of the root appended when the sync started
  int64_t done_ns = 0;        // harness::Timer::NowNs() when it returned OK
};

class BenchEnv final : public Env {
 public:
  explicit BenchEnv(Env* base = Env::Default()) : base_(base) {}

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) override;
  // The base's preallocation (fallocate), not the default's sparse file; the header it writes
  // is not counted as WAL bytes appended.
  Result<std::unique_ptr<WritableFile>> NewPreallocated(const std::string& path,
                                                        std::string_view header,
                                                        uint64_t size) override;
  Status ReadPrefix(const std::string& path, uint64_t limit, std::string* out,
                    uint64_t* file_size) override {
    Count();
    return base_->ReadPrefix(path, limit, out, file_size);
  }
  Status ReadFile(const std::string& path, std::string* out) override {
    Count();
    return base_->ReadFile(path, out);
  }
  Status CreateDirs(const std::string& path) override {
    Count();
    return base_->CreateDirs(path);
  }
  Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    Count();
    return base_->ListDir(path, names);
  }
  bool FileExists(const std::string& path) override {
    Count();
    return base_->FileExists(path);
  }
  Status RemoveFile(const std::string& path) override {
    Count();
    return base_->RemoveFile(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    Count();
    return base_->RenameFile(from, to);
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    Count();
    return base_->Truncate(path, size);
  }
  Status SyncDir(const std::string& path) override {
    Count();
    return base_->SyncDir(path);
  }

  // Every call made through this Env or a file it opened (appends and syncs included).
  uint64_t file_ops() const noexcept { return ops_.load(std::memory_order_acquire); }
  void Count() noexcept { ops_.fetch_add(1, std::memory_order_relaxed); }

  // The WAL root with the most bytes appended ("" when none) and its sync events, in order.
  std::string BusiestRoot() const;
  uint64_t Appended(const std::string& root) const;
  std::vector<SyncEvent> Syncs(const std::string& root) const;

  static constexpr size_t kReservedSyncs = 1 << 16;
  struct RootLog {
    std::atomic<uint64_t> appended{0};
    mutable std::mutex mu;
    std::vector<SyncEvent> syncs;
  };

 private:
  Result<std::unique_ptr<WritableFile>> Wrap(const std::string& path,
                                             Result<std::unique_ptr<WritableFile>> file);
  RootLog* Root(const std::string& wal_dir);

  Env* base_;
  std::atomic<uint64_t> ops_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<RootLog>> roots_;
};

struct LossWindow {
  double max_ms = 0;       // longest time an acknowledged commit stayed unsynced
  uint64_t uncovered = 0;  // acknowledged commits that no recorded sync covered
};
// Commit i was acknowledged at ack_ns[i] with the log holding end_bytes[i] bytes (its record's
// end); it became durable when the first sync that started with at least that many bytes
// appended returned. Both arrays are in commit order.
LossWindow ComputeLossWindow(std::span<const int64_t> ack_ns, std::span<const uint64_t> end_bytes,
                             std::span<const SyncEvent> syncs);

}  // namespace statelab::bench
