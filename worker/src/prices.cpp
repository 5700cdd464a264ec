#include "atlas/worker/prices.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "atlas/text.hpp"
#include "atlas/worker/provider.hpp"

namespace atlas::worker {
namespace {


std::optional<double> parse_price(std::string_view text) {
  const std::string t = std::string(trim(text));
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> json_price(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number() || it->get<double>() < 0) return std::nullopt;
  return it->get<double>();
}

}  // namespace

PriceTable PriceTable::defaults() {
  // USD per 1M tokens: input, output, cached input. Defaults to be checked
  // against the providers' price pages; override with LLM_PRICES.
  PriceTable t;
  t.set("gpt-4.1", {2.00, 8.00, 0.50});
  t.set("gpt-4.1-mini", {0.40, 1.60, 0.10});
  t.set("gpt-4.1-nano", {0.10, 0.40, 0.025});
  t.set("gpt-4o", {2.50, 10.00, 1.25});
  t.set("gpt-4o-mini", {0.15, 0.60, 0.075});
  t.set("o1", {15.00, 60.00, 7.50});
  t.set("o1-mini", {1.10, 4.40, 0.55});
  t.set("o1-pro", {150.00, 600.00, std::nullopt});
  t.set("o3", {2.00, 8.00, 0.50});
  t.set("o3-mini", {1.10, 4.40, 0.55});
  t.set("o3-pro", {20.00, 80.00, std::nullopt});
  t.set("o4-mini", {1.10, 4.40, 0.275});
  t.set("claude-opus-4", {15.00, 75.00, 1.50});
  t.set("claude-sonnet-4", {3.00, 15.00, 0.30});
  t.set("claude-3-7-sonnet", {3.00, 15.00, 0.30});
  t.set("claude-3-5-sonnet", {3.00, 15.00, 0.30});
  t.set("claude-3-5-haiku", {0.80, 4.00, 0.08});
  t.set("offline", {0.0, 0.0, 0.0});
  return t;
}

void PriceTable::set(std::string model, Price price) { prices_[std::move(model)] = price; }

std::optional<Price> PriceTable::find(std::string_view model) const {
  if (auto it = prices_.find(model); it != prices_.end()) return it->second;
  std::optional<Price> best;
  std::size_t best_len = 0;
  for (const auto& [name, price] : prices_) {
    if (name.size() > best_len && model_matches(model, name)) {
      best = price;
      best_len = name.size();
    }
  }
  return best;
}

std::optional<double> PriceTable::cost_usd(std::string_view model, const Usage& usage) const {
  if (usage.offline) return 0.0;
  auto price = find(model);
  if (!price) return std::nullopt;
  const auto cached = std::min(usage.cached_tokens, usage.prompt_tokens);
  const double uncached = static_cast<double>(usage.prompt_tokens - cached);
  const double cost =
      (uncached * price->input_per_mtok +
       static_cast<double>(cached) * price->cached_input_per_mtok.value_or(price->input_per_mtok) +
       static_cast<double>(usage.completion_tokens) * price->output_per_mtok) /
      1e6;
  return std::round(cost * 1e6) / 1e6;
}

std::vector<std::string> PriceTable::apply_overrides(std::string_view text,
                                                     std::string_view variable) {
  std::vector<std::string> problems;
  const std::string var(variable);
  const std::string body = std::string(trim(text));
  if (body.empty()) return problems;
  if (body.front() == '{') {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      problems.push_back(var + " is not a JSON object: use {\"model\": {\"input\": 2, \"output\": 8}}");
      return problems;
    }
    for (const auto& [model, entry] : doc.items()) {
      auto in = entry.is_object() ? json_price(entry, "input") : std::nullopt;
      auto out = entry.is_object() ? json_price(entry, "output") : std::nullopt;
      if (!in || !out) {
        problems.push_back(var + ": \"" + model +
                           "\" needs non-negative numbers \"input\" and \"output\" (USD per 1M "
                           "tokens)");
        continue;
      }
      set(model, {*in, *out, json_price(entry, "cached_input")});
    }
    return problems;
  }
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find_first_of(",;", start);
    if (end == std::string::npos) end = body.size();
    const std::string item = std::string(trim(std::string_view(body).substr(start, end - start)));
    start = end + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string model = eq == std::string::npos ? "" : std::string(trim(item.substr(0, eq)));
    std::vector<std::optional<double>> parts;
    if (eq != std::string::npos) {
      std::string_view rest = std::string_view(item).substr(eq + 1);
      std::size_t p = 0;
      while (p <= rest.size()) {
        auto slash = rest.find('/', p);
        if (slash == std::string_view::npos) slash = rest.size();
        parts.push_back(parse_price(rest.substr(p, slash - p)));
        p = slash + 1;
      }
    }
    const bool ok = !model.empty() && (parts.size() == 2 || parts.size() == 3) &&
                    std::all_of(parts.begin(), parts.end(), [](auto& v) { return v.has_value(); });
    if (!ok) {
      problems.push_back(var + " entry '" + item +
                         "' is malformed: write model=input/output[/cached_input] in USD per 1M "
                         "tokens, e.g. gpt-4.1=2/8/0.5");
      continue;
    }
    set(model, {*parts[0], *parts[1], parts.size() == 3 ? parts[2] : std::nullopt});
  }
  return problems;
}

}  // namespace atlas::worker
