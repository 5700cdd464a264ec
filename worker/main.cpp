// atlas-worker: consumes architect_in and answers every request (DESIGN
// sections 2, 3, 6, 7; docs/worker.md). Reads and validates the
// configuration, applies the migrations, serves /metrics, /healthz and
// /readyz on METRICS_PORT, and runs the pipeline until SIGTERM or SIGINT.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "atlas/config.hpp"
#include "atlas/log.hpp"
#include "atlas/metrics.hpp"
#include "atlas/pg/migrate.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/redact.hpp"
#include "atlas/stop_signals.hpp"
#include "atlas/worker/service.hpp"
#include "atlas/worker/worker_config.hpp"

extern char** environ;

namespace {

constexpr const char* kUsage = R"(usage: atlas-worker [--env-file PATH]

Consumes architect_in (group atlas-worker) and answers each request: control
commands, and chats through RAG and the LLM fallback chain, within the token
budget. Serves /metrics, /healthz and /readyz on METRICS_PORT (8000).
Configuration is read from the environment; see docs/configuration.md.
)";

// hostname-pid-random: unique per process, readable in logs and the ledger.
std::string default_worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffffu));
  return std::string(host[0] ? host : "worker") + "-" + std::to_string(getpid()) + "-" + suffix;
}

// Each in-flight LLM call holds a socket: lift the soft limit on open files
// to the hard limit so WORKER_MAX_INFLIGHT in the thousands works.
void raise_open_file_limit(atlas::Logger& logger) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    logger.debug("raised the open-file limit",
                 {{"from", static_cast<std::uint64_t>(before)},
                  {"to", static_cast<std::uint64_t>(limit.rlim_cur)}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  atlas::Redactor redactor;
  std::optional<atlas::CommonConfig> common;
  std::optional<atlas::worker::WorkerConfig> config;
  if (const auto exit_code = atlas::load_startup_config(
          argc, argv, environ, "atlas-worker", kUsage, redactor, [&](atlas::ConfigReader& reader) {
            common = atlas::CommonConfig::load(reader);
            config = atlas::worker::WorkerConfig::load(reader);
          })) {
    return *exit_code;
  }
  if (config->worker_id.empty()) config->worker_id = default_worker_id();

  atlas::Logger logger("atlas-worker", common->log_level, common->log_format, &redactor);
  atlas::StopSignals signals;  // before any thread starts, so all inherit the mask
  raise_open_file_limit(logger);

  if (config->offline_fallback) {
    logger.warn(
        "NO LLM API KEY CONFIGURED: the chain is the OFFLINE provider. Replies are deterministic "
        "skeletons built from the request and the retrieved context, with model \"offline\". Set "
        "OPENAI_API_KEY (or ANTHROPIC_API_KEY and LLM_CHAIN) to call real models.");
  }
  nlohmann::json chain = nlohmann::json::array();
  for (const auto& m : config->chain) chain.push_back(m.label());

  try {
    {
      atlas::pg::Pool migrations_pool(common->database_url, {.size = 1});
      const auto migrated =
          atlas::pg::migrate(migrations_pool, atlas::pg::embedded_migrations(), logger);
      logger.info("database ready", {{"database", migrations_pool.display_name()},
                                     {"migrations_applied", migrated.applied.size()}});
    }
    atlas::MetricsServer metrics({.host = config->metrics_host,
                                  .port = static_cast<std::uint16_t>(config->metrics_port)},
                                 std::make_shared<prometheus::Registry>(), &logger);
    atlas::worker::WorkerService service(*config, *common, logger, metrics.endpoints());
    metrics.start();
    logger.info("atlas-worker starting",
                {{"worker_id", config->worker_id}, {"chain", chain},
                 {"max_inflight", config->max_inflight}, {"metrics_port", metrics.port()},
                 {"topic", common->kafka.topic_in}});

    std::thread stopper([&] {
      const int sig = signals.wait();
      if (sig != 0) {
        logger.info("atlas-worker stopping: finishing in-flight tasks",
                    {{"signal", atlas::stop_signal_name(sig)},
                     {"grace_ms", config->shutdown_grace.count()}});
      }
      service.stop();
    });
    service.run();
    signals.wake();
    stopper.join();
    metrics.stop();
    logger.info("atlas-worker stopped");
  } catch (const std::exception& e) {
    logger.error("atlas-worker cannot run", {{"error", redactor.redact(e.what())}});
    return 1;
  }
  return 0;
}
