#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Tabulates the /summary of many npde output files: one row per file, aligned text or CSV.
"""One table of the /summary attributes of several npde output files.

Columns: file, ranks, precision, iterations, train_seconds, final_loss, rel_l2_exact,
rel_l2_reference, reference_rel_l2_exact. A value the file does not hold (no exact solution, an
`npde reference` file without training) shows as '-' in the text table and as an empty CSV field.

Examples:
  scripts/summarize.py runs/*.h5
  scripts/summarize.py --csv runs/*.h5 > runs.csv
"""
import argparse
import csv
import sys

import npde_h5 as nh

PROG = "summarize.py"
# (column, text-table format); the CSV keeps full precision.
COLUMNS = [("file", None), ("ranks", "d"), ("precision", None), ("iterations", "d"), ("train_seconds", ".3f"),
           ("final_loss", ".3e"), ("rel_l2_exact", ".3e"), ("rel_l2_reference", ".3e"),
           ("reference_rel_l2_exact", ".3e")]


def parse_args(argv):
    p = nh.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                epilog=__doc__.split("\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE.h5", help="npde output files")
    p.add_argument("--csv", action="store_true", help="comma-separated values instead of an aligned table")
    return p.parse_args(argv)


def row_of(path):
    """The table row of one file: {column: value or None}."""
    with nh.open_output(path) as f:
        if "summary" not in f:
            raise nh.UserError("%s has no /summary (not an npde output file?)" % path)
        s = nh.summary(f)
    row = {"file": path}
    for col, spec in COLUMNS[1:]:
        if spec is None:
            value = s.get(col)
            row[col] = value if isinstance(value, str) else None
        else:
            value = nh.number(s, col)
            row[col] = int(round(value)) if spec == "d" and value is not None else value
    return row


def text_cell(value, spec):
    if value is None:
        return "-"
    return value if spec is None else format(value, spec)


def write_text(rows, out):
    cells = [[text_cell(r[c], spec) for c, spec in COLUMNS] for r in rows]
    head = [c for c, _ in COLUMNS]
    widths = [max(len(x) for x in col) for col in zip(head, *cells)]
    # Text columns flush left, numbers flush right so their exponents line up.
    def line(values):
        parts = [v.ljust(w) if spec is None else v.rjust(w) for v, w, (_, spec) in zip(values, widths, COLUMNS)]
        return "  ".join(parts).rstrip()
    out.write(line(head) + "\n")
    for c in cells:
        out.write(line(c) + "\n")


def write_csv(rows, out):
    w = csv.writer(out, lineterminator="\n")
    w.writerow([c for c, _ in COLUMNS])
    for r in rows:
        w.writerow(["" if r[c] is None else (repr(r[c]) if isinstance(r[c], float) else r[c]) for c, _ in COLUMNS])


def main():
    args = parse_args(sys.argv[1:])
    rows = [row_of(path) for path in args.files]
    (write_csv if args.csv else write_text)(rows, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(nh.run_main(PROG, main))
