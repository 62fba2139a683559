// SPDX-License-Identifier: BSD-3-Clause
// GaussianProcess: LAPACK Cholesky (dpotrf/dpotrs/dpotri) of the kernel matrix, the log marginal
// likelihood and its gradient, hyper-parameters by npde's L-BFGS from a few starts.
#include "npde/meta/gp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/core/types.hpp"
#include "npde/optim/lbfgs.hpp"

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, double* b,
             const int* ldb, int* info);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info);
}

namespace npde::meta {

namespace {

// The weak log-normal prior of the hyper-parameters: centres and width (in log space). The parameter
// is standardised to [-1, 1], masks differ by multiples of 1/9, rewards are -log10 errors.
constexpr double kPriorCentre[4] = {0.0, std::log(0.5), std::log(0.3), std::log(0.1)};
constexpr double kPriorWidth = 1.5;
constexpr double kJitter = 1e-10;

/// In-place Cholesky (lower, column-major); false if the matrix is not positive definite.
bool cholesky(std::vector<double>& a, int n) {
  int info = 0;
  const char lo = 'L';
  dpotrf_(&lo, &n, a.data(), &n, &info);
  return info == 0;
}

/// b (n x nrhs, column-major) <- A^-1 b with A's Cholesky factor.
void solve(const std::vector<double>& chol, int n, std::vector<double>& b, int nrhs) {
  int info = 0;
  const char lo = 'L';
  dpotrs_(&lo, &n, &nrhs, chol.data(), &n, b.data(), &n, &info);
  NPDE_REQUIRE(info == 0, "dpotrs returned " << info);
}

}  // namespace

double GpHyper::sigma_f() const { return std::exp(log[0]); }
double GpHyper::length() const { return std::exp(log[1]); }
double GpHyper::rho() const { return std::exp(log[2]); }
double GpHyper::sigma_n() const { return std::exp(log[3]); }

double matching_fraction(unsigned a, unsigned b, int bits) {
  int same = 0;
  for (int k = 0; k < bits; ++k) same += ((a >> k) & 1u) == ((b >> k) & 1u) ? 1 : 0;
  return double(same) / double(bits);
}

double GaussianProcess::kernel_with(const GpHyper& h, const Arm& a, const Arm& b) const {
  const double dx = a.xi - b.xi, l = h.length();
  const double sf = h.sigma_f();
  return sf * sf * std::exp(-0.5 * dx * dx / (l * l)) *
         std::exp(-(1.0 - matching_fraction(a.mask, b.mask, m_bits)) / h.rho());
}

double GaussianProcess::kernel(const Arm& a, const Arm& b) const { return kernel_with(m_hyper, a, b); }

double GaussianProcess::log_likelihood(const GpHyper& h, std::array<double, 4>* grad) const {
  const int n = int(m_arms.size());
  const double sn2 = h.sigma_n() * h.sigma_n();
  std::vector<double> kf(std::size_t(n) * n), K(std::size_t(n) * n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      kf[std::size_t(j) * n + i] = kernel_with(h, m_arms[std::size_t(i)], m_arms[std::size_t(j)]);
      K[std::size_t(j) * n + i] = kf[std::size_t(j) * n + i] + (i == j ? sn2 + kJitter : 0.0);
    }
  std::vector<double> chol = K;
  if (!cholesky(chol, n)) return -std::numeric_limits<double>::infinity();
  std::vector<double> alpha(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) alpha[std::size_t(i)] = m_y[std::size_t(i)] - m_mean;
  solve(chol, n, alpha, 1);
  double ll = -0.5 * double(n) * std::log(2 * M_PI);
  for (int i = 0; i < n; ++i) {
    ll -= 0.5 * (m_y[std::size_t(i)] - m_mean) * alpha[std::size_t(i)];
    ll -= std::log(chol[std::size_t(i) * n + i]);
  }
  for (int p = 0; p < 4; ++p) {
    const double z = (h.log[std::size_t(p)] - kPriorCentre[p]) / kPriorWidth;
    ll -= 0.5 * z * z;
  }
  if (!grad) return ll;
  // d ll / d theta = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta), minus the prior's derivative
  std::vector<double> kinv = chol;
  int info = 0;
  const char lo = 'L';
  dpotri_(&lo, &n, kinv.data(), &n, &info);
  NPDE_REQUIRE(info == 0, "dpotri returned " << info);
  grad->fill(0.0);
  const double l2 = h.length() * h.length(), rho = h.rho();
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const double inv = i >= j ? kinv[std::size_t(j) * n + i] : kinv[std::size_t(i) * n + j];  // lower half
      const double w = alpha[std::size_t(i)] * alpha[std::size_t(j)] - inv;
      const double k = kf[std::size_t(j) * n + i];
      const Arm &a = m_arms[std::size_t(i)], &b = m_arms[std::size_t(j)];
      const double dx = a.xi - b.xi;
      (*grad)[0] += 0.5 * w * 2.0 * k;
      (*grad)[1] += 0.5 * w * k * dx * dx / l2;
      (*grad)[2] += 0.5 * w * k * (1.0 - matching_fraction(a.mask, b.mask, m_bits)) / rho;
      if (i == j) (*grad)[3] += 0.5 * w * 2.0 * (h.sigma_n() * h.sigma_n());
    }
  for (int p = 0; p < 4; ++p) (*grad)[std::size_t(p)] -= (h.log[std::size_t(p)] - kPriorCentre[p]) / (kPriorWidth * kPriorWidth);
  return ll;
}

void GaussianProcess::fit(const std::vector<Arm>& arms, const std::vector<double>& rewards, bool optimise) {
  NPDE_REQUIRE(arms.size() == rewards.size(), arms.size() << " arms for " << rewards.size() << " rewards");
  NPDE_REQUIRE(arms.size() >= 1, "a surrogate needs data");
  m_arms = arms;
  m_y = rewards;
  m_mean = 0;
  for (double r : m_y) m_mean += r;
  m_mean /= double(m_y.size());
  if (optimise && m_arms.size() >= 2) {
    // minimise -log likelihood over the log hyper-parameters from a few starts; keep the best
    GpHyper best = m_hyper;
    double best_ll = log_likelihood(best);
    std::vector<GpHyper> starts(3);
    starts[0] = m_hyper;
    for (int p = 0; p < 4; ++p) starts[1].log[std::size_t(p)] = kPriorCentre[p];
    starts[2] = starts[1];
    starts[2].log[1] += 1.0;
    starts[2].log[2] += 1.0;
    for (const GpHyper& start : starts) {
      optim::LbfgsOptions o;
      o.history = 10;
      o.tolerance_grad = 1e-8;
      o.tolerance_change = 1e-12;
      optim::Lbfgs<double> lbfgs(4, o);
      View1<double> x("npde::meta::gp::x", 4), g("npde::meta::gp::g", 4);
      auto xh = Kokkos::create_mirror_view(x);
      for (int p = 0; p < 4; ++p) xh(p) = start.log[std::size_t(p)];
      Kokkos::deep_copy(x, xh);
      optim::Objective<double> f = [&](const View1<double>& at, const View1<double>& grad) {
        auto ah = Kokkos::create_mirror_view_and_copy(HostSpace(), at);
        GpHyper h;
        for (int p = 0; p < 4; ++p) h.log[std::size_t(p)] = std::clamp(double(ah(p)), -12.0, 12.0);
        std::array<double, 4> gr{};
        const double ll = log_likelihood(h, &gr);
        auto gh = Kokkos::create_mirror_view(grad);
        for (int p = 0; p < 4; ++p) gh(p) = std::isfinite(ll) ? -gr[std::size_t(p)] : 0.0;
        Kokkos::deep_copy(grad, gh);
        return std::isfinite(ll) ? -ll : std::numeric_limits<double>::max();
      };
      double loss = f(x, g);
      if (!std::isfinite(loss) || loss == std::numeric_limits<double>::max()) continue;
      for (int it = 0; it < 200; ++it) {
        const optim::LbfgsStep step = lbfgs.step(x, loss, g, f);
        if (step.converged) break;
      }
      Kokkos::deep_copy(xh, x);
      GpHyper h;
      for (int p = 0; p < 4; ++p) h.log[std::size_t(p)] = std::clamp(double(xh(p)), -12.0, 12.0);
      const double ll = log_likelihood(h);
      if (std::isfinite(ll) && ll > best_ll) {
        best_ll = ll;
        best = h;
      }
    }
    m_hyper = best;
  }
  factorise();
}

void GaussianProcess::factorise() {
  const int n = int(m_arms.size());
  const double sn2 = m_hyper.sigma_n() * m_hyper.sigma_n();
  m_chol.assign(std::size_t(n) * n, 0.0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      m_chol[std::size_t(j) * n + i] = kernel(m_arms[std::size_t(i)], m_arms[std::size_t(j)]) + (i == j ? sn2 + kJitter : 0.0);
  NPDE_REQUIRE(cholesky(m_chol, n), "the surrogate's kernel matrix is not positive definite");
  m_alpha.resize(std::size_t(n));
  for (int i = 0; i < n; ++i) m_alpha[std::size_t(i)] = m_y[std::size_t(i)] - m_mean;
  solve(m_chol, n, m_alpha, 1);
}

void GaussianProcess::predict(const std::vector<Arm>& at, std::vector<double>& mean, std::vector<double>& var) const {
  const int n = int(m_arms.size()), m = int(at.size());
  mean.assign(std::size_t(m), m_mean);
  var.assign(std::size_t(m), 0.0);
  if (n == 0) {
    for (int k = 0; k < m; ++k) var[std::size_t(k)] = kernel(at[std::size_t(k)], at[std::size_t(k)]);
    return;
  }
  std::vector<double> ks(std::size_t(n) * m);  // column k: k(data, at_k)
  for (int k = 0; k < m; ++k)
    for (int i = 0; i < n; ++i) ks[std::size_t(k) * n + i] = kernel(m_arms[std::size_t(i)], at[std::size_t(k)]);
  std::vector<double> v = ks;
  solve(m_chol, n, v, m);
  for (int k = 0; k < m; ++k) {
    double mu = m_mean, q = 0;
    for (int i = 0; i < n; ++i) {
      mu += ks[std::size_t(k) * n + i] * m_alpha[std::size_t(i)];
      q += ks[std::size_t(k) * n + i] * v[std::size_t(k) * n + i];
    }
    mean[std::size_t(k)] = mu;
    var[std::size_t(k)] = std::max(0.0, kernel(at[std::size_t(k)], at[std::size_t(k)]) - q);
  }
}

std::vector<double> GaussianProcess::sample(const std::vector<Arm>& at, std::uint64_t seed, std::uint64_t stream) const {
  const int n = int(m_arms.size()), m = int(at.size());
  std::vector<double> mean, var;
  predict(at, mean, var);
  // posterior covariance K** - K*^T (K + s^2 I)^-1 K*
  std::vector<double> cov(std::size_t(m) * m);
  for (int b = 0; b < m; ++b)
    for (int a = 0; a < m; ++a) cov[std::size_t(b) * m + a] = kernel(at[std::size_t(a)], at[std::size_t(b)]);
  if (n > 0) {
    std::vector<double> ks(std::size_t(n) * m);
    for (int k = 0; k < m; ++k)
      for (int i = 0; i < n; ++i) ks[std::size_t(k) * n + i] = kernel(m_arms[std::size_t(i)], at[std::size_t(k)]);
    std::vector<double> v = ks;
    solve(m_chol, n, v, m);
    for (int b = 0; b < m; ++b)
      for (int a = 0; a < m; ++a) {
        double q = 0;
        for (int i = 0; i < n; ++i) q += ks[std::size_t(a) * n + i] * v[std::size_t(b) * n + i];
        cov[std::size_t(b) * m + a] -= q;
      }
  }
  // Cholesky with growing jitter (the posterior covariance is only semi-definite)
  const double scale = m_hyper.sigma_f() * m_hyper.sigma_f();
  std::vector<double> chol;
  bool ok = false;
  for (double jitter = 1e-10; jitter < 1 && !ok; jitter *= 10) {
    chol = cov;
    for (int a = 0; a < m; ++a) chol[std::size_t(a) * m + a] += jitter * scale;
    ok = cholesky(chol, m);
  }
  NPDE_REQUIRE(ok, "the surrogate's posterior covariance cannot be factorised");
  std::vector<double> z(static_cast<std::size_t>(m)), out = mean;
  for (int a = 0; a < m; ++a) z[std::size_t(a)] = rng::normal(seed, stream, std::uint64_t(a));
  for (int a = 0; a < m; ++a)
    for (int b = 0; b <= a; ++b) out[std::size_t(a)] += chol[std::size_t(b) * m + a] * z[std::size_t(b)];
  return out;
}

unsigned choose(const GaussianProcess& gp, double xi, const std::vector<unsigned>& masks, Selection rule, double beta,
                std::uint64_t seed, std::uint64_t stream) {
  NPDE_REQUIRE(!masks.empty(), "no masks to choose from");
  std::vector<Arm> cand;
  for (unsigned m : masks) cand.push_back({xi, m});
  std::vector<double> score;
  if (rule == Selection::Thompson) {
    score = gp.sample(cand, seed, stream);
  } else {
    std::vector<double> mu, var;
    gp.predict(cand, mu, var);
    for (std::size_t k = 0; k < cand.size(); ++k) score.push_back(mu[k] + std::sqrt(beta * var[k]));
  }
  std::size_t best = 0;
  for (std::size_t k = 1; k < cand.size(); ++k)
    if (score[k] > score[best]) best = k;
  return cand[best].mask;
}

unsigned recommend(const GaussianProcess& gp, double xi, const std::vector<unsigned>& masks, double& mean, double& sd) {
  NPDE_REQUIRE(!masks.empty(), "no masks to recommend from");
  std::vector<Arm> cand;
  for (unsigned m : masks) cand.push_back({xi, m});
  std::vector<double> mu, var;
  gp.predict(cand, mu, var);
  std::size_t best = 0;
  for (std::size_t k = 1; k < cand.size(); ++k)
    if (mu[k] - std::sqrt(var[k]) > mu[best] - std::sqrt(var[best])) best = k;
  mean = mu[best];
  sd = std::sqrt(var[best]);
  return cand[best].mask;
}

}  // namespace npde::meta
