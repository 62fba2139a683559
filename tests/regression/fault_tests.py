# SPDX-License-Identifier: BSD-3-Clause
# Fault tolerance of `npde train` end to end: kill -9, stop signals, wall time, NaN guard, deck checks on restart.
"""Usage: fault_tests.py --npde PATH --source-dir DIR --work-dir DIR --mpiexec CMD [...] <check>

Every check runs inputs/poisson1d.yaml on 2 ranks with --set overrides (one ctest test each):
  reference    the uninterrupted run that `kill` and `signals` compare with (a ctest fixture)
  kill         SIGKILL to the whole job at >= 10 seeded random moments, some inside checkpoint
               writes (NPDE_TEST_CHECKPOINT_DELAY_MS widens that window); restart after each until
               the run completes: its loss history and pinn field equal the reference bit for bit
  signals      SIGUSR1 to mpirun, SIGTERM to every rank (what a batch system sends): a clean stop
               with exit 3 and a checkpoint, then a restart equal to the reference
  walltime     training.walltime stops each job (exit 3) before the limit, per job (a restarted job
               makes progress); the run, shortened with --allow-deck-change, then completes
  nan          an injected NaN is rolled back (exit 0, one warning, nan_recoveries 1); a NaN
               source diverges (exit 4, one error line, no output file)
  deck-change  a restart with another deck is refused (exit 2) unless --allow-deck-change
  eigen        a two-state eigenproblem (schrodinger_infinite_well.yaml) stopped once in each state
               (NPDE_TEST_STOP_AT: a stop request at a given checkpoint tag) and restarted equals the
               uninterrupted run bit for bit
Needs numpy and h5py (run it with /usr/bin/python3).
"""
import argparse
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from regression_common import own_lines  # noqa: E402  (launcher noise filter shared with the other checks)

RUN_TIMEOUT = 120  # seconds any single npde job may take, however loaded the machine
# The deck of `reference`, `kill` and `signals`: 1-3 s of training with 18 checkpoints.
LONG = ["training.stages[0].iterations=300", "training.stages[1].iterations=60", "training.checkpoint.every=20",
        "training.checkpoint.keep=2", "training.log_every=50", "reference.grid=[65]"]
TOTAL_LONG = 360
# A short deck for the checks that do not compare with the reference.
SHORT = ["training.stages[0].iterations=60", "training.stages[1].iterations=30", "training.checkpoint.every=10",
         "training.checkpoint.keep=20", "training.log_every=10", "reference.grid=[65]"]


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


class Job:
    """One `mpiexec -n 2 npde train ...` in its own session, output captured in files."""
    count = 0

    def __init__(self, cfg, name, args, env_extra=None):
        self.log_out = os.path.join(cfg.work_dir, name + ".out")
        self.log_err = os.path.join(cfg.work_dir, name + ".err")
        cmd = cfg.mpiexec + [cfg.np_flag, "2"] + cfg.preflags + [cfg.npde] + args
        print("+ " + " ".join(cmd) + ("  (env %s)" % env_extra if env_extra else ""), flush=True)
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        env.pop("NPDE_TEST_INJECT_NAN_AT", None)
        env.pop("NPDE_TEST_CHECKPOINT_DELAY_MS", None)
        env.pop("NPDE_TEST_STOP_AT", None)
        env.update(env_extra or {})
        # Open MPI's session directory and shared-memory files in a folder of this job's own, removed
        # afterwards: a job killed with SIGKILL cannot clean them up itself.
        Job.count += 1
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else cfg.work_dir
        self.mpi_dir = os.path.join(base, "npde-fault-%d-%d" % (os.getpid(), Job.count))
        os.makedirs(self.mpi_dir, exist_ok=True)
        env.update(OMPI_MCA_btl_vader_backing_directory=self.mpi_dir, OMPI_MCA_orte_tmpdir_base=self.mpi_dir)
        with open(self.log_out, "w") as out, open(self.log_err, "w") as err:
            # start_new_session: mpirun and every rank share a session id that names only this job
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cfg.work_dir,
                                         start_new_session=True)
        self.start = time.monotonic()
        self.killed = False

    def elapsed(self):
        return time.monotonic() - self.start

    def running(self):
        return self.proc.poll() is None

    def pids(self):
        """Live processes of this job's session (mpirun and its ranks, which Open MPI puts in
        process groups of their own, so killpg of mpirun's group alone would miss them)."""
        sid, out = self.proc.pid, []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[3]) == sid:
                out.append(int(d))
        return out

    def signal_ranks(self, sig):
        """Sends `sig` to every rank (not mpirun), as a batch system signals every task."""
        for pid in self.pids():
            if pid != self.proc.pid:
                os.kill(pid, sig)

    def kill9(self):
        """SIGKILL to every process of the job at once, as a node failure or `scancel -s KILL`."""
        self.killed = True
        for _ in range(500):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        self.proc.wait()
        self.cleanup()

    def cleanup(self):
        shutil.rmtree(self.mpi_dir, ignore_errors=True)

    def wait(self, timeout=RUN_TIMEOUT):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise CheckFailed("npde did not finish within %d s" % timeout)
        self.cleanup()
        return self.proc.returncode

    def output(self):
        with open(self.log_out) as out, open(self.log_err) as err:
            return out.read(), err.read()

    def dump(self):
        o, e = self.output()
        sys.stdout.write(o[-3000:])
        sys.stdout.write(e[-3000:])


def deck_path(cfg, deck="poisson1d"):
    return os.path.join(cfg.source_dir, "inputs", deck + ".yaml")


def train_args(cfg, out, sets, extra=(), deck="poisson1d"):
    args = ["train", deck_path(cfg, deck), "--quiet"]
    for s in list(sets) + ["output.file=" + out]:
        args += ["--set", s]
    return args + list(extra)


def fresh(cfg, tag):
    """A clean folder for one check's files; returns the output file path inside it."""
    d = os.path.join(cfg.work_dir, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return os.path.join(d, "out.h5")


def ckpt_dir(out):
    return out[:-3] + "_checkpoints"


def checkpoints(out):
    return sorted(glob.glob(os.path.join(ckpt_dir(out), "ckpt-*.h5")))


def run_to_end(cfg, name, out, sets, extra=(), env=None, deck="poisson1d", sets_extra=()):
    job = Job(cfg, name, train_args(cfg, out, list(sets) + list(sets_extra), extra, deck), env)
    rc = job.wait()
    if rc != 0:
        job.dump()
    return rc, job


def load_result(path, field="u"):
    """History columns (wall time excluded: it is a measurement) and the pinn field, as raw bits."""
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f:
        expect("summary" in f, "%s has no /summary (incomplete)" % path)
        res = {"history/" + k: f["history/" + k][...] for k in f["history"] if k != "wall_time"}
        res["fields/pinn/" + field] = f["fields/pinn/" + field][...]
        res["summary"] = dict(f["summary"].attrs)
    for k, v in list(res.items()):
        if k != "summary" and v.dtype == np.float64:
            res[k] = v.view(np.uint64)  # bitwise comparison, NaN included
    return res


def expect_same_result(got_path, want_path, field="u"):
    import numpy as np
    got, want = load_result(got_path, field), load_result(want_path, field)
    expect(sorted(got) == sorted(want), "datasets differ: %s vs %s" % (sorted(got), sorted(want)))
    for k in want:
        if k == "summary":
            continue
        expect(got[k].shape == want[k].shape, "%s: shape %s, reference %s" % (k, got[k].shape, want[k].shape))
        expect(np.array_equal(got[k], want[k]), "%s differs from the uninterrupted run (first at index %s)"
               % (k, np.flatnonzero(got[k].ravel() != want[k].ravel())[:1]))
    expect(got["summary"]["iterations"] == want["summary"]["iterations"], "iteration counts differ")


def reference_path(cfg):
    return os.path.join(cfg.work_dir, "reference", "out.h5")


def need_reference(cfg):
    path = reference_path(cfg)
    if not os.path.isfile(path):  # run directly (not through ctest's fixture)
        check_reference(cfg)
    return path


# ---------------------------------------------------------------------------------------------- checks
def check_reference(cfg):
    out = fresh(cfg, "reference")
    rc, _ = run_to_end(cfg, "reference", out, LONG)
    expect(rc == 0, "uninterrupted run exited with %d" % rc)
    res = load_result(out)
    expect(len(res["history/iteration"]) == TOTAL_LONG, "reference has %d iterations" % len(res["history/iteration"]))


def temporaries(out):
    """Checkpoint temporaries now present: path -> modification time."""
    now = {}
    for p in glob.glob(os.path.join(ckpt_dir(out), "ckpt-*.h5.tmp")):
        try:
            now[p] = os.stat(p).st_mtime_ns
        except FileNotFoundError:
            pass
    return now


def check_kill(cfg):
    ref = need_reference(cfg)
    rng = random.Random(20240611)
    out = fresh(cfg, "kill")
    kills, write_kills, tmp_left, chains, segment = 0, 0, 0, 0, 0
    t0 = time.monotonic()
    while True:
        restart = bool(checkpoints(out))
        want_kill = kills < 10
        in_write = want_kill and kills % 3 == 1  # kills 2, 5, 8 wait for a checkpoint write
        env = {"NPDE_TEST_CHECKPOINT_DELAY_MS": "300"} if in_write else None
        stale = temporaries(out)  # left by an earlier kill; the restart must not be confused by them
        job = Job(cfg, "kill-%02d" % segment, train_args(cfg, out, LONG, ["--restart"] if restart else []), env)
        segment += 1
        if want_kill and in_write:
            nth, writes = rng.randint(1, 3), set()  # kill inside the nth checkpoint write of this job
            while job.running() and job.elapsed() < RUN_TIMEOUT and len(writes) < nth:
                # each write has its own tag; a stale name counts once it is rewritten
                writes.update(p for p, t in temporaries(out).items() if stale.get(p) != t)
                time.sleep(0.003)
        elif want_kill:
            deadline = rng.uniform(0.2, 1.8)  # from launch: start-up, training, checkpoints, output
            while job.running() and job.elapsed() < deadline:
                time.sleep(0.005)
        if want_kill and job.running():
            job.kill9()
            kills += 1
            write_kills += in_write
            tmp = glob.glob(os.path.join(ckpt_dir(out), "ckpt-*.h5.tmp"))
            tmp_left += in_write and bool(tmp)
            print("  killed after %.2f s%s; checkpoints %s%s" % (
                job.elapsed(), " inside a checkpoint write" if in_write else "",
                [os.path.basename(c) for c in checkpoints(out)], "; left " + str([os.path.basename(t) for t in tmp])
                if tmp else ""), flush=True)
            continue
        rc = job.wait()
        if rc != 0:
            job.dump()
        expect(rc == 0, "a %s run exited with %d" % ("restarted" if restart else "fresh", rc))
        expect(os.path.isfile(out) and not os.path.exists(out + ".tmp"), "no complete output after exit 0")
        expect_same_result(out, ref)
        chains += 1
        print("  run completed (%d kills so far): identical to the uninterrupted run" % kills, flush=True)
        if kills >= 10:
            break
        shutil.rmtree(os.path.dirname(out))  # finished before the next kill: start a new run
        os.makedirs(os.path.dirname(out))
    print("%d kills (%d inside checkpoint writes, %d left a temporary behind), %d completed run(s), %.1f s"
          % (kills, write_kills, tmp_left, chains, time.monotonic() - t0))
    expect(write_kills >= 3 and tmp_left >= 1, "no kill landed inside a checkpoint write")


def wait_for_checkpoint(job, out):
    """Until the first checkpoint exists (training is under way, signal handlers installed)."""
    while job.running() and not checkpoints(out) and job.elapsed() < RUN_TIMEOUT:
        time.sleep(0.01)
    expect(job.running(), "npde exited before its first checkpoint")


def check_signals(cfg):
    ref = need_reference(cfg)
    # Not SIGTERM to mpirun: Open MPI 4 forwards it late (the run may even finish first), SIGKILLs
    # the ranks 1 s later and exits 1 whatever they did; batch systems signal the ranks instead.
    cases = [("SIGUSR1", "mpirun"), ("SIGTERM", "ranks")]
    for sig_name, target in cases:
        print("--- %s to %s" % (sig_name, target), flush=True)
        out = fresh(cfg, "signal_%s_%s" % (sig_name, target))
        job = Job(cfg, "signal-%s-%s" % (sig_name, target), train_args(cfg, out, LONG))
        wait_for_checkpoint(job, out)
        sig = getattr(signal, sig_name)
        if target == "mpirun":
            os.kill(job.proc.pid, sig)
        else:
            job.signal_ranks(sig)
        rc = job.wait()
        stdout, stderr = job.output()
        job.dump()
        stop = re.search(r"stopped cleanly at iteration (\d+) on %s" % sig_name, stdout)
        expect(stop, "no 'stopped cleanly ... on %s' line" % sig_name)
        expect(rc == 3, "exit code %d after %s, expected 3" % (rc, sig_name))
        expect(not os.path.exists(out), "a final output file exists after a stop")
        it = int(stop.group(1))
        expect(0 < it < TOTAL_LONG, "stopped at iteration %d" % it)
        expect(os.path.basename(checkpoints(out)[-1]) == "ckpt-%010d.h5" % it, "no checkpoint of iteration %d" % it)
        rc, _ = run_to_end(cfg, "signal-%s-%s-restart" % (sig_name, target), out, LONG, ["--restart"])
        expect(rc == 0, "restart exited with %d" % rc)
        expect_same_result(out, ref)
        print("  stopped at %d, restart identical to the uninterrupted run" % it, flush=True)


def check_walltime(cfg):
    """Two jobs of a run far too long for the limit each stop (exit 3) after less than the limit of
    training, the second one making progress (the limit is per job, not per run); a third job, with
    the run shortened to end soon after (--allow-deck-change), completes."""
    import h5py
    out = fresh(cfg, "walltime")
    limit = 2.0  # the driver keeps 1 s of margin: each job trains about 1 s
    sets = ["training.stages[0].iterations=1000000", "training.stages[1].iterations=20",
            "training.checkpoint.every=0", "training.walltime=%g" % limit, "reference.grid=[65]",
            "training.log_every=1000"]
    last_it, last_wall = 0, 0.0
    for n in (1, 2):
        job = Job(cfg, "walltime-%d" % n, train_args(cfg, out, sets, ["--restart"] if last_it else []))
        rc = job.wait()
        took = job.elapsed()
        job.dump()
        expect(rc == 3, "exit code %d, expected 3 (wall time)" % rc)
        expect(re.search(r"stopped cleanly at iteration \d+ \(wall time\)", job.output()[0]), "no wall-time stop line")
        cp = checkpoints(out)
        expect(cp, "no checkpoint after a wall-time stop")
        with h5py.File(cp[-1], "r") as f:
            it = int(f.attrs["scalar:global_iteration"])
            wall = float(f.attrs["scalar:wall"])
        print("  job %d: stopped at iteration %d after %.2f s (%.2f s of training in this job)"
              % (n, it, took, wall - last_wall), flush=True)
        expect(it > last_it, "no progress: stopped at %d again (wall time counted over restarts?)" % it)
        expect(wall - last_wall < limit,
               "job %d trained %.2f s, over the %.1f s limit" % (n, wall - last_wall, limit))
        expect(took < limit + 30, "the job ran %.1f s with a %.1f s training limit" % (took, limit))
        last_it, last_wall = it, wall
    n_adam = last_it + 100
    rc, job = run_to_end(cfg, "walltime-3", out, sets + ["training.stages[0].iterations=%d" % n_adam],
                         ["--restart", "--allow-deck-change"])
    expect(rc == 0, "the shortened run exited with %d" % rc)
    with h5py.File(out, "r") as f:
        n = len(f["history/iteration"])
        total = n_adam + 20
        expect(n == total and int(f["summary"].attrs["iterations"]) == total, "history has %d rows" % n)


def check_nan(cfg):
    import h5py
    out = fresh(cfg, "nan_injected")
    rc, job = run_to_end(cfg, "nan-injected", out, SHORT, env={"NPDE_TEST_INJECT_NAN_AT": "25"})
    expect(rc == 0, "an injected NaN ended the run with %d" % rc)
    warnings = [l for l in own_lines(job.output()[1]) if "rolled back" in l]
    expect(len(warnings) == 1, "expected one roll-back warning on stderr, got %d" % len(warnings))
    expect("iteration 25" in warnings[0], "the warning does not name iteration 25: " + warnings[0])
    with h5py.File(out, "r") as f:
        expect(int(f["summary"].attrs["nan_recoveries"]) == 1, "nan_recoveries is not 1")
        n = len(f["history/iteration"])
        expect(n == 90 and (f["history/iteration"][...] == range(1, 91)).all(),
               "history is not 1..90 after a roll-back")

    out = fresh(cfg, "nan_source")
    job = Job(cfg, "nan-source", train_args(cfg, out, SHORT + ["problem.source=sqrt(-1)"]))
    rc = job.wait()
    stdout, stderr = job.output()
    job.dump()
    expect(rc == 4, "exit code %d for a NaN source, expected 4" % rc)
    errors = [l for l in own_lines(stderr) if l.startswith("npde error")]
    expect(len(errors) == 1, "expected one error line, got %d" % len(errors))
    expect("diverged" in errors[0], "the error line does not say the training diverged")
    left = [p for p in os.listdir(os.path.dirname(out)) if p.startswith("out.h5") or p.endswith(".xmf")]
    expect(not left, "output left behind: %s" % left)


def check_deck_change(cfg):
    out = fresh(cfg, "deck_change")
    rc, _ = run_to_end(cfg, "deck-first", out, SHORT)
    expect(rc == 0, "first run exited with %d" % rc)
    before = os.stat(out).st_mtime_ns
    job = Job(cfg, "deck-changed", train_args(cfg, out, SHORT + ["training.seed=5"], ["--restart"]))
    rc = job.wait()
    stdout, stderr = job.output()
    job.dump()
    expect(rc == 2, "restart with another deck exited with %d, expected 2" % rc)
    errors = own_lines(stderr)
    expect(len(errors) == 1 and "different deck" in errors[0], "expected one 'different deck' error line")
    expect("--allow-deck-change" in errors[0], "the error does not name --allow-deck-change")
    expect(os.stat(out).st_mtime_ns == before and not os.path.exists(out + ".tmp"), "a refused restart touched output")
    start = os.path.join(ckpt_dir(out), "ckpt-0000000040.h5")
    rc, job = run_to_end(cfg, "deck-allowed", out, SHORT + ["training.seed=5"],
                         ["--restart", start, "--allow-deck-change"])
    expect(rc == 0, "restart with --allow-deck-change exited with %d" % rc)
    expect(re.search(r"resuming at iteration 40\b", job.output()[0]), "did not resume at iteration 40")
    import h5py
    with h5py.File(out, "r") as f:
        expect(int(f["summary"].attrs["iterations"]) == 90, "the continued run did not reach 90 iterations")


EIGEN = ["training.states=2", "training.stages[0].iterations=30", "training.stages[1].iterations=40",
         "training.points.interior=128", "training.quadrature=257", "training.checkpoint.every=10",
         "training.checkpoint.keep=3", "training.log_every=20", "reference.grid=[129]", "reference.eigenpairs=2"]


def check_eigen(cfg):
    import h5py
    import numpy as np
    ref = fresh(cfg, "eigen_reference")
    rc, _ = run_to_end(cfg, "eigen-reference", ref, [], deck="schrodinger_infinite_well", sets_extra=EIGEN)
    expect(rc == 0, "uninterrupted eigen run exited with %d" % rc)
    with h5py.File(ref, "r") as f:
        stages = f["history/stage"][...]
        total = len(stages)
        orth, energy = f["history/loss_orthogonality"][...], f["history/loss_energy"][...]
    first_state = int(np.count_nonzero(stages < 2))  # stages 0, 1 belong to state 0
    expect(0 < first_state < total, "state 0 ran %d of %d iterations" % (first_state, total))
    # each state's terms in their own columns: state 0 has no orthogonality term, both have the energy
    expect(np.all(orth[:first_state] == 0) and np.all(orth[first_state:] > 0), "orthogonality column misplaced")
    expect(np.all(energy > 0), "energy column misplaced")
    out = fresh(cfg, "eigen")
    stops = [first_state // 2 + 3, first_state + (total - first_state) // 2 + 1]  # one in each state
    for n, at in enumerate(stops):
        job = Job(cfg, "eigen-stop-%d" % n,
                  train_args(cfg, out, EIGEN, ["--restart"] if n else [], deck="schrodinger_infinite_well"),
                  {"NPDE_TEST_STOP_AT": str(at)})
        rc = job.wait()
        stdout, _ = job.output()
        job.dump()
        expect(rc == 3, "exit code %d, expected 3 (stop at %d)" % (rc, at))
        expect(re.search(r"stopped cleanly in state %d at iteration %d\b" % (n, at), stdout),
               "no 'stopped cleanly in state %d at iteration %d' line" % (n, at))
        expect(os.path.basename(checkpoints(out)[-1]) == "ckpt-%010d.h5" % at, "no checkpoint of iteration %d" % at)
    rc, job = run_to_end(cfg, "eigen-restart", out, [], ["--restart"], deck="schrodinger_infinite_well",
                         sets_extra=EIGEN)
    expect(rc == 0, "the last restart exited with %d" % rc)
    expect(re.search(r"state 0: E = \S+ \(from the checkpoint\)", job.output()[0]), "state 0 not restored")
    expect_same_result(out, ref, field="psi")
    print("  stopped at %s (state 0 ran %d of %d iterations); restarts identical to the uninterrupted run"
          % (stops, first_state, total), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--npde", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--np-flag", default="-n")
    ap.add_argument("--preflags", default="", help="MPIEXEC_PREFLAGS, ';'- or space-separated")
    checks = {"reference": check_reference, "kill": check_kill, "signals": check_signals, "walltime": check_walltime,
              "nan": check_nan, "deck-change": check_deck_change, "eigen": check_eigen}
    ap.add_argument("check", choices=sorted(checks))
    cfg = ap.parse_args()
    cfg.mpiexec = [cfg.mpiexec]
    cfg.preflags = [p for p in re.split(r"[;\s]+", cfg.preflags) if p]
    cfg.work_dir = os.path.abspath(cfg.work_dir)
    os.makedirs(cfg.work_dir, exist_ok=True)
    t0 = time.monotonic()
    try:
        checks[cfg.check](cfg)
    except CheckFailed as e:
        print("FAILED: %s" % e)
        return 1
    print("passed (%.1f s)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
