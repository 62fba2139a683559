// SPDX-License-Identifier: BSD-3-Clause
// Benchmark of the raw jet kernels (JetMlp forward + backward) against their GEMMs alone.
//
//   bench_jet_kernels [--arch 2-64x4-1] [--n 1000 10000 100000] [--dtype float64 float32]
//                     [--chunk 2048 ...] [--jet laplacian diagonal burgers heat] [--reps 5]
//                     [--min-time 0.5] [--peak 2048] [--shapes] [--network mlp modified_mlp]
//                     [--gaussians K]
//
// Single process, no MPI, so it also builds with NPDE_KERNELS_ONLY (e.g. for a GPU check).
// --jet picks the channels (default laplacian, the forward-Laplacian jet of d+2 channels):
//   laplacian  u, grad u, Laplacian over all inputs      diagonal  u, grad u, every d2u/dx_k^2
//   burgers    u, grad u, d2u/dx_k^2 for all but the last input (the last one is time: no u_tt)
//   heat       u, grad u, Laplacian over all but the last input
//   stream     u, grad u, every second and third derivative (the stream-function form of
//              Navier-Stokes: u = psi_y, v = -psi_x need psi_xxx ... psi_yyy); 2 or 3 inputs
// For N points in chunks it times:
//   fwd   JetMlp::forward over all chunks;
//   jet   JetMlp::forward + JetMlp::backward (the network part of a training step);
//   gemm  the same layer GEMMs alone (bench::GemmReplay);
// interleaved repetition by repetition, so jet - gemm is the time spent outside GEMMs (first layer,
// bias, activation jets, small GEMVs).
// Output, one line per configuration:
//   npde-kernels arch=... dtype=... jet=... channels=... N=... chunk=... fwd_ms=... jet_ms=... gemm_ms=...
//                gemm_share=... jet_gflops=... gemm_gflops=...
// (times are minima over repetitions; gflops use the useful count 3*C*2*N*sum w_i w_{i+1} for C
// channels, which is 3*(d+2)*2*N*sum w_i w_{i+1} for the Laplacian jet; a modified MLP adds its two
// encoders, 2 d w_1, to the sum, while `gemm` replays the layers' GEMMs only).
// --gaussians K puts K trainable Gaussian features (PIG) of the arch's inputs in front of the network
// (its first layer then reads K features); `jet` then includes their jets and the reverse pass to
// their centres and widths, which the useful-FLOP count leaves out (it counts the layers alone).
// --shapes adds, per chunk size, the time and rate of each of the three GEMMs of the first, a
// hidden and the last layer alone:
//   npde-gemm-shapes dtype=... layer=INxOUT columns=... fwd_us=... wgrad_us=... adj_us=... fwd_gflops=... ...
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <exception>
#include <utility>

#include "bench_util.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/nn/jet_mlp.hpp"

namespace {

using namespace npde;

/// The channels of `--jet name` for d inputs; in the space-time shapes the last input is time.
nn::JetSpec jet_spec_named(const std::string& name, int d) {
  if (name == "laplacian") return nn::JetSpec::laplacian(d);
  if (name == "diagonal") return nn::JetSpec::diagonal(d);
  if (name == "stream") {
    NPDE_REQUIRE(d == 2 || d == 3, "bench_jet_kernels: --jet stream takes 2 or 3 inputs, got " << d);
    nn::JetSpec spec = nn::JetSpec::diagonal(d);
    for (int a = 0; a < d; ++a)
      for (int b = a + 1; b < d; ++b) spec.mixed.push_back({a, b});
    for (int a = 0; a < d; ++a)
      for (int b = a; b < d; ++b)
        for (int c = b; c < d; ++c) spec.third.push_back({a, b, c});
    return spec;
  }
  NPDE_REQUIRE(name == "burgers" || name == "heat",
               "bench_jet_kernels: --jet '" << name << "' is not laplacian, diagonal, burgers, heat or stream");
  NPDE_REQUIRE(d >= 2, "bench_jet_kernels: --jet " << name << " needs at least one space and one time input");
  nn::JetSpec spec = nn::JetSpec::first_order(d);
  for (int k = 0; k + 1 < d; ++k) (name == "burgers" ? spec.diagonal_terms : spec.laplacian_terms).push_back(k);
  return spec;
}

template <class T>
void bench_kernels(const bench::Arch& arch, const std::string& network, const std::string& jet_name, long n, int chunk,
                   int reps, double min_time, int gaussians) {
  nn::Mlp<T> net(gaussians > 0 ? gaussians : arch.n_in, arch.hidden, arch.n_out, nn::Activation::Tanh,
                 nn::architecture_from_name(network, "bench_jet_kernels --network"));
  net.init_glorot(0);
  if (gaussians > 0)
    net.set_embedding(nn::InputEmbedding::gaussian(std::vector<double>(std::size_t(arch.n_in), 0.0),
                                                   std::vector<double>(std::size_t(arch.n_in), 1.0), gaussians, 0.1, 0));
  const auto spec = jet_spec_named(jet_name, arch.n_in);
  nn::JetMlp<T> jet(net, spec, chunk);
  const int channels = spec.n_channels();
  const auto x = bench::random_view<T>(std::size_t(arch.n_in) * n, 1, 0, 1, "npde::bench::x");
  const auto adj =
      bench::random_view<T>(std::size_t(arch.n_out) * channels * chunk, 2, -1e-3, 1e-3, "npde::bench::adj");
  View1<T> grad("npde::bench::grad", net.n_params());
  bench::GemmReplay<T> replay(net.widths(), channels, chunk);
  Kokkos::fence();

  auto over_chunks = [&](auto&& body) {
    for (long off = 0; off < n; off += chunk) body(x.data() + off * arch.n_in, int(std::min<long>(chunk, n - off)));
    Kokkos::fence();
  };
  auto forward = [&] { over_chunks([&](const T* xc, int m) { jet.forward(xc, m); }); };
  auto forward_backward = [&] {
    over_chunks([&](const T* xc, int m) {
      jet.forward(xc, m);
      jet.backward(xc, m, adj.data(), grad.data());
    });
  };
  auto gemms = [&] { over_chunks([&](const T*, int m) { replay.run(m); }); };
  const auto t =
      bench::time_interleaved({forward, forward_backward, gemms}, reps, min_time, [](double v) { return v; });
  const auto &fwd = t[0], &full = t[1], &gemm = t[2];
  const double flops = 3.0 * channels * 2.0 * double(n) * double(net.macs_per_point());
  std::printf(
      "npde-kernels arch=%s network=%s gaussians=%d dtype=%s jet=%s channels=%d N=%ld chunk=%d fwd_ms=%.3f jet_ms=%.3f gemm_ms=%.3f "
      "gemm_share=%.3f jet_gflops=%.2f gemm_gflops=%.2f\n",
      arch.text.c_str(), network.c_str(), gaussians, std::is_same_v<T, double> ? "float64" : "float32", jet_name.c_str(), channels, n, chunk,
      fwd.min_s * 1e3, full.min_s * 1e3, gemm.min_s * 1e3, gemm.min_s / full.min_s, flops / full.min_s / 1e9,
      flops / gemm.min_s / 1e9);
  std::fflush(stdout);
}

/// Time of the three products of one layer (wi inputs -> wo outputs) on jets of `chunk` points with
/// c channels (cn = c*chunk columns): forward z = W a (wo x cn x wi), weight gradient gW += zbar a^T
/// (wo x wi x cn), input adjoint abar = W^T zbar (wi x cn x wo). Shows which products fall short of
/// the large-GEMM rate: the thin first and last layers move as much memory as a hidden layer.
template <class T>
void bench_gemm_shapes(int wi, int wo, int channels, int chunk, int reps, double min_time) {
  const int cn = channels * chunk;
  const auto W = bench::random_view<T>(std::size_t(wo) * wi, 1, -0.2, 0.2, "npde::bench::shapes::W");
  const auto a = bench::random_view<T>(std::size_t(wi) * cn, 2, -1, 1, "npde::bench::shapes::a");
  const auto z = bench::random_view<T>(std::size_t(wo) * cn, 3, -1, 1, "npde::bench::shapes::z");
  View1<T> g("npde::bench::shapes::g", std::size_t(wo) * wi);
  auto fenced = [](auto&& f) {
    return [f] {
      f();
      Kokkos::fence();
    };
  };
  const auto t = bench::time_interleaved(
      {fenced([&] { nn::gemm<T>(false, false, wo, cn, wi, T(1), W.data(), a.data(), T(0), z.data()); }),
       fenced([&] { nn::gemm<T>(false, true, wo, wi, cn, T(1), z.data(), a.data(), T(1), g.data()); }),
       fenced([&] { nn::gemm<T>(true, false, wi, cn, wo, T(1), W.data(), z.data(), T(0), a.data()); })},
      reps, min_time, [](double v) { return v; });
  const double gflop = 2.0 * wo * wi * double(cn) / 1e9;
  std::printf(
      "npde-gemm-shapes dtype=%s layer=%dx%d columns=%d fwd_us=%.1f wgrad_us=%.1f adj_us=%.1f fwd_gflops=%.2f "
      "wgrad_gflops=%.2f adj_gflops=%.2f\n",
      std::is_same_v<T, double> ? "float64" : "float32", wi, wo, cn, t[0].min_s * 1e6, t[1].min_s * 1e6,
      t[2].min_s * 1e6, gflop / t[0].min_s, gflop / t[1].min_s, gflop / t[2].min_s);
  std::fflush(stdout);
}

int run(const bench::Args& args) {
  args.require_known({"arch", "n", "dtype", "chunk", "jet", "reps", "min-time", "peak", "shapes", "network", "gaussians"});
  const int gaussians = args.has("gaussians") ? int(args.ints("gaussians", {64}).front()) : 0;
  const auto networks = args.list("network", {"mlp"});
  const auto arch = bench::parse_arch(args.list("arch", {"2-64x4-1"}).front());
  const auto ns = args.ints("n", {1000, 10000, 100000});
  const auto dtypes = args.list("dtype", {"float64", "float32"});
  const auto chunks = args.ints("chunk", {2048});
  const auto jets = args.list("jet", {"laplacian"});
  for (const auto& j : jets) jet_spec_named(j, arch.n_in);  // reject a bad name before any timing
  const int reps = int(args.real("reps", 5));
  const double min_time = args.real("min-time", 0.5);
  const std::string core = nn::blas_core_name();
  std::printf("npde-info ranks=1 blas_core=%s OPENBLAS_CORETYPE=%s exec_space=%s\n", core.c_str(),
              std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "<unset>", ExecSpace::name());
  const auto w = bench::blas_warning(core);
  if (!w.empty()) std::fprintf(stderr, "bench_jet_kernels: %s\n", w.c_str());
  if (args.has("peak")) {
    const int size = int(args.ints("peak", {2048}).front());
    for (const auto& dt : dtypes)
      std::printf(
          "npde-peak dtype=%s size=%d ranks=1 gflops_per_core_min=%.2f\n", bench::is_double(dt) ? "float64" : "float32",
          size,
          bench::is_double(dt) ? bench::gemm_peak_gflops<double>(size, 8) : bench::gemm_peak_gflops<float>(size, 8));
  }
  if (args.has("shapes"))
    for (const auto& dt : dtypes)
      for (const long chunk : chunks) {
        // the first, a hidden and the last layer (all hidden layers of an in-WxK-out net are alike)
        const int w = arch.hidden.front(), c = nn::JetSpec::laplacian(arch.n_in).n_channels();
        for (const auto& [wi, wo] : {std::pair{arch.n_in, w}, std::pair{w, w}, std::pair{w, arch.n_out}}) {
          if (bench::is_double(dt))
            bench_gemm_shapes<double>(wi, wo, c, int(chunk), reps, min_time);
          else
            bench_gemm_shapes<float>(wi, wo, c, int(chunk), reps, min_time);
        }
      }
  for (const auto& network : networks)
    for (const auto& jet : jets)
      for (const auto& dt : dtypes)
        for (const long n : ns)
          for (const long chunk : chunks) {
            if (bench::is_double(dt))
              bench_kernels<double>(arch, network, jet, n, int(chunk), reps, min_time, gaussians);
            else
              bench_kernels<float>(arch, network, jet, n, int(chunk), reps, min_time, gaussians);
          }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return npde::bench::single_process_main(argc, argv, "bench_jet_kernels", run); }
