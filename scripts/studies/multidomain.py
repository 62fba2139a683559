#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Multi-domain PINNs (XPINN, cPINN, FBPINN) against one network, and METALIC's interface choices.
"""Runs the decomposition decks of inputs/ and their single-network counterparts, then METALIC:
  A  inputs/xpinn_poisson2d.yaml (2 x 2 subdomains, 2-20-20-1 each): XPINN's own terms, XPINN + flux
     (the deck), cPINN, and one 2-40-40-1 network on the same points and stages (2 ranks; the single
     network on 1);
  B  inputs/fbpinn_helmholtz2d.yaml (4 x 4 FBPINN, k = 4 pi) and one 2-64-64-1 network (1 subdomain);
  C  inputs/cpinn_burgers1d.yaml (4 cPINN subdomains in x cut at -0.5, -0.2, 0.2: the front inside the
     third), 4 equal subdomains (the front on a face) and 3 equal ones (the front inside the middle one);
  D  inputs/metalic_burgers1d.yaml: `npde metalic` (2 groups of 1 rank), then at 5 held-out viscosities
     the recommended mask against fixed masks (XPINN's and cPINN's terms, every recommended mask), each
     trained by `npde train`;
  E  the same for inputs/metalic_allen_cahn.yaml (a time-split family: the reaction rate);
  F  the same for inputs/metalic_poisson_front.yaml (Poisson with a front of sharpness a).
A and D make the section "multidomain" of docs/studies.md; a run of other parts (--only) its own.
Prints the tables and writes them into docs/studies.md.

  scripts/studies/multidomain.py
  scripts/studies/multidomain.py --only A D --no-write
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402

TERMS = ["continuity", "average", "residual", "residual_continuity", "flux", "uyy", "residual_gradient", "ux", "uxx"]
XPINN = {"average": 20.0, "residual_continuity": 1.0}


def deck(name):
    return os.path.join(sr.ROOT, "inputs", name)


def row(label, res, key="rel_l2_exact"):
    s, wall, _ = res
    e = s.get(key)
    return "| %s | %s | %s | %.0f |" % (label, sr.fmt(e if isinstance(e, float) else None),
                                        sr.fmt(s.get("train_seconds")), wall)


def mask_sets(terms):
    """The --set overrides of `npde train` that reproduce a METALIC play's weights for these terms
    (decomposition.method xpinn: XPINN's weight where it has one, else 1; every other term off)."""
    return ["decomposition.interface.%s=%g" % (t, (XPINN.get(t, 1.0) if t in terms else 0.0)) for t in TERMS]


def geometric_mean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def metalic_family(d, parameter, train_values, validate, title, rounds=0, values=None, seeds=None, budget=None,
                   masks=None):
    """`npde metalic` of deck d (rounds: the deck's metalic.rounds unless > 0; values: the parameter values
    the plays use, the deck's metalic.values = train_values unless given), then the recommended masks at
    the held-out values against fixed masks; with seeds, every held-out run once per training seed
    (training.seed) and each error the geometric mean over them (METALIC's reward, -log10 of the error,
    averaged), the per-seed verdicts listed too. budget: (Adam, L-BFGS) iterations of every play and held-out
    run in place of the deck's (Adam's learning rate the decks' 3e-3). masks: more fixed masks
    (terms joined by +) to train at every held-out value beside the defaults and the recommended ones."""
    stages = ["training.stages=[{optimizer: adam, iterations: %d, lr: 3e-3}, {optimizer: lbfgs, iterations: %d}]"
              % tuple(budget)] if budget else []
    out = []
    if values:
        train_values = values
    tmp = tempfile.mkdtemp(prefix="npde-metalic-")
    h5 = os.path.join(tmp, "metalic.h5")
    cmd = ["mpirun", "-n", "2", sr.npde_binary(), "metalic", d, "--set", "output.file=" + h5, "--set",
           "training.checkpoint.dir=" + os.path.join(tmp, "ck"), "--set",
           "metalic.test_values=[%s]" % ", ".join("%g" % v for v in list(train_values) + list(validate))]
    if rounds > 0:
        cmd += ["--set", "metalic.rounds=%d" % rounds]
    if values:
        cmd += ["--set", "metalic.values=[%s]" % ", ".join("%g" % v for v in values)]
    for s in stages:
        cmd += ["--set", s]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit("npde metalic failed:\n" + p.stdout[-2000:])
    plays = re.findall(r"^round (\d+)/\d+ play (\d+)/\d+: %s (\S+), mask (\S+), rel\. L2 (\S+), reward (\S+)" % parameter,
                       p.stdout, re.M)
    recs = {float(v): (m, float(mu), float(sd)) for v, m, mu, sd in
            re.findall(r"^  (\S+)\s+(\S+)\s+(\S+) \+- (\S+) \(error", p.stdout, re.M)}
    best = {}
    for _, _, nu, mask, err, _ in plays:
        if float(nu) not in best or float(err) < best[float(nu)][1]:
            best[float(nu)] = (mask, float(err))
    if values:
        out += ["The plays at %s = %s (`--set metalic.values=[...]`, in place of the deck's)." %
                (parameter, ", ".join("%g" % v for v in values)), ""]
    if not budget:  # the deck's own stages
        text = open(d).read()
        budget = [int(re.search(r"optimizer: %s, iterations: (\d+)" % o, text).group(1)) for o in ("adam", "lbfgs")]
    out += [title % ("Adam %d + L-BFGS %d" % tuple(budget), len(plays), len(plays) // 2, wall), "",
            "| %s | best play (mask, rel. L2) | recommended mask | predicted rel. L2 |" % parameter, "|---|---|---|---:|"]
    for v in sorted(recs):
        m, mu, sd = recs[v]
        b = best.get(v)
        out.append("| %g | %s | %s | %.2e (%.2e - %.2e) |" % (v, "%s, %.2e" % b if b else "(not played)", m,
                                                                10 ** -mu, 10 ** -(mu + sd), 10 ** -(mu - sd)))
    # held-out values: the recommended mask against fixed masks (the methods' defaults and every
    # mask recommended anywhere), each trained at every held-out value
    fixed = {"XPINN terms": ["decomposition.interface.%s=%g" % (k, XPINN.get(k, 0.0)) for k in TERMS],
             "cPINN terms": ["decomposition.method=cpinn"]}
    for v in validate:
        fixed.setdefault(recs[v][0], mask_sets(recs[v][0].split("+")))
    for m in masks or []:
        fixed.setdefault(m, mask_sets(m.split("+")))
    key = "problem.parameters" if parameter in ("a", "b", "c") else "problem.coefficients"
    runs = [(s, ["training.seed=%d" % s]) for s in seeds] if seeds else [(None, [])]
    jobs = [("%s @ %g @ %s" % (name, v, s), d, ["%s.%s=%g" % (key, parameter, v)] + sets + extra + stages, 2)
            for s, extra in runs for name, sets in fixed.items() for v in validate]
    res = sr.run_all(jobs, 1)
    per_seed = {s: {"%s @ %g" % (name, v): res["%s @ %g @ %s" % (name, v, s)][0].get("rel_l2_reference")
                    for name in fixed for v in validate} for s, _ in runs}
    err = {k: geometric_mean([per_seed[s][k] for s, _ in runs]) for k in per_seed[runs[0][0]]}

    def medians(e):
        med = {}
        for name in fixed:
            vals = sorted(e["%s @ %g" % (name, v)] for v in validate)
            med[name] = vals[len(vals) // 2]
        rec = [e["%s @ %g" % (recs[v][0], v)] for v in validate]
        return med, rec, sorted(rec)[len(rec) // 2]

    med, rec_err, metalic_median = medians(err)
    how = ("the geometric mean over the training seeds %s of" % ", ".join(str(s) for s in seeds)) if seeds else "the"
    out += ["", "Held-out values (no play used them): %s rel. L2 against the reference of `npde train` of the same "
            "deck (2 ranks) with the recommended mask and with fixed masks (the methods' defaults, every mask "
            "recommended at some held-out value%s):" % (how, ", and " + ", ".join(masks) if masks else ""), "",
            "| %s | recommended | METALIC | " % parameter + " | ".join(fixed) + " |",
            "|---|---|---:|" + "---:|" * len(fixed)]
    for v, e in zip(validate, rec_err):
        out.append("| %g | %s | %s | %s |" % (v, recs[v][0], sr.fmt(e),
                                              " | ".join(sr.fmt(err["%s @ %g" % (n, v)]) for n in fixed)))
    out.append("| median | | %s | %s |" % (sr.fmt(metalic_median), " | ".join(sr.fmt(med[n]) for n in fixed)))
    wins = sum(1 for v, e in zip(validate, rec_err) if e < err["XPINN terms @ %g" % v])
    best_fixed = min(med, key=lambda n: med[n])
    out += ["", "- METALIC's mask beats XPINN's terms at %d of %d held-out values: %s" %
            (wins, len(validate), wins > len(validate) / 2),
            "- METALIC's median %s <= the best fixed mask's (%s: %s): %s" %
            (sr.fmt(metalic_median), best_fixed, sr.fmt(med[best_fixed]), metalic_median <= med[best_fixed])]
    for s, _ in (runs if seeds else []):
        m, rec, mm = medians(per_seed[s])
        b = min(m, key=lambda n: m[n])
        w = sum(1 for v, e in zip(validate, rec) if e < per_seed[s]["XPINN terms @ %g" % v])
        out.append("- seed %d alone: METALIC %s at the five values (median %s), the best fixed mask's median %s (%s), "
                   "XPINN's terms beaten at %d of %d: median %s" %
                   (s, ", ".join(sr.fmt(e) for e in rec), sr.fmt(mm), sr.fmt(m[b]), b, w, len(validate),
                    "met" if mm <= m[b] else "not met"))
    return out + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", default=["A", "B", "C", "D", "E", "F"])
    ap.add_argument("--validate", type=float, nargs="+", default=[0.005, 0.006, 0.012, 0.02, 0.024],
                    help="D: viscosities where the recommendation is checked by training")
    ap.add_argument("--rounds", type=int, default=0, help="METALIC rounds (D, E, F; default: the decks')")
    ap.add_argument("--values", type=float, nargs="+", help="the parameter values of the plays (one family of D, E, F; "
                    "default: the deck's metalic.values)")
    ap.add_argument("--seeds", type=int, nargs="+", help="D, E, F: train every held-out run once per seed "
                    "(training.seed) and compare geometric means (default: the deck's seed only)")
    ap.add_argument("--budget", type=int, nargs=2, metavar=("ADAM", "LBFGS"),
                    help="D, E, F: iterations of every play and held-out run (default: the decks')")
    ap.add_argument("--masks", nargs="+", help="D, E, F: more fixed masks to compare (terms joined by +)")
    ap.add_argument("--section", default="", help="write into its own block (multidomain_<only>_<section>)")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    only = "" if a.only == ["A", "B", "C", "D", "E", "F"] else " --only " + " ".join(a.only)
    only += (" --rounds %d" % a.rounds if a.rounds else "") + (" --section " + a.section if a.section else "")
    only += " --values " + " ".join("%g" % v for v in a.values) if a.values else ""
    only += " --seeds " + " ".join(str(s) for s in a.seeds) if a.seeds else ""
    only += " --budget %d %d" % tuple(a.budget) if a.budget else ""
    only += " --masks " + " ".join(a.masks) if a.masks else ""
    if a.values and len(set(a.only) & {"D", "E", "F"}) != 1:
        sys.exit("multidomain.py: --values is for one family (--only D, E or F)")
    out = ["Command: `scripts/studies/multidomain.py%s` (runs one at a time, ranks as stated)." % only,
           "Machine: %s." % sr.machine(), ""]
    if "A" in a.only:
        d = deck("xpinn_poisson2d.yaml")
        res = sr.run_all([("xpinn", d, ["decomposition.interface.flux=0"], 2),
                          ("xpinn+flux", d, [], 2),
                          ("cpinn", d, ["decomposition.method=cpinn", "decomposition.interface.flux=20"], 2),
                          ("single", d, ["decomposition.subdomains=[1,1]", "network.layers=[40,40]"], 1)], 1)
        out += ["**A. Poisson, u = sin 2πx sin 2πy, 2 × 2 subdomains** (inputs/xpinn_poisson2d.yaml: 4096 interior, "
                "512 boundary points, Adam 1000 + L-BFGS 3000, seed 1):", "",
                "| model | rel. L2 vs exact | train s | wall s |", "|---|---:|---:|---:|",
                row("XPINN (average 20 + residual continuity 1), 4 x 2-20-20-1, 2 ranks", res["xpinn"]),
                row("XPINN + flux 1 (the deck), 2 ranks", res["xpinn+flux"]),
                row("cPINN (flux 20 + average 20), 2 ranks", res["cpinn"]),
                row("one 2-40-40-1 network (1841 parameters), soft conditions, 1 rank", res["single"]), ""]
    if "B" in a.only:
        d = deck("fbpinn_helmholtz2d.yaml")
        res = sr.run_all([("fbpinn", d, [], 2),
                          ("single", d, ["decomposition.subdomains=[1,1]", "network.layers=[64,64]"], 1)], 1)
        out += ["**B. Helmholtz, k = 4π, u = sin 4πx sin 4πy on [−1, 1]²** (inputs/fbpinn_helmholtz2d.yaml: 8192 points, "
                "Adam 2000 + L-BFGS 6000, hard conditions):", "",
                "| model | rel. L2 vs exact | train s | wall s |", "|---|---:|---:|---:|",
                row("FBPINN, 4 x 4 subdomains of 2-16-16-1 (5392 parameters), overlap 0.5, 2 ranks", res["fbpinn"]),
                row("one 2-64-64-1 network (4417 parameters), 1 rank", res["single"]), ""]
    if "C" in a.only:
        d = deck("cpinn_burgers1d.yaml")
        res = sr.run_all([("cut", d, [], 2),
                          ("4", d, ["decomposition.cuts={}"], 2),
                          ("3", d, ["decomposition.subdomains=[3]", "decomposition.cuts={}"], 2)], 1)
        out += ["**C. Burgers, ν = 0.01/π, cPINN** (inputs/cpinn_burgers1d.yaml: 2-24-24-24-1 per subdomain, 8192 "
                "interior points, Adam 1000 + L-BFGS 6000, 2 ranks):", "",
                "| model | rel. L2 vs reference | train s | wall s |", "|---|---:|---:|---:|",
                row("4 subdomains in x cut at -0.5, -0.2, 0.2 (the deck: the front inside the third)", res["cut"],
                    "rel_l2_reference"),
                row("4 equal subdomains (the front on the face at x = 0)", res["4"], "rel_l2_reference"),
                row("3 equal subdomains (the front inside the middle one)", res["3"], "rel_l2_reference"), ""]
    if "D" in a.only:
        out += metalic_family(deck("metalic_burgers1d.yaml"), "viscosity", [0.004, 0.008, 0.016, 0.032], a.validate,
                              "**D. METALIC, Burgers viscosity family** (inputs/metalic_burgers1d.yaml: 2 subdomains in x, "
                              "2-16-16-16-1 each, %s per play, %d plays in %d rounds of 2 concurrent "
                              "plays (1 rank each), UCB, wall %.0f s):", a.rounds, a.values, a.seeds, a.budget, a.masks)
    if "F" in a.only:
        out += metalic_family(deck("metalic_poisson_front.yaml"), "a", [2, 3.17, 5.02, 7.96, 12.6, 20], [3, 4, 7, 12, 15],
                              "**F. METALIC, Poisson with a front of sharpness a** (inputs/metalic_poisson_front.yaml: "
                              "u = tanh(a(x - 1/2)) sin(pi y), the square split at x = 1/2 on the front, 2-16-16-1 per "
                              "subdomain, %s per play, %d plays in %d rounds of 2 concurrent plays "
                              "(1 rank each), UCB, wall %.0f s):", a.rounds, a.values, a.seeds, a.budget, a.masks)
    if "E" in a.only:
        out += metalic_family(deck("metalic_allen_cahn.yaml"), "reaction", [1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 4.8],
                              "**E. METALIC, a time-split family: Allen-Cahn reaction rate** (inputs/metalic_allen_cahn.yaml: "
                              "the space-time box split at t = 0.5, 2-16-16-16-1 per subdomain, %s per "
                              "play, %d plays in %d rounds of 2 concurrent plays (1 rank each), UCB, wall %.0f s):",
                              a.rounds, a.values, a.seeds, a.budget, a.masks)
    text = "\n".join(out)
    print(text)
    if not a.no_write:
        suffix = "_" + a.section if a.section else ""
        sr.write_section(("multidomain" if "A" in a.only else "multidomain_" + "".join(a.only)) + suffix,  # noqa: E501
                         "#" * (3 if a.section else 2) + " Multi-domain PINNs and METALIC" + ("" if "A" in a.only else " (" + ", ".join(a.only) + ")") +
                         (" (%s)" % a.section.replace("_", " ") if a.section else "") + "\n\n" + text)


if __name__ == "__main__":
    main()
