// SPDX-License-Identifier: BSD-3-Clause
// `npde dataset`: samples solved in contiguous blocks per rank, written in collective batches.
#include "npde/app/dataset.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <set>

#include "npde/core/error.hpp"
#include "npde/core/log.hpp"
#include "npde/core/version.hpp"
#include "npde/io/output_file.hpp"

namespace npde::app {

namespace {

using Clock = std::chrono::steady_clock;
using Dims = std::vector<unsigned long long>;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Memory a rank may spend on one batch of solved samples when dataset.batch is 0.
constexpr std::size_t automatic_batch_bytes = std::size_t(256) << 20;

bool valid_name(const std::string& name) { return !name.empty() && name.find('/') == std::string::npos; }

void check_layout(const DatasetLayout& layout) {
  NPDE_REQUIRE(layout.axes.size() >= 1 && layout.axes.size() <= 3,
               "dataset grid has " << layout.axes.size() << " axes, expected 1 to 3");
  for (std::size_t a = 0; a < layout.axes.size(); ++a)
    NPDE_REQUIRE(!layout.axes[a].empty(), "dataset grid axis " << a << " is empty");
  NPDE_REQUIRE(valid_name(layout.input_name), "dataset input name '" << layout.input_name << "'");
  NPDE_REQUIRE(valid_name(layout.output_name), "dataset output name '" << layout.output_name << "'");
  std::set<std::string> names;
  for (const std::string& p : layout.parameter_names) {
    NPDE_REQUIRE(valid_name(p), "dataset parameter name '" << p << "'");
    NPDE_REQUIRE(names.insert(p).second, "dataset parameter '" << p << "' is named twice");
  }
}

// Shapes shared by every sample.
struct Shapes {
  std::size_t n_points = 1;   // grid points
  std::size_t n_outputs = 1;  // output fields per sample (time levels)
  std::size_t n_parameters = 0;
  Dims grid;                  // slowest first
  std::size_t bytes_per_sample() const { return sizeof(double) * (n_points * (1 + n_outputs) + n_parameters + 1); }
};

Shapes shapes_of(const DatasetLayout& layout) {
  Shapes s;
  for (auto a = layout.axes.size(); a-- > 0;) {
    s.grid.push_back(layout.axes[a].size());
    s.n_points *= layout.axes[a].size();
  }
  s.n_outputs = std::max<std::size_t>(1, layout.output_times.size());
  s.n_parameters = layout.parameter_names.size();
  return s;
}

// Samples per rank and write: dataset.batch, or as many as fit in automatic_batch_bytes but no
// more than a tenth of the largest block, so that the file fills in several steps.
std::size_t batch_size(const io::Deck& deck, const Shapes& shapes, std::size_t largest_block) {
  if (deck.dataset_batch > 0) return static_cast<std::size_t>(deck.dataset_batch);
  const std::size_t by_memory = std::max<std::size_t>(1, automatic_batch_bytes / shapes.bytes_per_sample());
  const std::size_t by_progress = std::max<std::size_t>(1, (largest_block + 9) / 10);
  return std::min(by_memory, by_progress);
}

// One batch of solved samples in file order, ready to be written as rows.
struct Batch {
  std::vector<double> inputs, outputs, indices;
  std::vector<std::vector<double>> parameters;  // per parameter name
  void clear(std::size_t n_parameters) {
    inputs.clear();
    outputs.clear();
    indices.clear();
    parameters.assign(n_parameters, {});
  }
};

void add_sample(Batch& batch, const Shapes& shapes, std::uint64_t index, const DatasetSample& sample) {
  NPDE_REQUIRE(sample.input.size() == shapes.n_points,
               "sample " << index << ": input has " << sample.input.size() << " values, expected " << shapes.n_points);
  NPDE_REQUIRE(sample.output.size() == shapes.n_outputs * shapes.n_points,
               "sample " << index << ": output has " << sample.output.size() << " values, expected "
                         << shapes.n_outputs << " x " << shapes.n_points);
  NPDE_REQUIRE(sample.parameters.size() == shapes.n_parameters, "sample " << index << ": " << sample.parameters.size()
                                                                          << " parameters, expected " << shapes.n_parameters);
  batch.inputs.insert(batch.inputs.end(), sample.input.begin(), sample.input.end());
  batch.outputs.insert(batch.outputs.end(), sample.output.begin(), sample.output.end());
  for (std::size_t p = 0; p < shapes.n_parameters; ++p) batch.parameters[p].push_back(sample.parameters[p]);
  batch.indices.push_back(static_cast<double>(index));
}

const double* data_or_null(const std::vector<double>& v) { return v.empty() ? nullptr : v.data(); }

// Rank 0's progress lines, every ~10 % of its own block; its rate stands for every rank's, since
// all blocks are (nearly) equal, and costs no communication.
class Progress {
 public:
  Progress(const decomp::Communicator& comm, std::size_t n_total, std::size_t n_local, Clock::time_point t0)
      : m_enabled(comm.is_root() && n_local > 0), m_total(n_total), m_local(n_local), m_t0(t0) {}
  void sample_done() {
    if (!m_enabled) return;
    ++m_done;
    if (m_done * 10 < m_next_tenth * m_local) return;
    while (m_done * 10 >= m_next_tenth * m_local) ++m_next_tenth;
    const double fraction = static_cast<double>(m_done) / static_cast<double>(m_local);
    const double estimate = fraction * static_cast<double>(m_total);
    const double seconds = seconds_since(m_t0);
    char line[160];
    std::snprintf(line, sizeof line, "dataset: %.0f / %zu samples (%3.0f %%), %.3g samples/s, %.1f s", estimate, m_total,
                  100.0 * fraction, seconds > 0 ? estimate / seconds : 0.0, seconds);
    log::info(line);
  }

 private:
  bool m_enabled;
  std::size_t m_total, m_local, m_done = 0, m_next_tenth = 1;
  Clock::time_point m_t0;
};

}  // namespace

DatasetStats generate_dataset(const decomp::Communicator& comm, const io::Deck& deck, const DatasetProblem& problem) {
  const Clock::time_point t0 = Clock::now();
  // 1. validate (the same verdict on every rank: the deck and layout are replicated)
  if (deck.dataset_samples <= 0) NPDE_INPUT_ERROR("dataset.samples: must be at least 1, got " << deck.dataset_samples);
  if (deck.dataset_batch < 0) NPDE_INPUT_ERROR("dataset.batch: must be 0 (automatic) or positive, got " << deck.dataset_batch);
  const DatasetLayout& layout = problem.layout;
  check_layout(layout);
  NPDE_REQUIRE(static_cast<bool>(problem.solve), "dataset problem has no solve function");
  const auto n_samples = static_cast<std::size_t>(deck.dataset_samples);
  const Shapes shapes = shapes_of(layout);
  const decomp::Range mine = decomp::block_range(n_samples, comm.rank(), comm.size());
  const std::size_t largest_block = decomp::block_range(n_samples, 0, comm.size()).size();
  const std::size_t batch = batch_size(deck, shapes, largest_block);
  const std::size_t rounds = (largest_block + batch - 1) / batch;  // the same on every rank

  // 2. file, provenance, grid and empty datasets
  io::OutputFile out(comm, deck.output_file);
  out.set_attribute("/", "generator", std::string("npde dataset"));
  out.set_attribute("/", "npde_version", version_string());
  out.set_attribute("/", "deck", deck.text);
  out.set_attribute("/", "deck_path", deck.path);
  out.set_attribute("/", "pde", deck.pde);
  out.set_attribute("/", "seed", static_cast<long long>(deck.random_field.seed));
  out.set_attribute("/", "samples", static_cast<long long>(n_samples));
  out.set_attribute("/", "ranks", static_cast<long long>(comm.size()));
  static const char* axis_names[3] = {"x", "y", "z"};
  for (std::size_t a = 0; a < layout.axes.size(); ++a)
    out.write_array(std::string("/grid/") + axis_names[a], layout.axes[a]);
  if (!layout.output_times.empty()) out.write_array("/time", layout.output_times);
  const std::string input_path = "/inputs/" + layout.input_name, output_path = "/outputs/" + layout.output_name;
  Dims input_dims{n_samples}, output_dims{n_samples};
  if (!layout.output_times.empty()) output_dims.push_back(layout.output_times.size());
  input_dims.insert(input_dims.end(), shapes.grid.begin(), shapes.grid.end());
  output_dims.insert(output_dims.end(), shapes.grid.begin(), shapes.grid.end());
  out.create_dataset(input_path, input_dims);
  out.create_dataset(output_path, output_dims);
  for (const std::string& p : layout.parameter_names) out.create_dataset("/parameters/" + p, {n_samples});
  out.create_dataset("/sample_index", {n_samples});

  // 3. solve and write batch by batch; every rank takes part in every round's writes
  log::info(log::format("dataset: ", n_samples, " samples of ", deck.pde, " on ", comm.size(), " rank(s), ", batch,
                        " per rank and write -> ", deck.output_file));
  Progress progress(comm, n_samples, mine.size(), t0);
  Batch solved;
  double solve_seconds = 0;  // this rank's time inside the solver, for the per-sample figure
  for (std::size_t round = 0; round < rounds; ++round) {
    const std::size_t begin = std::min(mine.begin + round * batch, mine.end);
    const std::size_t count = std::min(batch, mine.end - begin);
    solved.clear(shapes.n_parameters);
    // A failed solve must not leave the other ranks waiting in the next write: it is caught,
    // shared in one reduction per batch, and rethrown everywhere.
    std::exception_ptr failure;
    try {
      for (std::size_t i = begin; i < begin + count; ++i) {
        const auto ts = Clock::now();
        auto sample = problem.solve(i);
        solve_seconds += seconds_since(ts);
        add_sample(solved, shapes, i, std::move(sample));
        progress.sample_done();
      }
    } catch (...) {
      failure = std::current_exception();
    }
    if (comm.any(static_cast<bool>(failure))) {
      if (failure) std::rethrow_exception(failure);
      NPDE_REQUIRE(false, "dataset generation failed on another rank (round " << round << ")");
    }
    out.write_rows(input_path, begin, count, data_or_null(solved.inputs));
    out.write_rows(output_path, begin, count, data_or_null(solved.outputs));
    for (std::size_t p = 0; p < shapes.n_parameters; ++p)
      out.write_rows("/parameters/" + layout.parameter_names[p], begin, count, data_or_null(solved.parameters[p]));
    out.write_rows("/sample_index", begin, count, data_or_null(solved.indices));
  }

  // 4. commit and report; the solve time per sample (one core each) is what an operator is compared with
  out.set_attribute("/", "solve_seconds_per_sample", comm.sum(solve_seconds) / double(n_samples));
  out.commit();
  DatasetStats stats;
  stats.samples = n_samples;
  stats.seconds = comm.max(seconds_since(t0));
  stats.samples_per_second = stats.seconds > 0 ? static_cast<double>(n_samples) / stats.seconds : 0.0;
  char line[200];
  std::snprintf(line, sizeof line, "dataset: %zu samples in %.3f s (%.3g samples/s) -> %s", n_samples, stats.seconds,
                stats.samples_per_second, deck.output_file.c_str());
  log::info(line);
  return stats;
}

}  // namespace npde::app
