#include "atlas/router/delivery_service.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "atlas/envelope.hpp"
#include "atlas/failure_headers.hpp"

namespace atlas::router {
namespace {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

constexpr std::chrono::milliseconds kDbRetryFirst{500};
constexpr std::chrono::milliseconds kDbRetryMax{30'000};

kafka::ConsumerOptions consumer_options(const DeliveryOptions& o) {
  kafka::ConsumerOptions c;
  c.group_id = o.group_id;
  c.topics = {o.topic_out};
  c.client_id = "atlas-router-delivery";
  c.max_inflight = o.max_inflight;
  c.shutdown_grace = o.shutdown_grace;
  return c;
}

ConsumedRecord consumed(const kafka::Message& m) {
  ConsumedRecord r;
  r.topic = m.topic;
  r.partition = m.partition;
  r.offset = m.offset;
  r.key = m.key;
  r.value = m.value;
  r.headers = m.headers;
  return r;
}

}  // namespace

// One architect_out message on its way through record -> route -> post.
struct DeliveryService::Job {
  kafka::Message message;
  kafka::Completion done;
  std::optional<Envelope> envelope;
  std::string task_id;  // for logs ("" when the value is not an envelope)
  std::string channel = "none";
  SteadyClock::time_point attempt_started;
  std::chrono::milliseconds db_backoff = kDbRetryFirst;
  int delivered_parts = 0;  // Slack parts posted, earlier attempts included
};

DeliveryService::DeliveryService(const KafkaSettings& kafka, DeliveryOptions options,
                                 RouterStore& store, http::Client& client, Publisher& publisher,
                                 boost::asio::thread_pool& work, RouterMetrics& metrics,
                                 Logger& logger)
    : options_(std::move(options)),
      store_(store),
      client_(client),
      publisher_(publisher),
      work_(work),
      metrics_(metrics),
      logger_(logger),
      policy_(options_.retry, make_jitter_source()),
      limiter_(options_.slack_channel_interval),
      consumer_(kafka, consumer_options(options_), logger) {}

DeliveryService::~DeliveryService() { stop(); }

void DeliveryService::run() {
  consumer_.run([this](kafka::Message message, kafka::Completion done) {
    handle(std::move(message), std::move(done));
  });
}

void DeliveryService::stop() { consumer_.stop(); }

// Timers keep running while the consumer shuts down: its grace period waits
// for in-flight messages, which may still finish. Whatever is still waiting
// when the work pool stops is dropped with the pool, after the consumer has
// closed, and is redelivered after the restart.
void DeliveryService::later(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(work_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

// On the consumer's poll thread: hand the message to the pool.
void DeliveryService::handle(kafka::Message message, kafka::Completion done) {
  auto job = std::make_shared<Job>();
  job->message = std::move(message);
  job->done = std::move(done);
  boost::asio::post(work_, [this, job] { process(job); });
}

void DeliveryService::process(const JobPtr& job) {
  if (!job->envelope) {
    ParseResult parsed = parse_envelope(job->message.value);
    if (!parsed.ok()) {
      // G5: invalid input is dead-lettered at once, never retried.
      Failure f;
      f.retryable = false;
      f.error_class = "invalid_input";
      f.error = "architect_out message is not a valid envelope: " + parsed.error().describe();
      logger_.warn("invalid message on architect_out; dead-lettering it",
                   {{"partition", job->message.partition},
                    {"offset", job->message.offset},
                    {"error", f.error}});
      failed(job, f);
      return;
    }
    job->envelope = std::move(parsed).value();
    job->task_id = job->envelope->task_id;
    const auto prior = parse_failure_headers(job->message.headers, options_.failure.max_attempts);
    job->delivered_parts = prior.headers.delivered_parts;
  }

  // G2: recorded once, before anything is posted.
  try {
    store_.record_reply(job->task_id, job->message.value);
  } catch (const std::exception& e) {
    logger_.warn("architect_out message not recorded in PostgreSQL; trying again",
                 {{"task_id", job->task_id},
                  {"error", e.what()},
                  {"retry_in_ms", job->db_backoff.count()}});
    const auto wait = job->db_backoff;
    job->db_backoff = std::min(job->db_backoff * 2, kDbRetryMax);
    later(wait, [this, job] { process(job); });
    return;
  }
  route(job);
}

void DeliveryService::route(const JobPtr& job) {
  const DeliveryRoute where = route_delivery(*job->envelope);
  if (const auto* only = std::get_if<RecordOnly>(&where)) {
    metrics_.delivery("none", "skipped");
    logger_.debug("architect_out message recorded, nothing to post",
                  {{"task_id", job->task_id}, {"reason", only->reason}});
    job->done();
    return;
  }
  if (const auto* bad = std::get_if<Undeliverable>(&where)) {
    const auto kind = job->envelope->origin_kind();
    job->channel = kind ? std::string(to_string(*kind)) : "none";
    failed(job, Failure{false, std::nullopt, "reply cannot be delivered: " + bad->reason,
                        "delivery_failed", 0});
    return;
  }
  job->attempt_started = SteadyClock::now();
  if (const auto* slack = std::get_if<SlackDestination>(&where)) {
    job->channel = "slack";
    deliver_slack(job, *slack);
  } else {
    job->channel = "github";
    deliver_github(job, std::get<GithubDestination>(where));
  }
}

// --- Slack ------------------------------------------------------------------

void DeliveryService::deliver_slack(const JobPtr& job, const SlackDestination& to) {
  if (!options_.slack) {
    failed(job, Failure{false, std::nullopt,
                        "SLACK_BOT_TOKEN is not set: the router cannot post to Slack",
                        "delivery_failed", 0});
    return;
  }
  auto parts = std::make_shared<std::vector<http::ClientRequest>>(
      slack_post_requests(to, job->envelope->text(), *options_.slack, job->task_id));
  const auto first = static_cast<std::size_t>(std::max(0, job->delivered_parts));
  send_slack_part(job, parts, first);
}

void DeliveryService::send_slack_part(const JobPtr& job,
                                      std::shared_ptr<std::vector<http::ClientRequest>> parts,
                                      std::size_t index) {
  if (index >= parts->size()) {
    delivered(job);
    return;
  }
  const SlackDestination to = std::get<SlackDestination>(route_delivery(*job->envelope));
  SteadyClock::time_point slot;
  {
    std::lock_guard lock(limiter_mutex_);
    slot = limiter_.reserve(to.channel_key(), SteadyClock::now());
  }
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(slot - SteadyClock::now());
  auto send = [this, job, parts, index, key = to.channel_key()] {
    client_.send((*parts)[index], [this, job, parts, index, key](http::ClientResponse response) {
      // On the client's thread: classify (pure) and hand back to the pool.
      const DeliveryOutcome outcome = classify_slack_response(response, SystemClock::now());
      boost::asio::post(work_, [this, job, parts, index, key, outcome] {
        if (std::holds_alternative<Delivered>(outcome)) {
          job->delivered_parts = static_cast<int>(index) + 1;
          send_slack_part(job, parts, index + 1);
          return;
        }
        if (const auto* retry = std::get_if<RetryLater>(&outcome); retry && retry->after) {
          std::lock_guard lock(limiter_mutex_);
          limiter_.hold(key, SteadyClock::now() + *retry->after);
        }
        failed(job, *failure_from(outcome, static_cast<int>(index)));
      });
    });
  };
  if (wait.count() > 0) {
    later(wait, std::move(send));
  } else {
    send();
  }
}

// --- GitHub -----------------------------------------------------------------

void DeliveryService::deliver_github(const JobPtr& job, const GithubDestination& to) {
  if (options_.github_token) {
    post_github_comment(job, to, *options_.github_token);
    return;
  }
  if (!options_.github_app_id || !options_.github_app_key) {
    failed(job, Failure{false, std::nullopt,
                        "no GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_ID and "
                        "GITHUB_APP_PRIVATE_KEY",
                        "delivery_failed", 0});
    return;
  }
  if (!to.installation_id) {
    failed(job, Failure{false, std::nullopt,
                        "origin has no installation_id, which GitHub App authentication needs",
                        "delivery_failed", 0});
    return;
  }
  const std::int64_t installation = *to.installation_id;
  // What to do once the installation token is known (or cannot be had).
  TokenWaiter next = [this, job, to](const std::optional<std::string>& token,
                                     const std::optional<Failure>& failure) {
    if (token) {
      post_github_comment(job, to, *token);
    } else {
      failed(job, *failure);
    }
  };
  std::optional<std::string> cached;
  {
    std::lock_guard lock(tokens_mutex_);
    cached = tokens_.get(installation, SystemClock::now());
    if (!cached) {
      // One exchange per installation at a time: later deliveries wait for it.
      auto& waiters = token_waiters_[installation];
      waiters.push_back(std::move(next));
      if (waiters.size() > 1) return;
    }
  }
  if (cached) {
    next(cached, std::nullopt);
    return;
  }
  fetch_installation_token(installation);
}

void DeliveryService::fetch_installation_token(std::int64_t installation) {
  // Hands the outcome to every delivery waiting for this installation.
  auto finish = [this, installation](const std::optional<std::string>& token,
                                     const std::optional<Failure>& failure) {
    std::vector<TokenWaiter> waiters;
    {
      std::lock_guard lock(tokens_mutex_);
      waiters = std::move(token_waiters_[installation]);
      token_waiters_.erase(installation);
    }
    for (auto& waiter : waiters) waiter(token, failure);
  };
  std::string jwt;
  try {
    jwt = make_github_app_jwt(*options_.github_app_id, *options_.github_app_key, SystemClock::now());
  } catch (const std::exception& e) {
    finish(std::nullopt, Failure{false, std::nullopt,
                                 std::string("cannot sign the GitHub App JWT: ") + e.what(),
                                 "delivery_failed", 0});
    return;
  }
  http::ClientRequest request = installation_token_request(options_.github.api_url, installation, jwt);
  request.timeout = options_.github.timeout;
  client_.send(std::move(request), [this, installation, finish](http::ClientResponse response) {
    const DeliveryOutcome outcome = classify_github_response(response, SystemClock::now());
    boost::asio::post(work_, [this, installation, finish, outcome, body = std::move(response.body)] {
      if (!std::holds_alternative<Delivered>(outcome)) {
        Failure f = *failure_from(outcome);
        f.error = "installation token: " + f.error;
        finish(std::nullopt, f);
        return;
      }
      std::string error;
      auto token = parse_installation_token(body, error);
      if (!token) {
        finish(std::nullopt, Failure{true, std::nullopt, error, "delivery_failed", 0});
        return;
      }
      const std::string value = token->token;
      {
        std::lock_guard lock(tokens_mutex_);
        tokens_.put(installation, std::move(*token));
      }
      finish(value, std::nullopt);
    });
  });
}

void DeliveryService::post_github_comment(const JobPtr& job, const GithubDestination& to,
                                          const std::string& token) {
  http::ClientRequest request =
      github_comment_request(to, job->envelope->text(), options_.github, token, job->task_id);
  client_.send(std::move(request), [this, job, to](http::ClientResponse response) {
    const DeliveryOutcome outcome = classify_github_response(response, SystemClock::now());
    boost::asio::post(work_, [this, job, to, outcome] {
      if (std::holds_alternative<Delivered>(outcome)) {
        delivered(job);
        return;
      }
      if (const auto* p = std::get_if<Permanent>(&outcome);
          p && p->credentials_rejected && to.installation_id && !options_.github_token) {
        std::lock_guard lock(tokens_mutex_);
        tokens_.invalidate(*to.installation_id);
      }
      failed(job, *failure_from(outcome));
    });
  });
}

// --- outcomes ---------------------------------------------------------------

void DeliveryService::delivered(const JobPtr& job) {
  metrics_.delivery(job->channel, "delivered");
  metrics_.delivery_seconds(
      job->channel, std::chrono::duration<double>(SteadyClock::now() - job->attempt_started).count());
  logger_.info("reply delivered", {{"task_id", job->task_id},
                                   {"channel", job->channel},
                                   {"parent_id", job->envelope->parent_id().value_or("")}});
  job->done();
}

void DeliveryService::failed(const JobPtr& job, const Failure& failure) {
  if (job->channel != "none" && job->attempt_started != SteadyClock::time_point{}) {
    metrics_.delivery_seconds(
        job->channel,
        std::chrono::duration<double>(SteadyClock::now() - job->attempt_started).count());
  }
  FailureDecision decision = [&] {
    // The jitter source inside the policy is not thread-safe.
    std::lock_guard lock(policy_mutex_);
    return decide_failure(consumed(job->message), failure, policy_, options_.failure,
                          SystemClock::now());
  }();
  if (auto* retry = std::get_if<RetryRecord>(&decision)) {
    logger_.warn("delivery failed; retry scheduled",
                 {{"task_id", job->task_id},
                  {"channel", job->channel},
                  {"error", failure.error},
                  {"attempts", retry->headers.attempts},
                  {"retry_in_ms", retry->wait.count()}});
    publisher_.publish(std::move(retry->record), [this, job](const kafka::DeliveryResult&) {
      metrics_.delivery(job->channel, "retry");
      metrics_.retries_scheduled.Increment();
      job->done();
    });
    return;
  }
  dead_letter(job, std::move(std::get<DeadLetter>(decision)));
}

void DeliveryService::dead_letter(const JobPtr& job, DeadLetter dl) {
  logger_.error("delivery failed for good; dead-lettered",
                {{"task_id", job->task_id},
                 {"channel", job->channel},
                 {"reason", dl.reason},
                 {"attempts", dl.headers.attempts}});
  auto escalation = std::make_shared<std::optional<Envelope>>(std::move(dl.escalation));
  const std::string error_class = dl.headers.error_class;
  publisher_.publish(std::move(dl.record), [this, job, escalation, error_class](
                                               const kafka::DeliveryResult&) {
    metrics_.dead_letter(error_class);
    metrics_.delivery(job->channel, "dead_letter");
    if (!escalation->has_value()) {
      job->done();
      return;
    }
    kafka::Record record;
    record.topic = options_.topic_out;
    record.key = (*escalation)->kafka_key();
    record.value = serialize(**escalation);
    publisher_.publish(std::move(record), [this, job](const kafka::DeliveryResult&) {
      metrics_.escalations.Increment();
      job->done();
    });
  });
}

}  // namespace atlas::router
