// SPDX-License-Identifier: BSD-3-Clause
// The decomposition and metalic sections of a deck (multi-domain PINNs and their interface choice).
#include <algorithm>
#include <string>
#include <vector>

#include "io/deck_sections.hpp"

namespace npde::io::detail {

namespace {

/// decomposition.cuts.{x, y, z, t}: the faces' positions along an axis, one fewer than its subdomains,
/// increasing strictly inside the box.
void read_cuts(const DeckReader& r, Deck& d, int n_inputs) {
  auto& s = d.decomposition;
  const bool timed = is_time_dependent(d.pde);
  const char* const names[] = {"x", "y", "z", "t"};
  for (int k = 0; k < 4; ++k) {
    const std::string key = std::string("decomposition.cuts.") + names[k];
    if (!r.has(key)) continue;
    const int a = k == 3 ? (timed ? d.dim : -1) : (k < d.dim ? k : -1);
    if (a < 0)
      r.fail(key, k == 3 ? "the problem is steady: it has no time axis"
                         : "the problem has " + std::to_string(d.dim) + " space dimension(s)");
    const double lo = a < d.dim ? d.lower[std::size_t(a)] : d.t_start;
    const double hi = a < d.dim ? d.upper[std::size_t(a)] : d.t_end;
    const int n = a < int(s.subdomains.size()) ? s.subdomains[std::size_t(a)] : 1;
    const std::vector<double> c = r.get_reals(key, 0);
    if (int(c.size()) != n - 1)
      r.fail(key, std::to_string(n) + " subdomain(s) along " + names[k] + " (decomposition.subdomains) need " +
                      std::to_string(n - 1) + " cut(s), got " + std::to_string(c.size()));
    for (std::size_t i = 0; i < c.size(); ++i)
      if (!(c[i] > (i ? c[i - 1] : lo) && c[i] < hi))
        r.fail(key, "the cuts must increase strictly inside (" + number(lo) + ", " + number(hi) + "), got " +
                        number(c[i]));
    s.cuts.resize(std::size_t(n_inputs));
    s.cuts[std::size_t(a)] = c;
  }
}

}  // namespace

void read_decomposition(const DeckReader& r, Deck& d) {
  d.has_decomposition = r.has("decomposition");
  if (!d.has_decomposition) return;
  auto& s = d.decomposition;
  s.method = r.get_enum("decomposition.method");
  if (!d.has_training) r.fail("decomposition", "a decomposition is trained: give a 'training' section");
  const int n_inputs = d.dim + (is_time_dependent(d.pde) ? 1 : 0);
  s.subdomains = r.get_ints("decomposition.subdomains", 0);
  if (int(s.subdomains.size()) > n_inputs)
    r.fail("decomposition.subdomains", "has " + std::to_string(s.subdomains.size()) + " entries, the problem has " +
                                           std::to_string(n_inputs) + " inputs");
  read_cuts(r, d, n_inputs);
  for (std::size_t j = 0; j < r.count("decomposition.networks"); ++j) {
    const std::string p = idx("decomposition.networks", j);
    std::vector<int> cell = r.get_ints(p + ".subdomain", 0);
    if (cell.size() > s.subdomains.size())
      r.fail(p + ".subdomain", "has " + std::to_string(cell.size()) + " indices, decomposition.subdomains " +
                                   std::to_string(s.subdomains.size()));
    for (std::size_t a = 0; a < cell.size(); ++a)
      if (cell[a] >= s.subdomains[a])
        r.fail(p + ".subdomain", "index " + std::to_string(cell[a]) + " along axis " + std::to_string(a) +
                                     ", which has " + std::to_string(s.subdomains[a]) + " subdomains (indices from 0)");
    cell.resize(std::size_t(n_inputs), 0);
    for (const auto& [other, w] : s.networks)
      if (other == cell) r.fail(p + ".subdomain", "names a subdomain an earlier entry names");
    const std::vector<int> layers = r.get_ints(p + ".layers", 0);
    // the gated architectures' rules for network.layers (a PirateNet's blocks add the Fourier features)
    const int want = d.architecture == "pirate" ? d.layers.front() : layers.front();
    if (d.architecture != "mlp")
      for (int w : layers)
        if (w != want)
          r.fail(p + ".layers", "a " + d.architecture + " network needs equal hidden widths" +
                                    (d.architecture == "pirate" ? " of twice the Fourier frequencies (" : " (") +
                                    std::to_string(want) + "), got " + std::to_string(w));
    if (d.architecture == "pirate" && layers.size() % 3 != 0)
      r.fail(p + ".layers", "a PirateNet has blocks of 3 hidden layers, got " + std::to_string(layers.size()));
    s.networks.emplace_back(cell, layers);
  }
  s.interface_points = r.get_int("decomposition.interface.points");
  s.gradient_step = r.get_real("decomposition.interface.gradient_step");
  if (const auto* sec = r.find("decomposition.interface"))
    for (const auto& key : sec->keys)
      if (key != "points" && key != "gradient_step")
        s.weights.emplace_back(key, r.get_real("decomposition.interface." + key));
  const bool fb = s.method == "fbpinn";
  if (r.has("decomposition.overlap")) {
    if (!fb) r.fail("decomposition.overlap", "the subdomains of " + s.method + " do not overlap (fbpinn's do)");
    s.overlap = r.get_real("decomposition.overlap");
  }
  if (r.has("decomposition.schedule")) {
    if (!fb)
      r.fail("decomposition.schedule", "trains the overlapping subdomains of fbpinn by turns; " + s.method +
                                           " has no schedule");
    const std::string axis = r.get_enum("decomposition.schedule.axis");
    const bool timed = is_time_dependent(d.pde);
    s.schedule_axis = axis == "t" ? (timed ? d.dim : -1) : int(std::string("xyz").find(axis[0]));
    if (s.schedule_axis < 0 || (axis != "t" && s.schedule_axis >= d.dim))
      r.fail("decomposition.schedule.axis", d.pde + " in " + std::to_string(d.dim) + "D" +
                                                (timed ? " (and t)" : ", not time-dependent,") + " has no axis " + axis);
    s.schedule_every = r.get_int("decomposition.schedule.every");
    s.schedule_from_upper = r.get_enum("decomposition.schedule.from") == "upper";
  }
  if (fb && r.has("decomposition.interface"))
    r.fail("decomposition.interface", "fbpinn blends overlapping subdomains by windows: it has no interface terms");
  if (!fb && d.bc_enforcement != "soft")
    r.fail("problem.bc_enforcement", "a decomposition takes the boundary and initial conditions as loss terms of the "
                                     "subdomains on them: set soft");
  if (fb && d.bc_enforcement != "hard")
    r.fail("problem.bc_enforcement", "fbpinn builds the conditions into the blended solution by a trial function: set "
                                     "hard");
  if (d.has_inverse) r.fail("decomposition", "inverse problems are single-domain only");
  for (std::size_t j = 0; j < d.stages.size(); ++j)
    if (r.has(idx("training.stages", j) + ".points"))
      r.fail(idx("training.stages", j) + ".points", "a decomposition keeps its subdomains' point sets for the whole run: "
                                                    "set training.points (and decomposition.interface.points)");
}

void read_metalic(const DeckReader& r, Deck& d) {
  d.has_metalic = r.has("metalic");
  if (!d.has_metalic) return;
  auto& m = d.metalic;
  m.parameter = r.get_string("metalic.parameter");
  bool is_parameter = false;
  for (const auto& pr : d.parameters) is_parameter = is_parameter || pr.first == m.parameter;
  if (!d.coefficients.count(m.parameter) && !is_parameter) {
    std::string valid;
    for (const auto& [name, value] : d.coefficients) valid += (valid.empty() ? "" : ", ") + name;
    for (const auto& pr : d.parameters) valid += (valid.empty() ? "" : ", ") + pr.first;
    r.fail("metalic.parameter", d.pde + " has no coefficient or problem.parameters entry '" + m.parameter +
                                    "' (valid: " + valid + ")");
  }
  m.values = r.get_reals("metalic.values", 0);
  m.test_values = r.has("metalic.test_values") ? r.get_reals("metalic.test_values", 0) : m.values;
  m.log_scale = r.get_enum("metalic.scale") == "log";
  const double lo = *std::min_element(m.values.begin(), m.values.end());
  const double hi = *std::max_element(m.values.begin(), m.values.end());
  if (!(hi > lo)) r.fail("metalic.values", "needs at least two different values");
  if (m.log_scale)
    for (double v : m.values)
      if (!(v > 0)) r.fail("metalic.values", "scale: log needs positive values");
  if (m.log_scale)
    for (double v : m.test_values)
      if (!(v > 0)) r.fail("metalic.test_values", "scale: log needs positive values");
  m.rounds = r.get_int("metalic.rounds");
  m.warmup = r.get_int("metalic.warmup");
  m.selection = r.get_enum("metalic.selection");
  m.beta = r.get_real("metalic.beta");
  m.groups = r.get_int("metalic.groups");
  m.seed = r.get_seed("metalic.seed");
  if (r.has("metalic.surrogate")) m.surrogate = r.get_string("metalic.surrogate");
  m.two_phases = r.get_enum("metalic.phases") == "two";
  if (m.two_phases && (d.stages.size() != 2 || d.stages[0].optimizer != "adam" || d.stages[1].optimizer != "lbfgs"))
    r.fail("metalic.phases", "two phases need training.stages: [adam, lbfgs] (a mask for each)");
  if (m.rounds == 0 && m.surrogate.empty())
    r.fail("metalic.rounds", "0 rounds need a metalic.surrogate whose plays the recommendations come from");
  if (!d.has_decomposition || d.decomposition.method == "fbpinn")
    r.fail("metalic", "chooses the interface terms of a decomposition: give a decomposition section with method "
                      "xpinn or cpinn");
}

}  // namespace npde::io::detail
