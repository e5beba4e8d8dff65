// Strict JSON text parsing with exact doubles (ParseJson).

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <exception>
#include <string>

#include "engines/core/json_doc.h"
#include "engines/core/json_text.h"

namespace statelab::json_doc {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using internal::FromException;

// Builds values like boost::json::parser's handler, but re-reads each double from its text with
// std::from_chars (correctly rounded); Boost 1.81 can be one ULP off.
class ExactDoubleHandler {
 public:
  static constexpr std::size_t max_object_size = object::max_size();
  static constexpr std::size_t max_array_size = array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  boost::json::value_stack st;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(string_view s, error_code&) {
    number_.append(s.data(), s.size());  // only when a number spans write_some calls
    return true;
  }
  bool on_int64(std::int64_t i, string_view, error_code&) {
    number_.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, string_view, error_code&) {
    number_.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, string_view s, error_code& ec) {
    std::string_view text(s.data(), s.size());
    if (!number_.empty()) {
      number_.append(text);
      text = number_;
    }
    double exact = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), exact);
    if (err == std::errc() && end == text.data() + text.size()) {
      d = exact;
    } else if (std::isinf(d)) {
      ec = boost::json::error::exponent_overflow;  // JSON cannot carry it back out
      return false;
    }  // otherwise an underflow: keep Boost's (zero or subnormal) value
    number_.clear();
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  std::string number_;
};

}  // namespace

Result<value> ParseJson(std::string_view text, size_t max_depth) {
  try {
    boost::json::parse_options opt;
    opt.max_depth = max_depth;
    boost::json::basic_parser<ExactDoubleHandler> parser(opt);
    parser.handler().st.reset();
    boost::json::error_code ec;
    const size_t n = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && n < text.size()) ec = boost::json::error::extra_data;
    if (ec) {
      return Status::InvalidArgument("invalid json at offset " + std::to_string(n) + ": " +
                                     ec.message());
    }
    return parser.handler().st.release();
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

}  // namespace statelab::json_doc
