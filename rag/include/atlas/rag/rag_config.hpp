#pragma once
// atlas-rag configuration (DESIGN section 8 plus the gateway's own knobs, all
// listed in docs/rag.md), read through ConfigReader so every problem names
// its variable.
#include <chrono>
#include <cstddef>
#include <string>

#include "atlas/config.hpp"
#include "atlas/rag/chunker.hpp"
#include "atlas/rag/requests.hpp"

namespace atlas::rag {

struct RagConfig {
  CommonConfig common;              // KAFKA_*, DATABASE_URL, LOG_*
  std::string host = "0.0.0.0";     // RAG_HOST
  int port = 8501;                  // RAG_PORT (0: any free port)
  int http_threads = 2;             // RAG_HTTP_THREADS
  std::size_t max_body_bytes = 8u << 20;  // RAG_MAX_BODY_BYTES
  ChunkOptions chunking;            // RAG_CHUNK_SIZE, RAG_CHUNK_OVERLAP
  RequestLimits limits;             // RAG_MAX_QUERY_BYTES, RAG_MAX_BATCH_ITEMS, RAG_MAX_TEXT_BYTES
  std::size_t query_threads = 4;    // RAG_QUERY_THREADS: database work of requests
  std::size_t max_pending_requests = 64;  // RAG_MAX_PENDING_REQUESTS: waiting for those threads
  std::size_t index_threads = 2;    // RAG_INDEX_THREADS
  std::size_t max_queued_jobs = 16; // RAG_MAX_QUEUED_JOBS
  std::size_t db_pool_size = 0;     // RAG_DB_POOL_SIZE (0: query + index threads + 2)
  std::chrono::milliseconds query_timeout{5000};  // RAG_QUERY_TIMEOUT_S
  std::chrono::hours job_retention{168};           // RAG_JOB_RETENTION_HOURS
  std::chrono::milliseconds startup_db_wait{30'000};  // RAG_STARTUP_DB_WAIT_S
  bool docs_consumer = true;              // RAG_DOCS_CONSUMER: consume docs.added at all
  std::string docs_topic = "docs.added";  // RAG_DOCS_TOPIC
  std::string docs_group = "atlas-rag";   // RAG_DOCS_GROUP
  std::string docs_root;                  // ATLAS_RAG_DOCS_ROOT (empty: path events refused)

  static RagConfig load(ConfigReader& reader);
};

}  // namespace atlas::rag
