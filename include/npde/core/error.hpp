// SPDX-License-Identifier: BSD-3-Clause
// Exceptions and always-on precondition checks.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace npde {

/// Internal error or violated precondition; the message carries location and values.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad user input (deck key, expression, file): the message is one line meant for the user,
/// naming the offending key or file, without source locations.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A numerical solver did not converge (Newton, time stepping, Krylov, eigensolver). Raised alike on
/// every rank of the solve, because the verdict comes from a collective solver, so the program can
/// report it once and stop without aborting the job.
class SolverError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] inline void throw_error(const char* file, int line, const char* func, const std::string& msg) {
  std::ostringstream os;
  os << func << ": " << msg << " [" << file << ":" << line << "]";
  throw Error(os.str());
}
}  // namespace detail

}  // namespace npde

/// Always-on precondition: throws npde::Error with function, message and location.
/// `msg` is a stream expression, e.g. NPDE_REQUIRE(n > 0, "n = " << n).
#define NPDE_REQUIRE(cond, msg)                                                 \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::ostringstream npde_require_os_;                                      \
      npde_require_os_ << msg;                                                  \
      ::npde::detail::throw_error(__FILE__, __LINE__, __func__,                 \
                                  std::string("requirement '" #cond "' failed: ") + npde_require_os_.str()); \
    }                                                                           \
  } while (0)

/// Throws npde::InputError with a one-line user message (a stream expression).
#define NPDE_INPUT_ERROR(msg)                 \
  do {                                        \
    std::ostringstream npde_input_os_;        \
    npde_input_os_ << msg;                    \
    throw ::npde::InputError(npde_input_os_.str()); \
  } while (0)

#ifndef NDEBUG
#define NPDE_ASSERT(cond, msg) NPDE_REQUIRE(cond, msg)
#else
#define NPDE_ASSERT(cond, msg) ((void)0)
#endif
