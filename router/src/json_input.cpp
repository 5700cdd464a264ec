#include "atlas/router/json_input.hpp"

#include "atlas/json_depth.hpp"
#include "atlas/utf8.hpp"

namespace atlas::router {

std::string hostile_json_error(std::string_view body) {
  if (validate_utf8(body)) return "body is not valid UTF-8";
  if (json_nesting_exceeds(body, kMaxJsonDepth)) return "body nests JSON more than 64 levels deep";
  return {};
}

JsonInput parse_json_object(std::string_view body) {
  JsonInput out;
  out.error = hostile_json_error(body);
  if (!out.error.empty()) return out;
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    out.error = "body is not valid JSON";
    return out;
  }
  if (!parsed.is_object()) {
    out.error = "body is not a JSON object";
    return out;
  }
  out.value = std::move(parsed);
  return out;
}

std::string string_field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

const nlohmann::json* object_field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::optional<std::int64_t> integer_field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  // is_number_integer() is true for unsigned numbers too: test those first.
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  return std::nullopt;
}

}  // namespace atlas::router
