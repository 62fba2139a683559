# SPDX-License-Identifier: BSD-3-Clause
# End-to-end checks of the post-processing scripts (scripts/plot_*.py, summarize.py) on real npde output.
"""Usage: test_scripts.py --npde PATH --source-dir DIR --work-dir DIR --mpiexec CMD... <check>

Checks (one ctest test each, see CMakeLists.txt):
  make        short npde runs writing the files the other checks read (2D soft-BC and 1D training on
              2 ranks, a 3D `npde reference` on 1 rank)
  history     plot_history.py: one and several files, a file without history
  fields      plot_fields.py: 1D, 2D with --error-vs, 3D with --slice and --cut, bad options
  summarize   summarize.py: text table and CSV agree with the files' /summary attributes
  errors      every script on a missing file and on a non-HDF5 file: exit 2, one line, no traceback
  make_catalogue  small `npde reference` runs of catalogue equations on 2 ranks: burgers1d and heat2d
              (time series), kovasznay (u, v, p with exact solutions), schrodinger_infinite_well (eigenmodes)
  series      plot_fields.py on the 1D and 2D time series: x-t image, --time, bad --time/--mode
  multifield  plot_fields.py on kovasznay: one row per field, --field, --error-vs, unknown field
  eigen       plot_fields.py on the eigenmodes: all modes, --mode, bad --mode
  summarize_catalogue  summarize.py on the catalogue files: the union of their numeric keys, --keys
  make_train_catalogue  short `npde train` runs of catalogue equations on 2 ranks: heat1d (1D time series,
              soft conditions, an inverse problem learning the diffusivity from a small `npde reference`
              file) and kovasznay (navier_stokes: u, v, p with exact solutions)
  train_fields  plot_fields.py on them: PINN | reference | error panels (x-t images and profiles in 1D,
              one row per field in 2D), --time, --field, --error-vs, the title's numbers, bad options
  train_history  plot_history.py on them: every loss_<term> column in the legend, one and two files
  train_summarize  summarize.py on them: pde, per-field errors and the inverse coefficient as columns
Run it with a Python that has numpy, h5py and matplotlib (Debian's /usr/bin/python3).
"""
import argparse
import csv
import io
import math
import os
import re
import subprocess
import sys

RUN_TIMEOUT = 60  # seconds per command; each one takes a few on the 2-core development machine
MIN_PNG_BYTES = 10_000  # a figure with axes, text and data; an empty canvas compresses to ~5 kB
MIN_PIXEL_STD = 0.02  # std of RGB values in [0, 1]; a blank or single-colour image has 0
SCRIPTS = ("plot_history.py", "plot_fields.py", "summarize.py")

TRAIN2D = "train2d.h5"
TRAIN1D = "train1d.h5"
REF3D = "reference3d.h5"
BURGERS = "burgers1d.h5"  # 1D time series, no exact solution
HEAT2D = "heat2d.h5"  # 2D time series with exact and error
KOVASZNAY = "kovasznay.h5"  # steady u, v, p with exact and error
EIGEN = "schrodinger_infinite_well.h5"  # 4 eigenmodes psi with exact and error
CATALOGUE = (BURGERS, HEAT2D, KOVASZNAY, EIGEN)
HEAT_OBS = "heat1d_observations.h5"  # `npde reference` of heat1d: the inverse run's observations
TRAIN_HEAT = "train_heat1d_inverse.h5"  # `npde train`: 1D time series, soft conditions, learnt diffusivity
TRAIN_KOV = "train_kovasznay.h5"  # `npde train` of navier_stokes: u, v, p with exact solutions
TRAIN_CATALOGUE = (TRAIN_HEAT, TRAIN_KOV)


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def run(cmd, cfg, timeout=RUN_TIMEOUT):
    print("+ " + " ".join(cmd), flush=True)
    env = dict(os.environ, MPLBACKEND="Agg")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cfg.work_dir, env=env)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    return p


def script(cfg, name, *args):
    """Runs scripts/<name> with this interpreter (the shebang's /usr/bin/python3 may not be the one tested)."""
    return run([sys.executable, os.path.join(cfg.source_dir, "scripts", name)] + list(args), cfg)


def npde(cfg, np, *args):
    cmd = [] if np == 0 else cfg.mpiexec + [cfg.np_flag, str(np)] + cfg.preflags
    p = run(cmd + [cfg.npde] + list(args), cfg, timeout=120)
    expect(p.returncode == 0, "npde %s exited with %d" % (" ".join(args[:2]), p.returncode))


def work(cfg, name):
    return os.path.join(cfg.work_dir, name)


def expect_ok(p, what):
    expect(p.returncode == 0, "%s exited with %d" % (what, p.returncode))
    expect("Traceback" not in p.stderr, "%s printed a traceback" % what)


def expect_user_error(p, what, mention=None):
    """Exit code 2, exactly one stderr line naming the script, nothing on stdout."""
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    expect(p.returncode == 2, "%s: exit code %d, expected 2" % (what, p.returncode))
    expect(len(lines) == 1, "%s: %d stderr lines, expected one:\n%s" % (what, len(lines), p.stderr))
    expect(": error: " in lines[0], "%s: the line does not say 'error': %s" % (what, lines[0]))
    expect(not p.stdout.strip(), "%s wrote to stdout: %s" % (what, p.stdout))
    if mention:
        expect(mention in lines[0], "%s: the message does not name '%s': %s" % (what, mention, lines[0]))


def expect_png(path):
    """A real picture: big enough, and not one flat colour. Returns (width, height) in pixels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import numpy as np
    expect(os.path.isfile(path), "no image " + path)
    size = os.path.getsize(path)
    expect(size > MIN_PNG_BYTES, "%s is only %d bytes" % (path, size))
    rgb = mpimg.imread(path)[..., :3]
    std = float(rgb.std())
    colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
    print("  %s: %d bytes, %dx%d pixels, pixel std %.3f, %d colours" % (path, size, rgb.shape[1], rgb.shape[0],
                                                                           std, colours))
    expect(std > MIN_PIXEL_STD and colours > 16, "%s looks blank (std %.4f, %d colours)" % (path, std, colours))
    return rgb.shape[1], rgb.shape[0]


def expect_size(size, path, min_w=500, min_h=400, max_px=4000):
    w, h = size
    expect(min_w <= w <= max_px and min_h <= h <= max_px,
           "%s is %dx%d pixels, expected at least %dx%d and at most %d" % (path, w, h, min_w, min_h, max_px))


def fresh(path):
    if os.path.exists(path):
        os.remove(path)
    return path


# ---------------------------------------------------------------------------------------------- checks
def check_make(cfg):
    deck = lambda name: os.path.join(cfg.source_dir, "inputs", name + ".yaml")
    # Soft boundary conditions so that the history has a nonzero loss_bc column to draw.
    npde(cfg, 2, "train", deck("poisson2d"), "--set", "output.file=" + fresh(work(cfg, TRAIN2D)),
         "--set", "problem.bc_enforcement=soft", "--set", "training.points.interior=256",
         "--set", "training.stages[0].iterations=40", "--set", "training.stages[1].iterations=20",
         "--set", "training.log_every=10", "--set", "reference.grid=[33,33]")
    npde(cfg, 2, "train", deck("poisson1d"), "--set", "output.file=" + fresh(work(cfg, TRAIN1D)),
         "--set", "training.stages[0].iterations=40", "--set", "training.stages[1].iterations=20",
         "--set", "training.log_every=10", "--set", "reference.grid=[129]")
    npde(cfg, 1, "reference", deck("poisson3d"), "--set", "output.file=" + fresh(work(cfg, REF3D)),
         "--set", "reference.grid=[9,9,9]")
    for name in (TRAIN2D, TRAIN1D, REF3D):
        expect(os.path.isfile(work(cfg, name)), "npde did not write " + name)


def check_history(cfg):
    # Several files, one without history (skipped with a warning), against wall-clock time.
    out = fresh(work(cfg, "history_all.png"))
    p = script(cfg, "plot_history.py", REF3D, TRAIN2D, TRAIN1D, "--x", "wall_time", "-o", out)
    expect_ok(p, "plot_history.py on three files")
    expect(p.stdout.strip() == out, "plot_history.py did not print the image path")
    expect("warning" in p.stderr and REF3D in p.stderr, "no warning about the skipped file")
    expect_png(out)
    # One file, default output name next to it.
    default = fresh(work(cfg, "train2d_history.png"))
    expect_ok(script(cfg, "plot_history.py", TRAIN2D), "plot_history.py on one file")
    expect_png(default)
    # A reference-only file alone has nothing to plot: a user error, not a crash.
    expect_user_error(script(cfg, "plot_history.py", REF3D), "plot_history.py on an `npde reference` file", REF3D)


def check_fields(cfg):
    for name, extra in ((TRAIN2D, ["--error-vs", "exact"]), (TRAIN1D, [])):
        out = fresh(work(cfg, os.path.splitext(name)[0] + "_fields_test.png"))
        expect_ok(script(cfg, "plot_fields.py", name, "-o", out, *extra), "plot_fields.py " + name)
        expect_png(out)
    default = fresh(work(cfg, "reference3d_fields.png"))  # default output name
    expect_ok(script(cfg, "plot_fields.py", REF3D, "--slice", "x=0.5", "--cut", "y=0.25"),
              "plot_fields.py --slice --cut on a 3D file")
    expect_png(default)
    bad = [(TRAIN2D, ["--slice", "z=0.5"], "--slice"), (REF3D, ["--slice", "z=7"], "outside"),
           (TRAIN2D, ["--cut", "z=0.5"], "--cut"), (TRAIN1D, ["--cut", "x=0"], "--cut"),
           (TRAIN2D, ["--cut", "y"], "AXIS=VALUE"), (REF3D, ["--error-vs", "reference"], "PINN")]
    for name, extra, mention in bad:
        expect_user_error(script(cfg, "plot_fields.py", name, *extra), "plot_fields.py %s %s" % (name, " ".join(extra)),
                          mention)


def summary_attrs(cfg, name):
    import h5py
    with h5py.File(work(cfg, name), "r") as f:
        return dict(f["summary"].attrs)


def check_summarize(cfg):
    files = [TRAIN2D, TRAIN1D, REF3D]
    p = script(cfg, "summarize.py", *files)
    expect_ok(p, "summarize.py")
    lines = p.stdout.splitlines()
    expect(len(lines) == 1 + len(files), "expected a header and %d rows:\n%s" % (len(files), p.stdout))
    head = lines[0].split()
    expect(head[0] == "file" and "rel_l2_exact" in head, "unexpected header: " + lines[0])
    col = head.index("rel_l2_exact")
    for name, line in zip(files, lines[1:]):
        cells = line.split()
        expect(len(cells) == len(head), "row of %s has %d cells, header %d" % (name, len(cells), len(head)))
        expect(cells[0] == name, "row does not start with the file name %s: %s" % (name, line))
        want = summary_attrs(cfg, name).get("rel_l2_exact")
        if want is None:
            expect(cells[col] == "-", "%s has no rel_l2_exact but the table shows %s" % (name, cells[col]))
        else:
            got = float(cells[col])  # raises on a non-number, which fails the test
            expect(math.isfinite(got) and abs(got - want) <= 1e-3 * abs(want),
                   "%s: table rel_l2_exact %s, file %r" % (name, cells[col], want))
    # CSV keeps every digit: the values round-trip exactly.
    p = script(cfg, "summarize.py", "--csv", *files)
    expect_ok(p, "summarize.py --csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    expect([r["file"] for r in rows] == files, "CSV rows are not the files in order")
    for r in rows:
        attrs = summary_attrs(cfg, r["file"])
        for key in ("rel_l2_exact", "reference_rel_l2_exact", "final_loss"):
            want = attrs.get(key)
            expect((r[key] == "") if want is None else float(r[key]) == float(want),
                   "%s: CSV %s = '%s', file %r" % (r["file"], key, r[key], want))
        expect(r["precision"] == "double" and int(r["ranks"]) in (1, 2), "CSV run columns wrong: %s" % r)


def check_errors(cfg):
    missing = work(cfg, "no_such_file.h5")
    not_h5 = work(cfg, "not_hdf5.h5")
    with open(not_h5, "w") as f:
        f.write("this is not an HDF5 file\n")
    for name in SCRIPTS:
        expect_user_error(script(cfg, name, missing), name + " on a missing file", "no_such_file.h5")
        expect_user_error(script(cfg, name, not_h5), name + " on a text file", "not_hdf5.h5")
        expect_user_error(script(cfg, name, "--no-such-option", missing), name + " with an unknown option",
                          "--no-such-option")
        p = script(cfg, name, "--help")
        expect(p.returncode == 0 and "usage:" in p.stdout, name + " --help failed")


# ------------------------------------------------------------------- `npde reference` catalogue files
def check_make_catalogue(cfg):
    deck = lambda name: os.path.join(cfg.source_dir, "inputs", name + ".yaml")
    runs = [("burgers1d", BURGERS, ["reference.grid=[129]", "reference.snapshots=6"]),
            ("heat2d", HEAT2D, ["reference.grid=[17,17]"]),
            ("kovasznay", KOVASZNAY, ["reference.grid=[17,25]"]),
            ("schrodinger_infinite_well", EIGEN, ["reference.grid=[129]"])]
    for name, out, sets in runs:
        args = ["reference", deck(name), "--set", "output.file=" + fresh(work(cfg, out))]
        for s in sets:
            args += ["--set", s]
        npde(cfg, 2, *args)
        expect(os.path.isfile(work(cfg, out)), "npde did not write " + out)


def fields_png(cfg, name, out, *extra):
    """plot_fields.py NAME -o OUT EXTRA...: exit 0, prints the path, a real picture; returns its size."""
    out = fresh(work(cfg, out))
    p = script(cfg, "plot_fields.py", name, "-o", out, *extra)
    expect_ok(p, "plot_fields.py %s %s" % (name, " ".join(extra)))
    expect(p.stdout.strip() == out, "plot_fields.py did not print the image path")
    size = expect_png(out)
    expect_size(size, out)
    return size


def bad_fields(cfg, cases):
    for name, extra, mention in cases:
        expect_user_error(script(cfg, "plot_fields.py", name, *extra), "plot_fields.py %s %s" % (name, " ".join(extra)),
                          mention)


def check_series(cfg):
    # 1D: x-t image and profiles; two columns (no exact solution), so wider than tall.
    w, h = fields_png(cfg, BURGERS, "burgers_default.png")
    expect(w > h, "the burgers x-t figure is %dx%d, expected two panels side by side" % (w, h))
    fields_png(cfg, BURGERS, "burgers_times.png", "--time", "0.25", "--time", "1")
    default = fresh(work(cfg, "heat2d_fields.png"))  # 2D: the last snapshot, default name
    expect_ok(script(cfg, "plot_fields.py", HEAT2D), "plot_fields.py on a 2D time series")
    expect_size(expect_png(default), default)
    fields_png(cfg, HEAT2D, "heat2d_t05.png", "--time", "0.5", "--cut", "y=0.25")
    bad_fields(cfg, [(BURGERS, ["--time", "7"], "outside the snapshot times"),
                     (BURGERS, ["--time", "-1"], "--time"),
                     (HEAT2D, ["--time", "0.2", "--time", "0.5"], "once"),
                     (BURGERS, ["--mode", "0"], "eigenmode"),
                     (BURGERS, ["--field", "v"], "--field v"),
                     (BURGERS, ["--cut", "x=0"], "--cut")])


def check_multifield(cfg):
    w3, h3 = fields_png(cfg, KOVASZNAY, "kovasznay_all.png")  # u, v, p: three rows
    w1, h1 = fields_png(cfg, KOVASZNAY, "kovasznay_u.png", "--field", "u")  # one field: maps over cuts
    expect(h3 > h1, "three fields (%dx%d) are not taller than one (%dx%d)" % (w3, h3, w1, h1))
    fields_png(cfg, KOVASZNAY, "kovasznay_up.png", "--field", "u,p", "--error-vs", "exact", "--cut", "x=0.5")
    bad_fields(cfg, [(KOVASZNAY, ["--field", "q"], "u, v, p"),
                     (KOVASZNAY, ["--time", "1"], "--time"),
                     (KOVASZNAY, ["--error-vs", "reference"], "PINN"),
                     (KOVASZNAY, ["--cut", "y=9"], "outside")])


def check_eigen(cfg):
    fields_png(cfg, EIGEN, "eigen_all.png")
    fields_png(cfg, EIGEN, "eigen_mode1.png", "--mode", "1")
    bad_fields(cfg, [(EIGEN, ["--mode", "4"], "modes 0 to 3"), (EIGEN, ["--mode", "-1"], "--mode"),
                     (EIGEN, ["--time", "0"], "--time"), (EIGEN, ["--field", "u"], "psi")])


def is_number(value):
    return not isinstance(value, (str, bytes)) and math.isfinite(float(value))


def check_summarize_catalogue(cfg):
    import h5py
    attrs = {}
    for name in CATALOGUE:
        with h5py.File(work(cfg, name), "r") as f:
            attrs[name] = dict(f["summary"].attrs)
    # Default: file, pde, ranks, seconds, then the union of the numeric keys; every row matches its file.
    p = script(cfg, "summarize.py", "--csv", *CATALOGUE)
    expect_ok(p, "summarize.py --csv on catalogue files")
    reader = csv.DictReader(io.StringIO(p.stdout))
    rows = list(reader)
    head = reader.fieldnames
    expect(head[:4] == ["file", "pde", "ranks", "seconds"], "unexpected leading columns: %s" % head[:4])
    want = {k for a in attrs.values() for k, v in a.items() if is_number(v) and k != "ranks"} - {"seconds"}
    expect(set(head[4:]) == want, "columns %s, expected the numeric keys %s" % (sorted(head[4:]), sorted(want)))
    for key in ("time_steps", "rel_l2_u", "max_rel_eigenvalue_error", "rel_l2_exact"):
        expect(key in head, "no %s column" % key)
    expect([r["file"] for r in rows] == list(CATALOGUE), "CSV rows are not the files in order")
    pdes = {BURGERS: "burgers", HEAT2D: "heat", KOVASZNAY: "navier_stokes", EIGEN: "schrodinger"}
    for r in rows:
        a = attrs[r["file"]]
        expect(r["pde"] == pdes[r["file"]], "%s: pde %s" % (r["file"], r["pde"]))
        for key in head[2:]:
            if key in a and is_number(a[key]):
                expect(r[key] != "" and float(r[key]) == float(a[key]),
                       "%s: CSV %s = '%s', file %r" % (r["file"], key, r[key], a[key]))
            else:
                expect(r[key] == "", "%s has no %s but the CSV shows '%s'" % (r["file"], key, r[key]))
    # The aligned table has the same header and one row per file.
    p = script(cfg, "summarize.py", *CATALOGUE)
    expect_ok(p, "summarize.py on catalogue files")
    lines = p.stdout.splitlines()
    expect(lines[0].split() == head and len(lines) == 1 + len(CATALOGUE), "text table differs from the CSV:\n" +
           p.stdout)
    # --keys: exactly these columns, text keys included; an unknown key is a user error.
    p = script(cfg, "summarize.py", "--keys", "rel_l2_exact,solver,time_steps", HEAT2D, KOVASZNAY)
    expect_ok(p, "summarize.py --keys")
    lines = p.stdout.splitlines()
    expect(lines[0].split() == ["file", "rel_l2_exact", "solver", "time_steps"], "--keys header: " + lines[0])
    expect(lines[2].startswith(KOVASZNAY) and lines[2].split()[1] == "-" and lines[2].rstrip().endswith("-"),
           "kovasznay has neither rel_l2_exact nor time_steps: " + lines[2])
    got = float(lines[1].split()[1])
    want = float(attrs[HEAT2D]["rel_l2_exact"])
    expect(abs(got - want) <= 1e-3 * abs(want), "heat2d rel_l2_exact %s, file %r" % (got, want))
    expect_user_error(script(cfg, "summarize.py", "--keys", "no_such_key", HEAT2D), "summarize.py --keys no_such_key",
                      "no_such_key")


# ------------------------------------------------------------------ `npde train` of catalogue equations
def check_make_train_catalogue(cfg):
    deck = lambda name: os.path.join(cfg.source_dir, "inputs", name + ".yaml")
    short = ["training.stages[0].iterations=30", "training.stages[1].iterations=10", "training.log_every=10",
             "training.points.interior=256"]
    runs = [("reference", "heat1d", HEAT_OBS, ["reference.grid=[65]", "reference.snapshots=11"]),
            # soft conditions and observations: loss terms pde, bc, initial and data
            ("train", "heat1d", TRAIN_HEAT, short + [
                "reference.grid=[65]", "reference.snapshots=11", "problem.bc_enforcement=soft",
                "training.points.boundary=64", "training.points.initial=64", "problem.coefficients.diffusivity=0.5",
                "inverse.coefficient=diffusivity", "inverse.observations.file=" + work(cfg, HEAT_OBS),
                "inverse.observations.points=100"]),
            ("train", "kovasznay", TRAIN_KOV, short + ["reference.grid=[17,25]"])]
    for verb, name, out, sets in runs:
        args = [verb, deck(name), "--set", "output.file=" + fresh(work(cfg, out))]
        for s in sets:
            args += ["--set", s]
        npde(cfg, 2, *args)
        expect(os.path.isfile(work(cfg, out)), "npde did not write " + out)


def load_script(cfg, name):
    """scripts/<name>.py as a module, to inspect the figure it draws (its build(argv) function)."""
    import importlib
    folder = os.path.join(cfg.source_dir, "scripts")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def figure_of(cfg, name, argv):
    """The figure scripts/<name>.py draws for argv (not saved), run in the test's working directory."""
    import matplotlib
    matplotlib.use("Agg")
    here = os.getcwd()
    os.chdir(cfg.work_dir)
    try:
        fig, _, _ = load_script(cfg, name).build(list(argv))
    finally:
        os.chdir(here)
    return fig


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def read_fields(cfg, name):
    import h5py
    with h5py.File(work(cfg, name), "r") as f:
        out = {"%s/%s" % (g, n): f["fields/%s/%s" % (g, n)][()] for g in ("pinn", "reference", "exact", "error")
               if "fields/" + g in f for n in f["fields/" + g]}
        return out, dict(f["summary"].attrs), {k: f["history/" + k][()] for k in f["history"]}


def image_data(ax):
    """The array of the colour map drawn in a panel."""
    import numpy as np
    meshes = [c for c in ax.collections if hasattr(c, "get_array") and c.get_array() is not None]
    expect(meshes, "panel '%s' has no colour map" % ax.get_title())
    return np.asarray(meshes[0].get_array()).ravel()


def check_train_fields(cfg):
    import numpy as np
    fields, s, _ = read_fields(cfg, TRAIN_HEAT)
    # 1D time series: x-t images PINN | reference | error, then the profiles; wider than tall.
    w, h = fields_png(cfg, TRAIN_HEAT, "train_heat_default.png")
    expect(w > 2 * h, "the heat1d train figure is %dx%d, expected four panels side by side" % (w, h))
    fig = figure_of(cfg, "plot_fields", [TRAIN_HEAT])
    t = titles(fig)
    for want in ("u: PINN", "u: reference (PETSc)", "u: error (pinn - reference)"):
        expect(want in t, "no panel '%s' in %s" % (want, t))
    by_title = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    expect(np.allclose(image_data(by_title["u: PINN"]), fields["pinn/u"].ravel()), "the PINN image is not /fields/pinn/u")
    expect(np.allclose(image_data(by_title["u: reference (PETSc)"]), fields["reference/u"].ravel()),
           "the reference image is not /fields/reference/u")
    expect(np.allclose(image_data(by_title["u: error (pinn - reference)"]), fields["error/u"].ravel()),
           "the error image is not /fields/error/u")
    profile = next(ax for ax in fig.axes if ax.get_title().startswith("u at 5 time"))
    # per time: exact (pale), PINN, reference
    expect(len(profile.get_lines()) == 5 * 3, "the profile panel has %d curves, expected 15" % len(profile.get_lines()))
    title = fig._suptitle.get_text()
    for want in ("heat", "PINN vs reference", "PINN vs exact", "diffusivity learnt",
                 "%.4g" % s["coefficient_diffusivity"], "true 1"):
        expect(want in title, "the title lacks '%s':\n%s" % (want, title))
    # two chosen times; the error against the exact solution instead
    fields_png(cfg, TRAIN_HEAT, "train_heat_times.png", "--time", "0.5", "--time", "1")
    fig = figure_of(cfg, "plot_fields", [TRAIN_HEAT, "--time", "0.5", "--time", "1", "--error-vs", "exact"])
    profile = next(ax for ax in fig.axes if ax.get_title().startswith("u at 2 time"))
    expect(profile.get_legend_handles_labels()[1] == ["t = 0.5", "t = 1"],
           "profile legend: %s" % profile.get_legend_handles_labels()[1])
    err = next(ax for ax in fig.axes if ax.get_title() == "u: error (pinn - exact)")
    expect(np.allclose(image_data(err), (fields["pinn/u"] - fields["exact/u"]).ravel()), "--error-vs exact: wrong error")

    # navier_stokes: one row per field, PINN | reference | error maps, then the cuts.
    fields, s, _ = read_fields(cfg, TRAIN_KOV)
    w3, h3 = fields_png(cfg, TRAIN_KOV, "train_kovasznay_all.png")
    fig = figure_of(cfg, "plot_fields", [TRAIN_KOV])
    t = titles(fig)
    for f in ("u", "v", "p"):
        for want in ("%s: PINN" % f, "%s: reference (PETSc)" % f, "%s: error (pinn - reference)" % f):
            expect(want in t, "no panel '%s' in %s" % (want, t))
        ax = next(a for a in fig.axes if a.get_title() == "%s: PINN" % f)
        expect(np.allclose(image_data(ax), fields["pinn/" + f].ravel()), "the %s PINN map is not /fields/pinn/%s" % (f, f))
    title = fig._suptitle.get_text()
    for want in ("navier_stokes", "velocity %s" % nh_fmt(s["rel_l2_reference_velocity"]),
                 "u %s" % nh_fmt(s["rel_l2_exact_u"]), "PINN vs exact", "PINN vs reference"):
        expect(want in title, "the title lacks '%s':\n%s" % (want, title))
    w2, h2 = fields_png(cfg, TRAIN_KOV, "train_kovasznay_up.png", "--field", "u,p", "--error-vs", "exact")
    expect(h3 > h2, "three fields (%dx%d) are not taller than two (%dx%d)" % (w3, h3, w2, h2))
    fig = figure_of(cfg, "plot_fields", [TRAIN_KOV, "--field", "p", "--error-vs", "exact"])
    ax = next(a for a in fig.axes if a.get_title() == "error (pinn - exact)")
    expect(np.allclose(image_data(ax), (fields["pinn/p"] - fields["exact/p"]).ravel()), "--error-vs exact: wrong p error")
    bad_fields(cfg, [(TRAIN_KOV, ["--time", "1"], "--time"), (TRAIN_KOV, ["--field", "w"], "u, v, p"),
                     (TRAIN_HEAT, ["--mode", "0"], "eigenmode"), (TRAIN_HEAT, ["--time", "2"], "outside"),
                     (TRAIN_HEAT, ["--cut", "x=0"], "--cut")])


def nh_fmt(value):
    return format(float(value), ".2e")


def check_train_history(cfg):
    for name, want in ((TRAIN_HEAT, {"loss_pde", "loss_bc", "loss_initial", "loss_data"}),
                       (TRAIN_KOV, {"loss_momentum_x", "loss_momentum_y", "loss_continuity"})):
        _, _, hist = read_fields(cfg, name)
        terms = {k for k in hist if k.startswith("loss_")}
        expect(want <= terms, "%s: history columns %s lack %s" % (name, sorted(terms), sorted(want - terms)))
        out = fresh(work(cfg, os.path.splitext(name)[0] + "_history_test.png"))
        p = script(cfg, "plot_history.py", name, "-o", out)
        expect_ok(p, "plot_history.py " + name)
        expect_size(expect_png(out), out)
        fig = figure_of(cfg, "plot_history", [name])
        lines, labels = fig.axes[0].get_legend_handles_labels()
        expect("loss (total)" in labels, "%s: no total loss in the legend %s" % (name, labels))
        for term in sorted(terms):
            expect(term in labels or term + " (0 throughout)" in labels, "%s: %s is not in the legend %s"
                   % (name, term, labels))
            line = lines[labels.index(term)] if term in labels else None
            if line is not None:
                expect(len(line.get_xdata()) > 0, "%s: the %s curve is empty" % (name, term))
    # both files: a colour per file, a line style per term, every term of each file in the legend
    out = fresh(work(cfg, "train_history_both.png"))
    expect_ok(script(cfg, "plot_history.py", TRAIN_HEAT, TRAIN_KOV, "-o", out), "plot_history.py on two train files")
    expect_png(out)
    fig = figure_of(cfg, "plot_history", [TRAIN_HEAT, TRAIN_KOV])
    labels = fig.axes[0].get_legend_handles_labels()[1]
    for want in ("%s loss_data" % TRAIN_HEAT, "%s loss_momentum_x" % TRAIN_KOV, "%s loss (total)" % TRAIN_KOV):
        expect(want in labels, "no '%s' in the legend %s" % (want, labels))


def check_train_summarize(cfg):
    import h5py
    attrs = {}
    for name in TRAIN_CATALOGUE:
        with h5py.File(work(cfg, name), "r") as f:
            attrs[name] = dict(f["summary"].attrs)
            attrs[name]["pde"] = f.attrs["pde"]
    p = script(cfg, "summarize.py", "--csv", *TRAIN_CATALOGUE)
    expect_ok(p, "summarize.py --csv on train files")
    reader = csv.DictReader(io.StringIO(p.stdout))
    rows = list(reader)
    head = reader.fieldnames
    expect(head[:2] == ["file", "pde"], "unexpected leading columns: %s" % head[:3])
    for key in ("rel_l2_exact", "rel_l2_reference", "final_loss", "rel_l2_reference_u", "rel_l2_exact_p",
                "rel_l2_exact_velocity", "rel_l2_reference_velocity", "coefficient_diffusivity",
                "coefficient_diffusivity_initial", "coefficient_diffusivity_true", "coefficient_diffusivity_rel_error"):
        expect(key in head, "no %s column in %s" % (key, head))
    new = {k for a in attrs.values() for k in a if k.startswith(("rel_l2_exact_", "rel_l2_reference_", "coefficient_"))}
    expect(new <= set(head), "columns lack %s" % sorted(new - set(head)))
    expect([r["file"] for r in rows] == list(TRAIN_CATALOGUE), "CSV rows are not the files in order")
    for r in rows:
        a = attrs[r["file"]]
        expect(r["pde"] == a["pde"], "%s: pde %s" % (r["file"], r["pde"]))
        for key in sorted(new) + ["rel_l2_exact", "rel_l2_reference", "iterations"]:
            if key in a:
                expect(r[key] != "" and float(r[key]) == float(a[key]),
                       "%s: CSV %s = '%s', file %r" % (r["file"], key, r[key], a[key]))
            else:
                expect(r[key] == "", "%s has no %s but the CSV shows '%s'" % (r["file"], key, r[key]))
    p = script(cfg, "summarize.py", *TRAIN_CATALOGUE)
    expect_ok(p, "summarize.py on train files")
    lines = p.stdout.splitlines()
    expect(lines[0].split() == head and len(lines) == 1 + len(TRAIN_CATALOGUE), "text table differs from the CSV:\n"
           + p.stdout)


CHECKS = {"make": check_make, "history": check_history, "fields": check_fields, "summarize": check_summarize,
          "errors": check_errors, "make_catalogue": check_make_catalogue, "series": check_series,
          "multifield": check_multifield, "eigen": check_eigen, "summarize_catalogue": check_summarize_catalogue,
          "make_train_catalogue": check_make_train_catalogue, "train_fields": check_train_fields,
          "train_history": check_train_history, "train_summarize": check_train_summarize}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--npde", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--work-dir", required=True)
    p.add_argument("--mpiexec", required=True)
    p.add_argument("--np-flag", default="-n")
    p.add_argument("--preflags", default="")
    p.add_argument("check", choices=sorted(CHECKS))
    cfg = p.parse_args()
    cfg.mpiexec = [cfg.mpiexec]
    cfg.preflags = [f for f in re.split(r"[;\s]+", cfg.preflags) if f]
    os.makedirs(cfg.work_dir, exist_ok=True)
    try:
        CHECKS[cfg.check](cfg)
    except CheckFailed as e:
        print("FAILED: %s" % e, flush=True)
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAILED: timed out: %s" % e, flush=True)
        return 1
    print("passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
