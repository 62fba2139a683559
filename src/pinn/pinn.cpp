// SPDX-License-Identifier: BSD-3-Clause
// Pinn: the model built from a problem, the interior residual through the equation kernel, soft
// condition terms, one allreduce of [gradient, terms] per evaluation. Point sets: pinn_points.cpp;
// loss balancing: pinn_balancing.cpp; eigenproblem terms: pinn_eigen.cpp.
#include "npde/pinn/pinn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <map>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "pinn/point_sets.hpp"
#include "npde/pde/sampler.hpp"

namespace npde::pinn {

using detail::device_sum;
using detail::slice_rows;
using detail::to_device;
using detail::write_trial;

using pde::ConditionKind;

nn::JetSpec jet_spec_of(const pde::Needs& needs, int n_inputs) {
  nn::JetSpec s;
  s.n_inputs = n_inputs;
  for (int k = 0; k < n_inputs; ++k)
    if ((needs.first >> k) & 1u) {
      const int pos = s.n_tangents();
      s.tangents.push_back(k);
      if ((needs.laplacian >> k) & 1u) s.laplacian_terms.push_back(pos);
      if ((needs.diagonal >> k) & 1u) s.diagonal_terms.push_back(pos);
    }
  NPDE_REQUIRE(((needs.diagonal | needs.laplacian) & ~needs.first) == 0,
               "second derivatives requested for inputs without first derivatives");
  s.validate();
  return s;
}

namespace {


// Round of the validation set: one training never reaches.
constexpr std::uint64_t kValidationRound = std::uint64_t(1) << 38;

std::string face_list(const std::vector<int>& faces) {
  std::string s;
  for (int f : faces) s += (s.empty() ? "" : "_") + pde::face_name(f);
  return s;
}

}  // namespace

template <class T>
Pinn<T>::Pinn(const decomp::Communicator& comm, const pde::Problem& problem, std::unique_ptr<ResidualKernel<T>> kernel,
              const PinnOptions& opts)
    : m_comm(comm), m_problem(problem), m_kernel(std::move(kernel)), m_opts(opts) {
  NPDE_REQUIRE(m_kernel, "no residual kernel");
  NPDE_REQUIRE(m_kernel->n_space() == problem.n_space && m_kernel->time_dependent() == problem.time_dependent,
               "problem (" << problem.n_space << " space dimensions" << (problem.time_dependent ? " + time" : "")
                           << ") does not match the equation " << m_kernel->name());
  NPDE_REQUIRE(m_kernel->n_outputs() == problem.n_outputs(),
               m_kernel->name() << " has " << m_kernel->n_outputs() << " outputs, the problem " << problem.n_outputs());
  NPDE_REQUIRE(int(problem.data.size()) == m_kernel->n_data(),
               m_kernel->name() << " reads " << m_kernel->n_data() << " data fields, the problem gives " << problem.data.size());
  NPDE_REQUIRE(problem.n_inputs() <= 3, "at most 3 inputs (space and time) are supported, got " << problem.n_inputs());
  NPDE_REQUIRE(opts.n_interior >= 1, "n_interior = " << opts.n_interior);
  NPDE_REQUIRE(opts.adaptive != PinnOptions::Adaptive::RarD || opts.rar_add >= 1, "RAR-D adds at least one point per round");
  m_n_interior = opts.n_interior;
  m_kernel->set_coefficients(problem.coefficients);
  m_n_in = problem.n_inputs();
  m_n_out = problem.n_outputs();
  m_n_res = m_kernel->n_residuals();
  NPDE_REQUIRE(m_n_res <= kMaxResiduals, "too many residuals");
  // hard periodicity: the periodic axes enter the network as cos and sin of 2 pi x / L, so every output
  // and all its derivatives are periodic there, and the periodic conditions need no loss term
  std::vector<double> lower(std::size_t(m_n_in), 0.0), period(std::size_t(m_n_in), 0.0);
  for (const auto& c : problem.conditions)
    if (c.kind == ConditionKind::Periodic && problem.hard) {
      const int a = pde::face_axis(c.faces.at(0));
      period[a] = problem.box.extent(a);
      m_periodic_embedded = true;
    }
  for (int a = 0; a < m_n_in; ++a) lower[a] = problem.box.lower[a];
  // Fourier features (whole cycles along the periodic axes, so periodicity stays exact) or the plain
  // periodic embedding
  NPDE_REQUIRE(!opts.standardize_inputs || (opts.fourier_frequencies == 0 && !m_periodic_embedded),
               "standardised inputs do not combine with the periodic embedding or Fourier features");
  NPDE_REQUIRE(opts.gaussian_features == 0 || (opts.fourier_frequencies == 0 && !m_periodic_embedded &&
                                               !opts.standardize_inputs),
               "Gaussian features do not combine with Fourier features, the periodic embedding or standardised inputs");
  std::vector<double> upper(static_cast<std::size_t>(m_n_in));
  for (int a = 0; a < m_n_in; ++a) upper[a] = problem.box.upper[a];
  const nn::InputEmbedding embedding =
      opts.fourier_frequencies > 0
          ? nn::InputEmbedding::fourier(lower, period, opts.fourier_frequencies, opts.fourier_sigma, opts.seed)
      : opts.gaussian_features > 0
          ? nn::InputEmbedding::gaussian(lower, upper, opts.gaussian_features, opts.gaussian_width, opts.seed)
      : m_periodic_embedded      ? nn::InputEmbedding::periodic(lower, period)
      : opts.standardize_inputs  ? nn::InputEmbedding::standardized(lower, upper)
                                 : nn::InputEmbedding{};
  // a stream function: the network has psi in place of u and v (and the other outputs after it)
  NPDE_REQUIRE(!opts.stream_function || (m_n_out >= 2 && problem.n_space >= 2),
               "a stream function needs two space dimensions and outputs u, v (" << m_kernel->name() << " has "
                                                                              << m_n_out << " outputs)");
  m_net = nn::Mlp<T>(embedding.empty() ? m_n_in : embedding.n_features(), opts.hidden,
                     opts.stream_function ? m_n_out - 1 : m_n_out, opts.activation, opts.architecture);
  m_net.init_glorot(opts.seed, opts.random_encoder_biases);
  m_net.set_embedding(embedding);
  if (opts.stream_function) m_net.set_output_map(nn::OutputMap::StreamFunction);
  // trained coefficients follow the network's parameters in one flat vector
  for (std::size_t i = 0; i < problem.trainable.size(); ++i)
    if (problem.trainable[i]) {
      NPDE_REQUIRE(i < problem.coefficients.size(), "trainable coefficient " << i << " out of range");
      m_trained.push_back(int(i));
      m_coef_scale.push_back(1.0);  // set with the value below
    }
  const std::size_t n_net = m_net.n_params();
  m_n_net = m_n_raw = n_net;
  if (opts.weight_factorization) {
    NPDE_REQUIRE(problem.eigen.quadrature == 0, "weight factorisation is not available for eigenproblems");
    for (const nn::DenseLayer& d : m_net.dense_layers()) m_n_raw += std::size_t(d.out);
  }
  m_params = View1<T>("npde::pinn::Pinn::params", m_n_raw + m_trained.size());
  if (!opts.weight_factorization) {
    m_net.use_storage(View1<T>(Kokkos::subview(m_params, std::make_pair(std::size_t(0), n_net))));
  } else {
    // s ~ N(mean, stddev^2) per output unit, V = W / exp(s): the network starts as the Glorot one
    constexpr std::uint64_t kStreamRwf = 0x5EF0;
    const auto w = Kokkos::create_mirror_view_and_copy(HostSpace(), m_net.params());
    auto p = Kokkos::create_mirror_view(m_params);
    Kokkos::deep_copy(p, T(0));
    std::size_t s_at = n_net;
    for (const nn::DenseLayer& d : m_net.dense_layers()) {
      const int out = d.out, in = d.in;
      const std::size_t w0 = d.w, b0 = d.b;
      for (int i = 0; i < out; ++i, ++s_at) {
        const double s = opts.rwf_mean + opts.rwf_stddev * rng::normal(opts.seed, kStreamRwf, s_at);
        p(s_at) = T(s);
        for (int j = 0; j < in; ++j) p(w0 + i + std::size_t(out) * j) = T(double(w(w0 + i + std::size_t(out) * j)) / std::exp(s));
        p(b0 + i) = w(b0 + i);
      }
    }
    for (std::size_t i = m_net.alpha_offset(); i < n_net; ++i) p(i) = w(i);  // alphas, Gaussians: not factorised
    Kokkos::deep_copy(m_params, p);
    materialize();
  }
  for (int i : m_trained) set_coefficient(i, problem.coefficients[i]);

  // 1. trial functions (hard conditions) per output
  for (int o = 0; o < m_n_out; ++o) {
    m_trials.emplace_back(problem, o);
    if (m_trials.back().active()) m_hard |= 1u << o;
  }
  if (opts.stream_function && (m_hard & 3u))
    NPDE_INPUT_ERROR("network.output: stream_function builds u and v from psi, which a trial function of u or v "
                     "would break: use problem.bc_enforcement: soft");
  // 2. loss terms: the residuals, then one per soft condition
  for (const auto& name : m_kernel->residual_names()) {
    add_term(name, "pde", opts.weight_pde, opts.n_interior);
  }
  std::map<std::string, int> base_count;
  auto base_name = [&](const pde::Condition& c) {
    std::string b = c.kind == ConditionKind::Dirichlet ? "bc" : pde::to_string(c.kind);
    if (m_n_out > 1) b += "_" + problem.outputs.at(c.output);
    return b;
  };
  std::vector<std::size_t> soft;
  for (std::size_t i = 0; i < problem.conditions.size(); ++i) {
    const auto& c = problem.conditions[i];
    NPDE_REQUIRE(c.output >= 0 && c.output < m_n_out, "condition on output " << c.output);
    if (m_trials[c.output].absorbs(i) || (c.kind == ConditionKind::Periodic && m_periodic_embedded)) continue;
    soft.push_back(i);
    ++base_count[base_name(c)];
  }
  const pde::Needs needs = m_kernel->needs();
  for (std::size_t i : soft) {
    const auto& c = problem.conditions[i];
    ConditionSet set;
    set.condition = i;
    std::string name = base_name(c);
    if (base_count[name] > 1) name += "_" + face_list(c.faces);
    const bool initial = c.kind == ConditionKind::Initial || c.kind == ConditionKind::InitialRate;
    NPDE_REQUIRE(!initial || problem.time_dependent, "an initial condition needs a time-dependent problem");
    switch (c.kind) {
      case ConditionKind::Dirichlet:
      case ConditionKind::Initial: set.axis = -1; break;
      case ConditionKind::Neumann: set.axis = pde::face_axis(c.faces.at(0)); break;
      case ConditionKind::InitialRate: set.axis = problem.n_space; break;
      case ConditionKind::Periodic: {
        const int a = pde::face_axis(c.faces.at(0));
        NPDE_REQUIRE(c.faces.size() == 1, "a periodic condition names the lower face of one axis");
        // second order in that axis: the derivative must match across the pair as well
        set.axis = ((needs.diagonal | needs.laplacian) >> a) & 1u ? a : -1;
        set.periodic = true;
        break;
      }
    }
    if (c.kind == ConditionKind::Neumann)
      for (int f : c.faces)
        NPDE_REQUIRE(pde::face_axis(f) == set.axis, "a Neumann condition lists faces of one axis per entry");
    set.n_global = condition_points(set);
    NPDE_REQUIRE(set.n_global >= 1, "condition '" << name << "' has no points (training.points)");
    nn::JetSpec spec = nn::JetSpec::value_only(m_n_in);
    if (set.axis >= 0) spec.tangents.push_back(set.axis);
    set.jet = std::make_unique<nn::JetMlp<T>>(m_net, spec, opts.chunk);
    set.term = add_term(name, initial ? "initial" : "bc", initial ? opts.weight_initial : opts.weight_bc, set.n_global);
    m_sets.push_back(std::move(set));
  }
  for (std::size_t i = 0; i < problem.observations.size(); ++i) {
    const auto& obs = problem.observations[i];
    NPDE_REQUIRE(obs.output >= 0 && obs.output < m_n_out, "observations of output " << obs.output);
    NPDE_REQUIRE(obs.points.size() == obs.values.size() * std::size_t(m_n_in) && !obs.values.empty(),
                 "observations: " << obs.values.size() << " values for " << obs.points.size() << " coordinates");
    ConditionSet set;
    set.observation = int(i);
    set.n_global = obs.values.size();
    set.jet = std::make_unique<nn::JetMlp<T>>(m_net, nn::JetSpec::value_only(m_n_in), opts.chunk);
    std::string name = "data";
    if (m_n_out > 1) name += "_" + problem.outputs.at(obs.output);
    if (problem.observations.size() > 1 && m_n_out == 1) name += "_" + std::to_string(i);
    set.term = add_term(name, "data", opts.weight_data, set.n_global);
    m_sets.push_back(std::move(set));
  }
  if (problem.eigen.quadrature > 0) {
    const auto& e = problem.eigen;
    NPDE_REQUIRE(problem.n_inputs() == 1 && m_n_out == 1, "eigen constraints need one input and one output");
    NPDE_REQUIRE(e.quadrature >= 3 && e.quadrature % 2 == 1, "eigen quadrature of " << e.quadrature
                                                                << " points: Simpson needs an odd number >= 3");
    const double lo = problem.box.lower[0], h = problem.box.extent(0) / (e.quadrature - 1);
    for (int i = 0; i < e.quadrature; ++i) {
      m_quad_x.push_back(lo + i * h);
      m_quad_w.push_back(h / 3 * (i == 0 || i == e.quadrature - 1 ? 1 : (i % 2 ? 4 : 2)));
      // int V psi^2 by the trapezoid rule with V averaged over each node's cell (32 midpoint samples):
      // second order even across a jump of V, where Simpson's rule with point values is first order
      const double a = std::max(m_quad_x.back() - h / 2, lo), b = std::min(m_quad_x.back() + h / 2, lo + (e.quadrature - 1) * h);
      double v = 0;
      for (int k = 0; k < 32; ++k) {
        const double xs = a + (k + 0.5) * (b - a) / 32;
        v += problem.data.at(0).eval(&xs);
      }
      m_quad_v.push_back((b - a) * v / 32);  // trapezoid weight (h, h/2 at the ends) times the cell mean
    }
    for (const auto& prev : e.previous)
      NPDE_REQUIRE(prev.size() == m_quad_x.size(), "an earlier state has " << prev.size() << " quadrature values");
    std::vector<double> aux(std::size_t(kConditionAux) * m_quad_x.size(), 0.0);
    for (std::size_t p = 0; p < m_quad_x.size(); ++p)
      if (m_hard & 1u) write_trial(m_trials[0], &m_quad_x[p], 1u, 0u, 0u, aux.data() + p * kConditionAux + 2);
    m_x_quad = to_device<T>(m_quad_x, "npde::pinn::Pinn::x_quadrature");
    m_aux_quad = to_device<T>(aux, "npde::pinn::Pinn::aux_quadrature");
    nn::JetSpec spec = nn::JetSpec::value_only(1);
    spec.tangents.push_back(0);
    m_jet_quad = std::make_unique<nn::JetMlp<T>>(m_net, spec, opts.chunk);
    m_term_norm = add_term("normalisation", "normalisation", e.weight_normalisation, m_quad_x.size());
    if (!e.previous.empty())
      m_term_orth = add_term("orthogonality", "orthogonality", e.weight_orthogonality, m_quad_x.size());
    if (e.energy_term) m_term_energy = add_term("energy", "energy", e.weight_energy, m_quad_x.size());
  }
  m_term_values.assign(m_term_names.size(), 0.0);
  m_base_weights = m_term_weights;

  // 3. jets and buffers
  m_jet_interior = std::make_unique<nn::JetMlp<T>>(m_net, jet_spec_of(needs, m_n_in), opts.chunk);
  m_jet_value = std::make_unique<nn::JetMlp<T>>(m_net, nn::JetSpec::value_only(m_n_in), opts.chunk);
  const int c_max = std::max(m_jet_interior->n_channels(), 2);
  m_adj = View1<T>("npde::pinn::Pinn::adj", std::size_t(m_n_out) * c_max * opts.chunk);
  m_sq = View1<T>("npde::pinn::Pinn::sq", std::size_t(m_n_res) * opts.chunk);
  if (!m_trained.empty())
    m_coef_adj = View1<T>("npde::pinn::Pinn::coef_adj", std::size_t(kMaxCoefficients) * opts.chunk);
  m_pair_x = View1<T>("npde::pinn::Pinn::pair_x", std::size_t(m_n_in) * opts.chunk);
  m_pair_aux = View1<T>("npde::pinn::Pinn::pair_aux", std::size_t(kConditionAux) * opts.chunk);
  // [gradient, term values, and for eigenproblems the gradient of int psi^2 over the network's parameters]
  m_reduce = View1<T>("npde::pinn::Pinn::reduce",
                      n_params() + m_term_names.size() + (m_term_norm >= 0 ? m_net.n_params() : 0));
  m_reduce_host = Kokkos::create_mirror_view(m_reduce);

  // 4. validation set: a fixed Sobol set over the box, for the outputs with an exact solution
  for (int o = 0; o < m_n_out; ++o)
    if (o < int(problem.exact.size()) && problem.exact[o]) m_validation_outputs.push_back(o);
  if (!m_validation_outputs.empty()) {
    const auto all = pde::sample_interior(problem.box, pde::SamplerKind::Sobol, opts.n_validation, opts.seed,
                                          kValidationRound);
    m_validation_points = slice_rows(all, m_n_in, decomp::block_range(opts.n_validation, comm.rank(), comm.size()));
    const std::size_t nv = m_validation_points.size() / m_n_in;
    for (int o : m_validation_outputs)
      for (std::size_t p = 0; p < nv; ++p) m_validation_exact.push_back(problem.exact[o]->eval(&m_validation_points[p * m_n_in]));
  }
  NPDE_REQUIRE(opts.balancing == PinnOptions::Balancing::Fixed || problem.eigen.quadrature == 0,
               "loss balancing is not available for eigenproblems");
  // 5. causal training: every chunk weighted 1 until the first adapt()
  if (opts.causal_chunks > 0) {
    NPDE_REQUIRE(problem.time_dependent, "causal training needs a time-dependent problem");
    m_causal_w.assign(std::size_t(opts.causal_chunks), 1.0);
    m_causal_loss.assign(std::size_t(opts.causal_chunks), 0.0);
  }
  sample(0);
}

template <class T>
void Pinn<T>::use_storage(const View1<T>& storage) {
  NPDE_REQUIRE(storage.extent(0) == n_params(), "storage of " << storage.extent(0) << " for " << n_params() << " parameters");
  Kokkos::deep_copy(storage, m_params);
  m_params = storage;
  // the network reads its weights from the front of the vector (with weight factorisation it has its
  // own, materialised from the trained V and s)
  if (!m_opts.weight_factorization)
    m_net.use_storage(View1<T>(Kokkos::subview(m_params, std::make_pair(std::size_t(0), m_n_net))));
}

template <class T>
void Pinn<T>::update_point_factors() {
  // the residual terms are scaled by w_pde / N; chunk k's points carry w_k N / (M N_k) on top, so that
  // the term is w_pde / M sum_k w_k L_k with L_k the chunk's mean squared residual
  const double M = double(m_opts.causal_chunks), N = double(m_n_interior);
  std::vector<double> f(m_n_interior_local);
  for (std::size_t p = 0; p < f.size(); ++p) {
    const auto k = std::size_t(m_chunk_of[p]);
    f[p] = m_causal_w[k] * N / (M * m_chunk_count[k]);
  }
  m_point_factor = to_device<T>(f, "npde::pinn::Pinn::point_factor");
}

template <class T>
void Pinn<T>::interior_loss(const T* scale, T* g, std::vector<double>& terms, std::vector<double>& coef_grad) {
  const int W = aux_width(m_kernel->n_data(), m_n_out), chunk = m_opts.chunk;
  const bool inverse = !m_trained.empty();
  if (inverse) m_kernel->set_coefficients(coefficients());
  for (std::size_t off = 0; off < m_n_interior_local; off += chunk) {
    const int n = int(std::min<std::size_t>(chunk, m_n_interior_local - off));
    const T* x = m_x_interior.data() + off * m_n_in;
    const T* aux = m_aux_interior.data() + off * W;
    m_jet_interior->forward(x, n);
    if (inverse)
      m_kernel->evaluate_coefficients(n, m_jet_interior->output(), aux, m_hard, scale, m_sq.data(), m_adj.data(),
                                      m_coef_adj.data());
    else
      m_kernel->evaluate(n, m_jet_interior->output(), aux, m_hard, scale, m_sq.data(), m_adj.data());
    if (m_opts.causal_chunks > 0) apply_point_factors(off, n, inverse);
    // d/d theta_k = scale_k d/d coefficient (coefficient = scale_k theta_k)
    for (std::size_t k = 0; k < m_trained.size(); ++k)
      coef_grad[k] += m_coef_scale[k] * device_sum(m_coef_adj.data() + long(m_trained[k]) * n, n);
    for (int j = 0; j < m_n_res; ++j) terms[j] += double(scale[j]) * device_sum(m_sq.data() + long(j) * n, n);
    m_jet_interior->backward(x, n, m_adj.data(), g);
  }
}

template <class T>
void Pinn<T>::materialize() {
  if (!m_opts.weight_factorization) return;
  const auto p = Kokkos::create_mirror_view_and_copy(HostSpace(), m_params);
  auto w = Kokkos::create_mirror_view(m_net.params());
  std::size_t s_at = m_n_net;
  for (const nn::DenseLayer& d : m_net.dense_layers()) {
    const int out = d.out, in = d.in;
    const std::size_t w0 = d.w, b0 = d.b;
    for (int i = 0; i < out; ++i, ++s_at) {
      const double g = std::exp(double(p(s_at)));
      for (int j = 0; j < in; ++j) w(w0 + i + std::size_t(out) * j) = T(g * double(p(w0 + i + std::size_t(out) * j)));
      w(b0 + i) = p(b0 + i);
    }
  }
  // not factorised: PirateNet's alphas, the Gaussian features' centres and widths
  for (std::size_t i = m_net.alpha_offset(); i < m_n_net; ++i) w(i) = p(i);
  Kokkos::deep_copy(m_net.params(), w);
}

template <class T>
void Pinn<T>::factorized_gradient(T* g) const {
  // dL/dV_ij = exp(s_i) dL/dW_ij, dL/ds_i = sum_j dL/dW_ij W_ij
  const auto p = Kokkos::create_mirror_view_and_copy(HostSpace(), m_params);
  std::size_t s_at = m_n_net;
  for (const nn::DenseLayer& d : m_net.dense_layers()) {
    const int out = d.out, in = d.in;
    const std::size_t w0 = d.w;
    for (int i = 0; i < out; ++i, ++s_at) {
      const double e = std::exp(double(p(s_at)));
      double gs = 0;
      for (int j = 0; j < in; ++j) {
        const std::size_t at = w0 + i + std::size_t(out) * j;
        gs += double(g[at]) * e * double(p(at));
        g[at] = T(e * double(g[at]));
      }
      g[s_at] = T(gs);
    }
  }
}

template <class T>
void Pinn<T>::apply_point_factors(std::size_t off, int n, bool coefficients) {
  // sq (n_residuals, n) and coef_adj (n_coefficients, n): point p = i % n; adj (n_outputs, C n)
  // column-major: point p = (i / n_outputs) % n
  const T* f = m_point_factor.data() + off;
  T* sq = m_sq.data();
  T* adj = m_adj.data();
  const int no = m_n_out;
  Kokkos::parallel_for(
      "npde::pinn::Pinn::causal_sq", Kokkos::RangePolicy<ExecSpace>(0, m_n_res * n),
      KOKKOS_LAMBDA(const int i) { sq[i] *= f[i % n]; });
  Kokkos::parallel_for(
      "npde::pinn::Pinn::causal_adj", Kokkos::RangePolicy<ExecSpace>(0, no * m_jet_interior->n_channels() * n),
      KOKKOS_LAMBDA(const int i) { adj[i] *= f[(i / no) % n]; });
  if (coefficients) {
    T* ca = m_coef_adj.data();
    Kokkos::parallel_for(
        "npde::pinn::Pinn::causal_coef", Kokkos::RangePolicy<ExecSpace>(0, int(m_kernel->coefficient_names().size()) * n),
        KOKKOS_LAMBDA(const int i) { ca[i] *= f[i % n]; });
  }
}

template <class T>
std::vector<double> Pinn<T>::interior_squared_residuals() {
  const int W = aux_width(m_kernel->n_data(), m_n_out), chunk = m_opts.chunk;
  T one[kMaxResiduals];
  for (int j = 0; j < m_n_res; ++j) one[j] = T(1);
  if (!m_trained.empty()) m_kernel->set_coefficients(coefficients());
  std::vector<double> r2(m_n_interior_local, 0.0);
  for (std::size_t off = 0; off < m_n_interior_local; off += chunk) {
    const int n = int(std::min<std::size_t>(chunk, m_n_interior_local - off));
    m_jet_interior->forward(m_x_interior.data() + off * m_n_in, n);
    m_kernel->evaluate(n, m_jet_interior->output(), m_aux_interior.data() + off * W, m_hard, one, m_sq.data(),
                       m_adj.data());
    Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> sq(m_sq.data(), std::size_t(m_n_res) * n);
    const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), sq);
    for (int p = 0; p < n; ++p)
      for (int j = 0; j < m_n_res; ++j) r2[off + std::size_t(p)] += double(h(std::size_t(j) * n + p));
  }
  return r2;
}

template <class T>
std::vector<std::string> Pinn<T>::extra_names() const {
  std::vector<std::string> names;
  for (std::size_t k = 0; k < m_causal_w.size(); ++k) names.push_back("causal_weight_" + std::to_string(k));
  for (std::size_t k = 0; k < m_causal_w.size(); ++k) names.push_back("causal_loss_" + std::to_string(k));
  if (m_opts.balancing != PinnOptions::Balancing::Fixed)
    for (const auto& t : m_term_names) names.push_back("weight_" + t);
  return names;
}

template <class T>
std::vector<double> Pinn<T>::extra_values() const {
  std::vector<double> v(m_causal_w);
  v.insert(v.end(), m_causal_loss.begin(), m_causal_loss.end());
  if (m_opts.balancing != PinnOptions::Balancing::Fixed) v.insert(v.end(), m_term_weights.begin(), m_term_weights.end());
  return v;
}

namespace {

/// Value (axis < 0) or derivative along `axis` of output o at point q, and its partial derivatives
/// with respect to the network's value (dn0) and tangent (dn1) channels; with the trial function when hard.
template <class T>
KOKKOS_INLINE_FUNCTION T condition_value(const T* out, const T* a, int n, int no, int o, int axis, bool hard, int q,
                                         T& dn0, T& dn1) {
  const T n0 = out[o + long(no) * q];
  const T* G = a + 2;
  const T* D = a + 2 + pde::kCanonical;
  if (axis < 0) {
    dn0 = hard ? D[0] : T(1);
    dn1 = T(0);
    return hard ? G[0] + D[0] * n0 : n0;
  }
  const T n1 = out[o + long(no) * (long(n) + q)];
  const int ck = pde::canonical_d(axis);
  dn0 = hard ? D[ck] : T(0);
  dn1 = hard ? D[0] : T(1);
  return hard ? G[ck] + D[ck] * n0 + D[0] * n1 : n1;
}

}  // namespace

template <class T>
void Pinn<T>::condition_loss(ConditionSet& set, T* grad, double& loss) {
  const int d = m_n_in, no = m_n_out, axis = set.axis;
  const int o = set.observation >= 0 ? m_problem.observations[set.observation].output
                                     : m_problem.conditions[set.condition].output;
  const bool hard = (m_hard >> o) & 1u;
  const int C = set.jet->n_channels();
  const T scale = T(m_term_weights[set.term] / double(set.n_global));
  T* adj = m_adj.data();
  if (!set.periodic) {
    for (std::size_t off = 0; off < set.n_local; off += m_opts.chunk) {
      const int n = int(std::min<std::size_t>(m_opts.chunk, set.n_local - off));
      const T* x = set.x.data() + off * d;
      const T* aux = set.aux.data() + off * kConditionAux;
      set.jet->forward(x, n);
      const T* out = set.jet->output();
      Kokkos::deep_copy(Kokkos::subview(m_adj, std::make_pair(std::size_t(0), std::size_t(no) * C * n)), T(0));
      double part = 0;
      Kokkos::parallel_reduce(
          "npde::pinn::Pinn::condition_loss", Kokkos::RangePolicy<ExecSpace>(0, n),
          KOKKOS_LAMBDA(const int q, double& acc) {
            const T* a = aux + long(kConditionAux) * q;
            T dn0, dn1;
            const T v = condition_value(out, a, n, no, o, axis, hard, q, dn0, dn1);
            const T r = a[1] * v - a[0];
            acc += double(scale * r * r);
            const T g = T(2) * scale * r * a[1];
            adj[o + long(no) * q] = g * dn0;
            if (axis >= 0) adj[o + long(no) * (long(n) + q)] = g * dn1;
          },
          part);
      loss += part;
      set.jet->backward(x, n, adj, grad);
    }
    return;
  }
  // periodic: chunks of m pairs laid out [lower m, upper m] in the pair buffers
  const std::size_t m_max = std::size_t(m_opts.chunk / 2);
  for (std::size_t off = 0; off < set.n_local; off += m_max) {
    const int m = int(std::min<std::size_t>(m_max, set.n_local - off));
    const int n = 2 * m;
    using std::make_pair;
    const std::size_t lo = off, up = set.n_local + off;
    Kokkos::deep_copy(Kokkos::subview(m_pair_x, make_pair(std::size_t(0), std::size_t(d) * m)),
                      Kokkos::subview(set.x, make_pair(lo * d, (lo + m) * d)));
    Kokkos::deep_copy(Kokkos::subview(m_pair_x, make_pair(std::size_t(d) * m, std::size_t(d) * n)),
                      Kokkos::subview(set.x, make_pair(up * d, (up + m) * d)));
    Kokkos::deep_copy(Kokkos::subview(m_pair_aux, make_pair(std::size_t(0), std::size_t(kConditionAux) * m)),
                      Kokkos::subview(set.aux, make_pair(lo * kConditionAux, (lo + m) * kConditionAux)));
    Kokkos::deep_copy(Kokkos::subview(m_pair_aux, make_pair(std::size_t(kConditionAux) * m, std::size_t(kConditionAux) * n)),
                      Kokkos::subview(set.aux, make_pair(up * kConditionAux, (up + m) * kConditionAux)));
    const T* x = m_pair_x.data();
    const T* aux = m_pair_aux.data();
    set.jet->forward(x, n);
    const T* out = set.jet->output();
    Kokkos::deep_copy(Kokkos::subview(m_adj, make_pair(std::size_t(0), std::size_t(no) * C * n)), T(0));
    double part = 0;
    Kokkos::parallel_reduce(
        "npde::pinn::Pinn::periodic_loss", Kokkos::RangePolicy<ExecSpace>(0, m),
        KOKKOS_LAMBDA(const int p, double& acc) {
          const int q = p + m;
          const T* ap = aux + long(kConditionAux) * p;
          const T* aq = aux + long(kConditionAux) * q;
          T dp0, dp1, dq0, dq1;
          // value continuity
          const T r0 = condition_value(out, ap, n, no, o, -1, hard, p, dp0, dp1) -
                       condition_value(out, aq, n, no, o, -1, hard, q, dq0, dq1);
          acc += double(scale * r0 * r0);
          adj[o + long(no) * p] = T(2) * scale * r0 * dp0;
          adj[o + long(no) * q] = -T(2) * scale * r0 * dq0;
          if (axis >= 0) {  // derivative continuity
            T ep0, ep1, eq0, eq1;
            const T r1 = condition_value(out, ap, n, no, o, axis, hard, p, ep0, ep1) -
                         condition_value(out, aq, n, no, o, axis, hard, q, eq0, eq1);
            acc += double(scale * r1 * r1);
            adj[o + long(no) * p] += T(2) * scale * r1 * ep0;
            adj[o + long(no) * q] -= T(2) * scale * r1 * eq0;
            adj[o + long(no) * (long(n) + p)] = T(2) * scale * r1 * ep1;
            adj[o + long(no) * (long(n) + q)] = -T(2) * scale * r1 * eq1;
          }
        },
        part);
    loss += part;
    set.jet->backward(x, n, adj, grad);
  }
}

template <class T>
T Pinn<T>::loss_and_gradient(const View1<T>& grad) {
  materialize();  // weight factorisation: W from the trained (V, s)
  Kokkos::Profiling::pushRegion("npde::pinn::Pinn::loss_and_gradient");
  const std::size_t np = n_params();
  Kokkos::deep_copy(m_reduce, T(0));
  T* g = m_reduce.data();
  std::vector<double> terms(m_term_names.size(), 0.0);
  // 1. interior residuals, chunk by chunk: jets, kernel (residuals and adjoint), reverse pass
  T scale[kMaxResiduals];
  for (int j = 0; j < m_n_res; ++j) scale[j] = T(m_term_weights[j] / double(m_n_interior));
  // Eigenproblems: the residual is linear in psi, so sum r^2 / int psi^2 is the scale-free measure
  // (psi -> 0 no longer lowers it); the derivative of 1/Q is added after the allreduce.
  std::vector<double> psi_quad;
  double q = 1;
  if (m_term_norm >= 0) {
    psi_quad = quadrature_values(false);
    q = std::max(quadrature_norm2(psi_quad), 1e-300);
    for (int j = 0; j < m_n_res; ++j) scale[j] = T(double(scale[j]) / q);
  }
  std::vector<double> coef_grad(m_trained.size(), 0.0);
  interior_loss(scale, g, terms, coef_grad);
  // 2. soft conditions, eigen constraints
  for (auto& set : m_sets) condition_loss(set, g, terms[set.term]);
  if (m_term_norm >= 0) eigen_loss(psi_quad, q, g, g + np + terms.size(), terms);
  if (m_term_energy >= 0 && m_term_weights[m_term_energy] > 0) energy_loss(psi_quad, g, coef_grad, terms);
  // 3. one allreduce of [gradient, terms]
  Kokkos::fence();
  Kokkos::deep_copy(m_reduce_host, m_reduce);
  for (std::size_t k = 0; k < terms.size(); ++k) m_reduce_host(np + k) = T(terms[k]);
  for (std::size_t k = 0; k < coef_grad.size(); ++k) m_reduce_host(m_n_raw + k) = T(coef_grad[k]);
  if (m_opts.weight_factorization) factorized_gradient(m_reduce_host.data());  // linear: before the sum
  m_comm.allreduce_sum(m_reduce_host.data(), m_reduce_host.extent(0));
  if (m_term_norm >= 0) {
    // d(S/Q) = dS/Q - (S/Q)/Q dQ with S/Q the residual terms as summed
    double pde = 0;
    for (int j = 0; j < m_n_res; ++j) pde += double(m_reduce_host(np + j));
    const T c = T(pde / q);
    const std::size_t gq = np + terms.size();
    for (std::size_t i = 0; i < m_net.n_params(); ++i) m_reduce_host(i) -= c * m_reduce_host(gq + i);
  }
  Kokkos::deep_copy(m_reduce, m_reduce_host);
  Kokkos::deep_copy(grad, Kokkos::subview(m_reduce, std::make_pair(std::size_t(0), np)));
  double total = 0;
  for (std::size_t k = 0; k < terms.size(); ++k) {
    m_term_values[k] = double(m_reduce_host(np + k));
    total += m_term_values[k];
  }
  Kokkos::Profiling::popRegion();
  return T(total);
}

template <class T>
int Pinn<T>::add_term(const std::string& name, const char* group, double weight, std::size_t points) {
  m_term_names.push_back(name);
  m_term_groups.emplace_back(group);
  m_term_weights.push_back(weight);
  m_term_points.push_back(points);
  return int(m_term_names.size()) - 1;
}

template <class T>
void Pinn<T>::set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) {
  // with loss balancing the adapted weights carry over from stage to stage; an override sets a new
  // starting value (0 switches the term off)
  if (m_opts.balancing == PinnOptions::Balancing::Fixed) m_term_weights = m_base_weights;
  for (const auto& [group, w] : overrides) {
    bool found = false;
    for (std::size_t k = 0; k < m_term_groups.size(); ++k)
      if (m_term_groups[k] == group) {
        m_term_weights[k] = w;
        found = true;
      }
    if (!found) {
      std::string list;
      for (const auto& g : m_term_groups)
        if (list.find(g) == std::string::npos) list += (list.empty() ? "" : ", ") + g;
      NPDE_INPUT_ERROR("training.stages[].weights." << group << ": this problem has no " << group
                                                     << " loss term (its weight groups: " << list << ")");
    }
  }
}

template <class T>
void Pinn<T>::scale_output(double factor) {
  const int last = m_net.n_layers() - 1;
  const std::size_t begin = m_net.weight_offset(last);
  const std::size_t end = m_net.bias_offset(last) + std::size_t(m_net.n_outputs());
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_params);
  for (std::size_t i = begin; i < end; ++i) h(i) = T(double(h(i)) * factor);
  Kokkos::deep_copy(m_params, h);
}

template <class T>
void Pinn<T>::set_coefficient(int index, double value) {
  const auto it = std::find(m_trained.begin(), m_trained.end(), index);
  NPDE_REQUIRE(it != m_trained.end(), "coefficient " << index << " is not trained");
  const std::size_t k = std::size_t(it - m_trained.begin());
  m_coef_scale[k] = value != 0 ? std::abs(value) : 1.0;
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_params);
  h(m_n_raw + k) = T(value / m_coef_scale[k]);
  Kokkos::deep_copy(m_params, h);
}

template <class T>
std::string Pinn<T>::progress_note() const {
  if (m_trained.empty()) return {};
  const auto k = coefficients();
  const auto names = m_kernel->coefficient_names();
  std::string s;
  char buf[64];
  for (int i : m_trained) {
    std::snprintf(buf, sizeof buf, "%s%s %.6e", s.empty() ? "" : "  ", names[i].c_str(), k[i]);
    s += buf;
  }
  return s;
}

template <class T>
std::vector<double> Pinn<T>::coefficients() const {
  std::vector<double> k = m_problem.coefficients;
  if (m_trained.empty()) return k;
  auto tail = Kokkos::create_mirror_view_and_copy(
      HostSpace(), Kokkos::subview(m_params, std::make_pair(m_n_raw, m_n_raw + m_trained.size())));
  for (std::size_t i = 0; i < m_trained.size(); ++i) k[m_trained[i]] = m_coef_scale[i] * double(tail(i));
  return k;
}

template <class T>
std::vector<double> Pinn<T>::predict(const std::vector<double>& points) {
  materialize();  // weight factorisation: W from the trained (V, s)
  const int d = m_n_in, no = m_n_out, chunk = m_opts.chunk;
  const std::size_t n_all = points.size() / d;
  std::vector<double> u(n_all * no);
  View1<T> xd(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::pinn::Pinn::predict_x"), std::size_t(d) * chunk);
  auto xh = Kokkos::create_mirror_view(xd);
  for (std::size_t off = 0; off < n_all; off += chunk) {
    const int n = int(std::min<std::size_t>(chunk, n_all - off));
    for (std::size_t i = 0; i < std::size_t(n) * d; ++i) xh(i) = T(points[off * d + i]);
    Kokkos::deep_copy(xd, xh);
    m_jet_value->forward(xd.data(), n);
    Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> out(m_jet_value->output(),
                                                                                   std::size_t(no) * n);
    auto oh = Kokkos::create_mirror_view_and_copy(HostSpace(), out);
    for (int p = 0; p < n; ++p)
      for (int o = 0; o < no; ++o)
        u[(off + p) * no + o] = m_trials[o].value(points.data() + (off + p) * d, double(oh(o + no * p)));
  }
  return u;
}

template <class T>
double Pinn<T>::validation_error() {
  materialize();  // weight factorisation: W from the trained (V, s)
  if (m_validation_outputs.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto u = predict(m_validation_points);
  const std::size_t nv = m_validation_points.size() / m_n_in;
  double num = 0, den = 0;
  for (std::size_t k = 0; k < m_validation_outputs.size(); ++k) {
    const int o = m_validation_outputs[k];
    double shift = 0;  // an output fixed up to a constant: compared after removing the mean difference
    if (o < int(m_problem.up_to_constant.size()) && m_problem.up_to_constant[o]) {
      for (std::size_t p = 0; p < nv; ++p) shift += m_validation_exact[k * nv + p] - u[p * m_n_out + o];
      shift = m_comm.sum(shift) / double(m_opts.n_validation);
    }
    for (std::size_t p = 0; p < nv; ++p) {
      const double e = m_validation_exact[k * nv + p];
      const double v = u[p * m_n_out + o] + shift;
      num += (v - e) * (v - e);
      den += e * e;
    }
  }
  num = m_comm.sum(num);
  den = m_comm.sum(den);
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

template class Pinn<double>;
template class Pinn<float>;

}  // namespace npde::pinn
