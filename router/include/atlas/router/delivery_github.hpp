#pragma once
// Replies to GitHub: an issue comment (POST /repos/{owner}/{repo}/issues/{n}/comments),
// authenticated with GITHUB_TOKEN or a GitHub App installation token. The
// comment starts with a hidden marker ("<!-- atlas:reply task=<id> -->") so
// Atlas recognises and ignores its own comments, and is cut to GitHub's
// 65,536-character limit (counted here in bytes, which is stricter) with a note.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "atlas/http/client.hpp"
#include "atlas/router/delivery_route.hpp"

namespace atlas::router {

inline constexpr std::size_t kGithubCommentMaxBytes = 65536;
inline constexpr std::string_view kGithubApiVersion = "2022-11-28";

struct GithubApi {
  std::string api_url = "https://api.github.com";  // GITHUB_API_URL, no trailing '/'
  std::chrono::milliseconds timeout{10'000};
};

[[nodiscard]] std::string github_comment_body(std::string_view text, std::string_view task_id);

// `token`: GITHUB_TOKEN or the installation's access token.
[[nodiscard]] http::ClientRequest github_comment_request(const GithubDestination& to,
                                                         std::string_view text,
                                                         const GithubApi& api,
                                                         std::string_view token,
                                                         std::string_view task_id);

// Headers every GitHub REST call carries (Accept, X-GitHub-Api-Version,
// Authorization: Bearer <credential>).
[[nodiscard]] http::HeaderList github_headers(std::string_view credential);

}  // namespace atlas::router
