// SPDX-License-Identifier: BSD-3-Clause
// Benchmark of one PINN training step (jets + residual loss + reverse pass + allreduce + Adam).
//
//   mpirun -n 2 bench_pinn_step [--arch 2-64x4-1] [--n 1000 10000 100000] [--dtype float64 float32]
//                               [--chunk C ...] [--reps 5] [--min-time 0.5] [--peak 2048] [--breakdown]
//                               [--equation poisson burgers navier_stokes]
//
// One line per configuration on rank 0, in the PyTorch script's key=value format
// (/work/shared/bench/torch_pinn_step.py), so scripts/bench.sh can put both side by side:
//   npde arch=2-64x4-1 dtype=float64 N=10000 ranks=2 chunk=2048 step_ms_min=... step_ms_median=...
//        points_per_s=... gflops=... calls_per_rep=... loss_first=... loss_last=...
// N is the global number of collocation points, split over the ranks (data parallel); --chunk
// defaults to PinnOptions' default. --peak S also times an S^3 DGEMM/SGEMM on every rank at once:
// the per-core GEMM rate with all ranks busy. --breakdown adds, per configuration, the times of
// the loss and gradient alone, the network's jets alone and their GEMMs alone (rank maxima):
//   npde-breakdown ... step_ms=... loss_grad_ms=... jet_ms=... gemm_ms=... gemm_gflops=...
// --equation picks the equations (default poisson, the step above); burgers and navier_stokes time
// the general equation kernel's step (pinn::EquationKernel on JetMlp jets, as pinn::Pinn runs its
// interior term) with the hidden layers of --arch and the equation's inputs and outputs (2-64x4-1,
// 2-64x4-3); their PyTorch counterpart is bench/torch_pinn_step_systems.py:
//   npde-eq eq=burgers arch=2-64x4-1 channels=4 dtype=float64 N=10000 ranks=2 chunk=256 step_ms_min=...
//   npde-eq-breakdown eq=... step_ms=... loss_grad_ms=... jet_ms=... gemm_ms=... gemm_gflops=...
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>

#include "bench_util.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/nn/jet_mlp.hpp"
#include "npde/optim/adam.hpp"
#include "npde/pde/navier_stokes.hpp"
#include "npde/pde/scalar_equations.hpp"
#include "npde/pinn/equation_kernel.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/catalogue.hpp"

namespace {

using namespace npde;

/// -Lap u = 1 on the unit box with u = 0 on every face, in arch.n_in dimensions (the PyTorch
/// script's residual -lap u - f with f = 1; here with the hard-BC trial function on top).
pde::Problem unit_problem(int dim) {
  pde::Problem p;
  p.equation = "poisson";
  p.n_space = dim;
  p.box.dim = dim;
  p.data.emplace_back("1", p.input_names(), "bench.source");
  p.exact.emplace_back(std::nullopt);
  pde::Condition c;
  c.kind = pde::ConditionKind::Dirichlet;
  for (int f = 0; f < 2 * dim; ++f) c.faces.push_back(f);
  c.value = Expression("0", p.input_names(), "bench.dirichlet");
  p.conditions.push_back(std::move(c));
  p.hard = true;
  return p;
}

/// Times the training step at N global points; with `breakdown` also, interleaved with it, the
/// loss and gradient alone, the network's jets alone (JetMlp forward + backward over this rank's
/// points) and their GEMMs alone (bench::GemmReplay), so the differences say where the time goes.
template <class T>
void bench_step(const decomp::Communicator& comm, const bench::Arch& arch, long n, int chunk, int reps, double min_time,
                bool breakdown) {
  pinn::PinnOptions opts;
  opts.hidden = arch.hidden;
  opts.activation = nn::Activation::Tanh;
  opts.hard_bc = true;
  opts.n_interior = std::size_t(n);
  opts.chunk = chunk;
  pinn::Pinn<T> pinn(comm, unit_problem(arch.n_in), pinn::make_catalogue_kernel<T>("poisson", arch.n_in), opts);
  optim::Adam<T> adam(pinn.n_params(), optim::AdamOptions{});
  View1<T> grad("npde::bench::grad", pinn.n_params());
  const View1<T> params = pinn.params();
  double loss = 0, loss_first = -1;
  std::vector<std::function<void()>> ops{[&] {
    loss = double(pinn.loss_and_gradient(grad));
    adam.step(params, grad);
    Kokkos::fence();
    if (loss_first < 0) loss_first = loss;
  }};

  // breakdown: the same work as the step's network part, on random points of this rank's count
  const long n_local = long(decomp::block_range(std::size_t(n), comm.rank(), comm.size()).size());
  const auto spec = nn::JetSpec::laplacian(arch.n_in);
  std::unique_ptr<nn::JetMlp<T>> jet;
  std::unique_ptr<bench::GemmReplay<T>> replay;
  View1<T> x, adj, grad_jet;
  auto over_chunks = [&](auto&& body) {
    for (long off = 0; off < n_local; off += chunk)
      body(x.data() + off * arch.n_in, int(std::min<long>(chunk, n_local - off)));
    Kokkos::fence();
  };
  if (breakdown) {
    jet = std::make_unique<nn::JetMlp<T>>(pinn.network(), spec, chunk);
    replay = std::make_unique<bench::GemmReplay<T>>(pinn.network().widths(), spec.n_channels(), chunk);
    x = bench::random_view<T>(std::size_t(arch.n_in) * n_local, 1, 0, 1, "npde::bench::x");
    adj = bench::random_view<T>(std::size_t(spec.n_channels()) * chunk, 2, -1e-3, 1e-3, "npde::bench::adj");
    grad_jet = View1<T>("npde::bench::grad_jet", pinn.n_params());
    ops.push_back([&] {
      pinn.loss_and_gradient(grad);
      Kokkos::fence();
    });
    ops.push_back([&] {
      over_chunks([&](const T* xc, int m) {
        jet->forward(xc, m);
        jet->backward(xc, m, adj.data(), grad_jet.data());
      });
    });
    ops.push_back([&] { over_chunks([&](const T*, int m) { replay->run(m); }); });
  }
  const auto t = bench::time_interleaved(ops, reps, min_time, [&](double v) { return comm.max(v); });
  if (!comm.is_root()) return;
  const char* dtype = std::is_same_v<T, double> ? "float64" : "float32";
  std::printf(
      "npde arch=%s dtype=%s N=%ld ranks=%d chunk=%d step_ms_min=%.3f step_ms_median=%.3f "
      "points_per_s=%.4e gflops=%.2f calls_per_rep=%ld loss_first=%.4e loss_last=%.4e\n",
      arch.text.c_str(), dtype, n, comm.size(), chunk, t[0].min_s * 1e3, t[0].median_s * 1e3, double(n) / t[0].min_s,
      bench::useful_flops(arch, double(n)) / t[0].min_s / 1e9, t[0].calls_per_rep, loss_first, loss);
  if (breakdown)
    std::printf(
        "npde-breakdown arch=%s dtype=%s N=%ld ranks=%d chunk=%d step_ms=%.3f loss_grad_ms=%.3f "
        "jet_ms=%.3f gemm_ms=%.3f gemm_gflops=%.2f\n",
        arch.text.c_str(), dtype, n, comm.size(), chunk, t[0].min_s * 1e3, t[1].min_s * 1e3, t[2].min_s * 1e3,
        t[3].min_s * 1e3, bench::useful_flops(arch, double(n_local)) / t[3].min_s / 1e9);
  std::fflush(stdout);
}

/// Sum of the n entries of v (a device reduction in double, as pinn::Pinn sums its squared residuals).
template <class T>
double device_sum(const T* v, int n) {
  double s = 0;
  Kokkos::parallel_reduce(
      "npde::bench::sum", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) { acc += double(v[p]); }, s);
  return s;
}

/// Times the training step of equation Eq at N global points: per chunk of this rank's points the
/// JetMlp forward with jet_spec_of(Eq::needs), EquationKernel<T, Eq>::evaluate (soft: no trial
/// function, data = 0, every residual weighted 1/N) and the JetMlp backward; then one allreduce of
/// [gradient, residual sums] and Adam: pinn::Pinn's interior term, without its condition terms.
/// With `breakdown` also the loss and gradient alone, the jets alone and their GEMMs alone.
template <class T, class Eq>
void bench_system(const decomp::Communicator& comm, const bench::Arch& base, long n, int chunk, int reps,
                  double min_time, bool breakdown, const std::vector<double>& coefficients) {
  constexpr int NR = Eq::n_residuals, W = pinn::aux_width(Eq::n_data, Eq::n_outputs);
  const auto arch = bench::with_io(base, Eq::n_inputs, Eq::n_outputs);
  nn::Mlp<T> net(arch.n_in, arch.hidden, arch.n_out, nn::Activation::Tanh);
  net.init_glorot(1);
  const auto spec = pinn::jet_spec_of(Eq::needs, Eq::n_inputs);
  const int channels = spec.n_channels();
  nn::JetMlp<T> jet(net, spec, chunk);
  pinn::EquationKernel<T, Eq> kernel;
  kernel.set_coefficients(coefficients);
  const std::size_t np = net.n_params();
  const long n_local = long(decomp::block_range(std::size_t(n), comm.rank(), comm.size()).size());
  const View1<T> x = bench::random_view<T>(std::size_t(arch.n_in) * n_local, 3 + comm.rank(), 0, 1, "npde::bench::x");
  const View1<T> aux("npde::bench::aux", std::size_t(W) * n_local);  // zeros: data 0, no trial function
  const View1<T> adj("npde::bench::adj", std::size_t(arch.n_out) * channels * chunk);
  const View1<T> sq("npde::bench::sq", std::size_t(NR) * chunk);
  const View1<T> reduce("npde::bench::reduce", np + NR), grad("npde::bench::grad", np);
  const auto reduce_host = Kokkos::create_mirror_view(reduce);
  T scale[pinn::kMaxResiduals];
  for (int j = 0; j < NR; ++j) scale[j] = T(1.0 / double(n));
  optim::Adam<T> adam(np, optim::AdamOptions{});
  auto loss_and_gradient = [&]() {
    Kokkos::deep_copy(reduce, T(0));
    double terms[pinn::kMaxResiduals] = {};
    for (long off = 0; off < n_local; off += chunk) {
      const int m = int(std::min<long>(chunk, n_local - off));
      const T* xc = x.data() + off * arch.n_in;
      jet.forward(xc, m);
      kernel.evaluate(m, jet.output(), aux.data() + off * W, 0u, scale, sq.data(), adj.data());
      for (int j = 0; j < NR; ++j) terms[j] += double(scale[j]) * device_sum(sq.data() + long(j) * m, m);
      jet.backward(xc, m, adj.data(), reduce.data());
    }
    Kokkos::fence();
    Kokkos::deep_copy(reduce_host, reduce);
    for (int j = 0; j < NR; ++j) reduce_host(np + j) = T(terms[j]);
    comm.allreduce_sum(reduce_host.data(), np + NR);
    Kokkos::deep_copy(reduce, reduce_host);
    Kokkos::deep_copy(grad, Kokkos::subview(reduce, std::make_pair(std::size_t(0), np)));
    double total = 0;
    for (int j = 0; j < NR; ++j) total += double(reduce_host(np + j));
    return total;
  };
  double loss = 0, loss_first = -1;
  std::vector<std::function<void()>> ops{[&] {
    loss = loss_and_gradient();
    adam.step(net.params(), grad);
    Kokkos::fence();
    if (loss_first < 0) loss_first = loss;
  }};
  std::unique_ptr<bench::GemmReplay<T>> replay;
  View1<T> adj_random, grad_jet;
  if (breakdown) {
    replay = std::make_unique<bench::GemmReplay<T>>(net.widths(), channels, chunk);
    adj_random = bench::random_view<T>(adj.size(), 2, -1e-3, 1e-3, "npde::bench::adj_random");
    grad_jet = View1<T>("npde::bench::grad_jet", np);
    ops.push_back([&] {
      loss_and_gradient();
      Kokkos::fence();
    });
    ops.push_back([&] {
      for (long off = 0; off < n_local; off += chunk) {
        const int m = int(std::min<long>(chunk, n_local - off));
        jet.forward(x.data() + off * arch.n_in, m);
        jet.backward(x.data() + off * arch.n_in, m, adj_random.data(), grad_jet.data());
      }
      Kokkos::fence();
    });
    ops.push_back([&] {
      for (long off = 0; off < n_local; off += chunk) replay->run(int(std::min<long>(chunk, n_local - off)));
      Kokkos::fence();
    });
  }
  const auto t = bench::time_interleaved(ops, reps, min_time, [&](double v) { return comm.max(v); });
  if (!comm.is_root()) return;
  const char* dtype = std::is_same_v<T, double> ? "float64" : "float32";
  std::printf(
      "npde-eq eq=%s arch=%s channels=%d dtype=%s N=%ld ranks=%d chunk=%d step_ms_min=%.3f step_ms_median=%.3f "
      "points_per_s=%.4e gflops=%.2f calls_per_rep=%ld loss_first=%.4e loss_last=%.4e\n",
      Eq::name, arch.text.c_str(), channels, dtype, n, comm.size(), chunk, t[0].min_s * 1e3, t[0].median_s * 1e3,
      double(n) / t[0].min_s, bench::useful_flops(arch, double(n), channels) / t[0].min_s / 1e9, t[0].calls_per_rep,
      loss_first, loss);
  if (breakdown)
    std::printf(
        "npde-eq-breakdown eq=%s arch=%s channels=%d dtype=%s N=%ld ranks=%d chunk=%d step_ms=%.3f loss_grad_ms=%.3f "
        "jet_ms=%.3f gemm_ms=%.3f gemm_gflops=%.2f\n",
        Eq::name, arch.text.c_str(), channels, dtype, n, comm.size(), chunk, t[0].min_s * 1e3, t[1].min_s * 1e3,
        t[2].min_s * 1e3, t[3].min_s * 1e3, bench::useful_flops(arch, double(n_local), channels) / t[3].min_s / 1e9);
  std::fflush(stdout);
}

/// Viscosity of the Burgers case (the classic nu = 0.01 / pi) and Reynolds number of the Navier-Stokes one.
constexpr double kBurgersViscosity = 0.01 / 3.14159265358979323846;
constexpr double kReynolds = 100.0;

/// One configuration of equation `eq` ("poisson", "burgers", "navier_stokes") in precision T.
template <class T>
void bench_equation(const std::string& eq, const decomp::Communicator& comm, const bench::Arch& arch, long n,
                    int chunk, int reps, double min_time, bool breakdown) {
  if (eq == "poisson")
    bench_step<T>(comm, arch, n, chunk, reps, min_time, breakdown);
  else if (eq == pde::BurgersEquation::name)
    bench_system<T, pde::BurgersEquation>(comm, arch, n, chunk, reps, min_time, breakdown, {kBurgersViscosity});
  else
    bench_system<T, pde::NavierStokesEquation>(comm, arch, n, chunk, reps, min_time, breakdown, {kReynolds});
}

/// Per-core GEMM rate with every rank multiplying at once: minimum and mean over ranks.
template <class T>
void bench_peak(const decomp::Communicator& comm, int size) {
  comm.barrier();
  const double g = bench::gemm_peak_gflops<T>(size, 8);
  const double gmin = comm.min(g), gmean = comm.sum(g) / comm.size();
  if (comm.is_root())
    std::printf("npde-peak dtype=%s size=%d ranks=%d gflops_per_core_min=%.2f gflops_per_core_mean=%.2f\n",
                std::is_same_v<T, double> ? "float64" : "float32", size, comm.size(), gmin, gmean);
  std::fflush(stdout);
}

int run(const decomp::Communicator& comm, const bench::Args& args) {
  args.require_known({"arch", "n", "dtype", "chunk", "reps", "min-time", "peak", "breakdown", "equation"});
  const auto arch = bench::parse_arch(args.list("arch", {"2-64x4-1"}).front());
  NPDE_REQUIRE(arch.n_in >= 1 && arch.n_in <= 3 && arch.n_out == 1,
               "bench_pinn_step: --arch needs 1..3 inputs and 1 output, got " << arch.text);
  const auto ns = args.ints("n", {1000, 10000, 100000});
  const auto dtypes = args.list("dtype", {"float64", "float32"});
  const auto equations = args.list("equation", {"poisson"});
  for (const auto& eq : equations)
    NPDE_REQUIRE(eq == "poisson" || eq == pde::BurgersEquation::name || eq == pde::NavierStokesEquation::name,
                 "bench_pinn_step: --equation " << eq << " is not poisson, burgers or navier_stokes");
  const auto chunks = args.ints("chunk", {long(pinn::PinnOptions{}.chunk)});  // the library default
  const int reps = int(args.real("reps", 5));
  const double min_time = args.real("min-time", 0.5);
  const bool breakdown = args.has("breakdown");
  const std::string core = nn::blas_core_name();
  if (comm.is_root()) {
    std::printf(
        "npde-info ranks=%d blas_core=%s OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s exec_space=%s\n", comm.size(),
        core.c_str(), std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "<unset>",
        std::getenv("OPENBLAS_NUM_THREADS") ? std::getenv("OPENBLAS_NUM_THREADS") : "<unset>", ExecSpace::name());
    const auto w = bench::blas_warning(core);
    if (!w.empty()) std::fprintf(stderr, "bench_pinn_step: %s\n", w.c_str());
  }
  if (args.has("peak")) {
    const int size = int(args.ints("peak", {2048}).front());
    for (const auto& dt : dtypes) bench::is_double(dt) ? bench_peak<double>(comm, size) : bench_peak<float>(comm, size);
  }
  for (const auto& eq : equations)
    for (const auto& dt : dtypes)
      for (const long n : ns)
        for (const long chunk : chunks) {
          if (bench::is_double(dt))
            bench_equation<double>(eq, comm, arch, n, int(chunk), reps, min_time, breakdown);
          else
            bench_equation<float>(eq, comm, arch, n, int(chunk), reps, min_time, breakdown);
        }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  nn::blas_set_single_thread();  // one BLAS thread per rank: the ranks own the cores
  int rc = 0;
  Kokkos::initialize(argc, argv);
  {
    const auto comm = decomp::Communicator::world();
    try {
      rc = run(comm, bench::Args(argc, argv));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_pinn_step (rank %d): %s\n", comm.rank(), e.what());
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 1);  // one failing rank would leave the others in a collective
    }
  }
  Kokkos::finalize();
  MPI_Finalize();
  return rc;
}
