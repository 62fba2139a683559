# SPDX-License-Identifier: BSD-3-Clause
# The regression driver's shared pieces: running npde under mpiexec, expectations, and the checks of
# output files (grid, fields, .xmf sidecar, summary attributes) that several checks use.
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

RUN_TIMEOUT = 120  # seconds per npde invocation; ctest's TIMEOUT bounds the whole test as well


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def run(cfg, np, args, timeout=RUN_TIMEOUT):
    """Runs npde on `np` ranks (np == 0: without mpiexec); returns (rc, stdout, stderr)."""
    cmd = ([] if np == 0 else cfg.mpiexec + [cfg.np_flag, str(np)] + cfg.preflags) + [cfg.npde] + args
    print("+ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cfg.work_dir)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    return p.returncode, p.stdout, p.stderr


def own_lines(stream):
    """The non-empty lines of a stream that npde wrote: Open MPI's dashed help blocks and its
    "[host:pid] ..." notes about aborted jobs are the launcher's, not ours."""
    lines, in_block = [], False
    for line in stream.splitlines():
        if re.fullmatch(r"-{20,}", line.strip()):
            in_block = not in_block
            continue
        if in_block or not line.strip() or re.match(r"^\[[^\]]+:\d+\] ", line):
            continue
        lines.append(line)
    return lines


def deck_path(cfg, name):
    return os.path.join(cfg.source_dir, "inputs", name + ".yaml")


# ---------------------------------------------------------------------------------------------- train, reference
def eval_expression(text, axes):
    """Evaluates a deck expression (muParser syntax) with numpy on grid arrays."""
    import numpy as np
    names = {"pi": math.pi, "e": math.e, "abs": np.abs}
    for f in ("sin", "cos", "tan", "exp", "log", "sqrt", "sinh", "cosh", "tanh"):
        names[f] = getattr(np, f)
    names.update(axes)
    return eval(text.replace("^", "**"), {"__builtins__": {}}, names)


def rel_l2(a, b):
    import numpy as np
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def check_grid_and_fields(f, deck, grid, fields):
    """Grid axes match the deck's box; every field has HDF5 shape (n_z, n_y, n_x)."""
    import numpy as np
    dom = deck["problem"]["domain"]
    dim = len(dom["lower"])
    axes = {}
    for a, name in enumerate("xyz"[:dim]):
        x = f["fields/grid/" + name][...]
        expect(x.shape == (grid[a],), "grid/%s has shape %s, expected (%d,)" % (name, x.shape, grid[a]))
        expect(np.allclose(x, np.linspace(dom["lower"][a], dom["upper"][a], grid[a]), rtol=0, atol=1e-14),
               "grid/%s is not the uniform grid of the box" % name)
        axes[name] = x
    shape = tuple(reversed(grid))
    mesh = dict(zip(reversed(list(axes)), np.meshgrid(*[axes[n] for n in reversed(list(axes))], indexing="ij")))
    out = {}
    for name in fields:
        expect("fields/%s/u" % name in f, "missing dataset /fields/%s/u" % name)
        u = f["fields/%s/u" % name][...]
        expect(u.shape == shape, "/fields/%s/u has shape %s, expected %s" % (name, u.shape, shape))
        expect(np.all(np.isfinite(u)), "/fields/%s/u has non-finite values" % name)
        out[name] = u
    if "exact" in out:
        want = eval_expression(deck["problem"]["exact"], mesh) * np.ones(shape)
        expect(np.allclose(out["exact"], want, rtol=0, atol=1e-12),
               "/fields/exact/u differs from problem.exact on the grid (axis order?)")
    return out


def check_xmf(h5_path, fields):
    """The sidecar parses, names the HDF5 file by its base name, and every dataset it names exists."""
    import h5py
    xmf = os.path.splitext(h5_path)[0] + ".xmf"
    expect(os.path.isfile(xmf), "no XDMF sidecar " + xmf)
    root = ET.parse(xmf).getroot()
    base = os.path.basename(h5_path)
    heavy = [d for d in root.iter("DataItem") if d.get("Format") == "HDF"]  # others hold inline values
    items = [d.text.strip() for d in heavy]
    with h5py.File(h5_path, "r") as f:
        for d, item in zip(heavy, items):
            fname, _, dset = item.partition(":")
            expect(fname == base, "%s names file '%s', expected '%s'" % (xmf, fname, base))
            expect(dset in f, "%s names missing dataset %s" % (xmf, dset))
            dims = tuple(int(n) for n in d.get("Dimensions").split())
            expect(dims == f[dset].shape, "%s gives %s dimensions %s, the file %s" % (xmf, dset, dims, f[dset].shape))
    for name in fields:
        expect("%s:/fields/%s/u" % (base, name) in items, "%s does not name /fields/%s/u" % (xmf, name))


def check_common_attributes(f, text, sets, np):
    recorded = f.attrs["deck"]
    want = text
    if sets:
        want = text if text.endswith("\n") else text + "\n"
        want += "".join("# --set %s\n" % s for s in sets)
    expect(recorded == want, "deck attribute is not the file text plus the --set lines:\n" + recorded)
    expect(int(f.attrs["ranks"]) == np, "ranks attribute %s, expected %d" % (f.attrs["ranks"], np))
    expect(int(f["summary"].attrs["ranks"]) == np, "summary ranks differs from %d" % np)


def set_arguments(args):
    """The values of `--set VALUE` and `--set=VALUE` arguments, in order."""
    out, i = [], 0
    while i < len(args):
        if args[i] == "--set" and i + 1 < len(args):
            out.append(args[i + 1])
            i += 2
            continue
        if args[i].startswith("--set="):
            out.append(args[i][6:])
        i += 1
    return out


def effective_deck(text, sets):
    """The deck as the run saw it: the recorded text parses back to the file's own values, so apply
    the simple `a.b=value` overrides used by these tests here."""
    import yaml
    deck = yaml.safe_load(text)
    for s in sets:
        key, _, value = s.partition("=")
        node, parts = deck, re.split(r"\.|\[|\]\.?", key)
        parts = [p for p in parts if p != ""]
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = yaml.safe_load(value)
        else:
            node[last] = yaml.safe_load(value)
    return deck


def output_file(cfg, tag):
    path = os.path.join(cfg.work_dir, tag + ".h5")
    for p in (path, path + ".tmp", os.path.splitext(path)[0] + ".xmf"):
        if os.path.exists(p):
            os.remove(p)
    return path
