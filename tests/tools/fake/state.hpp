#pragma once
// atlas-fake: everything the control API reads and writes, behind one mutex.
// Handlers call decide() when a request arrives (it records the call and picks
// the outcome), finish() once the answer is known, and park() for a request
// that must hang. The mutex is never held while waiting or doing I/O.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "atlas/http/responder.hpp"
#include "atlas/http/server_message.hpp"
#include "rules.hpp"
#include "services.hpp"
#include "util.hpp"

namespace atlas::fake {

// One recorded request, listed by GET /_fake/calls.
struct CallRecord {
  std::uint64_t seq = 0;
  std::string path;
  std::string method;
  std::optional<std::string> model;
  http::HeaderList headers;
  std::string body;  // raw; parsed when listed
  int status = 0;    // what the fake answered; 0 for hang and close
  std::int64_t at_ms = 0;
};

// A path switched off by POST /_fake/down.
struct DownSwitch {
  std::string path;  // pattern, as in rules
  bool close = false;  // "close" mode; else "503"
};

// What to do with one request.
struct Decision {
  enum class Kind { normal, scripted, hang, close, down_503 };
  Kind kind = Kind::normal;
  std::uint64_t seq = 0;
  std::optional<Rule> rule;              // the rule that matched (scripted, hang, close, normal)
  std::optional<std::int64_t> delay_ms;  // the rule's delay; nullopt: the fake's default
};

// "authorization: Bearer abc" -> "<redacted:len 10>": the calls list shows
// that a credential was sent and how long it was, never the credential.
inline bool is_secret_header(std::string_view name) {
  return http::iequals(name, "authorization") || http::iequals(name, "x-api-key");
}

class State {
 public:
  explicit State(std::size_t max_calls)
      : max_calls_(std::max<std::size_t>(1, max_calls)),
        started_(std::chrono::steady_clock::now()),
        corpus_(std::make_shared<const std::vector<Chunk>>(default_corpus())) {}

  // Records the request and decides its outcome: a down switch first, then
  // the first matching rule (consumed once), else the normal behaviour.
  Decision decide(const http::ServerRequest& request, const std::optional<std::string>& model) {
    std::lock_guard lock(mutex_);
    Decision decision;
    decision.seq = ++seq_;
    record(request, model, decision.seq);

    for (const auto& down : downs_) {
      if (path_matches(down.path, request.path)) {
        decision.kind = down.close ? Decision::Kind::close : Decision::Kind::down_503;
        decision.delay_ms = 0;
        return decision;
      }
    }
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
      if (!it->matches(request.path, model)) continue;
      decision.rule = *it;
      decision.delay_ms = it->delay_ms;
      switch (it->action) {
        case RuleAction::none: decision.kind = Decision::Kind::scripted; break;
        case RuleAction::hang: decision.kind = Decision::Kind::hang; break;
        case RuleAction::close: decision.kind = Decision::Kind::close; break;
        case RuleAction::normal: decision.kind = Decision::Kind::normal; break;
      }
      if (it->remaining > 0 && --it->remaining == 0) rules_.erase(it);
      return decision;
    }
    return decision;
  }

  // The answer of request `seq` is known: its status goes into the calls
  // list and an LLM answer's tokens into the statistics.
  void finish(std::uint64_t seq, int status, std::int64_t tokens, const std::string& token_model) {
    std::lock_guard lock(mutex_);
    if (CallRecord* call = find_call(seq)) call->status = status;
    ++by_status_[status];
    if (status >= 200 && status < 300 && tokens > 0) {
      tokens_total_ += tokens;
      tokens_by_model_[token_model] += tokens;
    }
  }

  // A request starts or stops waiting (delayed or hanging).
  void enter_inflight() {
    std::lock_guard lock(mutex_);
    ++inflight_;
    max_inflight_ = std::max(max_inflight_, inflight_);
  }
  void leave_inflight() {
    std::lock_guard lock(mutex_);
    if (inflight_ > 0) --inflight_;
  }

  // Keeps the Responder of a hanging request until reset() or release_all().
  // Returns it back when the fake is shutting down (the caller answers).
  std::optional<http::Responder> park(std::uint64_t seq, http::Responder responder) {
    std::lock_guard lock(mutex_);
    if (stopping_) return responder;
    hung_.emplace(seq, std::move(responder));
    ++inflight_;
    max_inflight_ = std::max(max_inflight_, inflight_);
    return std::nullopt;
  }

  // Takes every hung Responder (the caller answers them outside the lock);
  // with `stopping`, later park() calls are refused.
  std::vector<http::Responder> release_hung(bool stopping) {
    std::lock_guard lock(mutex_);
    stopping_ = stopping_ || stopping;
    std::vector<http::Responder> out;
    for (auto& [seq, responder] : hung_) out.push_back(std::move(responder));
    inflight_ -= std::min<std::int64_t>(inflight_, static_cast<std::int64_t>(hung_.size()));
    hung_.clear();
    return out;
  }

  // POST /_fake/reset (hung requests are released separately, by release_hung).
  void reset() {
    std::lock_guard lock(mutex_);
    rules_.clear();
    downs_.clear();
    calls_.clear();
    calls_total_ = 0;
    by_path_.clear();
    by_model_.clear();
    by_status_.clear();
    tokens_total_ = 0;
    tokens_by_model_.clear();
    max_inflight_ = inflight_;
    corpus_ = std::make_shared<const std::vector<Chunk>>(default_corpus());
  }

  std::size_t add_rules(std::vector<Rule> rules) {
    std::lock_guard lock(mutex_);
    for (auto& rule : rules) rules_.push_back(std::move(rule));
    return rules_.size();
  }

  // down == false removes every switch on exactly this path pattern.
  void set_down(const std::string& path, bool down, bool close) {
    std::lock_guard lock(mutex_);
    downs_.erase(std::remove_if(downs_.begin(), downs_.end(),
                                [&](const DownSwitch& d) { return d.path == path; }),
                 downs_.end());
    if (down) downs_.push_back({path, close});
  }

  void set_corpus(std::vector<Chunk> corpus) {
    std::lock_guard lock(mutex_);
    corpus_ = std::make_shared<const std::vector<Chunk>>(std::move(corpus));
  }
  std::shared_ptr<const std::vector<Chunk>> corpus() const {
    std::lock_guard lock(mutex_);
    return corpus_;
  }

  // GET /_fake/calls: the recorded calls (oldest first) whose path matches
  // `path_pattern` (empty: all) and whose model is `model` (empty: any).
  json calls_json(const std::string& path_pattern, const std::string& model) const {
    std::vector<CallRecord> selected;
    {
      std::lock_guard lock(mutex_);
      for (const auto& call : calls_) {
        if (!path_pattern.empty() && !path_matches(path_pattern, call.path)) continue;
        if (!model.empty() && call.model != model) continue;
        selected.push_back(call);
      }
    }
    // Building the JSON (parsing bodies) happens outside the lock.
    json out = json::array();
    for (const auto& call : selected) {
      json headers = json::object();
      for (const auto& [name, value] : call.headers) {
        headers[http::to_lower(name)] =
            is_secret_header(name) ? "<redacted:len " + std::to_string(value.size()) + ">" : value;
      }
      auto parsed = parse_json_body(call.body);
      out.push_back({{"seq", call.seq},
                     {"path", call.path},
                     {"method", call.method},
                     {"model", call.model ? json(*call.model) : json(nullptr)},
                     {"headers", std::move(headers)},
                     {"body", parsed ? std::move(*parsed) : json(call.body)},
                     {"status", call.status},
                     {"at_ms", call.at_ms}});
    }
    return out;
  }

  // GET /_fake/stats
  json stats_json() const {
    std::lock_guard lock(mutex_);
    json by_status = json::object();
    for (const auto& [status, n] : by_status_) by_status[std::to_string(status)] = n;
    return {{"calls", calls_total_},
            {"by_path", by_path_},
            {"by_model", by_model_},
            {"by_status", by_status},
            {"tokens", {{"total", tokens_total_}, {"by_model", tokens_by_model_}}},
            {"inflight", inflight_},
            {"max_inflight", max_inflight_},
            {"pending_rules", rules_.size()},
            {"hung", hung_.size()}};
  }

 private:
  void record(const http::ServerRequest& request, const std::optional<std::string>& model,
              std::uint64_t seq) {
    ++calls_total_;
    ++by_path_[request.path];
    if (model) ++by_model_[*model];
    CallRecord call;
    call.seq = seq;
    call.path = request.path;
    call.method = request.method;
    call.model = model;
    call.headers = request.headers;
    call.body = request.body;
    call.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started_)
                     .count();
    calls_.push_back(std::move(call));
    while (calls_.size() > max_calls_) calls_.pop_front();
  }

  // The record of `seq` if it is still kept (seq increases along calls_).
  CallRecord* find_call(std::uint64_t seq) {
    if (calls_.empty() || seq < calls_.front().seq) return nullptr;
    const auto it = std::lower_bound(calls_.begin(), calls_.end(), seq,
                                     [](const CallRecord& c, std::uint64_t s) { return c.seq < s; });
    return (it != calls_.end() && it->seq == seq) ? &*it : nullptr;
  }

  mutable std::mutex mutex_;
  const std::size_t max_calls_;
  const std::chrono::steady_clock::time_point started_;
  std::uint64_t seq_ = 0;  // never reset: ids stay unique for the process's life
  std::vector<Rule> rules_;
  std::vector<DownSwitch> downs_;
  std::deque<CallRecord> calls_;
  std::uint64_t calls_total_ = 0;
  std::map<std::string, std::uint64_t> by_path_;
  std::map<std::string, std::uint64_t> by_model_;
  std::map<int, std::uint64_t> by_status_;
  std::int64_t tokens_total_ = 0;
  std::map<std::string, std::int64_t> tokens_by_model_;
  std::int64_t inflight_ = 0;
  std::int64_t max_inflight_ = 0;
  std::map<std::uint64_t, http::Responder> hung_;
  bool stopping_ = false;
  std::shared_ptr<const std::vector<Chunk>> corpus_;
};

}  // namespace atlas::fake
