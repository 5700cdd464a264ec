#include "test_paths.hpp"

#include <cstdlib>

namespace atlas::test {
namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}
}  // namespace

std::string source_dir() { return env_or("ATLAS_SOURCE_DIR", ATLAS_SOURCE_DIR); }
std::string bin_dir() { return env_or("ATLAS_BIN_DIR", ATLAS_BIN_DIR); }
std::string binary(const std::string& name) { return bin_dir() + "/" + name; }

}  // namespace atlas::test
