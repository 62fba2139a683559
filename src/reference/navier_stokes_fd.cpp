// SPDX-License-Identifier: BSD-3-Clause
// Steady incompressible Navier-Stokes on a staggered (MAC) grid held by a dof-3 PETSc DMDA, solved by SNES.
#include "npde/reference/navier_stokes_fd.hpp"

#include <petscdmda.h>
#include <petscsnes.h>

#include <cmath>
#include <sstream>
#include <string>

#include "npde/core/error.hpp"
#include "npde/core/log.hpp"
#include "npde/decomp/mpi_native.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

// MAC layout on the node grid (nx x ny nodes, node (i, j) at (x_i, y_j)); DMDA point (i, j) holds
//   u: x-velocity on the vertical face (x_i, y_j + hy/2),   used for j <= ny-2
//   v: y-velocity on the horizontal face (x_i + hx/2, y_j), used for i <= nx-2
//   p: pressure at the cell centre (x_i + hx/2, y_j + hy/2), used for i <= nx-2 and j <= ny-2
// Unused slots get identity rows. Faces on the walls carry the normal velocity as unknowns with
// Dirichlet rows; tangential wall velocity enters through ghost values 2 g - (first interior value).
struct MacPoint {
  PetscScalar u, v, p;
};

// Wall data, precomputed on every rank so that no user callback runs inside PETSc.
struct Walls {
  // (u, v) at the wall nodes: bottom/top indexed by i, left/right by j (corners included).
  std::vector<double> bottom_u, bottom_v, top_u, top_v, left_u, left_v, right_u, right_v;
  // Face-averaged normal velocity on the wall faces: left/right u by j, bottom/top v by i.
  std::vector<double> left_flux, right_flux, bottom_flux, top_flux;
};

struct Context {
  PetscInt nx = 0, ny = 0;
  double hx = 1, hy = 1;
  double nu = 0.01;
  double row_scale = 1;  // interior momentum diagonal for the identity rows (keeps them in the spectrum)
  Walls walls;
};

struct NsSystem {
  DM da = nullptr;
  Vec x = nullptr;
  SNES snes = nullptr;
  ~NsSystem() {
    (void)SNESDestroy(&snes);
    (void)VecDestroy(&x);
    (void)DMDestroy(&da);
  }
};

double coord(double lo, double h, PetscInt n, PetscInt i, double hi) {
  return i == n - 1 ? hi : lo + static_cast<double>(i) * h;
}

void validate(const NavierStokesFdProblem& p) {
  NPDE_REQUIRE(p.grid.size() == 2, "grid has " << p.grid.size() << " entries, expected 2");
  for (int d = 0; d < 2; ++d) {
    NPDE_REQUIRE(p.grid[d] >= 5, "grid[" << d << "] = " << p.grid[d] << ", need >= 5 nodes including boundary");
    NPDE_REQUIRE(p.upper[d] > p.lower[d], "axis " << d << ": lower = " << p.lower[d] << ", upper = " << p.upper[d]);
  }
  NPDE_REQUIRE(p.reynolds > 0 && std::isfinite(p.reynolds), "reynolds = " << p.reynolds << ", must be > 0");
  NPDE_REQUIRE(static_cast<bool>(p.boundary_velocity), "boundary_velocity is empty");
}

// Two-point Gauss average of one velocity component over a wall face: the wall fluxes then sum to
// zero up to O(h^4), which the pinned-pressure cell would otherwise have to absorb.
double face_average(const NavierStokesFdProblem& p, int component, double x0, double y0, double x1, double y1) {
  const double g = 0.5 / std::sqrt(3.0);
  double sum = 0;
  for (double s : {0.5 - g, 0.5 + g}) {
    const double x[2] = {x0 + s * (x1 - x0), y0 + s * (y1 - y0)};
    double uv[2] = {0, 0};
    p.boundary_velocity(x, uv);
    sum += 0.5 * uv[component];
  }
  return sum;
}

Context make_context(const NavierStokesFdProblem& p) {
  Context c;
  c.nx = p.grid[0], c.ny = p.grid[1];
  c.hx = (p.upper[0] - p.lower[0]) / static_cast<double>(c.nx - 1);
  c.hy = (p.upper[1] - p.lower[1]) / static_cast<double>(c.ny - 1);
  auto x_at = [&](PetscInt i) { return coord(p.lower[0], c.hx, c.nx, i, p.upper[0]); };
  auto y_at = [&](PetscInt j) { return coord(p.lower[1], c.hy, c.ny, j, p.upper[1]); };
  Walls& w = c.walls;
  auto node = [&](double x, double y, std::vector<double>& u, std::vector<double>& v) {
    const double pt[2] = {x, y};
    double uv[2] = {0, 0};
    p.boundary_velocity(pt, uv);
    u.push_back(uv[0]);
    v.push_back(uv[1]);
  };
  for (PetscInt i = 0; i < c.nx; ++i) {
    node(x_at(i), p.lower[1], w.bottom_u, w.bottom_v);
    node(x_at(i), p.upper[1], w.top_u, w.top_v);
  }
  for (PetscInt j = 0; j < c.ny; ++j) {
    node(p.lower[0], y_at(j), w.left_u, w.left_v);
    node(p.upper[0], y_at(j), w.right_u, w.right_v);
  }
  for (PetscInt j = 0; j + 1 < c.ny; ++j) {
    w.left_flux.push_back(face_average(p, 0, p.lower[0], y_at(j), p.lower[0], y_at(j + 1)));
    w.right_flux.push_back(face_average(p, 0, p.upper[0], y_at(j), p.upper[0], y_at(j + 1)));
  }
  for (PetscInt i = 0; i + 1 < c.nx; ++i) {
    w.bottom_flux.push_back(face_average(p, 1, x_at(i), p.lower[1], x_at(i + 1), p.lower[1]));
    w.top_flux.push_back(face_average(p, 1, x_at(i), p.upper[1], x_at(i + 1), p.upper[1]));
  }
  return c;
}

// x-momentum on the interior u face (i, j): conservative central differences (Harlow-Welch form).
PetscScalar x_momentum(const Context& c, MacPoint** x, PetscInt i, PetscInt j) {
  const Walls& w = c.walls;
  const PetscScalar uc = x[j][i].u, ue = x[j][i + 1].u, uw = x[j][i - 1].u;
  const bool top = j == c.ny - 2, bottom = j == 0;
  const PetscScalar un = top ? 2 * w.top_u[i] - uc : x[j + 1][i].u;
  const PetscScalar us = bottom ? 2 * w.bottom_u[i] - uc : x[j - 1][i].u;
  // u and v at the nodes above and below the face; u takes the wall value on a wall.
  const PetscScalar u_north = top ? w.top_u[i] : 0.5 * (uc + un);
  const PetscScalar u_south = bottom ? w.bottom_u[i] : 0.5 * (uc + us);
  const PetscScalar v_north = 0.5 * (x[j + 1][i - 1].v + x[j + 1][i].v);
  const PetscScalar v_south = 0.5 * (x[j][i - 1].v + x[j][i].v);
  const PetscScalar u_east = 0.5 * (uc + ue), u_west = 0.5 * (uw + uc);
  const PetscScalar convection =
      (u_east * u_east - u_west * u_west) / c.hx + (u_north * v_north - u_south * v_south) / c.hy;
  const PetscScalar gradient = (x[j][i].p - x[j][i - 1].p) / c.hx;
  const PetscScalar laplacian = (ue - 2 * uc + uw) / (c.hx * c.hx) + (un - 2 * uc + us) / (c.hy * c.hy);
  return convection + gradient - c.nu * laplacian;
}

// y-momentum on the interior v face (i, j), the mirror image of x_momentum.
PetscScalar y_momentum(const Context& c, MacPoint** x, PetscInt i, PetscInt j) {
  const Walls& w = c.walls;
  const PetscScalar vc = x[j][i].v, vn = x[j + 1][i].v, vs = x[j - 1][i].v;
  const bool right = i == c.nx - 2, left = i == 0;
  const PetscScalar ve = right ? 2 * w.right_v[j] - vc : x[j][i + 1].v;
  const PetscScalar vw = left ? 2 * w.left_v[j] - vc : x[j][i - 1].v;
  const PetscScalar v_east = right ? w.right_v[j] : 0.5 * (vc + ve);
  const PetscScalar v_west = left ? w.left_v[j] : 0.5 * (vc + vw);
  const PetscScalar u_east = 0.5 * (x[j - 1][i + 1].u + x[j][i + 1].u);
  const PetscScalar u_west = 0.5 * (x[j - 1][i].u + x[j][i].u);
  const PetscScalar v_north = 0.5 * (vc + vn), v_south = 0.5 * (vs + vc);
  const PetscScalar convection =
      (u_east * v_east - u_west * v_west) / c.hx + (v_north * v_north - v_south * v_south) / c.hy;
  const PetscScalar gradient = (x[j][i].p - x[j - 1][i].p) / c.hy;
  const PetscScalar laplacian = (ve - 2 * vc + vw) / (c.hx * c.hx) + (vn - 2 * vc + vs) / (c.hy * c.hy);
  return convection + gradient - c.nu * laplacian;
}

PetscErrorCode residual(DMDALocalInfo* info, MacPoint** x, MacPoint** f, void* ptr) {
  const Context& c = *static_cast<const Context*>(ptr);
  const Walls& w = c.walls;
  PetscFunctionBeginUser;
  for (PetscInt j = info->ys; j < info->ys + info->ym; ++j)
    for (PetscInt i = info->xs; i < info->xs + info->xm; ++i) {
      MacPoint& r = f[j][i];
      if (j == c.ny - 1) r.u = c.row_scale * x[j][i].u;
      else if (i == 0) r.u = c.row_scale * (x[j][i].u - w.left_flux[j]);
      else if (i == c.nx - 1) r.u = c.row_scale * (x[j][i].u - w.right_flux[j]);
      else r.u = x_momentum(c, x, i, j);

      if (i == c.nx - 1) r.v = c.row_scale * x[j][i].v;
      else if (j == 0) r.v = c.row_scale * (x[j][i].v - w.bottom_flux[i]);
      else if (j == c.ny - 1) r.v = c.row_scale * (x[j][i].v - w.top_flux[i]);
      else r.v = y_momentum(c, x, i, j);

      // With Dirichlet velocity everywhere p is fixed only up to a constant: cell (0, 0) trades its
      // continuity equation for p = 0 (the wall fluxes sum to ~0, so no mass is lost there).
      if (i == c.nx - 1 || j == c.ny - 1 || (i == 0 && j == 0)) r.p = x[j][i].p;
      else r.p = -((x[j][i + 1].u - x[j][i].u) / c.hx + (x[j + 1][i].v - x[j][i].v) / c.hy);
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_system(MPI_Comm comm, Context* ctx, NsSystem* sys) {
  KSP ksp = NULL;
  PC pc = NULL;
  PetscFunctionBeginUser;
  // Box stencil: the cross terms u*v reach the diagonal neighbours (i-1, j+1) and (i+1, j-1).
  const PetscInt n[3] = {ctx->nx, ctx->ny, 1};
  PetscCall(detail::create_dmda(comm, 2, n, 3, DMDA_STENCIL_BOX, DM_BOUNDARY_NONE, &sys->da));
  PetscCall(DMDASetFieldName(sys->da, 0, "u"));
  PetscCall(DMDASetFieldName(sys->da, 1, "v"));
  PetscCall(DMDASetFieldName(sys->da, 2, "p"));
  PetscCall(DMDASNESSetFunctionLocal(sys->da, INSERT_VALUES, (DMDASNESFunction)residual, ctx));
  PetscCall(DMCreateGlobalVector(sys->da, &sys->x));
  PetscCall(VecSet(sys->x, 0.0));

  PetscCall(SNESCreate(comm, &sys->snes));
  PetscCall(SNESSetDM(sys->snes, sys->da));
  // No Jacobian routine: SNES then differences the residual with a colouring of the DMDA stencil
  // (27 colours for dof 3 and a box stencil, so 27 residuals per Jacobian).
  // Defaults only; the per-solve options and the command line override them in SNESSetFromOptions.
  PetscCall(SNESSetType(sys->snes, SNESNEWTONLS));
  PetscCall(SNESSetTolerances(sys->snes, 1e-9, 1e-10, 1e-12, 50, 1000000));
  PetscCall(SNESGetKSP(sys->snes, &ksp));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPSetTolerances(ksp, 1e-10, PETSC_DEFAULT, PETSC_DEFAULT, 200));
  PetscCall(KSPGetPC(ksp, &pc));
  // The saddle-point Jacobian has zero pressure diagonals; PETSc's own LU does not pivot, MUMPS does.
  PetscCall(PCSetType(pc, PCLU));
#if defined(PETSC_HAVE_MUMPS)
  PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
#elif defined(PETSC_HAVE_SUPERLU_DIST)
  PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERSUPERLU_DIST));
#endif
  PetscCall(SNESSetFromOptions(sys->snes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

struct StageResult {
  PetscInt snes_its = 0, ksp_its = 0;
  PetscReal norm = 0;
  SNESConvergedReason reason = SNES_CONVERGED_ITERATING;
};

PetscErrorCode solve_stage(SNES snes, Vec x, StageResult* r) {
  PetscFunctionBeginUser;
  PetscCall(SNESSolve(snes, NULL, x));
  PetscCall(SNESGetConvergedReason(snes, &r->reason));
  PetscCall(SNESGetIterationNumber(snes, &r->snes_its));
  PetscCall(SNESGetLinearSolveIterations(snes, &r->ksp_its));
  PetscCall(SNESGetFunctionNorm(snes, &r->norm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode describe(SNES snes, std::string* text) {
  SNESType snes_type = NULL;
  KSPType ksp_type = NULL;
  PCType pc_type = NULL;
  MatSolverType factor = NULL;
  KSP ksp = NULL;
  PC pc = NULL;
  PetscBool is_factor = PETSC_FALSE;
  PetscFunctionBeginUser;
  PetscCall(SNESGetType(snes, &snes_type));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(detail::ksp_pc_types(ksp, &ksp_type, &pc_type));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)pc, &is_factor, PCLU, PCILU, PCCHOLESKY, ""));
  if (is_factor) PetscCall(PCFactorGetMatSolverType(pc, &factor));
  *text = std::string("SNES ") + (snes_type ? snes_type : "?") + " + KSP " + (ksp_type ? ksp_type : "?") + "/" +
          (pc_type ? pc_type : "?") + (factor ? std::string(" (") + factor + ")" : std::string());
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Two-point stencil along one axis from staggered values (index k at offset +1/2) to node n of
// `count` nodes: midpoint average inside, linear extrapolation to the end nodes.
void node_weights(int n, int count, int idx[2], double wt[2]) {
  if (n == 0) idx[0] = 0, idx[1] = 1, wt[0] = 1.5, wt[1] = -0.5;
  else if (n == count - 1) idx[0] = count - 2, idx[1] = count - 3, wt[0] = 1.5, wt[1] = -0.5;
  else idx[0] = n - 1, idx[1] = n, wt[0] = 0.5, wt[1] = 0.5;
}

// Staggered unknowns -> node values: wall nodes from the boundary data, interior velocity by
// averaging the two adjacent faces, pressure by averaging (inside) or extrapolating (walls) cells.
void to_nodes(const Context& c, const std::vector<double>& mac, NavierStokesFdSolution* s) {
  const int nx = static_cast<int>(c.nx), ny = static_cast<int>(c.ny);
  const Walls& w = c.walls;
  auto at = [&](int i, int j, int comp) { return mac[3 * (static_cast<std::size_t>(j) * nx + i) + comp]; };
  const std::size_t n = static_cast<std::size_t>(nx) * ny;
  s->u.assign(n, 0.0), s->v.assign(n, 0.0), s->p.assign(n, 0.0);
  double p_sum = 0;
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      const std::size_t k = static_cast<std::size_t>(j) * nx + i;
      if (j == 0) s->u[k] = w.bottom_u[i], s->v[k] = w.bottom_v[i];
      else if (j == ny - 1) s->u[k] = w.top_u[i], s->v[k] = w.top_v[i];
      else if (i == 0) s->u[k] = w.left_u[j], s->v[k] = w.left_v[j];
      else if (i == nx - 1) s->u[k] = w.right_u[j], s->v[k] = w.right_v[j];
      else s->u[k] = 0.5 * (at(i, j - 1, 0) + at(i, j, 0)), s->v[k] = 0.5 * (at(i - 1, j, 1) + at(i, j, 1));
      int ix[2], iy[2];
      double wx[2], wy[2];
      node_weights(i, nx, ix, wx);
      node_weights(j, ny, iy, wy);
      double value = 0;
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) value += wx[a] * wy[b] * at(ix[a], iy[b], 2);
      s->p[k] = value;
      p_sum += value;
    }
  const double mean = p_sum / static_cast<double>(n);
  for (double& value : s->p) value -= mean;
}

std::vector<double> stage_list(const NavierStokesFdProblem& p) {
  std::vector<double> ladder = p.continuation;
  if (ladder.empty() && p.auto_continuation) ladder = {100, 400, 1000, 3200, 10000};
  std::vector<double> stages;
  for (double re : ladder)
    if (re > 0 && re < p.reynolds && (stages.empty() || re > stages.back())) stages.push_back(re);
  stages.push_back(p.reynolds);
  return stages;
}

}  // namespace

NavierStokesFdSolution solve_navier_stokes_fd(const decomp::Communicator& comm, const NavierStokesFdProblem& problem) {
  validate(problem);
  const MPI_Comm mpi_comm = decomp::native(comm);
  // Callbacks run here, before any collective, on every rank alike: a throw leaves no rank waiting.
  Context ctx = make_context(problem);
  detail::ScopedOptions options(problem.petsc_options);  // outlives the PETSc objects below
  NsSystem sys;
  NavierStokesFdSolution result;
  result.grid = problem.grid;

  detail::SolveClock clock;
  clock.start();
  NPDE_PETSC_CALL(create_system(mpi_comm, &ctx, &sys));
  for (double re : stage_list(problem)) {
    ctx.nu = 1.0 / re;
    ctx.row_scale = 2.0 * ctx.nu * (1.0 / (ctx.hx * ctx.hx) + 1.0 / (ctx.hy * ctx.hy));
    StageResult r;
    NPDE_PETSC_CALL(solve_stage(sys.snes, sys.x, &r));
    npde::log::info(npde::log::format("navier_stokes: Re = ", re, " on ", ctx.nx, "x", ctx.ny, ": ", r.snes_its,
                                      " Newton / ", r.ksp_its, " linear iterations, |F| = ", r.norm, " (",
                                      SNESConvergedReasons[r.reason], ")"));
    if (r.reason <= 0) {
      // A solver failure, not a bug: say what failed and what to change (usually the options).
      std::ostringstream os;
      os << "Navier-Stokes Newton iteration failed at Re = " << re << ": " << SNESConvergedReasons[r.reason]
         << " after " << r.snes_its << " iterations, |F| = " << r.norm
         << " (the saddle-point system needs a direct or block preconditioner: the default is GMRES + LU"
            " (MUMPS); for high Re refine the grid or let the Re continuation run)";
      throw SolverError(os.str());
    }
    result.stages.push_back(re);
    result.snes_iterations += static_cast<int>(r.snes_its);
    result.ksp_iterations += static_cast<int>(r.ksp_its);
    result.residual_norm = static_cast<double>(r.norm);
  }
  clock.stop();
  std::string text;
  NPDE_PETSC_CALL(describe(sys.snes, &text));
  result.solver = "MAC " + std::to_string(ctx.nx) + "x" + std::to_string(ctx.ny) + ", " + text;
  // All dof in natural order, interlaced (u, v, p per node), on every rank.
  std::vector<double> mac;
  NPDE_PETSC_CALL(detail::gather_natural(sys.da, sys.x, &mac));
  to_nodes(ctx, mac, &result);
  result.seconds = clock.max_seconds(comm);
  return result;
}

}  // namespace npde::reference
