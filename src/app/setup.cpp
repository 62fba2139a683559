// SPDX-License-Identifier: BSD-3-Clause
// Deck -> problem, PINN options, training stages, reference problem.
#include "npde/app/setup.hpp"

#include "npde/core/error.hpp"
#include "npde/nn/activation.hpp"

namespace npde::app {

namespace {
/// Expression text for a one-line message: YAML strings may hold newlines, and muParser accepts them.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}
}  // namespace

pde::PoissonProblem make_problem(const io::Deck& deck) {
  pde::PoissonProblem p;
  p.box.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) {
    p.box.lower[a] = deck.lower[a];
    p.box.upper[a] = deck.upper[a];
  }
  const auto vars = pde::PoissonProblem::variables(deck.dim);
  p.source = Expression(deck.source, vars, "problem.source");
  if (deck.exact) p.exact = Expression(*deck.exact, vars, "problem.exact");
  for (std::size_t i = 0; i < deck.boundary.size(); ++i) {
    const auto& b = deck.boundary[i];
    const std::string key = "problem.boundary[" + std::to_string(i) + "]";
    pde::DirichletCondition c;
    for (const auto& f : b.faces) {
      if (f == "all") {
        for (int k = 0; k < pde::n_faces(p.box); ++k) c.faces.push_back(k);
      } else {
        c.faces.push_back(pde::face_from_name(f, deck.dim, key + ".faces"));
      }
    }
    c.value = Expression(b.value, vars, key + ".value");
    p.dirichlet.push_back(std::move(c));
  }
  p.check_boundary_complete("problem.boundary");
  if (deck.bc_enforcement == "hard") {
    // The trial function needs one lift g defined in the whole box: one expression for every face.
    for (std::size_t i = 1; i < p.dirichlet.size(); ++i)
      if (p.dirichlet[i].value.text() != p.dirichlet[0].value.text())
        NPDE_INPUT_ERROR("problem.bc_enforcement: 'hard' needs the same boundary value expression on every face "
                         "(it is used as the lift g in u = g + D*N); got '"
                         << one_line(p.dirichlet[0].value.text()) << "' and '"
                         << one_line(p.dirichlet[i].value.text())
                         << "': use bc_enforcement: soft, or one expression valid on all faces");
  }
  return p;
}

pinn::PinnOptions make_pinn_options(const io::Deck& deck) {
  pinn::PinnOptions o;
  o.hidden = deck.layers;
  o.activation = nn::activation_from_name(deck.activation, "network.activation");
  o.hard_bc = deck.bc_enforcement == "hard";
  o.weight_pde = deck.weight_pde;
  o.weight_bc = deck.weight_bc;
  o.n_interior = std::size_t(deck.n_interior);
  o.n_boundary = std::size_t(deck.n_boundary);
  o.sampler = pde::sampler_from_name(deck.sampler, "training.points.sampler");
  o.seed = deck.seed;
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
    st.lbfgs.lr = s.lr;
    st.lbfgs.history = s.history;
    st.lbfgs.tolerance_grad = s.tolerance_grad;
    st.lbfgs.tolerance_change = s.tolerance_change;
    st.lbfgs.max_line_search = s.max_line_search;
    c.stages.push_back(st);
  }
  return c;
}

reference::PoissonFdProblem make_reference_problem(const io::Deck& deck, const pde::PoissonProblem& problem,
                                                   const std::vector<int>& grid) {
  reference::PoissonFdProblem r;
  r.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) {
    r.lower[a] = deck.lower[a];
    r.upper[a] = deck.upper[a];
  }
  r.grid = grid;
  // Expressions are not thread-safe; the solver calls these from one thread per rank.
  auto src = std::make_shared<Expression>(problem.source);
  auto prob = std::make_shared<pde::PoissonProblem>(problem);
  r.source = [src](const double* x) { return src->eval(x); };
  r.boundary = [prob](const double* x) { return prob->boundary_value(x); };
  r.petsc_options = deck.reference_petsc;
  return r;
}

}  // namespace npde::app
