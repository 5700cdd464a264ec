#include "atlas/router/ingress_service.hpp"

#include <functional>
#include <utility>
#include <variant>

#include <boost/asio/post.hpp>

#include "atlas/envelope.hpp"

namespace atlas::router {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How often accepted requests are checked against their deadline.
constexpr std::chrono::milliseconds kDeadlineSweep{50};

http::ServerResponse to_response(const HttpAnswer& a) {
  http::ServerResponse r;
  r.status = a.status;
  r.body = a.body;
  r.content_type = a.content_type;
  return r;
}

std::string_view reject_outcome(const Reject& reject) {
  switch (reject.kind) {
    case RejectKind::bad_signature: return "bad_signature";
    case RejectKind::stale: return "stale";
    case RejectKind::unavailable: return "error";
    case RejectKind::malformed: break;
  }
  return "malformed";
}

// A Respond is a challenge or protocol answer (url_verification, ping,
// ssl_check); the usage hint for an empty slash command asks for nothing.
std::string_view respond_outcome(const Respond& respond) {
  return respond.reason == "slash command without a request" ? "ignored" : "challenge";
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

enum class Step { idle, running, ok, failed };

}  // namespace

std::string_view webhook_source(Route route) {
  switch (route) {
    case Route::slack_events: return kSourceSlackEvents;
    case Route::slack_commands: return kSourceSlackCommands;
    case Route::github_webhook: return kSourceGithub;
    default: break;
  }
  return "other";
}

// One accepted webhook on its way to durability. The mutex guards the state
// below it.
struct IngressService::Pending {
  std::string_view source;
  Accept accept;
  Uuid task_id;
  std::string value;  // the chat envelope, serialised
  SteadyClock::time_point started;

  std::mutex mutex;
  http::Responder responder;
  bool answered = false;
  Step kafka = Step::running;  // produce() is called right after the claim
  Step pg = Step::idle;        // the PostgreSQL fallback
  bool deadline_passed = false;
  bool confirmed = false;      // dedupe keys marked published
  bool stamped = false;        // architect_in row stamped after a late Kafka ack
};

IngressService::IngressService(IngressOptions options, kafka::Producer& producer,
                               RouterStore& store, DedupeBatcher& dedupe,
                               boost::asio::thread_pool& work, RouterMetrics& metrics,
                               Logger& logger)
    : options_(std::move(options)),
      producer_(producer),
      store_(store),
      dedupe_(dedupe),
      work_(work),
      metrics_(metrics),
      logger_(logger),
      sweeper_(work) {}

IngressService::~IngressService() = default;

void IngressService::install(http::Server& server) {
  for (Route route : {Route::slack_events, Route::slack_commands, Route::github_webhook}) {
    server.add_route("POST", std::string(to_string(route)),
                     [this, route](const http::ServerRequest& r, http::Responder s) {
                       handle(route, r, std::move(s));
                     });
  }
}

void IngressService::handle(Route route, const http::ServerRequest& request,
                            http::Responder respond) {
  const auto started = SteadyClock::now();
  const std::string_view source = webhook_source(route);
  WebhookDecision decision = decide_webhook(route, options_.secrets, request.body,
                                            request.headers, std::chrono::system_clock::now());
  auto finish = [&](const HttpAnswer& a, std::string_view outcome) {
    respond.send(to_response(a));
    metrics_.webhook(source, outcome);
    metrics_.webhook_seconds(source, seconds_since(started));
  };

  if (const auto* reject = std::get_if<Reject>(&decision)) {
    // The reason is fixed text from the checks: no secret, no body.
    logger_.warn("webhook refused", {{"source", source},
                                     {"status", reject->status},
                                     {"reason", reject->reason},
                                     {"peer", request.peer_address}});
    finish(answer(*reject), reject_outcome(*reject));
    return;
  }
  if (const auto* ignore = std::get_if<Ignore>(&decision)) {
    logger_.info("webhook ignored", {{"source", source}, {"reason", ignore->reason}});
    finish(answer(*ignore), "ignored");
    return;
  }
  if (const auto* reply = std::get_if<Respond>(&decision)) {
    logger_.info("webhook answered", {{"source", source}, {"reason", reply->reason}});
    finish(answer(*reply), respond_outcome(*reply));
    return;
  }

  Accept& accept = std::get<Accept>(decision);
  const Uuid task_id = webhook_task_id(accept);
  if (pending_.load() >= options_.max_pending) {
    logger_.warn("webhook refused: too many requests waiting to become durable",
                 {{"source", source}, {"pending", pending_.load()}});
    http::ServerResponse busy =
        http::error_response(503, "atlas-router is busy: too many webhooks in flight; retry shortly");
    busy.headers.emplace_back("Retry-After", "1");
    respond.send(std::move(busy));
    metrics_.webhook(source, "error");
    metrics_.webhook_seconds(source, seconds_since(started));
    return;
  }

  // Not make_shared: the deadline queue's weak_ptr would keep the whole
  // block allocated until the sweep, on another thread.
  std::shared_ptr<Pending> p(new Pending);
  p->source = source;
  p->task_id = task_id;
  p->value = chat_envelope(accept, task_id);
  p->accept = std::move(accept);
  p->accept.chat = {};  // in p->value now; freed here, on the thread that allocated it
  p->started = started;
  p->responder = std::move(respond);
  ++pending_;
  begin(p);  // only queues the claim: never blocks this I/O thread
}

void IngressService::begin(const std::shared_ptr<Pending>& p) {
  // publish() runs on the batcher's thread: it only queues the record
  // (produce() waits only when librdkafka's queue is full, which the
  // ROUTER_MAX_PENDING_WEBHOOKS cap keeps far away) and answers duplicates.
  dedupe_.claim(p->accept.dedupe_keys, p->task_id,
                [this, p](std::optional<ClaimResult> claim, const std::string& error) {
                  publish(p, claim, error);
                });
}

void IngressService::watch(const std::shared_ptr<Pending>& p) {
  std::lock_guard lock(deadlines_mutex_);
  deadlines_.emplace_back(p->started + options_.ack_timeout, p);
  if (!sweeping_) {
    sweeping_ = true;
    arm_sweep();
  }
}

void IngressService::arm_sweep() {
  sweeper_.expires_after(kDeadlineSweep);
  sweeper_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) sweep();
  });
}

void IngressService::sweep() {
  std::vector<std::shared_ptr<Pending>> due;
  {
    std::lock_guard lock(deadlines_mutex_);
    const auto now = SteadyClock::now();
    // Deadlines are queued in (nearly) increasing order: every request has
    // the same time-out from its arrival; one queued a few milliseconds out
    // of order is found by the next sweep.
    while (!deadlines_.empty() && deadlines_.front().first <= now) {
      if (auto p = deadlines_.front().second.lock()) due.push_back(std::move(p));
      deadlines_.pop_front();
    }
    sweeping_ = !deadlines_.empty();
    if (sweeping_) arm_sweep();
  }
  for (const auto& p : due) on_deadline(p);
}

void IngressService::publish(const std::shared_ptr<Pending>& p,
                             const std::optional<ClaimResult>& claim, const std::string& error) {
  if (!claim) {
    // Without the shared dedupe store a redelivery may be published twice;
    // it carries the same task id and is absorbed downstream (G2, G4). That
    // beats refusing a request that Kafka can still make durable.
    logger_.warn("webhook dedupe store unavailable; publishing without the fleet-wide check",
                 {{"task_id", p->task_id.to_string()}, {"error", error}});
  } else if (claim->duplicate) {
    const Uuid first = Uuid::parse(claim->published_task_id.value_or("")).value_or(p->task_id);
    logger_.info("duplicate webhook answered, not republished",
                 {{"source", p->source}, {"task_id", first.to_string()}, {"what", p->accept.what}});
    answer_now(p, to_response(acknowledge(p->accept, first)), "duplicate");
    return;
  }

  watch(p);  // the ROUTER_ACK_TIMEOUT_S deadline
  kafka::Record record;
  record.topic = options_.topic_in;
  record.key = p->task_id.to_string();
  record.value = p->value;
  producer_.produce(std::move(record),
                    [this, p](const kafka::DeliveryResult& r) { on_delivery(p, r); });
}

// The report is settled on the connection's I/O thread, where the request's
// memory was allocated (the Pending, its envelope, the answer): freeing it
// there keeps glibc's per-thread caches warm instead of handing every block
// to another thread's arena.
void IngressService::on_delivery(const std::shared_ptr<Pending>& p,
                                 const kafka::DeliveryResult& result) {
  std::function<void()> settle = [this, p, ok = result.ok,
                                  error = result.ok ? std::string() : result.error] {
    settle_delivery(p, ok, error);
  };
  {
    std::lock_guard lock(p->mutex);  // the responder moves out under it
    if (p->responder.post(settle)) return;
  }
  settle();  // answered already (deadline) or the server is stopping
}

void IngressService::settle_delivery(const std::shared_ptr<Pending>& p, bool ok,
                                     const std::string& error) {
  {
    std::lock_guard lock(p->mutex);
    p->kafka = ok ? Step::ok : Step::failed;
  }
  if (!ok) {
    logger_.warn("webhook chat not acknowledged by Kafka; making it durable in PostgreSQL",
                 {{"task_id", p->task_id.to_string()}, {"error", error}});
  }
  advance(p);
}

void IngressService::on_deadline(const std::shared_ptr<Pending>& p) {
  {
    std::lock_guard lock(p->mutex);
    if (p->answered || p->kafka != Step::running) return;
    p->deadline_passed = true;
  }
  logger_.warn("Kafka has not acknowledged the webhook chat in time; making it durable in PostgreSQL",
               {{"task_id", p->task_id.to_string()}, {"ack_timeout_ms", options_.ack_timeout.count()}});
  advance(p);
}

void IngressService::run_fallback(const std::shared_ptr<Pending>& p) {
  bool ok = false;
  try {
    ok = store_.insert_unrelayed_request(p->task_id, p->value);
  } catch (const std::exception& e) {
    logger_.error("webhook chat could not be stored in PostgreSQL either",
                  {{"task_id", p->task_id.to_string()}, {"error", e.what()}});
  }
  {
    std::lock_guard lock(p->mutex);
    p->pg = ok ? Step::ok : Step::failed;
  }
  advance(p);
}

void IngressService::advance(const std::shared_ptr<Pending>& p) {
  std::optional<http::ServerResponse> response;
  std::string_view outcome;
  std::string_view via;
  bool start_fallback = false;
  bool confirm = false;
  bool stamp = false;
  bool release = false;
  http::Responder responder;
  {
    std::lock_guard lock(p->mutex);
    const bool durable = p->kafka == Step::ok || p->pg == Step::ok;
    if (!p->answered) {
      if (durable) {
        response = to_response(acknowledge(p->accept, p->task_id));
        outcome = "accepted";
        via = p->kafka == Step::ok ? "kafka" : "postgres";
      } else if (p->pg == Step::failed && (p->kafka == Step::failed || p->deadline_passed)) {
        http::ServerResponse busy = http::error_response(
            503, "the request could not be stored (Kafka and PostgreSQL unavailable); retry later");
        busy.headers.emplace_back("Retry-After", "5");
        response = std::move(busy);
        outcome = "error";
        release = true;
      } else if (p->pg == Step::idle && (p->kafka == Step::failed || p->deadline_passed)) {
        p->pg = Step::running;
        start_fallback = true;
      }
      if (response) {
        p->answered = true;
        responder = std::move(p->responder);
      }
    }
    if (durable && !p->confirmed) {
      p->confirmed = true;
      confirm = true;
    }
    if (p->kafka == Step::ok && p->pg == Step::ok && !p->stamped) {
      p->stamped = true;
      stamp = true;
    }
  }

  if (response) {
    responder.send(std::move(*response));
    metrics_.webhook(p->source, outcome);
    metrics_.webhook_seconds(p->source, seconds_since(p->started));
    --pending_;
    if (outcome != "accepted") {
      logger_.error("webhook answered 503: not durable",
                    {{"source", p->source}, {"task_id", p->task_id.to_string()}});
    } else if (logger_.enabled(LogLevel::info)) {  // the fields cost even when filtered
      logger_.info("webhook accepted", {{"source", p->source},
                                        {"task_id", p->task_id.to_string()},
                                        {"what", p->accept.what},
                                        {"durable_in", via}});
    }
  }
  if (confirm) dedupe_.confirm(p->accept.dedupe_keys);  // only queues them: never blocks
  if (start_fallback) boost::asio::post(work_, [this, p] { run_fallback(p); });
  if (stamp || release) {
    boost::asio::post(work_, [this, p, stamp, release] {
      try {
        // Kafka acknowledged after the fallback row was written: stamp the
        // row so the inbox relay does not publish the chat a second time.
        if (stamp) store_.mark_relayed(p->task_id);
        if (release) store_.release(p->accept.dedupe_keys, p->task_id);
      } catch (const std::exception& e) {
        // Costs at most a second copy with the same task id, absorbed downstream.
        logger_.warn("webhook bookkeeping in PostgreSQL failed",
                     {{"task_id", p->task_id.to_string()}, {"error", e.what()}});
      }
    });
  }
}

void IngressService::answer_now(const std::shared_ptr<Pending>& p, http::ServerResponse response,
                                std::string_view outcome) {
  http::Responder responder;
  {
    std::lock_guard lock(p->mutex);
    if (p->answered) return;
    p->answered = true;
    responder = std::move(p->responder);
  }
  responder.send(std::move(response));
  metrics_.webhook(p->source, outcome);
  metrics_.webhook_seconds(p->source, seconds_since(p->started));
  --pending_;
}

}  // namespace atlas::router
