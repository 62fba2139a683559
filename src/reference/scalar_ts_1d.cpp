// SPDX-License-Identifier: BSD-3-Clause
// PETSc TS method-of-lines solve of u_t + a (u^2/2)_x = nu u_xx + r (u - u^3) + s on a 1D DMDA.
#include "npde/reference/scalar_ts_1d.hpp"

#include <petscdmda.h>
#include <petscts.h>

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

// What the residual and Jacobian callbacks read. Unknown i (global DMDA index) sits at x(i).
struct Context {
  const ScalarTs1dProblem* problem = nullptr;
  PetscInt n_unknowns = 0;
  double h = 0;
  // Dirichlet: unknowns are the interior points, the end values are ghosts at -1 and n_unknowns.
  double x_first = 0;
  int steps = 0;
  // First exception a user callback threw on this rank; the residual then turns NaN, which makes
  // the (global) norms NaN and fails the step on every rank alike instead of leaving ranks waiting.
  std::string callback_error;

  double x(PetscInt i) const { return x_first + static_cast<double>(i) * h; }
};

// Everything PETSc owns for one solve, released even when a step throws.
struct TsSystem {
  DM da = nullptr;
  Mat J = nullptr;
  Vec u = nullptr;
  detail::NaturalGather to_all;
  TS ts = nullptr;
  ~TsSystem() {
    (void)TSDestroy(&ts);
    to_all.destroy();
    (void)VecDestroy(&u);
    (void)MatDestroy(&J);
    (void)DMDestroy(&da);
  }
};

void validate(const ScalarTs1dProblem& p) {
  NPDE_REQUIRE(p.upper > p.lower, "lower = " << p.lower << ", upper = " << p.upper);
  NPDE_REQUIRE(p.points >= (p.periodic ? 4 : 5),
               "points = " << p.points << ", need >= " << (p.periodic ? "4 per period" : "5 including both ends"));
  NPDE_REQUIRE(p.diffusivity > 0 && std::isfinite(p.diffusivity), "diffusivity = " << p.diffusivity << ", need > 0");
  NPDE_REQUIRE(std::isfinite(p.advection) && std::isfinite(p.reaction),
               "advection = " << p.advection << ", reaction = " << p.reaction);
  NPDE_REQUIRE(p.t_end > p.t_start, "t_start = " << p.t_start << ", t_end = " << p.t_end);
  NPDE_REQUIRE(p.time_step >= 0, "time_step = " << p.time_step << ", need >= 0 (0: adaptive)");
  NPDE_REQUIRE(p.snapshots >= 2, "snapshots = " << p.snapshots << ", need >= 2 (start and end)");
  NPDE_REQUIRE(static_cast<bool>(p.initial), "initial condition is empty");
  NPDE_REQUIRE(p.periodic || (p.boundary_lower && p.boundary_upper), "Dirichlet boundary function is empty");
}

Context make_context(const ScalarTs1dProblem& p) {
  Context c;
  c.problem = &p;
  if (p.periodic) {
    c.n_unknowns = p.points;
    c.h = (p.upper - p.lower) / p.points;
    c.x_first = p.lower;
  } else {
    c.n_unknowns = p.points - 2;
    c.h = (p.upper - p.lower) / (p.points - 1);
    c.x_first = p.lower + c.h;
  }
  return c;
}

// Runs a user callback; on an exception records it and returns NaN (see Context::callback_error).
template <class F>
double guarded(Context* c, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    if (c->callback_error.empty()) c->callback_error = e.what();
  } catch (...) {
    if (c->callback_error.empty()) c->callback_error = "unknown exception";
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// Local (ghosted) copy of U with the Dirichlet end values of time t in the physical ghost slots.
PetscErrorCode local_state(DM da, Vec U, double t, Context* c, Vec* local) {
  PetscInt xs = 0, xm = 0;
  PetscScalar* u = NULL;

  PetscFunctionBeginUser;
  PetscCall(DMGetLocalVector(da, local));
  PetscCall(DMGlobalToLocalBegin(da, U, INSERT_VALUES, *local));
  PetscCall(DMGlobalToLocalEnd(da, U, INSERT_VALUES, *local));
  if (!c->problem->periodic) {
    PetscCall(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
    PetscCall(DMDAVecGetArray(da, *local, &u));
    if (xs == 0) u[-1] = guarded(c, [&] { return c->problem->boundary_lower(t); });
    if (xs + xm == c->n_unknowns) u[c->n_unknowns] = guarded(c, [&] { return c->problem->boundary_upper(t); });
    PetscCall(DMDAVecRestoreArray(da, *local, &u));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

// F(t, u, u_t) = u_t + a (F_{i+1/2} - F_{i-1/2}) / h - nu D2 u - r (u - u^3) - s = 0 at the unknowns.
// Skew-symmetric flux F_{i+1/2} = a (u_i^2 + u_i u_{i+1} + u_{i+1}^2) / 6: conservative, and the
// advection term is energy-neutral, so no spurious growth at the steep Burgers front.
PetscErrorCode residual(TS ts, PetscReal t, Vec U, Vec Udot, Vec F, void* ctx) {
  auto* c = static_cast<Context*>(ctx);
  const ScalarTs1dProblem& p = *c->problem;
  DM da = NULL;
  Vec local = NULL;
  const PetscScalar *u = NULL, *udot = NULL;
  PetscScalar* f = NULL;
  PetscInt xs = 0, xm = 0;
  const double a6h = p.advection / (6.0 * c->h), nu_h2 = p.diffusivity / (c->h * c->h);

  PetscFunctionBeginUser;
  PetscCall(TSGetDM(ts, &da));
  PetscCall(local_state(da, U, t, c, &local));
  PetscCall(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
  PetscCall(DMDAVecGetArrayRead(da, local, &u));
  PetscCall(DMDAVecGetArrayRead(da, Udot, &udot));
  PetscCall(DMDAVecGetArray(da, F, &f));
  for (PetscInt i = xs; i < xs + xm; ++i) {
    const double ul = u[i - 1], uc = u[i], ur = u[i + 1];
    double value = udot[i] + a6h * (ur * ur + uc * ur - ul * ul - ul * uc) - nu_h2 * (ur - 2.0 * uc + ul) -
                   p.reaction * (uc - uc * uc * uc);
    if (p.source) value -= guarded(c, [&] { return p.source(c->x(i), t); });
    f[i] = c->callback_error.empty() ? value : std::numeric_limits<double>::quiet_NaN();
  }
  PetscCall(DMDAVecRestoreArray(da, F, &f));
  PetscCall(DMDAVecRestoreArrayRead(da, Udot, &udot));
  PetscCall(DMDAVecRestoreArrayRead(da, local, &u));
  PetscCall(DMRestoreLocalVector(da, &local));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// dF/du + shift dF/du_t: tridiagonal. Columns of Dirichlet ghosts are data, not unknowns: skipped.
PetscErrorCode jacobian(TS ts, PetscReal t, Vec U, Vec, PetscReal shift, Mat J, Mat P, void* ctx) {
  auto* c = static_cast<Context*>(ctx);
  const ScalarTs1dProblem& p = *c->problem;
  DM da = NULL;
  Vec local = NULL;
  const PetscScalar* u = NULL;
  PetscInt xs = 0, xm = 0;
  const double a6h = p.advection / (6.0 * c->h), nu_h2 = p.diffusivity / (c->h * c->h);

  PetscFunctionBeginUser;
  PetscCall(TSGetDM(ts, &da));
  PetscCall(local_state(da, U, t, c, &local));
  PetscCall(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
  PetscCall(DMDAVecGetArrayRead(da, local, &u));
  for (PetscInt i = xs; i < xs + xm; ++i) {
    const double ul = u[i - 1], uc = u[i], ur = u[i + 1];
    MatStencil row, cols[3];
    PetscScalar vals[3];
    PetscInt n_cols = 0;
    row.i = i, row.j = 0, row.k = 0, row.c = 0;
    if (p.periodic || i > 0) {
      cols[n_cols].i = i - 1, cols[n_cols].j = 0, cols[n_cols].k = 0, cols[n_cols].c = 0;
      vals[n_cols++] = -a6h * (2.0 * ul + uc) - nu_h2;
    }
    cols[n_cols] = row;
    vals[n_cols++] = shift + a6h * (ur - ul) + 2.0 * nu_h2 - p.reaction * (1.0 - 3.0 * uc * uc);
    if (p.periodic || i + 1 < c->n_unknowns) {
      cols[n_cols].i = i + 1, cols[n_cols].j = 0, cols[n_cols].k = 0, cols[n_cols].c = 0;
      vals[n_cols++] = a6h * (2.0 * ur + uc) - nu_h2;
    }
    PetscCall(MatSetValuesStencil(P, 1, &row, n_cols, cols, vals, INSERT_VALUES));
  }
  PetscCall(DMDAVecRestoreArrayRead(da, local, &u));
  PetscCall(DMRestoreLocalVector(da, &local));
  PetscCall(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  if (J != P) {  // e.g. -snes_mf_operator: J is matrix-free and only needs its base point refreshed
    PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode count_step(TS ts) {
  void* ctx = NULL;

  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &ctx));
  auto* c = static_cast<Context*>(ctx);
  ++c->steps;
  if (c->problem->progress) {
    PetscReal t = 0;
    PetscCall(TSGetTime(ts, &t));
    c->problem->progress(static_cast<double>(t), c->steps);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_system(MPI_Comm comm, Context* c, TsSystem* s) {
  const ScalarTs1dProblem& p = *c->problem;

  PetscFunctionBeginUser;
  const PetscInt n[3] = {c->n_unknowns, 1, 1};
  PetscCall(detail::create_dmda(comm, 1, n, 1, DMDA_STENCIL_STAR, p.periodic ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_GHOSTED,
                                &s->da));
  PetscCall(DMCreateGlobalVector(s->da, &s->u));
  PetscCall(DMCreateMatrix(s->da, &s->J));
  PetscCall(s->to_all.setup(s->da));

  PetscCall(TSCreate(comm, &s->ts));
  PetscCall(TSSetDM(s->ts, s->da));
  PetscCall(TSSetApplicationContext(s->ts, c));
  PetscCall(TSSetProblemType(s->ts, TS_NONLINEAR));
  PetscCall(TSSetIFunction(s->ts, NULL, residual, c));
  PetscCall(TSSetIJacobian(s->ts, s->J, s->J, jacobian, c));
  PetscCall(TSSetPostStep(s->ts, count_step));
  // Defaults; TSSetFromOptions below lets the deck's and the command line's options replace them.
  // All terms sit in the IFunction, so ARKIMEX runs its L-stable ESDIRK tableau alone: no CFL limit
  // from advection or diffusion, third order with an embedded second-order error estimate.
  PetscCall(TSSetType(s->ts, TSARKIMEX));
  PetscCall(TSARKIMEXSetType(s->ts, TSARKIMEX3));
  PetscCall(TSARKIMEXSetFullyImplicit(s->ts, PETSC_TRUE));
  PetscCall(TSSetTime(s->ts, p.t_start));
  PetscCall(TSSetMaxSteps(s->ts, 100000000));
  PetscCall(TSSetExactFinalTime(s->ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSSetTolerances(s->ts, 1e-7, NULL, 1e-6, NULL));
  // A failed Newton solve makes the adaptive controller retry with a smaller step.
  PetscCall(TSSetMaxSNESFailures(s->ts, 20));
  // A failed step is reported by the converged reason (with the callback's message, if one threw).
  PetscCall(TSSetErrorIfStepFails(s->ts, PETSC_FALSE));
  // Tridiagonal systems are cheap to solve tightly; a loose inner solve would let the rank count
  // (block Jacobi blocks) show in the result at the Newton tolerance.
  SNES snes = NULL;
  KSP ksp = NULL;
  PetscCall(TSGetSNES(s->ts, &snes));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetTolerances(ksp, 1e-10, 1e-14, PETSC_DEFAULT, PETSC_DEFAULT));
  TSAdapt adapt = NULL;
  PetscCall(TSGetAdapt(s->ts, &adapt));
  if (p.time_step > 0) {
    PetscCall(TSSetTimeStep(s->ts, p.time_step));
    PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
  } else {
    // A small first step; the controller grows it within a few steps.
    PetscCall(TSSetTimeStep(s->ts, 1e-4 * (p.t_end - p.t_start)));
  }
  PetscCall(TSSetFromOptions(s->ts));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_initial(DM da, const std::vector<double>& u0, Vec u) {
  PetscInt xs = 0, xm = 0;
  PetscScalar* values = NULL;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
  PetscCall(DMDAVecGetArray(da, u, &values));
  for (PetscInt i = xs; i < xs + xm; ++i) values[i] = u0[static_cast<std::size_t>(i - xs)];
  PetscCall(DMDAVecRestoreArray(da, u, &values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Unknowns in natural order onto every rank, appended to `out`.
PetscErrorCode gather(const TsSystem& s, std::vector<double>* out) {
  PetscFunctionBeginUser;
  PetscCall(s.to_all.gather(s.da, s.u, [out](const PetscScalar* values, PetscInt n) {
    out->insert(out->end(), values, values + n);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode describe(TS ts, std::string* text) {
  TSType ts_type = NULL;
  SNES snes = NULL;
  KSP ksp = NULL;
  SNESType snes_type = NULL;
  KSPType ksp_type = NULL;
  PCType pc_type = NULL;
  TSAdapt adapt = NULL;
  TSAdaptType adapt_type = NULL;

  PetscFunctionBeginUser;
  PetscCall(TSGetType(ts, &ts_type));
  PetscCall(TSGetSNES(ts, &snes));
  PetscCall(SNESGetType(snes, &snes_type));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(detail::ksp_pc_types(ksp, &ksp_type, &pc_type));
  PetscCall(TSGetAdapt(ts, &adapt));
  PetscCall(TSAdaptGetType(adapt, &adapt_type));
  std::ostringstream os;
  os << "TS " << (ts_type ? ts_type : "?");
  PetscBool is_arkimex = PETSC_FALSE;
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), TSARKIMEX, &is_arkimex));
  if (is_arkimex) {
    TSARKIMEXType sub = NULL;
    PetscCall(TSARKIMEXGetType(ts, &sub));
    os << " " << (sub ? sub : "?");
  }
  os << " (adapt " << (adapt_type ? adapt_type : "?") << ") + SNES " << (snes_type ? snes_type : "?") << " + KSP "
     << (ksp_type ? ksp_type : "?") << "/" << (pc_type ? pc_type : "?");
  *text = os.str();
  PetscFunctionReturn(PETSC_SUCCESS);
}

// The initial values at the owned unknowns; all ranks agree on whether the callback threw.
std::vector<double> evaluate_initial(const decomp::Communicator& comm, DM da, Context* c) {
  PetscInt xs = 0, xm = 0;
  NPDE_PETSC_CALL(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
  std::vector<double> u0;
  u0.reserve(static_cast<std::size_t>(xm));
  for (PetscInt i = xs; i < xs + xm; ++i) u0.push_back(guarded(c, [&] { return c->problem->initial(c->x(i)); }));
  const bool failed = !c->callback_error.empty();
  NPDE_REQUIRE(!comm.any(failed), "initial condition callback threw: " << (failed ? c->callback_error : "(on another rank)"));
  return u0;
}

// Collective: throws on every rank if a user callback threw on any rank since the solve began.
void check_callbacks(const decomp::Communicator& comm, const Context& c, double t) {
  const bool failed = !c.callback_error.empty();
  NPDE_REQUIRE(!comm.any(failed), "boundary or source callback threw near t = "
                                      << t << ": " << (failed ? c.callback_error : "(on another rank)"));
}

// Dirichlet: the gathered interior values framed by the end values at time t.
void append_snapshot(const TsSystem& s, Context* c, double t, std::vector<double>* field) {
  const ScalarTs1dProblem& p = *c->problem;
  if (!p.periodic) field->push_back(guarded(c, [&] { return p.boundary_lower(t); }));
  NPDE_PETSC_CALL(gather(s, field));
  if (!p.periodic) field->push_back(guarded(c, [&] { return p.boundary_upper(t); }));
}

}  // namespace

GridSolution solve_scalar_ts_1d(const decomp::Communicator& comm, const ScalarTs1dProblem& problem) {
  validate(problem);
  Context ctx = make_context(problem);
  const MPI_Comm mpi_comm = decomp::native(comm);
  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  TsSystem sys;

  GridSolution result;
  result.axes.push_back(problem.periodic ? periodic_axis(problem.lower, problem.upper, problem.points)
                                         : closed_axis(problem.lower, problem.upper, problem.points));
  result.series_kind = "time";
  const int n_snap = problem.snapshots;
  for (int k = 0; k < n_snap; ++k)
    result.series.push_back(k + 1 == n_snap ? problem.t_end
                                            : problem.t_start + (problem.t_end - problem.t_start) * k / (n_snap - 1));
  std::vector<double> field;
  field.reserve(static_cast<std::size_t>(n_snap) * result.axes[0].size());

  detail::SolveClock clock;
  clock.start();
  NPDE_PETSC_CALL(create_system(mpi_comm, &ctx, &sys));
  NPDE_PETSC_CALL(set_initial(sys.da, evaluate_initial(comm, sys.da, &ctx), sys.u));
  append_snapshot(sys, &ctx, problem.t_start, &field);
  for (int k = 1; k < n_snap; ++k) {
    // One TSSolve per output interval, each ending exactly on its output time (MATCHSTEP); PETSc's
    // step and iteration counters run on across the calls.
    NPDE_PETSC_CALL(TSSetMaxTime(sys.ts, result.series[k]));
    NPDE_PETSC_CALL(TSSolve(sys.ts, sys.u));
    TSConvergedReason reason = TS_CONVERGED_ITERATING;
    PetscReal t = 0;
    NPDE_PETSC_CALL(TSGetConvergedReason(sys.ts, &reason));
    NPDE_PETSC_CALL(TSGetTime(sys.ts, &t));
    check_callbacks(comm, ctx, t);
    if (reason <= 0) {
      std::ostringstream os;
      os << "time stepping failed at t = " << t << " (before output time " << result.series[k]
         << "): " << TSConvergedReasons[reason] << " (try a finer grid, a smaller reference.time_step, or"
            " -ts_adapt_type basic)";
      throw SolverError(os.str());
    }
    append_snapshot(sys, &ctx, result.series[k], &field);
  }
  check_callbacks(comm, ctx, problem.t_end);
  clock.stop();

  PetscInt steps = 0, rejected = 0, snes_its = 0, ksp_its = 0;
  NPDE_PETSC_CALL(TSGetStepNumber(sys.ts, &steps));
  NPDE_PETSC_CALL(TSGetStepRejections(sys.ts, &rejected));
  NPDE_PETSC_CALL(TSGetSNESIterations(sys.ts, &snes_its));
  NPDE_PETSC_CALL(TSGetKSPIterations(sys.ts, &ksp_its));
  std::string solver;
  NPDE_PETSC_CALL(describe(sys.ts, &solver));
  solver += " on " + std::to_string(problem.points) + (problem.periodic ? " periodic points" : " points");

  result.fields.emplace_back("u", std::move(field));
  result.summary = {{"seconds", clock.max_seconds(comm)},
                    {"time_steps", static_cast<double>(steps)},
                    {"rejected_steps", static_cast<double>(rejected)},
                    {"snes_iterations", static_cast<double>(snes_its)},
                    {"ksp_iterations", static_cast<double>(ksp_its)}};
  result.summary_text = {{"solver", solver}};
  return result;
}

}  // namespace npde::reference
