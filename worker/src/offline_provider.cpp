#include "atlas/worker/offline_provider.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <set>
#include <string>

#include "atlas/worker/budget.hpp"
#include "atlas/utf8.hpp"

namespace atlas::worker {
namespace {

// Text on one line, whitespace runs collapsed, cut to `max_bytes`.
std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > max_bytes) {
    std::string cut(utf8_prefix(out, max_bytes));
    cut += "...";
    return cut;
  }
  return out;
}

std::set<std::string> words_of(std::string_view text) {
  std::set<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      words.insert(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.insert(std::move(word));
  return words;
}

struct Hint {
  std::array<std::string_view, 4> words;  // any of them triggers the hint
  std::string_view component;
};

// Building blocks suggested when the request mentions them.
constexpr std::array<Hint, 10> kHints = {{
    {{"kubernetes", "k8s", "helm", "pod"},
     "Kubernetes workloads: Deployments with readiness/liveness probes, an HPA, a "
     "PodDisruptionBudget and resource requests/limits."},
    {{"ci", "pipeline", "build", "github"},
     "CI pipeline: lint, build, unit tests, integration tests, artifact publication and a gated "
     "deploy stage; caches keyed by lockfiles."},
    {{"postgres", "postgresql", "database", "sql"},
     "PostgreSQL: numbered idempotent migrations, a connection pool, point-in-time recovery "
     "backups."},
    {{"kafka", "queue", "event", "events"},
     "Message bus: keyed topics, consumer groups, a retry topic and a dead-letter topic."},
    {{"terraform", "iac", "infrastructure", "module"},
     "Infrastructure as code: versioned modules, remote state with locking, plan on pull request "
     "and apply on merge."},
    {{"s3", "bucket", "storage", "blob"},
     "Object storage: private buckets, encryption at rest, lifecycle rules, least-privilege "
     "access policies."},
    {{"api", "http", "rest", "grpc"},
     "Service API: versioned endpoints, request limits and time-outs, authentication at the "
     "edge."},
    {{"cache", "redis", "memcached", "cdn"},
     "Cache: explicit TTLs, bounded size, and a fallback path when the cache is down."},
    {{"ingress", "gateway", "tls", "loadbalancer"},
     "Ingress: TLS termination at the edge, rate limits, health-checked backends."},
    {{"monitoring", "observability", "metrics", "alerts"},
     "Observability: Prometheus metrics, structured logs, SLO-based alerts and a dashboard."},
}};

std::string similarity_text(double similarity) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, similarity, std::chars_format::fixed, 2);
  return ec == std::errc() ? std::string(buf, end) : "0.00";
}

}  // namespace

Completion offline_complete(const Prompt& prompt) {
  const std::string title = one_line(prompt.request, 80);
  const std::set<std::string> words = words_of(prompt.request);
  std::string md;
  md += "# " + (title.empty() ? std::string("Architecture spec") : title) + "\n\n";
  md +=
      "> Drafted by the offline provider: no language model was called (no API key is "
      "configured, or LLM_CHAIN is `offline`). This is a deterministic skeleton built from the "
      "request and the retrieved context; review and complete it.\n\n";

  md += "## Status\n\nProposed (offline draft).\n\n";

  md += "## Context\n\n";
  std::string quoted = "> ";
  for (char c : prompt.request) {
    quoted.push_back(c);
    if (c == '\n') quoted += "> ";
  }
  md += quoted + "\n\n";
  if (prompt.chunks.empty()) {
    md += "No relevant context was retrieved for this request; the design below rests on "
          "general practice only.\n\n";
  } else {
    md += "Retrieved context (" + std::to_string(prompt.chunks.size()) + " source" +
          (prompt.chunks.size() == 1 ? "" : "s") + "):\n\n";
    for (std::size_t i = 0; i < prompt.chunks.size(); ++i) {
      md += "- [" + std::to_string(i + 1) + "] `" + one_line(prompt.chunks[i].source, 200) +
            "`: " + one_line(prompt.chunks[i].text, 160) + "\n";
    }
    md += "\n";
  }

  md += "## Decision\n\n";
  md += "Adopt the smallest design that meets the request, built from the components below";
  md += prompt.chunks.empty() ? "" : " and consistent with the conventions in the cited sources";
  md += ". Alternatives and trade-offs are to be filled in by a reviewer or a model-backed run.\n\n";

  md += "## Architecture\n\n";
  bool any_hint = false;
  for (const auto& hint : kHints) {
    for (std::string_view w : hint.words) {
      if (!w.empty() && words.count(std::string(w)) > 0) {
        md += "- " + std::string(hint.component) + "\n";
        any_hint = true;
        break;
      }
    }
  }
  if (!any_hint) {
    md += "- One service owning the capability described in the request, with a documented API.\n"
          "- Durable state in a managed database; configuration from the environment.\n";
  }
  for (std::size_t i = 0; i < prompt.chunks.size(); ++i) {
    md += "- Follow the existing conventions in [" + std::to_string(i + 1) + "].\n";
  }
  md += "\n";

  md += "## Data flow\n\n"
        "1. A client or upstream system submits work through the entry point.\n"
        "2. The request is validated; invalid input is rejected with a clear error.\n"
        "3. The work is processed and its result stored durably before it is acknowledged.\n"
        "4. Failures are retried with backoff; what still fails is dead-lettered with its reason.\n\n";

  md += "## Operations\n\n"
        "- Deployment: reproducible builds, configuration and secrets injected at run time.\n"
        "- Observability: request rate, errors and latency as metrics; structured logs with a "
        "correlation id; alerts on error budget burn.\n"
        "- Security: least-privilege credentials, secrets in a secret store, TLS everywhere.\n"
        "- Recovery: backups tested by restoring them; a runbook for the top failure modes.\n\n";

  md += "## Risks\n\n"
        "- This draft was produced without a model: it may miss requirements specific to the "
        "request. Mitigation: review it, or re-run the request with a provider configured.\n"
        "- Unstated load, availability and compliance requirements. Mitigation: confirm them "
        "before implementation.\n\n";

  md += "## Next steps\n\n"
        "1. Confirm the requirements and assumptions in Context.\n"
        "2. Choose between the alternatives and complete Decision.\n"
        "3. Implement the components in Architecture behind tests.\n"
        "4. Add the metrics, alerts and runbook in Operations.\n\n";

  md += "## Sources\n\n";
  if (prompt.chunks.empty()) {
    md += "None retrieved.\n";
  } else {
    for (std::size_t i = 0; i < prompt.chunks.size(); ++i) {
      md += "[" + std::to_string(i + 1) + "] `" + one_line(prompt.chunks[i].source, 200) +
            "` (similarity " + similarity_text(prompt.chunks[i].similarity) + ")\n";
    }
  }

  Completion out;
  out.text = std::move(md);
  out.model = std::string(kOfflineModel);
  out.finish_reason = "stop";
  out.usage.prompt_tokens = prompt.estimated_tokens;
  out.usage.completion_tokens = estimate_tokens(out.text);
  out.usage.reported = true;
  out.usage.offline = true;
  return out;
}

}  // namespace atlas::worker
