// SPDX-License-Identifier: BSD-3-Clause
// The vectorisable tanh against the C library, and activation derivatives against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "npde/nn/activation.hpp"

namespace {

template <class T>
void check_tanh_ulps(T max_ulps) {
  const T eps = std::numeric_limits<T>::epsilon();
  T worst = 0;
  for (int i = -200000; i <= 200000; ++i) {
    const T z = T(i) * T(1e-4) * T(2.5);  // [-50, 50], dense near 0 too
    const T ref = std::tanh(z), got = npde::nn::detail::tanh_arith(z);
    const T ulps = std::fabs(got - ref) / (std::max(std::fabs(ref), std::numeric_limits<T>::min()) * eps);
    worst = std::max(worst, ulps);
  }
  for (T z : {T(1e-30), T(-1e-30), T(1e-8), T(0)}) EXPECT_EQ(npde::nn::detail::tanh_arith(z), std::tanh(z)) << z;
  EXPECT_LE(worst, max_ulps) << "worst error in ulps";
}

void check_derivatives(npde::nn::Activation act) {
  const double h = 1e-5;
  for (double z : {-3.0, -0.7, 0.0, 0.3, 2.1}) {
    double s[4], sp[4], sm[4];
    npde::nn::activation_eval_host(act, z, s);
    npde::nn::activation_eval_host(act, z + h, sp);
    npde::nn::activation_eval_host(act, z - h, sm);
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(s[k + 1], (sp[k] - sm[k]) / (2 * h), 1e-8) << to_string(act) << " derivative " << k + 1 << " at " << z;
  }
}

}  // namespace

TEST(TanhArith, DoubleWithinFourUlps) { check_tanh_ulps<double>(4.0); }
TEST(TanhArith, FloatWithinFourUlps) { check_tanh_ulps<float>(4.0f); }
TEST(Activation, TanhDerivatives) { check_derivatives(npde::nn::Activation::Tanh); }
TEST(Activation, SinDerivatives) { check_derivatives(npde::nn::Activation::Sin); }
TEST(Activation, SoftplusDerivatives) { check_derivatives(npde::nn::Activation::Softplus); }
TEST(Activation, SoftplusNoOverflow) {
  double s[4];
  npde::nn::activation_eval_host(npde::nn::Activation::Softplus, 800.0, s);
  EXPECT_DOUBLE_EQ(s[0], 800.0);
  EXPECT_DOUBLE_EQ(s[1], 1.0);
  npde::nn::activation_eval_host(npde::nn::Activation::Softplus, -800.0, s);
  EXPECT_GE(s[0], 0.0);
  EXPECT_LT(s[0], 1e-300);
}
