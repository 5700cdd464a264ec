// OpenAI Responses API: POST {base}/responses, for models served only there
// (o1-pro, o3-pro, ...).
#include <nlohmann/json.hpp>

#include "atlas/worker/provider.hpp"
#include "provider_parse.hpp"

namespace atlas::worker {

using nlohmann::json;

HttpCall build_openai_responses(std::string_view model, const ProviderEndpoint& endpoint,
                                const LlmRequest& request) {
  json input = json::array();
  input.push_back({{"role", "developer"}, {"content", request.system}});
  input.push_back({{"role", "user"}, {"content", request.user}});
  json body = {{"model", model},
               {"input", std::move(input)},
               {"max_output_tokens", request.max_output_tokens},
               {"store", false}};
  // Every model served only here reasons; the others accept a temperature.
  if (!is_reasoning_model(model)) body["temperature"] = request.temperature;
  HttpCall call;
  call.url = endpoint.base_url + "/responses";
  call.headers = {{"content-type", "application/json"}, {"accept", "application/json"}};
  if (endpoint.api_key) call.headers.emplace_back("authorization", "Bearer " + *endpoint.api_key);
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return call;
}

namespace {

using detail::string_member;

// A response whose "status" is "failed" (a 200 carrying an error).
CallError failed_response(int status, const json& doc, std::string_view api_key) {
  const json& error = doc.contains("error") ? doc["error"] : doc;
  const std::string code = string_member(error, "code");
  std::string message = sanitize_provider_text(string_member(error, "message"), api_key);
  if (code == "rate_limit_exceeded") {
    return CallError{Classification{Outcome::retry_same_model, "rate_limited", std::move(message)},
                     status, std::nullopt};
  }
  if (code == "server_error" || code.empty()) {
    return CallError{Classification{Outcome::retry_same_model, "server_error", std::move(message)},
                     status, std::nullopt};
  }
  return CallError{Classification{Outcome::next_model, "response_failed",
                                  sanitize_provider_text(code + ": " + message)},
                   status, std::nullopt};
}

}  // namespace

CallResult parse_openai_responses(int status, std::string_view body, std::string_view api_key) {
  if (status < 200 || status > 299) return detail::http_error(status, body, api_key);
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return detail::malformed(status, "response body is not a JSON object");
  }
  const std::string state = string_member(doc, "status");
  if (state == "failed") return failed_response(status, doc, api_key);
  if (state == "queued" || state == "in_progress") {
    return detail::malformed(status, "response is still " + state);
  }
  const auto output = doc.find("output");
  if (output == doc.end() || !output->is_array()) {
    return detail::malformed(status, "response has no output array");
  }

  Completion out;
  std::string refusal;
  for (const auto& item : *output) {
    if (!item.is_object() || string_member(item, "type") != "message") continue;  // reasoning, tools
    const auto content = item.find("content");
    if (content == item.end() || !content->is_array()) continue;
    for (const auto& part : *content) {
      const std::string type = string_member(part, "type");
      if (type == "output_text") out.text += string_member(part, "text");
      if (type == "refusal") refusal += string_member(part, "refusal");
    }
  }
  out.model = string_member(doc, "model");
  out.finish_reason = state == "incomplete"
                          ? (doc.contains("incomplete_details")
                                 ? string_member(doc["incomplete_details"], "reason")
                                 : std::string())
                          : state;
  if (auto usage = doc.find("usage"); usage != doc.end() && usage->is_object()) {
    out.usage.prompt_tokens = detail::token_count(*usage, "input_tokens");
    out.usage.completion_tokens = detail::token_count(*usage, "output_tokens");
    if (auto d = usage->find("output_tokens_details"); d != usage->end()) {
      out.usage.reasoning_tokens = detail::token_count(*d, "reasoning_tokens");
    }
    if (auto d = usage->find("input_tokens_details"); d != usage->end()) {
      out.usage.cached_tokens = detail::token_count(*d, "cached_tokens");
    }
  } else {
    out.usage.reported = false;
  }

  if (out.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (!refusal.empty()) return detail::empty_output(status, out.usage, "refused", refusal);
    return detail::empty_output(status, out.usage, "empty_output",
                                "no output_text in the response (status " +
                                    (state.empty() ? "none" : state) +
                                    (out.finish_reason.empty() || out.finish_reason == state
                                         ? std::string()
                                         : ", " + out.finish_reason) +
                                    ")");
  }
  return out;
}

}  // namespace atlas::worker
