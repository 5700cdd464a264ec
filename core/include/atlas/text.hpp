#pragma once
// Small text helpers shared by every component.
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

}  // namespace atlas
