// SPDX-License-Identifier: BSD-3-Clause
// Async-signal-safe stop flag.
#include "npde/app/signals.hpp"

#include <csignal>
#include <initializer_list>

namespace npde::app {

namespace {
volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop == 0) g_stop = sig;  // only a flag: nothing else is async-signal-safe here
}
}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGUSR1, SIGTERM, SIGINT}) sigaction(sig, &sa, nullptr);
}

int stop_signal() { return g_stop; }

const char* signal_name(int sig) {
  switch (sig) {
    case SIGUSR1: return "SIGUSR1";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "signal";
  }
}

}  // namespace npde::app
