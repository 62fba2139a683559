// SPDX-License-Identifier: BSD-3-Clause
// 2D spectral convolution with dense, CP or Tucker complex weights (the kernel of a (tensorized)
// Fourier neural operator layer), forward and reverse pass (docs/numerics.md, "Fourier neural
// operators").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/fno/fft.hpp"

namespace npde::fno {

/// How the spectral weight tensor W[i, o, r, c] (cin x cout x kept rows x kept columns, complex) is
/// stored: in full, or factorised (TFNO). rank: neuraloperator's meaning, the fraction of the dense
/// parameter count the factors may hold (CP: R = round(rank prod I / sum I); Tucker: ranks
/// round(s I_k) with s chosen so that core + factors is about rank x dense); or `ranks` explicitly
/// (CP: {R}; Tucker: {R_in, R_out, R_rows, R_columns}).
struct SpectralWeights {
  enum class Kind { Dense, CP, Tucker };
  Kind kind = Kind::Dense;
  double rank = 1.0;
  std::vector<int> ranks;
  /// Factorised weights only: contract with the dense tensor rebuilt from the factors at every call
  /// (the comparison implementation), instead of factor by factor.
  bool reconstructed = false;
};
/// "dense" | "cp" | "tucker" -> Kind; throws InputError naming `what` otherwise.
SpectralWeights::Kind spectral_weights_from_name(const std::string& name, const std::string& what);

/// y = irfft2(P_M(W . rfft2(x) / N)), N = nx ny: the spectrum of each input channel with the forward
/// normalisation (1/N on the forward transform, neuraloperator's norm = "forward"), multiplied mode by
/// mode by a complex cin x cout matrix on the kept modes M and zero elsewhere, transformed back as
/// irfft2 does (Fft2d::inverse). Kept modes (neuraloperator's convention): kx in [-mx/2, mx/2 - 1]
/// (rows kx and nx + kx), ky in [0, my/2] (my/2 + 1 columns); kept mode m = r (my/2 + 1) + c with r
/// the kept row (kx = r for r < mx/2, else r - mx).
/// Layouts: x (batch, cin, nx, ny), y (batch, cout, nx, ny), y fastest. Parameters are complex
/// numbers stored as (re, im) pairs of reals: dense W (i, o, m) at (i cout + o) M + m; CP lambda (R),
/// then factors A (cin x R), B (cout x R), Cr (mx x R), Cc (my/2+1 x R), row-major; Tucker the core
/// G (R_in x R_out x R_rows x R_columns), then U_in (cin x R_in), U_out, U_rows, U_columns.
template <class T>
class SpectralConv2d {
 public:
  SpectralConv2d(int cin, int cout, int modes_x, int modes_y, const SpectralWeights& weights = {});

  int in_channels() const { return m_cin; }
  int out_channels() const { return m_cout; }
  int kept_rows() const { return m_mx; }
  int kept_columns() const { return m_my / 2 + 1; }
  SpectralWeights::Kind kind() const { return m_kind; }
  /// CP: {R}; Tucker: {R_in, R_out, R_rows, R_columns}; dense: empty.
  const std::vector<int>& ranks() const { return m_ranks; }
  /// Real parameters stored (2 per complex number).
  std::size_t n_params() const;
  /// Real parameters of the dense tensor: 2 cin cout mx (my/2 + 1).
  std::size_t n_dense_params() const;
  /// Weights with E|W|^2 = 2 / (cin + cout) for every entry of the (reconstructed) tensor,
  /// neuraloperator's initialisation: dense complex normal; factors complex normal scaled so that the
  /// product has that variance. Counter-based generator at (seed, stream, entry).
  void init(T* params, std::uint64_t seed, std::uint64_t stream) const;
  /// The dense tensor of the parameters (n_dense_params() reals), for comparison and tests.
  void reconstruct(const T* params, T* dense) const;

  /// y from x for `batch` samples on an nx x ny grid (nx >= mx, ny/2 >= my/2); keeps what
  /// backward() needs. The factorised contraction never builds the dense tensor.
  void forward(const T* params, const T* x, int batch, int nx, int ny, T* y);
  /// From the adjoint ybar of the last forward()'s output: ADDS the parameters' gradient to grad and,
  /// when xbar is not null, WRITES the adjoint of its input (ADDS it with `accumulate`: the caller's
  /// other paths' share already there, no pass of its own).
  void backward(const T* params, const T* ybar, T* xbar, T* grad, bool accumulate = false);

 private:
  int m_cin, m_cout, m_mx, m_my;
  SpectralWeights::Kind m_kind;
  bool m_reconstructed;
  std::vector<int> m_ranks;
  int m_batch = 0, m_nx = 0, m_ny = 0;
  void zero_kept_columns(int fields);  ///< zeroes the kept columns of the first `fields` spectra
  std::unique_ptr<Fft2d<T>> m_fft_in, m_fft_out;
  View1<Complex<T>> m_spec;        ///< a full half spectrum (batch x max(cin, cout) fields)
  View1<Complex<T>> m_xk, m_yk;    ///< kept modes, mode-major: (M, batch, cin) and (M, batch, cout)
  View1<Complex<T>> m_t1, m_t2, m_k;  ///< the factorised contraction's intermediates (kept for backward)
  View1<Complex<T>> m_xkb, m_s1, m_s2, m_s3;  ///< the reverse pass's scratch
  View1<Complex<T>> m_wd, m_wg;               ///< reconstructed: the dense tensor and its gradient
  void shape(int batch, int nx, int ny);
  void contract_forward(const Complex<T>* p);
  void contract_backward(const Complex<T>* p, Complex<T>* g, Complex<T>* xkbar);
  void backward_reconstructed(const Complex<T>* p, Complex<T>* g, Complex<T>* xkbar);
};

}  // namespace npde::fno
