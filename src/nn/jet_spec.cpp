// SPDX-License-Identifier: BSD-3-Clause
// JetSpec constructors and validation; activation names.
#include "npde/nn/jet_spec.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "npde/core/error.hpp"
#include "npde/nn/activation.hpp"

namespace npde::nn {

JetSpec JetSpec::value_only(int n_inputs) {
  JetSpec s;
  s.n_inputs = n_inputs;
  return s;
}

JetSpec JetSpec::first_order(int n_inputs) {
  JetSpec s = value_only(n_inputs);
  for (int k = 0; k < n_inputs; ++k) s.tangents.push_back(k);
  return s;
}

JetSpec JetSpec::laplacian(int n_inputs) {
  JetSpec s = first_order(n_inputs);
  s.laplacian_terms = s.tangents;  // positions 0..n-1 (tangent k is input k)
  return s;
}

JetSpec JetSpec::diagonal(int n_inputs) {
  JetSpec s = first_order(n_inputs);
  s.diagonal_terms = s.tangents;
  return s;
}

int JetSpec::find_tangent(int input_dim) const {
  for (int k = 0; k < n_tangents(); ++k)
    if (tangents[k] == input_dim) return k;
  return -1;
}

int JetSpec::second_channel(int a, int b) const {
  if (a > b) std::swap(a, b);
  if (a == b) {
    const int i = find_diagonal(a);
    return i < 0 ? -1 : diagonal_channel(i);
  }
  for (int m = 0; m < n_mixed(); ++m)
    if (mixed[m].first == a && mixed[m].second == b) return mixed_channel(m);
  return -1;
}

int JetSpec::find_diagonal(int tangent_pos) const {
  for (int i = 0; i < n_diagonal(); ++i)
    if (diagonal_terms[i] == tangent_pos) return i;
  return -1;
}

namespace {

/// Second-order terms must name distinct tangent positions: a repeated one would be counted twice.
void require_positions(const std::vector<int>& pos, int n_tangents, const char* what) {
  std::set<int> seen;
  for (int k : pos) {
    NPDE_REQUIRE(k >= 0 && k < n_tangents, what << " term " << k << " is not a tangent position in [0, "
                                                << n_tangents << ")");
    NPDE_REQUIRE(seen.insert(k).second, what << " term " << k << " listed twice");
  }
}

/// " (x0 x2)": the input dimensions behind tangent positions, for describe() (which must not fail on
/// a spec that validate() would reject, so positions out of range print as "?").
std::string dims_of(const JetSpec& s, const std::vector<int>& pos) {
  std::ostringstream os;
  os << " (";
  for (std::size_t i = 0; i < pos.size(); ++i) {
    os << (i ? " " : "");
    if (pos[i] >= 0 && pos[i] < s.n_tangents())
      os << "x" << s.tangents[pos[i]];
    else
      os << "?";
  }
  os << ")";
  return os.str();
}

}  // namespace

void JetSpec::validate() const {
  NPDE_REQUIRE(n_inputs >= 1, "n_inputs = " << n_inputs);
  NPDE_REQUIRE(n_tangents() <= kMaxTangents, n_tangents() << " tangents > kMaxTangents = " << kMaxTangents);
  NPDE_REQUIRE(n_mixed() <= kMaxMixed, n_mixed() << " mixed pairs > kMaxMixed = " << kMaxMixed);
  std::set<int> seen;
  for (int t : tangents) {
    NPDE_REQUIRE(t >= 0 && t < n_inputs, "tangent dimension " << t << " outside [0, " << n_inputs << ")");
    NPDE_REQUIRE(seen.insert(t).second, "tangent dimension " << t << " listed twice");
  }
  require_positions(laplacian_terms, n_tangents(), "Laplacian");
  require_positions(diagonal_terms, n_tangents(), "diagonal");
  std::set<std::pair<int, int>> pairs;
  for (const auto& [a, b] : mixed) {
    NPDE_REQUIRE(a >= 0 && a < b && b < n_tangents(), "mixed pair (" << a << ", " << b << ") invalid for "
                                                                     << n_tangents() << " tangents");
    NPDE_REQUIRE(pairs.insert({a, b}).second, "mixed pair (" << a << ", " << b << ") listed twice");
  }
  NPDE_REQUIRE(n_third() <= kMaxThird, n_third() << " third-order triples > kMaxThird = " << kMaxThird);
  std::set<std::array<int, 3>> triples;
  for (const auto& t : third) {
    NPDE_REQUIRE(t[0] >= 0 && t[0] <= t[1] && t[1] <= t[2] && t[2] < n_tangents(),
                 "third-order triple (" << t[0] << ", " << t[1] << ", " << t[2] << ") invalid for " << n_tangents()
                                        << " tangents (positions a <= b <= c)");
    NPDE_REQUIRE(triples.insert(t).second, "third-order triple (" << t[0] << ", " << t[1] << ", " << t[2]
                                                                  << ") listed twice");
    for (const auto& [a, b] : {std::pair{t[1], t[2]}, std::pair{t[0], t[2]}, std::pair{t[0], t[1]}})
      NPDE_REQUIRE(second_channel(a, b) >= 0, "third-order triple (" << t[0] << ", " << t[1] << ", " << t[2]
                                                  << ") needs the second-order channel of positions (" << a << ", " << b
                                                  << ") (" << (a == b ? "a diagonal term" : "a mixed pair") << ")");
  }
}

std::string JetSpec::describe() const {
  std::ostringstream os;
  os << "value";
  if (n_tangents() > 0) {
    std::vector<int> all(n_tangents());
    for (int k = 0; k < n_tangents(); ++k) all[k] = k;
    os << " + " << n_tangents() << " tangents" << dims_of(*this, all);
  }
  if (has_laplacian()) os << " + Laplacian" << dims_of(*this, laplacian_terms);
  if (n_diagonal() > 0) os << " + " << n_diagonal() << " diagonal" << dims_of(*this, diagonal_terms);
  if (n_mixed() > 0) os << " + " << n_mixed() << " mixed";
  if (n_third() > 0) os << " + " << n_third() << " third-order";
  os << " (" << n_channels() << " channels)";
  return os.str();
}

JetLayout make_layout(const JetSpec& spec) {
  spec.validate();
  JetLayout l;
  l.n_tan = spec.n_tangents();
  l.n_lap = static_cast<int>(spec.laplacian_terms.size());
  l.n_diag = spec.n_diagonal();
  l.n_mixed = spec.n_mixed();
  l.n_channels = spec.n_channels();
  for (int k = 0; k < l.n_tan; ++k) l.tan_dim[k] = spec.tangents[k];
  for (int k = 0; k < l.n_lap; ++k) l.lap_pos[k] = spec.laplacian_terms[k];
  for (int i = 0; i < l.n_diag; ++i) l.diag_pos[i] = spec.diagonal_terms[i];
  for (int m = 0; m < l.n_mixed; ++m) {
    l.mixed_a[m] = spec.mixed[m].first;
    l.mixed_b[m] = spec.mixed[m].second;
  }
  l.n_third = spec.n_third();
  for (int m = 0; m < l.n_third; ++m) {
    const auto& t = spec.third[m];
    for (int i = 0; i < 3; ++i) l.third_pos[m][i] = t[i];
    l.third_pair[m][0] = spec.second_channel(t[1], t[2]);
    l.third_pair[m][1] = spec.second_channel(t[0], t[2]);
    l.third_pair[m][2] = spec.second_channel(t[0], t[1]);
  }
  return l;
}

Activation activation_from_name(const std::string& name, const std::string& what) {
  if (name == "tanh") return Activation::Tanh;
  if (name == "sin") return Activation::Sin;
  if (name == "softplus") return Activation::Softplus;
  NPDE_INPUT_ERROR(what << ": unknown activation '" << name << "' (valid: tanh, sin, softplus)");
}

std::string to_string(Activation a) {
  switch (a) {
    case Activation::Tanh: return "tanh";
    case Activation::Sin: return "sin";
    case Activation::Softplus: return "softplus";
  }
  return "?";
}

}  // namespace npde::nn

namespace npde::nn {

JetSpec stream_function_jet(const JetSpec& model, int n_model_outputs, std::vector<JetMapTerm>& terms) {
  model.validate();
  NPDE_REQUIRE(model.n_inputs >= 2, "a stream function needs two inputs (x, y), the jet has " << model.n_inputs);
  NPDE_REQUIRE(n_model_outputs >= 2, "a stream function's model has u and v: " << n_model_outputs << " outputs");
  JetSpec s = model;
  auto position = [&](int dim) {
    int k = s.find_tangent(dim);
    if (k < 0) {
      s.tangents.push_back(dim);
      k = s.n_tangents() - 1;
    }
    return k;
  };
  const int px = position(0), py = position(1);
  // every model channel as a sum of derivatives, each a sorted list of tangent positions
  using Multi = std::vector<int>;
  std::vector<std::vector<Multi>> channel(std::size_t(model.n_channels()));
  channel[0] = {Multi{}};
  for (int k = 0; k < model.n_tangents(); ++k) channel[model.tangent_channel(k)] = {Multi{k}};
  if (model.has_laplacian())
    for (int k : model.laplacian_terms) channel[model.laplacian_channel()].push_back(Multi{k, k});
  for (int i = 0; i < model.n_diagonal(); ++i)
    channel[model.diagonal_channel(i)] = {Multi{model.diagonal_terms[i], model.diagonal_terms[i]}};
  for (int m = 0; m < model.n_mixed(); ++m)
    channel[model.mixed_channel(m)] = {Multi{model.mixed[m].first, model.mixed[m].second}};
  for (int m = 0; m < model.n_third(); ++m)
    channel[model.third_channel(m)] = {Multi{model.third[m][0], model.third[m][1], model.third[m][2]}};
  auto with = [](Multi d, int k) {
    d.push_back(k);
    std::sort(d.begin(), d.end());
    return d;
  };
  auto ensure_second = [&](int a, int b) {
    if (a > b) std::swap(a, b);
    if (s.second_channel(a, b) >= 0) return;
    if (a == b)
      s.diagonal_terms.push_back(a);
    else
      s.mixed.emplace_back(a, b);
  };
  auto ensure = [&](const Multi& d) {
    NPDE_REQUIRE(d.size() <= 3, "a stream function's velocity needs psi one order higher than the model's jet: a "
                                "third-order channel of u or v would need fourth derivatives of psi");
    if (d.size() == 2) ensure_second(d[0], d[1]);
    if (d.size() == 3) {
      ensure_second(d[1], d[2]);
      ensure_second(d[0], d[2]);
      ensure_second(d[0], d[1]);
      const std::array<int, 3> t{d[0], d[1], d[2]};
      if (std::find(s.third.begin(), s.third.end(), t) == s.third.end()) s.third.push_back(t);
    }
  };
  for (const auto& sum : channel)
    for (const auto& d : sum) {
      ensure(with(d, py));
      ensure(with(d, px));
    }
  s.validate();
  auto channel_of = [&](const Multi& d) {
    if (d.empty()) return 0;
    if (d.size() == 1) return s.tangent_channel(d[0]);
    if (d.size() == 2) return s.second_channel(d[0], d[1]);
    const std::array<int, 3> t{d[0], d[1], d[2]};
    return s.third_channel(int(std::find(s.third.begin(), s.third.end(), t) - s.third.begin()));
  };
  terms.clear();
  for (int c = 0; c < model.n_channels(); ++c)
    for (const auto& d : channel[c]) {
      terms.push_back({0, c, 0, channel_of(with(d, py)), 1.0});   // u = psi_y
      terms.push_back({1, c, 0, channel_of(with(d, px)), -1.0});  // v = -psi_x
    }
  for (int o = 2; o < n_model_outputs; ++o)
    for (int c = 0; c < model.n_channels(); ++c)
      terms.push_back({o, c, o - 1, c == model.laplacian_channel() ? s.laplacian_channel() : channel_of(channel[c][0]), 1.0});
  return s;
}

}  // namespace npde::nn
