#pragma once
// From PostgreSQL full-text matches to the ranked answer of /v1/query_chat.
// Pure: the store hands over candidates, this decides scores and order.
//
// similarity = sqrt(coverage) * (0.85 + 0.15 * density)
//   coverage = matched / total: the share of the query's distinct terms
//              (lexemes after English stemming and stop-word removal, as
//              to_tsvector('english', query) produces them) that occur in
//              the chunk. sqrt(coverage) is the cosine similarity between the
//              query's term vector (one 1 per term) and the chunk's presence
//              vector over those terms: matched / sqrt(total * matched);
//   density  = r / (1 + r) with r = ts_rank_cd(chunk, query) (cover density:
//              about 0.1 per occurrence, more when the terms are close
//              together), so density is in [0, 1).
// So similarity is in [0, 1], never above sqrt(coverage) and at least 85% of
// it. A relevancy_threshold of 0.65 keeps a chunk when it contains at least
// 42% of the query's terms densely, or 59% of them however sparsely
// ((0.65 / 1.0)^2 and (0.65 / 0.85)^2). docs/rag.md has worked examples.
#include <string>
#include <vector>

namespace atlas::rag {

inline constexpr double kCoverageFloor = 0.85;  // share of sqrt(coverage) given for matching at all
inline constexpr double kDensityWeight = 0.15;  // bonus for dense matches

// r / (1 + r), clamped to [0, 1); negative or NaN r gives 0.
[[nodiscard]] double density_from_rank(double rank);
// See above; inputs are clamped to [0, 1] first.
[[nodiscard]] double similarity(double coverage, double density);

struct Candidate {
  std::string source;
  int chunk_index = 0;
  std::string text;
  int matched_terms = 0;  // distinct query lexemes found in the chunk
  int query_terms = 0;    // distinct query lexemes; 0 means nothing can match
  double rank = 0.0;      // ts_rank_cd, raw
};

struct ScoredChunk {
  std::string text;
  double similarity = 0.0;
  std::string source;
  int chunk_index = 0;
};

struct Selection {
  int top_k = 15;
  double relevancy_threshold = 0.0;
  bool collapse_by_file = false;
};

// Scores every candidate, drops those below the threshold (and those with no
// matched term), orders best first (similarity, then raw rank, then source
// and chunk index so equal scores come out in a stable order), keeps only the
// best chunk of each source when collapsing, and returns at most top_k.
[[nodiscard]] std::vector<ScoredChunk> select_results(std::vector<Candidate> candidates,
                                                      const Selection& selection);

}  // namespace atlas::rag
