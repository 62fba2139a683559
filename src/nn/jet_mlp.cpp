// SPDX-License-Identifier: BSD-3-Clause
// JetMlp: forward jets and reverse pass, one GEMM per layer and direction.
#include "npde/nn/jet_mlp.hpp"

#include "npde/core/error.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/nn/jet_kernels.hpp"
#include "npde/core/math.hpp"

namespace npde::nn {

namespace detail {

/// Above this many raw inputs the first layer's value channel is a GEMM (a loop per point below).
constexpr int kGemmInputs = 8;

/// Runs body(p, i0, i1) over the neurons [i0, i1) of each of n points of w neurons. On the host: one
/// call per point with all its neurons, so the loops over neurons inside vectorise. On a device: one
/// call per neuron, so consecutive threads touch consecutive neurons of a channel (at i + c*cs + w*p)
/// and their memory accesses coalesce; a thread per point would stride by w elements. Every jet
/// kernel below treats the neurons of a point independently, so both give the same numbers.
template <class F>
void for_neurons(const char* label, int w, int n, const F& body) {
  if constexpr (device_is_host) {
    Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) { body(p, 0, w); });
  } else {
    Kokkos::parallel_for(
        label, Kokkos::RangePolicy<ExecSpace>(0, long(w) * n), KOKKOS_LAMBDA(const long e) {
          const int p = int(e / w), i = int(e - long(w) * p);
          body(p, i, i + 1);
        });
  }
}

/// First linear layer on jets: z0 = W x (the bias is added by the next kernel); a tangent channel for input k is the column W[:, k]
/// (dx/dx_k is the unit vector), second-order channels are zero. d = 0: the value channel is already
/// in z (a GEMM did it); x and the first d inputs are then unused.
template <class T>
void first_layer(const JetLayout L, int w, int d, int n, const T* W, const T* x, T* z) {
  const long cs = long(w) * n;  // channel stride
  for_neurons("npde::nn::JetMlp::forward::first_layer", w, n,
              KOKKOS_LAMBDA(const int p, const int i0, const int i1) {
                T* zp = z + long(w) * p;
                for (int i = i0; i < i1 && d > 0; ++i) {
                  T acc = T(0);
                  for (int k = 0; k < d; ++k) acc += W[i + long(w) * k] * x[k + long(d) * p];
                  zp[i] = acc;
                }
                for (int t = 0; t < L.n_tan; ++t) {
                  const T* col = W + long(w) * L.tan_dim[t];
                  for (int i = i0; i < i1; ++i) zp[(1 + t) * cs + i] = col[i];
                }
                for (int c = 1 + L.n_tan; c < L.n_channels; ++c)
                  for (int i = i0; i < i1; ++i) zp[c * cs + i] = T(0);
              });
}

/// Jets of the embedding's features: feature j = f(s), s = omega_j . x + shift_j, so channel by channel
/// f(s), f'(s) omega_ja, and f''(s) omega_ja omega_jb for the second-order channels. phi: (m, C*n).
template <class T>
void embed_features(const JetLayout L, int m, int d, int n, const int* kind, const T* omega, const T* shift,
                    const T* x, T* phi) {
  const long cs = long(m) * n;
  for_neurons(
      "npde::nn::JetMlp::forward::embedding", m, n, KOKKOS_LAMBDA(const int p, const int j0, const int j1) {
        T* out = phi + long(m) * p;
        const int cl = 1 + L.n_tan, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;
        for (int j = j0; j < j1; ++j) {
          const T* w = omega + long(d) * j;
          T s = shift[j];
          for (int k = 0; k < d; ++k) s += w[k] * x[k + long(d) * p];
          T f0 = s, f1 = T(1), f2 = T(0);
          if (kind[j] == 1) {
            f0 = math::cos(s), f1 = -math::sin(s), f2 = -f0;
          } else if (kind[j] == 2) {
            f0 = math::sin(s), f1 = math::cos(s), f2 = -f0;
          }
          out[j] = f0;
          for (int t = 0; t < L.n_tan; ++t) out[(1 + t) * cs + j] = f1 * w[L.tan_dim[t]];
          if (L.n_lap > 0) {
            T q = T(0);
            for (int k = 0; k < L.n_lap; ++k) {
              const T wk = w[L.tan_dim[L.lap_pos[k]]];
              q += wk * wk;
            }
            out[cl * cs + j] = f2 * q;
          }
          for (int i = 0; i < L.n_diag; ++i) {
            const T wk = w[L.tan_dim[L.diag_pos[i]]];
            out[(cd + i) * cs + j] = f2 * wk * wk;
          }
          for (int i = 0; i < L.n_mixed; ++i)
            out[(cm + i) * cs + j] = f2 * w[L.tan_dim[L.mixed_a[i]]] * w[L.tan_dim[L.mixed_b[i]]];
          const T f3 = kind[j] == 0 ? T(0) : -f1;  // third derivative: cos -> sin = -(cos)', sin -> -cos = -(sin)'
          for (int i = 0; i < L.n_third; ++i)
            out[(cm + L.n_mixed + i) * cs + j] = f3 * w[L.tan_dim[L.third_pos[i][0]]] *
                                                  w[L.tan_dim[L.third_pos[i][1]]] * w[L.tan_dim[L.third_pos[i][2]]];
        }
      });
}

/// Gaussian k at point p: returns G = exp(-1/2 sum_a r_a^2), r_a = (x_a - mu_ka) / sigma_ka, and per
/// axis q_a = -r_a / sigma_ka, h_a = 1 / sigma_ka^2 and (rho not null) rho_a = r_a^2.
template <class T>
KOKKOS_INLINE_FUNCTION T gaussian_axes(int k, int d, int p, const T* mu, const T* ls, const T* x, T* q, T* h, T* rho) {
  T e = T(0);
  for (int a = 0; a < d; ++a) {
    const T is = math::exp(-ls[long(k) * d + a]);
    const T r = (x[a + long(d) * p] - mu[long(k) * d + a]) * is;
    e += r * r;
    h[a] = is * is;
    q[a] = -r * is;
    if (rho) rho[a] = r * r;
  }
  return math::exp(T(-0.5) * e);
}

/// Jets of Gaussian features G_k = exp(-1/2 sum_a r_a^2), r_a = (x_a - mu_ka) / sigma_ka. With
/// q_a = dG/dx_a / G = -r_a / sigma_ka and h_a = 1 / sigma_ka^2: tangent G q_a, second derivative
/// G (q_a^2 - h_a), mixed G q_a q_b. theta: mu (K x d, row k at k d), then log sigma, same shape.
template <class T>
void embed_gaussians(const JetLayout L, int K, int d, int n, const T* theta, const T* x, T* phi) {
  const long cs = long(K) * n;
  const T* mu = theta;
  const T* ls = theta + long(K) * d;
  for_neurons("npde::nn::JetMlp::forward::gaussians", K, n, KOKKOS_LAMBDA(const int p, const int k0, const int k1) {
    T* out = phi + long(K) * p;
    const int cl = 1 + L.n_tan, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;
    for (int k = k0; k < k1; ++k) {
      T q[kMaxGaussianInputs], h[kMaxGaussianInputs];
      const T G = gaussian_axes<T>(k, d, p, mu, ls, x, q, h, nullptr);
      out[k] = G;
      for (int t = 0; t < L.n_tan; ++t) out[(1 + t) * cs + k] = G * q[L.tan_dim[t]];
      if (L.n_lap > 0) {
        T s = T(0);
        for (int i = 0; i < L.n_lap; ++i) {
          const int a = L.tan_dim[L.lap_pos[i]];
          s += q[a] * q[a] - h[a];
        }
        out[cl * cs + k] = G * s;
      }
      for (int i = 0; i < L.n_diag; ++i) {
        const int a = L.tan_dim[L.diag_pos[i]];
        out[(cd + i) * cs + k] = G * (q[a] * q[a] - h[a]);
      }
      for (int i = 0; i < L.n_mixed; ++i)
        out[(cm + i) * cs + k] = G * q[L.tan_dim[L.mixed_a[i]]] * q[L.tan_dim[L.mixed_b[i]]];
    }
  });
}

/// Reverse of embed_gaussians: from the adjoints ab of the feature jets, each point's contribution to
/// the gradient of mu and log sigma, written to column p of g (2 K d rows, the order of theta). Every
/// channel X = G v depends on mu_b and s_b = log sigma_b through G (dG/dmu_b = -G q_b, dG/ds_b = G r_b^2)
/// and through v along its own axes: dq_a/dmu_a = h_a, dq_a/ds_a = -2 q_a, dh_a/ds_a = -2 h_a.
template <class T>
void gaussian_backward(const JetLayout L, int K, int d, int n, const T* theta, const T* x, const T* ab, T* g) {
  const long cs = long(K) * n, rows = 2L * K * d;
  const T* mu = theta;
  const T* ls = theta + long(K) * d;
  for_neurons("npde::nn::JetMlp::backward::gaussians", K, n, KOKKOS_LAMBDA(const int p, const int k0, const int k1) {
    const T* a0 = ab + long(K) * p;
    const int cl = 1 + L.n_tan, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;
    for (int k = k0; k < k1; ++k) {
      T q[kMaxGaussianInputs], h[kMaxGaussianInputs], rho[kMaxGaussianInputs];
      T gm[kMaxGaussianInputs] = {}, gs[kMaxGaussianInputs] = {};
      const T G = gaussian_axes<T>(k, d, p, mu, ls, x, q, h, rho);
      T S = a0[k] * G;  // sum over channels of adjoint times channel value: the part through G
      for (int t = 0; t < L.n_tan; ++t) {
        const int a = L.tan_dim[t];
        const T A = a0[(1 + t) * cs + k];
        S += A * G * q[a];
        gm[a] += A * G * h[a];
        gs[a] -= T(2) * A * G * q[a];
      }
      auto second = [&](int a, T A) {  // X = G (q_a^2 - h_a)
        S += A * G * (q[a] * q[a] - h[a]);
        gm[a] += T(2) * A * G * q[a] * h[a];
        gs[a] += A * G * (T(2) * h[a] - T(4) * q[a] * q[a]);
      };
      if (L.n_lap > 0)
        for (int i = 0; i < L.n_lap; ++i) second(L.tan_dim[L.lap_pos[i]], a0[cl * cs + k]);
      for (int i = 0; i < L.n_diag; ++i) second(L.tan_dim[L.diag_pos[i]], a0[(cd + i) * cs + k]);
      for (int i = 0; i < L.n_mixed; ++i) {  // X = G q_a q_b
        const int a = L.tan_dim[L.mixed_a[i]], b = L.tan_dim[L.mixed_b[i]];
        const T A = a0[(cm + i) * cs + k];
        const T X = G * q[a] * q[b];
        S += A * X;
        gm[a] += A * G * h[a] * q[b];
        gm[b] += A * G * h[b] * q[a];
        gs[a] -= T(2) * A * X;
        gs[b] -= T(2) * A * X;
      }
      T* col = g + rows * p;
      for (int a = 0; a < d; ++a) {
        col[long(k) * d + a] = gm[a] - q[a] * S;
        col[long(K) * d + long(k) * d + a] = gs[a] + rho[a] * S;
      }
    }
  });
}

/// Adds the bias to the value channel (columns 0..n-1) of z (w x C*n).
template <class T>
void add_bias(int w, int n, const T* b, T* z) {
  for_neurons("npde::nn::JetMlp::forward::bias", w, n, KOKKOS_LAMBDA(const int p, const int i0, const int i1) {
    for (int i = i0; i < i1; ++i) z[i + long(w) * p] += b[i];
  });
}

/// Activation on jets: a = sigma(z) channel-wise by the chain rule; adds the bias to z's value channel
/// first (and keeps it there, the reverse pass needs z).
template <class Fn, class T>
void activation_forward(const JetLayout L, int w, int n, const T* b, T* z, T* a) {
  const long cs = long(w) * n;
  for_neurons("npde::nn::JetMlp::forward::activation", w, n,
              KOKKOS_LAMBDA(const int p, const int i0, const int i1) {
                const long e = long(w) * p + i0;
                jet_activation_forward<Fn>(L, i1 - i0, cs, b + i0, z + e, a + e);
              });
}

/// Reverse of activation_forward: zb from ab.
template <class Fn, class T>
void activation_backward(const JetLayout L, int w, int n, const T* z, const T* a, const T* ab, T* zb) {
  const long cs = long(w) * n;
  for_neurons("npde::nn::JetMlp::backward::activation", w, n,
              KOKKOS_LAMBDA(const int p, const int i0, const int i1) {
                const long e = long(w) * p + i0;
                jet_activation_backward<Fn>(L, i1 - i0, cs, z + e, a + e, ab + e, zb + e);
              });
}

template <class T, class F>
void dispatch_activation(Activation act, F&& f) {
  switch (act) {
    case Activation::Tanh: f(TanhFn{}); break;
    case Activation::Sin: f(SinFn{}); break;
    case Activation::Softplus: f(SoftplusFn{}); break;
  }
}

/// One direction of an output map at n points: to (n_to outputs, c_to channels) is zeroed, then gets
/// coef[t] times entry from_at[t] of `from` (n_from outputs) at entry to_at[t], each entry o + n c.
/// Forward: network -> model (to_at = the model's entries); reverse: the transpose.
template <class T>
void apply_output_map(const char* label, int n, int nt, const int* to_at, const int* from_at, const T* coef,
                      const T* from, int n_from, T* to, int n_to, int c_to) {
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) {
    for (int e = 0; e < n_to * c_to; ++e) to[e % n_to + long(n_to) * ((e / n_to) * long(n) + p)] = T(0);
    for (int t = 0; t < nt; ++t) {
      const int te = to_at[t], fe = from_at[t];
      to[te % n_to + long(n_to) * ((te / n_to) * long(n) + p)] +=
          coef[t] * from[fe % n_from + long(n_from) * ((fe / n_from) * long(n) + p)];
    }
  });
}

/// The network's jet for a model jet (the stream function's wider one; terms: its map).
JetSpec network_jet(OutputMap map, const JetSpec& model, int n_model_outputs, std::vector<JetMapTerm>& terms) {
  terms.clear();
  return map == OutputMap::StreamFunction ? stream_function_jet(model, n_model_outputs, terms) : model;
}

}  // namespace detail

template <class T>
JetMlp<T>::JetMlp(const Mlp<T>& net, const JetSpec& spec, int max_points)
    : m_net(&net), m_spec(spec), m_max_points(max_points) {
  NPDE_REQUIRE(spec.n_inputs == net.raw_inputs(),
               "jet spec has " << spec.n_inputs << " inputs, network " << net.raw_inputs());
  NPDE_REQUIRE(max_points >= 1, "max_points = " << max_points);
  std::vector<JetMapTerm> terms;
  m_inner = detail::network_jet(net.output_map(), spec, net.n_model_outputs(), terms);
  m_layout = make_layout(m_inner);
  m_map_n = int(terms.size());
  if (m_map_n > 0) {
    const int NO = net.n_model_outputs(), NI = net.n_outputs();
    m_map_dst = Kokkos::View<int*, MemSpace>("npde::nn::JetMlp::map_dst", m_map_n);
    m_map_src = Kokkos::View<int*, MemSpace>("npde::nn::JetMlp::map_src", m_map_n);
    m_map_coef = View1<T>("npde::nn::JetMlp::map_coef", m_map_n);
    auto hd = Kokkos::create_mirror_view(m_map_dst);
    auto hs = Kokkos::create_mirror_view(m_map_src);
    auto hc = Kokkos::create_mirror_view(m_map_coef);
    for (int i = 0; i < m_map_n; ++i) {
      hd(i) = terms[i].output + NO * terms[i].channel;
      hs(i) = terms[i].net_output + NI * terms[i].net_channel;
      hc(i) = T(terms[i].coef);
    }
    Kokkos::deep_copy(m_map_dst, hd);
    Kokkos::deep_copy(m_map_src, hs);
    Kokkos::deep_copy(m_map_coef, hc);
    m_map_out = View1<T>("npde::nn::JetMlp::map_out", std::size_t(NO) * m_spec.n_channels() * max_points);
    m_map_adj = View1<T>("npde::nn::JetMlp::map_adj", std::size_t(NI) * m_layout.n_channels * max_points);
  }
  const auto& w = net.widths();
  const long cp = long(m_layout.n_channels) * max_points;
  for (int l = 0; l < net.n_layers(); ++l) {
    m_z.emplace_back(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::z"), w[l + 1] * cp);
    if (l + 1 < net.n_layers())
      m_a.emplace_back(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::a"), w[l + 1] * cp);
  }
  m_adj_a = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::adj_a"), net.max_width() * cp);
  m_adj_z = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::adj_z"), net.max_width() * cp);
  NPDE_REQUIRE(!net.pirate() || !net.embedding().empty(),
               "a PirateNet needs an input embedding (its first block adds the features to its output)");
  if (net.gated()) {
    const std::size_t h = std::size_t(w[1]) * cp;
    if (net.pirate())
      m_adj_res = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::adj_res"), h);
    for (int k = 0; k < 2; ++k) {
      m_enc_z[k] = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::enc_z"), h);
      m_enc_a[k] = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::enc_a"), h);
      m_adj_enc[k] = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::adj_enc"), h);
    }
    for (int l = 0; l + 1 < net.n_layers(); ++l)
      m_s.emplace_back(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::s"), h);
    m_adj_s = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::adj_s"), h);
  }
  m_ones = View1<T>("npde::nn::JetMlp::ones", max_points);
  Kokkos::deep_copy(m_ones, T(1));
  const InputEmbedding& e = net.embedding();
  NPDE_REQUIRE(!e.gaussian() || m_inner.n_third() == 0, "Gaussian features carry jets up to second order");
  if (e.gaussian()) {
    const int m = e.n_features();
    m_phi = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::phi"), m * cp);
    m_adj_phi = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::adj_phi"), m * cp);
    m_gauss_grad = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::gauss_grad"),
                            2 * std::size_t(m) * std::size_t(e.n_inputs) * std::size_t(max_points));
  } else if (!e.empty()) {
    const int m = e.n_features(), d = e.n_inputs;
    m_phi = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetMlp::phi"), m * cp);
    m_omega = View1<T>("npde::nn::JetMlp::omega", std::size_t(m) * d);
    m_shift = View1<T>("npde::nn::JetMlp::shift", m);
    m_kind = Kokkos::View<int*, MemSpace>("npde::nn::JetMlp::kind", m);
    auto ho = Kokkos::create_mirror_view(m_omega);
    auto hs = Kokkos::create_mirror_view(m_shift);
    auto hk = Kokkos::create_mirror_view(m_kind);
    for (int j = 0; j < m; ++j) {
      for (int k = 0; k < d; ++k) ho(std::size_t(j) * d + k) = T(e.features[j].omega[k]);
      hs(j) = T(e.features[j].shift);
      hk(j) = e.features[j].kind == FeatureKind::Linear ? 0 : e.features[j].kind == FeatureKind::Cos ? 1 : 2;
    }
    Kokkos::deep_copy(m_omega, ho);
    Kokkos::deep_copy(m_shift, hs);
    Kokkos::deep_copy(m_kind, hk);
  }
}

template <class T>
void JetMlp<T>::set_tangents(const std::vector<int>& dims) {
  NPDE_REQUIRE(m_map_n == 0, "tangent dimensions of a jet with an output map (stream function) cannot move");
  NPDE_REQUIRE(int(dims.size()) == m_spec.n_tangents(),
               dims.size() << " tangent dimensions for a jet of " << m_spec.n_tangents() << " tangents");
  JetSpec s = m_spec;
  s.tangents = dims;
  s.validate();
  m_spec = s;
  m_layout = make_layout(s);
}

template <class T>
void JetMlp<T>::share_scratch(const JetMlp& from) {
  NPDE_REQUIRE(from.m_net == m_net && from.m_layout.n_channels == m_layout.n_channels &&
                   from.m_max_points >= m_max_points,
               "JetMlp::share_scratch: another network or jet, or fewer points");
  m_adj_a = from.m_adj_a, m_adj_z = from.m_adj_z, m_adj_s = from.m_adj_s, m_adj_res = from.m_adj_res;
  m_adj_enc[0] = from.m_adj_enc[0], m_adj_enc[1] = from.m_adj_enc[1];
  m_map_adj = from.m_map_adj, m_adj_phi = from.m_adj_phi, m_gauss_grad = from.m_gauss_grad;
  m_ones = from.m_ones;
}

template <class T>
void JetMlp<T>::input_linear(const T* W, int out, const T* x, int n, T* z) {
  const int C = m_layout.n_channels;
  const int d = m_net->widths()[0];
  if (m_phi.extent(0) > 0) {
    gemm<T>(false, false, out, C * n, d, T(1), W, m_phi.data(), T(0), z);
  } else if (d > detail::kGemmInputs) {  // many inputs: the value channel as a GEMM, then the tangent columns
    gemm<T>(false, false, out, n, d, T(1), W, x, T(0), z);
    detail::first_layer(m_layout, out, 0, n, W, x, z);
  } else {
    detail::first_layer(m_layout, out, d, n, W, x, z);
  }
}

template <class T>
void JetMlp<T>::forward(const T* x, int n) {
  NPDE_REQUIRE(n >= 0 && n <= m_max_points, "n = " << n << " > max_points = " << m_max_points);
  if (n == 0) return;
  Kokkos::Profiling::pushRegion("npde::nn::JetMlp::forward");
  const auto& w = m_net->widths();
  const int nl = m_net->n_layers();
  const int C = m_layout.n_channels;
  const T* params = m_net->params().data();
  const JetLayout L = m_layout;
  const long cs = long(w[1]) * n;
  if (m_net->embedding().gaussian())
    detail::embed_gaussians(L, w[0], m_spec.n_inputs, n, params + m_net->gaussian_offset(), x, m_phi.data());
  else if (m_phi.extent(0) > 0)  // the embedding's features feed the first layer (and the encoders)
    detail::embed_features(L, w[0], m_spec.n_inputs, n, m_kind.data(), m_omega.data(), m_shift.data(), x,
                           m_phi.data());
  if (m_net->gated())  // U and V
    for (int k = 0; k < 2; ++k) {
      const DenseLayer d = m_net->encoder(k);
      input_linear(params + d.w, d.out, x, n, m_enc_z[k].data());
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_forward<decltype(fn), T>(L, d.out, n, params + d.b, m_enc_z[k].data(), m_enc_a[k].data());
      });
    }
  for (int l = 0; l < nl; ++l) {
    const T* W = params + m_net->weight_offset(l);
    const T* b = params + m_net->bias_offset(l);
    T* z = m_z[l].data();
    if (l == 0)
      input_linear(W, w[1], x, n, z);
    else
      gemm<T>(false, false, w[l + 1], C * n, w[l], T(1), W, m_a[l - 1].data(), T(0), z);
    if (l + 1 < nl && !m_net->gated()) {
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_forward<decltype(fn), T>(L, w[l + 1], n, b, z, m_a[l].data());
      });
    } else if (l + 1 < nl && m_net->pirate() && l % 3 == 2) {
      // the block's last layer: h = sigma(z), then a = alpha h + (1 - alpha) x_block
      T* sv = m_s[l].data();
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_forward<decltype(fn), T>(L, w[l + 1], n, b, z, sv);
      });
      const T* xb = l == 2 ? m_phi.data() : m_a[l - 3].data();
      const T* alpha = params + m_net->alpha_offset() + l / 3;
      T* a = m_a[l].data();
      Kokkos::parallel_for(
          "npde::nn::JetMlp::forward::residual", Kokkos::RangePolicy<ExecSpace>(0, long(w[l + 1]) * C * n),
          KOKKOS_LAMBDA(const long i) { a[i] = alpha[0] * sv[i] + (T(1) - alpha[0]) * xb[i]; });
    } else if (l + 1 < nl) {  // S = sigma(z), then the gate a = V + S (U - V)
      T* sv = m_s[l].data();
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_forward<decltype(fn), T>(L, w[l + 1], n, b, z, sv);
      });
      const T* u = m_enc_a[0].data();
      const T* v = m_enc_a[1].data();
      T* a = m_a[l].data();
      const int wl = w[l + 1];
      detail::for_neurons("npde::nn::JetMlp::forward::gate", wl, n,
                          KOKKOS_LAMBDA(const int p, const int i0, const int i1) {
                            const long e = long(wl) * p + i0;
                            detail::jet_gate_forward(L, i1 - i0, cs, sv + e, u + e, v + e, a + e);
                          });
    } else {
      detail::add_bias(w[l + 1], n, b, z);
    }
  }
  if (m_map_n > 0)  // the model's jets from the network's
    detail::apply_output_map("npde::nn::JetMlp::forward::output_map", n, m_map_n, m_map_dst.data(), m_map_src.data(),
                             m_map_coef.data(), m_z.back().data(), m_net->n_outputs(), m_map_out.data(),
                             m_net->n_model_outputs(), m_spec.n_channels());
  Kokkos::Profiling::popRegion();
}

template <class T>
void JetMlp<T>::input_linear_backward(const T* x, int n, const DenseLayer& d, const T* zbar, T* grad) {
  const JetLayout L = m_layout;
  const int C = L.n_channels;
  const T* ones = m_ones.data();
  gemm<T>(false, false, d.out, 1, n, T(1), zbar, ones, T(1), grad + d.b);  // bias: value channel only
  if (m_phi.extent(0) > 0) {  // z = W phi: every channel of the features
    gemm<T>(false, true, d.out, d.in, C * n, T(1), zbar, m_phi.data(), T(1), grad + d.w);
    if (m_adj_phi.extent(0) > 0) {  // trainable features: their adjoint W^T zbar, summed over the maps
      gemm<T>(true, false, d.in, C * n, d.out, T(1), m_net->params().data() + d.w, zbar,
              m_adj_phi_started ? T(1) : T(0), m_adj_phi.data());
      m_adj_phi_started = true;
    }
  } else {
    // z = W x + b on the value channel; tangent channel t is the column W[:, tan_dim[t]].
    gemm<T>(false, true, d.out, d.in, n, T(1), zbar, x, T(1), grad + d.w);
    for (int t = 0; t < L.n_tan; ++t)
      gemm<T>(false, false, d.out, 1, n, T(1), zbar + long(d.out) * (1 + t) * n, ones, T(1),
              grad + d.w + long(d.out) * L.tan_dim[t]);
  }
}

template <class T>
void JetMlp<T>::backward(const T* x, int n, const T* adj, T* grad) {
  if (n == 0) return;
  Kokkos::Profiling::pushRegion("npde::nn::JetMlp::backward");
  const auto& w = m_net->widths();
  const int nl = m_net->n_layers();
  const int C = m_layout.n_channels;
  const T* params = m_net->params().data();
  const JetLayout L = m_layout;
  const bool modified = m_net->gated();  // gates (modified MLP, PirateNet)
  const long cs = long(w[1]) * n;
  m_adj_phi_started = false;
  if (modified)
    for (int k = 0; k < 2; ++k)
      Kokkos::deep_copy(Kokkos::subview(m_adj_enc[k], std::make_pair(std::size_t(0), std::size_t(w[1]) * C * n)), T(0));
  if (m_map_n > 0) {  // the adjoint of the network's jets: the map transposed
    detail::apply_output_map("npde::nn::JetMlp::backward::output_map", n, m_map_n, m_map_src.data(), m_map_dst.data(),
                             m_map_coef.data(), adj, m_net->n_model_outputs(), m_map_adj.data(), m_net->n_outputs(), C);
    adj = m_map_adj.data();
  }
  const T* zbar = adj;
  for (int l = nl - 1; l >= 0; --l) {
    const int wo = w[l + 1], wi = w[l];
    if (l + 1 < nl && !modified) {  // hidden layer: through the activation first
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_backward<decltype(fn), T>(L, wo, n, m_z[l].data(), m_a[l].data(), m_adj_a.data(),
                                                     m_adj_z.data());
      });
      zbar = m_adj_z.data();
    } else if (l + 1 < nl && m_net->pirate() && l % 3 == 2) {
      // a = alpha h + (1 - alpha) x_block: d alpha = sum ab (h - x_block), hbar = alpha ab, and
      // (1 - alpha) ab waits in adj_res for the block's input
      const long m = long(wo) * C * n;
      const T* sv = m_s[l].data();
      const T* xb = l == 2 ? m_phi.data() : m_a[l - 3].data();
      const T* ab = m_adj_a.data();
      const T* alpha = params + m_net->alpha_offset() + l / 3;
      T* sb = m_adj_s.data();
      T* res = m_adj_res.data();
      T dalpha = T(0);
      Kokkos::parallel_reduce(
          "npde::nn::JetMlp::backward::residual", Kokkos::RangePolicy<ExecSpace>(0, m),
          KOKKOS_LAMBDA(const long i, T& acc) {
            acc += ab[i] * (sv[i] - xb[i]);
            sb[i] = alpha[0] * ab[i];
            res[i] = (T(1) - alpha[0]) * ab[i];
          },
          dalpha);
      T* ga = grad + m_net->alpha_offset() + l / 3;
      Kokkos::parallel_for(
          "npde::nn::JetMlp::backward::alpha", Kokkos::RangePolicy<ExecSpace>(0, 1),
          KOKKOS_LAMBDA(const int) { ga[0] += dalpha; });
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_backward<decltype(fn), T>(L, wo, n, m_z[l].data(), sv, sb, m_adj_z.data());
      });
      zbar = m_adj_z.data();
    } else if (l + 1 < nl) {  // through the gate (S's adjoint; U's and V's collected), then sigma
      const T* sv = m_s[l].data();
      const T* u = m_enc_a[0].data();
      const T* v = m_enc_a[1].data();
      const T* ab = m_adj_a.data();
      T* sb = m_adj_s.data();
      T* ub = m_adj_enc[0].data();
      T* vb = m_adj_enc[1].data();
      detail::for_neurons("npde::nn::JetMlp::backward::gate", wo, n,
                          KOKKOS_LAMBDA(const int p, const int i0, const int i1) {
                            const long e = long(wo) * p + i0;
                            detail::jet_gate_backward(L, i1 - i0, cs, sv + e, u + e, v + e, ab + e, sb + e, ub + e,
                                                      vb + e);
                          });
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_backward<decltype(fn), T>(L, wo, n, m_z[l].data(), sv, sb, m_adj_z.data());
      });
      zbar = m_adj_z.data();
    }
    if (l > 0) {
      T* gW = grad + m_net->weight_offset(l);
      T* gb = grad + m_net->bias_offset(l);
      gemm<T>(false, false, wo, 1, n, T(1), zbar, m_ones.data(), T(1), gb);  // bias: value channel only
      gemm<T>(false, true, wo, wi, C * n, T(1), zbar, m_a[l - 1].data(), T(1), gW);
      gemm<T>(true, false, wi, C * n, wo, T(1), params + m_net->weight_offset(l), zbar, T(0), m_adj_a.data());
      if (m_net->pirate() && l % 3 == 0 && l + 1 < nl) {  // a[l - 1] is the input of the block from l: its residual path
        T* aa = m_adj_a.data();
        const T* res = m_adj_res.data();
        Kokkos::parallel_for(
            "npde::nn::JetMlp::backward::residual_input", Kokkos::RangePolicy<ExecSpace>(0, long(wi) * C * n),
            KOKKOS_LAMBDA(const long i) { aa[i] += res[i]; });
      }
    } else {
      input_linear_backward(x, n, {m_net->weight_offset(0), m_net->bias_offset(0), wo, wi}, zbar, grad);
    }
  }
  if (modified)  // the encoders: through sigma, then their own input maps
    for (int k = 0; k < 2; ++k) {
      const DenseLayer d = m_net->encoder(k);
      detail::dispatch_activation<T>(m_net->activation(), [&](auto fn) {
        detail::activation_backward<decltype(fn), T>(L, d.out, n, m_enc_z[k].data(), m_enc_a[k].data(),
                                                     m_adj_enc[k].data(), m_adj_z.data());
      });
      input_linear_backward(x, n, d, m_adj_z.data(), grad);
    }
  if (m_net->embedding().gaussian()) {  // centres and widths: per-point terms, summed by a GEMM
    const int K = w[0], d = m_spec.n_inputs;
    const std::size_t off = m_net->gaussian_offset();
    detail::gaussian_backward(L, K, d, n, params + off, x, m_adj_phi.data(), m_gauss_grad.data());
    gemm<T>(false, false, 2 * K * d, 1, n, T(1), m_gauss_grad.data(), m_ones.data(), T(1), grad + off);
  }
  Kokkos::Profiling::popRegion();
}

template class JetMlp<double>;
template class JetMlp<float>;

}  // namespace npde::nn
