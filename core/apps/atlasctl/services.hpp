#pragma once
// Where atlasctl finds the three services' HTTP endpoints, and what their
// /readyz answers mean. Used by `status` (readiness of everything), `doctor`
// (RAG) and `budget show` (the worker's /metrics). Header-only.
//
//   ATLAS_WORKER_URL  http://127.0.0.1:8000   atlas-worker (METRICS_PORT)
//   ATLAS_ROUTER_URL  http://127.0.0.1:8080   atlas-router (ROUTER_PORT)
//   RAG_URL           http://127.0.0.1:8501   atlas-rag (RAG_PORT; the worker reads it too)
//
// Each may list several base URLs, comma-separated (one per replica): a
// service is "degraded" when some of them fail and "down" when all do.
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/config.hpp"
#include "atlas/http/client.hpp"

namespace atlas::ctl {

struct ServiceTargets {
  std::string service;   // "atlas-worker"
  std::string variable;  // "ATLAS_WORKER_URL"
  std::vector<std::string> urls;
};

// An http(s) base URL list from `variable`; every malformed entry is a
// problem naming the variable.
inline std::vector<std::string> url_list(ConfigReader& reader, const std::string& variable,
                                         const std::string& fallback) {
  std::vector<std::string> urls;
  for (std::string url : reader.list(variable, fallback)) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      reader.problem(variable + "='" + url + "' is not an http:// or https:// URL: use e.g. " +
                     fallback);
      continue;
    }
    urls.push_back(std::move(url));
  }
  if (urls.empty()) reader.problem(variable + " is empty: set it to a base URL such as " + fallback);
  return urls;
}

inline std::vector<ServiceTargets> service_targets(ConfigReader& reader) {
  return {
      {"atlas-worker", "ATLAS_WORKER_URL", url_list(reader, "ATLAS_WORKER_URL", "http://127.0.0.1:8000")},
      {"atlas-router", "ATLAS_ROUTER_URL", url_list(reader, "ATLAS_ROUTER_URL", "http://127.0.0.1:8080")},
      {"atlas-rag", "RAG_URL", url_list(reader, "RAG_URL", "http://127.0.0.1:8501")},
  };
}

// Why a request got no HTTP answer, without the "GET <url>: " prefix of
// error_message (callers show the URL beside it): "connect: Failed to connect ...".
inline std::string transport_error(const http::ClientResponse& response) {
  const auto colon = response.error_message.find(": ");
  return std::string(http::to_string(response.error)) + ": " +
         (colon == std::string::npos ? response.error_message
                                     : response.error_message.substr(colon + 2));
}

// One /readyz answer, classified.
struct Readiness {
  enum class State { ready, not_ready, down };
  State state = State::down;
  int http_status = 0;
  nlohmann::json checks = nlohmann::json::object();  // the body's "checks", when it has them
  std::vector<std::string> failing;                  // the body's "failing"
  std::string detail;                                // one line for a person
  std::int64_t elapsed_ms = 0;
};

inline const char* to_string(Readiness::State state) {
  switch (state) {
    case Readiness::State::ready: return "ready";
    case Readiness::State::not_ready: return "not_ready";
    case Readiness::State::down: return "down";
  }
  return "down";
}

// 200: ready. Any other HTTP answer (503 with the failing checks, or a
// status an Atlas service never sends): not ready. No answer at all: down.
inline Readiness classify_readyz(const http::ClientResponse& response) {
  Readiness r;
  r.elapsed_ms = response.elapsed.count();
  if (!response.transport_ok()) {
    r.state = Readiness::State::down;
    r.detail = transport_error(response);
    return r;
  }
  r.http_status = response.status;
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    if (auto it = body.find("checks"); it != body.end() && it->is_object()) r.checks = *it;
    if (auto it = body.find("failing"); it != body.end() && it->is_array()) {
      for (const auto& f : *it) {
        if (f.is_string()) r.failing.push_back(f.get<std::string>());
      }
    }
  }
  if (response.status == 200) {
    r.state = Readiness::State::ready;
    r.detail = "ready";
    return r;
  }
  r.state = Readiness::State::not_ready;
  if (!r.failing.empty()) {
    for (const auto& name : r.failing) {
      std::string what = name;
      if (auto it = r.checks.find(name); it != r.checks.end() && it->is_object()) {
        if (auto d = it->find("detail"); d != it->end() && d->is_string()) {
          what += " (" + d->get<std::string>() + ")";
        }
      }
      r.detail += (r.detail.empty() ? "failing: " : "; ") + what;
    }
  } else {
    r.detail = "HTTP " + std::to_string(response.status) + " from /readyz";
  }
  return r;
}

// A service is ready when every replica is, down when none answers, and
// degraded otherwise (some replicas down, or answering but not ready).
enum class ServiceState { ready, degraded, down };

inline const char* to_string(ServiceState state) {
  switch (state) {
    case ServiceState::ready: return "ready";
    case ServiceState::degraded: return "degraded";
    case ServiceState::down: return "down";
  }
  return "down";
}

inline ServiceState service_state(const std::vector<Readiness>& replicas) {
  std::size_t ready = 0;
  std::size_t down = 0;
  for (const auto& r : replicas) {
    if (r.state == Readiness::State::ready) ++ready;
    if (r.state == Readiness::State::down) ++down;
  }
  if (ready == replicas.size()) return ServiceState::ready;
  if (down == replicas.size()) return ServiceState::down;
  return ServiceState::degraded;
}

// `atlasctl status`'s exit code: 4 when a service is down, else 3 when one is
// degraded, else 0.
inline constexpr int kStatusDegraded = 3;
inline constexpr int kStatusDown = 4;
inline int status_exit_code(const std::vector<ServiceState>& services) {
  int code = 0;
  for (ServiceState s : services) {
    if (s == ServiceState::down) return kStatusDown;
    if (s == ServiceState::degraded) code = kStatusDegraded;
  }
  return code;
}

// GETs every URL at once and waits for all answers (each within `timeout`).
inline std::vector<http::ClientResponse> get_all(const std::vector<std::string>& urls,
                                                 std::chrono::milliseconds timeout) {
  http::ClientOptions options;
  options.connect_timeout = timeout;
  options.user_agent = "atlasctl";
  http::Client client(options);
  std::vector<std::future<http::ClientResponse>> pending;
  pending.reserve(urls.size());
  for (const auto& url : urls) {
    http::ClientRequest request;
    request.url = url;
    request.timeout = timeout;
    request.max_response_bytes = 4u << 20;
    pending.push_back(client.send(std::move(request)));
  }
  std::vector<http::ClientResponse> out;
  out.reserve(pending.size());
  for (auto& f : pending) out.push_back(f.get());
  return out;
}

// The value of an unlabelled sample ("atlas_token_budget_per_run 12000") in
// a Prometheus text exposition, if present.
inline std::optional<double> metric_value(const std::string& exposition, const std::string& name) {
  std::size_t pos = 0;
  while (pos < exposition.size()) {
    std::size_t end = exposition.find('\n', pos);
    if (end == std::string::npos) end = exposition.size();
    const std::string_view line(exposition.data() + pos, end - pos);
    if (line.size() > name.size() && line.substr(0, name.size()) == name &&
        line[name.size()] == ' ') {
      try {
        return std::stod(std::string(line.substr(name.size() + 1)));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace atlas::ctl
