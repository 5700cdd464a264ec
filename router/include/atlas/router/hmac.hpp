#pragma once
// HMAC-SHA256 (OpenSSL) and the constant-time comparisons webhook signature
// checks need. Nothing here allocates secrets beyond the caller's strings.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atlas::router {

using Sha256Digest = std::array<std::uint8_t, 32>;

// HMAC-SHA256 of the concatenation of `parts` (so callers need not build
// "v0:{ts}:{body}" in memory) under `key`.
[[nodiscard]] Sha256Digest hmac_sha256(std::string_view key,
                                       std::initializer_list<std::string_view> parts);

// Lower-case hex.
[[nodiscard]] std::string to_hex(const Sha256Digest& digest);

// Decodes exactly 64 hex digits (either case) into a digest; nullopt otherwise.
[[nodiscard]] std::optional<Sha256Digest> digest_from_hex(std::string_view hex);

// Compares two digests in time independent of where they differ (CRYPTO_memcmp).
[[nodiscard]] bool digests_equal(const Sha256Digest& a, const Sha256Digest& b);

}  // namespace atlas::router
