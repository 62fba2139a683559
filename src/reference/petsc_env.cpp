// SPDX-License-Identifier: BSD-3-Clause
// PETSc start/stop, the error handler that feeds npde::Error, and per-solve option databases.
#include "npde/reference/petsc_env.hpp"

#include <fftw3.h>
#include <slepcsys.h>
#include <slepcversion.h>

#include <sstream>

#include "npde/core/error.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

bool g_started_here = false;  // finalize() stops only a PETSc that initialize() started
std::string g_last_error;     // first message of the PETSc error being propagated

// PETSc calls this for the error's origin (PETSC_ERROR_INITIAL) and again at every PetscCall on the
// way up (PETSC_ERROR_REPEAT). Keeping the origin's text lets the exception say what went wrong
// instead of PETSc's generic text for the error code.
PetscErrorCode record_error(MPI_Comm, int line, const char* func, const char* file, PetscErrorCode code,
                            PetscErrorType type, const char* message, void*) {
  if (type != PETSC_ERROR_INITIAL) return code;
  try {
    std::ostringstream os;
    os << (message ? message : "") << " (raised in " << (func ? func : "?") << " at " << (file ? file : "?")
       << ":" << line << ")";
    g_last_error = os.str();
  } catch (...) {
    // Out of memory while recording: the exception will carry PETSc's generic text only.
  }
  return code;
}

PetscErrorCode fill_and_push(PetscOptions options, const char defaults[]) {
  char* process_wide = nullptr;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsInsertString(options, defaults));
  // Inserting the process-wide options second makes the command line win over per-solve defaults.
  PetscCall(PetscOptionsGetAll(NULL, &process_wide));
  PetscCall(PetscOptionsInsertString(options, process_wide));
  PetscCall(PetscFree(process_wide));
  PetscCall(PetscOptionsPush(options));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

void initialize(int* argc, char*** argv) {
  PetscBool running = PETSC_FALSE;
  NPDE_PETSC_CALL(PetscInitialized(&running));
  if (running) return;
  // SLEPc's initialisation starts PETSc with these arguments and registers the eigensolvers;
  // SlepcFinalize later stops both.
  NPDE_PETSC_CALL(SlepcInitialize(argc, argv, nullptr, nullptr));
  g_started_here = true;
  NPDE_PETSC_CALL(PetscPushErrorHandler(record_error, nullptr));
}

void finalize() {
  if (!g_started_here) return;
  g_started_here = false;
  NPDE_PETSC_CALL(PetscPopErrorHandler());
  NPDE_PETSC_CALL(SlepcFinalize());
}

bool is_initialized() {
  PetscBool running = PETSC_FALSE;
  NPDE_PETSC_CALL(PetscInitialized(&running));
  return running == PETSC_TRUE;
}

std::string petsc_version() {
  PetscInt major = 0, minor = 0, subminor = 0, release = 0;
  NPDE_PETSC_CALL(PetscGetVersionNumber(&major, &minor, &subminor, &release));
  std::ostringstream os;
  os << major << "." << minor << "." << subminor;
  return os.str();
}

std::string slepc_version() {
  // SLEPc's version macros describe the headers, which pkg-config pairs with the library linked in.
  std::ostringstream os;
  os << SLEPC_VERSION_MAJOR << "." << SLEPC_VERSION_MINOR << "." << SLEPC_VERSION_SUBMINOR;
  return os.str();
}

std::string fftw_version() {
  std::string v = ::fftw_version;  // "fftw-3.3.10-sse2-avx", from the library itself
  const auto dash = v.find('-', 5);
  return v.compare(0, 5, "fftw-") == 0 ? v.substr(5, dash == std::string::npos ? std::string::npos : dash - 5) : v;
}

namespace detail {

void throw_petsc_error(PetscErrorCode code, const char* expr, const char* file, int line) {
  const char* generic = nullptr;
  if (PetscErrorMessage(static_cast<int>(code), &generic, nullptr) != PETSC_SUCCESS || !generic) generic = "?";
  std::ostringstream os;
  os << "PETSc error " << static_cast<int>(code) << " (" << generic << ")";
  if (!g_last_error.empty()) os << ": " << g_last_error;
  os << " [in " << expr << " at " << file << ":" << line << "]";
  // PETSc raises "not converged" from collective convergence tests (KSP, SNES, TS): same on every
  // rank. The user needs PETSc's reason and where to change the solver, not the error number.
  if (code == PETSC_ERR_NOT_CONVERGED && !g_last_error.empty()) {
    std::string reason = g_last_error;
    g_last_error.clear();
    throw SolverError(reason + "; the solver options are reference.petsc and PETSc options on the command line");
  }
  g_last_error.clear();
  if (code == PETSC_ERR_NOT_CONVERGED) throw SolverError(os.str());
  throw Error(os.str());
}

ScopedOptions::ScopedOptions(const std::string& defaults) {
  NPDE_REQUIRE(is_initialized(), "npde::reference::initialize() must run before a reference solve");
  NPDE_PETSC_CALL(PetscOptionsCreate(&m_options));
  try {
    NPDE_PETSC_CALL(fill_and_push(m_options, defaults.c_str()));
  } catch (...) {
    (void)PetscOptionsDestroy(&m_options);
    throw;
  }
}

ScopedOptions::~ScopedOptions() {
  // A destructor cannot report; both calls only fail on misuse that the constructor rules out.
  (void)PetscOptionsPop();
  (void)PetscOptionsDestroy(&m_options);
}

}  // namespace detail
}  // namespace npde::reference
