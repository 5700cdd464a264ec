#pragma once
// atlas-fake: named failure presets for scripted rules, so tests need not
// know each provider's error bodies. Each builds the provider's real status,
// headers and body; a rule's explicit status / headers / body override them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm.hpp"
#include "reply.hpp"

namespace atlas::fake {

// Every preset name, for validation and error messages.
inline const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {
      "openai_500",          "openai_429_rate_limit",   "openai_429_insufficient_quota",
      "openai_context_length_exceeded", "openai_model_not_found", "openai_401",
      "anthropic_529_overloaded", "anthropic_429",     "slack_ratelimited",
      "slack_channel_not_found",  "github_502",        "github_404"};
  return names;
}

// The preset's reply for a request whose model is `model` (may be empty);
// nullopt for an unknown name.
inline std::optional<Reply> preset_reply(std::string_view name, const std::string& model) {
  const std::string shown_model = model.empty() ? "gpt-4.1" : model;
  if (name == "openai_500") {
    return openai_error(500,
                        "The server had an error while processing your request. Sorry about that!",
                        "server_error", nullptr, nullptr);
  }
  if (name == "openai_429_rate_limit") {
    Reply r = openai_error(429,
                           "Rate limit reached for " + shown_model +
                               " in organization org-atlasfake on tokens per min (TPM): Limit "
                               "30000, Used 30000, Requested 1200. Please try again in 1s. Visit "
                               "https://platform.openai.com/account/rate-limits to learn more.",
                           "tokens", nullptr, "rate_limit_exceeded");
    r.headers = {{"retry-after", "1"},
                 {"x-ratelimit-limit-tokens", "30000"},
                 {"x-ratelimit-remaining-tokens", "0"},
                 {"x-ratelimit-reset-tokens", "1s"}};
    return r;
  }
  if (name == "openai_429_insufficient_quota") {
    return openai_error(429,
                        "You exceeded your current quota, please check your plan and billing "
                        "details. For more information on this error, read the docs: "
                        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                        "insufficient_quota", nullptr, "insufficient_quota");
  }
  if (name == "openai_context_length_exceeded") {
    return openai_error(400,
                        "This model's maximum context length is 128000 tokens. However, your "
                        "messages resulted in 131072 tokens. Please reduce the length of the "
                        "messages.",
                        "invalid_request_error", "messages", "context_length_exceeded");
  }
  if (name == "openai_model_not_found") {
    return openai_error(404,
                        "The model `" + shown_model + "` does not exist or you do not have access to it.",
                        "invalid_request_error", nullptr, "model_not_found");
  }
  if (name == "openai_401") {
    return openai_error(401,
                        "Incorrect API key provided: sk-fake***. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.",
                        "invalid_request_error", nullptr, "invalid_api_key");
  }
  if (name == "anthropic_529_overloaded") {
    return anthropic_error(529, "overloaded_error", "Overloaded");
  }
  if (name == "anthropic_429") {
    Reply r = anthropic_error(429, "rate_limit_error",
                              "This request would exceed the rate limit for your organization of "
                              "50 requests per minute. Please retry after the time in the "
                              "retry-after header.");
    r.headers = {{"retry-after", "1"}, {"anthropic-ratelimit-requests-remaining", "0"}};
    return r;
  }
  if (name == "slack_ratelimited") {
    Reply r;
    r.status = 429;
    r.headers = {{"retry-after", "1"}};
    r.body = {{"ok", false}, {"error", "ratelimited"}};
    return r;
  }
  if (name == "slack_channel_not_found") {
    Reply r;
    r.body = {{"ok", false}, {"error", "channel_not_found"}};
    return r;
  }
  if (name == "github_502") {
    Reply r;
    r.status = 502;
    r.body = {{"message", "Server Error"}};
    return r;
  }
  if (name == "github_404") {
    Reply r;
    r.status = 404;
    r.body = {{"message", "Not Found"},
              {"documentation_url", "https://docs.github.com/rest"},
              {"status", "404"}};
    return r;
  }
  return std::nullopt;
}

}  // namespace atlas::fake
