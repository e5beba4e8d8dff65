#include "engines/api/status.h"

namespace statelab {

std::string_view CodeName(Code c) noexcept {
  switch (c) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kConflict: return "conflict";
    case Code::kVersionMismatch: return "version_mismatch";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kInvalidTransition: return "invalid_transition";
    case Code::kDimensionMismatch: return "dimension_mismatch";
    case Code::kIOError: return "io_error";
    case Code::kCorruption: return "corruption";
    case Code::kShuttingDown: return "shutting_down";
  }
  return "unknown";
}

std::string Status::ToString() const {
  std::string out(CodeName(code_));
  switch (code_) {
    case Code::kVersionMismatch:
      out += ": expected version " + std::to_string(a_) + ", actual " + std::to_string(b_);
      break;
    case Code::kDimensionMismatch:
      out += ": expected dimension " + std::to_string(a_) + ", got " + std::to_string(b_);
      break;
    case Code::kConflict:  // a driver that gave up says after how many attempts and how long
      if (a_ != 0) {
        out += ": gave up after " + std::to_string(a_) + " attempts in " + std::to_string(b_) +
               " us";
      }
      break;
    case Code::kCorruption:
      out += ": " + std::string(message()) + " at offset " + std::to_string(a_);
      break;
    case Code::kNotFound:
      if (has_sequence_) out += ": sequence " + std::to_string(a_);
      if (msg_) out += ": " + *msg_;
      break;
    default:
      if (msg_) out += ": " + *msg_;
  }
  return out;
}

}  // namespace statelab
