#pragma once
// The retry scheduler's pure part: items with due times in a min-heap.
// The adapter consumes architect_retry, push()es each record at
// due_time(record), wakes after time_until_next(), and re-injects what
// pop_due() returns (see plan_reinjection). Items due at the same time come
// out in the order they were pushed. Not thread-safe: one owner.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace atlas::router {

template <class T>
class DueQueue {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  void push(TimePoint due, T item) {
    heap_.push_back(Entry{due, next_seq_++, std::move(item)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  // Removes and returns the items due at `now` (due <= now), earliest first,
  // at most `max_items` of them.
  std::vector<T> pop_due(TimePoint now,
                         std::size_t max_items = std::numeric_limits<std::size_t>::max()) {
    std::vector<T> out;
    while (!heap_.empty() && out.size() < max_items && heap_.front().due <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      out.push_back(std::move(heap_.back().item));
      heap_.pop_back();
    }
    return out;
  }

  // How long until the earliest item is due: 0 when one is due already,
  // nullopt when the queue is empty (sleep until something arrives).
  [[nodiscard]] std::optional<std::chrono::milliseconds> time_until_next(TimePoint now) const {
    if (heap_.empty()) return std::nullopt;
    const auto due = heap_.front().due;
    if (due <= now) return std::chrono::milliseconds(0);
    // Round up, so waking after the wait finds the item due.
    return std::chrono::ceil<std::chrono::milliseconds>(due - now);
  }

  [[nodiscard]] std::optional<TimePoint> next_due() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
  }

  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  [[nodiscard]] bool empty() const { return heap_.empty(); }

 private:
  struct Entry {
    TimePoint due;
    std::uint64_t seq;
    T item;
  };
  // std heap functions build a max-heap; "later" entries sink, so the top is
  // the earliest due (and, among equals, the first pushed).
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace atlas::router
