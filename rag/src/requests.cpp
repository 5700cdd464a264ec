#include "atlas/rag/requests.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "atlas/json_depth.hpp"

namespace atlas::rag {
namespace {

using nlohmann::json;

// No request of the contract nests deeper than 3 levels; 32 is generous.
constexpr std::size_t kMaxRequestDepth = 32;

json parse_json(std::string_view body) {
  if (body.empty()) throw BadRequest("empty body: send a JSON document");
  // Checked on the raw bytes, before the recursive parser sees them.
  if (const auto at = json_nesting_exceeds(body, kMaxRequestDepth)) {
    throw BadRequest("body nests deeper than " + std::to_string(kMaxRequestDepth) +
                     " levels (at byte " + std::to_string(*at) + ")");
  }
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    // nlohmann's message names the byte and the problem (UTF-8 included).
    throw BadRequest(std::string("body is not valid JSON: ") + e.what());
  }
}

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

void check_no_nul(std::string_view s, const std::string& what) {
  if (s.find('\0') != std::string_view::npos) {
    throw BadRequest(what + " contains a NUL character (\\u0000), which cannot be stored");
  }
}

std::string too_long(const std::string& what, std::size_t size, std::size_t limit) {
  return what + " is " + std::to_string(size) + " bytes; the limit is " + std::to_string(limit);
}

std::size_t parse_size_param(std::string_view name, std::string_view value) {
  std::size_t out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    throw BadRequest("query parameter " + std::string(name) + "='" + std::string(value) +
                     "' is not a non-negative integer");
  }
  return out;
}

ChunkOptions chunking_from_query(std::string_view query, ChunkOptions options) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (name == "chunk_size") {
      options.size = parse_size_param(name, value);
    } else if (name == "chunk_overlap") {
      options.overlap = parse_size_param(name, value);
    } else {
      throw BadRequest("unknown query parameter '" + std::string(name) +
                       "': /v1/embed_batch accepts chunk_size and chunk_overlap");
    }
  }
  if (auto problem = check_chunk_options(options)) throw BadRequest(*problem);
  return options;
}

BatchItem item_from_json(const json& value, std::size_t index, const RequestLimits& limits) {
  const std::string label = "item " + std::to_string(index);
  BatchItem item;
  if (value.is_string()) {
    item.from_string = true;
    item.text = value.get<std::string>();
  } else if (value.is_object()) {
    const auto source = value.find("source");
    const auto text = value.find("text");
    if (source == value.end() || !source->is_string()) {
      throw BadRequest(label + ": \"source\" must be a string (a path or name)");
    }
    if (text == value.end() || !text->is_string()) {
      throw BadRequest(label + ": \"text\" must be a string");
    }
    item.source = source->get<std::string>();
    item.text = text->get<std::string>();
    if (blank(item.source)) throw BadRequest(label + ": \"source\" is empty");
    if (item.source.size() > limits.max_source_bytes) {
      throw BadRequest(label + ": " +
                       too_long("source", item.source.size(), limits.max_source_bytes));
    }
    check_no_nul(item.source, label + ": source");
  } else {
    throw BadRequest(label + " is neither a string nor a {\"source\", \"text\"} object");
  }
  if (item.text.size() > limits.max_text_bytes) {
    throw BadRequest(label + ": " + too_long("text", item.text.size(), limits.max_text_bytes));
  }
  check_no_nul(item.text, label + ": text");
  return item;
}

}  // namespace

QueryRequest parse_query_request(std::string_view body, const RequestLimits& limits) {
  const json j = parse_json(body);
  if (!j.is_object()) throw BadRequest("body must be a JSON object {\"query\": ..., \"top_k\": ...}");
  QueryRequest request;

  const auto query = j.find("query");
  if (query == j.end() || !query->is_string()) {
    throw BadRequest("\"query\" is required and must be a string");
  }
  request.query = query->get<std::string>();
  if (blank(request.query)) throw BadRequest("\"query\" is empty");
  if (request.query.size() > limits.max_query_bytes) {
    throw BadRequest(too_long("\"query\"", request.query.size(), limits.max_query_bytes));
  }
  check_no_nul(request.query, "\"query\"");

  const std::string top_k_rule =
      "\"top_k\" must be an integer from 1 to " + std::to_string(limits.max_top_k);
  if (const auto top_k = j.find("top_k"); top_k != j.end()) {
    if (!top_k->is_number_integer()) throw BadRequest(top_k_rule);
    const auto value = top_k->get<std::int64_t>();
    if (value < 1 || value > limits.max_top_k) {
      throw BadRequest(top_k_rule + ", got " + std::to_string(value));
    }
    request.top_k = static_cast<int>(value);
  }
  if (request.top_k > limits.max_top_k) request.top_k = limits.max_top_k;

  if (const auto t = j.find("relevancy_threshold"); t != j.end() && !t->is_null()) {
    if (!t->is_number()) throw BadRequest("\"relevancy_threshold\" must be a number from 0 to 1");
    const double value = t->get<double>();
    if (!(value >= 0.0 && value <= 1.0)) {
      throw BadRequest("\"relevancy_threshold\" must be a number from 0 to 1");
    }
    request.relevancy_threshold = value;
  }
  if (const auto c = j.find("collapse_by_file"); c != j.end() && !c->is_null()) {
    if (!c->is_boolean()) throw BadRequest("\"collapse_by_file\" must be true or false");
    request.collapse_by_file = c->get<bool>();
  }
  return request;
}

std::size_t estimated_chunks(std::size_t bytes, const ChunkOptions& options) {
  if (bytes == 0) return 0;
  const std::size_t step = options.size > options.overlap
                               ? std::max<std::size_t>(1, (options.size - options.overlap) / 2)
                               : 1;
  return bytes / step + 1;
}

EmbedRequest parse_embed_request(std::string_view body, std::string_view query_string,
                                 const ChunkOptions& default_chunking,
                                 const RequestLimits& limits) {
  EmbedRequest request;
  request.chunking = chunking_from_query(query_string, default_chunking);
  const json j = parse_json(body);
  if (!j.is_array()) {
    throw BadRequest(
        "body must be a JSON array of strings or of {\"source\", \"text\"} objects");
  }
  if (j.empty()) throw BadRequest("the batch is empty: send at least one item");
  if (j.size() > limits.max_batch_items) {
    throw BadRequest("the batch has " + std::to_string(j.size()) + " items; the limit is " +
                     std::to_string(limits.max_batch_items) + ": split it into smaller batches");
  }
  std::vector<BatchItem> items;
  items.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    items.push_back(item_from_json(j[i], i, limits));
    if (items.back().from_string != items.front().from_string) {
      throw BadRequest("item " + std::to_string(i) +
                       ": mix of strings and objects; use one form per batch");
    }
  }
  request.documents = documents_from_items(std::move(items));
  std::size_t chunks = 0;
  for (const Document& d : request.documents) {
    chunks += estimated_chunks(d.text.size(), request.chunking);
  }
  if (chunks > limits.max_job_chunks) {
    throw BadRequest("the batch would make about " + std::to_string(chunks) +
                     " chunks; the limit is " + std::to_string(limits.max_job_chunks) +
                     ": send fewer documents, or a larger chunk_size or smaller chunk_overlap");
  }
  return request;
}

}  // namespace atlas::rag
