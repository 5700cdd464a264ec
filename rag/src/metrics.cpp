#include "atlas/rag/metrics.hpp"

namespace atlas::rag {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Family<prometheus::Counter>& counters(prometheus::Registry& r, const char* name,
                                                  const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& gauges(prometheus::Registry& r, const char* name,
                                              const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& queries_family(prometheus::Registry& r) {
  return counters(r, "atlas_rag_queries_total", "/v1/query_chat requests by outcome");
}
prometheus::Family<prometheus::Counter>& documents_family(prometheus::Registry& r) {
  return counters(r, "atlas_rag_documents_total", "Documents processed by indexing, by result");
}
prometheus::Family<prometheus::Gauge>& jobs_family(prometheus::Registry& r) {
  return gauges(r, "atlas_rag_jobs", "Indexing jobs of this process by state");
}
prometheus::Family<prometheus::Counter>& finished_family(prometheus::Registry& r) {
  return counters(r, "atlas_rag_jobs_finished_total", "Indexing jobs finished, by final state");
}
prometheus::Family<prometheus::Counter>& events_family(prometheus::Registry& r) {
  return counters(r, "atlas_rag_docs_events_total", "docs.added events by outcome");
}

}  // namespace

RagMetrics::RagMetrics(prometheus::Registry& r)
    : query_seconds(BuildHistogram()
                        .Name("atlas_rag_query_seconds")
                        .Help("Time to answer /v1/query_chat, queueing included")
                        .Register(r)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1,
                                     2.5, 5})),
      queries_ok(queries_family(r).Add({{"outcome", "ok"}})),
      queries_empty(queries_family(r).Add({{"outcome", "empty"}})),
      queries_overloaded(queries_family(r).Add({{"outcome", "overloaded"}})),
      documents_indexed(documents_family(r).Add({{"result", "indexed"}})),
      documents_unchanged(documents_family(r).Add({{"result", "unchanged"}})),
      documents_failed(documents_family(r).Add({{"result", "failed"}})),
      chunks_indexed(counters(r, "atlas_rag_chunks_indexed_total", "Chunks written to the store")
                         .Add({})),
      indexed_bytes(
          counters(r, "atlas_rag_indexed_bytes_total", "Text bytes of documents indexed").Add({})),
      jobs_queued(jobs_family(r).Add({{"state", "queued"}})),
      jobs_running(jobs_family(r).Add({{"state", "running"}})),
      jobs_done(finished_family(r).Add({{"state", "done"}})),
      jobs_failed(finished_family(r).Add({{"state", "failed"}})),
      jobs_rejected(counters(r, "atlas_rag_jobs_rejected_total",
                             "embed_batch requests refused because the job queue was full")
                        .Add({})),
      docs_events_indexed(events_family(r).Add({{"outcome", "indexed"}})),
      docs_events_dead_lettered(events_family(r).Add({{"outcome", "dead_lettered"}})),
      chunks(gauges(r, "atlas_rag_chunks", "Chunks in the store").Add({})),
      database_up(gauges(r, "atlas_rag_database_up", "1 when the last database check passed")
                      .Add({})),
      queries_(queries_family(r)),
      errors_(counters(r, "atlas_rag_errors_total", "Failures other than bad requests, by kind")) {}

void RagMetrics::query_failed(FailureKind kind) {
  queries_.Add({{"outcome", std::string(to_string(kind))}}).Increment();
  error(kind);
}

void RagMetrics::error(FailureKind kind) {
  if (kind == FailureKind::bad_request) return;
  errors_.Add({{"kind", std::string(to_string(kind))}}).Increment();
}

void RagMetrics::job_finished(JobState state) {
  (state == JobState::failed ? jobs_failed : jobs_done).Increment();
}

}  // namespace atlas::rag
