#pragma once
// Shutdown on SIGTERM / SIGINT without work in a signal handler.
//
//   atlas::StopSignals signals;   // first thing in main, before any thread starts
//   ... start the service ...
//   const int sig = signals.wait();  // SIGTERM, SIGINT, or 0 after wake()
//   ... stop the service in order ...
//
// The constructor blocks both signals in the calling thread, so every thread
// started afterwards (librdkafka's, Asio's, curl's) inherits the mask and the
// signal can only be taken by wait(). SIGPIPE is ignored: a peer closing a
// socket is an error to handle, not a reason to die.
namespace atlas {

class StopSignals {
 public:
  StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGTERM or SIGINT arrives (returns it) or wake() is called
  // (returns 0).
  int wait();
  // Makes a pending or future wait() return 0; callable from any thread.
  void wake();
};

// "SIGTERM", "SIGINT" or "wake" for logs.
const char* stop_signal_name(int sig);

}  // namespace atlas
