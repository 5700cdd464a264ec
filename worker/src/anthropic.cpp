// Anthropic Messages API: POST {base}/v1/messages.
#include <nlohmann/json.hpp>

#include "atlas/worker/provider.hpp"
#include "provider_parse.hpp"

namespace atlas::worker {

using nlohmann::json;

HttpCall build_anthropic_messages(std::string_view model, const ProviderEndpoint& endpoint,
                                  const LlmRequest& request) {
  json body = {{"model", model},
               {"max_tokens", request.max_output_tokens},
               {"system", request.system},
               {"messages", json::array({{{"role", "user"}, {"content", request.user}}})},
               {"temperature", request.temperature}};
  HttpCall call;
  call.url = endpoint.base_url + "/v1/messages";
  call.headers = {{"content-type", "application/json"},
                  {"accept", "application/json"},
                  {"anthropic-version", std::string(kAnthropicVersion)}};
  if (endpoint.api_key) call.headers.emplace_back("x-api-key", *endpoint.api_key);
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return call;
}

namespace {

// The HTTP status Anthropic uses for each error type (for an error object
// that arrives in a 2xx body).
int status_for_error_type(std::string_view type) {
  if (type == "invalid_request_error") return 400;
  if (type == "authentication_error") return 401;
  if (type == "permission_error") return 403;
  if (type == "not_found_error") return 404;
  if (type == "request_too_large") return 413;
  if (type == "rate_limit_error") return 429;
  if (type == "overloaded_error") return 529;
  return 500;  // api_error and anything new
}

}  // namespace

CallResult parse_anthropic_messages(int status, std::string_view body, std::string_view api_key) {
  if (status < 200 || status > 299) return detail::http_error(status, body, api_key);
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return detail::malformed(status, "message body is not a JSON object");
  }
  if (detail::string_member(doc, "type") == "error") {
    const ProviderErrorBody e = parse_provider_error(body);
    return CallError{classify_http_error(status_for_error_type(e.type), body, api_key), status,
                     std::nullopt};
  }
  const auto content = doc.find("content");
  if (content == doc.end() || !content->is_array()) {
    return detail::malformed(status, "message has no content array");
  }
  Completion out;
  for (const auto& block : *content) {
    if (detail::string_member(block, "type") == "text") {
      out.text += detail::string_member(block, "text");
    }
  }
  if (auto m = doc.find("model"); m != doc.end() && m->is_string()) out.model = m->get<std::string>();
  if (auto s = doc.find("stop_reason"); s != doc.end() && s->is_string()) {
    out.finish_reason = s->get<std::string>();
  }
  if (auto usage = doc.find("usage"); usage != doc.end() && usage->is_object()) {
    // Anthropic's input_tokens excludes tokens written to or read from the
    // prompt cache; prompt_tokens here counts every input token.
    const std::int64_t cache_read = detail::token_count(*usage, "cache_read_input_tokens");
    out.usage.prompt_tokens = detail::token_count(*usage, "input_tokens") +
                              detail::token_count(*usage, "cache_creation_input_tokens") +
                              cache_read;
    out.usage.cached_tokens = cache_read;
    out.usage.completion_tokens = detail::token_count(*usage, "output_tokens");
  } else {
    out.usage.reported = false;
  }
  if (out.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (out.finish_reason == "refusal") {
      return detail::empty_output(status, out.usage, "refused", "the model declined to answer");
    }
    return detail::empty_output(status, out.usage, "empty_output",
                                "no text block in the message (stop_reason " +
                                    (out.finish_reason.empty() ? "none" : out.finish_reason) + ")");
  }
  return out;
}

}  // namespace atlas::worker
