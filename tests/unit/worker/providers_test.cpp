#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "atlas/http/headers.hpp"
#include "atlas/worker/provider.hpp"

using namespace atlas::worker;
using nlohmann::json;

namespace {

const ProviderEndpoint kOpenAi{"http://127.0.0.1:9/v1", "sk-test-0123456789abcdef"};
const ProviderEndpoint kAnthropic{"http://127.0.0.1:9", "sk-ant-test-0123456789"};

LlmRequest request() {
  LlmRequest r;
  r.system = "SYSTEM";
  r.user = "USER";
  r.max_output_tokens = 1234;
  r.temperature = 0.3;
  return r;
}

// By value: callers pass the temporary a parser returns.
Completion ok(const CallResult& r) {
  REQUIRE(std::holds_alternative<Completion>(r));
  return std::get<Completion>(r);
}

CallError err(const CallResult& r) {
  REQUIRE(std::holds_alternative<CallError>(r));
  return std::get<CallError>(r);
}

}  // namespace

TEST_CASE("worker providers: model rules") {
  CHECK(is_reasoning_model("o1"));
  CHECK(is_reasoning_model("o1-pro"));
  CHECK(is_reasoning_model("o3"));
  CHECK(is_reasoning_model("o3-2025-04-16"));
  CHECK(is_reasoning_model("o4-mini"));
  CHECK(is_reasoning_model("gpt-5"));
  CHECK(is_reasoning_model("gpt-5-mini"));
  CHECK_FALSE(is_reasoning_model("gpt-5-chat-latest"));
  CHECK_FALSE(is_reasoning_model("gpt-4.1"));
  CHECK_FALSE(is_reasoning_model("gpt-4o"));
  CHECK_FALSE(is_reasoning_model("o3x"));
  CHECK_FALSE(supports_instruction_role("o1-mini"));
  CHECK(supports_instruction_role("o1"));

  const auto& table = default_responses_only_models();
  CHECK(api_for({Provider::openai, "o1-pro"}, table) == Api::responses);
  CHECK(api_for({Provider::openai, "o1-pro-2025-03-19"}, table) == Api::responses);
  CHECK(api_for({Provider::openai, "o3-pro"}, table) == Api::responses);
  CHECK(api_for({Provider::openai, "o1"}, table) == Api::chat_completions);
  CHECK(api_for({Provider::openai, "gpt-4.1"}, table) == Api::chat_completions);
  CHECK(api_for({Provider::anthropic, "claude-sonnet-4-20250514"}, table) ==
        Api::anthropic_messages);
  CHECK(api_for({Provider::openai_compatible, "llama3.1:8b"}, table) == Api::chat_completions);
  CHECK(api_for({Provider::offline, "offline"}, table) == Api::offline);
}

TEST_CASE("worker providers: chat completions request for a classic model") {
  const HttpCall call = build_call(Api::chat_completions, {Provider::openai, "gpt-4.1"}, kOpenAi,
                                   request());
  CHECK(call.method == "POST");
  CHECK(call.url == "http://127.0.0.1:9/v1/chat/completions");
  CHECK(atlas::http::find_header(call.headers, "Authorization") ==
        std::optional<std::string>("Bearer sk-test-0123456789abcdef"));
  CHECK(atlas::http::find_header(call.headers, "content-type") ==
        std::optional<std::string>("application/json"));
  const json body = json::parse(call.body);
  CHECK(body["model"] == "gpt-4.1");
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][0]["content"] == "SYSTEM");
  CHECK(body["messages"][1]["role"] == "user");
  CHECK(body["messages"][1]["content"] == "USER");
  CHECK(body["max_tokens"] == 1234);
  CHECK(body["temperature"] == doctest::Approx(0.3));
  CHECK_FALSE(body.contains("max_completion_tokens"));
}

TEST_CASE("worker providers: chat completions request for a reasoning model") {
  const json body = json::parse(
      build_call(Api::chat_completions, {Provider::openai, "o3"}, kOpenAi, request()).body);
  CHECK(body["messages"][0]["role"] == "developer");
  CHECK(body["max_completion_tokens"] == 1234);
  CHECK_FALSE(body.contains("max_tokens"));
  CHECK_FALSE(body.contains("temperature"));
  // o1-mini takes no instructions message: they lead the user message.
  const json mini = json::parse(
      build_call(Api::chat_completions, {Provider::openai, "o1-mini"}, kOpenAi, request()).body);
  REQUIRE(mini["messages"].size() == 1);
  CHECK(mini["messages"][0]["role"] == "user");
  CHECK(mini["messages"][0]["content"] == "SYSTEM\n\nUSER");
}

TEST_CASE("worker providers: openai-compatible without a key sends no authorization") {
  const ProviderEndpoint local{"http://127.0.0.1:11434/v1", std::nullopt};
  const HttpCall call = build_call(Api::chat_completions,
                                   {Provider::openai_compatible, "llama3.1:8b"}, local, request());
  CHECK(call.url == "http://127.0.0.1:11434/v1/chat/completions");
  CHECK_FALSE(atlas::http::find_header(call.headers, "authorization").has_value());
  CHECK(json::parse(call.body)["model"] == "llama3.1:8b");
}

TEST_CASE("worker providers: chat completions response with usage") {
  const std::string body = R"({
    "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4.1-2025-04-14",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "# ADR\nhello"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200,
              "prompt_tokens_details": {"cached_tokens": 64},
              "completion_tokens_details": {"reasoning_tokens": 30}}})";
  const Completion c = ok(parse_call(Api::chat_completions, 200, body));
  CHECK(c.text == "# ADR\nhello");
  CHECK(c.model == "gpt-4.1-2025-04-14");
  CHECK(c.finish_reason == "stop");
  CHECK(c.usage.prompt_tokens == 120);
  CHECK(c.usage.completion_tokens == 80);
  CHECK(c.usage.cached_tokens == 64);
  CHECK(c.usage.reasoning_tokens == 30);
  CHECK(c.usage.total() == 200);
  CHECK(c.usage.reported);
}

TEST_CASE("worker providers: a 200 without usage is marked unreported, never estimated") {
  const std::string body = R"({"choices":[{"message":{"content":"text"},"finish_reason":"stop"}]})";
  const Completion c = ok(parse_openai_chat(200, body));
  CHECK_FALSE(c.usage.reported);
  CHECK(c.usage.total() == 0);
}

TEST_CASE("worker providers: malformed 200 bodies are retried on the same model") {
  for (const std::string& body : {std::string("<html>proxy</html>"), std::string("{}"),
                                 std::string(R"({"choices":[]})"),
                                 std::string(R"({"choices":[{"text":"legacy"}]})"),
                                 std::string("[1]"), std::string("")}) {
    CAPTURE(body);
    const CallError e = err(parse_openai_chat(200, body));
    CHECK(e.classification.outcome == Outcome::retry_same_model);
    CHECK(e.classification.reason == "malformed_response");
    CHECK(e.http_status == 200);
  }
  CHECK(err(parse_openai_responses(200, "nope")).classification.reason == "malformed_response");
  CHECK(err(parse_openai_responses(200, R"({"status":"completed"})")).classification.reason ==
        "malformed_response");
  CHECK(err(parse_anthropic_messages(200, "{")).classification.reason == "malformed_response");
  CHECK(err(parse_anthropic_messages(200, R"({"type":"message"})")).classification.outcome ==
        Outcome::retry_same_model);
}

TEST_CASE("worker providers: empty or refused answers move on and keep their usage") {
  const std::string empty = R"({"choices":[{"message":{"content":""},"finish_reason":"length"}],
    "usage":{"prompt_tokens":10,"completion_tokens":500,
             "completion_tokens_details":{"reasoning_tokens":500}}})";
  const CallError e = err(parse_openai_chat(200, empty));
  CHECK(e.classification.outcome == Outcome::next_model);
  CHECK(e.classification.reason == "empty_output");
  REQUIRE(e.usage.has_value());
  CHECK(e.usage->total() == 510);
  const std::string refused =
      R"({"choices":[{"message":{"content":null,"refusal":"I can't help"},"finish_reason":"stop"}]})";
  CHECK(err(parse_openai_chat(200, refused)).classification.reason == "refused");
}

TEST_CASE("worker providers: chat completions errors are classified, keys masked") {
  const std::string body =
      R"({"error":{"message":"Incorrect API key provided: sk-test-0123456789abcdef","type":"invalid_request_error","code":"invalid_api_key"}})";
  const CallError e = err(parse_call(Api::chat_completions, 401, body, kOpenAi.api_key.value()));
  CHECK(e.http_status == 401);
  CHECK(e.classification.outcome == Outcome::fail_permanent);
  CHECK(e.classification.detail.find("0123456789abcdef") == std::string::npos);
  const CallError quota = err(parse_call(
      Api::chat_completions, 429,
      R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})"));
  CHECK(quota.classification.outcome == Outcome::fail_permanent);
}

TEST_CASE("worker providers: responses API request") {
  const HttpCall call =
      build_call(Api::responses, {Provider::openai, "o1-pro"}, kOpenAi, request());
  CHECK(call.url == "http://127.0.0.1:9/v1/responses");
  CHECK(atlas::http::find_header(call.headers, "authorization") ==
        std::optional<std::string>("Bearer sk-test-0123456789abcdef"));
  const json body = json::parse(call.body);
  CHECK(body["model"] == "o1-pro");
  CHECK(body["max_output_tokens"] == 1234);
  CHECK_FALSE(body.contains("temperature"));
  CHECK_FALSE(body.contains("max_tokens"));
  CHECK_FALSE(body.contains("max_completion_tokens"));
  CHECK(body["store"] == false);
  REQUIRE(body["input"].size() == 2);
  CHECK(body["input"][0]["role"] == "developer");
  CHECK(body["input"][0]["content"] == "SYSTEM");
  CHECK(body["input"][1]["role"] == "user");
  CHECK(body["input"][1]["content"] == "USER");
}

TEST_CASE("worker providers: responses API response") {
  const std::string body = R"({
    "id": "resp_1", "object": "response", "status": "completed", "model": "o1-pro-2025-03-19",
    "output": [
      {"type": "reasoning", "id": "rs_1", "summary": []},
      {"type": "message", "role": "assistant", "content": [
        {"type": "output_text", "text": "# ADR", "annotations": []},
        {"type": "output_text", "text": "\nbody", "annotations": []}]}],
    "usage": {"input_tokens": 300, "input_tokens_details": {"cached_tokens": 100},
              "output_tokens": 900, "output_tokens_details": {"reasoning_tokens": 700},
              "total_tokens": 1200}})";
  const Completion c = ok(parse_call(Api::responses, 200, body));
  CHECK(c.text == "# ADR\nbody");
  CHECK(c.model == "o1-pro-2025-03-19");
  CHECK(c.usage.prompt_tokens == 300);
  CHECK(c.usage.cached_tokens == 100);
  CHECK(c.usage.completion_tokens == 900);
  CHECK(c.usage.reasoning_tokens == 700);
  CHECK(c.usage.total() == 1200);

  const std::string incomplete = R"({"status":"incomplete",
    "incomplete_details":{"reason":"max_output_tokens"},
    "output":[{"type":"reasoning","summary":[]}],
    "usage":{"input_tokens":10,"output_tokens":1234}})";
  const CallError e = err(parse_openai_responses(200, incomplete));
  CHECK(e.classification.reason == "empty_output");
  CHECK(e.classification.detail.find("max_output_tokens") != std::string::npos);
  REQUIRE(e.usage.has_value());
  CHECK(e.usage->completion_tokens == 1234);

  const std::string failed =
      R"({"status":"failed","error":{"code":"server_error","message":"boom"},"output":[]})";
  CHECK(err(parse_openai_responses(200, failed)).classification.outcome ==
        Outcome::retry_same_model);
  CHECK(err(parse_openai_responses(404, R"({"error":{"message":"The model `o1-pro` does not exist","code":"model_not_found"}})"))
            .classification.outcome == Outcome::next_model);
}

TEST_CASE("worker providers: anthropic messages request") {
  const HttpCall call = build_call(Api::anthropic_messages,
                                   {Provider::anthropic, "claude-sonnet-4-20250514"}, kAnthropic,
                                   request());
  CHECK(call.url == "http://127.0.0.1:9/v1/messages");
  CHECK(atlas::http::find_header(call.headers, "x-api-key") ==
        std::optional<std::string>("sk-ant-test-0123456789"));
  CHECK(atlas::http::find_header(call.headers, "anthropic-version") ==
        std::optional<std::string>("2023-06-01"));
  CHECK_FALSE(atlas::http::find_header(call.headers, "authorization").has_value());
  const json body = json::parse(call.body);
  CHECK(body["model"] == "claude-sonnet-4-20250514");
  CHECK(body["system"] == "SYSTEM");
  CHECK(body["max_tokens"] == 1234);
  REQUIRE(body["messages"].size() == 1);
  CHECK(body["messages"][0]["role"] == "user");
  CHECK(body["messages"][0]["content"] == "USER");
}

TEST_CASE("worker providers: anthropic messages response") {
  const std::string body = R"({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
    "content": [{"type": "text", "text": "# ADR"}, {"type": "tool_use", "id": "x"},
                {"type": "text", "text": " more"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 50, "cache_creation_input_tokens": 20,
              "cache_read_input_tokens": 30, "output_tokens": 40}})";
  const Completion c = ok(parse_call(Api::anthropic_messages, 200, body));
  CHECK(c.text == "# ADR more");
  CHECK(c.finish_reason == "end_turn");
  CHECK(c.usage.prompt_tokens == 100);  // 50 + 20 written + 30 read
  CHECK(c.usage.cached_tokens == 30);
  CHECK(c.usage.completion_tokens == 40);
  CHECK(c.usage.reasoning_tokens == 0);

  const CallError overloaded = err(parse_call(
      Api::anthropic_messages, 529,
      R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  CHECK(overloaded.classification.outcome == Outcome::retry_same_model);
  CHECK(overloaded.classification.reason == "overloaded");
  // An error object inside a 200 is classified by its type.
  const CallError in_200 = err(parse_anthropic_messages(
      200, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  CHECK(in_200.classification.reason == "overloaded");
  // Hostile shapes do not throw.
  CHECK(err(parse_anthropic_messages(200, R"({"type":5,"content":[{"type":7,"text":1}]})"))
            .classification.reason == "empty_output");
}
