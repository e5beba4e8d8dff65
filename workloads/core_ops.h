#pragma once
// What a YCSB CoreWorkload does, drawn from its definition (workloads/core_workload.h): the op
// mix, the key of each op (requestdistribution), scan lengths, record key names (insertorder) and
// record values (fieldcount x fieldlength, fieldlengthdistribution), and the start-key scan a KV
// target without one builds from prefix scans. docs/harness.md, "Workload files", has the mapping.
// Thread-safety: an OpStream belongs to one thread; the free functions are pure.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "workloads/core_workload.h"
#include "workloads/generators.h"

namespace statelab::workloads {

enum class OpKind : uint8_t { kRead, kUpdate, kInsert, kScan, kReadModifyWrite };
inline constexpr int kOpKinds = 5;
// "read", "update", "insert", "scan", "read_modify_write".
std::string_view OpKindName(OpKind k) noexcept;

struct Op {
  OpKind kind;
  uint32_t scan_length;  // scans: records to read from the key on (1..maxscanlength)
  uint64_t key;          // key number (inserts: the new record's)
};

// Record key names: "user" + a fixed number of digits, so byte order is numeric order.
class KeySpace {
 public:
  explicit KeySpace(const CoreWorkload& w);
  // The name of key number k: k itself (ordered) or a collision-free permutation of k over
  // [0, 10^digits) (hashed). k must be below capacity().
  std::string Name(uint64_t k) const;
  int digits() const noexcept { return digits_; }
  // Key numbers this key space can name (hashed: 10^digits, at least 10 x recordcount).
  uint64_t capacity() const noexcept { return capacity_; }

 private:
  uint64_t Permute(uint64_t k) const noexcept;
  bool hashed_;
  int digits_;
  uint64_t capacity_;
  uint64_t mask_;
};

// The op stream of one workload for one client thread: Next() draws the kind by the
// proportions, the key by requestdistribution over the loaded records (latest: over the loaded
// records and this client's inserts, newest first), a scan's length by scanlengthdistribution; an
// insert takes this client's next key number. Client `client` of `clients` (YCSB's threadcount)
// owns the insert key numbers recordcount + j x clients + client, so clients never insert one key
// twice; with one client those are recordcount, recordcount + 1, ... as in YCSB.
class OpStream {
 public:
  OpStream(const CoreWorkload& w, uint64_t seed, uint32_t client = 0, uint32_t clients = 1);
  OpStream(const OpStream&) = delete;
  OpStream& operator=(const OpStream&) = delete;
  ~OpStream();
  Op Next();
  // Every key number drawn so far is below records(): recordcount before any insert.
  uint64_t records() const noexcept;

 private:
  uint64_t Key();
  // Key number of the i-th record this client knows (the loaded ones, then its own inserts).
  uint64_t KeyOf(uint64_t i) const noexcept;
  double cut_[kOpKinds];  // cumulative proportions
  Xoshiro256 mix_;
  uint64_t loaded_;
  uint64_t known_;  // loaded_ + this client's inserts so far
  uint32_t client_;
  uint32_t clients_;
  std::unique_ptr<UniformGenerator> uniform_;
  std::unique_ptr<ScrambledZipfianGenerator> zipfian_;
  std::unique_ptr<LatestGenerator> latest_;
  std::unique_ptr<HotspotGenerator> hotspot_;
  UniformGenerator scan_uniform_;
  std::unique_ptr<ZipfianGenerator> scan_zipfian_;
};

// Client `client`'s generator seed: client 0 keeps `seed` (a one-thread run draws what it drew
// before threadcount existed), the others get seeds split from it.
uint64_t ClientSeed(uint64_t seed, uint32_t client) noexcept;

// `count` record values of fieldcount fields each, field lengths by fieldlengthdistribution
// (constant: fieldlength; uniform: 1..fieldlength; zipfian: 1..fieldlength, short ones most
// often), the fields concatenated in one string.
std::vector<std::string> RecordValues(const CoreWorkload& w, size_t count, uint64_t seed);

// A scan of up to `count` keys from `start` on (in key order) over a target that only has prefix
// scans, for keys whose tail after a fixed prefix is decimal digits of a fixed width: the prefixes
// `start` itself, then start[0, i) + d for every digit d above start[i], i from the last digit
// up, each an ordered prefix scan; none reads a key below `start`. scan(prefix, fn) calls
// fn(key) -> keep going for the keys under prefix in order.
template <class PrefixScan>
Status ScanFromByDigits(std::string_view start, uint64_t count, PrefixScan&& scan,
                        std::vector<std::string>* keys) {
  keys->clear();
  if (count == 0) return Status::OK();
  auto take = [&](std::string_view k) {
    keys->emplace_back(k);
    return keys->size() < count;
  };
  std::string prefix(start);
  STATELAB_RETURN_IF_ERROR(scan(prefix, take));
  size_t first_digit = start.size();
  while (first_digit > 0 && start[first_digit - 1] >= '0' && start[first_digit - 1] <= '9') {
    --first_digit;
  }
  for (size_t i = start.size(); i-- > first_digit && keys->size() < count;) {
    prefix.resize(i + 1);
    for (char d = static_cast<char>(start[i] + 1); d <= '9' && keys->size() < count; ++d) {
      prefix[i] = d;
      STATELAB_RETURN_IF_ERROR(scan(prefix, take));
    }
  }
  return Status::OK();
}

}  // namespace statelab::workloads
