#pragma once
// Where the tests find the repository and the built binaries. Both come from
// the environment ctest sets (ATLAS_SOURCE_DIR, ATLAS_BIN_DIR), falling back
// to the paths CMake compiled in, so a test binary also runs by hand.
#include <string>

namespace atlas::test {

std::string source_dir();
std::string bin_dir();
// bin_dir() + "/" + name
std::string binary(const std::string& name);

}  // namespace atlas::test
