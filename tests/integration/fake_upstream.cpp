// atlas-fake (tests/tools/atlas-fake.cpp) driven through FakeUpstream and
// atlas::http::Client, the way the worker and router tests use it: emulated
// provider answers, scripted failures and presets, hang / close / down,
// the RAG corpus, Slack and GitHub, the calls list, and many delayed
// requests at once.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "fake_upstream.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using atlas::test::FakeUpstream;

namespace {

// One fake for the whole file (started on the test thread, reset by each
// test that uses it).
FakeUpstream& shared_fake() {
  static FakeUpstream fake;
  return fake;
}

FakeUpstream& fresh_fake() {
  auto& fake = shared_fake();
  fake.reset();
  return fake;
}

atlas::http::Client& client() {
  static atlas::http::Client c;
  return c;
}

struct Reply {
  int status = 0;
  json body;  // null when the body is not JSON
  atlas::http::ClientResponse raw;
};

Reply send(const std::string& method, const std::string& url, const std::string& body,
           atlas::http::HeaderList headers = {}, std::chrono::milliseconds timeout = 10s) {
  atlas::http::ClientRequest request;
  request.method = method;
  request.url = url;
  request.body = body;
  request.headers = std::move(headers);
  request.headers.emplace_back("content-type", "application/json");
  request.timeout = timeout;
  Reply reply;
  reply.raw = client().send(std::move(request)).get();
  reply.status = reply.raw.status;
  reply.body = json::parse(reply.raw.body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

Reply post(const std::string& url, const json& body, atlas::http::HeaderList headers = {},
           std::chrono::milliseconds timeout = 10s) {
  return send("POST", url, body.dump(), std::move(headers), timeout);
}

const atlas::http::HeaderList kOpenAiAuth = {{"authorization", "Bearer sk-test-123456"}};
const atlas::http::HeaderList kAnthropicAuth = {{"x-api-key", "sk-ant-test"},
                                                {"anthropic-version", "2023-06-01"}};
const atlas::http::HeaderList kSlackAuth = {{"authorization", "Bearer xoxb-1-2-abc"}};

json chat_body(const std::string& model, const std::string& user = "Design a CI pipeline") {
  return {{"model", model},
          {"messages", json::array({{{"role", "system"}, {"content", "You are an architect."}},
                                    {{"role", "user"}, {"content", user}}})}};
}

Reply chat(FakeUpstream& fake, const json& body) {
  return post(fake.base_url() + "/v1/chat/completions", body, kOpenAiAuth);
}

std::string b64url(const std::string& text) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (text.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(text[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (text.size() - i == 2) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

TEST_CASE("chat completions answer in OpenAI's shape with deterministic usage") {
  auto& fake = fresh_fake();
  // 21 + 20 bytes of message text: ceil(41 / 4) = 11 prompt tokens.
  auto r = chat(fake, chat_body("gpt-4.1"));
  REQUIRE(r.status == 200);
  CHECK(r.body["object"] == "chat.completion");
  CHECK(r.body["model"] == "gpt-4.1");
  CHECK(r.body["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
  const auto& choice = r.body["choices"][0];
  CHECK(choice["message"]["role"] == "assistant");
  CHECK(choice["finish_reason"] == "stop");
  const std::string content = choice["message"]["content"];
  CHECK(content.rfind("# Architecture spec\n\nModel: gpt-4.1\n\n## Request\nDesign a CI pipeline", 0) == 0);
  const auto& usage = r.body["usage"];
  CHECK(usage["prompt_tokens"] == 11);
  CHECK(usage["completion_tokens"] == 120);
  CHECK(usage["total_tokens"] == 131);
  CHECK(usage["prompt_tokens_details"]["cached_tokens"] == 0);
  CHECK(usage["completion_tokens_details"]["reasoning_tokens"] == 0);

  // The cap comes from max_completion_tokens (or max_tokens); reasoning
  // tokens are half the completion for "o" models.
  auto capped = chat_body("o4-mini");
  capped["max_completion_tokens"] = 40;
  r = chat(fake, capped);
  REQUIRE(r.status == 200);
  CHECK(r.body["usage"]["completion_tokens"] == 40);
  CHECK(r.body["usage"]["completion_tokens_details"]["reasoning_tokens"] == 20);

  auto small = chat_body("gpt-4.1-mini");
  small["max_tokens"] = 7;
  r = chat(fake, small);
  CHECK(r.body["usage"]["completion_tokens"] == 7);

  // The quoted request is cut at 200 bytes on a code point boundary: 199
  // ASCII bytes then a two-byte 'é' that does not fit.
  r = chat(fake, chat_body("gpt-4.1", std::string(199, 'a') + "\xC3\xA9" + "tail"));
  REQUIRE(r.status == 200);
  const std::string quoted = r.body["choices"][0]["message"]["content"];
  CHECK(quoted.find(std::string(199, 'a') + "\n") != std::string::npos);

  const auto stats = fake.stats();
  CHECK(stats["tokens"]["total"] == 131 + (11 + 40) + (11 + 7) +
                                        ((21 + 199 + 2 + 4 + 3) / 4 + 120));
  CHECK(stats["tokens"]["by_model"]["gpt-4.1"] == 131 + (21 + 205 + 3) / 4 + 120);
  CHECK(stats["by_model"]["o4-mini"] == 1);
}

TEST_CASE("OpenAI requests are checked like the real API") {
  auto& fake = fresh_fake();
  // No key: 401 invalid_api_key.
  auto r = post(fake.base_url() + "/v1/chat/completions", chat_body("gpt-4.1"));
  CHECK(r.status == 401);
  CHECK(r.body["error"]["code"] == "invalid_api_key");
  CHECK(r.body["error"]["type"] == "invalid_request_error");
  // Malformed JSON: 400 in OpenAI's error shape.
  r = send("POST", fake.base_url() + "/v1/chat/completions", "{not json", kOpenAiAuth);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["type"] == "invalid_request_error");

  // o1-pro is a Responses-only model.
  r = chat(fake, chat_body("o1-pro"));
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "model_not_found");
  CHECK(r.body["error"]["message"].get<std::string>().rfind("This is not a chat model", 0) == 0);

  // Reasoning models: no max_tokens, no temperature but 1.
  auto body = chat_body("o3");
  body["max_tokens"] = 100;
  r = chat(fake, body);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["code"] == "unsupported_parameter");
  CHECK(r.body["error"]["param"] == "max_tokens");
  body = chat_body("o3");
  body["temperature"] = 0.2;
  r = chat(fake, body);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["param"] == "temperature");
  body["temperature"] = 1;
  CHECK(chat(fake, body).status == 200);
  body = chat_body("gpt-4.1");
  body["temperature"] = 0.2;
  body["max_tokens"] = 100;
  CHECK(chat(fake, body).status == 200);
}

TEST_CASE("the Responses API answers o1-pro with a reasoning item and an output_text message") {
  auto& fake = fresh_fake();
  const std::string url = fake.base_url() + "/v1/responses";
  auto r = post(url,
                {{"model", "o1-pro"},
                 {"instructions", "Be brief."},  // 9 bytes
                 {"input", json::array({{{"role", "user"}, {"content", "Plan a queue"}}})},  // 12
                 {"max_output_tokens", 64}},
                kOpenAiAuth);
  REQUIRE(r.status == 200);
  CHECK(r.body["object"] == "response");
  CHECK(r.body["status"] == "completed");
  CHECK(r.body["model"] == "o1-pro");
  const auto& output = r.body["output"];
  REQUIRE(output.size() == 2);
  CHECK(output[0]["type"] == "reasoning");
  CHECK(output[1]["type"] == "message");
  CHECK(output[1]["role"] == "assistant");
  CHECK(output[1]["content"][0]["type"] == "output_text");
  CHECK(output[1]["content"][0]["text"].get<std::string>().find("Plan a queue") != std::string::npos);
  CHECK(r.body["usage"]["input_tokens"] == 6);  // ceil(21 / 4)
  CHECK(r.body["usage"]["output_tokens"] == 64);
  CHECK(r.body["usage"]["total_tokens"] == 70);
  CHECK(r.body["usage"]["output_tokens_details"]["reasoning_tokens"] == 32);
  CHECK(r.body["usage"]["input_tokens_details"]["cached_tokens"] == 0);

  // A string input works too; max_tokens is refused for every model.
  r = post(url, {{"model", "gpt-4.1"}, {"input", "hello"}}, kOpenAiAuth);
  CHECK(r.status == 200);
  CHECK(r.body["usage"]["input_tokens"] == 2);
  r = post(url, {{"model", "gpt-4.1"}, {"input", "hello"}, {"max_tokens", 10}}, kOpenAiAuth);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["param"] == "max_tokens");
  r = post(url, {{"model", "o3"}, {"input", "hello"}, {"temperature", 0.5}}, kOpenAiAuth);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["param"] == "temperature");
  r = post(url, {{"model", "o3"}, {"input", "hello"}});
  CHECK(r.status == 401);
}

TEST_CASE("Anthropic messages need x-api-key, anthropic-version and max_tokens") {
  auto& fake = fresh_fake();
  const std::string url = fake.base_url() + "/v1/messages";
  const json body = {{"model", "claude-sonnet-4-5"},
                     {"system", "Be brief."},
                     {"max_tokens", 50},
                     {"messages", json::array({{{"role", "user"}, {"content", "Plan a queue"}}})}};
  auto r = post(url, body, kAnthropicAuth);
  REQUIRE(r.status == 200);
  CHECK(r.body["type"] == "message");
  CHECK(r.body["role"] == "assistant");
  CHECK(r.body["content"][0]["type"] == "text");
  CHECK(r.body["stop_reason"] == "end_turn");
  CHECK(r.body["usage"]["input_tokens"] == 6);
  CHECK(r.body["usage"]["output_tokens"] == 50);
  CHECK(r.body["usage"]["cache_read_input_tokens"] == 0);

  r = post(url, body, {{"anthropic-version", "2023-06-01"}});
  CHECK(r.status == 401);
  CHECK(r.body["type"] == "error");
  CHECK(r.body["error"]["type"] == "authentication_error");
  r = post(url, body, {{"x-api-key", "k"}});
  CHECK(r.status == 400);
  CHECK(r.body["error"]["type"] == "invalid_request_error");
  json no_cap = body;
  no_cap.erase("max_tokens");
  r = post(url, no_cap, kAnthropicAuth);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["type"] == "invalid_request_error");
}

TEST_CASE("scripted failures for one model come in order, then the default answer") {
  auto& fake = fresh_fake();
  fake.script(json::array({{{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_500"}},
                           {{"path", "/v1/chat/completions"},
                            {"model", "gpt-4.1"},
                            {"status", 429},
                            {"headers", {{"retry-after", "1"}}},
                            {"body", {{"error", {{"message", "slow down"}, {"code", "rate_limit_exceeded"}}}}}}}));
  // Another model is not affected by those rules.
  CHECK(chat(fake, chat_body("gpt-4.1-mini")).status == 200);
  auto r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 500);
  CHECK(r.body["error"]["type"] == "server_error");
  r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 429);
  CHECK(r.raw.header("retry-after") == "1");
  CHECK(r.body["error"]["message"] == "slow down");
  r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 200);
  CHECK(r.body["object"] == "chat.completion");

  // Recorded statuses, in arrival order; only the success counts tokens.
  const auto calls = fake.calls("/v1/chat/completions");
  REQUIRE(calls.size() == 4);
  CHECK(calls[1]["status"] == 500);
  CHECK(calls[2]["status"] == 429);
  CHECK(calls[3]["status"] == 200);
  CHECK(calls[1]["seq"].get<int>() < calls[2]["seq"].get<int>());
  CHECK(fake.count("/v1/chat/completions", "gpt-4.1") == 3);
  CHECK(fake.count("/v1/*") == 4);
  CHECK(fake.stats()["tokens"]["total"] == 2 * 131);
}

TEST_CASE("presets carry the providers' real error bodies") {
  auto& fake = fresh_fake();
  fake.script({{"path", "/v1/chat/completions"}, {"preset", "openai_429_insufficient_quota"}});
  auto r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 429);
  CHECK(r.body["error"]["code"] == "insufficient_quota");
  CHECK(r.body["error"]["type"] == "insufficient_quota");

  fake.script(json::array({{{"path", "/v1/chat/completions"}, {"preset", "openai_429_rate_limit"}},
                           {{"path", "/v1/chat/completions"}, {"preset", "openai_context_length_exceeded"}},
                           {{"path", "/v1/chat/completions"}, {"preset", "openai_model_not_found"}},
                           {{"path", "/v1/messages"}, {"preset", "anthropic_529_overloaded"}},
                           {{"path", "/v1/messages"}, {"preset", "anthropic_429"}, {"status", 503}}}));
  r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 429);
  CHECK(r.body["error"]["code"] == "rate_limit_exceeded");
  CHECK(r.raw.header("retry-after") == "1");
  r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 400);
  CHECK(r.body["error"]["code"] == "context_length_exceeded");
  r = chat(fake, chat_body("gpt-5-nano"));
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "model_not_found");
  CHECK(r.body["error"]["message"].get<std::string>().find("gpt-5-nano") != std::string::npos);
  const json claude = {{"model", "claude-x"}, {"max_tokens", 5},
                       {"messages", json::array({{{"role", "user"}, {"content", "x"}}})}};
  r = post(fake.base_url() + "/v1/messages", claude, kAnthropicAuth);
  CHECK(r.status == 529);
  CHECK(r.body["error"]["type"] == "overloaded_error");
  // An explicit status overrides the preset's; the body stays the preset's.
  r = post(fake.base_url() + "/v1/messages", claude, kAnthropicAuth);
  CHECK(r.status == 503);
  CHECK(r.body["error"]["type"] == "rate_limit_error");
  CHECK(r.raw.header("retry-after") == "1");

  // A malformed body, sent verbatim.
  fake.script({{"path", "/v1/chat/completions"}, {"status", 200}, {"body_raw", "{\"choices\": [tru"}});
  r = chat(fake, chat_body("gpt-4.1"));
  CHECK(r.status == 200);
  CHECK(r.raw.body == "{\"choices\": [tru");
  CHECK(r.body.is_null());
}

TEST_CASE("a rule with times -1 applies until reset, a prefix rule to every matching path") {
  auto& fake = fresh_fake();
  fake.script({{"path", "/v1/*"}, {"preset", "openai_500"}, {"times", -1}});
  for (int i = 0; i < 5; ++i) CHECK(chat(fake, chat_body("gpt-4.1")).status == 500);
  CHECK(post(fake.base_url() + "/v1/responses", {{"model", "o3"}, {"input", "x"}}, kOpenAiAuth).status ==
        500);
  CHECK(fake.stats()["pending_rules"] == 1);
  fake.reset();
  CHECK(chat(fake, chat_body("gpt-4.1")).status == 200);

  // times: 2, with an action "default" that only delays.
  fake.script(json::array({{{"path", "/v1/chat/completions"}, {"status", 502}, {"times", 2}},
                           {{"path", "/v1/chat/completions"}, {"action", "default"}, {"delay_ms", 300}}}));
  CHECK(chat(fake, chat_body("gpt-4.1")).status == 502);
  CHECK(chat(fake, chat_body("gpt-4.1")).status == 502);
  const auto delayed = chat(fake, chat_body("gpt-4.1"));
  CHECK(delayed.status == 200);
  CHECK(delayed.raw.elapsed >= 250ms);
}

TEST_CASE("bad rules are refused with the reason") {
  auto& fake = fresh_fake();
  CHECK_THROWS_WITH_AS(fake.script({{"path", "/v1/chat/completions"}, {"preset", "openai_418"}}),
                       doctest::Contains("unknown \\\"preset\\\""), std::runtime_error);
  CHECK_THROWS_AS(fake.script({{"path", "v1"}, {"status", 500}}), std::runtime_error);
  CHECK_THROWS_AS(fake.script({{"path", "/v1/x"}, {"status", 500}, {"time", 2}}), std::runtime_error);
  CHECK_THROWS_AS(fake.script({{"path", "/v1/x"}}), std::runtime_error);
  CHECK_THROWS_AS(fake.script({{"path", "/v1/x"}, {"status", 500}, {"times", 0}}), std::runtime_error);
  CHECK(fake.stats()["pending_rules"] == 0);
}

TEST_CASE("a hanging request times out at the client and reset releases the others") {
  auto& fake = fresh_fake();
  fake.script({{"path", "/v1/chat/completions"}, {"action", "hang"}, {"times", 2}});
  // The first hangs until the client gives up.
  auto r = post(fake.base_url() + "/v1/chat/completions", chat_body("gpt-4.1"), kOpenAiAuth, 300ms);
  CHECK(r.raw.error == atlas::http::ErrorKind::timeout);
  CHECK(r.status == 0);

  // The second is still waiting when reset answers it 503.
  atlas::http::ClientRequest request;
  request.method = "POST";
  request.url = fake.base_url() + "/v1/chat/completions";
  request.headers = kOpenAiAuth;
  request.body = chat_body("gpt-4.1").dump();
  request.timeout = 20s;
  auto pending = client().send(std::move(request));
  REQUIRE(atlas::test::wait_until([&] { return fake.stats()["hung"] == 2; }, 5s));
  CHECK(fake.stats()["inflight"] == 2);
  CHECK(fake.calls("/v1/chat/completions")[0]["status"] == 0);
  CHECK(pending.wait_for(200ms) == std::future_status::timeout);
  fake.reset();
  const auto released = pending.get();
  CHECK(released.status == 503);
  CHECK(released.elapsed < 10s);
  CHECK(fake.stats()["inflight"] == 0);
  CHECK(chat(fake, chat_body("gpt-4.1")).status == 200);
}

TEST_CASE("the close action and the close down mode fail without an HTTP response") {
  auto& fake = fresh_fake();
  // times 2: libcurl sends a request again, once, on a fresh connection when
  // a reused keep-alive connection closes before any byte of the answer.
  fake.script({{"path", "/v1/messages"}, {"action", "close"}, {"times", 2}});
  auto r = post(fake.base_url() + "/v1/messages", {{"model", "claude-x"}}, kAnthropicAuth);
  CHECK(r.status == 0);
  CHECK_FALSE(r.raw.transport_ok());
  CHECK(r.raw.error != atlas::http::ErrorKind::timeout);
  const auto closed = fake.calls("/v1/messages");
  REQUIRE(closed.size() >= 1);
  CHECK(closed[0]["status"] == 0);
  // The fake keeps serving.
  CHECK(chat(fake, chat_body("gpt-4.1")).status == 200);

  fake.set_down("/v1/query_chat", true, "close");
  r = post(fake.base_url() + "/v1/query_chat", {{"query", "ci"}});
  CHECK(r.status == 0);
  CHECK_FALSE(r.raw.transport_ok());
  CHECK(fake.calls("/v1/query_chat")[0]["status"] == 0);
}

TEST_CASE("RAG queries answer from the corpus set through the control API") {
  auto& fake = fresh_fake();
  const std::string url = fake.base_url() + "/v1/query_chat";
  // The default corpus: three chunks, best first.
  auto r = post(url, {{"query", "how does CI work"}, {"top_k", 5}});
  REQUIRE(r.status == 200);
  REQUIRE(r.body.size() == 3);
  CHECK(r.body[0]["source"] == "docs/ci.md");
  CHECK(r.body[0]["similarity"] == 0.91);
  CHECK(r.body[1]["similarity"] == 0.80);
  CHECK(r.body[2]["source"] == "docs/k8s.md");
  r = post(url, {{"query", "ci"}, {"top_k", 5}, {"collapse_by_file", true}});
  CHECK(r.body.size() == 2);
  r = post(url, {{"query", "ci"}, {"top_k", 5}, {"relevancy_threshold", 0.75}});
  CHECK(r.body.size() == 2);

  fake.set_rag(json::array({{{"text", "low"}, {"similarity", 0.2}, {"source", "a.md"}},
                            {{"text", "high"}, {"similarity", 0.95}, {"source", "b.md"}},
                            {{"text", "mid"}, {"similarity", 0.5}, {"source", "c.md"}}}));
  r = post(url, {{"query", "anything"}, {"top_k", 2}});
  REQUIRE(r.body.size() == 2);
  CHECK(r.body[0]["text"] == "high");
  CHECK(r.body[1]["text"] == "mid");
  CHECK(post(url, {{"top_k", 2}}).status == 400);
  CHECK(post(url, {{"query", "x"}, {"top_k", 0}}).status == 400);
  CHECK_THROWS_AS(fake.set_rag({{"text", "not an array"}}), std::runtime_error);

  r = post(fake.base_url() + "/v1/embed_batch", json::array({"docs/a.md: text"}));
  CHECK(r.status == 202);
  CHECK(r.body["job_id"] == "fake-1");
  r = send("GET", fake.base_url() + "/v1/jobs/fake-1", "");
  CHECK(r.body["state"] == "done");

  // Reset brings the default corpus back.
  fake.reset();
  CHECK(post(url, {{"query", "ci"}}).body.size() == 3);
}

TEST_CASE("a path switched down answers 503 until switched back") {
  auto& fake = fresh_fake();
  const std::string url = fake.base_url() + "/v1/query_chat";
  fake.set_down("/v1/query_chat", true);
  // The switch wins over rules, and consumes none.
  fake.script({{"path", "/v1/query_chat"}, {"status", 500}});
  auto r = post(url, {{"query", "ci"}});
  CHECK(r.status == 503);
  CHECK(post(url, {{"query", "ci"}}).status == 503);
  CHECK(chat(fake, chat_body("gpt-4.1")).status == 200);  // other paths unaffected
  fake.set_down("/v1/query_chat", false);
  CHECK(post(url, {{"query", "ci"}}).status == 500);  // the rule, now
  CHECK(post(url, {{"query", "ci"}}).status == 200);
}

TEST_CASE("Slack: postMessage, auth, presets and response_url") {
  auto& fake = fresh_fake();
  const std::string url = fake.base_url() + "/api/chat.postMessage";
  const json message = {{"channel", "C123"}, {"text", "Spec ready"}, {"thread_ts", "1700000000.000100"}};
  auto first = post(url, message, kSlackAuth);
  auto second = post(url, message, kSlackAuth);
  REQUIRE(first.status == 200);
  CHECK(first.body["ok"] == true);
  CHECK(first.body["channel"] == "C123");
  CHECK(first.body["message"]["text"] == "Spec ready");
  CHECK(first.body["message"]["thread_ts"] == "1700000000.000100");
  const std::string ts = first.body["ts"];
  CHECK(ts.size() > 7);
  CHECK(ts.substr(ts.size() - 7) == ".000100");
  CHECK(first.body["ts"] != second.body["ts"]);

  auto r = post(url, message);
  CHECK(r.status == 200);
  CHECK(r.body["ok"] == false);
  CHECK(r.body["error"] == "not_authed");
  CHECK(post(fake.base_url() + "/api/auth.test", json::object(), kSlackAuth).body["ok"] == true);

  fake.script(json::array({{{"path", "/api/chat.postMessage"}, {"preset", "slack_channel_not_found"}},
                           {{"path", "/api/chat.postMessage"}, {"preset", "slack_ratelimited"}}}));
  r = post(url, message, kSlackAuth);
  CHECK(r.status == 200);
  CHECK(r.body["ok"] == false);
  CHECK(r.body["error"] == "channel_not_found");
  r = post(url, message, kSlackAuth);
  CHECK(r.status == 429);
  CHECK(r.raw.header("retry-after") == "1");
  CHECK(r.body["error"] == "ratelimited");

  r = post(fake.base_url() + "/slack/response/T1/B2/xyz", {{"text", "done"}});
  CHECK(r.status == 200);
  CHECK(r.raw.body == "ok");
}

TEST_CASE("GitHub: issue comments and App installation tokens") {
  auto& fake = fresh_fake();
  const std::string comments = fake.base_url() + "/repos/acme/shop/issues/42/comments";
  auto r = post(comments, {{"body", "Spec attached"}}, {{"authorization", "token ghp_abc"}});
  REQUIRE(r.status == 201);
  CHECK(r.body["body"] == "Spec attached");
  CHECK(r.body["id"].is_number_integer());
  CHECK(r.body["html_url"].get<std::string>().rfind("https://github.com/acme/shop/issues/42#issuecomment-", 0) == 0);
  r = post(comments, {{"body", "x"}});
  CHECK(r.status == 401);
  CHECK(r.body["message"] == "Bad credentials");
  CHECK(post(fake.base_url() + "/repos/acme/shop/pulls", {{"body", "x"}}, {{"authorization", "token t"}})
            .status == 404);

  const std::string tokens = fake.base_url() + "/app/installations/99/access_tokens";
  const std::string header = b64url(R"({"alg":"RS256","typ":"JWT"})");
  const std::string good = header + "." + b64url(R"({"iat":1700000000,"exp":1700000540,"iss":"12345"})") + ".c2ln";
  r = post(tokens, json::object(), {{"authorization", "Bearer " + good}});
  REQUIRE(r.status == 201);
  CHECK(r.body["token"].get<std::string>().rfind("ghs_fake", 0) == 0);
  const std::string expires = r.body["expires_at"];
  CHECK(expires.size() == 20);
  CHECK(expires.back() == 'Z');
  const std::string no_exp = header + "." + b64url(R"({"iat":1700000000,"iss":"12345"})") + ".c2ln";
  CHECK(post(tokens, json::object(), {{"authorization", "Bearer " + no_exp}}).status == 401);
  CHECK(post(tokens, json::object(), {{"authorization", "Bearer not-a-jwt"}}).status == 401);
  CHECK(post(tokens, json::object()).status == 401);

  fake.script(json::array({{{"path", "/repos/*"}, {"preset", "github_502"}},
                           {{"path", "/repos/*"}, {"preset", "github_404"}}}));
  CHECK(post(comments, {{"body", "x"}}, {{"authorization", "token t"}}).status == 502);
  r = post(comments, {{"body", "x"}}, {{"authorization", "token t"}});
  CHECK(r.status == 404);
  CHECK(r.body["message"] == "Not Found");
}

TEST_CASE("the calls list records requests with credentials redacted") {
  auto& fake = fresh_fake();
  chat(fake, chat_body("gpt-4.1"));
  post(fake.base_url() + "/v1/messages", {{"model", "claude-x"}}, kAnthropicAuth);
  send("POST", fake.base_url() + "/nowhere", "plain text");
  const auto calls = fake.calls();
  REQUIRE(calls.size() == 3);
  const auto& first = calls[0];
  CHECK(first["path"] == "/v1/chat/completions");
  CHECK(first["method"] == "POST");
  CHECK(first["model"] == "gpt-4.1");
  CHECK(first["headers"]["authorization"] == "<redacted:len 21>");
  CHECK(first["headers"]["content-type"] == "application/json");
  CHECK(first["body"]["messages"][1]["content"] == "Design a CI pipeline");
  CHECK(first["status"] == 200);
  CHECK(first["at_ms"].is_number_integer());
  CHECK(calls[1]["headers"]["x-api-key"] == "<redacted:len 11>");
  CHECK(calls[1]["status"] == 400);  // no max_tokens
  CHECK(calls[2]["model"].is_null());
  CHECK(calls[2]["body"] == "plain text");
  CHECK(calls[2]["status"] == 404);
  CHECK(calls.dump().find("sk-test-123456") == std::string::npos);
  CHECK(fake.calls("/v1/messages").size() == 1);
  const auto stats = fake.stats();
  CHECK(stats["calls"] == 3);
  CHECK(stats["by_path"]["/nowhere"] == 1);
}

TEST_CASE("1500 requests delayed 1 s each wait together, not in line") {
  // Each waiting request holds a socket on both sides.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 4096) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  FakeUpstream fake({.delay_ms = 1000});
  atlas::http::ClientOptions options;
  options.max_host_connections = 0;
  atlas::http::Client many(options);

  constexpr int kRequests = 1500;
  std::mutex mutex;
  std::condition_variable done;
  int finished = 0;
  int ok = 0;
  std::set<std::string> ids;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    atlas::http::ClientRequest request;
    request.method = "POST";
    request.url = fake.base_url() + "/v1/chat/completions";
    request.headers = kOpenAiAuth;
    request.body = chat_body("gpt-4.1", "request " + std::to_string(i)).dump();
    request.timeout = 60s;
    many.send(std::move(request), [&](atlas::http::ClientResponse response) {
      std::lock_guard lock(mutex);
      ++finished;
      if (response.status == 200) {
        ++ok;
        ids.insert(json::parse(response.body)["id"].get<std::string>());
      }
      done.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    CHECK(done.wait_for(lock, 30s, [&] { return finished == kRequests; }));
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(ok == kRequests);
  CHECK(ids.size() == static_cast<std::size_t>(kRequests));
  CHECK(elapsed < 30s);
  const auto stats = fake.stats();
  CHECK(stats["max_inflight"].get<int>() >= 1000);
  CHECK(stats["calls"] == kRequests);
  CHECK(stats["inflight"] == 0);
  MESSAGE("1500 delayed requests took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                                        << " ms, max_inflight " << stats["max_inflight"]);
  // SIGTERM: a clean exit.
  const auto status = fake.stop();
  CHECK_MESSAGE(status.ok(), status.describe());
}
