#pragma once
// What every provider adapter shares: the request the chain wants answered,
// the HTTP call a builder produces, and the result a parser returns. Builders
// and parsers are pure (strings in, strings out); the async HTTP client sends
// the call. Authorization headers live only in HttpCall::headers and never
// reach any error text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "atlas/http/headers.hpp"
#include "atlas/worker/errors.hpp"
#include "atlas/worker/model_ref.hpp"
#include "atlas/worker/usage.hpp"

namespace atlas::worker {

struct LlmRequest {
  std::string system;                    // the architect's instructions
  std::string user;                      // request plus retrieved context
  std::int64_t max_output_tokens = 4096;
  double temperature = 0.2;              // not sent to reasoning models
};

struct ProviderEndpoint {
  std::string base_url;                  // no trailing '/'
  std::optional<std::string> api_key;    // optional for openai-compatible only
};

struct HttpCall {
  std::string method = "POST";
  std::string url;
  http::HeaderList headers;              // contains the credential: never log
  std::string body;
};

struct CallError {
  Classification classification;
  int http_status = 0;                   // 0 when no HTTP response arrived
  std::optional<Usage> usage;            // tokens the failed call still spent, if reported
};

using CallResult = std::variant<Completion, CallError>;

// Which wire API a chain entry speaks.
enum class Api { chat_completions, responses, anthropic_messages, offline };
[[nodiscard]] std::string_view to_string(Api api);

// OpenAI model rules, by name prefix at a '-' boundary ("o3" matches
// "o3-2025-04-16" but not "o3x").
//  - reasoning models (o1, o3, o4, gpt-5 but not gpt-5-chat): developer role,
//    max_completion_tokens, no temperature;
//  - o1-mini and o1-preview accept neither system nor developer messages: the
//    instructions are prepended to the user message;
//  - `responses_only` models exist only on POST /responses (o1-pro, o3-pro, ...).
[[nodiscard]] bool model_matches(std::string_view model, std::string_view prefix);
[[nodiscard]] bool is_reasoning_model(std::string_view model);
[[nodiscard]] bool supports_instruction_role(std::string_view model);
[[nodiscard]] const std::vector<std::string>& default_responses_only_models();

[[nodiscard]] Api api_for(const ModelRef& model, const std::vector<std::string>& responses_only);

// Builds the HTTP call for `api` (not Api::offline: the offline provider
// makes no call and is run with offline_complete()).
[[nodiscard]] HttpCall build_call(Api api, const ModelRef& model, const ProviderEndpoint& endpoint,
                                  const LlmRequest& request);
// Parses any response of `api` (2xx or not).
[[nodiscard]] CallResult parse_call(Api api, int status, std::string_view body,
                                    std::string_view api_key = {});

// --- one builder and parser per wire API ------------------------------------

// POST {base}/chat/completions. `reasoning` selects the developer role,
// max_completion_tokens and no temperature; otherwise system role,
// max_tokens and temperature. Used for openai and openai-compatible.
[[nodiscard]] HttpCall build_openai_chat(std::string_view model, const ProviderEndpoint& endpoint,
                                         const LlmRequest& request, bool reasoning);
[[nodiscard]] CallResult parse_openai_chat(int status, std::string_view body,
                                           std::string_view api_key = {});

// POST {base}/responses: input = [developer message, user message],
// max_output_tokens, no temperature, store=false.
[[nodiscard]] HttpCall build_openai_responses(std::string_view model,
                                              const ProviderEndpoint& endpoint,
                                              const LlmRequest& request);
[[nodiscard]] CallResult parse_openai_responses(int status, std::string_view body,
                                                std::string_view api_key = {});

inline constexpr std::string_view kAnthropicVersion = "2023-06-01";
// POST {base}/v1/messages with x-api-key and anthropic-version; system at the
// top level; max_tokens (required by the API) and temperature.
[[nodiscard]] HttpCall build_anthropic_messages(std::string_view model,
                                                const ProviderEndpoint& endpoint,
                                                const LlmRequest& request);
[[nodiscard]] CallResult parse_anthropic_messages(int status, std::string_view body,
                                                  std::string_view api_key = {});

}  // namespace atlas::worker
