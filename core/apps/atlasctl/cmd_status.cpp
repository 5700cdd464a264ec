// atlasctl status: every service's /readyz, one line each, and an exit code a
// script or a probe can act on: 0 all ready, 3 degraded, 4 a service down.
#include <cstdio>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "services.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl status [--format table|json] [--timeout SECONDS]\n"
    "\n"
    "Asks every service's GET /readyz and prints what it says:\n"
    "  atlas-worker  ATLAS_WORKER_URL  (default http://127.0.0.1:8000)\n"
    "  atlas-router  ATLAS_ROUTER_URL  (default http://127.0.0.1:8080)\n"
    "  atlas-rag     RAG_URL           (default http://127.0.0.1:8501)\n"
    "Each variable may list several base URLs, comma-separated (one per replica).\n"
    "  --format table|json   output (default table)\n"
    "  --timeout SECONDS     per request (default 5)\n"
    "\n"
    "Exit status: 0 every service ready; 3 degraded (a service answers but is not\n"
    "ready, or some of its replicas fail); 4 a service is down (no replica answers);\n"
    "2 usage or configuration error.\n";

struct ServiceStatus {
  const ServiceTargets* targets = nullptr;
  std::vector<Readiness> replicas;  // one per URL
  ServiceState state = ServiceState::down;
};

}  // namespace

int cmd_status(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  double timeout_s = 5;
  if (const auto stop = read_args(args, "status", kUsage, &format,
                                  seconds_option("--timeout", timeout_s, 0.1, 300))) {
    return *stop;
  }

  ConfigReader reader(ctx.env, ctx.redactor);
  const std::vector<ServiceTargets> targets = service_targets(reader);
  reader.finish();

  // Every replica of every service at once.
  std::vector<std::string> urls;
  for (const auto& t : targets) {
    for (const auto& u : t.urls) urls.push_back(u + "/readyz");
  }
  const auto responses = get_all(urls, to_millis(timeout_s));

  std::vector<ServiceStatus> services;
  std::vector<ServiceState> states;
  std::size_t next = 0;
  for (const auto& t : targets) {
    ServiceStatus s;
    s.targets = &t;
    for (std::size_t i = 0; i < t.urls.size(); ++i) s.replicas.push_back(classify_readyz(responses[next++]));
    s.state = service_state(s.replicas);
    states.push_back(s.state);
    services.push_back(std::move(s));
  }
  const int code = status_exit_code(states);
  const std::string overall = code == kStatusDown ? "down" : code == kStatusDegraded ? "degraded" : "ok";

  if (format == Format::json) {
    nlohmann::json out = {{"status", overall}, {"exit_code", code}, {"services", nlohmann::json::array()}};
    for (const auto& s : services) {
      nlohmann::json replicas = nlohmann::json::array();
      for (std::size_t i = 0; i < s.replicas.size(); ++i) {
        const Readiness& r = s.replicas[i];
        replicas.push_back({{"url", s.targets->urls[i]},
                            {"state", to_string(r.state)},
                            {"http_status", r.http_status},
                            {"checks", r.checks},
                            {"failing", r.failing},
                            {"detail", r.detail},
                            {"elapsed_ms", r.elapsed_ms}});
      }
      out["services"].push_back({{"service", s.targets->service},
                                 {"variable", s.targets->variable},
                                 {"state", to_string(s.state)},
                                 {"replicas", replicas}});
    }
    print_json(out);
    return code;
  }

  Table table({"SERVICE", "URL", "STATE", "DETAIL"});
  for (const auto& s : services) {
    for (std::size_t i = 0; i < s.replicas.size(); ++i) {
      const Readiness& r = s.replicas[i];
      table.add({s.targets->service, s.targets->urls[i], to_string(r.state), r.detail});
    }
  }
  table.print();
  std::printf("\noverall: %s (exit %d)\n", overall.c_str(), code);
  if (code == kStatusDown) {
    for (const auto& s : services) {
      if (s.state == ServiceState::down) {
        std::printf("  %s does not answer: is it running? Is %s right?\n",
                    s.targets->service.c_str(), s.targets->variable.c_str());
      }
    }
  }
  return code;
}

}  // namespace atlas::ctl
