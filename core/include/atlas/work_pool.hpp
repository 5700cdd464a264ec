#pragma once
// A fixed set of threads taking tasks from a bounded queue. The gateway runs
// every database call on one of these, never on an HTTP I/O thread, and
// answers through the Responder when the task is done.
//
//   WorkPool pool("query", 4, 64, logger);
//   if (!pool.try_post([...] { ... })) answer 503;   // queue full
//
// A slot can be reserved first and filled later (reserve(), then
// Reservation::post), so a caller can check for room before doing work that
// must be undone when there is none. Tasks must not throw; one that does is
// logged and dropped.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "atlas/log.hpp"

namespace atlas {

class WorkPool {
 public:
  using Task = std::function<void()>;

  // A place in the queue, held until post() or destruction (which gives it back).
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept : pool_(other.pool_) { other.pool_ = nullptr; }
    Reservation& operator=(Reservation&&) = delete;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();
    void post(Task task);

   private:
    friend class WorkPool;
    explicit Reservation(WorkPool* pool) : pool_(pool) {}
    WorkPool* pool_;
  };

  // `capacity`: tasks waiting (not running) at most, reservations included.
  WorkPool(std::string name, std::size_t threads, std::size_t capacity, Logger& logger);
  ~WorkPool();  // stop()
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // False when the queue is full or the pool is stopping.
  bool try_post(Task task);
  // Ignores the capacity (for callers bounded elsewhere, such as the Kafka
  // consumer's max_inflight). False only when stopping.
  bool post_unbounded(Task task);
  [[nodiscard]] std::optional<Reservation> reserve();

  // Stops taking tasks, runs those already queued, joins the threads.
  // Idempotent; must not be called from a task.
  void stop();

  [[nodiscard]] std::size_t queued() const;   // waiting tasks + reservations
  [[nodiscard]] std::size_t running() const;  // tasks being run now
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  void run();
  void release_reservation(std::optional<Task> task);

  const std::string name_;
  const std::size_t capacity_;
  Logger& logger_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  std::size_t reserved_ = 0;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace atlas
