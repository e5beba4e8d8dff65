#pragma once
// Plumbing shared by the primitive facades: running an operation that returns a Result<T> on a
// read snapshot or in a one-operation write transaction, and the big-endian integer encoding that
// makes key byte order follow numeric order.
// Thread-safety: stateless functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engines/core/run_transaction.h"

namespace statelab {

namespace internal {
template <class F, class P>
using OpResult = std::invoke_result_t<F&, Txn<P>&>;
}  // namespace internal

// f: Result<T>(Txn<P>&) on one read snapshot (no read set, never aborts).
template <Engine E, class F>
internal::OpResult<F, typename E::Partition> ReadOp(E& e, const RunId& run, F&& f) {
  using P = typename E::Partition;
  std::optional<internal::OpResult<F, P>> out;
  Status s = RunRead(e, run, [&](Txn<P>& t) {
    out.emplace(f(t));
    return out->status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

// f: Result<T>(Txn<P>&) in a write transaction; T has a `version` member, set to the commit
// version. f may run several times (conflict retries): it copies its inputs, never moves them.
template <Engine E, class F>
internal::OpResult<F, typename E::Partition> WriteOp(E& e, const RunId& run, const TxnOptions& o,
                                                     F&& f) {
  using P = typename E::Partition;
  std::optional<internal::OpResult<F, P>> out;
  Result<Version> v = RunTransaction(
      e, run,
      [&](Txn<P>& t) {
        out.emplace(f(t));
        return out->status();
      },
      o);
  if (!v.ok()) return std::move(v).error();
  out->value().version = *v;
  return std::move(*out);
}

inline void AppendBigEndian64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
// Reads 8 bytes written by AppendBigEndian64 (the caller checks the size).
inline uint64_t LoadBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}
// A u16 big-endian length prefix, so a variable-length field can lead a key without a separator
// (no string is a prefix of another's encoding).
inline void AppendLengthPrefixed16(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size()));
  out.append(s);
}

}  // namespace statelab
