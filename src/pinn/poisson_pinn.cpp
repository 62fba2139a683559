// SPDX-License-Identifier: BSD-3-Clause
// PoissonPinn: sampling, loss assembly with dual-number adjoints, gradient allreduce.
#include "npde/pinn/poisson_pinn.hpp"

#include <cmath>
#include <limits>

#include "npde/core/dual.hpp"
#include "npde/core/error.hpp"
#include "pinn/point_sets.hpp"
#include "npde/core/rng.hpp"

namespace npde::pinn {

using detail::slice_rows;
using detail::to_device;

namespace {

/// Per interior point data: f, then the jets of g (value, grad[d], lap) and D (value, grad[d], lap).
int n_aux_interior(int d) { return 1 + 2 * (d + 2); }

/// Interior residual of the trial function at one point. N: network jets (value, d tangents,
/// Laplacian) as plain numbers or duals; aux: f, g jet, D jet. Hard: u = g + D N, so by the product
/// rule Lap u = Lap g + N Lap D + 2 grad D . grad N + D Lap N.
template <int Dim, class V, class S>
KOKKOS_INLINE_FUNCTION V interior_residual(const V* N, const S* aux, bool hard) {
  const S f = aux[0];
  if (!hard) return pde::poisson_residual(N[1 + Dim], f);
  const S* g = aux + 1;
  const S* D = aux + 1 + (Dim + 2);
  V lap_u = N[1 + Dim] * D[0] + N[0] * D[1 + Dim] + g[1 + Dim];
  for (int k = 0; k < Dim; ++k) lap_u = lap_u + S(2) * D[1 + k] * N[1 + k];
  return pde::poisson_residual(lap_u, f);
}

/// Loss of one chunk of interior points and the adjoint of the network's output jets.
/// out: (1, C*n) jets; adj: same layout; returns sum_p scale * r_p^2. The adjoint 2 scale r dr/dN_c
/// comes from evaluating the same residual on Dual<T, C>.
template <int Dim, class T>
double interior_chunk(int n, const T* out, const T* aux, int n_aux, bool hard, T scale, T* adj) {
  constexpr int C = Dim + 2;
  double loss = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::PoissonPinn::interior_loss", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) {
        Dual<T, C> N[C];
        for (int c = 0; c < C; ++c) N[c] = Dual<T, C>::variable(out[long(c) * n + p], c);
        const Dual<T, C> r = interior_residual<Dim>(N, aux + long(n_aux) * p, hard);
        acc += double(scale * r.v * r.v);
        for (int c = 0; c < C; ++c) adj[long(c) * n + p] = T(2) * scale * r.v * r.d[c];
      },
      loss);
  return loss;
}

/// Soft boundary term of one chunk: r = N - g.
template <class T>
double boundary_chunk(int n, const T* out, const T* g, T scale, T* adj) {
  double loss = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::PoissonPinn::boundary_loss", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) {
        const T r = out[p] - g[p];
        acc += double(scale * r * r);
        adj[p] = T(2) * scale * r;
      },
      loss);
  return loss;
}


}  // namespace

template <class T>
PoissonPinn<T>::PoissonPinn(const decomp::Communicator& comm, const pde::PoissonProblem& problem,
                            const PinnOptions& opts)
    : m_comm(comm),
      m_problem(problem),
      m_opts(opts),
      m_dim(problem.box.dim),
      m_net(problem.box.dim, opts.hidden, 1, opts.activation) {
  NPDE_REQUIRE(m_dim >= 1 && m_dim <= 3, "dim = " << m_dim);
  NPDE_REQUIRE(opts.n_interior >= 1, "n_interior = " << opts.n_interior);
  if (opts.hard_bc) {
    // The lift g of u = g + D N is the boundary expression, so it must be the same on every face.
    NPDE_REQUIRE(!problem.dirichlet.empty(), "hard boundary conditions need at least one Dirichlet condition");
    for (const auto& c : problem.dirichlet)
      NPDE_REQUIRE(c.value.text() == problem.dirichlet.front().value.text(),
                   "hard boundary conditions need one value expression on all faces; got '"
                       << problem.dirichlet.front().value.text() << "' and '" << c.value.text() << "'");
  }
  m_term_names = opts.hard_bc ? std::vector<std::string>{"pde"} : std::vector<std::string>{"pde", "bc"};
  m_term_values.assign(m_term_names.size(), 0.0);
  m_base_weight_pde = opts.weight_pde;
  m_base_weight_bc = opts.weight_bc;
  m_net.init_glorot(opts.seed);
  m_jet_interior = std::make_unique<nn::JetMlp<T>>(m_net, nn::JetSpec::laplacian(m_dim), opts.chunk);
  m_jet_value = std::make_unique<nn::JetMlp<T>>(m_net, nn::JetSpec::value_only(m_dim), opts.chunk);
  m_distance = BoxDistance(problem.box, problem.constrained_faces());
  m_adj = View1<T>("npde::pinn::PoissonPinn::adj", std::size_t(m_dim + 2) * opts.chunk);
  m_reduce = View1<T>("npde::pinn::PoissonPinn::reduce", m_net.n_params() + 2);
  m_reduce_host = Kokkos::create_mirror_view(m_reduce);
  // Validation set: a fixed Sobol set (its own round), independent of the training points.
  if (problem.exact) {
    const auto all = pde::sample_interior(problem.box, pde::SamplerKind::Sobol, opts.n_validation, opts.seed,
                                          std::uint64_t(1) << 38);  // a round training never reaches
    m_validation_points = slice_rows(all, m_dim, decomp::block_range(opts.n_validation, comm.rank(), comm.size()));
    const std::size_t nv = m_validation_points.size() / m_dim;
    m_validation_exact.resize(nv);
    problem.exact->eval_many(m_validation_points.data(), nv, m_validation_exact.data());
  }
  sample(0);
}

template <class T>
void PoissonPinn<T>::sample(std::uint64_t round) {
  const int d = m_dim;
  const auto& box = m_problem.box;
  // 1. interior points: the global set is the same on every rank; each keeps its block.
  const auto all = pde::sample_interior(box, m_opts.sampler, m_opts.n_interior, m_opts.seed, round);
  const auto mine = slice_rows(all, d, decomp::block_range(m_opts.n_interior, m_comm.rank(), m_comm.size()));
  m_n_interior_local = mine.size() / d;
  const int na = n_aux_interior(d);
  std::vector<double> aux(std::size_t(na) * m_n_interior_local, 0.0);
  double h[3];
  for (int a = 0; a < d; ++a) h[a] = 1e-3 * box.extent(a);  // FD step of the lift: see trial_function.hpp
  const Expression* lift = m_opts.hard_bc ? &m_problem.dirichlet.front().value : nullptr;
  for (std::size_t p = 0; p < m_n_interior_local; ++p) {
    const double* x = mine.data() + p * d;
    double* a = aux.data() + p * na;
    a[0] = m_problem.source.eval(x);
    if (lift) {
      const ScalarJet g = expression_jet(*lift, d, x, h), D = m_distance.eval(x);
      a[1] = g.value;
      for (int k = 0; k < d; ++k) a[2 + k] = g.grad[k];
      a[2 + d] = g.lap;
      a[3 + d] = D.value;
      for (int k = 0; k < d; ++k) a[4 + d + k] = D.grad[k];
      a[4 + 2 * d] = D.lap;
    }
  }
  m_x_interior = to_device<T>(mine, "npde::pinn::PoissonPinn::x_interior");
  m_aux_interior = to_device<T>(aux, "npde::pinn::PoissonPinn::aux_interior");
  // 2. boundary points (soft enforcement only)
  m_n_boundary_local = 0;
  if (!m_opts.hard_bc && m_opts.n_boundary > 0) {
    const auto faces = m_problem.constrained_faces();
    const auto ball = pde::sample_boundary(box, faces, m_opts.sampler, m_opts.n_boundary, m_opts.seed, round);
    const auto bmine = slice_rows(ball, d, decomp::block_range(m_opts.n_boundary, m_comm.rank(), m_comm.size()));
    m_n_boundary_local = bmine.size() / d;
    std::vector<double> g(m_n_boundary_local);
    for (std::size_t p = 0; p < m_n_boundary_local; ++p) g[p] = m_problem.boundary_value(bmine.data() + p * d);
    m_x_boundary = to_device<T>(bmine, "npde::pinn::PoissonPinn::x_boundary");
    m_aux_boundary = to_device<T>(g, "npde::pinn::PoissonPinn::g_boundary");
  }
}

template <class T>
T PoissonPinn<T>::loss_and_gradient(const View1<T>& grad) {
  Kokkos::Profiling::pushRegion("npde::pinn::PoissonPinn::loss_and_gradient");
  const std::size_t np = m_net.n_params();
  const int d = m_dim, na = n_aux_interior(d), chunk = m_opts.chunk;
  Kokkos::deep_copy(m_reduce, T(0));
  T* g = m_reduce.data();
  // 1. interior residual: jets, pointwise loss and adjoint, reverse pass, chunk by chunk
  const T scale_i = T(m_opts.weight_pde / double(m_opts.n_interior));
  double loss_pde = 0;
  for (std::size_t off = 0; off < m_n_interior_local; off += chunk) {
    const int n = int(std::min<std::size_t>(chunk, m_n_interior_local - off));
    const T* x = m_x_interior.data() + off * d;
    const T* aux = m_aux_interior.data() + off * na;
    m_jet_interior->forward(x, n);
    const T* out = m_jet_interior->output();
    switch (d) {
      case 1: loss_pde += interior_chunk<1>(n, out, aux, na, m_opts.hard_bc, scale_i, m_adj.data()); break;
      case 2: loss_pde += interior_chunk<2>(n, out, aux, na, m_opts.hard_bc, scale_i, m_adj.data()); break;
      default: loss_pde += interior_chunk<3>(n, out, aux, na, m_opts.hard_bc, scale_i, m_adj.data()); break;
    }
    m_jet_interior->backward(x, n, m_adj.data(), g);
  }
  // 2. soft boundary term
  double loss_bc = 0;
  if (m_n_boundary_local > 0) {
    const T scale_b = T(m_opts.weight_bc / double(m_opts.n_boundary));
    for (std::size_t off = 0; off < m_n_boundary_local; off += chunk) {
      const int n = int(std::min<std::size_t>(chunk, m_n_boundary_local - off));
      const T* x = m_x_boundary.data() + off * d;
      m_jet_value->forward(x, n);
      loss_bc += boundary_chunk(n, m_jet_value->output(), m_aux_boundary.data() + off, scale_b, m_adj.data());
      m_jet_value->backward(x, n, m_adj.data(), g);
    }
  }
  // 3. one allreduce of [gradient, loss terms]
  Kokkos::fence();
  Kokkos::deep_copy(m_reduce_host, m_reduce);
  m_reduce_host(np) = T(loss_pde);
  m_reduce_host(np + 1) = T(loss_bc);
  m_comm.allreduce_sum(m_reduce_host.data(), np + 2);
  Kokkos::deep_copy(m_reduce, m_reduce_host);
  Kokkos::deep_copy(grad, Kokkos::subview(m_reduce, std::make_pair(std::size_t(0), np)));
  m_terms.pde = double(m_reduce_host(np));
  m_terms.bc = double(m_reduce_host(np + 1));
  m_terms.total = m_terms.pde + m_terms.bc;
  m_term_values = {m_terms.pde};
  if (!m_opts.hard_bc) m_term_values.push_back(m_terms.bc);
  Kokkos::Profiling::popRegion();
  return T(m_terms.total);
}

template <class T>
std::vector<double> PoissonPinn<T>::predict(const std::vector<double>& points) {
  const int d = m_dim, chunk = m_opts.chunk;
  const std::size_t n_all = points.size() / d;
  std::vector<double> u(n_all);
  View1<T> xd(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::pinn::PoissonPinn::predict_x"),
              std::size_t(d) * chunk);
  auto xh = Kokkos::create_mirror_view(xd);
  const Expression* lift = m_opts.hard_bc ? &m_problem.dirichlet.front().value : nullptr;
  for (std::size_t off = 0; off < n_all; off += chunk) {
    const int n = int(std::min<std::size_t>(chunk, n_all - off));
    for (std::size_t i = 0; i < std::size_t(n) * d; ++i) xh(i) = T(points[off * d + i]);
    Kokkos::deep_copy(xd, xh);
    m_jet_value->forward(xd.data(), n);
    Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> out(m_jet_value->output(), n);
    auto oh = Kokkos::create_mirror_view_and_copy(HostSpace(), out);
    for (int p = 0; p < n; ++p) {
      const double* x = points.data() + (off + p) * d;
      const double N = double(oh(p));
      u[off + p] = lift ? lift->eval(x) + m_distance.eval(x).value * N : N;
    }
  }
  return u;
}

template <class T>
void PoissonPinn<T>::set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) {
  m_opts.weight_pde = m_base_weight_pde;
  m_opts.weight_bc = m_base_weight_bc;
  for (const auto& [group, w] : overrides) {
    if (group == "pde") {
      m_opts.weight_pde = w;
    } else if (group == "bc" && !m_opts.hard_bc) {
      m_opts.weight_bc = w;
    } else {
      NPDE_INPUT_ERROR("training.stages[].weights." << group << ": this problem has no " << group << " loss term"
                                                     << (group == "bc" ? " (the boundary is hard)" : ""));
    }
  }
}

template <class T>
double PoissonPinn<T>::validation_error() {
  if (!m_problem.exact) return std::numeric_limits<double>::quiet_NaN();
  const auto u = predict(m_validation_points);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double e = m_validation_exact[i];
    num += (u[i] - e) * (u[i] - e);
    den += e * e;
  }
  num = m_comm.sum(num);
  den = m_comm.sum(den);
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

template class PoissonPinn<double>;
template class PoissonPinn<float>;

}  // namespace npde::pinn
