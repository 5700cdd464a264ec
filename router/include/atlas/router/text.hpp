#pragma once
// Small text helpers the translators and message builders share.
#include <cstddef>
#include <string>
#include <string_view>

namespace atlas::router {

[[nodiscard]] constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// ASCII white space removed from both ends.
[[nodiscard]] std::string trim(std::string_view text);

// Slack's message escapes: &lt; &gt; &amp; decoded (other entities kept).
[[nodiscard]] std::string unescape_slack_text(std::string_view text);
// The reverse, for text Atlas posts: & < > escaped as Slack asks.
[[nodiscard]] std::string escape_slack_text(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end
// inside a UTF-8 sequence.
[[nodiscard]] std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

// ASCII case-insensitive equality.
[[nodiscard]] bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace atlas::router
