# SPDX-License-Identifier: BSD-3-Clause
# End-to-end checks of the npde command: runs it under mpiexec and inspects exit codes, messages and output files.
"""Usage: npde_regression.py --npde PATH --source-dir DIR --work-dir DIR --mpiexec CMD... <check> [args]

Checks (one ctest test each, see CMakeLists.txt):
  train DECK BOUND [--set k=v ...]   train on 2 ranks, then validate the HDF5 file and its .xmf sidecar
  reference DECK BOUND NP            reference solve on NP ranks; reference_rel_l2_exact <= BOUND
  catalogue DECK NP KEY BOUND [--set k=v ...] [--then SCRIPT ARG...]
                                     `npde reference` of a catalogue equation on NP ranks: layout of the
                                     file (grid, fields, /time or /eigenvalues, .xmf) and summary KEY <= BOUND;
                                     then SCRIPT OUT.h5 ARG... must exit 0
  catalogue-train DECK KEY BOUND [--set k=v ...]
                                     `npde train` of a catalogue equation on 2 ranks: /fields/{pinn,reference,
                                     error} on the reference's grid and series, error = pinn - reference, the
                                     summary's rel_l2_* are the norms of the stored fields, one history column
                                     per named loss term; summary KEY <= BOUND
  inverse DECK SOURCE BOUND [--set k=v ...]
                                     `npde reference SOURCE` (small grid), then catalogue-train of the
                                     inverse deck DECK on its output: coefficient_viscosity_rel_error <= BOUND
  dataset DECK [--set k=v ...]       `npde dataset` on 1 and on 2 ranks: bit-identical datasets
  operator                           operator learning end to end on tiny Darcy data: `npde train` of
                                     inputs/tfno_darcy.yaml on 1 and 2 ranks (same history), restart
                                     bit-identity, the NaN guard, `npde predict` at another resolution,
                                     and the data files' one-line errors
  petsc-options                      reference.petsc reaches a catalogue solver, the command line overrides it
  solver-failure                     a solver that does not converge: exit 5, one line, no file
  bad-input CASE                     a broken deck or command line: exit 2, one error line, no files
  headers                            every inputs/*.yaml names its documented command and `npde info` works
  cli                                --help and --version
  multidomain, metalic               multi-domain PINNs and METALIC end to end (regression_learning.py)
The shared helpers are in regression_common.py, the operator and multi-domain checks in
regression_learning.py.
Needs numpy, h5py and PyYAML only for `train` and `reference` (run it with /usr/bin/python3).
"""
import argparse
import glob
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from regression_common import (RUN_TIMEOUT, CheckFailed, check_common_attributes, check_grid_and_fields, check_xmf,
                               deck_path, effective_deck, expect, output_file, own_lines, rel_l2, run, set_arguments)
from regression_learning import check_metalic, check_multidomain, check_operator


def check_train(cfg, name, bound, extra_sets):
    import h5py
    import numpy as np
    out = output_file(cfg, "train_" + name)
    sets = list(extra_sets) + ["output.file=" + out]
    args = ["train", deck_path(cfg, name), "--quiet"]
    for s in sets:
        args += ["--set", s]
    rc, stdout, _ = run(cfg, 2, args)
    expect(rc == 0, "npde train exited with %d" % rc)
    expect("summary" in stdout, "no summary printed")
    expect(os.path.isfile(out) and not os.path.exists(out + ".tmp"), "output file missing or .tmp left behind")
    text = open(deck_path(cfg, name)).read()
    deck = effective_deck(text, sets)
    grid = deck.get("output", {}).get("grid") or deck["reference"]["grid"]
    n_stages = len(deck["training"]["stages"])
    max_iter = sum(s["iterations"] for s in deck["training"]["stages"])
    with h5py.File(out, "r") as f:
        check_common_attributes(f, text, sets, 2)
        s = f["summary"].attrs
        for key in ("rel_l2_exact", "rel_l2_reference", "reference_rel_l2_exact", "train_seconds", "iterations",
                    "final_loss"):
            expect(key in s and np.isfinite(s[key]), "summary attribute %s missing or not finite" % key)
        print("rel_l2_exact %.3e  rel_l2_reference %.3e  train_seconds %.2f  iterations %d"
              % (s["rel_l2_exact"], s["rel_l2_reference"], s["train_seconds"], s["iterations"]))
        expect(s["rel_l2_exact"] <= bound, "rel_l2_exact %.3e > %.1e" % (s["rel_l2_exact"], bound))
        u = check_grid_and_fields(f, deck, grid, ("pinn", "reference", "exact", "error"))
        # The summary numbers are the norms of the stored fields (nothing computed on another grid).
        expect(np.allclose(u["error"], u["pinn"] - u["reference"], rtol=0, atol=1e-13), "error != pinn - reference")
        for key, a, b in (("rel_l2_exact", "pinn", "exact"), ("rel_l2_reference", "pinn", "reference"),
                          ("reference_rel_l2_exact", "reference", "exact")):
            got = rel_l2(u[a], u[b])
            expect(math.isclose(got, s[key], rel_tol=1e-8), "%s = %.6e but the fields give %.6e" % (key, s[key], got))
        # History: one row per iteration, in order, stages in order, the last loss is the final one.
        h = {k: f["history/" + k][...] for k in f["history"]}
        n = len(h["iteration"])
        expect(all(len(c) == n for c in h.values()), "history columns differ in length")
        expect(0 < n <= max_iter and n == int(s["iterations"]), "history has %d rows, iterations %d" % (n, s["iterations"]))
        expect(np.array_equal(h["iteration"], np.arange(1, n + 1)), "history iteration column is not 1, 2, ..., n")
        expect(np.all(np.diff(h["stage"]) >= 0) and h["stage"][0] == 0 and h["stage"][-1] <= n_stages - 1,
               "history stage column is not non-decreasing within [0, %d)" % n_stages)
        expect(np.all(np.diff(h["wall_time"]) >= 0), "history wall_time decreases")
        expect(np.all(np.isfinite(h["loss"])) and math.isclose(h["loss"][-1], s["final_loss"], rel_tol=1e-12),
               "history loss not finite or its last entry is not final_loss")
    check_xmf(out, ("pinn", "reference", "exact", "error"))


def check_reference(cfg, name, bound, np_):
    import h5py
    import numpy as np
    out = output_file(cfg, "reference_%s_np%d" % (name, np_))
    sets = ["output.file=" + out]
    rc, _, _ = run(cfg, np_, ["reference", deck_path(cfg, name), "--set", sets[0]])
    expect(rc == 0, "npde reference exited with %d" % rc)
    text = open(deck_path(cfg, name)).read()
    deck = effective_deck(text, sets)
    with h5py.File(out, "r") as f:
        check_common_attributes(f, text, sets, np_)
        s = f["summary"].attrs
        err = float(s["reference_rel_l2_exact"])
        print("reference_rel_l2_exact %.3e on %s, %d rank(s)" % (err, deck["reference"]["grid"], np_))
        expect(err <= bound, "reference_rel_l2_exact %.3e > %.1e" % (err, bound))
        expect("fields/pinn" not in f and "history" not in f, "a reference run wrote training results")
        u = check_grid_and_fields(f, deck, deck["reference"]["grid"], ("reference", "exact", "error"))
        expect(np.allclose(u["error"], u["reference"] - u["exact"], rtol=0, atol=1e-13), "error != reference - exact")
        expect(math.isclose(rel_l2(u["reference"], u["exact"]), err, rel_tol=1e-8), "summary error != field error")
    check_xmf(out, ("reference", "exact", "error"))


def check_catalogue(cfg, name, np_, key, bound, extra_sets, then=None):
    import h5py
    import numpy as np
    out = output_file(cfg, "catalogue_%s_np%d" % (name, np_))
    sets = ["output.file=" + out] + extra_sets
    args = ["reference", deck_path(cfg, name)]
    for s_ in sets:
        args += ["--set", s_]
    rc, stdout, _ = run(cfg, np_, args)
    expect(rc == 0, "npde reference exited with %d" % rc)
    text = open(deck_path(cfg, name)).read()
    deck = effective_deck(text, sets)
    pde = deck["problem"]["pde"]
    time_dependent = pde in ("heat", "burgers", "allen_cahn", "klein_gordon", "ns_vorticity")
    with h5py.File(out, "r") as f:
        check_common_attributes(f, text, sets, np_)
        s = f["summary"].attrs
        expect(key in s, "summary lacks %s (has %s)" % (key, sorted(s.keys())))
        value = float(s[key])
        print("%s %s = %.4e (bound %.1e) on %d rank(s)" % (name, key, value, bound, np_))
        expect(math.isfinite(value) and abs(value) <= bound, "%s = %.4e > %.1e" % (key, value, bound))
        expect(key in stdout, "the printed summary lacks %s" % key)
        axes = [f["fields/grid/" + a][()] for a in "xyz"[:len(deck["problem"]["domain"]["lower"])]]
        grid = [len(a) for a in axes]
        for a in axes:
            expect(np.all(np.diff(a) > 0), "grid axis not increasing")
        fields = {n: f["fields/reference/" + n] for n in f["fields/reference"]}
        expect(fields, "no reference fields")
        series = None
        if time_dependent:
            series = f["time"][()]
            want = int(deck.get("reference", {}).get("snapshots", 101))
            expect(len(series) == want, "/time has %d entries, reference.snapshots %d" % (len(series), want))
            t0 = float(deck["problem"]["time"].get("start", 0))
            t1 = float(deck["problem"]["time"]["end"])
            expect(np.allclose(series, np.linspace(t0, t1, want), rtol=0, atol=1e-12 * max(1, abs(t1))),
                   "/time is not evenly spaced from start to end")
        elif pde == "schrodinger":
            series = f["eigenvalues"][()]
            expect(np.all(np.diff(series) >= 0), "eigenvalues not sorted")
            # /summary holds every eigenvalue the run prints, eigenvalue_<m> = /eigenvalues[m], printed once
            for m, e in enumerate(series):
                k = "eigenvalue_%d" % m
                expect(k in s and float(s[k]) == float(e), "summary %s is %s, /eigenvalues[%d] = %r"
                       % (k, s[k] if k in s else "missing", m, e))
                expect(len(re.findall(r"^\s+%s\s" % k, stdout, re.M)) == 1, "the printed summary lists %s %d times"
                       % (k, len(re.findall(r"^\s+%s\s" % k, stdout, re.M))))
        shape = tuple(reversed(grid)) if series is None else (len(series),) + tuple(reversed(grid))
        for n, d in fields.items():
            expect(d.shape == shape, "fields/reference/%s has shape %s, expected %s" % (n, d.shape, shape))
            expect(np.all(np.isfinite(d[()])), "fields/reference/%s is not finite" % n)
            if series is not None:
                expect(d.maxshape[0] is None, "fields/reference/%s: series dimension is not unlimited" % n)
        if "exact" in f["fields"]:
            for n in f["fields/exact"]:
                err = f["fields/error/" + n][()]
                expect(np.allclose(err, f["fields/reference/" + n][()] - f["fields/exact/" + n][()], rtol=0,
                                   atol=1e-12 * max(1.0, float(np.abs(f["fields/exact/" + n][()]).max()))),
                       "fields/error/%s != reference - exact" % n)
    expect(os.path.exists(out[:-3] + ".xmf"), "no .xmf sidecar")
    ET.parse(out[:-3] + ".xmf")
    if then:
        # a further check of the output by a script: `script out.h5 args...`
        cmd = [sys.executable, then[0], out] + then[1:]
        print("+ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        sys.stdout.write(p.stdout + p.stderr)
        expect(p.returncode == 0, "%s exited with %d" % (os.path.basename(then[0]), p.returncode))


def check_catalogue_train(cfg, name, key, bound, extra_sets):
    import h5py
    import numpy as np
    out = output_file(cfg, "catalogue_train_" + name)
    sets = ["output.file=" + out] + extra_sets
    args = ["train", deck_path(cfg, name)]
    for s_ in sets:
        args += ["--set", s_]
    rc, stdout, _ = run(cfg, 2, args)
    expect(rc == 0, "npde train exited with %d" % rc)
    expect(os.path.isfile(out) and not os.path.exists(out + ".tmp"), "output file missing or .tmp left behind")
    text = open(deck_path(cfg, name)).read()
    deck = effective_deck(text, sets)
    max_iter = sum(st["iterations"] for st in deck["training"]["stages"]) * int(deck["training"].get("states", 1))
    terms = re.search(r"loss terms \(points\): (.*), BLAS", stdout)
    names = [t.split(" (")[0] for t in terms.group(1).split(", ")] if terms else None
    with h5py.File(out, "r") as f:
        check_common_attributes(f, text, sets, 2)
        expect(f.attrs["generator"] == "npde train", "generator attribute is not 'npde train'")
        s = f["summary"].attrs
        expect(key in s, "summary lacks %s (has %s)" % (key, sorted(s.keys())))
        value = float(s[key])
        print("%s %s = %.4e (bound %.1e), train_seconds %.2f" % (name, key, value, bound, s["train_seconds"]))
        expect(math.isfinite(value) and value <= bound, "%s = %.4e > %.1e" % (key, value, bound))
        field_names = list(f["fields/reference"])
        for n in field_names:
            suffix = "_" + n if len(field_names) > 1 else ""
            ref, net, err = (f["fields/%s/%s" % (g, n)][()] for g in ("reference", "pinn", "error"))
            expect(net.shape == ref.shape and err.shape == ref.shape, "pinn/error shapes differ from the reference's")
            expect(np.all(np.isfinite(net)), "fields/pinn/%s is not finite" % n)
            expect(np.allclose(err, net - ref, rtol=0, atol=1e-13 * max(1.0, float(np.abs(ref).max()))),
                   "fields/error/%s != pinn - reference" % n)
            if "psi_0_rel_l2_reference" in s:  # eigenproblems: one error per mode (the series axis)
                for m in range(net.shape[0]):
                    expect(math.isclose(rel_l2(net[m], ref[m]), s["psi_%d_rel_l2_reference" % m], rel_tol=1e-8),
                           "psi_%d_rel_l2_reference is not the norm of the stored mode" % m)
                continue
            expect(math.isclose(rel_l2(net, ref), s["rel_l2_reference" + suffix], rel_tol=1e-8),
                   "rel_l2_reference%s is not the norm of the stored fields" % suffix)
            if "exact" in f["fields"]:
                expect(math.isclose(rel_l2(net, f["fields/exact/" + n][()]), s["rel_l2_exact" + suffix], rel_tol=1e-8),
                       "rel_l2_exact%s is not the norm of the stored fields" % suffix)
        h = {k: f["history/" + k][()] for k in f["history"]}
        n = len(h["iteration"])
        expect(0 < n <= max_iter and n == int(s["iterations"]), "history has %d rows, iterations %d" % (n, s["iterations"]))
        if names is None:  # eigenproblems log one header per state: take the terms from the history
            names = [k[5:] for k in h if k.startswith("loss_")]
        for t in names:
            expect("loss_" + t in h, "history lacks loss_%s" % t)
        total = sum(h["loss_" + t] for t in names)
        expect(np.allclose(total, h["loss"], rtol=1e-12, atol=0), "the loss terms do not sum to the loss")
    check_xmf(out, ())


def check_inverse(cfg, name, source, bound, extra_sets):
    """`npde reference SOURCE` writes the observations, `npde train NAME` learns the coefficient from them."""
    import h5py
    obs = output_file(cfg, "inverse_source_" + source)
    args = ["reference", deck_path(cfg, source), "--set", "output.file=" + obs, "--set", "reference.grid=[513]",
            "--set", "reference.snapshots=21"]
    rc, _, _ = run(cfg, 2, args)
    expect(rc == 0, "npde reference %s exited with %d" % (source, rc))
    check_catalogue_train(cfg, name, "coefficient_viscosity_rel_error", bound,
                          ["inverse.observations.file=" + obs] + extra_sets)
    with h5py.File(os.path.join(cfg.work_dir, "catalogue_train_" + name + ".h5"), "r") as f:
        s = f["summary"].attrs
        for key in ("coefficient_viscosity", "coefficient_viscosity_true", "coefficient_viscosity_initial"):
            expect(key in s, "summary lacks " + key)
        expect(abs(s["coefficient_viscosity_true"] - 0.01 / math.pi) < 1e-12, "the true viscosity is not the file's")
        expect("loss_data" in f["history"], "history lacks loss_data")


def check_dataset(cfg, name, extra_sets):
    import h5py
    import numpy as np
    files = []
    for np_ in (1, 2):
        out = output_file(cfg, "dataset_%s_np%d" % (name, np_))
        args = ["dataset", deck_path(cfg, name), "--set", "output.file=" + out]
        for s_ in extra_sets:
            args += ["--set", s_]
        rc, stdout, _ = run(cfg, np_, args)
        expect(rc == 0, "npde dataset on %d rank(s) exited with %d" % (np_, rc))
        expect("samples_per_second" in stdout, "no samples/s in the summary")
        files.append(out)

    def datasets(path):
        out = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        return out

    a, b = datasets(files[0]), datasets(files[1])
    expect(sorted(a) == sorted(b), "1 and 2 ranks wrote different datasets: %s vs %s" % (sorted(a), sorted(b)))
    expect(any(k.startswith("inputs/") for k in a) and any(k.startswith("outputs/") for k in a),
           "no /inputs or /outputs in %s" % sorted(a))
    for k in a:
        expect(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and a[k].tobytes() == b[k].tobytes(),
               "dataset %s differs between 1 and 2 ranks" % k)
    n = next(v for k, v in a.items() if k.startswith("inputs/")).shape[0]
    print("%d samples, %d datasets bit-identical on 1 and 2 ranks" % (n, len(a)))
    inputs = next(v for k, v in a.items() if k.startswith("inputs/"))
    expect(n >= 2 and not np.array_equal(inputs[0], inputs[1]), "samples 0 and 1 have the same input")


def check_petsc_options(cfg):
    """helmholtz2d's default is CG + GAMG: the deck string and then the command line change it."""
    import h5py
    cases = [([], "cg/gamg"),
             (["--set", "reference.petsc=-ksp_type bcgs -pc_type bjacobi"], "bcgs/bjacobi"),
             (["--set", "reference.petsc=-ksp_type bcgs -pc_type bjacobi", "-ksp_type", "gmres", "-pc_type", "jacobi"],
              "gmres/jacobi")]
    for i, (extra, want) in enumerate(cases):
        out = output_file(cfg, "petsc_options_%d" % i)
        rc, stdout, _ = run(cfg, 2, ["reference", deck_path(cfg, "helmholtz2d"), "--set", "output.file=" + out,
                                     "--set", "reference.grid=[33,33]"] + extra)
        expect(rc == 0, "npde reference %s exited with %d" % (" ".join(extra), rc))
        with h5py.File(out, "r") as f:
            solver = f["summary"].attrs["solver"]
        print("options %s -> solver '%s'" % (" ".join(extra) or "(none)", solver))
        expect(want in solver, "with %s the solver is '%s', expected '%s'" % (" ".join(extra), solver, want))


# ---------------------------------------------------------------------------------------------- bad input
def bad_input_case(cfg, case, scratch):
    """Returns (npde arguments, a word the error line must contain) for one broken input."""
    base = open(deck_path(cfg, "poisson2d")).read()
    out = os.path.join(scratch, "out.h5")
    short = ["--set", "training.stages[0].iterations=2", "--set", "training.stages[1].iterations=2",
             "--set", "output.file=" + out]

    def broken_deck(old, new):
        expect(old in base, "poisson2d.yaml no longer contains %r" % old)
        path = os.path.join(scratch, "broken.yaml")
        with open(path, "w") as fh:
            fh.write(base.replace(old, new, 1))
        return path

    good = deck_path(cfg, "poisson2d")

    # Inverse problems: a burgers deck learning a coefficient from an observation file made here.
    def inverse(coefficient, observations, word):
        return (["train", deck_path(cfg, "burgers1d"), "--set", "training.stages[0].iterations=2",
                 "--set", "training.stages[1].iterations=2", "--set", "reference.grid=[65]",
                 "--set", "reference.snapshots=5", "--set", "output.file=" + out,
                 "--set", "inverse.coefficient=" + coefficient, "--set", "inverse.observations.file=" + observations],
                word)

    def text_observations():
        path = os.path.join(scratch, "observations.txt")
        with open(path, "w") as fh:
            fh.write("x t u\n0 0 0\n")
        return path

    def foreign_hdf5_observations():
        import h5py  # an HDF5 file, but not npde's: no generator attribute
        import numpy as np
        path = os.path.join(scratch, "foreign.h5")
        with h5py.File(path, "w") as f:
            f["fields/grid/x"] = np.linspace(-1, 1, 65)
            f["fields/reference/u"] = np.zeros((5, 65))
        return path

    def heat_observations():
        # an `npde reference` file of another equation on the same kind of grid
        path = os.path.join(scratch, "heat_reference.h5")
        rc, _, _ = run(cfg, 2, ["reference", deck_path(cfg, "heat1d"), "--set", "reference.grid=[33]",
                                "--set", "reference.snapshots=5", "--set", "output.file=" + path])
        expect(rc == 0 and os.path.isfile(path), "npde reference heat1d (the observation file) failed: %d" % rc)
        return path

    cases = {  # lambdas: only the chosen case writes its broken deck
        "unknown_key": lambda: (["train", broken_deck("log_every:", "log_evry:")] + short, "log_evry"),
        "wrong_type": lambda: (["train", broken_deck("seed: 1", "seed: 1.5")] + short, "training.seed"),
        "bad_expression": lambda: (["train", broken_deck('source: "2*', 'source: "2*(')] + short, "problem.source"),
        "missing_file": lambda: (["train", os.path.join(scratch, "no_such_deck.yaml")] + short, "no_such_deck.yaml"),
        "bad_set": lambda: (["train", good, "--set", "trainingseed"] + short, "trainingseed"),
        "unknown_set_key": lambda: (["train", good, "--set", "training.sed=3"] + short, "training.sed"),
        "unknown_command": lambda: (["trian", good] + short, "trian"),
        "missing_output_dir": lambda: (["train", good] + short +
                                       ["--set", "output.file=" + os.path.join(scratch, "missing", "out.h5")],
                                       "output.file"),
        "output_is_directory": lambda: (["train", good] + short + ["--set", "output.file=" + scratch], "output.file"),
        "inverse_unknown_coefficient": lambda: inverse("diffusivity", os.path.join(scratch, "observations.h5"),
                                                       "inverse.coefficient"),
        "inverse_missing_observations": lambda: inverse("viscosity", os.path.join(scratch, "no_such_observations.h5"),
                                                        "inverse.observations.file"),
        "inverse_text_observations": lambda: inverse("viscosity", text_observations(), "inverse.observations.file"),
        "inverse_foreign_hdf5_observations": lambda: inverse("viscosity", foreign_hdf5_observations(),
                                                             "inverse.observations.file"),
        "inverse_other_equation_observations": lambda: inverse("viscosity", heat_observations(),
                                                               "inverse.observations.file"),
    }
    expect(case in cases, "unknown bad-input case '%s' (have: %s)" % (case, ", ".join(sorted(cases))))
    return cases[case]()


def check_bad_input(cfg, case):
    scratch = os.path.join(cfg.work_dir, "bad_" + case)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    args, word = bad_input_case(cfg, case, scratch)
    before = set(os.listdir(scratch))
    rc, stdout, stderr = run(cfg, 2, args)
    expect(rc == 2, "exit code %d, expected 2 (bad input)" % rc)
    errors = own_lines(stderr)
    expect(len(errors) == 1, "expected exactly one error line on stderr, got %d" % len(errors))
    expect(errors[0].startswith("npde error"), "stderr line does not start with 'npde error'")
    expect("rank 1" not in errors[0], "the error was printed by rank 1, not rank 0")
    expect(word in errors[0], "the error line does not name '%s'" % word)
    expect(not own_lines(stdout), "bad input still printed progress on stdout")
    left = set(os.listdir(scratch)) - before
    expect(not left, "files left behind: %s" % sorted(left))


def check_solver_failure(cfg):
    """A reference solver that does not converge (here: at most 2 Krylov iterations, or a Jacobi-
    preconditioned saddle point): exit 5, one line from rank 0 naming the reason, no output file."""
    scratch = os.path.join(cfg.work_dir, "solver_failure")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    for deck, options, word in (("darcy", ["-ksp_max_it", "2"], "DIVERGED_ITS"),
                                ("kovasznay", ["-pc_type", "jacobi", "-ksp_max_it", "20"], "Newton iteration failed")):
        out = os.path.join(scratch, deck + ".h5")
        rc, _, stderr = run(cfg, 2, ["reference", deck_path(cfg, deck), "--quiet", "--set", "output.file=" + out]
                            + options)
        expect(rc == 5, "%s %s: exit code %d, expected 5 (solver did not converge)" % (deck, options, rc))
        errors = own_lines(stderr)
        expect(len(errors) == 1 and errors[0].startswith("npde error") and "rank 1" not in errors[0]
               and word in errors[0],
               "%s: expected one error line from rank 0 naming '%s', got %s" % (deck, word, errors))
        expect(not os.listdir(scratch), "files left behind: %s" % sorted(os.listdir(scratch)))


# ---------------------------------------------------------------------------------------------- decks, CLI
def expected_parameters(n_inputs, layers, n_outputs=1, text=""):
    """Parameters of the deck's network: the layers; the embedding that feeds the first layer (Fourier
    features, trainable Gaussians with their centres and widths); a modified MLP's or PirateNet's
    encoders (and PirateNet's alphas); one scale per output of every map under weight factorisation."""
    freq = re.search(r"fourier_features:\s*\{[^}]*frequencies:\s*(\d+)", text)
    gauss = re.search(r"gaussian_features:\s*\{[^}]*count:\s*(\d+)", text)
    arch = re.search(r"^\s*architecture:\s*(\w+)", text, re.M)
    arch = arch.group(1) if arch else "mlp"
    first = 2 * int(freq.group(1)) if freq else int(gauss.group(1)) if gauss else n_inputs
    widths = [first] + list(layers) + [n_outputs]
    n = sum(widths[i] * widths[i + 1] + widths[i + 1] for i in range(len(widths) - 1))
    outs = sum(widths[1:])
    if arch in ("modified_mlp", "pirate"):
        n += 2 * (widths[1] * first + widths[1])
        outs += 2 * widths[1]
    if arch == "pirate":
        n += len(layers) // 3
    if gauss:
        n += 2 * int(gauss.group(1)) * n_inputs
    if re.search(r"^\s*weight_factorization:", text, re.M):
        n += outs
    return n


def check_headers(cfg):
    decks = sorted(glob.glob(os.path.join(cfg.source_dir, "inputs", "*.yaml")))
    expect(decks, "no decks in inputs/")
    for path in decks:
        name = os.path.basename(path)
        header = []
        for line in open(path):
            if not line.startswith("#"):
                break
            header.append(line.rstrip("\n"))
        text = open(path).read()
        trains = re.search(r"^training:", text, re.M) is not None
        operator = re.search(r"^model:", text, re.M) is not None
        verb = "train" if trains else "reference"
        if re.search(r"^metalic:", text, re.M):
            verb = "metalic"
        want = "#   mpirun -n 2 npde %s inputs/%s" % (verb, name)
        expect(any(h.startswith(want) for h in header), "%s: header lacks the command line '%s'" % (name, want))
        if re.search(r"^dataset:", text, re.M):
            want = "#   mpirun -n 2 npde dataset inputs/" + name
            expect(any(h.startswith(want) for h in header), "%s: header lacks the command line '%s'" % (name, want))
        rc, stdout, _ = run(cfg, 0, ["info", path])
        expect(rc == 0, "npde info %s exited with %d" % (name, rc))
        if not trains:
            expect(re.search(r"^problem ", stdout, re.M), "%s: npde info prints no problem line" % name)
            continue
        if operator:  # the model line with its parameter counts (the FNO's layout: docs/numerics.md)
            expect(re.search(r"^model .* \d+ parameters \(\d+ spectral", stdout, re.M),
                   "%s: npde info prints no model line with its parameters" % name)
            continue
        # The parameter count printed is the one of the deck's network (no PyYAML needed here).
        layers = re.search(r"\blayers:\s*\[([0-9,\s]+)\]", text)
        lower = re.search(r"lower:\s*\[([^\]]*)\]", text)
        dimension = re.search(r"^\s*dimension:\s*(\d+)", text, re.M)  # highdim: the unit ball
        expect(layers and (lower or dimension), "%s: cannot find network.layers or problem.domain.lower" % name)
        # inputs: the space dimensions, plus t for a deck with a time interval
        timed = re.search(r"^\s*time:", text, re.M) is not None
        n_in = int(dimension.group(1)) if dimension else len(lower.group(1).split(",")) + (1 if timed else 0)
        n_out = 3 if re.search(r"pde:\s*navier_stokes", text) else 1  # u, v, p
        n = expected_parameters(n_in, [int(w) for w in layers.group(1).split(",")], n_out, text)
        expect(re.search(r"^network .* %d parameters" % n, stdout, re.M),
               "%s: npde info does not print '%d parameters'" % (name, n))


def check_cli(cfg):
    rc, stdout, _ = run(cfg, 2, ["--help"])
    expect(rc == 0, "--help exited with %d" % rc)
    for section in ("usage:", "commands:", "options:", "exit codes:"):
        expect(stdout.count(section) == 1, "--help on 2 ranks: '%s' not printed exactly once" % section)
    for word in ("train", "reference", "info", "--set", "--version"):
        expect(word in stdout, "--help does not mention %s" % word)
    rc, stdout, _ = run(cfg, 0, ["--version"])
    expect(rc == 0, "--version exited with %d" % rc)
    for prefix in ("npde ", "Kokkos ", "PETSc ", "HDF5 ", "MPI ", "BLAS "):
        expect(re.search("^" + prefix, stdout, re.M), "--version lacks a line starting with '%s'" % prefix)
    rc, _, stderr = run(cfg, 0, [])
    expect(rc == 2 and len(own_lines(stderr)) == 1, "npde without a command: exit %d, expected 2 and one line" % rc)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--npde", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--np-flag", default="-n")
    ap.add_argument("--preflags", default="", help="MPIEXEC_PREFLAGS, ';'- or space-separated")
    ap.add_argument("check", choices=("train", "reference", "catalogue", "catalogue-train", "inverse", "dataset", "operator", "petsc-options",
                                      "solver-failure", "bad-input", "headers", "cli", "multidomain", "metalic"))
    ap.add_argument("args", nargs=argparse.REMAINDER)
    cfg = ap.parse_args()
    cfg.mpiexec = [cfg.mpiexec]
    cfg.preflags = [p for p in re.split(r"[;\s]+", cfg.preflags) if p]
    os.makedirs(cfg.work_dir, exist_ok=True)
    a = cfg.args
    try:
        if cfg.check == "train":
            sets = [a[i + 1] for i in range(2, len(a) - 1) if a[i] == "--set"]
            check_train(cfg, a[0], float(a[1]), sets)
        elif cfg.check == "reference":
            check_reference(cfg, a[0], float(a[1]), int(a[2]))
        elif cfg.check == "catalogue":
            rest, then = (a[4:a.index("--then")], a[a.index("--then") + 1:]) if "--then" in a else (a[4:], None)
            check_catalogue(cfg, a[0], int(a[1]), a[2], float(a[3]), set_arguments(rest), then)
        elif cfg.check == "inverse":
            check_inverse(cfg, a[0], a[1], float(a[2]), set_arguments(a[3:]))
        elif cfg.check == "catalogue-train":
            check_catalogue_train(cfg, a[0], a[1], float(a[2]), set_arguments(a[3:]))
        elif cfg.check == "dataset":
            check_dataset(cfg, a[0], set_arguments(a[1:]))
        elif cfg.check == "operator":
            check_operator(cfg)
        elif cfg.check == "multidomain":
            check_multidomain(cfg)
        elif cfg.check == "metalic":
            check_metalic(cfg)
        elif cfg.check == "petsc-options":
            check_petsc_options(cfg)
        elif cfg.check == "solver-failure":
            check_solver_failure(cfg)
        elif cfg.check == "bad-input":
            check_bad_input(cfg, a[0])
        elif cfg.check == "headers":
            check_headers(cfg)
        else:
            check_cli(cfg)
    except CheckFailed as e:
        print("FAILED: %s" % e)
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAILED: timed out: %s" % e)
        return 1
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
