// SPDX-License-Identifier: BSD-3-Clause
// Output grid slabs, comparisons and the HDF5 report.
#include "npde/app/report.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "npde/core/version.hpp"
#include "npde/io/xdmf.hpp"
#include "npde/pde/grid.hpp"

namespace npde::app {

std::size_t GridSlab::n_local() const { return points.size() / n.size(); }

GridSlab make_slab(const decomp::Communicator& comm, const pde::Box& box, const std::vector<int>& n) {
  GridSlab s;
  s.n = n;
  const int d = int(n.size());
  for (int a = d - 1; a >= 0; --a) s.h5_dims.push_back((unsigned long long)n[a]);
  const auto rows = decomp::block_range(std::size_t(n[d - 1]), comm.rank(), comm.size());
  s.row_begin = rows.begin;
  s.rows = rows.size();
  std::size_t stride = 1;  // points per row of the slowest axis
  for (int a = 0; a < d - 1; ++a) stride *= std::size_t(n[a]);
  const auto all = pde::grid_points(box, n);
  s.points.assign(all.begin() + rows.begin * stride * d, all.begin() + rows.end * stride * d);
  return s;
}

double relative_l2(const decomp::Communicator& comm, const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  num = comm.sum(num);
  den = comm.sum(den);
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

void write_provenance(const decomp::Communicator& comm, const io::Deck& deck, io::OutputFile& out) {
  out.set_attribute("/", "npde_version", version_string());
  out.set_attribute("/", "deck", deck.text);
  out.set_attribute("/", "deck_path", deck.path);
  out.set_attribute("/", "ranks", (long long)comm.size());
  out.set_attribute("/", "precision", deck.precision);
}

void write_history(const decomp::Communicator& comm, const std::vector<std::string>& term_names,
                   const std::vector<pinn::HistoryRow>& history, io::OutputFile& out,
                   const std::vector<std::string>& extra_names) {
  std::vector<std::string> cols{"iteration", "stage", "loss"};
  for (const auto& name : term_names) cols.push_back("loss_" + name);
  for (const char* c : {"lr", "wall_time", "rel_l2_exact"}) cols.emplace_back(c);
  for (const auto& name : extra_names) cols.push_back(name);
  std::vector<std::vector<double>> rows;
  if (comm.is_root()) {
    rows.reserve(history.size());
    for (const auto& r : history) {
      std::vector<double> row{double(r.iteration), double(r.stage), r.loss};
      for (std::size_t k = 0; k < term_names.size(); ++k) row.push_back(k < r.terms.size() ? r.terms[k] : 0.0);
      row.insert(row.end(), {r.lr, r.wall, r.rel_l2});
      for (std::size_t k = 0; k < extra_names.size(); ++k) row.push_back(k < r.extras.size() ? r.extras[k] : 0.0);
      rows.push_back(std::move(row));
    }
  }
  out.write_history(cols, rows);
  out.flush();
}

void write_report(const decomp::Communicator& comm, const io::Deck& deck, const pde::Box& box,
                  const GridSlab& slab, const Report& report, io::OutputFile& out) {
  // 1. provenance and history
  write_provenance(comm, deck, out);
  if (!report.history.empty()) write_history(comm, report.term_names, report.history, out, report.extra_names);
  // 2. grid and fields
  static const char* axis_names[3] = {"x", "y", "z"};
  const int d = int(slab.n.size());
  for (int a = 0; a < d; ++a)
    out.write_array(std::string("/fields/grid/") + axis_names[a], pde::grid_axis(box, slab.n, a));
  std::vector<std::pair<std::string, std::string>> xmf_attrs;
  for (const auto& [name, values] : report.fields) {
    const std::string path = "/fields/" + name + "/u";
    out.write_field(path, slab.h5_dims, slab.row_begin, slab.rows, values.empty() ? nullptr : values.data());
    xmf_attrs.emplace_back(name == "error" ? "error" : "u_" + name, path);
  }
  // 3. summary, then the atomic rename
  for (const auto& [k, v] : report.summary) out.set_attribute("/summary", k, v);
  for (const auto& [k, v] : report.summary_text) out.set_attribute("/summary", k, v);
  out.commit();
  if (comm.is_root()) {
    std::vector<unsigned long long> dims_xyz(slab.n.begin(), slab.n.end());
    io::write_xdmf(io::xdmf_path_for(deck.output_file), io::file_name_of(deck.output_file), dims_xyz, xmf_attrs);
  }
  comm.barrier();
}

std::string summary_table(const Report& report) {
  std::string s = "summary\n";
  char buf[160];
  for (const auto& [k, v] : report.summary_text) {
    std::snprintf(buf, sizeof buf, "  %-24s %s\n", k.c_str(), v.c_str());
    s += buf;
  }
  for (const auto& [k, v] : report.summary) {
    std::snprintf(buf, sizeof buf, "  %-24s %.6g\n", k.c_str(), v);
    s += buf;
  }
  return s;
}

}  // namespace npde::app
