#include "atlas/router/github_webhooks.hpp"

#include <algorithm>
#include <cctype>

#include "atlas/router/json_input.hpp"
#include "atlas/router/text.hpp"

namespace atlas::router {
namespace {

bool has_atlas_label(const nlohmann::json& issue) {
  const auto it = issue.find("labels");
  if (it == issue.end() || !it->is_array()) return false;
  // Iterate the underlying vector: GCC's -Wnull-dereference misfires on
  // nlohmann's own iterators at -O2.
  const auto& labels = it->get_ref<const nlohmann::json::array_t&>();
  return std::any_of(labels.begin(), labels.end(), [](const nlohmann::json& label) {
    return iequals_ascii(string_field(label, "name"), kAtlasLabel);
  });
}

// The request in a comment: "/atlas <text>" (leading white space allowed), or
// nullopt when the comment is not addressed to Atlas.
std::optional<std::string> command_text(std::string_view body) {
  const std::string text(trim(body));
  if (text.compare(0, kGithubCommandPrefix.size(), kGithubCommandPrefix) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(text).substr(kGithubCommandPrefix.size());
  if (!rest.empty() && !is_ascii_space(rest.front())) return std::nullopt;  // "/atlasfoo"
  return std::string(trim(rest));
}

struct Common {
  std::string event;
  std::string delivery_key;
  std::string repo;
  std::optional<std::int64_t> installation_id;
};

nlohmann::json github_origin(const Common& c, std::int64_t issue_number) {
  nlohmann::json origin = {{"kind", "github"}, {"repo", c.repo}, {"issue_number", issue_number}};
  if (c.installation_id) origin["installation_id"] = *c.installation_id;
  return origin;
}

std::optional<std::int64_t> issue_number(const nlohmann::json& issue) {
  auto n = integer_field(issue, "number");
  if (!n || *n <= 0) return std::nullopt;
  return n;
}

WebhookDecision translate_issues(const nlohmann::json& payload, const Common& c) {
  const std::string action = string_field(payload, "action");
  const auto* issue = object_field(payload, "issue");
  if (issue == nullptr) return Reject{400, "issues event has no issue object"};
  bool triggered = false;
  if (action == "opened") {
    triggered = has_atlas_label(*issue);
  } else if (action == "labeled") {
    const auto* label = object_field(payload, "label");
    triggered = label != nullptr && iequals_ascii(string_field(*label, "name"), kAtlasLabel);
  }
  if (!triggered) return Ignore{"issues " + action + " without the atlas label"};
  const auto number = issue_number(*issue);
  if (!number) return Reject{400, "issue.number is missing or not a positive integer"};

  const std::string title(trim(string_field(*issue, "title")));
  const std::string body(trim(string_field(*issue, "body")));
  std::string text = title;
  if (!body.empty()) text += (text.empty() ? "" : "\n\n") + body;
  if (text.empty()) return Ignore{"issue has neither title nor body"};

  Accept accept;
  accept.chat.text = std::move(text);
  accept.chat.origin = github_origin(c, *number);
  accept.dedupe_keys = {c.delivery_key,
                        dedupe_key({"github", "issue", c.repo, std::to_string(*number)})};
  accept.what = "github issues " + action;
  return accept;
}

WebhookDecision translate_issue_comment(const nlohmann::json& payload, const Common& c) {
  const std::string action = string_field(payload, "action");
  if (action != "created") return Ignore{"issue_comment " + action + " is not handled"};
  if (const auto* sender = object_field(payload, "sender");
      sender != nullptr && string_field(*sender, "type") == "Bot") {
    return Ignore{"comment by a bot"};
  }
  const auto* comment = object_field(payload, "comment");
  const auto* issue = object_field(payload, "issue");
  if (comment == nullptr || issue == nullptr) {
    return Reject{400, "issue_comment event needs comment and issue objects"};
  }
  const std::string body = string_field(*comment, "body");
  if (body.find(kGithubReplyMarker) != std::string::npos) return Ignore{"comment is Atlas's own reply"};
  auto text = command_text(body);
  if (!text) return Ignore{"comment does not start with /atlas"};
  if (text->empty()) return Ignore{"/atlas comment without a request"};
  const auto number = issue_number(*issue);
  if (!number) return Reject{400, "issue.number is missing or not a positive integer"};

  Accept accept;
  accept.chat.text = std::move(*text);
  accept.chat.origin = github_origin(c, *number);
  if (auto id = integer_field(*comment, "id"); id && *id > 0) accept.chat.origin["comment_id"] = *id;
  accept.dedupe_keys = {c.delivery_key};
  accept.what = "github issue_comment created";
  return accept;
}

}  // namespace

bool is_valid_repo_full_name(std::string_view full_name) {
  const auto slash = full_name.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view owner = full_name.substr(0, slash);
  const std::string_view name = full_name.substr(slash + 1);
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  const bool owner_ok = !owner.empty() && owner.size() <= 39 &&
                        std::all_of(owner.begin(), owner.end(),
                                    [&](char c) { return alnum(c) || c == '-'; });
  const bool name_ok = !name.empty() && name.size() <= 100 && name != "." && name != ".." &&
                       std::all_of(name.begin(), name.end(), [&](char c) {
                         return alnum(c) || c == '-' || c == '_' || c == '.';
                       });
  return owner_ok && name_ok;
}

WebhookDecision translate_github_event(std::string_view body, const http::HeaderList& headers) {
  Common c;
  c.event = http::find_header(headers, "X-GitHub-Event").value_or("");
  if (!is_safe_identifier(c.event)) return Reject{400, "X-GitHub-Event is missing"};
  const std::string delivery = http::find_header(headers, "X-GitHub-Delivery").value_or("");
  if (!is_safe_identifier(delivery)) return Reject{400, "X-GitHub-Delivery is missing"};
  std::string hook = http::find_header(headers, "X-GitHub-Hook-ID").value_or("-");
  if (!is_safe_identifier(hook)) hook = "-";
  c.delivery_key = dedupe_key({"github", "delivery", hook, delivery});

  auto input = parse_json_object(body);
  if (!input.ok()) return Reject{400, input.error};
  const nlohmann::json& payload = input.value;
  if (c.event == "ping") return Respond{200, "application/json", R"({"msg":"pong"})", "ping"};
  if (c.event != "issues" && c.event != "issue_comment") {
    return Ignore{"event '" + c.event + "' is not handled"};
  }
  const auto* repository = object_field(payload, "repository");
  c.repo = repository == nullptr ? std::string() : string_field(*repository, "full_name");
  if (!is_valid_repo_full_name(c.repo)) {
    return Reject{400, "repository.full_name is missing or not owner/name"};
  }
  if (const auto* installation = object_field(payload, "installation")) {
    if (auto id = integer_field(*installation, "id"); id && *id > 0) c.installation_id = id;
  }
  return c.event == "issues" ? translate_issues(payload, c) : translate_issue_comment(payload, c);
}

}  // namespace atlas::router
