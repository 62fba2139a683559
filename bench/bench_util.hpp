// SPDX-License-Identifier: BSD-3-Clause
// Shared pieces of the benchmark drivers: command-line lists, repeated timing, GEMM peak, BLAS check.
#pragma once

#include <algorithm>
#include <chrono>
#include <exception>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/core/types.hpp"
#include "npde/nn/gemm.hpp"

namespace npde::bench {

/// `--key v1 v2 ...` options: every value up to the next `--` word belongs to the key.
class Args {
 public:
  Args(int argc, char** argv) {
    std::string key;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a.rfind("--", 0) == 0) {
        key = a.substr(2);
        m_values[key];  // a flag without values is present
      } else {
        NPDE_REQUIRE(!key.empty(), "npde::bench::Args: value '" << a << "' before any --option");
        m_values[key].push_back(a);
      }
    }
  }
  /// Throws npde::Error naming the first option not in `known` (a typo must not pass unnoticed).
  void require_known(const std::set<std::string>& known) const {
    for (const auto& kv : m_values)
      NPDE_REQUIRE(known.count(kv.first), "npde::bench::Args: unknown option --" << kv.first);
  }
  bool has(const std::string& key) const { return m_values.count(key) > 0; }
  std::vector<std::string> list(const std::string& key, std::vector<std::string> fallback) const {
    const auto it = m_values.find(key);
    return it == m_values.end() || it->second.empty() ? fallback : it->second;
  }
  std::vector<long> ints(const std::string& key, std::vector<long> fallback) const {
    if (!has(key) || m_values.at(key).empty()) return fallback;
    std::vector<long> out;
    for (const auto& s : m_values.at(key)) out.push_back(std::stol(s));
    return out;
  }
  double real(const std::string& key, double fallback) const {
    return has(key) && !m_values.at(key).empty() ? std::stod(m_values.at(key).front()) : fallback;
  }

 private:
  std::map<std::string, std::vector<std::string>> m_values;
};

/// Network shape "in-WxK-out" (the PyTorch script's --arch), e.g. 2-64x4-1.
struct Arch {
  int n_in = 2, n_out = 1;
  std::vector<int> hidden;
  std::string text;
  /// Multiply-adds of one value pass: sum_l w_l * w_{l+1}.
  long macs() const {
    std::vector<int> w{n_in};
    w.insert(w.end(), hidden.begin(), hidden.end());
    w.push_back(n_out);
    long m = 0;
    for (std::size_t l = 0; l + 1 < w.size(); ++l) m += long(w[l]) * w[l + 1];
    return m;
  }
};

inline Arch parse_arch(const std::string& s) {
  Arch a;
  a.text = s;
  int width = 0, depth = 0;
  char d1 = 0, x = 0, d2 = 0;
  std::istringstream is(s);
  is >> a.n_in >> d1 >> width >> x >> depth >> d2 >> a.n_out;
  NPDE_REQUIRE(is && d1 == '-' && x == 'x' && d2 == '-' && width > 0 && depth > 0,
               "npde::bench::parse_arch: '" << s << "' is not in-WxK-out (e.g. 2-64x4-1)");
  a.hidden.assign(depth, width);
  return a;
}

/// The same hidden layers with other input and output widths (an equation's), e.g. 2-64x4-3.
inline Arch with_io(const Arch& a, int n_in, int n_out) {
  Arch b = a;
  b.n_in = n_in;
  b.n_out = n_out;
  b.text = std::to_string(n_in) + "-" + std::to_string(a.hidden.front()) + "x" + std::to_string(a.hidden.size()) +
           "-" + std::to_string(n_out);
  return b;
}

/// Useful flops of one training step with jets of `channels` channels (docs/numerics.md, "Forward
/// jets" and "Reverse pass"): every channel through every layer forward, and twice that backward,
/// 3 C 2 N sum_l w_l w_{l+1}. The outputs of a system are the last layer's width (in macs()), not
/// extra channels.
inline double useful_flops(const Arch& a, double n_points, int channels) {
  return 3.0 * channels * 2.0 * n_points * double(a.macs());
}

/// The forward-Laplacian jet in d = n_in dimensions: d+2 channels (the count the PyTorch script uses too).
inline double useful_flops(const Arch& a, double n_points) { return useful_flops(a, n_points, a.n_in + 2); }

/// "float64" / "float32" (PyTorch's names), also accepting "double" / "float".
inline bool is_double(const std::string& dtype) {
  NPDE_REQUIRE(dtype == "float64" || dtype == "float32" || dtype == "double" || dtype == "float",
               "npde::bench: dtype '" << dtype << "' is not float64 or float32");
  return dtype == "float64" || dtype == "double";
}

/// Seconds per call: minimum and median over repetitions.
struct Timing {
  double min_s = 0, median_s = 0;
  long calls_per_rep = 0;
};

/// Times several operations like the PyTorch script times its step: two warm-up calls each, then
/// `reps` repetitions, each long enough to last `min_time` seconds (at least 2 calls); a repetition's
/// time is its mean per call. The operations take turns repetition by repetition, so a change in
/// the machine's load (other tenants, other users) hits all of them alike and their differences
/// stay meaningful. `agree_max` maps a local value to its maximum over ranks (identity for one
/// process): every rank runs the same number of calls and a repetition lasts as long as its slowest
/// rank. Collective when agree_max is.
template <class AgreeMax>
std::vector<Timing> time_interleaved(const std::vector<std::function<void()>>& ops, int reps, double min_time,
                                     AgreeMax&& agree_max) {
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  std::vector<long> calls(ops.size(), 0);
  std::vector<std::vector<double>> per(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ops[i]();
    ops[i]();
    const auto t0 = clock::now();
    bool more = true;
    while (more) {  // decided together: an operation may hold a collective (the step's allreduce)
      ops[i]();
      ++calls[i];
      more = agree_max(calls[i] < 2 || seconds(t0, clock::now()) < min_time ? 1.0 : 0.0) > 0;
    }
  }
  for (int r = 0; r < reps; ++r)
    for (std::size_t i = 0; i < ops.size(); ++i) {
      agree_max(0.0);  // line the ranks up before the clock starts
      const auto t = clock::now();
      for (long k = 0; k < calls[i]; ++k) ops[i]();
      per[i].push_back(agree_max(seconds(t, clock::now())) / double(calls[i]));
    }
  std::vector<Timing> out;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    std::sort(per[i].begin(), per[i].end());
    out.push_back({per[i].front(), per[i][per[i].size() / 2], calls[i]});
  }
  return out;
}

/// A device View of n uniform values in [lo, hi), reproducible from `stream`.
template <class T>
View1<T> random_view(std::size_t n, std::uint64_t stream, double lo, double hi, const char* label) {
  View1<T> v(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), n);
  Kokkos::parallel_for(
      "npde::bench::random_view", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const std::size_t i) { v(i) = T(lo + (hi - lo) * rng::uniform(7, stream, i)); });
  return v;
}

/// The layer GEMMs of one jet forward + backward pass alone ("GEMM replay"): per layer z = W a,
/// gW += zbar a^T and, except for the first layer, abar = W^T zbar, at the jets' shapes
/// (width x channels*n) and on per-layer buffers, so the cache traffic matches the real pass;
/// only the elementwise work (activation jets, bias, first-layer tangents) is missing.
template <class T>
class GemmReplay {
 public:
  /// [in] widths: the network's layer widths; [in] channels: jet channels; [in] chunk: points per pass.
  GemmReplay(const std::vector<int>& widths, int channels, int chunk) : m_w(widths), m_c(channels) {
    int maxw = 0;
    for (const int w : widths) maxw = std::max(maxw, w);
    const std::size_t cols = std::size_t(channels) * chunk;
    for (std::size_t l = 0; l < widths.size(); ++l) {
      m_act.push_back(random_view<T>(widths[l] * cols, 10 + l, -1, 1, "npde::bench::GemmReplay::a"));
      if (l + 1 < widths.size()) {
        m_weight.push_back(
            random_view<T>(std::size_t(widths[l]) * widths[l + 1], 40 + l, -0.2, 0.2, "npde::bench::GemmReplay::W"));
        m_grad.push_back(View1<T>("npde::bench::GemmReplay::gW", std::size_t(widths[l]) * widths[l + 1]));
      }
    }
    m_adj[0] = random_view<T>(maxw * cols, 80, -1, 1, "npde::bench::GemmReplay::adj0");
    m_adj[1] = random_view<T>(maxw * cols, 81, -1, 1, "npde::bench::GemmReplay::adj1");
  }

  /// The GEMMs of one pass over n <= chunk points.
  void run(int n) {
    const int nl = int(m_w.size()) - 1, cn = m_c * n;
    for (int l = 0; l < nl; ++l)
      nn::gemm<T>(false, false, m_w[l + 1], cn, m_w[l], T(1), m_weight[l].data(), m_act[l].data(), T(0),
                  m_act[l + 1].data());
    for (int l = nl - 1; l >= 0; --l) {
      const T* zbar = m_adj[l % 2].data();
      nn::gemm<T>(false, true, m_w[l + 1], m_w[l], cn, T(1), zbar, m_act[l].data(), T(1), m_grad[l].data());
      if (l > 0)
        nn::gemm<T>(true, false, m_w[l], cn, m_w[l + 1], T(1), m_weight[l].data(), zbar, T(0),
                    m_adj[(l + 1) % 2].data());
    }
  }

 private:
  std::vector<int> m_w;
  int m_c;
  std::vector<View1<T>> m_act, m_weight, m_grad;
  View1<T> m_adj[2];
};

/// Single-thread GEMM rate in GFLOP/s of a size^3 product through nn::gemm (CBLAS on the host:
/// cblas_dgemm / cblas_sgemm), best of `reps`. Run on every rank at once it gives the per-core
/// rate with all cores busy.
template <class T>
double gemm_peak_gflops(int size, int reps) {
  const std::size_t nn = std::size_t(size) * size;
  View1<T> a("npde::bench::peak::a", nn), b("npde::bench::peak::b", nn), c("npde::bench::peak::c", nn);
  Kokkos::parallel_for(
      "npde::bench::peak::fill", Kokkos::RangePolicy<ExecSpace>(0, nn), KOKKOS_LAMBDA(const std::size_t i) {
        a(i) = T(rng::uniform(1, 0, i) - 0.5);
        b(i) = T(rng::uniform(2, 0, i) - 0.5);
      });
  Kokkos::fence();
  double best = 0;
  for (int r = 0; r < reps + 1; ++r) {  // the first call pays for page faults and thread start
    const auto t0 = std::chrono::steady_clock::now();
    nn::gemm<T>(false, false, size, size, size, T(1), a.data(), b.data(), T(0), c.data());
    Kokkos::fence();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) best = std::max(best, 2.0 * double(size) * size * size / s / 1e9);
  }
  return best;
}

/// A warning when OpenBLAS runs a generic kernel set on a CPU with AVX2/AVX-512 (Debian's 0.3.21
/// misdetects recent CPUs unless OPENBLAS_CORETYPE is set; see scripts/npde-env.sh), else "".
inline std::string blas_warning(const std::string& core) {
  static const std::set<std::string> generic{"Prescott", "Core2",     "Nehalem", "Penryn", "Dunnington",
                                             "Katmai",   "Northwood", "Banias",  "Atom",   "unknown"};
  if (!generic.count(core)) return "";
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) break;
  if (line.find(" avx2") == std::string::npos && line.find(" avx512f") == std::string::npos) return "";
  return "WARNING: OpenBLAS uses the generic '" + core +
         "' kernels on a CPU with AVX2/AVX-512: GEMMs run several times slower than they can. "
         "Run `source scripts/npde-env.sh` (sets OPENBLAS_CORETYPE) first.";
}

/// main() of a single-process benchmark: one BLAS thread, Kokkos around run(args), an error as one
/// line "name: message" on stderr and exit code 1.
template <class Run>
int single_process_main(int argc, char** argv, const char* name, Run&& run) {
  nn::blas_set_single_thread();
  int rc = 0;
  Kokkos::initialize(argc, argv);
  try {
    rc = run(Args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    rc = 1;
  }
  Kokkos::finalize();
  return rc;
}

}  // namespace npde::bench
