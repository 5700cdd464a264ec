#pragma once
// FakeUpstream: bin/atlas-fake (the stand-in for OpenAI, Anthropic, the RAG
// gateway, Slack and GitHub) started for one test, with its control API as
// methods. See docs/testing-fakes.md for the endpoints, rules and presets.
//
//   atlas::test::FakeUpstream fake({.delay_ms = 20});
//   config.openai_base_url = fake.base_url() + "/v1";
//   fake.script({{{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_500"}}});
//   ... run the code under test ...
//   CHECK(fake.count("/v1/chat/completions", "gpt-4.1") == 2);
//   CHECK(fake.stats()["tokens"]["total"] == 1234);
//
// Every control method blocks until the fake has answered and throws
// std::runtime_error (with the fake's answer) when it fails. Start it from
// the test's own thread (see ChildProcess).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "process.hpp"

namespace atlas::test {

struct FakeUpstreamOptions {
  std::int64_t delay_ms = 0;         // --delay-ms: default delay of every emulated answer
  int threads = 2;                   // --threads: server I/O threads
  std::size_t max_calls = 100'000;   // --max-calls: recorded calls kept
  std::string log_level = "warn";    // LOG_LEVEL of the fake ("debug" logs every request)
  std::chrono::milliseconds start_timeout{10'000};
};

class FakeUpstream {
 public:
  // Starts the fake and waits until it answers /_fake/stats; throws
  // std::runtime_error (with the fake's stderr) when it does not come up.
  explicit FakeUpstream(FakeUpstreamOptions options = {});
  // stop() unless already stopped.
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  // "http://127.0.0.1:PORT" (no trailing slash; append "/v1" for OpenAI).
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] std::uint16_t port() const { return port_; }

  // POST /_fake/script: one rule object or an array of rules.
  void script(const nlohmann::json& rules);
  // POST /_fake/rag: the corpus /v1/query_chat answers from.
  void set_rag(const nlohmann::json& corpus);
  // POST /_fake/down: while down, requests matching `path` fail with a 503
  // (mode "503") or without a usable response (mode "close").
  void set_down(std::string path, bool down, std::string mode = "503");
  // POST /_fake/reset: rules, down switches, calls, statistics and the RAG
  // corpus back to the start; hung requests are answered 503.
  void reset();
  // GET /_fake/calls[?path=...]: recorded requests, oldest first. `path` may
  // be a prefix ending in '*'.
  nlohmann::json calls(std::string path = "");
  // GET /_fake/stats
  nlohmann::json stats();
  // How many recorded calls match `path` (and `model` when not empty).
  int count(std::string path, std::string model = "");

  // SIGTERM, then waits up to 10 s (SIGKILL after that); returns how the
  // fake ended. Idempotent.
  ExitStatus stop();

  // The fake's stderr (JSON log lines), for failure messages.
  [[nodiscard]] std::string log_text() const;

 private:
  nlohmann::json control(const std::string& method, const std::string& target,
                         const nlohmann::json* body);

  FakeUpstreamOptions options_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
  std::unique_ptr<http::Client> client_;
  std::optional<ExitStatus> stopped_;
};

}  // namespace atlas::test
