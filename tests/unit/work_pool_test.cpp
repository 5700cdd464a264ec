#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "atlas/work_pool.hpp"

using atlas::WorkPool;
using namespace std::chrono_literals;

namespace {

// A latch the tasks wait on, so the test controls when they finish.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;

  void wait() {
    std::unique_lock lock(mutex);
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void wait_for_waiters(int n) {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 5s, [&] { return waiting >= n; }));
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

atlas::Logger quiet_logger() {
  return atlas::Logger("test", atlas::LogLevel::error, atlas::LogFormat::json, nullptr,
                       [](std::string_view) {});
}

}  // namespace

TEST_CASE("work pool: runs tasks, refuses them beyond capacity, and drains on stop") {
  atlas::Logger logger = quiet_logger();
  Gate gate;
  std::atomic<int> done{0};
  {
    WorkPool pool("test", 1, 2, logger);
    REQUIRE(pool.try_post([&] { gate.wait(); ++done; }));
    gate.wait_for_waiters(1);  // the one thread is busy
    CHECK(pool.running() == 1);
    CHECK(pool.try_post([&] { ++done; }));
    CHECK(pool.try_post([&] { ++done; }));
    CHECK_FALSE(pool.try_post([&] { ++done; }));  // 2 waiting: full
    CHECK(pool.queued() == 2);
    CHECK(pool.post_unbounded([&] { ++done; }));   // the bound is someone else's
    CHECK(pool.queued() == 3);
    gate.release();
    pool.stop();  // runs what was queued
    CHECK(done == 4);
    CHECK_FALSE(pool.try_post([&] { ++done; }));
    CHECK_FALSE(pool.post_unbounded([&] { ++done; }));
  }
  CHECK(done == 4);
}

TEST_CASE("work pool: a reservation holds a place until posted or dropped") {
  atlas::Logger logger = quiet_logger();
  Gate gate;
  std::atomic<int> done{0};
  WorkPool pool("test", 1, 1, logger);
  REQUIRE(pool.try_post([&] { gate.wait(); }));
  gate.wait_for_waiters(1);
  {
    auto place = pool.reserve();
    REQUIRE(place.has_value());
    CHECK_FALSE(pool.reserve().has_value());
    CHECK_FALSE(pool.try_post([&] { ++done; }));
  }  // dropped: the place is free again
  auto place = pool.reserve();
  REQUIRE(place.has_value());
  place->post([&] { ++done; });
  gate.release();
  pool.stop();
  CHECK(done == 1);
}

TEST_CASE("work pool: a task that throws is logged and the pool keeps working") {
  std::vector<std::string> lines;
  std::mutex mutex;
  atlas::Logger logger("test", atlas::LogLevel::info, atlas::LogFormat::json, nullptr,
                       [&](std::string_view line) {
                         std::lock_guard lock(mutex);
                         lines.emplace_back(line);
                       });
  std::atomic<int> done{0};
  WorkPool pool("test", 2, 10, logger);
  CHECK(pool.try_post([] { throw std::runtime_error("boom"); }));
  CHECK(pool.try_post([&] { ++done; }));
  pool.stop();
  CHECK(done == 1);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("boom") != std::string::npos);
}
