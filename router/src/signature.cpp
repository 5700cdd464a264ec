#include "atlas/router/signature.hpp"

namespace atlas::router {

std::string_view to_string(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::ok: return "ok";
    case SignatureStatus::missing_header: return "missing_header";
    case SignatureStatus::malformed: return "malformed";
    case SignatureStatus::stale: return "stale";
    case SignatureStatus::mismatch: return "mismatch";
  }
  return "mismatch";
}

}  // namespace atlas::router
