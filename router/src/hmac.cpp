#include "atlas/router/hmac.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "atlas/text.hpp"

namespace atlas::router {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};


// OpenSSL 3 looks algorithms up in a locked store: fetching HMAC and SHA-256
// for every webhook cost more than the hash itself. The MAC is fetched once
// per process and each thread keeps one context: after its first
// initialisation with the digest, a new key resets it and the digest stays.
EVP_MAC_CTX* thread_hmac_context(const unsigned char* key, std::size_t key_size) {
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) throw std::runtime_error("OpenSSL has no HMAC implementation");
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx;
  thread_local bool has_digest = false;
  if (!ctx) {
    ctx.reset(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) throw std::runtime_error("EVP_MAC_CTX_new failed");
    has_digest = false;
  }
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx.get(), key, key_size, has_digest ? nullptr : params) != 1) {
    ctx.reset();  // start from a fresh context next time
    throw std::runtime_error("EVP_MAC_init(HMAC-SHA256) failed");
  }
  has_digest = true;
  return ctx.get();
}

}  // namespace

Sha256Digest hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static constexpr unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  EVP_MAC_CTX* ctx = thread_hmac_context(key_bytes, key.size());
  for (auto part : parts) {
    if (part.empty()) continue;
    if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1) {
      throw std::runtime_error("EVP_MAC_update failed");
    }
  }
  Sha256Digest out{};
  std::size_t written = 0;
  if (EVP_MAC_final(ctx, out.data(), &written, out.size()) != 1 || written != out.size()) {
    throw std::runtime_error("EVP_MAC_final failed");
  }
  return out;
}

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (auto byte : digest) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0F]);
  }
  return out;
}

std::optional<Sha256Digest> digest_from_hex(std::string_view hex) {
  Sha256Digest out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit_value(hex[2 * i]);
    const int lo = hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

bool digests_equal(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace atlas::router
