#include "atlas/worker/provider.hpp"

namespace atlas::worker {

std::string_view to_string(Api api) {
  switch (api) {
    case Api::chat_completions: return "chat_completions";
    case Api::responses: return "responses";
    case Api::anthropic_messages: return "anthropic_messages";
    case Api::offline: return "offline";
  }
  return "offline";
}

bool model_matches(std::string_view model, std::string_view prefix) {
  if (prefix.empty() || model.size() < prefix.size()) return false;
  if (model.substr(0, prefix.size()) != prefix) return false;
  return model.size() == prefix.size() || model[prefix.size()] == '-';
}

bool is_reasoning_model(std::string_view model) {
  if (model_matches(model, "o1") || model_matches(model, "o3") || model_matches(model, "o4")) {
    return true;
  }
  // gpt-5, gpt-5-mini, gpt-5.1 ... but not the non-reasoning gpt-5-chat-latest.
  if (model.substr(0, 5) == "gpt-5" && !model_matches(model, "gpt-5-chat")) {
    return model.size() == 5 || model[5] == '-' || model[5] == '.';
  }
  return false;
}

bool supports_instruction_role(std::string_view model) {
  return !(model_matches(model, "o1-mini") || model_matches(model, "o1-preview"));
}

const std::vector<std::string>& default_responses_only_models() {
  static const std::vector<std::string> kModels = {
      "o1-pro",         "o3-pro",           "o3-deep-research", "o4-mini-deep-research",
      "gpt-5-pro",      "codex-mini-latest", "computer-use-preview"};
  return kModels;
}

Api api_for(const ModelRef& model, const std::vector<std::string>& responses_only) {
  switch (model.provider) {
    case Provider::offline: return Api::offline;
    case Provider::anthropic: return Api::anthropic_messages;
    case Provider::openai_compatible: return Api::chat_completions;
    case Provider::openai:
      for (const auto& prefix : responses_only) {
        if (model_matches(model.model, prefix)) return Api::responses;
      }
      return Api::chat_completions;
  }
  return Api::offline;
}

HttpCall build_call(Api api, const ModelRef& model, const ProviderEndpoint& endpoint,
                    const LlmRequest& request) {
  switch (api) {
    case Api::chat_completions:
      return build_openai_chat(model.model, endpoint, request, is_reasoning_model(model.model));
    case Api::responses: return build_openai_responses(model.model, endpoint, request);
    case Api::anthropic_messages: return build_anthropic_messages(model.model, endpoint, request);
    case Api::offline: break;
  }
  return HttpCall{};  // the offline provider makes no HTTP call
}

CallResult parse_call(Api api, int status, std::string_view body, std::string_view api_key) {
  switch (api) {
    case Api::chat_completions: return parse_openai_chat(status, body, api_key);
    case Api::responses: return parse_openai_responses(status, body, api_key);
    case Api::anthropic_messages: return parse_anthropic_messages(status, body, api_key);
    case Api::offline: break;
  }
  return CallError{Classification{Outcome::next_model, "offline_has_no_http", ""}, status,
                   std::nullopt};
}

}  // namespace atlas::worker
