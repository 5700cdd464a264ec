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
      // Every term gets its own bounded candidate scan, besides the scan
      // for chunks with every term.
      std::size_t scans = 0;
      for (std::size_t pos = 0; (pos = sql.find("UNION (SELECT ctid", pos)) != std::string::npos;
           ++pos) {
        ++scans;
      }
      CHECK(scans == terms);
      // Each term is tested once per candidate: the SQL grows linearly.
      std::size_t tests = 0;
      for (std::size_t pos = 0; (pos = sql.find("(c.tsv @@ $", pos)) != std::string::npos; ++pos) {
        ++tests;
      }
      CHECK(tests == terms);
      // Only the top_k rows returned read their text.
      CHECK(sql.find("c.text") == sql.rfind("c.text"));
      CHECK(sql.find("c.text") > sql.find("LIMIT $" + std::to_string(terms + 5)));
    }
  }
  CHECK(search_statement_name(3, false) == "rag_search_3");
  CHECK(search_statement_name(3, true) == "rag_search_3_collapse");
  CHECK(search_statement_name(kMaxQueryTerms, true) !=
        search_statement_name(kMaxQueryTerms, false));
  CHECK_THROWS_AS((void)search_sql(0, false), std::invalid_argument);
  CHECK_THROWS_AS((void)search_sql(kMaxQueryTerms + 1, false), std::invalid_argument);
  CHECK(query_terms_sql().find("LIMIT 32") != std::string::npos);
  // The search is a prepared statement that must never run a generic plan.
  CHECK(query_terms_sql().find("'plan_cache_mode', 'force_custom_plan'") != std::string::npos);
}
