#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# FBPINN subdomain scheduling against all subdomains together, at the same iterations.
"""Burgers as an FBPINN of 2 x 4 overlapping subdomains (inputs/studies/fbpinn_burgers.yaml: 2-24-24-1
tanh per subdomain, 8192 points, Adam 4000 (lr 2e-3) + L-BFGS 3000), trained with all subdomains
together and with the time slabs trained by turns from t = 0 (`decomposition.schedule: {axis: t,
every: N}` for each --every N: the four slabs take 4 N Adam iterations, then all subdomains train).
Prints the rel. L2 errors against the PETSc reference per seed and writes the table into docs/studies.md.

  scripts/studies/fbpinn_schedule.py
  scripts/studies/fbpinn_schedule.py --every 250 1000 --seeds 1 2 3 --section every
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--every", type=int, nargs="+", default=[500], help="Adam iterations per time slab (one row each)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--section", default="", help="write the table into its own block (fbpinn_schedule_<section>)")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    deck = os.path.join(sr.ROOT, "inputs", "studies", "fbpinn_burgers.yaml")
    variants = {"all subdomains together": []}
    for n in a.every:
        variants["time slabs by turns, %d Adam iterations each" % n] = [
            "decomposition.schedule={axis: t, every: %d}" % n]
    res = sr.run_seeds(deck, ["training.log_every=4000"], variants, a.seeds, a.parallel)
    table = sr.seed_table("training", variants, a.seeds, res, "rel_l2_reference")
    print(table)
    if not a.no_write:
        head = ("#" * (3 if a.section else 2) + " FBPINN subdomain scheduling on Burgers\n\n"
                "Command: `scripts/studies/fbpinn_schedule.py --every %s --seeds %s%s` (one rank per run, %d at a time)."
                "\nMachine: %s.\nDeck: inputs/studies/fbpinn_burgers.yaml (2 x 4 subdomains, overlap 0.5, 8192 points, "
                "Adam 4000 + L-BFGS 3000); rel. L2 error against the PETSc reference (2049 points, 101 snapshots).\n\n"
                % (" ".join(map(str, a.every)), " ".join(map(str, a.seeds)),
                   " --section " + a.section if a.section else "", a.parallel, sr.machine()))
        sr.write_section("fbpinn_schedule" + ("_" + a.section if a.section else ""), head + table)


if __name__ == "__main__":
    main()
