#include <doctest/doctest.h>

#include "atlas/rag/documents.hpp"
#include "atlas/rag/source_line.hpp"

using atlas::rag::parse_source_line;

TEST_CASE("SOURCE line: path, chunk numbers and body") {
  const auto r = parse_source_line("SOURCE: docs/my file.md (Chunk 2/7)\nbody\nmore");
  REQUIRE(r.error.empty());
  REQUIRE(r.line);
  CHECK(r.line->source == "docs/my file.md");
  CHECK(r.line->chunk_number == 2);
  CHECK(r.line->chunk_count == 7);
  CHECK(r.line->body == "body\nmore");

  const auto plain = parse_source_line("SOURCE:   a/b.md  \r\ntext");
  REQUIRE(plain.line);
  CHECK(plain.line->source == "a/b.md");
  CHECK_FALSE(plain.line->has_chunk());
  CHECK(plain.line->body == "text");

  const auto only = parse_source_line("SOURCE: x.md");
  REQUIRE(only.line);
  CHECK(only.line->source == "x.md");
  CHECK(only.line->body.empty());
}

TEST_CASE("SOURCE line: absent, malformed, and suffixes that are part of the path") {
  CHECK_FALSE(parse_source_line("no source line\nSOURCE: x").line);
  CHECK_FALSE(parse_source_line("source: lower case is text").line);
  CHECK_FALSE(parse_source_line("").line);
  CHECK(parse_source_line("SOURCE:\nx").error.find("names no source") != std::string::npos);
  CHECK(parse_source_line("SOURCE: a (Chunk 0/3)\nx").error ==
        "SOURCE line: chunk 0/3 is out of range (1 <= i <= n)");
  const auto odd = parse_source_line("SOURCE: notes (Chunk one/two)\nx");
  REQUIRE(odd.line);
  CHECK(odd.line->source == "notes (Chunk one/two)");
  CHECK_FALSE(odd.line->has_chunk());
}

TEST_CASE("content hash is SHA-256 hex and anonymous sources derive from it") {
  CHECK(atlas::rag::content_hash("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(atlas::rag::anonymous_source("abc") == "text:ba7816bf8f01cfea");
  CHECK(atlas::rag::content_hash("abc") != atlas::rag::content_hash("abd"));
}
