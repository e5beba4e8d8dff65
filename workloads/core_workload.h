#pragma once
// YCSB CoreWorkload property files (docs/harness.md, "Workload files"): the parser, the
// validation (every error names the file, the line and the property; the whole file is checked
// before anything runs) and the parsed definition. Properties follow Java's .properties syntax
// (`name=value`, `name: value`, `#`/`!` comments); `-p name=value` overrides come after the file.
// Thread-safety: pure functions over plain values; a CoreWorkload is immutable once parsed.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::workloads {

enum class Distribution : uint8_t { kConstant, kUniform, kZipfian, kLatest, kHotspot };
std::string_view DistributionName(Distribution d) noexcept;

enum class InsertOrder : uint8_t { kHashed, kOrdered };

// One `-p name=value` from the command line (or a suite's scaling of a catalogue file).
struct PropertyOverride {
  std::string name;
  std::string value;
  std::string origin;  // where it came from, for messages: "-p", "suite standard"
};

// "name=value" -> override; InvalidArgument naming `-p` when there is no '=' or no name.
Result<PropertyOverride> ParseOverride(std::string_view arg);

struct CoreWorkload {
  std::string name;               // the file stem: cells are ycsb/<name>/...
  std::string source;             // the file path, for messages
  std::string file_sha256;        // sha256 of the file's bytes
  std::string definition_sha256;  // sha256 of `properties` (what compare checks)
  // Every property the harness knows, with its effective value (default, file, then overrides).
  std::map<std::string, std::string> properties;

  uint64_t record_count = 1000;
  uint64_t operation_count = 1000;
  uint64_t field_count = 10;
  uint64_t field_length = 100;
  Distribution field_length_distribution = Distribution::kConstant;
  bool read_all_fields = true;
  bool write_all_fields = false;
  double read_proportion = 0.95;
  double update_proportion = 0.05;
  double insert_proportion = 0;
  double scan_proportion = 0;
  double read_modify_write_proportion = 0;
  Distribution request_distribution = Distribution::kUniform;
  double zipfian_constant = 0.99;
  double hotspot_data_fraction = 0.2;
  double hotspot_opn_fraction = 0.8;
  uint64_t max_scan_length = 1000;
  Distribution scan_length_distribution = Distribution::kUniform;
  InsertOrder insert_order = InsertOrder::kHashed;
  uint64_t thread_count = 1;
};

// The property names the parser accepts, sorted.
std::vector<std::string_view> KnownProperties();

// Parses and validates `text` (the content of `source`, named `name`), then applies `overrides`
// in order. InvalidArgument listing every problem, one per line, each as
// "<source>:<line>: <property>: <what is wrong>" ("<origin>: ..." for an override).
Result<CoreWorkload> ParseCoreWorkload(std::string_view text, std::string_view source,
                                       std::string_view name,
                                       std::span<const PropertyOverride> overrides = {});

// Reads `path` and parses it, named after the file's stem. IOError when it cannot be read.
Result<CoreWorkload> LoadCoreWorkload(const std::string& path,
                                      std::span<const PropertyOverride> overrides = {});

}  // namespace statelab::workloads
