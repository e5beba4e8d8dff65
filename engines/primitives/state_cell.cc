#include "engines/primitives/state_cell.h"

#include "engines/api/key.h"

namespace statelab {

Status CheckCellName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("name: must not be empty");
  return CheckUserKey("name", name);
}

}  // namespace statelab
