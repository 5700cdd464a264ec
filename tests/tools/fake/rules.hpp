#pragma once
// atlas-fake: scripted rules (POST /_fake/script). A rule matches a request by
// path pattern and, optionally, the body's "model"; it is consumed once per
// matching request until its `times` run out, and replaces the default
// behaviour with a status / preset / body, a delay, or an action.
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "presets.hpp"
#include "reply.hpp"
#include "util.hpp"

namespace atlas::fake {

enum class RuleAction {
  none,    // answer with the rule's status / preset / body
  hang,    // never answer (until /_fake/reset or shutdown)
  close,   // fail the request without a usable HTTP response (see close_reply)
  normal,  // "default": the emulated endpoint's normal answer, after delay_ms
};

struct Rule {
  std::string path;                  // exact, or a prefix ending in '*'
  std::optional<std::string> model;  // matches the body's "model"
  std::int64_t remaining = 1;        // -1: forever
  std::optional<int> status;
  http::HeaderList headers;
  std::optional<json> body;
  std::optional<std::string> body_raw;
  std::optional<std::string> content_type;
  std::optional<std::int64_t> delay_ms;
  RuleAction action = RuleAction::none;
  std::string preset;  // empty: none

  [[nodiscard]] bool matches(std::string_view request_path,
                             const std::optional<std::string>& request_model) const {
    return path_matches(path, request_path) && (!model || model == request_model);
  }
};

// Parses one rule object; throws std::invalid_argument saying what is wrong.
inline Rule parse_rule(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("a rule must be a JSON object");
  static const std::set<std::string> known = {"path",    "model",    "times",  "status",
                                              "headers", "body",     "body_raw", "content_type",
                                              "delay_ms", "action",  "preset"};
  for (const auto& [key, value] : j.items()) {
    if (known.count(key) == 0) {
      throw std::invalid_argument("unknown rule field \"" + key +
                                  "\"; rules take path, model, times, status, headers, body, "
                                  "body_raw, content_type, delay_ms, action, preset");
    }
  }
  Rule rule;
  const auto path = string_field(j, "path");
  if (!path || path->empty() || ((*path)[0] != '/' && *path != "*")) {
    throw std::invalid_argument("\"path\" is required: an exact path such as \"/v1/chat/completions\" "
                                "or a prefix ending in '*' such as \"/repos/*\"");
  }
  rule.path = *path;
  if (j.contains("model")) {
    if (!j["model"].is_string()) throw std::invalid_argument("\"model\" must be a string");
    rule.model = j["model"].get<std::string>();
  }
  if (j.contains("times")) {
    const auto& t = j["times"];
    if (!t.is_number_integer() || (t.get<std::int64_t>() < 1 && t.get<std::int64_t>() != -1)) {
      throw std::invalid_argument("\"times\" must be a positive integer, or -1 for forever");
    }
    rule.remaining = t.get<std::int64_t>();
  }
  if (j.contains("status")) {
    const auto& s = j["status"];
    if (!s.is_number_integer() || s.get<std::int64_t>() < 200 || s.get<std::int64_t>() > 999) {
      throw std::invalid_argument("\"status\" must be an integer from 200 to 999");
    }
    rule.status = s.get<int>();
  }
  if (j.contains("headers")) {
    const auto& h = j["headers"];
    if (!h.is_object()) throw std::invalid_argument("\"headers\" must be an object of strings");
    for (const auto& [name, value] : h.items()) {
      if (value.is_string()) rule.headers.emplace_back(name, value.get<std::string>());
      else if (value.is_number()) rule.headers.emplace_back(name, value.dump());
      else throw std::invalid_argument("header \"" + name + "\" must be a string or a number");
    }
  }
  if (j.contains("body")) rule.body = j["body"];
  if (j.contains("body_raw")) {
    if (!j["body_raw"].is_string()) throw std::invalid_argument("\"body_raw\" must be a string");
    if (rule.body) throw std::invalid_argument("give \"body\" or \"body_raw\", not both");
    rule.body_raw = j["body_raw"].get<std::string>();
  }
  if (j.contains("content_type")) {
    if (!j["content_type"].is_string()) throw std::invalid_argument("\"content_type\" must be a string");
    rule.content_type = j["content_type"].get<std::string>();
  }
  if (j.contains("delay_ms")) {
    const auto& d = j["delay_ms"];
    if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > 600'000) {
      throw std::invalid_argument("\"delay_ms\" must be an integer from 0 to 600000");
    }
    rule.delay_ms = d.get<std::int64_t>();
  }
  if (j.contains("action")) {
    const auto action = string_field(j, "action");
    if (action == "hang") rule.action = RuleAction::hang;
    else if (action == "close") rule.action = RuleAction::close;
    else if (action == "default") rule.action = RuleAction::normal;
    else throw std::invalid_argument("\"action\" must be \"hang\", \"close\" or \"default\"");
  }
  if (j.contains("preset")) {
    const auto preset = string_field(j, "preset");
    if (!preset || !preset_reply(*preset, "")) {
      std::string names;
      for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
      throw std::invalid_argument("unknown \"preset\"; use one of: " + names);
    }
    rule.preset = *preset;
  }
  if (rule.action == RuleAction::none && !rule.status && rule.preset.empty() && !rule.body &&
      !rule.body_raw) {
    throw std::invalid_argument("a rule needs an outcome: \"status\", \"preset\", \"body\", "
                                "\"body_raw\" or \"action\"");
  }
  return rule;
}

// Parses POST /_fake/script: one rule object or an array of them.
inline std::vector<Rule> parse_rules(const json& j) {
  std::vector<Rule> rules;
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      try {
        rules.push_back(parse_rule(j[i]));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("rule " + std::to_string(i) + ": " + e.what());
      }
    }
  } else {
    rules.push_back(parse_rule(j));
  }
  return rules;
}

// The answer of a rule with action none: its preset (built for the request's
// model) or a plain status, then the rule's own status, headers and body on
// top.
inline Reply scripted_reply(const Rule& rule, const std::optional<std::string>& model) {
  Reply reply;
  if (!rule.preset.empty()) {
    reply = preset_reply(rule.preset, model.value_or("")).value_or(Reply{});
  } else {
    const int status = rule.status.value_or(200);
    reply.status = status;
    reply.body = {{"error",
                   {{"message", "atlas-fake: scripted status " + std::to_string(status)},
                    {"type", "atlas_fake_scripted"}}}};
  }
  if (rule.status) reply.status = *rule.status;
  for (const auto& [name, value] : rule.headers) set_header(reply.headers, name, value);
  if (rule.body) reply.body = *rule.body;
  if (rule.body_raw) reply.raw = *rule.body_raw;
  if (rule.content_type) reply.content_type = *rule.content_type;
  return reply;
}

}  // namespace atlas::fake
