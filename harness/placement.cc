#include "harness/placement.h"

#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace statelab::harness {

PuSamples::PuSamples() {
  const long n = sysconf(_SC_NPROCESSORS_CONF);
  counts_.assign(n > 0 ? static_cast<size_t>(n) : 1, 0);
}

void PuSamples::Sample() noexcept {
  const int cpu = sched_getcpu();
  if (cpu >= 0 && static_cast<size_t>(cpu) < counts_.size()) ++counts_[cpu];
}

std::vector<PuSampleCount> PuSamples::ToBaseline() const {
  std::vector<PuSampleCount> out;
  for (size_t pu = 0; pu < counts_.size(); ++pu) {
    if (counts_[pu] != 0) {
      out.push_back({static_cast<int64_t>(pu), static_cast<int64_t>(counts_[pu])});
    }
  }
  return out;
}

namespace {

// One task's /proc entries; false when it exited meanwhile.
bool ReadTask(const std::string& dir, TaskCpu* t) {
  std::ifstream comm(dir + "/comm");
  std::ifstream stat(dir + "/stat");
  std::ifstream sched(dir + "/schedstat");
  if (!comm || !stat || !sched) return false;
  std::getline(comm, t->name);
  std::string line;
  std::getline(stat, line);
  // Fields after the ")" closing the name: state is field 3, processor is field 39.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string f;
  for (int i = 3; i <= 39 && fields >> f; ++i) {
    if (i == 39) t->last_pu = std::stoll(f);
  }
  sched >> t->cpu_ns;
  return true;
}

}  // namespace

std::map<pid_t, TaskCpu> SnapshotTasks() {
  std::map<pid_t, TaskCpu> tasks;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return tasks;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    TaskCpu t;
    if (ReadTask(std::string("/proc/self/task/") + e->d_name, &t)) {
      tasks.emplace(static_cast<pid_t>(std::stol(e->d_name)), std::move(t));
    }
  }
  closedir(d);
  return tasks;
}

std::vector<ObservedThread> OtherThreads(const std::map<pid_t, TaskCpu>& before,
                                         const std::map<pid_t, TaskCpu>& after,
                                         const std::vector<pid_t>& exclude) {
  std::vector<ObservedThread> out;
  for (const auto& [tid, a] : after) {
    auto b = before.find(tid);
    if (b == before.end() || a.cpu_ns <= b->second.cpu_ns) continue;
    if (std::find(exclude.begin(), exclude.end(), tid) != exclude.end()) continue;
    out.push_back({a.name, static_cast<int64_t>(tid), a.last_pu,
                   static_cast<double>(a.cpu_ns - b->second.cpu_ns) / 1e6});
  }
  return out;
}

}  // namespace statelab::harness
