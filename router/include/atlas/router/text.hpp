#pragma once
// Small text helpers the translators and message builders share.
#include <cstddef>
#include <string>
#include <string_view>

#include "atlas/text.hpp"  // trim, is_ascii_space
#include "atlas/utf8.hpp"  // utf8_prefix

namespace atlas::router {

// Slack's message escapes: &lt; &gt; &amp; decoded (other entities kept).
[[nodiscard]] std::string unescape_slack_text(std::string_view text);
// The reverse, for text Atlas posts: & < > escaped as Slack asks.
[[nodiscard]] std::string escape_slack_text(std::string_view text);

// ASCII case-insensitive equality.
[[nodiscard]] bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace atlas::router
