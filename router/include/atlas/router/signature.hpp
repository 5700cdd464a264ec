#pragma once
// Webhook signature checks over the raw body bytes, before anything parses
// them. Each check returns a SignatureResult whose reason is a short, fixed
// text safe to send back in a 401 (it never contains the secret, the
// expected signature or the body).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace atlas::router {

enum class SignatureStatus { ok, missing_header, malformed, stale, mismatch };

[[nodiscard]] std::string_view to_string(SignatureStatus status);

struct SignatureResult {
  SignatureStatus status = SignatureStatus::mismatch;
  std::string_view reason;  // static text, e.g. "X-Slack-Request-Timestamp is too old or too new"

  [[nodiscard]] bool ok() const { return status == SignatureStatus::ok; }
};

// Slack's request timestamps may be at most this far from the router's clock
// (in either direction) -- Slack's documented replay window.
inline constexpr std::chrono::seconds kSlackMaxClockSkew{300};

// Slack request signing: X-Slack-Signature must equal
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" + body)),
// and the timestamp (decimal Unix seconds) must be within kSlackMaxClockSkew
// of `now`. Header values are passed as found (nullopt when absent).
[[nodiscard]] SignatureResult verify_slack_signature(std::string_view signing_secret,
                                                     std::optional<std::string_view> timestamp,
                                                     std::optional<std::string_view> signature,
                                                     std::string_view body,
                                                     std::chrono::system_clock::time_point now);

// The X-Slack-Signature value for a body (tests and local tooling sign with it).
[[nodiscard]] std::string slack_signature(std::string_view signing_secret,
                                          std::string_view timestamp, std::string_view body);

// GitHub webhook signing: X-Hub-Signature-256 must equal
// "sha256=" + hex(HMAC-SHA256(secret, body)). The older SHA-1 X-Hub-Signature
// is not accepted.
[[nodiscard]] SignatureResult verify_github_signature(std::string_view webhook_secret,
                                                      std::optional<std::string_view> signature,
                                                      std::string_view body);

[[nodiscard]] std::string github_signature(std::string_view webhook_secret, std::string_view body);

}  // namespace atlas::router
