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

/// Name of the BLAS core in use on the host ("SkylakeX", "Prescott", ...) or "n/a".
std::string blas_core_name();
/// Forces single-threaded host BLAS (one BLAS thread per MPI rank).
void blas_set_single_thread();

}  // namespace npde::nn
