#pragma once
// Placeholder until the primitive lands.
#include "engines/core/run_transaction.h"
namespace statelab {
template <Partition P>
class EventOps {
 public:
  explicit EventOps(Txn<P>& t) noexcept : t_(t) {}
 private:
  Txn<P>& t_;
};
template <Engine E>
class EventLog {
 public:
  explicit EventLog(E& e) noexcept : e_(e) {}
 private:
  E& e_;
};
}  // namespace statelab
