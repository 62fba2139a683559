// SPDX-License-Identifier: BSD-3-Clause
// 1D Schroedinger eigenproblem: FD Hamiltonian on a DMDA, cell-averaged potential, SLEPc EPS.
#include "npde/reference/schrodinger_eps.hpp"

#include <petscdmda.h>
#include <slepceps.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/mpi_native.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

struct EpsSystem {
  DM da = nullptr;
  Mat H = nullptr;
  Vec x = nullptr;
  detail::NaturalGather to_all;
  EPS eps = nullptr;
  ~EpsSystem() {
    (void)EPSDestroy(&eps);
    to_all.destroy();
    (void)VecDestroy(&x);
    (void)MatDestroy(&H);
    (void)DMDestroy(&da);
  }
};

void validate(const SchrodingerProblem& p) {
  NPDE_REQUIRE(p.grid >= 4, "grid = " << p.grid << ", need >= 4 points including both ends");
  NPDE_REQUIRE(p.upper > p.lower, "lower = " << p.lower << ", upper = " << p.upper);
  NPDE_REQUIRE(p.eigenpairs >= 1 && p.eigenpairs <= p.grid - 2,
               "eigenpairs = " << p.eigenpairs << ", need 1.." << p.grid - 2 << " on " << p.grid << " points");
  NPDE_REQUIRE(static_cast<bool>(p.potential), "potential function is empty");
}

// Simpson on [a, b] given f at a, (a+b)/2, b; refines where the two-panel estimate disagrees.
double adaptive_simpson(const std::function<double(double)>& f, double a, double b, double fa, double fm, double fb,
                        double whole, double tolerance, int depth) {
  const double m = 0.5 * (a + b);
  const double flm = f(0.5 * (a + m)), frm = f(0.5 * (m + b));
  const double left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
  const double right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
  const double delta = left + right - whole;
  // NaN or inf never passes the test below; without this the recursion would visit 2^depth panels.
  if (!std::isfinite(delta)) return left + right;
  if (depth <= 0 || std::abs(delta) <= 15.0 * tolerance) return left + right + delta / 15.0;
  return adaptive_simpson(f, a, m, fa, flm, fm, left, tolerance, depth - 1) +
         adaptive_simpson(f, m, b, fm, frm, fb, right, tolerance, depth - 1);
}

// Diagonal potential of the owned rows (DMDA index i is grid point i + 1).
std::vector<double> row_potential(const SchrodingerProblem& p, double h, PetscInt xs, PetscInt xm) {
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(xm));
  for (PetscInt i = xs; i < xs + xm; ++i) {
    const double x = p.lower + static_cast<double>(i + 1) * h;
    const double value = p.cell_average ? interval_mean(p.potential, x - 0.5 * h, x + 0.5 * h) : p.potential(x);
    if (!std::isfinite(value)) {
      std::ostringstream os;
      os << "potential is " << value << " near x = " << x;
      throw Error(os.str());
    }
    v.push_back(value);
  }
  return v;
}

PetscErrorCode assemble(PetscInt n, double h, const std::vector<double>& v, EpsSystem* sys) {
  PetscInt xs = 0, xm = 0;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetCorners(sys->da, &xs, NULL, NULL, &xm, NULL, NULL));
  PetscCall(DMCreateMatrix(sys->da, &sys->H));
  const double off = -1.0 / (h * h);
  for (PetscInt i = xs; i < xs + xm; ++i) {
    MatStencil row = {0, 0, i, 0}, cols[3];
    PetscScalar vals[3];
    PetscInt k = 0;
    cols[k] = row, vals[k++] = 2.0 / (h * h) + v[static_cast<std::size_t>(i - xs)];
    // psi = 0 at the box ends: those neighbours simply drop out.
    if (i > 0) cols[k] = {0, 0, i - 1, 0}, vals[k++] = off;
    if (i < n - 1) cols[k] = {0, 0, i + 1, 0}, vals[k++] = off;
    PetscCall(MatSetValuesStencil(sys->H, 1, &row, k, cols, vals, INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(sys->H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(sys->H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatSetOption(sys->H, MAT_SYMMETRIC, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode setup_eps(MPI_Comm comm, PetscInt nev, double sigma, EpsSystem* sys) {
  ST st = NULL;
  KSP ksp = NULL;
  PC pc = NULL;
  PetscMPIInt size = 1;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(EPSCreate(comm, &sys->eps));
  PetscCall(EPSSetOperators(sys->eps, sys->H, NULL));
  PetscCall(EPSSetProblemType(sys->eps, EPS_HEP));
  // Defaults only; EPSSetFromOptions lets per-solve and command-line options replace them.
  // Plain Krylov-Schur for the smallest eigenvalues converges at a rate set by (E_1 - E_0) /
  // (E_max - E_0) ~ h^2; shift-and-invert at a sigma below the spectrum maps the wanted eigenvalues
  // to the well-separated largest ones of (H - sigma)^-1, whatever the grid.
  PetscCall(EPSSetType(sys->eps, EPSKRYLOVSCHUR));
  PetscCall(EPSSetDimensions(sys->eps, nev, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(EPSSetTarget(sys->eps, sigma));
  PetscCall(EPSSetWhichEigenpairs(sys->eps, EPS_TARGET_REAL));
  PetscCall(EPSSetTolerances(sys->eps, 1e-12, PETSC_DEFAULT));
  PetscCall(EPSGetST(sys->eps, &st));
  PetscCall(STSetType(st, STSINVERT));
  PetscCall(STGetKSP(st, &ksp));
  PetscCall(KSPSetType(ksp, KSPPREONLY));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCLU));
  // PETSc's own LU is sequential; MUMPS factors the distributed matrix.
  if (size > 1) PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
  PetscCall(EPSSetFromOptions(sys->eps));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Eigenvector `index` at every interior point, in grid order.
PetscErrorCode gather_mode(EpsSystem* sys, PetscInt index, std::vector<double>* out) {
  PetscFunctionBeginUser;
  PetscCall(EPSGetEigenvector(sys->eps, index, sys->x, NULL));
  PetscCall(sys->to_all.gather(sys->da, sys->x, [out](const PetscScalar* values, PetscInt n) {
    out->assign(values, values + n);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode start_slepc() {
  PetscBool running = PETSC_FALSE;
  PetscFunctionBeginUser;
  PetscCall(SlepcInitialized(&running));
  // With PETSc already running this only registers SLEPc; PetscFinalize later tears it down.
  if (!running) PetscCall(SlepcInitialize(NULL, NULL, NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Normalised (trapezoidal Int psi^2 dx = 1, ends are zero) with a reproducible sign.
std::vector<double> normalise(const std::vector<double>& interior, double h) {
  // Appended one by one: a bulk copy into psi.begin() + 1 trips a false GCC 12 -Wstringop-overflow.
  std::vector<double> psi;
  psi.reserve(interior.size() + 2);
  psi.push_back(0.0);
  for (double value : interior) psi.push_back(value);
  psi.push_back(0.0);
  double norm2 = 0, largest = 0;
  for (double value : psi) {
    norm2 += value * value;
    largest = std::max(largest, std::abs(value));
  }
  double scale = 1.0 / std::sqrt(norm2 * h);
  for (double value : psi)
    if (std::abs(value) > 1e-3 * largest) {
      if (value < 0) scale = -scale;
      break;
    }
  for (double& value : psi) value *= scale;
  return psi;
}

std::string describe(EPS eps, int grid) {
  EPSType type = NULL;
  ST st = NULL;
  STType st_type = NULL;
  NPDE_PETSC_CALL(EPSGetType(eps, &type));
  NPDE_PETSC_CALL(EPSGetST(eps, &st));
  NPDE_PETSC_CALL(STGetType(st, &st_type));
  std::ostringstream os;
  os << "SLEPc EPS " << (type ? type : "?") << " + ST " << (st_type ? st_type : "?") << ", central differences on "
     << grid << " points";
  return os.str();
}

}  // namespace

double interval_mean(const std::function<double(double)>& v, double a, double b) {
  NPDE_REQUIRE(b > a, "interval [" << a << ", " << b << "] is empty");
  constexpr int panels = 4;
  const double w = (b - a) / panels;
  double sum = 0;
  for (int k = 0; k < panels; ++k) {
    const double lo = a + k * w, hi = k + 1 == panels ? b : a + (k + 1) * w, mid = 0.5 * (lo + hi);
    const double f_lo = v(lo), f_mid = v(mid), f_hi = v(hi);
    const double scale = std::max({1.0, std::abs(f_lo), std::abs(f_mid), std::abs(f_hi)});
    // 50 levels bisect a jump down to 2^-50 of the panel; the tolerance then bounds each of the ~2
    // panels per level that straddle it.
    sum += adaptive_simpson(v, lo, hi, f_lo, f_mid, f_hi, (hi - lo) / 6.0 * (f_lo + 4.0 * f_mid + f_hi),
                            1e-14 * (hi - lo) * scale, 50);
  }
  return sum / (b - a);
}

GridSolution solve_schrodinger_eps(const decomp::Communicator& comm, const SchrodingerProblem& problem) {
  validate(problem);
  const MPI_Comm mpi_comm = decomp::native(comm);
  const PetscInt n = problem.grid - 2;
  const double h = (problem.upper - problem.lower) / static_cast<double>(problem.grid - 1);
  NPDE_PETSC_CALL(start_slepc());

  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  EpsSystem sys;
  detail::SolveClock clock;
  clock.start();
  const PetscInt points[3] = {n, 1, 1};
  NPDE_PETSC_CALL(detail::create_dmda(mpi_comm, 1, points, 1, DMDA_STENCIL_STAR, DM_BOUNDARY_NONE, &sys.da));
  PetscInt xs = 0, xm = 0;
  NPDE_PETSC_CALL(DMDAGetCorners(sys.da, &xs, NULL, NULL, &xm, NULL, NULL));

  // The potential is user code and may throw on some ranks only: agree on the outcome first.
  std::vector<double> v;
  std::string what;
  try {
    v = row_potential(problem, h, xs, xm);
  } catch (const std::exception& e) {
    what = e.what();
    if (what.empty()) what = "unknown error";
  }
  if (comm.any(!what.empty()))
    throw Error("Schroedinger: potential failed: " + (what.empty() ? std::string("(on another rank)") : what));
  double v_min = xm > 0 ? *std::min_element(v.begin(), v.end()) : 1e300;
  v_min = comm.min(v_min);

  NPDE_PETSC_CALL(assemble(n, h, v, &sys));
  NPDE_PETSC_CALL(MatCreateVecs(sys.H, &sys.x, NULL));
  NPDE_PETSC_CALL(sys.to_all.setup(sys.da));
  NPDE_PETSC_CALL(setup_eps(mpi_comm, problem.eigenpairs, v_min, &sys));
  NPDE_PETSC_CALL(EPSSolve(sys.eps));
  clock.stop();

  PetscInt converged = 0, iterations = 0;
  NPDE_PETSC_CALL(EPSGetConverged(sys.eps, &converged));
  NPDE_PETSC_CALL(EPSGetIterationNumber(sys.eps, &iterations));
  if (converged < problem.eigenpairs)
    throw SolverError("Schroedinger: SLEPc converged " + std::to_string(converged) + " of " +
                std::to_string(problem.eigenpairs) + " eigenpairs in " + std::to_string(iterations) + " iterations");

  // Nearest to a target below the spectrum means ascending, but sort anyway: a user -eps_which or
  // -st_type may change the order.
  std::vector<std::pair<double, PetscInt>> order;
  double max_residual = 0;
  for (PetscInt i = 0; i < converged; ++i) {
    PetscScalar re = 0, im = 0;
    NPDE_PETSC_CALL(EPSGetEigenvalue(sys.eps, i, &re, &im));
    order.emplace_back(static_cast<double>(re), i);
  }
  std::sort(order.begin(), order.end());
  order.resize(static_cast<std::size_t>(problem.eigenpairs));

  GridSolution result;
  result.axes.push_back(closed_axis(problem.lower, problem.upper, problem.grid));
  result.series_kind = "eigenvalue";
  std::vector<double> psi, mode;
  for (const auto& [value, index] : order) {
    PetscReal residual = 0;
    NPDE_PETSC_CALL(EPSComputeError(sys.eps, index, EPS_ERROR_RELATIVE, &residual));
    max_residual = std::max(max_residual, static_cast<double>(residual));
    NPDE_PETSC_CALL(gather_mode(&sys, index, &mode));
    const std::vector<double> full = normalise(mode, h);
    psi.insert(psi.end(), full.begin(), full.end());
    result.series.push_back(value);
  }
  result.fields.emplace_back("psi", std::move(psi));
  result.summary.emplace_back("seconds", clock.max_seconds(comm));
  // The eigenvalues themselves are the series (/eigenvalues, and the summary table prints them).
  result.summary.emplace_back("eps_iterations", static_cast<double>(iterations));
  result.summary.emplace_back("max_relative_residual", max_residual);
  result.summary_text.emplace_back("solver", describe(sys.eps, problem.grid));
  return result;
}

}  // namespace npde::reference
