// atlas-router: webhook ingress, inbox relay, reply delivery, retries, dead
// letters and escalation (DESIGN sections 1-5, docs/router.md). Reads the
// configuration, builds the RouterApp, runs until SIGTERM or SIGINT.
#include <optional>
#include <string>

#include "atlas/config.hpp"
#include "atlas/log.hpp"
#include "atlas/malloc_tuning.hpp"
#include "atlas/redact.hpp"
#include "atlas/router/router_app.hpp"
#include "atlas/router/router_config.hpp"
#include "atlas/stop_signals.hpp"

extern char** environ;

namespace {

constexpr const char* kUsage = R"(usage: atlas-router [--env-file PATH]

The Atlas router on ROUTER_PORT (8080): POST /slack/events, /slack/commands,
/github/webhook (signed webhooks become chats on architect_in), GET /healthz,
/readyz, /metrics; the inbox relay (PostgreSQL architect_in rows -> the
architect_in topic); reply delivery from architect_out to Slack and GitHub;
retries (architect_retry), dead letters (architect_dlq) and escalations.
Configuration is read from the environment; docs/router.md lists every variable.
)";

}  // namespace

int main(int argc, char** argv) {
  atlas::apply_malloc_tunables(argv);  // may execute the binary again, before anything else
  atlas::Redactor redactor;
  std::optional<atlas::CommonConfig> common;
  std::optional<atlas::router::RouterConfig> config;
  if (const auto exit_code = atlas::load_startup_config(
          argc, argv, environ, "atlas-router", kUsage, redactor, [&](atlas::ConfigReader& reader) {
            common = atlas::CommonConfig::load(reader);
            config = atlas::router::RouterConfig::load(reader);
          })) {
    return *exit_code;
  }

  atlas::Logger logger("atlas-router", common->log_level, common->log_format, &redactor);
  atlas::StopSignals signals;  // before any thread starts, so all inherit the mask

  try {
    atlas::router::RouterApp app(*common, *config, logger);
    app.start();
    const int sig = signals.wait();
    logger.info("atlas-router stopping", {{"signal", atlas::stop_signal_name(sig)}});
    app.stop();
  } catch (const std::exception& e) {
    logger.error("atlas-router cannot run", {{"error", e.what()}});
    return 1;
  }
  return 0;
}
