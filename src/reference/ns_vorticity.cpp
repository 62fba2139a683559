// SPDX-License-Identifier: BSD-3-Clause
// Vorticity-form Navier-Stokes on a periodic box: pseudo-spectral right-hand side, PETSc TS stepping.
#include "npde/reference/ns_vorticity.hpp"

#include <fftw3.h>
#include <petscts.h>
#include <petsctime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <memory>

#include "npde/core/error.hpp"
#include "reference/petsc_impl.hpp"

namespace npde::reference {
namespace {

constexpr double two_pi = 6.283185307179586;

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};
using RealBuffer = std::unique_ptr<double[], FftwFree>;
using ComplexBuffer = std::unique_ptr<fftw_complex[], FftwFree>;

// i * z, in place into out.
inline void times_i(const double factor, const fftw_complex z, fftw_complex out) {
  out[0] = -factor * z[1];
  out[1] = factor * z[0];
}

// The spectral operator on one nx x ny periodic grid. All FFTs run on fftw_malloc'd buffers of one
// alignment, so the FFTW_ESTIMATE plans (deterministic: same bits on every rank) can be re-executed.
class SpectralOperator {
 public:
  explicit SpectralOperator(const NsVorticityProblem& p)
      : m_nx(p.grid[0]), m_ny(p.grid[1]), m_nxh(p.grid[0] / 2 + 1), m_nu(p.viscosity) {
    m_n_real = static_cast<std::size_t>(m_nx) * m_ny;
    m_n_spectral = static_cast<std::size_t>(m_nxh) * m_ny;
    m_area = (p.upper[0] - p.lower[0]) * (p.upper[1] - p.lower[1]);
    for (auto& r : m_real) r = alloc_real();
    for (auto& c : m_spectral) c = alloc_complex();
    m_r2c = fftw_plan_dft_r2c_2d(m_ny, m_nx, m_real[0].get(), m_spectral[0].get(), FFTW_ESTIMATE);
    m_c2r = fftw_plan_dft_c2r_2d(m_ny, m_nx, m_spectral[0].get(), m_real[0].get(), FFTW_ESTIMATE);
    NPDE_REQUIRE(m_r2c && m_c2r, "FFTW could not plan " << m_nx << " x " << m_ny << " transforms");
    m_kx.resize(m_nxh), m_ky.resize(m_ny), m_keep_x.resize(m_nxh), m_keep_y.resize(m_ny);
    for (int i = 0; i < m_nxh; ++i) {
      m_kx[i] = two_pi * i / (p.upper[0] - p.lower[0]);
      m_keep_x[i] = 3 * i < m_nx;  // 2/3 rule: products of kept modes alias only onto dropped ones
    }
    for (int j = 0; j < m_ny; ++j) {
      const int k = j <= m_ny / 2 ? j : j - m_ny;
      m_ky[j] = two_pi * k / (p.upper[1] - p.lower[1]);
      m_keep_y[j] = 3 * std::abs(k) < m_ny;
    }
  }
  ~SpectralOperator() {
    fftw_destroy_plan(m_r2c);
    fftw_destroy_plan(m_c2r);
  }
  SpectralOperator(const SpectralOperator&) = delete;
  SpectralOperator& operator=(const SpectralOperator&) = delete;

  std::size_t n_real() const { return m_n_real; }

  /// dw = -u . grad w + nu Lap w + f (f on the grid, may be null).
  void rhs(const double* w, const double* f, double* dw) {
    forward(w, m_spectral[4].get());
    const fftw_complex* what = m_spectral[4].get();
    const double scale = 1.0 / static_cast<double>(m_n_real);
    // u = psi_y, v = -psi_x, psi_k = w_k / |k|^2, from the truncated w; then w_x, w_y.
    for_each_mode([&](std::size_t m, int i, int j) {
      const double k2 = m_kx[i] * m_kx[i] + m_ky[j] * m_ky[j];
      const bool keep = m_keep_x[i] && m_keep_y[j];
      const double s = keep ? scale : 0.0, sp = keep && k2 > 0 ? scale / k2 : 0.0;
      times_i(sp * m_ky[j], what[m], m_spectral[0][m]);
      times_i(-sp * m_kx[i], what[m], m_spectral[1][m]);
      times_i(s * m_kx[i], what[m], m_spectral[2][m]);
      times_i(s * m_ky[j], what[m], m_spectral[3][m]);
    });
    for (int c = 0; c < 4; ++c) fftw_execute_dft_c2r(m_c2r, m_spectral[c].get(), m_real[c].get());
    double* product = m_real[4].get();
    for (std::size_t l = 0; l < m_n_real; ++l)
      product[l] = m_real[0][l] * m_real[2][l] + m_real[1][l] * m_real[3][l];
    fftw_execute_dft_r2c(m_r2c, product, m_spectral[5].get());
    // Viscous decay acts on every mode; the truncated advection only on the kept ones.
    for_each_mode([&](std::size_t m, int i, int j) {
      const double k2 = m_kx[i] * m_kx[i] + m_ky[j] * m_ky[j];
      const double a = m_keep_x[i] && m_keep_y[j] ? scale : 0.0, d = m_nu * k2 * scale;
      m_spectral[0][m][0] = -a * m_spectral[5][m][0] - d * what[m][0];
      m_spectral[0][m][1] = -a * m_spectral[5][m][1] - d * what[m][1];
    });
    fftw_execute_dft_c2r(m_c2r, m_spectral[0].get(), dw);
    if (f)
      for (std::size_t l = 0; l < m_n_real; ++l) dw[l] += f[l];
  }

  /// max |u| + max |v| of the advecting (truncated) velocity.
  double max_speed(const double* w) {
    forward(w, m_spectral[4].get());
    const double scale = 1.0 / static_cast<double>(m_n_real);
    for_each_mode([&](std::size_t m, int i, int j) {
      const double k2 = m_kx[i] * m_kx[i] + m_ky[j] * m_ky[j];
      const double sp = m_keep_x[i] && m_keep_y[j] && k2 > 0 ? scale / k2 : 0.0;
      times_i(sp * m_ky[j], m_spectral[4][m], m_spectral[0][m]);
      times_i(-sp * m_kx[i], m_spectral[4][m], m_spectral[1][m]);
    });
    double speed = 0;
    for (int c = 0; c < 2; ++c) {
      fftw_execute_dft_c2r(m_c2r, m_spectral[c].get(), m_real[c].get());
      double top = 0;
      for (std::size_t l = 0; l < m_n_real; ++l) top = std::max(top, std::abs(m_real[c][l]));
      speed += top;
    }
    return speed;
  }

  /// Energy, enstrophy and palinstrophy (0.5 int |u|^2, w^2, |grad w|^2) by Parseval.
  void integrals(const double* w, double* energy, double* enstrophy, double* palinstrophy) {
    forward(w, m_spectral[4].get());
    const double scale = 1.0 / static_cast<double>(m_n_real);
    double e = 0, z = 0, p = 0;
    for_each_mode([&](std::size_t m, int i, int j) {
      // The half spectrum holds k and -k once, except for the kx = 0 and Nyquist columns.
      const double weight = i == 0 || 2 * i == m_nx ? 1.0 : 2.0;
      const double c2 = (m_spectral[4][m][0] * m_spectral[4][m][0] + m_spectral[4][m][1] * m_spectral[4][m][1]) *
                        scale * scale * weight;
      const double k2 = m_kx[i] * m_kx[i] + m_ky[j] * m_ky[j];
      z += c2;
      p += k2 * c2;
      if (k2 > 0) e += c2 / k2;
    });
    *energy = 0.5 * m_area * e, *enstrophy = 0.5 * m_area * z, *palinstrophy = 0.5 * m_area * p;
  }

  /// Largest step for which nu Lap stays inside RK4's real stability interval (-2.78, 0), with margin.
  double diffusion_step_limit() const {
    const double k2_max = m_kx.back() * m_kx.back() + m_ky[m_ny / 2] * m_ky[m_ny / 2];
    return m_nu > 0 ? 2.5 / (m_nu * k2_max) : std::numeric_limits<double>::infinity();
  }

 private:
  RealBuffer alloc_real() {
    RealBuffer b(static_cast<double*>(fftw_malloc(sizeof(double) * m_n_real)));
    NPDE_REQUIRE(b, "fftw_malloc failed");
    return b;
  }
  ComplexBuffer alloc_complex() {
    ComplexBuffer b(static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * m_n_spectral)));
    NPDE_REQUIRE(b, "fftw_malloc failed");
    return b;
  }
  // Copies first: the caller's array (a PETSc Vec) may not have the plans' alignment.
  void forward(const double* w, fftw_complex* out) {
    std::memcpy(m_real[5].get(), w, sizeof(double) * m_n_real);
    fftw_execute_dft_r2c(m_r2c, m_real[5].get(), out);
  }
  template <class F>
  void for_each_mode(F&& f) const {
    for (int j = 0; j < m_ny; ++j)
      for (int i = 0; i < m_nxh; ++i) f(static_cast<std::size_t>(j) * m_nxh + i, i, j);
  }

  int m_nx, m_ny, m_nxh;
  double m_nu, m_area = 1;
  std::size_t m_n_real = 0, m_n_spectral = 0;
  RealBuffer m_real[6];
  ComplexBuffer m_spectral[6];
  fftw_plan m_r2c = nullptr, m_c2r = nullptr;
  std::vector<double> m_kx, m_ky;
  std::vector<char> m_keep_x, m_keep_y;
};

// What the TS callbacks need: the operator, the forcing and the step control.
struct Stepper {
  const NsVorticityProblem* problem = nullptr;
  SpectralOperator* op = nullptr;
  std::vector<double> points;   // grid coordinates, (n, 2)
  std::vector<double> forcing;  // f on the grid (empty: f = 0)
  double forcing_time = std::numeric_limits<double>::quiet_NaN();
  double h_min = 1, dt_cap = 1;
  bool cfl_control = false;
  int steps = 0;
  double dt_min = std::numeric_limits<double>::infinity(), dt_max = 0;

  void update_forcing(double t) {
    if (!problem->forcing || (!forcing.empty() && !problem->forcing_depends_on_time) || t == forcing_time) return;
    forcing.resize(op->n_real());
    for (std::size_t l = 0; l < forcing.size(); ++l) forcing[l] = problem->forcing(&points[2 * l], t);
    forcing_time = t;
  }
  void rhs(double t, const double* w, double* dw) {
    update_forcing(t);
    op->rhs(w, forcing.empty() ? nullptr : forcing.data(), dw);
  }
  double cfl_step(const double* w) {
    const double speed = op->max_speed(w);
    const double advective = speed > 0 ? problem->cfl * h_min / speed : std::numeric_limits<double>::infinity();
    return std::min({advective, op->diffusion_step_limit(), dt_cap});
  }
};

PetscErrorCode rhs_function(TS, PetscReal t, Vec w, Vec dw, void* ctx) {
  const PetscScalar* in = NULL;
  PetscScalar* out = NULL;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(w, &in));
  PetscCall(VecGetArray(dw, &out));
  PetscCallCXX(static_cast<Stepper*>(ctx)->rhs(static_cast<double>(t), in, out));
  PetscCall(VecRestoreArray(dw, &out));
  PetscCall(VecRestoreArrayRead(w, &in));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode post_step(TS ts) {
  void* ctx = NULL;
  Vec w = NULL;
  PetscReal t = 0, t_prev = 0, t_max = 0, norm = 0;
  const PetscScalar* values = NULL;
  double dt_next = 0;

  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &ctx));
  Stepper* s = static_cast<Stepper*>(ctx);
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetPrevTime(ts, &t_prev));
  PetscCall(TSGetSolution(ts, &w));
  PetscCall(VecNorm(w, NORM_INFINITY, &norm));
  PetscCheck(std::isfinite(static_cast<double>(norm)), PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED,
             "vorticity is not finite at t = %g after %d steps (time step too large?)", static_cast<double>(t),
             s->steps + 1);
  ++s->steps;
  s->dt_min = std::min(s->dt_min, static_cast<double>(t - t_prev));
  s->dt_max = std::max(s->dt_max, static_cast<double>(t - t_prev));
  if (s->cfl_control) {
    PetscCall(VecGetArrayRead(w, &values));
    PetscCallCXX(dt_next = s->cfl_step(values));
    PetscCall(VecRestoreArrayRead(w, &values));
    // TSAdapt has already clipped the step to the output time; replacing it must clip again. Equal
    // steps up to the output time avoid a tiny last one.
    PetscCall(TSGetMaxTime(ts, &t_max));
    const double remaining = static_cast<double>(t_max - t);
    if (remaining > 0) dt_next = remaining / std::max(1.0, std::ceil(remaining / dt_next - 1e-9));
    PetscCall(TSSetTimeStep(ts, dt_next));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode create_ts(Stepper* s, double t_start, TS* ts, bool* adaptive_ts) {
  TSAdapt adapt = NULL;
  TSAdaptType adapt_type = NULL;

  PetscFunctionBeginUser;
  PetscCall(TSCreate(PETSC_COMM_SELF, ts));
  PetscCall(TSSetProblemType(*ts, TS_NONLINEAR));
  PetscCall(TSSetRHSFunction(*ts, NULL, rhs_function, s));
  PetscCall(TSSetApplicationContext(*ts, s));
  PetscCall(TSSetPostStep(*ts, post_step));
  // Defaults only; TSSetFromOptions lets the per-solve and command-line options replace them.
  PetscCall(TSSetType(*ts, TSRK));
  PetscCall(TSRKSetType(*ts, TSRK4));
  PetscCall(TSGetAdapt(*ts, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
  PetscCall(TSSetTime(*ts, t_start));
  PetscCall(TSSetMaxSteps(*ts, PETSC_MAX_INT));
  PetscCall(TSSetExactFinalTime(*ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSSetFromOptions(*ts));
  PetscCall(TSGetAdapt(*ts, &adapt));
  PetscCall(TSAdaptGetType(adapt, &adapt_type));
  *adaptive_ts = std::strcmp(adapt_type, TSADAPTNONE) != 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode describe_ts(TS ts, std::string* name) {
  TSType type = NULL;
  TSRKType rk = NULL;

  PetscFunctionBeginUser;
  PetscCall(TSGetType(ts, &type));
  *name = type ? type : "";
  if (type && std::strcmp(type, TSRK) == 0) {
    PetscCall(TSRKGetType(ts, &rk));
    *name += std::string(" ") + (rk ? rk : "");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode copy_out(Vec w, std::vector<double>* out) {
  const PetscScalar* values = NULL;
  PetscInt n = 0;

  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(w, &n));
  PetscCall(VecGetArrayRead(w, &values));
  out->insert(out->end(), values, values + n);
  PetscCall(VecRestoreArrayRead(w, &values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

struct TsObjects {
  TS ts = nullptr;
  Vec w = nullptr;
  ~TsObjects() {
    (void)TSDestroy(&ts);
    (void)VecDestroy(&w);
  }
};

void validate(const NsVorticityProblem& p) {
  NPDE_REQUIRE(p.grid.size() == 2, "grid has " << p.grid.size() << " entries, the vorticity solver is 2D");
  for (int d = 0; d < 2; ++d) {
    NPDE_REQUIRE(p.grid[d] >= 8 && p.grid[d] % 2 == 0, "grid[" << d << "] = " << p.grid[d] << ", need an even n >= 8");
    NPDE_REQUIRE(p.upper[d] > p.lower[d], "axis " << d << ": lower = " << p.lower[d] << ", upper = " << p.upper[d]);
  }
  NPDE_REQUIRE(p.initial.size() == static_cast<std::size_t>(p.grid[0]) * p.grid[1],
               "initial has " << p.initial.size() << " values for a " << p.grid[0] << " x " << p.grid[1] << " grid");
  NPDE_REQUIRE(p.viscosity >= 0 && std::isfinite(p.viscosity), "viscosity = " << p.viscosity);
  NPDE_REQUIRE(p.t_end > p.t_start, "time interval [" << p.t_start << ", " << p.t_end << "]");
  NPDE_REQUIRE(p.time_step >= 0 && p.cfl > 0, "time_step = " << p.time_step << ", cfl = " << p.cfl);
  NPDE_REQUIRE(!p.output_times.empty(), "no output times");
  const double slack = 1e-12 * (p.t_end - p.t_start);
  for (std::size_t s = 0; s < p.output_times.size(); ++s) {
    NPDE_REQUIRE(p.output_times[s] >= p.t_start - slack && p.output_times[s] <= p.t_end + slack,
                 "output time " << p.output_times[s] << " outside [" << p.t_start << ", " << p.t_end << "]");
    NPDE_REQUIRE(s == 0 || p.output_times[s] >= p.output_times[s - 1], "output times are not sorted");
  }
}

}  // namespace

NsVorticitySolution solve_ns_vorticity(const NsVorticityProblem& problem) {
  validate(problem);
  PetscLogDouble start = 0, stop = 0;
  NPDE_PETSC_CALL(PetscTime(&start));
  SpectralOperator op(problem);
  const int nx = problem.grid[0], ny = problem.grid[1];
  const double span = problem.t_end - problem.t_start, slack = 1e-12 * span;

  Stepper s;
  s.problem = &problem;
  s.op = &op;
  s.h_min = std::min((problem.upper[0] - problem.lower[0]) / nx, (problem.upper[1] - problem.lower[1]) / ny);
  // At least 100 steps over the run, so that a velocity starting at zero does not give one huge step.
  s.dt_cap = span / 100;
  s.points.resize(2 * op.n_real());
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      const std::size_t l = static_cast<std::size_t>(j) * nx + i;
      s.points[2 * l] = problem.lower[0] + i * (problem.upper[0] - problem.lower[0]) / nx;
      s.points[2 * l + 1] = problem.lower[1] + j * (problem.upper[1] - problem.lower[1]) / ny;
    }

  // Declared before the PETSc objects, so they are destroyed while this solve's options are current.
  detail::ScopedOptions options(problem.petsc_options);
  TsObjects obj;
  bool adaptive_ts = false;
  NPDE_PETSC_CALL(VecCreateSeq(PETSC_COMM_SELF, static_cast<PetscInt>(op.n_real()), &obj.w));
  {
    PetscScalar* values = NULL;
    NPDE_PETSC_CALL(VecGetArray(obj.w, &values));
    std::copy(problem.initial.begin(), problem.initial.end(), values);
    NPDE_PETSC_CALL(VecRestoreArray(obj.w, &values));
  }
  NPDE_PETSC_CALL(create_ts(&s, problem.t_start, &obj.ts, &adaptive_ts));
  // A TSAdapt chosen on the command line controls the step itself; otherwise CFL or the fixed step.
  s.cfl_control = problem.time_step == 0 && !adaptive_ts;

  NsVorticitySolution result;
  result.grid = problem.grid;
  double t = problem.t_start;
  for (const double t_out : problem.output_times) {
    const double interval = t_out - t;
    if (interval > slack) {
      double dt = 0;
      if (problem.time_step > 0) {
        // Equal steps per interval: the fixed-step error then has the scheme's clean order.
        const double n_steps = std::max(1.0, std::ceil(interval / problem.time_step - 1e-9));
        dt = interval / n_steps;
      } else {
        const PetscScalar* values = NULL;
        NPDE_PETSC_CALL(VecGetArrayRead(obj.w, &values));
        dt = s.cfl_step(values);
        dt = interval / std::max(1.0, std::ceil(interval / dt - 1e-9));
        NPDE_PETSC_CALL(VecRestoreArrayRead(obj.w, &values));
      }
      NPDE_PETSC_CALL(TSSetTimeStep(obj.ts, dt));
      NPDE_PETSC_CALL(TSSetMaxTime(obj.ts, t_out));
      NPDE_PETSC_CALL(TSSolve(obj.ts, obj.w));
      TSConvergedReason reason;
      NPDE_PETSC_CALL(TSGetConvergedReason(obj.ts, &reason));
      if (reason <= 0) {
        std::ostringstream os;
        os << "vorticity time stepping stopped at t = " << t << " before the output time " << t_out << ": "
           << TSConvergedReasons[reason] << " (reduce reference.time_step or the CFL step)";
        throw SolverError(os.str());
      }
      // Land exactly on the output time (MATCHSTEP leaves at most round-off).
      NPDE_PETSC_CALL(TSSetTime(obj.ts, t_out));
      t = t_out;
    }
    NPDE_PETSC_CALL(copy_out(obj.w, &result.w));
    result.times.push_back(t_out);
    double e = 0, z = 0, p = 0;
    op.integrals(result.w.data() + (result.times.size() - 1) * op.n_real(), &e, &z, &p);
    result.energy.push_back(e), result.enstrophy.push_back(z), result.palinstrophy.push_back(p);
    if (problem.progress) {
      PetscLogDouble now = 0;
      NPDE_PETSC_CALL(PetscTime(&now));
      problem.progress(t_out, s.steps, static_cast<double>(now - start));
    }
  }
  NPDE_PETSC_CALL(PetscTime(&stop));
  NPDE_PETSC_CALL(describe_ts(obj.ts, &result.ts_type));
  result.steps = s.steps;
  result.min_time_step = s.steps > 0 ? s.dt_min : 0;
  result.max_time_step = s.dt_max;
  result.seconds = static_cast<double>(stop - start);
  return result;
}

}  // namespace npde::reference
