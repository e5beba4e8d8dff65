#include "engines/durability/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace statelab {
namespace {

Status PosixError(std::string_view what, const std::string& path, int err) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(err));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { (void)Close(); }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_, errno);
    return Status::OK();
  }
  int fd() const noexcept { return fd_; }
  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return PosixError("close", path_, errno);
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  // fallocate (not posix_fallocate, which writes zeros where the file system cannot
  // preallocate): ext4 and xfs reserve the extents; elsewhere the file is extended sparse.
  Result<std::unique_ptr<WritableFile>> NewPreallocated(const std::string& path,
                                                        std::string_view header,
                                                        uint64_t size) override {
    const std::string tmp = path + ".tmp";
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f,
                              Open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC));
    auto* pf = static_cast<PosixWritableFile*>(f.get());
    STATELAB_RETURN_IF_ERROR(pf->Append(header));
    const auto len = static_cast<off_t>(std::max<uint64_t>(size, header.size()));
    if (::fallocate(pf->fd(), 0, 0, len) != 0) {
      if (errno != EOPNOTSUPP && errno != ENOSYS) return PosixError("fallocate", tmp, errno);
      if (::ftruncate(pf->fd(), len) != 0) return PosixError("ftruncate", tmp, errno);
    }
    if (::fsync(pf->fd()) != 0) return PosixError("fsync", tmp, errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return PosixError("rename", tmp, errno);
    return f;
  }
  Status ReadPrefix(const std::string& path, uint64_t limit, std::string* out,
                    uint64_t* file_size) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError("fstat", path, err);
    }
    *file_size = static_cast<uint64_t>(st.st_size);
    out->resize(std::min(limit, *file_size));
    size_t got = 0;
    while (got < out->size()) {
      ssize_t n = ::pread(fd, out->data() + got, out->size() - got, static_cast<off_t>(got));
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return PosixError("read", path, err);
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    out->resize(got);
    ::close(fd);
    return Status::OK();
  }
  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override {
    return Open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
  }
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) override {
    return Open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
  }
  Status ReadFile(const std::string& path, std::string* out) override {
    uint64_t file_size = 0;  // data files are not written while they are read whole
    return ReadPrefix(path, std::numeric_limits<uint64_t>::max(), out, &file_size);
  }
  Status CreateDirs(const std::string& path) override {
    for (size_t pos = 1; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/') continue;
      std::string prefix = path.substr(0, pos);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return PosixError("mkdir", prefix, errno);
      }
    }
    return Status::OK();
  }
  Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    names->clear();
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return PosixError("opendir", path, errno);
    while (dirent* e = ::readdir(d)) {
      std::string_view n(e->d_name);
      if (n != "." && n != "..") names->emplace_back(n);
    }
    ::closedir(d);
    std::sort(names->begin(), names->end());
    return Status::OK();
  }
  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::OK();
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError("rename", from, errno);
    return Status::OK();
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    Status s;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = PosixError("ftruncate", path, errno);
    } else if (::fsync(fd) != 0) {
      s = PosixError("fsync", path, errno);
    }
    ::close(fd);
    return s;
  }
  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError("fsync", path, errno);
    ::close(fd);
    return s;
  }

 private:
  Result<std::unique_ptr<WritableFile>> Open(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
};

}  // namespace

Result<std::unique_ptr<WritableFile>> Env::NewPreallocated(const std::string& path,
                                                           std::string_view header, uint64_t size) {
  const std::string tmp = path + ".tmp";
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, NewWritable(tmp));
  STATELAB_RETURN_IF_ERROR(f->Append(header));
  // Extends through another descriptor: `f` keeps writing where the header ends.
  STATELAB_RETURN_IF_ERROR(Truncate(tmp, std::max<uint64_t>(size, header.size())));
  STATELAB_RETURN_IF_ERROR(f->Sync());
  STATELAB_RETURN_IF_ERROR(RenameFile(tmp, path));
  return f;
}

Status Env::ReadPrefix(const std::string& path, uint64_t limit, std::string* out,
                       uint64_t* file_size) {
  STATELAB_RETURN_IF_ERROR(ReadFile(path, out));
  *file_size = out->size();
  if (out->size() > limit) out->resize(limit);
  return Status::OK();
}

Env* Env::Default() {
  static Env* env = new PosixEnv();  // never destroyed: usable from any static destructor
  return env;
}

}  // namespace statelab
