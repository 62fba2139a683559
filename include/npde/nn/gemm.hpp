// SPDX-License-Identifier: BSD-3-Clause
// Dense matrix products for the network layers: CBLAS on host memory (float and double at full
// speed), Kokkos Kernels' gemm on device memory (cuBLAS on CUDA builds).
#pragma once

#include "npde/core/types.hpp"

namespace npde::nn {

/// C = alpha * op(A) * op(B) + beta * C for contiguous column-major matrices in MemSpace:
/// op(A) is m x k, op(B) is k x n, C is m x n; leading dimensions are the row counts of the
/// stored matrices (A: m x k if !trans_a else k x m; B: k x n if !trans_b else n x k).
/// Asynchronous with respect to the host on device builds (same execution space instance).
template <class T>
void gemm(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, const T* b, T beta, T* c);

/// The same with explicit leading dimensions (the distance between columns, >= the stored matrix's
/// row count): a block of a larger column-major array, e.g. a tile of grid points of a field whose
/// channels are P apart.
template <class T>
void gemm(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta,
          T* c, int ldc);

/// y = alpha * op(A) x + beta * y for a column-major A of m rows and n columns (leading dimension
/// lda >= m) and contiguous x, y: op(A) = A (y has m entries) or A^T (n entries). The per-channel
/// sums of the reverse passes (A against a vector of ones): BLAS's GEMV reads A once, where a GEMM
/// with one column packs all of A first (measured: 0.7 against 4.5 us for a 512 x 32 tile).
template <class T>
void gemv(bool trans, int m, int n, T alpha, const T* a, int lda, const T* x, T beta, T* y);

/// Name of the BLAS core in use on the host ("SkylakeX", "Prescott", ...) or "n/a".
std::string blas_core_name();
/// Forces single-threaded host BLAS (one BLAS thread per MPI rank).
void blas_set_single_thread();

}  // namespace npde::nn
