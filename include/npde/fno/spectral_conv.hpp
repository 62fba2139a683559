// SPDX-License-Identifier: BSD-3-Clause
// 2D spectral convolution with dense complex weights (the kernel of a Fourier neural operator
// layer), forward and reverse pass (docs/numerics.md, "Fourier neural operators").
#pragma once

#include <cstdint>
#include <memory>

#include "npde/core/types.hpp"
#include "npde/fno/fft.hpp"

namespace npde::fno {

/// y = irfft2(P_M(W . rfft2(x) / N)), N = nx ny: the spectrum of each input channel with the forward
/// normalisation (1/N on the forward transform, neuraloperator's norm = "forward"), multiplied mode by
/// mode by a complex cin x cout matrix on the kept modes M and zero elsewhere, transformed back as
/// irfft2 does (Fft2d::inverse). Kept modes (neuraloperator's convention): kx in [-mx/2, mx/2 - 1]
/// (rows kx and nx + kx), ky in [0, my/2] (my/2 + 1 columns).
/// Layouts: x (batch, cin, nx, ny), y (batch, cout, nx, ny), y fastest; the weights are
/// (cin, cout, mx, my/2 + 1) complex numbers stored as (re, im) pairs of reals, weight (i, o, r, c)
/// at ((i cout + o) mx + r)(my/2 + 1) + c, r the kept row (kx = r for r < mx/2, else r - mx).
template <class T>
class SpectralConv2d {
 public:
  SpectralConv2d(int cin, int cout, int modes_x, int modes_y);

  int in_channels() const { return m_cin; }
  int out_channels() const { return m_cout; }
  int kept_rows() const { return m_mx; }
  int kept_columns() const { return m_my / 2 + 1; }
  /// Real parameters: 2 cin cout mx (my/2 + 1).
  std::size_t n_params() const;
  /// Complex normal entries of standard deviation sqrt(2 / (cin + cout)) (real and imaginary parts
  /// each of variance 1/(cin + cout)), from the counter-based generator at (seed, stream, entry).
  void init(T* params, std::uint64_t seed, std::uint64_t stream) const;

  /// y from x for `batch` samples on an nx x ny grid (nx >= mx, ny/2 >= my/2); keeps the input's
  /// spectrum for backward().
  void forward(const T* weights, const T* x, int batch, int nx, int ny, T* y);
  /// From the adjoint ybar of the last forward()'s output: ADDS the weights' gradient to grad and,
  /// when xbar is not null, WRITES the adjoint of its input.
  void backward(const T* weights, const T* ybar, T* xbar, T* grad);

 private:
  int m_cin, m_cout, m_mx, m_my;
  int m_batch = 0, m_nx = 0, m_ny = 0;
  std::unique_ptr<Fft2d<T>> m_fft_in, m_fft_out;
  View1<Complex<T>> m_X, m_Y;  ///< input and output spectra (the input's kept for backward)
  void shape(int batch, int nx, int ny);
};

}  // namespace npde::fno
