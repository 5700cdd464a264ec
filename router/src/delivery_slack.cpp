#include "atlas/router/delivery_slack.hpp"

#include <nlohmann/json.hpp>

#include "atlas/router/message_split.hpp"
#include "atlas/router/text.hpp"

namespace atlas::router {
namespace {

std::size_t escaped_size(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += c == '&' ? 5 : (c == '<' || c == '>') ? 4 : 1;
  return n;
}

}  // namespace

std::vector<std::string> slack_message_texts(std::string_view text, std::string_view task_id) {
  SplitOptions options;
  options.max_part_size = kSlackPartSize;
  options.max_parts = kSlackMaxParts;
  options.truncation_note = "_(truncated: the full spec is longer than Slack allows; it is stored "
                            "as task " + std::string(task_id) + ")_";
  options.cost = escaped_size;
  auto split = split_message(text, options);
  std::vector<std::string> out;
  out.reserve(split.parts.size());
  const std::size_t n = split.parts.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string numbered;
    if (n > 1) numbered = "(" + std::to_string(i + 1) + "/" + std::to_string(n) + ")\n";
    numbered += escape_slack_text(split.parts[i]);
    out.push_back(std::move(numbered));
  }
  return out;
}

std::vector<http::ClientRequest> slack_post_requests(const SlackDestination& to,
                                                     std::string_view text, const SlackApi& api,
                                                     std::string_view task_id) {
  std::vector<http::ClientRequest> requests;
  for (auto& message : slack_message_texts(text, task_id)) {
    nlohmann::json payload = {{"channel", to.channel}, {"text", std::move(message)},
                              {"mrkdwn", true},        {"unfurl_links", false}};
    if (to.thread_ts) payload["thread_ts"] = *to.thread_ts;
    http::ClientRequest request;
    request.method = "POST";
    request.url = api.api_url + "/chat.postMessage";
    request.headers = {{"Authorization", "Bearer " + api.bot_token},
                       {"Content-Type", "application/json; charset=utf-8"}};
    request.body = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    request.timeout = api.timeout;
    request.max_response_bytes = 1u << 20;
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace atlas::router
