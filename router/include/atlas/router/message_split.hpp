#pragma once
// Cutting long specs to the size a chat or comment API accepts, at the most
// natural boundary available: a blank line, then a line end, then a space,
// and only then inside a word (never inside a UTF-8 sequence). A Markdown
// code fence open at a cut is closed there and reopened in the next part.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::router {

// The size of a piece of text as the destination counts it (bytes by
// default; Slack's count after escaping & < >, see delivery_slack).
using TextCost = std::function<std::size_t(std::string_view)>;

struct SplitOptions {
  std::size_t max_part_size = 3900;  // per part, fence repairs included
  std::size_t max_parts = 10;        // further text is dropped and `truncation_note` added
  std::string truncation_note;       // appended to the last part when text was dropped
  TextCost cost;                     // empty: bytes
};

struct SplitResult {
  std::vector<std::string> parts;
  bool truncated = false;
};

[[nodiscard]] SplitResult split_message(std::string_view text, const SplitOptions& options);

// The text cut to at most `max_size` (cost) with `note` appended when cut
// (e.g. for a GitHub comment); no cut when it fits.
[[nodiscard]] std::string truncate_message(std::string_view text, std::size_t max_size,
                                           std::string_view note, const TextCost& cost = {});

}  // namespace atlas::router
