// SPDX-License-Identifier: BSD-3-Clause
// Data-parallel training is independent of the rank count: a run on the world communicator follows
// the one-rank run (on MPI_COMM_SELF, repeated on every rank) iteration by iteration, and every rank
// of the world run ends with bit-identical parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/trainer.hpp"

namespace {

using npde::decomp::Communicator;
using npde::pde::Problem;
using npde::pinn::PinnOptions;
using npde::pinn::TrainConfig;

// -Lap u = f on [0,1] x [-0.5,1] with a non-zero boundary value (u = sin(pi x) sin(pi y) + 0.5 x y).
Problem make_problem(bool hard) {
  Problem p;
  p.equation = "poisson";
  p.n_space = 2;
  p.box.dim = 2;
  p.box.lower[0] = 0.0;
  p.box.upper[0] = 1.0;
  p.box.lower[1] = -0.5;
  p.box.upper[1] = 1.0;
  const auto vars = p.input_names();
  const std::string exact = "sin(pi*x)*sin(pi*y) + 0.5*x*y";
  p.data.emplace_back("2*pi^2*sin(pi*x)*sin(pi*y)", vars, "test.source");
  p.exact.emplace_back(npde::Expression(exact, vars, "test.exact"));
  npde::pde::Condition c;
  c.kind = npde::pde::ConditionKind::Dirichlet;
  c.faces = {0, 1, 2, 3};
  c.value = npde::Expression(exact, vars, "test.boundary");
  p.conditions.push_back(std::move(c));
  p.hard = hard;
  return p;
}

struct Scenario {
  const char* name;
  bool hard_bc;
  int resample_every;
};

PinnOptions options(const Scenario& s) {
  PinnOptions o;
  o.hidden = {16, 16};
  o.hard_bc = s.hard_bc;
  o.n_interior = 301;  // odd, so the two-rank split is uneven
  o.n_boundary = 101;
  o.chunk = 64;
  o.seed = 5;
  o.n_validation = 257;
  return o;
}

TrainConfig config(const Scenario& s) {
  TrainConfig c;
  c.quiet = true;
  c.log_every = 20;  // validation (a collective) at a few iterations as well
  c.resample_every = s.resample_every;
  npde::pinn::StageConfig adam, lbfgs;
  adam.optimizer = "adam";
  adam.iterations = 60;
  adam.adam.lr = 5e-3;
  lbfgs.optimizer = "lbfgs";
  lbfgs.iterations = 30;
  c.stages = {adam, lbfgs};
  return c;
}

struct RunResult {
  std::vector<npde::pinn::HistoryRow> history;
  std::vector<double> params;
};

RunResult run(const Communicator& comm, const Scenario& s) {
  npde::pinn::Pinn<double> pinn(comm, make_problem(s.hard_bc), npde::pinn::make_catalogue_kernel<double>("poisson", 2),
                                options(s));
  RunResult r;
  r.history = npde::pinn::train(pinn, config(s)).history;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pinn.network().params());
  r.params.assign(host.data(), host.data() + host.extent(0));
  return r;
}

double relative_difference(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

void check_scenario(const Scenario& s) {
  SCOPED_TRACE(s.name);
  const Communicator world = Communicator::world();
  const RunResult par = run(world, s);
  const RunResult ser = run(Communicator::self(), s);  // the one-rank reference, on every rank

  // 1. Loss history, iteration by iteration.
  ASSERT_EQ(par.history.size(), ser.history.size());
  ASSERT_EQ(par.history.size(), 90u);
  double worst_loss = 0, worst_l2 = 0;
  for (std::size_t i = 0; i < par.history.size(); ++i) {
    const auto &a = par.history[i], &b = ser.history[i];
    EXPECT_EQ(a.iteration, b.iteration);
    EXPECT_EQ(a.stage, b.stage);
    // terms: pde, and bc with soft boundary conditions
    ASSERT_EQ(a.terms.size(), s.hard_bc ? 1u : 2u);
    ASSERT_EQ(b.terms.size(), a.terms.size());
    worst_loss = std::max({worst_loss, relative_difference(a.loss, b.loss), relative_difference(a.terms[0], b.terms[0])});
    EXPECT_LE(relative_difference(a.loss, b.loss), 1e-10) << "iteration " << b.iteration;
    EXPECT_LE(relative_difference(a.terms[0], b.terms[0]), 1e-10) << "iteration " << b.iteration;
    if (!s.hard_bc) {
      EXPECT_GT(b.terms[1], 0.0);
      EXPECT_LE(relative_difference(a.terms[1], b.terms[1]), 1e-10) << "iteration " << b.iteration;
      worst_loss = std::max(worst_loss, relative_difference(a.terms[1], b.terms[1]));
    }
    EXPECT_EQ(std::isnan(a.rel_l2), std::isnan(b.rel_l2)) << "iteration " << b.iteration;
    if (!std::isnan(b.rel_l2)) {
      worst_l2 = std::max(worst_l2, relative_difference(a.rel_l2, b.rel_l2));
      EXPECT_LE(relative_difference(a.rel_l2, b.rel_l2), 1e-8) << "iteration " << b.iteration;
    }
  }
  // Training must have done something, or agreement would prove nothing.
  EXPECT_LT(ser.history.back().loss, 0.5 * ser.history.front().loss);

  // 2. Final parameters.
  ASSERT_EQ(par.params.size(), ser.params.size());
  double p_inf = 0, diff_inf = 0;
  for (std::size_t i = 0; i < par.params.size(); ++i) {
    p_inf = std::max(p_inf, std::abs(ser.params[i]));
    diff_inf = std::max(diff_inf, std::abs(par.params[i] - ser.params[i]));
  }
  EXPECT_LE(diff_inf, 1e-8 * p_inf);

  // 3. Every rank of the world run holds bit-identical parameters and history.
  std::vector<double> mine = par.params;
  for (const auto& row : par.history) mine.push_back(row.loss);
  const std::vector<double> all = world.allgatherv(mine);
  ASSERT_EQ(all.size(), mine.size() * std::size_t(world.size()));
  for (int r = 1; r < world.size(); ++r)
    EXPECT_EQ(std::memcmp(all.data(), all.data() + mine.size() * r, mine.size() * sizeof(double)), 0)
        << "rank " << r << " differs from rank 0";

  // 4. Resampling really happened: a run without it agrees up to the first new point set, then not.
  if (s.resample_every > 0) {
    const RunResult fixed = run(Communicator::self(), {"no resampling", s.hard_bc, 0});
    const std::size_t k = std::size_t(s.resample_every);
    for (std::size_t i = 0; i < k; ++i) EXPECT_EQ(fixed.history[i].loss, ser.history[i].loss) << "row " << i;
    EXPECT_NE(fixed.history[k].loss, ser.history[k].loss);
  }

  if (world.is_root())
    std::printf("[ parallel ] %s on %d ranks: loss %.3e -> %.3e; max rel diff vs 1 rank: loss %.2e, relL2 %.2e, "
                "params %.2e\n",
                s.name, world.size(), ser.history.front().loss, ser.history.back().loss, worst_loss, worst_l2,
                diff_inf / p_inf);
}

TEST(DataParallel, SoftBcMatchesOneRank) { check_scenario({"soft BC", false, 0}); }

TEST(DataParallel, HardBcWithResamplingMatchesOneRank) { check_scenario({"hard BC, resample every 15", true, 15}); }

}  // namespace
