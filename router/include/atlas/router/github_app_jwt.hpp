#pragma once
// GitHub App authentication, step one: an RS256-signed JSON Web Token
// (header {"alg":"RS256","typ":"JWT"}, claims iat = now - 60 s to allow for
// clock drift, exp = now + 9 min -- GitHub refuses more than 10 --, iss = the
// App id), signed with the App's PEM private key through EVP_DigestSign.
// The JWT is exchanged for an installation token (installation_tokens.hpp).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace atlas::router {

inline constexpr std::chrono::seconds kJwtBackdate{60};
inline constexpr std::chrono::seconds kJwtLifetime{9 * 60};

// An RSA private key (owned EVP_PKEY).
class RsaPrivateKey {
 public:
  // Parses a PEM private key (PKCS#1 "BEGIN RSA PRIVATE KEY" or PKCS#8
  // "BEGIN PRIVATE KEY"). A key pasted into an environment variable with
  // literal "\n" sequences instead of line breaks is accepted too. On failure
  // `error` says why (never quoting the key).
  static std::optional<RsaPrivateKey> from_pem(std::string_view pem, std::string& error);
  // Takes ownership of `key`, which must be an RSA key. Copies share the key.
  explicit RsaPrivateKey(EVP_PKEY* key) : key_(key, Deleter{}) {}

  [[nodiscard]] EVP_PKEY* get() const { return key_.get(); }

 private:
  struct Deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  };
  std::shared_ptr<EVP_PKEY> key_;
};

// RFC 4648 section 5, without padding.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
// Accepts input with or without padding; nullopt on characters outside the alphabet.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// The signed JWT "header.claims.signature". Throws std::runtime_error if
// OpenSSL cannot sign (a broken key object), which from_pem rules out.
[[nodiscard]] std::string make_github_app_jwt(std::string_view app_id, const RsaPrivateKey& key,
                                              std::chrono::system_clock::time_point now);

}  // namespace atlas::router
