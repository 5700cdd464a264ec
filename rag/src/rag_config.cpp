#include "atlas/rag/rag_config.hpp"

namespace atlas::rag {

RagConfig RagConfig::load(ConfigReader& r) {
  RagConfig c;
  c.common = CommonConfig::load(r);
  c.host = r.string("RAG_HOST", c.host);
  c.port = static_cast<int>(r.integer("RAG_PORT", c.port, 0, 65535));
  c.http_threads = static_cast<int>(r.integer("RAG_HTTP_THREADS", c.http_threads, 1, 64));
  c.max_body_bytes = static_cast<std::size_t>(
      r.integer("RAG_MAX_BODY_BYTES", static_cast<std::int64_t>(c.max_body_bytes), 1024, 1LL << 30));
  c.chunking.size = static_cast<std::size_t>(
      r.integer("RAG_CHUNK_SIZE", static_cast<std::int64_t>(c.chunking.size),
                static_cast<std::int64_t>(kMinChunkSize), static_cast<std::int64_t>(kMaxChunkSize)));
  c.chunking.overlap = static_cast<std::size_t>(
      r.integer("RAG_CHUNK_OVERLAP", static_cast<std::int64_t>(c.chunking.overlap), 0,
                static_cast<std::int64_t>(kMaxChunkSize)));
  if (auto problem = check_chunk_options(c.chunking)) {
    r.problem("RAG_CHUNK_SIZE / RAG_CHUNK_OVERLAP: " + *problem);
  }
  c.limits.max_query_bytes = static_cast<std::size_t>(
      r.integer("RAG_MAX_QUERY_BYTES", static_cast<std::int64_t>(c.limits.max_query_bytes), 16,
                1 << 20));
  c.limits.max_batch_items = static_cast<std::size_t>(r.integer(
      "RAG_MAX_BATCH_ITEMS", static_cast<std::int64_t>(c.limits.max_batch_items), 1, 1'000'000));
  c.limits.max_text_bytes = static_cast<std::size_t>(r.integer(
      "RAG_MAX_TEXT_BYTES", static_cast<std::int64_t>(c.limits.max_text_bytes), 1, 1LL << 30));
  c.query_threads = static_cast<std::size_t>(
      r.integer("RAG_QUERY_THREADS", static_cast<std::int64_t>(c.query_threads), 1, 256));
  c.max_pending_requests = static_cast<std::size_t>(r.integer(
      "RAG_MAX_PENDING_REQUESTS", static_cast<std::int64_t>(c.max_pending_requests), 1, 100'000));
  c.index_threads = static_cast<std::size_t>(
      r.integer("RAG_INDEX_THREADS", static_cast<std::int64_t>(c.index_threads), 1, 64));
  c.max_queued_jobs = static_cast<std::size_t>(
      r.integer("RAG_MAX_QUEUED_JOBS", static_cast<std::int64_t>(c.max_queued_jobs), 1, 100'000));
  c.db_pool_size = static_cast<std::size_t>(r.integer("RAG_DB_POOL_SIZE", 0, 0, 1000));
  c.query_timeout = r.seconds("RAG_QUERY_TIMEOUT_S", 5, 0.1, 600);
  c.job_retention =
      std::chrono::hours(r.integer("RAG_JOB_RETENTION_HOURS", c.job_retention.count(), 1, 24 * 3650));
  c.startup_db_wait = r.seconds("RAG_STARTUP_DB_WAIT_S", 30, 0, 3600);
  c.docs_consumer = r.boolean("RAG_DOCS_CONSUMER", c.docs_consumer);
  c.docs_topic = r.string("RAG_DOCS_TOPIC", c.docs_topic);
  c.docs_group = r.string("RAG_DOCS_GROUP", c.docs_group);
  if (c.docs_group.empty()) r.problem("RAG_DOCS_GROUP is empty: set a consumer group id such as atlas-rag");
  c.docs_root = r.string("ATLAS_RAG_DOCS_ROOT", "");
  return c;
}

}  // namespace atlas::rag
