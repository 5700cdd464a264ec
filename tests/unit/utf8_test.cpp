#include <doctest/doctest.h>

#include <string>

#include "atlas/utf8.hpp"

using atlas::validate_utf8;

TEST_CASE("utf8: accepts ASCII and every sequence length up to U+10FFFF") {
  CHECK_FALSE(validate_utf8(""));
  CHECK_FALSE(validate_utf8("plain ASCII, with\ttabs and\nnewlines"));
  CHECK_FALSE(validate_utf8(std::string("nul \0 inside", 12)));
  CHECK_FALSE(validate_utf8("\xC2\x80"));                   // U+0080, smallest 2-byte
  CHECK_FALSE(validate_utf8("f\xC3\xBCr"));                 // ü
  CHECK_FALSE(validate_utf8("\xDF\xBF"));                   // U+07FF
  CHECK_FALSE(validate_utf8("\xE0\xA0\x80"));               // U+0800, smallest 3-byte
  CHECK_FALSE(validate_utf8("\xE6\x95\xB0\xE6\x8D\xAE"));   // 数据
  CHECK_FALSE(validate_utf8("\xED\x9F\xBF"));               // U+D7FF, below the surrogates
  CHECK_FALSE(validate_utf8("\xEE\x80\x80"));               // U+E000, above the surrogates
  CHECK_FALSE(validate_utf8("\xEF\xBF\xBF"));               // U+FFFF
  CHECK_FALSE(validate_utf8("\xF0\x90\x80\x80"));           // U+10000, smallest 4-byte
  CHECK_FALSE(validate_utf8("\xF0\x9F\x9A\x80"));           // 🚀
  CHECK_FALSE(validate_utf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF, the largest
}

TEST_CASE("utf8: rejects each class of malformed input at the right offset") {
  struct Case {
    std::string bytes;
    std::size_t offset;
    std::string_view reason;
  };
  const Case cases[] = {
      {"ab\x80", 2, "continuation byte without a lead byte"},
      {"\xBF", 0, "continuation byte without a lead byte"},
      {"x\xC0\xAF", 1, "overlong encoding"},              // '/' in two bytes
      {"\xC1\xBF", 0, "overlong encoding"},
      {"\xE0\x80\xAF", 0, "overlong encoding"},           // '/' in three bytes
      {"\xE0\x9F\xBF", 0, "overlong encoding"},           // U+07FF in three bytes
      {"\xF0\x80\x80\xAF", 0, "overlong encoding"},       // '/' in four bytes
      {"\xF0\x8F\xBF\xBF", 0, "overlong encoding"},       // U+FFFF in four bytes
      {"ok\xED\xA0\x80", 2, "UTF-16 surrogate code point"},  // U+D800
      {"\xED\xBF\xBF", 0, "UTF-16 surrogate code point"},    // U+DFFF
      {"\xF4\x90\x80\x80", 0, "code point above U+10FFFF"},  // U+110000
      {"\xF5\x80\x80\x80", 0, "byte 0xF5..0xFF never appears in UTF-8"},
      {"abc\xFF", 3, "byte 0xF5..0xFF never appears in UTF-8"},
      {"\xFE", 0, "byte 0xF5..0xFF never appears in UTF-8"},
      {"end \xE2\x82", 4, "truncated sequence at end of input"},
      {"\xF0\x9F\x9A", 0, "truncated sequence at end of input"},
      {"\xC3", 0, "truncated sequence at end of input"},
      {"\xE2\x41\x41", 0, "truncated sequence"},
      {"\xF0\x9F\x9A\x41", 0, "truncated sequence"},
      {"\xC3\xBC\xC3(", 2, "truncated sequence"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.bytes);
    const auto error = validate_utf8(c.bytes);
    REQUIRE(error.has_value());
    CHECK(error->offset == c.offset);
    CHECK(error->reason == c.reason);
  }
}

TEST_CASE("utf8: describe names the byte offset and the reason") {
  const auto error = validate_utf8("abc\xFF");
  REQUIRE(error.has_value());
  CHECK(error->describe() == "invalid UTF-8 at byte 3: byte 0xF5..0xFF never appears in UTF-8");
}

TEST_CASE("utf8: utf8_prefix never ends inside a sequence") {
  using atlas::utf8_prefix;
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  const std::string text = "a" + euro + "b";
  CHECK(utf8_prefix(text, 0).empty());
  CHECK(utf8_prefix(text, 1) == "a");
  CHECK(utf8_prefix(text, 2) == "a");
  CHECK(utf8_prefix(text, 3) == "a");
  CHECK(utf8_prefix(text, 4) == "a" + euro);
  CHECK(utf8_prefix(text, 100) == text);
  // The text itself ends inside a character: still no partial sequence.
  CHECK(utf8_prefix(euro + "\xE2\x82", 4) == euro);
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  for (std::size_t n = 1; n < 4; ++n) CHECK(utf8_prefix("x" + emoji, n) == "x");
  CHECK(utf8_prefix("x" + emoji, 5) == "x" + emoji);
  // Stray continuation bytes (invalid input): cut where asked, still progress.
  CHECK(utf8_prefix("\x80\x80\x80\x80", 2).size() == 2);
}

TEST_CASE("utf8: utf8_sequence_length always advances") {
  using atlas::utf8_sequence_length;
  CHECK(utf8_sequence_length("a", 0) == 1);
  CHECK(utf8_sequence_length("\xE2\x82\xAC", 0) == 3);
  CHECK(utf8_sequence_length("\xF0\x9F\x98\x80", 0) == 4);
  CHECK(utf8_sequence_length("\xE2\x82", 0) == 1);  // cut short
  CHECK(utf8_sequence_length("\xFF", 0) == 1);       // invalid lead
  CHECK(utf8_sequence_length("\xC3x", 0) == 1);      // missing continuation
}
