// SPDX-License-Identifier: BSD-3-Clause
// Private DMDA glue shared by the PETSc solvers of reference/: grid setup, KSP steps, gathers.
#include "reference/dmda_util.hpp"

#include <exception>

#include "npde/decomp/mpi_native.hpp"

namespace npde::reference::detail {

PetscErrorCode create_global_vector(DM da, const std::vector<PetscScalar>& values, Vec* v) {
  PetscScalar* owned = NULL;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(da, v));
  PetscCall(VecGetArray(*v, &owned));
  for (std::size_t l = 0; l < values.size(); ++l) owned[l] = values[l];
  PetscCall(VecRestoreArray(*v, &owned));
  PetscFunctionReturn(PETSC_SUCCESS);
}

namespace {

// Right-hand side at the owned points, in the owned-box order of a DMDA global vector (x fastest).
std::vector<PetscScalar> dirichlet_rhs(const BoxGrid& g, const GridBox& box, double boundary_diag,
                                       const std::function<double(const double*)>& source,
                                       const std::function<double(const double*)>& boundary) {
  std::vector<PetscScalar> rhs;
  rhs.reserve(static_cast<std::size_t>(box.count[0] * box.count[1] * box.count[2]));
  PetscInt idx[3];
  double x[3];
  for (idx[2] = box.start[2]; idx[2] < box.start[2] + box.count[2]; ++idx[2])
    for (idx[1] = box.start[1]; idx[1] < box.start[1] + box.count[1]; ++idx[1])
      for (idx[0] = box.start[0]; idx[0] < box.start[0] + box.count[0]; ++idx[0]) {
        g.point(idx, x);
        if (g.on_boundary(idx)) {
          rhs.push_back(boundary_diag * boundary(x));
          continue;
        }
        double value = source(x);
        for (int d = 0; d < g.dim; ++d)
          for (int side = -1; side <= 1; side += 2) {
            PetscInt nb[3] = {idx[0], idx[1], idx[2]};
            nb[d] += side;
            if (!g.on_boundary(nb)) continue;
            double xb[3];
            g.point(nb, xb);
            value += boundary(xb) / (g.h[d] * g.h[d]);
          }
        rhs.push_back(value);
      }
  return rhs;
}

// Couplings to boundary unknowns live in the right-hand side, which keeps the matrix symmetric.
PetscErrorCode assemble_dirichlet_laplacian(DM da, const BoxGrid& g, const GridBox& box, double boundary_diag,
                                            double interior_diag, const std::vector<PetscScalar>& rhs, Mat* A,
                                            Vec* b) {
  PetscInt idx[3];

  PetscFunctionBeginUser;
  PetscCall(create_global_vector(da, rhs, b));

  PetscCall(DMCreateMatrix(da, A));
  for (idx[2] = box.start[2]; idx[2] < box.start[2] + box.count[2]; ++idx[2])
    for (idx[1] = box.start[1]; idx[1] < box.start[1] + box.count[1]; ++idx[1])
      for (idx[0] = box.start[0]; idx[0] < box.start[0] + box.count[0]; ++idx[0]) {
        MatStencil row, cols[7];
        PetscScalar vals[7];
        PetscInt n_cols = 1;
        row.i = idx[0], row.j = idx[1], row.k = idx[2], row.c = 0;
        cols[0] = row;
        const bool on_boundary = g.on_boundary(idx);
        vals[0] = on_boundary ? boundary_diag : interior_diag;
        for (int d = 0; d < g.dim && !on_boundary; ++d)
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
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace


BoxGrid make_box_grid(int dim, const std::vector<int>& grid, const double* lower, const double* upper) {
  BoxGrid g;
  g.dim = dim;
  for (int d = 0; d < dim; ++d) {
    g.n[d] = grid[d];
    g.lower[d] = lower[d];
    g.upper[d] = upper[d];
    g.h[d] = (upper[d] - lower[d]) / static_cast<double>(grid[d] - 1);
  }
  return g;
}

double laplacian_diagonal(const BoxGrid& g) {
  double diag = 0;
  for (int d = 0; d < g.dim; ++d) diag += 2.0 / (g.h[d] * g.h[d]);
  return diag;
}

PetscErrorCode create_dmda(MPI_Comm comm, int dim, const PetscInt n[3], PetscInt dof, DMDAStencilType stencil,
                           DMBoundaryType boundary, DM* da) {
  PetscFunctionBeginUser;
  if (dim == 1) {
    PetscCall(DMDACreate1d(comm, boundary, n[0], dof, 1, NULL, da));
  } else if (dim == 2) {
    PetscCall(DMDACreate2d(comm, boundary, boundary, stencil, n[0], n[1], PETSC_DECIDE, PETSC_DECIDE, dof, 1, NULL,
                           NULL, da));
  } else {
    PetscCall(DMDACreate3d(comm, boundary, boundary, boundary, stencil, n[0], n[1], n[2], PETSC_DECIDE, PETSC_DECIDE,
                           PETSC_DECIDE, dof, 1, NULL, NULL, NULL, da));
  }
  // Not DMSetMatrixPreallocateOnly: in PETSc 3.18 a 1D sequential DMDA matrix then expects complete
  // rows in sorted order and MatSetValues crashed on ours. The stencil's explicit zeros are harmless.
  PetscCall(DMSetUp(*da));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode get_owned_box(DM da, GridBox* box) {
  PetscFunctionBeginUser;
  PetscCall(DMDAGetCorners(da, &box->start[0], &box->start[1], &box->start[2], &box->count[0], &box->count[1],
                           &box->count[2]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode get_ghosted_box(DM da, GridBox* box) {
  PetscFunctionBeginUser;
  PetscCall(DMDAGetGhostCorners(da, &box->start[0], &box->start[1], &box->start[2], &box->count[0], &box->count[1],
                                &box->count[2]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode collectively(MPI_Comm comm, const char* what, const std::function<void()>& body) {
  int failed_here = 0, failed_anywhere = 0;
  std::string message;

  PetscFunctionBeginUser;
  // PetscCallCXX would fail just the throwing ranks and leave the others waiting in the next
  // collective, so all ranks agree on the outcome first.
  try {
    body();
  } catch (const std::exception& e) {
    failed_here = 1;
    message = e.what();
  } catch (...) {
    failed_here = 1;
    message = "unknown exception";
  }
  PetscCall(MPIU_Allreduce(&failed_here, &failed_anywhere, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(!failed_anywhere, comm, PETSC_ERR_USER, "%s callback threw: %s", what,
             failed_here ? message.c_str() : "(on another rank)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

LinearSystem::~LinearSystem() {
  (void)KSPDestroy(&ksp);
  (void)VecDestroy(&x);
  (void)VecDestroy(&b);
  (void)MatDestroy(&A);
  (void)DMDestroy(&da);
}

PetscErrorCode setup_dirichlet_system(MPI_Comm comm, const BoxGrid& g, double boundary_diag, double interior_diag,
                                      const std::function<double(const double*)>& source,
                                      const std::function<double(const double*)>& boundary, LinearSystem* sys) {
  GridBox box;
  std::vector<PetscScalar> rhs;

  PetscFunctionBeginUser;
  PetscCall(create_dmda(comm, g.dim, g.n, 1, DMDA_STENCIL_STAR, DM_BOUNDARY_NONE, &sys->da));
  PetscCall(get_owned_box(sys->da, &box));
  PetscCall(collectively(comm, "source or boundary",
                         [&] { rhs = dirichlet_rhs(g, box, boundary_diag, source, boundary); }));
  PetscCall(assemble_dirichlet_laplacian(sys->da, g, box, boundary_diag, interior_diag, rhs, &sys->A, &sys->b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_ksp(MPI_Comm comm, Mat A, KSP* ksp, PC* pc) {
  PetscFunctionBeginUser;
  PetscCall(KSPCreate(comm, ksp));
  PetscCall(KSPSetOperators(*ksp, A, A));
  PetscCall(KSPGetPC(*ksp, pc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode solve_ksp(MPI_Comm comm, KSP ksp, Vec b, Vec* x) {
  KSPConvergedReason reason;
  PetscInt its = 0;

  PetscFunctionBeginUser;
  PetscCall(KSPSetTolerances(ksp, 1e-12, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(KSPSetFromOptions(ksp));
  PetscCall(VecDuplicate(b, x));
  PetscCall(KSPSolve(ksp, b, *x));
  PetscCall(KSPGetConvergedReason(ksp, &reason));
  PetscCall(KSPGetIterationNumber(ksp, &its));
  PetscCheck(reason > 0, comm, PETSC_ERR_NOT_CONVERGED, "KSP did not converge: %s after %" PetscInt_FMT " iterations",
             KSPConvergedReasons[reason], its);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode solve_cg_gamg(MPI_Comm comm, Mat A, Vec b, KSP* ksp, Vec* x) {
  PC pc = NULL;

  PetscFunctionBeginUser;
  PetscCall(create_ksp(comm, A, ksp, &pc));
  PetscCall(KSPSetType(*ksp, KSPCG));
  PetscCall(PCSetType(pc, PCGAMG));
  PetscCall(solve_ksp(comm, *ksp, b, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode ksp_pc_types(KSP ksp, KSPType* ksp_type, PCType* pc_type) {
  PC pc = NULL;

  PetscFunctionBeginUser;
  PetscCall(KSPGetType(ksp, ksp_type));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCGetType(pc, pc_type));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode describe_ksp_solve(KSP ksp, Mat A, Vec b, Vec x, KspReport* report) {
  KSPType ksp_type = NULL;
  PCType pc_type = NULL;
  PetscInt its = 0;
  PetscReal norm = 0;
  Vec r = NULL;

  PetscFunctionBeginUser;
  PetscCall(KSPGetIterationNumber(ksp, &its));
  PetscCall(ksp_pc_types(ksp, &ksp_type, &pc_type));
  PetscCall(VecDuplicate(b, &r));
  PetscCall(MatMult(A, x, r));
  PetscCall(VecAYPX(r, -1.0, b));
  PetscCall(VecNorm(r, NORM_2, &norm));
  PetscCall(VecDestroy(&r));
  report->iterations = static_cast<int>(its);
  report->residual_norm = static_cast<double>(norm);
  report->ksp_type = ksp_type ? ksp_type : "";
  report->pc_type = pc_type ? pc_type : "";
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NaturalGather::setup(DM da) {
  PetscFunctionBeginUser;
  PetscCall(DMDACreateNaturalVector(da, &m_natural));
  PetscCall(VecScatterCreateToAll(m_natural, &m_to_all, &m_all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NaturalGather::gather(DM da, Vec x, const std::function<void(const PetscScalar*, PetscInt)>& use) const {
  const PetscScalar* values = NULL;
  PetscInt n = 0;

  PetscFunctionBeginUser;
  PetscCall(DMDAGlobalToNaturalBegin(da, x, INSERT_VALUES, m_natural));
  PetscCall(DMDAGlobalToNaturalEnd(da, x, INSERT_VALUES, m_natural));
  PetscCall(VecScatterBegin(m_to_all, m_natural, m_all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(m_to_all, m_natural, m_all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetLocalSize(m_all, &n));
  PetscCall(VecGetArrayRead(m_all, &values));
  use(values, n);
  PetscCall(VecRestoreArrayRead(m_all, &values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void NaturalGather::destroy() {
  (void)VecScatterDestroy(&m_to_all);
  (void)VecDestroy(&m_all);
  (void)VecDestroy(&m_natural);
}

PetscErrorCode gather_natural(DM da, Vec x, std::vector<double>* u) {
  NaturalGather to_all;

  PetscFunctionBeginUser;
  PetscCall(to_all.setup(da));
  PetscCall(to_all.gather(da, x, [u](const PetscScalar* values, PetscInt n) { u->assign(values, values + n); }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode report_fd_solution(const LinearSystem& sys, FdSolution* result) {
  KspReport report;

  PetscFunctionBeginUser;
  PetscCall(describe_ksp_solve(sys.ksp, sys.A, sys.b, sys.x, &report));
  result->iterations = report.iterations;
  result->residual_norm = report.residual_norm;
  result->ksp_type = report.ksp_type;
  result->pc_type = report.pc_type;
  PetscCall(gather_natural(sys.da, sys.x, &result->u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

FdSolution solve_spd_fd(const decomp::Communicator& comm, const std::string& petsc_options, const std::vector<int>& grid,
                        const std::function<PetscErrorCode(MPI_Comm, LinearSystem*)>& setup) {
  const MPI_Comm mpi_comm = decomp::native(comm);
  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  ScopedOptions options(petsc_options);
  LinearSystem sys;
  FdSolution result;
  result.grid = grid;

  SolveClock clock;
  clock.start();
  NPDE_PETSC_CALL(setup(mpi_comm, &sys));
  // Defaults CG + GAMG, rtol 1e-12; the per-solve and command-line options may replace them.
  NPDE_PETSC_CALL(solve_cg_gamg(mpi_comm, sys.A, sys.b, &sys.ksp, &sys.x));
  clock.stop();
  NPDE_PETSC_CALL(report_fd_solution(sys, &result));
  result.seconds = clock.max_seconds(comm);
  return result;
}

}  // namespace npde::reference::detail
