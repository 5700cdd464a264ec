#pragma once
// Replies to Slack: chat.postMessage in the original thread, with the bot
// token. Slack truncates messages past 40,000 characters and recommends at
// most 4,000, so a long spec becomes up to kSlackMaxParts messages of at most
// kSlackPartSize characters each (counted after escaping & < >), numbered
// "(1/3)" when there is more than one; text beyond that is dropped with a note
// naming the task id (the full spec is in PostgreSQL architect_out).
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/http/client.hpp"
#include "atlas/router/delivery_route.hpp"

namespace atlas::router {

inline constexpr std::size_t kSlackPartSize = 3900;
inline constexpr std::size_t kSlackMaxParts = 10;

struct SlackApi {
  std::string api_url = "https://slack.com/api";  // SLACK_API_URL, no trailing '/'
  std::string bot_token;                          // SLACK_BOT_TOKEN
  std::chrono::milliseconds timeout{10'000};
};

// The message texts to post, escaped for Slack and numbered.
[[nodiscard]] std::vector<std::string> slack_message_texts(std::string_view text,
                                                           std::string_view task_id);

// One chat.postMessage request per message text, in order. The adapter sends
// them one at a time (rate limited per channel) and resumes after the parts a
// failed attempt already delivered.
[[nodiscard]] std::vector<http::ClientRequest> slack_post_requests(const SlackDestination& to,
                                                                   std::string_view text,
                                                                   const SlackApi& api,
                                                                   std::string_view task_id);

}  // namespace atlas::router
