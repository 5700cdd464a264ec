#pragma once
// atlas-fake: the non-LLM services. The RAG gateway (query_chat over a
// settable corpus), Slack (chat.postMessage, auth.test, response_url) and
// GitHub (issue comments, App installation tokens). Pure functions of the
// request and a few values the caller passes in (corpus, counters).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/http/server_message.hpp"
#include "reply.hpp"
#include "util.hpp"

namespace atlas::fake {

// --- RAG gateway ---------------------------------------------------------------

struct Chunk {
  std::string text;
  double similarity = 0;
  std::string source;
};

inline std::vector<Chunk> default_corpus() {
  return {
      {"CI runs on GitHub Actions: every push builds, tests and lints; main is protected.", 0.91,
       "docs/ci.md"},
      {"Release builds are tagged vX.Y.Z and publish container images to the registry.", 0.80,
       "docs/ci.md"},
      {"Services run on Kubernetes with an HPA on consumer lag and a PodDisruptionBudget.", 0.70,
       "docs/k8s.md"},
  };
}

inline Reply rag_error(std::string reason) {
  Reply reply;
  reply.status = 400;
  reply.body = {{"error", std::move(reason)}};
  return reply;
}

// Parses a corpus for POST /_fake/rag: an array of {text, similarity, source}.
// Throws std::invalid_argument naming what is wrong.
inline std::vector<Chunk> parse_corpus(const json& body) {
  if (!body.is_array()) {
    throw std::invalid_argument("the corpus must be a JSON array of {text, similarity, source}");
  }
  std::vector<Chunk> corpus;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const json& item = body[i];
    const auto text = string_field(item, "text");
    const auto source = string_field(item, "source");
    const auto sim = item.is_object() ? item.find("similarity") : item.end();
    if (!text || !source || sim == item.end() || !sim->is_number()) {
      throw std::invalid_argument("corpus item " + std::to_string(i) +
                                  " needs \"text\" (string), \"similarity\" (number) and "
                                  "\"source\" (string)");
    }
    corpus.push_back({*text, sim->get<double>(), *source});
  }
  return corpus;
}

// POST /v1/query_chat, with the same request rules as atlas-rag
// (rag/include/atlas/rag/requests.hpp): "query" required, top_k 1..100
// (default 15), relevancy_threshold 0..1, collapse_by_file keeps the best
// chunk of each source. Answers the best chunks first.
inline Reply rag_query(const std::optional<json>& body, std::vector<Chunk> corpus) {
  if (!body) return rag_error("malformed JSON body");
  if (!body->is_object()) return rag_error("body must be a JSON object {\"query\": ..., \"top_k\": ...}");
  const auto query = string_field(*body, "query");
  if (!query) return rag_error("\"query\" is required and must be a string");
  if (atlas::trim(*query).empty()) return rag_error("\"query\" is empty");
  std::int64_t top_k = 15;
  if (const auto it = body->find("top_k"); it != body->end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 100) {
      return rag_error("\"top_k\" must be an integer from 1 to 100");
    }
    top_k = it->get<std::int64_t>();
  }
  double threshold = 0.0;
  if (const auto it = body->find("relevancy_threshold"); it != body->end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0.0 || it->get<double>() > 1.0) {
      return rag_error("\"relevancy_threshold\" must be a number from 0 to 1");
    }
    threshold = it->get<double>();
  }
  bool collapse = false;
  if (const auto it = body->find("collapse_by_file"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean()) return rag_error("\"collapse_by_file\" must be true or false");
    collapse = it->get<bool>();
  }

  std::stable_sort(corpus.begin(), corpus.end(),
                   [](const Chunk& a, const Chunk& b) { return a.similarity > b.similarity; });
  json out = json::array();
  std::set<std::string> seen_sources;
  for (const auto& chunk : corpus) {
    if (static_cast<std::int64_t>(out.size()) >= top_k) break;
    if (chunk.similarity < threshold) continue;
    if (collapse && !seen_sources.insert(chunk.source).second) continue;
    out.push_back({{"text", chunk.text}, {"similarity", chunk.similarity}, {"source", chunk.source}});
  }
  Reply reply;
  reply.body = std::move(out);
  return reply;
}

// POST /v1/embed_batch and GET /v1/jobs/<id>: just enough for a client that
// queues indexing and polls the job.
inline Reply rag_embed_batch() {
  Reply reply;
  reply.status = 202;
  reply.body = {{"job_id", "fake-1"}, {"state", "queued"}};
  return reply;
}

inline Reply rag_job(std::string_view id) {
  Reply reply;
  reply.body = {{"job_id", std::string(id)}, {"state", "done"}};
  return reply;
}

// --- Slack ---------------------------------------------------------------------

inline Reply slack_not_ok(std::string error) {
  Reply reply;
  reply.body = {{"ok", false}, {"error", std::move(error)}};
  return reply;
}

// nullopt when the request carries a bot (xoxb-) or user (xoxp-) token.
inline std::optional<Reply> slack_check_auth(const http::ServerRequest& request) {
  const auto token = auth_credential(request.header("authorization"), {"Bearer"});
  if (!token) return slack_not_ok("not_authed");
  if (!starts_with(*token, "xoxb-") && !starts_with(*token, "xoxp-")) return slack_not_ok("invalid_auth");
  return std::nullopt;
}

// POST /api/chat.postMessage. `ts` is unique per message ("<n>.000100").
inline Reply slack_post_message(const http::ServerRequest& request, const std::optional<json>& body,
                                const std::string& ts) {
  if (auto denied = slack_check_auth(request)) return *denied;
  if (!body || !body->is_object()) return slack_not_ok("invalid_json");
  const auto channel = string_field(*body, "channel");
  if (!channel || channel->empty()) return slack_not_ok("channel_not_found");
  const auto text = string_field(*body, "text");
  const bool has_blocks = body->contains("blocks") && (*body)["blocks"].is_array() &&
                          !(*body)["blocks"].empty();
  if ((!text || text->empty()) && !has_blocks) return slack_not_ok("no_text");

  json message = {{"type", "message"},
                  {"user", "U0FAKEBOT"},
                  {"bot_id", "B0FAKEBOT"},
                  {"text", text.value_or("")},
                  {"ts", ts}};
  if (has_blocks) message["blocks"] = (*body)["blocks"];
  if (auto thread = string_field(*body, "thread_ts")) message["thread_ts"] = *thread;
  Reply reply;
  reply.body = {{"ok", true}, {"channel", *channel}, {"ts", ts}, {"message", std::move(message)}};
  return reply;
}

// POST /api/auth.test
inline Reply slack_auth_test(const http::ServerRequest& request) {
  if (auto denied = slack_check_auth(request)) return *denied;
  Reply reply;
  reply.body = {{"ok", true},         {"url", "https://atlas-fake.slack.com/"},
                {"team", "Atlas Fake"}, {"user", "atlas"},
                {"team_id", "T0FAKE"},  {"user_id", "U0FAKEBOT"},
                {"bot_id", "B0FAKEBOT"}};
  return reply;
}

// POST /slack/response/<anything>: Slack answers response_url posts with "ok".
inline Reply slack_response_url() {
  Reply reply;
  reply.content_type = "text/plain; charset=utf-8";
  reply.raw = "ok";
  return reply;
}

// --- GitHub --------------------------------------------------------------------

inline Reply github_error(int status, std::string message) {
  Reply reply;
  reply.status = status;
  reply.body = {{"message", std::move(message)}, {"documentation_url", "https://docs.github.com/rest"}};
  return reply;
}

// Splits `text` on `sep` ("a/b/c" -> a, b, c; "" -> one empty part).
inline std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  while (true) {
    const auto at = text.find(sep);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

// POST /repos/{owner}/{repo}/issues/{number}/comments; `tail` is what follows
// "/repos/". `id` is unique per comment.
inline Reply github_issue_comment(const http::ServerRequest& request, std::string_view tail,
                                  const std::optional<json>& body, std::int64_t id) {
  const auto parts = split(tail, '/');
  const bool shape_ok = parts.size() == 5 && !parts[0].empty() && !parts[1].empty() &&
                        parts[2] == "issues" && !parts[3].empty() &&
                        parts[3].find_first_not_of("0123456789") == std::string::npos &&
                        parts[4] == "comments";
  if (!shape_ok || request.method != "POST") return github_error(404, "Not Found");
  if (!auth_credential(request.header("authorization"), {"Bearer", "token"})) {
    return github_error(401, "Bad credentials");
  }
  if (!body) return github_error(400, "Problems parsing JSON");
  const auto text = string_field(*body, "body");
  if (!text) return github_error(422, "Invalid request.\n\n\"body\" wasn't supplied.");
  const std::string html_url = "https://github.com/" + parts[0] + "/" + parts[1] + "/issues/" +
                               parts[3] + "#issuecomment-" + std::to_string(id);
  const std::string now = iso8601_utc(unix_now());
  Reply reply;
  reply.status = 201;
  reply.body = {{"id", id},
                {"node_id", "IC_fake" + std::to_string(id)},
                {"url", "https://api.github.com/repos/" + parts[0] + "/" + parts[1] +
                            "/issues/comments/" + std::to_string(id)},
                {"html_url", html_url},
                {"body", *text},
                {"user", {{"login", "atlas-fake[bot]"}, {"type", "Bot"}}},
                {"created_at", now},
                {"updated_at", now}};
  return reply;
}

// POST /app/installations/{id}/access_tokens; `tail` is what follows
// "/app/installations/". The Bearer JWT must have three dot-separated parts
// and a payload with iss, iat and exp (the RS256 signature is not checked).
// `n` makes the token unique.
inline Reply github_installation_token(const http::ServerRequest& request, std::string_view tail,
                                       std::int64_t n) {
  const auto parts = split(tail, '/');
  const bool shape_ok = parts.size() == 2 && !parts[0].empty() &&
                        parts[0].find_first_not_of("0123456789") == std::string::npos &&
                        parts[1] == "access_tokens";
  if (!shape_ok || request.method != "POST") return github_error(404, "Not Found");
  const auto jwt = auth_credential(request.header("authorization"), {"Bearer"});
  if (!jwt) {
    return github_error(401, "A JSON web token could not be decoded");
  }
  const auto pieces = split(*jwt, '.');
  if (pieces.size() != 3 || pieces[0].empty() || pieces[1].empty() || pieces[2].empty()) {
    return github_error(401, "A JSON web token could not be decoded");
  }
  const auto payload_text = base64url_decode(pieces[1]);
  const auto payload = payload_text ? parse_json_body(*payload_text) : std::nullopt;
  if (!payload || !payload->is_object()) {
    return github_error(401, "A JSON web token could not be decoded");
  }
  const auto iss = payload->find("iss");
  const auto iat = payload->find("iat");
  const auto exp = payload->find("exp");
  const bool claims_ok = iss != payload->end() && (iss->is_string() || iss->is_number_integer()) &&
                         iat != payload->end() && iat->is_number() && exp != payload->end() &&
                         exp->is_number();
  if (!claims_ok) {
    return github_error(401, "'Issuer' claim ('iss'), 'Issued at' claim ('iat') and 'Expiration "
                             "time' claim ('exp') must all be present");
  }
  if (exp->get<double>() <= iat->get<double>()) {
    return github_error(401, "'Expiration time' claim ('exp') must be after 'Issued at' claim ('iat')");
  }
  Reply reply;
  reply.status = 201;
  reply.body = {{"token", "ghs_fake" + std::to_string(n)},
                {"expires_at", iso8601_utc(unix_now() + 3600)},
                {"permissions", {{"issues", "write"}, {"metadata", "read"}}},
                {"repository_selection", "all"}};
  return reply;
}

}  // namespace atlas::fake
