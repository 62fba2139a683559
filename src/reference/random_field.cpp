// SPDX-License-Identifier: BSD-3-Clause
// Gaussian random field samples: Hermitian Fourier coefficients from counter-based normals, one c2r FFT.
#include "npde/reference/random_field.hpp"

#include <fftw3.h>

#include <cmath>
#include <complex>
#include <memory>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"

namespace npde::reference {
namespace {

constexpr double two_pi = 6.283185307179586;
// Low byte 5 keeps these streams apart from the named npde::rng streams (1..4) of the same seed.
constexpr std::uint64_t stream_tag = 5;

// Signed wavenumber of FFT index k on an axis of n points: (-n/2, n/2] (even n), |k| <= (n-1)/2 (odd n).
int wrap(int k, int n) {
  int m = ((k % n) + n) % n;
  return m > n / 2 ? m - n : m;
}

std::uint64_t zigzag(int k) {
  return k >= 0 ? 2 * static_cast<std::uint64_t>(k) : 2 * static_cast<std::uint64_t>(-static_cast<std::int64_t>(k)) - 1;
}

void validate(const RandomFieldParams& p, std::uint64_t index, int nx, int ny, double lx, double ly) {
  NPDE_REQUIRE(p.alpha > 0 && p.tau > 0 && p.sigma >= 0,
               "alpha = " << p.alpha << ", tau = " << p.tau << ", sigma = " << p.sigma);
  NPDE_REQUIRE(nx >= 2 && ny >= 2 && nx < (1 << 29) && ny < (1 << 29), "grid " << nx << " x " << ny);
  NPDE_REQUIRE(lx > 0 && ly > 0, "periods " << lx << " x " << ly);
  NPDE_REQUIRE(index < (std::uint64_t{1} << 56), "sample index " << index << " >= 2^56");
}

// Coefficient of signed mode (kx, ky) of an Hermitian spectrum on an nx x ny grid. Modes k and -k
// share one draw keyed by the lexicographically larger of the two, so the spectrum is exactly
// Hermitian whichever half FFTW reads; self-conjugate modes (k == -k on the grid) are real.
std::complex<double> coefficient(const RandomFieldParams& p, double sigma2, std::uint64_t stream, int kx, int ky,
                                 int nx, int ny, double lx, double ly) {
  if (kx == 0 && ky == 0) return 0.0;
  const int mx = wrap(-kx, nx), my = wrap(-ky, ny);
  const bool self_conjugate = mx == kx && my == ky;
  const bool canonical = kx > mx || (kx == mx && ky >= my);
  const int cx = canonical ? kx : mx, cy = canonical ? ky : my;
  const std::uint64_t code = (zigzag(cx) << 31) | zigzag(cy);
  const double k2 = (cx / lx) * (cx / lx) + (cy / ly) * (cy / ly);
  const double amplitude = std::sqrt(sigma2 * std::pow(two_pi * two_pi * k2 + p.tau * p.tau, -p.alpha) / (lx * ly));
  const double a = rng::normal(p.seed, stream, 2 * code);
  if (self_conjugate) return amplitude * a;
  const double b = rng::normal(p.seed, stream, 2 * code + 1);
  const std::complex<double> z = amplitude * std::complex<double>(a, b) / std::sqrt(2.0);
  return canonical ? z : std::conj(z);
}

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};

}  // namespace

double effective_sigma(const RandomFieldParams& p) {
  return p.sigma > 0 ? p.sigma : std::pow(p.tau, p.alpha - 1.0);
}

double random_field_mode_variance(const RandomFieldParams& p, int kx, int ky, double lx, double ly) {
  if (kx == 0 && ky == 0) return 0.0;
  const double s = effective_sigma(p);
  const double k2 = (kx / lx) * (kx / lx) + (ky / ly) * (ky / ly);
  return s * s * std::pow(two_pi * two_pi * k2 + p.tau * p.tau, -p.alpha) / (lx * ly);
}

double random_field_grid_variance(const RandomFieldParams& p, int nx, int ny, double lx, double ly) {
  validate(p, 0, nx, ny, lx, ly);
  double sum = 0;
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) sum += random_field_mode_variance(p, wrap(i, nx), wrap(j, ny), lx, ly);
  return sum;
}

std::vector<double> sample_random_field(const RandomFieldParams& p, std::uint64_t index, int nx, int ny, double lx,
                                        double ly) {
  validate(p, index, nx, ny, lx, ly);
  const int nxh = nx / 2 + 1;
  const std::size_t n_points = static_cast<std::size_t>(nx) * ny;
  // fftw_malloc'd buffers: FFTW_ESTIMATE then picks the same plan, hence the same bits, every time.
  std::unique_ptr<fftw_complex[], FftwFree> spectrum(
      static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * static_cast<std::size_t>(nxh) * ny)));
  std::unique_ptr<double[], FftwFree> field(static_cast<double*>(fftw_malloc(sizeof(double) * n_points)));
  NPDE_REQUIRE(spectrum && field, "fftw_malloc failed for a " << nx << " x " << ny << " grid");

  const double sigma = effective_sigma(p);
  const std::uint64_t stream = (index << 8) | stream_tag;
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nxh; ++i) {
      const std::complex<double> c = coefficient(p, sigma * sigma, stream, wrap(i, nx), wrap(j, ny), nx, ny, lx, ly);
      spectrum[static_cast<std::size_t>(j) * nxh + i][0] = c.real();
      spectrum[static_cast<std::size_t>(j) * nxh + i][1] = c.imag();
    }
  // The unnormalised backward transform is exactly sum_k c_k exp(+2 pi i k.x) at the grid points.
  fftw_plan plan = fftw_plan_dft_c2r_2d(ny, nx, spectrum.get(), field.get(), FFTW_ESTIMATE);
  NPDE_REQUIRE(plan != nullptr, "FFTW could not plan a " << nx << " x " << ny << " c2r transform");
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  return std::vector<double>(field.get(), field.get() + n_points);
}

std::vector<double> sample_random_field_closed(const RandomFieldParams& p, std::uint64_t index, int nx, int ny,
                                               double lx, double ly) {
  NPDE_REQUIRE(nx >= 3 && ny >= 3, "closed grid " << nx << " x " << ny << ", need >= 3 points per axis");
  const int px = nx - 1, py = ny - 1;
  const std::vector<double> periodic = sample_random_field(p, index, px, py, lx, ly);
  std::vector<double> values(static_cast<std::size_t>(nx) * ny);
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i)
      values[static_cast<std::size_t>(j) * nx + i] = periodic[static_cast<std::size_t>(j % py) * px + (i % px)];
  return values;
}

std::vector<double> threshold_field(const RandomFieldParams& p, const std::vector<double>& field) {
  std::vector<double> a(field.size());
  for (std::size_t l = 0; l < field.size(); ++l) a[l] = field[l] >= p.threshold ? p.above : p.below;
  return a;
}

}  // namespace npde::reference
