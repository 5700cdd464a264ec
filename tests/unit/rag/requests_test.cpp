#include <doctest/doctest.h>

#include <string>

#include "atlas/rag/requests.hpp"

using atlas::rag::BadRequest;
using atlas::rag::ChunkOptions;
using atlas::rag::parse_embed_request;
using atlas::rag::parse_query_request;
using atlas::rag::RequestLimits;

namespace {
const RequestLimits kLimits;

std::string query_error(const std::string& body) {
  try {
    (void)parse_query_request(body, kLimits);
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "";
}

std::string embed_error(const std::string& body, const std::string& query = "",
                        const RequestLimits& limits = kLimits) {
  try {
    (void)parse_embed_request(body, query, ChunkOptions{}, limits);
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("query_chat request: valid bodies and defaults") {
  const auto r = parse_query_request(R"({"query":"ci pipeline","top_k":5})", kLimits);
  CHECK(r.query == "ci pipeline");
  CHECK(r.top_k == 5);
  CHECK(r.relevancy_threshold == 0.0);
  CHECK_FALSE(r.collapse_by_file);

  const auto d = parse_query_request(R"({"query":"x"})", kLimits);
  CHECK(d.top_k == 15);

  const auto full = parse_query_request(
      R"({"query":"x","top_k":100,"relevancy_threshold":0.65,"collapse_by_file":true,"extra":1})",
      kLimits);
  CHECK(full.top_k == 100);
  CHECK(full.relevancy_threshold == doctest::Approx(0.65));
  CHECK(full.collapse_by_file);
}

TEST_CASE("query_chat request: every bad input is a BadRequest with a reason") {
  CHECK(query_error("") == "empty body: send a JSON document");
  CHECK(query_error("{").find("body is not valid JSON") == 0);
  CHECK(query_error("\"\xff\"").find("body is not valid JSON") == 0);  // bad UTF-8
  CHECK(query_error("[]").find("body must be a JSON object") == 0);
  CHECK(query_error(R"({"top_k":3})") == "\"query\" is required and must be a string");
  CHECK(query_error(R"({"query":5})") == "\"query\" is required and must be a string");
  CHECK(query_error(R"({"query":"   "})") == "\"query\" is empty");
  CHECK(query_error(R"({"query":"a\u0000b"})").find("NUL") != std::string::npos);
  CHECK(query_error(R"({"query":"x","top_k":0})") ==
        "\"top_k\" must be an integer from 1 to 100, got 0");
  CHECK(query_error(R"({"query":"x","top_k":101})") ==
        "\"top_k\" must be an integer from 1 to 100, got 101");
  CHECK(query_error(R"({"query":"x","top_k":-1})").find("\"top_k\" must be") == 0);
  CHECK(query_error(R"({"query":"x","top_k":2.5})") ==
        "\"top_k\" must be an integer from 1 to 100");
  CHECK(query_error(R"({"query":"x","top_k":"5"})").find("\"top_k\" must be") == 0);
  CHECK(query_error(R"({"query":"x","relevancy_threshold":1.5})") ==
        "\"relevancy_threshold\" must be a number from 0 to 1");
  CHECK(query_error(R"({"query":"x","relevancy_threshold":"high"})").find("relevancy") !=
        std::string::npos);
  CHECK(query_error(R"({"query":"x","collapse_by_file":"yes"})") ==
        "\"collapse_by_file\" must be true or false");
}

TEST_CASE("query_chat request: the query length limit is exact") {
  const std::string at_limit(4096, 'q');
  CHECK(query_error(R"({"query":")" + at_limit + R"("})").empty());
  CHECK(query_error(R"({"query":")" + at_limit + R"(q"})") ==
        "\"query\" is 4097 bytes; the limit is 4096");
}

TEST_CASE("embed_batch request: strings with and without SOURCE lines, and objects") {
  const auto r = parse_embed_request(
      R"(["SOURCE: docs/a.md (Chunk 2/2)\nsecond", "SOURCE: docs/a.md (Chunk 1/2)\nfirst",
          "SOURCE: b.md\nbee", "plain text"])",
      "", ChunkOptions{}, kLimits);
  REQUIRE(r.documents.size() == 3);
  CHECK(r.documents[0].source == "docs/a.md");
  CHECK(r.documents[0].text == "first\n\nsecond");
  CHECK(r.documents[1].source == "b.md");
  CHECK(r.documents[1].text == "bee");
  CHECK(r.documents[2].source.rfind("text:", 0) == 0);
  CHECK(r.documents[2].text == "plain text");
  CHECK(r.chunking.size == 1000);
  CHECK(r.chunking.overlap == 200);

  const auto o = parse_embed_request(R"([{"source":"x.md","text":"hello"}])",
                                     "chunk_size=500&chunk_overlap=50", ChunkOptions{}, kLimits);
  REQUIRE(o.documents.size() == 1);
  CHECK(o.documents[0].source == "x.md");
  CHECK(o.chunking.size == 500);
  CHECK(o.chunking.overlap == 50);
}

TEST_CASE("embed_batch request: bad batches are rejected with reasons") {
  CHECK(embed_error("{}").find("body must be a JSON array") == 0);
  CHECK(embed_error("[]") == "the batch is empty: send at least one item");
  CHECK(embed_error("[1]") == "item 0 is neither a string nor a {\"source\", \"text\"} object");
  CHECK(embed_error(R"(["a", {"source":"s","text":"t"}])") ==
        "item 1: mix of strings and objects; use one form per batch");
  CHECK(embed_error(R"([{"text":"t"}])") == "item 0: \"source\" must be a string (a path or name)");
  CHECK(embed_error(R"([{"source":"s"}])") == "item 0: \"text\" must be a string");
  CHECK(embed_error(R"([{"source":" ","text":"t"}])") == "item 0: \"source\" is empty");
  CHECK(embed_error(R"([{"source":"s","text":"a\u0000"}])").find("NUL") != std::string::npos);
  CHECK(embed_error(R"([{"source":"s","text":"a"},{"source":"s","text":"b"}])")
            .find("item 1: source 's' appears more than once") == 0);
  CHECK(embed_error(R"(["SOURCE: \nx"])").find("item 0: SOURCE line names no source") == 0);
  CHECK(embed_error(R"(["SOURCE: a (Chunk 3/2)\nx"])") ==
        "item 0: SOURCE line: chunk 3/2 is out of range (1 <= i <= n)");
  CHECK(embed_error(R"(["SOURCE: a (Chunk 1/2)\nx", "SOURCE: a (Chunk 1/2)\ny"])") ==
        "item 1: source 'a' has chunk 1 twice");
  CHECK(embed_error(R"(["SOURCE: a (Chunk 1/2)\nx", "SOURCE: a (Chunk 2/3)\ny"])")
            .find("every piece must give the same n") != std::string::npos);
  CHECK(embed_error(R"(["x"])", "chunk_size=100&chunk_overlap=100") ==
        "chunk overlap (100) must be smaller than chunk size (100): lower the overlap or raise "
        "the size");
  CHECK(embed_error(R"(["x"])", "chunk_size=abc") ==
        "query parameter chunk_size='abc' is not a non-negative integer");
  CHECK(embed_error(R"(["x"])", "size=5").find("unknown query parameter 'size'") == 0);

  RequestLimits small;
  small.max_batch_items = 2;
  small.max_text_bytes = 10;
  small.max_source_bytes = 4;
  small.max_job_chunks = 3;
  CHECK(embed_error(R"(["a","b","c"])", "", small).find("the batch has 3 items; the limit is 2") ==
        0);
  CHECK(embed_error(R"(["12345678901"])", "", small) ==
        "item 0: text is 11 bytes; the limit is 10");
  CHECK(embed_error(R"([{"source":"abcde","text":"t"}])", "", small) ==
        "item 0: source is 5 bytes; the limit is 4");
  CHECK(embed_error(R"(["0123456789"])", "chunk_size=2&chunk_overlap=0", small)
            .find("the batch would make about") == 0);
}

TEST_CASE("embed_batch request: the same anonymous text twice is one document") {
  const auto r = parse_embed_request(R"(["same", "same", "other"])", "", ChunkOptions{}, kLimits);
  CHECK(r.documents.size() == 2);
}

TEST_CASE("rag requests: bodies nested deeper than 32 levels are refused before parsing") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(query_error(deep).find("nests deeper than 32 levels") != std::string::npos);
  CHECK(embed_error(deep).find("nests deeper than 32 levels") != std::string::npos);
  const std::string in_query = R"({"query": ")" + std::string(500, '[') + R"(", "top_k": 3})";
  CHECK(query_error(in_query).empty());  // brackets inside a string do not nest
}
