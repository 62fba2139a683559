#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Runs `npde reference` for every catalogue deck on a ladder of grids and prints the Markdown table of
# docs/benchmarks.md (problem, grid, ranks, seconds, error), every number read from the output files.
"""Usage: scripts/reference_table.py [--npde PATH] [--ranks 1,2] [--quick] [--only NAME,...] [--out FILE]

Each row is one `mpirun -n P npde reference inputs/<deck>.yaml --set reference.grid=[...]` run; the
seconds and the error are the run's own /summary attributes (`seconds`, and the error key listed in
CASES). --quick uses the two smallest grids of each ladder. Needs h5py (Debian's /usr/bin/python3).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# deck, grids (points per axis, as reference.grid), extra --set overrides, summary keys of the error columns.
CASES = [
    ("poisson2d", [[65, 65], [129, 129], [257, 257], [513, 513]], [], ["reference_rel_l2_exact"]),
    ("helmholtz2d", [[65, 65], [129, 129], [257, 257], [513, 513]], [], ["rel_l2_exact"]),
    ("helmholtz2d_high", [[129, 129], [257, 257], [513, 513]], [], ["rel_l2_exact"]),
    ("heat1d", [[129], [257], [513], [1025]], [], ["rel_l2_exact"]),
    ("heat2d", [[33, 33], [65, 65], [129, 129]], [], ["rel_l2_exact"]),
    ("burgers1d", [[513], [1025], [2049], [4097]], [], ["time_steps", "rel_l2_vs_reference_data"]),
    ("allen_cahn_dirichlet", [[257], [513], [1025]], [], ["max_abs_u"]),
    ("allen_cahn_periodic", [[256], [512], [1024]], [], ["max_abs_u"]),
    ("klein_gordon1d", [[65], [129], [257], [513]], ["reference.time_step=0"], ["rel_l2_exact", "time_steps"]),
    ("schrodinger_infinite_well", [[129], [257], [513], [1025]], [], ["max_rel_eigenvalue_error"]),
    ("schrodinger_finite_well", [[257], [513], [1025], [2049]], [], ["max_relative_residual"]),
    ("cavity_re100", [[65, 65], [129, 129]], [], ["ghia_max_abs_u", "ghia_max_abs_v"]),
    ("cavity_re1000", [[129, 129], [257, 257]], [], ["ghia_max_abs_u", "ghia_max_abs_v"]),
    ("kovasznay", [[33, 33], [65, 65], [129, 129]], [], ["rel_l2_u", "rel_l2_v", "rel_l2_p"]),
    ("darcy", [[65, 65], [129, 129], [257, 257], [513, 513]], [], ["ksp_iterations"]),
    ("ns_vorticity", [[64, 64], [128, 128], [256, 256]], [], ["time_steps"]),
]


def burgers_data_error(h5):
    """Relative L2 difference to the published Burgers solution in ../shared/data (NaN if absent)."""
    npz = os.path.join(ROOT, "..", "shared", "data", "burgers_reference.npz")
    script = os.path.join(ROOT, "tests", "regression", "check_burgers_reference.py")
    if not os.path.exists(npz):
        return float("nan")
    p = subprocess.run([sys.executable, script, h5, npz, "--tolerance", "1"], capture_output=True, text=True)
    m = re.search(r"relative L2 difference ([0-9.eE+-]+)", p.stdout + p.stderr)
    return float(m.group(1)) if m else float("nan")


def run_case(npde, mpirun, deck, grid, ranks, sets, keys, work):
    import h5py
    out = os.path.join(work, "%s_%s_np%d.h5" % (deck, "x".join(map(str, grid)), ranks))
    cmd = mpirun + ["-n", str(ranks), npde, "reference", os.path.join(ROOT, "inputs", deck + ".yaml"),
                    "--quiet", "--set", "output.file=" + out,
                    "--set", "reference.grid=[%s]" % ",".join(map(str, grid))]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, (p.stderr.strip().splitlines() or ["?"])[-1])
    with h5py.File(out, "r") as f:
        s = f["summary"].attrs
        row = {"seconds": float(s["seconds"]) if "seconds" in s else float(s.get("reference_seconds", "nan"))}
        for k in keys:
            row[k] = float(s[k]) if k in s else float("nan")
    if "rel_l2_vs_reference_data" in keys:
        row["rel_l2_vs_reference_data"] = burgers_data_error(out)
    os.remove(out)
    xmf = out[:-3] + ".xmf"
    if os.path.exists(xmf):
        os.remove(xmf)
    return row, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--npde", default=os.path.join(os.environ.get("NPDE_BUILD_DIR", os.path.join(ROOT, "build")),
                                                   "src", "npde"))
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if not os.path.exists(a.npde):
        sys.exit("reference_table.py: no npde at %s (build first, or --npde PATH)" % a.npde)
    mpirun = ["mpirun", "--oversubscribe"] if os.geteuid() != 0 else ["mpirun", "--oversubscribe", "--allow-run-as-root"]
    only = set(filter(None, a.only.split(",")))
    lines = ["| problem | grid | ranks | seconds | error |", "|---|---|---:|---:|---|"]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as work:
        for deck, grids, sets, keys in CASES:
            if only and deck not in only:
                continue
            for grid in grids[:2] if a.quick else grids:
                for ranks in [int(r) for r in a.ranks.split(",")]:
                    row, err = run_case(a.npde, mpirun, deck, grid, ranks, sets, keys, work)
                    g = "x".join(map(str, grid))
                    if err:
                        line = "| %s | %s | %d | - | failed (%s) |" % (deck, g, ranks, err)
                    else:
                        errs = ", ".join("%s %.3e" % (k, row[k]) for k in keys) or "-"
                        line = "| %s | %s | %d | %.3f | %s |" % (deck, g, ranks, row["seconds"], errs)
                    lines.append(line)
                    print(line, flush=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
