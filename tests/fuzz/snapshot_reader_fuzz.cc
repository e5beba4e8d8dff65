// libFuzzer target: the snapshot reader on arbitrary bytes. Input whose first byte is odd is
// parsed with CRC checking off (the rest of the input is the file), so the fuzzer reaches the
// header, section and entry parsers instead of stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/durability/snapshot_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statelab;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bool verify_crc = true;
  if (!in.empty()) {
    verify_crc = (in[0] & 1) == 0;
    in.remove_prefix(1);
  }
  snapshot::Header h;
  size_t entries = 0;
  (void)snapshot::ParseSnapshot(in, "fuzz", verify_crc, &h,
                                [&](std::string_view, VersionEntry) { ++entries; });
  return 0;
}
