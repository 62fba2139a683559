// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Poisson solve on a PETSc DMDA: assembly, KSP solve and gather in natural order.
#include "npde/reference/poisson_fd.hpp"

#include <petscdmda.h>
#include <petscksp.h>

#include <vector>

#include "npde/core/error.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

void validate(const PoissonFdProblem& p) {
  NPDE_REQUIRE(p.dim >= 1 && p.dim <= 3, "dim = " << p.dim << ", expected 1, 2 or 3");
  NPDE_REQUIRE(static_cast<int>(p.grid.size()) == p.dim,
               "grid has " << p.grid.size() << " entries for dim = " << p.dim);
  for (int d = 0; d < p.dim; ++d) {
    NPDE_REQUIRE(p.grid[d] >= 3, "grid[" << d << "] = " << p.grid[d] << ", need >= 3 points including boundary");
    NPDE_REQUIRE(p.upper[d] > p.lower[d], "axis " << d << ": lower = " << p.lower[d] << ", upper = " << p.upper[d]);
  }
  NPDE_REQUIRE(static_cast<bool>(p.source), "source function is empty");
  NPDE_REQUIRE(static_cast<bool>(p.boundary), "boundary function is empty");
}

}  // namespace

FdSolution solve_poisson_fd(const decomp::Communicator& comm, const PoissonFdProblem& problem) {
  validate(problem);
  const detail::BoxGrid grid = detail::make_box_grid(problem.dim, problem.grid, problem.lower, problem.upper);
  // Interior diagonal sum_d 2/h_d^2. Boundary rows use it too, so their eigenvalue lies inside the
  // interior spectrum and does not worsen the condition number.
  const double diag = detail::laplacian_diagonal(grid);
  const auto setup = [&](MPI_Comm mpi_comm, detail::LinearSystem* sys) {
    PetscCall(detail::setup_dirichlet_system(mpi_comm, grid, diag, diag, problem.source, problem.boundary, sys));
    PetscCall(MatSetOption(sys->A, MAT_SPD, PETSC_TRUE));
    return PetscErrorCode(PETSC_SUCCESS);
  };
  return detail::solve_spd_fd(comm, problem.petsc_options, problem.grid, setup);
}

}  // namespace npde::reference
