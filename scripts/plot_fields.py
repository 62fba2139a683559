#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Plots the solution fields of an npde output file: PINN, reference, exact and error, with line cuts.
"""Solution fields of an npde output file as a PNG.

1D: the PINN, reference and exact solutions as curves, and the error field below.
2D: colour maps PINN | reference | error (the solution panels share one colour scale), and below them
    line cuts through the middle of the domain (or at --cut) with the error along each cut.
3D: the same for one plane of the grid, z = middle by default (or --slice).
Files from `npde reference` show reference | exact | error, and files from `npde train` of the other
catalogue equations (heat, burgers, allen_cahn, klein_gordon, helmholtz, navier_stokes) PINN |
reference | error (error = pinn - reference), for every field they hold (u, v, p ...: one panel row
each when there are several; --field picks some). Time series: in 1D x-t images (PINN, reference,
error) of each field with profiles at a few times (or at each --time); in 2D/3D the snapshot nearest
--time (default the last). Eigenmodes: in 1D all modes, labelled by eigenvalue (or --mode K alone); in
2D/3D mode --mode (default 0). The title carries the /summary numbers: the errors (per field for
systems, e.g. rel_l2_reference_u, rel_l2_exact_velocity) and, for inverse runs, the learnt coefficient.

Examples:
  scripts/plot_fields.py poisson2d.h5 -o poisson2d_fields.png
  scripts/plot_fields.py poisson2d.h5 --cut y=0.25 --cut x=0.5 --error-vs exact
  scripts/plot_fields.py poisson3d.h5 --slice x=0.25
  scripts/plot_fields.py burgers1d.h5 --time 0.25 --time 0.5 --time 1
  scripts/plot_fields.py kovasznay_train.h5 --field u,v --error-vs exact
  scripts/plot_fields.py heat2d.h5 --time 0.5
  scripts/plot_fields.py kovasznay.h5 --field u,p
  scripts/plot_fields.py schrodinger_infinite_well.h5 --mode 1
"""
import argparse
import os
import re
import sys

import numpy as np

import npde_h5 as nh

PROG = "plot_fields.py"
LABELS = {"pinn": "PINN", "reference": "reference (PETSc)", "exact": "exact"}
CATALOGUE_LABELS = dict(LABELS, reference="reference")  # npde reference: PETSc, SLEPc or FFTW
STYLE = {"exact": dict(color="0.55", lw=3.2, alpha=0.7), "reference": dict(color="C1", lw=1.4, ls="--"),
         "pinn": dict(color="C0", lw=1.4)}


def axis_value(text, option):
    """'y=0.5' -> ('y', 0.5); a malformed value is a UserError naming the option."""
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    try:
        if not sep or name not in nh.AXIS_NAMES:
            raise ValueError
        return name, float(value)
    except ValueError:
        raise nh.UserError("%s %s: expected AXIS=VALUE with AXIS one of x, y, z (e.g. %s y=0.5)" %
                           (option, text, option))


def parse_args(argv):
    p = nh.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                epilog=__doc__.split("\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE.h5", help="npde output file (`npde train` or `npde reference`)")
    p.add_argument("-o", "--output", metavar="PNG", help="image to write (default: FILE_fields.png next to FILE)")
    p.add_argument("--slice", metavar="AXIS=VALUE", help="3D only: the grid plane to show (default z=middle)")
    p.add_argument("--cut", metavar="AXIS=VALUE", action="append",
                   help="2D/3D: a line cut at AXIS=VALUE, repeatable (default: one cut each way through the middle)")
    p.add_argument("--error-vs", choices=("exact", "reference"),
                   help="show PINN minus this field as the error instead of the file's error field "
                        "(which is pinn - reference when a reference exists)")
    p.add_argument("--field", metavar="NAME[,NAME]", action="append",
                   help="the fields to plot, e.g. u or u,p (repeatable; default: all the file holds)")
    p.add_argument("--time", metavar="T", type=float, action="append",
                   help="time series: 2D/3D: the snapshot nearest T (default the last); 1D: a profile at "
                        "the snapshot nearest T, repeatable (default: a few spread over the run)")
    p.add_argument("--mode", metavar="K", type=int,
                   help="eigenmode files: plot mode K only (0 = first eigenvalue; 2D/3D default 0)")
    p.add_argument("--dpi", type=int, default=100, help="image resolution (default 100)")
    p.add_argument("--title", help="figure title (default: file name and summary numbers)")
    return p.parse_args(argv)


def nearest(axis, value, what):
    """Index of the grid node closest to value; outside the grid's range is a UserError."""
    lo, hi = float(axis[0]), float(axis[-1])
    tol = 1e-9 * max(1.0, abs(hi - lo))
    if value < min(lo, hi) - tol or value > max(lo, hi) + tol:
        raise nh.UserError("%s is outside the grid [%g, %g]" % (what, lo, hi))
    return int(np.argmin(np.abs(axis - value)))


def take_plane(axes, fields, spec):
    """Cuts a 3D file to 2D: returns (plane axis names, plane axes, plane fields, description)."""
    name, value = axis_value(spec, "--slice") if spec else ("z", None)
    a = nh.AXIS_NAMES.index(name)
    idx = len(axes[a]) // 2 if value is None else nearest(axes[a], value, "--slice %s" % spec)
    # Arrays are (nz, ny, nx): axis a sits at array position 2 - a. What remains keeps the slow-first
    # order, so the plane is (n_vertical, n_horizontal) with the horizontal axis first in x, y, z order.
    plane = {k: np.take(u, idx, axis=2 - a) for k, u in fields.items()}
    rest = [n for n in nh.AXIS_NAMES if n != name]
    return rest, [axes[nh.AXIS_NAMES.index(n)] for n in rest], plane, "%s = %.4g" % (name, axes[a][idx])


COEFFICIENT_SUFFIXES = ("_initial", "_true", "_rel_error")
# Per-field error keys of systems are <prefix>_<field>; "velocity" is the (u, v) pair of Navier-Stokes.
ERROR_SUFFIXES = nh.PREFERRED_FIELDS + ("velocity",)


def error_words(s, prefix, fields):
    """'4.4e-01' for summary key `prefix`, else the per-field keys `prefix`_<field> as 'u 1.0e-01, v ...';
    None when the file has neither."""
    if nh.number(s, prefix) is not None:
        return nh.fmt(nh.number(s, prefix))
    names = list(nh.PREFERRED_FIELDS) + sorted(n for n in fields if n not in ERROR_SUFFIXES) + ["velocity"]
    words = ["%s %s" % (n, nh.fmt(nh.number(s, prefix + "_" + n))) for n in names
             if nh.number(s, prefix + "_" + n) is not None]
    return ", ".join(words) or None


def coefficient_lines(s):
    """Inverse runs: 'diffusivity learnt 0.601 (initial guess 0.5, true 1, relative error 4.0e-01)' per
    trained coefficient (summary keys coefficient_<name>[_initial|_true|_rel_error])."""
    names = sorted(k[len("coefficient_"):] for k in s if k.startswith("coefficient_")
                   and not k.endswith(COEFFICIENT_SUFFIXES) and nh.number(s, k) is not None)
    lines = []
    for name in names:
        key = "coefficient_" + name
        more = [("initial guess", key + "_initial", ".4g"), ("true", key + "_true", ".4g"),
                ("relative error", key + "_rel_error", ".2e")]
        words = ["%s %s" % (w, nh.fmt(nh.number(s, k), spec)) for w, k, spec in more if nh.number(s, k) is not None]
        lines.append("%s learnt %.4g%s" % (name, nh.number(s, key), " (%s)" % ", ".join(words) if words else ""))
    return lines


def title_text(path, s, extra, fields=("u",)):
    num = lambda k: nh.number(s, k)
    head = [os.path.basename(path)] + ([extra] if extra else [])
    errs = []
    for what, prefix in (("PINN vs exact", "rel_l2_exact"), ("PINN vs reference", "rel_l2_reference")):
        words = error_words(s, prefix, fields)
        if words is not None:
            errs.append("%s %s" % (what, words))
    for what, kind in (("PINN vs exact", "exact"), ("PINN vs reference", "reference")):
        # eigenmode runs: one error per mode, <field>_<n>_rel_l2_<kind> (psi_0_rel_l2_reference ...)
        modes = sorted((int(m.group(2)), m.group(1), k) for k in s
                       for m in [re.match(r"^([a-z]\w*?)_(\d+)_rel_l2_%s$" % kind, k)] if m and num(k) is not None)
        if modes:
            errs.append("%s %s" % (what, ", ".join("%s_%d %s" % (f, n, nh.fmt(num(k))) for n, f, k in modes[:6])))
    words = error_words(s, "reference_rel_l2_exact", fields)
    if words is None and num("rel_l2_exact") is None:  # systems: the reference solver's own per-field keys
        words = error_words(s, "reference_rel_l2", fields)
    if words is not None:
        errs.append("reference vs exact %s" % words)
    lines = [", ".join(head)]
    if errs:
        # one line when short, else one line per comparison
        lines += ["relative L2 error: " + ", ".join(errs)] if sum(len(e) for e in errs) < 100 else \
            ["relative L2 error, " + e for e in errs]
    lines += coefficient_lines(s)
    run = []
    if num("iterations") is not None:
        run.append("%d iterations" % num("iterations"))
    if num("train_seconds") is not None:
        run.append("%.3g s training" % num("train_seconds"))
    if num("ranks") is not None:
        run.append("%d rank(s)" % num("ranks"))
    if isinstance(s.get("precision"), str):
        run.append(s["precision"])
    if run:
        lines.append(", ".join(run))
    if isinstance(s.get("reference_solver"), str):
        solver = "reference: " + s["reference_solver"]
        lines.append(solver if len(solver) <= 100 else solver[:97] + "...")
    return "\n".join(lines)


ERROR_KEYS = ("rel_l2", "max_abs_error", "max_rel")  # summary keys (prefixes) worth a place in the title


def catalogue_title(path, s, extra):
    """Title of an `npde reference` file of the catalogue: its solver and error/run numbers."""
    lines = [", ".join([os.path.basename(path), extra])]
    solver = s.get("solver")
    if isinstance(solver, str) and solver:
        lines.append(solver if len(solver) <= 110 else solver[:107] + "...")
    nums = []
    for key in sorted(s):
        if key.startswith(ERROR_KEYS) and not isinstance(s[key], str) and nh.number(s, key) is not None:
            nums.append("%s %s" % (key, nh.fmt(nh.number(s, key))))
    nums = nums[:4]
    if nh.number(s, "seconds") is not None:
        nums.append("%.3g s" % nh.number(s, "seconds"))
    if nh.number(s, "time_steps") is not None:
        nums.append("%d time steps" % nh.number(s, "time_steps"))
    if nh.number(s, "ranks") is not None:
        nums.append("%d rank(s)" % nh.number(s, "ranks"))
    if nums:
        lines.append(", ".join(nums))
    return "\n".join(lines)


def error_label(s):
    """'error (pinn - reference)' from /summary:error_field, without its explanation in parentheses
    (e.g. '(modes normalised as the reference's, signs aligned)'), which would not fit an axis label."""
    text = s.get("error_field")
    if not isinstance(text, str) or not text.strip():
        return "error"
    return "error (%s)" % text.split(" (")[0].strip()


def base_of(fields):
    """The computed solution of one field: the PINN's if there is one, else the reference."""
    return "pinn" if "pinn" in fields else "reference"


def plot_1d(plt, x, fs, s, labels):
    """Curves on top, the error below; one such pair of panels per field."""
    nf = len(fs.names)
    fig = plt.figure(figsize=(8, 6.2 if nf == 1 else 4.4 * nf))
    gs = fig.add_gridspec(2 * nf, 1, height_ratios=[3, 2] * nf)
    for r, fname in enumerate(fs.names):
        fields = fs.data[fname]
        top = fig.add_subplot(gs[2 * r])
        bottom = fig.add_subplot(gs[2 * r + 1], sharex=top)
        top.tick_params(labelbottom=False)
        for name in ("exact", "reference", "pinn"):
            if name in fields:
                top.plot(x, fields[name], label=labels[name], **STYLE[name])
        top.set_ylabel(fname)
        top.legend(fontsize=8)
        top.grid(True, alpha=0.3)
        if "error" in fields:
            bottom.plot(x, fields["error"], color="C3", lw=1.2)
            bottom.axhline(0, color="0.5", lw=0.8)
            bottom.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        bottom.set_ylabel(error_label(s) if nf == 1 else "%s %s" % (fname, error_label(s)))
        bottom.set_xlabel("x")
        bottom.grid(True, alpha=0.3)
    return fig


def plot_modes_1d(plt, x, fs, s, labels):
    """Eigenmodes: every mode of a field in one panel (exact ones thick and pale behind), errors below."""
    nf = len(fs.names)
    fig = plt.figure(figsize=(8, 6.6 if nf == 1 else 4.6 * nf))
    gs = fig.add_gridspec(2 * nf, 1, height_ratios=[3, 2] * nf)
    for r, fname in enumerate(fs.names):
        fields = fs.data[fname]
        base = base_of(fields)
        top = fig.add_subplot(gs[2 * r])
        bottom = fig.add_subplot(gs[2 * r + 1], sharex=top)
        top.tick_params(labelbottom=False)
        compare = base == "pinn" and "reference" in fields  # an `npde train` file: the reference dashed
        for k, ev in enumerate(fs.series):
            colour = "C%d" % (k % 10)
            if "exact" in fields:
                top.plot(x, fields["exact"][k], color=colour, lw=3.2, alpha=0.3)
            if compare:
                top.plot(x, fields["reference"][k], color=colour, lw=1.1, ls="--")
            label = "mode %d: eigenvalue %.6g" % (k, ev)
            learnt = nh.number(s, "eigenvalue_%d" % k)  # a trained eigenvalue, where the summary has one
            if compare and learnt is not None and learnt != ev:
                label = "mode %d: eigenvalue %.6g (reference %.6g)" % (k, learnt, ev)
            top.plot(x, fields[base][k], color=colour, lw=1.3, label=label)
            if "error" in fields:
                bottom.plot(x, fields["error"][k], color=colour, lw=1.1)
        top.set_ylabel(fname)
        key = (["dashed: " + labels["reference"]] if compare else []) + \
            (["pale, thick: exact"] if "exact" in fields else [])
        top.set_title("%s modes of %s%s" % (labels[base], fname, " (%s)" % "; ".join(key) if key else ""),
                      fontsize=10)
        top.legend(fontsize=7)
        top.grid(True, alpha=0.3)
        if "error" in fields:
            bottom.axhline(0, color="0.5", lw=0.8)
            bottom.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        bottom.set_ylabel(error_label(s))
        bottom.set_xlabel("x")
        bottom.grid(True, alpha=0.3)
    return fig


def image(fig, ax, h, v, data, error=False, lo=None, hi=None):
    """A colour map with its colour bar; errors on a symmetric red-blue scale."""
    if error:
        m = float(np.abs(data).max()) or 1.0
        mesh = ax.pcolormesh(h, v, data, shading="nearest", cmap="RdBu_r", vmin=-m, vmax=m)
    else:
        mesh = ax.pcolormesh(h, v, data, shading="nearest", cmap="viridis", vmin=lo, vmax=hi)
        # Values outside a clipped range (see robust_range) show as the colour bar's end arrows.
        below = lo is not None and float(np.min(data)) < lo
        above = hi is not None and float(np.max(data)) > hi
        extend = "both" if below and above else "min" if below else "max" if above else "neither"
        cb = fig.colorbar(mesh, ax=ax, shrink=0.9, extend=extend)
        cb.formatter.set_powerlimits((-2, 3))
        cb.update_ticks()
        return mesh
    cb = fig.colorbar(mesh, ax=ax, shrink=0.9)
    cb.formatter.set_powerlimits((-2, 3))
    cb.update_ticks()
    return mesh


def plot_series_1d(plt, x, t, fs, s, labels, picks):
    """Time series in 1D, one row per field: x-t images of the computed solutions (PINN | reference in an
    `npde train` file, the reference alone in an `npde reference` file; one colour scale), the error's
    x-t image, and profiles at the picked snapshots (PINN solid, reference dashed, exact pale and thick)."""
    nf = len(fs.names)
    rows = []
    for fname in fs.names:
        fields = fs.data[fname]
        images = [n for n in ("pinn", "reference") if n in fields] or [base_of(fields)]
        rows.append(images + (["error"] if "error" in fields else []))
    ncol = max(len(r) for r in rows) + 1
    fig = plt.figure(figsize=(4.6 * ncol, 3.9 * nf + 0.9))
    gs = fig.add_gridspec(nf, ncol)
    for r, fname in enumerate(fs.names):
        fields = fs.data[fname]
        solutions = [n for n in rows[r] if n != "error"]
        lo, hi = robust_range([fields[n] for n in solutions])
        for j, name in enumerate(rows[r]):
            ax = fig.add_subplot(gs[r, j])
            if len(t) > 1:
                if name == "error":
                    image(fig, ax, x, t, fields["error"], error=True)
                else:
                    image(fig, ax, x, t, fields[name], lo=lo, hi=hi)
                    for i in picks:
                        ax.axhline(t[i], color="white", ls="--", lw=0.8)
            title = error_label(s) if name == "error" else labels[name]
            ax.set_title("%s: %s" % (fname, title), fontsize=10)
            ax.set_xlabel("x")
            ax.set_ylabel("t")
        ax = fig.add_subplot(gs[r, ncol - 1])
        drawn = [n for n in ("pinn", "reference") if n in fields]
        for c, i in enumerate(picks):
            colour = "C%d" % (c % 10)
            if "exact" in fields:
                ax.plot(x, fields["exact"][i], color=colour, lw=3.2, alpha=0.3)
            for k, name in enumerate(drawn):
                ax.plot(x, fields[name][i], color=colour, lw=1.3, ls="-" if k == 0 else "--",
                        label="t = %.4g" % t[i] if k == 0 else None)
        key = []
        if len(drawn) > 1:
            key.append("solid: %s, dashed: %s" % (labels[drawn[0]], labels[drawn[1]]))
        if "exact" in fields:
            key.append("pale, thick: exact")
        ax.set_title("%s at %d time(s)%s" % (fname, len(picks), "\n(%s)" % "; ".join(key) if key else ""),
                     fontsize=10 if not key else 9)
        ax.set_xlabel("x")
        ax.set_ylabel(fname)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def parse_cuts(specs, names, axes):
    """Line cuts as (fixed axis index in the plane, grid index); default: both through the middle."""
    if not specs:
        return [(1, len(axes[1]) // 2), (0, len(axes[0]) // 2)]
    cuts = []
    for spec in specs:
        name, value = axis_value(spec, "--cut")
        if name not in names:
            raise nh.UserError("--cut %s: the plotted plane has axes %s" % (spec, " and ".join(names)))
        k = names.index(name)
        cuts.append((k, nearest(axes[k], value, "--cut %s" % spec)))
    return cuts


def robust_range(arrays):
    """Common colour range of `arrays`: their min and max, unless a few extreme values (the pressure
    singularities at the corners of a driven lid) lie far outside the 0.5-99.5 % range, which would
    flatten the picture; then that range."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    lo, hi = float(values.min()), float(values.max())
    p_lo, p_hi = (float(q) for q in np.percentile(values, [0.5, 99.5]))
    span = max(p_hi - p_lo, 1e-300)
    if hi - p_hi > 2 * span or p_lo - lo > 2 * span:
        return p_lo, p_hi
    return lo, hi


def map_panels(fields):
    """The colour maps of one field: up to two solutions, then the error; and the solutions' common range."""
    solutions = [n for n in ("pinn", "reference", "exact") if n in fields][:2]
    lo, hi = robust_range([fields[n] for n in solutions]) if solutions else (0.0, 1.0)
    return solutions + (["error"] if "error" in fields else []), lo, hi


def equal_aspect(axes):
    span = [float(axes[0][-1] - axes[0][0]), float(axes[1][-1] - axes[1][0])]
    return span[0] > 0 and span[1] > 0 and 0.25 <= span[0] / span[1] <= 4


def draw_map(fig, ax, names, axes, fields, name, lo, hi, title, cuts, equal):
    h, v = axes
    image(fig, ax, h, v, fields[name], error=(name == "error"), lo=lo, hi=hi)
    ax.set_title(title, fontsize=10)
    for k, i in cuts:  # where the line cuts are taken
        line = ax.axhline if k == 1 else ax.axvline
        line(axes[k][i], color="white" if name != "error" else "0.2", ls="--", lw=0.9)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if equal:
        ax.set_aspect("equal")


def cut_picker(k, i):
    return (lambda u: u[i, :]) if k == 1 else (lambda u: u[:, i])


def plot_2d(plt, names, axes, fields, s, cuts, labels, fname="u"):
    maps, lo, hi = map_panels(fields)
    ncol = max(len(maps), len(cuts) + ("error" in fields))
    fig = plt.figure(figsize=(4.3 * ncol, 7.6))
    gs = fig.add_gridspec(2, ncol, height_ratios=[1.25, 1])
    equal = equal_aspect(axes)
    for j, name in enumerate(maps):
        title = error_label(s) if name == "error" else labels[name]
        draw_map(fig, fig.add_subplot(gs[0, j]), names, axes, fields, name, lo, hi, title, cuts, equal)
    err_ax = fig.add_subplot(gs[1, len(cuts)]) if "error" in fields else None
    for c, (k, i) in enumerate(cuts):
        ax = fig.add_subplot(gs[1, c])
        along = 1 - k  # the axis the cut runs along
        pick = cut_picker(k, i)
        where = "%s = %.4g" % (names[k], axes[k][i])
        for name in ("exact", "reference", "pinn"):
            if name in fields:
                ax.plot(axes[along], pick(fields[name]), label=labels[name], **STYLE[name])
        ax.set_title("cut at " + where, fontsize=10)
        ax.set_xlabel(names[along])
        ax.set_ylabel(fname)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        if err_ax is not None:
            err_ax.plot(axes[along], pick(fields["error"]), lw=1.2, label="along %s (%s)" % (names[along], where))
    if err_ax is not None:
        err_ax.axhline(0, color="0.5", lw=0.8)
        err_ax.set_title(error_label(s) + " on the cuts", fontsize=10)
        err_ax.set_xlabel(" / ".join(sorted({names[1 - k] for k, _ in cuts})))
        err_ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        err_ax.grid(True, alpha=0.3)
        err_ax.legend(fontsize=7)
    return fig


def plot_2d_rows(plt, names, axes, planes, order, s, cuts, labels):
    """Several 2D fields: one row each, its colour maps then its line cuts."""
    panels = {f: map_panels(planes[f]) for f in order}
    nmap = max(len(p[0]) for p in panels.values())
    ncol = nmap + len(cuts)
    fig = plt.figure(figsize=(3.9 * ncol, 3.4 * len(order) + 0.9))
    gs = fig.add_gridspec(len(order), ncol)
    equal = equal_aspect(axes)
    for r, fname in enumerate(order):
        fields = planes[fname]
        maps, lo, hi = panels[fname]
        for j, name in enumerate(maps):
            title = "%s: %s" % (fname, error_label(s) if name == "error" else labels[name])
            draw_map(fig, fig.add_subplot(gs[r, j]), names, axes, fields, name, lo, hi, title, cuts, equal)
        for c, (k, i) in enumerate(cuts):
            ax = fig.add_subplot(gs[r, nmap + c])
            along = 1 - k
            pick = cut_picker(k, i)
            for name in ("exact", "reference", "pinn"):
                if name in fields:
                    ax.plot(axes[along], pick(fields[name]), label=labels[name], **STYLE[name])
            ax.set_title("%s, cut at %s = %.4g" % (fname, names[k], axes[k][i]), fontsize=10)
            ax.set_xlabel(names[along])
            ax.set_ylabel(fname)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
    return fig


def replace_error(fs, s, against, path):
    """error = pinn (or, in an `npde reference` file, reference) minus `against`, recomputed here."""
    have = [n for n in fs.names if against in fs.data[n]]
    if not have:
        raise nh.UserError("--error-vs %s: %s has no /fields/%s/%s" % (against, path, against, fs.names[0]))
    base = "pinn" if any("pinn" in d for d in fs.data.values()) else "reference"
    if base == against:
        raise nh.UserError("--error-vs reference: %s has no PINN field (an `npde reference` file?)" % path)
    for name, fields in fs.data.items():
        fields.pop("error", None)
        if name in have and base in fields:
            fields["error"] = fields[base] - fields[against]
    s["error_field"] = "%s - %s" % (base, against)


def select_fields(fs, specs, path):
    if not specs:
        return fs
    names = []
    for spec in specs:
        for name in (n.strip() for n in spec.split(",")):
            if name not in fs.data:
                raise nh.UserError("--field %s: %s has the field(s) %s" % (name or "''", path, ", ".join(fs.names)))
            if name not in names:
                names.append(name)
    return fs.select(names)


def series_index(t, value):
    """Index of the snapshot nearest time `value`; a time outside the run is a UserError."""
    lo, hi = float(np.min(t)), float(np.max(t))
    tol = 1e-9 * max(1.0, abs(hi - lo))
    if not np.isfinite(value) or value < lo - tol or value > hi + tol:
        raise nh.UserError("--time %g is outside the snapshot times [%g, %g]" % (value, lo, hi))
    return int(np.argmin(np.abs(t - value)))


def spread(n, k=5):
    """k snapshot indices spread evenly over 0 .. n-1, first and last included."""
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(k, n))})


def choose_view(args, fs, dim):
    """Applies --time/--mode: returns (view, FieldSet, picks, title words). view is 'steady', 'xt'
    (1D time series) or 'modes' (1D eigenmodes); other series are cut down to one steady snapshot."""
    kind = fs.series_kind
    what = {"": "a steady file", "time": "a time series", "eigenvalue": "an eigenmode file"}[kind]
    if args.time and kind != "time":
        raise nh.UserError("--time needs a time series; %s is %s" % (args.file, what))
    if args.mode is not None and kind != "eigenvalue":
        raise nh.UserError("--mode needs an eigenmode file; %s is %s" % (args.file, what))
    n = 0 if fs.series is None else len(fs.series)
    if kind == "time":
        t = fs.series
        picks = [series_index(t, v) for v in args.time or []]
        if dim == 1:
            picks = sorted(set(picks)) if picks else spread(n)
            return "xt", fs, picks, "%d snapshots, t = %.4g .. %.4g" % (n, t[0], t[-1])
        if len(picks) > 1:
            raise nh.UserError("--time: a %dD time series shows one snapshot; give --time once" % dim)
        i = picks[0] if picks else n - 1
        return "steady", fs.snapshot(i), None, "t = %.4g (snapshot %d of %d)" % (t[i], i + 1, n)
    if kind == "eigenvalue":
        if args.mode is not None and not 0 <= args.mode < n:
            raise nh.UserError("--mode %d: %s has modes 0 to %d" % (args.mode, args.file, n - 1))
        if dim == 1 and args.mode is None:
            return "modes", fs, None, "%d eigenmodes" % n
        k = args.mode or 0
        return "steady", fs.snapshot(k), None, "mode %d of %d, eigenvalue %.6g" % (k, n, fs.series[k])
    return "steady", fs, None, ""


def build(argv):
    """Parses the options and draws the figure: returns (figure, image path, dpi). main() saves it; the
    tests call this to inspect the panels."""
    args = parse_args(argv)
    with nh.open_output(args.file) as f:
        axes = nh.grid(f, args.file)
        fs = nh.load_fields(f, args.file, axes)
        s = nh.summary(f)
        catalogue = nh.is_catalogue(f)
    fs = select_fields(fs, args.field, args.file)
    if catalogue:
        s.setdefault("error_field", "reference - exact")
    if args.error_vs:
        replace_error(fs, s, args.error_vs, args.file)
    dim = len(axes)
    if args.slice and dim != 3:
        raise nh.UserError("--slice needs a 3D file; %s is %dD" % (args.file, dim))
    if args.cut and dim == 1:
        raise nh.UserError("--cut needs a 2D or 3D file; %s is 1D" % args.file)
    view, fs, picks, series_words = choose_view(args, fs, dim)
    extra = "%dD, %s grid" % (dim, "x".join(str(len(a)) for a in axes))
    if isinstance(s.get("pde"), str) and s["pde"]:  # catalogue files (`npde reference`, `npde train`)
        extra = s["pde"] + ", " + extra
    if series_words:
        extra += ", " + series_words
    if dim > 1:  # options are checked before the slow matplotlib import
        names, plane_axes, planes = list(nh.AXIS_NAMES[:2]), axes, dict(fs.data)
        if dim == 3:
            for fname in fs.names:
                names, plane_axes, planes[fname], where = take_plane(axes, fs.data[fname], args.slice)
            extra += ", plane " + where
        cuts = parse_cuts(args.cut, names, plane_axes)
    labels = CATALOGUE_LABELS if catalogue else LABELS
    plt = nh.import_pyplot()
    if view == "xt":
        fig = plot_series_1d(plt, axes[0], fs.series, fs, s, labels, picks)
    elif view == "modes":
        fig = plot_modes_1d(plt, axes[0], fs, s, labels)
    elif dim == 1:
        fig = plot_1d(plt, axes[0], fs, s, labels)
    elif len(fs.names) == 1:
        fig = plot_2d(plt, names, plane_axes, planes[fs.names[0]], s, cuts, labels, fs.names[0])
    else:
        fig = plot_2d_rows(plt, names, plane_axes, planes, fs.names, s, cuts, labels)
    title = catalogue_title(args.file, s, extra) if catalogue else title_text(args.file, s, extra, fs.names)
    fig.suptitle(args.title or title, fontsize=10)
    fig.tight_layout()
    return fig, args.output or os.path.splitext(args.file)[0] + "_fields.png", args.dpi


def main():
    fig, out, dpi = build(sys.argv[1:])
    nh.save_figure(fig, out, dpi)
    return 0


if __name__ == "__main__":
    sys.exit(nh.run_main(PROG, main))
