#pragma once
// GitHub App authentication, step two: the App's JWT is exchanged for an
// installation access token (POST /app/installations/{id}/access_tokens,
// valid one hour). Tokens are cached per installation and refreshed once
// they are within kTokenRefreshMargin of expiring, so a delivery never starts
// with a token about to lapse. The clock is passed in. Not thread-safe: the
// delivery loop owns the cache.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "atlas/http/client.hpp"

namespace atlas::router {

inline constexpr std::chrono::minutes kTokenRefreshMargin{5};

struct InstallationToken {
  std::string token;
  std::chrono::system_clock::time_point expires_at;
};

class InstallationTokenCache {
 public:
  explicit InstallationTokenCache(std::chrono::seconds refresh_margin = kTokenRefreshMargin)
      : margin_(refresh_margin) {}

  // The cached token while more than the refresh margin remains; nullopt
  // when absent or about to expire (fetch a new one).
  [[nodiscard]] std::optional<std::string> get(std::int64_t installation_id,
                                               std::chrono::system_clock::time_point now) const;
  void put(std::int64_t installation_id, InstallationToken token);
  // After GitHub answered 401 with the token.
  void invalidate(std::int64_t installation_id);
  [[nodiscard]] std::size_t size() const { return tokens_.size(); }

 private:
  std::chrono::seconds margin_;
  std::unordered_map<std::int64_t, InstallationToken> tokens_;
};

// POST {api_url}/app/installations/{id}/access_tokens with "Bearer <jwt>".
[[nodiscard]] http::ClientRequest installation_token_request(std::string_view api_url,
                                                             std::int64_t installation_id,
                                                             std::string_view jwt);

// Reads {"token":"ghs_...","expires_at":"2016-07-11T22:14:10Z",...}; on
// failure `error` says what was wrong (never quoting the token).
[[nodiscard]] std::optional<InstallationToken> parse_installation_token(std::string_view body,
                                                                        std::string& error);

// "YYYY-MM-DDTHH:MM:SSZ" (fractional seconds and a +00:00 offset accepted).
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(
    std::string_view text);

}  // namespace atlas::router
