// SPDX-License-Identifier: BSD-3-Clause
// Darcy flow on a PETSc DMDA: harmonic-mean 5-point assembly, KSP solve and gather in natural order.
#include "npde/reference/darcy_fd.hpp"

#include <petscdmda.h>
#include <petscksp.h>
#include <petsctime.h>

#include <cmath>
#include <exception>
#include <string>

#include "npde/core/error.hpp"
#include "npde/decomp/mpi_native.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

struct Grid {
  PetscInt nx = 0, ny = 0;
  double lower[2] = {0, 0}, upper[2] = {1, 1}, h[2] = {1, 1};
  const std::vector<double>* a = nullptr;

  double coord(int d, PetscInt i) const {
    const PetscInt n = d == 0 ? nx : ny;
    return i == n - 1 ? upper[d] : lower[d] + static_cast<double>(i) * h[d];
  }
  bool on_boundary(PetscInt i, PetscInt j) const { return i == 0 || j == 0 || i == nx - 1 || j == ny - 1; }
  double coefficient(PetscInt i, PetscInt j) const { return (*a)[static_cast<std::size_t>(j * nx + i)]; }
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

struct DarcySystem {
  DM da = nullptr;
  Mat A = nullptr;
  Vec b = nullptr, x = nullptr;
  KSP ksp = nullptr;
  ~DarcySystem() {
    (void)KSPDestroy(&ksp);
    (void)VecDestroy(&x);
    (void)VecDestroy(&b);
    (void)MatDestroy(&A);
    (void)DMDestroy(&da);
  }
};

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
  g.nx = p.grid[0], g.ny = p.grid[1];
  for (int d = 0; d < 2; ++d) {
    g.lower[d] = p.lower[d], g.upper[d] = p.upper[d];
    g.h[d] = (p.upper[d] - p.lower[d]) / static_cast<double>(p.grid[d] - 1);
  }
  g.a = &p.coefficient;
  return g;
}

// Right-hand side at the owned points (xs, ys, xm, ym), in DMDA global-vector order.
std::vector<PetscScalar> evaluate_rhs(const Grid& g, const PetscInt box[4], const DarcyProblem& p) {
  std::vector<PetscScalar> rhs;
  rhs.reserve(static_cast<std::size_t>(box[2] * box[3]));
  for (PetscInt j = box[1]; j < box[1] + box[3]; ++j)
    for (PetscInt i = box[0]; i < box[0] + box[2]; ++i) {
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

PetscErrorCode evaluate_rhs_collectively(MPI_Comm comm, const Grid& g, const PetscInt box[4], const DarcyProblem& p,
                                         std::vector<PetscScalar>* rhs) {
  int failed_here = 0, failed_anywhere = 0;
  std::string what;

  PetscFunctionBeginUser;
  // User callbacks may throw on some ranks only; agree on the outcome before the next collective.
  try {
    *rhs = evaluate_rhs(g, box, p);
  } catch (const std::exception& e) {
    failed_here = 1;
    what = e.what();
  } catch (...) {
    failed_here = 1;
    what = "unknown exception";
  }
  PetscCall(MPIU_Allreduce(&failed_here, &failed_anywhere, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(!failed_anywhere, comm, PETSC_ERR_USER, "source or boundary callback threw: %s",
             failed_here ? what.c_str() : "(on another rank)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode assemble(DM da, const Grid& g, const PetscInt box[4], const std::vector<PetscScalar>& rhs, Mat* A,
                        Vec* b) {
  PetscScalar* b_owned = NULL;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(da, b));
  PetscCall(VecGetArray(*b, &b_owned));
  for (std::size_t l = 0; l < rhs.size(); ++l) b_owned[l] = rhs[l];
  PetscCall(VecRestoreArray(*b, &b_owned));

  PetscCall(DMCreateMatrix(da, A));
  for (PetscInt j = box[1]; j < box[1] + box[3]; ++j)
    for (PetscInt i = box[0]; i < box[0] + box[2]; ++i) {
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

PetscErrorCode solve(MPI_Comm comm, Mat A, Vec b, KSP* ksp, Vec* x) {
  PC pc = NULL;
  KSPConvergedReason reason;
  PetscInt its = 0;

  PetscFunctionBeginUser;
  PetscCall(KSPCreate(comm, ksp));
  PetscCall(KSPSetOperators(*ksp, A, A));
  // Defaults only; KSPSetFromOptions lets the per-solve and command-line options replace them.
  PetscCall(KSPSetType(*ksp, KSPCG));
  PetscCall(KSPGetPC(*ksp, &pc));
  PetscCall(PCSetType(pc, PCGAMG));
  PetscCall(KSPSetTolerances(*ksp, 1e-12, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(KSPSetFromOptions(*ksp));
  PetscCall(VecDuplicate(b, x));
  PetscCall(KSPSolve(*ksp, b, *x));
  PetscCall(KSPGetConvergedReason(*ksp, &reason));
  PetscCall(KSPGetIterationNumber(*ksp, &its));
  PetscCheck(reason > 0, comm, PETSC_ERR_NOT_CONVERGED, "KSP did not converge: %s after %" PetscInt_FMT " iterations",
             KSPConvergedReasons[reason], its);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode describe_solve(KSP ksp, Mat A, Vec b, Vec x, FdSolution* result) {
  KSPType ksp_type = NULL;
  PCType pc_type = NULL;
  PC pc = NULL;
  PetscInt its = 0;
  PetscReal norm = 0;
  Vec r = NULL;

  PetscFunctionBeginUser;
  PetscCall(KSPGetIterationNumber(ksp, &its));
  PetscCall(KSPGetType(ksp, &ksp_type));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCGetType(pc, &pc_type));
  PetscCall(VecDuplicate(b, &r));
  PetscCall(MatMult(A, x, r));
  PetscCall(VecAYPX(r, -1.0, b));
  PetscCall(VecNorm(r, NORM_2, &norm));
  PetscCall(VecDestroy(&r));
  result->iterations = static_cast<int>(its);
  result->residual_norm = static_cast<double>(norm);
  result->ksp_type = ksp_type ? ksp_type : "";
  result->pc_type = pc_type ? pc_type : "";
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode gather_natural(DM da, Vec x, std::vector<double>* u) {
  Vec natural = NULL, all = NULL;
  VecScatter to_all = NULL;
  const PetscScalar* values = NULL;
  PetscInt n = 0;

  PetscFunctionBeginUser;
  PetscCall(DMDACreateNaturalVector(da, &natural));
  PetscCall(DMDAGlobalToNaturalBegin(da, x, INSERT_VALUES, natural));
  PetscCall(DMDAGlobalToNaturalEnd(da, x, INSERT_VALUES, natural));
  PetscCall(VecScatterCreateToAll(natural, &to_all, &all));
  PetscCall(VecScatterBegin(to_all, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(to_all, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetLocalSize(all, &n));
  PetscCall(VecGetArrayRead(all, &values));
  u->assign(values, values + n);
  PetscCall(VecRestoreArrayRead(all, &values));
  PetscCall(VecScatterDestroy(&to_all));
  PetscCall(VecDestroy(&all));
  PetscCall(VecDestroy(&natural));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_grid(MPI_Comm comm, const Grid& g, DM* da, PetscInt box[4]) {
  PetscFunctionBeginUser;
  PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, g.nx, g.ny, PETSC_DECIDE,
                         PETSC_DECIDE, 1, 1, NULL, NULL, da));
  // No DMSetFromOptions: -da_grid_x must not change the grid (the coefficient is given per point).
  PetscCall(DMSetUp(*da));
  PetscCall(DMDAGetCorners(*da, &box[0], &box[1], NULL, &box[2], &box[3], NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

FdSolution solve_darcy_fd(const decomp::Communicator& comm, const DarcyProblem& problem) {
  validate(problem);
  const Grid grid = make_grid(problem);
  const MPI_Comm mpi_comm = decomp::native(comm);
  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  DarcySystem sys;
  PetscInt box[4] = {0, 0, 0, 0};  // xs, ys, xm, ym
  std::vector<PetscScalar> rhs;
  FdSolution result;
  result.grid = problem.grid;

  PetscLogDouble start = 0, stop = 0;
  NPDE_PETSC_CALL(PetscTime(&start));
  NPDE_PETSC_CALL(create_grid(mpi_comm, grid, &sys.da, box));
  NPDE_PETSC_CALL(evaluate_rhs_collectively(mpi_comm, grid, box, problem, &rhs));
  NPDE_PETSC_CALL(assemble(sys.da, grid, box, rhs, &sys.A, &sys.b));
  NPDE_PETSC_CALL(solve(mpi_comm, sys.A, sys.b, &sys.ksp, &sys.x));
  NPDE_PETSC_CALL(PetscTime(&stop));
  NPDE_PETSC_CALL(describe_solve(sys.ksp, sys.A, sys.b, sys.x, &result));
  NPDE_PETSC_CALL(gather_natural(sys.da, sys.x, &result.u));
  result.seconds = comm.max(static_cast<double>(stop - start));
  return result;
}

}  // namespace npde::reference
