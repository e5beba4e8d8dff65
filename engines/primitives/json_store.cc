#include "engines/primitives/json_store.h"

#include "engines/api/key.h"

namespace statelab::internal {

Status CheckDocId(std::string_view id) { return CheckId("doc_id", id, kMaxUserKeyBytes); }

Result<std::vector<json::PatchOp>> ParsePatch(const std::vector<JsonPatchOp>& ops) {
  std::vector<json::PatchOp> out;
  out.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    Result<json::Path> p = json::Path::Parse(ops[i].path);
    if (!p.ok()) {
      return Status::InvalidArgument("patch op " + std::to_string(i) + ": " +
                                     std::string(p.error().message()));
    }
    json::PatchOp& op = out.emplace_back();
    op.kind = ops[i].kind == JsonPatchOp::Kind::kSet ? json::PatchOp::kSet : json::PatchOp::kDelete;
    op.path = std::move(*p);
    op.value = ops[i].value;
  }
  return out;
}

}  // namespace statelab::internal
