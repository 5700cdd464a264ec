#pragma once
// librdkafka configuration for each kind of client, assembled from
// KafkaSettings (KAFKA_BROKERS and the KAFKA_PROPERTY_<name> passthrough).
// Pure: no librdkafka here, so the rules are unit-tested.
//
// Order of precedence, lowest first: Atlas defaults, the passthrough, and the
// properties Atlas relies on for its guarantees. A passthrough property that
// would change one of the latter is refused with KafkaConfigError naming the
// variable, rather than silently overridden:
//   producer  enable.idempotence=true, acks=all              (DESIGN G1)
//   consumer  enable.auto.offset.store=false (offsets are stored by the
//             OffsetTracker, DESIGN G8), enable.auto.commit=true, group.id,
//             an eager partition.assignment.strategy (range, roundrobin:
//             cooperative-sticky is unreliable in librdkafka 2.0.2)
//   all       bootstrap.servers (set KAFKA_BROKERS instead)
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "atlas/config.hpp"

namespace atlas::kafka {

using Property = std::pair<std::string, std::string>;
using PropertyList = std::vector<Property>;  // each name once, applied in order

// The largest value (plus headers) the producer accepts by default: the 1 MiB
// envelope limit plus room for the retry and dead-letter headers. The broker
// has its own limit (message.max.bytes / max.message.bytes); a message over
// either fails through its DeliveryResult.
inline constexpr std::string_view kDefaultMessageMaxBytes = "1114112";

// Throws KafkaConfigError.
PropertyList producer_properties(const KafkaSettings& settings, std::string_view client_id);
PropertyList consumer_properties(const KafkaSettings& settings, std::string_view client_id,
                                 std::string_view group_id, std::string_view auto_offset_reset);
PropertyList admin_properties(const KafkaSettings& settings, std::string_view client_id);

// The environment variable that sets passthrough property `name`
// ("security.protocol" -> "KAFKA_PROPERTY_security_protocol").
std::string property_variable(std::string_view name);

// The value of `name` in `list`, or nullptr.
const std::string* find_property(const PropertyList& list, std::string_view name);

}  // namespace atlas::kafka
