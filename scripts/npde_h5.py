# SPDX-License-Identifier: BSD-3-Clause
# Shared reading helpers for the post-processing scripts: open an npde output file and fetch its parts.
"""Readers for npde's HDF5 output (layout in docs/output-layout.md).

Every user-facing problem (missing file, not an npde file, missing dataset) ends the script through
`fail`: one line on stderr, exit code 2, no traceback. Imported by plot_history.py, plot_fields.py
and summarize.py, which sit in the same folder.
"""
import argparse
import os
import sys

EXIT_USAGE = 2  # npde's own code for bad input; the scripts use it for every user error
FIELD_NAMES = ("pinn", "reference", "exact", "error")
AXIS_NAMES = ("x", "y", "z")


class UserError(Exception):
    """A problem with the user's files or options, reported as one line."""


def fail(prog, msg):
    """Prints `prog: error: msg` on stderr and exits with code 2."""
    sys.stderr.write("%s: error: %s\n" % (prog, msg))
    sys.exit(EXIT_USAGE)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the scripts' error style: one line (no usage block), exit code 2."""

    def error(self, message):
        fail(self.prog, "%s (see --help)" % message)


def run_main(prog, main):
    """Runs main(); turns UserError and Ctrl-C into one line and exit code 2."""
    try:
        return main()
    except UserError as e:
        fail(prog, str(e))
    except KeyboardInterrupt:
        fail(prog, "interrupted")
    except BrokenPipeError:
        # `summarize.py ... | head`: the reader left; say nothing, and keep Python's exit flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def import_h5py():
    try:
        import h5py
    except ImportError:
        # The pyenv or venv python3 first on PATH often lacks it; Debian's has it (python3-h5py).
        raise UserError("this Python (%s) has no h5py; run the script with /usr/bin/python3 or "
                        "install python3-h5py" % sys.executable)
    return h5py


def import_pyplot():
    """matplotlib.pyplot on the Agg backend: the scripts only write files, and clusters have no display."""
    try:
        import matplotlib
    except ImportError:
        raise UserError("this Python (%s) has no matplotlib; run the script with /usr/bin/python3 or "
                        "install python3-matplotlib" % sys.executable)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, out, dpi):
    """Write a figure to `out` and print the path; an unwritable path is a user error."""
    try:
        fig.savefig(out, dpi=dpi)
    except OSError as e:
        raise UserError("cannot write %s: %s" % (out, e.strerror or e))
    print(out)


def open_output(path):
    """Opens an npde output file read-only; a missing or non-HDF5 file is a UserError."""
    h5py = import_h5py()
    if not os.path.exists(path):
        raise UserError("no such file: %s" % path)
    if os.path.isdir(path):
        raise UserError("%s is a directory, not an npde output file" % path)
    try:
        return h5py.File(path, "r")
    except OSError:
        raise UserError("%s is not an HDF5 file (or cannot be read)" % path)


def as_text(value):
    """HDF5 string attributes come back as str or bytes depending on how they were written."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "shape") and value.shape == () and isinstance(value.item(), bytes):
        return value.item().decode("utf-8", "replace")
    return value


def attributes(f, group="/"):
    """A group's attributes as a plain dict (text decoded, numbers as Python floats/ints); {} if absent."""
    if group not in f:
        return {}
    out = {}
    for key, value in f[group].attrs.items():
        value = as_text(value)
        if hasattr(value, "shape") and value.shape == ():
            value = value.item()
        out[key] = value
    return out


def summary(f):
    """The /summary attributes merged over the root ones that describe the run (ranks, precision)."""
    out = {k: v for k, v in attributes(f).items() if k in ("ranks", "precision", "npde_version", "pde")}
    out.update(attributes(f, "/summary"))
    return out


def history(f, path):
    """The /history columns as numpy arrays, or None when the file has none (`npde reference`)."""
    if "history" not in f or "iteration" not in f["history"]:
        return None
    h = {name: f["history"][name][...] for name in f["history"] if hasattr(f["history"][name], "shape")}
    n = len(h["iteration"])
    for name, col in h.items():
        if col.shape != (n,):
            raise UserError("%s: /history/%s has shape %s, expected (%d,)" % (path, name, col.shape, n))
    return h


def grid(f, path):
    """The grid axes [x, y, z][:dim] as 1D numpy arrays."""
    axes = []
    for name in AXIS_NAMES:
        key = "fields/grid/" + name
        if key not in f:
            break
        axes.append(f[key][...])
    if not axes:
        if "grid/x" in f and "inputs" in f:
            raise UserError("%s is an `npde dataset` file (/inputs, /outputs); this script reads the files of "
                            "`npde train` and `npde reference`" % path)
        raise UserError("%s has no /fields/grid/x (not an npde output file?)" % path)
    return axes


# Fields in this order first (Navier-Stokes u, v, p; vorticity w; wave function psi), then the others
# alphabetically; h5py lists a group's members alphabetically, which would put p before u.
PREFERRED_FIELDS = ("u", "v", "w", "p", "psi")
SERIES_DATASETS = {"time": "time", "eigenvalue": "eigenvalues"}


class FieldSet:
    """The fields of a file. data[name][kind] is an array shaped ([n_series,] [nz,] [ny,] nx), kind one of
    pinn/reference/exact/error; series_kind is "" (steady), "time" or "eigenvalue", and series holds the
    snapshot times or eigenvalues (None when steady)."""

    def __init__(self, series_kind, series, data):
        self.series_kind = series_kind
        self.series = series
        self.data = data
        self.names = sorted(data, key=lambda n: (PREFERRED_FIELDS.index(n) if n in PREFERRED_FIELDS
                                                 else len(PREFERRED_FIELDS), n))

    def snapshot(self, i):
        """A steady FieldSet: series entry i of every field."""
        return FieldSet("", None, {n: {k: u[i] for k, u in d.items()} for n, d in self.data.items()})

    def select(self, names):
        return FieldSet(self.series_kind, self.series, {n: self.data[n] for n in names})


def generator(f):
    """The root attribute `generator` ("npde reference", "npde train", "npde dataset"), "" when absent
    (the Poisson files of `npde train` and `npde reference` carry none)."""
    value = as_text(f.attrs.get("generator", ""))
    return value if isinstance(value, str) else ""


def is_catalogue(f):
    """True for an `npde reference` file of the equation catalogue (named fields, maybe a series)."""
    return generator(f) == "npde reference"


def loss_terms(hist):
    """The named loss-term columns of a history (`loss_pde`, `loss_bc`, `loss_initial`, `loss_momentum_x` ...):
    loss_pde first, then the others alphabetically."""
    terms = [k for k in hist if k.startswith("loss_")]
    return sorted(terms, key=lambda k: (k != "loss_pde", k))


def load_fields(f, path, axes):
    """All fields under /fields/{pinn,reference,exact,error}/<name> as a FieldSet, shapes checked against
    the grid (and against /time or /eigenvalues for a series)."""
    shape = tuple(len(a) for a in reversed(axes))
    kind = as_text(f["fields"].attrs.get("series_kind", "")) if "fields" in f else ""
    kind = kind if isinstance(kind, str) else ""
    series = None
    if kind in SERIES_DATASETS:
        key = SERIES_DATASETS[kind]
        if key not in f or len(f[key].shape) != 1:
            raise UserError("%s: /fields:series_kind is '%s' but there is no 1D /%s dataset" % (path, kind, key))
        series = f[key][...]
        shape = (len(series),) + shape
    elif kind:
        raise UserError("%s: unknown /fields:series_kind '%s' (expected '', 'time' or 'eigenvalue')" % (path, kind))
    data = {}
    for group in FIELD_NAMES:
        g = f.get("fields/" + group)
        if g is None or not hasattr(g, "keys"):
            continue
        for name in g:
            if not hasattr(g[name], "shape"):
                continue
            u = g[name][...]
            if u.shape != shape:
                what = "the grid is %s" % (shape,) if series is None else \
                    "the grid and /%s give %s" % (SERIES_DATASETS[kind], shape)
                raise UserError("%s: /fields/%s/%s has shape %s but %s" % (path, group, name, u.shape, what))
            data.setdefault(name, {})[group] = u
    if not data:
        raise UserError("%s has no /fields/<kind>/<name> datasets" % path)
    return FieldSet(kind, series, data)


def number(d, key):
    """d[key] as a float, or None when absent or not a number."""
    try:
        return float(d[key])
    except (KeyError, TypeError, ValueError):
        return None


def fmt(value, spec=".2e"):
    """Formats a number for a title or table; '-' for a missing one."""
    return "-" if value is None else format(value, spec)


def stage_optimizers(f):
    """Optimizer names of the training stages, read from the recorded deck; None when unknown.

    The deck attribute is the file text followed by `# --set` comment lines, so an override of a
    stage's optimizer would not show in the parsed text: give up rather than label a stage wrongly.
    """
    deck = as_text(f.attrs.get("deck", ""))
    if not isinstance(deck, str):
        return None
    sets = [l for l in deck.splitlines() if l.startswith("# --set ")]
    if any("optimizer" in l or "training.stages=" in l or "training=" in l for l in sets):
        return None
    try:
        import yaml
        stages = yaml.safe_load(deck)["training"]["stages"]
        return [str(s["optimizer"]) for s in stages]
    except Exception:  # no PyYAML, or a deck shape this helper does not know: labels are optional
        return None
