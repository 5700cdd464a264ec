#include "atlas/router/delivery_outcome.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

#include "atlas/retry_policy.hpp"
#include "atlas/router/json_input.hpp"
#include "atlas/router/text.hpp"

namespace atlas::router {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kSecondaryRateLimitWait{60'000};

std::optional<milliseconds> retry_after(const http::ClientResponse& response,
                                        std::chrono::system_clock::time_point now) {
  const auto value = response.header("retry-after");
  if (!value) return std::nullopt;
  return parse_retry_after(std::nullopt, std::string_view(*value), now);
}

std::string status_text(int status) { return "HTTP " + std::to_string(status); }

// Slack errors that may go away by themselves.
bool slack_error_is_transient(std::string_view error) {
  static constexpr std::array<std::string_view, 6> kTransient = {
      "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
      "request_timeout"};
  return std::find(kTransient.begin(), kTransient.end(), error) != kTransient.end();
}

bool slack_error_is_auth(std::string_view error) {
  return error == "invalid_auth" || error == "not_authed" || error == "account_inactive" ||
         error == "token_revoked" || error == "token_expired";
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// GitHub's "message" from an error body, cut short, for the reason text.
std::string github_message(const std::string& body) {
  auto parsed = parse_json_object(body);
  if (!parsed.ok()) return {};
  std::string message = string_field(parsed.value, "message");
  message.resize(utf8_prefix(message, 200).size());
  return message;
}

std::optional<DeliveryOutcome> github_rate_limit(const http::ClientResponse& response,
                                                 std::chrono::system_clock::time_point now) {
  if (auto wait = retry_after(response, now)) {
    return RetryLater{wait, status_text(response.status) + ": GitHub rate limit (retry-after)"};
  }
  const auto remaining = response.header("x-ratelimit-remaining");
  if (remaining && parse_int(*remaining) == 0) {
    std::optional<milliseconds> wait;
    if (const auto reset = response.header("x-ratelimit-reset")) {
      if (const auto at = parse_int(*reset); at && *at >= 0) {
        const auto reset_at = std::chrono::system_clock::time_point(std::chrono::seconds(*at));
        wait = std::max(milliseconds(0),
                        std::chrono::duration_cast<milliseconds>(reset_at - now));
      }
    }
    return RetryLater{wait, status_text(response.status) + ": GitHub rate limit exhausted"};
  }
  std::string message = github_message(response.body);
  std::transform(message.begin(), message.end(), message.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (message.find("rate limit") != std::string::npos) {
    return RetryLater{kSecondaryRateLimitWait,
                      status_text(response.status) + ": GitHub secondary rate limit"};
  }
  return std::nullopt;
}

}  // namespace

std::string_view outcome_label(const DeliveryOutcome& outcome) {
  switch (outcome.index()) {
    case 0: return "delivered";
    case 1: return "retry";
    default: return "permanent";
  }
}

std::string outcome_reason(const DeliveryOutcome& outcome) {
  if (const auto* r = std::get_if<RetryLater>(&outcome)) return r->reason;
  if (const auto* p = std::get_if<Permanent>(&outcome)) return p->reason;
  return {};
}

std::optional<DeliveryOutcome> classify_transport(const http::ClientResponse& response) {
  if (response.transport_ok()) return std::nullopt;
  std::string reason = std::string(http::to_string(response.error));
  if (!response.error_message.empty()) reason += ": " + response.error_message;
  return RetryLater{std::nullopt, std::move(reason)};
}

DeliveryOutcome classify_slack_response(const http::ClientResponse& response,
                                        std::chrono::system_clock::time_point now) {
  if (auto transport = classify_transport(response)) return *transport;
  const int status = response.status;
  if (status == 429) return RetryLater{retry_after(response, now), "HTTP 429: Slack rate limit"};
  if (status >= 500 || status == 408) {
    return RetryLater{retry_after(response, now), status_text(status) + " from Slack"};
  }
  if (status < 200 || status >= 300) {
    return Permanent{status_text(status) + " from Slack", status == 401};
  }
  auto parsed = parse_json_object(response.body);
  if (!parsed.ok()) return RetryLater{std::nullopt, "Slack answered with an unreadable body"};
  const auto ok = parsed.value.find("ok");
  if (ok != parsed.value.end() && ok->is_boolean() && ok->get<bool>()) return Delivered{};
  std::string error = string_field(parsed.value, "error");
  if (error.empty()) error = "unknown_error";
  error.resize(utf8_prefix(error, 100).size());
  if (slack_error_is_transient(error)) {
    return RetryLater{retry_after(response, now), "Slack error " + error};
  }
  return Permanent{"Slack error " + error, slack_error_is_auth(error)};
}

DeliveryOutcome classify_github_response(const http::ClientResponse& response,
                                         std::chrono::system_clock::time_point now) {
  if (auto transport = classify_transport(response)) return *transport;
  const int status = response.status;
  if (status >= 200 && status < 300) return Delivered{};
  if (status == 429 || status == 403) {
    if (auto limited = github_rate_limit(response, now)) return *limited;
    if (status == 429) return RetryLater{std::nullopt, "HTTP 429 from GitHub"};
  }
  if (status >= 500 || status == 408) {
    return RetryLater{retry_after(response, now), status_text(status) + " from GitHub"};
  }
  std::string reason = status_text(status) + " from GitHub";
  if (auto message = github_message(response.body); !message.empty()) reason += ": " + message;
  return Permanent{std::move(reason), status == 401};
}

}  // namespace atlas::router
