#include "atlas/pg/migration.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>

#include "atlas/pg/error.hpp"

namespace atlas::pg {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_description_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
}

std::string short_checksum(const std::string& checksum) { return checksum.substr(0, 12); }

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorKind::migration, "OpenSSL could not compute a SHA-256 digest");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

std::optional<int> parse_migration_version(std::string_view file_name) {
  constexpr std::string_view kSuffix = ".sql";
  // "NNN_" + at least one description character + ".sql"
  if (file_name.size() < 4 + 1 + kSuffix.size() || !file_name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  if (!is_digit(file_name[0]) || !is_digit(file_name[1]) || !is_digit(file_name[2]) ||
      file_name[3] != '_') {
    return std::nullopt;
  }
  const auto description = file_name.substr(4, file_name.size() - 4 - kSuffix.size());
  if (!std::all_of(description.begin(), description.end(), is_description_char)) {
    return std::nullopt;
  }
  return (file_name[0] - '0') * 100 + (file_name[1] - '0') * 10 + (file_name[2] - '0');
}

std::vector<Migration> load_migrations(std::vector<MigrationFile> files) {
  std::vector<Migration> out;
  out.reserve(files.size());
  std::map<int, std::string> seen;  // version -> file name
  for (auto& file : files) {
    const auto version = parse_migration_version(file.name);
    if (!version) {
      throw Error(ErrorKind::migration,
                  "migration file '" + file.name +
                      "' is misnamed: name it NNN_description.sql (three digits, then letters, "
                      "digits, '_' or '-'), for example 002_worker_ledger.sql");
    }
    if (const auto it = seen.find(*version); it != seen.end()) {
      throw Error(ErrorKind::migration, "migration files '" + it->second + "' and '" + file.name +
                                            "' share version " + file.name.substr(0, 3) +
                                            ": give one of them the next free number");
    }
    if (file.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
      throw Error(ErrorKind::migration,
                  "migration file '" + file.name + "' is empty: add its SQL or delete it");
    }
    seen.emplace(*version, file.name);
    Migration m;
    m.version = *version;
    m.checksum = sha256_hex(file.sql);
    m.name = std::move(file.name);
    m.sql = std::move(file.sql);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

std::vector<Migration> embedded_migrations() { return load_migrations(embedded_migration_files()); }

MigrationPlan plan_migrations(const std::vector<Migration>& files,
                              const std::vector<AppliedMigration>& applied) {
  MigrationPlan plan;
  std::map<int, const AppliedMigration*> by_version;
  for (const auto& row : applied) by_version.emplace(row.version, &row);

  for (const auto& file : files) {
    const auto it = by_version.find(file.version);
    if (it == by_version.end()) {
      plan.pending.push_back(file);
      continue;
    }
    ++plan.already_applied;
    const AppliedMigration& row = *it->second;
    if (row.checksum != file.checksum) {
      plan.problems.push_back(
          "migration " + file.name + " was applied as '" + row.name + "' with checksum " +
          short_checksum(row.checksum) + "..., but the file now has checksum " +
          short_checksum(file.checksum) +
          "...: applied migrations must never change; restore the applied text and put the "
          "change in a new numbered file");
    }
    by_version.erase(it);
  }
  for (const auto& [version, row] : by_version) plan.unknown.push_back(*row);
  return plan;
}

}  // namespace atlas::pg
