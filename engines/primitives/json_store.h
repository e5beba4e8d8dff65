#pragma once
// Placeholder until the primitive lands.
#include "engines/core/run_transaction.h"
namespace statelab {
template <Partition P>
class JsonOps {
 public:
  explicit JsonOps(Txn<P>& t) noexcept : t_(t) {}
 private:
  Txn<P>& t_;
};
template <Engine E>
class JsonStore {
 public:
  explicit JsonStore(E& e) noexcept : e_(e) {}
 private:
  E& e_;
};
}  // namespace statelab
