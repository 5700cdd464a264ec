#include "envelope_rules.hpp"

#include <cmath>

#include "atlas/utf8.hpp"
#include "atlas/uuid.hpp"

namespace atlas::envelope_rules {

const nlohmann::json* member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string pointer_token(std::string_view key) {
  std::string token;
  token.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t kMaxBytes = 40;
  bool cut = false;
  if (text.size() > kMaxBytes) {
    text = utf8_prefix(text, kMaxBytes);
    cut = true;
  }
  // Callers pass validated UTF-8; "replace" keeps dump() from throwing if not.
  std::string quoted = nlohmann::json(std::string(text))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cut) quoted.insert(quoted.size() - 1, "...");
  return quoted;
}

std::string_view type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::binary: return "binary data";
    case nlohmann::json::value_t::discarded: return "nothing";
  }
  return "unknown";
}

std::optional<std::int64_t> bounded_integer(const nlohmann::json& value, std::int64_t minimum,
                                            std::int64_t maximum) {
  std::int64_t result = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(maximum)) return std::nullopt;
    result = static_cast<std::int64_t>(u);
  } else if (value.is_number_integer()) {
    result = value.get<std::int64_t>();
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    // The bounds stay within +-2^53, where doubles are exact integers.
    if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
    if (d < static_cast<double>(minimum) || d > static_cast<double>(maximum)) return std::nullopt;
    result = static_cast<std::int64_t>(d);
  } else {
    return std::nullopt;
  }
  if (result < minimum || result > maximum) return std::nullopt;
  return result;
}

std::optional<ValidationError> check_uuid(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string()) {
    return schema_error(path, "must be a UUID string such as \"" + kAtlasNamespace.to_string() +
                                  "\", not " + std::string(type_name(value)));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (!is_uuid(text)) {
    return schema_error(path, "must be a UUID in the form 8-4-4-4-12 hex digits (such as \"" +
                                  kAtlasNamespace.to_string() + "\"), got " +
                                  quoted_excerpt(text));
  }
  return std::nullopt;
}

std::optional<ValidationError> check_count(const nlohmann::json& value, const std::string& path,
                                           std::int64_t minimum) {
  if (bounded_integer(value, minimum, kMaxEnvelopeInteger)) return std::nullopt;
  std::string message = "must be an integer from " + std::to_string(minimum) + " to " +
                        std::to_string(kMaxEnvelopeInteger) + ", not ";
  if (value.is_number()) {
    message += value.dump();
  } else {
    message += type_name(value);
  }
  return schema_error(path, std::move(message));
}

}  // namespace atlas::envelope_rules
