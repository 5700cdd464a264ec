#pragma once
// Offset tracking for a consumer that processes many messages at once
// (DESIGN G8: offsets are committed only up to the lowest unfinished message
// of each partition).
//
// Pure bookkeeping, no librdkafka: the Kafka consumer adapter calls begin()
// when it hands a message to the handler, finish() when the handler reports
// it done, and stores the offset finish() returns. Not thread-safe: one thread
// (the consumer's poll thread) owns it.
//
// Offsets are Kafka's "next offset to consume" convention: the value to store
// is the lowest unfinished offset, or the last finished offset + 1 when none
// is unfinished. Offsets need not be contiguous (compacted topics and
// transaction markers leave gaps): only offsets passed to begin() count.
//
// Every assignment of a partition gets a fresh epoch. A completion carries the
// epoch begin() returned, so a late completion from a revoked assignment is
// ignored even if the partition has been assigned again since (the new owner
// may be processing the very same offset).
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace atlas {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;

  auto operator<=>(const TopicPartition&) const = default;
};

class OffsetTracker {
 public:
  using Epoch = std::uint64_t;

  // Starts tracking `tp` with a fresh epoch. Assigning a partition that is
  // already tracked discards its old state (as revoke() then assign()).
  void assign(const TopicPartition& tp);

  // Stops tracking `tp`: its in-flight offsets are forgotten and their late
  // completions ignored. Returns how many offsets were still in flight.
  std::size_t revoke(const TopicPartition& tp);

  // Records `offset` as in flight. Returns the epoch to pass to finish(), or
  // nullopt when `tp` is not assigned or `offset` is not above every offset
  // already begun in this epoch (Kafka delivers a partition in order, so a
  // lower or repeated offset is a duplicate delivery and must not be tracked
  // twice).
  [[nodiscard]] std::optional<Epoch> begin(const TopicPartition& tp, std::int64_t offset);

  // Records `offset` as finished. Returns the offset that may now be stored
  // when the committable offset of `tp` advanced; nullopt when it did not, or
  // when the completion is stale (partition revoked, epoch changed) or
  // unknown (never begun, or finished already).
  std::optional<std::int64_t> finish(const TopicPartition& tp, std::int64_t offset, Epoch epoch);

  // The offset that may be stored for `tp` now (see above); nullopt when `tp`
  // is not assigned or nothing has finished in this epoch.
  [[nodiscard]] std::optional<std::int64_t> committable(const TopicPartition& tp) const;

  // Total in-flight offsets over every assigned partition.
  [[nodiscard]] std::size_t inflight() const { return inflight_total_; }
  // In-flight offsets of one partition (0 when not assigned).
  [[nodiscard]] std::size_t inflight(const TopicPartition& tp) const;

  // True when `offset` of `tp` was begun under `epoch` and is not finished.
  [[nodiscard]] bool is_inflight(const TopicPartition& tp, std::int64_t offset, Epoch epoch) const;

  [[nodiscard]] bool assigned(const TopicPartition& tp) const { return parts_.contains(tp); }
  [[nodiscard]] std::vector<TopicPartition> assignment() const;
  // Number of assigned partitions.
  [[nodiscard]] std::size_t partitions() const { return parts_.size(); }

 private:
  struct Partition {
    Epoch epoch = 0;
    std::set<std::int64_t> inflight;
    std::optional<std::int64_t> lowest_begun;     // first offset begun in this epoch
    std::optional<std::int64_t> highest_begun;    // last offset begun in this epoch
    std::optional<std::int64_t> highest_finished;
    std::optional<std::int64_t> last_reported;    // last value finish() returned
  };
  static std::optional<std::int64_t> committable_of(const Partition& p);

  std::map<TopicPartition, Partition> parts_;
  Epoch next_epoch_ = 1;
  std::size_t inflight_total_ = 0;
};

}  // namespace atlas
