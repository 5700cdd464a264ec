#pragma once
// What a run cost: a price table in USD per million tokens per model, and
// cost_usd(model, usage).
//
// The built-in prices are DEFAULTS TO BE CHECKED against the providers'
// current price pages before anyone bills from them; override them with
// LLM_PRICES (or LLM_PRICES_FILE), e.g.
//   LLM_PRICES="gpt-4.1=2/8/0.5,o1-pro=150/600"   (input/output[/cached input])
// or a JSON object {"gpt-4.1": {"input": 2, "output": 8, "cached_input": 0.5}}.
// Models match exactly, else by the longest prefix at a '-' boundary, so
// "gpt-4.1-2025-04-14" is priced as "gpt-4.1" and "gpt-4.1-mini" as itself.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/worker/usage.hpp"

namespace atlas::worker {

struct Price {
  double input_per_mtok = 0;                    // USD per 1,000,000 input tokens
  double output_per_mtok = 0;                   // output (reasoning included)
  std::optional<double> cached_input_per_mtok;  // cached input; input price when absent
};

class PriceTable {
 public:
  PriceTable() = default;
  // The built-in defaults (see above: to be checked).
  static PriceTable defaults();

  void set(std::string model, Price price);
  [[nodiscard]] std::optional<Price> find(std::string_view model) const;

  // USD for `usage` of `model`, rounded to 1e-6; 0 for offline usage;
  // nullopt when the model has no price.
  [[nodiscard]] std::optional<double> cost_usd(std::string_view model, const Usage& usage) const;

  // Applies "model=in/out[/cached],..." (',' or ';' separated) or a JSON
  // object. Returns problems, each naming `variable`; valid entries are
  // applied even when others are not.
  std::vector<std::string> apply_overrides(std::string_view text, std::string_view variable);

  [[nodiscard]] const std::map<std::string, Price, std::less<>>& entries() const { return prices_; }

 private:
  std::map<std::string, Price, std::less<>> prices_;
};

}  // namespace atlas::worker
