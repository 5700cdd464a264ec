#pragma once
// The one error the request parsers throw: the client sent something we will
// not accept. The message is the reason sent back in a 400 {"error": ...}.
#include <stdexcept>
#include <string>

namespace atlas::rag {

class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace atlas::rag
