// SPDX-License-Identifier: BSD-3-Clause
// Operator learning: dataset files (validated), `npde train` of an operator deck (FNO / TFNO trained
// data-parallel, checkpoints, summary, model file) and `npde predict`.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "app/operator.hpp"
#include "app/training.hpp"
#include "npde/app/signals.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/core/sha256.hpp"
#include "npde/core/version.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/io/xdmf.hpp"

namespace npde::app::detail {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool same_time(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

std::string time_label(const std::string& name, double t) {
  std::ostringstream os;
  os << name << "_t" << t;
  return os.str();
}

OperatorChannels channels_of(const io::Deck& deck) {
  OperatorChannels ch;
  ch.pde = deck.pde;
  ch.input_times = deck.op.input_times;
  ch.output_times = deck.op.output_times;
  return ch;
}

/// The samples-axis rows [first, first + count) of one channel, (count, ny, nx).
std::vector<double> read_channel(const io::H5Reader& file, const ChannelSource& src, long first, long count,
                                 long points) {
  std::vector<double> rows = file.read_rows(src.dataset, (unsigned long long)first, (unsigned long long)count);
  if (src.time_index < 0) return rows;
  const long times = long(rows.size()) / (count * points);
  std::vector<double> out(std::size_t(count * points));
  for (long b = 0; b < count; ++b)
    std::copy(rows.begin() + (b * times + src.time_index) * points, rows.begin() + (b * times + src.time_index + 1) * points,
              out.begin() + b * points);
  return out;
}

/// Samples [0, n) of the channels `srcs`, (n, channels, points), read 64 samples at a time.
std::vector<double> read_channels(const DatasetFile& f, const std::vector<ChannelSource>& srcs, long n) {
  const io::H5Reader file(f.path);
  const long P = long(f.ny) * f.nx, C = long(srcs.size());
  std::vector<double> out(std::size_t(n * C * P));
  for (long first = 0; first < n; first += 64) {
    const long count = std::min(64L, n - first);
    for (long c = 0; c < C; ++c) {
      const auto v = read_channel(file, srcs[std::size_t(c)], first, count, P);
      for (long b = 0; b < count; ++b)
        std::copy(v.begin() + b * P, v.begin() + (b + 1) * P, out.begin() + ((first + b) * C + c) * P);
    }
  }
  return out;
}

template <class T>
View1<T> to_view(const std::vector<double>& v, const char* label) {
  View1<T> d(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = T(v[i]);
  Kokkos::deep_copy(d, h);
  return d;
}

std::string kind_string(const fno::SpectralWeights& w) {
  switch (w.kind) {
    case fno::SpectralWeights::Kind::CP: return "cp";
    case fno::SpectralWeights::Kind::Tucker: return "tucker";
    default: return "dense";
  }
}

// ---- checkpoints of operator training ----------------------------------------------------------

const char* kHistoryColumns[] = {"epoch", "train_loss", "test_rel_l2", "lr", "wall_time"};

io::Checkpoint operator_checkpoint(const fno::OperatorTrainState& s, const io::Deck& deck, int ranks) {
  io::Checkpoint cp;
  cp.text["npde_version"] = version_string();
  cp.text["deck"] = deck.text;
  cp.text["deck_sha256"] = sha256_hex(deck.text);
  cp.text["precision"] = deck.precision;
  cp.text["trainer"] = "operator";
  cp.scalars["ranks"] = ranks;
  cp.scalars["epoch"] = double(s.epoch);
  cp.scalars["step"] = double(s.step);
  cp.scalars["epoch_loss"] = s.epoch_loss;
  cp.scalars["nan_scale"] = s.nan_scale;
  cp.scalars["nan_recoveries"] = s.nan_recoveries;
  cp.scalars["seconds"] = s.seconds;
  cp.arrays["params"] = s.params;
  cp.arrays["adam/m"] = s.adam.m;
  cp.arrays["adam/v"] = s.adam.v;
  cp.scalars["adam/iteration"] = double(s.adam.iteration);
  cp.scalars["adam/lr_scale"] = s.adam.lr_scale;
  std::vector<std::vector<double>> cols(5);
  for (const auto& r : s.history) {
    const double v[5] = {double(r.epoch), r.train_loss, r.test_rel_l2, r.lr, r.wall_time};
    for (int c = 0; c < 5; ++c) cols[std::size_t(c)].push_back(v[c]);
  }
  for (int c = 0; c < 5; ++c) cp.arrays[std::string("history/") + kHistoryColumns[c]] = std::move(cols[std::size_t(c)]);
  return cp;
}

fno::OperatorTrainState operator_state(const io::Checkpoint& cp, const io::Deck& deck, std::size_t n_params,
                                       long steps_per_epoch, bool allow_deck_change, const std::string& path) {
  auto fail = [&](const std::string& m) { throw io::CheckpointError(path + ": " + m); };
  if (!cp.text.count("trainer") || cp.string("trainer") != "operator")
    fail("is a checkpoint of PINN training, not of an operator deck");
  check_checkpoint_identity(cp, deck, allow_deck_change, path);
  auto count = [&](const std::string& key) {
    const double v = cp.scalar(key);
    if (!(v >= 0) || v > 9.0e15 || v != std::floor(v)) fail("value '" + key + "' is not a non-negative integer");
    return long(v);
  };
  fno::OperatorTrainState s;
  s.epoch = count("epoch");
  s.step = count("step");
  s.epoch_loss = cp.scalar("epoch_loss");
  s.nan_scale = cp.scalar("nan_scale");
  s.nan_recoveries = int(count("nan_recoveries"));
  s.seconds = cp.scalar("seconds");
  if (s.epoch > deck.op.epochs) fail("epoch " + std::to_string(s.epoch) + " exceeds the deck's " + std::to_string(deck.op.epochs));
  if (s.step > steps_per_epoch) fail("step " + std::to_string(s.step) + " exceeds the " + std::to_string(steps_per_epoch) + " steps of an epoch");
  if (!(s.nan_scale > 0) || !std::isfinite(s.epoch_loss) || !std::isfinite(s.seconds)) fail("invalid scalars");
  s.params = cp.array("params");
  if (s.params.size() != n_params)
    fail("holds " + std::to_string(s.params.size()) + " parameters, the deck's model has " + std::to_string(n_params));
  for (double v : s.params)
    if (!std::isfinite(v)) fail("parameters contain non-finite values");
  s.adam.m = cp.array("adam/m");
  s.adam.v = cp.array("adam/v");
  s.adam.iteration = count("adam/iteration");
  s.adam.lr_scale = cp.scalar("adam/lr_scale");
  if (s.adam.m.size() != n_params || s.adam.v.size() != n_params) fail("Adam moments have the wrong size");
  std::vector<const std::vector<double>*> cols;
  for (const char* c : kHistoryColumns) cols.push_back(&cp.array(std::string("history/") + c));
  for (const auto* c : cols)
    if (c->size() != std::size_t(s.epoch)) fail("history length does not match the epoch count");
  for (std::size_t i = 0; i < std::size_t(s.epoch); ++i) {
    fno::EpochRow r;
    r.epoch = long((*cols[0])[i]);
    r.train_loss = (*cols[1])[i];
    r.test_rel_l2 = (*cols[2])[i];
    r.lr = (*cols[3])[i];
    r.wall_time = (*cols[4])[i];
    s.history.push_back(r);
  }
  return s;
}

void write_operator_history(const decomp::Communicator& comm, io::OutputFile& out,
                            const std::vector<fno::EpochRow>& h) {
  std::vector<std::vector<double>> rows;
  if (comm.is_root())
    for (const auto& r : h) rows.push_back({double(r.epoch), r.train_loss, r.test_rel_l2, r.lr, r.wall_time});
  out.write_history({"epoch", "train_loss", "test_rel_l2", "lr", "wall_time"}, rows);
}

/// The model group of an output file: shape, channels, normalisers and parameters (what predict reads).
template <class T>
void write_model(io::OutputFile& out, const io::Deck& deck, const fno::FnoModel<T>& model, const View1<T>& params,
                 const DatasetFile& train, const fno::ChannelNormalizer& in_norm,
                 const fno::ChannelNormalizer& out_norm) {
  const auto& s = model.shape();
  out.set_attribute("/model", "kind", deck.op.kind);
  out.set_attribute("/model", "factorization", kind_string(s.weights));
  out.set_attribute("/model", "rank", s.weights.rank);
  out.set_attribute("/model", "precision", deck.precision);
  out.set_attribute("/model", "pde", deck.pde);
  out.set_attribute("/model", "mollified", deck.op.weight_physics > 0 ? 1 : 0);
  out.set_attribute("/model", "patch_levels", deck.op.patch_levels);
  out.set_attribute("/model", "patch_padding", deck.op.patch_padding);
  for (const auto& [name, v] : std::vector<std::pair<const char*, int>>{{"in", s.in}, {"out", s.out}, {"width", s.width},
                                                                      {"blocks", s.blocks}, {"modes_x", s.modes_x},
                                                                      {"modes_y", s.modes_y},
                                                                      {"lifting_ratio", s.lifting_ratio},
                                                                      {"projection_ratio", s.projection_ratio},
                                                                      {"train_ny", train.ny}, {"train_nx", train.nx}})
    out.set_attribute("/model", name, v);
  std::vector<double> ranks(s.weights.ranks.begin(), s.weights.ranks.end());
  out.write_array("/model/ranks", ranks.empty() ? std::vector<double>{0.0} : ranks);
  out.write_array("/model/input_times", deck.op.input_times.empty() ? std::vector<double>{-1.0} : deck.op.input_times);
  out.write_array("/model/output_times", deck.op.output_times.empty() ? std::vector<double>{-1.0} : deck.op.output_times);
  out.write_array("/model/input_mean", in_norm.mean);
  out.write_array("/model/input_std", in_norm.stddev);
  out.write_array("/model/output_mean", out_norm.mean);
  out.write_array("/model/output_std", out_norm.stddev);
  const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), params);
  out.write_array("/model/params", std::vector<double>(h.data(), h.data() + h.extent(0)));
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::numeric_limits<double>::quiet_NaN() : s / double(v.size());
}

template <class T>
int train_with(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl) {
  const auto ch = channels_of(deck);
  const auto& op = deck.op;
  const DatasetFile train_file = open_dataset(op.train_file, "data.train", ch, op.n_train);
  const DatasetFile test_file = open_dataset(op.test_file, "data.test", ch, op.n_test);
  const long n_train = op.n_train > 0 ? op.n_train : train_file.samples;
  const long n_test = op.n_test > 0 ? op.n_test : test_file.samples;
  const int cin = int(train_file.inputs.size()), cout = int(train_file.outputs.size());
  const fno::FnoShape shape = fno_shape(deck, cin, cout);
  const auto patching = [&](const DatasetFile& f) {
    return patching_for(op.patch_levels, op.patch_padding, f.ny, f.nx, f.key);
  };
  fno::FnoModel<T> model(shape);
  const long P = long(train_file.ny) * train_file.nx;
  const auto in_norm = fno::ChannelNormalizer::fit(read_inputs(train_file, n_train), int(n_train), cin, P);
  const auto out_norm = fno::ChannelNormalizer::fit(read_channels(train_file, train_file.outputs, n_train),
                                                    int(n_train), cout, P);
  // a physics loss builds the zero boundary into the model (the mollifier), at every resolution
  const bool physics = op.weight_physics > 0;
  const bool coords = op.patch_levels > 0;  // patches carry the whole field's coordinates
  const auto train = load_samples<T>(train_file, n_train, &in_norm, physics, physics ? &deck.source : nullptr, coords);
  // with a physics loss the test set keeps its coefficients too (the summary's residual of the targets)
  const auto test = load_samples<T>(test_file, n_test, &in_norm, physics, physics ? &deck.source : nullptr, coords);

  View1<T> params("npde::fno::params", model.n_params());
  model.init(params.data(), deck.seed);
  log::info(log::format("npde train ", deck.path, ": ", model_string(shape), ", ", model.n_params(), " parameters (",
                        model.spectral_params(), " spectral, compression ",
                        double(model.dense_spectral_params()) / double(model.spectral_params()), "x), ", deck.precision,
                        "; ", n_train, " training and ", n_test, " test samples on ", train_file.ny, "x", train_file.nx,
                        ", ", comm.size(), " rank(s)"));

  fno::OperatorTrainConfig cfg;
  cfg.epochs = op.epochs, cfg.batch = op.batch, cfg.lr = op.lr, cfg.weight_decay = op.weight_decay;
  cfg.schedule = op.schedule, cfg.schedule_step = op.schedule_step, cfg.schedule_gamma = op.schedule_gamma;
  cfg.loss = op.loss, cfg.periodic = deck.pde == "ns_vorticity";
  cfg.weight_data = op.weight_data, cfg.weight_physics = op.weight_physics;
  cfg.physics_preconditioned = op.physics_norm == "inverse_laplacian";
  cfg.seed = deck.seed, cfg.log_every = deck.log_every, cfg.quiet = cl.quiet;
  cfg.patching = patching(train_file);
  const long steps_per_epoch = (n_train + std::min<long>(op.batch, n_train) - 1) / std::min<long>(op.batch, n_train);

  std::unique_ptr<fno::OperatorTrainState> resume;
  if (cl.restart) {
    std::string used;
    const auto cp = io::load_restart(comm, checkpoint_dir(deck), cl.restart_file, &used);
    resume = std::make_unique<fno::OperatorTrainState>(
        operator_state(cp, deck, model.n_params(), steps_per_epoch, cl.allow_deck_change, used));
    log::info(log::format("restarting from ", used, " (", resume->epoch, " epochs and ", resume->step, " of ",
                          steps_per_epoch, " steps of the next done)"));
  }

  io::OutputFile out(comm, deck.output_file);
  out.set_attribute("/", "npde_version", version_string());
  out.set_attribute("/", "deck", deck.text);
  out.set_attribute("/", "deck_path", deck.path);
  out.set_attribute("/", "ranks", comm.size());
  out.set_attribute("/", "precision", deck.precision);
  out.set_attribute("/", "generator", std::string("npde train"));
  out.set_attribute("/", "pde", deck.pde);

  fno::OperatorTrainHooks hooks;
  hooks.stop_requested = stop_rule(deck);
  hooks.checkpoint_every = deck.checkpoint_every;
  const std::string dir = checkpoint_dir(deck);
  hooks.checkpoint = [&](const fno::OperatorTrainState& st) {
    const std::string path =
        write_checkpoint_collective(comm, dir, st.epoch * steps_per_epoch + st.step, deck.checkpoint_keep,
                                    [&] { return operator_checkpoint(st, deck, comm.size()); });
    log::info(log::format("checkpoint ", path, " (", st.epoch, " epochs and ", st.step, " of ", steps_per_epoch,
                          " steps of the next done)"));
  };
  hooks.history_block = [&](const std::vector<fno::EpochRow>& h) { write_operator_history(comm, out, h); };
  if (const char* inject = std::getenv("NPDE_TEST_INJECT_NAN_AT")) hooks.inject_nan_at = std::atol(inject);
  if (const char* stop = std::getenv("NPDE_TEST_STOP_AT")) hooks.stop_at = std::atol(stop);

  const auto result = fno::train_operator<T>(comm, model, params, cfg, train, test, out_norm, hooks, resume.get());
  if (result.stopped) {
    log::info(log::format("stopped cleanly in epoch ", result.epochs + 1,
                          stop_signal() ? std::string(" on ") + signal_name(stop_signal()) : std::string(),
                          "; run again with --restart to continue (exit code 3)"));
    return ExitStopped;
  }

  // the final evaluation: the test set (timed: the inference figure) and the extra test sets
  const int items = std::min<int>(op.batch, int(n_train)) * (cfg.patching.levels > 0 ? cfg.patching.per_field() : 1);
  const int chunk = std::max(1, (items + comm.size() - 1) / comm.size());
  comm.barrier();
  const auto t_eval = Clock::now();
  const auto test_err = fno::evaluate_operator(comm, model, params, test, out_norm, chunk, nullptr, &cfg.patching);
  comm.barrier();
  const double infer = seconds_since(t_eval) * comm.size() / double(n_test);  // core-seconds per sample
  std::vector<std::pair<std::string, double>> summary;
  summary.emplace_back("test_rel_l2", mean_of(test_err));
  for (std::size_t k = 0; k < op.extra_test.size(); ++k) {
    const DatasetFile f = open_dataset(op.extra_test[k], "data.extra_test[" + std::to_string(k) + "].file", ch,
                                       op.extra_test_samples[k]);
    const long n = op.extra_test_samples[k] > 0 ? op.extra_test_samples[k] : f.samples;
    const auto set = load_samples<T>(f, n, &in_norm, physics, nullptr, coords);
    const auto pg = patching(f);
    const double e = mean_of(fno::evaluate_operator(comm, model, params, set, out_norm, chunk, nullptr, &pg));
    summary.emplace_back("test_rel_l2_" + std::to_string(f.nx), e);
    log::info(log::format("test set ", f.path, " (", f.ny, "x", f.nx, ", ", n, " samples): rel. L2 ", e));
  }
  if (physics) {  // the discretisation's floor: the physics loss of the stored solutions themselves
    std::vector<double> r(std::size_t(test.n));
    fno::darcy_residual_sum<T>(test.y.data(), test.coefficient.data(), test.source.data(),
                               test.n, test.n1, test.n2, test.h1, test.h2, 0.0, nullptr, r.data(),
                               cfg.physics_preconditioned);
    summary.emplace_back("physics_residual_of_targets", mean_of(r));
  }
  summary.emplace_back("n_params", double(model.n_params()));
  summary.emplace_back("spectral_params", double(model.spectral_params()));
  summary.emplace_back("dense_spectral_params", double(model.dense_spectral_params()));
  summary.emplace_back("compression", double(model.dense_spectral_params()) / double(model.spectral_params()));
  summary.emplace_back("train_seconds", result.seconds);
  summary.emplace_back("samples_per_second", result.samples_per_second);
  summary.emplace_back("steady_samples_per_second", result.steady_samples_per_second);
  summary.emplace_back("epochs", double(result.epochs));
  summary.emplace_back("final_train_loss", result.history.empty() ? 0.0 : result.history.back().train_loss);
  summary.emplace_back("inference_seconds_per_sample", infer);
  if (test_file.solve_seconds_per_sample > 0) {
    summary.emplace_back("solve_seconds_per_sample", test_file.solve_seconds_per_sample);
    summary.emplace_back("speedup_vs_solver", test_file.solve_seconds_per_sample / infer);
  }
  if (cfg.patching.levels > 0) {  // what a rank holds of one field at a time
    const long K = cfg.patching.per_field(), B = std::min<long>(op.batch, n_train);
    long most = 0;  // the most patches of one field any rank holds in a full step (items patch-major)
    for (int r = 0; r < comm.size(); ++r) {
      const auto part = decomp::block_range(std::size_t(B * K), r, comm.size());
      std::vector<long> per(std::size_t(B), 0);
      for (std::size_t k = part.begin; k < part.end; ++k) ++per[k % std::size_t(B)];
      for (long v : per) most = std::max(most, v);
    }
    summary.emplace_back("patches_per_field", double(K));
    summary.emplace_back("patches_of_a_field_per_rank", double(most));
    summary.emplace_back("patches_per_rank_and_step", double(chunk));
  }
  {  // the largest resident set of any rank (data, model, workspaces)
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    summary.emplace_back("peak_memory_mib_per_rank", comm.max(double(ru.ru_maxrss) / 1024.0));
  }
  summary.emplace_back("ranks", double(comm.size()));
  summary.emplace_back("nan_recoveries", double(result.nan_recoveries));

  write_model(out, deck, model, params, train_file, in_norm, out_norm);
  write_operator_history(comm, out, result.history);
  out.write_array("/test/rel_l2", test_err);
  for (const auto& [k, v] : summary) out.set_attribute("/summary", k, v);
  out.set_attribute("/summary", "output_file", deck.output_file);
  out.commit();
  std::ostringstream os;
  os << "summary";
  for (const auto& [k, v] : summary) os << "\n  " << k << std::string(k.size() < 28 ? 28 - k.size() : 1, ' ') << v;
  os << "\n  output_file                 " << deck.output_file;
  log::info(os.str());
  return ExitSuccess;
}

}  // namespace

DatasetFile open_dataset(const std::string& path, const std::string& key, const OperatorChannels& ch, long want) {
  if (!std::ifstream(path))
    NPDE_INPUT_ERROR(key << ": '" << path << "' does not exist or cannot be read (make it with `npde dataset`)");
  std::unique_ptr<io::H5Reader> file;
  try {
    file = std::make_unique<io::H5Reader>(path);
  } catch (const std::exception&) {
    NPDE_INPUT_ERROR(key << ": cannot open '" << path << "' as an HDF5 file (make one with `npde dataset`)");
  }
  const std::string generator = file->has_attribute("/", "generator") ? file->attribute_string("/", "generator") : "";
  if (generator != "npde dataset")
    NPDE_INPUT_ERROR(key << ": '" << path << "' is not an npde dataset (generator '" << generator
                         << "'; make one with `npde dataset`)");
  const std::string pde = file->has_attribute("/", "pde") ? file->attribute_string("/", "pde") : "";
  if (pde != ch.pde)
    NPDE_INPUT_ERROR(key << ": '" << path << "' holds a " << (pde.empty() ? "?" : pde) << " dataset, the deck is "
                         << ch.pde);
  const bool darcy = ch.pde == "darcy";
  const std::string in_ds = darcy ? "/inputs/a" : "/inputs/w0", out_ds = darcy ? "/outputs/u" : "/outputs/w";
  DatasetFile f;
  f.path = path, f.key = key;
  for (const std::string& ds : {in_ds, out_ds, std::string("/grid/x"), std::string("/grid/y")})
    if (!file->exists(ds)) NPDE_INPUT_ERROR(key << ": '" << path << "' has no " << ds);
  bool in_float = false, out_float = false;
  const auto din = file->dims(in_ds, &in_float), dout = file->dims(out_ds, &out_float);
  if (!in_float || !out_float) NPDE_INPUT_ERROR(key << ": '" << path << "': " << in_ds << " and " << out_ds << " must hold floating-point values");
  if (din.size() != 3 || dout.size() != (darcy ? 3u : 4u) || din[0] != dout[0] || din[1] != dout.end()[-2] ||
      din[2] != dout.end()[-1])
    NPDE_INPUT_ERROR(key << ": '" << path << "': " << in_ds << " and " << out_ds
                         << " do not have the shapes of an npde dataset of " << ch.pde);
  f.samples = long(din[0]), f.ny = int(din[1]), f.nx = int(din[2]);
  f.x = file->read("/grid/x"), f.y = file->read("/grid/y");
  if (f.x.size() != std::size_t(f.nx) || f.y.size() != std::size_t(f.ny))
    NPDE_INPUT_ERROR(key << ": '" << path << "': the grid does not match the fields' " << f.ny << " x " << f.nx << " points");
  if (f.samples < 1) NPDE_INPUT_ERROR(key << ": '" << path << "' holds no samples");
  if (want > f.samples)
    NPDE_INPUT_ERROR(key << ": '" << path << "' holds " << f.samples << " samples, " << want << " are asked for");
  if (file->has_attribute("/", "solve_seconds_per_sample"))
    f.solve_seconds_per_sample = file->attribute_double("/", "solve_seconds_per_sample");
  if (darcy) {
    f.inputs.push_back({in_ds, -1, "a"});
    f.outputs.push_back({out_ds, -1, "u"});
    return f;
  }
  if (!file->exists("/time")) NPDE_INPUT_ERROR(key << ": '" << path << "' has no /time");
  const auto times = file->read("/time");
  if (times.size() != dout[1]) NPDE_INPUT_ERROR(key << ": '" << path << "': /time does not match " << out_ds);
  auto find = [&](double t, const char* what) -> ChannelSource {
    if (same_time(t, 0.0) && !(times.size() && same_time(times.front(), 0.0))) return {in_ds, -1, "w_t0"};
    for (std::size_t k = 0; k < times.size(); ++k)
      if (same_time(times[k], t)) return {out_ds, int(k), time_label("w", t)};
    std::ostringstream avail;
    avail << "0";
    for (double v : times) avail << ", " << v;
    NPDE_INPUT_ERROR(key << ": '" << path << "' has no vorticity at t = " << t << " (" << what << "; times: "
                         << avail.str() << ")");
  };
  for (double t : ch.input_times) f.inputs.push_back(find(t, "data.input_times"));
  if (ch.output_times.empty())
    f.outputs.push_back({out_ds, int(times.size()) - 1, time_label("w", times.back())});
  for (double t : ch.output_times) f.outputs.push_back(find(t, "data.output_times"));
  return f;
}

std::vector<double> read_inputs(const DatasetFile& f, long n) { return read_channels(f, f.inputs, n); }

template <class T>
fno::SampleSet<T> load_samples(const DatasetFile& f, long n, const fno::ChannelNormalizer* in_norm, bool mollify,
                               const std::string* source, bool coordinates) {
  fno::SampleSet<T> s;
  s.n = int(n), s.cin = int(f.inputs.size()), s.cout = int(f.outputs.size()), s.n1 = f.ny, s.n2 = f.nx;
  auto x = read_channels(f, f.inputs, n);
  if (source) s.coefficient = to_view<T>(x, "npde::fno::samples_a");  // Darcy: the one input, a
  if (in_norm) in_norm->encode(x, s.points());
  if (coordinates) {  // (n, C, P) -> (n, C + 2, P) with the field's own grid channels last
    const long P = s.points(), C = s.cin;
    std::vector<double> xc(std::size_t(n * (C + 2) * P));
    for (long b = 0; b < n; ++b) {
      std::copy(x.begin() + b * C * P, x.begin() + (b + 1) * C * P, xc.begin() + b * (C + 2) * P);
      for (long p = 0; p < P; ++p) {
        xc[std::size_t((b * (C + 2) + C) * P + p)] = double(p / f.nx) / f.ny;
        xc[std::size_t((b * (C + 2) + C + 1) * P + p)] = double(p % f.nx) / f.nx;
      }
    }
    x = std::move(xc);
    s.cin += 2;
  }
  s.x = to_view<T>(x, "npde::fno::samples_x");
  s.y = to_view<T>(read_channels(f, f.outputs, n), "npde::fno::samples_y");
  const double x0 = f.x.front(), x1 = f.x.back(), y0 = f.y.front(), y1 = f.y.back();
  if (mollify) {
    std::vector<double> m(std::size_t(s.points()));
    for (int i = 0; i < f.ny; ++i)
      for (int j = 0; j < f.nx; ++j)
        m[std::size_t(i) * f.nx + j] = std::sin(M_PI * (f.y[std::size_t(i)] - y0) / (y1 - y0)) *
                                       std::sin(M_PI * (f.x[std::size_t(j)] - x0) / (x1 - x0));
    s.mollifier = to_view<T>(m, "npde::fno::mollifier");
  }
  if (source) {
    const Expression e(*source, {"x", "y"}, "problem.source");
    std::vector<double> pts, v(std::size_t(s.points()));
    for (int i = 0; i < f.ny; ++i)
      for (int j = 0; j < f.nx; ++j) pts.push_back(f.x[std::size_t(j)]), pts.push_back(f.y[std::size_t(i)]);
    e.eval_many(pts.data(), v.size(), v.data());
    s.source = to_view<T>(v, "npde::fno::source");
    s.h1 = (y1 - y0) / (f.ny - 1), s.h2 = (x1 - x0) / (f.nx - 1);
  }
  return s;
}

template fno::SampleSet<double> load_samples<double>(const DatasetFile&, long, const fno::ChannelNormalizer*, bool,
                                                     const std::string*, bool);
template fno::SampleSet<float> load_samples<float>(const DatasetFile&, long, const fno::ChannelNormalizer*, bool,
                                                   const std::string*, bool);

fno::FnoShape fno_shape(const io::Deck& deck, int in_channels, int out_channels) {
  fno::FnoShape s;
  const auto& op = deck.op;
  // with patching: the whole field's two coordinate channels too, at every level
  s.in = (in_channels + (op.patch_levels > 0 ? 2 : 0)) * (op.patch_levels + 1);
  s.out = out_channels, s.width = op.width, s.blocks = op.blocks;
  s.modes_x = op.modes_x, s.modes_y = op.modes_y;
  s.lifting_ratio = op.lifting_ratio, s.projection_ratio = op.projection_ratio;
  s.weights.kind = fno::spectral_weights_from_name(op.factorization, "model.factorization");
  s.weights.rank = op.rank;
  s.weights.ranks = op.ranks;
  return s;
}

std::string model_string(const fno::FnoShape& s) {
  std::ostringstream os;
  os << (s.weights.kind == fno::SpectralWeights::Kind::Dense ? "FNO " : "TFNO ") << s.in << " -> " << s.width << " x "
     << s.blocks << " blocks, " << s.modes_x << "x" << s.modes_y << " modes, " << kind_string(s.weights);
  if (s.weights.kind != fno::SpectralWeights::Kind::Dense) {
    if (s.weights.ranks.empty()) {
      os << " rank " << s.weights.rank;
    } else {
      os << " ranks";
      for (int r : s.weights.ranks) os << " " << r;
    }
  }
  os << " -> " << s.out;
  return os.str();
}

fno::Patching patching_for(int levels, double padding, int ny, int nx, const std::string& what) {
  if (levels <= 0) return {};
  try {
    return fno::Patching(levels, padding, ny, nx);
  } catch (const InputError& e) {
    NPDE_INPUT_ERROR(what << ": " << e.what());
  }
}

void check_modes(const fno::FnoShape& s, int ny, int nx, const std::string& what, const fno::Patching& pg) {
  if (pg.levels > 0 && (pg.m1() < s.modes_x || pg.m2() / 2 < s.modes_y / 2))
    NPDE_INPUT_ERROR(what << ": the " << pg.m1() << " x " << pg.m2() << " patch windows of a " << ny << " x " << nx
                          << " grid have fewer Fourier modes than the model keeps (" << s.modes_x << " x " << s.modes_y
                          << ", model.modes): lower the modes or the patching levels");
  if (ny < s.modes_x || nx / 2 < s.modes_y / 2)
    NPDE_INPUT_ERROR(what << ": a " << ny << " x " << nx << " grid has fewer Fourier modes than the model keeps ("
                          << s.modes_x << " x " << s.modes_y << ", model.modes): lower the modes or use a finer grid");
}

void check_operator_deck(const io::Deck& deck) {
  const auto ch = channels_of(deck);
  const auto& op = deck.op;
  const DatasetFile train = open_dataset(op.train_file, "data.train", ch, op.n_train);
  const DatasetFile test = open_dataset(op.test_file, "data.test", ch, op.n_test);
  if (test.ny != train.ny || test.nx != train.nx)
    NPDE_INPUT_ERROR("data.test: '" << test.path << "' is on a " << test.ny << " x " << test.nx
                                    << " grid, the training set on " << train.ny << " x " << train.nx
                                    << ": give other resolutions under data.extra_test");
  const fno::FnoShape s = fno_shape(deck, int(train.inputs.size()), int(train.outputs.size()));
  try {  // the factorisation's ranks against the spectral tensor's dimensions
    fno::SpectralConv2d<double>(s.width, s.width, s.modes_x, s.modes_y, s.weights);
  } catch (const std::exception& e) {
    NPDE_INPUT_ERROR((op.ranks.empty() ? "model.rank: " : "model.ranks: ") << e.what());
  }
  check_modes(s, train.ny, train.nx, "model.modes",
              patching_for(op.patch_levels, op.patch_padding, train.ny, train.nx, "data.train"));
  for (std::size_t k = 0; k < op.extra_test.size(); ++k) {
    const std::string key = "data.extra_test[" + std::to_string(k) + "].file";
    const DatasetFile f = open_dataset(op.extra_test[k], key, ch, op.extra_test_samples[k]);
    check_modes(s, f.ny, f.nx, key, patching_for(op.patch_levels, op.patch_padding, f.ny, f.nx, key));
  }
}

namespace {

/// A model file written by `npde train` of an operator deck.
struct ModelFile {
  std::string path, precision, pde, kind;
  bool mollified = false;
  int patch_levels = 0;
  double patch_padding = 0;
  fno::FnoShape shape;
  OperatorChannels channels;
  fno::ChannelNormalizer in_norm, out_norm;
  std::vector<double> params;
  int train_ny = 0, train_nx = 0;
};

ModelFile read_model_file(const std::string& path) {
  if (!std::ifstream(path)) NPDE_INPUT_ERROR("model '" << path << "' does not exist or cannot be read");
  std::unique_ptr<io::H5Reader> file;
  try {
    file = std::make_unique<io::H5Reader>(path);
  } catch (const std::exception&) {
    NPDE_INPUT_ERROR("model '" << path << "' is not an HDF5 file");
  }
  if (!file->exists("/model") || !file->has_attribute("/model", "kind"))
    NPDE_INPUT_ERROR("model '" << path << "' holds no trained operator (/model; written by `npde train` of an operator "
                                  "deck)");
  ModelFile m;
  m.path = path;
  try {
    m.precision = file->attribute_string("/model", "precision");
    m.pde = file->attribute_string("/model", "pde");
    m.kind = file->attribute_string("/model", "kind");
    m.mollified = file->attribute_int("/model", "mollified") != 0;
    m.patch_levels = int(file->attribute_int("/model", "patch_levels"));
    m.patch_padding = file->attribute_double("/model", "patch_padding");
    auto& s = m.shape;
    auto geti = [&](const char* k) { return int(file->attribute_int("/model", k)); };
    s.in = geti("in"), s.out = geti("out"), s.width = geti("width"), s.blocks = geti("blocks");
    s.modes_x = geti("modes_x"), s.modes_y = geti("modes_y");
    s.lifting_ratio = geti("lifting_ratio"), s.projection_ratio = geti("projection_ratio");
    m.train_ny = geti("train_ny"), m.train_nx = geti("train_nx");
    s.weights.kind = fno::spectral_weights_from_name(file->attribute_string("/model", "factorization"), "factorization");
    s.weights.rank = file->attribute_double("/model", "rank");
    for (double r : file->read("/model/ranks"))
      if (r > 0) s.weights.ranks.push_back(int(r));
    m.channels.pde = m.pde;
    for (double t : file->read("/model/input_times"))
      if (t >= 0) m.channels.input_times.push_back(t);
    for (double t : file->read("/model/output_times"))
      if (t >= 0) m.channels.output_times.push_back(t);
    m.in_norm.mean = file->read("/model/input_mean"), m.in_norm.stddev = file->read("/model/input_std");
    m.out_norm.mean = file->read("/model/output_mean"), m.out_norm.stddev = file->read("/model/output_std");
    m.params = file->read("/model/params");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    NPDE_INPUT_ERROR("model '" << path << "' is incomplete or damaged: " << e.what());
  }
  const fno::FnoModel<double> probe(m.shape);
  if (m.params.size() != probe.n_params())
    NPDE_INPUT_ERROR("model '" << path << "' holds " << m.params.size() << " parameters, its shape needs "
                               << probe.n_params());
  if ((m.in_norm.mean.size() + (m.patch_levels > 0 ? 2 : 0)) * std::size_t(m.patch_levels + 1) != std::size_t(m.shape.in) ||
      m.out_norm.mean.size() != std::size_t(m.shape.out))
    NPDE_INPUT_ERROR("model '" << path << "': its normalisation does not match its " << m.shape.in << " -> "
                               << m.shape.out << " channels");
  return m;
}

template <class T>
int predict_with(const decomp::Communicator& comm, const CommandLine& cl, const ModelFile& m, const DatasetFile& f) {
  fno::FnoModel<T> model(m.shape);
  const View1<T> params = to_view<T>(m.params, "npde::fno::params");
  const auto set = load_samples<T>(f, f.samples, &m.in_norm, m.mollified, nullptr, m.patch_levels > 0);
  const int chunk = 8;
  std::vector<double> pred;
  const auto pg = patching_for(m.patch_levels, m.patch_padding, f.ny, f.nx, "dataset '" + f.path + "'");
  comm.barrier();
  const auto t0 = Clock::now();
  const auto err = fno::evaluate_operator(comm, model, params, set, m.out_norm, chunk, &pred, &pg);
  comm.barrier();
  const double infer = seconds_since(t0) * comm.size() / double(f.samples);
  const double mean = mean_of(err);
  std::string out_path = cl.output;
  if (out_path.empty()) {
    out_path = io::file_name_of(f.path);
    if (out_path.size() > 3 && out_path.compare(out_path.size() - 3, 3, ".h5") == 0) out_path.resize(out_path.size() - 3);
    out_path += "_predict.h5";
  }
  io::OutputFile out(comm, out_path);
  out.set_attribute("/", "generator", std::string("npde predict"));
  out.set_attribute("/", "npde_version", version_string());
  out.set_attribute("/", "model", m.path);
  out.set_attribute("/", "dataset", f.path);
  out.set_attribute("/", "pde", m.pde);
  out.set_attribute("/", "ranks", comm.size());
  out.write_array("/fields/grid/x", f.x);
  out.write_array("/fields/grid/y", f.y);
  const auto rows = decomp::block_range(std::size_t(f.samples), comm.rank(), comm.size());
  const long P = long(f.ny) * f.nx, C = long(f.outputs.size());
  const std::vector<unsigned long long> dims{(unsigned long long)f.samples, (unsigned long long)f.ny,
                                             (unsigned long long)f.nx};
  std::vector<std::pair<std::string, std::string>> xmf;
  const auto targets = read_channels(f, f.outputs, f.samples);
  for (long c = 0; c < C; ++c) {
    const std::string name = f.outputs[std::size_t(c)].label;
    std::vector<double> p, t, e;
    for (std::size_t b = rows.begin; b < rows.end; ++b)
      for (long i = 0; i < P; ++i) {
        const std::size_t k = (b * std::size_t(C) + std::size_t(c)) * std::size_t(P) + std::size_t(i);
        p.push_back(pred[k]), t.push_back(targets[k]), e.push_back(pred[k] - targets[k]);
      }
    for (const auto& [group, v] : {std::pair<std::string, std::vector<double>*>{"prediction", &p}, {"reference", &t},
                                   {"error", &e}}) {
      out.write_field("/fields/" + group + "/" + name, dims, rows.begin, rows.size(), v->empty() ? nullptr : v->data());
      xmf.emplace_back(group + "_" + name, "/fields/" + group + "/" + name);
    }
  }
  out.write_array("/rel_l2", err);
  const std::vector<std::pair<std::string, double>> summary = {
      {"test_rel_l2", mean},
      {"samples", double(f.samples)},
      {"resolution", double(f.nx)},
      {"inference_seconds_per_sample", infer},
      {"solve_seconds_per_sample", f.solve_seconds_per_sample},
      {"speedup_vs_solver", f.solve_seconds_per_sample > 0 ? f.solve_seconds_per_sample / infer : 0.0},
      {"ranks", double(comm.size())}};
  for (const auto& [k, v] : summary) out.set_attribute("/summary", k, v);
  out.commit();
  if (comm.is_root()) {
    std::vector<double> index;
    for (long i = 0; i < f.samples; ++i) index.push_back(double(i));
    io::write_xdmf_series(io::xdmf_path_for(out_path), io::file_name_of(out_path),
                          {(unsigned long long)f.nx, (unsigned long long)f.ny}, index, xmf);
  }
  std::ostringstream os;
  os << "summary";
  for (const auto& [k, v] : summary) os << "\n  " << k << std::string(k.size() < 28 ? 28 - k.size() : 1, ' ') << v;
  os << "\n  output_file                 " << out_path;
  log::info(os.str());
  return ExitSuccess;
}

}  // namespace

int operator_predict(const decomp::Communicator& comm, const CommandLine& cl) {
  ModelFile m;
  DatasetFile f;
  std::string err;
  try {  // every rank reads the same files: the same verdict, shared below all the same
    m = read_model_file(cl.deck);
    f = open_dataset(cl.dataset, "dataset", m.channels, 0);
    if ((int(f.inputs.size()) + (m.patch_levels > 0 ? 2 : 0)) * (m.patch_levels + 1) != m.shape.in ||
        int(f.outputs.size()) != m.shape.out)
      NPDE_INPUT_ERROR("dataset '" << f.path << "' has " << f.inputs.size() << " -> " << f.outputs.size()
                                   << " channels, the model " << m.shape.in << " -> " << m.shape.out);
    check_modes(m.shape, f.ny, f.nx, "dataset '" + f.path + "'",
                patching_for(m.patch_levels, m.patch_padding, f.ny, f.nx, "dataset '" + f.path + "'"));
  } catch (const std::exception& e) {
    err = e.what();
  }
  if (comm.any(!err.empty())) {
    const auto all = comm.allgather(err);
    if (comm.is_root())
      for (const auto& e : all)
        if (!e.empty()) {
          log::error(e);
          break;
        }
    return ExitInput;
  }
  log::info(log::format("npde predict ", m.path, " on ", f.path, ": ", model_string(m.shape), " (trained on ", m.train_ny,
                        "x", m.train_nx, "), ", f.samples, " samples on ", f.ny, "x", f.nx, ", ", comm.size(), " rank(s)"));
  return m.precision == "float" ? predict_with<float>(comm, cl, m, f) : predict_with<double>(comm, cl, m, f);
}

int operator_train(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl) {
  return deck.precision == "float" ? train_with<float>(comm, deck, cl) : train_with<double>(comm, deck, cl);
}

}  // namespace npde::app::detail
