#pragma once
// The outcome of one delivery attempt, classified once at the boundary:
// Delivered, RetryLater (with the server's requested wait, if any) or
// Permanent. Everything downstream -- retry records, dead letters, metrics
// labels -- reads this type, never HTTP statuses.
//
// Slack (chat.postMessage): HTTP 200 {"ok":true} delivered; {"ok":false}
// with ratelimited or a server-side error retried, with channel_not_found,
// not_in_channel, invalid_auth, account_inactive, no_permission, is_archived
// and any other error permanent; 429 and 5xx retried (Retry-After honoured),
// other 4xx permanent.
// GitHub: 2xx delivered; 429, 5xx, and 403 that is a rate limit
// (x-ratelimit-remaining: 0 -> wait until x-ratelimit-reset; retry-after; or a
// "secondary rate limit" message -> at least 60 s) retried; other 4xx
// permanent (401 flags the credential as rejected, so a cached installation
// token is dropped).
// Both: time-outs, connection and TLS errors retried.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "atlas/http/client.hpp"

namespace atlas::router {

struct Delivered {};

struct RetryLater {
  std::optional<std::chrono::milliseconds> after;  // the server's Retry-After, if it gave one
  std::string reason;
};

struct Permanent {
  std::string reason;
  bool credentials_rejected = false;  // 401/invalid_auth: drop cached tokens
};

using DeliveryOutcome = std::variant<Delivered, RetryLater, Permanent>;

// deliveries_total{outcome}: delivered | retry | permanent.
[[nodiscard]] std::string_view outcome_label(const DeliveryOutcome& outcome);
// The reason text ("" for Delivered).
[[nodiscard]] std::string outcome_reason(const DeliveryOutcome& outcome);

// Transport failures (no HTTP response) are retried; nullopt when a response arrived.
[[nodiscard]] std::optional<DeliveryOutcome> classify_transport(const http::ClientResponse& response);

[[nodiscard]] DeliveryOutcome classify_slack_response(const http::ClientResponse& response,
                                                      std::chrono::system_clock::time_point now);

[[nodiscard]] DeliveryOutcome classify_github_response(const http::ClientResponse& response,
                                                       std::chrono::system_clock::time_point now);

}  // namespace atlas::router
