#include "atlas/router/message_split.hpp"

#include <algorithm>
#include <utility>

#include "atlas/router/text.hpp"

namespace atlas::router {
namespace {

std::size_t measure(const TextCost& cost, std::string_view s) { return cost ? cost(s) : s.size(); }

// Bytes in one UTF-8 sequence starting with `lead` (1 for stray bytes).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// The longest prefix (in bytes, at a UTF-8 boundary) whose cost is within
// `budget`. The cost of a prefix grows with its length, and no character
// costs less than a quarter of its bytes, so the search is bounded.
std::size_t fit(std::string_view text, std::size_t budget, const TextCost& cost) {
  const auto fits = [&](std::size_t bytes) {
    return measure(cost, text.substr(0, utf8_prefix(text, bytes).size())) <= budget;
  };
  std::size_t lo = 0;  // fits(0): the empty prefix costs nothing
  std::size_t hi = std::min(text.size(), budget * 4);
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return utf8_prefix(text, lo).size();
}

struct Cut {
  std::size_t body_end;
  std::size_t rest_start;
};

// Where to cut a window that is too short for the whole text.
Cut choose_cut(std::string_view text, std::size_t window) {
  const std::string_view w = text.substr(0, window);
  const std::size_t floor = window / 4;  // do not make tiny parts to find a boundary
  if (auto p = w.rfind("\n\n"); p != std::string_view::npos && p >= floor && p > 0) return {p, p + 2};
  if (auto p = w.rfind('\n'); p != std::string_view::npos && p >= floor && p > 0) return {p, p + 1};
  if (auto p = w.rfind(' '); p != std::string_view::npos && p >= floor && p > 0) return {p, p + 1};
  if (window == 0) {  // budget smaller than one character: take one anyway
    const std::size_t one =
        std::min(text.size(), sequence_length(static_cast<unsigned char>(text.front())));
    return {one, one};
  }
  return {window, window};
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view skip_newlines(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  return s;
}

// The code fence still open after `body`, given the one open before it
// ("" when none; otherwise the opening line, e.g. "```yaml").
std::string fence_after(std::string_view body, std::string open) {
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    std::size_t indent = 0;
    while (indent < 3 && indent < line.size() && line[indent] == ' ') ++indent;
    line.remove_prefix(indent);
    line = trim_right(line);
    const bool backticks = line.substr(0, 3) == "```";
    const bool tildes = line.substr(0, 3) == "~~~";
    if (!backticks && !tildes) continue;
    if (open.empty()) {
      open = std::string(line);
    } else if (open.front() == line.front() &&
               line.find_first_not_of(line.front()) == std::string_view::npos) {
      open.clear();
    }
  }
  return open;
}

std::string closing_fence(const std::string& open) { return "\n" + open.substr(0, 3); }

}  // namespace

SplitResult split_message(std::string_view text, const SplitOptions& options) {
  SplitResult result;
  const std::size_t max_parts = std::max<std::size_t>(1, options.max_parts);
  const std::string note_suffix =
      options.truncation_note.empty() ? std::string() : "\n\n" + options.truncation_note;
  std::string_view remaining = trim_right(text);
  std::string open_fence;
  while (!remaining.empty()) {
    const std::string prefix = open_fence.empty() ? std::string() : open_fence + "\n";
    const std::string whole = prefix + std::string(remaining);
    if (measure(options.cost, whole) <= options.max_part_size) {
      result.parts.push_back(whole);
      break;
    }
    const bool last_allowed = result.parts.size() + 1 == max_parts;
    const std::size_t reserve = measure(options.cost, prefix) + measure(options.cost, "\n```") +
                                (last_allowed ? measure(options.cost, note_suffix) : 0);
    const std::size_t budget =
        reserve < options.max_part_size ? options.max_part_size - reserve : 0;
    const Cut cut = choose_cut(remaining, fit(remaining, budget, options.cost));
    const std::string_view body = trim_right(remaining.substr(0, cut.body_end));
    const std::string fence = fence_after(body, open_fence);
    std::string part = prefix + std::string(body);
    if (!fence.empty()) part += closing_fence(fence);
    if (last_allowed) {
      part += note_suffix;
      result.parts.push_back(std::move(part));
      result.truncated = true;
      break;
    }
    result.parts.push_back(std::move(part));
    open_fence = fence;
    remaining = skip_newlines(remaining.substr(cut.rest_start));
  }
  return result;
}

std::string truncate_message(std::string_view text, std::size_t max_size, std::string_view note,
                             const TextCost& cost) {
  if (measure(cost, text) <= max_size) return std::string(text);
  SplitOptions options;
  options.max_part_size = max_size;
  options.max_parts = 1;
  options.truncation_note = std::string(note);
  options.cost = cost;
  auto result = split_message(text, options);
  return result.parts.empty() ? std::string() : std::move(result.parts.front());
}

}  // namespace atlas::router
