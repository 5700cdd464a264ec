#include "atlas/http/responder.hpp"

#include <utility>

namespace atlas::http {
namespace {

class DeliverChannel final : public Responder::Channel {
 public:
  explicit DeliverChannel(Responder::Deliver deliver) : deliver_(std::move(deliver)) {}
  void deliver(ServerResponse response) override { deliver_(std::move(response)); }
  bool post(std::function<void()>& /*work*/) override { return false; }

 private:
  Responder::Deliver deliver_;
};

}  // namespace

Responder::Responder(Deliver deliver) : channel_(std::make_unique<DeliverChannel>(std::move(deliver))) {}

Responder::~Responder() { drop(); }

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    drop();
    channel_ = std::move(other.channel_);
  }
  return *this;
}

void Responder::send(ServerResponse response) {
  if (!channel_) return;
  const auto channel = std::move(channel_);
  channel->deliver(std::move(response));
}

void Responder::drop() noexcept {
  if (!channel_) return;
  try {
    send(error_response(500, "the handler finished without answering"));
  } catch (...) {
    // Delivering allocates; if even that fails the connection times out.
  }
}

}  // namespace atlas::http
