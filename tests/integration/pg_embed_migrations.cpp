// The build step that embeds schema/sql into atlas_core
// (core/src/pg/embed_migrations.cmake), run by hand on files of our making:
// bytes survive exactly however long the file, and a misnamed file stops it.
// And its build rule (embed_migrations_rule.cmake) in a project of its own: a
// migration added or removed is re-embedded on the next build.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "atlas-embed-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
    fs::create_directory(path_ / "sql");
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  REQUIRE(out.good());
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs the embedding script; returns its exit status, output in `log`.
int embed(const ScratchDir& dir, std::string& log) {
  const auto script = atlas::test::source_dir() + "/core/src/pg/embed_migrations.cmake";
  const auto command = "cmake -DSQL_DIR=" + quote((dir.path() / "sql").string()) +
                       " -DOUTPUT=" + quote((dir.path() / "out.cpp").string()) + " -P " +
                       quote(script) + " > " + quote((dir.path() / "log").string()) + " 2>&1";
  const int raw = std::system(command.c_str());
  log = read(dir.path() / "log");
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

// The bytes of array kMigration<index> in the generated source.
std::string embedded_bytes(const std::string& source, int index) {
  const std::string start = "kMigration" + std::to_string(index) + "[] = {";
  auto pos = source.find(start);
  REQUIRE(pos != std::string::npos);
  pos += start.size();
  const auto end = source.find("};", pos);
  REQUIRE(end != std::string::npos);
  std::string bytes;
  while ((pos = source.find("0x", pos)) != std::string::npos && pos < end) {
    bytes.push_back(static_cast<char>(std::stoi(source.substr(pos + 2, 2), nullptr, 16)));
    pos += 4;
  }
  return bytes;
}

}  // namespace

TEST_CASE("pg embedding: long files with awkward bytes are embedded byte for byte") {
  ScratchDir dir;
  // Over 64 KiB (the string-literal limit -Wpedantic enforces), with CRLF,
  // quotes, backslashes, a raw-string terminator, NUL and non-ASCII bytes.
  std::string big = "-- big\r\n";
  while (big.size() < 300 * 1024) {
    big += "INSERT INTO t VALUES ('it''s \\ \")\" )sql\" ñ €');\r\n";
  }
  big += std::string("-- nul:") + '\0' + "end\n";
  write(dir.path() / "sql" / "002_big.sql", big);
  write(dir.path() / "sql" / "001_small.sql", "SELECT 1;\n");

  std::string log;
  REQUIRE_MESSAGE(embed(dir, log) == 0, log);
  const auto source = read(dir.path() / "out.cpp");
  // Sorted by name: 001 first.
  CHECK(source.find("\"001_small.sql\"") < source.find("\"002_big.sql\""));
  CHECK(embedded_bytes(source, 0) == "SELECT 1;\n");
  CHECK(embedded_bytes(source, 1) == big);
}

TEST_CASE("pg embedding: a misnamed migration file stops the build, naming the file") {
  ScratchDir dir;
  write(dir.path() / "sql" / "001_ok.sql", "SELECT 1;\n");
  write(dir.path() / "sql" / "2_missing_digits.sql", "SELECT 2;\n");
  std::string log;
  CHECK(embed(dir, log) != 0);
  CHECK(log.find("2_missing_digits.sql") != std::string::npos);
  CHECK(log.find("NNN_description.sql") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "out.cpp"));
}

TEST_CASE("pg embedding: the build re-embeds when a migration is added or removed") {
  // A project of its own with the rule core/CMakeLists.txt uses
  // (core/src/pg/embed_migrations_rule.cmake), built, changed, built again.
  ScratchDir dir;
  const auto rule = atlas::test::source_dir() + "/core/src/pg/embed_migrations_rule.cmake";
  write(dir.path() / "CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.25)\nproject(embed_rule NONE)\ninclude(" + rule +
            ")\natlas_embed_migrations(${CMAKE_SOURCE_DIR}/sql ${CMAKE_BINARY_DIR}/out.cpp)\n"
            "add_custom_target(embedded ALL DEPENDS ${CMAKE_BINARY_DIR}/out.cpp)\n");
  write(dir.path() / "sql" / "001_first.sql", "SELECT 1;\n");
  write(dir.path() / "sql" / "002_second.sql", "SELECT 2;\n");
  const fs::path build = dir.path() / "build";
  auto run = [&](const std::string& command) {
    const int raw = std::system((command + " > " + quote((dir.path() / "log").string()) + " 2>&1").c_str());
    INFO(read(dir.path() / "log"));
    REQUIRE(WIFEXITED(raw));
    REQUIRE(WEXITSTATUS(raw) == 0);
  };
  run("cmake -G Ninja -S " + quote(dir.path().string()) + " -B " + quote(build.string()));
  run("cmake --build " + quote(build.string()));
  CHECK(read(build / "out.cpp").find("002_second.sql") != std::string::npos);

  fs::remove(dir.path() / "sql" / "002_second.sql");
  run("cmake --build " + quote(build.string()));
  CHECK(read(build / "out.cpp").find("002_second.sql") == std::string::npos);
  CHECK(read(build / "out.cpp").find("001_first.sql") != std::string::npos);

  write(dir.path() / "sql" / "003_third.sql", "SELECT 3;\n");
  run("cmake --build " + quote(build.string()));
  CHECK(read(build / "out.cpp").find("003_third.sql") != std::string::npos);
}
