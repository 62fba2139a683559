#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Navier-Stokes vorticity operators at the same budget: dense FNO, TFNO (Tucker, CP) and MG-TFNO.
"""The vorticity map w(t = 0) -> w(t = 5) of inputs/fno_ns_vorticity.yaml (periodic, nu = 1e-3, 64 x 64):
1000 training samples (seed 0) and 200 test samples (seed 1) made by `npde dataset`, then in the work
directory, one after the other, each on 2 ranks with the same epochs, batch and schedule:
  FNO       npde train inputs/fno_ns_vorticity.yaml --set output.file=ns_fno.h5
  TFNO      ... --set model.kind=tfno --set output.file=ns_tfno.h5                (Tucker, rank 0.1)
  TFNO-CP   ... --set model.kind=tfno --set model.factorization=cp --set output.file=ns_tfno_cp.h5
  MG-TFNO   npde train inputs/mgtfno_ns_vorticity.yaml --set output.file=ns_mgtfno.h5 (1 level: 4 patches)
  MG-TFNO   ... --set model.patching.padding=0.5 --set output.file=ns_mgtfno_pad50.h5 (mg50: 16-point padding)
Prints the table (test rel. L2, parameters, compression, training time, patches per rank) with the
issue's targets, writes it into docs/studies.md. --epochs sets the common budget (default: the decks' 100).

  scripts/studies/operator_ns.py --workdir ns_work --epochs 30
  scripts/studies/operator_ns.py --workdir ns_work --epochs 100 --only fno tfno --section 100_epochs
  scripts/studies/operator_ns.py --workdir ns_work --epochs 100 --only fno tfno --set training.weight_decay=0 \
      --section 100_epochs_no_weight_decay
(--section writes its own block, operator_ns_<section>, beside the full table; --set KEY=VALUE, repeatable,
overrides the decks' settings for every row; --reuse reads the outputs already in the work directory
instead of training again.)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study_runner as sr  # noqa: E402

VARIANTS = {
    "fno": ("FNO (dense)", "fno_ns_vorticity.yaml", ["output.file=ns_fno.h5"], "ns_fno.h5"),
    "tfno": ("TFNO (Tucker, rank 0.1)", "fno_ns_vorticity.yaml", ["model.kind=tfno", "output.file=ns_tfno.h5"],
             "ns_tfno.h5"),
    "cp": ("TFNO (CP, rank 0.1)", "fno_ns_vorticity.yaml",
           ["model.kind=tfno", "model.factorization=cp", "output.file=ns_tfno_cp.h5"], "ns_tfno_cp.h5"),
    "mg": ("MG-TFNO (1 level, 4 patches)", "mgtfno_ns_vorticity.yaml", ["output.file=ns_mgtfno.h5"], "ns_mgtfno.h5"),
    "mg50": ("MG-TFNO (1 level, 4 patches, padding 0.5)", "mgtfno_ns_vorticity.yaml",
             ["model.patching.padding=0.5", "output.file=ns_mgtfno_pad50.h5"], "ns_mgtfno_pad50.h5"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default="operator_ns_work")
    ap.add_argument("--only", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--section", default="", help="write the table into its own block (operator_ns_<section>)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a deck setting for every row (repeatable)")
    a = ap.parse_args()
    w = os.path.abspath(a.workdir)
    os.makedirs(w, exist_ok=True)
    sr.make_datasets(w, "fno_ns_vorticity.yaml",
                     (("ns64_train.h5", ["dataset.samples=1000"]),
                      ("ns64_test.h5", ["dataset.samples=200", "problem.random_field.seed=1"])))
    variants = {k: (label, deck, sets + a.set, out) for k, (label, deck, sets, out) in VARIANTS.items()}
    rows = sr.train_variants(w, variants, a.only, a.epochs, a.reuse)
    lines = ["| operator | test rel. L2 | parameters | spectral | compression | train s | samples/s | patches per rank and step |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, s in rows.items():
        lines.append("| %s | %.4f | %d | %d | %.1fx | %.0f | %.1f | %s |" % (
            VARIANTS[key][0], s["test_rel_l2"], s["n_params"], s["spectral_params"], s["compression"],
            s["train_seconds"], s["samples_per_second"],
            "%d (%s of a field's %d)" % (s["patches_per_rank_and_step"], int(s["patches_of_a_field_per_rank"])
                                          if "patches_of_a_field_per_rank" in s else "?", s["patches_per_field"])
            if "patches_per_field" in s else "whole fields"))
    targets = []
    if "fno" in rows and "tfno" in rows:
        f, t = rows["fno"], rows["tfno"]
        targets.append("TFNO at %.1fx compression %.4f no worse than dense %.4f: %s"
                       % (t["compression"], t["test_rel_l2"], f["test_rel_l2"], t["test_rel_l2"] <= f["test_rel_l2"]))
    for key in ("mg", "mg50"):
        if "tfno" in rows and key in rows:
            t, m = rows["tfno"], rows[key]
            targets.append("%s %.4f <= 1.2 x full-field TFNO (%.4f): %s"
                           % (VARIANTS[key][0], m["test_rel_l2"], 1.2 * t["test_rel_l2"],
                              m["test_rel_l2"] <= 1.2 * t["test_rel_l2"]))
    table = "\n".join(lines)
    print(table)
    print("\n".join("target: " + t for t in targets))
    if not a.no_write:
        head = ("## Navier-Stokes vorticity operators: FNO, TFNO (Tucker, CP), MG-TFNO%s\n\n"
                "Command: `scripts/studies/operator_ns.py --workdir %s%s%s%s%s` (2 ranks per run, one run at a time).\n"
                "Machine: %s.\nData: `npde dataset` of inputs/fno_ns_vorticity.yaml (nu = 1e-3, 64 x 64, the map "
                "w(t = 0) -> w(t = 5)), 1000 training samples (seed 0), 200 test samples (seed 1); width 32, 4 blocks, "
                "16 x 16 modes, batch 16, Adam 5e-3 with cosine decay, float32, the same epochs for every row; "
                "training.seed 0.\n\n" % (" (%s)" % a.section.replace("_", " ") if a.section else "", a.workdir,
                                            " --epochs %d" % a.epochs if a.epochs else "",
                                            " --only " + " ".join(a.only) if a.only != list(VARIANTS) else "",
                                            "".join(" --set " + s for s in a.set),
                                            " --section " + a.section if a.section else "", sr.machine()))
        sr.write_section("operator_ns" + ("_" + a.section if a.section else ""),
                         head + table + "\n\n" + "\n".join("- " + t for t in targets) + "\n")


if __name__ == "__main__":
    main()
