#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Burgers with uniform resampling, RAD and RAR-D at the same number of points and the same iterations.
"""Uniform vs residual-based adaptive sampling on the viscous Burgers benchmark (inputs/burgers1d.yaml:
hard conditions, 2-32-32-32-32-1 tanh), after Wu, Zhu, Tan, Kartha & Lu, "A comprehensive study of
non-adaptive and residual-based adaptive sampling for physics-informed neural networks" (CMAME 2023):
`--points` interior points (RAR-D: half of them at the start and `--points`/2 added over the rounds, so
that it ends with as many), a new draw every `--every` Adam iterations (uniform: a fresh uniform set, every set drawn
uniformly, the candidates too;
RAD: a draw from 10 x `--points` candidates with density |r|^k/mean|r|^k + c, k = c = 1 or each
`--rad K C`; RAR-D: the added points),
`--adam` Adam iterations (lr 1e-3), then `--qn` iterations of a quasi-Newton stage on the last set.
Prints the table (rel. L2 against the reference solution) and writes it into docs/studies.md.

  scripts/studies/burgers_sampling.py
  scripts/studies/burgers_sampling.py --points 1000 --adam 5000 --qn 0 --seeds 1 --no-write
  scripts/studies/burgers_sampling.py --only RAD --rad 2 0 --rad 1 0 --section rad
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--adam", type=int, default=15000)
    ap.add_argument("--qn", type=int, default=5000, help="quasi-Newton iterations after Adam (0: none)")
    ap.add_argument("--optimizer", default="lbfgs", choices=["lbfgs", "ssbfgs"])
    ap.add_argument("--qn-resample", type=int, default=0,
                    help="new points every n quasi-Newton iterations too (the sampler's rule; 0: the last Adam set "
                         "throughout), as Wu et al. retrain after each redraw")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--rad", type=float, nargs=2, action="append", metavar=("K", "C"),
                    help="a RAD row with density |r|^K / mean |r|^K + C (repeatable; default: 1 1)")
    ap.add_argument("--only", nargs="+", help="rows to run: uniform, RAD (every --rad), RAR-D")
    ap.add_argument("--section", default="", help="write the table into its own block (burgers_sampling_<section>)")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    deck = os.path.join(sr.ROOT, "inputs", "burgers1d.yaml")
    # redraws: every `every` Adam iterations after the first set, then (--qn-resample) at the quasi-Newton
    # stage's first iteration and every qn_resample after it (global iteration counts)
    rounds = max(1, a.adam // a.every - 1 + (a.qn // a.qn_resample if a.qn_resample and a.qn > 0 else 0))
    stages = "[{optimizer: adam, iterations: %d, lr: 1e-3}" % a.adam
    if a.qn > 0:
        stages += ", {optimizer: %s, iterations: %d%s}" % (
            a.optimizer, a.qn, ", resample_every: %d" % a.qn_resample if a.qn_resample else "")
    stages += "]"
    common = ["training.stages=" + stages, "training.points.resample_every=%d" % a.every, "training.log_every=5000",
              "training.points.sampler=uniform"]
    samplers = {"uniform": ["training.points.interior=%d" % a.points]}  # the table's order: uniform, RAD, RAR-D
    for k, c in a.rad or [(1.0, 1.0)]:
        name = "RAD" if not a.rad else "RAD (k = %g, c = %g)" % (k, c)
        samplers[name] = ["training.points.interior=%d" % a.points, "training.points.adaptive.method=rad",
                          "training.points.adaptive.candidates=%d" % (10 * a.points),
                          "training.points.adaptive.k=%g" % k, "training.points.adaptive.c=%g" % c]
    samplers["RAR-D"] = ["training.points.interior=%d" % (a.points // 2), "training.points.adaptive.method=rar_d",
                         "training.points.adaptive.candidates=%d" % (10 * a.points),
                         "training.points.adaptive.add=%d" % max(1, (a.points - a.points // 2) // rounds)]
    if a.only:
        samplers = {n: v for n, v in samplers.items() if n.split(" ")[0] in a.only}
    res = sr.run_seeds(deck, common, samplers, a.seeds, a.parallel)
    table = sr.seed_table("sampler", samplers, a.seeds, res, "rel_l2_reference")
    print(table)
    if not a.no_write:
        head = ("#" * (3 if a.section else 2) + " Burgers: uniform vs RAD vs RAR-D (Wu et al. 2023)%s\n\n"
                % (", redrawn through the quasi-Newton stage" if a.qn_resample else "") +
                "Command: `scripts/studies/burgers_sampling.py --points %d --every %d --adam %d --qn %d --optimizer %s "
                "--seeds %s%s%s` (one rank per run, %d at a time).\nMachine: %s.\nDeck: inputs/burgers1d.yaml with the stages "
                "and points replaced; rel. L2 error against the PETSc reference (2049 points, 101 snapshots). RAR-D starts "
                "with %d points and ends with about %d.\n\n"
                % (a.points, a.every, a.adam, a.qn, a.optimizer, " ".join(map(str, a.seeds)),
                   " --qn-resample %d" % a.qn_resample if a.qn_resample else "",
                   "".join(" --rad %g %g" % (k, c) for k, c in a.rad or []) +
                   (" --only " + " ".join(a.only) if a.only else "") + (" --section " + a.section if a.section else ""),
                   a.parallel, sr.machine(),
                   a.points // 2, a.points // 2 + rounds * max(1, (a.points - a.points // 2) // rounds)))
        sr.write_section("burgers_sampling" + ("_" + a.section if a.section else ""), head + table)


if __name__ == "__main__":
    main()
