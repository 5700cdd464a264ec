#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "atlas/router/github_webhooks.hpp"

using atlas::router::Accept;
using atlas::router::Ignore;
using atlas::router::Reject;
using atlas::router::Respond;
using atlas::router::translate_github_event;
using atlas::http::HeaderList;
using nlohmann::json;

namespace {

HeaderList headers(const std::string& event, const std::string& delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") {
  return {{"X-GitHub-Event", event}, {"X-GitHub-Delivery", delivery}, {"X-GitHub-Hook-ID", "292430182"}};
}

json issue_payload(const std::string& action) {
  return json::parse(R"({
    "action": "ACTION",
    "issue": {"number": 42, "title": "Design a minimal CI pipeline",
              "body": "For a C++ monorepo.\nKeep it cheap.",
              "labels": [{"name": "bug"}, {"name": "Atlas"}]},
    "repository": {"full_name": "octo-org/hello-world"},
    "installation": {"id": 1234567},
    "sender": {"login": "octocat", "type": "User"}
  })").patch(json::array({{{"op", "replace"}, {"path", "/action"}, {"value", action}}}));
}

json comment_payload(const std::string& body) {
  return json{{"action", "created"},
              {"issue", {{"number", 7}, {"title", "t"}}},
              {"comment", {{"id", 99001}, {"body", body}}},
              {"repository", {{"full_name", "octo-org/hello-world"}}},
              {"installation", {{"id", 1234567}}},
              {"sender", {{"login", "octocat"}, {"type", "User"}}}};
}

template <class T>
T as(const atlas::router::WebhookDecision& d) {  // a copy: callers pass temporaries
  REQUIRE(std::holds_alternative<T>(d));
  return std::get<T>(d);
}

}  // namespace

TEST_CASE("router github: ping is answered with pong") {
  const auto& r = as<Respond>(translate_github_event(R"({"zen":"Keep it logically awesome.","hook_id":1})", headers("ping")));
  CHECK(r.status == 200);
  CHECK(json::parse(r.body) == json{{"msg", "pong"}});
}

TEST_CASE("router github: an issue opened with the atlas label becomes a chat from title and body") {
  const auto& a = as<Accept>(translate_github_event(issue_payload("opened").dump(), headers("issues")));
  CHECK(a.chat.text == "Design a minimal CI pipeline\n\nFor a C++ monorepo.\nKeep it cheap.");
  CHECK(a.chat.origin == json{{"kind", "github"},
                              {"repo", "octo-org/hello-world"},
                              {"issue_number", 42},
                              {"installation_id", 1234567}});
  CHECK(a.dedupe_keys == std::vector<std::string>{
                             "github:delivery:292430182:72d3162e-cc78-11e3-81ab-4c9367dc0958",
                             "github:issue:octo-org/hello-world:42"});
}

TEST_CASE("router github: labeled with atlas triggers - opened without the label or other labels do not") {
  auto labeled = issue_payload("labeled");
  labeled["label"] = {{"name", "atlas"}};
  const auto& a = as<Accept>(translate_github_event(labeled.dump(), headers("issues", "d2")));
  // Shares the issue key with the "opened" delivery, so an issue opened with
  // the label (GitHub sends opened and labeled) becomes one chat.
  CHECK(a.dedupe_keys.back() == "github:issue:octo-org/hello-world:42");

  auto other_label = issue_payload("labeled");
  other_label["label"] = {{"name", "bug"}};
  CHECK(std::holds_alternative<Ignore>(translate_github_event(other_label.dump(), headers("issues"))));

  auto unlabeled = issue_payload("opened");
  unlabeled["issue"]["labels"] = json::array();
  CHECK(as<Ignore>(translate_github_event(unlabeled.dump(), headers("issues"))).reason ==
        "issues opened without the atlas label");
  CHECK(std::holds_alternative<Ignore>(translate_github_event(issue_payload("closed").dump(), headers("issues"))));

  auto no_body = issue_payload("opened");
  no_body["issue"]["body"] = nullptr;  // GitHub sends null for an empty body
  CHECK(as<Accept>(translate_github_event(no_body.dump(), headers("issues"))).chat.text ==
        "Design a minimal CI pipeline");
}

TEST_CASE("router github: '/atlas <request>' comments become chats with the comment id") {
  const auto& a = as<Accept>(translate_github_event(
      comment_payload("  /atlas   design a rollout plan\nwith canaries").dump(), headers("issue_comment")));
  CHECK(a.chat.text == "design a rollout plan\nwith canaries");
  CHECK(a.chat.origin == json{{"kind", "github"},
                              {"repo", "octo-org/hello-world"},
                              {"issue_number", 7},
                              {"installation_id", 1234567},
                              {"comment_id", 99001}});
  CHECK(a.dedupe_keys ==
        std::vector<std::string>{"github:delivery:292430182:72d3162e-cc78-11e3-81ab-4c9367dc0958"});
}

TEST_CASE("router github: other comments, bot comments and Atlas's own replies are ignored") {
  CHECK(std::holds_alternative<Ignore>(translate_github_event(comment_payload("looks good").dump(), headers("issue_comment"))));
  CHECK(std::holds_alternative<Ignore>(translate_github_event(comment_payload("/atlasx do it").dump(), headers("issue_comment"))));
  CHECK(std::holds_alternative<Ignore>(translate_github_event(comment_payload("/atlas   ").dump(), headers("issue_comment"))));
  auto bot = comment_payload("/atlas design");
  bot["sender"]["type"] = "Bot";
  CHECK(as<Ignore>(translate_github_event(bot.dump(), headers("issue_comment"))).reason == "comment by a bot");
  // With a personal token Atlas comments as a User; the marker still stops a loop.
  auto own = comment_payload("<!-- atlas:reply task=abc -->\n/atlas design");
  CHECK(as<Ignore>(translate_github_event(own.dump(), headers("issue_comment"))).reason ==
        "comment is Atlas's own reply");
  auto edited = comment_payload("/atlas design");
  edited["action"] = "edited";
  CHECK(std::holds_alternative<Ignore>(translate_github_event(edited.dump(), headers("issue_comment"))));
  CHECK(as<Ignore>(translate_github_event("{}", headers("push"))).reason == "event 'push' is not handled");
}

TEST_CASE("router github: missing headers, bad JSON, bad repository or issue number are 400") {
  const auto status = [](const std::string& body, const HeaderList& h) {
    const auto d = translate_github_event(body, h);
    return std::holds_alternative<Reject>(d) ? std::get<Reject>(d).status : 0;
  };
  const std::string good = comment_payload("/atlas x").dump();
  CHECK(status(good, {{"X-GitHub-Delivery", "d"}}) == 400);
  CHECK(status(good, {{"X-GitHub-Event", "issue_comment"}}) == 400);
  CHECK(status("{not json", headers("issue_comment")) == 400);
  CHECK(status("[]", headers("ping")) == 400);
  for (const json& repo : {json("../../etc"), json("owner/repo/extra"), json("owner"), json(12),
                           json("own er/repo"), json("owner/.."), json("owner/re%2Fpo")}) {
    auto p = comment_payload("/atlas x");
    p["repository"]["full_name"] = repo;
    CAPTURE(repo);
    CHECK(status(p.dump(), headers("issue_comment")) == 400);
  }
  for (const json& number : {json(0), json(-3), json("7"), json(1.5), json(nullptr)}) {
    auto p = comment_payload("/atlas x");
    p["issue"]["number"] = number;
    CAPTURE(number);
    CHECK(status(p.dump(), headers("issue_comment")) == 400);
  }
  // Header names are case-insensitive.
  CHECK(std::holds_alternative<Accept>(translate_github_event(
      good, {{"x-github-event", "issue_comment"}, {"x-github-delivery", "abc"}})));
}

TEST_CASE("router github: repository names are checked as GitHub allows them") {
  using atlas::router::is_valid_repo_full_name;
  CHECK(is_valid_repo_full_name("octo-org/hello-world"));
  CHECK(is_valid_repo_full_name("a/b.c_d-e"));
  CHECK(is_valid_repo_full_name("a/.github"));
  CHECK_FALSE(is_valid_repo_full_name("a/."));
  CHECK_FALSE(is_valid_repo_full_name("/b"));
  CHECK_FALSE(is_valid_repo_full_name("a/"));
  CHECK_FALSE(is_valid_repo_full_name("a_b/c"));
  CHECK_FALSE(is_valid_repo_full_name(std::string(40, 'a') + "/c"));
  CHECK_FALSE(is_valid_repo_full_name("a/b?x=1"));
}
