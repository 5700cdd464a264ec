#include "atlas/http/responder.hpp"

#include <utility>

namespace atlas::http {

Responder::~Responder() { drop(); }

Responder::Responder(Responder&& other) noexcept : deliver_(std::exchange(other.deliver_, nullptr)) {}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    drop();
    deliver_ = std::exchange(other.deliver_, nullptr);
  }
  return *this;
}

void Responder::send(ServerResponse response) {
  if (!deliver_) return;
  auto deliver = std::exchange(deliver_, nullptr);
  deliver(std::move(response));
}

void Responder::drop() noexcept {
  if (!deliver_) return;
  try {
    send(error_response(500, "the handler finished without answering"));
  } catch (...) {
    // Delivering allocates; if even that fails the connection times out.
  }
}

}  // namespace atlas::http
