#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Darcy operator learning: dense FNO, TFNO (Tucker 0.1), PINO (physics only) and mixed training.
"""The Fourier Neural Operator paper's Darcy benchmark made and learnt by npde on 2 ranks: 1000
training and 200 test samples at 64 x 64 and 200 test samples at 128 x 128 (`npde dataset`, the
commands in the decks' headers), then in the work directory, one after the other:
  FNO     npde train inputs/tfno_darcy.yaml --set model.kind=fno --set output.file=fno_darcy.h5
  TFNO    npde train inputs/tfno_darcy.yaml --set output.file=tfno_darcy.h5
  PINO    npde train inputs/pino_darcy.yaml                        (physics only: no solutions)
  mixed   npde train inputs/pino_darcy.yaml --set training.weights.data=1 --set output.file=pino_mixed_darcy.h5
(100 epochs each, float32, batch 16). Prints the table (test rel. L2 at 64 x 64 and, zero-shot, at
128 x 128; parameters; compression; training time) with the issue's targets, and writes it into
docs/studies.md. With --reuse an output file already in the work directory is read, not rerun.

  scripts/studies/operator_darcy.py --workdir darcy_work
  scripts/studies/operator_darcy.py --workdir darcy_work --only fno tfno --reuse --no-write
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402

VARIANTS = {
    "fno": ("FNO (dense)", "tfno_darcy.yaml", ["model.kind=fno", "output.file=fno_darcy.h5"], "fno_darcy.h5"),
    "tfno": ("TFNO (Tucker, rank 0.1)", "tfno_darcy.yaml", ["output.file=tfno_darcy.h5"], "tfno_darcy.h5"),
    "pino": ("PINO, physics only", "pino_darcy.yaml", [], "pino_darcy.h5"),
    "mixed": ("PINO, data + physics", "pino_darcy.yaml", ["training.weights.data=1", "output.file=pino_mixed_darcy.h5"],
              "pino_mixed_darcy.h5"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default="operator_darcy_work")
    ap.add_argument("--only", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--reuse", action="store_true", help="read an existing output file instead of training again")
    ap.add_argument("--epochs", type=int, default=0, help="override training.epochs (0: the decks' 100)")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    w = os.path.abspath(a.workdir)
    os.makedirs(w, exist_ok=True)
    sr.make_datasets(w, "tfno_darcy.yaml",
                     (("darcy64_train.h5", ["dataset.samples=1000"]),
                      ("darcy64_test.h5", ["dataset.samples=200", "problem.random_field.seed=1"]),
                      ("darcy128_test.h5", ["dataset.samples=200", "problem.random_field.seed=1",
                                            "reference.grid=[128,128]"])))
    rows = sr.train_variants(w, VARIANTS, a.only, a.epochs, a.reuse)
    lines = ["| operator | test rel. L2, 64x64 | 128x128 (zero-shot) | parameters | spectral | compression | "
             "train s | samples/s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, s in rows.items():
        lines.append("| %s | %.4f | %.4f | %d | %d | %.1fx | %.0f | %.1f |" % (
            VARIANTS[key][0], s["test_rel_l2"], s.get("test_rel_l2_128", float("nan")), s["n_params"],
            s["spectral_params"], s["compression"], s["train_seconds"], s["samples_per_second"]))
    targets = []
    if "fno" in rows:
        f = rows["fno"]
        targets.append("FNO test rel. L2 %.4f <= 0.02: %s" % (f["test_rel_l2"], f["test_rel_l2"] <= 0.02))
        targets.append("FNO at 128x128 %.4f <= 2 x 64x64: %s" % (f["test_rel_l2_128"],
                                                                  f["test_rel_l2_128"] <= 2 * f["test_rel_l2"]))
        if "tfno" in rows:
            t = rows["tfno"]
            targets.append("TFNO %.4f within 10 %% of FNO (<= %.4f) with %.1fx fewer spectral parameters (>= 10): %s"
                           % (t["test_rel_l2"], 1.1 * f["test_rel_l2"], t["compression"],
                              t["test_rel_l2"] <= 1.1 * f["test_rel_l2"] and t["compression"] >= 10))
        if "pino" in rows:
            p = rows["pino"]
            targets.append("PINO (physics only) %.4f <= 2 x FNO (%.4f): %s" % (p["test_rel_l2"], 2 * f["test_rel_l2"],
                                                                            p["test_rel_l2"] <= 2 * f["test_rel_l2"]))
        if "mixed" in rows:
            m = rows["mixed"]
            targets.append("mixed %.4f <= data only (FNO %.4f): %s" % (m["test_rel_l2"], f["test_rel_l2"],
                                                                      m["test_rel_l2"] <= f["test_rel_l2"]))
    table = "\n".join(lines)
    print(table)
    print("\n".join("target: " + t for t in targets))
    if not a.no_write:
        head = ("## Darcy operators: FNO, TFNO, PINO\n\n"
                "Command: `scripts/studies/operator_darcy.py --workdir %s%s` (2 ranks per run, one run at a time).\n"
                "Machine: %s.\nData: `npde dataset` of inputs/tfno_darcy.yaml, 1000 training samples (seed 0) and 200 "
                "test samples (seed 1) at 64 x 64, 200 test samples (seed 1) at 128 x 128; decks "
                "inputs/tfno_darcy.yaml and inputs/pino_darcy.yaml (width 32, 4 blocks, 16 x 16 modes, 100 epochs, "
                "batch 16, Adam 5e-3 with cosine decay, float32). Every row is one run with training.seed 0.\n\n"
                % (a.workdir, " --epochs %d" % a.epochs if a.epochs else "", sr.machine()))
        sr.write_section("operator_darcy", head + table + "\n\n" + "\n".join("- " + t for t in targets) + "\n")


if __name__ == "__main__":
    main()
