#include "engines/api/key.h"

namespace statelab {

Status CheckUserKey(std::string_view field, std::string_view user_key) {
  if (user_key.size() > kMaxUserKeyBytes) {
    return Status::InvalidArgument(std::string(field) + ": " + std::to_string(user_key.size()) +
                                   " bytes exceeds limit " + std::to_string(kMaxUserKeyBytes) +
                                   " bytes");
  }
  return Status::OK();
}

}  // namespace statelab
