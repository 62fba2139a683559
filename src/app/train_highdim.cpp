// SPDX-License-Identifier: BSD-3-Clause
// `npde train` of the high-dimensional test problem (problem.pde: highdim): the two-body solution on
// the unit ball, trained with stochastic dimension sampling, compared with the exact solution.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/training.hpp"
#include "npde/app/report.hpp"
#include "npde/app/setup.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/pinn/highdim.hpp"

namespace npde::app::detail {

namespace {

/// This process's peak resident memory in MiB (VmHWM of /proc/self/status; 0 where unavailable).
double peak_memory_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream is(line.substr(6));
      double kib = 0;
      is >> kib;
      return kib / 1024.0;
    }
  return 0.0;
}

template <class T>
int highdim_train_verb(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl) {
  // 1. the problem, the network, the points; the restart state
  const pinn::TwoBody problem = make_two_body(deck);
  const pinn::HighDimOptions opts = make_highdim_options(deck);
  const auto cfg = make_train_config(deck, cl.quiet);
  pinn::HighDimPinn<T> net(comm, problem, opts);
  check_stages(net, cfg);
  const pinn::TrainState resume = cl.restart ? load_resume(comm, deck, cl, net) : pinn::TrainState{};
  const int passes = (problem.dimension + opts.pass_dimensions - 1) / opts.pass_dimensions;
  const std::string laplacian =
      opts.sdgd_dimensions < problem.dimension
          ? log::format("Laplacian from ", opts.sdgd_dimensions, " of ", problem.dimension, " dimensions per step")
          : log::format("exact Laplacian", passes > 1 ? log::format(" in ", passes, " jet passes") : std::string());
  log::info(log::format("npde train ", deck.path, ": ", problem_string(deck), ", ", laplacian, ", network ",
                        network_string(problem.dimension, opts.hidden, opts.architecture, 1), " ", deck.activation, " (", net.n_params(),
                        " parameters), ", deck.precision, ", ", comm.size(), " rank(s), ", opts.n_interior,
                        " points per round (", opts.radius_uniform ? "radius uniform" : "uniform in the ball",
                        "), BLAS core ", nn::blas_core_name()));
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  return guarded(comm, [&]() -> int {
    // 2. training
    const auto result =
        pinn::train(net, cfg, make_hooks(comm, deck, out, net.term_names(), net.extra_names()), cl.restart ? &resume : nullptr);
    if (result.stopped) return report_stopped(result.iterations);
    // 3. the error against the exact solution at the validation points, written with them
    std::vector<double> u, exact, radius;
    net.validation_fields(u, exact, radius);
    const std::vector<unsigned long long> dims{(unsigned long long)opts.n_validation};
    out.write_field("/validation/pinn", dims, net.validation_offset(), u.size(), u.data());
    out.write_field("/validation/exact", dims, net.validation_offset(), exact.size(), exact.data());
    out.write_field("/validation/radius", dims, net.validation_offset(), radius.size(), radius.data());
    write_history(comm, net.term_names(), result.history, out, net.extra_names());
    Report report;
    report.summary["rel_l2_exact"] = net.validation_error();
    report.summary["dimension"] = double(problem.dimension);
    report.summary["sdgd_dimensions"] = double(opts.sdgd_dimensions);
    report.summary["validation_points"] = double(opts.n_validation);
    report.summary["radius_uniform"] = opts.radius_uniform ? 1.0 : 0.0;
    report.summary["train_seconds"] = result.seconds;
    report.summary["iterations"] = double(result.iterations);
    report.summary["seconds_per_iteration"] = result.iterations > 0 ? result.seconds / double(result.iterations) : 0.0;
    report.summary["final_loss"] = result.final_loss;
    report.summary["ranks"] = comm.size();
    report.summary["nan_recoveries"] = result.nan_recoveries;
    report.summary["peak_memory_mib_max_rank"] = comm.max(peak_memory_mib());
    report.summary_text["output_file"] = deck.output_file;
    for (const auto& [k, v] : report.summary) out.set_attribute("/summary", k, v);
    for (const auto& [k, v] : report.summary_text) out.set_attribute("/summary", k, v);
    out.commit();
    log::info(summary_table(report));
    return int(ExitSuccess);
  });
}

}  // namespace

int highdim_train(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl) {
  return deck.precision == "float" ? highdim_train_verb<float>(comm, deck, cl)
                                   : highdim_train_verb<double>(comm, deck, cl);
}

}  // namespace npde::app::detail
