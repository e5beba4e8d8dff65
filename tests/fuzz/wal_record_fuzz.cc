// libFuzzer target: the WAL reader on arbitrary bytes. Every frame found (as recovery finds them,
// including resynchronization after a bad byte) is decoded as a commit record; input whose first
// byte is odd is also fed to the payload decoder directly (past the CRC that would reject it), and
// the rest is read as a segment file too (its header, and where its log ends).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/durability/wal_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statelab;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  wal::CommitRecord rec;
  if (!in.empty() && (in[0] & 1)) (void)wal::DecodeCommit(in.substr(1), &rec);
  // As a segment file (after the mode byte): its header and where its log ends.
  const std::string_view file = in.empty() ? in : in.substr(1);
  const wal::SegmentHeader h = wal::ParseSegmentHeader(file);
  if (wal::LogEnd(file, h) > file.size()) __builtin_trap();
  uint64_t off = 0;
  while (off < in.size()) {
    wal::Frame f;
    if (wal::ParseFrame(in, off, &f)) {
      (void)wal::DecodeCommit(f.payload, &rec);
      off += f.size;
      continue;
    }
    off = wal::FindNextFrame(in, off + 1);
  }
  return 0;
}
