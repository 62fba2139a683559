// SPDX-License-Identifier: BSD-3-Clause
// SpectralConv2d: dense, CP and Tucker weights; forward, reverse pass, initialisation, reconstruction.
#include "npde/fno/spectral_conv.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <cblas.h>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"

namespace npde::fno {

SpectralWeights::Kind spectral_weights_from_name(const std::string& name, const std::string& what) {
  if (name == "dense") return SpectralWeights::Kind::Dense;
  if (name == "cp") return SpectralWeights::Kind::CP;
  if (name == "tucker") return SpectralWeights::Kind::Tucker;
  NPDE_INPUT_ERROR(what << ": unknown factorisation '" << name << "' (dense, cp, tucker)");
}

namespace {

/// One operand of a mode-wise contraction: element (u, v, m) at p[u s0 + v s1 + m s2] (stride 0: the
/// operand does not depend on that index), conjugated if `conj`.
template <class T>
struct Operand {
  const Complex<T>* p;
  long s0, s1, s2;
  bool conj = false;
};

/// Row-major complex GEMM, C = op(A) op(B) (or C += ...): op(A) m x k, op(B) k x n, C m x n.
inline void cgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const Complex<double>* A, int lda,
                  const Complex<double>* B, int ldb, Complex<double>* C, int ldc, bool add) {
  const Complex<double> one(1), beta(add ? 1 : 0);
  cblas_zgemm(CblasRowMajor, ta, tb, m, n, k, &one, A, lda, B, ldb, &beta, C, ldc);
}
inline void cgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const Complex<float>* A, int lda,
                  const Complex<float>* B, int ldb, Complex<float>* C, int ldc, bool add) {
  const Complex<float> one(1), beta(add ? 1 : 0);
  cblas_cgemm(CblasRowMajor, ta, tb, m, n, k, &one, A, lda, B, ldb, &beta, C, ldc);
}
template <class T>
void cgemm(int m, int n, int k, const Complex<T>* A, const Complex<T>* B, Complex<T>* C, bool add) {
  cgemm(CblasNoTrans, CblasNoTrans, m, n, k, A, k, B, n, C, n, add);
}

/// How a GEMM reads a rows x cols matrix whose element (r, c) lies at r sr + c sc (conjugated if
/// `conj`) where it is: as stored (row-major, leading dimension sr), or as the transpose or conjugate
/// transpose of the cols x rows matrix stored with leading dimension sc. `ok` false: it must be packed.
struct InPlace {
  bool ok = false;
  CBLAS_TRANSPOSE t = CblasNoTrans;
  int ld = 0;
};
inline InPlace in_place(long sr, long sc, long rows, long cols, bool conj) {
  if (!conj && sc == 1 && sr >= std::max(1L, cols)) return {true, CblasNoTrans, int(sr)};
  if (sr == 1 && sc >= std::max(1L, rows)) return {true, conj ? CblasConjTrans : CblasTrans, int(sc)};
  return {};
}

/// The contractions' packed operands, grown to the largest contraction once and then reused.
template <class T>
struct PackScratch {
  std::vector<Complex<T>> a, b, c;  ///< contract()'s packed operands and product
  std::vector<Complex<T>> t1, t2;   ///< the Tucker helpers' intermediates
  static PackScratch& get() {
    static PackScratch s;
    return s;
  }
  static Complex<T>* sized(std::vector<Complex<T>>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }
};

/// out[(i2 d1 + i1) d0 + i0] = op(o.p[i2 t2 + i1 t1 + i0 t0]): an operand packed in the order
/// (i2, i1, i0), t the source strides of those indices. A row of d0 elements per iteration (one
/// division per row, not three per element).
template <class T>
void pack(const char* label, const Operand<T>& o, long d2, long d1, long d0, long t2, long t1, long t0, Complex<T>* out) {
  const Complex<T>* p = o.p;
  const bool conj = o.conj;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, d2 * d1), KOKKOS_LAMBDA(const long r) {
    const Complex<T>* src = p + (r / d1) * t2 + (r % d1) * t1;
    Complex<T>* dst = out + r * d0;
    if (conj)
      for (long i = 0; i < d0; ++i) dst[i] = Kokkos::conj(src[i * t0]);
    else
      for (long i = 0; i < d0; ++i) dst[i] = src[i * t0];
  });
}

/// C[i2 t2 + i1 t1 + i0 t0] (+)= c[(i2 d1 + i1) d0 + i0]: a packed product scattered (or added) into
/// its strided destination, a row of d0 elements per iteration.
template <class T>
void unpack(const char* label, const Complex<T>* c, long d2, long d1, long d0, long t2, long t1, long t0, Complex<T>* C,
            bool add) {
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, d2 * d1), KOKKOS_LAMBDA(const long r) {
    Complex<T>* dst = C + (r / d1) * t2 + (r % d1) * t1;
    const Complex<T>* src = c + r * d0;
    if (add)
      for (long i = 0; i < d0; ++i) dst[i * t0] += src[i];
    else
      for (long i = 0; i < d0; ++i) dst[i * t0] = src[i];
  });
}

/// How a contraction runs in one orientation: which operands its GEMMs read in place, whether the
/// product goes straight into C (row-major C), and the elements it moves besides its GEMMs (the
/// operands it packs, the product it scatters).
struct ContractionLayout {
  InPlace a, b;
  bool direct = false;
  long traffic = 0;
};
template <class T>
ContractionLayout contraction_layout(long n0, long n1, long nz, long nm, bool sum_m, const Operand<T>& A,
                                     const Operand<T>& B, long c0, long c1) {
  ContractionLayout l;
  const long K = sum_m ? nm * nz : nz;  // with sum_m, one GEMM whose inner index is k = (m, z)
  l.a = in_place(A.s0, A.s1, n0, K, A.conj);
  l.b = in_place(B.s0, B.s1, K, n1, B.conj);
  if (sum_m && nm > 1 && A.s2 != nz * A.s1) l.a.ok = false;  // in place needs one stride for k
  if (sum_m && nm > 1 && B.s2 != nz * B.s0) l.b.ok = false;
  l.direct = c1 == 1 && c0 >= std::max(1L, n1);
  const long ma = sum_m || A.s2 == 0 ? 1 : nm, mb = sum_m || B.s2 == 0 ? 1 : nm, mc = sum_m ? 1 : nm;
  l.traffic = (l.a.ok ? 0 : ma * n0 * K) + (l.b.ok ? 0 : mb * K * n1) + (l.direct ? 0 : 2 * mc * n0 * n1);
  return l;
}

/// contract() in the orientation given, with that orientation's layout: C = A B per mode (or summed
/// over the modes). An operand a GEMM can read where it lies (in_place: row-major, or transposed, or
/// conjugate-transposed) is used there, any other is packed into a contiguous [m][x][z] or [m][z][y] matrix; a row-major C receives
/// the product directly (beta = 1 when adding), any other C through a scratch product and a scatter.
template <class T>
void contract_as_stored(const char* label, int n0, int n1, int nz, int nm, bool sum_m, const Operand<T>& A,
                        const Operand<T>& B, Complex<T>* C, long c0, long c1, long c2, bool add,
                        const ContractionLayout& layout) {
  auto& s = PackScratch<T>::get();
  const long N0 = n0, N1 = n1, NZ = nz, NM = nm;
  const long K = sum_m ? NM * NZ : NZ, MA = sum_m || A.s2 == 0 ? 1 : NM, MB = sum_m || B.s2 == 0 ? 1 : NM;
  InPlace la = layout.a, lb = layout.b;
  const Complex<T>*a = A.p, *b = B.p;
  long as = sum_m ? 0 : A.s2, bs = sum_m ? 0 : B.s2;
  if (!la.ok) {  // [m][x][z] (with sum_m: [x][m][z], the rows of one GEMM over k = (m, z))
    Complex<T>* ap = PackScratch<T>::sized(s.a, std::size_t(MA * N0 * K));
    if (sum_m)
      pack(label, A, N0, NM, NZ, A.s0, A.s2, A.s1, ap);  // (u, m, v)
    else
      pack(label, A, MA, N0, NZ, A.s2, A.s0, A.s1, ap);  // (m, u, v)
    a = ap, as = MA == 1 ? 0 : N0 * NZ, la = {true, CblasNoTrans, int(K)};
  }
  if (!lb.ok) {  // [m][z][y]
    Complex<T>* bp = PackScratch<T>::sized(s.b, std::size_t(MB * K * N1));
    pack(label, B, sum_m ? NM : MB, NZ, N1, B.s2, B.s0, B.s1, bp);  // (m, u, v): with sum_m the rows k = (m, z)
    b = bp, bs = MB == 1 ? 0 : NZ * N1, lb = {true, CblasNoTrans, int(N1)};
  }
  const long MC = sum_m ? 1 : NM;
  const bool direct = layout.direct;
  Complex<T>* c = direct ? C : PackScratch<T>::sized(s.c, std::size_t(MC * N0 * N1));
  const long cs = direct ? c2 : N0 * N1;
  const int ldc = direct ? int(c0) : n1;
  const bool beta = direct && add;
  if (sum_m) {
    cgemm(la.t, lb.t, n0, n1, int(K), a, la.ld, b, lb.ld, c, ldc, beta);
  } else if (bs == 0 && la.t == CblasNoTrans && as == N0 * la.ld && cs == N0 * ldc) {
    cgemm(la.t, lb.t, int(NM * N0), n1, nz, a, la.ld, b, lb.ld, c, ldc, beta);  // B shared: the modes stack
  } else {
    for (long m = 0; m < NM; ++m) cgemm(la.t, lb.t, n0, n1, nz, a + m * as, la.ld, b + m * bs, lb.ld, c + m * cs, ldc, beta);
  }
  if (direct) return;
  unpack(label, c, MC, N0, N1, c2, c0, c1, C, add);  // c in (m, x, y) order
}

/// C(x, y, m) = [C +] sum_z A(x, z, m) B(z, y, m) for every kept mode m; with sum_m the modes are
/// summed too and C(x, y) has no mode index. The products run as complex GEMMs: one GEMM when the
/// modes are summed (z and m together form the inner dimension) or when B is the same for every mode
/// (its stride over m is 0: the modes stack onto the rows), else one GEMM per mode. Operands stored
/// as a GEMM takes them (transposed or conjugate-transposed included) are read in place, the others
/// packed; of C = A B and C^T = B^T A^T the orientation that packs and scatters fewer elements runs.
/// BLAS on one thread runs a fixed order, so the result is the same in every run.
template <class T>
void contract(const char* label, int n0, int n1, int nz, int nm, bool sum_m, Operand<T> A, Operand<T> B, Complex<T>* C,
              long c0, long c1, long c2, bool add) {
  auto& s = PackScratch<T>::get();
  const long N0 = n0, N1 = n1, NZ = nz, NM = nm;
  if (!sum_m && A.s2 == 0 && B.s2 != 0) {
    // A shared: A'[x][z] . B'[z][m][y] (nz x nm n1) = C'[x][m][y], one GEMM (the weights-only
    // contractions of the Tucker core: many small modes)
    Complex<T>* a = PackScratch<T>::sized(s.a, std::size_t(N0 * NZ));
    Complex<T>* b = PackScratch<T>::sized(s.b, std::size_t(NZ * NM * N1));
    pack(label, A, 1, N0, NZ, 0, A.s0, A.s1, a);        // (u, v)
    pack(label, B, NZ, NM, N1, B.s0, B.s2, B.s1, b);    // (u, m, v)
    Complex<T>* c = PackScratch<T>::sized(s.c, std::size_t(N0 * NM * N1));
    cgemm(n0, nm * n1, nz, a, b, c, false);
    unpack(label, c, N0, NM, N1, c0, c2, c1, C, add);  // c in (x, m, y) order
    return;
  }
  // C^T = B^T A^T: A' (y, z, m) = B(z, y, m), B' (z, x, m) = A(x, z, m); a shared B stays B (its
  // modes stack only as the right operand)
  const ContractionLayout as_given = contraction_layout(N0, N1, NZ, NM, sum_m, A, B, c0, c1);
  if (sum_m || (A.s2 != 0 && B.s2 != 0)) {
    const Operand<T> At{B.p, B.s1, B.s0, B.s2, B.conj}, Bt{A.p, A.s1, A.s0, A.s2, A.conj};
    const ContractionLayout transposed = contraction_layout(N1, N0, NZ, NM, sum_m, At, Bt, c1, c0);
    if (transposed.traffic < as_given.traffic) {
      contract_as_stored(label, n1, n0, nz, nm, sum_m, At, Bt, C, c1, c0, c2, add, transposed);
      return;
    }
  }
  contract_as_stored(label, n0, n1, nz, nm, sum_m, A, B, C, c0, c1, c2, add, as_given);
}

template <class T>
Operand<T> op(const Complex<T>* p, long s0, long s1, long s2, bool conj = false) {
  return Operand<T>{p, s0, s1, s2, conj};
}

/// Tucker ranks round(s I_k) (at least 1, at most I_k) with s such that core + factors hold about
/// `fraction` of the dense count (bisection on s).
std::vector<int> tucker_ranks(const std::vector<int>& dims, double fraction) {
  const double dense = std::accumulate(dims.begin(), dims.end(), 1.0, [](double a, int b) { return a * b; });
  auto ranks_at = [&](double s) {
    std::vector<int> r;
    for (int d : dims) r.push_back(std::clamp(int(std::lround(s * d)), 1, d));
    return r;
  };
  auto count = [&](const std::vector<int>& r) {
    double core = 1, factors = 0;
    for (std::size_t k = 0; k < r.size(); ++k) core *= r[k], factors += double(dims[k]) * r[k];
    return core + factors;
  };
  double lo = 0, hi = 1;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (count(ranks_at(mid)) <= fraction * dense ? lo : hi) = mid;
  }
  return ranks_at(lo);
}

/// The CP weights' lambda and mode factors' gradients from P[q, m], the adjoint of the q-th rank-one
/// term's mode product lambda_q Cr[r, q] Cc[c, q] summed against what it multiplies.
template <class T>
void cp_mode_gradients(int R, int mx, int myh, const Complex<T>* lam, const Complex<T>* Cr, const Complex<T>* Cc,
                       const Complex<T>* Pm, Complex<T>* glam, Complex<T>* gCr, Complex<T>* gCc) {
  const int M = mx * myh;
  Kokkos::parallel_for("npde::fno::cp_grad_modes", Kokkos::RangePolicy<ExecSpace>(0, R), KOKKOS_LAMBDA(const int q) {
    Complex<T> gl(0);
    for (int m = 0; m < M; ++m) gl += Pm[long(q) * M + m] * Kokkos::conj(Cr[(m / myh) * R + q] * Cc[(m % myh) * R + q]);
    glam[q] += gl;
    for (int r = 0; r < mx; ++r) {
      Complex<T> g(0);
      for (int c = 0; c < myh; ++c) g += Pm[long(q) * M + r * myh + c] * Kokkos::conj(lam[q] * Cc[c * R + q]);
      gCr[r * R + q] += g;
    }
    for (int c = 0; c < myh; ++c) {
      Complex<T> g(0);
      for (int r = 0; r < mx; ++r) g += Pm[long(q) * M + r * myh + c] * Kokkos::conj(lam[q] * Cr[r * R + q]);
      gCc[c * R + q] += g;
    }
  });
}

/// H[pq, s, c] = sum_t G[pq, s, t] Uc[c, t] (the core's column factor applied), into `H`.
template <class T>
void tucker_columns(int R0, int R1, int R2, int R3, int myh, const Complex<T>* G, const Complex<T>* Uc, Complex<T>* H) {
  contract<T>("npde::fno::tucker_columns", R0 * R1 * R2, myh, R3, 1, false, op(G, R3, 1, 0), op(Uc, 1, R3, 0), H, myh, 1,
              0, false);
}

/// The gradients of the core and of the row and column factors from K's adjoint KB[p, q, m] (added),
/// for K[p, q, (r, c)] = sum_s Ur[r, s] sum_t G[p, q, s, t] Uc[c, t]; each step a contraction:
/// gG[pq, s, t] += sum_r conj(Ur[r, s]) Q[pq, r, t] with Q[pq, r, t] = sum_c KB[pq, r, c] conj(Uc[c, t]);
/// gUr[r, s] += sum_{pq, c} KB[pq, r, c] conj(H[pq, s, c]); gUc[c, t] += sum_{pq, r} KB[pq, r, c]
/// conj(E[pq, r, t]) with E[pq, r, t] = sum_s Ur[r, s] G[pq, s, t].
template <class T>
void tucker_mode_gradients(int R0, int R1, int R2, int R3, int mx, int myh, const Complex<T>* G, const Complex<T>* Ur,
                           const Complex<T>* Uc, const Complex<T>* KB, Complex<T>* gG, Complex<T>* gUr,
                           Complex<T>* gUc) {
  const int M = mx * myh, PQ = R0 * R1;
  auto& s = PackScratch<T>::get();
  Complex<T>* Q = PackScratch<T>::sized(s.t1, std::size_t(PQ) * mx * std::max(R3, 1));
  Complex<T>* H = PackScratch<T>::sized(s.t2, std::size_t(PQ) * std::max(R2 * myh, mx * R3));
  contract<T>("npde::fno::tucker_grad_q", PQ * mx, R3, myh, 1, false, op(KB, myh, 1, 0), op(Uc, R3, 1, 0, true), Q, R3, 1,
              0, false);
  contract<T>("npde::fno::tucker_grad_core", R2, R3, mx, PQ, false, op(Ur, 1, R2, 0, true), op<T>(Q, R3, 1, long(mx) * R3),
              gG, R3, 1, long(R2) * R3, true);
  tucker_columns(R0, R1, R2, R3, myh, G, Uc, H);
  contract<T>("npde::fno::tucker_grad_rows", mx, R2, myh, PQ, true, op(KB, myh, 1, M), op<T>(H, 1, myh, long(R2) * myh, true),
              gUr, R2, 1, 0, true);
  Complex<T>* E = H;  // H is done with
  contract<T>("npde::fno::tucker_grad_e", mx, R3, R2, PQ, false, op(Ur, R2, 1, 0), op(G, R3, 1, long(R2) * R3), E, R3, 1,
              long(mx) * R3, false);
  contract<T>("npde::fno::tucker_grad_columns", myh, R3, mx, PQ, true, op(KB, 1, myh, M),
              op<T>(E, R3, 1, long(mx) * R3, true), gUc, R3, 1, 0, true);
}

/// The Tucker core carried to the kept modes: K[p, q, m] = sum_s Ur[r, s] sum_t G[p, q, s, t] Uc[c, t],
/// as two contractions (the column factor first, then the row factor for every (p, q)).
template <class T>
void tucker_core(int R0, int R1, int R2, int R3, int mx, int myh, const Complex<T>* G, const Complex<T>* Ur,
                 const Complex<T>* Uc, Complex<T>* K) {
  const int M = mx * myh, PQ = R0 * R1;
  auto& s = PackScratch<T>::get();
  Complex<T>* H = PackScratch<T>::sized(s.t2, std::size_t(PQ) * std::max(R2 * myh, mx * R3));
  tucker_columns(R0, R1, R2, R3, myh, G, Uc, H);
  contract<T>("npde::fno::tucker_core", mx, myh, R2, PQ, false, op(Ur, R2, 1, 0), op<T>(H, myh, 1, long(R2) * myh), K, myh,
              1, M, false);
}

}  // namespace

template <class T>
SpectralConv2d<T>::SpectralConv2d(int cin, int cout, int modes_x, int modes_y, const SpectralWeights& weights)
    : m_cin(cin), m_cout(cout), m_mx(modes_x), m_my(modes_y), m_kind(weights.kind),
      m_reconstructed(weights.reconstructed && weights.kind != SpectralWeights::Kind::Dense) {
  NPDE_REQUIRE(cin >= 1 && cout >= 1, "spectral convolution of " << cin << " -> " << cout << " channels");
  NPDE_REQUIRE(modes_x >= 2 && modes_x % 2 == 0, "modes along x must be even and >= 2, got " << modes_x);
  NPDE_REQUIRE(modes_y >= 1, "modes along y must be >= 1, got " << modes_y);
  const std::vector<int> dims = {cin, cout, modes_x, modes_y / 2 + 1};
  const double dense = double(cin) * cout * modes_x * (modes_y / 2 + 1);
  if (m_kind == SpectralWeights::Kind::CP) {
    if (!weights.ranks.empty()) {
      NPDE_REQUIRE(weights.ranks.size() == 1 && weights.ranks[0] >= 1, "a CP factorisation takes one rank >= 1");
      m_ranks = weights.ranks;
    } else {
      NPDE_REQUIRE(weights.rank > 0, "factorisation rank " << weights.rank << " must be > 0");
      m_ranks = {std::max(1, int(std::lround(weights.rank * dense / double(cin + cout + modes_x + modes_y / 2 + 1))))};
    }
  } else if (m_kind == SpectralWeights::Kind::Tucker) {
    if (!weights.ranks.empty()) {
      NPDE_REQUIRE(weights.ranks.size() == 4, "a Tucker factorisation takes 4 ranks (in, out, rows, columns)");
      for (std::size_t k = 0; k < 4; ++k)
        NPDE_REQUIRE(weights.ranks[k] >= 1 && weights.ranks[k] <= dims[k],
                     "Tucker rank " << weights.ranks[k] << " outside [1, " << dims[k] << "]");
      m_ranks = weights.ranks;
    } else {
      NPDE_REQUIRE(weights.rank > 0, "factorisation rank " << weights.rank << " must be > 0");
      m_ranks = tucker_ranks(dims, weights.rank);
    }
  }
}

template <class T>
std::size_t SpectralConv2d<T>::n_dense_params() const {
  return 2 * std::size_t(m_cin) * m_cout * m_mx * std::size_t(m_my / 2 + 1);
}

template <class T>
std::size_t SpectralConv2d<T>::n_params() const {
  const std::size_t myh = std::size_t(m_my / 2 + 1), sum = std::size_t(m_cin) + m_cout + m_mx + myh;
  switch (m_kind) {
    case SpectralWeights::Kind::Dense: return n_dense_params();
    case SpectralWeights::Kind::CP: return 2 * std::size_t(m_ranks[0]) * (1 + sum);
    case SpectralWeights::Kind::Tucker: {
      const auto& r = m_ranks;
      return 2 * (std::size_t(r[0]) * r[1] * r[2] * r[3] + std::size_t(m_cin) * r[0] + std::size_t(m_cout) * r[1] +
                  std::size_t(m_mx) * r[2] + myh * r[3]);
    }
  }
  return 0;
}

template <class T>
void SpectralConv2d<T>::init(T* params, std::uint64_t seed, std::uint64_t stream) const {
  const double target = 2.0 / (m_cin + m_cout);  // E|W|^2 of every entry of the tensor
  const std::size_t n = n_params();
  auto h = Kokkos::create_mirror_view(UView1<T>(params, n));
  // complex normal of E|z|^2 = v: real and imaginary parts N(0, v/2)
  auto fill = [&](std::size_t from, std::size_t count, double v) {
    for (std::size_t i = from; i < from + count; ++i) h(i) = T(std::sqrt(v / 2) * rng::normal(seed, stream, i));
  };
  const std::size_t myh = std::size_t(m_my / 2 + 1);
  if (m_kind == SpectralWeights::Kind::Dense) {
    fill(0, n, target);
  } else if (m_kind == SpectralWeights::Kind::CP) {
    const std::size_t R = std::size_t(m_ranks[0]);
    for (std::size_t r = 0; r < R; ++r) h(2 * r) = T(1), h(2 * r + 1) = T(0);  // lambda = 1
    // W = sum of R products of four factors: each factor E|f|^2 = (target / R)^(1/4)
    fill(2 * R, n - 2 * R, std::pow(target / double(R), 0.25));
  } else {
    const auto& r = m_ranks;
    std::size_t at = 0;
    const std::size_t core = std::size_t(r[0]) * r[1] * r[2] * r[3];
    fill(at, 2 * core, target), at += 2 * core;  // E|W|^2 = E|g|^2 prod_k (R_k E|u_k|^2) = target
    const std::size_t dims[4] = {std::size_t(m_cin), std::size_t(m_cout), std::size_t(m_mx), myh};
    for (int k = 0; k < 4; ++k) {
      const std::size_t len = 2 * dims[k] * std::size_t(r[k]);
      fill(at, len, 1.0 / r[k]);
      at += len;
    }
  }
  Kokkos::deep_copy(UView1<T>(params, n), h);
}

template <class T>
void SpectralConv2d<T>::reconstruct(const T* params, T* dense) const {
  const int cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, M = mx * myh;
  const auto* P = reinterpret_cast<const Complex<T>*>(params);
  auto* W = reinterpret_cast<Complex<T>*>(dense);
  if (m_kind == SpectralWeights::Kind::Dense) {
    Kokkos::deep_copy(UView1<T>(dense, n_dense_params()), UView1<const T>(params, n_dense_params()));
    return;
  }
  if (m_kind == SpectralWeights::Kind::CP) {
    const int R = m_ranks[0];
    const Complex<T>*lam = P, *A = P + R, *B = A + long(cin) * R, *Cr = B + long(cout) * R, *Cc = Cr + long(mx) * R;
    Kokkos::parallel_for("npde::fno::SpectralConv2d::reconstruct_cp", Kokkos::RangePolicy<ExecSpace>(0, long(cin) * cout * M),
                         KOKKOS_LAMBDA(const long e) {
                           const int m = int(e % M), o = int((e / M) % cout), i = int(e / (long(M) * cout));
                           const int r = m / myh, c = m % myh;
                           Complex<T> acc(0);
                           for (int q = 0; q < R; ++q) acc += lam[q] * A[i * R + q] * B[o * R + q] * Cr[r * R + q] * Cc[c * R + q];
                           W[e] = acc;
                         });
    return;
  }
  const int R0 = m_ranks[0], R1 = m_ranks[1], R2 = m_ranks[2], R3 = m_ranks[3];
  const Complex<T>* G = P;
  const Complex<T>*Ui = G + long(R0) * R1 * R2 * R3, *Uo = Ui + long(cin) * R0, *Ur = Uo + long(cout) * R1,
                   *Uc = Ur + long(mx) * R2;
  // W[i, o, m] = sum_p Ui[i, p] V[p, o, m], V[p, o, m] = sum_q K[p, q, m] Uo[o, q]: three small
  // contractions instead of the sum over all four ranks per entry
  View1<Complex<T>> Kv("npde::fno::reconstruct::k", std::size_t(R0) * R1 * M),
      Vv("npde::fno::reconstruct::v", std::size_t(R0) * cout * M);
  tucker_core<T>(R0, R1, R2, R3, mx, myh, G, Ur, Uc, Kv.data());
  contract<T>("npde::fno::reconstruct_v", R0, cout, R1, M, false, op<T>(Kv.data(), long(R1) * M, M, 1), op(Uo, 1, R1, 0),
              Vv.data(), long(cout) * M, M, 1, false);
  contract<T>("npde::fno::reconstruct_w", cin, cout, R0, M, false, op(Ui, R0, 1, 0), op<T>(Vv.data(), long(cout) * M, M, 1),
              W, long(cout) * M, M, 1, false);
}

template <class T>
void SpectralConv2d<T>::shape(int batch, int nx, int ny) {
  NPDE_REQUIRE(nx >= m_mx && ny / 2 >= m_my / 2,
               "a " << nx << " x " << ny << " grid has fewer modes than the " << m_mx << " x " << m_my << " kept");
  if (batch == m_batch && nx == m_nx && ny == m_ny) return;
  m_batch = batch, m_nx = nx, m_ny = ny;
  // only the columns ky <= my/2 are kept: the transforms along x skip the others
  m_fft_in = std::make_unique<Fft2d<T>>(batch * m_cin, nx, ny, m_my / 2 + 1);
  m_fft_out = std::make_unique<Fft2d<T>>(batch * m_cout, nx, ny, m_my / 2 + 1);
  const std::size_t half = std::size_t(nx) * (ny / 2 + 1), M = std::size_t(m_mx) * (m_my / 2 + 1);
  const std::size_t b = std::size_t(batch);
  m_spec = View1<Complex<T>>("npde::fno::SpectralConv2d::spectrum", b * std::max(m_cin, m_cout) * half);
  m_xk = View1<Complex<T>>("npde::fno::SpectralConv2d::xk", b * m_cin * M);
  m_yk = View1<Complex<T>>("npde::fno::SpectralConv2d::yk", b * m_cout * M);
  const std::size_t r0 = m_ranks.empty() ? 0 : std::size_t(m_ranks[0]);
  const std::size_t r1 = m_ranks.size() == 4 ? std::size_t(m_ranks[1]) : r0;
  // intermediates and the reverse pass's scratch, once per shape (each written before it is read),
  // only those of the path in use
  auto scratch = [](std::size_t n) {
    return View1<Complex<T>>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::SpectralConv2d::scratch"), n);
  };
  m_xkb = scratch(b * m_cin * M);
  const bool cp = m_kind == SpectralWeights::Kind::CP, tucker = m_kind == SpectralWeights::Kind::Tucker;
  if (tucker) m_k = scratch(r0 * r1 * M);
  if (m_reconstructed) {  // the dense tensor, its gradient, and the chain rule's intermediates
    const std::size_t dense = std::size_t(m_cin) * m_cout * M;
    m_wd = scratch(dense), m_wg = scratch(dense);
    if (cp) m_s2 = scratch(r0 * M);
    if (tucker)
      m_s1 = scratch(std::max(r0 * m_cout, m_cin * r1) * M), m_s2 = scratch(r0 * m_cout * M), m_s3 = scratch(r0 * r1 * M);
  } else if (cp || tucker) {  // the factorised contraction's intermediates (kept for backward)
    m_t1 = scratch(b * r0 * M), m_t2 = scratch(b * r1 * M);
    if (cp) m_s1 = scratch(b * r0 * M), m_s2 = scratch(r0 * M);
    if (tucker) m_s1 = scratch(b * r1 * M), m_s2 = scratch(b * r0 * M), m_s3 = scratch(r0 * r1 * M);
  }
}

template <class T>
void SpectralConv2d<T>::contract_forward(const Complex<T>* P) {
  const int B = m_batch, cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, M = mx * myh;
  const Complex<T>* X = m_xk.data();
  Complex<T>* Y = m_yk.data();
  if (m_reconstructed) {  // the comparison implementation: the dense tensor first, then the dense product
    reconstruct(reinterpret_cast<const T*>(P), reinterpret_cast<T*>(m_wd.data()));
    P = m_wd.data();
  }
  if (m_kind == SpectralWeights::Kind::Dense || m_reconstructed) {  // Y[b, o, m] = sum_i X[b, i, m] W[i, o, m]
    contract<T>("npde::fno::dense", B, cout, cin, M, false, op(X, cin, 1, long(B) * cin), op(P, long(cout) * M, M, 1), Y,
                cout, 1, long(B) * cout, false);
    return;
  }
  if (m_kind == SpectralWeights::Kind::CP) {
    // T1[b, q, m] = sum_i X[b, i, m] A[i, q]; S = lambda_q Cr[r, q] Cc[c, q] T1; Y[b, o, m] = sum_q S[b, q, m] B[o, q]
    const int R = m_ranks[0];
    const Complex<T>*lam = P, *A = P + R, *Bf = A + long(cin) * R, *Cr = Bf + long(cout) * R, *Cc = Cr + long(mx) * R;
    Complex<T>*T1 = m_t1.data(), *S = m_t2.data();
    // T1 and S mode-major (m, b, q), as X and Y
    contract<T>("npde::fno::cp_in", B, R, cin, M, false, op(X, cin, 1, long(B) * cin), op(A, R, 1, 0), T1, R, 1,
                long(B) * R, false);
    Kokkos::parallel_for("npde::fno::cp_modes", Kokkos::RangePolicy<ExecSpace>(0, long(B) * R * M),
                         KOKKOS_LAMBDA(const long e) {
                           const int q = int(e % R), m = int(e / (long(B) * R));
                           S[e] = lam[q] * Cr[(m / myh) * R + q] * Cc[(m % myh) * R + q] * T1[e];
                         });
    contract<T>("npde::fno::cp_out", B, cout, R, M, false, op<T>(S, R, 1, long(B) * R), op(Bf, 1, R, 0), Y,
                cout, 1, long(B) * cout, false);
    return;
  }
  // Tucker: K[p, q, m] = sum_{s,t} G[p, q, s, t] Ur[r, s] Uc[c, t] (the core carried to the kept modes,
  // R_in x R_out per mode instead of cin x cout); T1 = X Ui; T2[b, q, m] = sum_p T1[b, p, m] K[p, q, m];
  // Y[b, o, m] = sum_q T2[b, q, m] Uo[o, q]. T1 and T2 (and their adjoints) are stored mode-major,
  // (m, b, rank) as X and Y, so every contraction but K's reads and writes them in place
  const int R0 = m_ranks[0], R1 = m_ranks[1], R2 = m_ranks[2], R3 = m_ranks[3];
  const Complex<T>* G = P;
  const Complex<T>*Ui = G + long(R0) * R1 * R2 * R3, *Uo = Ui + long(cin) * R0, *Ur = Uo + long(cout) * R1,
                   *Uc = Ur + long(mx) * R2;
  Complex<T>*K = m_k.data(), *T1 = m_t1.data(), *T2 = m_t2.data();
  tucker_core<T>(R0, R1, R2, R3, mx, myh, G, Ur, Uc, K);
  contract<T>("npde::fno::tucker_in", B, R0, cin, M, false, op(X, cin, 1, long(B) * cin), op(Ui, R0, 1, 0), T1, R0, 1,
              long(B) * R0, false);
  contract<T>("npde::fno::tucker_core_apply", B, R1, R0, M, false, op<T>(T1, R0, 1, long(B) * R0),
              op<T>(K, long(R1) * M, M, 1), T2, R1, 1, long(B) * R1, false);
  contract<T>("npde::fno::tucker_out", B, cout, R1, M, false, op<T>(T2, R1, 1, long(B) * R1), op(Uo, 1, R1, 0), Y,
              cout, 1, long(B) * cout, false);
}

template <class T>
void SpectralConv2d<T>::contract_backward(const Complex<T>* P, Complex<T>* Gr, Complex<T>* XB) {
  const int B = m_batch, cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, M = mx * myh;
  const Complex<T>* X = m_xk.data();
  const Complex<T>* YB = m_yk.data();  // the adjoint of the kept output modes
  if (m_reconstructed) {
    backward_reconstructed(P, Gr, XB);
    return;
  }
  if (m_kind == SpectralWeights::Kind::Dense) {
    // dW[i, o, m] += sum_b conj(X[b, i, m]) Ybar[b, o, m]; Xbar[b, i, m] = sum_o Ybar[b, o, m] conj(W[i, o, m])
    contract<T>("npde::fno::dense_grad", cin, cout, B, M, false, op(X, 1, cin, long(B) * cin, true),
                op(YB, cout, 1, long(B) * cout), Gr, long(cout) * M, M, 1, true);
    contract<T>("npde::fno::dense_adjoint", B, cin, cout, M, false, op(YB, cout, 1, long(B) * cout),
                op(P, M, long(cout) * M, 1, true), XB, cin, 1, long(B) * cin, false);
    return;
  }
  if (m_kind == SpectralWeights::Kind::CP) {
    const int R = m_ranks[0];
    const Complex<T>*lam = P, *A = P + R, *Bf = A + long(cin) * R, *Cr = Bf + long(cout) * R, *Cc = Cr + long(mx) * R;
    Complex<T>*glam = Gr, *gA = Gr + R, *gB = gA + long(cin) * R, *gCr = gB + long(cout) * R, *gCc = gCr + long(mx) * R;
    const Complex<T>*T1 = m_t1.data(), *S = m_t2.data();
    Complex<T>*SB = m_s1.data(), *Pm = m_s2.data();  // Sbar (B x R x M), P (R x M)
    // dB[o, q] += sum_{b,m} Ybar[b, o, m] conj(S[b, q, m]); Sbar[b, q, m] = sum_o Ybar[b, o, m] conj(B[o, q])
    contract<T>("npde::fno::cp_grad_out", cout, R, B, M, true, op(YB, 1, cout, long(B) * cout),
                op(S, R, 1, long(B) * R, true), gB, R, 1, 0, true);
    contract<T>("npde::fno::cp_sbar", B, R, cout, M, false, op(YB, cout, 1, long(B) * cout), op(Bf, R, 1, 0, true), SB, R,
                1, long(B) * R, false);
    // P[q, m] = sum_b Sbar conj(T1): the mode factors' and lambda's gradients from it
    Kokkos::parallel_for("npde::fno::cp_p", Kokkos::RangePolicy<ExecSpace>(0, long(R) * M), KOKKOS_LAMBDA(const long e) {
      const long q = e / M, m = e % M;
      Complex<T> acc(0);
      for (int b = 0; b < B; ++b) acc += SB[(m * B + b) * R + q] * Kokkos::conj(T1[(m * B + b) * R + q]);
      Pm[e] = acc;
    });
    cp_mode_gradients<T>(R, mx, myh, lam, Cr, Cc, Pm, glam, gCr, gCc);
    // T1bar = Sbar conj(lambda Cr Cc), in place
    Kokkos::parallel_for("npde::fno::cp_t1bar", Kokkos::RangePolicy<ExecSpace>(0, long(B) * R * M),
                         KOKKOS_LAMBDA(const long e) {
                           const int q = int(e % R), m = int(e / (long(B) * R));
                           SB[e] *= Kokkos::conj(lam[q] * Cr[(m / myh) * R + q] * Cc[(m % myh) * R + q]);
                         });
    // dA[i, q] += sum_{b,m} conj(X[b, i, m]) T1bar[b, q, m]; Xbar[b, i, m] = sum_q T1bar[b, q, m] conj(A[i, q])
    contract<T>("npde::fno::cp_grad_in", cin, R, B, M, true, op(X, 1, cin, long(B) * cin, true),
                op<T>(SB, R, 1, long(B) * R), gA, R, 1, 0, true);
    contract<T>("npde::fno::cp_adjoint", B, cin, R, M, false, op<T>(SB, R, 1, long(B) * R), op(A, 1, R, 0, true), XB,
                cin, 1, long(B) * cin, false);
    return;
  }
  const int R0 = m_ranks[0], R1 = m_ranks[1], R2 = m_ranks[2], R3 = m_ranks[3];
  const Complex<T>* G = P;
  const Complex<T>*Ui = G + long(R0) * R1 * R2 * R3, *Uo = Ui + long(cin) * R0, *Ur = Uo + long(cout) * R1,
                   *Uc = Ur + long(mx) * R2;
  Complex<T>*gG = Gr, *gUi = gG + long(R0) * R1 * R2 * R3, *gUo = gUi + long(cin) * R0, *gUr = gUo + long(cout) * R1,
             *gUc = gUr + long(mx) * R2;
  const Complex<T>*K = m_k.data(), *T1 = m_t1.data(), *T2 = m_t2.data();
  Complex<T>*T2B = m_s1.data(), *T1B = m_s2.data(), *KB = m_s3.data();
  contract<T>("npde::fno::tucker_grad_out", cout, R1, B, M, true, op(YB, 1, cout, long(B) * cout),
              op(T2, R1, 1, long(B) * R1, true), gUo, R1, 1, 0, true);
  contract<T>("npde::fno::tucker_t2bar", B, R1, cout, M, false, op(YB, cout, 1, long(B) * cout), op(Uo, R1, 1, 0, true), T2B,
              R1, 1, long(B) * R1, false);
  // Kbar[p, q, m] = sum_b conj(T1[b, p, m]) T2bar[b, q, m]; T1bar[b, p, m] = sum_q T2bar[b, q, m] conj(K[p, q, m])
  contract<T>("npde::fno::tucker_kbar", R0, R1, B, M, false, op(T1, 1, R0, long(B) * R0, true),
              op<T>(T2B, R1, 1, long(B) * R1), KB, long(R1) * M, M, 1, false);
  contract<T>("npde::fno::tucker_t1bar", B, R0, R1, M, false, op<T>(T2B, R1, 1, long(B) * R1),
              op(K, M, long(R1) * M, 1, true), T1B, R0, 1, long(B) * R0, false);
  // the core and the mode factors from Kbar
  tucker_mode_gradients<T>(R0, R1, R2, R3, mx, myh, G, Ur, Uc, KB, gG, gUr, gUc);
  contract<T>("npde::fno::tucker_grad_in", cin, R0, B, M, true, op(X, 1, cin, long(B) * cin, true),
              op<T>(T1B, R0, 1, long(B) * R0), gUi, R0, 1, 0, true);
  contract<T>("npde::fno::tucker_adjoint", B, cin, R0, M, false, op<T>(T1B, R0, 1, long(B) * R0), op(Ui, 1, R0, 0, true),
              XB, cin, 1, long(B) * cin, false);
}

template <class T>
void SpectralConv2d<T>::backward_reconstructed(const Complex<T>* P, Complex<T>* Gr, Complex<T>* XB) {
  // the dense product's reverse pass with the rebuilt tensor, then the chain rule through the rebuild
  const int B = m_batch, cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, M = mx * myh;
  const Complex<T>* X = m_xk.data();
  const Complex<T>* YB = m_yk.data();
  const Complex<T>* W = m_wd.data();
  Complex<T>* WG = m_wg.data();
  contract<T>("npde::fno::rebuilt_grad", cin, cout, B, M, false, op(X, 1, cin, long(B) * cin, true),
              op(YB, cout, 1, long(B) * cout), WG, long(cout) * M, M, 1, false);
  contract<T>("npde::fno::rebuilt_adjoint", B, cin, cout, M, false, op(YB, cout, 1, long(B) * cout),
              op(W, M, long(cout) * M, 1, true), XB, cin, 1, long(B) * cin, false);
  if (m_kind == SpectralWeights::Kind::CP) {
    // W = sum_q lambda_q A[i, q] B[o, q] Cr[r, q] Cc[c, q]
    const int R = m_ranks[0];
    const Complex<T>*lam = P, *A = P + R, *Bf = A + long(cin) * R, *Cr = Bf + long(cout) * R, *Cc = Cr + long(mx) * R;
    Complex<T>*glam = Gr, *gA = Gr + R, *gB = gA + long(cin) * R, *gCr = gB + long(cout) * R, *gCc = gCr + long(mx) * R;
    Complex<T>* Pm = m_s2.data();
    Kokkos::parallel_for("npde::fno::rebuilt_cp_p", Kokkos::RangePolicy<ExecSpace>(0, long(R) * M), KOKKOS_LAMBDA(const long e) {
      const int m = int(e % M), q = int(e / M);
      Complex<T> acc(0);
      for (int i = 0; i < cin; ++i)
        for (int o = 0; o < cout; ++o) acc += WG[(long(i) * cout + o) * M + m] * Kokkos::conj(A[i * R + q] * Bf[o * R + q]);
      Pm[e] = acc;
    });
    cp_mode_gradients<T>(R, mx, myh, lam, Cr, Cc, Pm, glam, gCr, gCc);
    Kokkos::parallel_for("npde::fno::rebuilt_cp_in", Kokkos::RangePolicy<ExecSpace>(0, long(cin) * R), KOKKOS_LAMBDA(const long e) {
      const int q = int(e % R), i = int(e / R);
      Complex<T> acc(0);
      for (int o = 0; o < cout; ++o)
        for (int m = 0; m < M; ++m)
          acc += WG[(long(i) * cout + o) * M + m] * Kokkos::conj(lam[q] * Bf[o * R + q] * Cr[(m / myh) * R + q] * Cc[(m % myh) * R + q]);
      gA[e] += acc;
    });
    Kokkos::parallel_for("npde::fno::rebuilt_cp_out", Kokkos::RangePolicy<ExecSpace>(0, long(cout) * R), KOKKOS_LAMBDA(const long e) {
      const int q = int(e % R), o = int(e / R);
      Complex<T> acc(0);
      for (int i = 0; i < cin; ++i)
        for (int m = 0; m < M; ++m)
          acc += WG[(long(i) * cout + o) * M + m] * Kokkos::conj(lam[q] * A[i * R + q] * Cr[(m / myh) * R + q] * Cc[(m % myh) * R + q]);
      gB[e] += acc;
    });
    return;
  }
  // Tucker: W[i, o, m] = sum_{p,q} Ui[i, p] K[p, q, m] Uo[o, q]
  const int R0 = m_ranks[0], R1 = m_ranks[1], R2 = m_ranks[2], R3 = m_ranks[3];
  const Complex<T>* G = P;
  const Complex<T>*Ui = G + long(R0) * R1 * R2 * R3, *Uo = Ui + long(cin) * R0, *Ur = Uo + long(cout) * R1,
                   *Uc = Ur + long(mx) * R2;
  Complex<T>*gG = Gr, *gUi = gG + long(R0) * R1 * R2 * R3, *gUo = gUi + long(cin) * R0, *gUr = gUo + long(cout) * R1,
             *gUc = gUr + long(mx) * R2;
  Complex<T>*K = m_k.data(), *Z = m_s1.data(), *V = m_s2.data(), *KB = m_s3.data();
  tucker_core<T>(R0, R1, R2, R3, mx, myh, G, Ur, Uc, K);
  // Kbar = Ui^H Wbar conj(Uo), then the core's and mode factors' gradients
  contract<T>("npde::fno::rebuilt_z", R0, cout, cin, M, false, op(Ui, 1, R0, 0, true), op<T>(WG, long(cout) * M, M, 1),
              Z, long(cout) * M, M, 1, false);
  contract<T>("npde::fno::rebuilt_kbar", R0, R1, cout, M, false, op<T>(Z, long(cout) * M, M, 1), op(Uo, R1, 1, 0, true),
              KB, long(R1) * M, M, 1, false);
  tucker_mode_gradients<T>(R0, R1, R2, R3, mx, myh, G, Ur, Uc, KB, gG, gUr, gUc);
  // dUi[i, p] = sum_{o,m} Wbar[i, o, m] conj(V[p, o, m]), V = K Uo^T; dUo[o, q] = sum_{i,m} Wbar conj(U[i, q, m]), U = Ui K
  contract<T>("npde::fno::rebuilt_v", R0, cout, R1, M, false, op<T>(K, long(R1) * M, M, 1), op(Uo, 1, R1, 0), V,
              long(cout) * M, M, 1, false);
  contract<T>("npde::fno::rebuilt_grad_in", cin, R0, cout, M, true, op<T>(WG, long(cout) * M, M, 1),
              op<T>(V, M, long(cout) * M, 1, true), gUi, R0, 1, 0, true);
  contract<T>("npde::fno::rebuilt_u", cin, R1, R0, M, false, op(Ui, R0, 1, 0), op<T>(K, long(R1) * M, M, 1), Z,
              long(R1) * M, M, 1, false);
  contract<T>("npde::fno::rebuilt_grad_out", cout, R1, cin, M, true, op<T>(WG, M, long(cout) * M, 1),
              op<T>(Z, long(R1) * M, M, 1, true), gUo, R1, 1, 0, true);
}

namespace {
/// Where kept mode m (row-major over mx x myh: kx from -mx/2, ky from 0) lies in one field's half
/// spectrum (nx rows of nyh): negative kx at row nx + kx.
KOKKOS_INLINE_FUNCTION long kept_offset(int m, int mx, int myh, int nx, int nyh) {
  const int r = m / myh, c = m % myh;
  const int row = r < mx / 2 ? r : nx - mx + r;
  return long(row) * nyh + c;
}
}  // namespace

template <class T>
void SpectralConv2d<T>::zero_kept_columns(int fields) {
  const int kept = m_my / 2 + 1, nyh = m_ny / 2 + 1;
  Complex<T>* S = m_spec.data();
  Kokkos::parallel_for("npde::fno::SpectralConv2d::zero", Kokkos::RangePolicy<ExecSpace>(0, long(fields) * m_nx),
                       KOKKOS_LAMBDA(const long row) {
                         for (int c = 0; c < kept; ++c) S[row * nyh + c] = Complex<T>(0);
                       });
}

template <class T>
void SpectralConv2d<T>::forward(const T* params, const T* x, int batch, int nx, int ny, T* y) {
  shape(batch, nx, ny);
  const int cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, nyh = ny / 2 + 1, M = mx * myh;
  const long half = long(nx) * nyh;
  m_fft_in->forward(x, m_spec.data());
  const T scale = T(1) / T(double(nx) * ny);  // norm = forward
  Complex<T>* S = m_spec.data();
  Complex<T>* X = m_xk.data();
  const long BC = long(batch) * cin, BCo = long(batch) * cout;  // the kept modes stored mode-major: (m, b, c)
  // gather the kept modes, scaled
  Kokkos::parallel_for("npde::fno::SpectralConv2d::gather", Kokkos::RangePolicy<ExecSpace>(0, M), KOKKOS_LAMBDA(const int m) {
    const Complex<T>* s = S + kept_offset(m, mx, myh, nx, nyh);
    for (long f = 0; f < BC; ++f) X[m * BC + f] = scale * s[f * half];  // the fields fastest
  });
  contract_forward(reinterpret_cast<const Complex<T>*>(params));
  // scatter into an otherwise zero spectrum (the kept columns: the inverse reads no others) and
  // transform back
  zero_kept_columns(batch * cout);
  const Complex<T>* Y = m_yk.data();
  Kokkos::parallel_for("npde::fno::SpectralConv2d::scatter", Kokkos::RangePolicy<ExecSpace>(0, M), KOKKOS_LAMBDA(const int m) {
    Complex<T>* s = S + kept_offset(m, mx, myh, nx, nyh);
    for (long f = 0; f < BCo; ++f) s[f * half] = Y[m * BCo + f];
  });
  m_fft_out->inverse(m_spec.data(), y);
}

template <class T>
void SpectralConv2d<T>::backward(const T* params, const T* ybar, T* xbar, T* grad, bool accumulate) {
  NPDE_REQUIRE(m_batch > 0, "SpectralConv2d::backward before forward");
  const int batch = m_batch, nx = m_nx, ny = m_ny;
  const int cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, nyh = ny / 2 + 1, M = mx * myh;
  const long half = long(nx) * nyh;
  const bool even = ny % 2 == 0;
  // the inverse transform's adjoint on the kept modes: Ybar = c_ky rfft2(ybar), c = 1 on ky = 0 (and
  // ny/2 for even ny), else 2. yk holds it from here on (forward's output modes are not needed).
  m_fft_out->forward(ybar, m_spec.data());
  Complex<T>* S = m_spec.data();
  Complex<T>* YB = m_yk.data();
  const long BCo = long(batch) * cout, BCi = long(batch) * cin;  // mode-major, as in forward
  Kokkos::parallel_for("npde::fno::SpectralConv2d::gather_adjoint", Kokkos::RangePolicy<ExecSpace>(0, M),
                       KOKKOS_LAMBDA(const int m) {
                         const int c = m % myh;
                         const T w = (c == 0 || (even && c == nyh - 1)) ? T(1) : T(2);
                         const Complex<T>* s = S + kept_offset(m, mx, myh, nx, nyh);
                         for (long f = 0; f < BCo; ++f) YB[m * BCo + f] = w * s[f * half];  // the fields fastest
                       });
  contract_backward(reinterpret_cast<const Complex<T>*>(params), reinterpret_cast<Complex<T>*>(grad), m_xkb.data());
  if (xbar == nullptr) return;
  // the forward transform's adjoint: x = G(Xbar / c_ky) / N
  zero_kept_columns(batch * cin);
  const Complex<T>* XB = m_xkb.data();
  const T scale = T(1) / T(double(nx) * ny);
  Kokkos::parallel_for("npde::fno::SpectralConv2d::scatter_adjoint", Kokkos::RangePolicy<ExecSpace>(0, M),
                       KOKKOS_LAMBDA(const int m) {
                         const int c = m % myh;
                         const T w = (c == 0 || (even && c == nyh - 1)) ? T(1) : T(2);
                         Complex<T>* s = S + kept_offset(m, mx, myh, nx, nyh);
                         for (long f = 0; f < BCi; ++f) s[f * half] = (scale / w) * XB[m * BCi + f];
                       });
  m_fft_in->inverse(m_spec.data(), xbar, accumulate);
}

template class SpectralConv2d<double>;
template class SpectralConv2d<float>;

}  // namespace npde::fno
