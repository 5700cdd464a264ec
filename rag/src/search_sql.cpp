#include "atlas/rag/search_sql.hpp"

#include <stdexcept>

namespace atlas::rag {

std::string tsquery_operand(std::string_view lexeme) {
  std::string out = "'";
  for (const char c : lexeme) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string tsquery_of(const std::vector<std::string>& lexemes, std::string_view op) {
  std::string out;
  for (const std::string& lexeme : lexemes) {
    if (!out.empty()) out += op;
    out += tsquery_operand(lexeme);
  }
  return out;
}

std::string query_terms_sql() {
  // set_config(..., false) is SET: the session's time-out for the statements
  // that follow, set without a round trip of its own.
  return "SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, $1::text)), "
         "(SELECT set_config('statement_timeout', $2::text, false)) AS timeout "
         "ORDER BY positions[1] LIMIT " +
         std::to_string(kMaxQueryTerms);
}

std::string search_sql(std::size_t terms, bool collapse_by_file) {
  if (terms == 0 || terms > kMaxQueryTerms) {
    throw std::invalid_argument("search_sql: terms must be 1.." + std::to_string(kMaxQueryTerms));
  }
  const auto p = [](std::size_t n) { return "$" + std::to_string(n); };
  const std::string any = p(terms + 1) + "::tsquery";
  const std::string all = p(terms + 2) + "::tsquery";
  const std::string per_term = p(terms + 3) + "::int";
  const std::string shortlist = p(terms + 4) + "::int";
  const std::string top_k = p(terms + 5) + "::int";
  const std::string floor = p(terms + 6) + "::float8";
  const std::string weight = p(terms + 7) + "::float8";

  // 1. Candidates: a bounded scan per term (each planned with its value).
  std::string sql = "WITH cand AS (\n  (SELECT id FROM public.rag_chunks WHERE tsv @@ " + all +
                    " LIMIT " + per_term + ")";
  for (std::size_t i = 1; i <= terms; ++i) {
    sql += "\n  UNION (SELECT id FROM public.rag_chunks WHERE tsv @@ " + p(i) +
           "::tsquery LIMIT " + per_term + ")";
  }
  // 2. Matched terms and the cheap rank for every candidate.
  sql += "\n), matched AS MATERIALIZED (\n  SELECT c.id, c.source, c.chunk_index, (";
  for (std::size_t i = 1; i <= terms; ++i) {
    if (i > 1) sql += " + ";
    sql += "(c.tsv @@ " + p(i) + "::tsquery)::int";
  }
  sql += ") AS matched, ts_rank(c.tsv, " + any + ") AS cheap\n"
         "  FROM public.rag_chunks c JOIN cand USING (id)\n)";
  // The shortlist, one per source when collapsing.
  if (collapse_by_file) {
    sql += ", short AS (\n  SELECT * FROM (\n    SELECT DISTINCT ON (source) * FROM matched\n"
           "    ORDER BY source, matched DESC, cheap DESC, chunk_index\n  ) best\n"
           "  ORDER BY matched DESC, cheap DESC, source, chunk_index LIMIT " + shortlist + "\n)";
  } else {
    sql += ", short AS (\n  SELECT * FROM matched\n"
           "  ORDER BY matched DESC, cheap DESC, source, chunk_index LIMIT " + shortlist + "\n)";
  }
  // 3. Cover density and the similarity (similarity.hpp) for the shortlist.
  sql += ", ranked AS MATERIALIZED (\n"
         "  SELECT s.source, s.chunk_index, c.text, s.matched,\n"
         "         ts_rank_cd(c.tsv, " + any + ")::float8 AS rank\n"
         "  FROM short s JOIN public.rag_chunks c USING (id)\n)\n"
         "SELECT source, chunk_index, text, matched, rank FROM ranked\n"
         "ORDER BY sqrt(matched::float8 / " + std::to_string(terms) + ") * (" + floor + " + " +
         weight + " * (rank / (1 + rank))) DESC, rank DESC, source, chunk_index\n"
         "LIMIT " + top_k;
  return sql;
}

}  // namespace atlas::rag
