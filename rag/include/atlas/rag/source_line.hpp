#pragma once
// The manual's string form of /v1/embed_batch items: a first line
// "SOURCE: <path>" or "SOURCE: <path> (Chunk i/n)" names the source, and the
// rest of the string is the text. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace atlas::rag {

struct SourceLine {
  std::string source;         // the path, trimmed; never empty
  int chunk_number = 0;       // i of "(Chunk i/n)", 1-based; 0 when absent
  int chunk_count = 0;        // n of "(Chunk i/n)"; 0 when absent
  std::string_view body;      // the text after the first line (a view into the item)

  [[nodiscard]] bool has_chunk() const { return chunk_number > 0; }
};

struct SourceLineResult {
  std::optional<SourceLine> line;  // nullopt when the item has no SOURCE line
  std::string error;               // non-empty when the SOURCE line is malformed
};

// Parses the first line of `item`. An item whose first line does not start
// with "SOURCE:" has no source line (the whole item is text). A SOURCE line
// with an empty path, or a "(Chunk i/n)" suffix with i = 0 or i > n, is an
// error. A suffix that is not of the form "(Chunk <digits>/<digits>)" is part
// of the path.
[[nodiscard]] SourceLineResult parse_source_line(std::string_view item);

}  // namespace atlas::rag
