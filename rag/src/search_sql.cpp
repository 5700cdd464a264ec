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
  // set_config(..., false) is SET: session settings for the statements that
  // follow, set without a round trip of their own. The search is a prepared
  // statement (store.cpp), and a generic plan would be a disaster for it: a
  // term's bounded scan must be a sequential scan that stops after a few
  // pages when the term is in most chunks, and a GIN bitmap scan when it is
  // rare, so every execution is planned for its own terms. Synchronised
  // sequential scans are off so that the chunks a very common term
  // contributes are always the same ones (the first in the table), which
  // makes an answer repeatable and keeps those pages in cache.
  return "SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, $1::text)), "
         "(SELECT set_config('statement_timeout', $2::text, false), "
         "set_config('plan_cache_mode', 'force_custom_plan', false), "
         "set_config('synchronize_seqscans', 'off', false)) AS settings "
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
  //    The scans return only each row's address (ctid), so the UNION that
  //    removes chunks found by several scans works on small values; each
  //    candidate is then read again by its address (a TID scan: no index
  //    descent, and the page was just read). A ctid is stable for the whole
  //    statement: no row version its snapshot sees can be removed under it.
  const auto scan = [&](const std::string& tsquery) {
    return "(SELECT ctid AS tid FROM public.rag_chunks WHERE tsv @@ " + tsquery + " LIMIT " +
           per_term + ")";
  };
  std::string sql = "WITH cand AS (\n  " + scan(all);
  for (std::size_t i = 1; i <= terms; ++i) sql += "\n  UNION " + scan(p(i) + "::tsquery");
  // 2. Matched terms and the cheap rank for every candidate.
  sql += "\n), matched AS (\n  SELECT cand.tid, c.source, c.chunk_index, (";
  for (std::size_t i = 1; i <= terms; ++i) {
    if (i > 1) sql += " + ";
    sql += "(c.tsv @@ " + p(i) + "::tsquery)::int";
  }
  sql += ") AS matched, ts_rank(c.tsv, " + any + ") AS cheap\n"
         "  FROM cand JOIN public.rag_chunks c ON c.ctid = cand.tid\n)";
  // The shortlist, one per source when collapsing.
  if (collapse_by_file) {
    sql += ", short AS (\n  SELECT * FROM (\n    SELECT DISTINCT ON (source) * FROM matched\n"
           "    ORDER BY source, matched DESC, cheap DESC, chunk_index\n  ) best\n"
           "  ORDER BY matched DESC, cheap DESC, source, chunk_index LIMIT " + shortlist + "\n)";
  } else {
    sql += ", short AS (\n  SELECT * FROM matched\n"
           "  ORDER BY matched DESC, cheap DESC, source, chunk_index LIMIT " + shortlist + "\n)";
  }
  // 3. Cover density (computed once per row: MATERIALIZED) and the
  //    similarity (similarity.hpp) for the shortlist; the best top_k, with
  //    their text (read for those rows only).
  sql += ", ranked AS MATERIALIZED (\n"
         "  SELECT s.tid, s.source, s.chunk_index, s.matched,\n"
         "         ts_rank_cd(c.tsv, " + any + ")::float8 AS rank\n"
         "  FROM short s JOIN public.rag_chunks c ON c.ctid = s.tid\n"
         "), best AS (\n"
         "  SELECT tid, source, chunk_index, matched, rank,\n"
         "         sqrt(matched::float8 / " + std::to_string(terms) + ") * (" + floor + " + " +
         weight + " * (rank / (1 + rank))) AS score\n"
         "  FROM ranked ORDER BY score DESC, rank DESC, source, chunk_index\n"
         "  LIMIT " + top_k + "\n)\n"
         "SELECT b.source, b.chunk_index, c.text, b.matched, b.rank\n"
         "FROM best b JOIN public.rag_chunks c ON c.ctid = b.tid\n"
         "ORDER BY b.score DESC, b.rank DESC, b.source, b.chunk_index";
  return sql;
}

std::string search_statement_name(std::size_t terms, bool collapse_by_file) {
  return "rag_search_" + std::to_string(terms) + (collapse_by_file ? "_collapse" : "");
}

}  // namespace atlas::rag
