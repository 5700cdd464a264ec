#pragma once
// atlas-fake: the LLM providers. OpenAI Chat Completions, OpenAI Responses and
// Anthropic Messages, answered in each provider's real response and error
// shapes, with deterministic token counts:
//   prompt tokens     = ceil(bytes of every message / input / system text / 4)
//   completion tokens = min(cap, 120), cap = the request's output-token limit
//   reasoning tokens  = completion / 2 for models whose name starts with 'o'
// Pure functions of the request: no state, no I/O.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "atlas/http/server_message.hpp"
#include "atlas/utf8.hpp"
#include "reply.hpp"
#include "util.hpp"

namespace atlas::fake {

inline constexpr std::int64_t kMaxCompletionTokens = 120;

// o1*, o3*, o4*: OpenAI's reasoning models, with their parameter restrictions.
inline bool is_reasoning_model(std::string_view model) {
  return starts_with(model, "o1") || starts_with(model, "o3") || starts_with(model, "o4");
}

// The fake's answer text: a short Markdown spec quoting (the first 200 bytes
// of) the request, cut on a UTF-8 code point boundary.
inline std::string spec_text(std::string_view model, std::string_view request) {
  std::string text = "# Architecture spec\n\nModel: ";
  text.append(model);
  text.append("\n\n## Request\n");
  text.append(atlas::utf8_prefix(request, 200));
  text.append(
      "\n\n## Components\n"
      "- Ingress: accepts the request and validates it\n"
      "- Worker: plans the change and calls the model\n"
      "- Store: keeps results and their history\n\n"
      "## Risks\n"
      "- This answer was written by atlas-fake, not by a model.\n");
  return text;
}

// The text of a message's "content": a string, or an array of parts whose
// "text" fields are concatenated (OpenAI text / input_text parts, Anthropic
// text blocks). Anything else counts as empty.
inline std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (auto t = string_field(part, "text")) text += *t;
    }
  }
  return text;
}

// --- OpenAI --------------------------------------------------------------------

inline json openai_error_body(std::string message, std::string type, json param, json code) {
  return {{"error",
           {{"message", std::move(message)}, {"type", std::move(type)}, {"param", std::move(param)},
            {"code", std::move(code)}}}};
}

inline Reply openai_error(int status, std::string message, std::string type, json param, json code) {
  Reply reply;
  reply.status = status;
  reply.body = openai_error_body(std::move(message), std::move(type), std::move(param), std::move(code));
  return reply;
}

// nullopt when the request carries "authorization: Bearer <key>"; else the 401.
inline std::optional<Reply> openai_check_auth(const http::ServerRequest& request) {
  if (auth_credential(request.header("authorization"), {"Bearer"})) return std::nullopt;
  return openai_error(401,
                      "You didn't provide an API key. You need to provide your API key in an "
                      "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                      "invalid_request_error", nullptr, "invalid_api_key");
}

inline Reply openai_malformed_json() {
  return openai_error(400,
                      "We could not parse the JSON body of your request. (HINT: This likely means "
                      "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                      "payload, but what was sent was not valid JSON.)",
                      "invalid_request_error", nullptr, nullptr);
}

inline Reply openai_missing(std::string_view param) {
  return openai_error(400, "Missing required parameter: '" + std::string(param) + "'.",
                      "invalid_request_error", std::string(param), "missing_required_parameter");
}

// The output-token cap of `field` when present: a positive integer, or the 400.
inline std::optional<Reply> openai_read_cap(const json& body, const char* field, std::int64_t& cap) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
    return openai_error(400,
                        "Invalid '" + std::string(field) + "': integer below minimum value. Expected a "
                        "value >= 1.",
                        "invalid_request_error", field, "integer_below_min_value");
  }
  cap = it->get<std::int64_t>();
  return std::nullopt;
}

// Reasoning models accept only the default temperature (1).
inline std::optional<Reply> openai_check_temperature(const json& body, std::string_view model) {
  const auto it = body.find("temperature");
  if (!is_reasoning_model(model) || it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_number() && it->get<double>() == 1.0) return std::nullopt;
  return openai_error(400,
                      "Unsupported value: 'temperature' does not support " + it->dump() +
                          " with this model. Only the default (1) value is supported.",
                      "invalid_request_error", "temperature", "unsupported_value");
}

// What the fakes count of a request's text: its bytes (for token figures)
// and the last user turn (the topic of the spec they answer with).
struct PromptText {
  std::size_t bytes = 0;
  std::string last_user;
};

// Adds a list of {role, content} messages (Chat, Responses input, Anthropic)
// to `out`; entries that are not objects are skipped.
inline void count_messages(const json& messages, PromptText& out) {
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    const std::string text = message.contains("content") ? content_text(message["content"]) : "";
    out.bytes += text.size();
    if (string_field(message, "role") == "user") out.last_user = text;
  }
}

struct OpenAiTokens {
  std::int64_t prompt = 0;
  std::int64_t completion = 0;
  std::int64_t reasoning = 0;  // part of completion; o-series models only
};

// OpenAI's usage figures for a prompt of `bytes` and an output cap.
inline OpenAiTokens openai_tokens(std::size_t bytes, std::int64_t cap, const std::string& model) {
  OpenAiTokens t;
  t.prompt = tokens_for_bytes(bytes);
  t.completion = std::min(cap, kMaxCompletionTokens);
  t.reasoning = starts_with(model, "o") ? t.completion / 2 : 0;
  return t;
}

inline json openai_usage(std::int64_t prompt, std::int64_t completion, std::int64_t reasoning) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", 0}}},
          {"completion_tokens_details", {{"reasoning_tokens", reasoning}}}};
}

// POST /v1/chat/completions
inline Reply openai_chat(const http::ServerRequest& request, const std::optional<json>& body,
                         std::uint64_t seq) {
  if (auto denied = openai_check_auth(request)) return *denied;
  if (!body || !body->is_object()) return openai_malformed_json();
  const auto model = string_field(*body, "model");
  if (!model || model->empty()) return openai_missing("model");
  if (*model == "o1-pro") {
    return openai_error(404,
                        "This is not a chat model and thus not supported in the v1/chat/completions "
                        "endpoint. o1-pro is only supported in v1/responses.",
                        "invalid_request_error", "model", "model_not_found");
  }
  const auto messages = body->find("messages");
  if (messages == body->end() || !messages->is_array() || messages->empty()) {
    return openai_missing("messages");
  }
  if (is_reasoning_model(*model) && body->contains("max_tokens")) {
    return openai_error(400,
                        "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                        "'max_completion_tokens' instead.",
                        "invalid_request_error", "max_tokens", "unsupported_parameter");
  }
  if (auto bad = openai_check_temperature(*body, *model)) return *bad;
  std::int64_t cap = kMaxCompletionTokens;
  if (auto bad = openai_read_cap(*body, "max_tokens", cap)) return *bad;
  if (auto bad = openai_read_cap(*body, "max_completion_tokens", cap)) return *bad;

  PromptText text;
  count_messages(*messages, text);
  const auto [prompt, completion, reasoning] = openai_tokens(text.bytes, cap, *model);

  Reply reply;
  reply.body = {{"id", "chatcmpl-fake" + std::to_string(seq)},
                {"object", "chat.completion"},
                {"created", unix_now()},
                {"model", *model},
                {"choices",
                 json::array({{{"index", 0},
                               {"message",
                                {{"role", "assistant"},
                                 {"content", spec_text(*model, text.last_user)},
                                 {"refusal", nullptr}}},
                               {"logprobs", nullptr},
                               {"finish_reason", "stop"}}})},
                {"usage", openai_usage(prompt, completion, reasoning)},
                {"system_fingerprint", "fp_atlas_fake"}};
  reply.headers.emplace_back("x-request-id", "req_fake" + std::to_string(seq));
  reply.tokens = prompt + completion;
  reply.token_model = *model;
  return reply;
}

// POST /v1/responses
inline Reply openai_responses(const http::ServerRequest& request, const std::optional<json>& body,
                              std::uint64_t seq) {
  if (auto denied = openai_check_auth(request)) return *denied;
  if (!body || !body->is_object()) return openai_malformed_json();
  const auto model = string_field(*body, "model");
  if (!model || model->empty()) return openai_missing("model");
  if (body->contains("max_tokens")) {
    return openai_error(400,
                        "Unsupported parameter: 'max_tokens'. In the Responses API, this parameter "
                        "has moved to 'max_output_tokens'.",
                        "invalid_request_error", "max_tokens", "unsupported_parameter");
  }
  if (auto bad = openai_check_temperature(*body, *model)) return *bad;
  std::int64_t cap = kMaxCompletionTokens;
  if (auto bad = openai_read_cap(*body, "max_output_tokens", cap)) return *bad;

  const auto input = body->find("input");
  if (input == body->end() || !(input->is_string() || input->is_array())) {
    return openai_missing("input");
  }
  PromptText text;
  if (auto instructions = string_field(*body, "instructions")) text.bytes += instructions->size();
  if (input->is_string()) {
    text.last_user = input->get<std::string>();
    text.bytes += text.last_user.size();
  } else {
    count_messages(*input, text);
  }
  const auto [prompt, completion, reasoning] = openai_tokens(text.bytes, cap, *model);
  const std::string n = std::to_string(seq);

  Reply reply;
  reply.body = {
      {"id", "resp_fake" + n},
      {"object", "response"},
      {"created_at", unix_now()},
      {"status", "completed"},
      {"error", nullptr},
      {"incomplete_details", nullptr},
      {"model", *model},
      {"output",
       json::array({{{"type", "reasoning"}, {"id", "rs_fake" + n}, {"summary", json::array()}},
                    {{"type", "message"},
                     {"id", "msg_fake" + n},
                     {"status", "completed"},
                     {"role", "assistant"},
                     {"content", json::array({{{"type", "output_text"},
                                               {"text", spec_text(*model, text.last_user)},
                                               {"annotations", json::array()}}})}}})},
      {"usage",
       {{"input_tokens", prompt},
        {"output_tokens", completion},
        {"total_tokens", prompt + completion},
        {"input_tokens_details", {{"cached_tokens", 0}}},
        {"output_tokens_details", {{"reasoning_tokens", reasoning}}}}}};
  reply.headers.emplace_back("x-request-id", "req_fake" + n);
  reply.tokens = prompt + completion;
  reply.token_model = *model;
  return reply;
}

// --- Anthropic -----------------------------------------------------------------

inline json anthropic_error_body(std::string type, std::string message) {
  return {{"type", "error"}, {"error", {{"type", std::move(type)}, {"message", std::move(message)}}}};
}

inline Reply anthropic_error(int status, std::string type, std::string message) {
  Reply reply;
  reply.status = status;
  reply.body = anthropic_error_body(std::move(type), std::move(message));
  return reply;
}

// POST /v1/messages
inline Reply anthropic_messages(const http::ServerRequest& request, const std::optional<json>& body,
                                std::uint64_t seq) {
  const auto key = request.header("x-api-key");
  if (!key || atlas::trim(*key).empty()) {
    return anthropic_error(401, "authentication_error", "x-api-key header is required");
  }
  const auto version = request.header("anthropic-version");
  if (!version || atlas::trim(*version).empty()) {
    return anthropic_error(400, "invalid_request_error", "anthropic-version: header is required");
  }
  if (!body || !body->is_object()) {
    return anthropic_error(400, "invalid_request_error", "There was an error parsing the body of your request as JSON.");
  }
  const auto model = string_field(*body, "model");
  if (!model || model->empty()) return anthropic_error(400, "invalid_request_error", "model: Field required");
  const auto max_tokens = body->find("max_tokens");
  if (max_tokens == body->end() || max_tokens->is_null()) {
    return anthropic_error(400, "invalid_request_error", "max_tokens: Field required");
  }
  if (!max_tokens->is_number_integer() || max_tokens->get<std::int64_t>() < 1) {
    return anthropic_error(400, "invalid_request_error",
                           "max_tokens: Input should be a valid integer greater than or equal to 1");
  }
  const auto messages = body->find("messages");
  if (messages == body->end() || !messages->is_array() || messages->empty()) {
    return anthropic_error(400, "invalid_request_error", "messages: Field required");
  }

  PromptText text;
  if (body->contains("system")) text.bytes += content_text((*body)["system"]).size();
  count_messages(*messages, text);
  const std::int64_t input = tokens_for_bytes(text.bytes);
  const std::int64_t output = std::min(max_tokens->get<std::int64_t>(), kMaxCompletionTokens);
  const std::string n = std::to_string(seq);

  Reply reply;
  reply.body = {{"id", "msg_fake" + n},
                {"type", "message"},
                {"role", "assistant"},
                {"model", *model},
                {"content", json::array({{{"type", "text"}, {"text", spec_text(*model, text.last_user)}}})},
                {"stop_reason", "end_turn"},
                {"stop_sequence", nullptr},
                {"usage",
                 {{"input_tokens", input},
                  {"output_tokens", output},
                  {"cache_creation_input_tokens", 0},
                  {"cache_read_input_tokens", 0}}}};
  reply.headers.emplace_back("request-id", "req_fake" + n);
  reply.tokens = input + output;
  reply.token_model = *model;
  return reply;
}

// --- model lists (what `atlasctl doctor` calls to check a key) -------------------

// The models both list endpoints report, whatever the key.
inline constexpr const char* kOpenAiModels[] = {"gpt-4.1", "gpt-4.1-mini", "gpt-4o", "o3", "o1-pro"};
inline constexpr const char* kAnthropicModels[] = {"claude-sonnet-4-5", "claude-sonnet-4-20250514",
                                                   "claude-opus-4-1"};

// GET /v1/models serves both providers, as the real paths coincide: a request
// with `x-api-key` or `anthropic-version` is Anthropic's (x-api-key required,
// then anthropic-version), anything else OpenAI's (Bearer key required).
// Any non-empty key is accepted; script a rule with preset openai_401 (or a
// 401 body in Anthropic's shape) to emulate a wrong key.
inline Reply list_models(const http::ServerRequest& request) {
  const bool anthropic = request.header("x-api-key") || request.header("anthropic-version");
  Reply reply;
  if (anthropic) {
    const auto key = request.header("x-api-key");
    if (!key || atlas::trim(*key).empty()) {
      return anthropic_error(401, "authentication_error", "x-api-key header is required");
    }
    const auto version = request.header("anthropic-version");
    if (!version || atlas::trim(*version).empty()) {
      return anthropic_error(400, "invalid_request_error", "anthropic-version: header is required");
    }
    json data = json::array();
    for (const char* id : kAnthropicModels) {
      data.push_back({{"type", "model"}, {"id", id}, {"display_name", id},
                      {"created_at", "2025-05-22T00:00:00Z"}});
    }
    reply.body = {{"data", data}, {"has_more", false},
                  {"first_id", kAnthropicModels[0]},
                  {"last_id", kAnthropicModels[std::size(kAnthropicModels) - 1]}};
    reply.headers.emplace_back("request-id", "req_fake_models");
    return reply;
  }
  if (auto refused = openai_check_auth(request)) return std::move(*refused);
  json data = json::array();
  for (const char* id : kOpenAiModels) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", 1744316542}, {"owned_by", "system"}});
  }
  reply.body = {{"object", "list"}, {"data", data}};
  reply.headers.emplace_back("x-request-id", "req_fake_models");
  return reply;
}

}  // namespace atlas::fake
