#include <doctest/doctest.h>

#include <string>

#include "atlas/worker/errors.hpp"

using atlas::worker::classify_http_error;
using atlas::worker::classify_transport_error;
using atlas::worker::Outcome;
using atlas::worker::TransportError;

namespace {

std::string openai_error(std::string_view type, std::string_view code, std::string_view message) {
  return R"({"error":{"type":")" + std::string(type) + R"(","code":")" + std::string(code) +
         R"(","message":")" + std::string(message) + R"(","param":null}})";
}

std::string anthropic_error(std::string_view type, std::string_view message) {
  return R"({"type":"error","error":{"type":")" + std::string(type) + R"(","message":")" +
         std::string(message) + R"("}})";
}

struct Row {
  int status;
  std::string body;
  Outcome outcome;
  std::string reason;
};

}  // namespace

TEST_CASE("worker errors: every row of the classification table") {
  const Row rows[] = {
      // retry the same model
      {408, "", Outcome::retry_same_model, "request_timeout"},
      {409, openai_error("conflict", "", "try again"), Outcome::retry_same_model, "conflict"},
      {429, openai_error("requests", "rate_limit_exceeded", "Rate limit reached for gpt-4.1"),
       Outcome::retry_same_model, "rate_limited"},
      {429, anthropic_error("rate_limit_error", "Number of request tokens has exceeded your rate limit"),
       Outcome::retry_same_model, "rate_limited"},
      {500, openai_error("server_error", "", "The server had an error"), Outcome::retry_same_model,
       "server_error"},
      {502, "<html>Bad gateway</html>", Outcome::retry_same_model, "server_error"},
      {503, "", Outcome::retry_same_model, "server_error"},
      {529, anthropic_error("overloaded_error", "Overloaded"), Outcome::retry_same_model,
       "overloaded"},
      // the next model
      {400, openai_error("invalid_request_error", "context_length_exceeded",
                         "This model's maximum context length is 128000 tokens."),
       Outcome::next_model, "context_length_exceeded"},
      {400, anthropic_error("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
       Outcome::next_model, "context_length_exceeded"},
      {404, openai_error("invalid_request_error", "model_not_found",
                         "The model `gpt-9` does not exist or you do not have access to it."),
       Outcome::next_model, "model_not_found"},
      {404, anthropic_error("not_found_error", "model: claude-nope"), Outcome::next_model,
       "model_not_found"},
      {404, openai_error("invalid_request_error", "",
                         "This model is only supported in v1/responses and not in v1/chat/completions."),
       Outcome::next_model, "unsupported_endpoint"},
      {400, openai_error("invalid_request_error", "unsupported_parameter",
                         "Unsupported parameter: 'temperature' is not supported with this model."),
       Outcome::next_model, "unsupported_parameter"},
      {413, anthropic_error("request_too_large", "Request exceeds the maximum allowed number of bytes"),
       Outcome::next_model, "request_too_large"},
      // never retry: the provider's circuit opens
      {400, openai_error("invalid_request_error", "", "Invalid 'messages': empty array"),
       Outcome::fail_permanent, "invalid_request"},
      {401, openai_error("invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
       Outcome::fail_permanent, "unauthorized"},
      {401, anthropic_error("authentication_error", "invalid x-api-key"), Outcome::fail_permanent,
       "unauthorized"},
      {403, anthropic_error("permission_error", "not allowed"), Outcome::fail_permanent, "forbidden"},
      {429, openai_error("insufficient_quota", "insufficient_quota",
                         "You exceeded your current quota, please check your plan and billing details."),
       Outcome::fail_permanent, "insufficient_quota"},
      {429, R"({"error":{"type":"insufficient_quota","code":null,"message":"quota"}})",
       Outcome::fail_permanent, "insufficient_quota"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.status);
    CAPTURE(row.body);
    const auto c = classify_http_error(row.status, row.body);
    CHECK(c.outcome == row.outcome);
    CHECK(c.reason == row.reason);
  }
}

TEST_CASE("worker errors: a malformed (non-JSON) error body is classified by status alone") {
  const std::string html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
  CHECK(classify_http_error(502, html).outcome == Outcome::retry_same_model);
  CHECK(classify_http_error(429, "{not json").reason == "rate_limited");
  CHECK(classify_http_error(400, "{\"error\": ").outcome == Outcome::fail_permanent);
  CHECK(classify_http_error(404, "not found").outcome == Outcome::next_model);
  CHECK(classify_http_error(401, "").outcome == Outcome::fail_permanent);
  // The raw body is kept (cut) as the detail.
  CHECK(classify_http_error(502, html).detail.find("502 Bad Gateway") != std::string::npos);
  // JSON of an unexpected shape does not crash either.
  CHECK(classify_http_error(500, "[1,2,3]").outcome == Outcome::retry_same_model);
  CHECK(classify_http_error(400, R"({"error":{"code":123,"message":["x"]}})").reason ==
        "invalid_request");
}

TEST_CASE("worker errors: OpenAI-compatible error shapes") {
  CHECK(classify_http_error(400, R"({"detail":"This model's maximum context length is 4096 tokens"})")
            .reason == "context_length_exceeded");
  CHECK(classify_http_error(400, R"({"error":"prompt is too long"})").reason ==
        "context_length_exceeded");
  CHECK(classify_http_error(400, R"({"message":"bad field"})").reason == "invalid_request");
}

TEST_CASE("worker errors: unexpected statuses move on without opening the circuit") {
  CHECK(classify_http_error(418, "").outcome == Outcome::next_model);
  CHECK(classify_http_error(418, "").reason == "http_418");
  CHECK(classify_http_error(302, "").outcome == Outcome::next_model);
  CHECK(classify_http_error(402, "").outcome == Outcome::fail_permanent);
}

TEST_CASE("worker errors: transport failures") {
  CHECK(classify_transport_error(TransportError::timeout).outcome == Outcome::retry_same_model);
  CHECK(classify_transport_error(TransportError::timeout).reason == "timeout");
  CHECK(classify_transport_error(TransportError::connect).reason == "connection_error");
  CHECK(classify_transport_error(TransportError::connect).outcome == Outcome::retry_same_model);
  CHECK(classify_transport_error(TransportError::tls).outcome == Outcome::retry_same_model);
  CHECK(classify_transport_error(TransportError::other).outcome == Outcome::retry_same_model);
  CHECK(classify_transport_error(TransportError::too_large).outcome == Outcome::next_model);
}

TEST_CASE("worker errors: details never carry keys or tokens") {
  const std::string key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
  const auto c = classify_http_error(
      401, openai_error("invalid_request_error", "invalid_api_key",
                        "Incorrect API key provided: " + key + ". Header was Bearer " + key),
      key);
  CHECK(c.detail.find(key) == std::string::npos);
  CHECK(c.detail.find("abcdefghijkl") == std::string::npos);
  CHECK(c.detail.find("[REDACTED]") != std::string::npos);
  // Keys are recognised without being told (another provider's key in a message).
  const auto s = atlas::worker::sanitize_provider_text(
      "key sk-ant-api03-SECRETSECRETSECRET and Authorization: Bearer abc.def-ghi");
  CHECK(s.find("SECRETSECRET") == std::string::npos);
  CHECK(s.find("abc.def-ghi") == std::string::npos);
  // Control characters go; long text is cut on a UTF-8 boundary.
  CHECK(atlas::worker::sanitize_provider_text("a\nb\x01" "c") == "a b c");
  const std::string long_text(1000, 'x');
  CHECK(atlas::worker::sanitize_provider_text(long_text).size() == 303);
  const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC";  // two 3-byte characters
  CHECK(atlas::worker::sanitize_provider_text(euros, {}, 4) == "\xE2\x82\xAC...");
}
