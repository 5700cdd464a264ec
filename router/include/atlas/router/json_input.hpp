#pragma once
// Parses a webhook body as a JSON object, treating it as hostile input: the
// bytes must be UTF-8, nested at most kMaxJsonDepth deep (nlohmann's parser
// and destructor recurse), valid JSON, and an object at the top. Never throws.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace atlas::router {

inline constexpr std::size_t kMaxJsonDepth = 64;

struct JsonInput {
  nlohmann::json value;  // an object when error is empty
  std::string error;     // short reason for a 400 ("body is not valid JSON")

  [[nodiscard]] bool ok() const { return error.empty(); }
};

[[nodiscard]] JsonInput parse_json_object(std::string_view body);

// The checks parse_json_object makes before parsing (UTF-8, nesting depth),
// for readers that parse with nlohmann's SAX interface instead of building a
// document: the short reason for a 400, or "" when the body may be parsed.
[[nodiscard]] std::string hostile_json_error(std::string_view body);

// Typed, non-throwing field access on untrusted JSON.
// The string at `key` of `object`, or "" when absent or not a string.
[[nodiscard]] std::string string_field(const nlohmann::json& object, std::string_view key);
// The object at `key`, or nullptr when absent or not an object.
[[nodiscard]] const nlohmann::json* object_field(const nlohmann::json& object, std::string_view key);
// An integer at `key` (JSON number without fraction), or nullopt.
[[nodiscard]] std::optional<std::int64_t> integer_field(const nlohmann::json& object,
                                                        std::string_view key);

}  // namespace atlas::router
