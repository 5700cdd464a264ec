#pragma once
// The gateway's PostgreSQL adapter (tables of schema/sql/002_rag.sql): writes
// a document's chunks, runs the full-text search, and keeps the jobs. Every
// call blocks on the database: call it from a WorkPool thread, never from an
// HTTP I/O thread. Thread-safe (each call leases its own connection).
//
// Errors: atlas::pg::Error from the pool (transient() when the database is
// down or busy: the HTTP layer answers 503), pqxx exceptions for anything
// else (a statement cancelled by statement_timeout is pqxx::query_cancelled).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/pg/pool.hpp"
#include "atlas/rag/chunker.hpp"
#include "atlas/rag/documents.hpp"
#include "atlas/rag/job.hpp"
#include "atlas/rag/similarity.hpp"
#include "atlas/uuid.hpp"

namespace atlas::rag {

struct StoreOptions {
  std::chrono::milliseconds query_timeout{5'000};   // statement_timeout of a search
  std::chrono::milliseconds index_timeout{60'000};  // statement_timeout of one document's write
  // Bounds of a search (search_sql.hpp): chunks examined at most (split
  // between the query's terms, at least top_k each), and how many of them get
  // the full score (top_k times the factor, at least min_shortlist).
  int candidate_budget = 600;
  int shortlist_factor = 4;
  int min_shortlist = 60;
};

enum class IndexResult { indexed, unchanged };

struct IndexOutcome {
  IndexResult result = IndexResult::unchanged;
  int chunks = 0;  // chunks written (0 when unchanged)
};

struct StoreCounts {
  std::int64_t sources = 0;
  std::int64_t chunks = 0;
};

class Store {
 public:
  explicit Store(pg::Pool& pool, StoreOptions options = {});

  // Chunks `doc` and replaces the source's chunks in one transaction, unless
  // the source already holds the same text cut with the same options.
  IndexOutcome index_document(const Document& doc, const ChunkOptions& chunking);

  // At most top_k candidates for select_results, ordered by the same score
  // in SQL (and one per source when collapsing); see search_sql.hpp for how
  // the work stays bounded. Empty when the query has no searchable term (only
  // stop words, say) or nothing matches.
  std::vector<Candidate> search(const std::string& query, const Selection& selection);

  void create_job(const Uuid& id, std::string_view origin, JobState state, int documents);
  void update_job(const Uuid& id, JobState state, const JobProgress& progress);
  // The job as GET /v1/jobs/{id} shows it; nullopt when unknown.
  std::optional<nlohmann::json> job_json(const Uuid& id);
  // Jobs left queued or running by an earlier process become failed
  // ("interrupted"); jobs finished more than `keep` ago are deleted. Returns
  // the number of jobs marked failed.
  int recover_jobs(std::chrono::hours keep);
  // How many jobs are in each state (for the metrics).
  std::vector<std::pair<JobState, std::int64_t>> job_states();
  StoreCounts counts();

 private:
  pg::Pool& pool_;
  StoreOptions options_;
};

}  // namespace atlas::rag
