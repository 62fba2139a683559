// SPDX-License-Identifier: BSD-3-Clause
// Shared pieces of the PINN unit tests: small problems and options, and the loss gradient against
// central differences.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/trial.hpp"

namespace npde_test {

using npde::Expression;
using npde::View1;
using npde::decomp::Communicator;
using npde::pde::Condition;
using npde::pde::ConditionKind;
using npde::pde::Problem;
using npde::pinn::Pinn;
using npde::pinn::PinnOptions;

// Central differences on a smooth loss: truncation ~h^2 |f'''|, h = 1e-5 relative.
constexpr double kTolGradient = 2e-6;

inline Condition condition(ConditionKind kind, std::vector<int> faces, const std::string& value, const Problem& p) {
  Condition c;
  c.kind = kind;
  c.faces = std::move(faces);
  if (kind != ConditionKind::Periodic) c.value = Expression(value, p.input_names(), "test.condition");
  return c;
}

/// A 1D space-time problem of `equation` on [-1, 1] x [0, 1] with the given coefficients.
inline Problem space_time(const std::string& equation, std::vector<double> k, bool hard) {
  Problem p;
  p.equation = equation;
  p.n_space = 1;
  p.time_dependent = true;
  p.box.dim = 2;
  p.box.lower[0] = -1, p.box.upper[0] = 1;
  p.box.lower[1] = 0, p.box.upper[1] = 1;
  p.coefficients = std::move(k);
  p.data.emplace_back("0.3*x*t", p.input_names(), "test.source");
  p.exact.emplace_back(std::nullopt);
  p.hard = hard;
  return p;
}

inline PinnOptions small_options() {
  PinnOptions o;
  o.hidden = {12, 12};
  o.weight_pde = 1.3;  // non-unit weights: each scales its own term and gradient
  o.weight_bc = 2.5;
  o.weight_initial = 0.7;
  o.n_interior = 90;
  o.n_boundary = 40;
  o.n_initial = 30;
  o.chunk = 32;  // several chunks per set, the last one partial; periodic pairs 16 per chunk
  o.seed = 5;
  o.n_validation = 64;
  return o;
}

inline std::vector<double> to_vector(const View1<double>& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

inline double loss_with_param(Pinn<double>& pinn, std::size_t i, double value, const View1<double>& scratch) {
  const View1<double> params = pinn.params();
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
  host(i) = value;
  Kokkos::deep_copy(params, host);
  return pinn.loss_and_gradient(scratch);
}

inline void check_gradient(Pinn<double>& pinn, const std::vector<std::string>& terms, const std::set<std::string>& zero = {});

inline void check_gradient(const Problem& problem, const std::vector<std::string>& terms) {
  SCOPED_TRACE(problem.equation + (problem.hard ? " hard" : " soft"));
  Pinn<double> pinn(Communicator::self(), problem, npde::pinn::make_catalogue_kernel<double>(problem.equation, 1),
                    small_options());
  check_gradient(pinn, terms);
}

/// Gradient of the whole loss against central differences on 24 parameters spread over the layers;
/// also checks that the terms are named as expected and sum to the loss.
/// Terms named in `zero` must vanish exactly (the others be positive).
inline void check_gradient(Pinn<double>& pinn, const std::vector<std::string>& terms, const std::set<std::string>& zero) {
  EXPECT_EQ(pinn.term_names(), terms);
  const std::size_t np = pinn.n_params();
  View1<double> grad("grad", np), scratch("scratch", np);
  const double loss = pinn.loss_and_gradient(grad);
  double sum = 0;
  for (std::size_t k = 0; k < pinn.last_terms().size(); ++k) {
    const double v = pinn.last_terms()[k];
    if (zero.count(pinn.term_names()[k]))
      EXPECT_EQ(v, 0.0) << pinn.term_names()[k];
    else
      EXPECT_GT(v, 0.0) << pinn.term_names()[k];
    sum += v;
  }
  EXPECT_DOUBLE_EQ(loss, sum);
  // copies, not mirrors: on host builds a mirror is the live View itself
  const std::vector<double> g = to_vector(grad), p0 = to_vector(pinn.params());
  // 24 parameters spread over the layers, and the trailing trained coefficients
  std::vector<std::size_t> check;
  for (int s = 0; s < 24; ++s) check.push_back((s * 7919u) % np);
  for (std::size_t i = pinn.network().n_params(); i < np; ++i) check.push_back(i);
  for (std::size_t i : check) {
    const double h = 1e-5 * std::max(1.0, std::abs(p0[i]));
    const double fp = loss_with_param(pinn, i, p0[i] + h, scratch);
    const double fm = loss_with_param(pinn, i, p0[i] - h, scratch);
    loss_with_param(pinn, i, p0[i], scratch);
    const double fd = (fp - fm) / (2 * h);
    EXPECT_NEAR(g[i], fd, kTolGradient * (std::abs(fd) + loss)) << "parameter " << i;
  }
}

}  // namespace npde_test
