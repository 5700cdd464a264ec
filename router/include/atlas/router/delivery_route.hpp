#pragma once
// Where a message consumed from architect_out goes. Every message is recorded
// in PostgreSQL (G2) whatever this says; this decides the external post.
//
//   a reply (parent_id set) with text content and origin slack  -> SlackDestination
//   ... origin github                                          -> GithubDestination
//   control messages (escalations included: posting them could
//   fail and escalate again, a loop), requests, origin cli/db
//   or none                                                    -> RecordOnly
//   origin slack/github with missing or unsafe fields          -> Undeliverable
//                                                                 (permanent: dead letter)
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "atlas/envelope.hpp"

namespace atlas::router {

struct SlackDestination {
  std::string team;                      // may be empty (slash commands from some clients)
  std::string channel;
  std::optional<std::string> thread_ts;  // reply in this thread; none for slash commands

  // The per-channel rate limit key.
  [[nodiscard]] std::string channel_key() const { return team + ":" + channel; }
};

struct GithubDestination {
  std::string repo;  // "owner/name", validated
  std::int64_t issue_number = 0;
  std::optional<std::int64_t> installation_id;
};

struct RecordOnly {
  std::string reason;
};

struct Undeliverable {
  std::string reason;
};

using DeliveryRoute = std::variant<RecordOnly, Undeliverable, SlackDestination, GithubDestination>;

[[nodiscard]] DeliveryRoute route_delivery(const Envelope& message);

}  // namespace atlas::router
