// SPDX-License-Identifier: BSD-3-Clause
// The training loop: stages, resampling, progress lines, history, checkpoints, stop requests, NaN guard.
#include "npde/pinn/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

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

/// Progress logger of one stage: rate and ETA from the iterations run in this process.
struct Progress {
  int stage, n_stages, iterations;
  std::string name;
  long first_it;  ///< stage iteration at which this process started the stage
  Clock::time_point start = Clock::now();
  const std::vector<std::string>* names;
  void line(const HistoryRow& r, long it_in_stage, const std::string& note) const {
    const double el = seconds_since(start);
    const double rate = double(it_in_stage - first_it) / std::max(el, 1e-9);
    char buf[1024];
    int n = std::snprintf(buf, sizeof buf, "[%d/%d %-5s] it %6ld/%-6d loss %.3e", stage + 1, n_stages, name.c_str(),
                          it_in_stage, iterations, r.loss);
    // every named term while the line stays readable; the history has them all
    for (std::size_t k = 0; k < r.terms.size() && k < names->size() && n < 700; ++k)
      n += std::snprintf(buf + n, sizeof buf - n, "  %s %.3e", (*names)[k].c_str(), r.terms[k]);
    if (!note.empty() && n < 800) n += std::snprintf(buf + n, sizeof buf - n, "  %.150s", note.c_str());
    if (!std::isnan(r.rel_l2)) n += std::snprintf(buf + n, sizeof buf - n, "  relL2 %.3e", r.rel_l2);
    std::snprintf(buf + n, sizeof buf - n, "  lr %.2e  %7.1f it/s  ETA %s", r.lr, rate,
                  format_eta((iterations - it_in_stage) / std::max(rate, 1e-9)).c_str());
    log::info(buf);
  }
};

template <class T>
std::vector<double> to_host(const View1<T>& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

template <class T>
void from_host(const std::vector<double>& src, const View1<T>& v) {
  NPDE_REQUIRE(src.size() == v.extent(0), "state has " << src.size() << " values for " << v.extent(0));
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < src.size(); ++i) h(i) = T(src[i]);
  Kokkos::deep_copy(v, h);
}

/// True if every entry of v is finite (a device reduction; same verdict on every rank since the
/// gradient is allreduced).
template <class T>
bool all_finite(const View1<T>& v) {
  int bad = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::train::finite", Kokkos::RangePolicy<ExecSpace>(0, v.extent(0)),
      KOKKOS_LAMBDA(const int i, int& acc) { acc += (v(i) - v(i) != T(0)) ? 1 : 0; }, bad);
  return bad == 0;
}

}  // namespace

/// Column-wise gather/scatter of an (n, m) column-major array (L-BFGS pairs) through the model.
template <class T>
std::vector<double> gather_columns(const Model<T>& model, const std::vector<double>& cols, std::size_t n_out,
                                   bool to_global) {
  const std::size_t n_in = to_global ? model.n_params() : model.n_params_global();
  if (n_in == 0 || cols.empty()) return {};
  const std::size_t m = cols.size() / n_in;
  std::vector<double> out;
  out.reserve(n_out * m);
  for (std::size_t j = 0; j < m; ++j) {
    const std::vector<double> col(cols.begin() + long(j * n_in), cols.begin() + long((j + 1) * n_in));
    const auto c = to_global ? model.gather(col) : model.scatter(col);
    NPDE_REQUIRE(c.size() == n_out, "column of " << c.size() << " values for " << n_out);
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}

template <class T>
TrainResult train(Model<T>& pinn, const TrainConfig& config, const TrainHooks& hooks, const TrainState* resume) {
  NPDE_REQUIRE(!config.stages.empty(), "no training stages");
  NPDE_REQUIRE(config.log_every > 0, "log_every = " << config.log_every);
  TrainResult result;
  const std::size_t np = pinn.n_params(), np_global = pinn.n_params_global();
  const View1<T> params = pinn.params();
  // parameters spread over ranks: the checkpointed state holds the global vectors
  const optim::Segments segments = pinn.segments();
  const bool spread = segments.active();
  auto to_global = [&](const std::vector<double>& v) { return spread ? pinn.gather(v) : v; };
  auto to_local = [&](const std::vector<double>& v) { return spread ? pinn.scatter(v) : v; };
  auto adam_local = [&](optim::AdamState a) {
    a.m = to_local(a.m);
    a.v = to_local(a.v);
    if (!a.steps.empty()) a.steps = to_local(a.steps);
    return a;
  };
  auto lbfgs_local = [&](optim::LbfgsState l) {
    if (spread) {
      l.s = gather_columns(pinn, l.s, np, false);
      l.y = gather_columns(pinn, l.y, np, false);
    }
    return l;
  };
  View1<T> grad("npde::pinn::train::grad", np);
  const int n_stages = int(config.stages.size());
  const auto t0 = Clock::now();

  // 1. where to start
  TrainState st;
  if (resume) {
    NPDE_REQUIRE(resume->stage >= 0 && resume->stage < n_stages,
                 "checkpoint stage " << resume->stage << " but the deck has " << n_stages << " stages");
    st = *resume;
    NPDE_REQUIRE(st.params.size() == np_global, "the state holds " << st.params.size() << " parameters for "
                                                                    << np_global);
    from_host(to_local(st.params), params);
    // the stage's point counts, then the checkpoint's round (a stage that changed the counts drew a
    // new round at its start, so the round alone fixes the points)
    pinn.set_stage_points(config.stages[std::size_t(st.stage)].points);
    if (st.sample_round != 0) pinn.sample(st.sample_round);
    if (!st.model_state.empty()) pinn.set_adaptive_state(st.model_state);
    result.history = st.history;
    log::info(log::format("resuming at iteration ", st.global_iteration, " (stage ", st.stage + 1, ", iteration ",
                          st.stage_iteration, ")"));
  }
  const double wall0 = st.wall;
  auto elapsed = [&] { return wall0 + seconds_since(t0); };
  long iterations_here = 0;

  optim::Objective<T> objective = [&](const View1<T>& x, const View1<T>& g) -> T {
    if (x.data() != params.data()) Kokkos::deep_copy(params, x);
    return pinn.loss_and_gradient(g);
  };

  std::unique_ptr<optim::Adam<T>> adam;
  std::unique_ptr<optim::Lbfgs<T>> lbfgs;
  // StageConfig::average: the stage's averaged parameters, and the iterate's copy while the
  // validation error is taken at the average
  View1<T> avg, iterate;
  const auto averaging = [&] { return avg.extent(0) > 0; };
  // Full state at the current iteration boundary.
  auto capture = [&]() {
    TrainState c;
    c.global_iteration = st.global_iteration;
    c.stage = st.stage;
    c.stage_iteration = st.stage_iteration;
    c.stage_done = st.stage_done;
    c.sample_round = st.sample_round;
    c.nan_retries = st.nan_retries;
    c.lr_scale = st.lr_scale;
    c.wall = elapsed();
    c.params = to_global(to_host(params));
    c.has_adam = bool(adam);
    c.has_lbfgs = bool(lbfgs);
    if (averaging()) c.average = to_global(to_host(avg));
    if (adam) {
      c.adam = adam->state();
      c.adam.m = to_global(c.adam.m);
      c.adam.v = to_global(c.adam.v);
      if (!c.adam.steps.empty()) c.adam.steps = to_global(c.adam.steps);
    }
    if (lbfgs) {
      c.lbfgs = lbfgs->state();
      if (spread) {
        c.lbfgs.s = gather_columns(pinn, c.lbfgs.s, np_global, true);
        c.lbfgs.y = gather_columns(pinn, c.lbfgs.y, np_global, true);
      }
    }
    c.history = result.history;
    c.term_names = pinn.term_names();
    c.extra_names = pinn.extra_names();
    c.model_state = pinn.adaptive_state();
    return c;
  };
  auto record = [&](double lr, bool logged) {
    HistoryRow r;
    r.iteration = st.global_iteration;
    r.stage = st.stage;
    r.terms = pinn.last_terms();
    r.extras = pinn.extra_values();
    r.loss = 0;
    for (double v : r.terms) r.loss += v;
    r.lr = lr;
    r.wall = elapsed();
    r.rel_l2 = std::numeric_limits<double>::quiet_NaN();
    if (logged) {  // with averaging, the average's error: the parameters the stage ends on
      if (averaging()) Kokkos::deep_copy(iterate, params), Kokkos::deep_copy(params, avg);
      r.rel_l2 = pinn.validation_error();
      if (averaging()) Kokkos::deep_copy(params, iterate);
    }
    result.history.push_back(r);
    return r;
  };
  // Collective: all ranks stop together when any rank is asked to. The time passed is this call's
  // only: a wall-time limit is per job, and a requeued job starts with a fresh one.
  auto should_stop = [&]() {
    const double here = seconds_since(t0);
    const bool local =
        (hooks.stop_requested && hooks.stop_requested(here, iterations_here > 0 ? here / iterations_here : 0.0)) ||
        (hooks.stop_at > 0 && st.global_iteration == hooks.stop_at && iterations_here > 0);
    return pinn.comm().any(local);
  };
  bool injected = false;
  long last_checkpoint = -1;  // a stop right after a periodic checkpoint need not write it again
  auto checkpoint_now = [&]() {
    if (!hooks.checkpoint || last_checkpoint == st.global_iteration) return;
    hooks.checkpoint(capture());
    last_checkpoint = st.global_iteration;
  };

  for (int s = st.stage; s < n_stages; ++s) {
    if (s != st.stage) {
      st.stage = s;
      st.stage_iteration = 0;
      st.stage_done = false;
    }
    if (st.stage_done) continue;
    const StageConfig& sc = config.stages[s];
    const bool resuming_here = resume && resume->stage == s && resume->stage_iteration > 0;
    adam.reset();
    lbfgs.reset();
    avg = View1<T>(), iterate = View1<T>();
    pinn.set_stage_weights(sc.weights);  // before the first evaluation of the stage (L-BFGS starts with one)
    // the stage's point counts: new points of a new round where they change (resuming: already drawn)
    if (pinn.set_stage_points(sc.points) && !resuming_here) pinn.sample(++st.sample_round);
    // inside a stage, the adaptive weights are the checkpoint's (balancing carries them over stages)
    if (resuming_here && !resume->model_state.empty()) pinn.set_adaptive_state(resume->model_state);
    if (sc.optimizer == "adam") {
      adam = std::make_unique<optim::Adam<T>>(np, sc.adam);
      if (resuming_here && resume->has_adam) adam->set_state(adam_local(resume->adam));
      adam->set_lr_scale(st.lr_scale);
      if (sc.average > 0) {
        avg = View1<T>("npde::pinn::train::average", np);
        iterate = View1<T>("npde::pinn::train::iterate", np);
        if (resuming_here && !resume->average.empty())
          from_host(to_local(resume->average), avg);
        else
          Kokkos::deep_copy(avg, params);
      }
    } else if (sc.optimizer == "lbfgs" || sc.optimizer == "ssbfgs") {
      lbfgs = std::make_unique<optim::Lbfgs<T>>(np, sc.lbfgs, segments);
      if (resuming_here && resume->has_lbfgs) lbfgs->set_state(lbfgs_local(resume->lbfgs));
    } else {
      NPDE_REQUIRE(false, "unknown optimizer '" << sc.optimizer << "'");
    }
    Progress prog{s, n_stages, sc.iterations, sc.optimizer, st.stage_iteration, Clock::now(), &pinn.term_names()};
    const int resample_every = sc.resample_every >= 0 ? sc.resample_every : (adam ? config.resample_every : 0);
    if (!config.quiet) {
      std::string points;
      if (sc.points.interior > 0) points += log::format(", ", sc.points.interior, " interior");
      if (sc.points.boundary > 0) points += log::format(", ", sc.points.boundary, " boundary");
      if (sc.points.initial > 0) points += log::format(", ", sc.points.initial, " initial");
      log::info(log::format("stage ", s + 1, "/", n_stages, ": ", sc.optimizer, ", ", sc.iterations, " iterations, ",
                            np_global, " parameters", points.empty() ? "" : points + " points"));
    }
    // adaptive weights are fixed through an L-BFGS stage: set at its start (restored when resuming in it)
    if (lbfgs && !resuming_here) pinn.adapt(st.global_iteration);
    T loss = lbfgs ? objective(params, grad) : T(0);  // L-BFGS starts from a known loss and gradient
    TrainState good = capture();                      // roll-back point of the NaN guard

    while (st.stage_iteration < sc.iterations) {
      // 2. stop on request: checkpoint at this iteration boundary, then return
      if (should_stop()) {
        checkpoint_now();
        result.stopped = true;
        if (!config.quiet) log::info(log::format("stopping on request at iteration ", st.global_iteration));
        break;
      }
      // 3. one iteration
      double lr = 0;
      bool converged = false;
      std::string reason;
      const bool resample_now =
          resample_every > 0 && st.global_iteration > 0 && st.global_iteration % resample_every == 0;
      if (adam) {
        if (resample_now) pinn.sample(++st.sample_round);
        pinn.adapt(st.global_iteration);
        lr = adam->learning_rate();
        loss = objective(params, grad);
      } else {
        if (resample_now) {
          // new points: the quasi-Newton model is kept (the objective changes little), the step starts
          // from the loss and gradient on the new points
          pinn.sample(++st.sample_round);
          loss = objective(params, grad);
        }
        const optim::LbfgsStep step = lbfgs->step(params, loss, grad, objective);
        // the line search's last evaluation may have been a rejected trial: refresh the terms
        double last = 0;
        for (double v : pinn.last_terms()) last += v;
        if (T(last) != loss) loss = objective(params, grad);
        lr = step.step_length;
        converged = step.converged;
        reason = step.reason;
      }
      const bool inject = hooks.inject_nan_at == st.global_iteration + 1 && !injected;
      injected = injected || inject;
      // 4. NaN/Inf guard: loss and gradient are allreduced, so every rank decides alike
      // (a gradient spread over ranks is checked collectively)
      const bool grad_ok = spread ? !pinn.comm().any(!all_finite(grad)) : all_finite(grad);
      if (inject || !std::isfinite(double(loss)) || !grad_ok) {
        if (st.nan_retries >= config.max_nan_retries)
          throw TrainingDiverged(log::format("training diverged: non-finite loss or gradient at iteration ",
                                             st.global_iteration + 1, " after ", st.nan_retries,
                                             " roll-backs with halved learning rates"));
        ++result.nan_recoveries;
        const long bad_it = st.global_iteration + 1;
        const double scale = st.lr_scale * 0.5;
        const int retries = st.nan_retries + 1;
        const std::uint64_t round_now = st.sample_round;
        st = good;  // position, parameters and history of the last good state
        st.nan_retries = good.nan_retries = retries;
        st.lr_scale = good.lr_scale = scale;
        from_host(to_local(good.params), params);
        if (st.sample_round != round_now) pinn.sample(st.sample_round);
        if (!good.model_state.empty()) pinn.set_adaptive_state(good.model_state);
        result.history = good.history;
        if (averaging()) from_host(to_local(good.average), avg);
        if (adam) {
          adam->set_state(adam_local(good.adam));
          adam->set_lr_scale(scale);
        }
        if (lbfgs) {
          lbfgs->set_state(lbfgs_local(good.lbfgs));
          lbfgs->reset();
          loss = objective(params, grad);
        }
        if (pinn.comm().is_root())  // a collective verdict: one line, not one per rank
          log::warn(log::format("non-finite loss or gradient at iteration ", bad_it, ": rolled back to iteration ",
                                st.global_iteration, ", learning rate scale now ", scale));
        continue;
      }
      if (adam) adam->step(params, grad, pinn.trainable());
      if (averaging()) {
        const T d = T(sc.average);
        const View1<T> a = avg, p = params;
        Kokkos::parallel_for("npde::pinn::train::average", Kokkos::RangePolicy<ExecSpace>(0, a.extent(0)),
                             KOKKOS_LAMBDA(const std::size_t i) { a(i) = d * a(i) + (T(1) - d) * p(i); });
      }
      ++st.global_iteration;
      ++st.stage_iteration;
      ++iterations_here;
      const bool log_now = st.stage_iteration % config.log_every == 0 || st.stage_iteration == sc.iterations || converged;
      const HistoryRow r = record(lr, log_now);
      if (log_now) {
        if (!config.quiet) prog.line(r, st.stage_iteration, pinn.progress_note());
        if (hooks.history_block) hooks.history_block(result.history);
      }
      if (converged) {
        st.stage_done = true;
        if (!config.quiet) log::info("stage " + std::to_string(s + 1) + ": L-BFGS stopped: " + reason);
      }
      if (hooks.checkpoint_every > 0 && st.global_iteration % hooks.checkpoint_every == 0) checkpoint_now();
      if (log_now) good = capture();
      if (converged) break;
    }
    if (result.stopped) break;
    if (averaging()) {  // the stage ends on the average
      Kokkos::deep_copy(params, avg);
      if (!config.quiet)
        log::info(log::format("stage ", s + 1, ": the parameters are now their moving average (decay ", sc.average, ")"));
    }
    st.stage_done = true;
  }
  Kokkos::fence();
  result.seconds = elapsed();
  result.iterations = st.global_iteration;
  result.final_loss = result.history.empty() ? 0.0 : result.history.back().loss;
  return result;
}

template TrainResult train<double>(Model<double>&, const TrainConfig&, const TrainHooks&, const TrainState*);
template TrainResult train<float>(Model<float>&, const TrainConfig&, const TrainHooks&, const TrainState*);

}  // namespace npde::pinn
