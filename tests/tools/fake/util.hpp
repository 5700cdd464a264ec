#pragma once
// atlas-fake: small helpers shared by the emulated providers and the control
// API (JSON access, path patterns, base64url, percent-decoding, time stamps).
// Header-only: tests/tools/atlas-fake.cpp is the one translation unit.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atlas/http/headers.hpp"
#include "atlas/json_depth.hpp"
#include "atlas/text.hpp"
#include "atlas/utf8.hpp"

namespace atlas::fake {

using nlohmann::json;

// Requests nest no deeper than this; deeper bodies count as malformed, so no
// recursive JSON step can exhaust the stack.
inline constexpr std::size_t kMaxJsonDepth = 64;

// The body parsed as JSON, or nullopt when it is not JSON (or nests too deep).
inline std::optional<json> parse_json_body(std::string_view body) {
  if (atlas::json_nesting_exceeds(body, kMaxJsonDepth)) return std::nullopt;
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

// obj[key] as a string when it is one.
inline std::optional<std::string> string_field(const json& obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The "model" of a JSON body, when it has one: used for rule matching, calls
// and statistics.
inline std::optional<std::string> body_model(const std::optional<json>& body) {
  if (!body) return std::nullopt;
  return string_field(*body, "model");
}

// A path pattern is an exact path ("/v1/responses") or a prefix ending in '*'
// ("/repos/*" matches "/repos/a/b/issues/1/comments"; "*" alone matches all).
inline bool path_matches(std::string_view pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return path.substr(0, pattern.size()) == pattern;
  }
  return pattern == path;
}

inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The value of `name` in a query string "a=1&path=%2Fv1", percent-decoded.
inline std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string()
                                          : atlas::percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// RFC 4648 section 5 (base64url, padding optional); nullopt on a bad character.
inline std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '-' || c == '+') value = 62;
    else if (c == '_' || c == '/') value = 63;
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// "2025-01-31T12:00:00Z" for a Unix time.
inline std::string iso8601_utc(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The credential after "<scheme> " in an Authorization header when the scheme
// is one of `schemes` (compared case-insensitively) and the credential is not
// blank; nullopt otherwise.
inline std::optional<std::string> auth_credential(const std::optional<std::string>& header,
                                                  std::initializer_list<std::string_view> schemes) {
  if (!header) return std::nullopt;
  const std::string_view value = atlas::trim(*header);
  const auto space = value.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = value.substr(0, space);
  const std::string_view credential = atlas::trim(value.substr(space + 1));
  if (credential.empty()) return std::nullopt;
  for (const auto s : schemes) {
    if (atlas::http::iequals(scheme, s)) return std::string(credential);
  }
  return std::nullopt;
}

// ceil(bytes / 4): the fake's deterministic token count for a prompt.
inline std::int64_t tokens_for_bytes(std::size_t bytes) {
  return static_cast<std::int64_t>((bytes + 3) / 4);
}

}  // namespace atlas::fake
