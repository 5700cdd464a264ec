#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "atlas/http/responder.hpp"

using atlas::http::Responder;
using atlas::http::ServerResponse;

namespace {
struct Recorder {
  std::vector<ServerResponse> sent;
  Responder responder() {
    return Responder([this](ServerResponse response) { sent.push_back(std::move(response)); });
  }
};
}  // namespace

TEST_CASE("http responder: the first send is delivered, later ones are ignored") {
  Recorder recorder;
  {
    auto respond = recorder.responder();
    CHECK_FALSE(respond.answered());
    respond(atlas::http::text_response(202, "accepted"));
    CHECK(respond.answered());
    respond.send(atlas::http::text_response(500, "again"));
  }
  REQUIRE(recorder.sent.size() == 1);
  CHECK(recorder.sent[0].status == 202);
  CHECK(recorder.sent[0].body == "accepted");
}

TEST_CASE("http responder: dropped unanswered sends 500 once") {
  Recorder recorder;
  { auto respond = recorder.responder(); }
  REQUIRE(recorder.sent.size() == 1);
  CHECK(recorder.sent[0].status == 500);
  CHECK(recorder.sent[0].body.find("\"error\"") != std::string::npos);
}

TEST_CASE("http responder: moving transfers the duty to answer") {
  Recorder recorder;
  std::optional<Responder> later;
  {
    auto respond = recorder.responder();
    later.emplace(std::move(respond));
    CHECK(respond.answered());  // moved-from: nothing left to answer
  }
  CHECK(recorder.sent.empty());
  // Answered from another thread, as a Kafka delivery callback would.
  std::thread([&later] { later->send(atlas::http::text_response(200, "ok")); }).join();
  later.reset();
  REQUIRE(recorder.sent.size() == 1);
  CHECK(recorder.sent[0].status == 200);

  // Move-assigning over an unanswered Responder answers it with 500 first.
  Recorder first;
  Recorder second;
  auto target = first.responder();
  target = second.responder();
  REQUIRE(first.sent.size() == 1);
  CHECK(first.sent[0].status == 500);
  CHECK(second.sent.empty());
}

TEST_CASE("http responder: without a connection thread post() refuses and leaves the work to the caller") {
  Recorder recorder;
  auto respond = recorder.responder();
  int ran = 0;
  std::function<void()> work = [&ran] { ++ran; };
  CHECK_FALSE(respond.post(work));
  REQUIRE(work);  // not moved from: the caller still holds it
  work();
  CHECK(ran == 1);
  respond.send(atlas::http::text_response(200, "ok"));
  CHECK_FALSE(respond.post(work));  // answered: nothing to post to either
  CHECK(ran == 1);
}
