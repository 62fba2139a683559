// SPDX-License-Identifier: BSD-3-Clause
// The HDF5/XDMF output and the summary table of `npde reference` for any classical solver's
// GridSolution (steady fields, time series, eigenmodes).
#pragma once

#include <string>

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/io/output_file.hpp"
#include "npde/pinn/trainer.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::app {

/// Writes `sol` into `out` (opened on deck.output_file), commits it and writes the .xmf sidecar.
/// Layout (docs/output-layout.md): root attributes as app::write_provenance plus `generator`
/// ("npde reference") and `pde`; /fields/grid/<x|y|z>; /fields/reference/<name>, and for every
/// field with an exact counterpart /fields/exact/<name> and /fields/error/<name> = reference -
/// exact; attribute /fields:series_kind ("", "time" or "eigenvalue"); /time or /eigenvalues
/// (n_series,). A steady field has the grid's shape ([nz,] [ny,] nx); a series field
/// (n_series, [nz,] [ny,] nx) with an unlimited first dimension. /summary carries sol.summary
/// (f64) and sol.summary_text (str) as attributes. The sidecar is a single grid (steady) or a
/// temporal collection stepping through the series (time values, or the mode index 0, 1, ... for
/// eigenmodes). [in] sol: replicated on every rank (the writes are still split over the ranks by
/// rows, as collective I/O). Throws npde::Error on every rank, before writing anything, if the
/// fields' sizes do not match the grid and series. Collective.
void write_grid_solution(const decomp::Communicator& comm, const io::Deck& deck, const reference::GridSolution& sol,
                         io::OutputFile& out);

/// A trained network's fields on a reference solution's grid and series, with its loss history.
struct PinnGridFields {
  /// Same names, order and sizes as the reference's fields.
  std::vector<std::pair<std::string, std::vector<double>>> fields;
  std::vector<pinn::HistoryRow> history;
  std::vector<std::string> term_names;
  std::vector<std::string> extra_names;
  /// Multi-domain PINNs: the subdomain each point's value comes from (the fields' layout); empty
  /// otherwise. Written to /fields/subdomain.
  std::vector<double> subdomain;
};

/// As write_grid_solution for `npde train` of a catalogue equation: `generator` is "npde train",
/// the network's fields go to /fields/pinn/<name>, /fields/error/<name> is pinn - reference (the
/// exact solution, where known, is still written under /fields/exact), and /history holds the loss
/// history. Collective.
void write_pinn_grid_solution(const decomp::Communicator& comm, const io::Deck& deck,
                              const reference::GridSolution& sol, const PinnGridFields& pinn, io::OutputFile& out);

/// The end-of-run summary table of a reference solve (grid, series, summary_text, summary),
/// in the format of app::summary_table. Not collective.
std::string grid_solution_summary(const reference::GridSolution& sol);

}  // namespace npde::app
