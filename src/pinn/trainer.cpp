// SPDX-License-Identifier: BSD-3-Clause
// The training loop: stages, resampling, progress lines, history.
#include "npde/pinn/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "npde/core/error.hpp"
#include "npde/core/log.hpp"

namespace npde::pinn {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string format_eta(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

/// Progress logger of one stage: rate and ETA from the stage's own iterations.
struct Progress {
  int stage, n_stages, iterations;
  std::string name;
  Clock::time_point start = Clock::now();
  void line(const HistoryRow& r, int it_in_stage, bool has_bc) const {
    const double el = seconds_since(start);
    const double rate = it_in_stage / std::max(el, 1e-9);
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "[%d/%d %-5s] it %6d/%-6d loss %.3e  pde %.3e", stage + 1, n_stages,
                          name.c_str(), it_in_stage, iterations, r.loss, r.loss_pde);
    if (has_bc) n += std::snprintf(buf + n, sizeof buf - n, "  bc %.3e", r.loss_bc);
    if (!std::isnan(r.rel_l2)) n += std::snprintf(buf + n, sizeof buf - n, "  relL2 %.3e", r.rel_l2);
    std::snprintf(buf + n, sizeof buf - n, "  lr %.2e  %7.1f it/s  ETA %s", r.lr, rate,
                  format_eta((iterations - it_in_stage) / std::max(rate, 1e-9)).c_str());
    log::info(buf);
  }
};

}  // namespace

template <class T>
TrainResult train(PoissonPinn<T>& pinn, const TrainConfig& config) {
  NPDE_REQUIRE(!config.stages.empty(), "no training stages");
  NPDE_REQUIRE(config.log_every > 0, "log_every = " << config.log_every);
  TrainResult result;
  const std::size_t np = pinn.n_params();
  const View1<T> params = pinn.network().params();
  View1<T> grad("npde::pinn::train::grad", np);
  const bool has_bc = !pinn.options().hard_bc;
  const auto t0 = Clock::now();
  long global_it = 0;
  std::uint64_t round = 0;

  // The optimisers may evaluate at points other than the parameter View (line-search trials):
  // the objective then loads the trial point into the network first.
  optim::Objective<T> objective = [&](const View1<T>& x, const View1<T>& g) -> T {
    if (x.data() != params.data()) Kokkos::deep_copy(params, x);
    return pinn.loss_and_gradient(g);
  };

  auto record = [&](int stage, double lr, bool logged) {
    HistoryRow r;
    r.iteration = global_it;
    r.stage = stage;
    r.loss = pinn.last_terms().total;
    r.loss_pde = pinn.last_terms().pde;
    r.loss_bc = pinn.last_terms().bc;
    r.lr = lr;
    r.wall = seconds_since(t0);
    r.rel_l2 = logged ? pinn.validation_error() : std::numeric_limits<double>::quiet_NaN();
    result.history.push_back(r);
    return r;
  };

  const int n_stages = int(config.stages.size());
  for (int s = 0; s < n_stages; ++s) {
    const StageConfig& st = config.stages[s];
    Progress prog{s, n_stages, st.iterations, st.optimizer};
    if (!config.quiet)
      log::info(log::format("stage ", s + 1, "/", n_stages, ": ", st.optimizer, ", ", st.iterations,
                            " iterations, ", np, " parameters"));
    if (st.optimizer == "adam") {
      optim::Adam<T> adam(np, st.adam);
      for (int it = 1; it <= st.iterations; ++it) {
        if (config.resample_every > 0 && global_it > 0 && global_it % config.resample_every == 0)
          pinn.sample(++round);
        const double lr = adam.learning_rate();
        objective(params, grad);
        adam.step(params, grad);
        ++global_it;
        const bool log_now = it % config.log_every == 0 || it == st.iterations;
        const HistoryRow r = record(s, lr, log_now);
        if (log_now && !config.quiet) prog.line(r, it, has_bc);
      }
    } else if (st.optimizer == "lbfgs") {
      optim::Lbfgs<T> lbfgs(np, st.lbfgs);
      T loss = objective(params, grad);
      for (int it = 1; it <= st.iterations; ++it) {
        const optim::LbfgsStep step = lbfgs.step(params, loss, grad, objective);
        ++global_it;
        // The line search's last evaluation may be a rejected trial: re-evaluate for exact terms
        // only when they could be stale (cheap relative to an L-BFGS step, and keeps history honest).
        if (T(pinn.last_terms().total) != loss) loss = objective(params, grad);
        const bool log_now = it % config.log_every == 0 || it == st.iterations || step.converged;
        const HistoryRow r = record(s, step.step_length, log_now);
        if (log_now && !config.quiet) prog.line(r, it, has_bc);
        if (step.converged) {
          if (!config.quiet) log::info("stage " + std::to_string(s + 1) + ": L-BFGS stopped: " + step.reason);
          break;
        }
      }
    } else {
      NPDE_REQUIRE(false, "unknown optimizer '" << st.optimizer << "'");
    }
  }
  Kokkos::fence();
  result.seconds = seconds_since(t0);
  result.iterations = global_it;
  result.final_loss = result.history.empty() ? 0.0 : result.history.back().loss;
  return result;
}

template TrainResult train<double>(PoissonPinn<double>&, const TrainConfig&);
template TrainResult train<float>(PoissonPinn<float>&, const TrainConfig&);

}  // namespace npde::pinn
