#pragma once
// The operations of one run's primitives (kv, event, state, trace, json, vector) as the shell
// speaks them (docs/cli.md): each request is parsed up front into a closure over a TxnHandle, so
// a single op and every op of a `txn` request run through the same code, inside one transaction.
// Thread-safety: parsing is pure; an OpFn may run on any thread (the engine's owner thread for
// shared_nothing), one call at a time.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "engines/primitives/database.h"
#include "engines/registry/any_engine.h"
#include "tools/protocol.h"

namespace statelab::cli {

using Handle = TxnHandle<AnyPartition>;

// Runs one parsed op in a transaction and writes its result members into `out` (cleared by the
// caller before each attempt). It may run several times (conflict retries): it copies what it
// captured, never moves it.
using OpFn = std::function<Status(Handle& h, boost::json::object& out)>;

struct PrimitiveOp {
  bool writes = false;  // false: runs on a read snapshot and never aborts
  OpFn run;
};

// Parses the members of a primitive op (everything but "op", "request_id" and "run", which the
// caller reads). NotFound when `op` is not a primitive op; InvalidArgument naming the member
// otherwise.
Result<PrimitiveOp> ParsePrimitiveOp(std::string_view op, RequestReader& r);
// Every op ParsePrimitiveOp knows, in table order.
std::vector<std::string_view> PrimitiveOpNames();

}  // namespace statelab::cli
