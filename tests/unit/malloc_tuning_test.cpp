#include <doctest/doctest.h>

#include <string>

#include "atlas/malloc_tuning.hpp"

TEST_CASE("malloc tuning: set only when GLIBC_TUNABLES is not; an operator's value, even empty, is kept") {
  REQUIRE(atlas::malloc_tunables_to_set(nullptr) != nullptr);
  CHECK(std::string(atlas::malloc_tunables_to_set(nullptr)) == atlas::kMallocTunables);
  CHECK(atlas::malloc_tunables_to_set("") == nullptr);
  CHECK(atlas::malloc_tunables_to_set("glibc.malloc.tcache_count=7") == nullptr);
}
