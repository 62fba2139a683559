// SPDX-License-Identifier: BSD-3-Clause
// Adam update kernel, learning-rate schedules and option validation.
#include <npde/optim/adam.hpp>

#include <npde/core/error.hpp>
#include <npde/core/math.hpp>

#include "optim/vector_ops.hpp"

#include <cmath>

namespace npde::optim {

void validate(const AdamOptions& o) {
  const auto key = [](const char* k) { return std::string("training.stages[adam].") + k; };
  if (!(o.lr > 0) || !std::isfinite(o.lr)) NPDE_INPUT_ERROR(key("lr") << " must be > 0, got " << o.lr);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) NPDE_INPUT_ERROR(key("beta1") << " must be in [0, 1), got " << o.beta1);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) NPDE_INPUT_ERROR(key("beta2") << " must be in [0, 1), got " << o.beta2);
  if (!(o.eps > 0)) NPDE_INPUT_ERROR(key("eps") << " must be > 0, got " << o.eps);
  if (o.decay != "none" && o.decay != "exponential" && o.decay != "step")
    NPDE_INPUT_ERROR(key("decay") << " must be none, exponential or step, got '" << o.decay << "'");
  if (!(o.decay_rate > 0) || !std::isfinite(o.decay_rate))
    NPDE_INPUT_ERROR(key("decay_rate") << " must be > 0, got " << o.decay_rate);
  if (o.decay_steps <= 0) NPDE_INPUT_ERROR(key("decay_steps") << " must be > 0, got " << o.decay_steps);
}

double scheduled_lr(const AdamOptions& o, long k) {
  NPDE_REQUIRE(k >= 0, "iteration k = " << k);
  if (o.decay == "none") return o.lr;
  NPDE_REQUIRE(o.decay_steps > 0, "decay_steps = " << o.decay_steps);
  if (o.decay == "exponential")
    return o.lr * std::pow(o.decay_rate, static_cast<double>(k) / static_cast<double>(o.decay_steps));
  if (o.decay == "step") return o.lr * std::pow(o.decay_rate, static_cast<double>(k / o.decay_steps));
  NPDE_INPUT_ERROR("training.stages[adam].decay must be none, exponential or step, got '" << o.decay << "'");
}

template <class T>
Adam<T>::Adam(std::size_t n, const AdamOptions& opts)
    : m_n(n),
      m_opts(opts),
      m_m("npde::optim::Adam::first_moment", n),
      m_v("npde::optim::Adam::second_moment", n) {
  validate(opts);
}

template <class T>
double Adam<T>::learning_rate() const {
  return scheduled_lr(m_opts, m_iteration) * m_lr_scale;
}

template <class T>
void Adam<T>::set_iteration(long k) {
  NPDE_REQUIRE(k >= 0, "k = " << k);
  m_iteration = k;
}

template <class T>
void Adam<T>::set_lr_scale(double s) {
  NPDE_REQUIRE(s > 0 && std::isfinite(s), "learning-rate scale s = " << s);
  m_lr_scale = s;
}

namespace {
template <class T>
std::vector<double> to_host_vector(const View1<T>& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}
template <class T>
void from_host_vector(const std::vector<double>& src, const View1<T>& v) {
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < src.size(); ++i) h(i) = T(src[i]);
  Kokkos::deep_copy(v, h);
}
}  // namespace

template <class T>
AdamState Adam<T>::state() const {
  AdamState s;
  s.m = to_host_vector(m_m);
  s.v = to_host_vector(m_v);
  s.iteration = m_iteration;
  s.lr_scale = m_lr_scale;
  if (m_steps.extent(0) > 0) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), m_steps);
    s.steps.assign(h.data(), h.data() + h.extent(0));
  }
  return s;
}

template <class T>
void Adam<T>::set_state(const AdamState& s) {
  NPDE_REQUIRE(s.m.size() == m_n && s.v.size() == m_n,
               "Adam state of size " << s.m.size() << "/" << s.v.size() << " for " << m_n << " parameters");
  from_host_vector(s.m, m_m);
  from_host_vector(s.v, m_v);
  NPDE_REQUIRE(s.steps.empty() || s.steps.size() == m_n,
               "Adam state with " << s.steps.size() << " step counts for " << m_n << " parameters");
  m_iteration = s.iteration;
  m_lr_scale = s.lr_scale;
  m_steps = Kokkos::View<double*, MemSpace>();
  if (!s.steps.empty()) {
    m_steps = Kokkos::View<double*, MemSpace>("npde::optim::Adam::steps", m_n);
    auto h = Kokkos::create_mirror_view(m_steps);
    for (std::size_t i = 0; i < m_n; ++i) h(i) = s.steps[i];
    Kokkos::deep_copy(m_steps, h);
  }
}

template <class T>
void Adam<T>::reset() {
  Kokkos::deep_copy(m_m, T(0));
  Kokkos::deep_copy(m_v, T(0));
  m_iteration = 0;
  m_steps = Kokkos::View<double*, MemSpace>();
}

namespace {
/// One parameter's update, shared by the plain and the masked step: the moments, then
/// p -= step_size m / (sqrt(v) inv_sqrt_correction2 + eps), i.e. m_hat / (sqrt(v_hat) + eps) with
/// m_hat = m / c1, v_hat = v / c2 (step_size = lr / c1).
template <class T>
struct Update {
  T beta1, beta2, one_minus_beta1, one_minus_beta2, eps;
  explicit Update(const AdamOptions& o)
      : beta1(static_cast<T>(o.beta1)),
        beta2(static_cast<T>(o.beta2)),
        one_minus_beta1(static_cast<T>(1.0 - o.beta1)),
        one_minus_beta2(static_cast<T>(1.0 - o.beta2)),
        eps(static_cast<T>(o.eps)) {}
  KOKKOS_INLINE_FUNCTION void operator()(T& m, T& v, T& p, const T g, const T step_size,
                                         const T inv_sqrt_correction2) const {
    m = beta1 * m + one_minus_beta1 * g;
    v = beta2 * v + one_minus_beta2 * g * g;
    p -= step_size * m / (math::sqrt(v) * inv_sqrt_correction2 + eps);
  }
};
}  // namespace

template <class T>
void Adam<T>::step(const View1<T>& params, const View1<const T>& grad) {
  detail::ScopedRegion region("npde::optim::Adam::step");
  NPDE_REQUIRE(params.extent(0) == m_n && grad.extent(0) == m_n,
               "params " << params.extent(0) << ", grad " << grad.extent(0) << ", optimiser size " << m_n);
  // Bias corrections and the step size are formed on the host in double, so float runs lose no
  // accuracy in 1 - beta^t for large t.
  const double t = static_cast<double>(m_iteration + 1);
  const double correction1 = 1.0 - std::pow(m_opts.beta1, t);
  const double correction2 = 1.0 - std::pow(m_opts.beta2, t);
  const T step_size = static_cast<T>(learning_rate() / correction1);
  const T inv_sqrt_correction2 = static_cast<T>(1.0 / std::sqrt(correction2));
  const Update<T> update(m_opts);
  auto m = m_m;
  auto v = m_v;
  Kokkos::parallel_for(
      "npde::optim::Adam::step", Kokkos::RangePolicy<ExecSpace>(0, m_n), KOKKOS_LAMBDA(const std::size_t i) {
        update(m(i), v(i), params(i), grad(i), step_size, inv_sqrt_correction2);
      });
  ++m_iteration;
}

template <class T>
void Adam<T>::step(const View1<T>& params, const View1<const T>& grad, const View1<const std::uint8_t>& mask) {
  if (mask.extent(0) == 0 && m_steps.extent(0) == 0) return step(params, grad);
  detail::ScopedRegion region("npde::optim::Adam::step_masked");
  NPDE_REQUIRE(params.extent(0) == m_n && grad.extent(0) == m_n && (mask.extent(0) == 0 || mask.extent(0) == m_n),
               "params " << params.extent(0) << ", grad " << grad.extent(0) << ", mask " << mask.extent(0)
                         << ", optimiser size " << m_n);
  if (m_steps.extent(0) == 0) {  // the first masked step: every parameter has taken the steps so far
    m_steps = Kokkos::View<double*, MemSpace>("npde::optim::Adam::steps", m_n);
    Kokkos::deep_copy(m_steps, double(m_iteration));
  }
  // the per-parameter bias corrections in double (1 - beta^t for large t), as the plain step's
  const double lr = learning_rate(), b1 = m_opts.beta1, b2 = m_opts.beta2;
  const Update<T> update(m_opts);
  const bool all = mask.extent(0) == 0;
  auto m = m_m;
  auto v = m_v;
  auto steps = m_steps;
  Kokkos::parallel_for(
      "npde::optim::Adam::step_masked", Kokkos::RangePolicy<ExecSpace>(0, m_n), KOKKOS_LAMBDA(const std::size_t i) {
        if (!all && mask(i) == 0) return;
        const double t = steps(i) + 1.0;
        steps(i) = t;
        update(m(i), v(i), params(i), grad(i), static_cast<T>(lr / (1.0 - math::pow(b1, t))),
               static_cast<T>(1.0 / math::sqrt(1.0 - math::pow(b2, t))));
      });
  ++m_iteration;
}

template class Adam<double>;
template class Adam<float>;

}  // namespace npde::optim
