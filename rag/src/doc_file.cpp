#include "atlas/rag/doc_file.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <sys/stat.h>

#include "atlas/utf8.hpp"

namespace atlas::rag {
namespace {

struct FreeDeleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

// realpath(3) with the result owned; nullopt with errno set on failure.
std::optional<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, FreeDeleter> resolved(::realpath(path.c_str(), nullptr));
  if (!resolved) return std::nullopt;
  return std::string(resolved.get());
}

DocFile fail(std::string error) { return {std::nullopt, std::move(error)}; }

}  // namespace

DocFile read_doc_file(const std::string& root, const std::string& relative, std::size_t max_bytes) {
  if (root.empty()) {
    return fail("path events are disabled: set ATLAS_RAG_DOCS_ROOT to the directory they name");
  }
  const auto real_root = real_path(root);
  if (!real_root) {
    return fail("ATLAS_RAG_DOCS_ROOT '" + root + "' is not usable: " + std::strerror(errno));
  }
  const auto real = real_path(*real_root + "/" + relative);
  if (!real) return fail("cannot open '" + relative + "': " + std::strerror(errno));
  const std::string prefix = *real_root == "/" ? "/" : *real_root + "/";
  if (real->compare(0, prefix.size(), prefix) != 0) {
    return fail("'" + relative + "' resolves outside ATLAS_RAG_DOCS_ROOT (through a symbolic link)");
  }
  struct stat info {};
  if (::stat(real->c_str(), &info) != 0) {
    return fail("cannot stat '" + relative + "': " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return fail("'" + relative + "' is not a regular file");
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return fail("'" + relative + "' is " + std::to_string(info.st_size) +
                " bytes; the limit is " + std::to_string(max_bytes));
  }
  std::ifstream in(*real, std::ios::binary);
  if (!in) return fail("cannot read '" + relative + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) {
    return fail("'" + relative + "' grew past " + std::to_string(max_bytes) + " bytes while read");
  }
  if (auto bad = validate_utf8(text)) {
    return fail("'" + relative + "' is not UTF-8 text: " + bad->describe());
  }
  if (text.find('\0') != std::string::npos) return fail("'" + relative + "' contains NUL bytes");
  return {std::move(text), {}};
}

}  // namespace atlas::rag
