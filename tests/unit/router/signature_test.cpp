#include <doctest/doctest.h>

#include <cctype>
#include <chrono>
#include <string>
#include <thread>

#include "atlas/router/hmac.hpp"
#include "atlas/router/signature.hpp"

using namespace std::chrono_literals;
using atlas::router::SignatureStatus;
using atlas::router::verify_github_signature;
using atlas::router::verify_slack_signature;

namespace {

// Slack's worked example (docs: "Verifying requests from Slack").
constexpr std::string_view kSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::string_view kSlackTimestamp = "1531420618";
constexpr std::string_view kSlackBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibI"
    "GlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
constexpr std::string_view kSlackSignature =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

// GitHub's example (docs: "Validating webhook deliveries").
constexpr std::string_view kGithubSecret = "It's a Secret to Everybody";
constexpr std::string_view kGithubBody = "Hello, World!";
constexpr std::string_view kGithubSignature =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

const auto kSlackNow = at(1531420618);

}  // namespace

TEST_CASE("router signature: Slack's published example verifies with the clock at its timestamp") {
  CHECK(atlas::router::slack_signature(kSlackSecret, kSlackTimestamp, kSlackBody) == kSlackSignature);
  const auto result =
      verify_slack_signature(kSlackSecret, kSlackTimestamp, kSlackSignature, kSlackBody, kSlackNow);
  CHECK(result.ok());
  CHECK(result.status == SignatureStatus::ok);
  // Upper-case hex from a client is the same signature.
  std::string upper(kSlackSignature);
  for (std::size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(verify_slack_signature(kSlackSecret, kSlackTimestamp, upper, kSlackBody, kSlackNow).ok());
}

TEST_CASE("router signature: GitHub's published example verifies") {
  CHECK(atlas::router::github_signature(kGithubSecret, kGithubBody) == kGithubSignature);
  CHECK(verify_github_signature(kGithubSecret, kGithubSignature, kGithubBody).ok());
}

TEST_CASE("router signature: Slack tampered body, forged signature and wrong secret are mismatches") {
  std::string tampered(kSlackBody);
  tampered.back() = 'd';
  CHECK(verify_slack_signature(kSlackSecret, kSlackTimestamp, kSlackSignature, tampered, kSlackNow)
            .status == SignatureStatus::mismatch);
  // One appended byte.
  CHECK(verify_slack_signature(kSlackSecret, kSlackTimestamp, kSlackSignature,
                               std::string(kSlackBody) + "&", kSlackNow)
            .status == SignatureStatus::mismatch);
  // A different timestamp is part of the signed string.
  CHECK(verify_slack_signature(kSlackSecret, "1531420619", kSlackSignature, kSlackBody, kSlackNow)
            .status == SignatureStatus::mismatch);
  // Forged: well-formed, wrong digest.
  const std::string forged = "v0=" + std::string(64, 'a');
  CHECK(verify_slack_signature(kSlackSecret, kSlackTimestamp, forged, kSlackBody, kSlackNow).status ==
        SignatureStatus::mismatch);
  CHECK(verify_slack_signature("another-secret", kSlackTimestamp, kSlackSignature, kSlackBody,
                               kSlackNow)
            .status == SignatureStatus::mismatch);
}

TEST_CASE("router signature: Slack timestamps more than 5 minutes away either way are stale") {
  const auto sign_ok = [&](std::chrono::system_clock::time_point now) {
    return verify_slack_signature(kSlackSecret, kSlackTimestamp, kSlackSignature, kSlackBody, now)
        .status;
  };
  CHECK(sign_ok(kSlackNow + 300s) == SignatureStatus::ok);   // exactly 5 minutes old
  CHECK(sign_ok(kSlackNow - 300s) == SignatureStatus::ok);   // 5 minutes in the future
  CHECK(sign_ok(kSlackNow + 301s) == SignatureStatus::stale);
  CHECK(sign_ok(kSlackNow - 301s) == SignatureStatus::stale);  // from the future
  CHECK(sign_ok(kSlackNow + 24h) == SignatureStatus::stale);
  // A replay of the documented request today is refused.
  CHECK(sign_ok(at(1'800'000'000)) == SignatureStatus::stale);
}

TEST_CASE("router signature: Slack garbage timestamps and signatures are malformed, absent ones missing") {
  const auto status = [&](std::optional<std::string_view> ts, std::optional<std::string_view> sig) {
    return verify_slack_signature(kSlackSecret, ts, sig, kSlackBody, kSlackNow).status;
  };
  CHECK(status(std::nullopt, kSlackSignature) == SignatureStatus::missing_header);
  CHECK(status(kSlackTimestamp, std::nullopt) == SignatureStatus::missing_header);
  for (std::string_view ts : {"", "abc", "1531420618.5", "-1531420618", "+1531420618",
                              " 1531420618", "1531420618 ", "99999999999999999999", "0x5B47"}) {
    CAPTURE(ts);
    CHECK(status(ts, kSlackSignature) == SignatureStatus::malformed);
  }
  for (std::string_view sig :
       {"", "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "v0=",
        "v0=a2114d57", "v0=zz114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50300"}) {
    CAPTURE(sig);
    CHECK(status(kSlackTimestamp, sig) == SignatureStatus::malformed);
  }
}

TEST_CASE("router signature: GitHub tampered, forged, missing and malformed signatures fail") {
  CHECK(verify_github_signature(kGithubSecret, kGithubSignature, "Hello, World?").status ==
        SignatureStatus::mismatch);
  CHECK(verify_github_signature("It's a secret to everybody", kGithubSignature, kGithubBody).status ==
        SignatureStatus::mismatch);
  CHECK(verify_github_signature(kGithubSecret, std::nullopt, kGithubBody).status ==
        SignatureStatus::missing_header);
  for (std::string_view sig : {"", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d",
                               "sha256=", "sha256=757107ea", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                               "sha256=g57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}) {
    CAPTURE(sig);
    CHECK(verify_github_signature(kGithubSecret, sig, kGithubBody).status == SignatureStatus::malformed);
  }
}

TEST_CASE("router signature: reasons are short and never contain the secret or the expected digest") {
  const std::string expected = atlas::router::github_signature(kGithubSecret, "other");
  const auto results = {
      verify_github_signature(kGithubSecret, kGithubSignature, "other"),
      verify_github_signature(kGithubSecret, std::nullopt, "other"),
      verify_github_signature(kGithubSecret, "sha256=xyz", "other"),
      verify_slack_signature(kSlackSecret, kSlackTimestamp, kSlackSignature, "x", kSlackNow),
      verify_slack_signature(kSlackSecret, kSlackTimestamp, kSlackSignature, kSlackBody,
                             kSlackNow + 1h),
  };
  for (const auto& r : results) {
    CAPTURE(r.reason);
    CHECK_FALSE(r.ok());
    CHECK(r.reason.size() < 80);
    CHECK(r.reason.find(kGithubSecret) == std::string_view::npos);
    CHECK(r.reason.find(kSlackSecret) == std::string_view::npos);
    CHECK(r.reason.find(expected.substr(7, 16)) == std::string_view::npos);
  }
}

TEST_CASE("router hmac: hex round trip and HMAC-SHA256 of RFC 4231 test case 2") {
  const auto digest = atlas::router::hmac_sha256("Jefe", {"what do ya want ", "for nothing?"});
  CHECK(atlas::router::to_hex(digest) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const auto back = atlas::router::digest_from_hex(atlas::router::to_hex(digest));
  REQUIRE(back);
  CHECK(atlas::router::digests_equal(*back, digest));
  auto other = digest;
  other[31] ^= 1;
  CHECK_FALSE(atlas::router::digests_equal(other, digest));
  // Empty key and empty message are legal HMAC inputs.
  CHECK(atlas::router::to_hex(atlas::router::hmac_sha256("", {""})) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("router hmac: each thread's reused context gives the right digest whatever key came before") {
  const auto jefe = [] {
    return atlas::router::to_hex(atlas::router::hmac_sha256("Jefe", {"what do ya want ", "for nothing?"}));
  };
  const auto github = [] {
    return atlas::router::to_hex(atlas::router::hmac_sha256("It's a Secret to Everybody", {"Hello, World!"}));
  };
  const std::string kJefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string kGithub = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  for (int round = 0; round < 3; ++round) {  // alternating keys on one context
    CHECK(jefe() == kJefe);
    CHECK(github() == kGithub);
  }
  std::string from_other_thread;
  std::thread([&] { from_other_thread = github() + jefe(); }).join();  // a fresh context
  CHECK(from_other_thread == kGithub + kJefe);
  CHECK(jefe() == kJefe);
}
