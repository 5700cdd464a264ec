// atlasctl migrate: apply the embedded PostgreSQL migrations (schema/sql),
// or with --status only report what is applied and what is pending.
#include <cstdio>

#include "atlas/config.hpp"
#include "atlas/pg/migrate.hpp"
#include "atlas/pg/migration.hpp"
#include "atlas/pg/pool.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl migrate [--status]\n"
    "\n"
    "Applies the PostgreSQL migrations built into this binary (schema/sql/NNN_*.sql) to\n"
    "DATABASE_URL, in order, each once, under an advisory lock so concurrent runs are safe.\n"
    "Every service also does this at start-up.\n"
    "  --status   list applied and pending migrations; change nothing\n"
    "             (exit 0 when up to date, 3 when some are pending or changed)\n";

}  // namespace

int cmd_migrate(const std::vector<std::string>& args, Context& ctx) {
  bool status_only = false;
  const auto stop = read_args(args, "migrate", kUsage, nullptr,
                              [&](const std::vector<std::string>& a, std::size_t& i) {
                                if (a[i] != "--status") return ArgUse::unknown;
                                status_only = true;
                                return ArgUse::taken;
                              });
  if (stop) return *stop;

  const CommonConfig common = load_common_config(ctx);

  pg::Pool pool(common.database_url, {.size = 1});
  const auto migrations = pg::embedded_migrations();
  if (status_only) {
    const auto st = pg::status(pool, migrations);
    for (const auto& a : st.applied) std::printf("applied  %s\n", a.name.c_str());
    for (const auto& p : st.pending) std::printf("pending  %s\n", p.c_str());
    for (const auto& u : st.unknown) std::printf("unknown  %s (applied, not in this binary)\n", u.c_str());
    for (const auto& p : st.problems) std::printf("problem  %s\n", p.c_str());
    return st.up_to_date() ? kExitOk : 3;
  }
  const auto summary = pg::migrate(pool, migrations, ctx.log);
  for (const auto& name : summary.applied) std::printf("applied  %s\n", name.c_str());
  std::printf("%zu applied now, %zu already applied (%s)\n", summary.applied.size(),
              summary.already_applied, pool.display_name().c_str());
  return kExitOk;
}

}  // namespace atlas::ctl
