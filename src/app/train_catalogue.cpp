// SPDX-License-Identifier: BSD-3-Clause
// `npde train` of a catalogue equation: the general PINN, then the classical reference, compared on
// the reference's grid at every snapshot.
#include <cmath>

#include "app/training.hpp"
#include "npde/app/checkpointing.hpp"
#include "npde/app/observations.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/app/report.hpp"
#include "npde/app/setup.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/fbpinn.hpp"
#include "npde/pinn/multidomain.hpp"
#include "npde/pinn/pinn.hpp"

namespace npde::app::detail {

namespace {

/// The subdomain of every point of the reference grid and series (fields' layout), on every rank.
std::vector<double> subdomain_map(const decomp::BoxPartition& part, const pde::Problem& problem,
                                  const reference::GridSolution& sol) {
  const std::size_t n = sol.n_points() * (problem.time_dependent ? sol.series.size() : 1);
  const auto pts = grid_points(problem, sol, decomp::Range{0, n});
  std::vector<double> s(n);
  for (std::size_t i = 0; i < n; ++i) s[i] = part.locate(&pts[i * std::size_t(problem.n_inputs())]);
  return s;
}

template <class Net>
std::string network_line(const io::Deck& deck, const pinn::PinnOptions& opts, const pde::Problem& problem,
                         const Net& net) {
  return decomposition_network_line(deck, opts, problem.n_inputs(), problem.n_outputs(), net);
}
template <class T>
std::string network_line(const io::Deck& deck, const pinn::PinnOptions& opts, const pde::Problem& problem,
                         const pinn::Pinn<T>& net) {
  return log::format("network ", network_string(problem.n_inputs(), opts, problem.n_outputs()), " ", deck.activation,
                     " (", net.n_params(), " parameters)");
}

/// The inverse problem's summary entries: the learnt coefficient, its start and, where the observation
/// file knows it, the truth and the relative error.
template <class T>
void summary_inverse(const io::Deck& deck, const pinn::Pinn<T>& net, int learnt, const ObservationData& observed,
                     std::vector<std::pair<std::string, double>>& summary) {
  if (learnt < 0) return;
  const std::string key = "coefficient_" + deck.inverse_coefficient;
  const double value = net.coefficients()[learnt], truth = observed.true_value;
  summary.emplace_back(key, value);
  summary.emplace_back(key + "_initial", deck.coefficients.at(deck.inverse_coefficient));
  if (std::isfinite(truth)) {
    summary.emplace_back(key + "_true", truth);
    summary.emplace_back(key + "_rel_error", std::abs(value - truth) / std::abs(truth));
  }
}

/// The training run of catalogue_train_verb on its model (Net: Pinn or MultiDomainPinn).
template <class T, class Net>
int catalogue_train_model(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                          const CommandLine& cl, const pde::Problem& problem, const pinn::PinnOptions& opts, Net& net,
                          int learnt, const ObservationData& observed) {
  const auto cfg = make_train_config(deck, cl.quiet);
  check_stages(net, cfg);
  const pinn::TrainState resume = cl.restart ? load_resume(comm, deck, cl, net) : pinn::TrainState{};
  const std::string terms = terms_string(net.term_names(), net.term_points());
  log::info(log::format("npde train ", deck.path, ": ", problem_string(deck), ", ", deck.bc_enforcement,
                        " conditions, ", network_line(deck, opts, problem, net), ", ", deck.precision, ", ",
                        comm.size(), " rank(s), loss terms (points): ", terms, ", BLAS core ", nn::blas_core_name()));
  // 2. the output file exists (under its temporary name) from the start, as for Poisson
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  return guarded(comm, [&]() -> int {
    // 3. training
    const auto result =
        pinn::train(net, cfg, make_hooks(comm, deck, out, net.term_names(), net.extra_names()), cl.restart ? &resume : nullptr);
    if (result.stopped) return report_stopped(result.iterations);
    // 4. the classical reference, and the network on its grid
    // an inverse problem is compared with the solution for the true coefficient (the observation
    // file's), not for the deck's initial guess
    pde::Problem reference_problem = equation;
    if (learnt >= 0 && std::isfinite(observed.true_value)) reference_problem.coefficients[learnt] = observed.true_value;
    log::info("reference: " + problem_string(deck) +
              (learnt >= 0 ? ", " + deck.inverse_coefficient + " = " + std::to_string(observed.true_value) : ""));
    reference::GridSolution sol = solve_catalogue(comm, deck, reference_problem);
    auto fields = evaluate_on_grid(comm, net, problem, sol);
    for (std::size_t f = 0; f < sol.fields.size() && f < fields.size(); ++f)
      if (sol.fields[f].first == "p") {
        // the residuals see only grad p: the network's pressure is fixed up to a constant, taken so
        // that its mean over the grid is the reference's
        double shift = 0;
        for (std::size_t i = 0; i < fields[f].size(); ++i) shift += sol.fields[f].second[i] - fields[f][i];
        shift /= double(std::max<std::size_t>(fields[f].size(), 1));
        for (double& v : fields[f]) v += shift;
      }
    PinnGridFields pf;
    pf.history = result.history;
    pf.term_names = net.term_names();
    pf.extra_names = net.extra_names();
    if constexpr (!std::is_same_v<Net, pinn::Pinn<T>>) pf.subdomain = subdomain_map(net.partition(), problem, sol);
    std::vector<std::pair<std::string, double>> summary;
    for (std::size_t f = 0; f < sol.fields.size() && f < fields.size(); ++f) {
      const std::string& name = sol.fields[f].first;
      const std::string suffix = sol.fields.size() > 1 ? "_" + name : "";
      summary.emplace_back("rel_l2_reference" + suffix, relative_l2_of(fields[f], sol.fields[f].second));
      for (const auto& [ename, evalues] : sol.exact)
        if (ename == name) summary.emplace_back("rel_l2_exact" + suffix, relative_l2_of(fields[f], evalues));
      pf.fields.emplace_back(name, fields[f]);
    }
    if (sol.fields.size() >= 2 && sol.fields[0].first == "u" && sol.fields[1].first == "v") {
      // velocity (u, v) as one vector field
      auto joined = [](const std::vector<double>& a, const std::vector<double>& b) {
        std::vector<double> j(a);
        j.insert(j.end(), b.begin(), b.end());
        return j;
      };
      const auto net_uv = joined(fields[0], fields[1]);
      summary.emplace_back("rel_l2_reference_velocity",
                           relative_l2_of(net_uv, joined(sol.fields[0].second, sol.fields[1].second)));
      // the speed |(u, v)| (the gradient-pathologies paper's measure for the cavity)
      auto speed = [](const std::vector<double>& a, const std::vector<double>& b) {
        std::vector<double> s(a.size());
        for (std::size_t i = 0; i < a.size(); ++i) s[i] = std::hypot(a[i], b[i]);
        return s;
      };
      summary.emplace_back("rel_l2_reference_speed",
                           relative_l2_of(speed(fields[0], fields[1]), speed(sol.fields[0].second, sol.fields[1].second)));
      if (sol.exact.size() >= 2 && sol.exact[0].first == "u" && sol.exact[1].first == "v")
        summary.emplace_back("rel_l2_exact_velocity",
                             relative_l2_of(net_uv, joined(sol.exact[0].second, sol.exact[1].second)));
    }
    if constexpr (std::is_same_v<Net, pinn::Pinn<T>>) summary_inverse(deck, net, learnt, observed, summary);
    if constexpr (!std::is_same_v<Net, pinn::Pinn<T>>) {
      for (const auto& [k, v] : exchange_summary(comm, net.exchange_stats())) summary.emplace_back(k, v);
      for (const auto& [k, v] : decomposition_summary(net)) summary.emplace_back(k, v);
    }
    if (deck.pde == "navier_stokes" && deck.flow_case == "cavity" && fields.size() >= 2) {
      // the network's centrelines against Ghia et al. (1982), as the reference reports its own
      const std::vector<int> grid{int(sol.axes[0].size()), int(sol.axes[1].size())};
      for (const auto& [k, v] : ghia_deviations(deck, io::coefficient(deck, "reynolds"), fields[0], fields[1], grid))
        summary.emplace_back(k, v);
    }
    for (const auto& [k, v] : sol.summary) summary.emplace_back("reference_" + k, v);
    // 5. output
    finish_training_report(comm, deck, sol, summary, "pinn - reference", pf, result.seconds, result.iterations,
                           result.final_loss, result.nan_recoveries, out);
    return int(ExitSuccess);
  });
}

/// `npde train` of a catalogue equation (its problem `equation`): the general PINN (one network, or one
/// per subdomain of a decomposition), then the classical reference, compared on the reference's grid at
/// every snapshot.
template <class T>
int catalogue_train_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                         const CommandLine& cl) {
  // 1. the equation's kernel, the problem, the network and its points; the restart state
  auto kernel = pinn::make_catalogue_kernel<T>(deck.pde, deck.dim);
  pde::Problem problem = equation;
  const auto coefficient_names = kernel->coefficient_names();
  ObservationData observed;
  int learnt = -1;  // index of the learnt coefficient (inverse problems)
  if (deck.has_inverse) {
    observed = read_observations(comm, deck);
    learnt = make_inverse(deck, coefficient_names, observed.observations, problem);
    log::info(log::format("inverse problem: ", deck.inverse_coefficient, " learnt from ",
                          observed.observations.values.size(), " observations of ", deck.observations_file,
                          " (noise ", deck.observation_noise, "), initial guess ", problem.coefficients[learnt]));
  }
  const auto opts = make_pinn_options(deck);
  if (deck.has_decomposition) {
    const auto dopts = make_decomposition_options(deck);
    if (dopts.method == pinn::DecompositionOptions::Method::Fbpinn) {
      pinn::FbPinn<T> net(comm, problem, std::move(kernel), opts, dopts);
      return catalogue_train_model<T>(comm, deck, equation, cl, problem, opts, net, learnt, observed);
    }
    pinn::MultiDomainPinn<T> net(
        comm, problem, [&deck] { return pinn::make_catalogue_kernel<T>(deck.pde, deck.dim); }, opts, dopts);
    return catalogue_train_model<T>(comm, deck, equation, cl, problem, opts, net, learnt, observed);
  }
  pinn::Pinn<T> net(comm, problem, std::move(kernel), opts);
  return catalogue_train_model<T>(comm, deck, equation, cl, problem, opts, net, learnt, observed);
}

}  // namespace

int catalogue_train(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                    const CommandLine& cl) {
  return deck.precision == "float" ? catalogue_train_verb<float>(comm, deck, equation, cl)
                                   : catalogue_train_verb<double>(comm, deck, equation, cl);
}

}  // namespace npde::app::detail
