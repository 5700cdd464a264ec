#pragma once
// What the worker's end-to-end tests share: an atlas-worker process with a
// test environment, a collector of every message on a topic, and a scrape of
// /metrics.
//
//   atlas::test::WorkerProcess worker("w1", stack_env(bus, pg, fake));
//   REQUIRE(worker.wait_ready());
//   atlas::test::TopicCollector out(bus.settings(), "architect_out", logger);
//   ... publish ...
//   REQUIRE(out.wait([&] { return out.replies_to(id).size() == 1; }, 30s));
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/config.hpp"
#include "atlas/kafka/message.hpp"
#include "atlas/log.hpp"
#include "devbus_fixture.hpp"
#include "process.hpp"

namespace atlas::test {

// The environment of an atlas-worker wired to a devbus, a database and the
// fake (OpenAI, Anthropic and RAG all on atlas-fake), with short back-offs
// and session.timeout.ms=6000 so rebalances in tests take seconds.
std::map<std::string, std::string> worker_env(const std::string& bootstrap,
                                              const std::string& database_url,
                                              const std::string& fake_url);

class WorkerProcess {
 public:
  WorkerProcess(std::string name, std::map<std::string, std::string> env);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Waits for the "atlas-worker starting" line (metrics port known) and for
  // /readyz to answer 200.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  [[nodiscard]] int metrics_port() const { return metrics_port_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] ChildProcess& process() { return *process_; }
  [[nodiscard]] std::string log() const { return process_->stderr_text(); }
  // GET path on the metrics port: {status, body}; status 0 when unreachable.
  std::pair<int, std::string> get(const std::string& path) const;
  // The value of one sample of /metrics ("atlas_tasks_total{outcome=\"done\"}"), or nullopt.
  std::optional<double> metric(const std::string& sample) const;
  // SIGTERM and wait; the exit status.
  ExitStatus terminate(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  std::string name_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  int metrics_port_ = 0;
};

// Every message on `topic` from the beginning, collected on a thread.
struct CollectedMessage {
  kafka::Message message;
  nlohmann::json value;  // parsed JSON, or null when the value is not JSON
  [[nodiscard]] std::string header(const std::string& name) const;
};

class TopicCollector {
 public:
  TopicCollector(const KafkaSettings& settings, const std::string& topic, Logger& logger);
  ~TopicCollector();
  TopicCollector(const TopicCollector&) = delete;
  TopicCollector& operator=(const TopicCollector&) = delete;

  std::vector<CollectedMessage> all() const;
  // Messages whose metadata.parent_id is `parent_id`.
  std::vector<nlohmann::json> replies_to(const std::string& parent_id) const;
  // Polls `predicate` until true or `timeout`.
  bool wait(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) const;
  bool wait_assigned(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  mutable std::mutex mutex_;
  std::vector<CollectedMessage> messages_;
  std::unique_ptr<ConsumerThread> consumer_;
};

// A chat envelope (origin cli) as JSON text, with a fresh task_id written to `task_id`.
std::string make_chat_json(const std::string& text, std::string& task_id);

}  // namespace atlas::test
