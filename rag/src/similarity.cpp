#include "atlas/rag/similarity.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace atlas::rag {
namespace {

double clamp01(double x) { return std::isnan(x) ? 0.0 : std::clamp(x, 0.0, 1.0); }

}  // namespace

double density_from_rank(double rank) {
  if (!(rank > 0.0)) return 0.0;  // negative, zero or NaN
  if (std::isinf(rank)) return 1.0;
  return rank / (1.0 + rank);
}

double similarity(double coverage, double density) {
  return std::sqrt(clamp01(coverage)) * (kCoverageFloor + kDensityWeight * clamp01(density));
}

std::vector<ScoredChunk> select_results(std::vector<Candidate> candidates,
                                        const Selection& selection) {
  struct Scored {
    Candidate candidate;
    double score;
  };
  std::vector<Scored> scored;
  scored.reserve(candidates.size());
  for (Candidate& c : candidates) {
    if (c.query_terms <= 0 || c.matched_terms <= 0) continue;
    const double coverage = static_cast<double>(std::min(c.matched_terms, c.query_terms)) /
                            static_cast<double>(c.query_terms);
    const double score = similarity(coverage, density_from_rank(c.rank));
    if (score < selection.relevancy_threshold) continue;
    scored.push_back(Scored{std::move(c), score});
  }
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.candidate.rank != b.candidate.rank) return a.candidate.rank > b.candidate.rank;
    if (a.candidate.source != b.candidate.source) return a.candidate.source < b.candidate.source;
    return a.candidate.chunk_index < b.candidate.chunk_index;
  });

  std::vector<ScoredChunk> out;
  const auto limit = static_cast<std::size_t>(std::max(selection.top_k, 0));
  std::unordered_set<std::string> seen;
  for (Scored& s : scored) {
    if (out.size() >= limit) break;
    if (selection.collapse_by_file && !seen.insert(s.candidate.source).second) continue;
    out.push_back(ScoredChunk{std::move(s.candidate.text), s.score, std::move(s.candidate.source),
                              s.candidate.chunk_index});
  }
  return out;
}

}  // namespace atlas::rag
