#pragma once
// Reads the file a docs.added event names under ATLAS_RAG_DOCS_ROOT.
#include <cstddef>
#include <optional>
#include <string>

namespace atlas::rag {

struct DocFile {
  std::optional<std::string> text;  // the file's bytes when readable
  std::string error;                // why not, naming the path
};

// `relative` must already be normalised (normalize_relative_path). The real
// path (symbolic links resolved) must lie under the real path of `root`, be a
// regular file of at most max_bytes, and hold UTF-8 text without NUL bytes.
[[nodiscard]] DocFile read_doc_file(const std::string& root, const std::string& relative,
                                    std::size_t max_bytes);

}  // namespace atlas::rag
