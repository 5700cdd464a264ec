// atlasctl validate FILE...: checks envelope files with the same validator the
// worker and router use (atlas::parse_envelope).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/envelope.hpp"
#include "commands.hpp"

namespace atlas::ctl {
namespace {

constexpr std::string_view kValidateUsage =
    "usage: atlasctl validate [--quiet] FILE...\n"
    "\n"
    "Checks that each FILE holds one valid Atlas event envelope (DESIGN.md section 3,\n"
    "schema/events/envelope.schema.json): at most 1 MiB of UTF-8 JSON with task_id, role,\n"
    "msg_type, content and metadata. \"-\" reads standard input.\n"
    "\n"
    "Prints \"FILE: ok\" on stdout for a valid file and \"FILE: invalid at /json/path: why\"\n"
    "on stderr for an invalid one (\"/\" when the whole document is at fault).\n"
    "\n"
    "options:\n"
    "  --quiet   print only the errors\n"
    "  --help    print this help\n"
    "\n"
    "exit status: 0 when every file is valid, 2 when any is invalid or cannot be read.\n";

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

// Reads at most kMaxEnvelopeBytes + 1 bytes: enough for parse_envelope to see
// that a file is too large, without reading a huge (or endless) one whole.
std::string read_capped(std::FILE* file, std::string& error) {
  std::string data;
  std::vector<char> buffer(64 * 1024);
  while (data.size() <= kMaxEnvelopeBytes) {
    const std::size_t want = std::min(buffer.size(), kMaxEnvelopeBytes + 1 - data.size());
    errno = 0;
    const std::size_t got = std::fread(buffer.data(), 1, want, file);
    data.append(buffer.data(), got);
    if (got < want) {
      if (std::ferror(file) != 0) error = std::strerror(errno);
      break;
    }
  }
  return data;
}

// The bytes of `name` ("-" for stdin), or nullopt with `error` set.
std::optional<std::string> read_input(const std::string& name, std::string& error) {
  if (name == "-") {
    std::string data = read_capped(stdin, error);
    if (!error.empty()) return std::nullopt;
    return data;
  }
  errno = 0;
  const FileHandle file(std::fopen(name.c_str(), "rb"));
  if (!file) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string data = read_capped(file.get(), error);
  if (!error.empty()) return std::nullopt;
  return data;
}

}  // namespace

int cmd_validate(const std::vector<std::string>& args, Context& /*ctx*/) {
  bool quiet = false;
  bool options_done = false;
  std::vector<std::string> files;
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      std::cout << kValidateUsage;
      return kExitOk;
    }
  }
  for (const auto& arg : args) {
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && (arg == "--quiet" || arg == "-q")) {
      quiet = true;
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      std::cerr << "atlasctl validate: unknown option " << arg
                << " (see atlasctl validate --help)\n";
      return kExitInvalid;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::cerr << "atlasctl validate: name at least one FILE (or - for stdin)\n\n"
              << kValidateUsage;
    return kExitInvalid;
  }

  int status = kExitOk;
  for (const auto& name : files) {
    std::string read_error;
    const auto data = read_input(name, read_error);
    if (!data) {
      std::cerr << name << ": cannot read: " << read_error << '\n';
      status = kExitInvalid;
      continue;
    }
    const auto result = parse_envelope(*data);
    if (result) {
      if (!quiet) std::cout << name << ": ok\n";
    } else {
      std::cerr << name << ": " << result.error().describe() << '\n';
      status = kExitInvalid;
    }
  }
  std::cout.flush();
  return status;
}

}  // namespace atlas::ctl
