// SPDX-License-Identifier: BSD-3-Clause
// Deck -> the equation's problem, PINN options, training stages, Poisson reference problem.
#include "npde/app/setup.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "npde/core/error.hpp"
#include "npde/nn/activation.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/trial.hpp"

namespace npde::app {


namespace {

std::string full_precision(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

/// Steady Navier-Stokes: outputs u, v, p, no forcing; velocity Dirichlet data on every face from the
/// case (kovasznay: the exact solution on the faces; cavity: the lid, regularised at its corners), no
/// pressure condition (the residuals see only grad p: p is compared up to a constant).
void navier_stokes_conditions(const io::Deck& deck, pde::Problem& p) {
  const auto vars = p.input_names();
  p.outputs = {"u", "v", "p"};
  p.up_to_constant = {false, false, true};
  p.data.clear();
  p.data.emplace_back("0", vars, "problem.source");
  p.data.emplace_back("0", vars, "problem.source");
  std::string u_face[4], v_face[4];
  p.exact.assign(3, std::nullopt);
  if (deck.flow_case == "kovasznay") {
    const double re = deck.coefficients.at("reynolds"), pi = std::acos(-1.0);
    const double lambda = 0.5 * re - std::sqrt(0.25 * re * re + 4.0 * pi * pi);
    const std::string l = "(" + full_precision(lambda) + ")";
    const std::string u = "1 - exp(" + l + "*x)*cos(2*pi*y)";
    const std::string v = l + "/(2*pi)*exp(" + l + "*x)*sin(2*pi*y)";
    const std::string pr = "0.5*(1 - exp(2*" + l + "*x))";
    for (int f = 0; f < 4; ++f) u_face[f] = u, v_face[f] = v;
    p.exact = {Expression(u, vars, "kovasznay u"), Expression(v, vars, "kovasznay v"),
               Expression(pr, vars, "kovasznay p")};
  } else if (deck.flow_case == "cavity") {
    if (deck.lower != std::vector<double>{0, 0} || deck.upper != std::vector<double>{1, 1})
      NPDE_INPUT_ERROR("problem.domain: the cavity case is the unit square, lower [0, 0], upper [1, 1]");
    // The lid u = 1 meets the walls' u = 0 at the top corners: no continuous data, hence no trial
    // function, exist. The walls are hard (no slip), the lid's u is a loss term (docs/numerics.md).
    for (int f = 0; f < 3; ++f) u_face[f] = "0";
    u_face[3] = "1";
    for (int f = 0; f < 4; ++f) v_face[f] = "0";
  } else {
    NPDE_INPUT_ERROR("problem.case: navier_stokes needs 'cavity' or 'kovasznay', got '" << deck.flow_case << "'");
  }
  for (int o = 0; o < 2; ++o)
    for (int f = 0; f < 4; ++f) {
      pde::Condition c;
      c.kind = pde::ConditionKind::Dirichlet;
      c.faces = {f};
      c.output = o;
      c.value = Expression(o == 0 ? u_face[f] : v_face[f], vars, "problem.case");
      c.soft = deck.flow_case == "cavity" && o == 0 && f == 3;
      p.conditions.push_back(std::move(c));
    }
}

}  // namespace

pinn::TwoBody make_two_body(const io::Deck& deck) {
  pinn::TwoBody p;
  p.dimension = int(deck.dimension);
  p.form = deck.form == "allen_cahn" ? pinn::TwoBody::Form::AllenCahn : pinn::TwoBody::Form::Poisson;
  p.coefficient_seed = deck.coefficient_seed;
  return p;
}

pinn::HighDimOptions make_highdim_options(const io::Deck& deck) {
  pinn::HighDimOptions o;
  o.hidden = deck.layers;
  o.activation = nn::activation_from_name(deck.activation, "network.activation");
  o.architecture = nn::architecture_from_name(deck.architecture, "network.architecture");
  o.random_encoder_biases = deck.encoder_bias == "glorot";
  o.n_interior = std::size_t(deck.n_interior);
  o.n_validation = std::size_t(deck.n_validation);
  o.sdgd_dimensions = deck.sdgd_dimensions;
  o.sdgd_independent = deck.sdgd_independent;
  o.radius_uniform = deck.radius_uniform;
  o.weight_pde = deck.weight_pde;
  o.seed = deck.seed;
  return o;
}

bool has_neural_solver(const std::string& pde) {
  if (pde == "highdim") return true;
  const auto known = pinn::catalogue_equations();
  return std::find(known.begin(), known.end(), pde) != known.end();
}

pde::Problem make_equation_problem(const io::Deck& deck) {
  pde::Problem p;
  p.equation = deck.pde;
  p.n_space = deck.dim;
  p.time_dependent = io::is_time_dependent(deck.pde);
  if (p.n_inputs() > 3)
    NPDE_INPUT_ERROR("problem.domain: " << deck.pde << " supports at most 3 inputs (space and time), got " << deck.dim
                                         << " space dimensions" << (p.time_dependent ? " + time" : ""));
  p.box.dim = p.n_inputs();
  for (int a = 0; a < deck.dim; ++a) {
    p.box.lower[a] = deck.lower[a];
    p.box.upper[a] = deck.upper[a];
  }
  if (p.time_dependent) {
    p.box.lower[deck.dim] = deck.t_start;
    p.box.upper[deck.dim] = deck.t_end;
  }
  const auto vars = p.input_names();
  // 1. coefficients in the order of the equation's coefficient_names (the deck has filled in its
  //    defaults) and per-point data
  for (const auto& name : pinn::make_catalogue_kernel<double>(deck.pde, deck.dim)->coefficient_names()) {
    if (deck.pde == "schrodinger") break;  // the energy is the unknown
    const auto it = deck.coefficients.find(name);
    if (it == deck.coefficients.end())
      NPDE_INPUT_ERROR("problem.coefficients." << name << ": required by " << deck.pde);
    p.coefficients.push_back(it->second);
  }
  if (deck.pde == "schrodinger") {
    // psi = 0 at the box ends; the energy is trained (its guess is set from a Rayleigh quotient)
    p.data.emplace_back(deck.potential.empty() ? "0" : deck.potential, vars, "problem.potential", deck.parameters);
    p.exact.emplace_back(std::nullopt);
    p.coefficients = {1.0};
    p.trainable = {true};
    pde::Condition c;
    c.kind = pde::ConditionKind::Dirichlet;
    c.faces = {0, 1};
    c.value = Expression("0", vars, "problem.boundary");
    p.conditions.push_back(std::move(c));
    p.eigen.quadrature = deck.quadrature;
    p.eigen.weight_normalisation = deck.weight_normalisation;
    p.eigen.weight_orthogonality = deck.weight_orthogonality;
    p.eigen.weight_energy = deck.weight_energy;
    p.eigen.energy_term = deck.weight_energy > 0;
    for (const auto& stage : deck.stages)
      for (const auto& [group, w] : stage.weights)
        if (group == "energy" && w > 0) p.eigen.energy_term = true;
    p.hard = deck.bc_enforcement == "hard";
    return p;
  }
  if (deck.pde == "navier_stokes") {
    navier_stokes_conditions(deck, p);
    p.hard = deck.bc_enforcement == "hard";
    return p;
  }
  p.data.emplace_back(deck.source, vars, "problem.source", deck.parameters);
  if (deck.exact) p.exact.emplace_back(Expression(*deck.exact, vars, "problem.exact", deck.parameters));
  else p.exact.emplace_back(std::nullopt);
  // 2. boundary conditions; a face given twice or not at all was refused by the deck's validation
  for (std::size_t i = 0; i < deck.boundary.size(); ++i) {
    const auto& b = deck.boundary[i];
    const std::string key = "problem.boundary[" + std::to_string(i) + "]";
    std::vector<int> faces;
    for (const auto& f : b.faces) {
      if (f == "all") {
        for (int k = 0; k < 2 * deck.dim; ++k) faces.push_back(k);
      } else {
        faces.push_back(pde::face_from_name(f, deck.dim, key + ".faces"));
      }
    }
    if (b.type == "periodic") {
      // one condition per axis, named by its lower face
      for (int f : faces)
        if (pde::face_side(f) == 0) {
          pde::Condition c;
          c.kind = pde::ConditionKind::Periodic;
          c.faces = {f};
          p.conditions.push_back(std::move(c));
        }
      continue;
    }
    pde::Condition c;
    c.kind = pde::ConditionKind::Dirichlet;
    c.faces = faces;
    c.value = Expression(b.value, vars, key + ".value", deck.parameters);
    p.conditions.push_back(std::move(c));
  }
  // 3. initial value (heat: the exact solution at the start when no initial is given) and rate
  if (p.time_dependent) {
    pde::Condition c;
    c.kind = pde::ConditionKind::Initial;
    if (!deck.initial.empty()) c.value = Expression(deck.initial, vars, "problem.initial", deck.parameters);
    else if (deck.exact) c.value = Expression(*deck.exact, vars, "problem.exact", deck.parameters);
    else NPDE_INPUT_ERROR("problem.initial: required for " << deck.pde);
    p.conditions.push_back(std::move(c));
    if (!deck.initial_rate.empty()) {
      pde::Condition r;
      r.kind = pde::ConditionKind::InitialRate;
      r.value = Expression(deck.initial_rate, vars, "problem.initial_rate", deck.parameters);
      p.conditions.push_back(std::move(r));
    }
  }
  p.hard = deck.bc_enforcement == "hard";
  return p;
}

void check_trial_functions(const pde::Problem& problem) {
  for (int o = 0; o < problem.n_outputs(); ++o) (void)pinn::TrialFunction(problem, o);
}

pinn::PinnOptions make_pinn_options(const io::Deck& deck) {
  pinn::PinnOptions o;
  o.hidden = deck.layers;
  o.activation = nn::activation_from_name(deck.activation, "network.activation");
  o.architecture = nn::architecture_from_name(deck.architecture, "network.architecture");
  o.random_encoder_biases = deck.encoder_bias == "glorot";
  o.hard_bc = deck.bc_enforcement == "hard";
  o.weight_pde = deck.weight_pde;
  o.weight_bc = deck.weight_bc;
  o.weight_initial = deck.weight_initial;
  o.weight_data = deck.weight_data;
  o.n_initial = std::size_t(deck.n_initial);
  o.n_interior = std::size_t(deck.n_interior);
  o.n_boundary = std::size_t(deck.n_boundary);
  o.sampler = pde::sampler_from_name(deck.sampler, "training.points.sampler");
  o.seed = deck.seed;
  o.balancing = deck.balancing == "annealing"   ? pinn::PinnOptions::Balancing::Annealing
                : deck.balancing == "grad_norm" ? pinn::PinnOptions::Balancing::GradNorm
                                                : pinn::PinnOptions::Balancing::Fixed;
  o.balance_every = deck.balancing_every > 0 ? deck.balancing_every : 10;
  o.balance_momentum = deck.balancing_momentum;
  o.balance_shared = deck.balancing_shared;
  o.balance_per_layer = deck.balancing_per_layer;
  o.balance_encoders = deck.balancing_encoders;
  o.weight_factorization = deck.weight_factorization;
  o.rwf_mean = deck.rwf_mean;
  o.rwf_stddev = deck.rwf_stddev;
  o.fourier_frequencies = deck.fourier_frequencies;
  o.fourier_sigma = deck.fourier_sigma;
  o.gaussian_features = deck.gaussian_features;
  o.gaussian_width = deck.gaussian_width;
  o.standardize_inputs = deck.input_normalization == "standard";
  o.stream_function = deck.network_output == "stream_function";
  o.rad_candidates = std::size_t(deck.rad_candidates);
  o.rad_k = deck.rad_k;
  o.adaptive = deck.adaptive_method == "rar_d" ? pinn::PinnOptions::Adaptive::RarD : pinn::PinnOptions::Adaptive::Rad;
  o.rar_add = std::size_t(deck.rar_add);
  o.rad_c = deck.rad_c;
  o.causal_chunks = deck.causal_chunks;
  o.causal_epsilon = deck.causal_epsilon;
  return o;
}

pinn::DecompositionOptions make_decomposition_options(const io::Deck& deck) {
  const auto& s = deck.decomposition;
  pinn::DecompositionOptions o = s.method == "cpinn"    ? pinn::DecompositionOptions::cpinn()
                                 : s.method == "fbpinn" ? pinn::DecompositionOptions::fbpinn()
                                                        : pinn::DecompositionOptions::xpinn();
  o.overlap = s.overlap;
  o.subdomains = s.subdomains;
  o.interface_points = std::size_t(s.interface_points);
  o.gradient_step = s.gradient_step;
  o.networks = s.networks;
  o.cuts = s.cuts;
  o.schedule = {s.schedule_axis, s.schedule_every, s.schedule_from_upper};
  for (const auto& [name, w] : s.weights) {
    const int k = pinn::interface_term_index(name);
    NPDE_REQUIRE(k >= 0, "unknown interface term '" << name << "'");  // the schema admits only the menu's
    o.weights[std::size_t(k)] = w;
  }
  bool any = o.method == pinn::DecompositionOptions::Method::Fbpinn;
  for (double w : o.weights) any = any || w > 0;
  if (!any) NPDE_INPUT_ERROR("decomposition.interface: every interface term has weight 0, so the subdomains would not "
                             "be coupled");
  return o;
}

pinn::TrainConfig make_train_config(const io::Deck& deck, bool quiet) {
  pinn::TrainConfig c;
  c.log_every = deck.log_every;
  c.resample_every = deck.resample_every;
  c.quiet = quiet;
  for (const auto& s : deck.stages) {
    pinn::StageConfig st;
    st.optimizer = s.optimizer;
    st.iterations = s.iterations;
    st.adam.lr = s.lr;
    st.adam.beta1 = s.beta1;
    st.adam.beta2 = s.beta2;
    st.adam.eps = s.eps;
    st.adam.decay = s.decay;
    st.adam.decay_rate = s.decay_rate;
    st.adam.decay_steps = s.decay_steps;
    st.average = s.average;
    st.lbfgs.lr = s.lr;
    st.lbfgs.history = s.history;
    st.lbfgs.tolerance_grad = s.tolerance_grad;
    st.lbfgs.tolerance_change = s.tolerance_change;
    st.lbfgs.max_line_search = s.max_line_search;
    st.lbfgs.dense = s.optimizer == "ssbfgs";
    st.weights = s.weights;
    st.resample_every = s.resample_every;
    st.points.interior = std::size_t(s.points_interior);
    st.points.boundary = std::size_t(s.points_boundary);
    st.points.initial = std::size_t(s.points_initial);
    c.stages.push_back(st);
  }
  return c;
}

reference::PoissonFdProblem make_reference_problem(const io::Deck& deck, const pde::Problem& problem,
                                                   const std::vector<int>& grid) {
  reference::PoissonFdProblem r;
  r.dim = problem.n_space;
  for (int a = 0; a < r.dim; ++a) {
    r.lower[a] = problem.box.lower[a];
    r.upper[a] = problem.box.upper[a];
  }
  r.grid = grid;
  // Expressions are not thread-safe; the solver calls these from one thread per rank. The problem is
  // copied so that the callbacks outlive the caller's.
  auto prob = std::make_shared<pde::Problem>(problem);
  r.source = [prob](const double* x) { return prob->data.at(0).eval(x); };
  r.boundary = [prob](const double* x) { return prob->dirichlet_value(0, x); };
  r.petsc_options = deck.reference_petsc;
  return r;
}

}  // namespace npde::app
