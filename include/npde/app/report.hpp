// SPDX-License-Identifier: BSD-3-Clause
// Output grids split over ranks, field comparison and the HDF5/XDMF report of a run.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/io/output_file.hpp"
#include "npde/pde/box.hpp"
#include "npde/pinn/trainer.hpp"

namespace npde::app {

/// This rank's part of a tensor output grid: whole rows of the slowest axis (so the HDF5 write is one
/// hyperslab per rank). Points are x-fastest, row-major (n, dim).
struct GridSlab {
  std::vector<int> n;                        ///< points per axis, x first
  std::vector<unsigned long long> h5_dims;   ///< HDF5 order: slowest first
  unsigned long long row_begin = 0, rows = 0;
  std::vector<double> points;                ///< local points
  std::size_t n_local() const;
};
GridSlab make_slab(const decomp::Communicator& comm, const pde::Box& box, const std::vector<int>& n);

/// Collective. Relative L2 difference ||a - b|| / ||b|| over the distributed slab values.
double relative_l2(const decomp::Communicator& comm, const std::vector<double>& a, const std::vector<double>& b);

/// Fields and numbers of a finished run, written by write_report.
struct Report {
  std::map<std::string, std::vector<double>> fields;  ///< name ("pinn", "reference", "exact", "error") -> local values
  std::map<std::string, double> summary;               ///< /summary attributes
  std::map<std::string, std::string> summary_text;     ///< string attributes of /summary
  std::vector<pinn::HistoryRow> history;              ///< empty for `npde reference`
  std::vector<std::string> term_names;                ///< names of the history's loss terms
  std::vector<std::string> extra_names;               ///< names of its extra columns (Model::extra_names)
};

/// Collective. Root attributes of a run's output file (version, deck, ranks, precision).
void write_provenance(const decomp::Communicator& comm, const io::Deck& deck, io::OutputFile& out);
/// Collective. The loss history (/history/<column>: iteration, stage, loss, loss_<term> per named
/// term, lr, wall_time, rel_l2_exact, then the model's extra columns by name), flushed to disk.
void write_history(const decomp::Communicator& comm, const std::vector<std::string>& term_names,
                   const std::vector<pinn::HistoryRow>& history, io::OutputFile& out,
                   const std::vector<std::string>& extra_names = {});
/// Collective. Writes the fields, the summary and the history into `out` (opened on
/// output.file, whose data live under a temporary name), commits it (rename to the final name) and
/// writes the .xmf sidecar.
void write_report(const decomp::Communicator& comm, const io::Deck& deck, const pde::Box& box,
                  const GridSlab& slab, const Report& report, io::OutputFile& out);

/// The summary table printed at the end of a run (rank 0 prints it).
std::string summary_table(const Report& report);

}  // namespace npde::app
