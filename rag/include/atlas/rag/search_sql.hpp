#pragma once
// The SQL of a search, built for the number of query terms (pure, so the
// statement and its parameter numbering are unit-tested without a database).
//
// A search touches a bounded number of chunks whatever the corpus size:
//   1. candidates: for each term, at most `per_term` chunks containing it,
//      plus at most `per_term` chunks containing every term (GIN index; a
//      term found in more chunks than that contributes an arbitrary subset,
//      the first ones in the table); the scans return row addresses
//      (ctid), and each distinct candidate is read once more by its address;
//   2. each candidate gets `matched` (query terms it contains; one
//      tsquery test per term) and the cheap ts_rank; the best `shortlist` by
//      (matched, ts_rank) -- one per source when collapsing -- go on;
//   3. those get ts_rank_cd and the similarity of similarity.hpp, and the
//      best `top_k` come out, ordered, with their text (read for those only).
// The ranking is exact when no term occurs in more than `per_term` chunks.
//
// The statement is executed as a prepared statement (one per number of terms
// and collapse flag and connection) but planned for every execution with its
// own terms (plan_cache_mode, set by query_terms_sql): how to scan for a term
// depends on how common it is. docs/rag.md has the measurements.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::rag {

// Query terms beyond this many (in order of first appearance) are ignored.
inline constexpr std::size_t kMaxQueryTerms = 32;

// `lexeme` as a tsquery operand: single-quoted, with quotes doubled and
// backslashes escaped, so any lexeme round-trips ("it's" -> 'it''s').
[[nodiscard]] std::string tsquery_operand(std::string_view lexeme);
// The operands of `lexemes` joined by `op` (" | " or " & ").
[[nodiscard]] std::string tsquery_of(const std::vector<std::string>& lexemes, std::string_view op);

// The query's distinct lexemes (English stemming, stop words removed) in
// order of first appearance, at most kMaxQueryTerms. Parameters: $1 the query,
// $2 the statement_timeout (milliseconds, as text) it sets for the session's
// following statements (the search runs in autocommit mode). It also sets,
// for the session, plan_cache_mode = force_custom_plan (the search must never
// run a generic plan) and synchronize_seqscans = off (a common term's scan
// starts at the table's first page, so answers are repeatable).
[[nodiscard]] std::string query_terms_sql();

// The search statement for `terms` (1..kMaxQueryTerms) terms. Parameters:
//   $1..$terms      each term as a tsquery operand (tsquery_operand)
//   $terms+1        all terms OR-ed        $terms+2  all terms AND-ed
//   $terms+3        per_term (int)         $terms+4  shortlist (int)
//   $terms+5        top_k (int)            $terms+6  kCoverageFloor  $terms+7  kDensityWeight
// Columns: source, chunk_index, text, matched, rank (ts_rank_cd), in order.
[[nodiscard]] std::string search_sql(std::size_t terms, bool collapse_by_file);

// The name search_sql(terms, collapse_by_file) is prepared under on a
// connection: "rag_search_<terms>" or "rag_search_<terms>_collapse".
[[nodiscard]] std::string search_statement_name(std::size_t terms, bool collapse_by_file);

}  // namespace atlas::rag
