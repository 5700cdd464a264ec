#include <doctest/doctest.h>

#include <chrono>

#include "atlas/router/delivery_outcome.hpp"

using namespace std::chrono_literals;
using atlas::http::ClientResponse;
using atlas::http::ErrorKind;
using atlas::router::classify_github_response;
using atlas::router::classify_slack_response;
using atlas::router::Delivered;
using atlas::router::Permanent;
using atlas::router::RetryLater;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

ClientResponse response(int status, std::string body, atlas::http::HeaderList headers = {}) {
  ClientResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

ClientResponse transport_error(ErrorKind kind) {
  ClientResponse r;
  r.error = kind;
  r.error_message = "POST http://127.0.0.1:1/api/chat.postMessage: Connection refused";
  return r;
}

}  // namespace

TEST_CASE("router outcome: Slack ok:true is delivered - ok:false with permanent errors is permanent") {
  CHECK(std::holds_alternative<Delivered>(
      classify_slack_response(response(200, R"({"ok":true,"channel":"C1","ts":"1.2"})"), kNow)));
  for (std::string_view error : {"channel_not_found", "not_in_channel", "invalid_auth", "account_inactive",
                                 "no_permission", "is_archived", "msg_too_long", "something_new"}) {
    CAPTURE(error);
    const auto o = classify_slack_response(
        response(200, R"({"ok":false,"error":")" + std::string(error) + R"("})"), kNow);
    REQUIRE(std::holds_alternative<Permanent>(o));
    CHECK(std::get<Permanent>(o).reason == "Slack error " + std::string(error));
  }
  CHECK(std::get<Permanent>(classify_slack_response(response(200, R"({"ok":false,"error":"invalid_auth"})"), kNow))
            .credentials_rejected);
  CHECK_FALSE(std::get<Permanent>(classify_slack_response(response(200, R"({"ok":false,"error":"channel_not_found"})"), kNow))
                  .credentials_rejected);
}

TEST_CASE("router outcome: Slack rate limits and server errors are retried, honouring Retry-After") {
  const auto limited = classify_slack_response(
      response(429, R"({"ok":false,"error":"ratelimited"})", {{"retry-after", "2"}}), kNow);
  REQUIRE(std::holds_alternative<RetryLater>(limited));
  CHECK(std::get<RetryLater>(limited).after == std::optional<std::chrono::milliseconds>(2000ms));
  const auto ok_false = classify_slack_response(
      response(200, R"({"ok":false,"error":"ratelimited"})", {{"retry-after", "30"}}), kNow);
  REQUIRE(std::holds_alternative<RetryLater>(ok_false));
  CHECK(std::get<RetryLater>(ok_false).after == std::optional<std::chrono::milliseconds>(30'000ms));
  for (int status : {500, 502, 503, 504}) {
    CAPTURE(status);
    CHECK(std::holds_alternative<RetryLater>(classify_slack_response(response(status, "oops"), kNow)));
  }
  CHECK(std::holds_alternative<RetryLater>(
      classify_slack_response(response(200, R"({"ok":false,"error":"internal_error"})"), kNow)));
  CHECK(std::holds_alternative<RetryLater>(classify_slack_response(response(200, "<html>"), kNow)));
  for (int status : {400, 403, 404, 410}) {
    CAPTURE(status);
    CHECK(std::holds_alternative<Permanent>(classify_slack_response(response(status, ""), kNow)));
  }
}

TEST_CASE("router outcome: time-outs and connection errors are retried for both services") {
  for (auto kind : {ErrorKind::timeout, ErrorKind::connect, ErrorKind::tls, ErrorKind::other}) {
    const auto slack = classify_slack_response(transport_error(kind), kNow);
    REQUIRE(std::holds_alternative<RetryLater>(slack));
    CHECK_FALSE(std::get<RetryLater>(slack).after);
    CHECK(std::holds_alternative<RetryLater>(classify_github_response(transport_error(kind), kNow)));
  }
  CHECK(atlas::router::outcome_label(classify_slack_response(transport_error(ErrorKind::timeout), kNow)) == "retry");
}

TEST_CASE("router outcome: GitHub 2xx delivered, 5xx and 429 retried, other 4xx permanent") {
  CHECK(std::holds_alternative<Delivered>(classify_github_response(response(201, R"({"id":1})"), kNow)));
  CHECK(std::holds_alternative<RetryLater>(classify_github_response(response(502, ""), kNow)));
  const auto r429 = classify_github_response(response(429, "", {{"retry-after", "7"}}), kNow);
  REQUIRE(std::holds_alternative<RetryLater>(r429));
  CHECK(std::get<RetryLater>(r429).after == std::optional<std::chrono::milliseconds>(7000ms));
  CHECK(std::holds_alternative<RetryLater>(classify_github_response(response(429, ""), kNow)));
  const auto not_found = classify_github_response(response(404, R"({"message":"Not Found"})"), kNow);
  REQUIRE(std::holds_alternative<Permanent>(not_found));
  CHECK(std::get<Permanent>(not_found).reason == "HTTP 404 from GitHub: Not Found");
  CHECK(std::holds_alternative<Permanent>(classify_github_response(response(422, "{}"), kNow)));
  const auto unauthorized = classify_github_response(response(401, R"({"message":"Bad credentials"})"), kNow);
  REQUIRE(std::holds_alternative<Permanent>(unauthorized));
  CHECK(std::get<Permanent>(unauthorized).credentials_rejected);
  // A plain 403 (no permission) is permanent.
  CHECK(std::holds_alternative<Permanent>(classify_github_response(
      response(403, R"({"message":"Resource not accessible by integration"})", {{"x-ratelimit-remaining", "4999"}}), kNow)));
}

TEST_CASE("router outcome: GitHub rate limits (primary and secondary) wait as GitHub says") {
  const auto primary = classify_github_response(
      response(403, R"({"message":"API rate limit exceeded"})",
               {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1700000090"}}),
      kNow);
  REQUIRE(std::holds_alternative<RetryLater>(primary));
  CHECK(std::get<RetryLater>(primary).after == std::optional<std::chrono::milliseconds>(90'000ms));
  // A reset already past waits 0.
  const auto past = classify_github_response(
      response(403, "", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1600000000"}}), kNow);
  CHECK(std::get<RetryLater>(past).after == std::optional<std::chrono::milliseconds>(0ms));
  const auto secondary = classify_github_response(
      response(403, R"({"message":"You have exceeded a secondary rate limit. Please wait."})"), kNow);
  REQUIRE(std::holds_alternative<RetryLater>(secondary));
  CHECK(std::get<RetryLater>(secondary).after == std::optional<std::chrono::milliseconds>(60'000ms));
  const auto with_retry_after = classify_github_response(response(403, "", {{"retry-after", "12"}}), kNow);
  CHECK(std::get<RetryLater>(with_retry_after).after == std::optional<std::chrono::milliseconds>(12'000ms));
}
