#pragma once
// What gets indexed: a document is a source (a file path or another name)
// and its whole text. The chunker cuts it; re-indexing a source replaces all
// of its chunks. Pure.
#include <string>
#include <string_view>
#include <vector>

namespace atlas::rag {

struct Document {
  std::string source;
  std::string text;
};

// Lowercase hex SHA-256 of `text` (OpenSSL). Identical text, identical hash:
// the store skips re-indexing a source whose hash has not changed.
[[nodiscard]] std::string content_hash(std::string_view text);

// The source given to text that names none: "text:" + the first 16 hex
// digits of its hash, so posting the same text twice indexes it once.
[[nodiscard]] std::string anonymous_source(std::string_view text);

// One item of an /v1/embed_batch array after JSON decoding.
struct BatchItem {
  std::string source;  // empty: take it from a SOURCE line, else anonymous_source
  std::string text;
  bool from_string = false;  // the manual's string form (SOURCE line allowed)
};

// Turns items into documents, one per source, in first-seen order:
//   - a string item with a SOURCE line names its source; with "(Chunk i/n)"
//     the pieces of one source are put back together in i order (joined by a
//     blank line) and chunked again as one document, so all pieces of a
//     source must come in the same batch;
//   - a string item without one becomes its own document (anonymous_source);
//   - an object item {"source","text"} names its source.
// Throws BadRequest when a source appears twice (other than as numbered
// pieces), when a piece number repeats, when pieces of one source disagree on
// n, or when a SOURCE line is malformed. `index` in messages is 0-based.
[[nodiscard]] std::vector<Document> documents_from_items(std::vector<BatchItem> items);

}  // namespace atlas::rag
