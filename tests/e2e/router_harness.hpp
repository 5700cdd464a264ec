#pragma once
// Shared pieces of the atlas-router end-to-end tests (tests/e2e/router_*.cpp):
// the built binary started as a child process against a private PostgreSQL
// (PgFixture) and atlas-devbus (DevbusFixture), a reader that collects what
// lands on a topic, and signed webhook requests.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/log.hpp"
#include "atlas/router/signature.hpp"
#include "atlas/uuid.hpp"
#include "devbus_fixture.hpp"
#include "http_raw_socket.hpp"
#include "log_lines.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"

namespace atlas::test::router_e2e {

using namespace std::chrono_literals;
using nlohmann::json;

inline constexpr const char* kSlackSecret = "e2e-slack-signing-secret";
inline constexpr const char* kGithubSecret = "e2e-github-webhook-secret";

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The environment every router in these tests starts with.
inline std::map<std::string, std::string> router_env(const std::string& database_url,
                                                     const std::string& brokers) {
  return {{"DATABASE_URL", database_url},
          {"KAFKA_BROKERS", brokers},
          {"ROUTER_PORT", "0"},
          {"SLACK_SIGNING_SECRET", kSlackSecret},
          {"GITHUB_WEBHOOK_SECRET", kGithubSecret},
          {"LOG_FORMAT", "json"},
          {"LOG_LEVEL", "info"},
          // A second replica joining a running group waits session.timeout.ms - 1 s.
          {"KAFKA_PROPERTY_session_timeout_ms", "6000"}};
}

// atlas-router as a child process; the port comes from its "listening" log line.
class RouterProcess {
 public:
  RouterProcess(std::map<std::string, std::string> env, const std::string& name = "router")
      : dir_("e2e-" + name) {
    process_ = std::make_unique<ChildProcess>(binary("atlas-router"), std::vector<std::string>{},
                                              env, dir_.path());
    const bool up = wait_until(
        [&] {
          const int port = logged_port(process_->stderr_text(), "atlas-router listening");
          if (port > 0) port_ = port;
          return port_ > 0 || !process_->running();
        },
        60s, 50ms);
    if (!up || port_ == 0) {
      FAIL("atlas-router did not start: " << process_->stderr_text());
    }
  }
  ~RouterProcess() { stop(); }
  RouterProcess(const RouterProcess&) = delete;
  RouterProcess& operator=(const RouterProcess&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  [[nodiscard]] std::string log() const { return process_->stderr_text(); }
  ChildProcess& process() { return *process_; }

  // SIGTERM and wait; the exit status.
  ExitStatus stop() {
    if (stopped_) return *stopped_;
    stopped_ = process_->terminate(40s);
    return *stopped_;
  }

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  std::optional<ExitStatus> stopped_;
};

// Collects every message on a topic (a consumer group of its own, from the
// beginning) for the duration of a test.
class TopicReader {
 public:
  TopicReader(const KafkaSettings& settings, const std::string& topic, Logger& logger)
      : consumer_(settings, options(topic), logger, [this](kafka::Message m, kafka::Completion done) {
          {
            std::lock_guard lock(mutex_);
            messages_.push_back(std::move(m));
          }
          done();
        }) {}

  bool wait_assigned(std::chrono::milliseconds timeout = 30s) {
    return consumer_.wait_assigned(6, timeout);
  }
  std::vector<kafka::Message> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }
  // Messages whose value parses as JSON with value["task_id"] == task_id.
  std::vector<kafka::Message> with_task(const std::string& task_id) const {
    std::vector<kafka::Message> out;
    for (auto& m : messages()) {
      const json j = json::parse(m.value, nullptr, false);
      if (j.is_object() && j.value("task_id", "") == task_id) out.push_back(m);
    }
    return out;
  }
  // Messages satisfying `pred` on the parsed value.
  template <class Pred>
  std::vector<json> matching(Pred pred) const {
    std::vector<json> out;
    for (auto& m : messages()) {
      const json j = json::parse(m.value, nullptr, false);
      if (j.is_object() && pred(j)) out.push_back(j);
    }
    return out;
  }

 private:
  static kafka::ConsumerOptions options(const std::string& topic) {
    kafka::ConsumerOptions o;
    o.group_id = "e2e-reader-" + Uuid::random_v4().to_string();
    o.topics = {topic};
    o.client_id = "e2e-reader";
    o.max_inflight = 10'000;
    return o;
  }

  mutable std::mutex mutex_;
  std::vector<kafka::Message> messages_;
  ConsumerThread consumer_;
};

// --- requests ---------------------------------------------------------------

inline http::ClientRequest post(const std::string& url, std::string body,
                                http::HeaderList headers) {
  http::ClientRequest r;
  r.method = "POST";
  r.url = url;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.timeout = 15s;
  return r;
}

inline http::ClientRequest slack_request(const std::string& url, const std::string& body,
                                         std::int64_t timestamp = unix_now(),
                                         const std::string& secret = kSlackSecret,
                                         const std::string& content_type = "application/json") {
  const std::string ts = std::to_string(timestamp);
  return post(url, body,
              {{"Content-Type", content_type},
               {"X-Slack-Request-Timestamp", ts},
               {"X-Slack-Signature", router::slack_signature(secret, ts, body)}});
}

inline std::string slack_mention_event(const std::string& event_id, const std::string& channel,
                                       const std::string& ts, const std::string& text) {
  return json{{"type", "event_callback"},
              {"team_id", "T0001"},
              {"event_id", event_id},
              {"authorizations", json::array({{{"user_id", "UATLAS"}}})},
              {"event",
               {{"type", "app_mention"},
                {"user", "U1234"},
                {"channel", channel},
                {"ts", ts},
                {"text", "<@UATLAS> " + text}}}}
      .dump();
}

inline http::ClientRequest github_request(const std::string& url, const std::string& event,
                                          const std::string& delivery, const std::string& body,
                                          const std::string& secret = kGithubSecret) {
  return post(url, body,
              {{"Content-Type", "application/json"},
               {"X-GitHub-Event", event},
               {"X-GitHub-Delivery", delivery},
               {"X-GitHub-Hook-ID", "4242"},
               {"X-Hub-Signature-256", router::github_signature(secret, body)}});
}

inline std::string github_comment_event(const std::string& repo, int issue, const std::string& body,
                                        std::int64_t comment_id = 99) {
  return json{{"action", "created"},
              {"repository", {{"full_name", repo}}},
              {"installation", {{"id", 777}}},
              {"sender", {{"type", "User"}, {"login", "alice"}}},
              {"issue", {{"number", issue}, {"title", "CI"}}},
              {"comment", {{"id", comment_id}, {"body", body}}}}
      .dump();
}

// The value of a Prometheus sample line "name{labels} value", or -1.
inline double metric_value(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, series.size(), series) == 0 && line.size() > series.size() &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

}  // namespace atlas::test::router_e2e
