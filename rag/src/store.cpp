#include "atlas/rag/store.hpp"

#include <algorithm>

#include <pqxx/nontransaction>
#include <pqxx/prepared_statement>
#include <pqxx/result>
#include <pqxx/stream_to>

#include "atlas/rag/search_sql.hpp"

namespace atlas::rag {
namespace {

std::string timeout_statement(std::chrono::milliseconds timeout) {
  return "SET LOCAL statement_timeout = " + std::to_string(timeout.count());
}

constexpr const char* kJobColumns = R"SQL(
  id::text, state, origin, documents, documents_indexed, documents_unchanged,
  documents_failed, chunks_written, errors::text,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
)SQL";

}  // namespace

Store::Store(pg::Pool& pool, StoreOptions options) : pool_(pool), options_(options) {}

IndexOutcome Store::index_document(const Document& doc, const ChunkOptions& chunking) {
  const std::string hash = content_hash(doc.text);
  const auto size = static_cast<int>(chunking.size);
  const auto overlap = static_cast<int>(chunking.overlap);

  // Cheap check first, so unchanged sources are neither chunked nor locked.
  const bool unchanged = pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec_params(
        "SELECT 1 FROM public.rag_sources WHERE source = $1 AND content_hash = $2 "
        "AND chunk_size = $3 AND chunk_overlap = $4",
        doc.source, hash, size, overlap);
    return !r.empty();
  });
  if (unchanged) return {IndexResult::unchanged, 0};

  const std::vector<Chunk> chunks = chunk_text(doc.text, chunking);
  return pool_.with_transaction([&](pqxx::work& tx) -> IndexOutcome {
    tx.exec0(timeout_statement(options_.index_timeout));
    // The upsert locks the source's row, so two writers of one source take
    // turns; it returns nothing when another writer stored this text first.
    const pqxx::result upserted = tx.exec_params(
        "INSERT INTO public.rag_sources AS s "
        "  (source, content_hash, chunk_size, chunk_overlap, chunk_count, text_bytes, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, now()) "
        "ON CONFLICT (source) DO UPDATE SET content_hash = EXCLUDED.content_hash, "
        "  chunk_size = EXCLUDED.chunk_size, chunk_overlap = EXCLUDED.chunk_overlap, "
        "  chunk_count = EXCLUDED.chunk_count, text_bytes = EXCLUDED.text_bytes, "
        "  updated_at = now() "
        "WHERE (s.content_hash, s.chunk_size, s.chunk_overlap) IS DISTINCT FROM "
        "  (EXCLUDED.content_hash, EXCLUDED.chunk_size, EXCLUDED.chunk_overlap) "
        "RETURNING 1",
        doc.source, hash, size, overlap, static_cast<int>(chunks.size()),
        static_cast<std::int64_t>(doc.text.size()));
    if (upserted.empty()) return {IndexResult::unchanged, 0};
    tx.exec_params0("DELETE FROM public.rag_chunks WHERE source = $1", doc.source);
    if (!chunks.empty()) {
      pqxx::stream_to copy(tx, "rag_chunks",
                           std::vector<std::string>{"source", "chunk_index", "text",
                                                    "content_hash"});
      int index = 0;
      for (const Chunk& chunk : chunks) {
        copy << std::make_tuple(doc.source, index++, chunk.text, content_hash(chunk.text));
      }
      copy.complete();
    }
    return {IndexResult::indexed, static_cast<int>(chunks.size())};
  });
}

std::vector<Candidate> Store::search(const std::string& query, const Selection& selection) {
  const int top_k = std::max(selection.top_k, 1);
  // Two statements in autocommit mode, two round trips: no BEGIN/COMMIT.
  // The first sets this session's statement_timeout, plan_cache_mode and
  // synchronize_seqscans (see query_terms_sql); every other statement of the
  // Store sets its own time-out or is quick.
  pg::Pool::Lease lease = pool_.lease();
  try {
    pqxx::connection& conn = lease.connection();
    pqxx::nontransaction tx(conn);
    std::vector<std::string> terms;
    for (const auto& row : tx.exec_params(query_terms_sql(), query,
                                          std::to_string(options_.query_timeout.count()))) {
      terms.push_back(row[0].as<std::string>());
    }
    std::vector<Candidate> out;
    if (terms.empty()) return out;  // only stop words, or nothing searchable
    std::vector<std::string> operands;
    operands.reserve(terms.size());
    for (const std::string& term : terms) operands.push_back(tsquery_operand(term));
    const auto m = static_cast<int>(terms.size());
    const int per_term = std::max(top_k, options_.candidate_budget / (m + 1));
    const int shortlist = std::max(options_.min_shortlist, top_k * options_.shortlist_factor);
    // A prepared statement per shape, so the server parses each shape once
    // per connection (libpqxx sends the PREPARE on first use; preparing the
    // same definition again is a no-op). It is still planned for every
    // execution: plan_cache_mode = force_custom_plan, set above.
    const std::string name = search_statement_name(terms.size(), selection.collapse_by_file);
    conn.prepare(name, search_sql(terms.size(), selection.collapse_by_file));
    const pqxx::result r = tx.exec_prepared(
        name, pqxx::prepare::make_dynamic_params(operands), tsquery_of(terms, " | "),
        tsquery_of(terms, " & "), per_term, shortlist, top_k, kCoverageFloor, kDensityWeight);
    out.reserve(r.size());
    for (const auto& row : r) {
      Candidate c;
      c.source = row[0].as<std::string>();
      c.chunk_index = row[1].as<int>();
      c.text = row[2].as<std::string>();
      c.matched_terms = row[3].as<int>();
      c.query_terms = m;
      c.rank = row[4].as<double>();
      out.push_back(std::move(c));
    }
    return out;
  } catch (const pqxx::broken_connection&) {
    lease.mark_broken();
    throw;
  }
}

void Store::create_job(const Uuid& id, std::string_view origin, JobState state, int documents) {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params0(
        "INSERT INTO public.rag_jobs (id, state, origin, documents) VALUES ($1::uuid, $2, $3, $4)",
        id.to_string(), std::string(to_string(state)), std::string(origin), documents);
  });
}

void Store::update_job(const Uuid& id, JobState state, const JobProgress& progress) {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params0(
        "UPDATE public.rag_jobs SET state = $2, documents = $3, documents_indexed = $4, "
        "  documents_unchanged = $5, documents_failed = $6, chunks_written = $7, "
        "  errors = $8::jsonb, updated_at = now() "
        "WHERE id = $1::uuid",
        id.to_string(), std::string(to_string(state)), progress.documents,
        progress.documents_indexed, progress.documents_unchanged, progress.documents_failed,
        progress.chunks_written, progress.errors_json().dump());
  });
}

std::optional<nlohmann::json> Store::job_json(const Uuid& id) {
  return pool_.with_transaction([&](pqxx::work& tx) -> std::optional<nlohmann::json> {
    const pqxx::result r = tx.exec_params(
        std::string("SELECT ") + kJobColumns + " FROM public.rag_jobs WHERE id = $1::uuid",
        id.to_string());
    if (r.empty()) return std::nullopt;
    const auto row = r[0];
    return nlohmann::json{
        {"job_id", row[0].as<std::string>()},
        {"state", row[1].as<std::string>()},
        {"origin", row[2].as<std::string>()},
        {"documents", row[3].as<int>()},
        {"documents_indexed", row[4].as<int>()},
        {"documents_unchanged", row[5].as<int>()},
        {"documents_failed", row[6].as<int>()},
        {"chunks_written", row[7].as<int>()},
        {"errors", nlohmann::json::parse(row[8].as<std::string>())},
        {"created_at", row[9].as<std::string>()},
        {"updated_at", row[10].as<std::string>()},
    };
  });
}

int Store::recover_jobs(std::chrono::hours keep) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params0(
        "DELETE FROM public.rag_jobs WHERE state IN ('done', 'failed') "
        "AND updated_at < now() - make_interval(hours => $1)",
        static_cast<int>(keep.count()));
    const pqxx::result r = tx.exec(
        "UPDATE public.rag_jobs SET state = 'failed', updated_at = now(), "
        "  errors = errors || '[{\"source\": \"\", \"error\": \"interrupted: atlas-rag stopped "
        "before the job finished; submit it again\"}]'::jsonb "
        "WHERE state IN ('queued', 'running') RETURNING 1");
    return static_cast<int>(r.size());
  });
}

std::vector<std::pair<JobState, std::int64_t>> Store::job_states() {
  return pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec("SELECT state, count(*) FROM public.rag_jobs GROUP BY state");
    std::vector<std::pair<JobState, std::int64_t>> out;
    for (const auto& row : r) {
      if (auto state = parse_job_state(row[0].as<std::string>())) {
        out.emplace_back(*state, row[1].as<std::int64_t>());
      }
    }
    return out;
  });
}

StoreCounts Store::counts() {
  return pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::row r = tx.exec1(
        "SELECT (SELECT count(*) FROM public.rag_sources), "
        "(SELECT count(*) FROM public.rag_chunks)");
    return StoreCounts{r[0].as<std::int64_t>(), r[1].as<std::int64_t>()};
  });
}

}  // namespace atlas::rag
