#pragma once
// The worker's side of the RAG contract (DESIGN section 7), without the HTTP:
// the /v1/query_chat request body, parsing its answer, the client-side
// relevancy threshold and collapse-by-file (the gateway may not apply them),
// the fail-open cache, and the `metadata.rag` record of what happened.
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/worker/clock.hpp"

namespace atlas::worker {

struct RagChunk {
  std::string text;
  double similarity = 0.0;
  std::string source;  // file path or URL, possibly with a "#fragment"
  friend bool operator==(const RagChunk&, const RagChunk&) = default;
};

// {"query": query, "top_k": top_k}
[[nodiscard]] std::string build_rag_query(std::string_view query, int top_k);

struct RagParse {
  bool ok = false;
  std::string error;                // when !ok: what was wrong with the body
  std::vector<RagChunk> chunks;     // usable items, in the gateway's order
  std::vector<std::string> notes;   // one per skipped item ("item 3: no text")
};

// Limits applied while parsing a gateway's answer.
inline constexpr std::size_t kMaxRagItems = 1000;              // further items are ignored
inline constexpr std::size_t kMaxRagChunkBytes = 64 * 1024;    // longer texts are cut

// Parses the JSON array of {"text", "similarity", "source"}. Never throws:
// an item that is not an object, has no non-empty string text, or has no
// numeric similarity is skipped with a note; a missing source becomes
// "unknown"; a body that is not a JSON array is !ok.
[[nodiscard]] RagParse parse_rag_response(std::string_view body);

struct RagFilter {
  double relevancy_threshold = 0.65;  // keep similarity >= threshold
  bool collapse_by_file = true;       // keep the best chunk of each file
  int top_k = 15;                     // keep at most this many
};

// The file a source names: the source without its "#fragment".
[[nodiscard]] std::string source_file(std::string_view source);

// Sorts best first (stable: equal similarities keep the gateway's order),
// drops chunks below the threshold, collapses by file, and keeps top_k.
[[nodiscard]] std::vector<RagChunk> filter_chunks(std::vector<RagChunk> chunks,
                                                  const RagFilter& filter);

// An LRU cache with a time-to-live of the (filtered) chunks last returned for
// (query, top_k), used to fail open during a RAG outage. Thread-safe.
class RagCache {
 public:
  RagCache(std::size_t capacity, milliseconds ttl);

  // The entry if it is younger than the TTL (and marks it recently used);
  // an expired entry is removed.
  [[nodiscard]] std::optional<std::vector<RagChunk>> get(std::string_view query, int top_k,
                                                         TimePoint now);
  void put(std::string_view query, int top_k, std::vector<RagChunk> chunks, TimePoint now);
  // flush_cache: drops every entry.
  void flush();
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::vector<RagChunk> chunks;
    TimePoint stored;
  };
  static std::string key_of(std::string_view query, int top_k);

  std::size_t capacity_;
  milliseconds ttl_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

enum class RagStatus { ok, cached_fallback, unavailable_no_cache };
[[nodiscard]] std::string_view to_string(RagStatus status);

// What metadata.rag says.
struct RagOutcome {
  RagStatus status = RagStatus::ok;
  std::vector<std::string> sources;  // of the chunks given to the prompt
  bool cache_hit = false;            // the chunks came from the cache
  std::string error;                 // why the gateway could not be used, if it could not
  std::vector<std::string> notes;    // skipped items

  // {"status", "sources", "cache_hit"} plus "error" and "notes" when non-empty.
  [[nodiscard]] nlohmann::json to_json() const;
};

struct RagResolution {
  RagOutcome outcome;
  std::vector<RagChunk> chunks;  // what the prompt gets, best first
};

// What a query produced: `parse` when the gateway answered 2xx (parse.ok may
// still be false), or nullopt with `error` when it could not be reached or
// answered non-2xx.
struct RagReply {
  std::optional<RagParse> parse;
  std::string error;
};

// Decides what the prompt gets: on a usable answer the filtered chunks
// (cached for later outages); otherwise the cached chunks for this query
// (cached_fallback) or none (unavailable_no_cache).
[[nodiscard]] RagResolution resolve_rag(std::string_view query, const RagFilter& filter,
                                        const RagReply& reply, RagCache& cache, TimePoint now);

}  // namespace atlas::worker
