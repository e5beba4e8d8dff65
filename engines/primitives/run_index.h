#pragma once
// Placeholder until the primitive lands.
#include "engines/core/run_transaction.h"
namespace statelab {
template <Engine E>
class RunIndex {
 public:
  explicit RunIndex(E& e) noexcept : e_(e) {}
 private:
  E& e_;
};
}  // namespace statelab
