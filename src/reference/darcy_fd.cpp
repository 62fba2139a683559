// SPDX-License-Identifier: BSD-3-Clause
// Darcy flow on a PETSc DMDA: harmonic-mean 5-point assembly, KSP solve and gather in natural order.
#include "npde/reference/darcy_fd.hpp"

#include <petscdmda.h>
#include <petscksp.h>

#include <cmath>
#include <string>

#include "npde/core/error.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

// The 2D box grid (n[0] x n[1] points) with the coefficient a at its points.
struct Grid : detail::BoxGrid {
  const std::vector<double>* a = nullptr;

  bool on_boundary(PetscInt i, PetscInt j) const { return i == 0 || j == 0 || i == n[0] - 1 || j == n[1] - 1; }
  double coefficient(PetscInt i, PetscInt j) const { return (*a)[static_cast<std::size_t>(j * n[0] + i)]; }
  // Face coefficient between two nodes: the harmonic mean is the series conductance of the two half-cells.
  double face(PetscInt i, PetscInt j, PetscInt k, PetscInt l) const {
    const double p = coefficient(i, j), q = coefficient(k, l);
    return 2.0 * p * q / (p + q);
  }
  // Boundary rows are a scaled identity; scaling by the local interior-like diagonal keeps their
  // eigenvalues inside the interior spectrum.
  double boundary_diag(PetscInt i, PetscInt j) const {
    return coefficient(i, j) * (2.0 / (h[0] * h[0]) + 2.0 / (h[1] * h[1]));
  }
};

// Neighbour offsets and the axis they step along.
constexpr int neighbours[4][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 1}, {0, 1, 1}};

void validate(const DarcyProblem& p) {
  NPDE_REQUIRE(p.grid.size() == 2, "grid has " << p.grid.size() << " entries, Darcy is 2D");
  for (int d = 0; d < 2; ++d) {
    NPDE_REQUIRE(p.grid[d] >= 3, "grid[" << d << "] = " << p.grid[d] << ", need >= 3 points including boundary");
    NPDE_REQUIRE(p.upper[d] > p.lower[d], "axis " << d << ": lower = " << p.lower[d] << ", upper = " << p.upper[d]);
  }
  const std::size_t n = static_cast<std::size_t>(p.grid[0]) * static_cast<std::size_t>(p.grid[1]);
  NPDE_REQUIRE(p.coefficient.size() == n, "coefficient has " << p.coefficient.size() << " values, grid has " << n);
  for (std::size_t l = 0; l < n; ++l)
    NPDE_REQUIRE(std::isfinite(p.coefficient[l]) && p.coefficient[l] > 0,
                 "coefficient[" << l << "] = " << p.coefficient[l] << ", need a finite a > 0");
  NPDE_REQUIRE(static_cast<bool>(p.source), "source function is empty");
  NPDE_REQUIRE(static_cast<bool>(p.boundary), "boundary function is empty");
}

Grid make_grid(const DarcyProblem& p) {
  Grid g;
  static_cast<detail::BoxGrid&>(g) = detail::make_box_grid(2, p.grid, p.lower, p.upper);
  g.a = &p.coefficient;
  return g;
}

// Right-hand side at the owned points, in DMDA global-vector order.
std::vector<PetscScalar> evaluate_rhs(const Grid& g, const detail::GridBox& box, const DarcyProblem& p) {
  std::vector<PetscScalar> rhs;
  rhs.reserve(static_cast<std::size_t>(box.count[0] * box.count[1]));
  for (PetscInt j = box.start[1]; j < box.start[1] + box.count[1]; ++j)
    for (PetscInt i = box.start[0]; i < box.start[0] + box.count[0]; ++i) {
      const double x[2] = {g.coord(0, i), g.coord(1, j)};
      if (g.on_boundary(i, j)) {
        rhs.push_back(g.boundary_diag(i, j) * p.boundary(x));
        continue;
      }
      double value = p.source(x);
      for (const auto& nb : neighbours) {
        const PetscInt k = i + nb[0], l = j + nb[1];
        if (!g.on_boundary(k, l)) continue;
        const double xb[2] = {g.coord(0, k), g.coord(1, l)};
        value += g.face(i, j, k, l) / (g.h[nb[2]] * g.h[nb[2]]) * p.boundary(xb);
      }
      rhs.push_back(value);
    }
  return rhs;
}

PetscErrorCode assemble(DM da, const Grid& g, const detail::GridBox& box, const std::vector<PetscScalar>& rhs, Mat* A,
                        Vec* b) {
  PetscFunctionBeginUser;
  PetscCall(detail::create_global_vector(da, rhs, b));

  PetscCall(DMCreateMatrix(da, A));
  for (PetscInt j = box.start[1]; j < box.start[1] + box.count[1]; ++j)
    for (PetscInt i = box.start[0]; i < box.start[0] + box.count[0]; ++i) {
      MatStencil row, cols[5];
      PetscScalar vals[5];
      PetscInt n_cols = 1;
      row.i = i, row.j = j, row.k = 0, row.c = 0;
      cols[0] = row;
      if (g.on_boundary(i, j)) {
        vals[0] = g.boundary_diag(i, j);
      } else {
        vals[0] = 0;
        for (const auto& nb : neighbours) {
          const PetscInt k = i + nb[0], l = j + nb[1];
          const double w = g.face(i, j, k, l) / (g.h[nb[2]] * g.h[nb[2]]);
          vals[0] += w;
          // Couplings to boundary unknowns live in the right-hand side, which keeps A symmetric.
          if (g.on_boundary(k, l)) continue;
          cols[n_cols].i = k, cols[n_cols].j = l, cols[n_cols].k = 0, cols[n_cols].c = 0;
          vals[n_cols++] = -w;
        }
      }
      PetscCall(MatSetValuesStencil(*A, 1, &row, n_cols, cols, vals, INSERT_VALUES));
    }
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatSetOption(*A, MAT_SPD, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

FdSolution solve_darcy_fd(const decomp::Communicator& comm, const DarcyProblem& problem) {
  validate(problem);
  const Grid grid = make_grid(problem);
  const auto setup = [&](MPI_Comm mpi_comm, detail::LinearSystem* sys) {
    detail::GridBox box;
    std::vector<PetscScalar> rhs;
    // The coefficient is given per point, so no option may change the grid.
    PetscCall(detail::create_dmda(mpi_comm, 2, grid.n, 1, DMDA_STENCIL_STAR, DM_BOUNDARY_NONE, &sys->da));
    PetscCall(detail::get_owned_box(sys->da, &box));
    PetscCall(detail::collectively(mpi_comm, "source or boundary", [&] { rhs = evaluate_rhs(grid, box, problem); }));
    PetscCall(assemble(sys->da, grid, box, rhs, &sys->A, &sys->b));
    return PetscErrorCode(PETSC_SUCCESS);
  };
  return detail::solve_spd_fd(comm, problem.petsc_options, problem.grid, setup);
}

}  // namespace npde::reference
