#include <doctest/doctest.h>

#include <string>

#include "atlas/text.hpp"

using atlas::percent_decode;

TEST_CASE("text: percent_decode decodes %XX and keeps everything else as written") {
  CHECK(percent_decode("%2Fv1%2Fresponses") == "/v1/responses");
  CHECK(percent_decode("p%40ss%3aword") == "p@ss:word");  // either case of hex digit
  CHECK(percent_decode("a+b") == "a+b");                  // not form decoding
  CHECK(percent_decode("%zz%4") == "%zz%4");              // malformed and cut-off escapes
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%00") == std::string(1, '\0'));
  CHECK(percent_decode("").empty());
}
