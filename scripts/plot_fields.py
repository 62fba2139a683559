#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Plots the solution fields of an npde output file: PINN, reference, exact and error, with line cuts.
"""Solution fields of an npde output file as a PNG.

1D: the PINN, reference and exact solutions as curves, and the error field below.
2D: colour maps PINN | reference | error (the solution panels share one colour scale), and below them
    line cuts through the middle of the domain (or at --cut) with the error along each cut.
3D: the same for one plane of the grid, z = middle by default (or --slice).
Files from `npde reference` show reference | exact | error. The title carries the /summary numbers.

Examples:
  scripts/plot_fields.py poisson2d.h5 -o poisson2d_fields.png
  scripts/plot_fields.py poisson2d.h5 --cut y=0.25 --cut x=0.5 --error-vs exact
  scripts/plot_fields.py poisson3d.h5 --slice x=0.25
"""
import argparse
import os
import sys

import numpy as np

import npde_h5 as nh

PROG = "plot_fields.py"
LABELS = {"pinn": "PINN", "reference": "reference (PETSc)", "exact": "exact"}
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


def title_text(path, s, extra):
    num = lambda k: nh.number(s, k)
    head = [os.path.basename(path)] + ([extra] if extra else [])
    errs = []
    if num("rel_l2_exact") is not None:
        errs.append("PINN vs exact %s" % nh.fmt(num("rel_l2_exact")))
    if num("rel_l2_reference") is not None:
        errs.append("PINN vs reference %s" % nh.fmt(num("rel_l2_reference")))
    if num("reference_rel_l2_exact") is not None:
        errs.append("reference vs exact %s" % nh.fmt(num("reference_rel_l2_exact")))
    lines = [", ".join(head)]
    if errs:
        lines.append("relative L2 error: " + ", ".join(errs))
    run = []
    if num("iterations") is not None:
        run.append("%d iterations" % num("iterations"))
    if num("train_seconds") is not None:
        run.append("%.3g s training" % num("train_seconds"))
    if num("ranks") is not None:
        run.append("%d rank(s)" % num("ranks"))
    if isinstance(s.get("precision"), str):
        run.append(s["precision"])
    if isinstance(s.get("reference_solver"), str):
        run.append("reference " + s["reference_solver"])
    if run:
        lines.append(", ".join(run))
    return "\n".join(lines)


def error_label(s):
    text = s.get("error_field")
    return "error (%s)" % text if isinstance(text, str) else "error"


def plot_1d(plt, x, fields, s):
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 6.2), gridspec_kw={"height_ratios": [3, 2]})
    for name in ("exact", "reference", "pinn"):
        if name in fields:
            top.plot(x, fields[name], label=LABELS[name], **STYLE[name])
    top.set_ylabel("u")
    top.legend(fontsize=8)
    top.grid(True, alpha=0.3)
    if "error" in fields:
        bottom.plot(x, fields["error"], color="C3", lw=1.2)
        bottom.axhline(0, color="0.5", lw=0.8)
        bottom.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    bottom.set_ylabel(error_label(s))
    bottom.set_xlabel("x")
    bottom.grid(True, alpha=0.3)
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


def plot_2d(plt, names, axes, fields, s, cuts):
    solutions = [n for n in ("pinn", "reference", "exact") if n in fields][:2]
    maps = solutions + (["error"] if "error" in fields else [])
    ncol = max(len(maps), len(cuts) + ("error" in fields))
    fig = plt.figure(figsize=(4.3 * ncol, 7.6))
    gs = fig.add_gridspec(2, ncol, height_ratios=[1.25, 1])
    h, v = axes
    lo = min(float(fields[n].min()) for n in solutions) if solutions else 0.0
    hi = max(float(fields[n].max()) for n in solutions) if solutions else 1.0
    span = [float(h[-1] - h[0]), float(v[-1] - v[0])]
    equal = span[0] > 0 and span[1] > 0 and 0.25 <= span[0] / span[1] <= 4
    for j, name in enumerate(maps):
        ax = fig.add_subplot(gs[0, j])
        if name == "error":
            m = float(np.abs(fields[name]).max()) or 1.0
            mesh = ax.pcolormesh(h, v, fields[name], shading="nearest", cmap="RdBu_r", vmin=-m, vmax=m)
            ax.set_title(error_label(s), fontsize=10)
        else:
            mesh = ax.pcolormesh(h, v, fields[name], shading="nearest", cmap="viridis", vmin=lo, vmax=hi)
            ax.set_title(LABELS[name], fontsize=10)
        cb = fig.colorbar(mesh, ax=ax, shrink=0.9)
        cb.formatter.set_powerlimits((-2, 3))
        cb.update_ticks()
        for k, i in cuts:  # where the line cuts below are taken
            line = ax.axhline if k == 1 else ax.axvline
            line(axes[k][i], color="white" if name != "error" else "0.2", ls="--", lw=0.9)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        if equal:
            ax.set_aspect("equal")
    err_ax = fig.add_subplot(gs[1, len(cuts)]) if "error" in fields else None
    for c, (k, i) in enumerate(cuts):
        ax = fig.add_subplot(gs[1, c])
        along = 1 - k  # the axis the cut runs along
        pick = (lambda u: u[i, :]) if k == 1 else (lambda u: u[:, i])
        where = "%s = %.4g" % (names[k], axes[k][i])
        for name in ("exact", "reference", "pinn"):
            if name in fields:
                ax.plot(axes[along], pick(fields[name]), label=LABELS[name], **STYLE[name])
        ax.set_title("cut at " + where, fontsize=10)
        ax.set_xlabel(names[along])
        ax.set_ylabel("u")
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


def replace_error(fields, s, against, path):
    """error = pinn (or, in an `npde reference` file, reference) minus `against`, recomputed here."""
    if against not in fields:
        raise nh.UserError("--error-vs %s: %s has no /fields/%s/u" % (against, path, against))
    base = "pinn" if "pinn" in fields else "reference"
    if base == against:
        raise nh.UserError("--error-vs reference: %s has no PINN field (an `npde reference` file?)" % path)
    fields["error"] = fields[base] - fields[against]
    s["error_field"] = "%s - %s" % (base, against)


def main():
    args = parse_args(sys.argv[1:])
    with nh.open_output(args.file) as f:
        axes = nh.grid(f, args.file)
        fields = nh.fields(f, args.file, axes)
        s = nh.summary(f)
    if args.error_vs:
        replace_error(fields, s, args.error_vs, args.file)
    dim = len(axes)
    if args.slice and dim != 3:
        raise nh.UserError("--slice needs a 3D file; %s is %dD" % (args.file, dim))
    if args.cut and dim == 1:
        raise nh.UserError("--cut needs a 2D or 3D file; %s is 1D" % args.file)
    extra = "%dD, %s grid" % (dim, "x".join(str(len(a)) for a in axes))
    if dim > 1:  # options are checked before the slow matplotlib import
        names, plane_axes, plane, where = list(nh.AXIS_NAMES[:2]), axes, fields, ""
        if dim == 3:
            names, plane_axes, plane, where = take_plane(axes, fields, args.slice)
            extra += ", plane " + where
        cuts = parse_cuts(args.cut, names, plane_axes)
    plt = nh.import_pyplot()
    if dim == 1:
        fig = plot_1d(plt, axes[0], fields, s)
    else:
        fig = plot_2d(plt, names, plane_axes, plane, s, cuts)
    fig.suptitle(args.title or title_text(args.file, s, extra), fontsize=10)
    fig.tight_layout()
    out = args.output or os.path.splitext(args.file)[0] + "_fields.png"
    nh.save_figure(fig, out, args.dpi)
    return 0


if __name__ == "__main__":
    sys.exit(nh.run_main(PROG, main))
