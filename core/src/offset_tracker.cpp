#include "atlas/offset_tracker.hpp"

namespace atlas {

void OffsetTracker::assign(const TopicPartition& tp) {
  revoke(tp);
  Partition fresh;
  fresh.epoch = next_epoch_++;
  parts_.emplace(tp, std::move(fresh));
}

std::size_t OffsetTracker::revoke(const TopicPartition& tp) {
  const auto it = parts_.find(tp);
  if (it == parts_.end()) return 0;
  const std::size_t dropped = it->second.inflight.size();
  inflight_total_ -= dropped;
  parts_.erase(it);
  return dropped;
}

std::optional<OffsetTracker::Epoch> OffsetTracker::begin(const TopicPartition& tp,
                                                          std::int64_t offset) {
  const auto it = parts_.find(tp);
  if (it == parts_.end() || offset < 0) return std::nullopt;
  Partition& p = it->second;
  if (p.highest_begun && offset <= *p.highest_begun) return std::nullopt;
  p.inflight.insert(offset);
  if (!p.lowest_begun) p.lowest_begun = offset;
  p.highest_begun = offset;
  ++inflight_total_;
  return p.epoch;
}

std::optional<std::int64_t> OffsetTracker::finish(const TopicPartition& tp, std::int64_t offset,
                                                  Epoch epoch) {
  const auto it = parts_.find(tp);
  if (it == parts_.end()) return std::nullopt;
  Partition& p = it->second;
  if (p.epoch != epoch) return std::nullopt;
  if (p.inflight.erase(offset) == 0) return std::nullopt;
  --inflight_total_;
  if (!p.highest_finished || offset > *p.highest_finished) p.highest_finished = offset;

  const auto now = committable_of(p);
  if (!now || (p.last_reported && *now <= *p.last_reported)) return std::nullopt;
  p.last_reported = now;
  return now;
}

std::optional<std::int64_t> OffsetTracker::committable(const TopicPartition& tp) const {
  const auto it = parts_.find(tp);
  if (it == parts_.end()) return std::nullopt;
  return committable_of(it->second);
}

std::optional<std::int64_t> OffsetTracker::committable_of(const Partition& p) {
  if (!p.highest_finished) return std::nullopt;  // nothing finished in this epoch
  if (p.inflight.empty()) return *p.highest_finished + 1;
  const std::int64_t lowest_unfinished = *p.inflight.begin();
  // Something below the lowest unfinished offset must have finished, or
  // there is no progress to store yet.
  if (lowest_unfinished <= *p.lowest_begun) return std::nullopt;
  return lowest_unfinished;
}

std::size_t OffsetTracker::inflight(const TopicPartition& tp) const {
  const auto it = parts_.find(tp);
  return it == parts_.end() ? 0 : it->second.inflight.size();
}

bool OffsetTracker::is_inflight(const TopicPartition& tp, std::int64_t offset,
                                Epoch epoch) const {
  const auto it = parts_.find(tp);
  return it != parts_.end() && it->second.epoch == epoch && it->second.inflight.contains(offset);
}

std::vector<TopicPartition> OffsetTracker::assignment() const {
  std::vector<TopicPartition> out;
  out.reserve(parts_.size());
  for (const auto& [tp, p] : parts_) out.push_back(tp);
  return out;
}

}  // namespace atlas
