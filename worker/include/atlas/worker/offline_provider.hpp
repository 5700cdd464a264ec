#pragma once
// The offline provider: deterministic, no network. It turns the request and
// the retrieved chunks into a Markdown spec skeleton (ADR sections: Context,
// Decision, Architecture, Data flow, Operations, Risks, Next steps, Sources)
// that cites the chunks' sources.
//
// It exists for development and for runs without any API key: the chain
// becomes `offline` when no key is configured and LLM_CHAIN is not set, main
// announces that loudly, and every reply says model "offline". Its usage is
// computed deterministically (the prompt estimate and the estimate of its own
// output) and marked `offline`; it still counts against the token budget so
// that budget behaviour can be exercised without a provider.
#include "atlas/worker/prompt.hpp"
#include "atlas/worker/usage.hpp"

namespace atlas::worker {

inline constexpr std::string_view kOfflineModel = "offline";

// Same input, same output: no clock, no randomness.
[[nodiscard]] Completion offline_complete(const Prompt& prompt);

}  // namespace atlas::worker
