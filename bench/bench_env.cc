#include "bench/bench_env.h"

#include <algorithm>
#include <filesystem>

#include "harness/timer.h"

namespace statelab::bench {

namespace {

// Counts every call; a WAL file (root != null) also counts its bytes toward the root, and a sync
// notes the count it started with.
class TrackedFile final : public WritableFile {
 public:
  TrackedFile(std::unique_ptr<WritableFile> base, BenchEnv* env, BenchEnv::RootLog* root)
      : base_(std::move(base)), env_(env), root_(root) {}
  Status Append(std::string_view data) override {
    env_->Count();
    Status s = base_->Append(data);
    if (s.ok() && root_ != nullptr)
      root_->appended.fetch_add(data.size(), std::memory_order_acq_rel);
    return s;
  }
  Status Sync() override {
    env_->Count();
    const uint64_t before = root_ != nullptr ? root_->appended.load(std::memory_order_acquire) : 0;
    Status s = base_->Sync();
    if (s.ok() && root_ != nullptr) {
      const int64_t done = harness::Timer::NowNs();
      std::lock_guard lk(root_->mu);
      root_->syncs.push_back({before, done});
    }
    return s;
  }
  Status Close() override {
    env_->Count();
    return base_->Close();
  }

 private:
  std::unique_ptr<WritableFile> base_;
  BenchEnv* env_;
  BenchEnv::RootLog* root_;  // null: not a WAL file
};

}  // namespace

Result<std::unique_ptr<WritableFile>> BenchEnv::OpenAppendable(const std::string& path) {
  return Wrap(path, base_->OpenAppendable(path));
}

Result<std::unique_ptr<WritableFile>> BenchEnv::NewWritable(const std::string& path) {
  return Wrap(path, base_->NewWritable(path));
}

Result<std::unique_ptr<WritableFile>> BenchEnv::NewPreallocated(const std::string& path,
                                                                std::string_view header,
                                                                uint64_t size) {
  return Wrap(path, base_->NewPreallocated(path, header, size));
}

Result<std::unique_ptr<WritableFile>> BenchEnv::Wrap(const std::string& path,
                                                     Result<std::unique_ptr<WritableFile>> file) {
  Count();
  if (!file.ok()) return file;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  RootLog* root = dir.filename() == "wal" ? Root(dir.string()) : nullptr;
  return std::unique_ptr<WritableFile>(new TrackedFile(std::move(file).value(), this, root));
}

BenchEnv::RootLog* BenchEnv::Root(const std::string& wal_dir) {
  std::lock_guard lk(mu_);
  std::unique_ptr<RootLog>& r = roots_[wal_dir];
  if (!r) {
    r = std::make_unique<RootLog>();
    // Syncs run on the engine's threads: reserving keeps this Env from allocating there (the
    // allocation counter is process-wide) until a cell has synced this many times.
    r->syncs.reserve(kReservedSyncs);
  }
  return r.get();
}

std::string BenchEnv::BusiestRoot() const {
  std::lock_guard lk(mu_);
  std::string best;
  uint64_t most = 0;
  for (const auto& [root, log] : roots_) {
    const uint64_t n = log->appended.load(std::memory_order_acquire);
    if (best.empty() || n > most) {
      best = root;
      most = n;
    }
  }
  return best;
}

uint64_t BenchEnv::Appended(const std::string& root) const {
  std::lock_guard lk(mu_);
  auto it = roots_.find(root);
  return it == roots_.end() ? 0 : it->second->appended.load(std::memory_order_acquire);
}

std::vector<SyncEvent> BenchEnv::Syncs(const std::string& root) const {
  std::lock_guard lk(mu_);
  auto it = roots_.find(root);
  if (it == roots_.end()) return {};
  std::lock_guard lk2(it->second->mu);
  return it->second->syncs;
}

LossWindow ComputeLossWindow(std::span<const int64_t> ack_ns, std::span<const uint64_t> end_bytes,
                             std::span<const SyncEvent> syncs) {
  LossWindow w;
  size_t j = 0;
  const size_t n = std::min(ack_ns.size(), end_bytes.size());
  for (size_t i = 0; i < n; ++i) {
    while (j < syncs.size() && syncs[j].bytes_before < end_bytes[i]) ++j;
    if (j == syncs.size()) {
      w.uncovered += n - i;
      break;
    }
    const double ms = static_cast<double>(std::max<int64_t>(0, syncs[j].done_ns - ack_ns[i])) / 1e6;
    w.max_ms = std::max(w.max_ms, ms);
  }
  return w;
}

}  // namespace statelab::bench
