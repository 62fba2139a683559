// SPDX-License-Identifier: BSD-3-Clause
// Input embeddings: construction helpers.
#include "npde/nn/embedding.hpp"

#include <cmath>
#include <sstream>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"

namespace npde::nn {

InputEmbedding InputEmbedding::standardized(const std::vector<double>& lower, const std::vector<double>& upper) {
  NPDE_REQUIRE(lower.size() == upper.size(), lower.size() << " lower bounds for " << upper.size() << " upper bounds");
  InputEmbedding e;
  e.n_inputs = int(lower.size());
  for (int a = 0; a < e.n_inputs; ++a) {
    NPDE_REQUIRE(upper[a] > lower[a], "empty interval on axis " << a);
    const double s = (upper[a] - lower[a]) / (2 * std::sqrt(3.0));
    Feature f;
    f.omega.assign(std::size_t(e.n_inputs), 0.0);
    f.omega[a] = 1 / s;
    f.shift = -0.5 * (lower[a] + upper[a]) / s;
    e.features.push_back(f);
  }
  return e;
}

InputEmbedding InputEmbedding::periodic(const std::vector<double>& lower, const std::vector<double>& period) {
  NPDE_REQUIRE(lower.size() == period.size(), lower.size() << " lower bounds for " << period.size() << " periods");
  InputEmbedding e;
  e.n_inputs = int(lower.size());
  for (int a = 0; a < e.n_inputs; ++a) {
    Feature f;
    f.omega.assign(std::size_t(e.n_inputs), 0.0);
    if (!(period[a] > 0)) {
      f.omega[a] = 1;
      e.features.push_back(f);
      continue;
    }
    const double w = 2 * M_PI / period[a];
    f.omega[a] = w;
    f.shift = -w * lower[a];
    f.kind = FeatureKind::Cos;
    e.features.push_back(f);
    f.kind = FeatureKind::Sin;
    e.features.push_back(f);
  }
  return e;
}

InputEmbedding InputEmbedding::fourier(const std::vector<double>& lower, const std::vector<double>& period,
                                      int n_frequencies, double sigma, std::uint64_t seed) {
  NPDE_REQUIRE(lower.size() == period.size(), lower.size() << " lower bounds for " << period.size() << " periods");
  NPDE_REQUIRE(n_frequencies > 0 && sigma > 0, "Fourier features: " << n_frequencies << " frequencies, sigma " << sigma);
  InputEmbedding e;
  e.n_inputs = int(lower.size());
  constexpr std::uint64_t kStream = 0xF0F1;  // not the streams of the network's initialisation
  for (int j = 0; j < n_frequencies; ++j) {
    Feature f;
    f.omega.assign(std::size_t(e.n_inputs), 0.0);
    for (int a = 0; a < e.n_inputs; ++a) {
      double b = sigma * rng::normal(seed, kStream, std::uint64_t(j) * std::uint64_t(e.n_inputs) + std::uint64_t(a));
      if (period[a] > 0) b = std::round(b * period[a]) / period[a];  // whole cycles per period
      f.omega[a] = 2 * M_PI * b;
      f.shift -= f.omega[a] * lower[a];
    }
    f.kind = FeatureKind::Cos;
    e.features.push_back(f);
    f.kind = FeatureKind::Sin;
    e.features.push_back(f);
  }
  return e;
}

InputEmbedding InputEmbedding::gaussian(const std::vector<double>& lower, const std::vector<double>& upper, int count,
                                       double width, std::uint64_t seed) {
  NPDE_REQUIRE(lower.size() == upper.size(), lower.size() << " lower bounds for " << upper.size() << " upper bounds");
  NPDE_REQUIRE(count > 0 && width > 0, "Gaussian features: " << count << " Gaussians of width " << width);
  NPDE_REQUIRE(int(lower.size()) <= kMaxGaussianInputs,
               "Gaussian features take at most " << kMaxGaussianInputs << " inputs, got " << lower.size());
  InputEmbedding e;
  e.n_inputs = int(lower.size());
  constexpr std::uint64_t kStream = 0x6A55;  // not the streams of the network's initialisation
  e.gaussians.count = count;
  for (int k = 0; k < count; ++k)
    for (int a = 0; a < e.n_inputs; ++a) {
      NPDE_REQUIRE(upper[a] > lower[a], "empty interval on axis " << a);
      const double u = rng::uniform(seed, kStream, std::uint64_t(k) * std::uint64_t(e.n_inputs) + std::uint64_t(a));
      e.gaussians.mu.push_back(lower[a] + u * (upper[a] - lower[a]));
      e.gaussians.sigma.push_back(width * (upper[a] - lower[a]));
    }
  return e;
}

std::string InputEmbedding::describe() const {
  std::ostringstream os;
  if (gaussian()) {
    os << gaussians.count << " trainable Gaussians";
    return os.str();
  }
  for (int j = 0; j < n_features(); ++j) {
    const auto& f = features[j];
    os << (j ? ", " : "") << (f.kind == FeatureKind::Linear ? "" : f.kind == FeatureKind::Cos ? "cos(" : "sin(");
    bool first = true;
    for (int a = 0; a < n_inputs; ++a)
      if (f.omega[a] != 0) {
        os << (first ? "" : " + ") << (f.omega[a] == 1 ? "" : std::to_string(f.omega[a]) + "*") << "x" << a;
        first = false;
      }
    if (f.shift != 0) os << " + " << f.shift;
    if (f.kind != FeatureKind::Linear) os << ")";
  }
  return os.str();
}

}  // namespace npde::nn
