#pragma once
// Small text helpers shared by every component.
#include <string>
#include <string_view>

namespace atlas {

// True for ASCII white space: space, \t, \n, \r, \f, \v.
[[nodiscard]] constexpr bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The value of a hexadecimal digit (either case), or -1.
[[nodiscard]] constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` without ASCII white space at either end (a view into `text`).
[[nodiscard]] constexpr std::string_view trim(std::string_view text) {
  while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
  return text;
}

// %XX decoding as libpq does it for connection URIs and as paths use it
// ("%2Fv1%2Fresponses" -> "/v1/responses"). '+' stays '+' (this is not form
// decoding: router/form_decode.hpp is), and a malformed or cut-off escape is
// kept as written.
[[nodiscard]] inline std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_digit_value(text[i + 1]);
      const int lo = hex_digit_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace atlas
