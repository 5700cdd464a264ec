#include "atlas/router/installation_tokens.hpp"

#include <charconv>

#include "atlas/router/delivery_github.hpp"
#include "atlas/router/json_input.hpp"

namespace atlas::router {
namespace {

std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<std::string> InstallationTokenCache::get(
    std::int64_t installation_id, std::chrono::system_clock::time_point now) const {
  const auto it = tokens_.find(installation_id);
  if (it == tokens_.end() || it->second.expires_at - now <= margin_) return std::nullopt;
  return it->second.token;
}

void InstallationTokenCache::put(std::int64_t installation_id, InstallationToken token) {
  tokens_[installation_id] = std::move(token);
}

void InstallationTokenCache::invalidate(std::int64_t installation_id) {
  tokens_.erase(installation_id);
}

http::ClientRequest installation_token_request(std::string_view api_url,
                                               std::int64_t installation_id, std::string_view jwt) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = std::string(api_url) + "/app/installations/" + std::to_string(installation_id) +
                "/access_tokens";
  request.headers = github_headers(jwt);
  request.timeout = std::chrono::seconds(10);
  request.max_response_bytes = 1u << 20;
  return request;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {  // fractional seconds: ignored
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*year),
                                        std::chrono::month(static_cast<unsigned>(*month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

std::optional<InstallationToken> parse_installation_token(std::string_view body,
                                                          std::string& error) {
  auto parsed = parse_json_object(body);
  if (!parsed.ok()) {
    error = "installation token response: " + parsed.error;
    return std::nullopt;
  }
  InstallationToken token;
  token.token = string_field(parsed.value, "token");
  if (token.token.empty()) {
    error = "installation token response has no token";
    return std::nullopt;
  }
  const auto expires = parse_utc_timestamp(string_field(parsed.value, "expires_at"));
  if (!expires) {
    error = "installation token response has no readable expires_at";
    return std::nullopt;
  }
  token.expires_at = *expires;
  return token;
}

}  // namespace atlas::router
