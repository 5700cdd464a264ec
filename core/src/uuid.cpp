#include "atlas/uuid.hpp"

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid.hpp>

#include "atlas/text.hpp"

namespace atlas {
namespace {

constexpr std::size_t kTextLength = 36;

constexpr bool is_hyphen_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }


// Sets the version nibble and the RFC 4122 variant bits (10xx).
Uuid::Bytes stamp(Uuid::Bytes bytes, int version) {
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0Fu) | (static_cast<unsigned>(version) << 4));
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3Fu) | 0x80u);
  return bytes;
}

}  // namespace

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != kTextLength) return std::nullopt;
  Bytes bytes{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < kTextLength; ++i) {
    if (is_hyphen_position(i)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int high = hex_digit_value(text[i]);
    const int low = hex_digit_value(text[i + 1]);
    if (high < 0 || low < 0 || is_hyphen_position(i + 1)) return std::nullopt;
    bytes[out++] = static_cast<std::uint8_t>((high << 4) | low);
    ++i;
  }
  return Uuid{bytes};
}

bool is_uuid(std::string_view text) { return Uuid::parse(text).has_value(); }

std::string Uuid::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(kTextLength);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kDigits[bytes_[i] >> 4]);
    text.push_back(kDigits[bytes_[i] & 0x0F]);
  }
  return text;
}

Uuid Uuid::v4(const std::function<std::uint64_t()>& random_u64) {
  Bytes bytes{};
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = random_u64();
    for (std::size_t i = 0; i < 8; ++i) {
      bytes[half * 8 + i] = static_cast<std::uint8_t>(bits & 0xFFu);
      bits >>= 8;
    }
  }
  return Uuid{stamp(bytes, 4)};
}

Uuid Uuid::random_v4() {
  std::random_device device;
  return v4([&device] {
    return (static_cast<std::uint64_t>(device()) << 32) | static_cast<std::uint64_t>(device());
  });
}

Uuid Uuid::v5(const Uuid& name_space, std::string_view name) {
  boost::uuids::uuid ns{};
  std::copy(name_space.bytes_.begin(), name_space.bytes_.end(), ns.begin());
  const boost::uuids::uuid id = boost::uuids::name_generator_sha1(ns)(name.data(), name.size());
  Bytes bytes{};
  std::copy(id.begin(), id.end(), bytes.begin());
  return Uuid{bytes};
}

Uuid reply_task_id(const Uuid& request_task_id) {
  return Uuid::v5(kAtlasNamespace, "reply:" + request_task_id.to_string());
}

Uuid escalation_task_id(const Uuid& failed_task_id) {
  return Uuid::v5(kAtlasNamespace, "escalate:" + failed_task_id.to_string());
}

}  // namespace atlas
