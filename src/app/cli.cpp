// SPDX-License-Identifier: BSD-3-Clause
// Command-line parsing.
#include "npde/app/cli.hpp"

namespace npde::app {

namespace {
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}
}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine cl;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h" || a == "-help") {
      cl.help = true;
    } else if (a == "--version") {
      cl.version = true;
    } else if (a == "--quiet") {
      cl.quiet = true;
    } else if (a == "--restart") {
      cl.restart = true;
      // the next word is the checkpoint file when it names one (*.h5); otherwise the newest is used
      if (i + 1 < argc) {
        const std::string v = argv[i + 1];
        if (v.size() > 3 && v.compare(v.size() - 3, 3, ".h5") == 0) {
          cl.restart_file = v;
          ++i;
        }
      }
    } else if (starts_with(a, "--restart=")) {
      cl.restart = true;
      cl.restart_file = a.substr(10);
      if (cl.restart_file.empty()) {
        cl.error = "--restart= needs a checkpoint file";
        return cl;
      }
    } else if (a == "--output" || starts_with(a, "--output=")) {
      if (a == "--output" && i + 1 >= argc) {
        cl.error = "--output needs a file name";
        return cl;
      }
      cl.output = a == "--output" ? argv[++i] : a.substr(9);
    } else if (a == "--allow-deck-change") {
      cl.allow_deck_change = true;
    } else if (a == "--set") {
      if (i + 1 >= argc) {
        cl.error = "--set needs an argument key.sub=value";
        return cl;
      }
      cl.sets.push_back(argv[++i]);
    } else if (starts_with(a, "--set=")) {
      cl.sets.push_back(a.substr(6));
    } else if (starts_with(a, "--kokkos-")) {
      cl.kokkos_args.push_back(a);
    } else if (starts_with(a, "--")) {
      cl.error = "unknown option '" + a + "' (see npde --help)";
      return cl;
    } else if (a.size() > 1 && a[0] == '-' && !is_number(a)) {
      cl.petsc_args.push_back(a);
      if (i + 1 < argc) {
        const std::string v = argv[i + 1];
        if (v.empty() || v[0] != '-' || is_number(v)) {
          cl.petsc_args.push_back(v);
          ++i;
        }
      }
    } else {
      positional.push_back(a);
    }
  }
  if (cl.help || cl.version) return cl;
  if (positional.empty()) {
    cl.error = "missing command (train, reference, dataset, predict, metalic or info); see npde --help";
    return cl;
  }
  cl.verb = positional[0];
  if (cl.verb != "train" && cl.verb != "reference" && cl.verb != "dataset" && cl.verb != "info" &&
      cl.verb != "predict" && cl.verb != "metalic") {
    cl.error = "unknown command '" + cl.verb + "' (expected train, reference, dataset, predict, metalic or info)";
    return cl;
  }
  if (cl.verb == "predict") {
    if (positional.size() != 3) {
      cl.error = positional.size() < 3 ? "npde predict: needs a model and a dataset (npde predict model.h5 data.h5)"
                                       : "npde predict: unexpected argument '" + positional[3] + "'";
      return cl;
    }
    cl.deck = positional[1];
    cl.dataset = positional[2];
    return cl;
  }
  if (!cl.output.empty()) {
    cl.error = "--output applies to npde predict only (other commands write output.file)";
    return cl;
  }
  if (positional.size() < 2) {
    cl.error = "npde " + cl.verb + ": missing input deck (npde " + cl.verb + " deck.yaml)";
    return cl;
  }
  if (positional.size() > 2) {
    cl.error = "npde " + cl.verb + ": unexpected argument '" + positional[2] + "'";
    return cl;
  }
  cl.deck = positional[1];
  return cl;
}

std::string usage() {
  return R"(npde: physics-informed neural PDE solver with PETSc reference solutions

usage: mpirun -n N npde <command> <deck.yaml> [--set key.sub=value ...] [PETSc options]
       mpirun -n N npde predict <model.h5> <dataset.h5> [--output FILE]
       npde --help | --version

commands:
  train      train the network of the deck; if the deck has a `reference:` section, also solve
             the problem with PETSc and compare; writes output.file (HDF5) and its .xmf sidecar
  reference  only the classical solution (PETSc/SLEPc/FFTW) of the deck's equation, with its error
             where an exact solution is known; time-dependent equations write a time series
  dataset    solve dataset.samples random instances (darcy, ns_vorticity), spread over the ranks,
             into one HDF5 file (/inputs, /outputs, /grid); sample i depends only on (seed, i)
  metalic    choose the interface terms of the deck's decomposition per value of a PDE parameter
             (the `metalic` section): Gaussian-process bandit over the interface masks, each play a
             multi-domain training run (on its own group of ranks with metalic.groups > 1); writes
             the plays, the surrogate and a parameter -> mask table to output.file
  info       validate the deck and print what a run would do
  predict    npde predict <model.h5> <dataset.h5> [--output FILE]: a trained operator (the output of
             `npde train` of an operator deck) on every sample of a dataset, at any resolution: the
             predictions, references and errors as fields (+ .xmf), the error per sample, the
             inference time beside the classical solver's

options:
  --set key.sub=value   override one deck key (value parsed as YAML), e.g. --set training.seed=3
                        or --set reference.grid=[257,257]; may be repeated
  --quiet               no progress lines (summary only)
  --restart [FILE.h5]   resume training from a checkpoint: FILE, or the newest valid one in
                        training.checkpoint.dir (a corrupt newest one is skipped with a warning)
  --allow-deck-change   restart even though the deck differs from the checkpoint's
  --output FILE         npde predict: the output file (default <dataset name>_predict.h5 here)
  -ksp_type cg ...      any PETSc/SLEPc option, passed to the reference solver (after reference.petsc);
                        put them after the deck: a word following a PETSc flag is its value
  --kokkos-...          Kokkos runtime options
  --version             versions of npde, Kokkos, PETSc, HDF5, MPI and the BLAS kernel in use

signals: SIGUSR1, SIGTERM, SIGINT make every rank stop at the next iteration, write a checkpoint
  and exit with code 3; so does reaching training.walltime

exit codes: 0 success, 1 runtime failure, 2 bad command line, input deck or checkpoint,
            3 stopped cleanly on a signal or the wall-time limit (checkpoint written: requeue
            and run again with --restart), 4 training diverged (non-finite loss after roll-backs),
            5 a reference solver did not converge (change its options or grid)
documentation: docs/input-reference.md (every deck key), docs/solvers/ (reference solvers),
               docs/output-layout.md (HDF5 files), docs/numerics.md, README.md
)";
}

}  // namespace npde::app
