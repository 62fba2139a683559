// SPDX-License-Identifier: BSD-3-Clause
// The FFT interface and the spectral convolution: transforms against direct sums, the forward pass
// against a direct evaluation of its definition (kept modes, normalisation, irfft2's treatment of the
// ky = 0 and Nyquist columns), and the reverse pass against central differences, on even and odd
// grids, with truncated and with all modes.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <tuple>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/fno/fft.hpp"
#include "npde/fno/spectral_conv.hpp"

namespace {

using npde::fno::Complex;
using npde::fno::Fft2d;
using npde::fno::SpectralConv2d;
using cd = std::complex<double>;

std::vector<double> random_field(std::size_t n, std::uint64_t seed) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 2 * npde::rng::uniform(seed, 9, i) - 1;
  return v;
}

// Every transform test runs both ways of transforming along y: FFTW's real transforms and the pruned
// DFT GEMMs.
constexpr npde::fno::YTransform kYModes[] = {npde::fno::YTransform::fft, npde::fno::YTransform::dft_gemm};

TEST(Fft2d, ForwardIsTheDirectSumAndInverseUndoesIt) {
  for (const auto mode : kYModes)
  for (const auto& [nx, ny] : {std::pair{6, 8}, std::pair{5, 7}}) {
    const int batch = 2, nyh = ny / 2 + 1;
    const auto x = random_field(std::size_t(batch) * nx * ny, 3);
    std::vector<Complex<double>> X(std::size_t(batch) * nx * nyh);
    Fft2d<double> fft(batch, nx, ny, 0, mode);
    EXPECT_EQ(fft.y_by_gemm(), mode == npde::fno::YTransform::dft_gemm);
    fft.forward(x.data(), X.data());
    for (int b = 0; b < batch; ++b)
      for (int kx = 0; kx < nx; ++kx)
        for (int ky = 0; ky < nyh; ++ky) {
          cd s = 0;
          for (int i = 0; i < nx; ++i)
            for (int j = 0; j < ny; ++j)
              s += x[(std::size_t(b) * nx + i) * ny + j] * std::exp(cd(0, -2 * M_PI * (double(kx * i) / nx + double(ky * j) / ny)));
          const auto& got = X[(std::size_t(b) * nx + kx) * nyh + ky];
          EXPECT_NEAR(got.real(), s.real(), 1e-12) << nx << "x" << ny;
          EXPECT_NEAR(got.imag(), s.imag(), 1e-12) << nx << "x" << ny;
        }
    std::vector<double> back(x.size());
    fft.inverse(X.data(), back.data());
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(back[i], double(nx) * ny * x[i], 1e-11);
  }
}

// The automatic choice: the pruned GEMMs for a spectral layer's few kept columns, FFTW for all of them.
TEST(Fft2d, AutomaticChoiceOfTheTransformAlongY) {
  EXPECT_TRUE(Fft2d<float>(2, 64, 64, 9).y_by_gemm());     // 16 modes kept: 9 of 33 columns
  EXPECT_TRUE(Fft2d<float>(2, 128, 128, 17).y_by_gemm());  // 17 <= 2.5 log2(128)
  EXPECT_FALSE(Fft2d<float>(2, 64, 64).y_by_gemm());       // all 33 columns
  EXPECT_FALSE(Fft2d<float>(2, 64, 64, 16).y_by_gemm());   // 16 > 2.5 log2(64) = 15
}

TEST(Fft2d, InverseDropsTheImaginaryPartsOfTheEdgeColumns) {
  // x_n = sum_k c_ky Re(X_k e^{+i k.n}) for any half spectrum, Hermitian or not
  for (const auto mode : kYModes) {
  const int nx = 4, ny = 6, nyh = ny / 2 + 1;
  std::vector<Complex<double>> X(std::size_t(nx) * nyh);
  for (std::size_t i = 0; i < X.size(); ++i)
    X[i] = Complex<double>(npde::rng::normal(5, 1, i), npde::rng::normal(5, 2, i));
  std::vector<double> x(std::size_t(nx) * ny);
  Fft2d<double> fft(1, nx, ny, 0, mode);
  fft.inverse(X.data(), x.data());
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      double s = 0;
      for (int kx = 0; kx < nx; ++kx)
        for (int ky = 0; ky < nyh; ++ky) {
          const double c = (ky == 0 || ky == ny / 2) ? 1 : 2;
          const auto& v = X[std::size_t(kx) * nyh + ky];
          s += c * (cd(v.real(), v.imag()) * std::exp(cd(0, 2 * M_PI * (double(kx * i) / nx + double(ky * j) / ny)))).real();
        }
      EXPECT_NEAR(x[std::size_t(i) * ny + j], s, 1e-12);
    }
  }
}

TEST(Fft2d, KeptColumnsAndAlignedArraysGiveTheFullTransform) {
  // the pruned transforms against the full ones, on unaligned (vector) and aligned (Kokkos) arrays
  for (const auto mode : kYModes)
  for (const auto& [nx, ny, kept] : {std::tuple{6, 8, 2}, std::tuple{5, 9, 3}, std::tuple{8, 16, 5}}) {
    const int batch = 3, nyh = ny / 2 + 1;
    const std::size_t nr = std::size_t(batch) * nx * ny, nh = std::size_t(batch) * nx * nyh;
    const auto x = random_field(nr, 4);
    std::vector<Complex<double>> full(nh);
    Fft2d<double>(batch, nx, ny, 0, npde::fno::YTransform::fft).forward(x.data(), full.data());
    Fft2d<double> pruned(batch, nx, ny, kept, mode);
    EXPECT_EQ(pruned.kept_columns(), kept);
    npde::View1<double> xa("x", nr), back("back", nr);
    npde::View1<Complex<double>> Xa("X", nh);
    for (std::size_t i = 0; i < nr; ++i) xa(i) = x[i];
    std::vector<Complex<double>> Xv(nh);
    pruned.forward(x.data(), Xv.data());
    pruned.forward(xa.data(), Xa.data());
    for (std::size_t r = 0; r < std::size_t(batch) * nx; ++r)
      for (int c = 0; c < kept; ++c) {
        const auto k = r * nyh + c;
        EXPECT_NEAR(std::abs(cd(Xv[k].real(), Xv[k].imag()) - cd(full[k].real(), full[k].imag())), 0.0, 1e-12);
        EXPECT_NEAR(std::abs(cd(Xa(k).real(), Xa(k).imag()) - cd(full[k].real(), full[k].imag())), 0.0, 1e-12);
      }
    // the inverse reads the kept columns only: garbage elsewhere changes nothing
    auto cut = full;
    for (std::size_t r = 0; r < std::size_t(batch) * nx; ++r)
      for (int c = kept; c < nyh; ++c) cut[r * nyh + c] = Complex<double>(0);
    std::vector<double> want(nr), got(nr);
    Fft2d<double>(batch, nx, ny, 0, npde::fno::YTransform::fft).inverse(cut.data(), want.data());
    auto noisy = full;
    for (std::size_t r = 0; r < std::size_t(batch) * nx; ++r)
      for (int c = kept; c < nyh; ++c) noisy[r * nyh + c] = Complex<double>(1e3, -7);
    pruned.inverse(noisy.data(), got.data());
    for (std::size_t k = 0; k < nh; ++k) Xa(k) = noisy[k];
    pruned.inverse(Xa.data(), back.data());
    for (std::size_t i = 0; i < nr; ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-11);
      EXPECT_NEAR(back(i), want[i], 1e-11);
    }
  }
}

TEST(Fft2d, AccumulatingInverseAddsAndKeepsTheSpectrum) {
  // x += irfft2(X) on aligned (Kokkos) and unaligned (vector) arrays, twice (the scratch reused),
  // against the plain inverse; X untouched by either
  for (const auto mode : kYModes)
  for (const auto& [nx, ny, kept] : {std::tuple{6, 8, 3}, std::tuple{5, 9, 0}}) {
    const int batch = 2, nyh = ny / 2 + 1;
    const std::size_t nr = std::size_t(batch) * nx * ny, nh = std::size_t(batch) * nx * nyh;
    Fft2d<double> fft(batch, nx, ny, kept, mode);
    std::vector<Complex<double>> X(nh);
    npde::View1<Complex<double>> Xa("X", nh);
    for (std::size_t i = 0; i < nh; ++i) Xa(i) = X[i] = Complex<double>(npde::rng::normal(6, 1, i), npde::rng::normal(6, 2, i));
    const auto X0 = X;
    std::vector<double> plain(nr);
    fft.inverse(X.data(), plain.data());
    const auto start = random_field(nr, 7);
    std::vector<double> acc = start;
    npde::View1<double> acca("acc", nr);
    for (std::size_t i = 0; i < nr; ++i) acca(i) = start[i];
    for (int round = 1; round <= 2; ++round) {
      fft.inverse(X.data(), acc.data(), true);
      fft.inverse(Xa.data(), acca.data(), true);
      for (std::size_t i = 0; i < nr; ++i) {
        EXPECT_NEAR(acc[i], start[i] + round * plain[i], 1e-11) << nx << "x" << ny << " round " << round;
        EXPECT_NEAR(acca(i), start[i] + round * plain[i], 1e-11) << nx << "x" << ny << " round " << round;
      }
    }
    for (std::size_t i = 0; i < nh; ++i) {
      EXPECT_EQ(X[i], X0[i]);
      EXPECT_EQ(Xa(i), X0[i]);
    }
  }
}

// The spectral convolution by its definition, with direct sums.
std::vector<double> direct_conv(const std::vector<double>& w, const std::vector<double>& x, int batch, int cin, int cout,
                                int mx, int my, int nx, int ny) {
  const int nyh = ny / 2 + 1, myh = my / 2 + 1;
  std::vector<double> y(std::size_t(batch) * cout * nx * ny, 0.0);
  for (int b = 0; b < batch; ++b)
    for (int r = 0; r < mx; ++r)
      for (int c = 0; c < myh; ++c) {
        const int kx = r < mx / 2 ? r : r - mx;
        std::vector<cd> X(cin);
        for (int i = 0; i < cin; ++i)
          for (int p = 0; p < nx; ++p)
            for (int q = 0; q < ny; ++q)
              X[i] += x[((std::size_t(b) * cin + i) * nx + p) * ny + q] *
                      std::exp(cd(0, -2 * M_PI * (double(kx * p) / nx + double(c * q) / ny))) / double(nx * ny);
        const double cw = (c == 0 || (ny % 2 == 0 && c == nyh - 1)) ? 1 : 2;
        for (int o = 0; o < cout; ++o) {
          cd Y = 0;
          for (int i = 0; i < cin; ++i) {
            const std::size_t at = 2 * (((std::size_t(i) * cout + o) * mx + r) * myh + c);
            Y += X[i] * cd(w[at], w[at + 1]);
          }
          for (int p = 0; p < nx; ++p)
            for (int q = 0; q < ny; ++q)
              y[((std::size_t(b) * cout + o) * nx + p) * ny + q] +=
                  cw * (Y * std::exp(cd(0, 2 * M_PI * (double(kx * p) / nx + double(c * q) / ny)))).real();
        }
      }
  return y;
}

struct Case {
  int batch, cin, cout, mx, my, nx, ny;
  npde::fno::SpectralWeights weights = {};
};

void check_case(const Case& k) {
  SCOPED_TRACE(::testing::Message() << k.nx << "x" << k.ny << " modes " << k.mx << "x" << k.my << " weights "
                                    << int(k.weights.kind));
  SpectralConv2d<double> conv(k.cin, k.cout, k.mx, k.my, k.weights);
  std::vector<double> w(conv.n_params());
  conv.init(w.data(), 7, 3);
  const auto x = random_field(std::size_t(k.batch) * k.cin * k.nx * k.ny, 4);
  std::vector<double> y(std::size_t(k.batch) * k.cout * k.nx * k.ny);
  conv.forward(w.data(), x.data(), k.batch, k.nx, k.ny, y.data());
  // the factorised contraction equals the dense one with the reconstructed tensor
  std::vector<double> dense(conv.n_dense_params());
  conv.reconstruct(w.data(), dense.data());
  const auto ref = direct_conv(dense, x, k.batch, k.cin, k.cout, k.mx, k.my, k.nx, k.ny);
  for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 1e-12) << i;
  // reverse pass: L = 1/2 sum wt_n y_n^2
  std::vector<double> wt(y.size());
  for (std::size_t i = 0; i < wt.size(); ++i) wt[i] = 0.5 + npde::rng::uniform(8, 1, i);
  auto loss = [&](const std::vector<double>& ww, const std::vector<double>& xx) {
    std::vector<double> yy(y.size());
    conv.forward(ww.data(), xx.data(), k.batch, k.nx, k.ny, yy.data());
    double l = 0;
    for (std::size_t i = 0; i < yy.size(); ++i) l += 0.5 * wt[i] * yy[i] * yy[i];
    return l;
  };
  conv.forward(w.data(), x.data(), k.batch, k.nx, k.ny, y.data());
  std::vector<double> yb(y.size()), gw(w.size(), 0.0), xb(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) yb[i] = wt[i] * y[i];
  conv.backward(w.data(), yb.data(), xb.data(), gw.data());
  const double h = 1e-6;
  for (std::size_t i = 0; i < w.size(); ++i) {
    auto wp = w, wm = w;
    wp[i] += h, wm[i] -= h;
    const double fd = (loss(wp, x) - loss(wm, x)) / (2 * h);
    EXPECT_NEAR(gw[i], fd, 1e-7 * std::max(1.0, std::fabs(fd))) << "weight " << i;
  }
  for (std::size_t i = 0; i < x.size(); i += 3) {
    auto xp = x, xm = x;
    xp[i] += h, xm[i] -= h;
    const double fd = (loss(w, xp) - loss(w, xm)) / (2 * h);
    EXPECT_NEAR(xb[i], fd, 1e-7 * std::max(1.0, std::fabs(fd))) << "input " << i;
  }
  // the accumulating reverse pass adds the same input adjoint onto what xbar holds
  auto xacc = random_field(x.size(), 11);
  const auto x0 = xacc;
  std::vector<double> gw2(w.size(), 0.0);
  conv.forward(w.data(), x.data(), k.batch, k.nx, k.ny, y.data());  // the differences' forwards came last
  conv.backward(w.data(), yb.data(), xacc.data(), gw2.data(), true);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(xacc[i], x0[i] + xb[i], 1e-12) << "accumulated input " << i;
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(gw2[i], gw[i], 1e-12) << "weight " << i;
}

TEST(SpectralConv2d, TruncatedModesEvenGrid) { check_case({2, 2, 3, 4, 4, 8, 8}); }
TEST(SpectralConv2d, TruncatedModesOddGrid) { check_case({2, 3, 2, 4, 2, 7, 9}); }
TEST(SpectralConv2d, AllModesWithNyquist) { check_case({1, 2, 2, 6, 6, 6, 6}); }

using Kind = npde::fno::SpectralWeights::Kind;
TEST(SpectralConv2d, CpEvenGrid) { check_case({2, 2, 3, 4, 4, 8, 8, {Kind::CP, 1.0, {3}}}); }
TEST(SpectralConv2d, CpOddGridAllModes) { check_case({2, 3, 2, 4, 6, 5, 7, {Kind::CP, 1.0, {2}}}); }
TEST(SpectralConv2d, TuckerEvenGrid) { check_case({2, 3, 2, 4, 4, 8, 8, {Kind::Tucker, 1.0, {2, 2, 3, 2}}}); }
TEST(SpectralConv2d, TuckerOddGridFullRanks) { check_case({1, 2, 2, 4, 2, 7, 9, {Kind::Tucker, 1.0, {2, 2, 4, 2}}}); }
// the comparison implementation: the dense tensor rebuilt from the factors, then the dense product
TEST(SpectralConv2d, CpReconstructed) { check_case({2, 2, 3, 4, 4, 8, 8, {Kind::CP, 1.0, {3}, true}}); }
TEST(SpectralConv2d, TuckerReconstructed) { check_case({2, 3, 2, 4, 4, 8, 7, {Kind::Tucker, 1.0, {2, 2, 3, 2}, true}}); }

// rank as a fraction of the dense parameters (neuraloperator's meaning), and the initial spread of
// the reconstructed tensor
TEST(SpectralConv2d, FactorisedRanksAndInitialisation) {
  const int cin = 32, cout = 32, mx = 12, my = 12;
  const SpectralConv2d<double> dense(cin, cout, mx, my);
  const SpectralConv2d<double> tucker(cin, cout, mx, my, {Kind::Tucker, 0.1, {}});
  const SpectralConv2d<double> cp(cin, cout, mx, my, {Kind::CP, 0.1, {}});
  const double td = double(tucker.n_params()) / double(dense.n_params()), cd_ = double(cp.n_params()) / double(dense.n_params());
  EXPECT_GT(td, 0.05);
  EXPECT_LT(td, 0.12);
  EXPECT_GT(cd_, 0.09);
  EXPECT_LT(cd_, 0.11);
  EXPECT_EQ(cp.ranks().at(0), int(std::lround(0.1 * cin * cout * mx * 7 / double(cin + cout + mx + 7))));
  for (const auto* conv : {&dense, &tucker, &cp}) {
    std::vector<double> w(conv->n_params()), full(conv->n_dense_params());
    conv->init(w.data(), 3, 4);
    conv->reconstruct(w.data(), full.data());
    double s2 = 0;
    for (double v : full) s2 += v * v;
    const double var = s2 / double(full.size() / 2);  // E|W|^2 over the complex entries
    EXPECT_NEAR(var, 2.0 / (cin + cout), 0.25 * 2.0 / (cin + cout)) << int(conv->kind());
  }
  EXPECT_THROW(SpectralConv2d<double>(4, 4, 4, 4, {Kind::Tucker, 1.0, {2, 2, 5, 2}}), npde::Error);  // rank > 4 rows
  EXPECT_THROW(SpectralConv2d<double>(4, 4, 4, 4, {Kind::CP, 1.0, {1, 2}}), npde::Error);
  EXPECT_EQ(npde::fno::spectral_weights_from_name("tucker", "w"), Kind::Tucker);
  EXPECT_THROW(npde::fno::spectral_weights_from_name("tt", "w"), npde::InputError);
}

TEST(SpectralConv2d, RejectsBadShapes) {
  EXPECT_THROW(SpectralConv2d<double>(2, 2, 3, 4), npde::Error);  // odd modes along x
  SpectralConv2d<double> conv(1, 1, 8, 8);
  std::vector<double> w(conv.n_params()), x(16), y(16);
  EXPECT_THROW(conv.forward(w.data(), x.data(), 1, 4, 4, y.data()), npde::Error);  // grid coarser than the modes
}

TEST(SpectralConv2d, InitialisationHasTheReferenceSpread) {
  SpectralConv2d<double> conv(16, 16, 8, 8);
  std::vector<double> w(conv.n_params());
  conv.init(w.data(), 1, 2);
  double s2 = 0;
  for (std::size_t i = 0; i + 1 < w.size(); i += 2) s2 += w[i] * w[i] + w[i + 1] * w[i + 1];
  const double var = s2 / double(w.size() / 2);  // E|W|^2 = 2 / (cin + cout)
  EXPECT_NEAR(var, 2.0 / 32, 0.05 * 2.0 / 32);
}

}  // namespace
