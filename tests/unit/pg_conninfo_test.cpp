// Connection-string helpers: connect_timeout defaulting and password masking.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "atlas/pg/conninfo.hpp"

using namespace std::chrono_literals;

TEST_CASE("pg conninfo: connect_timeout is appended unless the URL sets one") {
  using atlas::pg::with_connect_timeout;
  CHECK(with_connect_timeout("postgresql://u@h/db", 5s) == "postgresql://u@h/db?connect_timeout=5");
  CHECK(with_connect_timeout("postgresql://u@h/db?sslmode=require", 5s) ==
        "postgresql://u@h/db?sslmode=require&connect_timeout=5");
  CHECK(with_connect_timeout("postgres://h/db?", 3s) == "postgres://h/db?connect_timeout=3");
  CHECK(with_connect_timeout("postgresql://h/db?connect_timeout=30", 5s) ==
        "postgresql://h/db?connect_timeout=30");
  CHECK(with_connect_timeout("postgresql://h/db?sslmode=disable&connect_timeout=30", 5s) ==
        "postgresql://h/db?sslmode=disable&connect_timeout=30");
  CHECK(with_connect_timeout("host=h dbname=db", 5s) == "host=h dbname=db connect_timeout=5");
  CHECK(with_connect_timeout("host=h connect_timeout = 9", 5s) == "host=h connect_timeout = 9");
  CHECK(with_connect_timeout("", 5s) == "connect_timeout=5");
}

TEST_CASE("pg conninfo: passwords are found in every form libpq accepts") {
  using atlas::pg::conninfo_passwords;
  const auto uri = conninfo_passwords("postgresql://atlas:s%40cret!@db.example:5432/atlas");
  CHECK(std::find(uri.begin(), uri.end(), "s%40cret!") != uri.end());
  CHECK(std::find(uri.begin(), uri.end(), "s@cret!") != uri.end());

  const auto param = conninfo_passwords("postgresql://db.example/atlas?user=a&password=hunter22");
  CHECK(param == std::vector<std::string>{"hunter22"});

  const auto keyword = conninfo_passwords("host=db user=a password='it\\'s a secret' dbname=x");
  CHECK(keyword == std::vector<std::string>{"it's a secret"});
  const auto plain = conninfo_passwords("host=db password=pl4inpass dbname=x");
  CHECK(plain == std::vector<std::string>{"pl4inpass"});

  CHECK(conninfo_passwords("postgresql://atlas@db/atlas").empty());
  CHECK(conninfo_passwords("host=db dbname=x").empty());
}

TEST_CASE("pg conninfo: redact_conninfo masks the password wherever libpq echoes it") {
  const std::string url = "postgresql://atlas:Sup3r%2FSecret@db.example:5432/atlas";
  // A malformed-URI message repeats the whole URI; others may show the decoded value.
  const std::string message =
      "invalid URI: \"" + url + "\"; password \"Sup3r/Secret\" rejected; raw Sup3r%2FSecret";
  const auto redacted = atlas::pg::redact_conninfo(message, url);
  CHECK(redacted.find("Sup3r") == std::string::npos);
  CHECK(redacted.find("atlas:[REDACTED]@db.example") != std::string::npos);

  const std::string keyword = "host=db password=kw-secret-1 dbname=x";
  CHECK(atlas::pg::redact_conninfo("missing \"=\" after \"" + keyword + "\"", keyword)
            .find("kw-secret-1") == std::string::npos);
}
