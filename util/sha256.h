#pragma once
// SHA-256 as lowercase hex (OpenSSL): fingerprints of files, definitions and machines.
// Thread-safety: a pure function.

#include <string>
#include <string_view>

namespace statelab::util {

std::string Sha256Hex(std::string_view data);

}  // namespace statelab::util
