// Pure pieces of the migration runner: file names, ordering, checksums and
// the plan of what to apply. No database.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "atlas/pg/error.hpp"
#include "atlas/pg/migration.hpp"
#include "test_paths.hpp"

using atlas::pg::AppliedMigration;
using atlas::pg::Error;
using atlas::pg::ErrorKind;
using atlas::pg::Migration;
using atlas::pg::MigrationFile;

namespace {

std::string error_of(std::vector<MigrationFile> files) {
  try {
    (void)atlas::pg::load_migrations(std::move(files));
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::migration);
    return e.what();
  }
  return "(no error)";
}

AppliedMigration applied_as(const Migration& m) {
  return AppliedMigration{m.version, m.name, m.checksum, "2024-01-01 00:00:00+00"};
}

}  // namespace

TEST_CASE("pg migrations: file names NNN_description.sql parse to their version") {
  CHECK(atlas::pg::parse_migration_version("001_channel_tables.sql") == 1);
  CHECK(atlas::pg::parse_migration_version("042_worker-ledger.sql") == 42);
  CHECK(atlas::pg::parse_migration_version("999_X.sql") == 999);
  CHECK(atlas::pg::parse_migration_version("000_start.sql") == 0);
}

TEST_CASE("pg migrations: malformed file names are rejected") {
  for (const char* bad : {"1_x.sql", "01_x.sql", "0001_x.sql", "001x.sql", "001_.sql", "001_x.SQL",
                          "001_x.sql.bak", "001_x", "abc_x.sql", "001_has space.sql",
                          "001_dot.name.sql", "", "001_x.sql~"}) {
    CAPTURE(bad);
    CHECK_FALSE(atlas::pg::parse_migration_version(bad).has_value());
  }
}

TEST_CASE("pg migrations: load_migrations sorts by version whatever the input order") {
  const auto loaded = atlas::pg::load_migrations({{"010_c.sql", "SELECT 3;"},
                                                  {"001_a.sql", "SELECT 1;"},
                                                  {"002_b.sql", "SELECT 2;"}});
  REQUIRE(loaded.size() == 3);
  CHECK(loaded[0].name == "001_a.sql");
  CHECK(loaded[0].version == 1);
  CHECK(loaded[1].name == "002_b.sql");
  CHECK(loaded[2].name == "010_c.sql");
  CHECK(loaded[2].version == 10);
  CHECK(loaded[2].sql == "SELECT 3;");
  CHECK(loaded[2].checksum == atlas::pg::sha256_hex("SELECT 3;"));
}

TEST_CASE("pg migrations: two files with one version are rejected naming both") {
  const auto message = error_of({{"001_a.sql", "SELECT 1;"}, {"001_b.sql", "SELECT 2;"}});
  CHECK(message.find("001_a.sql") != std::string::npos);
  CHECK(message.find("001_b.sql") != std::string::npos);
  CHECK(message.find("share version 001") != std::string::npos);
}

TEST_CASE("pg migrations: a misnamed or empty file is rejected naming it") {
  const auto misnamed = error_of({{"001_a.sql", "SELECT 1;"}, {"2_b.sql", "SELECT 2;"}});
  CHECK(misnamed.find("'2_b.sql' is misnamed") != std::string::npos);
  CHECK(misnamed.find("NNN_description.sql") != std::string::npos);

  const auto empty = error_of({{"003_empty.sql", " \n\t\n"}});
  CHECK(empty.find("'003_empty.sql' is empty") != std::string::npos);
}

TEST_CASE("pg migrations: sha256_hex matches the FIPS 180-2 test vectors") {
  CHECK(atlas::pg::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(atlas::pg::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(atlas::pg::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One changed byte (a trailing newline) changes the checksum.
  CHECK(atlas::pg::sha256_hex("SELECT 1;\n") != atlas::pg::sha256_hex("SELECT 1;"));
}

TEST_CASE("pg migrations: the plan applies what is missing and counts what is applied") {
  const auto files = atlas::pg::load_migrations(
      {{"001_a.sql", "SELECT 1;"}, {"002_b.sql", "SELECT 2;"}, {"003_c.sql", "SELECT 3;"}});

  const auto fresh = atlas::pg::plan_migrations(files, {});
  CHECK(fresh.pending.size() == 3);
  CHECK(fresh.already_applied == 0);
  CHECK(fresh.problems.empty());

  const auto partial = atlas::pg::plan_migrations(files, {applied_as(files[0]), applied_as(files[2])});
  REQUIRE(partial.pending.size() == 1);
  CHECK(partial.pending[0].name == "002_b.sql");
  CHECK(partial.already_applied == 2);
  CHECK(partial.problems.empty());

  const auto done = atlas::pg::plan_migrations(
      files, {applied_as(files[0]), applied_as(files[1]), applied_as(files[2])});
  CHECK(done.pending.empty());
  CHECK(done.already_applied == 3);
}

TEST_CASE("pg migrations: a changed applied file is a problem naming the file") {
  const auto files = atlas::pg::load_migrations({{"001_a.sql", "SELECT 1;"}, {"002_b.sql", "SELECT 2;"}});
  auto edited = applied_as(files[1]);
  edited.checksum = atlas::pg::sha256_hex("SELECT 'the old text';");
  const auto plan = atlas::pg::plan_migrations(files, {applied_as(files[0]), edited});
  REQUIRE(plan.problems.size() == 1);
  CHECK(plan.problems[0].find("002_b.sql") != std::string::npos);
  CHECK(plan.problems[0].find("must never change") != std::string::npos);
  CHECK(plan.problems[0].find(edited.checksum.substr(0, 12)) != std::string::npos);
}

TEST_CASE("pg migrations: versions applied by a newer binary are reported but not fatal") {
  const auto files = atlas::pg::load_migrations({{"001_a.sql", "SELECT 1;"}});
  const AppliedMigration newer{7, "007_future.sql", atlas::pg::sha256_hex("x"), "now"};
  const auto plan = atlas::pg::plan_migrations(files, {applied_as(files[0]), newer});
  CHECK(plan.pending.empty());
  CHECK(plan.problems.empty());
  REQUIRE(plan.unknown.size() == 1);
  CHECK(plan.unknown[0].name == "007_future.sql");
}

TEST_CASE("pg migrations: the embedded migrations are schema/sql byte for byte") {
  namespace fs = std::filesystem;
  const auto embedded = atlas::pg::embedded_migrations();
  REQUIRE_FALSE(embedded.empty());
  CHECK(embedded.front().name == "001_channel_tables.sql");

  std::size_t on_disk = 0;
  for (const auto& entry : fs::directory_iterator(atlas::test::source_dir() + "/schema/sql")) {
    if (entry.path().extension() == ".sql") ++on_disk;
  }
  CHECK(embedded.size() == on_disk);
  for (const auto& m : embedded) {
    CAPTURE(m.name);
    std::ifstream in(atlas::test::source_dir() + "/schema/sql/" + m.name, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream content;
    content << in.rdbuf();
    CHECK(m.sql == content.str());
    CHECK(m.checksum == atlas::pg::sha256_hex(content.str()));
  }
}
