// atlas-rag: the reference RAG gateway (DESIGN section 7, docs/rag.md).
// Reads the configuration, builds the Gateway, runs until SIGTERM or SIGINT.
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
  std::optional<atlas::rag::RagConfig> config;
  if (const auto exit_code = atlas::load_startup_config(
          argc, argv, environ, "atlas-rag", kUsage, redactor,
          [&](atlas::ConfigReader& reader) { config = atlas::rag::RagConfig::load(reader); })) {
    return *exit_code;
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
