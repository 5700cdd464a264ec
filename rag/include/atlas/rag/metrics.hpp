#pragma once
// Every series atlas-rag exports, declared in one place (STYLE 13).
//
//   atlas_rag_query_seconds                    histogram  /v1/query_chat, end to end
//   atlas_rag_queries_total{outcome}           counter    ok | empty | bad_request |
//                                                         unavailable | timeout | internal | overloaded
//   atlas_rag_documents_total{result}          counter    indexed | unchanged | failed
//   atlas_rag_chunks_indexed_total             counter    chunks written
//   atlas_rag_indexed_bytes_total              counter    text bytes of indexed documents
//   atlas_rag_jobs{state}                      gauge      queued | running (this process)
//   atlas_rag_jobs_finished_total{state}       counter    done | failed
//   atlas_rag_jobs_rejected_total              counter    embed_batch refused: queue full
//   atlas_rag_docs_events_total{outcome}       counter    indexed | dead_lettered
//   atlas_rag_errors_total{kind}               counter    unavailable | timeout | internal
//   atlas_rag_chunks                           gauge      chunks in the store (counted every 20 s)
//   atlas_rag_database_up                      gauge      1 when the last database check passed
#include <memory>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "atlas/rag/failure.hpp"
#include "atlas/rag/job.hpp"

namespace atlas::rag {

class RagMetrics {
 public:
  explicit RagMetrics(prometheus::Registry& registry);

  prometheus::Histogram& query_seconds;
  prometheus::Counter& queries_ok;
  prometheus::Counter& queries_empty;
  prometheus::Counter& queries_overloaded;
  prometheus::Counter& documents_indexed;
  prometheus::Counter& documents_unchanged;
  prometheus::Counter& documents_failed;
  prometheus::Counter& chunks_indexed;
  prometheus::Counter& indexed_bytes;
  prometheus::Gauge& jobs_queued;
  prometheus::Gauge& jobs_running;
  prometheus::Counter& jobs_done;
  prometheus::Counter& jobs_failed;
  prometheus::Counter& jobs_rejected;
  prometheus::Counter& docs_events_indexed;
  prometheus::Counter& docs_events_dead_lettered;
  prometheus::Gauge& chunks;
  prometheus::Gauge& database_up;

  // atlas_rag_queries_total for a failed query, and atlas_rag_errors_total
  // unless it was the client's fault.
  void query_failed(FailureKind kind);
  // atlas_rag_errors_total (not bad_request).
  void error(FailureKind kind);
  void job_finished(JobState state);

 private:
  prometheus::Family<prometheus::Counter>& queries_;
  prometheus::Family<prometheus::Counter>& errors_;
};

}  // namespace atlas::rag
