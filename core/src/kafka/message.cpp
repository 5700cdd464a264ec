#include "atlas/kafka/message.hpp"

#include <atomic>

namespace atlas::kafka {

const std::string* Message::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

struct Completion::State {
  std::shared_ptr<detail::CompletionQueue> queue;
  TopicPartition tp;
  std::int64_t offset = -1;
  OffsetTracker::Epoch epoch = 0;
  std::atomic<bool> called{false};
};

Completion::Completion(std::shared_ptr<detail::CompletionQueue> queue, TopicPartition tp,
                       std::int64_t offset, OffsetTracker::Epoch epoch)
    : state_(std::make_unique<State>()) {
  state_->queue = std::move(queue);
  state_->tp = std::move(tp);
  state_->offset = offset;
  state_->epoch = epoch;
}

Completion::Completion() noexcept = default;
Completion::Completion(Completion&& other) noexcept = default;

Completion& Completion::operator=(Completion&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
  }
  return *this;
}

Completion::~Completion() { release(); }

void Completion::operator()() const noexcept {
  if (!state_ || state_->called.exchange(true)) return;
  try {
    state_->queue->push({state_->tp, state_->offset, state_->epoch, false});
  } catch (...) {  // allocation failure: the message stays unfinished, never lost
  }
}

bool Completion::pending() const noexcept {
  return state_ && !state_->called.load();
}

void Completion::release() noexcept {
  if (!state_ || state_->called.exchange(true)) return;
  try {
    state_->queue->push({state_->tp, state_->offset, state_->epoch, true});
  } catch (...) {
  }
}

namespace detail {

void CompletionQueue::push(Event event) {
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
  if (wake_ != nullptr) wake_(wake_arg_);
}

std::vector<CompletionQueue::Event> CompletionQueue::take() {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

void CompletionQueue::set_wake(Wake wake, void* arg) {
  std::lock_guard lock(mutex_);
  wake_ = wake;
  wake_arg_ = arg;
}

}  // namespace detail
}  // namespace atlas::kafka
