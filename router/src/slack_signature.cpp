#include <charconv>
#include <cstdint>
#include <string>

#include "atlas/router/hmac.hpp"
#include "atlas/router/signature.hpp"

namespace atlas::router {
namespace {

constexpr std::string_view kVersionPrefix = "v0=";

// Decimal Unix seconds: digits only, at most 12 of them (no sign, no spaces).
std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

SignatureResult verify_slack_signature(std::string_view signing_secret,
                                       std::optional<std::string_view> timestamp,
                                       std::optional<std::string_view> signature,
                                       std::string_view body,
                                       std::chrono::system_clock::time_point now) {
  if (!timestamp) return {SignatureStatus::missing_header, "X-Slack-Request-Timestamp is missing"};
  if (!signature) return {SignatureStatus::missing_header, "X-Slack-Signature is missing"};
  const auto seconds = parse_unix_seconds(*timestamp);
  if (!seconds) {
    return {SignatureStatus::malformed, "X-Slack-Request-Timestamp is not a Unix time in seconds"};
  }
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t skew = now_s > *seconds ? now_s - *seconds : *seconds - now_s;
  if (skew > kSlackMaxClockSkew.count()) {
    return {SignatureStatus::stale, "X-Slack-Request-Timestamp is more than 5 minutes away"};
  }
  if (signature->substr(0, kVersionPrefix.size()) != kVersionPrefix) {
    return {SignatureStatus::malformed, "X-Slack-Signature is not a v0= signature"};
  }
  const auto given = digest_from_hex(signature->substr(kVersionPrefix.size()));
  if (!given) return {SignatureStatus::malformed, "X-Slack-Signature is not v0= and 64 hex digits"};
  const auto expected = hmac_sha256(signing_secret, {"v0:", *timestamp, ":", body});
  if (!digests_equal(expected, *given)) {
    return {SignatureStatus::mismatch, "X-Slack-Signature does not match the body"};
  }
  return {SignatureStatus::ok, "ok"};
}

std::string slack_signature(std::string_view signing_secret, std::string_view timestamp,
                            std::string_view body) {
  return std::string(kVersionPrefix) +
         to_hex(hmac_sha256(signing_secret, {"v0:", timestamp, ":", body}));
}

}  // namespace atlas::router
