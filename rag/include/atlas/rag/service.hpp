#pragma once
// The gateway's HTTP routes (DESIGN section 7, docs/rag.md):
//
//   POST /v1/query_chat   {"query", "top_k", "relevancy_threshold"?, "collapse_by_file"?}
//                         -> 200 [{"text", "similarity", "source"}], best first
//   POST /v1/embed_batch  [str, ...] | [{"source", "text"}, ...]  (?chunk_size=&chunk_overlap=)
//                         -> 202 {"job_id", "state": "queued", "documents"}
//   GET  /v1/jobs/{id}    -> 200 the job (state, counts, errors) | 404
//
// Handlers run on HTTP I/O threads and only copy the request: parsing and
// every database call happen on the `requests` WorkPool, which answers
// through the Responder. A full pool is 503 with Retry-After; a bad request
// 400 with the reason; an unavailable database 503; never 200 [] for an error.
#include <chrono>
#include <memory>

#include "atlas/http/server.hpp"
#include "atlas/log.hpp"
#include "atlas/rag/indexer.hpp"
#include "atlas/rag/metrics.hpp"
#include "atlas/rag/requests.hpp"
#include "atlas/rag/store.hpp"
#include "atlas/work_pool.hpp"

namespace atlas::rag {

struct ServiceOptions {
  RequestLimits limits;
  ChunkOptions chunking;                          // when the request sets none
  std::chrono::seconds busy_retry_after{1};       // Retry-After when the request pool is full
  std::chrono::seconds queue_full_retry_after{5}; // Retry-After when the job queue is full
};

class Service {
 public:
  // All references must outlive the Service and the Server it is installed on.
  Service(Store& store, Indexer& indexer, WorkPool& requests, RagMetrics& metrics, Logger& logger,
          ServiceOptions options);

  // Adds the three routes (before server.start()).
  void install(http::Server& server);

  void query_chat(const http::ServerRequest& request, http::Responder respond);
  void embed_batch(const http::ServerRequest& request, http::Responder respond);
  void job(const http::ServerRequest& request, http::Responder respond);

 private:
  // Runs `work` on the request pool; answers 503 + Retry-After at once when
  // the pool is full. `work` receives the Responder.
  template <class Work>
  void dispatch(http::Responder respond, Work work);
  http::ServerResponse failure_response(std::string_view what);

  Store& store_;
  Indexer& indexer_;
  WorkPool& requests_;
  RagMetrics& metrics_;
  Logger& logger_;
  ServiceOptions options_;
};

}  // namespace atlas::rag
