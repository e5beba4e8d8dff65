#include "harness/noise.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

namespace statelab::harness {
namespace json = boost::json;
namespace {

// The first line of `text`.
std::string_view FirstLine(std::string_view text) { return text.substr(0, text.find('\n')); }

// Splits off the next whitespace-separated token of `s`.
std::string_view NextToken(std::string_view& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(b);
  const size_t e = std::min(s.find_first_of(" \t"), s.size());
  const std::string_view token = s.substr(0, e);
  s.remove_prefix(e);
  return token;
}

template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The start of a small /proc file into `buf` (no allocation); errno when it cannot be read. The
// figures we read are all in the first line, so one read() is enough.
struct SmallRead {
  std::string_view text;
  int err = 0;
};
SmallRead ReadHead(const char* path, std::span<char> buf) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {{}, errno};
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  const int err = n < 0 ? errno : 0;
  ::close(fd);
  if (n < 0) return {{}, err};
  return {std::string_view(buf.data(), static_cast<size_t>(n)), 0};
}

std::optional<double> Ratio(uint64_t num, uint64_t den) {
  if (den == 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

json::value OrNull(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

std::optional<int64_t> IntAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}
std::optional<double> NumberAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

}  // namespace

std::optional<CpuTicks> ParseProcStatCpu(std::string_view proc_stat) {
  std::string_view line = FirstLine(proc_stat);
  if (NextToken(line) != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already in
  // user and nice, so the total is the first eight.
  CpuTicks t;
  for (int i = 0; i < 8; ++i) {
    const std::optional<uint64_t> v = ParseNumber<uint64_t>(NextToken(line));
    if (!v) return std::nullopt;
    t.total += *v;
    if (i == 7) t.steal = *v;
  }
  return t;
}

std::optional<CpuPressure> ParseCpuPressure(std::string_view text) {
  while (!text.empty()) {
    std::string_view line = FirstLine(text);
    text.remove_prefix(std::min(line.size() + 1, text.size()));
    if (NextToken(line) != "some") continue;
    std::optional<double> avg10;
    std::optional<uint64_t> total;
    for (std::string_view tok = NextToken(line); !tok.empty(); tok = NextToken(line)) {
      if (tok.starts_with("avg10=")) avg10 = ParseNumber<double>(tok.substr(6));
      if (tok.starts_with("total=")) total = ParseNumber<uint64_t>(tok.substr(6));
    }
    if (!avg10 || !total) return std::nullopt;
    return CpuPressure{*avg10, *total};
  }
  return std::nullopt;
}

std::optional<LoadAverages> ParseLoadAverages(std::string_view proc_loadavg) {
  std::string_view line = FirstLine(proc_loadavg);
  const auto one = ParseNumber<double>(NextToken(line));
  const auto five = ParseNumber<double>(NextToken(line));
  const auto fifteen = ParseNumber<double>(NextToken(line));
  if (!one || !five || !fifteen) return std::nullopt;
  return LoadAverages{*one, *five, *fifteen};
}

NoiseSample SampleNoise() {
  NoiseSample s;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s.monotonic_ns = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  std::array<char, 512> buf;
  if (const SmallRead r = ReadHead("/proc/stat", buf); r.err == 0) {
    s.cpu = ParseProcStatCpu(r.text);
  }
  if (const SmallRead r = ReadHead("/proc/pressure/cpu", buf); r.err == 0) {
    s.pressure = ParseCpuPressure(r.text);
  } else {
    s.pressure_errno = r.err;
  }
  if (const SmallRead r = ReadHead("/proc/loadavg", buf); r.err == 0) {
    s.load = ParseLoadAverages(r.text);
  }
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    s.voluntary_context_switches = ru.ru_nvcsw;
    s.involuntary_context_switches = ru.ru_nivcsw;
  }
  return s;
}

std::string CpuPressureUnavailableReason(int err) {
  if (err == ENOENT) {
    return "/proc/pressure/cpu does not exist (kernel without CONFIG_PSI, or older than 4.20)";
  }
  if (err == EOPNOTSUPP)
    return "/proc/pressure/cpu: PSI disabled (psi=0 on the kernel command line)";
  if (err != 0) return "/proc/pressure/cpu: " + std::string(std::strerror(err));
  return "/proc/pressure/cpu has no \"some avg10=... total=...\" line";
}

NoiseFigures SumNoise(std::span<const NoiseWindow> windows) {
  NoiseFigures f;
  if (windows.empty()) return f;
  bool cpu_ok = true, psi_ok = true, vol_ok = true, invol_ok = true;
  uint64_t ticks = 0, steal = 0, stall_us = 0;
  int64_t wall_ns = 0, vol = 0, invol = 0;
  for (const NoiseWindow& w : windows) {
    const NoiseSample& a = w.before;
    const NoiseSample& b = w.after;
    // Counters only grow; a smaller "after" means a source changed under us (CPU hotplug).
    cpu_ok =
        cpu_ok && a.cpu && b.cpu && b.cpu->total >= a.cpu->total && b.cpu->steal >= a.cpu->steal;
    if (cpu_ok) {
      ticks += b.cpu->total - a.cpu->total;
      steal += b.cpu->steal - a.cpu->steal;
    }
    psi_ok = psi_ok && a.pressure && b.pressure &&
             b.pressure->some_total_us >= a.pressure->some_total_us;
    if (psi_ok) stall_us += b.pressure->some_total_us - a.pressure->some_total_us;
    wall_ns += b.monotonic_ns - a.monotonic_ns;
    vol_ok = vol_ok && a.voluntary_context_switches && b.voluntary_context_switches;
    if (vol_ok) vol += *b.voluntary_context_switches - *a.voluntary_context_switches;
    invol_ok = invol_ok && a.involuntary_context_switches && b.involuntary_context_switches;
    if (invol_ok) invol += *b.involuntary_context_switches - *a.involuntary_context_switches;
  }
  // No tick at all (a window shorter than 1/USER_HZ) says nothing about steal.
  if (cpu_ok) f.steal_fraction = Ratio(steal, ticks);
  if (psi_ok && wall_ns > 0) {
    f.cpu_pressure_some_fraction =
        std::min(1.0, static_cast<double>(stall_us) * 1e3 / static_cast<double>(wall_ns));
  }
  if (vol_ok) f.voluntary_context_switches = vol;
  if (invol_ok) f.involuntary_context_switches = invol;
  if (windows.front().before.load) f.load_one_min_before = windows.front().before.load->one_min;
  if (windows.back().after.load) f.load_one_min_after = windows.back().after.load->one_min;
  return f;
}

void AddCellNoise(const NoiseFigures& noise, uint64_t ops, std::map<std::string, double>& extra) {
  if (noise.steal_fraction) extra["noise_steal_fraction"] = *noise.steal_fraction;
  if (noise.cpu_pressure_some_fraction) {
    extra["noise_cpu_pressure_some_fraction"] = *noise.cpu_pressure_some_fraction;
  }
  if (ops > 0 && noise.voluntary_context_switches) {
    extra["noise_voluntary_context_switches_per_op"] =
        static_cast<double>(*noise.voluntary_context_switches) / static_cast<double>(ops);
  }
  if (ops > 0 && noise.involuntary_context_switches) {
    extra["noise_involuntary_context_switches_per_op"] =
        static_cast<double>(*noise.involuntary_context_switches) / static_cast<double>(ops);
  }
  if (noise.load_one_min_before) extra["noise_load_one_min_before"] = *noise.load_one_min_before;
  if (noise.load_one_min_after) extra["noise_load_one_min_after"] = *noise.load_one_min_after;
}

json::object NoiseSampleJson(const NoiseSample& s) {
  json::object o;
  o["monotonic_ns"] = s.monotonic_ns;
  o["cpu_total_ticks"] = s.cpu ? json::value(s.cpu->total) : json::value(nullptr);
  o["cpu_steal_ticks"] = s.cpu ? json::value(s.cpu->steal) : json::value(nullptr);
  o["cpu_pressure_some_avg10"] =
      s.pressure ? json::value(s.pressure->some_avg10) : json::value(nullptr);
  o["cpu_pressure_some_total_us"] =
      s.pressure ? json::value(s.pressure->some_total_us) : json::value(nullptr);
  o["voluntary_context_switches"] = OrNull(s.voluntary_context_switches);
  o["involuntary_context_switches"] = OrNull(s.involuntary_context_switches);
  return o;
}

NoiseSample NoiseSampleFromJson(const json::object& o) {
  NoiseSample s;
  s.monotonic_ns = IntAt(o, "monotonic_ns").value_or(0);
  const auto total = IntAt(o, "cpu_total_ticks");
  const auto steal = IntAt(o, "cpu_steal_ticks");
  if (total && steal) {
    s.cpu = CpuTicks{static_cast<uint64_t>(*total), static_cast<uint64_t>(*steal)};
  }
  const auto avg10 = NumberAt(o, "cpu_pressure_some_avg10");
  const auto stall = IntAt(o, "cpu_pressure_some_total_us");
  if (avg10 && stall) s.pressure = CpuPressure{*avg10, static_cast<uint64_t>(*stall)};
  s.voluntary_context_switches = IntAt(o, "voluntary_context_switches");
  s.involuntary_context_switches = IntAt(o, "involuntary_context_switches");
  return s;
}

}  // namespace statelab::harness
