// SPDX-License-Identifier: BSD-3-Clause
// Tests of the run-time problem's helpers (Dirichlet data looked up by face).
#include "npde/core/error.hpp"
#include "npde/pde/problem.hpp"

#include <gtest/gtest.h>

namespace {

using npde::pde::Condition;
using npde::pde::ConditionKind;

// 1D space-time problem on [0, 2] x [0, 1]: u = t on x-, u = 3 + x on x+, an initial condition.
npde::pde::Problem space_time_problem() {
  npde::pde::Problem p;
  p.n_space = 1;
  p.time_dependent = true;
  p.box.dim = 2;
  p.box.upper[0] = 2;
  const auto vars = p.input_names();
  Condition initial;
  initial.kind = ConditionKind::Initial;
  initial.value = npde::Expression("100", vars, "initial");
  Condition lower, upper;
  lower.faces = {0};
  lower.value = npde::Expression("t", vars, "lower");
  upper.faces = {1};
  upper.value = npde::Expression("3 + x", vars, "upper");
  p.conditions = {initial, lower, upper};
  return p;
}

TEST(PdeProblem, DirichletValueOfTheConditionOnTheFace) {
  const auto p = space_time_problem();
  const double at_lower[2] = {0, 0.25}, at_upper[2] = {2, 0.5};
  EXPECT_EQ(p.dirichlet_value(0, at_lower), 0.25);
  EXPECT_EQ(p.dirichlet_value(0, at_upper), 5.0);
}

TEST(PdeProblem, DirichletValueAtCornersIsTheFirstConditionListed) {
  npde::pde::Problem p;
  p.n_space = 2;
  p.box.dim = 2;
  const auto vars = p.input_names();
  Condition sides, lid;
  sides.faces = {0, 1, 2};
  sides.value = npde::Expression("0", vars, "sides");
  lid.faces = {3};
  lid.value = npde::Expression("1", vars, "lid");
  p.conditions = {sides, lid};
  const double corner[2] = {0, 1}, top[2] = {0.5, 1};
  EXPECT_EQ(p.dirichlet_value(0, corner), 0.0);
  EXPECT_EQ(p.dirichlet_value(0, top), 1.0);
}

TEST(PdeProblem, DirichletValueThrowsOffTheConstrainedFaces) {
  const auto p = space_time_problem();
  const double inside[2] = {1, 0.5};
  EXPECT_THROW(p.dirichlet_value(0, inside), npde::Error);
  const double at_lower[2] = {0, 0.25};
  EXPECT_THROW(p.dirichlet_value(1, at_lower), npde::Error);  // no condition on output 1
}

}  // namespace
