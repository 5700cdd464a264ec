#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "atlas/rag/chunker.hpp"
#include "atlas/rag/requests.hpp"
#include "atlas/utf8.hpp"

using atlas::rag::Chunk;
using atlas::rag::ChunkOptions;
using atlas::rag::chunk_text;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The guarantees of chunker.hpp, checked on one output.
void check_invariants(const std::string& doc, const std::vector<Chunk>& chunks,
                      const ChunkOptions& o, std::size_t max_char_bytes = 4) {
  std::vector<bool> covered(doc.size(), false);
  std::size_t previous_offset = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    INFO("chunk " << i << " at " << c.offset);
    REQUIRE(!c.text.empty());
    REQUIRE(c.offset + c.text.size() <= doc.size());
    CHECK(doc.compare(c.offset, c.text.size(), c.text) == 0);
    if (i > 0) CHECK(c.offset > previous_offset);
    previous_offset = c.offset;
    CHECK(c.text.size() <= std::max(o.size, max_char_bytes));
    CHECK(!is_space(c.text.front()));
    CHECK(!is_space(c.text.back()));
    CHECK_FALSE(atlas::validate_utf8(c.text).has_value());
    for (std::size_t b = c.offset; b < c.offset + c.text.size(); ++b) covered[b] = true;
  }
  for (std::size_t b = 0; b < doc.size(); ++b) {
    if (!is_space(doc[b]) && !covered[b]) {
      FAIL("byte " << b << " of the document is in no chunk");
      break;
    }
  }
  // The estimate the request limits use is a bound when size - overlap >= 6.
  if (o.size - o.overlap >= 6) CHECK(chunks.size() <= atlas::rag::estimated_chunks(doc.size(), o));
}

std::string repeat(const std::string& unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

}  // namespace

TEST_CASE("chunker: empty and blank input give no chunks") {
  CHECK(chunk_text("").empty());
  CHECK(chunk_text("   \n\n\t  ").empty());
}

TEST_CASE("chunker: one character is one chunk") {
  const auto chunks = chunk_text("x");
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].text == "x");
  CHECK(chunks[0].offset == 0);
  const auto multibyte = chunk_text("\xF0\x9F\x98\x80");  // U+1F600, 4 bytes
  REQUIRE(multibyte.size() == 1);
  CHECK(multibyte[0].text == "\xF0\x9F\x98\x80");
}

TEST_CASE("chunker: a document of exactly the chunk size is one chunk") {
  const ChunkOptions o{100, 20};
  const std::string doc = repeat("abcd ", 19) + "abcde";  // 100 bytes
  REQUIRE(doc.size() == 100);
  const auto chunks = chunk_text(doc, o);
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].text == doc);
  // One byte more makes two overlapping chunks.
  const auto two = chunk_text(doc + "f", o);
  CHECK(two.size() == 2);
  check_invariants(doc + "f", two, o);
}

TEST_CASE("chunker: text without whitespace is cut at the size with the overlap") {
  const ChunkOptions o{100, 20};
  const std::string doc(1000, 'a');
  const auto chunks = chunk_text(doc, o);
  check_invariants(doc, chunks, o);
  REQUIRE(chunks.size() >= 2);
  CHECK(chunks[0].text.size() == 100);
  CHECK(chunks[1].offset == 80);  // 20 bytes of overlap
  CHECK(chunks.back().offset + chunks.back().text.size() == doc.size());
}

TEST_CASE("chunker: one very long line is cut at spaces, not inside words") {
  const ChunkOptions o{1000, 200};
  std::string doc;
  for (int i = 0; doc.size() < 50'000; ++i) doc += "word" + std::to_string(i) + " ";
  const auto chunks = chunk_text(doc, o);
  check_invariants(doc, chunks, o);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    // Every chunk starts and ends on a whole word.
    CHECK((c.offset == 0 || doc[c.offset - 1] == ' '));
    const std::size_t end = c.offset + c.text.size();
    CHECK((end == doc.size() || doc[end] == ' '));
    // Breaks are only taken in the far part of the window.
    if (i + 1 < chunks.size()) CHECK(c.text.size() > 600);
  }
}

TEST_CASE("chunker: prefers paragraph, then line, then sentence, then space breaks") {
  const ChunkOptions o{100, 10};
  SUBCASE("paragraph") {
    const std::string doc = std::string(60, 'p') + "\n\n" + std::string(10, 'q') + " line\n" +
                            "and. More " + std::string(80, 'r');
    const auto chunks = chunk_text(doc, o);
    REQUIRE(!chunks.empty());
    CHECK(chunks[0].text == std::string(60, 'p'));
  }
  SUBCASE("line") {
    const std::string doc =
        std::string(60, 'p') + " a. b\n" + std::string(10, 'q') + " c. " + std::string(80, 'r');
    const auto chunks = chunk_text(doc, o);
    CHECK(chunks[0].text == std::string(60, 'p') + " a. b");
  }
  SUBCASE("sentence") {
    const std::string doc =
        std::string(60, 'p') + " end. x " + std::string(10, 'q') + " " + std::string(80, 'r');
    const auto chunks = chunk_text(doc, o);
    CHECK(chunks[0].text == std::string(60, 'p') + " end.");
  }
  SUBCASE("space") {
    const std::string doc = std::string(60, 'p') + " " + std::string(20, 'q') + " " +
                            std::string(80, 'r');
    const auto chunks = chunk_text(doc, o);
    CHECK(chunks[0].text == std::string(60, 'p') + " " + std::string(20, 'q'));
  }
}

TEST_CASE("chunker: multi-byte characters are never split, whatever the boundaries") {
  // 2-, 3- and 4-byte characters, and a mix, with sizes and overlaps that put
  // the raw cut points at every offset inside a sequence.
  const std::vector<std::string> units = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                          "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"};
  for (const std::string& unit : units) {
    for (std::size_t size = 1; size <= 13; ++size) {
      for (std::size_t overlap = 0; overlap < size; ++overlap) {
        const ChunkOptions o{size, overlap};
        for (std::size_t count : {1u, 2u, 7u, 30u}) {
          const std::string doc = repeat(unit, count);
          INFO("unit bytes " << unit.size() << " size " << size << " overlap " << overlap
                             << " count " << count);
          check_invariants(doc, chunk_text(doc, o), o);
          // With spaces between characters too.
          const std::string spaced = repeat(unit + " ", count);
          check_invariants(spaced, chunk_text(spaced, o), o);
        }
      }
    }
  }
}

TEST_CASE("chunker: overlap not smaller than the size is rejected with a clear message") {
  CHECK_THROWS_WITH_AS(chunk_text("abc", ChunkOptions{200, 200}),
                       "chunk overlap (200) must be smaller than chunk size (200): lower the "
                       "overlap or raise the size",
                       std::invalid_argument);
  CHECK_THROWS_AS(chunk_text("abc", ChunkOptions{100, 300}), std::invalid_argument);
  CHECK_THROWS_AS(chunk_text("abc", ChunkOptions{0, 0}), std::invalid_argument);
  CHECK(atlas::rag::check_chunk_options(ChunkOptions{}) == std::nullopt);
  CHECK(atlas::rag::check_chunk_options(ChunkOptions{200, 199}) == std::nullopt);
}

TEST_CASE("chunker: always terminates and covers the input, on random inputs") {
  std::mt19937 rng(12345);
  const std::vector<std::string> alphabet = {"a",  "b",  " ", "\n", ".",  "!",
                                             "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                             "\n\n", "\r\n", "\t"};
  for (int round = 0; round < 300; ++round) {
    std::uniform_int_distribution<std::size_t> length(0, 3000);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> size_dist(1, 400);
    const std::size_t n = length(rng);
    std::string doc;
    while (doc.size() < n) doc += alphabet[pick(rng)];
    const std::size_t size = size_dist(rng);
    std::uniform_int_distribution<std::size_t> overlap_dist(0, size - 1);
    const ChunkOptions o{size, overlap_dist(rng)};
    INFO("round " << round << " length " << doc.size() << " size " << o.size << " overlap "
                  << o.overlap);
    check_invariants(doc, chunk_text(doc, o), o);
  }
}

TEST_CASE("chunker: invalid UTF-8 still terminates") {
  const std::string doc = std::string(500, '\x80') + "abc" + std::string(300, '\xBF');
  const auto chunks = chunk_text(doc, ChunkOptions{100, 20});
  CHECK(!chunks.empty());
  std::size_t last = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (i > 0) CHECK(chunks[i].offset > last);
    last = chunks[i].offset;
  }
}

TEST_CASE("chunker: default options make ~1000-byte chunks with ~200 bytes of overlap") {
  std::string doc;
  for (int i = 0; doc.size() < 20'000; ++i) {
    doc += "Sentence number " + std::to_string(i) + " talks about pipelines and builds. ";
    if (i % 7 == 6) doc += "\n\n";
  }
  const ChunkOptions o;
  const auto chunks = chunk_text(doc, o);
  check_invariants(doc, chunks, o);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    CHECK(chunks[i].text.size() <= 1000);
    CHECK(chunks[i].text.size() > 600);
    const std::size_t end = chunks[i].offset + chunks[i].text.size();
    CHECK(chunks[i + 1].offset < end);           // they overlap
    CHECK(end - chunks[i + 1].offset <= 200);     // by at most the overlap
  }
}
