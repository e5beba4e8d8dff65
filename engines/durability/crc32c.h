#pragma once
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and leveldb.
// SSE4.2 `crc32` instructions when the CPU has them, a slicing-by-8 table otherwise; both give
// the same value (tests compare them). Thread-safety: pure functions.

#include <cstdint>
#include <string_view>

namespace statelab::crc32c {

// Extends `crc` (the value of a previous call, 0 to start) over `data`.
uint32_t Extend(uint32_t crc, std::string_view data) noexcept;
inline uint32_t Value(std::string_view data) noexcept { return Extend(0, data); }
// The portable table implementation (for tests and CPUs without SSE4.2).
uint32_t ExtendPortable(uint32_t crc, std::string_view data) noexcept;

}  // namespace statelab::crc32c
