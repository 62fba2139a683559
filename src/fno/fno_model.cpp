// SPDX-License-Identifier: BSD-3-Clause
// FnoModel: layout of the parameters, initialisation, forward and reverse pass.
#include "npde/fno/fno_model.hpp"
#include "npde/fno/gelu.hpp"

#include <cmath>
#include <type_traits>

#include "npde/core/error.hpp"
#include "npde/core/math.hpp"
#include "npde/core/rng.hpp"
#include "npde/nn/gemm.hpp"

namespace npde::fno {

namespace {

/// a = gelu(z), and z overwritten by gelu'(z): the reverse pass needs only the derivative, and one
/// erf per element then serves both.
template <class T>
void apply_gelu(const char* label, T* z, T* a, long n) {
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const long i) {
    T av, dv;
    gelu_both(z[i], av, dv);
    a[i] = av;
    z[i] = dv;
  });
}

/// abar *= gelu'(z), in place, from the derivative apply_gelu left.
template <class T>
void gelu_backward(const char* label, const T* dgelu, T* abar, long n) {
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const long i) { abar[i] *= dgelu[i]; });
}

/// f(row, p) for every (sample, channel) row of `rows` and grid point p < P: a thread per row, so
/// a per-channel value is read once and the inner loop runs over contiguous points.
template <class F>
void for_rows(const char* label, long rows, long P, const F& f) {
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, rows), KOKKOS_LAMBDA(const long row) {
    for (long p = 0; p < P; ++p) f(row, p);
  });
}

/// out = W in (+ bias) for every sample: per sample a (P x in) . W^T GEMM, P grid points.
template <class T>
void map_forward(const ChannelMap& m, const T* params, const T* in, int batch, long P, T* out, bool accumulate = false) {
  for (int b = 0; b < batch; ++b)
    nn::gemm<T>(false, true, int(P), m.out, m.in, T(1), in + b * P * m.in, params + m.w, accumulate ? T(1) : T(0),
                out + b * P * m.out);
  if (!m.bias) return;
  const T* bias = params + m.b;
  const int no = m.out;
  for_rows("npde::fno::bias", long(batch) * no, P, KOKKOS_LAMBDA(const long row, const long p) {
    out[row * P + p] += bias[row % no];
  });
}

/// Gradient of map_forward: grad(W, bias) += ...; inbar (if not null) = or += outbar W.
template <class T>
void map_backward(const ChannelMap& m, const T* params, const T* in, const T* outbar, int batch, long P, const T* ones,
                  T* inbar, bool accumulate, T* grad) {
  for (int b = 0; b < batch; ++b) {
    const T* ob = outbar + b * P * m.out;
    nn::gemm<T>(true, false, m.out, m.in, int(P), T(1), ob, in + b * P * m.in, T(1), grad + m.w);
    if (m.bias) nn::gemm<T>(true, false, m.out, 1, int(P), T(1), ob, ones, T(1), grad + m.b);
    if (inbar)
      nn::gemm<T>(false, false, int(P), m.in, m.out, T(1), ob, params + m.w, accumulate ? T(1) : T(0),
                  inbar + b * P * m.in);
  }
}

}  // namespace

template <class T>
FnoModel<T>::FnoModel(const FnoShape& s) : m_shape(s) {
  NPDE_REQUIRE(s.in >= 1 && s.out >= 1 && s.width >= 2 && s.blocks >= 1,
               "FNO of " << s.in << " -> " << s.out << " channels, width " << s.width << ", " << s.blocks << " blocks");
  NPDE_REQUIRE(s.lifting_ratio >= 1 && s.projection_ratio >= 1, "lifting and projection ratios must be >= 1");
  const int H = s.width;
  auto map = [&](int out, int in, bool bias) {
    ChannelMap m{m_n_params, 0, out, in, bias};
    m_n_params += std::size_t(out) * in;
    if (bias) m.b = m_n_params, m_n_params += std::size_t(out);
    return m;
  };
  m_lift1 = map(s.lifting_ratio * H, s.in + 2, true);
  m_lift2 = map(H, s.lifting_ratio * H, true);
  for (int l = 0; l < s.blocks; ++l) {
    m_convs.emplace_back(H, H, s.modes_x, s.modes_y, s.weights);
    Block b;
    b.spectral = m_n_params, m_n_params += m_convs.back().n_params();
    b.spectral_bias = m_n_params, m_n_params += std::size_t(H);
    b.skip = map(H, H, false);
    b.mlp1 = map(H / 2, H, true);
    b.mlp2 = map(H, H / 2, true);
    b.gate = m_n_params, m_n_params += std::size_t(H);
    m_blocks.push_back(b);
  }
  m_proj1 = map(s.projection_ratio * H, H, true);
  m_proj2 = map(s.out, s.projection_ratio * H, true);
}

template <class T>
std::size_t FnoModel<T>::spectral_params() const {
  std::size_t n = 0;
  for (const auto& c : m_convs) n += c.n_params();
  return n;
}

template <class T>
std::size_t FnoModel<T>::dense_spectral_params() const {
  std::size_t n = 0;
  for (const auto& c : m_convs) n += c.n_dense_params();
  return n;
}

template <class T>
double FnoModel<T>::step_flops(int batch, int nx, int ny) const {
  const double P = double(nx) * ny, B = batch;
  double maps = 0;
  auto map = [&](const ChannelMap& m) { maps += 2.0 * P * m.in * m.out; };
  for (const auto* m : {&m_lift1, &m_lift2, &m_proj1, &m_proj2}) map(*m);
  for (const auto& b : m_blocks)
    for (const auto* m : {&b.skip, &b.mlp1, &b.mlp2}) map(*m);
  const int H = m_shape.width;
  const double M = double(m_shape.modes_x) * (m_shape.modes_y / 2 + 1);
  double spectral = 0;  // per sample and block, forward
  const auto& r = m_convs.front().ranks();
  switch (m_shape.weights.kind) {
    case SpectralWeights::Kind::Dense: spectral = 8.0 * M * H * H; break;
    case SpectralWeights::Kind::CP: spectral = 8.0 * M * (H * r[0] + r[0] + r[0] * H); break;
    case SpectralWeights::Kind::Tucker: spectral = 8.0 * M * (double(H) * r[0] + double(r[0]) * r[1] + double(r[1]) * H); break;
  }
  const double fft = 4.0 * H * 2.5 * P * std::log2(P);  // per sample and block: 2 forward, 2 inverse
  return 3.0 * B * (maps + m_shape.blocks * (spectral + fft));
}

template <class T>
void FnoModel<T>::init(T* params, std::uint64_t seed) const {
  constexpr std::uint64_t kStreamMaps = 0xF001, kStreamBias = 0xF002, kStreamSpectral = 0xF100;
  auto h = Kokkos::create_mirror_view(UView1<T>(params, m_n_params));
  auto uniform_map = [&](const ChannelMap& m) {
    const double a = 1.0 / std::sqrt(double(m.in));
    for (std::size_t i = m.w; i < m.w + std::size_t(m.out) * m.in; ++i)
      h(i) = T(a * (2 * rng::uniform(seed, kStreamMaps, i) - 1));
    if (m.bias)
      for (int i = 0; i < m.out; ++i) h(m.b + i) = T(a * (2 * rng::uniform(seed, kStreamMaps, m.b + i) - 1));
  };
  for (const auto* m : {&m_lift1, &m_lift2, &m_proj1, &m_proj2}) uniform_map(*m);
  const int H = m_shape.width;
  for (std::size_t l = 0; l < m_blocks.size(); ++l) {
    const Block& b = m_blocks[l];
    for (const auto* m : {&b.skip, &b.mlp1, &b.mlp2}) uniform_map(*m);
    for (int i = 0; i < H; ++i) {
      h(b.spectral_bias + i) = T(std::sqrt(2.0 / (2 * H)) * rng::normal(seed, kStreamBias, b.spectral_bias + i));
      h(b.gate + i) = T(1);
    }
  }
  Kokkos::deep_copy(UView1<T>(params, m_n_params), h);
  for (std::size_t l = 0; l < m_blocks.size(); ++l)
    m_convs[l].init(params + m_blocks[l].spectral, seed, kStreamSpectral + l);
}

template <class T>
void FnoModel<T>::allocate(int batch, int nx, int ny) {
  if (batch == m_batch && nx == m_nx && ny == m_ny) return;
  m_batch = batch, m_nx = nx, m_ny = ny;
  const std::size_t P = std::size_t(nx) * ny, B = std::size_t(batch), H = std::size_t(m_shape.width);
  auto field = [&](std::size_t channels) {
    return View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::FnoModel::activation"), B * channels * P);
  };
  m_a0 = field(m_shape.in + 2);
  m_l1z = field(m_lift1.out), m_l1 = field(m_lift1.out);
  m_proj_z = field(m_proj1.out), m_proj_a = field(m_proj1.out);
  m_h.clear(), m_z.clear(), m_g.clear(), m_m1z.clear(), m_m1.clear(), m_out_z.clear();
  for (int l = 0; l <= m_shape.blocks; ++l) m_h.push_back(field(H));
  for (int l = 0; l < m_shape.blocks; ++l) {
    m_z.push_back(field(H)), m_g.push_back(field(H)), m_out_z.push_back(field(H));
    m_m1z.push_back(field(H / 2)), m_m1.push_back(field(H / 2));
  }
  m_ones = View1<T>("npde::fno::FnoModel::ones", P);
  // the reverse pass's adjoints, allocated once per shape (every one is written before it is read)
  const std::size_t adj_channels[8] = {std::size_t(m_proj1.out), H, H, H, H / 2, H, std::size_t(m_lift1.out),
                                       std::size_t(m_shape.in + 2)};
  for (int k = 0; k < 8; ++k)
    m_adj[k] = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::FnoModel::adjoint"),
                        B * adj_channels[k] * P);
  Kokkos::deep_copy(m_ones, T(1));
}

template <class T>
void FnoModel<T>::forward(const T* params, const T* x, int batch, int nx, int ny, T* y) {
  NPDE_REQUIRE(batch >= 1, "FNO forward on " << batch << " samples");
  allocate(batch, nx, ny);
  const long P = long(nx) * ny;
  const int cin = m_shape.in, H = m_shape.width, L = m_shape.blocks;
  // inputs and the grid channels x = i / nx, y = j / ny
  T* a0 = m_a0.data();
  const int ca = cin + 2;
  Kokkos::parallel_for("npde::fno::FnoModel::grid", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * ca * P),
                       KOKKOS_LAMBDA(const long e) {
                         const long p = e % P;
                         const int c = int((e / P) % ca), b = int(e / (P * ca));
                         a0[e] = c < cin ? x[(long(b) * cin + c) * P + p]
                                 : c == cin ? T(double(p / ny) / nx)
                                            : T(double(p % ny) / ny);
                       });
  map_forward(m_lift1, params, a0, batch, P, m_l1z.data());
  apply_gelu("npde::fno::FnoModel::lift_gelu", m_l1z.data(), m_l1.data(), long(m_l1z.extent(0)));
  map_forward(m_lift2, params, m_l1.data(), batch, P, m_h[0].data());
  for (int l = 0; l < L; ++l) {
    const Block& bl = m_blocks[l];
    const T* h = m_h[l].data();
    T* z = m_z[l].data();
    // z = spectral(h) + bias + W_skip h
    m_convs[l].forward(params + bl.spectral, h, batch, nx, ny, z);
    const T* sb = params + bl.spectral_bias;
    for_rows("npde::fno::FnoModel::spectral_bias", long(batch) * H, P,
             KOKKOS_LAMBDA(const long row, const long p) { z[row * P + p] += sb[row % H]; });
    map_forward(bl.skip, params, h, batch, P, z, true);
    apply_gelu("npde::fno::FnoModel::block_gelu", z, m_g[l].data(), long(batch) * H * P);
    map_forward(bl.mlp1, params, m_g[l].data(), batch, P, m_m1z[l].data());
    apply_gelu("npde::fno::FnoModel::mlp_gelu", m_m1z[l].data(), m_m1[l].data(), long(m_m1z[l].extent(0)));
    T* oz = m_out_z[l].data();
    map_forward(bl.mlp2, params, m_m1[l].data(), batch, P, oz);
    const T* gate = params + bl.gate;
    T* hn = m_h[l + 1].data();
    const bool last = l + 1 == L;
    for_rows("npde::fno::FnoModel::gate", long(batch) * H, P, KOKKOS_LAMBDA(const long row, const long p) {
      const long e = row * P + p;
      oz[e] += gate[row % H] * h[e];
      if (last) {
        hn[e] = oz[e];
      } else {  // the output, and gelu' kept in oz for the reverse pass
        T av, dv;
        gelu_both(oz[e], av, dv);
        hn[e] = av;
        oz[e] = dv;
      }
    });
  }
  map_forward(m_proj1, params, m_h[L].data(), batch, P, m_proj_z.data());
  apply_gelu("npde::fno::FnoModel::proj_gelu", m_proj_z.data(), m_proj_a.data(), long(m_proj_z.extent(0)));
  map_forward(m_proj2, params, m_proj_a.data(), batch, P, y);
}

template <class T>
void FnoModel<T>::backward(const T* params, const T* ybar, T* xbar, T* grad) {
  NPDE_REQUIRE(m_batch > 0, "FnoModel::backward before forward");
  const int batch = m_batch, nx = m_nx, ny = m_ny, H = m_shape.width, L = m_shape.blocks, cin = m_shape.in;
  const long P = long(nx) * ny;
  const T* ones = m_ones.data();
  View1<T>&pa = m_adj[0], &hb = m_adj[1], &hb_next = m_adj[2], &gb = m_adj[3], &mb = m_adj[4], &sb = m_adj[5];
  map_backward(m_proj2, params, m_proj_a.data(), ybar, batch, P, ones, pa.data(), false, grad);
  gelu_backward("npde::fno::FnoModel::proj_gelu_adjoint", m_proj_z.data(), pa.data(), long(pa.extent(0)));
  map_backward(m_proj1, params, m_h[L].data(), pa.data(), batch, P, ones, hb_next.data(), false, grad);
  for (int l = L - 1; l >= 0; --l) {
    const Block& bl = m_blocks[l];
    const T* h = m_h[l].data();
    const T* oz = m_out_z[l].data();
    T* ob = hb_next.data();  // becomes the adjoint of the block output before its GELU
    const bool last = l + 1 == L;
    const T* gate = params + bl.gate;
    T* hbl = hb.data();
    for_rows("npde::fno::FnoModel::gate_adjoint", long(batch) * H, P, KOKKOS_LAMBDA(const long row, const long p) {
      const long e = row * P + p;
      if (!last) ob[e] *= oz[e];  // oz holds gelu'
      hbl[e] = gate[row % H] * ob[e];
    });
    // gate gradient: sum over samples and points of ob * h, per channel
    {
      T* gg = grad + bl.gate;
      Kokkos::parallel_for("npde::fno::FnoModel::gate_gradient", Kokkos::RangePolicy<ExecSpace>(0, H),
                           KOKKOS_LAMBDA(const int c) {
                             T acc = T(0);
                             for (int b = 0; b < batch; ++b)
                               for (long p = 0; p < P; ++p) acc += ob[(long(b) * H + c) * P + p] * h[(long(b) * H + c) * P + p];
                             gg[c] += acc;
                           });
    }
    map_backward(bl.mlp2, params, m_m1[l].data(), ob, batch, P, ones, mb.data(), false, grad);
    gelu_backward("npde::fno::FnoModel::mlp_gelu_adjoint", m_m1z[l].data(), mb.data(), long(mb.extent(0)));
    map_backward(bl.mlp1, params, m_g[l].data(), mb.data(), batch, P, ones, gb.data(), false, grad);
    gelu_backward("npde::fno::FnoModel::block_gelu_adjoint", m_z[l].data(), gb.data(), long(gb.extent(0)));
    // z = spectral(h) + bias + W_skip h
    {
      T* gsb = grad + bl.spectral_bias;
      const T* zb = gb.data();
      Kokkos::parallel_for("npde::fno::FnoModel::spectral_bias_gradient", Kokkos::RangePolicy<ExecSpace>(0, H),
                           KOKKOS_LAMBDA(const int c) {
                             T acc = T(0);
                             for (int b = 0; b < batch; ++b)
                               for (long p = 0; p < P; ++p) acc += zb[(long(b) * H + c) * P + p];
                             gsb[c] += acc;
                           });
    }
    map_backward(bl.skip, params, h, gb.data(), batch, P, ones, hbl, true, grad);
    m_convs[l].backward(params + bl.spectral, gb.data(), sb.data(), grad + bl.spectral);
    T* s = sb.data();
    T* next = hb_next.data();
    Kokkos::parallel_for("npde::fno::FnoModel::block_input_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * H * P),
                         KOKKOS_LAMBDA(const long e) { next[e] = hbl[e] + s[e]; });
  }
  View1<T>&lb = m_adj[6], &ab = m_adj[7];
  map_backward(m_lift2, params, m_l1.data(), hb_next.data(), batch, P, ones, lb.data(), false, grad);
  gelu_backward("npde::fno::FnoModel::lift_gelu_adjoint", m_l1z.data(), lb.data(), long(lb.extent(0)));
  map_backward(m_lift1, params, m_a0.data(), lb.data(), batch, P, ones, xbar ? ab.data() : nullptr, false, grad);
  if (!xbar) return;
  const T* a = ab.data();
  const int ca = cin + 2;
  Kokkos::parallel_for("npde::fno::FnoModel::input_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * cin * P),
                       KOKKOS_LAMBDA(const long e) {
                         const long p = e % P;
                         const int c = int((e / P) % cin), b = int(e / (P * cin));
                         xbar[e] = a[(long(b) * ca + c) * P + p];
                       });
}

template class FnoModel<double>;
template class FnoModel<float>;

}  // namespace npde::fno
