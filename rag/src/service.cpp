#include "atlas/rag/service.hpp"

#include <cmath>

#include "atlas/rag/failure.hpp"
#include "atlas/rag/similarity.hpp"
#include "atlas/uuid.hpp"

namespace atlas::rag {
namespace {

using Clock = std::chrono::steady_clock;

http::ServerResponse busy_response(std::chrono::seconds retry_after, std::string_view reason) {
  http::ServerResponse response = http::error_response(503, reason);
  response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return response;
}

// Six decimals are plenty for a score and keep the JSON readable.
double round_score(double x) { return std::round(x * 1e6) / 1e6; }

}  // namespace

Service::Service(Store& store, Indexer& indexer, WorkPool& requests, RagMetrics& metrics,
                 Logger& logger, ServiceOptions options)
    : store_(store),
      indexer_(indexer),
      requests_(requests),
      metrics_(metrics),
      logger_(logger),
      options_(std::move(options)) {}

void Service::install(http::Server& server) {
  server.add_route("POST", "/v1/query_chat",
                   [this](const http::ServerRequest& r, http::Responder s) { query_chat(r, std::move(s)); });
  server.add_route("POST", "/v1/embed_batch",
                   [this](const http::ServerRequest& r, http::Responder s) { embed_batch(r, std::move(s)); });
  server.add_route("GET", "/v1/jobs/*",
                   [this](const http::ServerRequest& r, http::Responder s) { job(r, std::move(s)); });
}

template <class Work>
void Service::dispatch(http::Responder respond, Work work) {
  // std::function needs a copyable callable; the Responder is move-only.
  auto shared = std::make_shared<http::Responder>(std::move(respond));
  const bool queued = requests_.try_post([shared, work = std::move(work)]() mutable {
    work(std::move(*shared));
  });
  if (!queued) {
    shared->send(busy_response(options_.busy_retry_after,
                               "atlas-rag is busy: too many requests waiting; retry shortly"));
  }
}

http::ServerResponse Service::failure_response(std::string_view what) {
  const Failure failure = classify_current_exception();
  metrics_.error(failure.kind);
  if (failure.kind == FailureKind::bad_request) return http::error_response(400, failure.reason);
  logger_.error(std::string(what) + " failed",
                {{"kind", to_string(failure.kind)}, {"error", failure.reason}});
  if (failure.kind == FailureKind::internal) {
    return http::error_response(500, std::string(what) + " failed: internal error (see the atlas-rag log)");
  }
  return busy_response(options_.busy_retry_after, failure.reason);
}

void Service::query_chat(const http::ServerRequest& request, http::Responder respond) {
  const auto started = Clock::now();
  auto shared = std::make_shared<http::Responder>(std::move(respond));
  const bool queued = requests_.try_post([this, started, shared, body = request.body] {
    http::ServerResponse response;
    try {
      const QueryRequest query = parse_query_request(body, options_.limits);
      const Selection selection{query.top_k, query.relevancy_threshold, query.collapse_by_file};
      std::vector<ScoredChunk> results =
          select_results(store_.search(query.query, selection), selection);
      nlohmann::json out = nlohmann::json::array();
      for (ScoredChunk& r : results) {
        out.push_back({{"text", std::move(r.text)},
                       {"similarity", round_score(r.similarity)},
                       {"source", std::move(r.source)}});
      }
      (results.empty() ? metrics_.queries_empty : metrics_.queries_ok).Increment();
      response = http::json_response(200, out);
    } catch (...) {
      const Failure failure = classify_current_exception();
      metrics_.query_failed(failure.kind);
      if (failure.kind == FailureKind::bad_request) {
        response = http::error_response(400, failure.reason);
      } else {
        logger_.error("query failed", {{"kind", to_string(failure.kind)}, {"error", failure.reason}});
        response = failure.kind == FailureKind::internal
                       ? http::error_response(500, "query failed: internal error (see the atlas-rag log)")
                       : busy_response(options_.busy_retry_after, failure.reason);
      }
    }
    metrics_.query_seconds.Observe(
        std::chrono::duration<double>(Clock::now() - started).count());
    shared->send(std::move(response));
  });
  if (!queued) {
    metrics_.queries_overloaded.Increment();
    shared->send(busy_response(options_.busy_retry_after,
                               "atlas-rag is busy: too many requests waiting; retry shortly"));
  }
}

void Service::embed_batch(const http::ServerRequest& request, http::Responder respond) {
  dispatch(std::move(respond), [this, body = request.body, query = request.query](
                                   http::Responder answer) {
    try {
      EmbedRequest embed = parse_embed_request(body, query, options_.chunking, options_.limits);
      const auto documents = static_cast<int>(embed.documents.size());
      const std::optional<Uuid> id = indexer_.submit(std::move(embed));
      if (!id) {
        metrics_.jobs_rejected.Increment();
        answer.send(busy_response(options_.queue_full_retry_after,
                                  "the indexing queue is full: retry after a while"));
        return;
      }
      logger_.info("indexing job queued", {{"job_id", id->to_string()}, {"documents", documents}});
      answer.send(http::json_response(
          202, {{"job_id", id->to_string()}, {"state", "queued"}, {"documents", documents}}));
    } catch (...) {
      answer.send(failure_response("embed_batch"));
    }
  });
}

void Service::job(const http::ServerRequest& request, http::Responder respond) {
  const std::optional<Uuid> id = Uuid::parse(request.route_tail);
  if (!id) {
    respond.send(http::error_response(400, "job id must be a UUID such as "
                                           "0f8fad5b-d9cb-469f-a165-70867728950e"));
    return;
  }
  dispatch(std::move(respond), [this, id = *id](http::Responder answer) {
    try {
      std::optional<nlohmann::json> job = store_.job_json(id);
      if (!job) {
        answer.send(http::error_response(404, "no job " + id.to_string()));
        return;
      }
      answer.send(http::json_response(200, *job));
    } catch (...) {
      answer.send(failure_response("job lookup"));
    }
  });
}

}  // namespace atlas::rag
