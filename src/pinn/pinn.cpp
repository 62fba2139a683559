// SPDX-License-Identifier: BSD-3-Clause
// Pinn: point sets per loss term, the interior residual through the equation kernel, soft condition
// terms, one allreduce of [gradient, terms] per evaluation.
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

using detail::slice_rows;
using detail::to_device;

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

/// Sum of the n entries of v (a device reduction in double).
template <class T>
double device_sum(const T* v, int n) {
  double s = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::Pinn::sum", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) { acc += double(v[p]); }, s);
  return s;
}

/// The trial function's G and D canonical jets of output `trial` at x, written to dst (G then D).
void write_trial(const TrialFunction& trial, const double* x, unsigned first, unsigned second, unsigned laplacian,
                 double* dst) {
  CanonicalJet G, D;
  trial.eval(x, first, second, laplacian, G, D);
  std::copy(G.e, G.e + pde::kCanonical, dst);
  std::copy(D.e, D.e + pde::kCanonical, dst + pde::kCanonical);
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
  m_net.init_glorot(opts.seed);
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
void Pinn<T>::fill_interior(const std::vector<double>& pts) {
  const int nd = m_kernel->n_data(), W = aux_width(nd, m_n_out);
  const std::size_t n = pts.size() / m_n_in;
  const pde::Needs needs = m_kernel->needs();
  std::vector<double> aux(std::size_t(W) * n, 0.0);
  for (std::size_t p = 0; p < n; ++p) {
    const double* x = pts.data() + p * m_n_in;
    double* a = aux.data() + p * W;
    for (int j = 0; j < nd; ++j) a[j] = m_problem.data[j].eval(x);
    for (int o = 0; o < m_n_out; ++o) {
      if ((m_hard >> o) & 1u)
        write_trial(m_trials[o], x, needs.first, needs.diagonal, needs.laplacian, a + nd + 2 * pde::kCanonical * o);
    }
  }
  m_n_interior_local = n;
  m_x_interior = to_device<T>(pts, "npde::pinn::Pinn::x_interior");
  m_aux_interior = to_device<T>(aux, "npde::pinn::Pinn::aux_interior");
  if (m_opts.causal_chunks > 0) {
    // time chunk k = floor(M (t - t0) / T) of each point, and the global count of each chunk
    const int M = m_opts.causal_chunks, ta = m_problem.n_space;
    const double t0 = m_problem.box.lower[ta], span = m_problem.box.extent(ta);
    m_chunk_of.resize(n);
    m_chunk_count.assign(std::size_t(M), 0.0);
    for (std::size_t p = 0; p < n; ++p) {
      const int k = int(std::floor(double(M) * (pts[p * m_n_in + ta] - t0) / span));
      m_chunk_of[p] = std::clamp(k, 0, M - 1);
      m_chunk_count[std::size_t(m_chunk_of[p])] += 1.0;
    }
    m_comm.allreduce_sum(m_chunk_count.data(), m_chunk_count.size());
    update_point_factors();
  }
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
void Pinn<T>::update_balancing() {
  // 1. per term k, the gradient of its unweighted value (weight 1 / N) on this rank's points
  const std::size_t nt = m_term_names.size(), nn = m_net.n_params();
  std::vector<double> all(nt * nn, 0.0);
  const std::vector<double> weights = m_term_weights;
  View1<T> gk("npde::pinn::Pinn::term_grad", n_params());
  for (std::size_t k = 0; k < nt; ++k) {
    if (weights[k] == 0) continue;  // switched off (a stage's weight 0): stays off
    Kokkos::deep_copy(gk, T(0));
    std::vector<double> terms(nt, 0.0), coef_grad(m_trained.size(), 0.0);
    if (int(k) < m_n_res) {
      T scale[kMaxResiduals];
      for (int j = 0; j < m_n_res; ++j) scale[j] = T(j == int(k) ? 1.0 / double(m_n_interior) : 0.0);
      interior_loss(scale, gk.data(), terms, coef_grad);
    } else {
      m_term_weights.assign(nt, 0.0);
      m_term_weights[k] = 1.0;
      for (auto& set : m_sets)
        if (set.term == int(k)) condition_loss(set, gk.data(), terms[k]);
      m_term_weights = weights;
    }
    Kokkos::fence();
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), gk);
    for (std::size_t i = 0; i < nn; ++i) all[k * nn + i] = double(h(i));
  }
  m_comm.allreduce_sum(all.data(), all.size());  // the one extra allreduce of an update
  // 2. new weights, then the moving average w <- m w + (1 - m) w_new
  std::vector<double> fresh(weights);
  const auto* g = all.data();
  if (m_opts.balancing == PinnOptions::Balancing::GradNorm) {
    // jaxpi: w_k = mean_j |grad L_j| / (|grad L_k| + 1e-5 mean_j |grad L_j|) over the active terms
    std::vector<double> norm(nt, 0.0);
    double mean = 0;
    int active = 0;
    for (std::size_t k = 0; k < nt; ++k) {
      if (weights[k] == 0) continue;
      for (std::size_t i = 0; i < nn; ++i) norm[k] += g[k * nn + i] * g[k * nn + i];
      norm[k] = std::sqrt(norm[k]);
      mean += norm[k];
      ++active;
    }
    mean /= std::max(active, 1);
    for (std::size_t k = 0; k < nt; ++k)
      if (weights[k] != 0) fresh[k] = mean / (norm[k] + 1e-5 * mean);
  } else {
    // learning-rate annealing (the gradient-pathologies paper's code): over the weight matrices
    // (not the biases), max |d L_r / dW| of the residual terms' sum L_r divided by the mean over the
    // layers of the mean |d (w_k L_k) / dW| (per_layer: the largest over the matrices of that
    // matrix's max over its mean); the residual terms keep their weights. Shared: the same for each
    // group's sum sum_k w_k L_k, and the group's factor lambda = w_k / (deck weight of k) follows it.
    auto dense = m_net.dense_layers();  // the main layers, then a gated network's two encoders
    if (!m_opts.balance_encoders) dense.resize(std::size_t(m_net.n_layers()));
    // per weight matrix, max |d L_r / dW| (L_r's gradient the sum of the residual terms')
    std::vector<double> layer_max(dense.size(), 0.0);
    for (std::size_t l = 0; l < dense.size(); ++l)
      for (std::size_t i = dense[l].w; i < dense[l].b; ++i) {
        double s = 0;
        for (int j = 0; j < m_n_res; ++j) s += g[std::size_t(j) * nn + i];
        layer_max[l] = std::max(layer_max[l], std::abs(s));
      }
    const double max_r = *std::max_element(layer_max.begin(), layer_max.end());
    std::vector<std::vector<std::size_t>> units;  // the terms each new value is computed for
    for (std::size_t k = std::size_t(m_n_res); k < nt; ++k) {
      if (weights[k] == 0 || (m_opts.balance_shared && m_base_weights[k] == 0)) continue;
      auto u = std::find_if(units.begin(), units.end(), [&](const std::vector<std::size_t>& v) {
        return m_opts.balance_shared && m_term_groups[v[0]] == m_term_groups[k];
      });
      if (u == units.end())
        units.push_back({k});
      else
        u->push_back(k);
    }
    for (const auto& unit : units) {
      auto weighted = [&](std::size_t i) {
        double s = 0;
        for (std::size_t k : unit) s += weights[k] * g[k * nn + i];
        return std::abs(s);
      };
      double ratio = 0, mean = 0;
      for (std::size_t l = 0; l < dense.size(); ++l) {
        double layer = 0;
        for (std::size_t i = dense[l].w; i < dense[l].b; ++i) layer += weighted(i);
        layer /= double(dense[l].b - dense[l].w);
        mean += layer / double(dense.size());
        if (layer > 0) ratio = std::max(ratio, layer_max[l] / layer);
      }
      const double lambda_hat = m_opts.balance_per_layer ? ratio : (mean > 0 ? max_r / mean : 0.0);
      if (!(lambda_hat > 0) || !std::isfinite(lambda_hat)) continue;
      if (!m_opts.balance_shared) {
        fresh[unit[0]] = lambda_hat;
        continue;
      }
      // w_k = lambda b_k (b_k the deck's weight) for the group's lambda: the moving average below
      // gives m lambda b_k + (1 - m) lambda_hat b_k
      for (std::size_t k : unit) fresh[k] = lambda_hat * m_base_weights[k];
    }
  }
  const double m = m_opts.balance_momentum;
  for (std::size_t k = 0; k < nt; ++k)
    if (weights[k] != 0 && std::isfinite(fresh[k])) m_term_weights[k] = m * weights[k] + (1 - m) * fresh[k];
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
void Pinn<T>::adapt(long iteration) {
  materialize();  // weight factorisation: W from the trained (V, s)
  if (m_opts.balancing != PinnOptions::Balancing::Fixed && iteration % m_opts.balance_every == 0) update_balancing();
  if (m_opts.causal_chunks <= 0) return;
  // chunk losses at the current parameters
  const int M = m_opts.causal_chunks;
  const std::vector<double> r2 = interior_squared_residuals();
  std::vector<double> sums(std::size_t(M), 0.0);
  for (std::size_t p = 0; p < r2.size(); ++p) sums[std::size_t(m_chunk_of[p])] += r2[p];
  m_comm.allreduce_sum(sums.data(), sums.size());
  double cumulative = 0;
  for (int k = 0; k < M; ++k) {
    m_causal_loss[k] = m_chunk_count[k] > 0 ? sums[k] / m_chunk_count[k] : 0.0;
    m_causal_w[k] = std::exp(-m_opts.causal_epsilon * cumulative);
    cumulative += m_causal_loss[k];
  }
  update_point_factors();
}

template <class T>
std::vector<double> Pinn<T>::adaptive_state() const {
  std::vector<double> s(m_causal_w);
  s.insert(s.end(), m_causal_loss.begin(), m_causal_loss.end());
  if (m_opts.balancing != PinnOptions::Balancing::Fixed) s.insert(s.end(), m_term_weights.begin(), m_term_weights.end());
  if (m_opts.rad_candidates > 0) s.insert(s.end(), m_rad_points.begin(), m_rad_points.end());  // empty before the first draw
  return s;
}

template <class T>
void Pinn<T>::set_adaptive_state(const std::vector<double>& state) {
  const std::size_t M = m_causal_w.size();
  const std::size_t nw = m_opts.balancing != PinnOptions::Balancing::Fixed ? m_term_weights.size() : 0;
  const std::size_t npts = m_opts.n_interior * std::size_t(m_n_in);
  const std::size_t extra = state.size() - std::min(state.size(), 2 * M + nw);
  const bool rar = m_opts.adaptive == PinnOptions::Adaptive::RarD;
  const bool points_ok = extra == 0 || (m_opts.rad_candidates > 0 && (rar ? extra >= npts && extra % std::size_t(m_n_in) == 0
                                                                          : extra == npts));
  NPDE_REQUIRE(state.size() >= 2 * M + nw && points_ok,
               "adaptive state of " << state.size() << " values, the model has " << 2 * M + nw << " (+ "
                                    << npts << (rar ? " or more" : "") << " with adaptive points)");
  std::copy(state.begin(), state.begin() + long(M), m_causal_w.begin());
  std::copy(state.begin() + long(M), state.begin() + long(2 * M), m_causal_loss.begin());
  std::copy(state.begin() + long(2 * M), state.begin() + long(2 * M + nw), m_term_weights.begin());
  if (extra > 0 && std::vector<double>(state.end() - long(extra), state.end()) != m_rad_points) {
    // the adaptive set of the state (it depends on the parameters of its time, not on the round alone)
    m_rad_points.assign(state.end() - long(extra), state.end());
    set_interior_count(extra / std::size_t(m_n_in));
    fill_interior(slice_rows(m_rad_points, m_n_in, decomp::block_range(m_n_interior, m_comm.rank(), m_comm.size())));
  } else if (M > 0) {
    update_point_factors();
  }
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

template <class T>
void Pinn<T>::fill_condition(ConditionSet& set, std::uint64_t round) {
  if (set.observation >= 0) {
    // fixed points (the same every round), sliced by rank
    const auto& obs = m_problem.observations[set.observation];
    const auto r = decomp::block_range(set.n_global, m_comm.rank(), m_comm.size());
    const std::vector<double> mine = slice_rows(obs.points, m_n_in, r);
    set.n_local = r.size();
    const bool hard = (m_hard >> obs.output) & 1u;
    std::vector<double> aux(std::size_t(kConditionAux) * set.n_local, 0.0);
    for (std::size_t p = 0; p < set.n_local; ++p) {
      double* a = aux.data() + p * kConditionAux;
      a[0] = obs.values[r.begin + p];
      a[1] = 1.0;
      if (hard) write_trial(m_trials[obs.output], mine.data() + p * m_n_in, 0u, 0u, 0u, a + 2);
    }
    set.x = to_device<T>(mine, "npde::pinn::Pinn::x_observation");
    set.aux = to_device<T>(aux, "npde::pinn::Pinn::aux_observation");
    return;
  }
  const auto& c = m_problem.conditions[set.condition];
  const auto& box = m_problem.box;
  const int d = m_n_in;
  std::vector<int> faces = c.faces;
  if (c.kind == ConditionKind::Initial || c.kind == ConditionKind::InitialRate) faces = {m_problem.initial_face()};
  const auto all = pde::sample_boundary(box, faces, m_opts.sampler, set.n_global, m_opts.seed, round);
  // the face of every global point, from the per-face allocation (points are grouped by face)
  const auto counts = pde::boundary_allocation(box, faces, set.n_global);
  std::vector<int> face_of;
  for (std::size_t f = 0; f < faces.size(); ++f) face_of.insert(face_of.end(), counts[f], faces[f]);
  const auto r = decomp::block_range(set.n_global, m_comm.rank(), m_comm.size());
  std::vector<double> mine = slice_rows(all, d, r);
  std::vector<int> mine_faces(face_of.begin() + r.begin, face_of.begin() + r.end);
  set.n_local = r.size();
  if (set.periodic) {  // the partners on the upper face, after the lower points
    std::vector<double> upper = mine;
    const int a = pde::face_axis(faces[0]);
    for (std::size_t p = 0; p < set.n_local; ++p) upper[p * d + a] = box.upper[a];
    mine.insert(mine.end(), upper.begin(), upper.end());
    mine_faces.insert(mine_faces.end(), mine_faces.begin(), mine_faces.end());
  }
  const std::size_t n = mine.size() / d;
  const unsigned first = set.axis >= 0 ? (1u << set.axis) : 0u;
  const bool hard = (m_hard >> c.output) & 1u;
  std::vector<double> aux(std::size_t(kConditionAux) * n, 0.0);
  for (std::size_t p = 0; p < n; ++p) {
    const double* x = mine.data() + p * d;
    double* a = aux.data() + p * kConditionAux;
    a[0] = c.kind == ConditionKind::Periodic ? 0.0 : c.value.eval(x);
    a[1] = c.kind == ConditionKind::Neumann && pde::face_side(mine_faces[p]) == 0 ? -1.0 : 1.0;
    if (hard) write_trial(m_trials[c.output], x, first, 0u, 0u, a + 2);
  }
  set.x = to_device<T>(mine, "npde::pinn::Pinn::x_condition");
  set.aux = to_device<T>(aux, "npde::pinn::Pinn::aux_condition");
}

template <class T>
void Pinn<T>::sample(std::uint64_t round) {
  materialize();  // weight factorisation: W from the trained (V, s)
  if (m_opts.rad_candidates > 0 && round > 0 && m_opts.adaptive == PinnOptions::Adaptive::RarD) {
    sample_refine(round);
  } else if (m_opts.rad_candidates > 0 && round > 0) {
    sample_adaptive(round);
  } else {
    m_rad_points.clear();
    const std::size_t n = m_stage_points.interior > 0 ? m_stage_points.interior : m_opts.n_interior;
    set_interior_count(n);
    const auto all = pde::sample_interior(m_problem.box, m_opts.sampler, n, m_opts.seed, round);
    fill_interior(slice_rows(all, m_n_in, decomp::block_range(n, m_comm.rank(), m_comm.size())));
  }
  for (auto& set : m_sets) {
    set.n_global = condition_points(set);
    m_term_points[std::size_t(set.term)] = set.n_global;
    fill_condition(set, round);
  }
}

template <class T>
std::size_t Pinn<T>::condition_points(const ConditionSet& set) const {
  if (set.observation >= 0) return set.n_global;
  const auto kind = m_problem.conditions[set.condition].kind;
  if (kind == ConditionKind::Initial || kind == ConditionKind::InitialRate)
    return m_stage_points.initial > 0 ? m_stage_points.initial : m_opts.n_initial;
  const std::size_t n = m_stage_points.boundary > 0 ? m_stage_points.boundary : m_opts.n_boundary;
  return set.periodic ? std::max<std::size_t>(n / 2, 1) : n;
}

template <class T>
bool Pinn<T>::set_stage_points(const StagePoints& points) {
  if (points.interior > 0 && m_opts.rad_candidates > 0)
    NPDE_INPUT_ERROR("training.stages[].points.interior: adaptive sampling (training.points.adaptive) sets the "
                     "interior points");
  m_stage_points = points;  // drawn by the next sample()
  // (an adaptive set keeps its own count: RAR-D grows it)
  bool changed = m_opts.rad_candidates == 0 && (points.interior > 0 ? points.interior : m_opts.n_interior) != m_n_interior;
  for (const auto& set : m_sets) changed = changed || condition_points(set) != set.n_global;
  return changed;
}

template <class T>
void Pinn<T>::set_interior_count(std::size_t n) {
  m_n_interior = n;
  for (std::size_t k = 0; k < std::size_t(m_n_res); ++k) m_term_points[k] = n;
}

template <class T>
std::vector<double> Pinn<T>::candidate_density(std::uint64_t round, std::vector<double>& cand) {
  // dense candidates (the same on every rank), the residual on this rank's block of them, |r|^k
  // gathered on every rank in candidate order
  constexpr std::uint64_t kCandidateRounds = std::uint64_t(1) << 37;
  const std::size_t nc = m_opts.rad_candidates;
  cand = pde::sample_interior(m_problem.box, m_opts.sampler, nc, m_opts.seed, kCandidateRounds + round);
  fill_interior(slice_rows(cand, m_n_in, decomp::block_range(nc, m_comm.rank(), m_comm.size())));
  std::vector<double> density = interior_squared_residuals();
  for (double& v : density) v = std::pow(std::sqrt(v), m_opts.rad_k);  // |r|^k
  std::vector<double> all = m_comm.allgatherv(density);
  NPDE_REQUIRE(all.size() == nc, "adaptive sampling: " << all.size() << " candidate residuals for " << nc << " candidates");
  // p = |r|^k / mean |r|^k + c (unnormalised)
  double mean = 0;
  for (double v : all) mean += v / double(nc);
  for (double& v : all) v = (mean > 0 && std::isfinite(mean) ? v / mean : 0.0) + m_opts.rad_c;
  return all;
}

template <class T>
void Pinn<T>::sample_refine(std::uint64_t round) {
  // RAR-D: the set of round 0 stays and grows by `rar_add` distinct candidates per round, drawn
  // without replacement with probabilities p (Efraimidis-Spirakis: the largest keys log(u_i) / p_i)
  constexpr std::uint64_t kDrawStream = 0xAD5D;
  if (m_rad_points.empty())
    m_rad_points = pde::sample_interior(m_problem.box, m_opts.sampler, m_opts.n_interior, m_opts.seed, 0);
  std::vector<double> cand;
  const std::vector<double> p = candidate_density(round, cand);
  const std::size_t nc = p.size(), m = std::min(m_opts.rar_add, nc);
  std::vector<std::pair<double, std::size_t>> key(nc);
  for (std::size_t i = 0; i < nc; ++i) {
    const double u = rng::uniform(m_opts.seed, kDrawStream, round * nc + i);
    key[i] = {p[i] > 0 ? std::log(std::max(u, 1e-300)) / p[i] : -std::numeric_limits<double>::infinity(), i};
  }
  // largest keys first; ties by index, so the choice is the same on every rank
  std::partial_sort(key.begin(), key.begin() + long(m), key.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  std::sort(key.begin(), key.begin() + long(m), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (std::size_t q = 0; q < m; ++q)
    m_rad_points.insert(m_rad_points.end(), cand.begin() + long(key[q].second * m_n_in),
                        cand.begin() + long((key[q].second + 1) * m_n_in));
  set_interior_count(m_rad_points.size() / std::size_t(m_n_in));
  fill_interior(slice_rows(m_rad_points, m_n_in, decomp::block_range(m_n_interior, m_comm.rank(), m_comm.size())));
}

template <class T>
void Pinn<T>::sample_adaptive(std::uint64_t round) {
  // RAD: N points drawn from the candidates with probabilities p (with replacement, inverse CDF of
  // counter-based uniforms), the same on every rank
  constexpr std::uint64_t kDrawStream = 0xAD5A;
  const std::size_t n = m_opts.n_interior;
  std::vector<double> cand;
  const std::vector<double> p = candidate_density(round, cand);
  const std::size_t nc = p.size();
  std::vector<double> cdf(nc);
  double total = 0;
  for (std::size_t i = 0; i < nc; ++i) {
    total += p[i];
    cdf[i] = total;
  }
  if (!(total > 0)) {  // every residual 0 and c = 0: no preference, draw uniformly
    for (std::size_t i = 0; i < nc; ++i) cdf[i] = double(i + 1);
    total = double(nc);
  }
  m_rad_points.resize(n * std::size_t(m_n_in));
  for (std::size_t q = 0; q < n; ++q) {
    const double u = rng::uniform(m_opts.seed, kDrawStream, round * n + q) * total;
    const std::size_t i = std::min<std::size_t>(std::size_t(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin()), nc - 1);
    std::copy(cand.begin() + long(i * m_n_in), cand.begin() + long((i + 1) * m_n_in),
              m_rad_points.begin() + long(q * m_n_in));
  }
  set_interior_count(n);
  fill_interior(slice_rows(m_rad_points, m_n_in, decomp::block_range(n, m_comm.rank(), m_comm.size())));
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
std::vector<double> Pinn<T>::quadrature_values(bool derivative) {
  const int chunk = m_opts.chunk, n_all = int(m_quad_x.size());
  std::vector<double> out(n_all);
  const bool hard = m_hard & 1u;
  for (int off = 0; off < n_all; off += chunk) {
    const int n = std::min(chunk, n_all - off);
    m_jet_quad->forward(m_x_quad.data() + off, n);
    Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> jets(m_jet_quad->output(),
                                                                                    std::size_t(2) * n);
    auto jh = Kokkos::create_mirror_view_and_copy(HostSpace(), jets);
    auto ah = Kokkos::create_mirror_view_and_copy(
        HostSpace(), Kokkos::subview(m_aux_quad, std::make_pair(std::size_t(off) * kConditionAux,
                                                                std::size_t(off + n) * kConditionAux)));
    for (int p = 0; p < n; ++p) {
      const double n0 = double(jh(p)), n1 = double(jh(n + p));
      const T* a = ah.data() + std::size_t(p) * kConditionAux;
      const T* G = a + 2;
      const T* D = a + 2 + pde::kCanonical;
      const int c = pde::canonical_d(0);
      out[off + p] = !hard ? (derivative ? n1 : n0)
                           : (derivative ? double(G[c] + D[c] * n0 + D[0] * n1) : double(G[0] + D[0] * n0));
    }
  }
  return out;
}

template <class T>
double Pinn<T>::quadrature_norm2(const std::vector<double>& values) const {
  double q = 0;
  for (std::size_t i = 0; i < values.size(); ++i) q += m_quad_w[i] * values[i] * values[i];
  return q;
}

template <class T>
double Pinn<T>::rayleigh_quotient() {
  std::vector<double> psi = quadrature_values(false), dpsi = quadrature_values(true);
  const auto& e = m_problem.eigen;
  for (std::size_t k = 0; k < e.previous.size(); ++k) {  // project out the earlier (normalised) states
    double c = 0;
    for (std::size_t i = 0; i < psi.size(); ++i) c += m_quad_w[i] * psi[i] * e.previous[k][i];
    for (std::size_t i = 0; i < psi.size(); ++i) {
      psi[i] -= c * e.previous[k][i];
      dpsi[i] -= c * e.previous_derivative.at(k)[i];
    }
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < psi.size(); ++i) {
    num += m_quad_w[i] * dpsi[i] * dpsi[i] + m_quad_v[i] * psi[i] * psi[i];
    den += m_quad_w[i] * psi[i] * psi[i];
  }
  return den > 0 ? num / den : 0.0;
}

template <class T>
void Pinn<T>::eigen_loss(const std::vector<double>& psi, double q, T* grad, T* grad_q, std::vector<double>& terms) {
  // The whole grid on rank 0: the terms are not sums over points (the integrals are squared), and the
  // grid is small; the other ranks add nothing, so the allreduce still gives the total.
  if (!m_comm.is_root()) return;
  const auto& e = m_problem.eigen;
  const std::size_t nq = psi.size();
  std::vector<double> overlap(e.previous.size(), 0.0);
  for (std::size_t i = 0; i < nq; ++i)
    for (std::size_t k = 0; k < overlap.size(); ++k) overlap[k] += m_quad_w[i] * psi[i] * e.previous[k][i];
  const double wn = m_term_weights[m_term_norm];
  terms[m_term_norm] += wn * (q - 1) * (q - 1);
  // orthogonality sum_k (int psi phi_k)^2: not scale-free on purpose, a scale-free (/Q) form would be
  // stationary at psi = phi_k, its maximum
  double orth = 0;
  for (double o : overlap) orth += o * o;
  const double wo = m_term_orth >= 0 ? m_term_weights[m_term_orth] : 0.0;
  if (m_term_orth >= 0) terms[m_term_orth] += wo * orth;
  // adjoint of psi_i, then of the network's value channel (psi = G + D N)
  std::vector<double> dpsi(nq);
  for (std::size_t i = 0; i < nq; ++i) {
    double a = wn * 2 * (q - 1) * 2 * m_quad_w[i] * psi[i];
    for (std::size_t k = 0; k < overlap.size(); ++k) a += wo * 2 * overlap[k] * m_quad_w[i] * e.previous[k][i];
    dpsi[i] = a;
  }
  const int chunk = m_opts.chunk;
  auto adj_h = Kokkos::create_mirror_view(m_adj);
  auto aux_h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_aux_quad);
  for (int off = 0; off < int(nq); off += chunk) {
    const int n = std::min(chunk, int(nq) - off);
    m_jet_value->forward(m_x_quad.data() + off, n);
    for (int p = 0; p < n; ++p) {
      const double d0 = (m_hard & 1u) ? double(aux_h(std::size_t(off + p) * kConditionAux + 2 + pde::kCanonical)) : 1.0;
      adj_h(p) = T(dpsi[off + p] * d0);
    }
    Kokkos::deep_copy(m_adj, adj_h);
    m_jet_value->backward(m_x_quad.data() + off, n, m_adj.data(), grad);
    // and dQ/dtheta, Q = int psi^2, for the scale-free residual term
    for (int p = 0; p < n; ++p) {
      const double d0 = (m_hard & 1u) ? double(aux_h(std::size_t(off + p) * kConditionAux + 2 + pde::kCanonical)) : 1.0;
      adj_h(p) = T(2 * m_quad_w[off + p] * psi[off + p] * d0);
    }
    Kokkos::deep_copy(m_adj, adj_h);
    m_jet_value->backward(m_x_quad.data() + off, n, m_adj.data(), grad_q);
  }
}

template <class T>
void Pinn<T>::energy_loss(const std::vector<double>& psi_in, T* grad, std::vector<double>& coef_grad,
                          std::vector<double>& terms) {
  if (!m_comm.is_root()) return;  // as eigen_loss: the whole (small) grid on rank 0
  const auto& e = m_problem.eigen;
  const std::size_t nq = psi_in.size(), nk = e.previous.size();
  std::vector<double> psi = psi_in, dpsi = quadrature_values(true);
  // the earlier (normalised) states projected out: psi~ = psi - sum_k c_k phi_k, c_k = int psi phi_k
  std::vector<double> c(nk, 0.0);
  for (std::size_t k = 0; k < nk; ++k) {
    for (std::size_t i = 0; i < nq; ++i) c[k] += m_quad_w[i] * psi[i] * e.previous[k][i];
    for (std::size_t i = 0; i < nq; ++i) {
      psi[i] -= c[k] * e.previous[k][i];
      dpsi[i] -= c[k] * e.previous_derivative.at(k)[i];
    }
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < nq; ++i) {
    num += m_quad_w[i] * dpsi[i] * dpsi[i] + m_quad_v[i] * psi[i] * psi[i];
    den += m_quad_w[i] * psi[i] * psi[i];
  }
  if (!(den > 0)) return;
  // w (R + (E - R)^2): the trained energy follows R (at fixed R its minimum is E = R, and there the
  // network sees the gradient of R alone), so a residual stage after this one starts from the energy
  // of the state found
  const double w = m_term_weights[m_term_energy], R = num / den, E = coefficients().at(0);
  terms[m_term_energy] += w * (R + (E - R) * (E - R));
  coef_grad.at(0) += w * 2 * (E - R) * m_coef_scale.at(0);
  const double dR = w * (1 - 2 * (E - R));
  // adjoints of psi~ (a) and psi~' (b), then through the projection to psi and psi'
  std::vector<double> a(nq), b(nq);
  for (std::size_t i = 0; i < nq; ++i) {
    a[i] = dR * 2 * (m_quad_v[i] - R * m_quad_w[i]) * psi[i] / den;
    b[i] = dR * m_quad_w[i] * 2 * dpsi[i] / den;
  }
  std::vector<double> back(nk, 0.0);  // dR/dc_k = -(sum_i a_i phi_ki + b_i phi'_ki)
  for (std::size_t k = 0; k < nk; ++k)
    for (std::size_t i = 0; i < nq; ++i) back[k] += a[i] * e.previous[k][i] + b[i] * e.previous_derivative[k][i];
  for (std::size_t k = 0; k < nk; ++k)
    for (std::size_t i = 0; i < nq; ++i) a[i] -= back[k] * m_quad_w[i] * e.previous[k][i];
  // psi = G + D N, psi' = G' + D' N + D N' (soft: psi = N)
  const bool hard = m_hard & 1u;
  const int chunk = m_opts.chunk, cd = pde::canonical_d(0);
  auto adj_h = Kokkos::create_mirror_view(m_adj);
  auto aux_h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_aux_quad);
  for (int off = 0; off < int(nq); off += chunk) {
    const int n = std::min(chunk, int(nq) - off);
    m_jet_quad->forward(m_x_quad.data() + off, n);
    for (int p = 0; p < n; ++p) {
      const std::size_t i = std::size_t(off + p);
      const T* D = aux_h.data() + i * kConditionAux + 2 + pde::kCanonical;
      const double d0 = hard ? double(D[0]) : 1.0, d1 = hard ? double(D[cd]) : 0.0;
      adj_h(p) = T(a[i] * d0 + b[i] * d1);
      adj_h(n + p) = T(b[i] * d0);
    }
    Kokkos::deep_copy(m_adj, adj_h);
    m_jet_quad->backward(m_x_quad.data() + off, n, m_adj.data(), grad);
  }
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
