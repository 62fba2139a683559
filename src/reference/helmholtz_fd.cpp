// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Helmholtz solve on a PETSc DMDA: assembly, solver choice by definiteness, gather.
#include "npde/reference/helmholtz_fd.hpp"

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

// Geometry of the grid; axes past dim have a single point.
struct Grid {
  int dim = 1;
  PetscInt n[3] = {1, 1, 1};
  double lower[3] = {0, 0, 0}, upper[3] = {0, 0, 0}, h[3] = {1, 1, 1};
  // sum_d 2/h_d^2, the Laplacian's diagonal. Boundary identity rows are scaled by it so that their
  // eigenvalue sits inside the interior spectrum.
  double lap_diag = 0;

  double coord(int d, PetscInt i) const { return i == n[d] - 1 ? upper[d] : lower[d] + static_cast<double>(i) * h[d]; }
  bool on_boundary(const PetscInt idx[3]) const {
    for (int d = 0; d < dim; ++d)
      if (idx[d] == 0 || idx[d] == n[d] - 1) return true;
    return false;
  }
  void point(const PetscInt idx[3], double x[3]) const {
    for (int d = 0; d < 3; ++d) x[d] = d < dim ? coord(d, idx[d]) : 0.0;
  }
};

struct Box {
  PetscInt start[3] = {0, 0, 0}, count[3] = {1, 1, 1};
};

// PETSc objects of one solve, released even when a step throws.
struct System {
  DM da = nullptr;
  Mat A = nullptr;
  Vec b = nullptr, x = nullptr;
  KSP ksp = nullptr;
  ~System() {
    (void)KSPDestroy(&ksp);
    (void)VecDestroy(&x);
    (void)VecDestroy(&b);
    (void)MatDestroy(&A);
    (void)DMDestroy(&da);
  }
};

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

Grid make_grid(const HelmholtzFdProblem& p) {
  Grid g;
  g.dim = p.dim;
  for (int d = 0; d < p.dim; ++d) {
    g.n[d] = p.grid[d];
    g.lower[d] = p.lower[d];
    g.upper[d] = p.upper[d];
    g.h[d] = (p.upper[d] - p.lower[d]) / static_cast<double>(p.grid[d] - 1);
    g.lap_diag += 2.0 / (g.h[d] * g.h[d]);
  }
  return g;
}

// Right-hand side at owned points in DMDA global order: f plus the Dirichlet couplings moved out of
// the matrix on interior rows, lap_diag * g on boundary rows.
std::vector<PetscScalar> evaluate_rhs(const Grid& g, const Box& box, const HelmholtzFdProblem& p) {
  std::vector<PetscScalar> rhs;
  rhs.reserve(static_cast<std::size_t>(box.count[0] * box.count[1] * box.count[2]));
  PetscInt idx[3];
  double x[3];
  for (idx[2] = box.start[2]; idx[2] < box.start[2] + box.count[2]; ++idx[2])
    for (idx[1] = box.start[1]; idx[1] < box.start[1] + box.count[1]; ++idx[1])
      for (idx[0] = box.start[0]; idx[0] < box.start[0] + box.count[0]; ++idx[0]) {
        g.point(idx, x);
        if (g.on_boundary(idx)) {
          rhs.push_back(g.lap_diag * p.boundary(x));
          continue;
        }
        double value = p.source(x);
        for (int d = 0; d < g.dim; ++d)
          for (int side = -1; side <= 1; side += 2) {
            PetscInt nb[3] = {idx[0], idx[1], idx[2]};
            nb[d] += side;
            if (!g.on_boundary(nb)) continue;
            double xb[3];
            g.point(nb, xb);
            value += p.boundary(xb) / (g.h[d] * g.h[d]);
          }
        rhs.push_back(value);
      }
  return rhs;
}

PetscErrorCode create_grid(MPI_Comm comm, const Grid& g, DM* da, Box* box) {
  PetscFunctionBeginUser;
  if (g.dim == 1) {
    PetscCall(DMDACreate1d(comm, DM_BOUNDARY_NONE, g.n[0], 1, 1, NULL, da));
  } else if (g.dim == 2) {
    PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, g.n[0], g.n[1], PETSC_DECIDE,
                           PETSC_DECIDE, 1, 1, NULL, NULL, da));
  } else {
    PetscCall(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, g.n[0],
                           g.n[1], g.n[2], PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, NULL, da));
  }
  // No DMSetFromOptions: -da_refine must not change the grid the caller asked for.
  PetscCall(DMSetUp(*da));
  PetscCall(DMDAGetCorners(*da, &box->start[0], &box->start[1], &box->start[2], &box->count[0], &box->count[1],
                           &box->count[2]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode evaluate_rhs_collectively(MPI_Comm comm, const Grid& g, const Box& box, const HelmholtzFdProblem& p,
                                         std::vector<PetscScalar>* rhs) {
  int failed_here = 0, failed_anywhere = 0;
  std::string what;

  PetscFunctionBeginUser;
  // User callbacks may throw on some ranks only; every rank must agree before the next collective.
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

PetscErrorCode assemble(DM da, const Grid& g, const Box& box, double k2, bool definite,
                        const std::vector<PetscScalar>& rhs, Mat* A, Vec* b) {
  PetscScalar* b_owned = NULL;
  PetscInt idx[3];

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(da, b));
  PetscCall(VecGetArray(*b, &b_owned));
  for (std::size_t l = 0; l < rhs.size(); ++l) b_owned[l] = rhs[l];
  PetscCall(VecRestoreArray(*b, &b_owned));

  PetscCall(DMCreateMatrix(da, A));
  for (idx[2] = box.start[2]; idx[2] < box.start[2] + box.count[2]; ++idx[2])
    for (idx[1] = box.start[1]; idx[1] < box.start[1] + box.count[1]; ++idx[1])
      for (idx[0] = box.start[0]; idx[0] < box.start[0] + box.count[0]; ++idx[0]) {
        MatStencil row, cols[7];
        PetscScalar vals[7];
        PetscInt n_cols = 1;
        row.i = idx[0], row.j = idx[1], row.k = idx[2], row.c = 0;
        cols[0] = row;
        const bool boundary = g.on_boundary(idx);
        vals[0] = boundary ? g.lap_diag : g.lap_diag - k2;
        // Couplings to boundary unknowns live in the right-hand side: the matrix stays symmetric.
        for (int d = 0; d < g.dim && !boundary; ++d)
          for (int side = -1; side <= 1; side += 2) {
            PetscInt nb[3] = {idx[0], idx[1], idx[2]};
            nb[d] += side;
            if (g.on_boundary(nb)) continue;
            cols[n_cols].i = nb[0], cols[n_cols].j = nb[1], cols[n_cols].k = nb[2], cols[n_cols].c = 0;
            vals[n_cols++] = -1.0 / (g.h[d] * g.h[d]);
          }
        PetscCall(MatSetValuesStencil(*A, 1, &row, n_cols, cols, vals, INSERT_VALUES));
      }
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatSetOption(*A, MAT_SYMMETRIC, PETSC_TRUE));
  if (definite) PetscCall(MatSetOption(*A, MAT_SPD, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode solve(MPI_Comm comm, Mat A, Vec b, bool definite, KSP* ksp, Vec* x) {
  PC pc = NULL;
  KSPConvergedReason reason;
  PetscInt its = 0;

  PetscFunctionBeginUser;
  PetscCall(KSPCreate(comm, ksp));
  PetscCall(KSPSetOperators(*ksp, A, A));
  PetscCall(KSPGetPC(*ksp, &pc));
  if (definite) {
    // SPD: the Poisson choice, and it stays scalable as long as k^2 is well below lambda_min.
    PetscCall(KSPSetType(*ksp, KSPCG));
    PetscCall(PCSetType(pc, PCGAMG));
  } else {
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
  }
  // rtol 1e-12: far below the discretisation error on every grid we run.
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

PetscErrorCode describe_solve(KSP ksp, Mat A, Vec b, Vec x, int* iterations, double* residual, std::string* ksp_name,
                              std::string* pc_name) {
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
  *iterations = static_cast<int>(its);
  *residual = static_cast<double>(norm);
  *ksp_name = ksp_type ? ksp_type : "";
  *pc_name = pc_type ? pc_type : "";
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
  const Grid grid = make_grid(problem);
  const MPI_Comm mpi_comm = decomp::native(comm);
  const double k2 = problem.k * problem.k;
  const double lambda_min = smallest_dirichlet_eigenvalue(problem.dim, problem.lower, problem.upper, problem.grid);
  const bool definite = k2 < lambda_min;
  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  System sys;
  Box box;
  std::vector<PetscScalar> rhs;

  PetscLogDouble start = 0, stop = 0;
  NPDE_PETSC_CALL(PetscTime(&start));
  NPDE_PETSC_CALL(create_grid(mpi_comm, grid, &sys.da, &box));
  NPDE_PETSC_CALL(evaluate_rhs_collectively(mpi_comm, grid, box, problem, &rhs));
  NPDE_PETSC_CALL(assemble(sys.da, grid, box, k2, definite, rhs, &sys.A, &sys.b));
  NPDE_PETSC_CALL(solve(mpi_comm, sys.A, sys.b, definite, &sys.ksp, &sys.x));
  NPDE_PETSC_CALL(PetscTime(&stop));

  int iterations = 0;
  double residual = 0;
  std::string ksp_type, pc_type;
  NPDE_PETSC_CALL(describe_solve(sys.ksp, sys.A, sys.b, sys.x, &iterations, &residual, &ksp_type, &pc_type));

  GridSolution result;
  for (int d = 0; d < problem.dim; ++d) result.axes.push_back(closed_axis(problem.lower[d], problem.upper[d], problem.grid[d]));
  result.fields.emplace_back("u", std::vector<double>());
  NPDE_PETSC_CALL(gather_natural(sys.da, sys.x, &result.fields[0].second));
  std::string grid_text;
  for (int d = 0; d < problem.dim; ++d) grid_text += (d ? "x" : "") + std::to_string(problem.grid[d]);
  result.summary = {{"seconds", comm.max(static_cast<double>(stop - start))},
                    {"iterations", static_cast<double>(iterations)},
                    {"residual_norm", residual},
                    {"lambda_min", lambda_min},
                    {"indefinite", definite ? 0.0 : 1.0}};
  result.summary_text = {{"solver", "FD Helmholtz, KSP " + ksp_type + "/" + pc_type + " on " + grid_text +
                                        (definite ? " (definite)" : " (indefinite)")},
                         {"ksp_type", ksp_type},
                         {"pc_type", pc_type}};
  return result;
}

}  // namespace npde::reference
