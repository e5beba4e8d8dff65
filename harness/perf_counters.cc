#include "harness/perf_counters.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace statelab::harness {
namespace {

struct EventSpec {
  std::string_view name;
  uint32_t type;
  uint64_t config;
};

constexpr uint64_t CacheConfig(uint64_t cache, uint64_t op, uint64_t result) {
  return cache | (op << 8) | (result << 16);
}

// LLC misses use the generic PERF_COUNT_HW_CACHE_MISSES ("cache-misses"): Intel and AMD map it to
// last-level misses, while the LL entry of the HW_CACHE table is unsupported on many AMD parts.
constexpr EventSpec kHwEvents[kNumHwEvents] = {
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"L1-dcache-load-misses", PERF_TYPE_HW_CACHE,
     CacheConfig(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ,
                 PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
};

constexpr EventSpec kSwEvents[kNumSwEvents] = {
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
};

perf_event_attr MakeAttr(const EventSpec& e, uint64_t read_format, bool exclude_kernel) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = e.type;
  attr.config = e.config;
  attr.read_format = read_format;
  attr.disabled = 0;  // Count from open; Start/Stop take deltas, so no ioctl per phase.
  attr.inherit = 0;   // This thread only.
  attr.exclude_kernel = exclude_kernel ? 1 : 0;
  attr.exclude_hv = 1;
  return attr;
}

void AppendReason(std::string& reason, std::string_view more) {
  if (!reason.empty()) reason += "; ";
  reason += more;
}

std::optional<double> Sum(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

std::optional<double> PerOp(const std::optional<double>& v, uint64_t ops) {
  if (!v || ops == 0) return std::nullopt;
  return *v / static_cast<double>(ops);
}

}  // namespace

std::string_view HwEventName(int event) {
  return event >= 0 && event < kNumHwEvents ? kHwEvents[event].name : "unknown";
}

std::string_view SwEventName(int event) {
  return event >= 0 && event < kNumSwEvents ? kSwEvents[event].name : "unknown";
}

std::optional<GroupRead> ParseGroupRead(std::span<const uint64_t> words) {
  if (words.size() < 3) return std::nullopt;
  GroupRead r;
  r.nr = words[0];
  if (r.nr == 0 || r.nr > kMaxGroupEvents || words.size() < 3 + r.nr) return std::nullopt;
  r.time_enabled = words[1];
  r.time_running = words[2];
  // A running time above the enabled time is not a reading the kernel produces.
  if (r.time_running > r.time_enabled) return std::nullopt;
  std::copy_n(words.begin() + 3, r.nr, r.values.begin());
  return r;
}

std::optional<SingleRead> ParseSingleRead(std::span<const uint64_t> words) {
  if (words.size() < 3 || words[2] > words[1]) return std::nullopt;
  return SingleRead{words[0], words[1], words[2]};
}

std::optional<double> ScaleCount(uint64_t value, uint64_t time_enabled, uint64_t time_running) {
  if (time_running == 0) return std::nullopt;
  if (time_running >= time_enabled) return static_cast<double>(value);
  return static_cast<double>(value) * static_cast<double>(time_enabled) /
         static_cast<double>(time_running);
}

std::string DescribeOpenFailure(std::string_view event, int err) {
  std::string s = "perf_event_open(";
  s += event;
  s += "): ";
  s += std::strerror(err);
  s += " (errno ";
  s += std::to_string(err);
  s += ")";
  return s;
}

void PerfSample::Accumulate(const PerfSample& other) {
  hw_available = hw_available && other.hw_available;
  if (!other.reason.empty() && reason.find(other.reason) == std::string::npos) {
    AppendReason(reason, other.reason);
  }
  for (int i = 0; i < kNumHwEvents; ++i) hw[i] = Sum(hw[i], other.hw[i]);
  for (int i = 0; i < kNumSwEvents; ++i) sw[i] = Sum(sw[i], other.sw[i]);
  if (hw_running_fraction && other.hw_running_fraction) {
    hw_running_fraction = std::min(*hw_running_fraction, *other.hw_running_fraction);
  } else {
    hw_running_fraction.reset();
  }
}

PerfSample HwDelta(const GroupRead& begin, const GroupRead& end) {
  PerfSample s;
  if (begin.nr != end.nr || begin.nr != static_cast<uint64_t>(kNumHwEvents) ||
      end.time_enabled < begin.time_enabled || end.time_running < begin.time_running) {
    s.reason = "inconsistent perf group reads";
    return s;
  }
  const uint64_t enabled = end.time_enabled - begin.time_enabled;
  const uint64_t running = end.time_running - begin.time_running;
  if (running == 0) {
    // Multiplexed out for the whole interval (or the PMU is shared away): nothing was counted.
    s.reason = "hardware perf group never scheduled (time_running = 0)";
    return s;
  }
  for (int i = 0; i < kNumHwEvents; ++i) {
    if (end.values[i] < begin.values[i]) {
      s.reason = "perf counter went backwards";
      s.hw = {};
      return s;
    }
    s.hw[i] = ScaleCount(end.values[i] - begin.values[i], enabled, running);
  }
  s.hw_available = true;
  s.hw_running_fraction =
      enabled == 0 ? 1.0
                   : std::min(1.0, static_cast<double>(running) / static_cast<double>(enabled));
  return s;
}

std::optional<double> SwDelta(const SingleRead& begin, const SingleRead& end) {
  if (end.value < begin.value || end.time_enabled < begin.time_enabled ||
      end.time_running < begin.time_running) {
    return std::nullopt;
  }
  return ScaleCount(end.value - begin.value, end.time_enabled - begin.time_enabled,
                    end.time_running - begin.time_running);
}

Counters CountersPerOp(const PerfSample& total, uint64_t ops) {
  Counters c;
  c.available = total.hw_available;
  c.reason = total.reason;
  if (total.hw_available) {
    c.instructions_per_op = PerOp(total.hw[kInstructions], ops);
    c.cycles_per_op = PerOp(total.hw[kCycles], ops);
    const auto& ins = total.hw[kInstructions];
    const auto& cyc = total.hw[kCycles];
    if (ins && cyc && *cyc > 0) c.ipc = *ins / *cyc;
    c.branch_misses_per_op = PerOp(total.hw[kBranchMisses], ops);
    c.l1d_misses_per_op = PerOp(total.hw[kL1dReadMisses], ops);
    c.llc_misses_per_op = PerOp(total.hw[kLlcMisses], ops);
    c.hw_running_fraction = total.hw_running_fraction;
  }
  c.task_clock_ns_per_op = PerOp(total.sw[kTaskClock], ops);
  c.context_switches = total.sw[kContextSwitches];
  c.page_faults = total.sw[kPageFaults];
  return c;
}

long SysPerfEventOpen(perf_event_attr* attr, int pid, int cpu, int group_fd, unsigned long flags) {
  return syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

ThreadPerfCounters::ThreadPerfCounters(PerfEventOpenFn open_fn) {
  std::fill(std::begin(hw_fds_), std::end(hw_fds_), -1);
  std::fill(std::begin(sw_fds_), std::end(sw_fds_), -1);

  // Hardware: all or nothing. A partial group would give ratios (IPC, misses per instruction)
  // over different event sets on different machines.
  constexpr uint64_t kGroupFormat =
      PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  for (int i = 0; i < kNumHwEvents; ++i) {
    perf_event_attr attr = MakeAttr(kHwEvents[i], kGroupFormat, /*exclude_kernel=*/true);
    errno = 0;
    const long fd = open_fn(&attr, 0, -1, i == 0 ? -1 : hw_fds_[0], PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      AppendReason(reason_, DescribeOpenFailure(kHwEvents[i].name, errno != 0 ? errno : ENOSYS));
      for (int& open_fd : hw_fds_) {
        if (open_fd >= 0) close(open_fd);
        open_fd = -1;
      }
      break;
    }
    hw_fds_[i] = static_cast<int>(fd);
  }
  if (hw_fds_[0] >= 0) hw_leader_ = hw_fds_[0];

  // Software: each on its own so one refusal does not take the others down. Kernel time is
  // included where allowed (a context switch happens in the kernel: counted user-only it reads 0,
  // a made-up zero), so context-switches gets no user-only fallback.
  constexpr uint64_t kSingleFormat =
      PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  for (int i = 0; i < kNumSwEvents; ++i) {
    perf_event_attr attr = MakeAttr(kSwEvents[i], kSingleFormat, /*exclude_kernel=*/false);
    errno = 0;
    long fd = open_fn(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    int err = errno != 0 ? errno : ENOSYS;
    if (fd < 0 && (err == EACCES || err == EPERM) && i != kContextSwitches) {
      attr = MakeAttr(kSwEvents[i], kSingleFormat, /*exclude_kernel=*/true);
      errno = 0;
      fd = open_fn(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
      err = errno != 0 ? errno : ENOSYS;
    }
    if (fd < 0) {
      AppendReason(reason_, DescribeOpenFailure(kSwEvents[i].name, err));
    } else {
      sw_fds_[i] = static_cast<int>(fd);
    }
  }
}

ThreadPerfCounters::~ThreadPerfCounters() {
  for (int fd : hw_fds_) {
    if (fd >= 0) close(fd);
  }
  for (int fd : sw_fds_) {
    if (fd >= 0) close(fd);
  }
}

bool ThreadPerfCounters::any_software_available() const {
  return std::any_of(std::begin(sw_fds_), std::end(sw_fds_), [](int fd) { return fd >= 0; });
}

Result<GroupRead> ThreadPerfCounters::ReadHw() const {
  uint64_t buf[3 + kMaxGroupEvents];
  const ssize_t n = read(hw_leader_, buf, sizeof(buf));
  if (n < 0) return Status::IOError(std::string("read(perf group): ") + std::strerror(errno));
  auto parsed = ParseGroupRead(std::span<const uint64_t>(buf, static_cast<size_t>(n) / 8));
  if (!parsed) return Status::IOError("read(perf group): malformed buffer");
  return *parsed;
}

namespace {
std::optional<SingleRead> ReadSingle(int fd) {
  uint64_t buf[3];
  const ssize_t n = read(fd, buf, sizeof(buf));
  if (n != static_cast<ssize_t>(sizeof(buf))) return std::nullopt;
  return ParseSingleRead(buf);
}
}  // namespace

void ThreadPerfCounters::Start() {
  if (hardware_available()) hw_begin_ = ReadHw();
  for (int i = 0; i < kNumSwEvents; ++i) {
    sw_begin_ok_[i] = false;
    if (sw_fds_[i] < 0) continue;
    if (auto r = ReadSingle(sw_fds_[i])) {
      sw_begin_[i] = *r;
      sw_begin_ok_[i] = true;
    }
  }
}

PerfSample ThreadPerfCounters::Stop() {
  PerfSample s;
  if (!hardware_available()) {
    s.reason = reason_;
  } else if (!hw_begin_.has_value()) {
    s.reason = "Stop() without Start()";
  } else if (!hw_begin_->ok()) {
    s.reason = hw_begin_->error().message();
  } else {
    Result<GroupRead> end = ReadHw();
    if (end.ok()) {
      s = HwDelta(hw_begin_->value(), *end);
    } else {
      s.reason = end.error().message();
    }
    if (!reason_.empty()) AppendReason(s.reason, reason_);  // A software event that failed.
  }
  for (int i = 0; i < kNumSwEvents; ++i) {
    if (sw_fds_[i] < 0 || !sw_begin_ok_[i]) continue;
    if (auto end = ReadSingle(sw_fds_[i])) s.sw[i] = SwDelta(sw_begin_[i], *end);
  }
  return s;
}

PerfProbe ProbePerfCounters(PerfEventOpenFn open_fn) {
  ThreadPerfCounters counters(open_fn);
  PerfProbe p;
  p.available = counters.hardware_available();
  p.reason = counters.reason();
  p.software_available = counters.any_software_available();
  return p;
}

}  // namespace statelab::harness
