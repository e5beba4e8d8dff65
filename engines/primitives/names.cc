#include "engines/primitives/names.h"

#include <string>

namespace statelab {

namespace {
bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}
}  // namespace

Status CheckName(std::string_view field, std::string_view name) {
  auto fail = [&](const std::string& got) {  // builds the message only on error
    return Status::InvalidArgument(std::string(field) + ": must be 1.." +
                                   std::to_string(kMaxNameBytes) +
                                   " characters of [A-Za-z0-9_.-], got " + got);
  };
  if (name.empty() || name.size() > kMaxNameBytes) {
    return fail(std::to_string(name.size()) + " characters");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto c = static_cast<unsigned char>(name[i]);
      return fail(std::string{'0', 'x', kHex[c >> 4], kHex[c & 15]} + " at offset " +
                  std::to_string(i));
    }
  }
  return Status::OK();
}

Status CheckId(std::string_view field, std::string_view id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) {
    return Status::InvalidArgument(std::string(field) + ": must be 1.." +
                                   std::to_string(max_bytes) + " bytes, got " +
                                   std::to_string(id.size()) + " bytes");
  }
  return Status::OK();
}

}  // namespace statelab
