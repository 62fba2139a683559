// SPDX-License-Identifier: BSD-3-Clause
// The gradient of a model whose parameters are spread over the ranks (one network per subdomain, of
// any sizes) against central differences of its collective loss.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/decomp/communicator.hpp"

namespace npde::test {

inline std::vector<double> host_values(const View1<double>& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

/// Collective. Central differences along the first, a middle and the last parameter of every
/// subdomain's network against the gathered gradient. Net: MultiDomainPinn or FbPinn (partition(),
/// params_of(s), gather(), params(), loss_and_gradient()).
template <class Net>
void check_spread_gradient(Net& net, const decomp::Communicator& comm) {
  View1<double> g("g", net.n_params()), scratch("s", net.n_params());
  const double loss = net.loss_and_gradient(g);
  const auto grad = net.gather(host_values(g));
  ASSERT_EQ(grad.size(), net.n_params_global());
  // global offsets of the subdomains' parameters, and of this rank's first subdomain
  std::vector<std::size_t> offset{0};
  for (int s = 0; s < net.partition().size(); ++s) offset.push_back(offset.back() + net.params_of(s));
  ASSERT_EQ(offset.back(), net.n_params_global());
  const std::size_t mine_from = offset[net.partition().owned(comm.rank()).begin];
  auto params = net.params();
  for (int s = 0; s < net.partition().size(); ++s) {
    const std::size_t n = net.params_of(s);
    for (std::size_t i : {std::size_t(0), n / 3, n - 1}) {
      const std::size_t global = offset[std::size_t(s)] + i;
      const bool mine = net.partition()[s].owner == comm.rank();
      const double h = 1e-6;
      auto shift = [&](double by) {
        if (!mine) return;
        auto ph = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
        ph(global - mine_from) += by;
        Kokkos::deep_copy(params, ph);
      };
      shift(h);
      const double up = net.loss_and_gradient(scratch);
      shift(-2 * h);
      const double down = net.loss_and_gradient(scratch);
      shift(h);
      const double fd = (up - down) / (2 * h);
      // truncation, and the round-off of a difference of losses of this size
      const double tol = 1e-6 * std::max(1.0, std::abs(fd)) + 8 * 2.2e-16 * std::abs(loss) / h;
      EXPECT_NEAR(grad[global], fd, tol) << "subdomain " << s << " parameter " << i;
    }
  }
}

}  // namespace npde::test
