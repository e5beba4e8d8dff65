#pragma once
// Validation shared by the primitives that address things by a name or a key of their own (runs,
// vector collections, JSON documents, vectors). Messages name the field and the rule.
// Thread-safety: pure functions.

#include <cstddef>
#include <string_view>

#include "engines/api/status.h"

namespace statelab {

inline constexpr size_t kMaxNameBytes = 256;

// Names of runs and vector collections: 1..256 characters of [A-Za-z0-9_.-].
Status CheckName(std::string_view field, std::string_view name);

// Opaque identifiers (document ids, vector keys): 1..max_bytes bytes of anything.
Status CheckId(std::string_view field, std::string_view id, size_t max_bytes);

}  // namespace statelab
