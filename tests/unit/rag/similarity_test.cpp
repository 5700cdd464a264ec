#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "atlas/rag/similarity.hpp"

using atlas::rag::Candidate;
using atlas::rag::select_results;
using atlas::rag::Selection;

namespace {
Candidate cand(std::string source, int index, int matched, int total, double rank) {
  return Candidate{std::move(source), index, "text " + std::to_string(index), matched, total, rank};
}
}  // namespace

TEST_CASE("similarity: sqrt(coverage) scaled by 0.85..1 for density, within 0..1") {
  using atlas::rag::similarity;
  CHECK(similarity(1.0, 0.0) == doctest::Approx(0.85));
  CHECK(similarity(1.0, 1.0) == doctest::Approx(1.0));
  CHECK(similarity(0.0, 1.0) == doctest::Approx(0.0));
  CHECK(similarity(0.25, 0.5) == doctest::Approx(0.5 * (0.85 + 0.075)));
  CHECK(similarity(2.0, 2.0) == doctest::Approx(1.0));  // clamped
  CHECK(similarity(-1.0, -1.0) == doctest::Approx(0.0));
  CHECK(similarity(std::nan(""), 0.5) == doctest::Approx(0.0));
  for (double c = 0; c <= 1.0; c += 0.05) {
    for (double d = 0; d <= 1.0; d += 0.05) {
      const double s = similarity(c, d);
      CHECK(s <= std::sqrt(c) + 1e-12);
      CHECK(s >= 0.85 * std::sqrt(c) - 1e-12);
      CHECK(similarity(c + 0.05, d) >= s);  // more terms never score lower
      CHECK(similarity(c, d + 0.05) >= s);  // denser never scores lower
    }
  }
  // sqrt(coverage) is the cosine of the query's term vector and the chunk's
  // presence vector over those terms: matched / sqrt(total * matched).
  CHECK(similarity(3.0 / 9.0, 1.0) == doctest::Approx(3.0 / std::sqrt(9.0 * 3.0)));
}

TEST_CASE("similarity: density maps ts_rank_cd into the unit interval, 1 excluded") {
  using atlas::rag::density_from_rank;
  CHECK(density_from_rank(0.0) == 0.0);
  CHECK(density_from_rank(-3.0) == 0.0);
  CHECK(density_from_rank(std::nan("")) == 0.0);
  CHECK(density_from_rank(1.0) == doctest::Approx(0.5));
  CHECK(density_from_rank(std::numeric_limits<double>::infinity()) == 1.0);
  CHECK(density_from_rank(0.1) < density_from_rank(0.2));
}

TEST_CASE("select_results: threshold 0.65 keeps chunks with enough of the query's terms") {
  // A query of 4 terms: 4/4 and 3/4 always pass 0.65 (>= 0.85 and >= 0.736);
  // 2/4 passes only when dense (0.601..0.707); 1/4 never (<= 0.5).
  std::vector<Candidate> c = {cand("all.md", 0, 4, 4, 0.0), cand("three_sparse.md", 0, 3, 4, 0.0),
                              cand("two_dense.md", 0, 2, 4, 50.0), cand("two_sparse.md", 0, 2, 4, 0.1),
                              cand("one.md", 0, 1, 4, 100.0), cand("none.md", 0, 0, 4, 0.0)};
  const auto r = select_results(c, Selection{15, 0.65, false});
  REQUIRE(r.size() == 3);
  CHECK(r[0].source == "all.md");
  CHECK(r[0].similarity == doctest::Approx(0.85));
  CHECK(r[1].source == "three_sparse.md");
  CHECK(r[1].similarity == doctest::Approx(std::sqrt(0.75) * 0.85));
  CHECK(r[2].source == "two_dense.md");
  CHECK(r[2].similarity == doctest::Approx(std::sqrt(0.5) * (0.85 + 0.15 * 50.0 / 51.0)));

  const auto everything = select_results(c, Selection{15, 0.0, false});
  CHECK(everything.size() == 5);  // no matched term: never returned
  CHECK(everything.back().source == "one.md");
}

TEST_CASE("select_results: best first, stable ties, top_k, collapse by file") {
  std::vector<Candidate> c = {cand("b.md", 1, 2, 2, 0.5), cand("a.md", 3, 2, 2, 0.5),
                              cand("a.md", 1, 2, 2, 0.5), cand("a.md", 0, 2, 2, 0.9),
                              cand("c.md", 0, 1, 2, 0.9)};
  const auto all = select_results(c, Selection{10, 0.0, false});
  REQUIRE(all.size() == 5);
  CHECK(all[0].source == "a.md");
  CHECK(all[0].chunk_index == 0);
  CHECK(all[1].source == "a.md");
  CHECK(all[1].chunk_index == 1);
  CHECK(all[2].source == "a.md");
  CHECK(all[2].chunk_index == 3);
  CHECK(all[3].source == "b.md");
  CHECK(all[4].source == "c.md");
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].similarity >= all[i].similarity);

  const auto top2 = select_results(c, Selection{2, 0.0, false});
  CHECK(top2.size() == 2);

  const auto collapsed = select_results(c, Selection{10, 0.0, true});
  REQUIRE(collapsed.size() == 3);
  CHECK(collapsed[0].source == "a.md");
  CHECK(collapsed[0].chunk_index == 0);
  CHECK(collapsed[1].source == "b.md");
  CHECK(collapsed[2].source == "c.md");
}
