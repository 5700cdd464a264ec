#include <doctest/doctest.h>

#include <memory>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "atlas/router/github_app_jwt.hpp"
#include "atlas/router/installation_tokens.hpp"

using namespace std::chrono_literals;
using atlas::router::base64url_decode;
using atlas::router::base64url_encode;
using atlas::router::RsaPrivateKey;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

PkeyPtr generate_rsa() {
  PkeyPtr key(EVP_RSA_gen(2048));
  REQUIRE(key);
  return key;
}

std::string private_pem(EVP_PKEY* key, bool pkcs1) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (pkcs1) {
    // "BEGIN RSA PRIVATE KEY", the format GitHub hands out.
    REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  } else {
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

}  // namespace

TEST_CASE("router github app: base64url without padding round-trips (RFC 4648 vectors)") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("foobar") == "Zm9vYmFy");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  CHECK(base64url_decode("Zm9vYmE=") == std::string("fooba"));
  CHECK_FALSE(base64url_decode("Zm9v+"));
  CHECK_FALSE(base64url_decode("Z"));
}

TEST_CASE("router github app: the JWT is RS256 with iat now-60, exp now+9min, iss the app id, and verifies") {
  const auto key = generate_rsa();
  std::string error;
  const auto parsed = RsaPrivateKey::from_pem(private_pem(key.get(), true), error);
  REQUIRE_MESSAGE(parsed, error);
  const std::string jwt = atlas::router::make_github_app_jwt("123456", *parsed, kNow);

  const auto dot1 = jwt.find('.');
  const auto dot2 = jwt.find('.', dot1 + 1);
  REQUIRE(dot2 != std::string::npos);
  CHECK(jwt.find('=') == std::string::npos);  // no padding anywhere
  const auto header = nlohmann::json::parse(*base64url_decode(jwt.substr(0, dot1)));
  const auto claims = nlohmann::json::parse(*base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  CHECK(header == nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}});
  CHECK(claims["iat"] == 1'700'000'000 - 60);
  CHECK(claims["exp"] == 1'700'000'000 + 540);
  CHECK(claims["exp"].get<std::int64_t>() - 1'700'000'000 <= 600);  // GitHub's 10-minute cap
  CHECK(claims["iss"] == "123456");

  const auto signature = base64url_decode(jwt.substr(dot2 + 1));
  REQUIRE(signature);
  CHECK(signature->size() == 256);  // RSA-2048
  CHECK(verify_rs256(key.get(), jwt.substr(0, dot2), *signature));
  // Tampering with the claims breaks the signature.
  std::string forged_input = jwt.substr(0, dot2);
  forged_input.back() = forged_input.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_rs256(key.get(), forged_input, *signature));
  // Another key does not verify it.
  const auto other = generate_rsa();
  CHECK_FALSE(verify_rs256(other.get(), jwt.substr(0, dot2), *signature));
}

TEST_CASE("router github app: PKCS#8 PEMs and PEMs with literal backslash-n load - garbage and non-RSA keys do not") {
  const auto key = generate_rsa();
  std::string error;
  CHECK(RsaPrivateKey::from_pem(private_pem(key.get(), false), error));
  std::string one_line = private_pem(key.get(), true);
  std::string escaped;
  for (char c : one_line) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  CHECK(RsaPrivateKey::from_pem(escaped, error));

  CHECK_FALSE(RsaPrivateKey::from_pem("not a key", error));
  CHECK(error == "no -----BEGIN line");
  CHECK_FALSE(RsaPrivateKey::from_pem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", error));
  CHECK_FALSE(error.empty());
  PkeyPtr ec(EVP_EC_gen("P-256"));
  REQUIRE(ec);
  CHECK_FALSE(RsaPrivateKey::from_pem(private_pem(ec.get(), false), error));
  CHECK(error.find("not an RSA key") != std::string::npos);
}

TEST_CASE("router github app: installation tokens are cached until 5 minutes before they expire") {
  atlas::router::InstallationTokenCache cache;
  CHECK_FALSE(cache.get(7, kNow));
  cache.put(7, {"ghs_abc", kNow + 1h});
  CHECK(cache.get(7, kNow) == std::optional<std::string>("ghs_abc"));
  CHECK(cache.get(7, kNow + 54min) == std::optional<std::string>("ghs_abc"));
  CHECK_FALSE(cache.get(7, kNow + 55min));  // within the refresh margin: fetch a new one
  CHECK_FALSE(cache.get(8, kNow));           // per installation
  cache.put(7, {"ghs_new", kNow + 2h});
  CHECK(cache.get(7, kNow + 55min) == std::optional<std::string>("ghs_new"));
  cache.invalidate(7);
  CHECK_FALSE(cache.get(7, kNow));
}

TEST_CASE("router github app: the token exchange request and response") {
  const auto r = atlas::router::installation_token_request("http://127.0.0.1:9000", 42, "jwt.jwt.jwt");
  CHECK(r.method == "POST");
  CHECK(r.url == "http://127.0.0.1:9000/app/installations/42/access_tokens");
  CHECK(atlas::http::find_header(r.headers, "Authorization") == "Bearer jwt.jwt.jwt");
  CHECK(atlas::http::find_header(r.headers, "X-GitHub-Api-Version") == "2022-11-28");

  std::string error;
  const auto token = atlas::router::parse_installation_token(
      R"({"token":"ghs_16C7e42F292c6912E7710c838347Ae178B4a","expires_at":"2016-07-11T22:14:10Z","permissions":{"issues":"write"}})",
      error);
  REQUIRE(token);
  CHECK(token->token == "ghs_16C7e42F292c6912E7710c838347Ae178B4a");
  CHECK(token->expires_at == std::chrono::system_clock::time_point(std::chrono::seconds(1468275250)));
  CHECK_FALSE(atlas::router::parse_installation_token(R"({"expires_at":"2016-07-11T22:14:10Z"})", error));
  CHECK_FALSE(atlas::router::parse_installation_token(R"({"token":"t","expires_at":"soon"})", error));
  CHECK_FALSE(atlas::router::parse_installation_token("<html>", error));
  CHECK(error.find("ghs_") == std::string::npos);
}

TEST_CASE("router github app: UTC timestamps parse strictly") {
  using atlas::router::parse_utc_timestamp;
  CHECK(parse_utc_timestamp("1970-01-01T00:00:00Z") == std::chrono::system_clock::time_point{});
  CHECK(parse_utc_timestamp("2016-07-11T22:14:10.123Z") == parse_utc_timestamp("2016-07-11T22:14:10Z"));
  CHECK(parse_utc_timestamp("2016-07-11T22:14:10+00:00") == parse_utc_timestamp("2016-07-11T22:14:10Z"));
  CHECK_FALSE(parse_utc_timestamp("2016-02-30T00:00:00Z"));
  CHECK_FALSE(parse_utc_timestamp("2016-07-11 22:14:10Z"));
  CHECK_FALSE(parse_utc_timestamp("2016-07-11T22:14:10+02:00"));
  CHECK_FALSE(parse_utc_timestamp("2016-07-11T25:14:10Z"));
  CHECK_FALSE(parse_utc_timestamp(""));
}
