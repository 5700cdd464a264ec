#pragma once
// GitHub webhooks (POST /github/webhook) to decisions.
//
//   ping                                         -> Respond {"msg":"pong"}
//   issues opened with the "atlas" label, or
//   issues labeled "atlas"                       -> Accept (title, blank line, body)
//   issue_comment created, body "/atlas <text>"  -> Accept (<text>)
//   comments by bots (sender.type "Bot") or
//   carrying Atlas's reply marker                -> Ignore (no loops)
//   anything else                                -> Ignore with the reason
//   missing X-GitHub-Event / X-GitHub-Delivery,
//   bad JSON, bad repository or issue number     -> Reject 400
// Dedupe keys: "github:delivery:<hook id>:<delivery id>", and for issues
// "github:issue:<owner/repo>:<number>" (an issue opened with the label sends
// both "opened" and "labeled"; only one becomes a chat).
#include <string_view>

#include "atlas/http/headers.hpp"
#include "atlas/router/webhook.hpp"

namespace atlas::router {

inline constexpr std::string_view kAtlasLabel = "atlas";
inline constexpr std::string_view kGithubCommandPrefix = "/atlas";
// Hidden in every comment Atlas posts (see delivery_github.hpp).
inline constexpr std::string_view kGithubReplyMarker = "<!-- atlas:reply";

[[nodiscard]] WebhookDecision translate_github_event(std::string_view body,
                                                     const http::HeaderList& headers);

// "owner/name" as GitHub allows them (owner: letters, digits, '-', at most
// 39; name: letters, digits, '.', '_', '-', at most 100, not "." or "..").
// Origins are turned into URL paths, so nothing else passes.
[[nodiscard]] bool is_valid_repo_full_name(std::string_view full_name);

}  // namespace atlas::router
