#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Runs scripts/slurm/preemptible.sbatch without Slurm: signal, clean stop, requeue, resume.
"""Local test of the preemptible batch script's logic (no Slurm needed).

1. The script starts `npde train inputs/poisson1d.yaml` through mpirun on 2 ranks, in its own
   process group, like a batch shell. After the first checkpoint line, SIGUSR1 goes to the
   script's PID only (as `--signal=B:USR1` does). The script must forward it to the job step,
   npde must stop with exit code 3, the fake requeue command must run once, the script must
   exit 0, and no final output file may exist yet.
2. The script runs again as the requeued job (SLURM_RESTART_COUNT=1): it must pass --restart,
   npde must log "resuming at iteration K" for the K it stopped at, and both must exit 0.
3. The output file is complete (/summary) and its loss history has the full length and equals,
   bit for bit, that of an uninterrupted run of the same deck.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ADAM_ITERATIONS = 600
LBFGS_ITERATIONS = 50
TOTAL = ADAM_ITERATIONS + LBFGS_ITERATIONS
OVERRIDES = ["--set", "training.stages[0].iterations=%d" % ADAM_ITERATIONS,
             "--set", "training.stages[1].iterations=%d" % LBFGS_ITERATIONS,
             "--set", "training.checkpoint.every=25", "--set", "training.log_every=25",
             "--set", "reference.grid=[65]"]
JOB_ID = "4242"


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--npde", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--work-dir", required=True)
    p.add_argument("--mpiexec", default="mpirun")
    p.add_argument("--np-flag", default="-n")
    p.add_argument("--bash", default="/bin/bash")
    p.add_argument("--timeout", type=float, default=45.0, help="seconds allowed for each script run")
    return p.parse_args()


def base_env(args, work):
    """The environment of a batch job, minus any Slurm job this test itself may run inside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.update({
        "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "NPDE": args.npde, "NPDE_ROOT": args.source_dir,
        "NPDE_LAUNCHER": "%s --oversubscribe %s 2" % (args.mpiexec, args.np_flag),
        "NPDE_REQUEUE_CMD": "/bin/sh %s %s" % (os.path.join(work, "fake_requeue.sh"), JOB_ID),
        "NPDE_CHECKPOINT_DIR": os.path.join(work, "checkpoints"),
        "SLURM_JOB_ID": JOB_ID,
    })
    return env


def start_script(args, work, env, log_name):
    script = os.path.join(args.source_dir, "scripts", "slurm", "preemptible.sbatch")
    deck = os.path.join(args.source_dir, "inputs", "poisson1d.yaml")
    cmd = [args.bash, script, deck] + OVERRIDES + ["--set", "output.file=" + os.path.join(work, "run.h5")]
    log = open(os.path.join(work, log_name), "wb")
    # Its own process group, as a batch shell has: a signal to its PID reaches it alone.
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, log


def finish(proc, log, timeout):
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise Failure("the script did not finish within %.0f s" % timeout)
    finally:
        log.close()
    # The batch shell must not outlive its job step: anything left in its process group is a bug.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return rc
    raise Failure("the script exited (code %d) and left processes of its job step running" % rc)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def wait_for_line(proc, path, pattern, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, read(path), re.M):
            return
        check(proc.poll() is None, "the script ended (exit code %s) before a line matching %r" % (proc.returncode,
                                                                                                 pattern))
        time.sleep(0.02)
    raise Failure("no line matching %r within %.0f s" % (pattern, timeout))


def interrupted_attempt(args, work, env):
    """Attempt 1: SIGUSR1 to the batch shell; returns the iteration npde stopped at."""
    log_path = os.path.join(work, "attempt1.log")
    t0 = time.monotonic()
    proc, log = start_script(args, work, env, "attempt1.log")
    try:
        wait_for_line(proc, log_path, r"^checkpoint .*\(iteration \d+\)", args.timeout)
    except Failure:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
        raise
    os.kill(proc.pid, signal.SIGUSR1)
    rc = finish(proc, log, args.timeout)
    text = read(log_path)
    print("attempt 1: script exit code %d after %.1f s" % (rc, time.monotonic() - t0))
    check(re.search(r"^npde-slurm: got SIGUSR1: forwarding SIGUSR1 to the job step", text, re.M),
          "the script did not forward SIGUSR1")
    stopped = re.search(r"^stopped cleanly at iteration (\d+) on SIGUSR1", text, re.M)
    check(stopped, "npde did not report a clean stop on SIGUSR1")
    check(re.search(r"^npde-slurm: npde exited with code 3$", text, re.M), "npde did not exit with code 3")
    marker = os.path.join(work, "requeue.marker")
    check(os.path.exists(marker), "the requeue command was not called")
    check(read(marker).split("\n") == ["requeue " + JOB_ID, ""], "requeue called other than once: %r" % read(marker))
    check(rc == 0, "the script exited with %d after requeueing, expected 0" % rc)
    check(not os.path.exists(os.path.join(work, "run.h5")), "an interrupted run left a final output file")
    k = int(stopped.group(1))
    check(0 < k < TOTAL, "stopped at iteration %d, outside (0, %d)" % (k, TOTAL))
    print("attempt 1: forwarded, npde stopped at iteration %d with code 3, requeue called, script exit 0" % k)
    return k


def requeued_attempt(args, work, env, k):
    """Attempt 2: the requeued job resumes from iteration k and completes."""
    env = dict(env, SLURM_RESTART_COUNT="1")
    t0 = time.monotonic()
    proc, log = start_script(args, work, env, "attempt2.log")
    rc = finish(proc, log, args.timeout)
    text = read(os.path.join(work, "attempt2.log"))
    print("attempt 2: script exit code %d after %.1f s" % (rc, time.monotonic() - t0))
    check(re.search(r"^npde-slurm: checkpoint found in .*: resuming \(restart count 1\)", text, re.M),
          "the requeued script did not choose to resume")
    resumed = re.search(r"^resuming at iteration (\d+)", text, re.M)
    check(resumed, "npde did not log 'resuming at iteration'")
    check(int(resumed.group(1)) == k, "resumed at iteration %s, stopped at %d" % (resumed.group(1), k))
    check(re.search(r"^npde-slurm: npde exited with code 0$", text, re.M), "npde did not exit with code 0")
    check(rc == 0, "the requeued script exited with %d" % rc)
    check(read(os.path.join(work, "requeue.marker")).count("requeue") == 1, "a completed run was requeued")


def uninterrupted_run(args, work):
    cmd = [args.mpiexec, "--oversubscribe", args.np_flag, "2", args.npde, "train",
           os.path.join(args.source_dir, "inputs", "poisson1d.yaml"), "--quiet"] + OVERRIDES + [
           "--set", "output.file=" + os.path.join(work, "straight.h5"),
           "--set", "training.checkpoint.dir=" + os.path.join(work, "straight_checkpoints")]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    r = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=args.timeout)
    check(r.returncode == 0, "uninterrupted run failed (%d):\n%s" % (r.returncode, r.stdout.decode(errors="replace")))


def compare_outputs(work):
    import h5py
    import numpy as np
    with h5py.File(os.path.join(work, "run.h5"), "r") as f, h5py.File(os.path.join(work, "straight.h5"), "r") as g:
        check("summary" in f, "the resumed output file has no /summary")
        loss, ref = f["history/loss"][...], g["history/loss"][...]
        it = f["history/iteration"][...]
        check(loss.shape == (TOTAL,), "loss history has %d rows, expected %d" % (loss.size, TOTAL))
        check(np.array_equal(it, np.arange(it.size) + it[0]), "history iterations are not consecutive")
        check(int(f["summary"].attrs["iterations"]) == TOTAL, "summary iterations != %d" % TOTAL)
        check(np.array_equal(loss, ref), "the resumed loss history differs from the uninterrupted run's "
              "(first difference at row %d)" % int(np.argmax(loss != ref)))
        check(np.array_equal(f["fields/pinn/u"][...], g["fields/pinn/u"][...]), "the PINN fields differ")
    print("output: /summary present, %d history rows, loss history and field identical to an uninterrupted run"
          % TOTAL)


def main():
    args = parse_args()
    work = os.path.abspath(os.path.join(args.work_dir, "preemptible"))
    check(not re.search(r"\s", work + args.npde + args.mpiexec),
          "paths with blanks cannot go through NPDE_LAUNCHER/NPDE_REQUEUE_CMD (split at spaces)")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(work, "fake_requeue.sh"), "w") as f:
        f.write('#!/bin/sh\n# Stands in for `scontrol requeue JOBID`: records the call.\n'
                'echo "requeue $*" >> "%s"\n' % os.path.join(work, "requeue.marker"))
    env = base_env(args, work)
    t0 = time.monotonic()
    k = interrupted_attempt(args, work, env)
    requeued_attempt(args, work, env, k)
    uninterrupted_run(args, work)
    compare_outputs(work)
    print("total %.1f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
