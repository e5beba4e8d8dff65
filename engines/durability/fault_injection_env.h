#pragma once
// FaultInjectionEnv: an Env for tests that wraps a real one and remembers, per file, how many
// bytes a Sync made durable. It can then simulate what a power loss or a failing disk does:
//   - Crash(): from now on every operation fails (the process is gone; nothing more reaches disk);
//   - DropUnsyncedData(): every file is cut back to its synced length, and files whose directory
//     entry was never synced (SyncDir) disappear;
//   - TearLastWrite(keep): the last Append is cut after `keep` of its bytes (a torn write);
//   - FailWrites(n) / FailSyncs(n): the next n Appends / Syncs fail with IOError;
//   - SetSyncLatency(d): every file Sync takes at least d (a slow disk, so group commit is tested
//     against the latency it exists to amortize rather than against a page-cache sync).
// Renames are not modelled (treated as durable at once; the snapshot writer syncs the directory).
// Thread-safety: all methods are thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engines/durability/env.h"

namespace statelab {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewPreallocated(const std::string& path,
                                                        std::string_view header,
                                                        uint64_t size) override;
  Status ReadFile(const std::string& path, std::string* out) override;
  Status ReadPrefix(const std::string& path, uint64_t limit, std::string* out,
                    uint64_t* file_size) override;
  Status CreateDirs(const std::string& path) override;
  Status ListDir(const std::string& path, std::vector<std::string>* names) override;
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& path) override;

  void Crash();
  // Applies the simulated power loss to the files (call after Crash(), before Revive()).
  Status DropUnsyncedData();
  // Cuts the most recent Append after `keep` bytes (keep >= its size: no change). Returns the
  // size of that Append (0 when nothing was appended).
  Result<uint64_t> TearLastWrite(uint64_t keep);
  // Operations work again (a new "boot"); the files are taken as fully synced.
  void Revive();
  void FailWrites(int n);
  void FailSyncs(int n);
  void SetSyncLatency(std::chrono::microseconds d);

  uint64_t unsynced_bytes() const;  // over all tracked files

 private:
  class File;
  friend class File;
  struct State {
    uint64_t size = 0;    // where appends reached
    uint64_t synced = 0;  // what a sync made durable
    bool entry_synced = true;  // false: created since its directory was last synced
    uint64_t preallocated = 0;  // NewPreallocated: the file's durable size
  };
  // Drops the bytes of `path` from `keep` on (zeros up to a preallocated size).
  Status CutTo(const std::string& path, const State& st, uint64_t keep);
  Status Check();  // IOError once crashed
  Status BeforeAppend(const std::string& path);  // crashed / injected failure
  void OnAppend(const std::string& path, uint64_t n);
  Result<uint64_t> BeforeSync(const std::string& path);  // the length this sync will cover
  Status OnSync(const std::string& path, uint64_t size);
  Result<std::unique_ptr<WritableFile>> Wrap(const std::string& path, bool truncate);

  Env* base_;
  mutable std::mutex mu_;
  std::map<std::string, State> files_;
  bool crashed_ = false;
  int fail_writes_ = 0;
  int fail_syncs_ = 0;
  std::chrono::microseconds sync_latency_{0};
  std::string last_write_path_;
  uint64_t last_write_offset_ = 0;
  uint64_t last_write_size_ = 0;
};

}  // namespace statelab
