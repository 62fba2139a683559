// SPDX-License-Identifier: BSD-3-Clause
// The interior residual of any pde/ equation on a chunk of points: network jets -> (trial function by
// the product rule) -> canonical jets -> the equation's residuals, with their adjoint with respect to
// the network jets from the same residual evaluated on dual numbers (docs/numerics.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include "npde/core/dual.hpp"
#include "npde/core/error.hpp"
#include "npde/core/types.hpp"
#include "npde/pde/equation.hpp"
#include "npde/pinn/residual_kernel.hpp"

namespace npde::pinn {

namespace detail {

/// Network channel c (of one output) -> canonical entry, for an equation's Needs: value, then one
/// tangent per `first` bit, the Laplacian channel, one diagonal channel per `diagonal` bit.
template <unsigned First, unsigned Diagonal, unsigned Laplacian>
struct ChannelMap {
  static constexpr int n = pde::channels_of(pde::Needs{First, Diagonal, Laplacian});
  int canonical[n] = {};
  constexpr ChannelMap() {
    int c = 0;
    canonical[c++] = pde::canonical_value();
    for (int k = 0; k < pde::kMaxInputs; ++k)
      if ((First >> k) & 1u) canonical[c++] = pde::canonical_d(k);
    if (Laplacian) canonical[c++] = pde::canonical_lap();
    for (int k = 0; k < pde::kMaxInputs; ++k)
      if ((Diagonal >> k) & 1u) canonical[c++] = pde::canonical_dd(k);
  }
};

/// u = G + D N on canonical jets by the product rule (only the entries the Needs ask for).
template <unsigned First, unsigned Diagonal, unsigned Laplacian, class V, class S>
KOKKOS_INLINE_FUNCTION void apply_trial(const V* N, const S* G, const S* D, V* u) {
  u[pde::canonical_value()] = G[0] + D[0] * N[0];
  for (int k = 0; k < pde::kMaxInputs; ++k) {
    if (!((First >> k) & 1u)) continue;
    const int c = pde::canonical_d(k);
    u[c] = G[c] + D[c] * N[0] + D[0] * N[c];
  }
  for (int k = 0; k < pde::kMaxInputs; ++k) {
    if (!((Diagonal >> k) & 1u)) continue;
    const int c = pde::canonical_dd(k), c1 = pde::canonical_d(k);
    u[c] = G[c] + D[c] * N[0] + S(2) * D[c1] * N[c1] + D[0] * N[c];
  }
  if (Laplacian) {
    const int c = pde::canonical_lap();
    V acc = G[c] + D[c] * N[0] + D[0] * N[c];
    for (int k = 0; k < pde::kMaxInputs; ++k)
      if ((Laplacian >> k) & 1u) acc = acc + S(2) * D[pde::canonical_d(k)] * N[pde::canonical_d(k)];
    u[c] = acc;
  }
}

struct CoefficientPack {
  double k[kMaxCoefficients] = {};
};

}  // namespace detail

/// The ResidualKernel of equation Eq (a pde/ equation struct, see pde/scalar_equations.hpp).
template <class T, class Eq>
class EquationKernel final : public ResidualKernel<T> {
  static constexpr pde::Needs kNeeds = Eq::needs;
  static constexpr int NO = Eq::n_outputs, NR = Eq::n_residuals, ND = Eq::n_data;
  static constexpr int NC = pde::channels_of(kNeeds), NV = NO * NC, NK = Eq::n_coefficients;
  static_assert((kNeeds.diagonal & ~kNeeds.first) == 0 && (kNeeds.laplacian & ~kNeeds.first) == 0,
                "an equation's diagonal and Laplacian inputs must also have first derivatives");
  static_assert(Eq::n_inputs <= pde::kMaxInputs && Eq::n_coefficients <= kMaxCoefficients && NR <= kMaxResiduals,
                "equation exceeds the kernel's fixed sizes");
  using Map = detail::ChannelMap<kNeeds.first, kNeeds.diagonal, kNeeds.laplacian>;

 public:
  std::string name() const override { return Eq::name; }
  int n_space() const override { return Eq::n_space; }
  bool time_dependent() const override { return Eq::time_dependent; }
  int n_outputs() const override { return NO; }
  int n_residuals() const override { return NR; }
  int n_data() const override { return ND; }
  pde::Needs needs() const override { return kNeeds; }
  std::vector<std::string> residual_names() const override {
    return std::vector<std::string>(Eq::residual_names, Eq::residual_names + NR);
  }
  std::vector<std::string> coefficient_names() const override {
    return std::vector<std::string>(Eq::coefficient_names, Eq::coefficient_names + Eq::n_coefficients);
  }
  void set_coefficients(const std::vector<double>& k) override {
    NPDE_REQUIRE(int(k.size()) == Eq::n_coefficients,
                 Eq::name << " has " << Eq::n_coefficients << " coefficients, got " << k.size());
    for (std::size_t i = 0; i < k.size(); ++i) m_k.k[i] = k[i];
  }

  void evaluate(int n, const T* out, const T* aux, unsigned hard, const T* scale, T* sq, T* adj) const override {
    const detail::CoefficientPack kp = m_k;
    struct Scales {
      T s[NR];
    } scales;
    for (int j = 0; j < NR; ++j) scales.s[j] = scale[j];
    Kokkos::parallel_for(
        std::string("npde::pinn::EquationKernel::evaluate::") + Eq::name, Kokkos::RangePolicy<ExecSpace>(0, n),
        KOKKOS_LAMBDA(const int p) {
          using D = Dual<T, NV>;
          D r[NR];
          point_residuals<D, T>(p, n, out, aux, hard, kp, r);
          for (int j = 0; j < NR; ++j) sq[long(j) * n + p] = r[j].v * r[j].v;
          for (int o = 0; o < NO; ++o)
            for (int c = 0; c < NC; ++c) {
              T a = T(0);
              for (int j = 0; j < NR; ++j) a += T(2) * scales.s[j] * r[j].v * r[j].d[o * NC + c];
              adj[o + NO * (long(c) * n + p)] = a;
            }
        });
  }

  void evaluate_coefficients(int n, const T* out, const T* aux, unsigned hard, const T* scale, T* sq, T* adj,
                             T* coef_adj) const override {
    const detail::CoefficientPack kp = m_k;
    struct Scales {
      T s[NR];
    } scales;
    for (int j = 0; j < NR; ++j) scales.s[j] = scale[j];
    Kokkos::parallel_for(
        std::string("npde::pinn::EquationKernel::evaluate_coefficients::") + Eq::name,
        Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) {
          // tangents: the network channels, then the coefficients
          using D = Dual<T, NV + NK>;
          D r[NR];
          point_residuals<D, D>(p, n, out, aux, hard, kp, r);
          for (int j = 0; j < NR; ++j) sq[long(j) * n + p] = r[j].v * r[j].v;
          for (int e = 0; e < NV + NK; ++e) {
            T a = T(0);
            for (int j = 0; j < NR; ++j) a += T(2) * scales.s[j] * r[j].v * r[j].d[e];
            if (e < NV)
              adj[e / NC + NO * (long(e % NC) * n + p)] = a;  // output e / NC, channel e % NC
            else
              coef_adj[long(e - NV) * n + p] = a;
          }
        });
  }

  void linearize(int n, const T* out, const T* aux, unsigned hard, T* r, T* dr) const override {
    const detail::CoefficientPack kp = m_k;
    Kokkos::parallel_for(
        std::string("npde::pinn::EquationKernel::linearize::") + Eq::name, Kokkos::RangePolicy<ExecSpace>(0, n),
        KOKKOS_LAMBDA(const int p) {
          using D = Dual<T, NV>;
          D res[NR];
          point_residuals<D, T>(p, n, out, aux, hard, kp, res);
          for (int j = 0; j < NR; ++j) {
            r[long(j) * n + p] = res[j].v;
            for (int e = 0; e < NV; ++e) dr[(long(j) * NV + e) * n + p] = res[j].d[e];  // e = o * NC + c
          }
        });
  }

 private:
  /// Residuals of point p with the network jets as V (dual variables when V is a Dual) and the
  /// coefficients as KV (dual variables NV.. when KV is a Dual: inverse problems).
  template <class V, class KV>
  KOKKOS_INLINE_FUNCTION static void point_residuals(int p, int n, const T* out, const T* aux, unsigned hard,
                                                     const detail::CoefficientPack& kp, V* r) {
    constexpr Map map{};
    constexpr int W = aux_width(ND, NO);
    const T* a = aux + long(W) * p;
    V u[NO * pde::kCanonical];
    for (int e = 0; e < NO * pde::kCanonical; ++e) u[e] = V(T(0));
    for (int o = 0; o < NO; ++o) {
      V N[pde::kCanonical];
      for (int e = 0; e < pde::kCanonical; ++e) N[e] = V(T(0));
      for (int c = 0; c < NC; ++c) N[map.canonical[c]] = make<V>(out[o + NO * (long(c) * n + p)], o * NC + c);
      V* uo = u + o * pde::kCanonical;
      if ((hard >> o) & 1u) {
        const T* G = a + ND + 2 * pde::kCanonical * o;
        detail::apply_trial<kNeeds.first, kNeeds.diagonal, kNeeds.laplacian>(N, G, G + pde::kCanonical, uo);
      } else {
        for (int e = 0; e < pde::kCanonical; ++e) uo[e] = N[e];
      }
    }
    KV k[kMaxCoefficients];
    for (int i = 0; i < kMaxCoefficients; ++i) k[i] = make<KV>(T(kp.k[i]), NV + i);
    Eq::template residual<V, T, KV>(pde::Fields<V>{u}, a, k, r);
  }
  template <class V>
  KOKKOS_INLINE_FUNCTION static V make(T value, int index) {
    if constexpr (is_dual<V>::value)
      return index < V::size ? V::variable(value, index) : V(value);
    else
      return V(value);
  }

  detail::CoefficientPack m_k;
};

/// A new EquationKernel<T, Eq>.
template <class T, class Eq>
std::unique_ptr<ResidualKernel<T>> make_equation_kernel() {
  return std::make_unique<EquationKernel<T, Eq>>();
}

}  // namespace npde::pinn
