#pragma once
// atlas-rag assembled: the pieces main() starts and stops, in one object so
// that tests can run the gateway in-process as well as the binary.
//
//   Gateway gateway(config, logger);   // database, migrations, port bound
//   gateway.start();                    // HTTP, indexing, docs.added
//   ...                                 // until SIGTERM
//   gateway.stop();
#include <cstdint>
#include <memory>
#include <thread>

#include <prometheus/registry.h>

#include "atlas/http/server.hpp"
#include "atlas/log.hpp"
#include "atlas/metrics.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/rag/db_monitor.hpp"
#include "atlas/rag/docs_consumer.hpp"
#include "atlas/rag/indexer.hpp"
#include "atlas/rag/metrics.hpp"
#include "atlas/rag/rag_config.hpp"
#include "atlas/rag/service.hpp"
#include "atlas/rag/store.hpp"
#include "atlas/work_pool.hpp"

namespace atlas::rag {

class Gateway {
 public:
  // Waits up to config.startup_db_wait for the database, applies the
  // migrations, marks jobs left over by an earlier process as failed, creates
  // the docs.added consumer (unless RAG_DOCS_CONSUMER=false) and binds the
  // port. Throws std::runtime_error saying what to fix when any of it fails.
  Gateway(RagConfig config, Logger& logger);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void start();
  // Stops in order: HTTP intake (in-flight requests drain), the docs.added
  // consumer, the request threads, indexing. Idempotent.
  void stop();

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }
  [[nodiscard]] ObservabilityEndpoints& endpoints() { return *endpoints_; }

 private:
  RagConfig config_;
  Logger& logger_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<RagMetrics> metrics_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DbMonitor> monitor_;
  std::unique_ptr<WorkPool> requests_;
  std::unique_ptr<Indexer> indexer_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<ObservabilityEndpoints> endpoints_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<DocsConsumer> docs_;
  std::thread docs_thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace atlas::rag
