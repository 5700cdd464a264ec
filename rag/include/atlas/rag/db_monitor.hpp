#pragma once
// Keeps the database's health where /readyz can read it without blocking: a
// thread pings the pool every `interval` (SELECT 1) and stores the outcome in
// an atomic flag plus a detail string; every 10th check it also refreshes the
// chunk gauge (atlas_rag_chunks).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "atlas/log.hpp"
#include "atlas/metrics.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/rag/metrics.hpp"
#include "atlas/rag/store.hpp"

namespace atlas::rag {

class DbMonitor {
 public:
  // Checks once at once (on the calling thread), then every `interval`.
  DbMonitor(pg::Pool& pool, Store& store, RagMetrics& metrics, Logger& logger,
            std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~DbMonitor();
  DbMonitor(const DbMonitor&) = delete;
  DbMonitor& operator=(const DbMonitor&) = delete;

  // For ObservabilityEndpoints::add_readiness_check: cheap, never blocks on
  // the database.
  [[nodiscard]] CheckResult readiness() const;

 private:
  void check();
  void loop();

  pg::Pool& pool_;
  Store& store_;
  RagMetrics& metrics_;
  Logger& logger_;
  const std::chrono::milliseconds interval_;
  static constexpr unsigned kCountEvery = 10;  // count chunks every 10th check

  std::atomic<bool> up_{false};
  // Touched by check() only, which never runs concurrently.
  bool first_check_ = true;
  unsigned checks_ = 0;
  std::string counts_detail_;
  mutable std::mutex mutex_;
  std::string detail_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace atlas::rag
