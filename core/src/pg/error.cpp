#include "atlas/pg/error.hpp"

namespace atlas::pg {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::config: return "config";
    case ErrorKind::connect: return "connect";
    case ErrorKind::pool_exhausted: return "pool_exhausted";
    case ErrorKind::connection_lost: return "connection_lost";
    case ErrorKind::commit_unknown: return "commit_unknown";
    case ErrorKind::migration: return "migration";
  }
  return "unknown";
}

}  // namespace atlas::pg
