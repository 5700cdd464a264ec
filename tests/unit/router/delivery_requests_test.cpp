#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "atlas/router/delivery_github.hpp"
#include "atlas/router/delivery_slack.hpp"
#include "atlas/utf8.hpp"

using nlohmann::json;

namespace {

constexpr std::string_view kTaskId = "0b7c9d7e-5f0e-5a2b-9c1d-3e4f5a6b7c8d";

std::string spec_of(std::size_t paragraphs, std::size_t each) {
  std::string out;
  for (std::size_t i = 0; i < paragraphs; ++i) {
    if (i) out += "\n\n";
    out += "## Section " + std::to_string(i) + "\n" + std::string(each, 'w');
  }
  return out;
}

}  // namespace

TEST_CASE("router slack delivery: chat.postMessage in the thread with the bot token") {
  atlas::router::SlackApi api;
  api.api_url = "http://127.0.0.1:9999/api";
  api.bot_token = "xoxb-test-token";
  const atlas::router::SlackDestination to{"T1", "C1", std::string("1700000000.000100")};
  const auto requests = atlas::router::slack_post_requests(to, "Use <GitHub Actions> & caches", api, kTaskId);
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == "http://127.0.0.1:9999/api/chat.postMessage");
  CHECK(atlas::http::find_header(r.headers, "authorization") == "Bearer xoxb-test-token");
  CHECK(atlas::http::find_header(r.headers, "content-type") == "application/json; charset=utf-8");
  const auto body = json::parse(r.body);
  CHECK(body["channel"] == "C1");
  CHECK(body["thread_ts"] == "1700000000.000100");
  CHECK(body["text"] == "Use &lt;GitHub Actions&gt; &amp; caches");  // escaped as Slack asks
  CHECK(body["mrkdwn"] == true);
  // No thread: no thread_ts field at all.
  const auto top = atlas::router::slack_post_requests({"T1", "C1", std::nullopt}, "x", api, kTaskId);
  CHECK_FALSE(json::parse(top[0].body).contains("thread_ts"));
}

TEST_CASE("router slack delivery: a long spec becomes numbered messages of at most 3,900 characters") {
  const std::string spec = spec_of(30, 500);  // ~15.5 KB
  const auto texts = atlas::router::slack_message_texts(spec, kTaskId);
  REQUIRE(texts.size() == 5);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(i);
    CHECK(texts[i].size() <= 4000);
    CHECK(texts[i].rfind("(" + std::to_string(i + 1) + "/5)\n", 0) == 0);
  }
}

TEST_CASE("router slack delivery: past 10 messages the spec is truncated with a note naming the task") {
  const std::string spec = spec_of(200, 500);  // ~100 KB
  const auto texts = atlas::router::slack_message_texts(spec, kTaskId);
  REQUIRE(texts.size() == atlas::router::kSlackMaxParts);
  for (const auto& t : texts) CHECK(t.size() <= 4000);
  CHECK(texts.back().find("truncated") != std::string::npos);
  CHECK(texts.back().find(std::string(kTaskId)) != std::string::npos);
}

TEST_CASE("router slack delivery: escaping counts toward the limit") {
  const std::string spec(10'000, '<');  // escapes to 40,000 bytes
  const auto texts = atlas::router::slack_message_texts(spec, kTaskId);
  for (const auto& t : texts) CHECK(t.size() <= 4000);
  CHECK(texts.size() == 10);
}

TEST_CASE("router github delivery: an issue comment with the API headers and the reply marker") {
  atlas::router::GithubApi api;
  api.api_url = "http://127.0.0.1:9998";
  const atlas::router::GithubDestination to{"octo/hello", 42, 7};
  const auto r = atlas::router::github_comment_request(to, "# ADR\nUse caches.", api, "ghs_token", kTaskId);
  CHECK(r.method == "POST");
  CHECK(r.url == "http://127.0.0.1:9998/repos/octo/hello/issues/42/comments");
  CHECK(atlas::http::find_header(r.headers, "Authorization") == "Bearer ghs_token");
  CHECK(atlas::http::find_header(r.headers, "Accept") == "application/vnd.github+json");
  CHECK(atlas::http::find_header(r.headers, "X-GitHub-Api-Version") == "2022-11-28");
  const auto body = json::parse(r.body)["body"].get<std::string>();
  CHECK(body == "<!-- atlas:reply task=" + std::string(kTaskId) + " -->\n# ADR\nUse caches.");
}

TEST_CASE("router github delivery: comments are cut to 65,536 bytes with a note") {
  std::string spec;
  while (spec.size() < 100'000) spec += "Line with some text \xE2\x82\xAC\n";
  const auto body = atlas::router::github_comment_body(spec, kTaskId);
  CHECK(body.size() <= atlas::router::kGithubCommentMaxBytes);
  CHECK(body.size() > 60'000);
  CHECK(body.find("Truncated") != std::string::npos);
  CHECK_FALSE(atlas::validate_utf8(body));
  CHECK(atlas::router::github_comment_body("short", kTaskId).find("Truncated") == std::string::npos);
}
