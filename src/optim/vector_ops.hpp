// SPDX-License-Identifier: BSD-3-Clause
// Private vector kernels of optim/: elementwise updates and fixed-order (deterministic) reductions.
#pragma once

#include <npde/core/error.hpp>
#include <npde/core/math.hpp>
#include <npde/core/types.hpp>
#include <npde/optim/objective.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace npde::optim::detail {

/// Opens a Kokkos profiling region for the lifetime of the object (Kokkos 3.4 has no ScopedRegion).
class ScopedRegion {
 public:
  explicit ScopedRegion(const std::string& name) { Kokkos::Profiling::pushRegion(name); }
  ~ScopedRegion() { Kokkos::Profiling::popRegion(); }
  ScopedRegion(const ScopedRegion&) = delete;
  ScopedRegion& operator=(const ScopedRegion&) = delete;
};

/// y += alpha * x. Views of shape (n) on MemSpace.
template <class X, class Y>
void axpy(double alpha, const X& x, const Y& y) {
  using T = typename Y::non_const_value_type;
  const T a = static_cast<T>(alpha);
  Kokkos::parallel_for("npde::optim::axpy", Kokkos::RangePolicy<ExecSpace>(0, y.extent(0)),
                       KOKKOS_LAMBDA(const std::size_t i) { y(i) += a * x(i); });
}

/// x *= alpha.
template <class X>
void scale(double alpha, const X& x) {
  using T = typename X::non_const_value_type;
  const T a = static_cast<T>(alpha);
  Kokkos::parallel_for("npde::optim::scale", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
                       KOKKOS_LAMBDA(const std::size_t i) { x(i) *= a; });
}

/// out = base + t * dir. The same call with the same t always gives the same bits, which the line
/// search relies on when it rebuilds an already evaluated point.
template <class Out, class Base, class Dir>
void add_scaled(const Out& out, const Base& base, double t, const Dir& dir) {
  using T = typename Out::non_const_value_type;
  const T tt = static_cast<T>(t);
  Kokkos::parallel_for("npde::optim::add_scaled", Kokkos::RangePolicy<ExecSpace>(0, out.extent(0)),
                       KOKKOS_LAMBDA(const std::size_t i) { out(i) = base(i) + tt * dir(i); });
}

/// out = a - b.
template <class Out, class A, class B>
void difference(const Out& out, const A& a, const B& b) {
  Kokkos::parallel_for("npde::optim::difference", Kokkos::RangePolicy<ExecSpace>(0, out.extent(0)),
                       KOKKOS_LAMBDA(const std::size_t i) { out(i) = a(i) - b(i); });
}

/// Reductions whose summation order depends only on n, never on the thread count or backend
/// scheduling: n is cut into at most k_parts contiguous blocks (strided slices on GPUs, for
/// coalescing), each summed sequentially in double, and the partial results are combined on the
/// host in index order. This keeps optimiser decisions bit-identical across ranks even when ranks
/// run different OpenMP thread counts. Holds its partial-result buffers, allocated once.
class Reducer {
 public:
  static constexpr std::size_t k_parts = 1024;

  Reducer()
      : m_partials(Kokkos::ViewAllocateWithoutInitializing("npde::optim::Reducer::partials"), k_parts),
        m_partials_host(Kokkos::create_mirror_view(m_partials)) {}

  /// sum_i a(i) * b(i), accumulated in double.
  template <class A, class B>
  double dot(const A& a, const B& b) {
    return reduce(false, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(a(i)) * static_cast<double>(b(i));
    });
  }

  /// sum_i (a(i) - a0(i)) * (b(i) - b0(i)), differences taken in the value type (as stored later).
  template <class A, class B>
  double dot_of_differences(const A& a, const A& a0, const B& b, const B& b0) {
    return reduce(false, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(a(i) - a0(i)) * static_cast<double>(b(i) - b0(i));
    });
  }

  /// sum_i |a(i)|.
  template <class A>
  double norm_1(const A& a) {
    return reduce(false, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(math::fabs(a(i)));
    });
  }

  /// max_i |a(i)|; NaN if any entry is NaN (so callers can test isfinite on the result).
  template <class A>
  double norm_inf(const A& a) {
    return reduce(true, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(math::fabs(a(i)));
    });
  }

  /// Several reductions in one allreduce (segments active; local otherwise): batch_dot and
  /// batch_norm_inf take each one's per-segment partial sums now and return its index; batch_end()
  /// reduces them all at once and returns the values in that order, each combined in global segment
  /// order exactly as reduce() would, so a batched value has the same bits as the single reduction.
  template <class A, class B>
  std::size_t batch_dot(const A& a, const B& b) {
    return batch_add(false, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(a(i)) * static_cast<double>(b(i));
    });
  }
  template <class A, class B>
  std::size_t batch_dot_of_differences(const A& a, const A& a0, const B& b, const B& b0) {
    return batch_add(false, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(a(i) - a0(i)) * static_cast<double>(b(i) - b0(i));
    });
  }
  template <class A>
  std::size_t batch_norm_1(const A& a) {
    return batch_add(false, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(math::fabs(a(i)));
    });
  }
  template <class A>
  std::size_t batch_norm_inf(const A& a) {
    return batch_add(true, a.extent(0), KOKKOS_LAMBDA(const std::size_t i) {
      return static_cast<double>(math::fabs(a(i)));
    });
  }
  std::vector<double> batch_end() {
    const std::size_t S = m_segments.active() ? std::size_t(m_segments.total) : 1;
    if (m_segments.active() && !m_batch.empty()) {
      m_segments.allreduce_sum(m_batch.data(), m_batch.size());
      ++m_collectives;
    }
    std::vector<double> out(m_batch_max.size(), 0.0);
    for (std::size_t q = 0; q < out.size(); ++q) {
      double total = 0.0;
      for (std::size_t k = 0; k < S; ++k) {
        const double v = m_batch[q * S + k];
        total = m_batch_max[q] ? (v <= total ? total : v) : total + v;
      }
      out[q] = total;
    }
    m_batch.clear();
    m_batch_max.clear();
    return out;
  }
  /// Collective reductions so far (allreduces with active segments), for tests and benchmarks.
  long collectives() const { return m_collectives; }

  /// A vector spread over ranks in segments: reductions become collective (Segments).
  void set_segments(const Segments& segments) {
    NPDE_REQUIRE(!segments.active() || (segments.offsets.size() == segments.ids.size() + 1 && segments.allreduce_sum),
                 "inconsistent parameter segments");
    m_segments = segments;
  }

  /// Fixed-order sum (take_max false) or NaN-propagating max (take_max true) of term(i), i < n: over the
  /// local vector, or with segments over the global one (collective).
  /// Public only because CUDA forbids extended lambdas in private members.
  template <class Term>
  double reduce(bool take_max, std::size_t n, const Term& term) {
    if (!m_segments.active()) return reduce_range(take_max, 0, n, term);
    std::vector<double> per(std::size_t(m_segments.total), 0.0);
    segment_partials(take_max, term, per.data());
    m_segments.allreduce_sum(per.data(), per.size());  // one rank holds each segment: exact
    ++m_collectives;
    double total = 0.0;
    for (double v : per) total = take_max ? (v <= total ? total : v) : total + v;
    return total;
  }

  /// Queues one reduction of a batch (batch_dot and friends). Public for the same reason.
  template <class Term>
  std::size_t batch_add(bool take_max, std::size_t n, const Term& term) {
    if (!m_segments.active()) {
      m_batch.push_back(reduce_range(take_max, 0, n, term));
    } else {
      const std::size_t first = m_batch.size();
      m_batch.resize(first + std::size_t(m_segments.total), 0.0);
      segment_partials(take_max, term, m_batch.data() + first);
    }
    m_batch_max.push_back(take_max);
    return m_batch_max.size() - 1;
  }

  /// The reduction of each of this rank's segments into per[global segment id] (the others untouched).
  template <class Term>
  void segment_partials(bool take_max, const Term& term, double* per) {
    for (std::size_t k = 0; k < m_segments.ids.size(); ++k)
      per[std::size_t(m_segments.ids[k])] =
          reduce_range(take_max, m_segments.offsets[k], m_segments.offsets[k + 1] - m_segments.offsets[k], term);
  }

  /// reduce() over term(begin + i), i < n, of the local vector.
  template <class Term>
  double reduce_range(bool take_max, std::size_t begin0, std::size_t n, const Term& term) {
    if (n == 0) return 0.0;
    const std::size_t parts = std::min(n, k_parts);
    const std::size_t block = (n + parts - 1) / parts;
    auto partials = m_partials;
    Kokkos::parallel_for(
        "npde::optim::Reducer::partials", Kokkos::RangePolicy<ExecSpace>(0, parts),
        KOKKOS_LAMBDA(const std::size_t j) {
          // Contiguous blocks on the host (cache lines), interleaved slices on a GPU (coalescing).
          const std::size_t begin = device_is_host ? j * block : j;
          const std::size_t end = device_is_host ? (begin + block < n ? begin + block : n) : n;
          const std::size_t stride = device_is_host ? 1 : parts;
          double acc = 0.0;
          for (std::size_t i = begin; i < end; i += stride) {
            const double v = term(begin0 + i);
            acc = take_max ? (v <= acc ? acc : v) : acc + v;  // "v <= acc" is false for NaN v
          }
          partials(j) = acc;
        });
    Kokkos::deep_copy(m_partials_host, m_partials);
    double total = 0.0;
    for (std::size_t j = 0; j < parts; ++j) {
      const double v = m_partials_host(j);
      total = take_max ? (v <= total ? total : v) : total + v;
    }
    return total;
  }

 private:
  View1<double> m_partials;
  View1<double>::HostMirror m_partials_host;
  Segments m_segments;
  std::vector<double> m_batch;   ///< queued per-segment partials, S per reduction
  std::vector<bool> m_batch_max; ///< per queued reduction: max (true) or sum
  long m_collectives = 0;
};

}  // namespace npde::optim::detail
