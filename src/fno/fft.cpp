// SPDX-License-Identifier: BSD-3-Clause
// Fft2d on FFTW (host memory), double and float.
#include "npde/fno/fft.hpp"

#include <fftw3.h>

#include <cstring>
#include <type_traits>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/types.hpp"

namespace npde::fno {

namespace {

/// The FFTW entry points of one precision.
template <class T>
struct Fftw;

template <>
struct Fftw<double> {
  using plan = fftw_plan;
  using cpx = fftw_complex;
  static plan r2c(int rank, const int* n, int howmany, double* in, int idist, cpx* out, int odist) {
    return fftw_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, idist, out, nullptr, 1, odist,
                                  FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static plan c2r(int rank, const int* n, int howmany, cpx* in, int idist, double* out, int odist) {
    return fftw_plan_many_dft_c2r(rank, n, howmany, in, nullptr, 1, idist, out, nullptr, 1, odist,
                                  FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_DESTROY_INPUT);
  }
  static plan c2c(const fftw_iodim* dims, int howmany_rank, const fftw_iodim* howmany, cpx* in, cpx* out) {
    return fftw_plan_guru_dft(1, dims, howmany_rank, howmany, in, out, FFTW_BACKWARD, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static void exec_r2c(plan p, double* in, cpx* out) { fftw_execute_dft_r2c(p, in, out); }
  static void exec_c2r(plan p, cpx* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
  static void exec_c2c(plan p, cpx* in, cpx* out) { fftw_execute_dft(p, in, out); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
};

template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  using cpx = fftwf_complex;
  static plan r2c(int rank, const int* n, int howmany, float* in, int idist, cpx* out, int odist) {
    return fftwf_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, idist, out, nullptr, 1, odist,
                                   FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static plan c2r(int rank, const int* n, int howmany, cpx* in, int idist, float* out, int odist) {
    return fftwf_plan_many_dft_c2r(rank, n, howmany, in, nullptr, 1, idist, out, nullptr, 1, odist,
                                   FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_DESTROY_INPUT);
  }
  static plan c2c(const fftwf_iodim* dims, int howmany_rank, const fftwf_iodim* howmany, cpx* in, cpx* out) {
    return fftwf_plan_guru_dft(1, dims, howmany_rank, howmany, in, out, FFTW_BACKWARD, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static void exec_r2c(plan p, float* in, cpx* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void exec_c2r(plan p, cpx* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
  static void exec_c2c(plan p, cpx* in, cpx* out) { fftwf_execute_dft(p, in, out); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
};

}  // namespace

template <class T>
struct Fft2d<T>::Plans {
  using F = Fftw<T>;
  typename F::plan r2c2d = nullptr, c2c_x = nullptr, c2r_y = nullptr;
  std::vector<Complex<T>> work;  ///< the inverse's scratch (c2r destroys its input)
  ~Plans() {
    for (auto p : {r2c2d, c2c_x, c2r_y})
      if (p) F::destroy(p);
  }
};

template <class T>
Fft2d<T>::Fft2d(int batch, int nx, int ny) : m_batch(batch), m_nx(nx), m_ny(ny), m_plans(std::make_unique<Plans>()) {
  static_assert(sizeof(Complex<T>) == 2 * sizeof(T), "Kokkos::complex must be two reals, as FFTW's complex");
  NPDE_REQUIRE(device_is_host, "the FFTW transforms run on host memory; this build's memory space is a device's");
  NPDE_REQUIRE(batch >= 1 && nx >= 1 && ny >= 1, "FFT of " << batch << " fields of " << nx << " x " << ny);
  using F = Fftw<T>;
  using cpx = typename F::cpx;
  const int nyh = ny / 2 + 1;
  const std::size_t nreal = std::size_t(batch) * nx * ny, nhalf = std::size_t(batch) * nx * nyh;
  // planning arrays (FFTW_ESTIMATE does not touch them; UNALIGNED lets any array run the plans)
  std::vector<T> rbuf(nreal);
  m_plans->work.assign(nhalf, Complex<T>(0));
  cpx* cw = reinterpret_cast<cpx*>(m_plans->work.data());
  const int n2[2] = {nx, ny};
  m_plans->r2c2d = F::r2c(2, n2, batch, rbuf.data(), nx * ny, cw, nx * nyh);
  // along x: length nx at stride nyh, for every column of every field
  typename std::conditional_t<std::is_same_v<T, double>, fftw_iodim, fftwf_iodim> dim{nx, nyh, nyh};
  decltype(dim) many[2] = {{batch, nx * nyh, nx * nyh}, {nyh, 1, 1}};
  m_plans->c2c_x = F::c2c(&dim, 2, many, cw, cw);
  const int n1[1] = {ny};
  m_plans->c2r_y = F::c2r(1, n1, batch * nx, cw, nyh, rbuf.data(), ny);
  NPDE_REQUIRE(m_plans->r2c2d && m_plans->c2c_x && m_plans->c2r_y,
               "FFTW could not plan transforms of " << batch << " x " << nx << " x " << ny);
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
  F::exec_r2c(m_plans->r2c2d, const_cast<T*>(x), reinterpret_cast<typename F::cpx*>(X));
}

template <class T>
void Fft2d<T>::inverse(const Complex<T>* X, T* x) {
  using F = Fftw<T>;
  auto& w = m_plans->work;
  std::memcpy(static_cast<void*>(w.data()), static_cast<const void*>(X), w.size() * sizeof(Complex<T>));
  auto* cw = reinterpret_cast<typename F::cpx*>(w.data());
  F::exec_c2c(m_plans->c2c_x, cw, cw);
  const int nyh = m_ny / 2 + 1;
  const std::size_t rows = std::size_t(m_batch) * m_nx;
  for (std::size_t r = 0; r < rows; ++r) {
    w[r * nyh] = Complex<T>(w[r * nyh].real(), T(0));
    if (m_ny % 2 == 0) w[r * nyh + nyh - 1] = Complex<T>(w[r * nyh + nyh - 1].real(), T(0));
  }
  F::exec_c2r(m_plans->c2r_y, cw, x);
}

template class Fft2d<double>;
template class Fft2d<float>;

}  // namespace npde::fno
