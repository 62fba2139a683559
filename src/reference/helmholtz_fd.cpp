// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Helmholtz solve on a PETSc DMDA: assembly, solver choice by definiteness, gather.
#include "npde/reference/helmholtz_fd.hpp"

#include <petscdmda.h>
#include <petscksp.h>

#include <cmath>
#include <string>

#include "npde/core/error.hpp"
#include "npde/decomp/mpi_native.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

void validate(const HelmholtzFdProblem& p) {
  NPDE_REQUIRE(p.dim >= 1 && p.dim <= 3, "dim = " << p.dim << ", expected 1, 2 or 3");
  NPDE_REQUIRE(static_cast<int>(p.grid.size()) == p.dim, "grid has " << p.grid.size() << " entries for dim = " << p.dim);
  for (int d = 0; d < p.dim; ++d) {
    NPDE_REQUIRE(p.grid[d] >= 3, "grid[" << d << "] = " << p.grid[d] << ", need >= 3 points including boundary");
    NPDE_REQUIRE(p.upper[d] > p.lower[d], "axis " << d << ": lower = " << p.lower[d] << ", upper = " << p.upper[d]);
  }
  NPDE_REQUIRE(std::isfinite(p.k), "k = " << p.k);
  NPDE_REQUIRE(static_cast<bool>(p.source), "source function is empty");
  NPDE_REQUIRE(static_cast<bool>(p.boundary), "boundary function is empty");
}

PetscErrorCode solve(MPI_Comm comm, Mat A, Vec b, bool definite, KSP* ksp, Vec* x) {
  PC pc = NULL;

  PetscFunctionBeginUser;
  if (definite) {
    // SPD: the Poisson choice, and it stays scalable as long as k^2 is well below lambda_min.
    PetscCall(detail::solve_cg_gamg(comm, A, b, ksp, x));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(detail::create_ksp(comm, A, ksp, &pc));
  // Indefinite: CG may break down and multigrid smoothers amplify the near-resonant modes, so
  // iterative defaults are unreliable. A sparse direct factorisation is robust for any k away from
  // an eigenvalue; GMRES around it checks and, if needed, polishes the residual.
  PetscCall(KSPSetType(*ksp, KSPGMRES));
  PetscCall(PCSetType(pc, PCLU));
#if defined(PETSC_HAVE_MUMPS)
  PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
#else
  PetscMPIInt size = 1;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (size > 1) {
    PetscCall(PCSetType(pc, PCREDUNDANT));
  }
#endif
  // rtol 1e-12: far below the discretisation error on every grid we run.
  PetscCall(detail::solve_ksp(comm, *ksp, b, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

double smallest_dirichlet_eigenvalue(int dim, const double* lower, const double* upper, const std::vector<int>& grid) {
  NPDE_REQUIRE(dim >= 1 && dim <= 3 && static_cast<int>(grid.size()) == dim, "dim = " << dim << ", grid has "
                                                                               << grid.size() << " entries");
  const double pi = std::acos(-1.0);
  double lambda = 0;
  for (int d = 0; d < dim; ++d) {
    NPDE_REQUIRE(grid[d] >= 3 && upper[d] > lower[d], "axis " << d << ": " << grid[d] << " points");
    const double length = upper[d] - lower[d];
    const double h = length / (grid[d] - 1);
    const double s = std::sin(pi * h / (2 * length));
    lambda += 4.0 / (h * h) * s * s;
  }
  return lambda;
}

GridSolution solve_helmholtz_fd(const decomp::Communicator& comm, const HelmholtzFdProblem& problem) {
  validate(problem);
  const detail::BoxGrid grid = detail::make_box_grid(problem.dim, problem.grid, problem.lower, problem.upper);
  // sum_d 2/h_d^2, the Laplacian's diagonal. Boundary identity rows are scaled by it so that their
  // eigenvalue sits inside the interior spectrum.
  const double lap_diag = detail::laplacian_diagonal(grid);
  const MPI_Comm mpi_comm = decomp::native(comm);
  const double k2 = problem.k * problem.k;
  const double lambda_min = smallest_dirichlet_eigenvalue(problem.dim, problem.lower, problem.upper, problem.grid);
  const bool definite = k2 < lambda_min;
  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  detail::LinearSystem sys;

  detail::SolveClock clock;
  clock.start();
  NPDE_PETSC_CALL(detail::setup_dirichlet_system(mpi_comm, grid, lap_diag, lap_diag - k2, problem.source, problem.boundary,
                                                  &sys));
  NPDE_PETSC_CALL(MatSetOption(sys.A, MAT_SYMMETRIC, PETSC_TRUE));
  if (definite) NPDE_PETSC_CALL(MatSetOption(sys.A, MAT_SPD, PETSC_TRUE));
  NPDE_PETSC_CALL(solve(mpi_comm, sys.A, sys.b, definite, &sys.ksp, &sys.x));
  clock.stop();

  detail::KspReport report;
  NPDE_PETSC_CALL(detail::describe_ksp_solve(sys.ksp, sys.A, sys.b, sys.x, &report));
  const std::string& ksp_type = report.ksp_type;
  const std::string& pc_type = report.pc_type;

  GridSolution result;
  for (int d = 0; d < problem.dim; ++d) result.axes.push_back(closed_axis(problem.lower[d], problem.upper[d], problem.grid[d]));
  result.fields.emplace_back("u", std::vector<double>());
  NPDE_PETSC_CALL(detail::gather_natural(sys.da, sys.x, &result.fields[0].second));
  std::string grid_text;
  for (int d = 0; d < problem.dim; ++d) grid_text += (d ? "x" : "") + std::to_string(problem.grid[d]);
  result.summary = {{"seconds", clock.max_seconds(comm)},
                    {"iterations", static_cast<double>(report.iterations)},
                    {"residual_norm", report.residual_norm},
                    {"lambda_min", lambda_min},
                    {"indefinite", definite ? 0.0 : 1.0}};
  result.summary_text = {{"solver", "FD Helmholtz, KSP " + ksp_type + "/" + pc_type + " on " + grid_text +
                                        (definite ? " (definite)" : " (indefinite)")},
                         {"ksp_type", ksp_type},
                         {"pc_type", pc_type}};
  return result;
}

}  // namespace npde::reference
