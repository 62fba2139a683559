// SPDX-License-Identifier: BSD-3-Clause
// Benchmark of one TFNO training step, the shape of the peer's torch_tfno_step.py (neuraloperator's
// 2D defaults: lifting, L Fourier blocks, projection; Tucker spectral weights of rank fraction r or
// dense ones):
//
//   bench_fno_step [--res 64 128] [--batch 16] [--hidden 32 64] [--modes 16] [--layers 4]
//                  [--rank 0.1] [--impl factorized reconstructed dense] [--dtype float32 float64]
//                  [--reps 5] [--min-time 1.0]
//
// One step = forward + relative-L2 loss + backward + Adam on a random batch (single process). Prints
//   npde tfno impl=... res=... batch=... hidden=... modes=... layers=... dtype=... params=...
//        spectral_params=... step_ms_min=... step_ms_median=... samples_per_s=... fwd_ms_min=...
//        infer_samples_per_s=... (fwd: inference, FnoModel::predict) ...
// `modes` keeps modes x (modes/2 + 1) spectral coefficients, as the peer does.
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <exception>

#include "bench_util.hpp"
#include "npde/fno/fno_model.hpp"
#include "npde/fno/losses.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/optim/adam.hpp"

namespace {

using namespace npde;

template <class T>
void bench(const std::string& impl, int res, int batch, int hidden, int modes, int layers, double rank, int reps,
           double min_time, long tile) {
  fno::FnoShape s;
  s.in = 1, s.out = 1, s.width = hidden, s.blocks = layers, s.modes_x = modes, s.modes_y = modes;
  if (impl == "factorized" || impl == "reconstructed")
    s.weights = {fno::SpectralWeights::Kind::Tucker, rank, {}, impl == "reconstructed"};
  else
    NPDE_REQUIRE(impl == "dense", "bench_fno_step: --impl '" << impl << "' is not factorized, reconstructed or dense");
  fno::FnoModel<T> model(s);
  model.set_tile_points(tile);
  View1<T> params("npde::bench::fno::params", model.n_params()), grad("npde::bench::fno::grad", model.n_params());
  model.init(params.data(), 0);
  optim::AdamOptions ao;
  optim::Adam<T> adam(model.n_params(), ao);
  const std::size_t n = std::size_t(batch) * res * res;
  const auto x = bench::random_view<T>(n, 1, -1, 1, "npde::bench::fno::x");
  const auto target = bench::random_view<T>(n, 2, -1, 1, "npde::bench::fno::y");
  View1<T> y("npde::bench::fno::out", n), ybar("npde::bench::fno::ybar", n);
  auto step = [&] {
    Kokkos::deep_copy(grad, T(0));
    model.forward(params.data(), x.data(), batch, res, res, y.data());
    fno::relative_l2(y.data(), target.data(), batch, long(res) * res, ybar.data());
    model.backward(params.data(), ybar.data(), nullptr, grad.data());
    adam.step(params, grad);
    Kokkos::fence();
  };
  auto infer = [&] {
    model.predict(params.data(), x.data(), batch, res, res, y.data());
    Kokkos::fence();
  };
  const auto t = bench::time_interleaved({step, infer}, reps, min_time, [](double v) { return v; });
  static const double peak = bench::gemm_peak_gflops<T>(512, 3);  // this precision's single-core GEMM rate
  const double gflops = model.step_flops(batch, res, res) / t[0].min_s / 1e9;
  std::printf("npde-info tile_points=%ld\n", model.tile_points());
  std::printf(
      "npde tfno impl=%s res=%d batch=%d hidden=%d modes=%d layers=%d dtype=%s params=%zu spectral_params=%zu "
      "step_ms_min=%.2f step_ms_median=%.2f samples_per_s=%.2f fwd_ms_min=%.2f infer_samples_per_s=%.2f "
      "step_gflop=%.3f gflops=%.2f gemm_peak_gflops=%.2f pct_peak=%.1f\n",
      impl.c_str(), res, batch, hidden, modes, layers, std::is_same_v<T, double> ? "float64" : "float32",
      model.n_params(), model.spectral_params(), t[0].min_s * 1e3, t[0].median_s * 1e3, batch / t[0].min_s,
      t[1].min_s * 1e3, batch / t[1].min_s, model.step_flops(batch, res, res) / 1e9, gflops, peak,
      100.0 * gflops / peak);
  std::fflush(stdout);
}

int run(const bench::Args& args) {
  args.require_known({"res", "batch", "hidden", "modes", "layers", "rank", "impl", "dtype", "reps", "min-time", "tile"});
  const auto res = args.ints("res", {64, 128}), batches = args.ints("batch", {16}), hiddens = args.ints("hidden", {32, 64});
  const int modes = int(args.ints("modes", {16}).front()), layers = int(args.ints("layers", {4}).front());
  const double rank = args.real("rank", 0.1), min_time = args.real("min-time", 1.0);
  const int reps = int(args.real("reps", 5));
  const auto tiles = args.ints("tile", {0});  // grid points per tile of the pointwise layers (0: automatic)
  std::printf("npde-info ranks=1 blas_core=%s OPENBLAS_CORETYPE=%s exec_space=%s\n", nn::blas_core_name().c_str(),
              std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "<unset>", ExecSpace::name());
  for (const auto& dt : args.list("dtype", {"float32", "float64"}))
    for (const auto& impl : args.list("impl", {"factorized", "reconstructed", "dense"}))
      for (long h : hiddens)
        for (long r : res)
          for (long b : batches)
            for (long tile : tiles) {
              if (bench::is_double(dt))
                bench<double>(impl, int(r), int(b), int(h), modes, layers, rank, reps, min_time, tile);
              else
                bench<float>(impl, int(r), int(b), int(h), modes, layers, rank, reps, min_time, tile);
            }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return npde::bench::single_process_main(argc, argv, "bench_fno_step", run); }
