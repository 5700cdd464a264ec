#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "atlas/worker/rag_client_logic.hpp"

using namespace atlas::worker;
using namespace std::chrono_literals;

TEST_CASE("worker rag: the query body") {
  const auto body = nlohmann::json::parse(build_rag_query("Design \"CI\"", 15));
  CHECK(body["query"] == "Design \"CI\"");
  CHECK(body["top_k"] == 15);
}

TEST_CASE("worker rag: parses the ranked array") {
  const auto r = parse_rag_response(R"([
    {"text": "Use GitHub Actions", "similarity": 0.91, "source": "docs/ci.md#1"},
    {"text": "Helm charts", "similarity": 0.7, "source": "docs/k8s.md"}])");
  REQUIRE(r.ok);
  REQUIRE(r.chunks.size() == 2);
  CHECK(r.chunks[0] == RagChunk{"Use GitHub Actions", 0.91, "docs/ci.md#1"});
  CHECK(r.notes.empty());
}

TEST_CASE("worker rag: malformed items are skipped with a note, never a crash") {
  const auto r = parse_rag_response(R"([
    42, "text", null, [],
    {"similarity": 0.9, "source": "a"},
    {"text": "", "similarity": 0.9, "source": "a"},
    {"text": 7, "similarity": 0.9, "source": "a"},
    {"text": "no score", "source": "a"},
    {"text": "string score", "similarity": "0.9", "source": "a"},
    {"text": "no source", "similarity": 0.8},
    {"text": "good", "similarity": 0.75, "source": "docs/good.md", "extra": {"x": 1}}])");
  REQUIRE(r.ok);
  REQUIRE(r.chunks.size() == 2);
  CHECK(r.chunks[0].source == "unknown");
  CHECK(r.chunks[1].text == "good");
  CHECK(r.notes.size() == 10);  // 9 skipped + the unknown source
  CHECK(r.notes[0] == "item 0: not an object, skipped");
}

TEST_CASE("worker rag: a body that is not an array is an error") {
  CHECK_FALSE(parse_rag_response("").ok);
  CHECK_FALSE(parse_rag_response("<html>").ok);
  const auto obj = parse_rag_response(R"({"results": []})");
  CHECK_FALSE(obj.ok);
  CHECK(obj.error.find("expected an array") != std::string::npos);
  CHECK(parse_rag_response("[]").ok);
}

TEST_CASE("worker rag: oversized answers are bounded") {
  std::string body = "[";
  for (std::size_t i = 0; i < kMaxRagItems + 5; ++i) {
    body += std::string(i ? "," : "") + R"({"text":"t","similarity":0.9,"source":"s)" +
            std::to_string(i) + "\"}";
  }
  body += "]";
  const auto r = parse_rag_response(body);
  CHECK(r.chunks.size() == kMaxRagItems);
  const auto big = parse_rag_response(R"([{"text":")" + std::string(kMaxRagChunkBytes + 10, 'x') +
                                      R"(","similarity":0.9,"source":"s"}])");
  REQUIRE(big.chunks.size() == 1);
  CHECK(big.chunks[0].text.size() == kMaxRagChunkBytes);
}

TEST_CASE("worker rag: threshold, collapse by file and top_k are applied client side") {
  std::vector<RagChunk> chunks = {
      {"a1", 0.70, "docs/a.md#1"}, {"b1", 0.95, "docs/b.md"},  {"a2", 0.90, "docs/a.md#2"},
      {"low", 0.64, "docs/c.md"},  {"edge", 0.65, "docs/d.md"}, {"e1", 0.80, "docs/e.md"},
  };
  RagFilter f{0.65, true, 15};
  auto out = filter_chunks(chunks, f);
  REQUIRE(out.size() == 4);
  CHECK(out[0].text == "b1");
  CHECK(out[1].text == "a2");  // the best chunk of docs/a.md; a1 collapsed away
  CHECK(out[2].text == "e1");
  CHECK(out[3].text == "edge");  // the threshold is inclusive; "low" is dropped

  f.collapse_by_file = false;
  out = filter_chunks(chunks, f);
  CHECK(out.size() == 5);
  f.top_k = 2;
  out = filter_chunks(chunks, f);
  REQUIRE(out.size() == 2);
  CHECK(out[1].text == "a2");
  CHECK(source_file("docs/a.md#chunk-3") == "docs/a.md");
  CHECK(source_file("https://x/y") == "https://x/y");
}

TEST_CASE("worker rag: the cache is an LRU with a TTL on an injected clock") {
  const TimePoint t0{};
  RagCache cache(2, 60s);
  const std::vector<RagChunk> a = {{"a", 0.9, "a.md"}};
  const std::vector<RagChunk> b = {{"b", 0.9, "b.md"}};
  cache.put("qa", 15, a, t0);
  cache.put("qb", 15, b, t0);
  CHECK(cache.get("qa", 15, t0 + 1s) == std::optional(a));
  CHECK_FALSE(cache.get("qa", 5, t0).has_value());  // top_k is part of the key
  cache.put("qc", 15, b, t0 + 2s);                   // evicts qb, the least recently used
  CHECK_FALSE(cache.get("qb", 15, t0 + 2s).has_value());
  CHECK(cache.get("qa", 15, t0 + 59s).has_value());
  CHECK_FALSE(cache.get("qa", 15, t0 + 60s).has_value());  // expired
  CHECK(cache.size() == 1);
  cache.put("qc", 15, a, t0 + 100s);  // replacing refreshes the time
  CHECK(cache.get("qc", 15, t0 + 150s) == std::optional(a));
  cache.flush();
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.get("qc", 15, t0 + 150s).has_value());
}

TEST_CASE("worker rag: outcomes for metadata.rag") {
  const TimePoint t0{};
  RagCache cache(16, 3600s);
  const RagFilter f{0.65, true, 15};
  RagReply good;
  good.parse = parse_rag_response(
      R"([{"text":"x","similarity":0.9,"source":"docs/x.md"},{"text":"y","similarity":0.1,"source":"docs/y.md"}])");

  const auto ok = resolve_rag("design ci", f, good, cache, t0);
  CHECK(ok.outcome.status == RagStatus::ok);
  CHECK_FALSE(ok.outcome.cache_hit);
  CHECK(ok.outcome.sources == std::vector<std::string>{"docs/x.md"});
  CHECK(ok.chunks.size() == 1);

  RagReply down;
  down.error = "connection refused";
  const auto fallback = resolve_rag("design ci", f, down, cache, t0 + 10s);
  CHECK(fallback.outcome.status == RagStatus::cached_fallback);
  CHECK(fallback.outcome.cache_hit);
  CHECK(fallback.outcome.error == "connection refused");
  CHECK(fallback.chunks == ok.chunks);
  const auto j = fallback.outcome.to_json();
  CHECK(j["status"] == "cached_fallback");
  CHECK(j["cache_hit"] == true);
  CHECK(j["sources"][0] == "docs/x.md");

  const auto none = resolve_rag("another query", f, down, cache, t0 + 10s);
  CHECK(none.outcome.status == RagStatus::unavailable_no_cache);
  CHECK(none.chunks.empty());
  CHECK(none.outcome.to_json()["status"] == "unavailable_no_cache");

  RagReply garbage;
  garbage.parse = parse_rag_response("<html>");
  const auto g = resolve_rag("design ci", f, garbage, cache, t0 + 20s);
  CHECK(g.outcome.status == RagStatus::cached_fallback);
  CHECK(g.outcome.error.find("not JSON") != std::string::npos);

  cache.flush();
  CHECK(resolve_rag("design ci", f, down, cache, t0 + 30s).outcome.status ==
        RagStatus::unavailable_no_cache);
}
