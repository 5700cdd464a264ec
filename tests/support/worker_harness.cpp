#include "worker_harness.hpp"

#include <csignal>
#include <sstream>

#include "atlas/envelope.hpp"
#include "atlas/http/client.hpp"
#include "atlas/uuid.hpp"
#include "log_lines.hpp"
#include "test_paths.hpp"

namespace atlas::test {

using namespace std::chrono_literals;
using nlohmann::json;

std::map<std::string, std::string> worker_env(const std::string& bootstrap,
                                              const std::string& database_url,
                                              const std::string& fake_url) {
  return {{"KAFKA_BROKERS", bootstrap},
          {"KAFKA_PROPERTY_session_timeout_ms", "6000"},
          {"KAFKA_PROPERTY_heartbeat_interval_ms", "500"},
          {"DATABASE_URL", database_url},
          {"OPENAI_API_KEY", "sk-test-0123456789abcdef"},
          {"OPENAI_BASE_URL", fake_url + "/v1"},
          {"ANTHROPIC_API_KEY", "sk-ant-test-0123456789"},
          {"ANTHROPIC_BASE_URL", fake_url},
          {"RAG_URL", fake_url},
          {"METRICS_PORT", "0"},
          {"LLM_BACKOFF_INITIAL_S", "0.05"},
          {"LLM_BACKOFF_MAX_S", "0.2"},
          {"LOG_FORMAT", "json"},
          {"LOG_LEVEL", "info"},
          {"WORKER_SHUTDOWN_GRACE_S", "20"}};
}

WorkerProcess::WorkerProcess(std::string name, std::map<std::string, std::string> env)
    : name_(std::move(name)), dir_("e2e-worker-" + name_) {
  process_ = std::make_unique<ChildProcess>(binary("atlas-worker"), std::vector<std::string>{},
                                            env, dir_.path());
}

WorkerProcess::~WorkerProcess() = default;

bool WorkerProcess::wait_ready(std::chrono::milliseconds timeout) {
  const bool started = wait_until(
      [&] {
        metrics_port_ = logged_port(log(), "atlas-worker starting", "metrics_port");
        return metrics_port_ > 0 || !process_->running();
      },
      timeout, 50ms);
  if (!started || metrics_port_ == 0) return false;
  return wait_until([&] { return get("/readyz").first == 200; }, timeout, 100ms);
}

std::pair<int, std::string> WorkerProcess::get(const std::string& path) const {
  http::Client client;
  http::ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(metrics_port_) + path;
  request.timeout = 5s;
  const http::ClientResponse response = client.send(std::move(request)).get();
  return {response.transport_ok() ? response.status : 0, response.body};
}

std::optional<double> WorkerProcess::metric(const std::string& sample) const {
  const auto [status, body] = get("/metrics");
  if (status != 200) return std::nullopt;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return std::nullopt;
}

ExitStatus WorkerProcess::terminate(std::chrono::milliseconds timeout) {
  return process_->terminate(timeout);
}

std::string CollectedMessage::header(const std::string& name) const {
  const std::string* found = message.header(name);
  return found ? *found : std::string();
}

TopicCollector::TopicCollector(const KafkaSettings& settings, const std::string& topic,
                               Logger& logger) {
  kafka::ConsumerOptions options;
  options.group_id = "test-collector-" + Uuid::random_v4().to_string();
  options.topics = {topic};
  options.client_id = "test-collector";
  options.max_inflight = 100'000;
  options.auto_offset_reset = "earliest";
  consumer_ = std::make_unique<ConsumerThread>(
      settings, options, logger, [this](kafka::Message message, kafka::Completion done) {
        CollectedMessage collected;
        collected.value = json::parse(message.value, nullptr, false);
        if (collected.value.is_discarded()) collected.value = nullptr;
        collected.message = std::move(message);
        {
          std::lock_guard lock(mutex_);
          messages_.push_back(std::move(collected));
        }
        done();
      });
}

TopicCollector::~TopicCollector() { consumer_.reset(); }

std::vector<CollectedMessage> TopicCollector::all() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<json> TopicCollector::replies_to(const std::string& parent_id) const {
  std::vector<json> replies;
  std::lock_guard lock(mutex_);
  for (const CollectedMessage& m : messages_) {
    if (m.value.is_object() && m.value.contains("metadata") &&
        m.value["metadata"].value("parent_id", json(nullptr)) == json(parent_id)) {
      replies.push_back(m.value);
    }
  }
  return replies;
}

bool TopicCollector::wait(const std::function<bool()>& predicate,
                          std::chrono::milliseconds timeout) const {
  return wait_until(predicate, timeout, 50ms);
}

bool TopicCollector::wait_assigned(std::chrono::milliseconds timeout) {
  return consumer_->wait_assigned(1, timeout);
}

std::string make_chat_json(const std::string& text, std::string& task_id) {
  const Uuid id = Uuid::random_v4();
  task_id = id.to_string();
  return serialize(make_chat(text, {{"kind", "cli"}}, id));
}

}  // namespace atlas::test
