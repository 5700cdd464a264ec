#pragma once
// Parsing and validation of the gateway's request bodies, on raw strings.
// Pure: every limit is explicit, every rejection a BadRequest whose message
// is sent back as the 400's reason.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/rag/bad_request.hpp"
#include "atlas/rag/chunker.hpp"
#include "atlas/rag/documents.hpp"

namespace atlas::rag {

struct RequestLimits {
  std::size_t max_query_bytes = 4096;      // /v1/query_chat "query"
  int max_top_k = 100;                     // "top_k" is 1..max_top_k
  std::size_t max_batch_items = 1000;      // /v1/embed_batch array length
  std::size_t max_text_bytes = 4u << 20;   // one item's text
  std::size_t max_source_bytes = 1024;     // one source name
  std::size_t max_job_chunks = 200'000;    // estimated chunks of one batch
};

struct QueryRequest {
  std::string query;
  int top_k = 15;                      // the manual's default
  double relevancy_threshold = 0.0;    // keep chunks with similarity >= this
  bool collapse_by_file = false;       // at most one chunk per source
};

// {"query": str, "top_k": int, "relevancy_threshold": number in [0,1],
//  "collapse_by_file": bool}; only "query" is required. Unknown fields are
// ignored (so clients may send more than this gateway uses). The query must be
// non-blank, at most max_query_bytes, and free of NUL characters.
[[nodiscard]] QueryRequest parse_query_request(std::string_view body, const RequestLimits& limits);

struct EmbedRequest {
  std::vector<Document> documents;
  ChunkOptions chunking;
};

// Body: a non-empty JSON array whose items are all strings (the manual's
// form, see source_line.hpp) or all {"source": str, "text": str} objects.
// `query_string` (the URL's query, without '?') may set chunk_size and
// chunk_overlap, overriding `default_chunking`. Rejects: malformed JSON or
// UTF-8, too many items, a text or source over its limit, NUL characters,
// empty sources, bad chunk options, and batches whose estimated chunk count
// exceeds max_job_chunks (see estimated_chunks).
[[nodiscard]] EmbedRequest parse_embed_request(std::string_view body, std::string_view query_string,
                                               const ChunkOptions& default_chunking,
                                               const RequestLimits& limits);

// How many chunks chunk_text makes of `bytes` bytes at most: each chunk but
// the last advances by at least (size - overlap) / 2 bytes (a bound whenever
// size - overlap >= 6; below that, an estimate).
[[nodiscard]] std::size_t estimated_chunks(std::size_t bytes, const ChunkOptions& options);

}  // namespace atlas::rag
