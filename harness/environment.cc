#include "harness/environment.h"

#include <hwloc.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "harness/noise.h"
#include "harness/perf_counters.h"
#include "harness/pinning.h"
#include "util/sha256.h"

// Build facts come from CMake (harness/CMakeLists.txt); the fallbacks keep a non-CMake build
// compiling but say "unknown" rather than guessing.
#ifndef STATELAB_COMPILER_ID
#define STATELAB_COMPILER_ID "unknown"
#endif
#ifndef STATELAB_COMPILER_VERSION
#define STATELAB_COMPILER_VERSION __VERSION__
#endif
#ifndef STATELAB_CXX_FLAGS
#define STATELAB_CXX_FLAGS "unknown"
#endif
#ifndef STATELAB_BUILD_TYPE
#define STATELAB_BUILD_TYPE "unknown"
#endif
#ifndef STATELAB_SOURCE_DIR
#define STATELAB_SOURCE_DIR "."
#endif

namespace statelab::harness {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string> ReadFirstLine(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return std::nullopt;
  const auto nl = text->find('\n');
  return Trim(nl == std::string::npos ? *text : text->substr(0, nl));
}

std::optional<int64_t> ReadInt(const std::string& path) {
  auto line = ReadFirstLine(path);
  if (!line || line->empty()) return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(line->c_str(), &end, 10);
  if (end == line->c_str()) return std::nullopt;
  return v;
}

// Runs a shell command; its stdout (trimmed) when it ran, std::nullopt when popen failed.
struct CommandResult {
  std::string out;
  int status = -1;
};
std::optional<CommandResult> Run(const std::string& command) {
  std::FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 512> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return CommandResult{Trim(out), status};
}

std::string ShellQuote(std::string_view s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

json::value OrNull(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
json::value OrNull(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value OrNull(const std::optional<bool>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

std::optional<bool> ReadBoolFlag(const std::string& path) {
  auto v = ReadInt(path);
  if (!v) return std::nullopt;
  return *v != 0;
}

// Looks up a.b.c in a JSON object; nullptr when any step is missing.
const json::value* Find(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (std::string_view key : path) {
    if (cur == nullptr) return nullptr;
    v = cur->if_contains(key);
    if (v == nullptr) return nullptr;
    cur = v->if_object();
  }
  return v;
}

std::optional<bool> FindBool(const json::object& o, std::initializer_list<std::string_view> p) {
  const json::value* v = Find(o, p);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}
std::optional<double> FindNumber(const json::object& o, std::initializer_list<std::string_view> p) {
  const json::value* v = Find(o, p);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}
std::optional<std::string> FindString(const json::object& o,
                                      std::initializer_list<std::string_view> p) {
  const json::value* v = Find(o, p);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

// Integers as integers ("8", "60000000000"), others with two decimals ("4.31").
std::string FormatNumber(double d) {
  char buf[32];
  if (d == static_cast<double>(static_cast<int64_t>(d))) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(d));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f", d);
  }
  return buf;
}

// --- Sections. ---

json::object CpuSection(const std::string& cpuinfo) {
  json::object cpu;
  auto model = CpuinfoField(cpuinfo, "model name");
  if (!model) model = CpuinfoField(cpuinfo, "Model");  // arm64 reports "Model" on some kernels.
  cpu["model"] = OrNull(model);
  cpu["vendor"] = OrNull(CpuinfoField(cpuinfo, "vendor_id"));

  const Topology& topo = Topology::Get();
  if (!topo.ok()) {
    for (const char* k : {"sockets", "cores", "pus", "numa_nodes"}) cpu[k] = nullptr;
    cpu["caches"] = json::array();
    cpu["topology_error"] = topo.error();
    return cpu;
  }
  auto* t = static_cast<hwloc_topology_t>(topo.raw());
  auto count = [&](hwloc_obj_type_t type) -> json::value {
    const int n = hwloc_get_nbobjs_by_type(t, type);
    return n < 0 ? json::value(nullptr) : json::value(static_cast<int64_t>(n));
  };
  cpu["sockets"] = count(HWLOC_OBJ_PACKAGE);
  cpu["cores"] = count(HWLOC_OBJ_CORE);
  cpu["pus"] = count(HWLOC_OBJ_PU);
  cpu["numa_nodes"] = count(HWLOC_OBJ_NUMANODE);

  // One entry per distinct (level, type, size, line), with how many instances exist.
  std::map<std::tuple<int, std::string, int64_t, int64_t>, int64_t> caches;
  for (hwloc_obj_type_t type :
       {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
        HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2ICACHE, HWLOC_OBJ_L3ICACHE}) {
    const int n = hwloc_get_nbobjs_by_type(t, type);
    for (int i = 0; i < n; ++i) {
      hwloc_obj_t obj = hwloc_get_obj_by_type(t, type, i);
      if (obj == nullptr || obj->attr == nullptr) continue;
      const auto& c = obj->attr->cache;
      const char* kind = c.type == HWLOC_OBJ_CACHE_DATA          ? "data"
                         : c.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "instruction"
                                                                 : "unified";
      ++caches[{static_cast<int>(c.depth), kind, static_cast<int64_t>(c.size),
                static_cast<int64_t>(c.linesize)}];
    }
  }
  json::array cache_list;
  for (const auto& [key, n] : caches) {
    cache_list.emplace_back(json::object{{"level", std::get<0>(key)},
                                         {"type", std::get<1>(key)},
                                         {"size_bytes", std::get<2>(key)},
                                         {"line_bytes", std::get<3>(key)},
                                         {"count", n}});
  }
  cpu["caches"] = std::move(cache_list);
  cpu["topology_error"] = nullptr;
  return cpu;
}

json::object MemorySection() {
  std::optional<int64_t> total, available;
  if (auto text = ReadFile("/proc/meminfo")) {
    std::istringstream in(*text);
    std::string key;
    int64_t kb;
    std::string unit;
    while (in >> key >> kb) {
      std::getline(in, unit);
      if (key == "MemTotal:") total = kb * 1024;
      if (key == "MemAvailable:") available = kb * 1024;
    }
  }
  return {{"total_bytes", OrNull(total)}, {"available_bytes", OrNull(available)}};
}

json::object GovernorSection() {
  std::map<std::string, int> counts;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 4 || name.compare(0, 3, "cpu") != 0 ||
        !std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    if (auto g = ReadFirstLine(entry.path().string() + "/cpufreq/scaling_governor")) ++counts[*g];
  }
  json::object gov;
  json::object counts_json;
  for (const auto& [name, n] : counts) counts_json[name] = n;
  if (counts.empty()) {
    gov["summary"] = nullptr;
    gov["counts"] = std::move(counts_json);
    gov["all_performance"] = nullptr;
    return gov;
  }
  gov["summary"] = SummarizeGovernors(counts);
  gov["counts"] = std::move(counts_json);
  gov["all_performance"] = counts.size() == 1 && counts.begin()->first == "performance";
  return gov;
}

json::object TurboSection() {
  const auto no_turbo = ReadBoolFlag("/sys/devices/system/cpu/intel_pstate/no_turbo");
  const auto boost = ReadBoolFlag("/sys/devices/system/cpu/cpufreq/boost");
  std::optional<bool> enabled;
  if (no_turbo) enabled = !*no_turbo;
  if (boost) enabled = enabled.value_or(false) || *boost;
  return {{"intel_no_turbo", OrNull(no_turbo)},
          {"cpufreq_boost", OrNull(boost)},
          {"enabled", OrNull(enabled)}};
}

json::object KernelSection() {
  utsname u{};
  if (uname(&u) != 0) {
    return {{"sysname", nullptr}, {"release", nullptr}, {"version", nullptr}, {"machine", nullptr}};
  }
  return {{"sysname", u.sysname},
          {"release", u.release},
          {"version", u.version},
          {"machine", u.machine}};
}

std::optional<std::string> Distro() {
  auto text = ReadFile("/etc/os-release");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
        v = v.substr(1, v.size() - 2);
      }
      return v;
    }
  }
  return std::nullopt;
}

json::object VirtualizationSection(const std::string& cpuinfo) {
  bool hypervisor_flag = false;
  if (auto flags = CpuinfoField(cpuinfo, "flags")) {
    std::istringstream in(*flags);
    std::string f;
    while (in >> f) hypervisor_flag |= f == "hypervisor";
  }
  auto sys_vendor = ReadFirstLine("/sys/class/dmi/id/sys_vendor");
  // --vm: a container on bare metal is not a VM for our purposes.
  std::optional<std::string> detect;
  if (auto r = Run("command -v systemd-detect-virt >/dev/null 2>&1 && "
                   "systemd-detect-virt --vm 2>/dev/null");
      r && !r->out.empty()) {
    detect = r->out;
  }
  bool vendor_vm = false;
  if (sys_vendor) {
    for (const char* v : {"QEMU", "VMware", "innotek", "Xen", "Bochs", "Parallels", "KVM"}) {
      vendor_vm |= sys_vendor->find(v) != std::string::npos;
    }
  }
  const bool is_vm = hypervisor_flag || vendor_vm || (detect && *detect != "none");
  return {{"hypervisor_flag", hypervisor_flag},
          {"sys_vendor", OrNull(sys_vendor)},
          {"systemd_detect_virt", OrNull(detect)},
          {"is_vm", is_vm}};
}

json::value LoadAverage() {
  auto text = ReadFirstLine("/proc/loadavg");
  if (!text) return nullptr;
  double a, b, c;
  if (std::sscanf(text->c_str(), "%lf %lf %lf", &a, &b, &c) != 3) return nullptr;
  return json::object{{"one_min", a}, {"five_min", b}, {"fifteen_min", c}};
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

json::object StorageSection(const std::string& data_dir) {
  json::object s;
  s["data_dir"] = data_dir;
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(data_dir, ec), ec);
  std::optional<MountInfo> mount;
  if (auto mounts = ReadFile("/proc/mounts")) mount = FindMount(*mounts, abs.string());
  s["device"] = mount ? json::value(mount->device) : json::value(nullptr);
  s["filesystem"] = mount ? json::value(mount->filesystem) : json::value(nullptr);
  s["mount_point"] = mount ? json::value(mount->mount_point) : json::value(nullptr);
  struct statfs st {};
  if (statfs(data_dir.c_str(), &st) == 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%lx", static_cast<unsigned long>(st.f_type));
    s["statfs_type"] = buf;
  } else {
    s["statfs_type"] = nullptr;
  }
  return s;
}

// CPUID leaf 1 ECX bit 31 (set by every hypervisor) and the vendor signature of leaf 0x40000000.
struct CpuidHypervisor {
  bool bit = false;
  std::string signature;
};
CpuidHypervisor ReadCpuidHypervisor() {
  CpuidHypervisor h;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0 || (c & (1U << 31)) == 0) return h;
  h.bit = true;
  __cpuid(0x40000000, a, b, c, d);
  std::array<char, 12> sig{};
  std::memcpy(sig.data(), &b, 4);
  std::memcpy(sig.data() + 4, &c, 4);
  std::memcpy(sig.data() + 8, &d, 4);
  h.signature = Trim(std::string(sig.data(), strnlen(sig.data(), sig.size())));
#endif
  return h;
}

// The model of the disk holding `data_dir`: through its st_dev, else (btrfs and other filesystems
// with anonymous device numbers) through the /dev node /proc/mounts names.
std::optional<std::string> StorageModel(const std::string& data_dir,
                                        const std::optional<std::string>& mount_device) {
  struct stat st {};
  if (stat(data_dir.c_str(), &st) == 0) {
    const fs::path entry = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
                           std::to_string(minor(st.st_dev));
    if (auto model = BlockDeviceModel(entry)) return model;
  }
  if (!mount_device || mount_device->rfind("/dev/", 0) != 0) return std::nullopt;
  std::error_code ec;
  const fs::path node = fs::canonical(*mount_device, ec);  // /dev/mapper/x -> /dev/dm-0
  if (ec) return std::nullopt;
  return BlockDeviceModel(fs::path("/sys/class/block") / node.filename());
}

json::object MachineSection(const json::object& env, const std::string& cpuinfo,
                            const std::string& data_dir) {
  MachineFacts m;
  m.cpu_model = FindString(env, {"cpu", "model"});
  const std::vector<std::string> flags = CpuFlags(cpuinfo);
  if (!flags.empty()) {
    std::string joined;
    for (const std::string& f : flags) joined += f + " ";
    m.cpu_flags_sha256 = util::Sha256Hex(joined).substr(0, 16);
    m.cpu_flags_count = static_cast<int64_t>(flags.size());
  }
  m.microcode = CpuinfoField(cpuinfo, "microcode");
  if (auto cores = FindNumber(env, {"cpu", "cores"})) m.cores = static_cast<int64_t>(*cores);
  if (auto pus = FindNumber(env, {"cpu", "pus"})) m.pus = static_cast<int64_t>(*pus);
  if (auto bytes = FindNumber(env, {"memory", "total_bytes"})) {
    m.memory_gib = std::llround(*bytes / (1024.0 * 1024.0 * 1024.0));
  }
  m.kernel_release = FindString(env, {"kernel", "release"});
  const CpuidHypervisor cpuid = ReadCpuidHypervisor();
  m.hypervisor = HypervisorName(
      cpuid.bit || FindBool(env, {"virtualization", "hypervisor_flag"}).value_or(false),
      cpuid.signature, ReadFirstLine("/sys/hypervisor/type"),
      FindString(env, {"virtualization", "systemd_detect_virt"}));
  m.storage_model = StorageModel(data_dir, FindString(env, {"storage", "device"}));
  m.governor = FindString(env, {"governor", "summary"});
  return MachineJson(m);
}

json::object NoiseSection() {
  const NoiseSample s = SampleNoise();
  return {{"before", NoiseSampleJson(s)},
          {"after", nullptr},
          {"steal_fraction", nullptr},
          {"cpu_pressure",
           json::object{{"available", s.pressure.has_value()},
                        {"reason", s.pressure ? std::string()
                                              : CpuPressureUnavailableReason(s.pressure_errno)},
                        {"some_fraction", nullptr}}},
          {"voluntary_context_switches", nullptr},
          {"involuntary_context_switches", nullptr}};
}

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", fraction * 100);
  return buf;
}

void CheckCriterion(ReferenceMatch& m, std::string_view key, const json::value& want,
                    const json::object& env) {
  auto wrong_type = [&](std::string_view type) {
    m.reasons.push_back(std::string(key) + ": expected " + std::string(type) + " in reference");
  };
  auto unknown = [&](std::string_view what) {
    m.reasons.push_back(std::string(key) + ": " + std::string(what) + " unknown on this machine");
  };
  if (key == "cpu_model_contains") {
    if (!want.is_string()) return wrong_type("string");
    auto model = FindString(env, {"cpu", "model"});
    if (!model) return unknown("cpu.model");
    if (model->find(want.get_string()) == std::string::npos) {
      m.reasons.push_back("cpu model \"" + *model + "\" does not contain \"" +
                          std::string(want.get_string()) + "\"");
    }
  } else if (key == "cpu_vendor") {
    if (!want.is_string()) return wrong_type("string");
    auto vendor = FindString(env, {"cpu", "vendor"});
    if (!vendor) return unknown("cpu.vendor");
    if (*vendor != want.get_string()) {
      m.reasons.push_back("cpu vendor \"" + *vendor + "\" != \"" + std::string(want.get_string()) +
                          "\"");
    }
  } else if (key == "min_cores" || key == "min_pus" || key == "min_memory_bytes") {
    if (!want.is_number()) return wrong_type("number");
    const double need = want.to_number<double>();
    auto have = key == "min_cores" ? FindNumber(env, {"cpu", "cores"})
                : key == "min_pus" ? FindNumber(env, {"cpu", "pus"})
                                   : FindNumber(env, {"memory", "total_bytes"});
    if (!have) return unknown(key);
    if (*have < need) {
      m.reasons.push_back(std::string(key) + ": have " + FormatNumber(*have) + ", need " +
                          FormatNumber(need));
    }
  } else if (key == "hypervisor" || key == "smt" || key == "turbo") {
    if (!want.is_bool()) return wrong_type("bool");
    auto have = key == "hypervisor" ? FindBool(env, {"virtualization", "is_vm"})
                : key == "smt"      ? FindBool(env, {"smt", "active"})
                                    : FindBool(env, {"turbo", "enabled"});
    if (!have) return unknown(key);
    if (*have != want.get_bool()) {
      m.reasons.push_back(std::string(key) + ": have " + (*have ? "true" : "false") +
                          ", reference wants " + (want.get_bool() ? "true" : "false"));
    }
  } else if (key == "kernel_release_prefix") {
    if (!want.is_string()) return wrong_type("string");
    auto rel = FindString(env, {"kernel", "release"});
    if (!rel) return unknown("kernel.release");
    if (rel->rfind(want.get_string(), 0) != 0) {
      m.reasons.push_back("kernel " + *rel + " does not start with " +
                          std::string(want.get_string()));
    }
  } else if (key == "governor") {
    if (!want.is_string()) return wrong_type("string");
    auto summary = FindString(env, {"governor", "summary"});
    if (!summary) return unknown("cpufreq governor");
    const json::value* counts = Find(env, {"governor", "counts"});
    const bool ok = counts != nullptr && counts->is_object() && counts->get_object().size() == 1 &&
                    counts->get_object().contains(want.get_string());
    if (!ok) {
      m.reasons.push_back("governor " + *summary + ", reference wants " +
                          std::string(want.get_string()) + " on every CPU");
    }
  } else if (key == "description" || key == "name" || key == "notes" ||
             (!key.empty() && key[0] == '_')) {
    // Documentation, not a criterion.
  } else {
    // A criterion we do not understand cannot be claimed as met.
    m.reasons.push_back("unknown criterion \"" + std::string(key) + "\"");
  }
}

}  // namespace

// ----------------------------------------------------------------------------- public

BuildInfo CurrentBuildInfo() {
  BuildInfo b;
  b.compiler_id = STATELAB_COMPILER_ID;
  b.compiler_version = STATELAB_COMPILER_VERSION;
  b.flags = Trim(STATELAB_CXX_FLAGS);
  b.build_type = STATELAB_BUILD_TYPE;
#ifdef __OPTIMIZE__
  b.optimized = true;
#else
  b.optimized = false;
#endif
#ifdef NDEBUG
  b.assertions = false;
#else
  b.assertions = true;
#endif
  b.sanitizers = b.flags.find("-fsanitize") != std::string::npos;
  return b;
}

std::string DefaultRepoRoot() { return STATELAB_SOURCE_DIR; }

GitInfo CaptureGit(const std::string& repo_root) {
  GitInfo g;
  const std::string git = "git -C " + ShellQuote(repo_root) + " ";
  if (auto r = Run(git + "rev-parse --verify -q HEAD 2>/dev/null"); r && r->status == 0) {
    if (!r->out.empty()) g.commit = r->out;
  }
  if (auto r = Run(git + "symbolic-ref --short -q HEAD 2>/dev/null"); r && r->status == 0) {
    if (!r->out.empty()) g.branch = r->out;
  } else if (g.commit != "unknown") {
    g.branch = "HEAD";  // Detached.
  }
  // Untracked files count: a new source file not yet committed changes the build.
  if (auto r = Run(git + "status --porcelain 2>/dev/null"); r && r->status == 0) {
    g.dirty = !r->out.empty();
  }
  return g;
}

BaselineValidity AssessBaselineValidity(const BuildInfo& build, const GitInfo& git) {
  BaselineValidity v;
  if (!build.optimized) {
    v.reasons.push_back("unoptimized build (build type " + build.build_type +
                        ", __OPTIMIZE__ not defined)");
  }
  if (build.assertions) v.reasons.emplace_back("assertions enabled (NDEBUG not defined)");
  if (build.sanitizers) v.reasons.push_back("sanitizer build (" + build.flags + ")");
  if (git.commit == "unknown") v.reasons.emplace_back("git commit unknown");
  if (!git.dirty.has_value()) {
    v.reasons.emplace_back("git tree state unknown");
  } else if (*git.dirty) {
    v.reasons.emplace_back("git tree dirty (uncommitted or untracked changes)");
  }
  v.valid_as_baseline = v.reasons.empty();
  return v;
}

ReferenceMatch MatchReferenceSpec(const json::object& env, const json::object& spec) {
  ReferenceMatch m;
  m.defined = true;
  for (const auto& kv : spec) CheckCriterion(m, kv.key(), kv.value(), env);
  m.match = m.reasons.empty();
  return m;
}

ReferenceMatch MatchReferencePlatform(const json::object& env, const std::string& path) {
  ReferenceMatch m;
  m.file = path;
  if (path.empty()) {
    m.reasons.emplace_back("no reference platform defined (no file given)");
    return m;
  }
  auto text = ReadFile(path);
  if (!text) {
    m.reasons.push_back("no reference platform defined (" + path + " not found)");
    return m;
  }
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) {
    m.reasons.push_back("no reference platform defined (" + path + " is not a JSON object" +
                        (ec ? ": " + ec.message() : std::string()) + ")");
    return m;
  }
  ReferenceMatch r = MatchReferenceSpec(env, v.get_object());
  r.file = path;
  return r;
}

boost::json::object CaptureEnvironment(const EnvironmentOptions& options, const GitInfo& git) {
  json::object env;
  const std::string cpuinfo = ReadFile("/proc/cpuinfo").value_or("");
  env["hostname"] = Hostname();
  env["utc_time"] = UtcIso8601(std::time(nullptr));
  env["cpu"] = CpuSection(cpuinfo);
  env["memory"] = MemorySection();
  env["governor"] = GovernorSection();
  env["turbo"] = TurboSection();
  env["smt"] =
      json::object{{"active", OrNull(ReadBoolFlag("/sys/devices/system/cpu/smt/active"))},
                   {"control", OrNull(ReadFirstLine("/sys/devices/system/cpu/smt/control"))}};
  env["kernel"] = KernelSection();
  env["distro"] = OrNull(Distro());
  env["virtualization"] = VirtualizationSection(cpuinfo);
  auto thp = [](const char* file) -> json::value {
    auto line = ReadFirstLine(std::string("/sys/kernel/mm/transparent_hugepage/") + file);
    return line ? OrNull(BracketedChoice(*line)) : json::value(nullptr);
  };
  env["thp"] = json::object{{"enabled", thp("enabled")}, {"defrag", thp("defrag")}};
  env["aslr"] = OrNull(ReadInt("/proc/sys/kernel/randomize_va_space"));
  // What steady_clock reads: tsc is cheap; kvm-clock/hpet/acpi_pm make every timer call dearer.
  env["clocksource"] =
      OrNull(ReadFirstLine("/sys/devices/system/clocksource/clocksource0/current_clocksource"));
  env["load_average"] = json::object{{"before", LoadAverage()}, {"after", nullptr}};
  const BuildInfo& b = options.build;
  env["compiler"] = json::object{{"id", b.compiler_id},      {"version", b.compiler_version},
                                 {"flags", b.flags},         {"build_type", b.build_type},
                                 {"optimized", b.optimized}, {"assertions", b.assertions}};
  env["storage"] = StorageSection(options.data_dir);
  env["machine"] = MachineSection(env, cpuinfo, options.data_dir);
  env["noise"] = NoiseSection();
  if (options.probe_perf) {
    const PerfProbe p = ProbePerfCounters();
    env["perf"] = json::object{{"available", p.available},
                               {"reason", p.reason},
                               {"software_available", p.software_available}};
  } else {
    env["perf"] =
        json::object{{"available", false}, {"reason", "not probed"}, {"software_available", false}};
  }

  const ReferenceMatch ref = MatchReferencePlatform(env, options.reference_platform_path);
  json::array ref_reasons;
  for (const auto& r : ref.reasons) ref_reasons.emplace_back(r);
  env["reference_platform"] = json::object{{"file", ref.file},
                                           {"defined", ref.defined},
                                           {"match", ref.match},
                                           {"reasons", std::move(ref_reasons)}};

  const BaselineValidity validity = AssessBaselineValidity(b, git);
  json::array validity_reasons;
  for (const auto& r : validity.reasons) validity_reasons.emplace_back(r);
  env["baseline_validity"] = json::object{{"valid_as_baseline", validity.valid_as_baseline},
                                          {"reasons", std::move(validity_reasons)}};

  json::array warnings;
  for (const auto& w : EnvironmentWarnings(env)) warnings.emplace_back(w);
  env["warnings"] = std::move(warnings);
  return env;
}

void RecordRunEnd(json::object& env) { RecordRunEnd(env, SampleNoise()); }

void RecordRunEnd(json::object& env, const NoiseSample& end) {
  json::value* la = env.if_contains("load_average");
  if (la == nullptr || !la->is_object()) {
    env["load_average"] = json::object{{"before", nullptr}, {"after", LoadAverage()}};
  } else {
    la->get_object()["after"] = LoadAverage();
  }
  json::value* noise = env.if_contains("noise");
  if (noise == nullptr || !noise->is_object()) noise = &(env["noise"] = NoiseSection());
  json::object& n = noise->get_object();
  const json::value* before = n.if_contains("before");
  const NoiseWindow run{before != nullptr && before->is_object()
                            ? NoiseSampleFromJson(before->get_object())
                            : NoiseSample{},
                        end};
  const NoiseFigures f = SumNoise(std::span(&run, 1));
  n["after"] = NoiseSampleJson(end);
  n["steal_fraction"] = f.steal_fraction ? json::value(*f.steal_fraction) : json::value(nullptr);
  json::value& psi = n["cpu_pressure"];
  if (!psi.is_object()) psi = json::object{};
  psi.get_object()["some_fraction"] = f.cpu_pressure_some_fraction
                                          ? json::value(*f.cpu_pressure_some_fraction)
                                          : json::value(nullptr);
  n["voluntary_context_switches"] = OrNull(f.voluntary_context_switches);
  n["involuntary_context_switches"] = OrNull(f.involuntary_context_switches);

  json::value& w = env["warnings"];
  if (!w.is_array()) w = json::array{};
  if (f.steal_fraction && *f.steal_fraction > kNoisyStealFraction) {
    w.get_array().emplace_back("steal time " + Percent(*f.steal_fraction) +
                               " of CPU time during the run (> " + Percent(kNoisyStealFraction) +
                               "): the hypervisor ran other guests on our CPUs");
  }
  if (f.cpu_pressure_some_fraction && *f.cpu_pressure_some_fraction > kNoisyCpuPressureFraction) {
    w.get_array().emplace_back("CPU pressure: some task waited for a CPU " +
                               Percent(*f.cpu_pressure_some_fraction) + " of the run (> " +
                               Percent(kNoisyCpuPressureFraction) +
                               "; /proc/pressure/cpu, includes the benchmark's own threads)");
  }
}

std::vector<std::string> EnvironmentWarnings(const json::object& env) {
  std::vector<std::string> w;
  const auto all_perf = FindBool(env, {"governor", "all_performance"});
  if (!all_perf) {
    w.emplace_back("cpufreq governor unknown (no cpufreq in sysfs): clock policy not controlled");
  } else if (!*all_perf) {
    w.push_back("cpufreq governor is not 'performance' on every CPU (" +
                FindString(env, {"governor", "summary"}).value_or("?") + ")");
  }
  if (FindBool(env, {"turbo", "enabled"}).value_or(false)) {
    w.emplace_back("turbo/boost is on: clock speed varies with load and temperature");
  }
  if (FindBool(env, {"smt", "active"}).value_or(false)) {
    w.emplace_back("SMT is on: sibling hardware threads share a core");
  }
  if (auto load = FindNumber(env, {"load_average", "before", "one_min"});
      load && *load > kQuietLoadAverage) {
    w.push_back("load average " + FormatNumber(*load) + " > " + FormatNumber(kQuietLoadAverage) +
                " before the run");
  }
  if (FindBool(env, {"virtualization", "is_vm"}).value_or(false)) {
    auto what = FindString(env, {"virtualization", "systemd_detect_virt"});
    w.push_back("running in a virtual machine" + (what ? " (" + *what + ")" : std::string()) +
                ": noisy neighbours and steal time affect results");
  }
  if (!FindBool(env, {"perf", "available"}).value_or(false)) {
    w.push_back("hardware perf counters unavailable: " +
                FindString(env, {"perf", "reason"}).value_or("unknown"));
  }
  if (!FindBool(env, {"baseline_validity", "valid_as_baseline"}).value_or(false)) {
    std::string why;
    if (const json::value* r = Find(env, {"baseline_validity", "reasons"}); r && r->is_array()) {
      for (const auto& e : r->get_array()) {
        if (!e.is_string()) continue;
        if (!why.empty()) why += "; ";
        why += e.get_string();
      }
    }
    w.push_back("not valid as a baseline: " + why);
  }
  if (!FindBool(env, {"reference_platform", "match"}).value_or(false)) {
    std::string why;
    if (const json::value* r = Find(env, {"reference_platform", "reasons"}); r && r->is_array()) {
      for (const auto& e : r->get_array()) {
        if (!e.is_string()) continue;
        if (!why.empty()) why += "; ";
        why += e.get_string();
      }
    }
    w.push_back("not the reference platform: " + why);
  }
  return w;
}

std::string UtcIso8601(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string MakeRunId(std::time_t t, std::string_view commit, std::string_view label) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d_%H-%M-%S", &tm);
  std::string id = "run_";
  id += buf;
  id += '_';
  id += commit.substr(0, 12);
  if (!label.empty()) {
    id += '_';
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      id += ok ? c : '-';
    }
  }
  return id;
}

json::object MachineJson(const MachineFacts& f) {
  json::object m;
  m["cpu_model"] = OrNull(f.cpu_model);
  m["cpu_flags_sha256"] = OrNull(f.cpu_flags_sha256);
  m["cpu_flags_count"] = OrNull(f.cpu_flags_count);
  m["microcode"] = OrNull(f.microcode);
  m["cores"] = OrNull(f.cores);
  m["pus"] = OrNull(f.pus);
  m["memory_gib"] = OrNull(f.memory_gib);
  m["kernel_release"] = OrNull(f.kernel_release);
  m["hypervisor"] = OrNull(f.hypervisor);
  m["storage_model"] = OrNull(f.storage_model);
  m["governor"] = OrNull(f.governor);
  m["fingerprint"] = MachineFingerprint(m);
  return m;
}

std::string MachineFingerprint(const json::object& machine) {
  std::string canonical = "statelab-machine-1\n";
  for (std::string_view field : kMachineFields) {
    const json::value* v = machine.if_contains(field);
    canonical += std::string(field) + "=" + (v != nullptr ? json::serialize(*v) : "null") + "\n";
  }
  return util::Sha256Hex(canonical);
}

std::string ShortFingerprint(std::string_view fingerprint) {
  return std::string(fingerprint.substr(0, 12));
}

std::vector<std::string> CpuFlags(std::string_view cpuinfo) {
  std::optional<std::string> line = CpuinfoField(cpuinfo, "flags");
  if (!line) line = CpuinfoField(cpuinfo, "Features");
  std::set<std::string> flags;
  if (line) {
    std::istringstream in(*line);
    std::string f;
    while (in >> f) flags.insert(f);
  }
  return {flags.begin(), flags.end()};
}

std::string HypervisorName(bool hypervisor_bit, std::string_view cpuid_signature,
                           const std::optional<std::string>& sys_hypervisor_type,
                           const std::optional<std::string>& detect_virt) {
  if (!cpuid_signature.empty()) return std::string(cpuid_signature);
  if (sys_hypervisor_type && !sys_hypervisor_type->empty()) return *sys_hypervisor_type;
  if (detect_virt && !detect_virt->empty() && *detect_virt != "none") return *detect_virt;
  return hypervisor_bit ? "unknown" : "none";
}

std::optional<std::string> BlockDeviceModel(const fs::path& sys_block_entry) {
  std::error_code ec;
  fs::path dev = fs::canonical(sys_block_entry, ec);
  if (ec) return std::nullopt;
  if (fs::exists(dev / "partition", ec)) dev = dev.parent_path();
  if (auto model = ReadFirstLine((dev / "device/model").string()); model && !model->empty()) {
    return model;
  }
  if (auto alias = ReadFirstLine((dev / "device/modalias").string()); alias && !alias->empty()) {
    return alias;
  }
  std::set<std::string> below;  // device-mapper, md: the disks they are built on
  for (const auto& slave : fs::directory_iterator(dev / "slaves", ec)) {
    if (auto model = BlockDeviceModel(slave.path())) below.insert(*model);
  }
  if (!below.empty()) {
    std::string joined;
    for (const std::string& m : below) joined += (joined.empty() ? "" : " + ") + m;
    return joined;
  }
  return dev.filename().string();
}

std::optional<std::string> BracketedChoice(std::string_view text) {
  const auto open = text.find('[');
  const auto close = text.find(']', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  return std::string(text.substr(open + 1, close - open - 1));
}

std::string SummarizeGovernors(const std::map<std::string, int>& counts) {
  std::string s;
  for (const auto& [name, n] : counts) {
    if (!s.empty()) s += ", ";
    s += name + " x" + std::to_string(n);
  }
  return s;
}

std::optional<std::string> CpuinfoField(std::string_view cpuinfo, std::string_view key) {
  size_t pos = 0;
  while (pos < cpuinfo.size()) {
    size_t end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    const std::string_view line = cpuinfo.substr(pos, end - pos);
    pos = end + 1;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (Trim(line.substr(0, colon)) == key) return Trim(line.substr(colon + 1));
  }
  return std::nullopt;
}

std::optional<MountInfo> FindMount(std::string_view proc_mounts, std::string_view path) {
  auto unescape = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
        i += 3;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  auto contains = [](std::string_view mount, std::string_view p) {
    if (mount == "/") return !p.empty() && p[0] == '/';
    return p.substr(0, mount.size()) == mount &&
           (p.size() == mount.size() || p[mount.size()] == '/');
  };
  std::optional<MountInfo> best;
  std::istringstream in{std::string(proc_mounts)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string dev, mnt, type;
    if (!(ls >> dev >> mnt >> type)) continue;
    mnt = unescape(mnt);
    // Later mounts over the same point shadow earlier ones, hence >=.
    if (contains(mnt, path) && (!best || mnt.size() >= best->mount_point.size())) {
      best = MountInfo{unescape(dev), mnt, type};
    }
  }
  return best;
}

}  // namespace statelab::harness
