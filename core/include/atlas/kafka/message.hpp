#pragma once
// What the Consumer hands to a handler: an owned copy of a Kafka message, and
// the Completion the handler calls when it is done with it.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "atlas/offset_tracker.hpp"

namespace atlas::kafka {

struct Message {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<std::string> key;       // nullopt: the record had no key
  std::string value;                    // bytes, as produced
  std::vector<std::pair<std::string, std::string>> headers;  // bytes, in record order
  std::optional<std::int64_t> timestamp_ms;  // epoch ms (create or log-append time)

  // The value of the first header called `name`, or nullptr.
  [[nodiscard]] const std::string* header(std::string_view name) const;
};

namespace detail {
class CompletionQueue;
}

// Reports one message as processed. Move-only; call it exactly once, from any
// thread, when the work for the message is finished (reply published, dead
// letter acknowledged, ...). Calling it again does nothing. A Completion
// destroyed without being called is a bug in the handler: the consumer logs
// an error and never stores an offset past that message, so it will be
// redelivered after the next restart or rebalance instead of being lost.
class Completion {
 public:
  Completion() noexcept;  // empty: calling it does nothing
  Completion(Completion&& other) noexcept;
  Completion& operator=(Completion&& other) noexcept;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  ~Completion();

  void operator()() const noexcept;
  // True while the Completion refers to a message and has not been called.
  [[nodiscard]] bool pending() const noexcept;

  // Used by the Consumer.
  Completion(std::shared_ptr<detail::CompletionQueue> queue, TopicPartition tp,
             std::int64_t offset, OffsetTracker::Epoch epoch);

 private:
  struct State;
  void release() noexcept;  // reports an abandoned message, if still pending
  std::unique_ptr<State> state_;
};

namespace detail {

// The channel from Completions (any thread) to the consumer's poll thread.
// Shared with every Completion, so a Completion may outlive the Consumer.
class CompletionQueue {
 public:
  struct Event {
    TopicPartition tp;
    std::int64_t offset = -1;
    OffsetTracker::Epoch epoch = 0;
    bool abandoned = false;  // destroyed without being called
  };
  using Wake = void (*)(void* arg);

  void push(Event event);
  [[nodiscard]] std::vector<Event> take();
  // `wake(arg)` runs after each push (the consumer interrupts its poll with
  // it); pass nullptr to detach before the consumer goes away.
  void set_wake(Wake wake, void* arg);

 private:
  std::mutex mutex_;
  std::vector<Event> events_;
  Wake wake_ = nullptr;
  void* wake_arg_ = nullptr;
};

}  // namespace detail
}  // namespace atlas::kafka
