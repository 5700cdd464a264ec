#include "atlas/malloc_tuning.hpp"

#include <unistd.h>

#include <cstdlib>

namespace atlas {

const char* malloc_tunables_to_set(const char* current) {
  return current == nullptr ? kMallocTunables : nullptr;
}

void apply_malloc_tunables(char** argv) {
  const char* value = malloc_tunables_to_set(std::getenv("GLIBC_TUNABLES"));
  if (value == nullptr || argv == nullptr || argv[0] == nullptr) return;
  if (::setenv("GLIBC_TUNABLES", value, 0) != 0) return;
  ::execv("/proc/self/exe", argv);
  // Still here: the exec failed (no /proc?). Run untuned, and do not pass a
  // variable that was never applied on to anything this process starts.
  ::unsetenv("GLIBC_TUNABLES");
}

}  // namespace atlas
