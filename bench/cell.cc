#include "bench/cell.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "bench/flags.h"
#include "engines/peers/peer_list.h"

namespace statelab::bench {

namespace {

constexpr std::string_view kVirtualSuffix = "+any";

std::string FormatParam(const harness::ParamValue& v) {
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  const double d = std::get<double>(v);
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

bool Contains(const std::vector<std::string>& list, std::string_view x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

}  // namespace

std::string_view SuiteName(Suite s) noexcept {
  switch (s) {
    case Suite::kQuick:
      return "quick";
    case Suite::kStandard:
      return "standard";
    case Suite::kFull:
      return "full";
  }
  return "unknown";
}

std::optional<Suite> ParseSuite(std::string_view name) noexcept {
  for (Suite s : {Suite::kQuick, Suite::kStandard, Suite::kFull}) {
    if (SuiteName(s) == name) return s;
  }
  return std::nullopt;
}

std::string VirtualLabel(std::string_view engine) {
  return std::string(engine) + std::string(kVirtualSuffix);
}

std::string_view BaseEngine(std::string_view label) noexcept {
  if (label.size() > kVirtualSuffix.size() && label.ends_with(kVirtualSuffix)) {
    label.remove_suffix(kVirtualSuffix.size());
  }
  return label;
}

std::string_view EngineKind(std::string_view label) noexcept {
  const std::string_view base = BaseEngine(label);
  if (peers::IsPeer(base)) return "peer";
  if (base == kNullEngine || base == kDeviceEngine) return "harness";
  return "engine";
}

std::string ParamsSegment(const harness::Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += ',';
    out += k + "=" + FormatParam(v);
  }
  return out;
}

std::string CellKey::Name() const {
  std::string name = tier + "/" + group + "/" + op + "/" + engine + "/" + mode;
  std::string seg = thread_series ? "threads=" + std::to_string(threads) : std::string();
  const std::string p = ParamsSegment(params);
  if (!p.empty()) seg += (seg.empty() ? "" : ",") + p;
  if (!seg.empty()) name += "/" + seg;
  return name;
}

Catalogue::Catalogue(CatalogueOptions options) : options_(std::move(options)) {}

bool Catalogue::EngineSelected(std::string_view label) const {
  // Peers run only when asked for (by name or --engines all): the default run stays short.
  if (options_.engines.empty()) return !peers::IsPeer(BaseEngine(label));
  return Contains(options_.engines, BaseEngine(label));
}

bool Catalogue::TierSelected(std::string_view tier) const {
  return options_.tiers.empty() || Contains(options_.tiers, tier);
}

std::vector<DurabilityMode> Catalogue::Modes() const {
  std::vector<DurabilityMode> out;
  for (DurabilityMode m : kAllModes) {
    if (options_.modes.empty() || Contains(options_.modes, ModeName(m))) out.push_back(m);
  }
  return out;
}

void Catalogue::SetAvailability(std::string_view engine, DurabilityMode mode, std::string why_not) {
  availability_[std::string(engine) + "|" + std::string(ModeName(mode))] = std::move(why_not);
}

bool Catalogue::Selected(const CellKey& key, Suite suite) const {
  if (static_cast<int>(suite) > static_cast<int>(options_.suite)) return false;
  if (!TierSelected(key.tier) || !EngineSelected(key.engine)) return false;
  if (key.mode != kModeNotApplicable && !options_.modes.empty() &&
      !Contains(options_.modes, key.mode)) {
    return false;
  }
  return !options_.filter || std::regex_search(key.Name(), *options_.filter);
}

void Catalogue::Add(CellDef def) {
  if (!Selected(def.key, def.suite)) return;
  auto it = availability_.find(std::string(BaseEngine(def.key.engine)) + "|" + def.key.mode);
  if (it != availability_.end() && !it->second.empty()) {
    skipped_.push_back({std::move(def.key), it->second, false});
    return;
  }
  cells_.push_back(std::move(def));
}

void Catalogue::Skip(CellKey key, Suite suite, std::string reason) {
  if (!Selected(key, suite)) return;
  skipped_.push_back({std::move(key), std::move(reason), false});
}

std::string Catalogue::ScratchDir(std::string_view tag) {
  return (std::filesystem::path(options_.data_root) /
          ("probe-" + std::string(tag) + "-" + std::to_string(scratch_++)))
      .string();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace statelab::bench
