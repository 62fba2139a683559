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
      --extra training.balancing.weights=groups training.balancing.ratio=per_layer   # the cavity code's annealing

The cavity's error is the paper's: the speed |(u, v)| against the reference (npde's PETSc solve on
Ghia's 129 x 129 grid), rel_l2_reference_speed.
"""
import argparse
import math
import os
import sys

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
                    extra += a.extra
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
    for prob in problems:
        for m in a.methods:
            errs, walls = [], []
            for seed in a.seeds:
                s, sec, _ = res["%s %s seed %d" % (prob, m, seed)]
                e = s.get(METRIC[prob])
                errs.append(e if isinstance(e, float) else None)
                walls.append(sec)
            ok = [e for e in errs if e is not None and math.isfinite(e)]
            mean = sum(ok) / len(ok) if ok else None
            paper = PAPER[prob].get(m)
            lines.append("| %s | %s | %s | %s | %s | %s | %.0f |" % (
                prob, m, " | ".join(sr.fmt(e) for e in errs), sr.fmt(mean), sr.fmt(paper),
                "%.2f" % (mean / paper) if mean and paper else "-", sum(walls) / len(walls)))
    table = "\n".join(lines)
    print(table)
    if not a.no_write:
        cavity = problems == ["cavity"]
        options = (("" if a.plan == "adam" else " --plan lbfgs --qn %d --qn-points %d%s" % (
                       a.qn, a.qn_points, " --qn-deck-weights" if a.qn_deck_weights else "")) +
                   (" --problems cavity" if cavity else "") + (" --methods " + " ".join(a.methods)
                                                               if a.methods != list(METHODS) else ""))
        head = ("## Gradient pathologies (Wang, Teng & Perdikaris 2021)%s%s\n\n"
                "Command: `scripts/studies/gradient_pathologies.py%s` (seeds %s, %d Adam iterations%s, one rank per run, "
                "%d runs at a time).\nMachine: %s.\nDecks: %s. "
                "M1 plain MLP, M2 learning-rate annealing (`training.balancing.scheme: annealing`), M3 modified MLP "
                "(`network.architecture: modified_mlp`), M4 both; %s.\n\n"
                % (": lid-driven cavity, stream-function form" if cavity else "",
                   "" if a.plan == "adam" else ", with npde's stage plan (Adam, then L-BFGS on a fixed set)", options,
                   " ".join(map(str, a.seeds)), a.iterations,
                   "" if a.plan == "adam" else " then %d L-BFGS on a fixed set %dx the batch" % (a.qn, a.qn_points),
                   a.parallel, sr.machine(), ", ".join("inputs/studies/" + DECKS[p] for p in problems),
                   "rel. L2 error of the speed |(u, v)| against the PETSc reference on Ghia's 129 x 129 grid" if cavity
                   else "rel. L2 error against the exact solution on the reference grid"))
        sr.write_section("gradient_pathologies" + ("_cavity" if cavity else "") + ("" if a.plan == "adam" else "_lbfgs"),
                         head + table)


if __name__ == "__main__":
    main()
