// SPDX-License-Identifier: BSD-3-Clause
// Fft2d on FFTW (host memory), double and float.
#include "npde/fno/fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/types.hpp"
#include "npde/nn/gemm.hpp"

namespace npde::fno {

namespace {

/// The FFTW entry points of one precision.
template <class T>
struct Fftw;

constexpr unsigned kFlags = FFTW_ESTIMATE;  // deterministic plans: the same rounding in every run

template <>
struct Fftw<double> {
  using plan = fftw_plan;
  using cpx = fftw_complex;
  using iodim = fftw_iodim;
  static plan r2c(const iodim* dim, int hr, const iodim* how, double* in, cpx* out, unsigned f) {
    return fftw_plan_guru_dft_r2c(1, dim, hr, how, in, out, kFlags | f);
  }
  static plan c2r(const iodim* dim, int hr, const iodim* how, cpx* in, double* out, unsigned f) {
    return fftw_plan_guru_dft_c2r(1, dim, hr, how, in, out, kFlags | FFTW_DESTROY_INPUT | f);
  }
  static plan c2c(const iodim* dim, int hr, const iodim* how, cpx* io, int sign, unsigned f) {
    return fftw_plan_guru_dft(1, dim, hr, how, io, io, sign, kFlags | f);
  }
  static plan c2c_out(const iodim* dim, int hr, const iodim* how, cpx* in, cpx* out, int sign, unsigned f) {
    return fftw_plan_guru_dft(1, dim, hr, how, in, out, sign, kFlags | f);
  }
  static void exec_r2c(plan p, double* in, cpx* out) { fftw_execute_dft_r2c(p, in, out); }
  static void exec_c2r(plan p, cpx* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
  static void exec_c2c(plan p, cpx* io) { fftw_execute_dft(p, io, io); }
  static void exec_c2c_out(plan p, cpx* in, cpx* out) { fftw_execute_dft(p, in, out); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static void* malloc(std::size_t n) { return fftw_malloc(n); }
  static void free(void* p) { fftw_free(p); }
  static int alignment(const void* p) { return fftw_alignment_of(static_cast<double*>(const_cast<void*>(p))); }
};

template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  using cpx = fftwf_complex;
  using iodim = fftwf_iodim;
  static plan r2c(const iodim* dim, int hr, const iodim* how, float* in, cpx* out, unsigned f) {
    return fftwf_plan_guru_dft_r2c(1, dim, hr, how, in, out, kFlags | f);
  }
  static plan c2r(const iodim* dim, int hr, const iodim* how, cpx* in, float* out, unsigned f) {
    return fftwf_plan_guru_dft_c2r(1, dim, hr, how, in, out, kFlags | FFTW_DESTROY_INPUT | f);
  }
  static plan c2c(const iodim* dim, int hr, const iodim* how, cpx* io, int sign, unsigned f) {
    return fftwf_plan_guru_dft(1, dim, hr, how, io, io, sign, kFlags | f);
  }
  static plan c2c_out(const iodim* dim, int hr, const iodim* how, cpx* in, cpx* out, int sign, unsigned f) {
    return fftwf_plan_guru_dft(1, dim, hr, how, in, out, sign, kFlags | f);
  }
  static void exec_r2c(plan p, float* in, cpx* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void exec_c2r(plan p, cpx* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
  static void exec_c2c(plan p, cpx* io) { fftwf_execute_dft(p, io, io); }
  static void exec_c2c_out(plan p, cpx* in, cpx* out) { fftwf_execute_dft(p, in, out); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static void* malloc(std::size_t n) { return fftwf_malloc(n); }
  static void free(void* p) { fftwf_free(p); }
  static int alignment(const void* p) { return fftwf_alignment_of(static_cast<float*>(const_cast<void*>(p))); }
};

}  // namespace

/// Two sets of the three plans: one made on SIMD-aligned arrays (used when the caller's arrays are
/// aligned alike, as Kokkos allocations are), one with FFTW_UNALIGNED for any other array.
template <class T>
struct Fft2d<T>::Plans {
  using F = Fftw<T>;
  struct Set {
    typename F::plan r2c_y = nullptr, c2c_x_forward = nullptr, c2c_x_inverse = nullptr, c2r_y = nullptr;
  };
  Set aligned, unaligned;
  Complex<T>* work = nullptr;  ///< the inverse's scratch (c2r destroys its input), SIMD-aligned
  T* sum = nullptr;            ///< FFTW's accumulating inverse: the transform before it is added
  int work_alignment = 0;
  ~Plans() {
    for (Set* s : {&aligned, &unaligned})
      for (auto p : {s->r2c_y, s->c2c_x_forward, s->c2c_x_inverse, s->c2r_y})
        if (p) F::destroy(p);
    if (work) F::free(work);
    if (sum) F::free(sum);
  }
  /// The set whose alignment matches both arrays.
  const Set& pick(const void* a, const void* b) const {
    return F::alignment(a) == work_alignment && F::alignment(b) == work_alignment ? aligned : unaligned;
  }
};

template <class T>
Fft2d<T>::Fft2d(int batch, int nx, int ny, int kept_columns, YTransform y)
    : m_batch(batch), m_nx(nx), m_ny(ny), m_kept(kept_columns > 0 ? kept_columns : ny / 2 + 1),
      m_plans(std::make_unique<Plans>()) {
  static_assert(sizeof(Complex<T>) == 2 * sizeof(T), "Kokkos::complex must be two reals, as FFTW's complex");
  NPDE_REQUIRE(device_is_host, "the FFTW transforms run on host memory; this build's memory space is a device's");
  NPDE_REQUIRE(batch >= 1 && nx >= 1 && ny >= 1, "FFT of " << batch << " fields of " << nx << " x " << ny);
  NPDE_REQUIRE(m_kept <= ny / 2 + 1, "FFT keeping " << m_kept << " of " << ny / 2 + 1 << " columns");
  m_y_gemm = y == YTransform::dft_gemm ||
             (y == YTransform::automatic && double(m_kept) <= 2.5 * std::log2(double(std::max(ny, 2))));
  if (m_y_gemm) {  // the pruned DFTs along y: cos / -sin of 2 pi c j / ny (the argument reduced mod ny)
    const int k2 = 2 * m_kept;
    m_dft_forward.resize(std::size_t(k2) * ny), m_dft_inverse.resize(std::size_t(k2) * ny);
    for (int c = 0; c < m_kept; ++c) {
      const double w = (c == 0 || 2 * c == ny) ? 1.0 : 2.0;  // irfft2's c_ky
      for (int j = 0; j < ny; ++j) {
        // the sine exactly 0 at the angles 0 and pi, so that the sin rows of ky = 0 and ny/2 vanish
        const long r = (long(c) * j) % ny;
        const double a = 2 * M_PI * double(r) / ny, co = std::cos(a);
        const double si = r == 0 || 2 * r == ny ? 0.0 : std::sin(a);
        m_dft_forward[std::size_t(j) * k2 + 2 * c] = T(co);  // (2 kept) x ny: forward Re, Im rows
        m_dft_forward[std::size_t(j) * k2 + 2 * c + 1] = T(-si);
        m_dft_inverse[std::size_t(2 * c) * ny + j] = T(w * co);  // ny x (2 kept): Re X cos - Im X sin
        m_dft_inverse[std::size_t(2 * c + 1) * ny + j] = T(-w * si);
      }
    }
  }
  using F = Fftw<T>;
  using cpx = typename F::cpx;
  const int nyh = ny / 2 + 1;
  const std::size_t nreal = std::size_t(batch) * nx * ny, nhalf = std::size_t(batch) * nx * nyh;
  // planning arrays (FFTW_ESTIMATE does not touch them)
  T* rbuf = static_cast<T*>(F::malloc(nreal * sizeof(T)));
  m_plans->work = static_cast<Complex<T>*>(F::malloc(nhalf * sizeof(Complex<T>)));
  // the pruned inverse's x pass reads the caller's spectrum and writes the scratch (out of place: no
  // copy of the kept columns first; an out-of-place c2c keeps its input)
  Complex<T>* cbuf = m_y_gemm ? static_cast<Complex<T>*>(F::malloc(nhalf * sizeof(Complex<T>))) : nullptr;
  NPDE_REQUIRE(rbuf && m_plans->work && (cbuf || !m_y_gemm), "FFTW could not allocate " << nhalf << " complex values");
  m_plans->work_alignment = F::alignment(m_plans->work);
  cpx* cw = reinterpret_cast<cpx*>(m_plans->work);
  // along y: the real transforms of every row of every field
  const typename F::iodim ydim{ny, 1, 1}, yhow{batch * nx, ny, nyh}, yhow_inv{batch * nx, nyh, ny};
  // along x: length nx at stride nyh, for the kept columns of every field only
  const typename F::iodim xdim{nx, nyh, nyh};
  const typename F::iodim xhow[2] = {{batch, nx * nyh, nx * nyh}, {m_kept, 1, 1}};
  for (const bool unaligned : {false, true}) {
    auto& s = unaligned ? m_plans->unaligned : m_plans->aligned;
    const unsigned f = unaligned ? FFTW_UNALIGNED : 0u;
    if (!m_y_gemm) s.r2c_y = F::r2c(&ydim, 1, &yhow, rbuf, cw, f);
    s.c2c_x_forward = F::c2c(&xdim, 2, xhow, cw, FFTW_FORWARD, f);
    s.c2c_x_inverse = m_y_gemm ? F::c2c_out(&xdim, 2, xhow, reinterpret_cast<cpx*>(cbuf), cw, FFTW_BACKWARD, f)
                               : F::c2c(&xdim, 2, xhow, cw, FFTW_BACKWARD, f);
    if (!m_y_gemm) s.c2r_y = F::c2r(&ydim, 1, &yhow_inv, cw, rbuf, f);
    NPDE_REQUIRE((m_y_gemm || (s.r2c_y && s.c2r_y)) && s.c2c_x_forward && s.c2c_x_inverse,
                 "FFTW could not plan transforms of " << batch << " x " << nx << " x " << ny);
  }
  F::free(rbuf);
  if (cbuf) F::free(cbuf);
}

template <class T>
Fft2d<T>::~Fft2d() = default;
template <class T>
Fft2d<T>::Fft2d(Fft2d&&) noexcept = default;
template <class T>
Fft2d<T>& Fft2d<T>::operator=(Fft2d&&) noexcept = default;

template <class T>
void Fft2d<T>::forward(const T* x, Complex<T>* X) {
  using F = Fftw<T>;
  auto* cx = reinterpret_cast<typename F::cpx*>(X);
  const auto& s = m_plans->pick(x, X);
  if (m_y_gemm) {  // X[row, c] (as 2 reals) = sum_j x[row, j] D[j, c]: one GEMM over every row
    const int rows = m_batch * m_nx, k2 = 2 * m_kept;
    nn::gemm<T>(false, false, k2, rows, m_ny, T(1), m_dft_forward.data(), k2, x, m_ny, T(0),
                reinterpret_cast<T*>(X), 2 * (m_ny / 2 + 1));
  } else {
    F::exec_r2c(s.r2c_y, const_cast<T*>(x), cx);
  }
  F::exec_c2c(s.c2c_x_forward, cx);
}

template <class T>
void Fft2d<T>::inverse(const Complex<T>* X, T* x, bool accumulate) {
  using F = Fftw<T>;
  Complex<T>* w = m_plans->work;
  auto* cw = reinterpret_cast<typename F::cpx*>(w);
  const int nyh = m_ny / 2 + 1, kept = m_kept;
  const std::size_t rows = std::size_t(m_batch) * m_nx;
  if (m_y_gemm) {  // the x pass from X into the scratch, then x[row, j] (+)= sum_c W[row, c] E[c, j];
                   // E's sin rows vanish on ky = 0 and ny/2, which drops those columns' imaginary
                   // parts as irfft2 does (the GEMM reads the kept columns only)
    const auto& s = m_plans->pick(X, w);
    F::exec_c2c_out(s.c2c_x_inverse, reinterpret_cast<typename F::cpx*>(const_cast<Complex<T>*>(X)), cw);
    nn::gemm<T>(false, false, m_ny, int(rows), 2 * kept, T(1), m_dft_inverse.data(), m_ny, reinterpret_cast<const T*>(w),
                2 * nyh, accumulate ? T(1) : T(0), x, m_ny);
    return;
  }
  // the kept columns, the others zero (c2r reads every column and destroys its input)
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(static_cast<void*>(w + r * nyh), static_cast<const void*>(X + r * nyh), kept * sizeof(Complex<T>));
    for (int c = kept; c < nyh; ++c) w[r * nyh + c] = Complex<T>(0);
  }
  const std::size_t n = rows * std::size_t(m_ny);
  if (accumulate && !m_plans->sum) {  // once, on the first accumulating call
    m_plans->sum = static_cast<T*>(F::malloc(n * sizeof(T)));
    NPDE_REQUIRE(m_plans->sum, "FFTW could not allocate " << n << " values");
  }
  T* out = accumulate ? m_plans->sum : x;
  const auto& s = m_plans->pick(w, out);
  F::exec_c2c(s.c2c_x_inverse, cw);
  for (std::size_t r = 0; r < rows; ++r) {
    w[r * nyh] = Complex<T>(w[r * nyh].real(), T(0));
    if (m_ny % 2 == 0) w[r * nyh + nyh - 1] = Complex<T>(w[r * nyh + nyh - 1].real(), T(0));
  }
  F::exec_c2r(s.c2r_y, cw, out);
  if (accumulate)
    for (std::size_t e = 0; e < n; ++e) x[e] += out[e];
}

template class Fft2d<double>;
template class Fft2d<float>;

}  // namespace npde::fno
