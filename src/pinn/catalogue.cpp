// SPDX-License-Identifier: BSD-3-Clause
// Equation name -> residual kernel instantiation.
#include "npde/pinn/catalogue.hpp"

#include "npde/core/error.hpp"
#include "npde/pde/navier_stokes.hpp"
#include "npde/pde/scalar_equations.hpp"
#include "npde/pinn/equation_kernel.hpp"

namespace npde::pinn {

std::vector<std::string> catalogue_equations() {
  return {"poisson", "helmholtz", "heat", "burgers", "allen_cahn", "klein_gordon", "navier_stokes", "schrodinger"};
}

template <class T>
std::unique_ptr<ResidualKernel<T>> make_catalogue_kernel(const std::string& equation, int n_space) {
  if (equation == "poisson") {
    if (n_space == 1) return make_equation_kernel<T, pde::PoissonEquation<1>>();
    if (n_space == 2) return make_equation_kernel<T, pde::PoissonEquation<2>>();
    if (n_space == 3) return make_equation_kernel<T, pde::PoissonEquation<3>>();
  } else if (equation == "helmholtz") {
    if (n_space == 1) return make_equation_kernel<T, pde::HelmholtzEquation<1>>();
    if (n_space == 2) return make_equation_kernel<T, pde::HelmholtzEquation<2>>();
    if (n_space == 3) return make_equation_kernel<T, pde::HelmholtzEquation<3>>();
  } else if (equation == "heat") {
    if (n_space == 1) return make_equation_kernel<T, pde::HeatEquation<1>>();
    if (n_space == 2) return make_equation_kernel<T, pde::HeatEquation<2>>();
  } else if (equation == "burgers") {
    if (n_space == 1) return make_equation_kernel<T, pde::BurgersEquation>();
  } else if (equation == "allen_cahn") {
    if (n_space == 1) return make_equation_kernel<T, pde::AllenCahnEquation>();
  } else if (equation == "klein_gordon") {
    if (n_space == 1) return make_equation_kernel<T, pde::KleinGordonEquation>();
  } else if (equation == "schrodinger") {
    if (n_space == 1) return make_equation_kernel<T, pde::SchrodingerEquation>();
  } else if (equation == "navier_stokes") {
    if (n_space == 2) return make_equation_kernel<T, pde::NavierStokesEquation>();
  } else {
    NPDE_INPUT_ERROR("problem.pde: " << equation << " has no neural solver yet; `npde reference` runs its classical solver");
  }
  NPDE_INPUT_ERROR("problem.domain: the " << equation << " PINN is not available in " << n_space << " dimension(s)");
}

template std::unique_ptr<ResidualKernel<double>> make_catalogue_kernel<double>(const std::string&, int);
template std::unique_ptr<ResidualKernel<float>> make_catalogue_kernel<float>(const std::string&, int);

}  // namespace npde::pinn
