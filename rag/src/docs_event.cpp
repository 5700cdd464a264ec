#include "atlas/rag/docs_event.hpp"

#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/json_depth.hpp"

namespace atlas::rag {

std::optional<std::string> normalize_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return std::nullopt;
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

namespace {

DocsEventResult refuse(std::string reason) { return {std::nullopt, std::move(reason)}; }

bool read_size(const nlohmann::json& j, const char* name, std::size_t& out) {
  const auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_number_unsigned()) return false;
  out = it->get<std::size_t>();
  return true;
}

// docs.added events are flat objects; 32 levels is generous.
constexpr std::size_t kMaxEventDepth = 32;

}  // namespace

DocsEventResult parse_docs_event(std::string_view value, const ChunkOptions& default_chunking,
                                 std::size_t max_source_bytes, std::size_t max_text_bytes) {
  nlohmann::json j;
  if (const auto at = json_nesting_exceeds(value, kMaxEventDepth)) {
    return refuse("event nests deeper than " + std::to_string(kMaxEventDepth) +
                  " levels (at byte " + std::to_string(*at) + ")");
  }
  try {
    j = nlohmann::json::parse(value);
  } catch (const nlohmann::json::parse_error& e) {
    return refuse(std::string("event is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return refuse("event must be a JSON object with \"source\"+\"text\" or \"path\"");

  DocsEvent event;
  event.chunking = default_chunking;
  if (!read_size(j, "chunk_size", event.chunking.size) ||
      !read_size(j, "chunk_overlap", event.chunking.overlap)) {
    return refuse("\"chunk_size\" and \"chunk_overlap\" must be non-negative integers");
  }
  if (auto problem = check_chunk_options(event.chunking)) return refuse(*problem);

  const auto source = j.find("source");
  const auto text = j.find("text");
  const auto path = j.find("path");
  if (source != j.end()) {
    if (!source->is_string() || source->get_ref<const std::string&>().empty()) {
      return refuse("\"source\" must be a non-empty string");
    }
    event.source = source->get<std::string>();
    if (event.source.size() > max_source_bytes) {
      return refuse("\"source\" is longer than " + std::to_string(max_source_bytes) + " bytes");
    }
    if (event.source.find('\0') != std::string::npos) return refuse("\"source\" contains NUL");
  }
  if (text != j.end() && path != j.end()) {
    return refuse("give either \"text\" or \"path\", not both");
  }
  if (text != j.end()) {
    if (!text->is_string()) return refuse("\"text\" must be a string");
    if (event.source.empty()) return refuse("an event with \"text\" needs a \"source\"");
    event.text = text->get<std::string>();
    if (event.text->size() > max_text_bytes) {
      return refuse("\"text\" is longer than " + std::to_string(max_text_bytes) + " bytes");
    }
    if (event.text->find('\0') != std::string::npos) return refuse("\"text\" contains NUL");
    return {std::move(event), {}};
  }
  if (path != j.end()) {
    if (!path->is_string()) return refuse("\"path\" must be a string");
    auto normalized = normalize_relative_path(path->get_ref<const std::string&>());
    if (!normalized) {
      return refuse("\"path\" must be a relative path that stays under ATLAS_RAG_DOCS_ROOT, got '" +
                    path->get<std::string>() + "'");
    }
    event.path = std::move(*normalized);
    if (event.source.empty()) event.source = event.path;
    return {std::move(event), {}};
  }
  return refuse("event names nothing to index: give \"source\" and \"text\", or \"path\"");
}

}  // namespace atlas::rag
