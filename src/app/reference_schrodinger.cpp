// SPDX-License-Identifier: BSD-3-Clause
// Schroedinger problem -> lowest eigenpairs of -psi'' + V psi = E psi in a box (SLEPc), and the exact box spectrum.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "app/reference_common.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/log.hpp"
#include "npde/reference/poisson_fd.hpp"
#include "npde/reference/schrodinger_eps.hpp"

namespace npde::app {
namespace {

// True when V is the same number at 1025 evenly spaced points: a box with a flat floor, whose
// spectrum is known. (A potential that varies only between the samples is not caught; its
// "exact" values would then be wrong, which the errors make obvious.)
bool flat_potential(const Expression& v, double lo, double hi, double* level) {
  constexpr int samples = 1025;
  double first = 0;
  for (int s = 0; s < samples; ++s) {
    const double x = lo + (hi - lo) * s / (samples - 1);
    const double value = v.eval(&x);
    if (s == 0) first = value;
    if (value != first) return false;
  }
  *level = first;
  return true;
}

}  // namespace

reference::GridSolution reference_schrodinger(const decomp::Communicator& comm, const io::Deck& deck,
                                              const pde::Problem& equation) {
  // 1. The solver's problem: box and potential from the equation (psi = 0 at the box ends), grid,
  //    eigenpairs and options from the deck (every rank builds the same, so input errors agree).
  reference::SchrodingerProblem problem;
  problem.lower = equation.box.lower[0];
  problem.upper = equation.box.upper[0];
  problem.grid = detail::reference_grid(deck, equation, 513, 4)[0];
  if (deck.eigenpairs < 1 || deck.eigenpairs > problem.grid - 2)
    NPDE_INPUT_ERROR("reference.eigenpairs: need 1.." << problem.grid - 2 << " on " << problem.grid << " points, got "
                                                      << deck.eigenpairs);
  problem.eigenpairs = deck.eigenpairs;
  problem.petsc_options = deck.reference_petsc;
  // The solver calls this from one thread per rank, as Expression requires.
  const Expression& potential = equation.data.at(0);
  problem.potential = [&potential](double x) { return potential.eval(&x); };
  log::info(log::format("reference: schrodinger, ", deck.eigenpairs, " lowest eigenpairs on ", problem.grid,
                        " points of [", problem.lower, ", ", problem.upper, "]"));

  // 2. Solve.
  reference::GridSolution solution = reference::solve_schrodinger_eps(comm, problem);
  // Every computed eigenvalue in the summary as well (eigenvalue_<n>, the keys the run prints), so that
  // the file's /summary holds what the table shows; /eigenvalues keeps the series itself.
  for (std::size_t k = 0; k < solution.series.size(); ++k)
    solution.summary.emplace_back("eigenvalue_" + std::to_string(k), solution.series[k]);

  // 3. A flat floor V = V_c is the infinite well: E_n = V_c + (n pi / L)^2, psi_n = sqrt(2/L) sin(n pi (x - a)/L)
  //    (same normalisation and sign convention as the solver's modes).
  double level = 0;
  if (flat_potential(potential, problem.lower, problem.upper, &level)) {
    const double length = problem.upper - problem.lower, pi = std::acos(-1.0);
    const auto& x = solution.axes[0];
    std::vector<double> values;
    double worst = 0;
    for (std::size_t k = 0; k < solution.series.size(); ++k) {
      const double n = static_cast<double>(k + 1);
      const double e = level + n * n * pi * pi / (length * length);
      solution.summary.emplace_back("eigenvalue_exact_" + std::to_string(k), e);
      solution.summary.emplace_back("eigenvalue_error_" + std::to_string(k), solution.series[k] - e);
      worst = std::max(worst, std::abs(solution.series[k] - e) / std::abs(e));
      for (double xi : x) values.push_back(std::sqrt(2.0 / length) * std::sin(n * pi * (xi - problem.lower) / length));
    }
    solution.summary.emplace_back("max_rel_eigenvalue_error", worst);
    solution.summary.emplace_back("rel_l2_exact", reference::relative_l2(solution.fields.at(0).second, values));
    solution.exact.emplace_back("psi", std::move(values));
  }
  return solution;
}

}  // namespace npde::app
