// SPDX-License-Identifier: BSD-3-Clause
// Observation files of inverse problems: validation, sampling, noise, distribution to the ranks.
#include "npde/app/observations.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/io/output_file.hpp"

namespace npde::app {

namespace {

constexpr const char* kKey = "inverse.observations.file";

// Rank 0's work: [true value, then n * (n_inputs coordinates, value)].
std::vector<double> draw(const io::Deck& deck) {
  const std::string& path = deck.observations_file;
  if (!std::ifstream(path))
    NPDE_INPUT_ERROR(kKey << ": '" << path << "' does not exist or cannot be read (run `npde reference` to write it)");
  std::unique_ptr<io::H5Reader> file;
  try {
    file = std::make_unique<io::H5Reader>(path);
  } catch (const std::exception&) {
    NPDE_INPUT_ERROR(kKey << ": cannot open '" << path << "' as an HDF5 file (run `npde reference` to write one)");
  }
  // `npde reference` writes the classical solution; `npde train` of a catalogue deck stores the same
  // solution beside the network's, under the same name (/fields/reference/u)
  const std::string generator = file->has_attribute("/", "generator") ? file->attribute_string("/", "generator") : "";
  if (generator != "npde reference" && generator != "npde train")
    NPDE_INPUT_ERROR(kKey << ": '" << path << "' is not an npde output with a classical solution (generator '"
                          << generator << "', expected 'npde reference' or 'npde train')");
  const std::string pde = file->has_attribute("/", "pde") ? file->attribute_string("/", "pde") : "";
  if (pde != deck.pde)
    NPDE_INPUT_ERROR(kKey << ": '" << path << "' holds a " << (pde.empty() ? "?" : pde) << " solution, the deck is "
                          << deck.pde);
  // grid axes: the deck's domain
  static const char* axis_names[3] = {"x", "y", "z"};
  std::vector<std::vector<double>> axes;
  for (int a = 0; a < deck.dim; ++a) {
    const std::string ds = std::string("/fields/grid/") + axis_names[a];
    if (!file->exists(ds)) NPDE_INPUT_ERROR(kKey << ": '" << path << "' has no " << ds);
    axes.push_back(file->read(ds));
    const auto& ax = axes.back();
    const double extent = deck.upper[a] - deck.lower[a], tol = 1e-9 * extent;
    if (ax.empty() || std::abs(ax.front() - deck.lower[a]) > tol || ax.back() > deck.upper[a] + tol)
      NPDE_INPUT_ERROR(kKey << ": the grid of '" << path << "' along " << axis_names[a]
                            << " does not span the deck's domain [" << deck.lower[a] << ", " << deck.upper[a] << "]");
  }
  const bool timed = io::is_time_dependent(deck.pde);
  std::vector<double> times;
  if (timed) {
    if (!file->exists("/time")) NPDE_INPUT_ERROR(kKey << ": '" << path << "' has no /time series");
    times = file->read("/time");
    const double tol = 1e-9 * (deck.t_end - deck.t_start);
    if (times.empty() || times.front() < deck.t_start - tol || times.back() > deck.t_end + tol)
      NPDE_INPUT_ERROR(kKey << ": the times of '" << path << "' lie outside problem.time [" << deck.t_start << ", "
                            << deck.t_end << "]");
  }
  if (!file->exists("/fields/reference/u")) NPDE_INPUT_ERROR(kKey << ": '" << path << "' has no /fields/reference/u");
  std::vector<unsigned long long> dims;
  const std::vector<double> u = file->read("/fields/reference/u", &dims);
  std::size_t n_grid = 1;
  for (const auto& ax : axes) n_grid *= ax.size();
  const std::size_t n_series = timed ? times.size() : 1;
  if (u.size() != n_grid * n_series || dims.size() != std::size_t(deck.dim) + (timed ? 1 : 0))
    NPDE_INPUT_ERROR(kKey << ": /fields/reference/u of '" << path << "' has " << u.size()
                          << " values, its grid and series want " << n_grid * n_series);
  // the coefficient the file was computed with, from its own deck
  double true_value = std::numeric_limits<double>::quiet_NaN();
  if (file->has_attribute("/", "deck")) try {
      const io::Deck source = io::parse_deck(file->attribute_string("/", "deck"), path);
      const auto it = source.coefficients.find(deck.inverse_coefficient);
      if (it != source.coefficients.end()) true_value = it->second;
    } catch (const std::exception&) {
      // a deck this version cannot read: no true value to report
    }
  // the field's spread, the scale of the noise
  double mean = 0, var = 0;
  for (double v : u) mean += v / double(u.size());
  for (double v : u) var += (v - mean) * (v - mean) / double(u.size());
  const double sigma = deck.observation_noise * std::sqrt(var);
  std::vector<double> out{true_value};
  const std::uint64_t seed = deck.observation_seed;
  for (int i = 0; i < deck.observation_points; ++i) {
    const auto k = std::uint64_t(i);
    const std::size_t s = timed ? std::min(n_series - 1, std::size_t(rng::uniform(seed, rng::StreamObservations, 3 * k) * n_series)) : 0;
    std::size_t g = std::min(n_grid - 1, std::size_t(rng::uniform(seed, rng::StreamObservations, 3 * k + 1) * n_grid));
    const std::size_t flat = s * n_grid + g;
    for (int a = 0; a < deck.dim; ++a) {
      out.push_back(axes[a][g % axes[a].size()]);
      g /= axes[a].size();
    }
    if (timed) out.push_back(times[s]);
    out.push_back(u[flat] + sigma * rng::normal(seed, rng::StreamObservations + 100, k));
  }
  return out;
}

}  // namespace

ObservationData read_observations(const decomp::Communicator& comm, const io::Deck& deck) {
  std::vector<double> data;
  std::string err;
  if (comm.is_root()) try {
      data = draw(deck);
    } catch (const std::exception& e) {
      err = e.what();
    }
  err = comm.broadcast(err);
  if (!err.empty()) throw InputError(err);
  data = comm.allgatherv(data);  // rank 0's numbers on every rank
  ObservationData o;
  o.true_value = data.at(0);
  const int n_in = deck.dim + (io::is_time_dependent(deck.pde) ? 1 : 0);
  for (std::size_t i = 1; i + n_in < data.size(); i += n_in + 1) {  // records of n_in coordinates and a value
    o.observations.points.insert(o.observations.points.end(), data.begin() + i, data.begin() + i + n_in);
    o.observations.values.push_back(data[i + n_in]);
  }
  return o;
}

int make_inverse(const io::Deck& deck, const std::vector<std::string>& coefficient_names,
                 pde::Observations observations, pde::Problem& problem) {
  const auto it = std::find(coefficient_names.begin(), coefficient_names.end(), deck.inverse_coefficient);
  NPDE_REQUIRE(it != coefficient_names.end(), "no coefficient " << deck.inverse_coefficient);
  const int learnt = int(it - coefficient_names.begin());
  problem.observations = {std::move(observations)};
  problem.trainable.assign(coefficient_names.size(), false);
  problem.trainable[learnt] = true;
  return learnt;
}

}  // namespace npde::app
