// OffsetTracker: the pure G8 bookkeeping (lowest unfinished offset per partition).
#include <doctest/doctest.h>

#include <optional>

#include "atlas/offset_tracker.hpp"

using atlas::OffsetTracker;
using atlas::TopicPartition;

namespace {

const TopicPartition kP0{"architect_in", 0};
const TopicPartition kP1{"architect_in", 1};

OffsetTracker::Epoch must_begin(OffsetTracker& t, const TopicPartition& tp, std::int64_t offset) {
  const auto epoch = t.begin(tp, offset);
  REQUIRE(epoch.has_value());
  return *epoch;
}

}  // namespace

TEST_CASE("offset tracker: in-order completion advances one offset at a time") {
  OffsetTracker t;
  t.assign(kP0);
  const auto e = must_begin(t, kP0, 10);
  must_begin(t, kP0, 11);
  CHECK(t.inflight() == 2);
  CHECK_FALSE(t.committable(kP0).has_value());
  CHECK(t.finish(kP0, 10, e) == std::optional<std::int64_t>{11});
  CHECK(t.finish(kP0, 11, e) == std::optional<std::int64_t>{12});
  CHECK(t.inflight() == 0);
  CHECK(t.committable(kP0) == std::optional<std::int64_t>{12});
}

TEST_CASE("offset tracker: out-of-order completion never passes the lowest unfinished offset") {
  OffsetTracker t;
  t.assign(kP0);
  OffsetTracker::Epoch e = 0;
  for (std::int64_t o = 0; o < 5; ++o) e = must_begin(t, kP0, o);

  // 4, 3 and 1 finish first: 0 is still unfinished, nothing may be stored.
  CHECK_FALSE(t.finish(kP0, 4, e).has_value());
  CHECK_FALSE(t.finish(kP0, 3, e).has_value());
  CHECK_FALSE(t.finish(kP0, 1, e).has_value());
  CHECK_FALSE(t.committable(kP0).has_value());
  // 0 finishes: 2 is now the lowest unfinished offset.
  CHECK(t.finish(kP0, 0, e) == std::optional<std::int64_t>{2});
  CHECK(t.committable(kP0) == std::optional<std::int64_t>{2});
  // 2 finishes: everything up to 4 is done.
  CHECK(t.finish(kP0, 2, e) == std::optional<std::int64_t>{5});
  CHECK(t.inflight() == 0);
}

TEST_CASE("offset tracker: gaps between offsets (compaction, transaction markers)") {
  OffsetTracker t;
  t.assign(kP0);
  const auto e = must_begin(t, kP0, 100);
  must_begin(t, kP0, 105);
  must_begin(t, kP0, 230);

  CHECK_FALSE(t.finish(kP0, 230, e).has_value());
  // 100 done: the next unfinished is 105, not 101.
  CHECK(t.finish(kP0, 100, e) == std::optional<std::int64_t>{105});
  // 105 done: nothing unfinished, store the last finished + 1.
  CHECK(t.finish(kP0, 105, e) == std::optional<std::int64_t>{231});
}

TEST_CASE("offset tracker: partitions are tracked independently") {
  OffsetTracker t;
  t.assign(kP0);
  t.assign(kP1);
  const auto e0 = must_begin(t, kP0, 0);
  const auto e1 = must_begin(t, kP1, 0);
  must_begin(t, kP1, 1);
  CHECK(t.inflight() == 3);
  CHECK(t.inflight(kP1) == 2);
  CHECK_FALSE(t.finish(kP1, 1, e1).has_value());
  CHECK(t.finish(kP0, 0, e0) == std::optional<std::int64_t>{1});
  CHECK_FALSE(t.committable(kP1).has_value());
  CHECK(t.finish(kP1, 0, e1) == std::optional<std::int64_t>{2});
}

TEST_CASE("offset tracker: finish of an unknown or already finished offset is ignored") {
  OffsetTracker t;
  t.assign(kP0);
  const auto e = must_begin(t, kP0, 7);
  must_begin(t, kP0, 8);
  CHECK_FALSE(t.finish(kP0, 3, e).has_value());    // never begun
  CHECK_FALSE(t.finish(kP0, 9, e).has_value());    // never begun
  CHECK_FALSE(t.finish(kP1, 7, e).has_value());    // partition never assigned
  CHECK(t.inflight() == 2);
  CHECK(t.finish(kP0, 7, e) == std::optional<std::int64_t>{8});
  CHECK_FALSE(t.finish(kP0, 7, e).has_value());    // second completion: harmless
  CHECK(t.inflight() == 1);
  CHECK(t.committable(kP0) == std::optional<std::int64_t>{8});
}

TEST_CASE("offset tracker: begin refuses unassigned partitions and duplicate deliveries") {
  OffsetTracker t;
  CHECK_FALSE(t.begin(kP0, 0).has_value());
  t.assign(kP0);
  must_begin(t, kP0, 5);
  CHECK_FALSE(t.begin(kP0, 5).has_value());  // the same offset twice
  CHECK_FALSE(t.begin(kP0, 3).has_value());  // lower than one already begun
  CHECK_FALSE(t.begin(kP0, -1).has_value());
  CHECK(t.inflight() == 1);
}

TEST_CASE("offset tracker: revocation drops in-flight offsets and ignores late completions") {
  OffsetTracker t;
  t.assign(kP0);
  t.assign(kP1);
  const auto e = must_begin(t, kP0, 0);
  must_begin(t, kP0, 1);
  must_begin(t, kP1, 0);
  CHECK(t.revoke(kP0) == 2);
  CHECK(t.inflight() == 1);
  CHECK_FALSE(t.assigned(kP0));
  CHECK(t.assignment() == std::vector<TopicPartition>{kP1});
  CHECK(t.partitions() == 1);
  CHECK_FALSE(t.finish(kP0, 0, e).has_value());
  CHECK_FALSE(t.committable(kP0).has_value());
  CHECK(t.inflight() == 1);
  CHECK(t.revoke(kP0) == 0);  // revoking twice is harmless
}

TEST_CASE("offset tracker: a stale completion cannot touch a re-assigned partition") {
  OffsetTracker t;
  t.assign(kP0);
  const auto old_epoch = must_begin(t, kP0, 40);
  must_begin(t, kP0, 41);
  t.revoke(kP0);

  // The partition comes back (another member crashed, say) and the same
  // offsets are delivered again, now processed under a new epoch.
  t.assign(kP0);
  const auto new_epoch = must_begin(t, kP0, 40);
  must_begin(t, kP0, 41);
  CHECK(new_epoch != old_epoch);

  // The old processing of 40 and 41 finishes late: it must not mark the new
  // deliveries done.
  CHECK_FALSE(t.finish(kP0, 40, old_epoch).has_value());
  CHECK_FALSE(t.finish(kP0, 41, old_epoch).has_value());
  CHECK(t.inflight(kP0) == 2);
  CHECK_FALSE(t.committable(kP0).has_value());

  CHECK(t.finish(kP0, 40, new_epoch) == std::optional<std::int64_t>{41});
  CHECK(t.finish(kP0, 41, new_epoch) == std::optional<std::int64_t>{42});
}

TEST_CASE("offset tracker: assign of a tracked partition starts a fresh epoch") {
  OffsetTracker t;
  t.assign(kP0);
  const auto e = must_begin(t, kP0, 3);
  t.assign(kP0);
  CHECK(t.inflight() == 0);
  CHECK_FALSE(t.finish(kP0, 3, e).has_value());
  // Offsets restart from the new position; lower offsets are accepted again.
  CHECK(t.begin(kP0, 1).has_value());
}

TEST_CASE("offset tracker: a late first offset holds back everything after it") {
  OffsetTracker t;
  t.assign(kP0);
  OffsetTracker::Epoch e = 0;
  for (std::int64_t o = 0; o < 100; ++o) e = must_begin(t, kP0, o);
  for (std::int64_t o = 99; o >= 1; --o) CHECK_FALSE(t.finish(kP0, o, e).has_value());
  CHECK(t.inflight() == 1);
  CHECK(t.finish(kP0, 0, e) == std::optional<std::int64_t>{100});
}
