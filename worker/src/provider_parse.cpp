#include "provider_parse.hpp"

#include <algorithm>
#include <cstdint>

namespace atlas::worker::detail {

std::int64_t token_count(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
  }
  if (it->is_number_integer()) return std::max<std::int64_t>(0, it->get<std::int64_t>());
  const double d = it->get<double>();
  return d > 0 && d < 9.2e18 ? static_cast<std::int64_t>(d) : 0;
}

std::string string_member(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

CallError malformed(int status, std::string what) {
  return CallError{Classification{Outcome::retry_same_model, "malformed_response",
                                  sanitize_provider_text(what)},
                   status, std::nullopt};
}

CallError empty_output(int status, const Usage& usage, std::string reason, std::string detail) {
  return CallError{
      Classification{Outcome::next_model, std::move(reason), sanitize_provider_text(detail)},
      status, usage};
}

CallError http_error(int status, std::string_view body, std::string_view api_key) {
  return CallError{classify_http_error(status, body, api_key), status, std::nullopt};
}

}  // namespace atlas::worker::detail
