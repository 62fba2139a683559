// SPDX-License-Identifier: BSD-3-Clause
// HighDimPinn: the two-body problem on the unit ball with stochastic dimension sampling.
#include "npde/pinn/highdim.hpp"

#include <algorithm>
#include <cmath>

#include "npde/core/error.hpp"
#include "npde/core/math.hpp"
#include "npde/core/rng.hpp"
#include "npde/nn/gemm.hpp"

namespace npde::pinn {

namespace {

constexpr std::uint64_t kStreamCoefficients = 0xB0D1, kStreamPoints = 0xB0D2, kStreamValidation = 0xB0D3,
                        kStreamDimensions = 0xB0D4;

/// u*, Lap u* of the two-body solution at x (entries x[k * stride]), c the d - 1 coefficients.
/// With phi_i = x_i + cos x_{i+1} + x_{i+1} cos x_i and g = sum c_i sin phi_i:
/// Lap u* = (1 - |x|^2) Lap g - 4 x . grad g - 2 d g.
template <class X>
KOKKOS_INLINE_FUNCTION void two_body(const X* x, long stride, int d, const double* c, double& u, double& lap) {
  double r2 = 0, g = 0, xg = 0, lg = 0;
  for (int k = 0; k < d; ++k) r2 += double(x[k * stride]) * double(x[k * stride]);
  for (int i = 0; i + 1 < d; ++i) {
    const double a = double(x[i * stride]), b = double(x[(i + 1) * stride]);
    const double sa = math::sin(a), ca = math::cos(a), sb = math::sin(b), cb = math::cos(b);
    const double phi = a + cb + b * ca, sp = math::sin(phi), cp = math::cos(phi);
    const double d1 = 1.0 - b * sa, d2 = ca - sb;  // d phi / d x_i, d phi / d x_{i+1}
    g += c[i] * sp;
    xg += c[i] * cp * (a * d1 + b * d2);
    lg += c[i] * (-sp * (d1 * d1 + d2 * d2) + cp * (-b * ca - cb));
  }
  u = (1.0 - r2) * g;
  lap = (1.0 - r2) * lg - 4.0 * xg - 2.0 * double(d) * g;
}

}  // namespace

std::vector<double> TwoBody::coefficients() const {
  std::vector<double> c(std::size_t(std::max(dimension - 1, 0)));
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = rng::normal(coefficient_seed, kStreamCoefficients, i);
  return c;
}

double TwoBody::exact(const double* x) const {
  const auto c = coefficients();
  double u, lap;
  two_body(x, 1, dimension, c.data(), u, lap);
  return u;
}

double TwoBody::exact_laplacian(const double* x) const {
  const auto c = coefficients();
  double u, lap;
  two_body(x, 1, dimension, c.data(), u, lap);
  return lap;
}

double TwoBody::source(const double* x) const {
  const auto c = coefficients();
  double u, lap;
  two_body(x, 1, dimension, c.data(), u, lap);
  return form == Form::Poisson ? -lap : lap + u - u * u * u;
}

template <class T>
HighDimPinn<T>::HighDimPinn(const decomp::Communicator& comm, const TwoBody& problem, const HighDimOptions& opts)
    : m_comm(comm), m_problem(problem), m_opts(opts), m_d(problem.dimension), m_weight(opts.weight_pde) {
  NPDE_REQUIRE(m_d >= 2, "the two-body problem needs at least 2 dimensions, got " << m_d);
  NPDE_REQUIRE(opts.pass_dimensions >= 1 && opts.pass_dimensions <= nn::kMaxTangents,
               "dimensions per pass " << opts.pass_dimensions << " outside 1.." << nn::kMaxTangents);
  const bool passes = opts.sdgd_dimensions == m_d && m_d > opts.pass_dimensions;
  NPDE_REQUIRE(opts.sdgd_dimensions == m_d || (opts.sdgd_dimensions >= 1 && opts.sdgd_dimensions <= std::min(m_d, nn::kMaxTangents)),
               "sampled dimensions " << opts.sdgd_dimensions << " outside 1.." << std::min(m_d, nn::kMaxTangents)
                                     << " (or " << m_d << ": the exact Laplacian)");
  NPDE_REQUIRE(opts.n_interior >= 1 && opts.chunk >= 1, "n_interior = " << opts.n_interior << ", chunk = " << opts.chunk);
  m_n_points = opts.n_interior;
  m_net = nn::Mlp<T>(m_d, opts.hidden, 1, opts.activation, opts.architecture);
  m_net.init_glorot(opts.seed, opts.random_encoder_biases);
  int B = opts.sdgd_dimensions;
  if (passes) {  // G consecutive blocks of s dimensions, the last one possibly shorter
    const int G = (m_d + opts.pass_dimensions - 1) / opts.pass_dimensions, s = (m_d + G - 1) / G;
    for (int b = 0; b < m_d; b += s) {
      m_passes.emplace_back();
      for (int i = b; i < std::min(m_d, b + s); ++i) m_passes.back().push_back(i);
      m_passes_dev.emplace_back("npde::pinn::HighDimPinn::pass_dims", m_passes.back().size());
      auto h = Kokkos::create_mirror_view(m_passes_dev.back());
      for (std::size_t t = 0; t < m_passes.back().size(); ++t) h(t) = m_passes.back()[t];
      Kokkos::deep_copy(m_passes_dev.back(), h);
    }
    B = s;
    const int last = int(m_passes.back().size());
    if (last != s) {
      nn::JetSpec ls = nn::JetSpec::value_only(m_d);
      for (int t = 0; t < last; ++t) {
        ls.tangents.push_back(m_passes.back()[t]);
        ls.laplacian_terms.push_back(t);
      }
      m_jet_last = std::make_unique<nn::JetMlp<T>>(m_net, ls, opts.chunk);
    }
    for (auto* v : {&m_sum_xn, &m_sum_lap, &m_n0}) *v = View1<T>("npde::pinn::HighDimPinn::pass_sums", std::size_t(opts.chunk));
  }
  nn::JetSpec spec = nn::JetSpec::value_only(m_d);
  for (int t = 0; t < B; ++t) {
    spec.tangents.push_back(t);
    spec.laplacian_terms.push_back(t);
  }
  const std::size_t draws = opts.sdgd_independent && opts.sdgd_dimensions < m_d ? 2 : 1;
  m_dims.assign(draws, spec.tangents);
  for (std::size_t k = 0; k < draws; ++k)
    m_dims_dev.emplace_back("npde::pinn::HighDimPinn::dims", std::size_t(B));
  m_jet = std::make_unique<nn::JetMlp<T>>(m_net, spec, opts.chunk);
  m_value = std::make_unique<nn::JetMlp<T>>(m_net, nn::JetSpec::value_only(m_d), opts.chunk);
  m_r = View1<T>("npde::pinn::HighDimPinn::r", std::size_t(opts.chunk));
  set_adaptive_state({});
  m_adj = View1<T>("npde::pinn::HighDimPinn::adj", std::size_t(spec.n_channels()) * opts.chunk);
  m_grad = View1<T>("npde::pinn::HighDimPinn::grad", m_net.n_params() + 1);
  {
    const auto c = problem.coefficients();
    m_coef = View1<double>("npde::pinn::HighDimPinn::coefficients", c.size());
    auto h = Kokkos::create_mirror_view(m_coef);
    for (std::size_t i = 0; i < c.size(); ++i) h(i) = c[i];
    Kokkos::deep_copy(m_coef, h);
  }
  // fixed validation points and the exact solution there
  draw(kStreamValidation, 0, opts.n_validation, m_x_val, m_n_val_local);
  m_val_offset = decomp::block_range(opts.n_validation, comm.rank(), comm.size()).begin;
  View1<double> uv("npde::pinn::HighDimPinn::u_val", m_n_val_local);
  {
    const int d = m_d;
    const T* x = m_x_val.data();
    const double* c = m_coef.data();
    Kokkos::parallel_for(
        "npde::pinn::HighDimPinn::exact", Kokkos::RangePolicy<ExecSpace>(0, m_n_val_local), KOKKOS_LAMBDA(const int p) {
          double u, lap;
          two_body(x + long(d) * p, 1, d, c, u, lap);
          uv(p) = u;
        });
  }
  auto uh = Kokkos::create_mirror_view_and_copy(HostSpace(), uv);
  m_u_val.assign(uh.data(), uh.data() + m_n_val_local);
  sample(0);
}

template <class T>
void HighDimPinn<T>::draw(std::uint64_t stream, std::uint64_t round, std::size_t n, View1<T>& x,
                          std::size_t& n_local) {
  const auto r = decomp::block_range(n, m_comm.rank(), m_comm.size());
  n_local = r.size();
  if (x.extent(0) < std::size_t(m_d) * n_local)
    x = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::pinn::HighDimPinn::x"), std::size_t(m_d) * n_local);
  const int d = m_d;
  const std::uint64_t seed = m_opts.seed, st = rng::mix64(stream + rng::mix64(round));
  const std::size_t begin = r.begin;
  T* xp = x.data();
  // direction z / |z| with z ~ N(0, I) (normals at counters q (d + 1) + k), radius U^(1/d) or U (the
  // uniform at the even counter of slot q (d + 1) + d, which no normal uses)
  const double exponent = m_opts.radius_uniform ? 1.0 : 1.0 / d;
  Kokkos::parallel_for(
      "npde::pinn::HighDimPinn::draw", Kokkos::RangePolicy<ExecSpace>(0, n_local), KOKKOS_LAMBDA(const int p) {
        const std::uint64_t base = std::uint64_t(begin + p) * std::uint64_t(d + 1);
        double s = 0;
        for (int k = 0; k < d; ++k) {
          const double z = rng::normal(seed, st, base + k);
          xp[k + long(d) * p] = T(z);
          s += z * z;
        }
        const double rho = math::pow(rng::uniform(seed, st, 2 * (base + d)), exponent);
        const double f = rho / math::sqrt(s);
        for (int k = 0; k < d; ++k) xp[k + long(d) * p] = T(double(xp[k + long(d) * p]) * f);
      });
}

template <class T>
void HighDimPinn<T>::sample(std::uint64_t round) {
  draw(kStreamPoints, round, m_n_points, m_x, m_n_local);
  if (m_f.extent(0) < m_n_local) {  // grown when a stage draws more points
    m_f = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::pinn::HighDimPinn::f"), m_n_local);
    m_weight_d = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::pinn::HighDimPinn::D"), m_n_local);
  }
  const int d = m_d;
  const bool poisson = m_problem.form == TwoBody::Form::Poisson;
  const T* x = m_x.data();
  T* f = m_f.data();
  T* dw = m_weight_d.data();
  const double* c = m_coef.data();
  Kokkos::parallel_for(
      "npde::pinn::HighDimPinn::source", Kokkos::RangePolicy<ExecSpace>(0, m_n_local), KOKKOS_LAMBDA(const int p) {
        double u, lap;
        two_body(x + long(d) * p, 1, d, c, u, lap);
        f[p] = T(poisson ? -lap : lap + u - u * u * u);
        const T* xp = x + long(d) * p;
        T r2 = T(0);
        for (int k = 0; k < d; ++k) r2 += xp[k] * xp[k];
        dw[p] = T(1) - r2;
      });
}

template <class T>
void HighDimPinn<T>::adapt(long iteration) {
  if (m_opts.sdgd_dimensions == m_d) return;  // the exact Laplacian (in one pass or several)
  const int B = int(m_dims[0].size());
  // B distinct dimensions per draw by a partial Fisher-Yates shuffle of counter-based uniforms of
  // (seed, iteration, draw)
  std::vector<double> state;
  for (std::size_t k = 0; k < m_dims.size(); ++k) {
    std::vector<int> perm(static_cast<std::size_t>(m_d));
    for (int i = 0; i < m_d; ++i) perm[std::size_t(i)] = i;
    const std::uint64_t base = (std::uint64_t(iteration) * m_dims.size() + k) * std::uint64_t(B);
    for (int j = 0; j < B; ++j) {
      const double u = rng::uniform(m_opts.seed, kStreamDimensions, base + std::uint64_t(j));
      const int i = j + std::min(int(u * double(m_d - j)), m_d - j - 1);
      std::swap(perm[std::size_t(j)], perm[std::size_t(i)]);
    }
    state.insert(state.end(), perm.begin(), perm.begin() + B);
  }
  set_adaptive_state(state);
}

template <class T>
std::vector<double> HighDimPinn<T>::adaptive_state() const {
  if (m_opts.sdgd_dimensions == m_d) return {};  // the exact Laplacian draws nothing
  std::vector<double> s;
  for (const auto& dims : m_dims) s.insert(s.end(), dims.begin(), dims.end());
  return s;
}

template <class T>
void HighDimPinn<T>::set_adaptive_state(const std::vector<double>& state) {
  const std::size_t B = m_dims[0].size(), draws = m_dims.size();
  if (!state.empty()) {
    NPDE_REQUIRE(state.size() == B * draws, "adaptive state of " << state.size() << " values, the model samples "
                                                                 << draws << " x " << B << " dimensions");
    for (std::size_t k = 0; k < draws; ++k) {
      for (std::size_t t = 0; t < B; ++t) m_dims[k][t] = int(state[k * B + t]);
      std::sort(m_dims[k].begin(), m_dims[k].end());
    }
  }
  for (std::size_t k = 0; k < draws; ++k) {
    auto h = Kokkos::create_mirror_view(m_dims_dev[k]);
    for (std::size_t t = 0; t < B; ++t) h(t) = m_dims[k][t];
    Kokkos::deep_copy(m_dims_dev[k], h);
  }
  use_draw(0);
}

template <class T>
void HighDimPinn<T>::use_draw(std::size_t k) {
  m_jet->set_tangents(m_dims[k]);
}

template <class T>
double HighDimPinn<T>::chunk_loss(std::size_t draw, const T* x, const T* f, const T* dw, int n, double scale_d,
                                  const T* r_other, T* residual_out) {
  const int d = m_d, B = int(m_dims[draw].size());
  const T kappa = T(double(d) / B), scale = T(scale_d), two_d = T(2.0 * d);
  const T sign = m_problem.form == TwoBody::Form::Poisson ? T(-1) : T(1);
  const bool ac = m_problem.form == TwoBody::Form::AllenCahn;
  const T* out = m_jet->output();
  T* adj = m_adj.data();
  const int* dims = m_dims_dev[draw].data();
  double loss = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::HighDimPinn::residual", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) {
        const T* xp = x + long(d) * p;
        const T D = dw[p];
        const T N = out[p], L = out[long(B + 1) * n + p];
        T xn = T(0);  // sum over the sampled dimensions of x_i N_i
        for (int t = 0; t < B; ++t) xn += xp[dims[t]] * out[long(1 + t) * n + p];
        // Lap u estimated from B dimensions: (d/B) sum_{i in I} (D N_ii - 4 x_i N_i - 2 N)
        const T lap = kappa * (D * L - T(4) * xn) - two_d * N;
        const T u = D * N;
        const T r = ac ? lap + u - u * u * u - f[p] : -lap - f[p];
        if (residual_out) residual_out[p] = r;
        const T ro = r_other ? r_other[p] : r;
        acc += double(scale * r * ro);
        const T a = T(2) * scale * ro;
        adj[long(B + 1) * n + p] = a * sign * kappa * D;
        for (int t = 0; t < B; ++t) adj[long(1 + t) * n + p] = a * sign * T(-4) * kappa * xp[dims[t]];
        adj[p] = a * (sign * -two_d + (ac ? D * (T(1) - T(3) * u * u) : T(0)));
      },
      loss);
  return loss;
}

template <class T>
nn::JetMlp<T>& HighDimPinn<T>::pass_jet(std::size_t k) {
  if (k + 1 == m_passes.size() && m_jet_last) return *m_jet_last;
  m_jet->set_tangents(m_passes[k]);
  return *m_jet;
}

template <class T>
double HighDimPinn<T>::pass_residual(const T* x, const T* f, const T* dw, int n, double scale_d, T* residual_out) {
  const int d = m_d;
  T* sxn = m_sum_xn.data();
  T* slap = m_sum_lap.data();
  T* n0 = m_n0.data();
  for (std::size_t k = 0; k < m_passes.size(); ++k) {
    nn::JetMlp<T>& jet = pass_jet(k);
    jet.forward(x, n);
    const T* out = jet.output();
    const int B = int(m_passes[k].size());
    const int* dims = m_passes_dev[k].data();
    const bool first = k == 0;
    Kokkos::parallel_for(
        "npde::pinn::HighDimPinn::pass_sums", Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) {
          const T* xp = x + long(d) * p;
          T xn = T(0);
          for (int t = 0; t < B; ++t) xn += xp[dims[t]] * out[long(1 + t) * n + p];
          const T L = out[long(B + 1) * n + p];
          if (first) {
            sxn[p] = xn;
            slap[p] = L;
            n0[p] = out[p];
          } else {
            sxn[p] += xn;
            slap[p] += L;
          }
        });
  }
  const T scale = T(scale_d), two_d = T(2.0 * d);
  const bool ac = m_problem.form == TwoBody::Form::AllenCahn;
  T* a_out = m_r.data();
  double loss = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::HighDimPinn::pass_residual", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) {
        const T D = dw[p], N = n0[p];
        const T lap = (D * slap[p] - T(4) * sxn[p]) - two_d * N;  // Lap u = sum_i (D N_ii - 4 x_i N_i - 2 N)
        const T u = D * N;
        const T r = ac ? lap + u - u * u * u - f[p] : -lap - f[p];
        if (residual_out) residual_out[p] = r;
        acc += double(scale * r * r);
        a_out[p] = T(2) * scale * r;
      },
      loss);
  return loss;
}

template <class T>
void HighDimPinn<T>::pass_gradient(const T* x, const T* dw, int n) {
  const int d = m_d;
  const T two_d = T(2.0 * d);
  const T sign = m_problem.form == TwoBody::Form::Poisson ? T(-1) : T(1);
  const bool ac = m_problem.form == TwoBody::Form::AllenCahn;
  const T* a_in = m_r.data();
  const T* n0 = m_n0.data();
  T* adj = m_adj.data();
  for (std::size_t i = 0; i < m_passes.size(); ++i) {
    const std::size_t k = m_passes.size() - 1 - i;  // the last pass first: its jets are still there
    nn::JetMlp<T>& jet = pass_jet(k);
    if (i > 0) jet.forward(x, n);
    const int B = int(m_passes[k].size());
    const int* dims = m_passes_dev[k].data();
    const bool value = k == 0;  // the value channel's part once
    Kokkos::parallel_for(
        "npde::pinn::HighDimPinn::pass_adjoint", Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) {
          const T* xp = x + long(d) * p;
          const T a = a_in[p], D = dw[p], u = D * n0[p];
          adj[long(B + 1) * n + p] = a * sign * D;
          for (int t = 0; t < B; ++t) adj[long(1 + t) * n + p] = a * sign * T(-4) * xp[dims[t]];
          adj[p] = value ? a * (sign * -two_d + (ac ? D * (T(1) - T(3) * u * u) : T(0))) : T(0);
        });
    jet.backward(x, n, adj, m_grad.data());
  }
}

template <class T>
T HighDimPinn<T>::loss_and_gradient(const View1<T>& grad) {
  Kokkos::Profiling::pushRegion("npde::pinn::HighDimPinn::loss_and_gradient");
  const std::size_t np = m_net.n_params();
  Kokkos::deep_copy(m_grad, T(0));
  const double scale = m_weight / double(m_n_points);
  double loss = 0;
  for (std::size_t off = 0; off < m_n_local; off += std::size_t(m_opts.chunk)) {
    const int n = int(std::min<std::size_t>(std::size_t(m_opts.chunk), m_n_local - off));
    const T* x = m_x.data() + std::size_t(m_d) * off;
    const T* f = m_f.data() + off;
    const T* dw = m_weight_d.data() + off;
    if (!m_passes.empty()) {  // the exact Laplacian in passes
      loss += pass_residual(x, f, dw, n, scale, nullptr);
      pass_gradient(x, dw, n);
    } else if (m_dims.size() == 2) {  // r_I, then r_J and the adjoint 2 scale r_I dr_J
      use_draw(0);
      m_jet->forward(x, n);
      chunk_loss(0, x, f, dw, n, scale, nullptr, m_r.data());
      use_draw(1);
      m_jet->forward(x, n);
      loss += chunk_loss(1, x, f, dw, n, scale, m_r.data(), nullptr);
      m_jet->backward(x, n, m_adj.data(), m_grad.data());
      use_draw(0);
    } else {
      m_jet->forward(x, n);
      loss += chunk_loss(0, x, f, dw, n, scale, nullptr, nullptr);
      m_jet->backward(x, n, m_adj.data(), m_grad.data());
    }
  }
  Kokkos::fence();
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_grad);
  h(np) = T(loss);
  m_comm.allreduce_sum(h.data(), h.extent(0));
  Kokkos::deep_copy(m_grad, h);
  Kokkos::deep_copy(grad, Kokkos::subview(m_grad, std::make_pair(std::size_t(0), np)));
  m_terms[0] = double(h(np));
  Kokkos::Profiling::popRegion();
  return h(np);
}

template <class T>
std::vector<double> HighDimPinn<T>::residuals() {
  std::vector<double> out(m_n_local);
  View1<T> r("npde::pinn::HighDimPinn::r", std::size_t(m_opts.chunk));
  for (std::size_t off = 0; off < m_n_local; off += std::size_t(m_opts.chunk)) {
    const int n = int(std::min<std::size_t>(std::size_t(m_opts.chunk), m_n_local - off));
    const T* x = m_x.data() + std::size_t(m_d) * off;
    if (!m_passes.empty()) {
      pass_residual(x, m_f.data() + off, m_weight_d.data() + off, n, 1.0, r.data());
    } else {
      m_jet->forward(x, n);
      chunk_loss(0, x, m_f.data() + off, m_weight_d.data() + off, n, 1.0, nullptr, r.data());
    }
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), r);
    for (int p = 0; p < n; ++p) out[off + p] = double(h(p));
  }
  return out;
}

namespace {

/// u = (1 - |x|^2) N(x) at n points (d, n) into u (host), chunk by chunk.
template <class T>
void trial_values(nn::JetMlp<T>& value, int d, const T* x, std::size_t n, int chunk, std::vector<double>& u) {
  u.resize(n);
  View1<T> buf("npde::pinn::HighDimPinn::u", std::size_t(chunk));
  for (std::size_t off = 0; off < n; off += std::size_t(chunk)) {
    const int m = int(std::min<std::size_t>(std::size_t(chunk), n - off));
    const T* xc = x + std::size_t(d) * off;
    value.forward(xc, m);
    const T* out = value.output();
    T* b = buf.data();
    Kokkos::parallel_for(
        "npde::pinn::HighDimPinn::trial", Kokkos::RangePolicy<ExecSpace>(0, m), KOKKOS_LAMBDA(const int p) {
          T r2 = T(0);
          for (int k = 0; k < d; ++k) r2 += xc[k + long(d) * p] * xc[k + long(d) * p];
          b[p] = (T(1) - r2) * out[p];
        });
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), buf);
    for (int p = 0; p < m; ++p) u[off + p] = double(h(p));
  }
}

}  // namespace

template <class T>
double HighDimPinn<T>::validation_error() {
  std::vector<double> u;
  trial_values(*m_value, m_d, m_x_val.data(), m_n_val_local, m_opts.chunk, u);
  double s[2] = {0, 0};
  for (std::size_t p = 0; p < u.size(); ++p) {
    s[0] += (u[p] - m_u_val[p]) * (u[p] - m_u_val[p]);
    s[1] += m_u_val[p] * m_u_val[p];
  }
  m_comm.allreduce_sum(s, 2);
  return s[1] > 0 ? std::sqrt(s[0] / s[1]) : std::sqrt(s[0]);
}

template <class T>
void HighDimPinn<T>::validation_fields(std::vector<double>& u, std::vector<double>& exact, std::vector<double>& radius) {
  trial_values(*m_value, m_d, m_x_val.data(), m_n_val_local, m_opts.chunk, u);
  exact = m_u_val;
  const auto x = Kokkos::create_mirror_view_and_copy(HostSpace(), m_x_val);
  radius.assign(m_n_val_local, 0.0);
  for (std::size_t p = 0; p < m_n_val_local; ++p) {
    double s = 0;
    for (int k = 0; k < m_d; ++k) s += double(x(std::size_t(m_d) * p + k)) * double(x(std::size_t(m_d) * p + k));
    radius[p] = std::sqrt(s);
  }
}

template <class T>
std::vector<double> HighDimPinn<T>::predict(const std::vector<double>& points) {
  NPDE_REQUIRE(points.size() % std::size_t(m_d) == 0, points.size() << " coordinates for " << m_d << " dimensions");
  const std::size_t n = points.size() / std::size_t(m_d);
  View1<T> x("npde::pinn::HighDimPinn::x_predict", points.size());
  auto h = Kokkos::create_mirror_view(x);
  for (std::size_t i = 0; i < points.size(); ++i) h(i) = T(points[i]);
  Kokkos::deep_copy(x, h);
  std::vector<double> u;
  trial_values(*m_value, m_d, x.data(), n, m_opts.chunk, u);
  return u;
}

template <class T>
void HighDimPinn<T>::set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) {
  m_weight = m_opts.weight_pde;
  for (const auto& [group, w] : overrides) {
    if (group != "pde")
      NPDE_INPUT_ERROR("training.stages[].weights." << group << ": this problem has no " << group
                                                     << " loss term (its weight groups: pde)");
    m_weight = w;
  }
}

template <class T>
bool HighDimPinn<T>::set_stage_points(const StagePoints& points) {
  if (points.boundary > 0 || points.initial > 0)
    NPDE_INPUT_ERROR("training.stages[].points: the ball's boundary condition is built in, so a stage sets interior "
                     "points only");
  const std::size_t n = points.interior > 0 ? points.interior : m_opts.n_interior;
  const bool changed = n != m_n_points;
  m_n_points = n;
  return changed;
}

template class HighDimPinn<double>;
template class HighDimPinn<float>;

}  // namespace npde::pinn
