#include <doctest/doctest.h>

#include "atlas/router/dedupe.hpp"

using namespace std::chrono_literals;
using atlas::router::TtlSet;

namespace {
const TtlSet::Clock::time_point t0{std::chrono::seconds(5000)};
}

TEST_CASE("router dedupe: a key is a duplicate within its TTL and new again after it") {
  TtlSet set(10min, 1000);
  CHECK(set.insert("slack:event:Ev1", t0));
  CHECK_FALSE(set.insert("slack:event:Ev1", t0 + 1s));
  CHECK(set.contains("slack:event:Ev1", t0 + 9min));
  CHECK_FALSE(set.contains("slack:event:Ev1", t0 + 10min));
  CHECK(set.insert("slack:event:Ev1", t0 + 11min));  // expired: new again
  CHECK(set.size() == 1);
}

TEST_CASE("router dedupe: any key of a request makes it a duplicate") {
  TtlSet set(10min, 1000);
  set.insert_all({"slack:event:Ev1", "slack:message:T:C:1.2"}, t0);
  // Same post delivered as a different event (app_mention vs message.im).
  CHECK(set.contains_any({"slack:event:Ev2", "slack:message:T:C:1.2"}, t0 + 1s));
  CHECK_FALSE(set.contains_any({"slack:event:Ev3", "slack:message:T:C:9.9"}, t0 + 1s));
  set.erase("slack:event:Ev1");  // a failed publish releases its claim
  CHECK_FALSE(set.contains("slack:event:Ev1", t0 + 1s));
  CHECK(set.insert("slack:event:Ev1", t0 + 2s));
}

TEST_CASE("router dedupe: memory is bounded, oldest keys leave first") {
  TtlSet set(1h, 100);
  for (int i = 0; i < 250; ++i) set.insert("k" + std::to_string(i), t0 + std::chrono::seconds(i));
  CHECK(set.size() == 100);
  CHECK_FALSE(set.contains("k0", t0 + 300s));
  CHECK(set.contains("k249", t0 + 300s));
  CHECK(set.contains("k150", t0 + 300s));
  for (int i = 0; i < 300; ++i) {  // churn with erases does not grow it either
    set.insert("e" + std::to_string(i), t0 + 300s);
    set.erase("e" + std::to_string(i));
  }
  CHECK(set.size() <= 100);
  set.prune(t0 + 2h);
  CHECK(set.size() == 0);
}

TEST_CASE("router dedupe: keys that differ in one character are never taken for one another") {
  // A key taken for another would answer a new request as a duplicate. Keys
  // of the real shape, close together, all stay distinct.
  TtlSet set(1h, 300'000);
  std::size_t new_keys = 0;
  for (int i = 0; i < 200'000; ++i) {
    const std::string ts = std::to_string(1'700'000'000 + i / 1000) + "." + std::to_string(100'000 + i % 1000);
    new_keys += set.insert("slack:message:T0001:C0001:" + ts, t0) ? 1 : 0;
  }
  CHECK(new_keys == 200'000);
  CHECK(set.size() == 200'000);
  CHECK(set.contains("slack:message:T0001:C0001:1700000007.100042", t0 + 1s));
  CHECK_FALSE(set.contains("slack:message:T0001:C0002:1700000007.100042", t0 + 1s));
  CHECK_FALSE(set.contains("slack:message:T0001:C0001:1700000007.100042 ", t0 + 1s));
}
