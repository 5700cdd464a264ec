#include "atlas/router/delivery_github.hpp"

#include <nlohmann/json.hpp>

#include "atlas/router/github_webhooks.hpp"
#include "atlas/router/message_split.hpp"

namespace atlas::router {

std::string github_comment_body(std::string_view text, std::string_view task_id) {
  const std::string marker = std::string(kGithubReplyMarker) + " task=" + std::string(task_id) + " -->\n";
  const std::string note = "---\n_Truncated: the full spec is longer than a GitHub comment allows; "
                           "it is stored as task " + std::string(task_id) + "._";
  const std::size_t room = kGithubCommentMaxBytes - marker.size();
  return marker + truncate_message(text, room, note);
}

http::HeaderList github_headers(std::string_view credential) {
  return {{"Accept", "application/vnd.github+json"},
          {"X-GitHub-Api-Version", std::string(kGithubApiVersion)},
          {"Authorization", "Bearer " + std::string(credential)}};
}

http::ClientRequest github_comment_request(const GithubDestination& to, std::string_view text,
                                           const GithubApi& api, std::string_view token,
                                           std::string_view task_id) {
  http::ClientRequest request;
  request.method = "POST";
  // repo is validated owner/name (letters, digits, - _ .), safe in a path.
  request.url = api.api_url + "/repos/" + to.repo + "/issues/" + std::to_string(to.issue_number) +
                "/comments";
  request.headers = github_headers(token);
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = nlohmann::json{{"body", github_comment_body(text, task_id)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  request.timeout = api.timeout;
  request.max_response_bytes = 1u << 20;
  return request;
}

}  // namespace atlas::router
