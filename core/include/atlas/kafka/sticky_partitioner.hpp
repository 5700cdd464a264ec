#pragma once
// A sticky partitioner for keyed records whose order does not matter (each
// is a task of its own): every record of a short window goes to one
// partition, the next window to the next available partition. librdkafka
// 2.0 sends one ProduceRequest per partition, so records spread by key hash
// over N partitions make N small requests per linger period; stuck to one
// partition they make one large one. The keys are kept (DESIGN: the record
// key is the task id); only the key-to-partition mapping is given up. This
// is what librdkafka and the Java client do for records without a key
// (KIP-480, sticky.partitioning.linger.ms), applied to keyed ones.
//
// Windows are slots of the steady clock (now / window). pick() is called by
// librdkafka from any producing thread, concurrently: the slot and its
// partition are one atomic word, and a thread that moves on does so with a
// compare-and-swap, so every record of a slot goes to the partition the
// first mover chose.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

namespace atlas::kafka {

class StickyPartitioner {
 public:
  using Clock = std::chrono::steady_clock;

  // `first` picks where the rotation starts (0 .. partitions-1 after the
  // modulo); replicas start at random places so they do not move in step.
  explicit StickyPartitioner(Clock::duration window, std::uint32_t first = std::random_device{}())
      : window_(std::max<Clock::rep>(1, window.count())),
        state_(pack(kNoSlot, static_cast<std::int32_t>(first & kPartitionMask))) {}

  // The partition for a record produced at `now`, out of `partition_count`
  // (> 0); `available(p)` says whether partition p has a leader. The slot's
  // partition is kept while it is available; when it is not, or the slot is
  // over, the next available one in turn takes over. With none available
  // (leaders not known yet, say) the slot's partition is kept, or the next
  // in turn taken: librdkafka holds the record until a leader is known or
  // message.timeout.ms passes.
  template <typename Available>
  std::int32_t pick(std::int32_t partition_count, Clock::time_point now, Available&& available) {
    const std::uint64_t slot = static_cast<std::uint64_t>(now.time_since_epoch().count() / window_);
    std::uint64_t state = state_.load(std::memory_order_acquire);
    for (;;) {
      const std::int32_t current = partition_of(state);
      const bool in_slot = slot_of(state) == (slot & kSlotMask) && current < partition_count;
      if (in_slot && available(current)) return current;
      const std::int32_t from = current % partition_count;
      std::int32_t next = -1;
      for (std::int32_t step = 1; step <= partition_count && next < 0; ++step) {
        const std::int32_t candidate = (from + step) % partition_count;
        if (available(candidate)) next = candidate;
      }
      if (next < 0) {
        if (in_slot) return current;
        next = (from + 1) % partition_count;
      }
      if (state_.compare_exchange_weak(state, pack(slot, next), std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        return next;
      }
      // Another thread moved first; `state` now holds its choice.
    }
  }

 private:
  static constexpr int kPartitionBits = 24;
  static constexpr std::uint64_t kPartitionMask = (std::uint64_t{1} << kPartitionBits) - 1;
  static constexpr std::uint64_t kSlotMask = ~std::uint64_t{0} >> kPartitionBits;
  static constexpr std::uint64_t kNoSlot = kSlotMask;  // before the first pick

  static std::uint64_t pack(std::uint64_t slot, std::int32_t partition) {
    return ((slot & kSlotMask) << kPartitionBits) |
           (static_cast<std::uint64_t>(partition) & kPartitionMask);
  }
  static std::uint64_t slot_of(std::uint64_t state) { return state >> kPartitionBits; }
  static std::int32_t partition_of(std::uint64_t state) {
    return static_cast<std::int32_t>(state & kPartitionMask);
  }

  const Clock::rep window_;           // Clock ticks
  std::atomic<std::uint64_t> state_;  // slot << kPartitionBits | partition
};

}  // namespace atlas::kafka
