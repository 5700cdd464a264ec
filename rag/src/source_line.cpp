#include "atlas/rag/source_line.hpp"

#include <charconv>

#include "atlas/text.hpp"

namespace atlas::rag {
namespace {

constexpr std::string_view kPrefix = "SOURCE:";
constexpr std::string_view kChunkOpen = " (Chunk ";


// "12" -> 12; nullopt for anything but 1..9 digits.
std::optional<int> parse_count(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

SourceLineResult parse_source_line(std::string_view item) {
  if (item.substr(0, kPrefix.size()) != kPrefix) return {};
  const std::size_t newline = item.find('\n');
  std::string_view first = item.substr(kPrefix.size(), newline == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : newline - kPrefix.size());
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : item.substr(newline + 1);
  std::string_view path = trim(first);

  SourceLine line;
  line.body = body;
  const std::size_t open = path.rfind(kChunkOpen);
  if (open != std::string_view::npos && path.back() == ')') {
    const std::string_view inside =
        path.substr(open + kChunkOpen.size(), path.size() - 1 - (open + kChunkOpen.size()));
    const std::size_t slash = inside.find('/');
    if (slash != std::string_view::npos) {
      const auto i = parse_count(inside.substr(0, slash));
      const auto n = parse_count(inside.substr(slash + 1));
      if (i && n) {
        if (*i < 1 || *i > *n) {
          return {std::nullopt, "SOURCE line: chunk " + std::to_string(*i) + "/" +
                                    std::to_string(*n) + " is out of range (1 <= i <= n)"};
        }
        line.chunk_number = *i;
        line.chunk_count = *n;
        path = trim(path.substr(0, open));
      }
    }
  }
  if (path.empty()) {
    return {std::nullopt, "SOURCE line names no source: write \"SOURCE: <path>\" on the first line"};
  }
  line.source = std::string(path);
  return {std::move(line), {}};
}

}  // namespace atlas::rag
