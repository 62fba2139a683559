#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Spectral bias: plain MLP vs Fourier features vs Physics-Informed Gaussians on a two-scale problem.
"""The 1D two-scale Poisson problem of Wang, Wang & Perdikaris ("On the eigenvector bias of Fourier
feature networks", CMAME 2021), inputs/studies/spectral_bias.yaml: u = sin(2 pi x) + 0.1 sin(50 pi x)
on [0, 1], hard Dirichlet conditions, 1024 Sobol points redrawn every 100 iterations, Adam (lr 1e-3
x 0.9 every 1000) then L-BFGS, float64. The same hidden layers and iterations for
  plain        the tanh MLP alone;
  fourier s    random Fourier features, `--frequencies` frequencies of standard deviation s;
  PIG          `--gaussians` trainable Gaussians of initial width `--width` (fraction of the box).
Prints the table (rel. L2 against the exact solution, mean over seeds, wall time of a run) and
writes it into docs/studies.md.

  scripts/studies/spectral_bias.py
  scripts/studies/spectral_bias.py --adam 2000 --qn 500 --seeds 1 --no-write
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adam", type=int, default=5000)
    ap.add_argument("--qn", type=int, default=2000, help="L-BFGS iterations after Adam (0: none)")
    ap.add_argument("--layers", default="[64, 64, 64]")
    ap.add_argument("--frequencies", type=int, default=32)
    ap.add_argument("--sigmas", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--gaussians", type=int, default=64)
    ap.add_argument("--width", type=float, default=0.02)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    deck = os.path.join(sr.ROOT, "inputs", "studies", "spectral_bias.yaml")
    stages = "[{optimizer: adam, iterations: %d, lr: 1e-3, decay_rate: 0.9, decay_steps: 1000}" % a.adam
    if a.qn > 0:
        stages += ", {optimizer: lbfgs, iterations: %d, history: 50}" % a.qn
    stages += "]"
    common = ["training.stages=" + stages, "network.layers=" + a.layers, "training.log_every=100000"]
    methods = {"plain MLP": []}
    for s in a.sigmas:
        methods["Fourier features, sigma %g" % s] = ["network.fourier_features.frequencies=%d" % a.frequencies,
                                                     "network.fourier_features.sigma=%g" % s]
    methods["PIG, %d Gaussians" % a.gaussians] = ["network.gaussian_features.count=%d" % a.gaussians,
                                                  "network.gaussian_features.width=%g" % a.width]
    res = sr.run_seeds(deck, common, methods, a.seeds, a.parallel)
    table = sr.seed_table("network", methods, a.seeds, res, "rel_l2_exact")
    print(table)
    if not a.no_write:
        head = ("## Spectral bias: plain MLP, Fourier features and Physics-Informed Gaussians\n\n"
                "Command: `scripts/studies/spectral_bias.py --adam %d --qn %d --layers '%s' --frequencies %d --sigmas %s "
                "--gaussians %d --width %g --seeds %s` (one rank per run, %d at a time).\nMachine: %s.\n"
                "Deck: inputs/studies/spectral_bias.yaml (u = sin(2 pi x) + 0.1 sin(50 pi x), hidden layers %s, "
                "tanh); rel. L2 error against the exact solution on the 4097-point grid.\n\n"
                % (a.adam, a.qn, a.layers, a.frequencies, " ".join("%g" % s for s in a.sigmas), a.gaussians, a.width,
                   " ".join(map(str, a.seeds)), a.parallel, sr.machine(), a.layers))
        sr.write_section("spectral_bias", head + table)


if __name__ == "__main__":
    main()
