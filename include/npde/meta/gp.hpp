// SPDX-License-Identifier: BSD-3-Clause
// The reward surrogate of METALIC: a Gaussian process over (standardised PDE parameter, interface mask)
// with the product kernel RBF(parameter) x exp(-(1 - matching fraction of mask bits) / rho), a constant
// mean, hyper-parameters fitted by maximising the marginal likelihood (docs/numerics.md, "METALIC").
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace npde::meta {

/// One input of the surrogate: the standardised parameter and a mask of `bits` bits.
struct Arm {
  double xi = 0;
  unsigned mask = 0;
};

/// log sigma_f, log l (parameter length scale), log rho (mask length scale), log sigma_n (noise).
struct GpHyper {
  std::array<double, 4> log{0.0, 0.0, -1.0, -2.0};
  double sigma_f() const;
  double length() const;
  double rho() const;
  double sigma_n() const;
};

class GaussianProcess {
 public:
  /// [in] bits: mask width (9 for the interface menu).
  explicit GaussianProcess(int bits = 9) : m_bits(bits) {}

  /// The kernel between two arms under the current hyper-parameters (without the noise).
  double kernel(const Arm& a, const Arm& b) const;
  /// Fits the data: the constant mean is the rewards' mean, the hyper-parameters maximise the log
  /// marginal likelihood (plus a weak log-normal prior that keeps them finite on few points) by L-BFGS
  /// from a few starts (the first: the current ones). Not collective: same data, same result.
  /// Throws npde::Error for fewer than 2 points or mismatched sizes.
  void fit(const std::vector<Arm>& arms, const std::vector<double>& rewards, bool optimise = true);
  /// Posterior mean and variance (of the latent reward, without the noise) at each arm.
  void predict(const std::vector<Arm>& at, std::vector<double>& mean, std::vector<double>& var) const;
  /// One joint draw from the posterior at `at` (Thompson sampling), from the counter-based normal
  /// generator at (seed, stream).
  std::vector<double> sample(const std::vector<Arm>& at, std::uint64_t seed, std::uint64_t stream) const;
  /// The log marginal likelihood of the data under `h` and its gradient with respect to h.log.
  double log_likelihood(const GpHyper& h, std::array<double, 4>* grad = nullptr) const;

  const GpHyper& hyper() const { return m_hyper; }
  void set_hyper(const GpHyper& h) { m_hyper = h; }
  double mean() const { return m_mean; }
  int bits() const { return m_bits; }
  std::size_t size() const { return m_arms.size(); }
  const std::vector<Arm>& arms() const { return m_arms; }
  const std::vector<double>& rewards() const { return m_y; }

 private:
  double kernel_with(const GpHyper& h, const Arm& a, const Arm& b) const;
  /// Factorises K + sigma_n^2 I of the data under the current hyper-parameters (m_chol, m_alpha).
  void factorise();
  int m_bits;
  GpHyper m_hyper;
  std::vector<Arm> m_arms;
  std::vector<double> m_y;  ///< rewards
  double m_mean = 0;
  std::vector<double> m_chol;   ///< Cholesky factor (lower, column-major n x n)
  std::vector<double> m_alpha;  ///< (K + sigma_n^2 I)^-1 (y - mean)
};

/// Matching fraction of two masks' `bits` lowest bits.
double matching_fraction(unsigned a, unsigned b, int bits);

/// How a bandit picks the next mask at a parameter value.
enum class Selection { Ucb, Thompson };

/// The next mask to play at standardised parameter xi among `masks`: UCB's argmax of mean + sqrt(beta) sd,
/// or Thompson's argmax of one joint posterior draw (from the counter-based generator at (seed,
/// stream)). Ties: the first.
unsigned choose(const GaussianProcess& gp, double xi, const std::vector<unsigned>& masks, Selection rule, double beta,
                std::uint64_t seed, std::uint64_t stream);

/// The mask to recommend at xi: the largest lower confidence bound mean - sd (a mask the data support
/// rather than an unexplored one at the prior mean); its mean and sd are returned too.
unsigned recommend(const GaussianProcess& gp, double xi, const std::vector<unsigned>& masks, double& mean, double& sd);

}  // namespace npde::meta
