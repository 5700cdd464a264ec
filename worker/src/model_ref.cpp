#include "atlas/worker/model_ref.hpp"

#include <algorithm>
#include <cctype>

#include "atlas/text.hpp"

namespace atlas::worker {
namespace {


}  // namespace

std::string_view to_string(Provider provider) {
  switch (provider) {
    case Provider::openai: return "openai";
    case Provider::anthropic: return "anthropic";
    case Provider::openai_compatible: return "openai-compatible";
    case Provider::offline: return "offline";
  }
  return "offline";
}

std::optional<Provider> parse_provider(std::string_view text) {
  for (auto p : {Provider::openai, Provider::anthropic, Provider::openai_compatible,
                 Provider::offline}) {
    if (to_string(p) == text) return p;
  }
  return std::nullopt;
}

std::string ModelRef::label() const {
  if (provider == Provider::offline) return "offline";
  return std::string(to_string(provider)) + ":" + model;
}

ChainParse parse_llm_chain(const std::vector<std::string>& entries) {
  ChainParse out;
  for (const auto& raw : entries) {
    const std::string entry = std::string(trim(raw));
    if (entry.empty()) continue;
    const auto colon = entry.find(':');
    const std::string provider_text = std::string(trim(entry.substr(0, colon)));
    const std::string model = colon == std::string::npos ? "" : std::string(trim(entry.substr(colon + 1)));
    auto provider = parse_provider(provider_text);
    if (!provider) {
      if (colon == std::string::npos) {
        out.problems.push_back("LLM_CHAIN entry '" + entry +
                               "' has no provider: write provider:model, e.g. openai:" + entry);
      } else {
        out.problems.push_back("LLM_CHAIN entry '" + entry + "': unknown provider '" +
                               provider_text +
                               "': use openai, anthropic, openai-compatible or offline");
      }
      continue;
    }
    if (*provider == Provider::offline) {
      out.chain.push_back(ModelRef{Provider::offline, "offline"});
      continue;
    }
    if (model.empty()) {
      out.problems.push_back("LLM_CHAIN entry '" + entry + "' has no model: write " +
                             provider_text + ":<model>, e.g. " +
                             (*provider == Provider::anthropic ? "anthropic:claude-sonnet-4-20250514"
                                                               : provider_text + ":gpt-4.1"));
      continue;
    }
    out.chain.push_back(ModelRef{*provider, model});
  }
  if (out.chain.empty() && out.problems.empty()) {
    out.problems.push_back(
        "LLM_CHAIN is empty: list provider:model entries, e.g. openai:gpt-4.1,openai:o3");
  }
  return out;
}

}  // namespace atlas::worker
