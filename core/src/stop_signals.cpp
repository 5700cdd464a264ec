#include "atlas/stop_signals.hpp"

#include <csignal>

#include <pthread.h>
#include <unistd.h>

namespace atlas {
namespace {

// SIGUSR1 is the wake-up: process-directed, so it reaches the thread blocked
// in sigwait whatever thread calls wake().
sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

StopSignals::StopSignals() {
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int StopSignals::wait() {
  const sigset_t set = stop_set();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig == SIGUSR1 ? 0 : sig;
}

void StopSignals::wake() { ::kill(::getpid(), SIGUSR1); }

const char* stop_signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "wake";
  }
}

}  // namespace atlas
