// SPDX-License-Identifier: BSD-3-Clause
// Data-parallel operator training: the world communicator and one rank alone give the same history
// (up to the gradient's summation order), uneven and padded batches included; the loss falls; the
// evaluation's per-sample errors are the same on every rank count.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/rng.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/fno/training.hpp"

namespace {

using npde::View1;
using npde::decomp::Communicator;
namespace fno = npde::fno;

// A smooth operator: u = a shifted smoothing of the input (two channels in, one out), 10 x 8 grids.
fno::SampleSet<double> synthetic(int n, std::uint64_t seed) {
  fno::SampleSet<double> s;
  s.n = n, s.cin = 2, s.cout = 1, s.n1 = 10, s.n2 = 8;
  const long P = s.points();
  std::vector<double> x(std::size_t(n) * 2 * P), y(std::size_t(n) * P);
  for (int b = 0; b < n; ++b) {
    const double a1 = npde::rng::normal(seed, 1, b), a2 = npde::rng::normal(seed, 2, b);
    for (int i = 0; i < s.n1; ++i)
      for (int j = 0; j < s.n2; ++j) {
        const double xi = double(i) / s.n1, yj = double(j) / s.n2;
        x[(std::size_t(b) * 2 + 0) * P + i * s.n2 + j] = a1 * std::sin(2 * M_PI * xi);
        x[(std::size_t(b) * 2 + 1) * P + i * s.n2 + j] = a2 * std::cos(2 * M_PI * yj);
        y[std::size_t(b) * P + i * s.n2 + j] = 1 + 0.5 * a1 * std::sin(2 * M_PI * xi + 0.3) + 0.2 * a2 * a2;
      }
  }
  s.x = View1<double>("x", x.size());
  s.y = View1<double>("y", y.size());
  auto hx = Kokkos::create_mirror_view(s.x);
  auto hy = Kokkos::create_mirror_view(s.y);
  for (std::size_t i = 0; i < x.size(); ++i) hx(i) = x[i];
  for (std::size_t i = 0; i < y.size(); ++i) hy(i) = y[i];
  Kokkos::deep_copy(s.x, hx);
  Kokkos::deep_copy(s.y, hy);
  return s;
}

fno::FnoShape small_shape() {
  fno::FnoShape s;
  s.in = 2, s.out = 1, s.width = 6, s.blocks = 2, s.modes_x = 4, s.modes_y = 4;
  return s;
}

std::vector<fno::EpochRow> run(const Communicator& comm, const std::string& loss, std::vector<double>* params_out) {
  const auto train = synthetic(13, 1), test = synthetic(5, 2);  // 13 samples, batch 5: uneven steps
  fno::FnoModel<double> model(small_shape());
  View1<double> params("params", model.n_params());
  model.init(params.data(), 3);
  fno::OperatorTrainConfig cfg;
  cfg.epochs = 8, cfg.batch = 5, cfg.lr = 1e-2, cfg.schedule = "step", cfg.schedule_step = 4;
  cfg.loss = loss, cfg.quiet = true, cfg.seed = 9;
  const auto norm = fno::ChannelNormalizer::identity(1);
  const auto res = fno::train_operator<double>(comm, model, params, cfg, train, test, norm);
  if (params_out) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
    params_out->assign(h.data(), h.data() + h.extent(0));
  }
  return res.history;
}

TEST(OperatorTraining, SameHistoryOnEveryRankCount) {
  for (const std::string loss : {"l2", "h1"}) {
    std::vector<double> pw, ps;
    const auto world = run(Communicator::world(), loss, &pw);
    const auto self = run(Communicator::self(), loss, &ps);
    ASSERT_EQ(world.size(), 8u);
    ASSERT_EQ(self.size(), 8u);
    for (std::size_t e = 0; e < world.size(); ++e) {
      EXPECT_NEAR(world[e].train_loss, self[e].train_loss, 1e-10 * self[e].train_loss) << loss << " epoch " << e;
      EXPECT_NEAR(world[e].test_rel_l2, self[e].test_rel_l2, 1e-10 * self[e].test_rel_l2) << loss << " epoch " << e;
    }
    EXPECT_LT(world.back().train_loss, 0.8 * world.front().train_loss) << loss;
    EXPECT_DOUBLE_EQ(world[4].lr, 0.5 * world[0].lr);
    double worst = 0;
    for (std::size_t i = 0; i < pw.size(); ++i) worst = std::max(worst, std::fabs(pw[i] - ps[i]));
    EXPECT_LT(worst, 1e-9) << loss;
  }
}

TEST(OperatorTraining, PatchParallelTrainingIsTheSerialOne) {
  // 1 level: 4 patches of 5 x 4 per 10 x 8 field (7 x 6 windows with padding 0.25), spread over the ranks
  const auto train = synthetic(6, 1), test = synthetic(3, 2);
  auto shape = small_shape();
  shape.in = 2 * 2;  // 2 channels x (levels + 1)
  shape.modes_x = 2, shape.modes_y = 2;
  std::vector<std::vector<double>> losses;
  std::vector<std::vector<double>> evals;
  for (const auto& comm : {Communicator::world(), Communicator::self()}) {
    fno::FnoModel<double> model(shape);
    View1<double> params("params", model.n_params());
    model.init(params.data(), 3);
    fno::OperatorTrainConfig cfg;
    cfg.epochs = 3, cfg.batch = 4, cfg.lr = 1e-2, cfg.quiet = true, cfg.seed = 2;
    cfg.patching = fno::Patching(1, 0.25, train.n1, train.n2);
    const auto norm = fno::ChannelNormalizer::identity(1);
    const auto res = fno::train_operator<double>(comm, model, params, cfg, train, test, norm);
    std::vector<double> l;
    for (const auto& r : res.history) l.push_back(r.train_loss), l.push_back(r.test_rel_l2);
    losses.push_back(l);
    std::vector<double> pred;
    evals.push_back(fno::evaluate_operator(comm, model, params, test, norm, 3, &pred, &cfg.patching));
    ASSERT_EQ(pred.size(), std::size_t(test.n) * test.points());
  }
  ASSERT_EQ(losses[0].size(), 6u);
  for (std::size_t i = 0; i < losses[0].size(); ++i) EXPECT_NEAR(losses[0][i], losses[1][i], 1e-10 * losses[1][i]);
  EXPECT_LT(losses[0][4], losses[0][0]);
  for (std::size_t i = 0; i < evals[0].size(); ++i) EXPECT_NEAR(evals[0][i], evals[1][i], 1e-10 * evals[1][i]);
}

TEST(OperatorTraining, EvaluationGivesEverySampleOnEveryRank) {
  const auto test = synthetic(7, 4);
  fno::FnoModel<double> model(small_shape());
  View1<double> params("params", model.n_params());
  model.init(params.data(), 3);
  const auto norm = fno::ChannelNormalizer::identity(1);
  std::vector<double> pw, ps;
  const auto ew = fno::evaluate_operator(Communicator::world(), model, params, test, norm, 2, &pw);
  const auto es = fno::evaluate_operator(Communicator::self(), model, params, test, norm, 3, &ps);
  ASSERT_EQ(ew.size(), 7u);
  for (std::size_t i = 0; i < ew.size(); ++i) {
    EXPECT_GT(ew[i], 0.0);
    EXPECT_NEAR(ew[i], es[i], 1e-12 * es[i]);
  }
  ASSERT_EQ(pw.size(), ps.size());
  for (std::size_t i = 0; i < pw.size(); ++i) EXPECT_NEAR(pw[i], ps[i], 1e-12);
}

}  // namespace
