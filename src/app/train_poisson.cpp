// SPDX-License-Identifier: BSD-3-Clause
// `npde train` and `npde reference` of a Poisson deck: the general PINN of the poisson equation,
// evaluated on output.grid (a slab per rank) and compared with the exact solution and the PETSc
// finite-difference solution.
#include <map>

#include "app/training.hpp"
#include "npde/app/checkpointing.hpp"
#include "npde/app/report.hpp"
#include "npde/app/setup.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/pde/grid.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/fbpinn.hpp"
#include "npde/pinn/multidomain.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app::detail {

namespace {

/// Collective. The reference solve and its comparison on the output slab; fills report entries.
void run_reference_into(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& problem,
                        const GridSlab& slab, Report& report) {
  const auto grid = reference_grid(deck);
  log::info("reference: PETSc finite differences on " + grid_string(grid) + " points");
  const auto sol = reference::solve_poisson_fd(comm, make_reference_problem(deck, problem, grid));
  if (problem.exact.at(0)) {
    const auto pts = pde::grid_points(problem.box, grid);
    std::vector<double> ex(sol.u.size());
    problem.exact[0]->eval_many(pts.data(), ex.size(), ex.data());
    report.summary["reference_rel_l2_exact"] = reference::relative_l2(sol.u, ex);
  }
  std::vector<double> ref(slab.n_local());
  const int d = problem.box.dim;
  for (std::size_t i = 0; i < ref.size(); ++i)
    ref[i] = reference::interpolate(sol.u, d, problem.box.lower, problem.box.upper, grid, slab.points.data() + i * d);
  report.fields["reference"] = std::move(ref);
  report.summary["reference_seconds"] = sol.seconds;
  report.summary["reference_iterations"] = sol.iterations;
  report.summary_text["reference_solver"] = sol.ksp_type + "+" + sol.pc_type + " on " + grid_string(grid);
}

void add_exact(const pde::Problem& problem, const GridSlab& slab, Report& report) {
  if (!problem.exact.at(0)) return;
  std::vector<double> ex(slab.n_local());
  problem.exact[0]->eval_many(slab.points.data(), ex.size(), ex.data());
  report.fields["exact"] = std::move(ex);
}

/// "network 2-64-64-1 tanh (4,000 parameters)", or with a decomposition its subdomains and the network
/// of each.
template <class T>
std::string network_line(const io::Deck& deck, const pinn::PinnOptions& opts, const pinn::Pinn<T>& net) {
  return log::format("network ", network_string(deck.dim, opts, 1), " ", deck.activation, " (", net.n_params(),
                     " parameters)");
}
template <class Net>
std::string network_line(const io::Deck& deck, const pinn::PinnOptions& opts, const Net& net) {
  return decomposition_network_line(deck, opts, deck.dim, 1, net);
}

template <class T, class Net>
int poisson_train_model(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& problem,
                        const CommandLine& cl, const pinn::PinnOptions& opts, Net& net) {
  const auto cfg = make_train_config(deck, cl.quiet);
  // 1. the restart state, validated against the network and its points
  check_stages(net, cfg);
  const pinn::TrainState resume = cl.restart ? load_resume(comm, deck, cl, net) : pinn::TrainState{};
  const std::string terms = terms_string(net.term_names(), net.term_points());
  log::info(log::format("npde train ", deck.path, ": ", deck.dim, "D Poisson, ", deck.bc_enforcement, " BC, ",
                        network_line(deck, opts, net), ", ", deck.precision, ", ", comm.size(),
                        " rank(s), loss terms (points): ", terms, ", BLAS core ", nn::blas_core_name()));
  // 2. the output file exists (under its temporary name) from the start: the history is flushed into
  // it at every progress line, and it gets its final name only when the run is complete
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  return guarded(comm, [&]() -> int {
    // 3. training
    const auto result =
        pinn::train(net, cfg, make_hooks(comm, deck, out, net.term_names(), net.extra_names()), cl.restart ? &resume : nullptr);
    if (result.stopped) return report_stopped(result.iterations);
    // 4. evaluation on the output grid, comparison with exact and reference
    const GridSlab slab = make_slab(comm, problem.box, output_grid(deck));
    Report report;
    report.history = result.history;
    report.term_names = net.term_names();
    report.extra_names = net.extra_names();
    report.fields["pinn"] = net.predict(slab.points);
    if constexpr (!std::is_same_v<Net, pinn::Pinn<T>>) {
      std::vector<double> sub;
      for (int s : net.subdomain_of(slab.points)) sub.push_back(s);
      report.fields["subdomain"] = std::move(sub);
      for (const auto& [k, v] : exchange_summary(comm, net.exchange_stats())) report.summary[k] = v;
      for (const auto& [k, v] : decomposition_summary(net)) report.summary[k] = v;
    }
    add_exact(problem, slab, report);
    if (report.fields.count("exact"))
      report.summary["rel_l2_exact"] = relative_l2(comm, report.fields["pinn"], report.fields["exact"]);
    if (deck.has_reference) {
      run_reference_into(comm, deck, problem, slab, report);
      report.summary["rel_l2_reference"] = relative_l2(comm, report.fields["pinn"], report.fields["reference"]);
    }
    const auto& base = report.fields.count("reference") ? report.fields["reference"]
                       : report.fields.count("exact")   ? report.fields["exact"]
                                                        : report.fields["pinn"];
    std::vector<double> err(base.size());
    for (std::size_t i = 0; i < err.size(); ++i) err[i] = report.fields["pinn"][i] - base[i];
    report.fields["error"] = std::move(err);
    report.summary["train_seconds"] = result.seconds;
    report.summary["iterations"] = double(result.iterations);
    report.summary["final_loss"] = result.final_loss;
    report.summary["ranks"] = comm.size();
    report.summary["nan_recoveries"] = result.nan_recoveries;
    report.summary_text["error_field"] = report.fields.count("reference") ? "pinn - reference"
                                         : report.fields.count("exact")   ? "pinn - exact"
                                                                          : "none (no reference or exact)";
    report.summary_text["output_file"] = deck.output_file;
    // 5. output
    write_report(comm, deck, problem.box, slab, report, out);
    log::info(summary_table(report));
    return int(ExitSuccess);
  });
}

template <class T>
int poisson_train_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& problem,
                       const CommandLine& cl) {
  const auto opts = make_pinn_options(deck);
  if (deck.has_decomposition) {
    const auto dopts = make_decomposition_options(deck);
    if (dopts.method == pinn::DecompositionOptions::Method::Fbpinn) {
      pinn::FbPinn<T> net(comm, problem, pinn::make_catalogue_kernel<T>("poisson", deck.dim), opts, dopts);
      return poisson_train_model<T>(comm, deck, problem, cl, opts, net);
    }
    pinn::MultiDomainPinn<T> net(
        comm, problem, [&deck] { return pinn::make_catalogue_kernel<T>("poisson", deck.dim); }, opts, dopts);
    return poisson_train_model<T>(comm, deck, problem, cl, opts, net);
  }
  pinn::Pinn<T> net(comm, problem, pinn::make_catalogue_kernel<T>("poisson", deck.dim), opts);
  return poisson_train_model<T>(comm, deck, problem, cl, opts, net);
}

}  // namespace

int poisson_train(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                  const CommandLine& cl) {
  return deck.precision == "float" ? poisson_train_verb<float>(comm, deck, equation, cl)
                                   : poisson_train_verb<double>(comm, deck, equation, cl);
}

int poisson_reference(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation) {
  const auto grid = reference_grid(deck);
  const GridSlab slab = make_slab(comm, equation.box, grid);
  Report report;
  run_reference_into(comm, deck, equation, slab, report);
  add_exact(equation, slab, report);
  if (report.fields.count("exact")) {
    std::vector<double> err(slab.n_local());
    for (std::size_t i = 0; i < err.size(); ++i) err[i] = report.fields["reference"][i] - report.fields["exact"][i];
    report.fields["error"] = std::move(err);
    report.summary_text["error_field"] = "reference - exact";
  }
  report.summary["ranks"] = comm.size();
  report.summary_text["output_file"] = deck.output_file;
  io::Deck out_deck = deck;
  out_deck.output_grid = grid;
  io::OutputFile out(comm, deck.output_file);
  write_report(comm, out_deck, equation.box, slab, report, out);
  log::info(summary_table(report));
  return ExitSuccess;
}

}  // namespace npde::app::detail
