#include <string>

#include "atlas/router/hmac.hpp"
#include "atlas/router/signature.hpp"

namespace atlas::router {
namespace {

constexpr std::string_view kPrefix = "sha256=";

}  // namespace

SignatureResult verify_github_signature(std::string_view webhook_secret,
                                        std::optional<std::string_view> signature,
                                        std::string_view body) {
  if (!signature) return {SignatureStatus::missing_header, "X-Hub-Signature-256 is missing"};
  if (signature->substr(0, kPrefix.size()) != kPrefix) {
    return {SignatureStatus::malformed, "X-Hub-Signature-256 is not a sha256= signature"};
  }
  const auto given = digest_from_hex(signature->substr(kPrefix.size()));
  if (!given) {
    return {SignatureStatus::malformed, "X-Hub-Signature-256 is not sha256= and 64 hex digits"};
  }
  const auto expected = hmac_sha256(webhook_secret, {body});
  if (!digests_equal(expected, *given)) {
    return {SignatureStatus::mismatch, "X-Hub-Signature-256 does not match the body"};
  }
  return {SignatureStatus::ok, "ok"};
}

std::string github_signature(std::string_view webhook_secret, std::string_view body) {
  return std::string(kPrefix) + to_hex(hmac_sha256(webhook_secret, {body}));
}

}  // namespace atlas::router
