#include "reports/merge.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "harness/baseline.h"
#include "harness/derived.h"
#include "harness/environment.h"
#include "util/json.h"

namespace statelab::reports {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// The bench's own count warnings, recomputed for the merged run.
constexpr char kFailedWarningTail[] = "benchmark cells failed (baseline.json skipped[] with failed: true)";
constexpr char kSkippedWarningTail[] = "benchmark cells skipped (reasons in baseline.json skipped[])";

struct Part {
  std::string dir;
  std::optional<json::object> shard;        // shard.json
  std::optional<harness::Baseline> run;     // baseline.json when the task finished
  json::array run_skipped;                  // its skipped[]
  std::string status;                       // fleet_status.txt, "" when absent
  std::map<std::string, size_t> order;      // cell name -> position in the whole selection
  int index = 0;
  std::string fingerprint;
  std::string host;
};

std::string Str(const json::object& o, std::string_view path) {
  return util::AsString(util::FindPath(o, path)).value_or("");
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

Result<Part> LoadPart(const std::string& dir) {
  Part p;
  p.dir = dir;
  const fs::path base(dir);
  std::error_code ec;
  if (fs::exists(base / "shard.json", ec)) {
    STATELAB_ASSIGN_OR_RETURN(json::value v, util::LoadJsonFile((base / "shard.json").string()));
    if (!v.is_object() || Str(v.get_object(), "kind") != harness::kShardFileKind) {
      return Status::InvalidArgument(dir + "/shard.json: not a shard file (kind \"" +
                                     std::string(harness::kShardFileKind) + "\")");
    }
    p.shard = std::move(v.get_object());
    p.index = static_cast<int>(util::AsNumber(p.shard->if_contains("shard_index")).value_or(0));
    p.fingerprint = Str(*p.shard, "machine_fingerprint");
    p.host = Str(*p.shard, "host");
    for (std::string_view list : {"cells", "skipped"}) {
      const json::value* cells = p.shard->if_contains(list);
      if (cells == nullptr || !cells->is_array()) {
        return Status::InvalidArgument(dir + "/shard.json: " + std::string(list) +
                                       ": expected array");
      }
      for (const json::value& c : cells->get_array()) {
        const std::optional<double> order =
            c.is_object() ? util::AsNumber(c.get_object().if_contains("order")) : std::nullopt;
        if (!order) {
          return Status::InvalidArgument(dir + "/shard.json: " + std::string(list) +
                                         "[]: a cell without a name and order");
        }
        p.order[Str(c.get_object(), "name")] = static_cast<size_t>(*order);
      }
    }
  }
  if (fs::exists(base / "baseline.json", ec)) {
    const std::string path = (base / "baseline.json").string();
    STATELAB_ASSIGN_OR_RETURN(json::value v, util::LoadJsonFile(path));
    STATELAB_ASSIGN_OR_RETURN(harness::Baseline b, harness::FromJson(v, path));
    if (const json::value* s = v.get_object().if_contains("skipped"); s != nullptr && s->is_array()) {
      p.run_skipped = s->get_array();
    }
    const std::string fp = Str(b.environment, "machine.fingerprint");
    if (p.shard && fp != p.fingerprint) {
      return Status::InvalidArgument(path + ": environment.machine.fingerprint " + fp +
                                     " is not shard.json's " + p.fingerprint);
    }
    p.fingerprint = fp;
    p.host = Str(b.environment, "hostname");
    p.run = std::move(b);
  }
  if (Result<std::string> st = util::ReadFile((base / kPartStatusFile).string()); st.ok()) {
    p.status = Trimmed(*st);
  }
  return p;
}

// The fields every part must agree on, as "<what> <value>" pairs checked against the first part.
std::vector<std::pair<std::string, std::string>> Identity(const Part& p) {
  const json::object& s = *p.shard;
  return {{"machine fingerprint", p.fingerprint},
          {"commit", Str(s, "git_commit")},
          {"suite", Str(s, "suite")},
          {"seed", json::serialize(s.contains("seed") ? s.at("seed") : json::value())},
          {"shard count", json::serialize(s.contains("shard_count") ? s.at("shard_count")
                                                                    : json::value())},
          // Nodes where an engine opens differently deal differently.
          {"selection size", json::serialize(s.contains("selection_cells")
                                                 ? s.at("selection_cells")
                                                 : json::value())}};
}

json::object PseudoCell(int index, int count, const std::string& reason) {
  return json::object{{"name", "fleet/part/" + std::to_string(index) + "-of-" +
                                   std::to_string(count)},
                      {"tier", "fleet"},
                      {"group", "part"},
                      {"op", "missing"},
                      {"engine", ""},
                      {"kind", "harness"},
                      {"mode", ""},
                      {"threads", 1},
                      {"params", json::object{}},
                      {"reason", reason},
                      {"failed", true}};
}

// Why a part left no results, for its skipped[] entries.
std::string IncompleteReason(const Part& p, int count) {
  std::string r = "fleet part " + std::to_string(p.index) + "/" + std::to_string(count);
  if (!p.host.empty()) r += " on " + p.host;
  r += " did not finish";
  r += p.status.empty() ? " (no baseline.json)" : ": " + p.status;
  return r;
}

}  // namespace

Result<MergeOutcome> MergeParts(const std::string& out_dir, const std::vector<std::string>& dirs) {
  const fs::path out(out_dir);
  std::error_code ec;
  if (fs::exists(out / "baseline.json", ec)) {
    return Status::InvalidArgument(out_dir + " already holds a baseline.json (run folders are "
                                             "written once)");
  }
  if (dirs.empty()) return Status::InvalidArgument("merge: no part folders given");

  std::vector<Part> parts;
  std::vector<std::string> unplanned;  // part folders without shard.json
  for (const std::string& d : dirs) {
    STATELAB_ASSIGN_OR_RETURN(Part p, LoadPart(d));
    if (!p.shard) {
      if (p.run) {
        return Status::InvalidArgument(d + ": baseline.json without shard.json (not a part of a "
                                           "split run: statelab-bench --shard I/N)");
      }
      unplanned.push_back(d);
      continue;
    }
    parts.push_back(std::move(p));
  }
  if (parts.empty()) return Status::InvalidArgument("merge: no part folder holds a shard.json");
  std::sort(parts.begin(), parts.end(),
            [](const Part& a, const Part& b) { return a.index < b.index; });

  const auto first = Identity(parts.front());
  const int count = static_cast<int>(
      util::AsNumber(parts.front().shard->if_contains("shard_count")).value_or(0));
  std::set<int> seen;
  for (const Part& p : parts) {
    if (p.index < 1 || p.index > count || !seen.insert(p.index).second) {
      return Status::InvalidArgument(p.dir + "/shard.json: shard_index " +
                                     std::to_string(p.index) + " is out of 1.." +
                                     std::to_string(count) + " or given twice");
    }
    const auto id = Identity(p);
    for (size_t i = 0; i < id.size(); ++i) {
      if (id[i].second != first[i].second || (i == 0 && id[i].second.empty())) {
        return Status::InvalidArgument(
            p.dir + ": " + id[i].first + " '" + id[i].second + "' differs from " +
            parts.front().dir + "'s '" + first[i].second +
            "'; parts merge only when they ran the same thing on identical machines "
            "(use fleet.sh --same-suite for different machines)");
      }
    }
  }
  const auto done = std::find_if(parts.begin(), parts.end(),
                                 [](const Part& p) { return p.run.has_value(); });
  if (done == parts.end()) return Status::InvalidArgument("merge: no part finished (no baseline.json)");

  harness::Baseline merged;
  merged.git = done->run->git;
  merged.config = done->run->config;
  merged.environment = done->run->environment;
  merged.created_utc = done->run->created_utc;

  struct Ordered {
    size_t order;
    bool failed;
    json::object cell;
  };
  std::vector<std::pair<size_t, harness::BenchmarkResult>> results;
  std::vector<Ordered> skipped;
  std::set<std::string> names;
  json::array part_json;
  MergeOutcome outcome;
  for (Part& p : parts) {
    const std::string label = std::to_string(p.index) + "/" + std::to_string(count);
    json::object info{{"shard_index", p.index},
                      {"host", p.host},
                      {"machine_fingerprint", p.fingerprint},
                      {"folder", fs::path(p.dir).lexically_normal().filename().string()}};
    if (p.run) {
      merged.created_utc = std::min(merged.created_utc, p.run->created_utc);
      for (harness::BenchmarkResult& r : p.run->benchmarks) {
        const auto it = p.order.find(r.name);
        if (it == p.order.end() || !names.insert(r.name).second) {
          return Status::InvalidArgument(p.dir + "/baseline.json: " + r.name +
                                         (it == p.order.end() ? " is not in its shard.json"
                                                              : " is in two parts"));
        }
        results.emplace_back(it->second, std::move(r));
      }
      for (json::value& v : p.run_skipped) {
        if (!v.is_object()) continue;
        json::object& o = v.get_object();
        const auto it = p.order.find(Str(o, "name"));
        skipped.push_back({it == p.order.end() ? SIZE_MAX : it->second,
                           util::AsBool(o.if_contains("failed")).value_or(false), std::move(o)});
      }
      info["run_id"] = p.run->run_id;
      info["status"] = "complete";
      info["results"] = p.run->benchmarks.size();
      ++outcome.parts_complete;
    } else {
      const std::string reason = IncompleteReason(p, count);
      for (std::string_view list : {"skipped", "cells"}) {
        for (json::value& v : p.shard->at(list).as_array()) {
          json::object& o = v.as_object();
          if (list == "cells") {
            o["reason"] = reason;
            o["failed"] = true;
          }
          skipped.push_back({static_cast<size_t>(*util::AsNumber(o.if_contains("order"))),
                             util::AsBool(o.if_contains("failed")).value_or(false), std::move(o)});
        }
      }
      info["run_id"] = nullptr;
      info["status"] = "incomplete";
      info["reason"] = reason;
      outcome.notes.push_back(reason);
      ++outcome.parts_incomplete;
    }
    part_json.emplace_back(std::move(info));
  }
  for (int i = 1; i <= count; ++i) {
    if (seen.count(i) != 0) continue;
    const std::string reason =
        "fleet part " + std::to_string(i) + "/" + std::to_string(count) +
        " left no shard.json (never started" +
        (unplanned.empty() ? std::string(", or its folder was not given") : ": " + unplanned[0]) +
        "): its cells are unknown";
    skipped.push_back({SIZE_MAX, true, PseudoCell(i, count, reason)});
    part_json.emplace_back(json::object{
        {"shard_index", i}, {"run_id", nullptr}, {"status", "missing"}, {"reason", reason}});
    outcome.notes.push_back(reason);
    ++outcome.parts_incomplete;
  }

  std::stable_sort(results.begin(), results.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& entry : results) merged.benchmarks.push_back(std::move(entry.second));
  merged.derived = harness::ComputeDerived(merged.benchmarks, harness::FacadeTable());
  // A single process lists planned skips first, then the cells that failed.
  std::stable_sort(skipped.begin(), skipped.end(), [](const Ordered& a, const Ordered& b) {
    return a.failed != b.failed ? !a.failed : a.order < b.order;
  });
  json::array skipped_json;
  size_t failed = 0;
  for (Ordered& s : skipped) {
    s.cell.erase("order");
    failed += s.failed ? 1 : 0;
    skipped_json.emplace_back(std::move(s.cell));
  }

  json::object& env = merged.environment;
  if (json::value* h = env.if_contains("harness"); h != nullptr && h->is_object()) {
    h->get_object().erase("shard");
  }
  json::array warnings;
  if (const json::value* w = env.if_contains("warnings"); w != nullptr && w->is_array()) {
    for (const json::value& x : w->get_array()) {
      const std::string text = x.is_string() ? std::string(x.get_string()) : "";
      if (!text.ends_with(kFailedWarningTail) && !text.ends_with(kSkippedWarningTail)) {
        warnings.push_back(x);
      }
    }
  }
  if (failed > 0) {
    warnings.emplace_back(std::to_string(failed) + " " + kFailedWarningTail);
  }
  if (skipped.size() > failed) {
    warnings.emplace_back(std::to_string(skipped.size() - failed) + " " + kSkippedWarningTail);
  }
  warnings.emplace_back("merged from " + std::to_string(count) +
                        " fleet parts (environment.fleet); load average and noise are part " +
                        std::to_string(done->index) + "'s");
  env["warnings"] = std::move(warnings);
  env["fleet"] = json::object{{"mode", "split"},
                              {"shard_count", count},
                              {"machine_fingerprint", parts.front().fingerprint},
                              {"parts", std::move(part_json)}};

  const std::string base = out.lexically_normal().filename().string();
  merged.run_id = base.starts_with("run_")
                      ? base
                      : harness::MakeRunId(std::time(nullptr), merged.git.commit, "fleet");
  json::value doc = harness::ToJson(merged);
  doc.as_object()["skipped"] = std::move(skipped_json);
  const std::string text = util::JsonFileText(doc);
  STATELAB_RETURN_IF_ERROR(harness::ParseBaseline(text, "merged baseline.json").status());
  fs::create_directories(out, ec);
  if (ec) return Status::IOError(out_dir + ": cannot create: " + ec.message());
  outcome.path = (out / "baseline.json").string();
  STATELAB_RETURN_IF_ERROR(util::WriteFile(outcome.path, text));
  outcome.results = merged.benchmarks.size();
  outcome.skipped = skipped.size();
  return outcome;
}

}  // namespace statelab::reports
