#include "engines/primitives/json_store.h"

#include "engines/api/key.h"

namespace statelab::internal {

Status CheckDocId(std::string_view id) { return CheckId("doc_id", id, kMaxUserKeyBytes); }

Result<std::vector<json_doc::PatchOp>> ParsePatch(const std::vector<JsonPatchOp>& ops) {
  std::vector<json_doc::PatchOp> out;
  out.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    Result<json_doc::Path> p = json_doc::Path::Parse(ops[i].path);
    if (!p.ok()) {
      return Status::InvalidArgument("patch op " + std::to_string(i) + ": " +
                                     std::string(p.error().message()));
    }
    json_doc::PatchOp& op = out.emplace_back();
    op.kind = ops[i].kind == JsonPatchOp::Kind::kSet ? json_doc::PatchOp::kSet
                                                     : json_doc::PatchOp::kDelete;
    op.path = std::move(*p);
    op.value = ops[i].value;
  }
  return out;
}

}  // namespace statelab::internal
