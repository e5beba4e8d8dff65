#include "bench/ycsb.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>
#include <system_error>

#include "harness/environment.h"

namespace statelab::bench {

std::string CoreWorkloadDir() { return harness::DefaultRepoRoot() + "/workloads/ycsb"; }
std::string CatalogueWorkloadDir() { return harness::DefaultRepoRoot() + "/workloads/catalogue"; }
std::string HarnessWorkloadDir() { return harness::DefaultRepoRoot() + "/workloads/harness"; }

namespace {

// What the D tier's file body runs (bench/tier_d.cc): gets and puts, threads from the suite.
Status CheckDBody(const workloads::CoreWorkload& w) {
  std::string errors;
  auto refuse = [&](std::string_view prop, double v) {
    if (v == 0) return;
    errors += (errors.empty() ? "" : "\n") + w.source + ": " + std::string(prop) + ": is " +
              w.properties.at(std::string(prop)) +
              "; a tier D workload does reads and updates only (its ops are gets and puts)";
  };
  refuse("insertproportion", w.insert_proportion);
  refuse("scanproportion", w.scan_proportion);
  refuse("readmodifywriteproportion", w.read_modify_write_proportion);
  if (w.thread_count != 1) {
    errors += (errors.empty() ? "" : "\n") + w.source +
              ": threadcount: a tier D workload runs at every thread count of the suite "
              "(--threads); leave threadcount at 1";
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);
  return Status::OK();
}

}  // namespace

Result<std::vector<HarnessWorkload>> LoadHarnessWorkloads(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".properties") {
      files.push_back(it->path());
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IOError(dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<HarnessWorkload> out;
  for (const std::filesystem::path& file : files) {
    const std::filesystem::path rel = file.lexically_relative(dir);
    std::vector<std::string> parts;
    for (const auto& p : rel) parts.push_back(p.string());
    if (parts.size() != 3) {
      return Status::InvalidArgument(file.string() +
                                     ": a harness workload file lives at "
                                     "<tier>/<group>/<op>.properties under " +
                                     dir);
    }
    if (parts[0] != "D") {
      return Status::InvalidArgument(file.string() + ": tier " + parts[0] +
                                     " has no cells defined by files (only D so far)");
    }
    STATELAB_ASSIGN_OR_RETURN(workloads::CoreWorkload w,
                              workloads::LoadCoreWorkload(file.string()));
    STATELAB_RETURN_IF_ERROR(CheckDBody(w));
    out.push_back({parts[0], parts[1], rel.stem().string(),
                   std::make_shared<const workloads::CoreWorkload>(std::move(w))});
  }
  return out;
}

std::string HarnessWorkloadName(const HarnessWorkload& h) {
  return h.tier + "/" + h.group + "/" + h.op;
}

std::vector<workloads::PropertyOverride> CoreScaling(Suite suite) {
  // YCSB's files say 1000 records and 1000 operations; the gates read 100k records (standard).
  // 10,000 operations: at 1,000 a repetition lasted about a millisecond and its median moved
  // 2-5x with a time slice (docs/engines.md, issue 18); a strict-mode repetition (one sync per
  // write) still takes about a second, not minutes.
  const std::string origin = "suite " + std::string(SuiteName(suite));
  if (suite == Suite::kFull) {
    return {{"recordcount", "1000000", origin}, {"operationcount", "10000", origin}};
  }
  return {{"recordcount", "100000", origin}, {"operationcount", "10000", origin}};
}

Result<std::vector<YcsbWorkload>> LoadWorkloadDir(
    const std::string& dir, std::string_view extension,
    std::span<const workloads::PropertyOverride> overrides, Suite suite) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.ends_with(extension) && !name.starts_with(".")) {
      files.push_back(entry.path().string());
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IOError(dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<YcsbWorkload> out;
  for (const std::string& file : files) {
    STATELAB_ASSIGN_OR_RETURN(workloads::CoreWorkload w,
                              workloads::LoadCoreWorkload(file, overrides));
    out.push_back({std::make_shared<const workloads::CoreWorkload>(std::move(w)), suite});
  }
  return out;
}

Result<std::vector<YcsbWorkload>> CatalogueWorkloads(Suite suite) {
  STATELAB_ASSIGN_OR_RETURN(
      std::vector<YcsbWorkload> out,
      LoadWorkloadDir(CoreWorkloadDir(), "", CoreScaling(suite), Suite::kStandard));
  STATELAB_ASSIGN_OR_RETURN(
      std::vector<YcsbWorkload> own,
      LoadWorkloadDir(CatalogueWorkloadDir(), ".properties", {}, Suite::kStandard));
  out.insert(out.end(), own.begin(), own.end());
  std::set<std::string> names;
  for (const YcsbWorkload& y : out) {
    if (!names.insert(y.def->name).second) {
      return Status::InvalidArgument(y.def->source + ": a second workload named '" + y.def->name +
                                     "' (cells are named after the file stem)");
    }
  }
  return out;
}

CellKey YcsbKey(const workloads::CoreWorkload& w, std::string_view engine, std::string_view mode) {
  CellKey k = MakeKey("ycsb", w.name, "run", engine, mode,
                      P({{"records", static_cast<double>(w.record_count)},
                         {"operations", static_cast<double>(w.operation_count)}}));
  k.threads = static_cast<int>(w.thread_count);
  k.thread_series = w.thread_count > 1;  // one-thread names stay as before threadcount
  return k;
}

CellDef YcsbCell(const YcsbWorkload& y, std::string_view engine, std::string_view mode,
                 FixtureFactory make) {
  const bool threaded = y.def->thread_count > 1;
  return {YcsbKey(*y.def, engine, mode),
          y.suite,
          threaded ? Timing::kSingleShot : Timing::kLoop,
          std::move(make),
          0,
          threaded ? 0 : y.def->operation_count};
}

boost::json::object WorkloadsJson(const std::vector<YcsbWorkload>& workloads,
                                  const std::vector<HarnessWorkload>& harness) {
  boost::json::object out;
  auto add = [&](const std::string& name, const workloads::CoreWorkload& w) {
    boost::json::object props;
    for (const auto& [k, v] : w.properties) props[k] = v;
    out[name] = boost::json::object{{"file", w.source},
                                    {"file_sha256", w.file_sha256},
                                    {"definition_sha256", w.definition_sha256},
                                    {"properties", std::move(props)}};
  };
  for (const YcsbWorkload& y : workloads) add(y.def->name, *y.def);
  for (const HarnessWorkload& h : harness) add(HarnessWorkloadName(h), *h.def);
  return out;
}

void PrepareYcsb(std::shared_ptr<const workloads::CoreWorkload> w, uint64_t seed, YcsbInputs* in) {
  in->w = std::move(w);
  in->space = std::make_unique<workloads::KeySpace>(*in->w);
  const auto clients = static_cast<uint32_t>(in->w->thread_count);
  in->clients.resize(clients);
  for (uint32_t t = 0; t < clients; ++t) {
    in->clients[t].stream =
        std::make_unique<workloads::OpStream>(*in->w, workloads::ClientSeed(seed, t), t, clients);
    in->clients[t].scanned.reserve(in->w->max_scan_length);
  }
  in->keys.reserve(in->w->record_count);
  for (uint64_t k = 0; k < in->w->record_count; ++k) in->keys.push_back(in->space->Name(k));
  for (std::string& v : workloads::RecordValues(*in->w, kRecordValues, seed)) {
    in->values.emplace_back(std::move(v));
  }
}

Status GenerateOps(uint64_t n, YcsbInputs* in) {
  const uint64_t clients = in->clients.size();
  uint64_t records = in->keys.size();
  for (uint64_t t = 0; t < clients; ++t) {
    YcsbClient& c = in->clients[t];
    const uint64_t share = n / clients + (t < n % clients ? 1 : 0);
    c.ops.clear();
    c.ops.reserve(share);
    c.scanned_keys = 0;
    for (uint64_t i = 0; i < share; ++i) c.ops.push_back(c.stream->Next());
    records = std::max(records, c.stream->records());
  }
  if (records > in->space->capacity()) {
    for (YcsbClient& c : in->clients) c.ops.clear();
    return Status::InvalidArgument(
        in->w->name + ": " + std::to_string(records) + " records outgrow the key space of " +
        std::to_string(in->space->capacity()) + " (raise recordcount or lower operationcount)");
  }
  for (uint64_t k = in->keys.size(); k < records; ++k) in->keys.push_back(in->space->Name(k));
  return Status::OK();
}

void RecordMix(Measure& m, const YcsbInputs& in) {
  std::array<uint64_t, workloads::kOpKinds> n{};
  uint64_t ops = 0;
  uint64_t scanned_keys = 0;
  for (const YcsbClient& c : in.clients) {
    for (const workloads::Op& op : c.ops) ++n[static_cast<int>(op.kind)];
    ops += c.ops.size();
    scanned_keys += c.scanned_keys;
  }
  if (ops == 0) return;
  for (int k = 0; k < workloads::kOpKinds; ++k) {
    m.Extra(
        "ycsb_" + std::string(workloads::OpKindName(static_cast<workloads::OpKind>(k))) + "_share",
        static_cast<double>(n[k]) / static_cast<double>(ops));
  }
  const uint64_t scans = n[static_cast<int>(workloads::OpKind::kScan)];
  if (scans > 0) {
    m.Extra("ycsb_keys_per_scan", static_cast<double>(scanned_keys) / static_cast<double>(scans));
  }
}

}  // namespace statelab::bench
