#include <doctest/doctest.h>

#include "atlas/rag/docs_event.hpp"

using atlas::rag::ChunkOptions;
using atlas::rag::normalize_relative_path;
using atlas::rag::parse_docs_event;

namespace {
atlas::rag::DocsEventResult parse(const std::string& v) {
  return parse_docs_event(v, ChunkOptions{}, 1024, 1u << 20);
}
}  // namespace

TEST_CASE("docs.added: inline text and paths") {
  const auto t = parse(R"({"source":"notes/a.md","text":"hello"})");
  REQUIRE(t.event);
  CHECK(t.event->source == "notes/a.md");
  CHECK(*t.event->text == "hello");

  const auto p = parse(R"({"path":"./guides//setup.md","chunk_size":500,"chunk_overlap":100})");
  REQUIRE(p.event);
  CHECK_FALSE(p.event->text);
  CHECK(p.event->path == "guides/setup.md");
  CHECK(p.event->source == "guides/setup.md");
  CHECK(p.event->chunking.size == 500);
  CHECK(p.event->chunking.overlap == 100);

  const auto named = parse(R"({"path":"a/../b.md","source":"docs/b.md"})");
  REQUIRE(named.event);
  CHECK(named.event->path == "b.md");
  CHECK(named.event->source == "docs/b.md");
}

TEST_CASE("docs.added: refused events say why") {
  CHECK(parse("not json").error.find("not valid JSON") != std::string::npos);
  CHECK(parse("[]").error.find("must be a JSON object") != std::string::npos);
  CHECK(parse("{}").error.find("names nothing to index") != std::string::npos);
  CHECK(parse(R"({"text":"x"})").error == "an event with \"text\" needs a \"source\"");
  CHECK(parse(R"({"source":"s","text":"x","path":"p"})").error ==
        "give either \"text\" or \"path\", not both");
  CHECK(parse(R"({"path":"../etc/passwd"})").error.find("stays under ATLAS_RAG_DOCS_ROOT") !=
        std::string::npos);
  CHECK(parse(R"({"path":"/etc/passwd"})").error.find("relative path") != std::string::npos);
  CHECK(parse(R"({"path":"a/../../b"})").error.find("relative path") != std::string::npos);
  CHECK(parse(R"({"path":5})").error == "\"path\" must be a string");
  CHECK(parse(R"({"source":"s","text":"x","chunk_size":10,"chunk_overlap":10})")
            .error.find("must be smaller") != std::string::npos);
  CHECK(parse(R"({"source":"s","text":"x","chunk_size":-1})").error.find("non-negative") !=
        std::string::npos);
  CHECK(parse(R"({"source":"s","text":"a\u0000"})").error == "\"text\" contains NUL");
}

TEST_CASE("relative paths: normalised lexically, never above the root") {
  CHECK(normalize_relative_path("a/b/c.md") == "a/b/c.md");
  CHECK(normalize_relative_path("a/./b/../c.md") == "a/c.md");
  CHECK(normalize_relative_path("a//b/") == "a/b");
  CHECK_FALSE(normalize_relative_path(""));
  CHECK_FALSE(normalize_relative_path("."));
  CHECK_FALSE(normalize_relative_path("/abs"));
  CHECK_FALSE(normalize_relative_path(".."));
  CHECK_FALSE(normalize_relative_path("a/../.."));
  CHECK_FALSE(normalize_relative_path(std::string_view("a\0b", 3)));
}

TEST_CASE("docs.added: an event nested deeper than 32 levels is refused before parsing") {
  const std::string deep = R"({"source":"s","text":"x","extra":)" + std::string(50000, '[') +
                           std::string(50000, ']') + "}";
  CHECK(parse(deep).error.find("nests deeper than 32 levels") != std::string::npos);
}
