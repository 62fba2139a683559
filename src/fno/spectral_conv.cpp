// SPDX-License-Identifier: BSD-3-Clause
// SpectralConv2d: forward, reverse pass and initialisation.
#include "npde/fno/spectral_conv.hpp"

#include <cmath>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"

namespace npde::fno {

template <class T>
SpectralConv2d<T>::SpectralConv2d(int cin, int cout, int modes_x, int modes_y)
    : m_cin(cin), m_cout(cout), m_mx(modes_x), m_my(modes_y) {
  NPDE_REQUIRE(cin >= 1 && cout >= 1, "spectral convolution of " << cin << " -> " << cout << " channels");
  NPDE_REQUIRE(modes_x >= 2 && modes_x % 2 == 0, "modes along x must be even and >= 2, got " << modes_x);
  NPDE_REQUIRE(modes_y >= 1, "modes along y must be >= 1, got " << modes_y);
}

template <class T>
std::size_t SpectralConv2d<T>::n_params() const {
  return 2 * std::size_t(m_cin) * m_cout * m_mx * std::size_t(m_my / 2 + 1);
}

template <class T>
void SpectralConv2d<T>::init(T* params, std::uint64_t seed, std::uint64_t stream) const {
  const double s = std::sqrt(1.0 / (m_cin + m_cout));  // per real part: total variance 2 / (cin + cout)
  auto h = Kokkos::create_mirror_view(UView1<T>(params, n_params()));
  for (std::size_t i = 0; i < n_params(); ++i) h(i) = T(s * rng::normal(seed, stream, i));
  Kokkos::deep_copy(UView1<T>(params, n_params()), h);
}

template <class T>
void SpectralConv2d<T>::shape(int batch, int nx, int ny) {
  NPDE_REQUIRE(nx >= m_mx && ny / 2 >= m_my / 2,
               "a " << nx << " x " << ny << " grid has fewer modes than the " << m_mx << " x " << m_my << " kept");
  if (batch == m_batch && nx == m_nx && ny == m_ny) return;
  m_batch = batch, m_nx = nx, m_ny = ny;
  m_fft_in = std::make_unique<Fft2d<T>>(batch * m_cin, nx, ny);
  m_fft_out = std::make_unique<Fft2d<T>>(batch * m_cout, nx, ny);
  const std::size_t half = std::size_t(nx) * (ny / 2 + 1);
  m_X = View1<Complex<T>>("npde::fno::SpectralConv2d::X", std::size_t(batch) * m_cin * half);
  m_Y = View1<Complex<T>>("npde::fno::SpectralConv2d::Y", std::size_t(batch) * std::max(m_cin, m_cout) * half);
}

template <class T>
void SpectralConv2d<T>::forward(const T* weights, const T* x, int batch, int nx, int ny, T* y) {
  shape(batch, nx, ny);
  const int cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, nyh = ny / 2 + 1;
  const long half = long(nx) * nyh;
  m_fft_in->forward(x, m_X.data());
  const T scale = T(1) / T(double(nx) * ny);  // norm = forward
  Complex<T>* X = m_X.data();
  Complex<T>* Y = m_Y.data();
  const auto* W = reinterpret_cast<const Complex<T>*>(weights);
  Kokkos::parallel_for("npde::fno::SpectralConv2d::scale", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * cin * half),
                       KOKKOS_LAMBDA(const long e) { X[e] *= scale; });
  Kokkos::deep_copy(Kokkos::subview(m_Y, std::make_pair(std::size_t(0), std::size_t(batch) * cout * half)),
                    Complex<T>(0));
  // Y[b, o, k] = sum_i X[b, i, k] W[i, o, k] on the kept modes
  Kokkos::parallel_for(
      "npde::fno::SpectralConv2d::contract", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * cout * mx * myh),
      KOKKOS_LAMBDA(const long e) {
        const int c = int(e % myh), r = int((e / myh) % mx), o = int((e / (long(myh) * mx)) % cout);
        const int b = int(e / (long(myh) * mx * cout));
        const int row = r < mx / 2 ? r : nx - mx + r;
        Complex<T> acc(0);
        for (int i = 0; i < cin; ++i)
          acc += X[(long(b) * cin + i) * half + long(row) * nyh + c] * W[((long(i) * cout + o) * mx + r) * myh + c];
        Y[(long(b) * cout + o) * half + long(row) * nyh + c] = acc;
      });
  m_fft_out->inverse(m_Y.data(), y);
}

template <class T>
void SpectralConv2d<T>::backward(const T* weights, const T* ybar, T* xbar, T* grad) {
  NPDE_REQUIRE(m_batch > 0, "SpectralConv2d::backward before forward");
  const int batch = m_batch, nx = m_nx, ny = m_ny;
  const int cin = m_cin, cout = m_cout, mx = m_mx, myh = m_my / 2 + 1, nyh = ny / 2 + 1;
  const long half = long(nx) * nyh;
  const bool even = ny % 2 == 0;
  // the inverse transform's adjoint: Ybar = c_ky rfft2(ybar), c = 1 on ky = 0 (and ny/2 for even ny), else 2
  m_fft_out->forward(ybar, m_Y.data());
  const Complex<T>* X = m_X.data();
  Complex<T>* Y = m_Y.data();
  const auto* W = reinterpret_cast<const Complex<T>*>(weights);
  auto* G = reinterpret_cast<Complex<T>*>(grad);
  auto col_weight = [=] KOKKOS_FUNCTION(int c) { return (c == 0 || (even && c == nyh - 1)) ? T(1) : T(2); };
  // dW[i, o, k] += sum_b conj(X[b, i, k]) Ybar[b, o, k]
  Kokkos::parallel_for(
      "npde::fno::SpectralConv2d::weight_gradient", Kokkos::RangePolicy<ExecSpace>(0, long(cin) * cout * mx * myh),
      KOKKOS_LAMBDA(const long e) {
        const int c = int(e % myh), r = int((e / myh) % mx), o = int((e / (long(myh) * mx)) % cout);
        const int i = int(e / (long(myh) * mx * cout));
        const int row = r < mx / 2 ? r : nx - mx + r;
        Complex<T> acc(0);
        for (int b = 0; b < batch; ++b)
          acc += Kokkos::conj(X[(long(b) * cin + i) * half + long(row) * nyh + c]) *
                 Y[(long(b) * cout + o) * half + long(row) * nyh + c];
        G[e] += col_weight(c) * acc;
      });
  if (xbar == nullptr) return;
  // Xbar[b, i, k] = sum_o Ybar[b, o, k] conj(W[i, o, k]) on the kept modes, then x = (1/N) G(Xbar / c):
  // the c_ky of Ybar and the 1/c_ky cancel, so Xbar / c is the contraction of the plain rfft2(ybar)
  View1<Complex<T>> Xb("npde::fno::SpectralConv2d::Xbar", std::size_t(batch) * cin * half);
  Complex<T>* XB = Xb.data();
  const T scale = T(1) / T(double(nx) * ny);
  Kokkos::parallel_for(
      "npde::fno::SpectralConv2d::input_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * cin * mx * myh),
      KOKKOS_LAMBDA(const long e) {
        const int c = int(e % myh), r = int((e / myh) % mx), i = int((e / (long(myh) * mx)) % cin);
        const int b = int(e / (long(myh) * mx * cin));
        const int row = r < mx / 2 ? r : nx - mx + r;
        Complex<T> acc(0);
        for (int o = 0; o < cout; ++o)
          acc += Y[(long(b) * cout + o) * half + long(row) * nyh + c] * Kokkos::conj(W[((long(i) * cout + o) * mx + r) * myh + c]);
        XB[(long(b) * cin + i) * half + long(row) * nyh + c] = scale * acc;
      });
  m_fft_in->inverse(Xb.data(), xbar);
}

template class SpectralConv2d<double>;
template class SpectralConv2d<float>;

}  // namespace npde::fno
