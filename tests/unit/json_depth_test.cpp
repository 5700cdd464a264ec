#include <doctest/doctest.h>

#include <string>

#include "atlas/json_depth.hpp"

TEST_CASE("json depth: reports the byte offset of the first bracket past the limit") {
  using atlas::json_nesting_exceeds;
  CHECK_FALSE(json_nesting_exceeds(R"({"a":[1,{"b":2}]})", 3));
  CHECK(json_nesting_exceeds(R"({"a":[1,{"b":2}]})", 2) == 8u);
  // Siblings do not add up: depth goes down again at each close.
  CHECK_FALSE(json_nesting_exceeds("[[],[],[],[]]", 2));
  // Brackets inside strings, escaped quotes included, do not count.
  CHECK_FALSE(json_nesting_exceeds(R"({"s":"[[[[\"{{{{"})", 1));
  const std::string deep(100, '[');
  CHECK(json_nesting_exceeds(deep, 64) == 64u);
  CHECK_FALSE(json_nesting_exceeds("", 0));
}
