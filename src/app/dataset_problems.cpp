// SPDX-License-Identifier: BSD-3-Clause
// Dataset sample families of the neural-operator benchmarks: Darcy flow and periodic vorticity.
#include <memory>
#include <string>
#include <vector>

#include "app/random_problems.hpp"
#include "npde/app/dataset.hpp"
#include "npde/core/log.hpp"
#include "npde/reference/darcy_fd.hpp"
#include "npde/reference/grid_solution.hpp"
#include "npde/reference/ns_vorticity.hpp"
#include "npde/reference/random_field.hpp"

namespace npde::app {

DatasetProblem dataset_problem_darcy(const io::Deck& deck) {
  const std::vector<int> grid = detail::darcy_grid(deck);
  // Built once up front, so that deck errors surface before any sample is solved.
  (void)detail::darcy_problem(deck, 0);
  DatasetProblem problem;
  problem.layout.axes = {reference::closed_axis(deck.lower[0], deck.upper[0], grid[0]),
                         reference::closed_axis(deck.lower[1], deck.upper[1], grid[1])};
  problem.layout.input_name = "a";
  problem.layout.output_name = "u";
  // Per-sample scalars a user filters or stratifies by: how much of the domain is high-permeability,
  // and the solver's work and residual (a sample that barely converged is visible).
  problem.layout.parameter_names = {"fraction_above", "ksp_iterations", "residual_norm"};
  auto shared_deck = std::make_shared<const io::Deck>(deck);
  // Sample i: coefficient from random-field sample i of problem.random_field.seed (reference.sample
  // is not used), solved on this rank alone.
  problem.solve = [shared_deck](std::uint64_t index) {
    const reference::DarcyProblem p = detail::darcy_problem(*shared_deck, index);
    const reference::FdSolution s = reference::solve_darcy_fd(decomp::Communicator::self(), p);
    DatasetSample sample;
    sample.parameters = {detail::fraction_above(*shared_deck, p.coefficient), double(s.iterations), s.residual_norm};
    sample.input = p.coefficient;
    sample.output = s.u;
    return sample;
  };
  return problem;
}

DatasetProblem dataset_problem_ns_vorticity(const io::Deck& deck) {
  const std::vector<int> grid = detail::ns_vorticity_grid(deck);
  if (!deck.initial.empty())
    log::info("dataset: ns_vorticity draws w0 from problem.random_field; problem.initial is not used");
  const reference::NsVorticityProblem probe = detail::ns_vorticity_problem(deck, {});
  DatasetProblem problem;
  problem.layout.axes = {reference::periodic_axis(deck.lower[0], deck.upper[0], grid[0]),
                         reference::periodic_axis(deck.lower[1], deck.upper[1], grid[1])};
  problem.layout.input_name = "w0";
  problem.layout.output_name = "w";
  // Per-sample scalars: the initial and final energy and enstrophy (how turbulent the sample is),
  // and the number of time steps.
  problem.layout.parameter_names = {"energy_start", "energy_end", "enstrophy_start", "enstrophy_end", "time_steps"};
  // The input is w at t_start, so a snapshot at t_start would repeat it: outputs are the later ones.
  const bool first_is_start = probe.output_times.size() > 1 && probe.output_times.front() == deck.t_start;
  problem.layout.output_times.assign(probe.output_times.begin() + (first_is_start ? 1 : 0), probe.output_times.end());
  auto shared_deck = std::make_shared<const io::Deck>(deck);
  problem.solve = [shared_deck, first_is_start](std::uint64_t index) {
    std::vector<double> w0 = detail::ns_vorticity_random_initial(*shared_deck, index);
    reference::NsVorticityProblem p = detail::ns_vorticity_problem(*shared_deck, w0);
    if (first_is_start) p.output_times.erase(p.output_times.begin());
    const reference::NsVorticitySolution s = reference::solve_ns_vorticity(p);
    DatasetSample sample;
    sample.parameters = {s.energy.front(), s.energy.back(), s.enstrophy.front(), s.enstrophy.back(), double(s.steps)};
    sample.input = std::move(w0);
    sample.output = s.w;
    return sample;
  };
  return problem;
}

}  // namespace npde::app
