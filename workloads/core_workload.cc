#include "workloads/core_workload.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "util/sha256.h"

namespace statelab::workloads {

namespace {

constexpr std::string_view kCoreWorkloadClass = "site.ycsb.workloads.CoreWorkload";
// More client threads than this would only measure the scheduler on any machine we run on.
constexpr uint64_t kMaxThreadCount = 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\f')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// `v` in single quotes. Built by appends: GCC 12's -Wrestrict misfires on "'" + std::string.
std::string Quoted(std::string_view v) {
  std::string q;
  q.reserve(v.size() + 2);
  q += '\'';
  q += v;
  q += '\'';
  return q;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// What a property holds and how its text is checked and stored.
struct Setter {
  // Empty when the text is valid; else what is wrong with it.
  std::function<std::string(std::string_view, CoreWorkload&)> set;
  std::string default_value;
};

std::string SetCount(std::string_view v, uint64_t* out) {
  if (!v.empty() && v.front() == '-') return Quoted(v) + " is negative; must be > 0";
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) {
    return Quoted(v) + " is not a positive integer";
  }
  if (n == 0) return "is 0; must be > 0";
  *out = n;
  return {};
}

// A number in [lo, hi] (open at either end when the flag says so).
std::string SetFraction(std::string_view v, double* out, double lo, double hi, bool open_lo,
                        bool open_hi) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d)) {
    return Quoted(v) + " is not a number";
  }
  if (d < lo || d > hi || (open_lo && d == lo) || (open_hi && d == hi)) {
    std::ostringstream os;
    os << "'" << v << "' is outside " << (open_lo ? "(" : "[") << lo << ", " << hi
       << (open_hi ? ")" : "]");
    return os.str();
  }
  *out = d;
  return {};
}

std::string SetBool(std::string_view v, bool* out) {
  if (v == "true") {
    *out = true;
  } else if (v == "false") {
    *out = false;
  } else {
    return Quoted(v) + " is not true or false";
  }
  return {};
}

template <class T>
std::string SetChoice(std::string_view v, T* out,
                      std::initializer_list<std::pair<std::string_view, T>> choices,
                      std::string_view what) {
  std::string known;
  for (const auto& [name, value] : choices) {
    if (v == name) {
      *out = value;
      return {};
    }
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  return Quoted(v) + " is not a " + std::string(what) + " this harness has (supported: " + known +
         ")";
}

const std::map<std::string, Setter, std::less<>>& Setters() {
  using D = Distribution;
  static const auto* setters = new std::map<std::string, Setter, std::less<>>{
      {"workload",
       {[](std::string_view v, CoreWorkload&) -> std::string {
          if (v == kCoreWorkloadClass || v == "com.yahoo.ycsb.workloads.CoreWorkload") return {};
          return Quoted(v) + " is not " + std::string(kCoreWorkloadClass) +
                 " (only the CoreWorkload is supported)";
        },
        std::string(kCoreWorkloadClass)}},
      {"recordcount",
       {[](std::string_view v, CoreWorkload& w) { return SetCount(v, &w.record_count); }, "1000"}},
      {"operationcount",
       {[](std::string_view v, CoreWorkload& w) { return SetCount(v, &w.operation_count); },
        "1000"}},
      {"fieldcount",
       {[](std::string_view v, CoreWorkload& w) { return SetCount(v, &w.field_count); }, "10"}},
      {"fieldlength",
       {[](std::string_view v, CoreWorkload& w) { return SetCount(v, &w.field_length); }, "100"}},
      {"fieldlengthdistribution",
       {[](std::string_view v, CoreWorkload& w) {
          return SetChoice(
              v, &w.field_length_distribution,
              {{"constant", D::kConstant}, {"uniform", D::kUniform}, {"zipfian", D::kZipfian}},
              "field length distribution");
        },
        "constant"}},
      {"readallfields",
       {[](std::string_view v, CoreWorkload& w) { return SetBool(v, &w.read_all_fields); },
        "true"}},
      {"writeallfields",
       {[](std::string_view v, CoreWorkload& w) { return SetBool(v, &w.write_all_fields); },
        "false"}},
      {"readproportion",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.read_proportion, 0, 1, false, false);
        },
        "0.95"}},
      {"updateproportion",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.update_proportion, 0, 1, false, false);
        },
        "0.05"}},
      {"insertproportion",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.insert_proportion, 0, 1, false, false);
        },
        "0"}},
      {"scanproportion",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.scan_proportion, 0, 1, false, false);
        },
        "0"}},
      {"readmodifywriteproportion",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.read_modify_write_proportion, 0, 1, false, false);
        },
        "0"}},
      {"requestdistribution",
       {[](std::string_view v, CoreWorkload& w) {
          return SetChoice(v, &w.request_distribution,
                           {{"uniform", D::kUniform},
                            {"zipfian", D::kZipfian},
                            {"latest", D::kLatest},
                            {"hotspot", D::kHotspot}},
                           "request distribution");
        },
        "uniform"}},
      {"zipfianconstant",
       {[](std::string_view v, CoreWorkload& w) {
          // The Gray et al. generator divides by 1 - theta.
          return SetFraction(v, &w.zipfian_constant, 0, 1, true, true);
        },
        "0.99"}},
      {"hotspotdatafraction",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.hotspot_data_fraction, 0, 1, true, false);
        },
        "0.2"}},
      {"hotspotopnfraction",
       {[](std::string_view v, CoreWorkload& w) {
          return SetFraction(v, &w.hotspot_opn_fraction, 0, 1, false, false);
        },
        "0.8"}},
      {"maxscanlength",
       {[](std::string_view v, CoreWorkload& w) { return SetCount(v, &w.max_scan_length); },
        "1000"}},
      {"scanlengthdistribution",
       {[](std::string_view v, CoreWorkload& w) {
          return SetChoice(v, &w.scan_length_distribution,
                           {{"uniform", D::kUniform}, {"zipfian", D::kZipfian}},
                           "scan length distribution");
        },
        "uniform"}},
      {"insertorder",
       {[](std::string_view v, CoreWorkload& w) {
          return SetChoice(v, &w.insert_order,
                           {{"hashed", InsertOrder::kHashed}, {"ordered", InsertOrder::kOrdered}},
                           "insert order");
        },
        "hashed"}},
      {"threadcount",
       {[](std::string_view v, CoreWorkload& w) -> std::string {
          uint64_t n = 0;
          if (std::string e = SetCount(v, &n); !e.empty()) return e;
          if (n > kMaxThreadCount) {
            return Quoted(v) + " is over " + std::to_string(kMaxThreadCount) + " client threads";
          }
          w.thread_count = n;
          return {};
        },
        "1"}},
  };
  return *setters;
}

std::string Nearest(std::string_view name) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& [known, setter] : Setters()) {
    const size_t d = EditDistance(name, known);
    if (d < best_d) {
      best_d = d;
      best = known;
    }
  }
  return best;
}

// Where a property got its value: "<source>:<line>" or an override's origin.
struct Origin {
  std::string where;
  int line = 0;  // 0 for overrides
};

}  // namespace

std::string_view DistributionName(Distribution d) noexcept {
  switch (d) {
    case Distribution::kConstant:
      return "constant";
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kZipfian:
      return "zipfian";
    case Distribution::kLatest:
      return "latest";
    case Distribution::kHotspot:
      return "hotspot";
  }
  return "unknown";
}

std::vector<std::string_view> KnownProperties() {
  std::vector<std::string_view> out;
  for (const auto& [name, setter] : Setters()) out.push_back(name);
  return out;
}

Result<PropertyOverride> ParseOverride(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos || Trim(arg.substr(0, eq)).empty()) {
    return Status::InvalidArgument("-p: '" + std::string(arg) + "' is not name=value");
  }
  return PropertyOverride{std::string(Trim(arg.substr(0, eq))),
                          std::string(Trim(arg.substr(eq + 1))), "-p"};
}

Result<CoreWorkload> ParseCoreWorkload(std::string_view text, std::string_view source,
                                       std::string_view name,
                                       std::span<const PropertyOverride> overrides) {
  CoreWorkload w;
  w.name = std::string(name);
  w.source = std::string(source);
  w.file_sha256 = util::Sha256Hex(text);
  std::vector<std::string> errors;
  std::map<std::string, Origin, std::less<>> origin;
  std::map<std::string, std::string, std::less<>> values;
  for (const auto& [prop, setter] : Setters()) values[prop] = setter.default_value;

  auto apply = [&](std::string_view prop, std::string_view value, const Origin& from) {
    const std::string at =
        from.line > 0 ? from.where + ":" + std::to_string(from.line) : from.where;
    auto it = Setters().find(prop);
    if (it == Setters().end()) {
      errors.push_back(at + ": " + std::string(prop) + ": unknown property (did you mean " +
                       Nearest(prop) + "?)");
      return;
    }
    if (from.line > 0) {
      if (auto seen = origin.find(prop); seen != origin.end() && seen->second.line > 0) {
        errors.push_back(at + ": " + std::string(prop) + ": set twice (first at line " +
                         std::to_string(seen->second.line) + ")");
        return;
      }
    }
    if (std::string e = it->second.set(value, w); !e.empty()) {
      errors.push_back(at + ": " + std::string(prop) + ": " + e);
      return;
    }
    origin[std::string(prop)] = from;
    values[std::string(prop)] = std::string(value);
  };

  int line_no = 0;
  for (size_t pos = 0; pos <= text.size();) {
    const size_t nl = std::min(text.find('\n', pos), text.size());
    std::string_view line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    const size_t sep = line.find_first_of("=: \t");
    std::string_view prop = Trim(line.substr(0, sep));
    std::string_view value;
    if (sep != std::string_view::npos) {
      value = Trim(line.substr(sep));
      if (!value.empty() && (value.front() == '=' || value.front() == ':')) {
        value = Trim(value.substr(1));
      }
    }
    apply(prop, value, Origin{std::string(source), line_no});
  }
  for (const PropertyOverride& o : overrides) apply(o.name, o.value, Origin{o.origin, 0});

  // Cross-property checks, named after where the last property involved was set.
  auto where = [&](std::initializer_list<std::string_view> props) {
    const Origin* last = nullptr;
    std::string prop;
    for (std::string_view p : props) {
      auto it = origin.find(p);
      if (it == origin.end()) continue;
      if (last == nullptr || it->second.line == 0 ||
          (last->line > 0 && it->second.line > last->line)) {
        last = &it->second;
        prop = std::string(p);
      }
    }
    if (last == nullptr) return std::string(source) + ": " + std::string(*props.begin());
    return (last->line > 0 ? last->where + ":" + std::to_string(last->line) : last->where) + ": " +
           prop;
  };
  const double sum = w.read_proportion + w.update_proportion + w.insert_proportion +
                     w.scan_proportion + w.read_modify_write_proportion;
  if (std::abs(sum - 1.0) > 1e-9) {
    std::ostringstream os;
    os << where({"readproportion", "updateproportion", "insertproportion", "scanproportion",
                 "readmodifywriteproportion"})
       << ": the proportions sum to " << sum << ", not 1 (readproportion=" << w.read_proportion
       << " updateproportion=" << w.update_proportion << " insertproportion=" << w.insert_proportion
       << " scanproportion=" << w.scan_proportion
       << " readmodifywriteproportion=" << w.read_modify_write_proportion << ")";
    errors.push_back(os.str());
  }
  if (w.field_length > (uint64_t{1} << 24) / w.field_count) {  // no overflow: both >= 1
    errors.push_back(where({"fieldcount", "fieldlength"}) +
                     ": a record of fieldcount x fieldlength bytes is over 16 MiB");
  }
  if (w.operation_count < w.thread_count) {
    errors.push_back(where({"operationcount", "threadcount"}) + ": " +
                     std::to_string(w.thread_count) +
                     " client threads need at least as many "
                     "operations (operationcount=" +
                     std::to_string(w.operation_count) + ")");
  }
  if (!errors.empty()) {
    std::string msg;
    for (const std::string& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(msg);
  }
  std::string canonical = "statelab-ycsb-1\n";
  for (const auto& [prop, value] : values) {
    w.properties[prop] = value;
    canonical.append(prop).append("=").append(value).append("\n");
  }
  w.definition_sha256 = util::Sha256Hex(canonical);
  return w;
}

Result<CoreWorkload> LoadCoreWorkload(const std::string& path,
                                      std::span<const PropertyOverride> overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot read the workload file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return ParseCoreWorkload(text.str(), path, std::filesystem::path(path).stem().string(),
                           overrides);
}

}  // namespace statelab::workloads
