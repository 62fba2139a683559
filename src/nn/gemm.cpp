// SPDX-License-Identifier: BSD-3-Clause
// GEMM dispatch: CBLAS for host memory, Kokkos Kernels for device memory.
#include "npde/nn/gemm.hpp"

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
#endif
}  // namespace

template <class T>
void gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
#if NPDE_HAVE_CBLAS
  if constexpr (device_is_host) {
    const int lda = ta ? k : m, ldb = tb ? n : k;
    const auto opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, double>)
      cblas_dgemm(CblasColMajor, opa, opb, m, n, k, alpha, a, lda, b, ldb, beta, c, m);
    else
      cblas_sgemm(CblasColMajor, opa, opb, m, n, k, alpha, a, lda, b, ldb, beta, c, m);
    return;
  }
#endif
#if NPDE_HAVE_KOKKOSKERNELS
  gemm_kokkos(ta, tb, m, n, k, alpha, a, b, beta, c);
#else
  NPDE_REQUIRE(false, "no GEMM backend for this memory space");
#endif
}

template void gemm<double>(bool, bool, int, int, int, double, const double*, const double*, double, double*);
template void gemm<float>(bool, bool, int, int, int, float, const float*, const float*, float, float*);

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
