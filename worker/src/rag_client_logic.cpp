#include "atlas/worker/rag_client_logic.hpp"

#include <algorithm>
#include <set>

#include "atlas/utf8.hpp"

namespace atlas::worker {

using nlohmann::json;

std::string build_rag_query(std::string_view query, int top_k) {
  return json{{"query", query}, {"top_k", top_k}}.dump(-1, ' ', false,
                                                        json::error_handler_t::replace);
}

RagParse parse_rag_response(std::string_view body) {
  RagParse out;
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    out.error = "the RAG answer is not JSON";
    return out;
  }
  if (!doc.is_array()) {
    out.error = std::string("the RAG answer is a JSON ") + doc.type_name() +
                ", expected an array of {text, similarity, source}";
    return out;
  }
  out.ok = true;
  std::size_t index = 0;
  for (const auto& item : doc) {
    if (index >= kMaxRagItems) {
      out.notes.push_back("items after the first " + std::to_string(kMaxRagItems) + " ignored");
      break;
    }
    const std::string where = "item " + std::to_string(index++);
    if (!item.is_object()) {
      out.notes.push_back(where + ": not an object, skipped");
      continue;
    }
    const auto text = item.find("text");
    if (text == item.end() || !text->is_string() || text->get_ref<const std::string&>().empty()) {
      out.notes.push_back(where + ": no text, skipped");
      continue;
    }
    const auto similarity = item.find("similarity");
    if (similarity == item.end() || !similarity->is_number()) {
      out.notes.push_back(where + ": no numeric similarity, skipped");
      continue;
    }
    RagChunk chunk;
    const auto& t = text->get_ref<const std::string&>();
    chunk.text = std::string(utf8_prefix(t, kMaxRagChunkBytes));
    if (chunk.text.size() < t.size()) out.notes.push_back(where + ": text cut to 64 KiB");
    chunk.similarity = similarity->get<double>();
    const auto source = item.find("source");
    if (source != item.end() && source->is_string() &&
        !source->get_ref<const std::string&>().empty()) {
      chunk.source = source->get<std::string>();
    } else {
      chunk.source = "unknown";
      out.notes.push_back(where + ": no source, kept as \"unknown\"");
    }
    out.chunks.push_back(std::move(chunk));
  }
  return out;
}

std::string source_file(std::string_view source) {
  return std::string(source.substr(0, source.find('#')));
}

std::vector<RagChunk> filter_chunks(std::vector<RagChunk> chunks, const RagFilter& filter) {
  std::stable_sort(chunks.begin(), chunks.end(), [](const RagChunk& a, const RagChunk& b) {
    return a.similarity > b.similarity;
  });
  std::vector<RagChunk> out;
  std::set<std::string> files;
  const auto limit = static_cast<std::size_t>(std::max(0, filter.top_k));
  for (auto& chunk : chunks) {
    if (out.size() >= limit) break;
    if (!(chunk.similarity >= filter.relevancy_threshold)) continue;
    if (filter.collapse_by_file && !files.insert(source_file(chunk.source)).second) continue;
    out.push_back(std::move(chunk));
  }
  return out;
}

RagCache::RagCache(std::size_t capacity, milliseconds ttl)
    : capacity_(std::max<std::size_t>(1, capacity)), ttl_(ttl) {}

std::string RagCache::key_of(std::string_view query, int top_k) {
  return std::to_string(top_k) + '\n' + std::string(query);
}

std::optional<std::vector<RagChunk>> RagCache::get(std::string_view query, int top_k,
                                                   TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key_of(query, top_k));
  if (it == index_.end()) return std::nullopt;
  if (now - it->second->stored >= ttl_) {
    entries_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->chunks;
}

void RagCache::put(std::string_view query, int top_k, std::vector<RagChunk> chunks, TimePoint now) {
  std::lock_guard lock(mutex_);
  std::string key = key_of(query, top_k);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->chunks = std::move(chunks);
    it->second->stored = now;
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.push_front(Entry{key, std::move(chunks), now});
  index_.emplace(std::move(key), entries_.begin());
  while (entries_.size() > capacity_) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
}

void RagCache::flush() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  index_.clear();
}

std::size_t RagCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::string_view to_string(RagStatus status) {
  switch (status) {
    case RagStatus::ok: return "ok";
    case RagStatus::cached_fallback: return "cached_fallback";
    case RagStatus::unavailable_no_cache: return "unavailable_no_cache";
  }
  return "ok";
}

json RagOutcome::to_json() const {
  json j = {{"status", to_string(status)}, {"sources", sources}, {"cache_hit", cache_hit}};
  if (!error.empty()) j["error"] = error;
  if (!notes.empty()) j["notes"] = notes;
  return j;
}

RagResolution resolve_rag(std::string_view query, const RagFilter& filter, const RagReply& reply,
                          RagCache& cache, TimePoint now) {
  RagResolution r;
  if (reply.parse && reply.parse->ok) {
    r.chunks = filter_chunks(reply.parse->chunks, filter);
    r.outcome.status = RagStatus::ok;
    r.outcome.notes = reply.parse->notes;
    cache.put(query, filter.top_k, r.chunks, now);
  } else {
    r.outcome.error = reply.parse ? reply.parse->error : reply.error;
    if (r.outcome.error.empty()) r.outcome.error = "the RAG service gave no usable answer";
    if (auto cached = cache.get(query, filter.top_k, now)) {
      r.chunks = std::move(*cached);
      r.outcome.status = RagStatus::cached_fallback;
      r.outcome.cache_hit = true;
    } else {
      r.outcome.status = RagStatus::unavailable_no_cache;
    }
  }
  for (const auto& c : r.chunks) r.outcome.sources.push_back(c.source);
  return r;
}

}  // namespace atlas::worker
