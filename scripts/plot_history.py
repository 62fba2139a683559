#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Plots the training history of one or more npde output files: loss terms and validation error per iteration.
"""Training history of npde runs as a PNG.

Top panel: the loss and each of its named terms, one /history/loss_<term> column each (loss_pde,
loss_bc, loss_initial, loss_periodic, loss_data, loss_momentum_x, ...), on a log scale with a legend;
when the PDE residual is the only term (hard conditions) the loss alone is drawn. A term that is zero
throughout is listed in the legend as such. Dotted lines mark where a training stage (optimizer) ends.
Bottom panel: the validation error rel_l2_exact at the logged iterations (absent without `exact`).
Several files are drawn on the same axes, one colour per file and one line style per term.

Example:
  scripts/plot_history.py poisson2d.h5 -o poisson2d_history.png
"""
import argparse
import os
import sys

import numpy as np

import npde_h5 as nh

PROG = "plot_history.py"
# Line styles of the loss terms when several files share the axes (colour = file); the total is solid.
TERM_STYLES = ["--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2)), (0, (3, 1, 1, 1)),
               (0, (5, 3, 1, 3, 1, 3)), (0, (2, 1))]


def parse_args(argv):
    p = nh.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                epilog=__doc__.split("\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE.h5", help="npde output files (from `npde train`)")
    p.add_argument("-o", "--output", metavar="PNG",
                   help="image to write (default: FIRST_history.png next to the first file)")
    p.add_argument("--x", dest="xaxis", choices=("iteration", "wall_time"), default="iteration",
                   help="horizontal axis: iteration number (default) or wall-clock seconds")
    p.add_argument("--dpi", type=int, default=110, help="image resolution (default 110)")
    p.add_argument("--title", help="figure title (default: file names and summary numbers)")
    return p.parse_args(argv)


def load(path, xaxis):
    """(history, summary, stage optimizers) of one file; history None for files without one."""
    with nh.open_output(path) as f:
        hist = nh.history(f, path)
        if hist is not None:
            for col in ("loss", xaxis):
                if col not in hist:
                    raise nh.UserError("%s: /history has no column '%s'" % (path, col))
            # Optional columns: without them there are no stage marks and no validation points.
            n = len(hist["iteration"])
            hist.setdefault("stage", np.zeros(n))
            hist.setdefault("rel_l2_exact", np.full(n, np.nan))
        return hist, nh.summary(f), nh.stage_optimizers(f)


def stage_starts(hist):
    """Indices where a new stage begins (after the first)."""
    st = hist["stage"]
    return [i for i in range(1, len(st)) if st[i] != st[i - 1]]


def positive(x, y):
    """Points a log axis can show."""
    keep = (y > 0) & (y == y)
    return x[keep], y[keep]


def title_line(path, s):
    parts = [os.path.basename(path)]
    if nh.number(s, "iterations") is not None:
        parts.append("%d iterations" % nh.number(s, "iterations"))
    if nh.number(s, "train_seconds") is not None:
        parts.append("%.3g s on %s rank(s)" % (nh.number(s, "train_seconds"), nh.fmt(nh.number(s, "ranks"), ".0f")))
    if nh.number(s, "final_loss") is not None:
        parts.append("final loss " + nh.fmt(nh.number(s, "final_loss")))
    if nh.number(s, "rel_l2_exact") is not None:
        parts.append("rel. L2 error " + nh.fmt(nh.number(s, "rel_l2_exact")))
    elif nh.number(s, "rel_l2_exact_velocity") is not None:
        parts.append("velocity rel. L2 error " + nh.fmt(nh.number(s, "rel_l2_exact_velocity")))
    elif nh.number(s, "rel_l2_reference") is not None:
        parts.append("rel. L2 vs reference " + nh.fmt(nh.number(s, "rel_l2_reference")))
    return ", ".join(parts)


def loss_curves(h):
    """The curves of one run's loss panel: [(column, label)]. The loss, then every loss_<term> column;
    just the loss when loss_pde is the only term (it then equals the loss)."""
    terms = nh.loss_terms(h)
    if not terms:
        return [("loss", "loss")]
    if terms == ["loss_pde"]:
        return [("loss", "loss (= loss_pde: conditions built in)")]
    out = [("loss", "loss (total)")]
    for t in terms:
        out.append((t, t if bool((h[t] != 0).any()) else "%s (0 throughout)" % t))
    return out


def draw(runs, args, plt):
    has_val = any(bool((h["rel_l2_exact"] == h["rel_l2_exact"]).any()) for _, h, _, _ in runs)
    nrows = 2 if has_val else 1
    fig, axes = plt.subplots(nrows, 1, sharex=True, figsize=(8, 6.2 if has_val else 4.2), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 2][:nrows]})
    ax_loss = axes[0][0]
    ax_val = axes[1][0] if has_val else None
    single = len(runs) == 1
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = {}  # term -> line style, the same in every file
    for k, (path, h, s, optimizers) in enumerate(runs):
        x = h[args.xaxis]
        name = os.path.basename(path)
        for j, (term, label) in enumerate(loss_curves(h)):
            if single:
                # one colour per term; the total solid and a little heavier
                color, style = colors[j % len(colors)], "-" if term == "loss" else "--"
            else:
                if term != "loss" and term not in styles:
                    styles[term] = TERM_STYLES[len(styles) % len(TERM_STYLES)]
                color, style = colors[k % len(colors)], "-" if term == "loss" else styles[term]
                label = "%s %s" % (name, label)
            ax_loss.plot(*positive(x, h[term]), linestyle=style, color=color, lw=1.6 if term == "loss" else 1.2,
                         label=label)
        if ax_val is not None:
            xv, yv = positive(x, h["rel_l2_exact"])
            if len(xv):
                ax_val.plot(xv, yv, "o-", ms=4, lw=1.2, color=colors[0 if single else k % len(colors)],
                            label="rel. L2 error vs exact" if single else name)
        # Stage boundaries halfway between the last iteration of one stage and the first of the next.
        for i in stage_starts(h):
            xb = 0.5 * (x[i - 1] + x[i])
            for ax in (ax_loss, ax_val):
                if ax is not None:
                    ax.axvline(xb, color="0.45" if single else colors[k % len(colors)], ls=":", lw=1.1)
        if single or k == 0:
            label_stages(ax_loss, h, x, optimizers)
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("loss")
    ax_loss.grid(True, which="major", alpha=0.3)
    if len(ax_loss.get_legend_handles_labels()[1]) <= 6:
        ax_loss.legend(loc="lower left", fontsize=8)  # the stage labels sit at the top
    else:  # many terms (several files): beside the panel, where it hides no curve
        fig.set_figwidth(fig.get_figwidth() + 3.2)
        ax_loss.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, borderaxespad=0)
    if ax_val is not None:
        ax_val.set_yscale("log")
        ax_val.set_ylabel("rel. L2 error vs exact")
        ax_val.grid(True, which="major", alpha=0.3)
        ax_val.legend(loc="lower left", fontsize=8)
    axes[-1][0].set_xlabel("iteration" if args.xaxis == "iteration" else "wall-clock time [s]")
    title = args.title or "\n".join(title_line(p, s) for p, _, s, _ in runs[:4])
    fig.suptitle(title, fontsize=9.5)
    fig.tight_layout()
    return fig


def label_stages(ax, h, x, optimizers):
    """Writes 'stage N: optimizer' at the top of each stage's span."""
    starts = [0] + stage_starts(h)
    for i in starts:
        stage = int(h["stage"][i])
        text = "stage %d" % (stage + 1)
        if optimizers and 0 <= stage < len(optimizers):
            text += ": " + optimizers[stage]
        ax.annotate(text, xy=(x[i], 1.0), xycoords=("data", "axes fraction"), xytext=(4, -12),
                    textcoords="offset points", fontsize=8, color="0.3")


def build(argv):
    """Parses the options, reads the files and draws the figure: returns (figure, image path, dpi). main()
    saves it; the tests call this to inspect the curves."""
    args = parse_args(argv)
    runs, skipped = [], []
    for path in args.files:
        hist, s, optimizers = load(path, args.xaxis)
        if hist is None or len(hist["iteration"]) == 0:
            skipped.append("%s has no training history (/history; an `npde reference` file?)" % path)
        else:
            runs.append((path, hist, s, optimizers))
    if not runs:
        raise nh.UserError(skipped[0] if len(skipped) == 1 else "none of the files has a training history")
    for msg in skipped:
        sys.stderr.write("%s: warning: %s; skipped\n" % (PROG, msg))
    out = args.output or os.path.splitext(args.files[0])[0] + "_history.png"
    plt = nh.import_pyplot()
    return draw(runs, args, plt), out, args.dpi


def main():
    fig, out, dpi = build(sys.argv[1:])
    nh.save_figure(fig, out, dpi)
    return 0


if __name__ == "__main__":
    sys.exit(nh.run_main(PROG, main))
