#include <doctest/doctest.h>

#include <string>

#include "atlas/router/json_input.hpp"

using atlas::router::parse_json_object;

TEST_CASE("router json input: objects parse - other JSON, bad UTF-8 and deep nesting are refused") {
  CHECK(parse_json_object(R"({"a":[1,{"b":"]]]"}]})").ok());
  CHECK(parse_json_object("[]").error == "body is not a JSON object");
  CHECK(parse_json_object("{").error == "body is not valid JSON");
  CHECK(parse_json_object("").error == "body is not valid JSON");
  CHECK(parse_json_object("{\"a\":\"\xC0\xAF\"}").error == "body is not valid UTF-8");
  const std::string deep = "{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}";
  CHECK(parse_json_object(deep).error == "body nests JSON more than 64 levels deep");
  // Brackets inside strings do not count.
  const std::string in_string = "{\"a\":\"" + std::string(200, '[') + "\\\"\"}";
  CHECK(parse_json_object(in_string).ok());
  // A million brackets do not blow the stack.
  CHECK_FALSE(parse_json_object(std::string(1 << 20, '[')).ok());
}

TEST_CASE("router json input: field getters never throw on wrong types") {
  const auto j = nlohmann::json::parse(R"({"s":"x","n":5,"u":18446744073709551615,"f":1.5,"o":{},"a":[]})");
  CHECK(atlas::router::string_field(j, "s") == "x");
  CHECK(atlas::router::string_field(j, "n").empty());
  CHECK(atlas::router::string_field(nlohmann::json::array(), "s").empty());
  CHECK(atlas::router::integer_field(j, "n") == 5);
  CHECK_FALSE(atlas::router::integer_field(j, "u"));
  CHECK_FALSE(atlas::router::integer_field(j, "f"));
  CHECK_FALSE(atlas::router::integer_field(j, "s"));
  CHECK(atlas::router::object_field(j, "o") != nullptr);
  CHECK(atlas::router::object_field(j, "a") == nullptr);
  CHECK(atlas::router::object_field(j, "missing") == nullptr);
}
