#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The gradient-pathologies study: plain PINN, learning-rate annealing, modified MLP and both, on the
# paper's Helmholtz, Klein-Gordon and lid-driven cavity setups, several seeds, printed beside the
# paper's figures.
"""Reproduces the table of Wang, Teng & Perdikaris, "Understanding and mitigating gradient flow
pathologies in physics-informed neural networks" (SIAM J. Sci. Comput. 43, 2021): M1 plain,
M2 learning-rate annealing, M3 modified MLP, M4 both, on the decks inputs/studies/gp_*.yaml (the
paper's networks, batches, schedule and 40,001 Adam iterations), `--seeds` seeds each, one rank per
run, `--parallel` runs at once. Prints the table and writes it into docs/studies.md (the cavity, run
alone with --problems cavity, into its own table).

  scripts/studies/gradient_pathologies.py                       # Helmholtz and Klein-Gordon, seeds 1 2 3
  scripts/studies/gradient_pathologies.py --problems cavity     # the cavity (stream-function form, Re = 100)
  scripts/studies/gradient_pathologies.py --iterations 4001 --seeds 1 --no-write   # a quick look
  scripts/studies/gradient_pathologies.py --plan lbfgs --seeds 1   # then 5000 L-BFGS iterations on a fixed set 8x the batch
  scripts/studies/gradient_pathologies.py --problems cavity --methods M2 M4 --no-write \
      --extra training.balancing.weights=terms training.balancing.ratio=global   # npde's default annealing

The cavity's annealing (M2, M4) is its code's: one factor for all the edges (training.balancing.weights:
groups) and the largest per-matrix ratio (ratio: per_layer); --extra comes after and can override it.

The cavity is judged by the speed |(u, v)| against the reference (npde's PETSc solve on Ghia's
129 x 129 grid) in two measures: the relative L2 error (rel_l2_reference_speed) and the measure the
paper's cavity code computes, ||S - S_ref||_2 / ||S_ref||_2 with the speeds as 100 x 100 matrices on
the uniform grid of [0, 1]^2 and ||.||_2 the matrix 2-norm (its largest singular value: numpy's
norm(A, 2) of a 2D array, which the code applies to the gridded fields), read from the run's output
file; the paper's cavity figures are of that measure.
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402

# mean relative L2 error over 10 runs, the paper's Tables
PAPER = {
    "helmholtz": {"M1": 1.06e-1, "M2": 1.12e-2, "M3": 2.46e-2, "M4": 3.87e-3},
    "klein_gordon": {"M1": 1.79e-1, "M2": 1.06e-2, "M3": 1.97e-2, "M4": 2.81e-3},
    "cavity": {"M1": 2.71e-1, "M4": 3.42e-2},  # the paper reports M1 and M4 for the cavity
}
# the error each problem is judged by
METRIC = {"helmholtz": "rel_l2_exact", "klein_gordon": "rel_l2_exact", "cavity": "rel_l2_reference_speed"}
METHODS = {
    "M1": [],
    "M2": ["training.balancing.scheme=annealing"],
    "M3": ["network.architecture=modified_mlp"],
    "M4": ["training.balancing.scheme=annealing", "network.architecture=modified_mlp"],
}
# the decks' points per iteration (training.points), scaled for the quasi-Newton stage's fixed set
BATCH = {"helmholtz": {"interior": 128, "boundary": 512}, "klein_gordon": {"interior": 128, "boundary": 256, "initial": 128},
         "cavity": {"interior": 128, "boundary": 128}}
# the decks' loss weights (training.weights; the others 1), for --qn-deck-weights
DECK_WEIGHTS = {"helmholtz": {"pde": 1, "bc": 4}, "klein_gordon": {"pde": 1, "bc": 2, "initial": 1},
                "cavity": {"pde": 1, "bc": 0.5}}
DECKS = {"helmholtz": "gp_helmholtz.yaml", "klein_gordon": "gp_klein_gordon.yaml", "cavity": "gp_cavity.yaml"}
# the annealing as each problem's code does it (M2, M4), before --extra
ANNEALING = {"cavity": ["training.balancing.weights=groups", "training.balancing.ratio=per_layer"]}
PAPER_GRID = 100  # the cavity code's test grid: linspace(0, 1, 100) in x and y


def bilinear(field, x, y, xn, yn):
    """field[i, j] at (x[i], y[j]) interpolated bilinearly onto the grid xn x yn (both increasing)."""
    along_x = np.array([np.interp(xn, x, field[:, j]) for j in range(field.shape[1])]).T
    return np.array([np.interp(yn, y, along_x[i, :]) for i in range(along_x.shape[0])])


def paper_cavity_measure(path):
    """The cavity code's error of the speed: the ratio of matrix 2-norms on its 100 x 100 grid, the run's
    and the reference's speeds interpolated (bilinearly) from the reference grid of the output file."""
    import h5py
    with h5py.File(path, "r") as f:
        x, y = f["fields/grid/x"][:], f["fields/grid/y"][:]
        net = np.hypot(f["fields/pinn/u"][:], f["fields/pinn/v"][:])
        ref = np.hypot(f["fields/reference/u"][:], f["fields/reference/v"][:])
    g = np.linspace(0.0, 1.0, PAPER_GRID)
    net, ref = bilinear(net, x, y, g, g), bilinear(ref, x, y, g, g)
    return float(np.linalg.norm(net - ref, 2) / np.linalg.norm(ref, 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", default="helmholtz,klein_gordon")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--iterations", type=int, default=40001)
    ap.add_argument("--parallel", type=int, default=2, help="runs at once (one rank each)")
    ap.add_argument("--plan", choices=["adam", "lbfgs"], default="adam",
                    help="lbfgs: after the Adam stage, --qn L-BFGS iterations on a fixed set --qn-points times the batch")
    ap.add_argument("--qn", type=int, default=5000, help="L-BFGS iterations of --plan lbfgs")
    ap.add_argument("--qn-points", type=int, default=8, help="the L-BFGS set as a multiple of the deck's batch per term")
    ap.add_argument("--qn-deck-weights", action="store_true",
                    help="the L-BFGS stage starts from the deck's loss weights (annealing's adapted ones otherwise)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), help="rows to run (M1 M2 M3 M4)")
    ap.add_argument("--extra", nargs="+", default=[], help="further --set overrides for the annealing runs (M2, M4)")
    ap.add_argument("--section", default="", help="write the table into its own block (gradient_pathologies..._<section>)")
    a = ap.parse_args()
    problems = a.problems.split(",")
    jobs = []
    for prob in problems:
        deck = os.path.join(sr.ROOT, "inputs", "studies", DECKS[prob])
        for m, sets in METHODS.items():
            if m not in a.methods:
                continue
            for seed in a.seeds:
                extra = ["training.seed=%d" % seed, "training.stages[0].iterations=%d" % a.iterations] + sets
                if m in ("M2", "M4"):
                    extra += ANNEALING.get(prob, []) + a.extra
                if a.plan == "lbfgs":
                    pts = ", ".join("%s: %d" % (k, a.qn_points * v) for k, v in BATCH[prob].items())
                    weights = (", weights: {%s}" % ", ".join("%s: %g" % kv for kv in DECK_WEIGHTS[prob].items())
                               if a.qn_deck_weights else "")
                    extra.append("training.stages=[{optimizer: adam, iterations: %d, lr: 1e-3, decay: exponential, "
                                 "decay_rate: 0.9, decay_steps: 1000}, {optimizer: lbfgs, iterations: %d, "
                                 "points: {%s}%s}]" % (a.iterations, a.qn, pts, weights))
                jobs.append(((prob, m, seed), deck, extra, 1))
    print("%d runs, %d at a time" % (len(jobs), a.parallel), flush=True)
    res = sr.run_all([("%s %s seed %d" % k, d, s, r) for k, d, s, r in jobs], a.parallel)
    lines = ["| problem | method | " + " | ".join("seed %d" % s for s in a.seeds) +
             " | mean | paper (mean of 10) | mean / paper | wall s per run |",
             "|---|---|" + "---|" * len(a.seeds) + "---|---|---|---|"]
    def measure(prob, s, paper_code):
        """The run's error: the summary's, or (the cavity, paper_code) the cavity code's measure."""
        if "failed" in s:
            return None
        if paper_code:
            return paper_cavity_measure(s["output_file"]) if "output_file" in s else None
        e = s.get(METRIC[prob])
        return e if isinstance(e, float) else None

    for prob in problems:
        # the cavity: the relative L2 error, then the paper code's measure (the one its figures are of)
        for paper_code in ([False, True] if prob == "cavity" else [False]):
            for m in a.methods:
                errs, walls = [], []
                for seed in a.seeds:
                    s, sec, _ = res["%s %s seed %d" % (prob, m, seed)]
                    errs.append(measure(prob, s, paper_code))
                    walls.append(sec)
                ok = [e for e in errs if e is not None and math.isfinite(e)]
                mean = sum(ok) / len(ok) if ok else None
                paper = PAPER[prob].get(m)
                lines.append("| %s | %s | %s | %s | %s | %s | %.0f |" % (
                    prob + (" (paper's measure)" if paper_code else ""), m, " | ".join(sr.fmt(e) for e in errs),
                    sr.fmt(mean), sr.fmt(paper), "%.2f" % (mean / paper) if mean and paper else "-",
                    sum(walls) / len(walls)))
    table = "\n".join(lines)
    print(table)
    if not a.no_write:
        cavity = problems == ["cavity"]
        options = (("" if a.plan == "adam" else " --plan lbfgs --qn %d --qn-points %d%s" % (
                       a.qn, a.qn_points, " --qn-deck-weights" if a.qn_deck_weights else "")) +
                   (" --problems cavity" if cavity else "") + (" --methods " + " ".join(a.methods)
                                                               if a.methods != list(METHODS) else "") +
                   (" --extra " + " ".join(a.extra) if a.extra else "") +
                   (" --section " + a.section if a.section else ""))
        head = ("#" * (3 if a.section else 2) + " Gradient pathologies (Wang, Teng & Perdikaris 2021)%s%s%s\n\n"
                "Command: `scripts/studies/gradient_pathologies.py%s` (seeds %s, %d Adam iterations%s, one rank per run, "
                "%d runs at a time).\nMachine: %s.\nDecks: %s. "
                "M1 plain MLP, M2 learning-rate annealing (`training.balancing.scheme: annealing`), M3 modified MLP "
                "(`network.architecture: modified_mlp`), M4 both; %s.\n\n"
                % (": lid-driven cavity, stream-function form" if cavity else "",
                   "" if a.plan == "adam" else ", with npde's stage plan (Adam, then L-BFGS on a fixed set)",
                   ", with " + ", ".join("`%s`" % e for e in a.extra) if a.extra else "", options,
                   " ".join(map(str, a.seeds)), a.iterations,
                   "" if a.plan == "adam" else " then %d L-BFGS on a fixed set %dx the batch" % (a.qn, a.qn_points),
                   a.parallel, sr.machine(), ", ".join("inputs/studies/" + DECKS[p] for p in problems),
                   "the speed |(u, v)| against the PETSc reference on Ghia's 129 x 129 grid: its relative L2 error, "
                   "and (paper's measure) the ratio of the matrix 2-norms of the error and of the reference speed "
                   "on the paper code's 100 x 100 grid (bilinear from the reference grid), which the paper's cavity "
                   "figures are; M2 and M4 anneal as the cavity code does (`training.balancing.weights: groups`, "
                   "`ratio: per_layer`)" if cavity
                   else "rel. L2 error against the exact solution on the reference grid"))
        sr.write_section("gradient_pathologies" + ("_cavity" if cavity else "") + ("" if a.plan == "adam" else "_lbfgs") +
                         ("_" + a.section if a.section else ""), head + table)


if __name__ == "__main__":
    main()
