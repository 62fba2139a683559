// SPDX-License-Identifier: BSD-3-Clause
// The residual kernels of the catalogue's equations, by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "npde/pinn/residual_kernel.hpp"

namespace npde::pinn {

/// The kernel of catalogue equation `equation` in `n_space` space dimensions. Throws npde::InputError
/// naming problem.pde for equations (or dimensions) without a neural solver.
template <class T>
std::unique_ptr<ResidualKernel<T>> make_catalogue_kernel(const std::string& equation, int n_space);

/// Names of the equations make_catalogue_kernel knows.
std::vector<std::string> catalogue_equations();

}  // namespace npde::pinn
