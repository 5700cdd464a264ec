// OpenAI Chat Completions (also spoken by OpenAI-compatible servers: vLLM,
// llama.cpp, Ollama): POST {base}/chat/completions.
#include <nlohmann/json.hpp>

#include "atlas/worker/provider.hpp"
#include "provider_parse.hpp"

namespace atlas::worker {

using nlohmann::json;

HttpCall build_openai_chat(std::string_view model, const ProviderEndpoint& endpoint,
                           const LlmRequest& request, bool reasoning) {
  json messages = json::array();
  if (!reasoning) {
    messages.push_back({{"role", "system"}, {"content", request.system}});
    messages.push_back({{"role", "user"}, {"content", request.user}});
  } else if (supports_instruction_role(model)) {
    messages.push_back({{"role", "developer"}, {"content", request.system}});
    messages.push_back({{"role", "user"}, {"content", request.user}});
  } else {
    // o1-mini / o1-preview take neither system nor developer messages.
    messages.push_back({{"role", "user"}, {"content", request.system + "\n\n" + request.user}});
  }
  json body = {{"model", model}, {"messages", std::move(messages)}};
  if (reasoning) {
    body["max_completion_tokens"] = request.max_output_tokens;
  } else {
    body["max_tokens"] = request.max_output_tokens;
    body["temperature"] = request.temperature;
  }
  HttpCall call;
  call.url = endpoint.base_url + "/chat/completions";
  call.headers = {{"content-type", "application/json"}, {"accept", "application/json"}};
  if (endpoint.api_key) call.headers.emplace_back("authorization", "Bearer " + *endpoint.api_key);
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return call;
}

CallResult parse_openai_chat(int status, std::string_view body, std::string_view api_key) {
  if (status < 200 || status > 299) return detail::http_error(status, body, api_key);
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return detail::malformed(status, "chat completion body is not a JSON object");
  }
  const auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object()) {
    return detail::malformed(status, "chat completion has no choices");
  }
  const json& choice = (*choices)[0];
  const auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) {
    return detail::malformed(status, "chat completion choice has no message");
  }

  Completion out;
  if (auto content = message->find("content"); content != message->end()) {
    if (content->is_string()) {
      out.text = content->get<std::string>();
    } else if (content->is_array()) {  // some compatible servers send content parts
      for (const auto& part : *content) {
        if (part.is_object() && part.contains("text") && part["text"].is_string()) {
          out.text += part["text"].get<std::string>();
        }
      }
    }
  }
  if (auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string()) {
    out.finish_reason = fr->get<std::string>();
  }
  if (auto m = doc.find("model"); m != doc.end() && m->is_string()) out.model = m->get<std::string>();

  if (auto usage = doc.find("usage"); usage != doc.end() && usage->is_object()) {
    out.usage.prompt_tokens = detail::token_count(*usage, "prompt_tokens");
    out.usage.completion_tokens = detail::token_count(*usage, "completion_tokens");
    if (auto d = usage->find("completion_tokens_details"); d != usage->end()) {
      out.usage.reasoning_tokens = detail::token_count(*d, "reasoning_tokens");
    }
    if (auto d = usage->find("prompt_tokens_details"); d != usage->end()) {
      out.usage.cached_tokens = detail::token_count(*d, "cached_tokens");
    }
  } else {
    out.usage.reported = false;
  }

  if (out.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (auto r = message->find("refusal"); r != message->end() && r->is_string() &&
                                           !r->get<std::string>().empty()) {
      return detail::empty_output(status, out.usage, "refused", r->get<std::string>());
    }
    return detail::empty_output(status, out.usage, "empty_output",
                                "no text in the answer (finish_reason " +
                                    (out.finish_reason.empty() ? "none" : out.finish_reason) + ")");
  }
  return out;
}

}  // namespace atlas::worker
