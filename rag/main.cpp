// atlas-rag: the reference RAG gateway (DESIGN section 7, docs/rag.md).
// Reads the configuration, builds the Gateway, runs until SIGTERM or SIGINT.
#include <iostream>
#include <optional>
#include <string>

#include "atlas/config.hpp"
#include "atlas/log.hpp"
#include "atlas/rag/gateway.hpp"
#include "atlas/rag/rag_config.hpp"
#include "atlas/redact.hpp"
#include "atlas/stop_signals.hpp"

extern char** environ;

namespace {

constexpr const char* kUsage = R"(usage: atlas-rag [--env-file PATH]

The reference RAG gateway: POST /v1/query_chat, POST /v1/embed_batch,
GET /v1/jobs/{id}, /healthz, /readyz and /metrics on RAG_PORT (8501), over
PostgreSQL full-text search (DATABASE_URL). Consumes docs.added (KAFKA_BROKERS).
Configuration is read from the environment; see docs/rag.md for every variable.
)";

}  // namespace

int main(int argc, char** argv) {
  atlas::Redactor redactor;
  atlas::EnvSource env = atlas::EnvSource::from_environ(environ);
  std::optional<atlas::rag::RagConfig> config;
  try {
    const std::vector<std::string> args = atlas::take_env_file_option(argc, argv, env);
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--help" || args[i] == "-h") {
        std::cout << kUsage;
        return 0;
      }
      std::cerr << "atlas-rag: unknown argument '" << args[i] << "'\n\n" << kUsage;
      return 2;
    }
    atlas::ConfigReader reader(env, redactor);
    config = atlas::rag::RagConfig::load(reader);
    reader.finish();
  } catch (const atlas::ConfigError& e) {
    std::cerr << "atlas-rag: invalid configuration:\n";
    for (const std::string& problem : e.problems()) std::cerr << "  - " << problem << "\n";
    return 2;
  }

  atlas::Logger logger("atlas-rag", config->common.log_level, config->common.log_format,
                       &redactor);
  atlas::StopSignals signals;  // before any thread starts, so all inherit the mask

  try {
    atlas::rag::Gateway gateway(*config, logger);
    gateway.start();
    const int sig = signals.wait();
    logger.info("atlas-rag stopping", {{"signal", atlas::stop_signal_name(sig)}});
    gateway.stop();
  } catch (const std::exception& e) {
    logger.error("atlas-rag cannot run", {{"error", e.what()}});
    return 1;
  }
  return 0;
}
