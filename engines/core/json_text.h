#pragma once
// JSON text details the document files share (engines/core/json_doc.h is the API): UTF-8
// validation, string quoting and number formatting exactly as boost::json::serialize writes
// them, so CanonicalJson, SerializedSize and error messages agree with serialize(); and the
// Status an operation returns when Boost.JSON throws. Internal to engines/core.
// Thread-safety: pure functions; a ScalarFormatter belongs to one thread.

#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "engines/api/status.h"

namespace statelab::json_doc::internal {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 (overlongs, surrogates and
// code points above U+10FFFF are ill-formed, as in RFC 3629).
size_t Utf8SeqLen(std::string_view s, size_t i);

// Appends `s` quoted as boost::json::serialize does: `"` and `\` get a backslash, \b \t \n \f
// \r their short escapes, other bytes below 0x20 become \u00xx (lowercase hex), everything else
// is copied raw.
void AppendQuoted(std::string& out, std::string_view s);

// Serialized size of a quoted string; clears *utf8_ok when `s` is not valid UTF-8.
uint64_t QuotedSize(std::string_view s, bool* utf8_ok);

// Formats numbers exactly as boost::json::serialize does; doubles go through Boost's own
// serializer (Ryu shortest form, e.g. 1E0) so the bytes cannot drift from serialize().
class ScalarFormatter {
 public:
  // Valid until the next call.
  std::string_view Number(const boost::json::value& v);

 private:
  boost::json::serializer serializer_;
  char buf_[64];
};

// What an operation returns when Boost.JSON throws (allocation failure): InvalidArgument
// "json operation failed: <what>".
Status FromException(const std::exception& e);

}  // namespace statelab::json_doc::internal
