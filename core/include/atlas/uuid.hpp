#pragma once
// RFC 4122 UUIDs: parsing, formatting, random (v4) and name-based (v5) ids.
//
// Atlas derives the ids of replies and escalations from the id of the message
// they answer (UUID v5 in kAtlasNamespace), so reprocessing a request always
// produces the same reply id (DESIGN section 3, guarantee G4).
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace atlas {

class Uuid {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  constexpr Uuid() = default;  // the nil UUID 00000000-0000-0000-0000-000000000000
  explicit constexpr Uuid(const Bytes& bytes) : bytes_(bytes) {}

  // Accepts only the canonical 8-4-4-4-12 form (36 characters, hex digits in
  // either case, hyphens at 8, 13, 18, 23). No braces, "urn:uuid:" prefix,
  // surrounding spaces or missing hyphens.
  static std::optional<Uuid> parse(std::string_view text);

  // Random UUID (version 4, RFC 4122 variant). `random_u64` is called twice;
  // inject a seeded generator in tests.
  static Uuid v4(const std::function<std::uint64_t()>& random_u64);
  // v4 from std::random_device (the operating system's entropy source).
  static Uuid random_v4();
  // Name-based UUID (version 5, SHA-1 of namespace bytes + name).
  static Uuid v5(const Uuid& name_space, std::string_view name);

  // Canonical lower-case form.
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] const Bytes& bytes() const { return bytes_; }
  [[nodiscard]] int version() const { return bytes_[6] >> 4; }
  [[nodiscard]] bool is_nil() const { return *this == Uuid{}; }

  friend constexpr auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  Bytes bytes_{};
};

// True when `text` is a UUID in canonical form (see Uuid::parse).
[[nodiscard]] bool is_uuid(std::string_view text);

// RFC 4122 Appendix C namespace for DNS names (6ba7b810-9dad-11d1-80b4-00c04fd430c8).
inline constexpr Uuid kDnsNamespace{Uuid::Bytes{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                                0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}};

// Atlas's own namespace for derived ids: 4c087c1d-93ef-462c-8bb1-acf90c299717.
// A random v4 UUID chosen once; it must never change, or replies to requests
// processed before and after the change would get different ids.
inline constexpr Uuid kAtlasNamespace{Uuid::Bytes{0x4c, 0x08, 0x7c, 0x1d, 0x93, 0xef, 0x46, 0x2c,
                                                  0x8b, 0xb1, 0xac, 0xf9, 0x0c, 0x29, 0x97, 0x17}};

// The task_id of the reply to request `request_task_id`:
// v5(kAtlasNamespace, "reply:" + request_task_id.to_string()).
[[nodiscard]] Uuid reply_task_id(const Uuid& request_task_id);

// The task_id of the escalation raised for `failed_task_id`:
// v5(kAtlasNamespace, "escalate:" + failed_task_id.to_string()). One escalation
// per failed task, however often the failure is re-detected.
[[nodiscard]] Uuid escalation_task_id(const Uuid& failed_task_id);

}  // namespace atlas
