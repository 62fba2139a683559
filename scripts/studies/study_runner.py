# SPDX-License-Identifier: BSD-3-Clause
# Shared by the study scripts: run `npde train` with overrides (several runs at once), read the
# summary it prints, and write a table into docs/studies.md between the study's markers.
"""Helpers for scripts/studies/*.py (see docs/studies.md)."""
import concurrent.futures
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def npde_binary():
    """The npde built in build/ (or $NPDE)."""
    path = os.environ.get("NPDE", os.path.join(ROOT, "build", "src", "npde"))
    if not os.path.exists(path):
        sys.stderr.write("study: error: %s not found: build npde first (scripts/quickstart.sh) or set NPDE\n" % path)
        sys.exit(2)
    return path


def machine():
    """One line about where the study ran."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s" % (cpu, os.cpu_count() or 0, platform.platform())


def run_npde(deck, sets, ranks=1, workdir=None):
    """Runs `npde train deck --set ... --quiet` on `ranks` ranks; returns (summary dict, seconds, log).
    The output file goes to a temporary directory unless workdir is given."""
    tmp = workdir or tempfile.mkdtemp(prefix="npde-study-")
    name = "run_%d_%d.h5" % (os.getpid(), abs(hash((deck, tuple(sets)))) % 10**9)
    # --bind-to none: Open MPI binds rank 0 of every launch to core 0, so concurrent runs would share it
    cmd = ["mpirun", "--bind-to", "none", "-n", str(ranks), npde_binary(), "train", deck, "--quiet",
           "--set", "output.file=%s" % os.path.join(tmp, name)]
    for s in sets:
        cmd += ["--set", s]
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env)
    seconds = time.time() - t0
    summary = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^\s{2}(\w+)\s+(\S+)\s*$", line)
        if m:
            try:
                summary[m.group(1)] = float(m.group(2))
            except ValueError:
                summary[m.group(1)] = m.group(2)
    if p.returncode != 0:
        summary["failed"] = "exit %d: %s" % (p.returncode, p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "")
    return summary, seconds, " ".join(cmd)


def run_all(jobs, parallel):
    """jobs: list of (key, deck, sets, ranks). Runs them `parallel` at a time; returns {key: (summary, s, cmd)}."""
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, parallel)) as ex:
        futures = {ex.submit(run_npde, deck, sets, ranks): key for key, deck, sets, ranks in jobs}
        for f in concurrent.futures.as_completed(futures):
            key = futures[f]
            results[key] = f.result()
            s = results[key][0]
            err = next((k for k in ("rel_l2_exact", "rel_l2_reference_speed", "rel_l2_reference") if k in s), None)
            print("  done %-40s %s  %.0f s" % (key, s.get("failed", "%s %s" % (err, s.get(err)) if err else "-"),
                                               results[key][1]), flush=True)
    return results


def run_seeds(deck, common, variants, seeds, parallel):
    """Runs every variant {name: sets} with every seed (one rank per run, `parallel` at a time);
    returns run_all's {"<name> seed <s>": (summary, seconds, command)}."""
    jobs = [("%s seed %d" % (name, seed), deck, common + sets + ["training.seed=%d" % seed], 1)
            for name, sets in variants.items() for seed in seeds]
    print("%d runs, %d at a time" % (len(jobs), parallel), flush=True)
    return run_all(jobs, parallel)


def seed_table(label, names, seeds, res, key):
    """Markdown table: one row per name with the summary's `key` per seed, their mean and the mean
    training seconds of a run."""
    lines = ["| %s | " % label + " | ".join("seed %d" % s for s in seeds) + " | mean | train s per run |",
             "|---|" + "---|" * len(seeds) + "---|---|"]
    for name in names:
        errs, walls = [], []
        for seed in seeds:
            s, _, _ = res["%s seed %d" % (name, seed)]
            e = s.get(key)
            errs.append(e if isinstance(e, float) else None)
            walls.append(s.get("train_seconds", float("nan")))
        ok = [e for e in errs if e is not None]
        lines.append("| %s | %s | %s | %.0f |" % (name, " | ".join(fmt(e) for e in errs),
                                                fmt(sum(ok) / len(ok) if ok else None), sum(walls) / len(walls)))
    return "\n".join(lines)


def npde(args, cwd, ranks=2):
    """Runs `mpirun -n ranks npde args...` in cwd, echoing the command; raises on failure."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = ["mpirun", "-n", str(ranks), npde_binary()] + args
    print("+ (cd %s && %s)" % (cwd, " ".join(cmd)), flush=True)
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def summary_of(path):
    """The /summary attributes of an npde output file (h5py)."""
    import h5py
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f["summary"].attrs.items()}


def make_datasets(workdir, deck, files):
    """`npde dataset deck` once per (file name, --set overrides) in `files`, skipping files already in workdir."""
    for name, sets in files:
        if not os.path.exists(os.path.join(workdir, name)):
            args = ["dataset", os.path.join(ROOT, "inputs", deck), "--quiet"]
            for s in sets + ["output.file=" + name]:
                args += ["--set", s]
            npde(args, workdir)


def train_variants(workdir, variants, only, epochs=0, reuse=False):
    """Trains each variant key in `only` (variants[key] = (label, deck, sets, output file)) in workdir,
    one after the other on 2 ranks; returns {key: summary}. reuse: read an existing output instead."""
    rows = {}
    for key in only:
        _, deck, sets, out = variants[key]
        path = os.path.join(workdir, out)
        if not (reuse and os.path.exists(path)):
            args = ["train", os.path.join(ROOT, "inputs", deck), "--quiet"]
            for s in sets + (["training.epochs=%d" % epochs] if epochs else []):
                args += ["--set", s]
            npde(args, workdir)
        rows[key] = summary_of(path)
    return rows


def write_section(name, text, path=None):
    """Replaces (or appends) the block between <!-- study:name --> and <!-- end:name --> in docs/studies.md."""
    path = path or os.path.join(ROOT, "docs", "studies.md")
    begin, end = "<!-- study:%s -->" % name, "<!-- end:%s -->" % name
    old = open(path).read() if os.path.exists(path) else "# Studies\n"
    block = "%s\n%s\n%s" % (begin, text.rstrip("\n"), end)
    if begin in old and end in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(new)
    print("wrote the table into %s" % path)


def fmt(v):
    return "-" if v is None else ("%.2e" % v if isinstance(v, float) else str(v))
