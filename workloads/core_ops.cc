#include "workloads/core_ops.h"

#include <algorithm>
#include <bit>

namespace statelab::workloads {

namespace {

int Digits(uint64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

uint64_t Pow10(int d) {
  uint64_t p = 1;
  for (int i = 0; i < d; ++i) p *= 10;
  return p;
}

}  // namespace

std::string_view OpKindName(OpKind k) noexcept {
  switch (k) {
    case OpKind::kRead:
      return "read";
    case OpKind::kUpdate:
      return "update";
    case OpKind::kInsert:
      return "insert";
    case OpKind::kScan:
      return "scan";
    case OpKind::kReadModifyWrite:
      return "read_modify_write";
  }
  return "unknown";
}

KeySpace::KeySpace(const CoreWorkload& w)
    : hashed_(w.insert_order == InsertOrder::kHashed),
      // Ordered keys keep the harness's "user" + 10 digits; hashed ones spread over 10-100x the
      // records, so a start-key scan built from prefix scans meets few empty prefixes.
      digits_(hashed_ ? Digits(w.record_count) + 1 : std::max(10, Digits(w.record_count))),
      capacity_(Pow10(digits_)),
      mask_(std::bit_ceil(capacity_) - 1) {}

uint64_t KeySpace::Permute(uint64_t k) const noexcept {
  // A bijection of [0, 2^b) (odd multipliers, xor-shifts and an xor, all mod 2^b), walked until
  // it lands below capacity: a bijection of [0, capacity), so no two records share a name.
  if (k >= capacity_) return k;  // callers check capacity(); never walk a cycle without k
  const int half = std::max(1, static_cast<int>(std::bit_width(mask_)) / 2);
  uint64_t x = k;
  do {
    x = (x * 0x9E3779B97F4A7C15ull) & mask_;
    x ^= x >> half;
    x = (x * 0xBF58476D1CE4E5B9ull) & mask_;
    x ^= 0x94D049BB133111EBull & mask_;
    x ^= x >> half;
  } while (x >= capacity_);
  return x;
}

std::string KeySpace::Name(uint64_t k) const {
  return KeyName("user", hashed_ ? Permute(k) : k, digits_);
}

uint64_t ClientSeed(uint64_t seed, uint32_t client) noexcept {
  return client == 0 ? seed : SplitSeed(seed, 1000 + uint64_t{client});
}

OpStream::OpStream(const CoreWorkload& w, uint64_t seed, uint32_t client, uint32_t clients)
    : mix_(SplitSeed(seed, 0)),
      loaded_(w.record_count),
      known_(w.record_count),
      client_(client),
      clients_(std::max<uint32_t>(1, clients)),
      scan_uniform_(w.max_scan_length, SplitSeed(seed, 2)) {
  const double p[kOpKinds] = {w.read_proportion, w.update_proportion, w.insert_proportion,
                              w.scan_proportion, w.read_modify_write_proportion};
  double sum = 0;
  for (int i = 0; i < kOpKinds; ++i) cut_[i] = (sum += p[i]);
  const uint64_t keys_seed = SplitSeed(seed, 1);
  switch (w.request_distribution) {
    case Distribution::kZipfian:
      zipfian_ = std::make_unique<ScrambledZipfianGenerator>(w.record_count, w.zipfian_constant,
                                                             keys_seed);
      break;
    case Distribution::kLatest:
      latest_ = std::make_unique<LatestGenerator>(w.record_count, w.zipfian_constant, keys_seed);
      break;
    case Distribution::kHotspot:
      hotspot_ = std::make_unique<HotspotGenerator>(w.record_count, w.hotspot_data_fraction,
                                                    w.hotspot_opn_fraction, keys_seed);
      break;
    default:
      uniform_ = std::make_unique<UniformGenerator>(w.record_count, keys_seed);
      break;
  }
  if (w.scan_length_distribution == Distribution::kZipfian) {
    scan_zipfian_ = std::make_unique<ZipfianGenerator>(w.max_scan_length, w.zipfian_constant,
                                                       SplitSeed(seed, 3));
  }
}

OpStream::~OpStream() = default;

uint64_t OpStream::KeyOf(uint64_t i) const noexcept {
  return i < loaded_ ? i : loaded_ + (i - loaded_) * clients_ + client_;
}

uint64_t OpStream::records() const noexcept {
  return known_ == loaded_ ? loaded_ : KeyOf(known_ - 1) + 1;
}

uint64_t OpStream::Key() {
  if (zipfian_) return zipfian_->Next();
  if (latest_) return KeyOf(latest_->Next());
  if (hotspot_) return hotspot_->Next();
  return uniform_->Next();
}

Op OpStream::Next() {
  const double r = mix_.NextDouble() * cut_[kOpKinds - 1];
  int k = 0;
  while (k < kOpKinds - 1 && r >= cut_[k]) ++k;
  Op op{static_cast<OpKind>(k), 0, 0};
  if (op.kind == OpKind::kInsert) {
    op.key = KeyOf(known_++);
    if (latest_) latest_->Inserted();
    return op;
  }
  op.key = Key();
  if (op.kind == OpKind::kScan) {
    op.scan_length =
        static_cast<uint32_t>(1 + (scan_zipfian_ ? scan_zipfian_->Next() : scan_uniform_.Next()));
  }
  return op;
}

std::vector<std::string> RecordValues(const CoreWorkload& w, size_t count, uint64_t seed) {
  Xoshiro256 rng(SplitSeed(seed, 4));
  std::unique_ptr<ZipfianGenerator> zipf;
  if (w.field_length_distribution == Distribution::kZipfian) {
    zipf =
        std::make_unique<ZipfianGenerator>(w.field_length, w.zipfian_constant, SplitSeed(seed, 5));
  }
  std::vector<std::string> out(count);
  for (std::string& v : out) {
    for (uint64_t f = 0; f < w.field_count; ++f) {
      uint64_t len = w.field_length;
      if (w.field_length_distribution == Distribution::kUniform) len = 1 + rng.Below(len);
      if (zipf) len = 1 + zipf->Next();
      const char c = static_cast<char>('a' + rng.Below(26));
      v.append(len, c);
    }
  }
  return out;
}

}  // namespace statelab::workloads
