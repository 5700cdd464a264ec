#pragma once
// glibc's allocator tuned for atlas-router, whose threads allocate and free
// in bursts: an HTTP thread builds a request, the batcher and the Kafka client
// hand it on a batch at a time, and it is freed back on the HTTP thread. glibc
// keeps 7 freed blocks of each size per thread (its "tcache"); a burst larger
// than that goes to the shared arenas, under their locks. 256 blocks a size
// cost a few megabytes of memory and saved about a tenth of the CPU per
// webhook in router_bench (docs/benchmarks.md).
//
// glibc reads its tunables only when a process starts, from GLIBC_TUNABLES,
// and has no call to change them afterwards, so the router sets the variable
// and executes itself again (same pid, arguments and environment otherwise):
// the tuning holds however the binary is started (container, systemd, a
// shell). An operator who sets GLIBC_TUNABLES keeps their value, and an
// empty one keeps glibc's defaults.
namespace atlas {

inline constexpr const char* kMallocTunables = "glibc.malloc.tcache_count=256";

// The value to set before re-executing, or nullptr when GLIBC_TUNABLES is
// set already (`current` is getenv("GLIBC_TUNABLES")).
[[nodiscard]] const char* malloc_tunables_to_set(const char* current);

// Call first in main(). Re-executes /proc/self/exe with kMallocTunables when
// GLIBC_TUNABLES is not set; returns when it is, or when the re-execution
// fails (the process then runs with glibc's defaults).
void apply_malloc_tunables(char** argv);

}  // namespace atlas
