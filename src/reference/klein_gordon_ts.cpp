// SPDX-License-Identifier: BSD-3-Clause
// 1D Klein-Gordon by the method of lines: DMDA of (u, u_t), central differences, PETSc TS in time.
#include "npde/reference/klein_gordon_ts.hpp"

#include <petscdmda.h>
#include <petscts.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/mpi_native.hpp"
#include "reference/dmda_util.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

// One grid point's unknowns, the layout of a dof-2 DMDA vector.
struct Node {
  PetscScalar u, v;
};

// What the TS callbacks need. The DMDA holds the interior points only; DMDA index i is grid
// point i + 1. A callback that throws marks the context instead of unwinding through PETSc's C
// frames; the solve loop checks the mark collectively after each segment.
struct Context {
  const KleinGordonProblem* problem = nullptr;
  DM da = nullptr;
  double h = 0;
  PetscInt n_interior = 0;
  long long rhs_evaluations = 0;
  long long steps = 0;
  int callback_failed = 0;
  std::string what;

  double coord(PetscInt i) const { return problem->lower + static_cast<double>(i + 1) * h; }
  void record(const char* message) {
    if (!callback_failed) what = message;
    callback_failed = 1;
  }
};

struct TsSystem {
  DM da = nullptr;
  Vec U = nullptr;
  detail::NaturalGather to_all;
  Mat J = nullptr;
  TS ts = nullptr;
  ~TsSystem() {
    (void)TSDestroy(&ts);
    (void)MatDestroy(&J);
    to_all.destroy();
    (void)VecDestroy(&U);
    (void)DMDestroy(&da);
  }
};

void validate(const KleinGordonProblem& p) {
  NPDE_REQUIRE(p.grid >= 4, "grid = " << p.grid << ", need >= 4 points including both ends");
  NPDE_REQUIRE(p.upper > p.lower, "lower = " << p.lower << ", upper = " << p.upper);
  NPDE_REQUIRE(p.t_end > p.t_start, "t_start = " << p.t_start << ", t_end = " << p.t_end);
  NPDE_REQUIRE(p.wave_speed > 0, "wave_speed = " << p.wave_speed << ", must be > 0");
  NPDE_REQUIRE(p.time_step >= 0, "time_step = " << p.time_step << ", must be >= 0 (0: automatic)");
  NPDE_REQUIRE(p.snapshots >= 2, "snapshots = " << p.snapshots << ", need >= 2 (start and end)");
  NPDE_REQUIRE(p.source && p.initial && p.initial_rate && p.boundary_lower && p.boundary_upper,
               "source, initial, initial_rate, boundary_lower and boundary_upper must all be set");
}

// F(t, U) of U_t = F: (v, c^2 u_xx - gamma u^3 + f). Ghost u values at the two physical ends carry
// the Dirichlet data at time t, so the interior stencil needs no special rows.
PetscErrorCode rhs_function(TS, PetscReal t, Vec U, Vec F, void* raw) {
  auto* ctx = static_cast<Context*>(raw);
  const KleinGordonProblem& p = *ctx->problem;
  Vec local = NULL;
  Node *u = NULL, *f = NULL;
  PetscInt xs = 0, xm = 0;

  PetscFunctionBeginUser;
  ++ctx->rhs_evaluations;
  PetscCall(DMGetLocalVector(ctx->da, &local));
  PetscCall(DMGlobalToLocalBegin(ctx->da, U, INSERT_VALUES, local));
  PetscCall(DMGlobalToLocalEnd(ctx->da, U, INSERT_VALUES, local));
  PetscCall(DMDAVecGetArray(ctx->da, local, &u));
  PetscCall(DMDAVecGetArray(ctx->da, F, &f));
  PetscCall(DMDAGetCorners(ctx->da, &xs, NULL, NULL, &xm, NULL, NULL));
  const double c2_h2 = p.wave_speed * p.wave_speed / (ctx->h * ctx->h);
  try {
    if (xs == 0) u[-1].u = p.boundary_lower(t);
    if (xs + xm == ctx->n_interior) u[ctx->n_interior].u = p.boundary_upper(t);
    for (PetscInt i = xs; i < xs + xm; ++i) {
      const double ui = u[i].u;
      f[i].u = u[i].v;
      f[i].v = c2_h2 * (u[i - 1].u - 2.0 * ui + u[i + 1].u) - p.cubic * ui * ui * ui + p.source(ctx->coord(i), t);
    }
  } catch (const std::exception& e) {
    ctx->record(e.what());
  } catch (...) {
    ctx->record("unknown exception");
  }
  if (ctx->callback_failed)
    for (PetscInt i = xs; i < xs + xm; ++i) f[i].u = f[i].v = std::numeric_limits<double>::quiet_NaN();
  PetscCall(DMDAVecRestoreArray(ctx->da, F, &f));
  PetscCall(DMDAVecRestoreArray(ctx->da, local, &u));
  PetscCall(DMRestoreLocalVector(ctx->da, &local));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// dF/dU: identity coupling u <- v, and c^2 D2 - 3 gamma u^2 for v <- u. Only implicit methods call it.
PetscErrorCode rhs_jacobian(TS, PetscReal, Vec U, Mat A, Mat B, void* raw) {
  auto* ctx = static_cast<Context*>(raw);
  const KleinGordonProblem& p = *ctx->problem;
  const Node* u = NULL;
  PetscInt xs = 0, xm = 0;

  PetscFunctionBeginUser;
  // TS shifts and scales this matrix in place for implicit methods: rebuild it from zero.
  PetscCall(MatZeroEntries(B));
  PetscCall(DMDAVecGetArrayRead(ctx->da, U, &u));
  PetscCall(DMDAGetCorners(ctx->da, &xs, NULL, NULL, &xm, NULL, NULL));
  const double c2_h2 = p.wave_speed * p.wave_speed / (ctx->h * ctx->h);
  for (PetscInt i = xs; i < xs + xm; ++i) {
    MatStencil row = {0, 0, i, 0}, cols[3];
    PetscScalar vals[3];
    cols[0] = {0, 0, i, 1};
    vals[0] = 1.0;
    PetscCall(MatSetValuesStencil(B, 1, &row, 1, cols, vals, INSERT_VALUES));
    row.c = 1;
    PetscInt n = 0;
    cols[n] = {0, 0, i, 0};
    vals[n++] = -2.0 * c2_h2 - 3.0 * p.cubic * u[i].u * u[i].u;
    // Neighbours outside the interior are Dirichlet data, not unknowns.
    if (i > 0) cols[n] = {0, 0, i - 1, 0}, vals[n++] = c2_h2;
    if (i < ctx->n_interior - 1) cols[n] = {0, 0, i + 1, 0}, vals[n++] = c2_h2;
    PetscCall(MatSetValuesStencil(B, 1, &row, n, cols, vals, INSERT_VALUES));
  }
  PetscCall(DMDAVecRestoreArrayRead(ctx->da, U, &u));
  PetscCall(MatAssemblyBegin(B, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(B, MAT_FINAL_ASSEMBLY));
  if (A != B) {
    PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode count_step(TS ts) {
  void* raw = NULL;
  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &raw));
  ++static_cast<Context*>(raw)->steps;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_initial(Context* ctx, Vec U) {
  const KleinGordonProblem& p = *ctx->problem;
  Node* u = NULL;
  PetscInt xs = 0, xm = 0;

  PetscFunctionBeginUser;
  PetscCall(DMDAVecGetArray(ctx->da, U, &u));
  PetscCall(DMDAGetCorners(ctx->da, &xs, NULL, NULL, &xm, NULL, NULL));
  try {
    for (PetscInt i = xs; i < xs + xm; ++i) {
      u[i].u = p.initial(ctx->coord(i));
      u[i].v = p.initial_rate(ctx->coord(i));
    }
  } catch (const std::exception& e) {
    ctx->record(e.what());
  } catch (...) {
    ctx->record("unknown exception");
  }
  PetscCall(DMDAVecRestoreArray(ctx->da, U, &u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_system(MPI_Comm comm, Context* ctx, double dt, TsSystem* sys) {
  TSAdapt adapt = NULL;
  SNES snes = NULL;
  KSP ksp = NULL;

  PetscFunctionBeginUser;
  const PetscInt n[3] = {ctx->n_interior, 1, 1};
  PetscCall(detail::create_dmda(comm, 1, n, 2, DMDA_STENCIL_STAR, DM_BOUNDARY_GHOSTED, &sys->da));
  ctx->da = sys->da;
  PetscCall(DMCreateGlobalVector(sys->da, &sys->U));
  PetscCall(DMCreateMatrix(sys->da, &sys->J));
  PetscCall(sys->to_all.setup(sys->da));

  PetscCall(TSCreate(comm, &sys->ts));
  PetscCall(TSSetDM(sys->ts, sys->da));
  PetscCall(TSSetApplicationContext(sys->ts, ctx));
  PetscCall(TSSetProblemType(sys->ts, TS_NONLINEAR));
  PetscCall(TSSetRHSFunction(sys->ts, NULL, rhs_function, ctx));
  PetscCall(TSSetRHSJacobian(sys->ts, sys->J, sys->J, rhs_jacobian, ctx));
  PetscCall(TSSetPostStep(sys->ts, count_step));
  // Defaults only; TSSetFromOptions lets per-solve and command-line options replace them.
  // Crank-Nicolson: second order, A-stable and free of numerical damping, so the wave keeps its
  // amplitude at any dt; the tight tolerances keep the algebraic error far below the O(dt^2) error.
  PetscCall(TSSetType(sys->ts, TSCN));
  PetscCall(TSGetSNES(sys->ts, &snes));
  PetscCall(SNESSetTolerances(snes, 1e-12, 1e-10, 1e-14, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetTolerances(ksp, 1e-12, 1e-14, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(TSGetAdapt(sys->ts, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
  PetscCall(TSSetTimeStep(sys->ts, dt));
  PetscCall(TSSetMaxSteps(sys->ts, PETSC_MAX_INT));
  PetscCall(TSSetExactFinalTime(sys->ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSSetFromOptions(sys->ts));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// u at every grid point appended to `out`, the ends given (the Dirichlet data at this time).
PetscErrorCode gather_u(TsSystem* sys, const Context& ctx, double u_lower, double u_upper, std::vector<double>* out) {
  PetscFunctionBeginUser;
  PetscCall(sys->to_all.gather(sys->da, sys->U, [&](const PetscScalar* values, PetscInt) {
    out->push_back(u_lower);
    for (PetscInt i = 0; i < ctx.n_interior; ++i) out->push_back(values[2 * i]);
    out->push_back(u_upper);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Every rank learns whether a callback threw anywhere; the same exception is thrown on all of them.
void check_callbacks(const decomp::Communicator& comm, const Context& ctx) {
  if (comm.any(ctx.callback_failed != 0))
    throw Error("Klein-Gordon: source, initial or boundary callback threw: " +
                (ctx.callback_failed ? ctx.what : std::string("(on another rank)")));
}

std::string describe(TS ts, const KleinGordonProblem& p, double dt, long long steps) {
  TSType type = NULL;
  std::ostringstream os;
  NPDE_PETSC_CALL(TSGetType(ts, &type));
  os << "TS " << (type ? type : "?");
  if (type && std::string(type) == TSRK) {
    TSRKType rk = NULL;
    NPDE_PETSC_CALL(TSRKGetType(ts, &rk));
    os << "(" << (rk ? rk : "?") << ")";
  }
  os << ", dt " << dt << ", " << steps << " steps, central differences on " << p.grid << " points";
  return os.str();
}

}  // namespace

GridSolution solve_klein_gordon_ts(const decomp::Communicator& comm, const KleinGordonProblem& problem) {
  validate(problem);
  const MPI_Comm mpi_comm = decomp::native(comm);
  Context ctx;
  ctx.problem = &problem;
  ctx.n_interior = problem.grid - 2;
  ctx.h = (problem.upper - problem.lower) / static_cast<double>(problem.grid - 1);

  // A whole number of equal steps between snapshots, each no longer than the requested step.
  const double interval = (problem.t_end - problem.t_start) / static_cast<double>(problem.snapshots - 1);
  const double dt_max = problem.time_step > 0 ? problem.time_step : 0.5 * ctx.h / problem.wave_speed;
  const double steps_per_interval = std::max(1.0, std::ceil(interval / dt_max * (1.0 - 1e-12)));
  const double dt = interval / steps_per_interval;

  GridSolution result;
  result.axes.push_back(closed_axis(problem.lower, problem.upper, problem.grid));
  result.series_kind = "time";
  for (int k = 0; k < problem.snapshots; ++k)
    result.series.push_back(k + 1 == problem.snapshots ? problem.t_end : problem.t_start + k * interval);
  std::vector<double> u;
  u.reserve(static_cast<std::size_t>(problem.snapshots) * static_cast<std::size_t>(problem.grid));

  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  TsSystem sys;
  detail::SolveClock clock;
  clock.start();
  NPDE_PETSC_CALL(create_system(mpi_comm, &ctx, dt, &sys));
  NPDE_PETSC_CALL(set_initial(&ctx, sys.U));
  check_callbacks(comm, ctx);
  NPDE_PETSC_CALL(TSSetTime(sys.ts, problem.t_start));
  // The end values are pure functions of t, so every rank computes the same ones (or throws alike).
  NPDE_PETSC_CALL(gather_u(&sys, ctx, problem.boundary_lower(result.series[0]),
                           problem.boundary_upper(result.series[0]), &u));
  for (int k = 1; k < problem.snapshots; ++k) {
    // A final step shortened to hit the snapshot time must not shrink the steps after it.
    NPDE_PETSC_CALL(TSSetTimeStep(sys.ts, dt));
    NPDE_PETSC_CALL(TSSetMaxTime(sys.ts, result.series[k]));
    // A throwing callback leaves NaNs that may fail the step: report the callback's error first.
    const PetscErrorCode solved = TSSolve(sys.ts, sys.U);
    check_callbacks(comm, ctx);
    NPDE_PETSC_CALL(solved);
    TSConvergedReason reason = TS_CONVERGED_ITERATING;
    PetscReal t = 0;
    NPDE_PETSC_CALL(TSGetConvergedReason(sys.ts, &reason));
    NPDE_PETSC_CALL(TSGetTime(sys.ts, &t));
    if (reason < 0 || std::abs(t - result.series[k]) > 1e-9 * (1.0 + std::abs(result.series[k])))
      throw SolverError("Klein-Gordon: TS stopped at t = " + std::to_string(t) + " before snapshot time " +
                  std::to_string(result.series[k]) + " (" + TSConvergedReasons[reason] + ")");
    NPDE_PETSC_CALL(gather_u(&sys, ctx, problem.boundary_lower(result.series[k]),
                             problem.boundary_upper(result.series[k]), &u));
  }
  clock.stop();

  result.fields.emplace_back("u", std::move(u));
  result.summary.emplace_back("seconds", clock.max_seconds(comm));
  result.summary.emplace_back("time_step", dt);
  result.summary.emplace_back("time_steps", static_cast<double>(ctx.steps));
  result.summary.emplace_back("rhs_evaluations", static_cast<double>(ctx.rhs_evaluations));
  result.summary_text.emplace_back("solver", describe(sys.ts, problem, dt, ctx.steps));
  return result;
}

}  // namespace npde::reference
