// SPDX-License-Identifier: BSD-3-Clause
// Rank-aware logging.
#include "npde/core/log.hpp"

#include <cstdio>

namespace npde::log {
namespace {
int g_rank = 0;
int g_size = 1;
Level g_level = Level::Info;
}  // namespace

void set_rank(int r, int s) {
  g_rank = r;
  g_size = s;
}
void set_level(Level l) { g_level = l; }
Level level() { return g_level; }
int rank() { return g_rank; }

void info(const std::string& line) {
  if (g_rank == 0 && g_level >= Level::Info) {
    std::fprintf(stdout, "%s\n", line.c_str());
    std::fflush(stdout);
  }
}
void debug(const std::string& line) {
  if (g_rank == 0 && g_level >= Level::Debug) {
    std::fprintf(stdout, "[debug] %s\n", line.c_str());
    std::fflush(stdout);
  }
}
void warn(const std::string& line) {
  if (g_level >= Level::Warn) {
    if (g_size > 1)
      std::fprintf(stderr, "npde warning [rank %d]: %s\n", g_rank, line.c_str());
    else
      std::fprintf(stderr, "npde warning: %s\n", line.c_str());
  }
}
void error(const std::string& line) {
  if (g_size > 1)
    std::fprintf(stderr, "npde error [rank %d]: %s\n", g_rank, line.c_str());
  else
    std::fprintf(stderr, "npde error: %s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace npde::log
