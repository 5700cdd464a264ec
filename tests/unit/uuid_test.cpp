#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "atlas/uuid.hpp"

using atlas::Uuid;

namespace {

// RFC 4122 variant: the two top bits of byte 8 are 10.
bool has_rfc4122_variant(const Uuid& id) { return (id.bytes()[8] & 0xC0u) == 0x80u; }

Uuid must_parse(std::string_view text) {
  const auto id = Uuid::parse(text);
  REQUIRE(id.has_value());
  return *id;
}

}  // namespace

TEST_CASE("uuid: parse accepts the canonical form in any case and prints lower case") {
  const auto lower = must_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  const auto upper = must_parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8");
  const auto mixed = must_parse("6Ba7B810-9dAd-11D1-80b4-00C04fd430C8");
  CHECK(lower == upper);
  CHECK(lower == mixed);
  CHECK(upper.to_string() == "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  CHECK(lower == atlas::kDnsNamespace);
  CHECK(lower.version() == 1);
  CHECK(lower.bytes()[0] == 0x6b);
  CHECK(lower.bytes()[15] == 0xc8);
  CHECK(must_parse("00000000-0000-0000-0000-000000000000").is_nil());
  CHECK(must_parse("ffffffff-ffff-ffff-ffff-ffffffffffff").to_string() ==
        "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST_CASE("uuid: parse rejects everything but the canonical form") {
  const char* const rejected[] = {
      "",
      "6ba7b810-9dad-11d1-80b4-00c04fd430c",    // 35 characters
      "6ba7b810-9dad-11d1-80b4-00c04fd430c88",  // 37 characters
      "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
      "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
      "6ba7b8109dad11d180b400c04fd430c8",
      "6ba7b810-9dad-11d1-80b400-c04fd430c8",   // hyphen moved
      "6ba7b810-9dad-11d1-80b4_00c04fd430c8",   // not a hyphen
      "6ba7b81g-9dad-11d1-80b4-00c04fd430c8",   // not hex
      " 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
      "6ba7b810-9dad-11d1-80b4-00c04fd430c8\n",
      "6ba7b810-9dad-11d1-80b4-00c04fd430c\n",  // right length, newline at the end
      "+ba7b810-9dad-11d1-80b4-00c04fd430c8",
      "------------------------------------",
  };
  for (const char* text : rejected) {
    CAPTURE(text);
    CHECK_FALSE(Uuid::parse(text).has_value());
    CHECK_FALSE(atlas::is_uuid(text));
  }
  const std::string with_nul("6ba7b810-9dad-11d1-80b4-00c04fd4\0c8", 36);
  CHECK_FALSE(Uuid::parse(with_nul).has_value());
}

TEST_CASE("uuid: v5 matches independent implementations") {
  // Values from Python's uuid.uuid5 (CPython's hashlib SHA-1). The v5 example
  // printed in some copies of RFC 4122 (2ed6657d-e927-51b7-...) is a known erratum.
  const auto example = Uuid::v5(atlas::kDnsNamespace, "www.example.com");
  CHECK(example.to_string() == "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  CHECK(Uuid::v5(atlas::kDnsNamespace, "python.org").to_string() ==
        "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  CHECK(example.version() == 5);
  CHECK(has_rfc4122_variant(example));
  CHECK(Uuid::v5(atlas::kDnsNamespace, "") != Uuid::v5(atlas::kAtlasNamespace, ""));
}

TEST_CASE("uuid: v4 uses the injected random source and stamps version and variant") {
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  std::mt19937_64 c(43);
  const auto first = Uuid::v4([&a] { return a(); });
  const auto same = Uuid::v4([&b] { return b(); });
  const auto other = Uuid::v4([&c] { return c(); });
  CHECK(first == same);
  CHECK(first != other);
  CHECK(first.version() == 4);
  CHECK(has_rfc4122_variant(first));

  // All-ones and all-zeros sources still give version 4 and the RFC variant.
  const auto ones = Uuid::v4([] { return ~std::uint64_t{0}; });
  CHECK(ones.to_string() == "ffffffff-ffff-4fff-bfff-ffffffffffff");
  const auto zeros = Uuid::v4([] { return std::uint64_t{0}; });
  CHECK(zeros.to_string() == "00000000-0000-4000-8000-000000000000");
  // The text form parses back to the same id.
  CHECK(Uuid::parse(first.to_string()) == first);
}

TEST_CASE("uuid: random_v4 gives distinct version 4 ids") {
  std::set<Uuid> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = Uuid::random_v4();
    CHECK(id.version() == 4);
    CHECK(has_rfc4122_variant(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("uuid: the Atlas namespace is the documented constant") {
  // Changing it would give every reply a new id (see uuid.hpp).
  CHECK(atlas::kAtlasNamespace.to_string() == "4c087c1d-93ef-462c-8bb1-acf90c299717");
}

TEST_CASE("uuid: reply ids are deterministic, distinct and case-insensitive in the request id") {
  const auto request = must_parse("cce80f99-b320-4ec0-9eb2-117ea1a35b98");
  const auto reply = atlas::reply_task_id(request);
  // Pinned: Python uuid.uuid5(kAtlasNamespace, "reply:" + request).
  CHECK(reply.to_string() == "bcad967c-d000-52ff-bf7a-74483b3865e4");
  CHECK(atlas::reply_task_id(request) == reply);
  CHECK(atlas::reply_task_id(must_parse("CCE80F99-B320-4EC0-9EB2-117EA1A35B98")) == reply);
  CHECK(reply.version() == 5);
  CHECK(has_rfc4122_variant(reply));
  CHECK(reply != request);
  CHECK(atlas::reply_task_id(reply) != reply);
  CHECK(atlas::reply_task_id(must_parse("cce80f99-b320-4ec0-9eb2-117ea1a35b99")) != reply);
  CHECK(reply == Uuid::v5(atlas::kAtlasNamespace, "reply:cce80f99-b320-4ec0-9eb2-117ea1a35b98"));

  std::set<Uuid> replies;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; ++i) {
    replies.insert(atlas::reply_task_id(Uuid::v4([&rng] { return rng(); })));
  }
  CHECK(replies.size() == 500);
}

TEST_CASE("uuid: escalation ids are deterministic and differ from reply ids") {
  const auto failed = must_parse("bcad967c-d000-52ff-bf7a-74483b3865e4");
  const auto escalation = atlas::escalation_task_id(failed);
  CHECK(escalation.to_string() == "741ae447-e7e4-5019-bede-6c12ba8abeaa");  // Python uuid5
  CHECK(atlas::escalation_task_id(failed) == escalation);
  CHECK(escalation != atlas::reply_task_id(failed));
  CHECK(escalation.version() == 5);
}
