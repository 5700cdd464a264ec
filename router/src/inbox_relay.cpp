#include "atlas/router/inbox_relay.hpp"

#include <algorithm>
#include <future>
#include <vector>

#include <pqxx/notification>
#include <pqxx/result>
#include <pqxx/transaction>

#include "atlas/envelope.hpp"
#include "atlas/failure_headers.hpp"
#include "atlas/router/store.hpp"
#include "atlas/uuid.hpp"

namespace atlas::router {
namespace {

// Receives NOTIFY architect_in_relay; the relay only needs to wake up, which
// await_notification() does by returning.
class RelayListener final : public pqxx::notification_receiver {
 public:
  explicit RelayListener(pqxx::connection_base& conn)
      : pqxx::notification_receiver(conn, kInboxRelayChannel) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {}
};

// What to publish for one row: the request, or a dead letter when the row's
// data is not a valid envelope.
struct Outgoing {
  long long id = 0;
  std::string task_id;
  bool dead_letter = false;
  std::string error;
  std::future<kafka::DeliveryResult> ack;
};

kafka::Record dead_letter_record(const std::string& dlq_topic, const std::string& topic_in,
                                 long long id, const std::string& task_id, std::string data,
                                 const std::string& error) {
  FailureHeaders h;
  h.original_topic = topic_in;  // where the row was meant to go
  h.attempts = 1;
  h.error_class = "invalid_input";
  h.error = error;
  h.component = "atlas-router";
  h.failed_at = std::chrono::system_clock::now();
  kafka::Record record;
  record.topic = dlq_topic;
  record.key = task_id;
  record.value = std::move(data);
  record.headers = failure_headers(h);
  record.headers.emplace_back("atlas-source", "postgres:public.architect_in id=" + std::to_string(id));
  return record;
}

}  // namespace

InboxRelay::InboxRelay(InboxRelayOptions options, pg::Pool& pool, kafka::Producer& producer,
                       RouterMetrics& metrics, Logger& logger)
    : options_(std::move(options)),
      pool_(pool),
      producer_(producer),
      metrics_(metrics),
      logger_(logger) {}

InboxRelay::~InboxRelay() { stop(); }

void InboxRelay::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void InboxRelay::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool InboxRelay::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void InboxRelay::run() {
  std::chrono::milliseconds backoff{250};
  const long poll_us = static_cast<long>(options_.poll_interval.count()) * 1000;
  while (!stopping_) {
    try {
      pg::Pool::Lease lease = pool_.lease(std::chrono::seconds(5));
      RelayListener listener(lease.connection());
      healthy_ = true;
      logger_.info("inbox relay listening", {{"channel", kInboxRelayChannel},
                                             {"poll_ms", options_.poll_interval.count()}});
      while (!stopping_) {
        int n = 0;
        do {
          n = relay_batch(lease.connection());
        } while (n == options_.batch_size && !stopping_);
        if (n < 0) {
          // Kafka refused something: wait before trying the same rows again.
          if (!pause(backoff)) break;
          backoff = std::min(backoff * 2, options_.max_backoff);
          continue;
        }
        backoff = std::chrono::milliseconds(250);
        // Returns on a NOTIFY, or after the poll interval.
        lease.connection().await_notification(poll_us / 1'000'000, poll_us % 1'000'000);
      }
      // The connection LISTENs: close it rather than hand it back to the pool.
      lease.mark_broken();
    } catch (const std::exception& e) {
      healthy_ = false;
      logger_.warn("inbox relay: database unavailable; retrying",
                   {{"error", pool_.redact(e.what())}, {"retry_in_ms", backoff.count()}});
      if (!pause(backoff)) break;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
  healthy_ = false;
}

int InboxRelay::relay_batch(pqxx::connection& conn) {
  pqxx::work tx(conn);
  const pqxx::result rows = tx.exec_params(
      "SELECT id, task_id::text, data::text FROM public.architect_in "
      "WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
      options_.batch_size);
  if (rows.empty()) {
    tx.commit();
    return 0;
  }

  std::vector<Outgoing> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    Outgoing o;
    o.id = row[0].as<long long>();
    o.task_id = row[1].as<std::string>();
    std::string data = row[2].as<std::string>();
    kafka::Record record;
    const ParseResult parsed = parse_envelope(data);
    const auto column_id = Uuid::parse(o.task_id);
    if (!parsed.ok()) {
      o.dead_letter = true;
      o.error = "architect_in row is not a valid envelope: " + parsed.error().describe();
    } else if (!column_id || Uuid::parse(parsed.value().task_id) != column_id) {
      o.dead_letter = true;
      o.error = "architect_in row's task_id column and data.task_id disagree";
    }
    if (o.dead_letter) {
      record = dead_letter_record(options_.topic_dlq, options_.topic_in, o.id, o.task_id,
                                  std::move(data), o.error);
    } else {
      record.topic = options_.topic_in;
      record.key = o.task_id;
      record.value = serialize(parsed.value());
    }
    o.ack = producer_.produce_async(std::move(record));
    out.push_back(std::move(o));
  }

  const auto deadline = std::chrono::steady_clock::now() + options_.ack_timeout;
  std::vector<std::string> stamped;
  bool failed = false;
  std::uint64_t relayed = 0;
  for (Outgoing& o : out) {
    if (o.ack.wait_until(deadline) != std::future_status::ready) {
      failed = true;
      logger_.warn("inbox relay: Kafka did not acknowledge a row in time; it stays unrelayed",
                   {{"task_id", o.task_id}, {"id", o.id}});
      continue;
    }
    const kafka::DeliveryResult r = o.ack.get();
    if (!r.ok) {
      failed = true;
      logger_.warn("inbox relay: Kafka refused a row; it stays unrelayed",
                   {{"task_id", o.task_id}, {"id", o.id}, {"error", r.error}});
      continue;
    }
    stamped.push_back(std::to_string(o.id));
    if (o.dead_letter) {
      metrics_.dead_letter("invalid_input");
      logger_.warn("inbox relay: invalid row sent to the dead-letter topic",
                   {{"task_id", o.task_id}, {"id", o.id}, {"error", o.error}});
    } else {
      ++relayed;
    }
  }
  if (!stamped.empty()) {
    tx.exec_params(
        // clock_timestamp(), not now(): the moment Kafka had acknowledged the rows.
        "UPDATE public.architect_in SET relayed_at = clock_timestamp() "
        "WHERE id = ANY ($1::bigint[])",
        pg_array_literal(stamped));
  }
  tx.commit();
  if (relayed > 0) {
    metrics_.inbox_relayed.Increment(static_cast<double>(relayed));
    relayed_ += relayed;
    logger_.debug("inbox relay: rows published", {{"rows", relayed}});
  }
  return failed ? -1 : static_cast<int>(rows.size());
}

}  // namespace atlas::router
