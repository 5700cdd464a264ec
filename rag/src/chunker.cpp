#include "atlas/rag/chunker.hpp"

#include <algorithm>

namespace atlas::rag {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The largest character boundary <= pos and > floor, or floor when there is
// none (a character longer than the window).
std::size_t boundary_at_or_before(std::string_view s, std::size_t pos, std::size_t floor) {
  while (pos > floor && pos < s.size() && is_continuation(s[pos])) --pos;
  return pos;
}

// The smallest character boundary >= pos.
std::size_t boundary_at_or_after(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_continuation(s[pos])) ++pos;
  return pos;
}

// A break point e in (lo, hi] (so the chunk is [start, e)), scanning from the
// right; 0 when none. Each predicate only looks at ASCII bytes, which are
// never part of a multi-byte sequence, so every break is a character boundary.
template <class Pred>
std::size_t last_break(std::size_t lo, std::size_t hi, Pred is_break) {
  for (std::size_t e = hi; e > lo; --e) {
    if (is_break(e)) return e;
  }
  return 0;
}

// Where the chunk starting at `pos` ends; `s.size() - pos > size`.
std::size_t chunk_end(std::string_view s, std::size_t pos, const ChunkOptions& o) {
  const std::size_t hi = pos + o.size;  // < s.size()
  // Breaks only in the far part of the window: past the overlap and half of
  // what remains, so each chunk advances by at least (size - overlap) / 2.
  const std::size_t lo = pos + o.overlap + (o.size - o.overlap) / 2;
  const auto paragraph = [&](std::size_t e) {
    return e >= 2 && s[e - 1] == '\n' &&
           (s[e - 2] == '\n' || (e >= 3 && s[e - 2] == '\r' && s[e - 3] == '\n'));
  };
  const auto line = [&](std::size_t e) { return s[e - 1] == '\n'; };
  const auto sentence = [&](std::size_t e) {
    const char c = s[e - 1];
    return (c == '.' || c == '!' || c == '?') && is_space(s[e]);
  };
  const auto space = [&](std::size_t e) { return is_space(s[e]); };
  if (lo < hi) {
    if (std::size_t e = last_break(lo, hi, paragraph)) return e;
    if (std::size_t e = last_break(lo, hi, line)) return e;
    if (std::size_t e = last_break(lo, hi, sentence)) return e;
    if (std::size_t e = last_break(lo, hi, space)) return e;
  }
  // No break: cut at the last character boundary that fits, or after one
  // whole character when even the first does not fit.
  const std::size_t cut = boundary_at_or_before(s, hi, pos);
  return cut > pos ? cut : boundary_at_or_after(s, pos + 1);
}

// Where the chunk after [pos, end) starts: `overlap` bytes back, on a
// character boundary, at a word start when a word starts in the overlap;
// always after pos.
std::size_t next_start(std::string_view s, std::size_t pos, std::size_t end,
                       const ChunkOptions& o) {
  std::size_t start = end > o.overlap ? end - o.overlap : 0;
  start = boundary_at_or_after(s, std::max(start, pos + 1));
  if (start >= end || is_space(s[start - 1])) return std::min(start, end);
  for (std::size_t i = start; i + 1 < end; ++i) {
    if (is_space(s[i])) return i + 1;
  }
  return start;
}

void add_trimmed(std::string_view s, std::size_t begin, std::size_t end,
                 std::vector<Chunk>& out) {
  while (begin < end && is_space(s[begin])) ++begin;
  while (end > begin && is_space(s[end - 1])) --end;
  if (begin < end) out.push_back(Chunk{begin, std::string(s.substr(begin, end - begin))});
}

}  // namespace

std::optional<std::string> check_chunk_options(const ChunkOptions& options) {
  if (options.size < kMinChunkSize || options.size > kMaxChunkSize) {
    return "chunk size (" + std::to_string(options.size) + ") must be between " +
           std::to_string(kMinChunkSize) + " and " + std::to_string(kMaxChunkSize) + " bytes";
  }
  if (options.overlap >= options.size) {
    return "chunk overlap (" + std::to_string(options.overlap) +
           ") must be smaller than chunk size (" + std::to_string(options.size) +
           "): lower the overlap or raise the size";
  }
  return std::nullopt;
}

std::vector<Chunk> chunk_text(std::string_view document, const ChunkOptions& options) {
  if (auto problem = check_chunk_options(options)) throw std::invalid_argument(*problem);
  std::vector<Chunk> chunks;
  std::size_t pos = 0;
  while (pos < document.size()) {
    // Start every chunk on a non-space byte, so chunk offsets strictly increase.
    while (pos < document.size() && is_space(document[pos])) ++pos;
    if (pos == document.size()) break;
    if (document.size() - pos <= options.size) {
      add_trimmed(document, pos, document.size(), chunks);
      break;
    }
    const std::size_t end = chunk_end(document, pos, options);
    add_trimmed(document, pos, end, chunks);
    pos = next_start(document, pos, end, options);
  }
  return chunks;
}

}  // namespace atlas::rag
