#pragma once
// The worker's decisions take the time as a parameter ("now") instead of
// reading a clock, so tests drive them with a fake clock. Durations and
// deadlines use the monotonic clock; only the adapters convert to wall-clock
// time (epoch milliseconds in Kafka headers).
#include <chrono>

namespace atlas::worker {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

}  // namespace atlas::worker
