#pragma once
// Which model to call and through which provider: one entry of LLM_CHAIN
// ("provider:model", DESIGN section 6).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::worker {

enum class Provider { openai, anthropic, openai_compatible, offline };

// "openai", "anthropic", "openai-compatible", "offline".
[[nodiscard]] std::string_view to_string(Provider provider);
[[nodiscard]] std::optional<Provider> parse_provider(std::string_view text);

struct ModelRef {
  Provider provider = Provider::offline;
  std::string model = "offline";

  // "openai:gpt-4.1"; the offline provider is just "offline".
  [[nodiscard]] std::string label() const;
  friend bool operator==(const ModelRef&, const ModelRef&) = default;
};

struct ChainParse {
  std::vector<ModelRef> chain;
  std::vector<std::string> problems;  // each names LLM_CHAIN and says what to write
};

// Parses LLM_CHAIN entries (already split on ','): "provider:model", split at
// the first ':' so model names may contain ':' ("openai-compatible:llama3.1:8b").
// "offline" (or "offline:<anything>") is the offline provider. Unknown
// providers, a missing provider and an empty model are problems.
[[nodiscard]] ChainParse parse_llm_chain(const std::vector<std::string>& entries);

}  // namespace atlas::worker
