#pragma once
// The router's periodic chores, on one thread of their own (they block on
// the database and the broker with time-outs):
//
//   - readiness: a database ping and a Kafka metadata request every interval;
//     /readyz reads the results (cheap, never blocking an I/O thread);
//   - dead_letter_count: dead letters in architect_dlq past the purge point
//     (the committed offsets of the consumer group atlas-dlq-admin, which
//     `atlasctl dlq purge` advances) minus those `atlasctl dlq replay`
//     re-injected (router_dlq_replays);
//   - atlas_consumer_lag_messages for the router's consumer groups;
//   - pruning expired webhook dedupe keys (every prune_interval).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "atlas/kafka/admin.hpp"
#include "atlas/log.hpp"
#include "atlas/metrics.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/router/metrics.hpp"
#include "atlas/router/store.hpp"

namespace atlas::router {

// The consumer group whose committed offsets mark how far architect_dlq is
// purged. Nothing ever joins it; atlasctl commits to it (core/apps/atlasctl/cmd_dlq.cpp).
inline constexpr const char* kDlqAdminGroup = "atlas-dlq-admin";

struct HousekeepingOptions {
  std::chrono::milliseconds interval{5'000};
  std::chrono::milliseconds prune_interval{60'000};
  std::chrono::milliseconds timeout{3'000};  // per database / broker call
  std::string topic_dlq = "architect_dlq";
};

class Housekeeping {
 public:
  // (group, lag) pairs of the router's consumers.
  using LagSource = std::function<std::vector<std::pair<std::string, std::int64_t>>()>;

  Housekeeping(HousekeepingOptions options, pg::Pool& pool, RouterStore& store,
               kafka::Admin& admin, RouterMetrics& metrics, Logger& logger, LagSource lags);
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  // One round of checks, on the calling thread (start-up runs one first).
  void run_once();
  void start();
  void stop();

  [[nodiscard]] CheckResult database() const;
  [[nodiscard]] CheckResult kafka() const;

 private:
  void run();
  void update_dead_letter_count();

  HousekeepingOptions options_;
  pg::Pool& pool_;
  RouterStore& store_;
  kafka::Admin& admin_;
  RouterMetrics& metrics_;
  Logger& logger_;
  LagSource lags_;
  mutable std::mutex mutex_;
  CheckResult database_{false, "not checked yet"};  // guarded by mutex_
  CheckResult kafka_{false, "not checked yet"};     // guarded by mutex_
  std::chrono::steady_clock::time_point next_prune_{};
  bool stopping_ = false;  // guarded by mutex_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace atlas::router
