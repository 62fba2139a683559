// SPDX-License-Identifier: BSD-3-Clause
// GEMM dispatch: CBLAS for host memory, Kokkos Kernels for device memory.
#include "npde/nn/gemm.hpp"

#include <algorithm>

#include "npde/core/config.hpp"
#include "npde/core/error.hpp"

#if NPDE_HAVE_CBLAS
#include <cblas.h>
extern "C" {
char* openblas_get_corename(void);
void openblas_set_num_threads(int);
}
#endif
#if NPDE_HAVE_KOKKOSKERNELS
#include <KokkosBlas2_gemv.hpp>
#include <KokkosBlas3_gemm.hpp>
#endif

namespace npde::nn {

namespace {
#if NPDE_HAVE_KOKKOSKERNELS
template <class T>
void gemm_kokkos(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, const T* b, T beta, T* c) {
  const int ar = ta ? k : m, ac = ta ? m : k;
  const int br = tb ? n : k, bc = tb ? k : n;
  UView2<const T> av(a, ar, ac), bv(b, br, bc);
  UView2<T> cv(c, m, n);
  KokkosBlas::gemm(ta ? "T" : "N", tb ? "T" : "N", alpha, av, bv, beta, cv);
}

template <class T>
using SView2 = Kokkos::View<T**, Kokkos::LayoutStride, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

template <class T>
void gemm_kokkos(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c,
                 int ldc) {
  const int ar = ta ? k : m, ac = ta ? m : k;
  const int br = tb ? n : k, bc = tb ? k : n;
  SView2<const T> av(a, Kokkos::LayoutStride(ar, 1, ac, lda)), bv(b, Kokkos::LayoutStride(br, 1, bc, ldb));
  SView2<T> cv(c, Kokkos::LayoutStride(m, 1, n, ldc));
  KokkosBlas::gemm(ta ? "T" : "N", tb ? "T" : "N", alpha, av, bv, beta, cv);
}
#endif
}  // namespace

template <class T>
void gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c,
          int ldc) {
  if (m == 0 || n == 0) return;
  NPDE_REQUIRE(lda >= (ta ? k : m) && ldb >= (tb ? n : k) && ldc >= m && lda >= 1 && ldb >= 1 && ldc >= 1,
               "gemm: leading dimensions " << lda << ", " << ldb << ", " << ldc << " below the matrices' row counts");
#if NPDE_HAVE_CBLAS
  if constexpr (device_is_host) {
    const auto opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, double>)
      cblas_dgemm(CblasColMajor, opa, opb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
      cblas_sgemm(CblasColMajor, opa, opb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
#if NPDE_HAVE_KOKKOSKERNELS
  if (lda == (ta ? k : m) && ldb == (tb ? n : k) && ldc == m)
    gemm_kokkos(ta, tb, m, n, k, alpha, a, b, beta, c);
  else
    gemm_kokkos(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
  NPDE_REQUIRE(false, "no GEMM backend for this memory space");
#endif
}

template <class T>
void gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, const T* b, T beta, T* c) {
  gemm(ta, tb, m, n, k, alpha, a, std::max(ta ? k : m, 1), b, std::max(tb ? n : k, 1), beta, c, std::max(m, 1));
}

template <class T>
void gemv(bool trans, int m, int n, T alpha, const T* a, int lda, const T* x, T beta, T* y) {
  if (m == 0 || n == 0) return;
  NPDE_REQUIRE(lda >= m && lda >= 1, "gemv: leading dimension " << lda << " below the matrix's " << m << " rows");
#if NPDE_HAVE_CBLAS
  if constexpr (device_is_host) {
    const auto op = trans ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, double>)
      cblas_dgemv(CblasColMajor, op, m, n, alpha, a, lda, x, 1, beta, y, 1);
    else
      cblas_sgemv(CblasColMajor, op, m, n, alpha, a, lda, x, 1, beta, y, 1);
    return;
  }
#endif
#if NPDE_HAVE_KOKKOSKERNELS
  SView2<const T> av(a, Kokkos::LayoutStride(m, 1, n, lda));
  UView1<const T> xv(x, trans ? m : n);
  UView1<T> yv(y, trans ? n : m);
  KokkosBlas::gemv(trans ? "T" : "N", alpha, av, xv, beta, yv);
#else
  NPDE_REQUIRE(false, "no GEMV backend for this memory space");
#endif
}

template void gemv<double>(bool, int, int, double, const double*, int, const double*, double, double*);
template void gemv<float>(bool, int, int, float, const float*, int, const float*, float, float*);

template void gemm<double>(bool, bool, int, int, int, double, const double*, const double*, double, double*);
template void gemm<float>(bool, bool, int, int, int, float, const float*, const float*, float, float*);
template void gemm<double>(bool, bool, int, int, int, double, const double*, int, const double*, int, double, double*,
                           int);
template void gemm<float>(bool, bool, int, int, int, float, const float*, int, const float*, int, float, float*, int);

std::string blas_core_name() {
#if NPDE_HAVE_CBLAS
  const char* name = openblas_get_corename();
  return name ? std::string(name) : std::string("unknown");
#else
  return "n/a";
#endif
}

void blas_set_single_thread() {
#if NPDE_HAVE_CBLAS
  openblas_set_num_threads(1);
#endif
}

}  // namespace npde::nn
