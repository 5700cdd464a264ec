#pragma once
// Building blocks shared by the envelope and control-command validators
// (envelope_validate.cpp, control.cpp). Private to atlas_core.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atlas/envelope.hpp"

namespace atlas::envelope_rules {

inline ValidationError schema_error(std::string path, std::string message) {
  return ValidationError{std::move(path), std::move(message), ErrorClass::schema};
}

// The member `key` of `object`, or nullptr when `object` is not an object or
// has no such member. (Out of line on purpose: GCC's -Wnull-dereference sees
// through inlined nlohmann iterators and warns about them.)
const nlohmann::json* member(const nlohmann::json& object, const char* key);

// A JSON Pointer reference token for `key` ("~" -> "~0", "/" -> "~1").
std::string pointer_token(std::string_view key);

// `text` shortened to at most ~40 bytes on a character boundary, as a JSON
// string literal (quotes and control characters escaped), for messages.
std::string quoted_excerpt(std::string_view text);

// JSON's name for the type of `value` ("string", "object", "integer", ...).
std::string_view type_name(const nlohmann::json& value);

// The value of a JSON Schema "integer" (a number with no fractional part, so
// 3.0 counts) within [minimum, maximum]; nullopt otherwise.
std::optional<std::int64_t> bounded_integer(const nlohmann::json& value, std::int64_t minimum,
                                            std::int64_t maximum);

// nullopt when `value` is a string holding a canonical UUID.
std::optional<ValidationError> check_uuid(const nlohmann::json& value, const std::string& path);

// nullopt when `value` is an integer in [minimum, kMaxEnvelopeInteger].
std::optional<ValidationError> check_count(const nlohmann::json& value, const std::string& path,
                                           std::int64_t minimum);

}  // namespace atlas::envelope_rules
