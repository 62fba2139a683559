// SPDX-License-Identifier: BSD-3-Clause
// The FFT interface of the spectral layers: batched 2D transforms between real fields and their half
// spectra, in the two directions a spectral convolution and its reverse pass need (docs/numerics.md,
// "Fourier neural operators"). FFTW on host memory; a device FFT (cuFFT, hipFFT) can implement the
// same class.
#pragma once

#include <Kokkos_Complex.hpp>
#include <memory>
#include <vector>

namespace npde::fno {

template <class T>
using Complex = Kokkos::complex<T>;

/// Batched 2D transforms of `batch` real fields of nx x ny values (element (b, i, j) at
/// (b nx + i) ny + j, y fastest) and their half spectra of nx x nyh complex values, nyh = ny/2 + 1:
/// ky in [0, ny/2] is the column, kx >= 0 is row kx and kx < 0 row nx + kx. Plans are made once, at
/// construction (FFTW_ESTIMATE: the same algorithm, hence the same rounding, in every run), and their
/// scratch is reused by every call. A 2D transform is the real transforms along y, then complex ones
/// along x for the first `kept_columns` columns only (ky < kept_columns; 0: all ny/2 + 1): what a
/// spectral layer that keeps only the low ky needs, at a fraction of the x pass. SIMD-aligned plans
/// serve arrays aligned as FFTW's (Kokkos allocations are), unaligned ones any other array. Not
/// thread-safe (one per rank and shape).
///
/// With few kept columns the transforms along y are pruned DFTs instead: one GEMM of all rows
/// (batch nx x ny) against the ny x 2 kept real matrix of cos/sin values for the forward transform,
/// and against its 2 kept x ny counterpart (with the weights c_ky) for the inverse; FFTW computes all
/// ny/2 + 1 columns, the GEMM only the kept ones. `YTransform::automatic` takes the GEMM when
/// kept_columns <= 2.5 log2(ny) (there its 4 ny kept flops per row, at BLAS speed, beat the FFT's
/// nominal 2.5 ny log2 ny: measured 1.7x faster on 64-point rows keeping 9 columns).
enum class YTransform { automatic, fft, dft_gemm };

template <class T>
class Fft2d {
 public:
  Fft2d(int batch, int nx, int ny, int kept_columns = 0, YTransform y = YTransform::automatic);
  ~Fft2d();
  Fft2d(const Fft2d&) = delete;
  Fft2d& operator=(const Fft2d&) = delete;
  Fft2d(Fft2d&&) noexcept;
  Fft2d& operator=(Fft2d&&) noexcept;

  int batch() const { return m_batch; }
  int nx() const { return m_nx; }
  int ny() const { return m_ny; }
  int nyh() const { return m_ny / 2 + 1; }
  int kept_columns() const { return m_kept; }
  /// Whether the transforms along y are the pruned GEMMs (else FFTW's real transforms).
  bool y_by_gemm() const { return m_y_gemm; }

  /// X = rfft2(x), unnormalised: X_k = sum_n x_n exp(-2 pi i (kx i / nx + ky j / ny)), on the kept
  /// columns ky < kept_columns() (the other columns of X are left holding intermediate values). x is kept.
  void forward(const T* x, Complex<T>* X);
  /// x = the real inverse of a half spectrum as irfft2 defines it, unnormalised: a complex inverse
  /// transform along x, the imaginary parts of the columns ky = 0 and (ny even) ky = ny/2 dropped,
  /// then the real inverse along y. Equivalently x_n = sum_k c_ky Re(X_k exp(+2 pi i k.n / N)) with
  /// c = 1 on those two columns and 2 on the others. Reads the kept columns of X only (the others
  /// count as zero). X is kept. With `accumulate`, x += that instead (the pruned GEMM's beta = 1: no
  /// pass of its own; FFTW's path transforms into a scratch field and adds it).
  void inverse(const Complex<T>* X, T* x, bool accumulate = false);

 private:
  struct Plans;
  int m_batch = 0, m_nx = 0, m_ny = 0, m_kept = 0;
  bool m_y_gemm = false;
  std::vector<T> m_dft_forward, m_dft_inverse;  ///< the pruned y transforms' matrices (column-major)
  std::unique_ptr<Plans> m_plans;
};

}  // namespace npde::fno
