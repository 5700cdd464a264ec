#pragma once
// The docs.added event: what to index, named on the bus. Pure.
//
//   {"source": "notes/adr-7.md", "text": "..."}   index this text under source
//   {"path": "guides/setup.md"}                    read ATLAS_RAG_DOCS_ROOT/guides/setup.md
//                                                  and index it (source = the path)
//   {"path": "...", "source": "..."}               read the path, index under source
// Optional "chunk_size" and "chunk_overlap" (integers) override the defaults.
#include <optional>
#include <string>
#include <string_view>

#include "atlas/rag/chunker.hpp"

namespace atlas::rag {

struct DocsEvent {
  std::string source;
  std::optional<std::string> text;  // inline text; nullopt: read `path`
  std::string path;                 // normalised relative path (when text is nullopt)
  ChunkOptions chunking;
};

struct DocsEventResult {
  std::optional<DocsEvent> event;
  std::string error;  // why the event was refused (when event is nullopt)
};

// Limits: source at most max_source_bytes, inline text at most max_text_bytes,
// no NUL characters; the path must be relative and stay under the root (see
// normalize_relative_path).
[[nodiscard]] DocsEventResult parse_docs_event(std::string_view value,
                                               const ChunkOptions& default_chunking,
                                               std::size_t max_source_bytes,
                                               std::size_t max_text_bytes);

// Lexically normalises a path relative to a root: drops "." and empty
// components and resolves ".." against earlier components. nullopt when the
// path is empty, absolute, contains a NUL, or a ".." would leave the root.
// (Symbolic links are the adapter's business: it resolves the real path and
// checks it again.)
[[nodiscard]] std::optional<std::string> normalize_relative_path(std::string_view path);

}  // namespace atlas::rag
