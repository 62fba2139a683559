// SPDX-License-Identifier: BSD-3-Clause
// Heat / linear diffusion-reaction solve with PETSc TS on a DMDA: residual, Jacobian, snapshots.
#include "npde/reference/heat_ts.hpp"

#include <petscdmda.h>
#include <petscts.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "npde/core/error.hpp"
#include "npde/decomp/mpi_native.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

// Grid geometry, the owned box and the ghosted box of this rank; axes past dim have one point.
struct Layout : detail::BoxGrid {
  detail::GridBox owned, ghosted;  // owned; owned + ghosts

  PetscInt ghost_index(const PetscInt idx[3]) const {
    const PetscInt* gstart = ghosted.start;
    const PetscInt* gcount = ghosted.count;
    return (idx[0] - gstart[0]) + gcount[0] * ((idx[1] - gstart[1]) + gcount[1] * (idx[2] - gstart[2]));
  }
  PetscInt ghost_stride(int d) const {
    return d == 0 ? 1 : d == 1 ? ghosted.count[0] : ghosted.count[0] * ghosted.count[1];
  }
};

// Visits the owned points in DMDA global order (x fastest): f(l, idx, x) with l the owned index.
template <class F>
void for_owned(const Layout& g, F&& f) {
  PetscInt idx[3], l = 0;
  double x[3] = {0, 0, 0};
  const detail::GridBox& box = g.owned;
  for (idx[2] = box.start[2]; idx[2] < box.start[2] + box.count[2]; ++idx[2])
    for (idx[1] = box.start[1]; idx[1] < box.start[1] + box.count[1]; ++idx[1])
      for (idx[0] = box.start[0]; idx[0] < box.start[0] + box.count[0]; ++idx[0], ++l) {
        for (int d = 0; d < g.dim; ++d) x[d] = g.coord(d, idx[d]);
        f(l, idx, x);
      }
}

// State shared by the TS callbacks of one solve.
struct Context {
  MPI_Comm comm = MPI_COMM_NULL;
  const HeatTsProblem* problem = nullptr;
  Layout g;
  DM da = nullptr;
  double last_shift = -1;  // shift of the Jacobian now assembled (< 0: none yet)
  // Snapshots: every `per` steps, gathered in natural order into `snapshots`.
  int per = 1, n_snapshots = 0, n_steps = 0;
  std::vector<double> snapshots;
  std::vector<char> taken;
  detail::NaturalGather to_all;
};

// PETSc objects of one solve, released even when a step throws.
struct System {
  Context ctx;
  Vec u = nullptr;
  Mat J = nullptr;
  TS ts = nullptr;
  ~System() {
    (void)TSDestroy(&ts);
    (void)MatDestroy(&J);
    (void)VecDestroy(&u);
    ctx.to_all.destroy();
    (void)DMDestroy(&ctx.da);
  }
};

void validate(const HeatTsProblem& p) {
  NPDE_REQUIRE(p.dim >= 1 && p.dim <= 3, "dim = " << p.dim << ", expected 1, 2 or 3");
  NPDE_REQUIRE(static_cast<int>(p.grid.size()) == p.dim, "grid has " << p.grid.size() << " entries for dim = " << p.dim);
  for (int d = 0; d < p.dim; ++d) {
    NPDE_REQUIRE(p.grid[d] >= 3, "grid[" << d << "] = " << p.grid[d] << ", need >= 3 points including boundary");
    NPDE_REQUIRE(p.upper[d] > p.lower[d], "axis " << d << ": lower = " << p.lower[d] << ", upper = " << p.upper[d]);
  }
  NPDE_REQUIRE(p.diffusivity > 0 && std::isfinite(p.diffusivity), "diffusivity = " << p.diffusivity);
  NPDE_REQUIRE(std::isfinite(p.reaction), "reaction = " << p.reaction);
  NPDE_REQUIRE(p.t_end > p.t_start, "t_start = " << p.t_start << ", t_end = " << p.t_end);
  NPDE_REQUIRE(p.time_step >= 0 && std::isfinite(p.time_step), "time_step = " << p.time_step);
  NPDE_REQUIRE(p.snapshots >= 2, "snapshots = " << p.snapshots << ", need >= 2 (start and end)");
  NPDE_REQUIRE(static_cast<bool>(p.source) && static_cast<bool>(p.boundary) && static_cast<bool>(p.initial),
               "source, boundary and initial functions must all be set");
}

// F = u_t - D Lap u + r u - f on interior rows, F = u - g on boundary rows.
PetscErrorCode form_ifunction(TS, PetscReal t, Vec U, Vec Udot, Vec F, void* ptr) {
  Context* ctx = static_cast<Context*>(ptr);
  const HeatTsProblem& p = *ctx->problem;
  const Layout& g = ctx->g;
  Vec local = NULL;
  const PetscScalar *u = NULL, *udot = NULL;
  PetscScalar* f = NULL;

  PetscFunctionBeginUser;
  PetscCall(DMGetLocalVector(ctx->da, &local));
  PetscCall(DMGlobalToLocalBegin(ctx->da, U, INSERT_VALUES, local));
  PetscCall(DMGlobalToLocalEnd(ctx->da, U, INSERT_VALUES, local));
  PetscCall(VecGetArrayRead(local, &u));
  PetscCall(VecGetArrayRead(Udot, &udot));
  PetscCall(VecGetArray(F, &f));
  const PetscErrorCode code = detail::collectively(ctx->comm, "source or boundary", [&] {
    for_owned(g, [&](PetscInt l, const PetscInt idx[3], const double* x) {
      const PetscInt c = g.ghost_index(idx);
      if (g.on_boundary(idx)) {
        f[l] = u[c] - p.boundary(x, t);
        return;
      }
      double lap = 0;
      for (int d = 0; d < g.dim; ++d) {
        const PetscInt s = g.ghost_stride(d);
        lap += (u[c - s] - 2 * u[c] + u[c + s]) / (g.h[d] * g.h[d]);
      }
      f[l] = udot[l] - p.diffusivity * lap + p.reaction * u[c] - p.source(x, t);
    });
  });
  PetscCall(VecRestoreArray(F, &f));
  PetscCall(VecRestoreArrayRead(Udot, &udot));
  PetscCall(VecRestoreArrayRead(local, &u));
  PetscCall(DMRestoreLocalVector(ctx->da, &local));
  PetscCall(code);
  PetscFunctionReturn(PETSC_SUCCESS);
}

// dF/dU + shift dF/dUdot. The problem is linear and autonomous in U, so the matrix depends on the
// shift alone; leaving it untouched when the shift repeats lets KSP keep its preconditioner (with a
// fixed BDF2 step that is every step after the second).
PetscErrorCode form_ijacobian(TS, PetscReal, Vec, Vec, PetscReal shift, Mat A, Mat P, void* ptr) {
  Context* ctx = static_cast<Context*>(ptr);
  const Layout& g = ctx->g;
  const double D = ctx->problem->diffusivity, r = ctx->problem->reaction;

  PetscFunctionBeginUser;
  if (shift == ctx->last_shift) PetscFunctionReturn(PETSC_SUCCESS);
  PetscErrorCode code = PETSC_SUCCESS;
  for_owned(g, [&](PetscInt, const PetscInt idx[3], const double*) {
    if (code) return;
    MatStencil row, cols[7];
    PetscScalar vals[7];
    PetscInt n_cols = 1;
    row.i = idx[0], row.j = idx[1], row.k = idx[2], row.c = 0;
    cols[0] = row;
    vals[0] = 1.0;
    if (!g.on_boundary(idx)) {
      vals[0] = shift + r;
      for (int d = 0; d < g.dim; ++d) {
        vals[0] += 2 * D / (g.h[d] * g.h[d]);
        for (int side = -1; side <= 1; side += 2) {
          PetscInt nb[3] = {idx[0], idx[1], idx[2]};
          nb[d] += side;
          cols[n_cols].i = nb[0], cols[n_cols].j = nb[1], cols[n_cols].k = nb[2], cols[n_cols].c = 0;
          vals[n_cols++] = -D / (g.h[d] * g.h[d]);
        }
      }
    }
    code = MatSetValuesStencil(P, 1, &row, n_cols, cols, vals, INSERT_VALUES);
  });
  PetscCall(code);
  PetscCall(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  if (A != P) {
    PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  }
  ctx->last_shift = shift;
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Stores u every `per` steps (step 0 included) and reports progress.
PetscErrorCode monitor(TS, PetscInt step, PetscReal t, Vec U, void* ptr) {
  Context* ctx = static_cast<Context*>(ptr);

  PetscFunctionBeginUser;
  const PetscInt s = step / ctx->per;
  if (step % ctx->per == 0 && s < ctx->n_snapshots) {
    PetscCall(ctx->to_all.gather(ctx->da, U, [ctx, s](const PetscScalar* values, PetscInt n) {
      std::copy(values, values + n, ctx->snapshots.begin() + static_cast<std::ptrdiff_t>(s) * n);
    }));
    ctx->taken[s] = 1;
  }
  if (ctx->problem->progress && step > 0)
    PetscCallCXX(ctx->problem->progress(static_cast<int>(step), ctx->n_steps, static_cast<double>(t)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_grid(MPI_Comm comm, const HeatTsProblem& p, Layout* g, DM* da) {
  PetscFunctionBeginUser;
  static_cast<detail::BoxGrid&>(*g) = detail::make_box_grid(p.dim, p.grid, p.lower, p.upper);
  PetscCall(detail::create_dmda(comm, p.dim, g->n, 1, DMDA_STENCIL_STAR, DM_BOUNDARY_NONE, da));
  PetscCall(detail::get_owned_box(*da, &g->owned));
  PetscCall(detail::get_ghosted_box(*da, &g->ghosted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// u0 inside, g(x, t_start) on the boundary: consistent initial values for the algebraic rows.
PetscErrorCode set_initial(Context* ctx, Vec u) {
  const HeatTsProblem& p = *ctx->problem;
  PetscScalar* values = NULL;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(u, &values));
  const PetscErrorCode code = detail::collectively(ctx->comm, "initial or boundary", [&] {
    for_owned(ctx->g, [&](PetscInt l, const PetscInt idx[3], const double* x) {
      values[l] = ctx->g.on_boundary(idx) ? p.boundary(x, p.t_start) : p.initial(x);
    });
  });
  PetscCall(VecRestoreArray(u, &values));
  PetscCall(code);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode setup_ts(System* sys, double dt) {
  Context& ctx = sys->ctx;
  const HeatTsProblem& p = *ctx.problem;
  SNES snes = NULL;
  KSP ksp = NULL;
  PC pc = NULL;
  TSAdapt adapt = NULL;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(ctx.da, &sys->u));
  PetscCall(DMCreateMatrix(ctx.da, &sys->J));
  PetscCall(ctx.to_all.setup(ctx.da));

  PetscCall(TSCreate(ctx.comm, &sys->ts));
  PetscCall(TSSetDM(sys->ts, ctx.da));
  PetscCall(TSSetProblemType(sys->ts, TS_LINEAR));
  PetscCall(TSSetIFunction(sys->ts, NULL, form_ifunction, &ctx));
  PetscCall(TSSetIJacobian(sys->ts, sys->J, sys->J, form_ijacobian, &ctx));
  PetscCall(TSMonitorSet(sys->ts, monitor, &ctx, NULL));
  // Defaults only; TSSetFromOptions below lets the per-solve and command-line options replace them.
  // BDF2 is L-stable (no Crank-Nicolson ringing from rough data) and treats the boundary rows as
  // algebraic equations exactly.
  PetscCall(TSSetType(sys->ts, TSBDF));
  PetscCall(TSBDFSetOrder(sys->ts, 2));
  PetscCall(TSSetTime(sys->ts, p.t_start));
  PetscCall(TSSetTimeStep(sys->ts, dt));
  PetscCall(TSSetMaxSteps(sys->ts, ctx.n_steps));
  PetscCall(TSSetMaxTime(sys->ts, p.t_end));
  PetscCall(TSSetExactFinalTime(sys->ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSGetAdapt(sys->ts, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
  PetscCall(TSGetSNES(sys->ts, &snes));
  PetscCall(SNESSetType(snes, SNESKSPONLY));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCGAMG));
  // The KSP starts from the extrapolated state, so its residual is already small; 1e-8 of it left the
  // final error unchanged to 6 digits against 1e-10 (2D 129^2) and saves ~20 % of the iterations.
  PetscCall(KSPSetTolerances(ksp, 1e-8, 1e-14, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(TSSetFromOptions(sys->ts));
  PetscCall(TSGetAdapt(sys->ts, &adapt));
  PetscBool fixed = PETSC_FALSE;
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(adapt), TSADAPTNONE, &fixed));
  PetscCheck(fixed, ctx.comm, PETSC_ERR_SUP,
             "the heat solver needs a fixed time step (snapshots fall on step multiples): remove -ts_adapt_type");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode describe(TS ts, std::string* ts_name, std::string* ksp_name, std::string* pc_name, PetscInt* steps,
                        PetscInt* linear_its) {
  TSType ts_type = NULL;
  KSPType ksp_type = NULL;
  PCType pc_type = NULL;
  KSP ksp = NULL;

  PetscFunctionBeginUser;
  PetscCall(TSGetType(ts, &ts_type));
  PetscCall(TSGetKSP(ts, &ksp));
  PetscCall(detail::ksp_pc_types(ksp, &ksp_type, &pc_type));
  PetscCall(TSGetStepNumber(ts, steps));
  PetscCall(TSGetKSPIterations(ts, linear_its));
  *ts_name = ts_type ? ts_type : "";
  *ksp_name = ksp_type ? ksp_type : "";
  *pc_name = pc_type ? pc_type : "";
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode run(TS ts, Vec u, MPI_Comm comm) {
  TSConvergedReason reason;

  PetscFunctionBeginUser;
  PetscCall(TSSolve(ts, u));
  PetscCall(TSGetConvergedReason(ts, &reason));
  PetscCheck(reason > 0, comm, PETSC_ERR_NOT_CONVERGED, "TS stopped without reaching t_end: %s",
             TSConvergedReasons[reason]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

void heat_time_step(const HeatTsProblem& problem, double* dt, int* n_steps) {
  validate(problem);
  double wanted = problem.time_step;
  if (wanted <= 0) {
    wanted = problem.upper[0] - problem.lower[0];
    for (int d = 0; d < problem.dim; ++d)
      wanted = std::min(wanted, (problem.upper[d] - problem.lower[d]) / (problem.grid[d] - 1));
  }
  const double interval = (problem.t_end - problem.t_start) / (problem.snapshots - 1);
  // The tolerance keeps a requested step that divides the interval exactly from gaining a step.
  const double per = std::max(1.0, std::ceil(interval / wanted * (1 - 1e-12)));
  NPDE_REQUIRE(per * (problem.snapshots - 1) < 1e9, "time step " << wanted << " is too small for [" << problem.t_start
                                                                  << ", " << problem.t_end << "]");
  *n_steps = static_cast<int>(per) * (problem.snapshots - 1);
  *dt = (problem.t_end - problem.t_start) / *n_steps;
}

GridSolution solve_heat_ts(const decomp::Communicator& comm, const HeatTsProblem& problem) {
  double dt = 0;
  int n_steps = 0;
  heat_time_step(problem, &dt, &n_steps);
  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  System sys;
  Context& ctx = sys.ctx;
  ctx.comm = decomp::native(comm);
  ctx.problem = &problem;
  ctx.n_steps = n_steps;
  ctx.n_snapshots = problem.snapshots;
  ctx.per = n_steps / (problem.snapshots - 1);

  GridSolution result;
  for (int d = 0; d < problem.dim; ++d) result.axes.push_back(closed_axis(problem.lower[d], problem.upper[d], problem.grid[d]));
  ctx.snapshots.assign(result.n_points() * static_cast<std::size_t>(problem.snapshots), 0.0);
  ctx.taken.assign(static_cast<std::size_t>(problem.snapshots), 0);

  detail::SolveClock clock;
  clock.start();
  NPDE_PETSC_CALL(create_grid(ctx.comm, problem, &ctx.g, &ctx.da));
  NPDE_PETSC_CALL(setup_ts(&sys, dt));
  NPDE_PETSC_CALL(set_initial(&ctx, sys.u));
  NPDE_PETSC_CALL(run(sys.ts, sys.u, ctx.comm));
  clock.stop();

  std::string ts_type, ksp_type, pc_type;
  PetscInt steps = 0, linear_its = 0;
  NPDE_PETSC_CALL(describe(sys.ts, &ts_type, &ksp_type, &pc_type, &steps, &linear_its));
  for (int s = 0; s < problem.snapshots; ++s)
    NPDE_REQUIRE(ctx.taken[s], "snapshot " << s << " was not reached (" << steps << " of " << n_steps << " steps)");

  result.series_kind = "time";
  for (int s = 0; s < problem.snapshots; ++s)
    result.series.push_back(s == problem.snapshots - 1 ? problem.t_end : problem.t_start + s * ctx.per * dt);
  result.fields.emplace_back("u", std::move(ctx.snapshots));
  std::ostringstream solver;
  solver << "FD heat, TS " << ts_type << " dt=" << dt << " x " << steps << " + KSP " << ksp_type << "/" << pc_type
         << " on ";
  for (int d = 0; d < problem.dim; ++d) solver << (d ? "x" : "") << problem.grid[d];
  result.summary = {{"seconds", clock.max_seconds(comm)},
                    {"time_steps", static_cast<double>(steps)},
                    {"dt", dt},
                    {"linear_iterations", static_cast<double>(linear_its)}};
  result.summary_text = {{"solver", solver.str()}, {"ts_type", ts_type}, {"ksp_type", ksp_type}, {"pc_type", pc_type}};
  return result;
}

}  // namespace npde::reference
