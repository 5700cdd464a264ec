#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "atlas/rag/search_sql.hpp"

using namespace atlas::rag;

TEST_CASE("search sql: lexemes become tsquery operands that round-trip") {
  CHECK(tsquery_operand("pipelin") == "'pipelin'");
  CHECK(tsquery_operand("it's") == "'it''s'");
  CHECK(tsquery_operand("back\\slash") == "'back\\\\slash'");
  CHECK(tsquery_operand("caf\xC3\xA9") == "'caf\xC3\xA9'");
  CHECK(tsquery_of({"a", "b'c"}, " | ") == "'a' | 'b''c'");
  CHECK(tsquery_of({"a"}, " & ") == "'a'");
}

TEST_CASE("search sql: one operand per term and parameters numbered without gaps") {
  for (std::size_t terms : {std::size_t{1}, std::size_t{3}, kMaxQueryTerms}) {
    for (bool collapse : {false, true}) {
      const std::string sql = search_sql(terms, collapse);
      std::set<int> used;
      const std::regex param(R"(\$(\d+))");
      for (auto it = std::sregex_iterator(sql.begin(), sql.end(), param);
           it != std::sregex_iterator(); ++it) {
        used.insert(std::stoi((*it)[1]));
      }
      INFO("terms " << terms << " collapse " << collapse);
      CHECK(used.size() == terms + 7);
      CHECK(*used.begin() == 1);
      CHECK(*used.rbegin() == static_cast<int>(terms + 7));
      CHECK((sql.find("DISTINCT ON (source)") != std::string::npos) == collapse);
      // Every term gets its own bounded candidate scan.
      std::size_t scans = 0;
      for (std::size_t pos = 0; (pos = sql.find("UNION (SELECT id", pos)) != std::string::npos; ++pos) {
        ++scans;
      }
      CHECK(scans == terms);
    }
  }
  CHECK_THROWS_AS((void)search_sql(0, false), std::invalid_argument);
  CHECK_THROWS_AS((void)search_sql(kMaxQueryTerms + 1, false), std::invalid_argument);
  CHECK(query_terms_sql().find("LIMIT 32") != std::string::npos);
}
