#include "atlas/router/github_app_jwt.hpp"

#include <array>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

namespace atlas::router {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct BioDeleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM private key found";
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  return buf.data();
}

// "-----BEGIN ...-----\nMII..." with literal backslash-n sequences (a PEM put
// in a one-line variable) becomes a real PEM.
std::string normalise_pem(std::string_view pem) {
  std::string out(pem);
  if (out.find('\n') != std::string::npos) return out;
  std::string fixed;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\\' && i + 1 < out.size() && out[i + 1] == 'n') {
      fixed.push_back('\n');
      ++i;
    } else {
      fixed.push_back(out[i]);
    }
  }
  return fixed;
}

}  // namespace

std::optional<RsaPrivateKey> RsaPrivateKey::from_pem(std::string_view pem, std::string& error) {
  const std::string text = normalise_pem(pem);
  if (text.find("-----BEGIN") == std::string::npos) {
    error = "no -----BEGIN line";
    return std::nullopt;
  }
  ERR_clear_error();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    error = "BIO_new_mem_buf failed";
    return std::nullopt;
  }
  // No passphrase callback: an encrypted key fails instead of prompting.
  static char kNoPassphrase[] = "";
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, kNoPassphrase);
  if (key == nullptr) {
    error = openssl_error();
    return std::nullopt;
  }
  RsaPrivateKey owned(key);  // owns `key` from here
  if (EVP_PKEY_is_a(key, "RSA") != 1) {
    error = "the key is not an RSA key (GitHub App keys are RSA)";
    return std::nullopt;
  }
  return owned;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = byte(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* pos = std::char_traits<char>::find(kAlphabet, 64, c);
    if (pos == nullptr) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
    }
  }
  return out;
}

std::string make_github_app_jwt(std::string_view app_id, const RsaPrivateKey& key,
                                std::chrono::system_clock::time_point now) {
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  const nlohmann::json claims = {{"iat", (now_s - kJwtBackdate).count()},
                                 {"exp", (now_s + kJwtLifetime).count()},
                                 {"iss", std::string(app_id)}};
  const std::string signing_input =
      base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());

  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    throw std::runtime_error("EVP_DigestSignInit(RS256) failed: " + openssl_error());
  }
  const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data, signing_input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign (size) failed: " + openssl_error());
  }
  std::vector<unsigned char> signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, data, signing_input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign failed: " + openssl_error());
  }
  const std::string_view sig(reinterpret_cast<const char*>(signature.data()), size);
  return signing_input + "." + base64url_encode(sig);
}

}  // namespace atlas::router
