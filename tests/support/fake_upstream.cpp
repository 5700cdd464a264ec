#include "fake_upstream.hpp"

#include <csignal>
#include <stdexcept>
#include <string>
#include <utility>

#include "test_paths.hpp"

namespace atlas::test {
namespace {

using nlohmann::json;

// Percent-encodes a query value (unreserved characters and '/' stay).
std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

FakeUpstream::FakeUpstream(FakeUpstreamOptions options)
    : options_(std::move(options)), dir_("atlas-fake") {
  const std::string port_file = dir_.file("port");
  process_ = std::make_unique<ChildProcess>(
      binary("atlas-fake"),
      std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--port-file", port_file,
                               "--delay-ms", std::to_string(options_.delay_ms), "--threads",
                               std::to_string(options_.threads), "--max-calls",
                               std::to_string(options_.max_calls)},
      std::map<std::string, std::string>{{"LOG_LEVEL", options_.log_level}}, dir_.path());

  const bool port_written = wait_until(
      [&] { return file_exists(port_file) || !process_->running(); }, options_.start_timeout);
  if (!port_written || !file_exists(port_file)) {
    throw std::runtime_error("atlas-fake did not write its port file within " +
                             std::to_string(options_.start_timeout.count()) +
                             " ms; its stderr:\n" + process_->stderr_text());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(read_text_file(port_file)));

  http::ClientOptions client_options;
  client_options.max_host_connections = 8;
  client_options.user_agent = "atlas-test-fake-upstream";
  client_ = std::make_unique<http::Client>(client_options);
  const bool answering = wait_until(
      [&] {
        http::ClientRequest request;
        request.url = base_url() + "/_fake/stats";
        request.timeout = std::chrono::seconds(2);
        return client_->send(std::move(request)).get().status == 200;
      },
      options_.start_timeout, std::chrono::milliseconds(50));
  if (!answering) {
    throw std::runtime_error("atlas-fake on port " + std::to_string(port_) +
                             " does not answer /_fake/stats; its stderr:\n" + process_->stderr_text());
  }
}

FakeUpstream::~FakeUpstream() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; ChildProcess's destructor still reaps it.
  }
}

std::string FakeUpstream::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

json FakeUpstream::control(const std::string& method, const std::string& target, const json* body) {
  if (stopped_) throw std::runtime_error("FakeUpstream: " + method + " " + target + " after stop()");
  http::ClientRequest request;
  request.method = method;
  request.url = base_url() + target;
  request.timeout = std::chrono::seconds(30);
  request.max_response_bytes = 1u << 30;  // /_fake/calls can be large
  if (body != nullptr) {
    request.headers.emplace_back("content-type", "application/json");
    request.body = body->dump();
  }
  auto response = client_->send(std::move(request)).get();
  if (!response.transport_ok()) {
    throw std::runtime_error("FakeUpstream: " + method + " " + target + " failed: " +
                             response.error_message);
  }
  if (response.status != 200) {
    throw std::runtime_error("FakeUpstream: " + method + " " + target + " answered " +
                             std::to_string(response.status) + ": " + response.body);
  }
  return json::parse(response.body);
}

void FakeUpstream::script(const json& rules) { control("POST", "/_fake/script", &rules); }

void FakeUpstream::set_rag(const json& corpus) { control("POST", "/_fake/rag", &corpus); }

void FakeUpstream::set_down(std::string path, bool down, std::string mode) {
  const json body = {{"path", std::move(path)}, {"down", down}, {"mode", std::move(mode)}};
  control("POST", "/_fake/down", &body);
}

void FakeUpstream::reset() {
  const json empty = json::object();
  control("POST", "/_fake/reset", &empty);
}

json FakeUpstream::calls(std::string path) {
  return control("GET", path.empty() ? "/_fake/calls" : "/_fake/calls?path=" + url_encode(path),
                 nullptr);
}

json FakeUpstream::stats() { return control("GET", "/_fake/stats", nullptr); }

int FakeUpstream::count(std::string path, std::string model) {
  std::string target = "/_fake/calls?path=" + url_encode(path);
  if (!model.empty()) target += "&model=" + url_encode(model);
  return static_cast<int>(control("GET", target, nullptr).size());
}

ExitStatus FakeUpstream::stop() {
  if (stopped_) return *stopped_;
  client_.reset();
  stopped_ = process_->terminate(std::chrono::seconds(10));
  return *stopped_;
}

std::string FakeUpstream::log_text() const { return process_->stderr_text(); }

}  // namespace atlas::test
