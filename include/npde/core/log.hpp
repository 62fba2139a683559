// SPDX-License-Identifier: BSD-3-Clause
// Rank-aware logging: info on rank 0 only, warnings/errors with a rank prefix.
#pragma once

#include <sstream>
#include <string>

namespace npde::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

/// Tells the logger which rank this process is (set once by the driver after MPI_Init).
void set_rank(int rank, int size);
/// Sets the most verbose level printed (default Info).
void set_level(Level level);
Level level();
int rank();

/// Prints a line on rank 0 (stdout) at Info level.
void info(const std::string& line);
/// Prints a line on rank 0 at Debug level.
void debug(const std::string& line);
/// Prints a warning on every rank that calls it, prefixed with the rank (stderr).
void warn(const std::string& line);
/// Prints an error on every rank that calls it, prefixed with the rank (stderr).
void error(const std::string& line);

/// Formats any streamable arguments into one string.
template <class... Args>
std::string format(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace npde::log
