// SPDX-License-Identifier: BSD-3-Clause
// HDF5 output, XDMF sidecar and summary table of a classical reference solution (GridSolution).
#include "npde/app/reference_report.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "npde/app/report.hpp"
#include "npde/core/error.hpp"
#include "npde/io/xdmf.hpp"

namespace npde::app {

namespace {

using Dims = std::vector<unsigned long long>;

// Checks the solution's shapes; the solution is replicated, so every rank reaches the same verdict.
void check_solution(const reference::GridSolution& sol) {
  NPDE_REQUIRE(sol.dim() >= 1 && sol.dim() <= 3, "grid solution has " << sol.dim() << " axes, expected 1 to 3");
  for (int a = 0; a < sol.dim(); ++a) NPDE_REQUIRE(!sol.axes[a].empty(), "grid solution axis " << a << " is empty");
  NPDE_REQUIRE(sol.series_kind.empty() || sol.series_kind == "time" || sol.series_kind == "eigenvalue",
               "grid solution series_kind '" << sol.series_kind << "' is not '', 'time' or 'eigenvalue'");
  NPDE_REQUIRE(sol.series_kind.empty() || !sol.series.empty(),
               "grid solution has series_kind '" << sol.series_kind << "' but no series values");
  NPDE_REQUIRE(!sol.fields.empty(), "grid solution has no fields");
  const std::size_t n = sol.n_series() * sol.n_points();
  std::set<std::string> names;
  for (const auto& [name, values] : sol.fields) {
    NPDE_REQUIRE(!name.empty() && name.find('/') == std::string::npos, "grid solution field name '" << name << "'");
    NPDE_REQUIRE(names.insert(name).second, "grid solution field '" << name << "' is given twice");
    NPDE_REQUIRE(values.size() == n, "grid solution field '" << name << "' has " << values.size() << " values, expected "
                                                             << sol.n_series() << " x " << sol.n_points());
  }
  for (const auto& [name, values] : sol.exact) {
    NPDE_REQUIRE(names.count(name) == 1, "exact solution '" << name << "' has no computed field of that name");
    NPDE_REQUIRE(values.size() == n, "exact solution '" << name << "' has " << values.size() << " values, expected " << n);
  }
}

// The HDF5 shape of one field: ([n_series,] [nz,] [ny,] nx).
Dims field_dims(const reference::GridSolution& sol) {
  Dims dims;
  if (!sol.series_kind.empty()) dims.push_back(sol.series.size());
  for (int a = sol.dim() - 1; a >= 0; --a) dims.push_back(sol.axes[a].size());
  return dims;
}

// Writes one replicated field, this rank's block of rows along the first dimension.
void write_replicated(const decomp::Communicator& comm, io::OutputFile& out, const std::string& path,
                      const Dims& dims, bool series, const std::vector<double>& values) {
  std::size_t row = 1;
  for (std::size_t d = 1; d < dims.size(); ++d) row *= dims[d];
  const auto rows = decomp::block_range(dims[0], comm.rank(), comm.size());
  const double* mine = rows.size() > 0 ? values.data() + rows.begin * row : nullptr;
  if (series) {
    // Extendible, so that a later stage (or a streaming solver) can add snapshots.
    out.create_dataset(path, dims, true);
    out.write_rows(path, rows.begin, rows.size(), mine);
  } else {
    out.write_field(path, dims, rows.begin, rows.size(), mine);
  }
}

const std::vector<double>* find_exact(const reference::GridSolution& sol, const std::string& name) {
  for (const auto& [n, values] : sol.exact)
    if (n == name) return &values;
  return nullptr;
}

void write_grid_solution_impl(const decomp::Communicator& comm, const io::Deck& deck,
                              const reference::GridSolution& sol, const PinnGridFields* pinn, io::OutputFile& out);

}  // namespace

void write_grid_solution(const decomp::Communicator& comm, const io::Deck& deck, const reference::GridSolution& sol,
                         io::OutputFile& out) {
  write_grid_solution_impl(comm, deck, sol, nullptr, out);
}

void write_pinn_grid_solution(const decomp::Communicator& comm, const io::Deck& deck,
                              const reference::GridSolution& sol, const PinnGridFields& pinn, io::OutputFile& out) {
  NPDE_REQUIRE(pinn.fields.size() == sol.fields.size(), "network has " << pinn.fields.size() << " fields, reference "
                                                                       << sol.fields.size());
  for (std::size_t i = 0; i < pinn.fields.size(); ++i)
    NPDE_REQUIRE(pinn.fields[i].first == sol.fields[i].first &&
                     pinn.fields[i].second.size() == sol.fields[i].second.size(),
                 "network field '" << pinn.fields[i].first << "' does not match reference field '"
                                   << sol.fields[i].first << "'");
  write_grid_solution_impl(comm, deck, sol, &pinn, out);
}

namespace {

void write_grid_solution_impl(const decomp::Communicator& comm, const io::Deck& deck,
                              const reference::GridSolution& sol, const PinnGridFields* pinn, io::OutputFile& out) {
  check_solution(sol);
  // 1. provenance
  write_provenance(comm, deck, out);
  out.set_attribute("/", "generator", std::string(pinn ? "npde train" : "npde reference"));
  if (pinn) write_history(comm, pinn->term_names, pinn->history, out, pinn->extra_names);
  out.set_attribute("/", "pde", deck.pde);
  // 2. grid and series axis
  static const char* axis_names[3] = {"x", "y", "z"};
  for (int a = 0; a < sol.dim(); ++a) out.write_array(std::string("/fields/grid/") + axis_names[a], sol.axes[a]);
  out.set_attribute("/fields", "series_kind", sol.series_kind);
  const bool series = !sol.series_kind.empty();
  if (sol.series_kind == "time") out.write_array("/time", sol.series);
  if (sol.series_kind == "eigenvalue") out.write_array("/eigenvalues", sol.series);
  // 3. fields: reference, exact and their difference
  const Dims dims = field_dims(sol);
  std::vector<std::pair<std::string, std::string>> xmf_attrs;
  std::vector<double> error;
  for (std::size_t f = 0; f < sol.fields.size(); ++f) {
    const auto& [name, values] = sol.fields[f];
    write_replicated(comm, out, "/fields/reference/" + name, dims, series, values);
    const std::vector<double>* exact = find_exact(sol, name);
    if (pinn) {
      // a network run: the network's field and its difference from the reference
      const auto& net = pinn->fields[f].second;
      write_replicated(comm, out, "/fields/pinn/" + name, dims, series, net);
      xmf_attrs.emplace_back(name + "_pinn", "/fields/pinn/" + name);
      xmf_attrs.emplace_back(name + "_reference", "/fields/reference/" + name);
      error.resize(values.size());
      for (std::size_t i = 0; i < values.size(); ++i) error[i] = net[i] - values[i];
      write_replicated(comm, out, "/fields/error/" + name, dims, series, error);
      xmf_attrs.emplace_back(name + "_error", "/fields/error/" + name);
      if (exact) {
        write_replicated(comm, out, "/fields/exact/" + name, dims, series, *exact);
        xmf_attrs.emplace_back(name + "_exact", "/fields/exact/" + name);
      }
      continue;
    }
    xmf_attrs.emplace_back(name, "/fields/reference/" + name);
    if (!exact) continue;
    write_replicated(comm, out, "/fields/exact/" + name, dims, series, *exact);
    error.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) error[i] = values[i] - (*exact)[i];
    write_replicated(comm, out, "/fields/error/" + name, dims, series, error);
    xmf_attrs.emplace_back(name + "_exact", "/fields/exact/" + name);
    xmf_attrs.emplace_back(name + "_error", "/fields/error/" + name);
  }
  if (pinn && !pinn->subdomain.empty()) {
    write_replicated(comm, out, "/fields/subdomain", dims, series, pinn->subdomain);
    xmf_attrs.emplace_back("subdomain", "/fields/subdomain");
  }
  // 4. summary, then the atomic rename and the sidecar
  for (const auto& [k, v] : sol.summary) out.set_attribute("/summary", k, v);
  for (const auto& [k, v] : sol.summary_text) out.set_attribute("/summary", k, v);
  out.commit();
  if (comm.is_root()) {
    Dims dims_xyz;
    for (const auto& axis : sol.axes) dims_xyz.push_back(axis.size());
    const std::string xmf = io::xdmf_path_for(out.path());
    const std::string h5 = io::file_name_of(out.path());
    if (!series) {
      io::write_xdmf(xmf, h5, dims_xyz, xmf_attrs);
    } else {
      // ParaView orders steps by their value: eigenvalues may repeat, mode indices never do.
      std::vector<double> steps = sol.series;
      if (sol.series_kind == "eigenvalue")
        for (std::size_t s = 0; s < steps.size(); ++s) steps[s] = static_cast<double>(s);
      io::write_xdmf_series(xmf, h5, dims_xyz, steps, xmf_attrs);
    }
  }
  comm.barrier();
}

}  // namespace

std::string grid_solution_summary(const reference::GridSolution& sol) {
  std::string s = "summary\n";
  char buf[200];
  const auto line = [&](const std::string& key, const std::string& value) {
    std::snprintf(buf, sizeof buf, "  %-24s %s\n", key.c_str(), value.c_str());
    s += buf;
  };
  std::string grid;
  for (std::size_t a = 0; a < sol.axes.size(); ++a) grid += (a ? " x " : "") + std::to_string(sol.axes[a].size());
  line("grid", grid);
  if (sol.series_kind == "time" && !sol.series.empty()) {
    std::snprintf(buf, sizeof buf, "%zu snapshots, t in [%.6g, %.6g]", sol.series.size(), sol.series.front(),
                  sol.series.back());
    line("time", buf);
  }
  // Every eigenvalue is a result in its own right (the spectrum is what is compared), printed with all
  // its digits. A run whose summary holds eigenvalue_<m> (the solver's own, so that the file's /summary
  // has them; or a trained network's) prints that number; the series is printed for the other modes.
  auto is_eigenvalue_key = [](const std::string& k) {
    return k.rfind("eigenvalue_", 0) == 0 && k.size() > 11 && k.find_first_not_of("0123456789", 11) == std::string::npos;
  };
  std::map<std::string, double> in_summary;
  for (const auto& [k, v] : sol.summary)
    if (is_eigenvalue_key(k)) in_summary.emplace(k, v);
  if (sol.series_kind == "eigenvalue")
    for (std::size_t m = 0; m < sol.series.size(); ++m) {
      const std::string key = "eigenvalue_" + std::to_string(m);
      if (in_summary.count(key)) continue;
      std::snprintf(buf, sizeof buf, "%.10g", sol.series[m]);
      line(key, buf);
    }
  for (const auto& [k, v] : sol.summary_text) line(k, v);
  for (const auto& [k, v] : sol.summary) {
    std::snprintf(buf, sizeof buf, is_eigenvalue_key(k) ? "%.10g" : "%.6g", v);
    line(k, buf);
  }
  return s;
}

}  // namespace npde::app
