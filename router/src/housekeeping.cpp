#include "atlas/router/housekeeping.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <pqxx/result>

namespace atlas::router {

Housekeeping::Housekeeping(HousekeepingOptions options, pg::Pool& pool, RouterStore& store,
                           kafka::Admin& admin, RouterMetrics& metrics, Logger& logger,
                           LagSource lags)
    : options_(std::move(options)),
      pool_(pool),
      store_(store),
      admin_(admin),
      metrics_(metrics),
      logger_(logger),
      lags_(std::move(lags)) {}

Housekeeping::~Housekeeping() { stop(); }

CheckResult Housekeeping::database() const {
  std::lock_guard lock(mutex_);
  return database_;
}

CheckResult Housekeeping::kafka() const {
  std::lock_guard lock(mutex_);
  return kafka_;
}

void Housekeeping::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Housekeeping::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) return;
    }
    run_once();
  }
}

void Housekeeping::run_once() {
  CheckResult db{true, "SELECT 1 answered"};
  try {
    pool_.ping(options_.timeout);
  } catch (const std::exception& e) {
    db = {false, pool_.redact(e.what())};
  }
  CheckResult kafka{true, "metadata answered"};
  try {
    const auto info = admin_.describe_cluster(options_.timeout);
    kafka.detail = std::to_string(info.brokers.size()) + " broker(s) answered";
  } catch (const std::exception& e) {
    kafka = {false, e.what()};
  }
  {
    std::lock_guard lock(mutex_);
    if (database_.ok && !db.ok) logger_.warn("database check failed", {{"error", db.detail}});
    if (kafka_.ok && !kafka.ok) logger_.warn("Kafka check failed", {{"error", kafka.detail}});
    database_ = db;
    kafka_ = kafka;
  }
  if (lags_) {
    for (const auto& [group, lag] : lags_()) metrics_.consumer_lag(group, lag);
  }
  if (db.ok && kafka.ok) update_dead_letter_count();
  if (db.ok && std::chrono::steady_clock::now() >= next_prune_) {
    next_prune_ = std::chrono::steady_clock::now() + options_.prune_interval;
    try {
      const std::size_t pruned = store_.prune(10'000);
      if (pruned > 0) logger_.debug("expired webhook dedupe keys pruned", {{"rows", pruned}});
    } catch (const std::exception& e) {
      logger_.warn("pruning webhook dedupe keys failed", {{"error", pool_.redact(e.what())}});
    }
  }
}

void Housekeeping::update_dead_letter_count() {
  try {
    const auto offsets = admin_.group_offsets(kDlqAdminGroup, options_.topic_dlq, options_.timeout);
    std::int64_t total = 0;
    nlohmann::json from = nlohmann::json::array();  // [{"p": partition, "o": first unpurged offset}]
    for (const auto& po : offsets) {
      const std::int64_t start = std::max<std::int64_t>(po.committed.value_or(0), std::max<std::int64_t>(po.low, 0));
      if (po.high > start) total += po.high - start;
      from.push_back({{"p", po.partition}, {"o", start}});
    }
    std::int64_t replayed = 0;
    if (total > 0) {
      replayed = pool_.with_transaction([&](pqxx::work& tx) {
        const pqxx::result r = tx.exec_params(
            "SELECT count(*) FROM public.router_dlq_replays r "
            "JOIN jsonb_to_recordset($2::jsonb) AS c(p integer, o bigint) "
            "  ON r.\"partition\" = c.p AND r.\"offset\" >= c.o "
            "WHERE r.topic = $1",
            options_.topic_dlq, from.dump());
        return r[0][0].as<long long>();
      });
    }
    metrics_.dead_letter_count.Set(static_cast<double>(std::max<std::int64_t>(0, total - replayed)));
  } catch (const std::exception& e) {
    logger_.debug("dead_letter_count not updated", {{"error", pool_.redact(e.what())}});
  }
}

}  // namespace atlas::router
