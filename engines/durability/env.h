#pragma once
// The file layer seam (the leveldb Env idea): every durability file operation goes through an
// Env, so tests can replace it (FaultInjectionEnv) to lose unsynced bytes, tear writes and fail
// writes or syncs. DbOptions::env selects one; nullptr means Env::Default() (POSIX).
// Thread-safety: Env methods are thread-safe. A WritableFile's Append and Sync may run at once on
// two threads (the commit log writes while its background sync runs; the sync covers at least
// what was appended before it started); otherwise it is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: everything appended so far is on stable storage when this returns OK.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX Env (never destroyed).
  static Env* Default();

  // Opens `path` for appending, creating it when missing (existing bytes are kept).
  virtual Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) = 0;
  // Creates `path`, or truncates it to zero bytes.
  virtual Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) = 0;
  // Creates `path` holding `header`, `size` bytes long (preallocated where the file system can;
  // the bytes after the header read as zeros) and synced, under a temporary name ("<path>.tmp")
  // renamed into place: a file of that name always has its header and size on disk. The caller
  // syncs the directory. Appends to the returned file fill the space after the header in order.
  // The default is built from NewWritable, Truncate and RenameFile (a sparse file).
  virtual Result<std::unique_ptr<WritableFile>> NewPreallocated(const std::string& path,
                                                                std::string_view header,
                                                                uint64_t size);
  // Reads the whole file.
  virtual Status ReadFile(const std::string& path, std::string* out) = 0;
  // Reads at most `limit` bytes from the start of the file; *file_size receives its length.
  // The default reads the whole file.
  virtual Status ReadPrefix(const std::string& path, uint64_t limit, std::string* out,
                            uint64_t* file_size);
  // Creates a directory (and missing parents); OK when it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, sorted; "." and ".." excluded.
  virtual Status ListDir(const std::string& path, std::vector<std::string>* names) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Cuts a file to `size` bytes and syncs it.
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // fsync of a directory: entries created, renamed or removed in it are durable.
  virtual Status SyncDir(const std::string& path) = 0;
};

// "<dir>/<name>".
inline std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string p(dir);
  if (!p.empty() && p.back() != '/') p.push_back('/');
  p.append(name);
  return p;
}

}  // namespace statelab
