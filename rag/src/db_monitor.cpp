#include "atlas/rag/db_monitor.hpp"

#include "atlas/rag/failure.hpp"

namespace atlas::rag {

DbMonitor::DbMonitor(pg::Pool& pool, Store& store, RagMetrics& metrics, Logger& logger,
                     std::chrono::milliseconds interval)
    : pool_(pool), store_(store), metrics_(metrics), logger_(logger), interval_(interval) {
  check();
  thread_ = std::thread([this] { loop(); });
}

DbMonitor::~DbMonitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CheckResult DbMonitor::readiness() const {
  std::lock_guard lock(mutex_);
  return {up_.load(), detail_};
}

void DbMonitor::check() {
  std::string detail;
  bool up = false;
  try {
    pool_.ping(interval_ + std::chrono::seconds(1));
    up = true;
    detail = "database reachable";
  } catch (...) {
    detail = classify_current_exception().reason;
  }
  // The counts scan the tables: refreshed less often, and their failure
  // (a statement time-out on a huge table, say) says nothing about readiness.
  if (up && checks_++ % kCountEvery == 0) {
    try {
      const StoreCounts counts = store_.counts();
      metrics_.chunks.Set(static_cast<double>(counts.chunks));
      counts_detail_ = "; " + std::to_string(counts.sources) + " sources, " +
                       std::to_string(counts.chunks) + " chunks";
    } catch (...) {
      counts_detail_ = "; counts unavailable: " + classify_current_exception().reason;
    }
  }
  if (up) detail += counts_detail_;
  const bool was_up = up_.exchange(up);
  metrics_.database_up.Set(up ? 1.0 : 0.0);
  if (first_check_ || was_up != up) {
    first_check_ = false;
    if (up) {
      logger_.info("database reachable", {{"database", pool_.display_name()}});
    } else {
      logger_.error("database unreachable", {{"database", pool_.display_name()}, {"error", detail}});
    }
  }
  std::lock_guard lock(mutex_);
  detail_ = std::move(detail);
}

void DbMonitor::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    lock.unlock();
    check();
    lock.lock();
  }
}

}  // namespace atlas::rag
