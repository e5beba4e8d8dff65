#include "engines/durability/fault_injection_env.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>

namespace statelab {
namespace {
uint64_t FileSizeOnDisk(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}
std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}
}  // namespace

class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    STATELAB_RETURN_IF_ERROR(env_->BeforeAppend(path_));
    STATELAB_RETURN_IF_ERROR(base_->Append(data));
    env_->OnAppend(path_, data.size());
    return Status::OK();
  }
  // An Append running meanwhile on another thread is not covered: the synced length is the one
  // the sync started with.
  Status Sync() override {
    STATELAB_ASSIGN_OR_RETURN(uint64_t size, env_->BeforeSync(path_));
    STATELAB_RETURN_IF_ERROR(base_->Sync());
    return env_->OnSync(path_, size);
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

Status FaultInjectionEnv::Check() {
  std::lock_guard lk(mu_);
  return crashed_ ? Status::IOError("fault injection: crashed") : Status::OK();
}

Status FaultInjectionEnv::BeforeAppend(const std::string& path) {
  std::lock_guard lk(mu_);
  if (crashed_) return Status::IOError("fault injection: crashed");
  if (fail_writes_ > 0) {
    --fail_writes_;
    return Status::IOError("fault injection: write " + path);
  }
  return Status::OK();
}

void FaultInjectionEnv::OnAppend(const std::string& path, uint64_t n) {
  std::lock_guard lk(mu_);
  State& st = files_[path];
  last_write_path_ = path;
  last_write_offset_ = st.size;
  last_write_size_ = n;
  st.size += n;
}

Result<uint64_t> FaultInjectionEnv::BeforeSync(const std::string& path) {
  std::chrono::microseconds latency;
  uint64_t size;
  {
    std::lock_guard lk(mu_);
    if (crashed_) return Status::IOError("fault injection: crashed");
    if (fail_syncs_ > 0) {
      --fail_syncs_;
      return Status::IOError("fault injection: sync " + path);
    }
    latency = sync_latency_;
    size = files_[path].size;
  }
  // Outside the lock: syncs of different files (per-worker logs) overlap as on a real disk.
  if (latency.count() > 0) std::this_thread::sleep_for(latency);
  return size;
}

Status FaultInjectionEnv::OnSync(const std::string& path, uint64_t size) {
  std::lock_guard lk(mu_);
  // A sync still running when the machine "lost power" made nothing durable.
  if (crashed_) return Status::IOError("fault injection: crashed");
  State& st = files_[path];
  st.synced = std::max(st.synced, std::min(size, st.size));
  return Status::OK();
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::Wrap(const std::string& path,
                                                              bool truncate) {
  STATELAB_RETURN_IF_ERROR(Check());
  const bool existed = base_->FileExists(path);
  std::unique_ptr<WritableFile> f;
  if (truncate) {
    STATELAB_ASSIGN_OR_RETURN(f, base_->NewWritable(path));
  } else {
    STATELAB_ASSIGN_OR_RETURN(f, base_->OpenAppendable(path));
  }
  {
    std::lock_guard lk(mu_);
    State& st = files_[path];
    if (!existed) {
      st = State{0, 0, false};
    } else if (truncate) {
      st.size = st.synced = 0;  // truncation is treated as durable (not modelled)
    } else {
      st.size = FileSizeOnDisk(path);
      st.synced = std::min(st.synced, st.size);
      if (st.synced == 0) st.synced = st.size;  // untracked until now: taken as durable
    }
  }
  return std::unique_ptr<WritableFile>(new File(this, path, std::move(f)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::OpenAppendable(const std::string& path) {
  return Wrap(path, false);
}
Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritable(const std::string& path) {
  return Wrap(path, true);
}
Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewPreallocated(const std::string& path,
                                                                         std::string_view header,
                                                                         uint64_t size) {
  STATELAB_RETURN_IF_ERROR(Check());
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f,
                            base_->NewPreallocated(path, header, size));
  {
    std::lock_guard lk(mu_);
    files_[path] = State{header.size(), header.size(), false, std::max<uint64_t>(size, header.size())};
  }
  return std::unique_ptr<WritableFile>(new File(this, path, std::move(f)));
}
Status FaultInjectionEnv::ReadFile(const std::string& path, std::string* out) {
  STATELAB_RETURN_IF_ERROR(Check());
  return base_->ReadFile(path, out);
}
Status FaultInjectionEnv::ReadPrefix(const std::string& path, uint64_t limit, std::string* out,
                                     uint64_t* file_size) {
  STATELAB_RETURN_IF_ERROR(Check());
  return base_->ReadPrefix(path, limit, out, file_size);
}
Status FaultInjectionEnv::CutTo(const std::string& path, const State& st, uint64_t keep) {
  STATELAB_RETURN_IF_ERROR(base_->Truncate(path, keep));
  return st.preallocated > keep ? base_->Truncate(path, st.preallocated) : Status::OK();
}
Status FaultInjectionEnv::CreateDirs(const std::string& path) {
  STATELAB_RETURN_IF_ERROR(Check());
  return base_->CreateDirs(path);
}
Status FaultInjectionEnv::ListDir(const std::string& path, std::vector<std::string>* names) {
  STATELAB_RETURN_IF_ERROR(Check());
  return base_->ListDir(path, names);
}
Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  STATELAB_RETURN_IF_ERROR(Check());
  STATELAB_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard lk(mu_);
  files_.erase(path);
  return Status::OK();
}
Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  STATELAB_RETURN_IF_ERROR(Check());
  STATELAB_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard lk(mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    State st = it->second;
    st.entry_synced = true;  // renames are not modelled
    files_.erase(it);
    files_[to] = st;
  }
  return Status::OK();
}
Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  STATELAB_RETURN_IF_ERROR(Check());
  STATELAB_RETURN_IF_ERROR(base_->Truncate(path, size));
  std::lock_guard lk(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second.size = it->second.synced = size;
  return Status::OK();
}
Status FaultInjectionEnv::SyncDir(const std::string& path) {
  STATELAB_RETURN_IF_ERROR(Check());
  STATELAB_RETURN_IF_ERROR(base_->SyncDir(path));
  std::lock_guard lk(mu_);
  for (auto& [p, st] : files_) {
    if (ParentDir(p) == path) st.entry_synced = true;
  }
  return Status::OK();
}

void FaultInjectionEnv::Crash() {
  std::lock_guard lk(mu_);
  crashed_ = true;
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard lk(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    const std::string& p = it->first;
    if (!it->second.entry_synced) {
      if (base_->FileExists(p)) STATELAB_RETURN_IF_ERROR(base_->RemoveFile(p));
      it = files_.erase(it);
      continue;
    }
    if (it->second.size > it->second.synced && base_->FileExists(p)) {
      STATELAB_RETURN_IF_ERROR(CutTo(p, it->second, it->second.synced));
    }
    it->second.size = it->second.synced;
    ++it;
  }
  return Status::OK();
}

Result<uint64_t> FaultInjectionEnv::TearLastWrite(uint64_t keep) {
  std::lock_guard lk(mu_);
  if (last_write_path_.empty() || keep >= last_write_size_) return last_write_size_;
  auto it = files_.find(last_write_path_);
  if (it == files_.end() || !base_->FileExists(last_write_path_)) return last_write_size_;
  const uint64_t cut = last_write_offset_ + keep;
  if (cut < FileSizeOnDisk(last_write_path_)) {
    STATELAB_RETURN_IF_ERROR(CutTo(last_write_path_, it->second, cut));
  }
  it->second.size = cut;
  it->second.synced = std::min(it->second.synced, cut);
  return last_write_size_;
}

void FaultInjectionEnv::Revive() {
  std::lock_guard lk(mu_);
  crashed_ = false;
  fail_writes_ = fail_syncs_ = 0;
  for (auto& [p, st] : files_) {
    st.synced = st.size;
    st.entry_synced = true;
  }
  last_write_path_.clear();
  last_write_size_ = 0;
}

void FaultInjectionEnv::FailWrites(int n) {
  std::lock_guard lk(mu_);
  fail_writes_ = n;
}
void FaultInjectionEnv::FailSyncs(int n) {
  std::lock_guard lk(mu_);
  fail_syncs_ = n;
}

void FaultInjectionEnv::SetSyncLatency(std::chrono::microseconds d) {
  std::lock_guard lk(mu_);
  sync_latency_ = d;
}

uint64_t FaultInjectionEnv::unsynced_bytes() const {
  std::lock_guard lk(mu_);
  uint64_t n = 0;
  for (const auto& [p, st] : files_) n += st.size - st.synced;
  return n;
}

}  // namespace statelab
