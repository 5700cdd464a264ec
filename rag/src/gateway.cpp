#include "atlas/rag/gateway.hpp"

#include <stdexcept>

#include <sys/stat.h>

#include "atlas/pg/migrate.hpp"
#include "atlas/pg/migration.hpp"

namespace atlas::rag {
namespace {

void check_docs_root(const std::string& root) {
  if (root.empty()) return;
  struct stat info {};
  if (::stat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw std::runtime_error("ATLAS_RAG_DOCS_ROOT='" + root +
                             "' is not a directory: point it at the directory docs.added paths "
                             "are relative to, or leave it empty");
  }
}

}  // namespace

Gateway::Gateway(RagConfig config, Logger& logger) : config_(std::move(config)), logger_(logger) {
  check_docs_root(config_.docs_root);
  registry_ = std::make_shared<prometheus::Registry>();
  metrics_ = std::make_unique<RagMetrics>(*registry_);

  pg::PoolOptions pool_options;
  // Every request and indexing thread can hold a connection, plus the
  // database monitor and the job bookkeeping.
  pool_options.size = config_.db_pool_size != 0
                          ? config_.db_pool_size
                          : config_.query_threads + config_.index_threads + 2;
  pool_ = std::make_unique<pg::Pool>(config_.common.database_url, pool_options);
  pool_->wait_until_reachable(config_.startup_db_wait, logger_);
  const pg::MigrationSummary migrated = pg::migrate(*pool_, pg::embedded_migrations(), logger_);
  logger_.info("database ready", {{"database", pool_->display_name()},
                                  {"migrations_applied", migrated.applied.size()},
                                  {"migrations_already_applied", migrated.already_applied}});

  StoreOptions store_options;
  store_options.query_timeout = config_.query_timeout;
  store_ = std::make_unique<Store>(*pool_, store_options);
  const int interrupted = store_->recover_jobs(config_.job_retention);
  if (interrupted > 0) {
    logger_.warn("jobs left unfinished by an earlier process were marked failed",
                 {{"jobs", interrupted}});
  }
  monitor_ = std::make_unique<DbMonitor>(*pool_, *store_, *metrics_, logger_);

  requests_ = std::make_unique<WorkPool>("requests", config_.query_threads,
                                         config_.max_pending_requests, logger_);
  IndexerOptions indexer_options;
  indexer_options.threads = config_.index_threads;
  indexer_options.max_queued_jobs = config_.max_queued_jobs;
  indexer_ = std::make_unique<Indexer>(*store_, *metrics_, logger_, indexer_options);

  ServiceOptions service_options;
  service_options.limits = config_.limits;
  service_options.chunking = config_.chunking;
  service_ = std::make_unique<Service>(*store_, *indexer_, *requests_, *metrics_, logger_,
                                       service_options);

  endpoints_ = std::make_unique<ObservabilityEndpoints>(registry_);
  endpoints_->add_readiness_check("database", [monitor = monitor_.get()] {
    return monitor->readiness();
  });

  http::ServerOptions server_options;
  server_options.host = config_.host;
  server_options.port = static_cast<std::uint16_t>(config_.port);
  server_options.threads = config_.http_threads;
  server_options.limits.max_body_bytes = config_.max_body_bytes;
  server_options.name = "atlas-rag";
  server_ = std::make_unique<http::Server>(server_options, &logger_);
  service_->install(*server_);
  endpoints_->install(*server_);

  if (config_.docs_consumer) {
    DocsConsumerOptions docs;
    docs.topic = config_.docs_topic;
    docs.group_id = config_.docs_group;
    docs.docs_root = config_.docs_root;
    docs.chunking = config_.chunking;
    docs.limits = config_.limits;
    docs_ = std::make_unique<DocsConsumer>(config_.common.kafka, docs, *indexer_, *metrics_,
                                           logger_);
  }
}

Gateway::~Gateway() { stop(); }

void Gateway::start() {
  if (started_) return;
  started_ = true;
  server_->start();
  if (docs_) {
    docs_thread_ = std::thread([this] {
      try {
        docs_->run();
      } catch (const std::exception& e) {
        logger_.error("docs.added consumer stopped", {{"error", e.what()}});
      }
    });
  }
  logger_.info("atlas-rag listening",
               {{"port", server_->port()},
                {"docs_topic", config_.docs_consumer ? config_.docs_topic : std::string("(disabled)")},
                {"chunk_size", config_.chunking.size},
                {"chunk_overlap", config_.chunking.overlap}});
}

void Gateway::stop() {
  if (stopped_) return;
  stopped_ = true;
  server_->stop();
  if (docs_) {
    docs_->stop();
    if (docs_thread_.joinable()) docs_thread_.join();
  }
  requests_->stop();
  indexer_->stop();
  docs_.reset();  // closes the consumer and flushes the dead-letter producer
  logger_.info("atlas-rag stopped");
}

}  // namespace atlas::rag
