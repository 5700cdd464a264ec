#include "atlas/work_pool.hpp"

#include <exception>

namespace atlas {

WorkPool::Reservation::~Reservation() {
  if (pool_ != nullptr) pool_->release_reservation(std::nullopt);
}

void WorkPool::Reservation::post(Task task) {
  if (pool_ == nullptr) return;
  WorkPool* pool = pool_;
  pool_ = nullptr;
  pool->release_reservation(std::move(task));
}

WorkPool::WorkPool(std::string name, std::size_t threads, std::size_t capacity, Logger& logger)
    : name_(std::move(name)), capacity_(capacity), logger_(logger) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || tasks_.size() + reserved_ >= capacity_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

bool WorkPool::post_unbounded(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

std::optional<WorkPool::Reservation> WorkPool::reserve() {
  std::lock_guard lock(mutex_);
  if (stopping_ || tasks_.size() + reserved_ >= capacity_) return std::nullopt;
  ++reserved_;
  return Reservation(this);
}

void WorkPool::release_reservation(std::optional<Task> task) {
  {
    std::lock_guard lock(mutex_);
    --reserved_;
    // A reservation taken before stop() still runs: its owner has promised
    // the work to someone (a 202 was or will be sent).
    if (task) tasks_.push_back(std::move(*task));
  }
  wake_.notify_all();  // threads draining after stop() wait for reserved_ == 0
}

void WorkPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // Reservations posted after the threads ended run here.
  std::deque<Task> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(tasks_);
  }
  for (Task& task : left) {
    try {
      task();
    } catch (...) {
    }
  }
}

std::size_t WorkPool::queued() const {
  std::lock_guard lock(mutex_);
  return tasks_.size() + reserved_;
}

std::size_t WorkPool::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

void WorkPool::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) {
        if (reserved_ == 0) return;  // stopping, nothing left and nothing promised
        wake_.wait(lock, [this] { return !tasks_.empty() || reserved_ == 0; });
        if (tasks_.empty()) return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++running_;
    }
    try {
      task();
    } catch (const std::exception& e) {
      logger_.error("task threw; it was dropped", {{"pool", name_}, {"error", e.what()}});
    } catch (...) {
      logger_.error("task threw; it was dropped", {{"pool", name_}});
    }
    {
      std::lock_guard lock(mutex_);
      --running_;
    }
  }
}

}  // namespace atlas
