// SPDX-License-Identifier: BSD-3-Clause
// Private DMDA glue shared by the PETSc solvers of reference/: box grids, owned boxes, gathers, timing.
#pragma once

#include <petscdmda.h>
#include <petscksp.h>
#include <petsctime.h>

#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/poisson_fd.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference::detail {

/// Geometry of a closed box grid: n[d] points from lower[d] to upper[d] (both included) on each of
/// the first dim axes; axes past dim have a single point. Not collective.
struct BoxGrid {
  int dim = 1;
  PetscInt n[3] = {1, 1, 1};
  double lower[3] = {0, 0, 0}, upper[3] = {0, 0, 0}, h[3] = {1, 1, 1};

  /// Coordinate of point i on axis d; the last point is upper[d] exactly.
  double coord(int d, PetscInt i) const { return i == n[d] - 1 ? upper[d] : lower[d] + static_cast<double>(i) * h[d]; }
  /// True if the point lies on a face of the box.
  bool on_boundary(const PetscInt idx[3]) const {
    for (int d = 0; d < dim; ++d)
      if (idx[d] == 0 || idx[d] == n[d] - 1) return true;
    return false;
  }
  /// Coordinates of the point; entries past dim are 0.
  void point(const PetscInt idx[3], double x[3]) const {
    for (int d = 0; d < 3; ++d) x[d] = d < dim ? coord(d, idx[d]) : 0.0;
  }
};

/// The box grid of `dim` axes with grid[d] points on [lower[d], upper[d]], h[d] = length / (grid[d] - 1).
/// Not collective; the arguments must already be valid.
BoxGrid make_box_grid(int dim, const std::vector<int>& grid, const double* lower, const double* upper);

/// sum_d 2/h_d^2, the diagonal of the standard finite-difference -Laplacian. Not collective.
double laplacian_diagonal(const BoxGrid& g);

/// A rank's block of DMDA points, [start, start + count) per axis; axes past the DMDA's have one point.
struct GridBox {
  PetscInt start[3] = {0, 0, 0}, count[3] = {1, 1, 1};
};

/// Creates and sets up a `dim`-D DMDA of n[d] points per axis, `dof` unknowns per point, stencil
/// width 1 and `boundary` on every axis (`stencil` is ignored in 1D). No DMSetFromOptions: options
/// such as -da_grid_x or -da_refine must not change the grid the caller asked for. Collective on comm.
PetscErrorCode create_dmda(MPI_Comm comm, int dim, const PetscInt n[3], PetscInt dof, DMDAStencilType stencil,
                           DMBoundaryType boundary, DM* da);

/// The points this rank owns (DMDAGetCorners). Not collective.
PetscErrorCode get_owned_box(DM da, GridBox* box);

/// The points this rank owns plus its ghosts (DMDAGetGhostCorners). Not collective.
PetscErrorCode get_ghosted_box(DM da, GridBox* box);

/// Runs `body` (user callbacks inside) on this rank, then agrees with every rank of `comm` on
/// whether any of them threw: if one did, all return PETSC_ERR_USER with "<what> callback threw: ..."
/// (the message where it threw), so that no rank is left waiting in the next collective. Collective on comm.
PetscErrorCode collectively(MPI_Comm comm, const char* what, const std::function<void()>& body);

/// Everything PETSc owns for one linear solve, released even when a step throws. Destruction is
/// collective on the objects' communicator.
struct LinearSystem {
  DM da = nullptr;
  Mat A = nullptr;
  Vec b = nullptr, x = nullptr;
  KSP ksp = nullptr;
  LinearSystem() = default;
  LinearSystem(const LinearSystem&) = delete;
  LinearSystem& operator=(const LinearSystem&) = delete;
  ~LinearSystem();
};

/// A new global vector of `da` holding `values`, this rank's entries in DMDA global order. Collective.
PetscErrorCode create_global_vector(DM da, const std::vector<PetscScalar>& values, Vec* v);

/// Sets up sys->da (a dof-1 star-stencil DMDA of g), sys->b and sys->A for the standard
/// finite-difference Dirichlet problem (-Lap + c) u = f in the box, u = g on its faces, with the
/// couplings to boundary unknowns moved into the right-hand side (A stays symmetric): interior rows
/// interior_diag and -1/h_d^2 towards interior neighbours, right-hand side f plus those couplings;
/// boundary rows boundary_diag alone, right-hand side boundary_diag * g. The user's source and
/// boundary may throw; every rank then fails alike ("source or boundary callback threw").
/// Collective on comm.
PetscErrorCode setup_dirichlet_system(MPI_Comm comm, const BoxGrid& g, double boundary_diag, double interior_diag,
                                      const std::function<double(const double*)>& source,
                                      const std::function<double(const double*)>& boundary, LinearSystem* sys);

/// Creates a KSP on comm with operator A (also the preconditioning matrix) and returns its PC, for
/// the caller to set its default methods on. Collective on comm.
PetscErrorCode create_ksp(MPI_Comm comm, Mat A, KSP* ksp, PC* pc);

/// Sets rtol 1e-12 (far below the discretisation error on any grid we run), applies the options
/// database (which may replace every default), solves A x = b into a new x, and fails unless KSP
/// converged. Collective on the KSP's communicator.
PetscErrorCode solve_ksp(MPI_Comm comm, KSP ksp, Vec b, Vec* x);

/// KSP and PC type names of a solver (NULL where unset). Not collective.
PetscErrorCode ksp_pc_types(KSP ksp, KSPType* ksp_type, PCType* pc_type);

/// What a finished KSP solve reports: iterations, the true residual norm |b - A x| (the norm KSP
/// monitors depends on the method) and the KSP and PC types ("" where unset).
struct KspReport {
  int iterations = 0;
  double residual_norm = 0;
  std::string ksp_type, pc_type;
};

/// Fills `report` for the solve of A x = b by `ksp`. Collective on the KSP's communicator.
PetscErrorCode describe_ksp_solve(KSP ksp, Mat A, Vec b, Vec x, KspReport* report);

/// Solves the SPD system A x = b with the defaults CG + GAMG and solve_ksp's tolerance (the options
/// database may replace them). Collective on comm.
PetscErrorCode solve_cg_gamg(MPI_Comm comm, Mat A, Vec b, KSP* ksp, Vec* x);

/// One SPD finite-difference solve from start to end: with `petsc_options` current (see
/// ScopedOptions), times setup(comm, sys) (which creates sys->da, sys->A and sys->b) and the CG +
/// GAMG solve, then reports it (report_fd_solution) with `grid` and the slowest rank's seconds.
/// Collective on comm.
FdSolution solve_spd_fd(const decomp::Communicator& comm, const std::string& petsc_options, const std::vector<int>& grid,
                        const std::function<PetscErrorCode(MPI_Comm, LinearSystem*)>& setup);

/// A DMDA global vector onto every rank in natural order: the natural vector and the scatter to all
/// ranks, set up once and reused for every gather. Every member function is collective on the DMDA's
/// communicator.
class NaturalGather {
 public:
  NaturalGather() = default;
  NaturalGather(const NaturalGather&) = delete;
  NaturalGather& operator=(const NaturalGather&) = delete;
  ~NaturalGather() { destroy(); }

  /// Creates the natural vector of `da` and the scatter of it to every rank.
  PetscErrorCode setup(DM da);
  /// Scatters x (a global vector of `da`) to every rank and calls use(values, n) with all n values
  /// in natural order (dof interlaced).
  PetscErrorCode gather(DM da, Vec x, const std::function<void(const PetscScalar*, PetscInt)>& use) const;
  /// Releases the PETSc objects (also done by the destructor).
  void destroy();

 private:
  Vec m_natural = nullptr, m_all = nullptr;
  VecScatter m_to_all = nullptr;
};

/// x, a global vector of `da`, on every rank in natural order (dof interlaced), in `u`. Collective.
PetscErrorCode gather_natural(DM da, Vec x, std::vector<double>* u);

/// The solver report (iterations, true residual norm, KSP and PC types) and the solution gathered
/// onto every rank in natural order of a solved system, into `result` (all but grid and seconds).
/// Collective on the system's communicator.
PetscErrorCode report_fd_solution(const LinearSystem& sys, FdSolution* result);

/// Wall-clock time of a solve's PETSc part, reported as the slowest rank's.
class SolveClock {
 public:
  /// Not collective.
  void start() { NPDE_PETSC_CALL(PetscTime(&m_start)); }
  /// Not collective.
  void stop() { NPDE_PETSC_CALL(PetscTime(&m_stop)); }
  /// Seconds from start() to stop(), the maximum over the ranks of comm. Collective on comm.
  double max_seconds(const decomp::Communicator& comm) const { return comm.max(static_cast<double>(m_stop - m_start)); }

 private:
  PetscLogDouble m_start = 0, m_stop = 0;
};

}  // namespace npde::reference::detail
