// SPDX-License-Identifier: BSD-3-Clause
// JetSpec constructors and validation; activation names.
#include "npde/nn/jet_spec.hpp"

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

JetSpec JetSpec::laplacian(int n_inputs) {
  JetSpec s;
  s.n_inputs = n_inputs;
  for (int k = 0; k < n_inputs; ++k) s.tangents.push_back(k);
  s.second = SecondOrder::Laplacian;
  return s;
}

JetSpec JetSpec::diagonal(int n_inputs) {
  JetSpec s = laplacian(n_inputs);
  s.second = SecondOrder::Diagonal;
  return s;
}

void JetSpec::validate() const {
  NPDE_REQUIRE(n_inputs >= 1, "n_inputs = " << n_inputs);
  NPDE_REQUIRE(n_tangents() <= kMaxTangents, n_tangents() << " tangents > kMaxTangents = " << kMaxTangents);
  NPDE_REQUIRE(static_cast<int>(mixed.size()) <= kMaxMixed, mixed.size() << " mixed pairs > " << kMaxMixed);
  std::set<int> seen;
  for (int t : tangents) {
    NPDE_REQUIRE(t >= 0 && t < n_inputs, "tangent dimension " << t << " outside [0, " << n_inputs << ")");
    NPDE_REQUIRE(seen.insert(t).second, "tangent dimension " << t << " listed twice");
  }
  NPDE_REQUIRE(second == SecondOrder::None || n_tangents() > 0, "second-order channels need tangents");
  for (const auto& [a, b] : mixed)
    NPDE_REQUIRE(a >= 0 && a < b && b < n_tangents(), "mixed pair (" << a << ", " << b << ") invalid for "
                                                                     << n_tangents() << " tangents");
}

std::string JetSpec::describe() const {
  std::ostringstream os;
  os << "value";
  if (n_tangents() > 0) os << " + " << n_tangents() << " tangents";
  if (second == SecondOrder::Laplacian) os << " + Laplacian";
  if (second == SecondOrder::Diagonal) os << " + " << n_tangents() << " diagonal";
  if (!mixed.empty()) os << " + " << mixed.size() << " mixed";
  os << " (" << n_channels() << " channels)";
  return os.str();
}

JetLayout make_layout(const JetSpec& spec) {
  spec.validate();
  JetLayout l;
  l.n_tan = spec.n_tangents();
  l.second = spec.second == SecondOrder::None ? 0 : (spec.second == SecondOrder::Laplacian ? 1 : 2);
  l.n_mixed = static_cast<int>(spec.mixed.size());
  l.n_channels = spec.n_channels();
  for (int k = 0; k < l.n_tan; ++k) l.tan_dim[k] = spec.tangents[k];
  for (int m = 0; m < l.n_mixed; ++m) {
    l.mixed_a[m] = spec.mixed[m].first;
    l.mixed_b[m] = spec.mixed[m].second;
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
