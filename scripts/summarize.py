#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Tabulates the /summary of many npde output files: one row per file, aligned text or CSV.
"""One table of the /summary attributes of several npde output files.

Columns, by default: for `npde train` files (and the Poisson files of `npde reference`) file, ranks,
precision, iterations, train_seconds, final_loss, rel_l2_exact, rel_l2_reference,
reference_rel_l2_exact; then, where a file has them (`npde train` of the other catalogue equations):
pde (after file), the per-field errors of systems rel_l2_exact_<field> and rel_l2_reference_<field>
(u, v, p ..., and velocity for Navier-Stokes), the coefficients of inverse runs, coefficient_<name>
with _initial, _true and _rel_error, and the per-mode numbers of eigenproblem runs (eigenvalue_<n>...,
psi_<n>_rel_l2_...). When every file comes from `npde reference`
for the equation catalogue: file, pde, ranks, seconds, then every other numeric summary key of the
files (each file's keys in alphabetical order, files in the order given). --keys names the columns
instead. A value the file does not hold shows as '-' in the text table and as an empty CSV field.

Examples:
  scripts/summarize.py runs/*.h5
  scripts/summarize.py --csv runs/*.h5 > runs.csv
  scripts/summarize.py --keys pde,seconds,rel_l2_exact,time_steps heat1d.h5 burgers1d.h5
  scripts/summarize.py --csv kovasznay_train.h5 heat1d_inverse.h5   # adds rel_l2_*_u ..., coefficient_*
"""
import argparse
import csv
import re
import sys

import npde_h5 as nh

PROG = "summarize.py"
# (column, text-table format); the CSV keeps full precision.
COLUMNS = [("file", None), ("ranks", "d"), ("precision", None), ("iterations", "d"), ("train_seconds", ".3f"),
           ("final_loss", ".3e"), ("rel_l2_exact", ".3e"), ("rel_l2_reference", ".3e"),
           ("reference_rel_l2_exact", ".3e")]
LEADING = ("pde", "ranks", "seconds")  # first columns of the catalogue table, when the files have them
# Summary keys of `npde train` of the catalogue equations added to the training table where files have them:
# per-field errors of systems (rel_l2_exact_u, rel_l2_reference_velocity ...), inverse coefficients, and
# the per-mode numbers of eigenproblem runs (eigenvalue_0, eigenvalue_0_reference, psi_0_rel_l2_exact ...).
EXTRA_PREFIXES = ("rel_l2_exact_", "rel_l2_reference_", "coefficient_", "eigenvalue_")
MODE_KEY = re.compile(r"^([a-z]\w*?)_(\d+)_rel_l2_\w+$")  # psi_0_rel_l2_reference
COEFFICIENT_SUFFIXES = ("", "_initial", "_true", "_rel_error")
FIELD_ORDER = nh.PREFERRED_FIELDS + ("velocity",)
NOT_COLUMNS = ("npde_version", "output_file")  # the same or near-useless in every row


def parse_args(argv):
    p = nh.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                epilog=__doc__.split("\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE.h5", help="npde output files")
    p.add_argument("--csv", action="store_true", help="comma-separated values instead of an aligned table")
    p.add_argument("--keys", metavar="KEY[,KEY]",
                   help="the summary keys to tabulate, in this order (default: see above)")
    return p.parse_args(argv)


def read(path):
    """(summary dict, is an `npde reference` catalogue file) of one file."""
    with nh.open_output(path) as f:
        if "summary" not in f:
            if "inputs" in f and "outputs" in f:
                raise nh.UserError("%s is an `npde dataset` file; it has no /summary" % path)
            raise nh.UserError("%s has no /summary (not an npde output file?)" % path)
        return nh.summary(f), nh.is_catalogue(f)


def is_number(value):
    return not isinstance(value, (str, bytes)) and nh.number({"v": value}, "v") is not None


def catalogue_columns(summaries):
    """The union of the files' numeric keys (plus pde), LEADING first, then in order of appearance."""
    keys = []
    for s in summaries:
        for k in sorted(s):
            if k not in keys and k not in NOT_COLUMNS and (is_number(s[k]) or k == "pde"):
                keys.append(k)
    return [k for k in LEADING if k in keys] + [k for k in keys if k not in LEADING]


def is_extra(key):
    return key.startswith(EXTRA_PREFIXES) or MODE_KEY.match(key) is not None


def extra_order(key):
    """Sort key of an extra column: by prefix; fields in the order u, v, w, p, psi, velocity, then the
    others; each coefficient's value, initial guess, true value and relative error together; modes by number."""
    mode = MODE_KEY.match(key)
    if mode:
        return (len(EXTRA_PREFIXES), int(mode.group(2)), key)
    group = next(i for i, p in enumerate(EXTRA_PREFIXES) if key.startswith(p))
    rest = key[len(EXTRA_PREFIXES[group]):]
    if EXTRA_PREFIXES[group] == "coefficient_":
        for i, suffix in reversed(list(enumerate(COEFFICIENT_SUFFIXES))):
            if suffix and rest.endswith(suffix):
                return (group, rest[:-len(suffix)], i)
        return (group, rest, 0)
    if EXTRA_PREFIXES[group] == "eigenvalue_":  # eigenvalue_<n>[_reference|_rel_error_...]: by mode, then key
        number = rest.split("_")[0]
        return (group, int(number) if number.isdigit() else 1 << 30, len(key), key)
    return (group, FIELD_ORDER.index(rest) if rest in FIELD_ORDER else len(FIELD_ORDER), rest)


def train_columns(summaries):
    """The training table: COLUMNS, plus pde after the file and the EXTRA_PREFIXES keys where any file has them."""
    columns = list(COLUMNS)
    if any(isinstance(s.get("pde"), str) for s in summaries):
        columns.insert(1, ("pde", None))
    known = {c for c, _ in columns}
    extra = sorted({k for s in summaries for k in s
                    if is_extra(k) and k not in known and is_number(s[k])}, key=extra_order)
    return columns + typed_columns(extra, summaries)


def typed_columns(keys, summaries):
    """(key, format) per key: text columns None, integer-valued columns 'd', seconds '.3f', else '.3e'."""
    out = []
    for k in keys:
        values = [s[k] for s in summaries if k in s]
        if not values or not all(is_number(v) for v in values):
            out.append((k, None))
        elif all(float(v).is_integer() and abs(float(v)) < 2**53 for v in values):
            out.append((k, "d"))
        else:
            out.append((k, ".3f" if k.endswith("seconds") else ".3e"))
    return out


def row_of(path, s, columns):
    """The table row of one file: {column: value or None}."""
    row = {"file": path}
    for col, spec in columns[1:]:
        if spec is None:
            value = s.get(col)
            row[col] = value if isinstance(value, str) else None
        else:
            value = nh.number(s, col) if is_number(s.get(col)) else None
            row[col] = int(round(value)) if spec == "d" and value is not None else value
    return row


def text_cell(value, spec):
    if value is None:
        return "-"
    return value if spec is None else format(value, spec)


def write_text(rows, columns, out):
    cells = [[text_cell(r[c], spec) for c, spec in columns] for r in rows]
    head = [c for c, _ in columns]
    widths = [max(len(x) for x in col) for col in zip(head, *cells)]
    # Text columns flush left, numbers flush right so their exponents line up.
    def line(values):
        parts = [v.ljust(w) if spec is None else v.rjust(w) for v, w, (_, spec) in zip(values, widths, columns)]
        return "  ".join(parts).rstrip()
    out.write(line(head) + "\n")
    for c in cells:
        out.write(line(c) + "\n")


def write_csv(rows, columns, out):
    w = csv.writer(out, lineterminator="\n")
    w.writerow([c for c, _ in columns])
    for r in rows:
        w.writerow(["" if r[c] is None else (repr(r[c]) if isinstance(r[c], float) else r[c]) for c, _ in columns])


def main():
    args = parse_args(sys.argv[1:])
    keys = None
    if args.keys is not None:
        keys = [k.strip() for k in args.keys.split(",") if k.strip()]
        if not keys:
            raise nh.UserError("--keys '%s': no key given (e.g. --keys seconds,rel_l2_exact)" % args.keys)
    files = [read(path) for path in args.files]
    summaries = [s for s, _ in files]
    if keys is not None:
        for k in keys:
            if k != "file" and not any(k in s for s in summaries):
                known = sorted({key for s in summaries for key in s})
                raise nh.UserError("--keys %s: no file has this summary key (they have %s)" % (k, ", ".join(known)))
        columns = [("file", None)] + typed_columns([k for k in keys if k != "file"], summaries)
    elif all(catalogue for _, catalogue in files):
        columns = [("file", None)] + typed_columns(catalogue_columns(summaries), summaries)
    else:
        columns = train_columns(summaries)
    rows = [row_of(path, s, columns) for path, s in zip(args.files, summaries)]
    (write_csv if args.csv else write_text)(rows, columns, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(nh.run_main(PROG, main))
