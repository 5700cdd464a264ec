// atlas-worker's pipeline (docs/worker.md). Everything that decides runs on
// one event-loop thread; see service.hpp for the threads and their roles.
//
// A chat request goes through:
//
//   intake -> claim (ledger) -> RAG query -> prompt plan -> reserve tokens
//          -> chain (LLM calls, waits) -> finish (ledger: reply stored,
//          tokens settled) -> publish reply [+ escalation + dead letter]
//          -> offset completed
//
// Each arrow is an asynchronous step: a database call on a database thread,
// an HTTP call on the client's thread, a delivery report from librdkafka, or
// a timer; its continuation is posted back to the event loop. A step that
// fails for a transient reason (database or broker unavailable) is retried
// after a pause; the message's offset is never completed before its outcome
// is durable, so a crash at any point means redelivery, never loss (G5, G8).
#include "atlas/worker/service.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <variant>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "atlas/control.hpp"
#include "atlas/envelope.hpp"
#include "atlas/failure_headers.hpp"
#include "atlas/http/client.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/retry_policy.hpp"
#include "atlas/utf8.hpp"
#include "atlas/uuid.hpp"
#include "atlas/work_pool.hpp"
#include "atlas/worker/budget.hpp"
#include "atlas/worker/chain.hpp"
#include "atlas/worker/circuit_breaker.hpp"
#include "atlas/worker/ledger.hpp"
#include "atlas/worker/metrics.hpp"
#include "atlas/worker/offline_provider.hpp"
#include "atlas/worker/prompt.hpp"
#include "atlas/worker/provider.hpp"
#include "atlas/worker/rag_client_logic.hpp"

namespace atlas::worker {

namespace asio = boost::asio;
using SystemClock = std::chrono::system_clock;
using nlohmann::json;

namespace {

constexpr const char* kComponent = "atlas-worker";
// Pause before retrying a step that failed for a transient reason.
constexpr milliseconds kTransientRetry{1000};
// How often the sync loop renews leases and follows the control log (G7: 5 s).
constexpr milliseconds kSyncInterval{1000};
// The query sent to RAG is the request cut to this many bytes.
constexpr std::size_t kMaxRagQueryBytes = 2000;
// How long a run waits before asking again when the daily budget is held
// by other runs' reservations (not yet spent).
constexpr milliseconds kReservationWait{250};
// A dead letter the broker refuses as too large keeps this much of its value.
constexpr std::size_t kDeadLetterKeepBytes = 64 * 1024;
// Requests may be as large as the topic allows; the producer must be able to
// dead-letter them whole (the broker's own limit still applies).
constexpr const char* kProducerMaxMessageBytes = "16777216";
// The database is "up" for /readyz while a round trip succeeded this recently.
constexpr milliseconds kDatabaseFreshness{10'000};

double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

std::int64_t ms_between(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

TransportError transport_error_of(http::ErrorKind kind) {
  switch (kind) {
    case http::ErrorKind::timeout: return TransportError::timeout;
    case http::ErrorKind::connect: return TransportError::connect;
    case http::ErrorKind::tls: return TransportError::tls;
    case http::ErrorKind::too_large: return TransportError::too_large;
    default: return TransportError::other;
  }
}

// What atlas_llm_attempts_total calls the chain's action after a call.
std::string attempt_outcome(const AttemptRecord& a) {
  if (a.action == "done") return "ok";
  if (a.action == "retry") return "retry";
  if (a.action == "next_model") return "next_model";
  return "fatal";
}

std::string describe_attempts(const std::vector<AttemptRecord>& attempts) {
  std::string text;
  for (const AttemptRecord& a : attempts) {
    text += "- `" + a.model.label() + "`";
    if (a.attempt > 0) text += " attempt " + std::to_string(a.attempt);
    text += ": " + a.outcome;
    if (!a.reason.empty()) text += " (" + a.reason + ")";
    if (a.http_status != 0) text += ", HTTP " + std::to_string(a.http_status);
    if (!a.detail.empty()) text += ": " + a.detail;
    text += "\n";
  }
  return text;
}

// A record of architect_out (or another topic) carrying an envelope.
kafka::Record envelope_record(const std::string& topic, const Envelope& envelope) {
  kafka::Record record;
  record.topic = topic;
  record.key = envelope.kafka_key();
  record.value = serialize(envelope);
  return record;
}

KafkaSettings producer_settings(KafkaSettings settings) {
  settings.properties.try_emplace("message.max.bytes", kProducerMaxMessageBytes);
  return settings;
}

}  // namespace

// --- one chat request in flight ---------------------------------------------

struct ChatTask {
  std::string task_id;
  Envelope request;
  kafka::Message message;
  std::vector<kafka::Completion> completions;  // a redelivery while running adds one
  int handoffs = 0;                  // times it already waited in architect_retry
  TimePoint received{};              // when this process took it
  TimePoint deadline_start{};        // when the fleet first saw it (TASK_DEADLINE_S)
  TimePoint claimed_at{}, rag_done_at{}, llm_started_at{};
  RagResolution rag;
  std::optional<PromptPlan> plan;
  std::int64_t reserved = 0;
  std::unique_ptr<ChainRun> chain;
};

using TaskPtr = std::shared_ptr<ChatTask>;

// --- the service ----------------------------------------------------------

struct WorkerService::Impl {
  Impl(WorkerConfig cfg, CommonConfig cmn, Logger& log, ObservabilityEndpoints& endpoints)
      : config(std::move(cfg)),
        common(std::move(cmn)),
        logger(log),
        metrics(*endpoints.registry()),
        work_guard(asio::make_work_guard(io)),
        sync_timer(io),
        pool(common.database_url, {.size = static_cast<std::size_t>(config.db_connections)}),
        db_pool("db", static_cast<std::size_t>(config.db_connections), 0, logger),
        ledger(pool, config.worker_id, config.lease),
        http({.max_host_connections = config.max_inflight * 2L + 16,
              .connect_timeout = std::chrono::seconds(10),
              .logger = &logger}),
        producer(producer_settings(common.kafka), config.worker_id, logger),
        consumer(common.kafka,
                 {.group_id = "atlas-worker",
                  .topics = {common.kafka.topic_in},
                  .client_id = config.worker_id,
                  // Twice the tasks that may run: see `waiting`.
                  .max_inflight = 2 * static_cast<std::size_t>(config.max_inflight),
                  .shutdown_grace = config.shutdown_grace},
                 logger),
        circuits(config.circuit),
        rag_cache(config.rag_cache_size, config.rag_cache_ttl),
        tokens_per_run(config.tokens_per_run),
        rng(std::random_device{}()) {
    metrics.daily_budget.Set(static_cast<double>(config.daily_token_budget));
    metrics.budget_per_run.Set(static_cast<double>(config.tokens_per_run));
    metrics.max_inflight.Set(config.max_inflight);
    endpoints.add_readiness_check("kafka", [this] {
      return CheckResult{consuming.load(), consuming.load() ? "consuming " + common.kafka.topic_in
                                                            : "consumer not running"};
    });
    endpoints.add_readiness_check("database", [this] {
      const auto last = milliseconds(last_db_ok_ms.load());
      const auto now = std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch());
      const bool ok = last.count() > 0 && now - last < kDatabaseFreshness;
      return CheckResult{ok, ok ? "ledger reachable" : "no successful database round trip in 10 s"};
    });
    endpoints.add_readiness_check("llm", [this] {
      const TimePoint now = Clock::now();
      for (const ModelRef& m : config.chain) {
        if (m.provider == Provider::offline || circuits.state(m.provider, now) != CircuitState::open) {
          return CheckResult{true, "usable: " + m.label()};
        }
      }
      return CheckResult{false, "every provider's circuit is open"};
    });
  }

  WorkerConfig config;
  CommonConfig common;
  Logger& logger;
  WorkerMetrics metrics;
  // The event loop comes before every client whose callbacks post to it, so
  // it is destroyed after them (their shutdown may still post).
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work_guard;
  asio::steady_timer sync_timer;
  pg::Pool pool;
  WorkPool db_pool;
  TaskLedger ledger;
  http::Client http;
  kafka::Producer producer;
  kafka::Consumer consumer;
  CircuitBreakers circuits;
  RagCache rag_cache;
  std::int64_t tokens_per_run;  // event loop only (set_budget may change it)

  std::thread io_thread;
  std::mt19937_64 rng;  // the chain's backoff jitter; event loop only

  std::unordered_map<std::string, TaskPtr> running;  // event loop only
  // Chat requests received while WORKER_MAX_INFLIGHT tasks run, oldest first;
  // each starts when a running task completes (event loop only). The
  // consumer pauses at twice WORKER_MAX_INFLIGHT unfinished messages and
  // resumes at half of that, i.e. once this queue is empty again: so the
  // running tasks stay at WORKER_MAX_INFLIGHT under load, instead of
  // draining to half before the consumer fetches more and then starting in
  // one burst (bench/worker_bench.cpp measured ~40 % of the throughput lost
  // to those waves). A waiting request holds no lease and spends nothing;
  // its offset is not completed, so a crash or rebalance redelivers it.
  std::deque<TaskPtr> waiting;
  std::int64_t control_seq = 0;                      // event loop only
  bool sync_in_flight = false;                       // event loop only
  std::atomic<bool> consuming{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> last_db_ok_ms{0};
  TimePoint started = Clock::now();

  // ---- plumbing ----------------------------------------------------------

  void mark_db_ok() {
    last_db_ok_ms = std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch()).count();
  }

  template <class R>
  struct DbOutcome {
    std::optional<R> value;
    std::string error;       // redacted
    bool lease_lost = false;
  };

  // Runs `work` (blocking, on a database thread), then `then(outcome)` on the
  // event loop.
  template <class Work, class Then>
  void db(Work work, Then then) {
    using R = std::invoke_result_t<Work&>;
    db_pool.post_unbounded([this, work, then]() mutable {
      auto outcome = std::make_shared<DbOutcome<R>>();
      try {
        outcome->value.emplace(work());
        mark_db_ok();
      } catch (const TaskLedger::LeaseLost& e) {
        outcome->lease_lost = true;
        outcome->error = e.what();
        mark_db_ok();
      } catch (const std::exception& e) {
        outcome->error = pool.redact(e.what());
      }
      asio::post(io, [then, outcome]() mutable { then(*outcome); });
    });
  }

  // Runs `next` on the event loop after `delay` (the timer keeps itself alive).
  void later(milliseconds delay, std::function<void()> next) {
    auto timer = std::make_shared<asio::steady_timer>(io, delay);
    timer->async_wait([timer, next = std::move(next)](const boost::system::error_code& ec) {
      if (!ec) next();
    });
  }

  // Produces `record` and runs `then` on the event loop once the broker has
  // acknowledged it. A failed delivery is retried every second until it
  // succeeds or the process stops (then the offset stays uncompleted and the
  // request is redelivered to a replica: nothing is lost).
  void publish(kafka::Record record, std::function<void()> then) {
    auto kept = std::make_shared<kafka::Record>(record);
    producer.produce(std::move(record), [this, kept, then](const kafka::DeliveryResult& result) {
      asio::post(io, [this, kept, then, result] {
        if (result.ok) return then();
        logger.warn("publish failed; retrying",
                    {{"topic", kept->topic}, {"error", result.error}, {"bytes", kept->value.size()}});
        if (stopping.load()) return;
        if (kept->topic == common.kafka.topic_dlq && result.error.find("too large") != std::string::npos &&
            kept->value.size() > kDeadLetterKeepBytes) {
          // The broker will never take this dead letter whole: keep its head
          // and say how large it was, rather than lose it or loop forever.
          kept->headers.emplace_back("atlas-original-bytes", std::to_string(kept->value.size()));
          kept->value.resize(kDeadLetterKeepBytes);
        }
        later(kTransientRetry, [this, kept, then] { publish(*kept, then); });
      });
    });
  }

  // Publishes every record, then runs `then` once all are acknowledged.
  void publish_all(std::vector<kafka::Record> records, std::function<void()> then) {
    if (records.empty()) return then();
    auto remaining = std::make_shared<std::size_t>(records.size());
    for (kafka::Record& record : records) {
      publish(std::move(record), [remaining, then] {
        if (--*remaining == 0) then();
      });
    }
  }

  // ---- intake ------------------------------------------------------------

  // Called on the consumer's poll thread: hand over and return.
  void on_message(kafka::Message message, kafka::Completion done) {
    auto carried = std::make_shared<std::pair<kafka::Message, kafka::Completion>>(
        std::move(message), std::move(done));
    asio::post(io, [this, carried] { intake(std::move(carried->first), std::move(carried->second)); });
  }

  void intake(kafka::Message message, kafka::Completion done) {
    ParseResult parsed = parse_envelope(message.value);
    if (!parsed) {
      return dead_letter(std::move(message), std::move(done), parsed.error().describe());
    }
    Envelope envelope = std::move(parsed).value();
    if (envelope.msg_type == MsgType::spec) {
      return dead_letter(std::move(message), std::move(done),
                         "a spec is a reply, not a request: architect_in takes chat and control "
                         "requests");
    }
    if (envelope.is_reply()) {
      return dead_letter(std::move(message), std::move(done),
                         "metadata.parent_id is set: a reply is not a request");
    }
    if (envelope.msg_type == MsgType::control) {
      Checked<ControlCommand> command = parse_control(envelope);
      if (!command) {
        return dead_letter(std::move(message), std::move(done), command.error().describe());
      }
      if (std::holds_alternative<Escalate>(command.value())) {
        return dead_letter(std::move(message), std::move(done),
                           "escalate is published by Atlas for operators, not a command workers take");
      }
      return handle_control(std::move(envelope), std::move(message.value), std::move(done),
                            command.value());
    }
    start_chat(std::move(envelope), std::move(message), std::move(done));
  }

  // Invalid input: to architect_dlq at once, with the reason (G5).
  void dead_letter(kafka::Message message, kafka::Completion done, std::string reason) {
    logger.warn("invalid message; dead-lettering it",
                {{"topic", message.topic}, {"partition", message.partition},
                 {"offset", message.offset}, {"error", reason}});
    FailureHeaders failure;
    failure.attempts = 1;
    failure.error_class = "invalid_input";
    failure.error = std::move(reason);
    failure.component = kComponent;
    auto completion = std::make_shared<kafka::Completion>(std::move(done));
    publish(failure_record(message, common.kafka.topic_dlq, std::move(failure)), [this, completion] {
      metrics.dead_letter("invalid_input");
      metrics.task("invalid");
      (*completion)();
    });
  }

  // ---- control commands (G7) -----------------------------------------------

  // The receiving replica appends the command to the shared control log;
  // every replica (this one included) applies it from there in its sync loop.
  void handle_control(Envelope request, std::string value, kafka::Completion done,
                      const ControlCommand& command) {
    const std::string name(command_name(command));
    std::optional<std::int64_t> budget;
    if (const auto* set = std::get_if<SetBudget>(&command)) budget = set->tokens_per_run;
    metrics.control(name);
    logger.info("control command received", {{"task_id", request.task_id}, {"command", name}});
    record_control(std::make_shared<Envelope>(std::move(request)), name, budget, std::move(value),
                   std::make_shared<kafka::Completion>(std::move(done)));
  }

  // Appends the control request to the log (retried every second while the
  // database is unavailable), then answers it.
  void record_control(std::shared_ptr<Envelope> request, std::string name,
                      std::optional<std::int64_t> budget, std::string value,
                      std::shared_ptr<kafka::Completion> completion) {
    db([this, request, name, value, budget] {
         return ledger.record_control(request->task_id, name, value, budget);
       },
       [this, request, name, budget, value, completion](DbOutcome<bool>& outcome) {
         if (!outcome.value) {
           logger.warn("cannot record control command; retrying",
                       {{"task_id", request->task_id}, {"error", outcome.error}});
           if (stopping.load()) return;
           return later(kTransientRetry, [this, request, name, budget, value, completion] {
             record_control(request, name, budget, value, completion);
           });
         }
         if (name == "heartbeat") {
           // Every replica answers from its sync loop, with its own identity.
           return (*completion)();
         }
         json content = {{"command", name}, {"status", "ok"}, {"worker_id", config.worker_id},
                         {"applies_to", "every atlas-worker replica within 5 s"}};
         if (budget) content["tokens_per_run"] = *budget;
         Envelope reply = make_reply(*request, MsgType::control, content, Status::ok);
         publish(envelope_record(common.kafka.topic_out, reply), [completion] { (*completion)(); });
       });
  }

  // ---- the sync loop: leases, control log, settings, ledger gauges ---------

  void schedule_sync() {
    sync_timer.expires_after(kSyncInterval);
    sync_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) sync_now();
    });
  }

  void sync_now() {
    if (sync_in_flight) return schedule_sync();
    sync_in_flight = true;
    SyncRequest request;
    request.after_seq = control_seq;
    request.inflight = static_cast<int>(running.size());
    for (const auto& [id, task] : running) request.running.push_back(id);
    request.info = {{"chain", chain_names()}, {"max_inflight", config.max_inflight},
                    {"tokens_per_run", tokens_per_run}};
    const kafka::ConsumerStats stats = consumer.stats();
    metrics.consumer_lag.Set(static_cast<double>(stats.lag));
    metrics.rag_cache_entries.Set(static_cast<double>(rag_cache.size()));
    db([this, request] { return ledger.sync(request); },
       [this](DbOutcome<SyncResult>& outcome) {
         sync_in_flight = false;
         if (outcome.value) apply_sync(*outcome.value);
         else logger.warn("sync with the ledger failed", {{"error", outcome.error}});
         if (!stopping.load()) schedule_sync();
       });
  }

  void apply_sync(const SyncResult& result) {
    metrics.daily_used.Set(static_cast<double>(result.used_today));
    metrics.daily_reserved.Set(static_cast<double>(result.reserved_today));
    if (result.tokens_per_run && *result.tokens_per_run != tokens_per_run) {
      logger.info("per-run token budget changed",
                  {{"from", tokens_per_run}, {"to", *result.tokens_per_run}});
      tokens_per_run = *result.tokens_per_run;
      metrics.budget_per_run.Set(static_cast<double>(tokens_per_run));
    }
    for (const ControlEvent& event : result.events) {
      control_seq = std::max(control_seq, event.seq);
      if (event.command == "flush_cache") {
        rag_cache.flush();
        logger.info("RAG cache flushed", {{"control_task_id", event.task_id}});
      } else if (event.command == "heartbeat") {
        answer_heartbeat(event);
      }
      // set_budget: the setting itself was read above.
    }
  }

  void answer_heartbeat(const ControlEvent& event) {
    ParseResult request = parse_envelope(event.data);
    if (!request) return;  // recorded from a validated message: cannot happen
    const json content = {{"command", "heartbeat"},
                          {"status", "ok"},
                          {"worker_id", config.worker_id},
                          {"inflight", running.size()},
                          {"uptime_s", static_cast<std::int64_t>(seconds_between(started, Clock::now()))},
                          {"chain", chain_names()},
                          {"tokens_per_run", tokens_per_run}};
    Envelope reply = make_reply(request.value(), MsgType::control, content, Status::ok,
                                {{"worker_id", config.worker_id}});
    // One answer per replica: the id is derived from the request and the
    // replica, so a replayed heartbeat is answered with the same ids.
    reply.task_id =
        Uuid::v5(kAtlasNamespace, "heartbeat:" + event.task_id + ":" + config.worker_id).to_string();
    publish(envelope_record(common.kafka.topic_out, reply), [] {});
  }

  json chain_names() const {
    json names = json::array();
    for (const ModelRef& m : config.chain) names.push_back(m.label());
    return names;
  }

  // ---- chat pipeline -------------------------------------------------------

  void start_chat(Envelope request, kafka::Message message, kafka::Completion done) {
    const std::string id = request.task_id;
    if (auto it = running.find(id); it != running.end()) {
      // Redelivered while this process still runs it (a rebalance gave the
      // partition back): answer both deliveries with the one run.
      it->second->completions.push_back(std::move(done));
      return;
    }
    auto task = std::make_shared<ChatTask>();
    task->task_id = id;
    task->request = std::move(request);
    task->message = std::move(message);
    task->completions.push_back(std::move(done));
    if (const ParsedFailureHeaders failure = parse_failure_headers(task->message.headers, 1000);
        failure.present) {
      task->handoffs = failure.headers.attempts;
    }
    if (running.size() >= static_cast<std::size_t>(config.max_inflight) || !waiting.empty()) {
      waiting.push_back(std::move(task));
      return;
    }
    begin(task);
  }

  // Starts a task taken from the intake or from `waiting`.
  void begin(const TaskPtr& task) {
    if (auto it = running.find(task->task_id); it != running.end()) {
      // Delivered twice and the first is running: one run answers both.
      for (kafka::Completion& done : task->completions) {
        it->second->completions.push_back(std::move(done));
      }
      return;
    }
    task->received = Clock::now();
    running.emplace(task->task_id, task);
    metrics.inflight.Set(static_cast<double>(running.size()));
    claim(task);
  }

  // Fills the free running slots from `waiting`. Not once run() is over:
  // those requests' offsets stay uncompleted and they are redelivered.
  void start_waiting() {
    while (!stopping.load() && !waiting.empty() &&
           running.size() < static_cast<std::size_t>(config.max_inflight)) {
      TaskPtr next = std::move(waiting.front());
      waiting.pop_front();
      begin(next);
    }
  }

  void claim(const TaskPtr& task) {
    db([this, task] { return ledger.claim(task->task_id, task->message.value); },
       [this, task](DbOutcome<ClaimResult>& outcome) {
         if (!outcome.value) return transient(task, "claim", outcome.error, [this, task] { claim(task); });
         ClaimResult& claim_result = *outcome.value;
         switch (claim_result.kind) {
           case ClaimResult::Kind::replied:
             return replay(task, claim_result);
           case ClaimResult::Kind::leased: {
             // Another live replica runs it: wait for its reply or its lease to end.
             const milliseconds wait = std::clamp(claim_result.lease_left + milliseconds(50),
                                                  milliseconds(100), milliseconds(2000));
             logger.debug("task leased by another replica; waiting",
                          {{"task_id", task->task_id}, {"owner", claim_result.owner}});
             return later(wait, [this, task] { claim(task); });
           }
           case ClaimResult::Kind::claimed:
             break;
         }
         const TimePoint now = Clock::now();
         task->claimed_at = now;
         // The deadline counts from when the fleet first saw the request, so
         // a redelivery or a hand-back does not restart it.
         const auto age = SystemClock::now() - claim_result.first_seen;
         task->deadline_start = now - std::chrono::duration_cast<Clock::duration>(
                                          std::max(age, SystemClock::duration::zero()));
         if (claim_result.claims > 1) {
           logger.info("task taken over", {{"task_id", task->task_id}, {"claims", claim_result.claims},
                                            {"charged_from_previous_owner",
                                             claim_result.charged_from_previous_owner}});
         }
         query_rag(task);
       });
  }

  // A step failed for a transient reason: try again later, unless stopping
  // (then the offset stays uncompleted and another replica redelivers it).
  void transient(const TaskPtr& task, const char* step, const std::string& error,
                 std::function<void()> again) {
    logger.warn("step failed; retrying", {{"task_id", task->task_id}, {"step", step}, {"error", error}});
    if (stopping.load()) return;
    later(kTransientRetry, std::move(again));
  }

  // The request was answered before: publish the stored reply again (the
  // same reply task_id), spend nothing (G4).
  void replay(const TaskPtr& task, const ClaimResult& stored) {
    logger.info("request already answered; re-publishing the stored reply",
                {{"task_id", task->task_id}});
    publish_all(stored_records(task->task_id, stored.reply, stored.escalation),
                [this, task] { complete(task, "replayed"); });
  }

  // A reply (and escalation) stored in the ledger, as records of architect_out.
  std::vector<kafka::Record> stored_records(const std::string& task_id, const std::string& reply,
                                            const std::optional<std::string>& escalation) const {
    std::vector<kafka::Record> records;
    records.push_back({common.kafka.topic_out, task_id, reply, {}, std::nullopt});
    if (escalation) records.push_back({common.kafka.topic_out, task_id, *escalation, {}, std::nullopt});
    return records;
  }

  void query_rag(const TaskPtr& task) {
    const std::string query(utf8_prefix(task->request.text(), kMaxRagQueryBytes));
    http::ClientRequest request;
    request.method = "POST";
    request.url = config.rag_url + "/v1/query_chat";
    request.headers = {{"content-type", "application/json"}};
    request.body = build_rag_query(query, config.rag_filter.top_k);
    request.timeout = config.rag_timeout;
    http.send(std::move(request), [this, task, query](http::ClientResponse response) {
      asio::post(io, [this, task, query, response = std::move(response)] {
        RagReply reply;
        if (!response.transport_ok()) {
          reply.error = response.error_message;
        } else if (response.status < 200 || response.status > 299) {
          reply.error = "RAG answered HTTP " + std::to_string(response.status);
        } else {
          reply.parse = parse_rag_response(response.body);
        }
        task->rag = resolve_rag(query, config.rag_filter, reply, rag_cache, Clock::now());
        const RagStatus status = task->rag.outcome.status;
        metrics.rag_request(status == RagStatus::ok);
        if (status != RagStatus::ok) {
          metrics.rag_fallback(status == RagStatus::cached_fallback);
          logger.warn("RAG unavailable; failing open",
                      {{"task_id", task->task_id}, {"rag", to_string(status)},
                       {"error", task->rag.outcome.error}});
        }
        task->rag_done_at = Clock::now();
        plan(task);
      });
    });
  }

  void plan(const TaskPtr& task) {
    auto planned = plan_prompt(task->request.text(), task->rag.chunks,
                               config.prompt_limits(tokens_per_run));
    if (auto* too_large = std::get_if<PromptTooLarge>(&planned)) {
      return budget_exceeded(task, too_large->message);
    }
    task->plan = std::move(std::get<PromptPlan>(planned));
    reserve(task);
  }

  void reserve(const TaskPtr& task) {
    const std::int64_t tokens = task->plan->reservation;
    db([this, task, tokens] { return ledger.reserve(task->task_id, tokens, config.daily_token_budget); },
       [this, task, tokens](DbOutcome<Reservation>& outcome) {
         if (outcome.lease_lost) {
           // Another replica took the task over: see what it made of it.
           logger.warn("lease lost before the run; claiming again", {{"task_id", task->task_id}});
           return claim(task);
         }
         if (!outcome.value) {
           return transient(task, "reserve", outcome.error, [this, task] { reserve(task); });
         }
         const Reservation& r = *outcome.value;
         if (!r.ok && r.used + tokens <= config.daily_token_budget &&
             Clock::now() + kReservationWait < task->deadline_start + config.task_deadline) {
           // Only other runs' outstanding reservations stand in the way; they
           // settle (mostly far below what they reserved) within seconds.
           return later(kReservationWait, [this, task] { reserve(task); });
         }
         if (!r.ok) {
           const ReserveDecision decision = decide_reservation(
               tokens, tokens_per_run, {r.used, r.reserved}, config.daily_token_budget);
           return budget_exceeded(task, decision.message.empty()
                                            ? "DAILY_TOKEN_BUDGET cannot cover this run"
                                            : decision.message);
         }
         task->reserved = tokens;
         run_chain(task);
       });
  }

  void run_chain(const TaskPtr& task) {
    ChainOptions options = config.chain_options();
    options.run_token_limit = task->reserved;
    options.call_token_bound = task->reserved;
    JitterSource jitter = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
    task->chain = std::make_unique<ChainRun>(config.chain, options, std::move(jitter), circuits,
                                             task->deadline_start);
    task->llm_started_at = Clock::now();
    step(task);
  }

  void step(const TaskPtr& task) {
    Step next = task->chain->next(Clock::now());
    if (auto* call = std::get_if<CallModel>(&next)) return call_model(task, *call);
    if (auto* wait = std::get_if<Wait>(&next)) {
      return later(wait->duration, [this, task] { step(task); });
    }
    if (auto* done = std::get_if<Done>(&next)) return succeeded(task, *done);
    failed(task, std::get<Failed>(next));
  }

  void call_model(const TaskPtr& task, const CallModel& call) {
    if (call.model.provider == Provider::offline) {
      CallReport report;
      report.result = offline_complete(task->plan->prompt);
      report.http_status = 200;
      // Posted, not called: the chain's loop stays iterative.
      return asio::post(io, [this, task, report] { recorded(task, report); });
    }
    const Api api = api_for(call.model, config.openai_responses_models);
    const ProviderEndpoint& endpoint = config.endpoint(call.model.provider);
    LlmRequest llm = to_llm_request(*task->plan, config.temperature);
    HttpCall built = build_call(api, call.model, endpoint, llm);
    http::ClientRequest request;
    request.method = built.method;
    request.url = std::move(built.url);
    request.headers = std::move(built.headers);
    request.body = std::move(built.body);
    request.timeout = call.timeout;
    http.send(std::move(request), [this, task, api, key = endpoint.api_key.value_or("")](
                                      http::ClientResponse response) {
      CallReport report;
      if (!response.transport_ok()) {
        report.result = CallError{
            classify_transport_error(transport_error_of(response.error), response.error_message), 0,
            std::nullopt};
      } else {
        report.result = parse_call(api, response.status, response.body, key);
        report.http_status = response.status;
        report.retry_after = parse_retry_after(response.header("retry-after-ms"),
                                               response.header("retry-after"), SystemClock::now());
      }
      report.latency = response.elapsed;
      asio::post(io, [this, task, report = std::move(report)] { recorded(task, report); });
    });
  }

  void recorded(const TaskPtr& task, const CallReport& report) {
    const TimePoint now = Clock::now();
    task->chain->record(report, now);
    const AttemptRecord& attempt = task->chain->attempts().back();
    metrics.llm_attempt(attempt.model, attempt_outcome(attempt),
                        std::chrono::duration<double>(report.latency).count());
    if (attempt.action == "next_model") metrics.fallback(attempt.model);
    metrics.circuit_open(attempt.model.provider,
                         circuits.state(attempt.model.provider, now) == CircuitState::open);
    if (attempt.outcome != "ok") {
      logger.info("LLM call failed", {{"task_id", task->task_id},
                                      {"model", attempt.model.label()},
                                      {"attempt", attempt.attempt},
                                      {"reason", attempt.reason},
                                      {"http_status", attempt.http_status},
                                      {"action", attempt.action}});
    }
    step(task);
  }

  json timings(const TaskPtr& task) const {
    const TimePoint now = Clock::now();
    json t = {{"total_ms", ms_between(task->received, now)}};
    if (task->claimed_at != TimePoint{}) t["claim_ms"] = ms_between(task->received, task->claimed_at);
    if (task->rag_done_at != TimePoint{}) t["rag_ms"] = ms_between(task->claimed_at, task->rag_done_at);
    if (task->llm_started_at != TimePoint{}) t["llm_ms"] = ms_between(task->llm_started_at, now);
    if (task->message.timestamp_ms) {
      const auto produced = SystemClock::time_point(milliseconds(*task->message.timestamp_ms));
      t["since_published_ms"] =
          std::chrono::duration_cast<milliseconds>(SystemClock::now() - produced).count();
    }
    return t;
  }

  void succeeded(const TaskPtr& task, const Done& done) {
    const Usage& usage = done.usage;
    const Settlement settlement = settle(task->reserved, usage);
    const std::string& model = done.model.model;
    const std::optional<double> cost = config.prices.cost_usd(model, usage);
    json metadata = {{"model", model},
                     {"provider", std::string(to_string(done.model.provider))},
                     {"tokens", settlement.charged},
                     {"usage", usage.to_json()},
                     {"cost_usd", cost ? json(*cost) : json(nullptr)},
                     {"attempts", attempts_to_json(task->chain->attempts())},
                     {"rag", task->rag.outcome.to_json()},
                     {"timings", timings(task)},
                     {"worker_id", config.worker_id}};
    if (!done.completion.model.empty()) metadata["model_version"] = done.completion.model;
    if (!done.completion.finish_reason.empty()) metadata["finish_reason"] = done.completion.finish_reason;
    if (done.model.provider == Provider::offline) {
      metadata["offline"] = true;
      metadata["note"] = "offline provider: a deterministic skeleton, no LLM was called";
    }
    Envelope reply = make_reply(task->request, MsgType::spec, done.completion.text, Status::done, metadata);
    metrics.tokens(model, usage);
    if (cost) metrics.cost(model, *cost);

    FinishRecord record = finish_record(task, reply, "done", model, settlement.charged, cost);
    finish(task, std::move(record), std::move(reply), std::nullopt, std::nullopt, "done");
  }

  FinishRecord finish_record(const TaskPtr& task, const Envelope& reply, std::string state,
                             std::string model, std::int64_t charged, std::optional<double> cost) {
    FinishRecord record;
    record.task_id = task->task_id;
    record.reply_id = reply.task_id;
    record.reply = to_json(reply);
    record.state = std::move(state);
    record.status = std::string(to_string(reply.status().value_or(Status::done)));
    record.model = std::move(model);
    record.charged = charged;
    record.cost_usd = cost;
    if (task->chain) record.attempts = attempts_to_json(task->chain->attempts());
    record.timings = timings(task);
    return record;
  }

  void failed(const TaskPtr& task, const Failed& failure) {
    const TimePoint now = Clock::now();
    const std::int64_t charged = settle(task->reserved, failure.usage).charged;
    if (failure.reason == FailReason::all_circuits_open && failure.retry_at &&
        *failure.retry_at + config.chain_options().min_call_time < task->chain->deadline_at() &&
        task->handoffs < config.max_retry_handoffs) {
      return hand_to_retry(task, failure, charged);
    }
    if (failure.reason == FailReason::budget_exhausted) {
      return budget_exceeded(task, "the run's calls used its token reservation (" +
                                       std::to_string(task->reserved) +
                                       " tokens) before a model answered: " + failure.last_error,
                             charged);
    }
    const std::string reason = failure.reason == FailReason::deadline
                                   ? "TASK_DEADLINE_S exceeded"
                                   : "every model of LLM_CHAIN failed";
    const std::string error_class =
        failure.reason == FailReason::deadline ? "deadline" : "llm_unavailable";
    const std::string content = "# Atlas could not answer this request\n\n" + reason + ": " +
                                failure.last_error + "\n\n## Attempts\n\n" +
                                describe_attempts(task->chain->attempts()) +
                                "\nThe request was dead-lettered and escalated to the operators.\n";
    json metadata = {{"tokens", charged},
                     {"usage", failure.usage.to_json()},
                     {"attempts", attempts_to_json(task->chain->attempts())},
                     {"rag", task->rag.outcome.to_json()},
                     {"timings", timings(task)},
                     {"error", failure.last_error},
                     {"reason", std::string(to_string(failure.reason))},
                     {"worker_id", config.worker_id}};
    Envelope reply = make_reply(task->request, MsgType::spec, content, Status::error, metadata);
    const Uuid failed_id = *Uuid::parse(task->task_id);
    Envelope escalation = make_escalation(reason, failed_id, failure.calls, failure.last_error,
                                          task->request.origin());
    FailureHeaders headers;
    headers.attempts = failure.calls;
    headers.error_class = error_class;
    headers.error = reason + ": " + failure.last_error;
    headers.component = kComponent;
    kafka::Record dead = failure_record(task->message, common.kafka.topic_dlq, headers);
    logger.error("task failed; error reply, escalation and dead letter",
                 {{"task_id", task->task_id}, {"reason", reason}, {"error", failure.last_error},
                  {"calls", failure.calls}, {"elapsed_ms", ms_between(task->received, now)}});
    FinishRecord record = finish_record(task, reply, "error", "", charged, std::nullopt);
    record.escalation = to_json(escalation);
    finish(task, std::move(record), std::move(reply), std::move(escalation), std::move(dead), "error",
           error_class);
  }

  // Every provider's circuit is open but the deadline is far: wait in
  // architect_retry instead of holding an in-flight slot.
  void hand_to_retry(const TaskPtr& task, const Failed& failure, std::int64_t charged) {
    const auto wait = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                                    *failure.retry_at - Clock::now()));
    FailureHeaders headers;
    headers.attempts = task->handoffs + 1;
    headers.error_class = "llm_unavailable";
    headers.error = "every provider's circuit is open: " + failure.last_error;
    headers.component = kComponent;
    headers.due_at = SystemClock::now() + wait;
    headers.target_topic = common.kafka.topic_in;
    logger.warn("every circuit open; handing the request to the retry topic",
                {{"task_id", task->task_id}, {"due_in_ms", wait.count()},
                 {"handoffs", task->handoffs + 1}});
    publish(failure_record(task->message, common.kafka.topic_retry, headers), [this, task, charged] {
      db([this, task, charged] {
           ledger.release(task->task_id, charged, "handed_to_retry");
           return true;
         },
         [this, task](DbOutcome<bool>& outcome) {
           // If the release failed the lease simply expires; the retry record
           // is durable either way.
           if (!outcome.value) logger.warn("lease release failed", {{"error", outcome.error}});
           complete(task, "handed_to_retry");
         });
    });
  }

  void budget_exceeded(const TaskPtr& task, const std::string& message, std::int64_t charged = 0) {
    json metadata = {{"tokens", charged},
                     {"budget", {{"tokens_per_run", tokens_per_run},
                                 {"daily_token_budget", config.daily_token_budget}}},
                     {"rag", task->rag.outcome.to_json()},
                     {"timings", timings(task)},
                     {"worker_id", config.worker_id}};
    if (task->chain) metadata["attempts"] = attempts_to_json(task->chain->attempts());
    const std::string content = "# Budget exceeded\n\n" + message +
                                "\n\nNo model was asked to answer beyond the budget. Raise "
                                "TOKEN_BUDGET_PER_RUN (or send set_budget) or DAILY_TOKEN_BUDGET, "
                                "or shorten the request.\n";
    Envelope reply = make_reply(task->request, MsgType::spec, content, Status::budget_exceeded, metadata);
    logger.warn("budget exceeded", {{"task_id", task->task_id}, {"reason", message}});
    FinishRecord record = finish_record(task, reply, "budget_exceeded", "", charged, std::nullopt);
    finish(task, std::move(record), std::move(reply), std::nullopt, std::nullopt, "budget_exceeded");
  }

  // Stores the outcome in the ledger (G4: before publishing), then publishes
  // the reply (and, for failures, the escalation and the dead letter), then
  // completes the offset (G8).
  // What a finished run leaves: the ledger record and the messages to publish.
  struct RunOutcome {
    FinishRecord record;
    Envelope reply;
    std::optional<Envelope> escalation;
    std::optional<kafka::Record> dead_letter;
    std::string outcome;      // atlas_tasks_total / atlas_run_seconds label
    std::string error_class;  // of the dead letter, if any
  };

  void finish(const TaskPtr& task, FinishRecord record, Envelope reply,
              std::optional<Envelope> escalation, std::optional<kafka::Record> dead,
              std::string outcome, std::string error_class = {}) {
    store_and_publish(task, std::make_shared<RunOutcome>(RunOutcome{
                                std::move(record), std::move(reply), std::move(escalation),
                                std::move(dead), std::move(outcome), std::move(error_class)}));
  }

  void store_and_publish(const TaskPtr& task, const std::shared_ptr<RunOutcome>& run) {
    db([this, run] { return ledger.finish(run->record); },
       [this, task, run](DbOutcome<FinishResult>& result) {
         if (!result.value) {
           return transient(task, "finish", result.error,
                            [this, task, run] { store_and_publish(task, run); });
         }
         const bool stored = result.value->stored;
         std::vector<kafka::Record> records;
         if (stored) {
           records.push_back(envelope_record(common.kafka.topic_out, run->reply));
           if (run->escalation) {
             records.push_back(envelope_record(common.kafka.topic_out, *run->escalation));
           }
           if (run->dead_letter) records.push_back(*run->dead_letter);
         } else {
           // Another replica answered first; publish its reply, not ours.
           records = stored_records(task->task_id, result.value->stored_reply,
                                    result.value->stored_escalation);
         }
         publish_all(std::move(records), [this, task, run, stored] {
           if (stored && run->escalation) metrics.escalation();
           if (stored && run->dead_letter) metrics.dead_letter(run->error_class);
           metrics.run_seconds(run->outcome, seconds_between(task->received, Clock::now()));
           complete(task, run->outcome);
         });
       });
  }

  void complete(const TaskPtr& task, const std::string& outcome) {
    for (kafka::Completion& done : task->completions) done();
    task->completions.clear();
    running.erase(task->task_id);
    metrics.inflight.Set(static_cast<double>(running.size()));
    metrics.task(outcome);
    logger.info("task finished", {{"task_id", task->task_id}, {"outcome", outcome},
                                  {"elapsed_ms", ms_between(task->received, Clock::now())}});
    start_waiting();
  }
};

// --- public surface -----------------------------------------------------------

WorkerService::WorkerService(WorkerConfig config, CommonConfig common, Logger& logger,
                             ObservabilityEndpoints& endpoints)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(common), logger, endpoints)) {}

WorkerService::~WorkerService() {
  stop();
  Impl& s = *impl_;
  s.work_guard.reset();
  s.io.stop();
  if (s.io_thread.joinable()) s.io_thread.join();
  s.db_pool.stop();
}

void WorkerService::run() {
  Impl& s = *impl_;
  // Start from the shared state: the control log's end and the budget setting.
  s.control_seq = s.ledger.last_control_seq();
  const SyncResult first = s.ledger.sync({s.control_seq, {}, 0, json::object()});
  s.mark_db_ok();
  s.apply_sync(first);

  // Learn the partition leaders of the topics replies go to before the first one.
  const std::vector<std::string> cold = s.producer.warm_up(
      {s.common.kafka.topic_out, s.common.kafka.topic_dlq, s.common.kafka.topic_retry},
      std::chrono::seconds(5));
  if (!cold.empty()) {
    s.logger.warn("no Kafka metadata yet for some topics; their first messages may wait for it",
                  {{"topics", cold}});
  }

  s.io_thread = std::thread([&s] {
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (const std::exception& e) {
        s.logger.error("event loop handler threw; continuing", {{"error", e.what()}});
      }
    }
  });
  asio::post(s.io, [&s] { s.schedule_sync(); });

  s.consuming = true;
  s.consumer.run([&s](kafka::Message message, kafka::Completion done) {
    s.on_message(std::move(message), std::move(done));
  });
  s.consuming = false;
  // The consumer has drained (or given up after the grace period) and closed.
  s.stopping = true;
  std::size_t abandoned = 0;
  {
    std::promise<std::size_t> count;
    auto future = count.get_future();
    asio::post(s.io, [&s, &count] {
      s.sync_timer.cancel();
      s.waiting.clear();  // never started: no lease, redelivered to the next owner
      count.set_value(s.running.size());
    });
    abandoned = future.get();
  }
  if (abandoned > 0) {
    s.logger.warn("shutting down with tasks unfinished; releasing their leases",
                  {{"tasks", abandoned}});
    try {
      s.ledger.release_all_leases();
    } catch (const std::exception& e) {
      s.logger.warn("cannot release leases; they expire by themselves",
                    {{"error", s.pool.redact(e.what())}});
    }
  }
  if (!s.producer.flush(std::chrono::seconds(10))) {
    s.logger.warn("producer flush timed out", {{"pending", s.producer.pending()}});
  }
}

void WorkerService::stop() noexcept { impl_->consumer.stop(); }

}  // namespace atlas::worker
