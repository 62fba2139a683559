# SPDX-License-Identifier: BSD-3-Clause
# The regression checks of the learning modes beyond single-domain PINNs: operator learning (`operator`),
# multi-domain PINNs (`multidomain`) and METALIC (`metalic`); see npde_regression.py.
import math
import os
import re
import shutil
import subprocess
import sys

from regression_common import RUN_TIMEOUT, deck_path, expect, output_file, own_lines, run


def check_operator(cfg):
    """Tiny Darcy datasets made by the deck itself, a small FNO trained on them in double precision."""
    import h5py
    import numpy as np
    deck = deck_path(cfg, "tfno_darcy")
    w = cfg.work_dir

    def path(name):
        return os.path.join(w, "op_" + name + ".h5")

    def dataset(name, samples, grid, seed, deck_=deck, extra=()):
        out = output_file(cfg, "op_" + name)
        rc, _, _ = run(cfg, 2, ["dataset", deck_, "--set", "dataset.samples=%d" % samples, "--set",
                                "reference.grid=[%d,%d]" % (grid, grid), "--set", "problem.random_field.seed=%d" % seed,
                                "--set", "output.file=" + out] + list(extra))
        expect(rc == 0, "npde dataset %s exited with %d" % (name, rc))

    dataset("train", 24, 32, 0)
    dataset("test", 8, 32, 1)
    dataset("test48", 8, 48, 1)
    small = ["--set", "model.width=8", "--set", "model.modes=[8,8]", "--set", "training.epochs=3", "--set",
             "training.batch=4", "--set", "training.precision=double", "--set", "data.train=" + path("train"),
             "--set", "data.test=" + path("test"), "--set", "data.extra_test[0].file=" + path("test48"),
             "--set", "training.lr=2e-3", "--set", "training.checkpoint.every=0"]

    def train(name, np_, env=None, extra=()):
        out = output_file(cfg, "op_" + name)
        if "--restart" not in extra:
            shutil.rmtree(os.path.splitext(out)[0] + "_checkpoints", ignore_errors=True)
        args = ["train", deck, "--quiet", "--set", "output.file=" + out] + small + list(extra)
        cmd = ([] if np_ == 0 else cfg.mpiexec + [cfg.np_flag, str(np_)] + cfg.preflags) + [cfg.npde] + args
        print("+ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=w,
                           env=dict(os.environ, **(env or {})))
        sys.stdout.write(p.stdout + p.stderr)
        return p.returncode, out, p.stdout + p.stderr

    rc, out2, _ = train("np2", 2)
    expect(rc == 0, "npde train on 2 ranks exited with %d" % rc)
    with h5py.File(out2, "r") as f:
        s = f["summary"].attrs
        for key in ("test_rel_l2", "test_rel_l2_48", "n_params", "spectral_params", "compression", "train_seconds",
                    "samples_per_second", "inference_seconds_per_sample", "solve_seconds_per_sample", "ranks"):
            expect(key in s and np.isfinite(s[key]), "summary attribute %s missing or not finite" % key)
        # the steady rate (epochs 2 and 3 here) is a rate: 0 would say no epoch was counted
        expect(s["steady_samples_per_second"] > 0, "steady samples/s %g" % s["steady_samples_per_second"])
        h = {k: f["history/" + k][...] for k in f["history"]}
        expect(np.array_equal(h["epoch"], [1, 2, 3]), "history epochs are %s" % h["epoch"])
        expect(h["train_loss"][-1] < h["train_loss"][0], "the training loss did not decrease: %s" % h["train_loss"])
        expect(s["test_rel_l2"] < 1.0, "test rel. L2 %.3f after 3 epochs" % s["test_rel_l2"])
        expect(f["model/params"].shape[0] == int(s["n_params"]), "/model/params does not hold n_params values")
        e = f["test/rel_l2"][...]
        expect(len(e) == 8 and math.isclose(e.mean(), s["test_rel_l2"], rel_tol=1e-12), "/test/rel_l2 vs summary")
        params2, loss2, test48 = f["model/params"][...], h["train_loss"], s["test_rel_l2_48"]
        print("test rel. L2 %.4f (48x48: %.4f), %d parameters" % (s["test_rel_l2"], test48, s["n_params"]))
    # the same run on one rank: the same history up to the summation order of the gradient
    rc, out1, _ = train("np1", 1)
    expect(rc == 0, "npde train on 1 rank exited with %d" % rc)
    with h5py.File(out1, "r") as f:
        loss1 = f["history/train_loss"][...]
    expect(np.allclose(loss1, loss2, rtol=1e-9, atol=0), "1 and 2 ranks: train loss %s vs %s" % (loss1, loss2))
    # stopped mid-epoch (after step 5 of 6 per epoch: 24 samples, batch 4), then restarted: bit-identical
    rc, outs, _ = train("stop", 2, env={"NPDE_TEST_STOP_AT": "8"})
    expect(rc == 3, "the stopped run exited with %d, expected 3" % rc)
    rc, outs, _ = train("stop", 2, extra=["--restart"])
    expect(rc == 0, "the restarted run exited with %d" % rc)
    with h5py.File(outs, "r") as f:
        expect(np.array_equal(f["model/params"][...], params2), "restarted parameters differ from the uninterrupted run's")
    # the NaN guard: a non-finite loss at step 4 rolls the epoch back and halves the learning rate
    rc, outn, _ = train("nan", 2, env={"NPDE_TEST_INJECT_NAN_AT": "4"})
    expect(rc == 0, "the run with an injected NaN exited with %d" % rc)
    with h5py.File(outn, "r") as f:
        expect(f["summary"].attrs["nan_recoveries"] == 1, "nan_recoveries is not 1")
    # predict at 48 x 48 (zero-shot super-resolution): the training run's figure, fields and sidecar
    pred = output_file(cfg, "op_predict")
    rc, stdout, _ = run(cfg, 2, ["predict", out2, path("test48"), "--output", pred])
    expect(rc == 0, "npde predict exited with %d" % rc)
    with h5py.File(pred, "r") as f:
        s = f["summary"].attrs
        expect(math.isclose(s["test_rel_l2"], test48, rel_tol=1e-9), "predict %.6e vs train %.6e" % (s["test_rel_l2"], test48))
        p, r, e = (f["fields/%s/u" % g][...] for g in ("prediction", "reference", "error"))
        expect(p.shape == (8, 48, 48) and np.allclose(e, p - r, atol=1e-12), "prediction fields")
        got = np.sqrt(((p - r) ** 2).sum(axis=(1, 2)) / (r ** 2).sum(axis=(1, 2)))
        expect(np.allclose(got, f["rel_l2"][...], rtol=1e-9), "/rel_l2 is not the fields' error")
    expect(os.path.isfile(os.path.splitext(pred)[0] + ".xmf"), "no .xmf next to the predictions")
    # physics only (PINO): no solutions used; the stored solutions satisfy the discrete equation
    rc, pino, _ = train("pino", 2, extra=["--set", "training.weights.data=0", "--set", "training.weights.physics=1"])
    expect(rc == 0, "physics-only training exited with %d" % rc)
    with h5py.File(pino, "r") as f:
        s = f["summary"].attrs
        expect(s["physics_residual_of_targets"] < 1e-8, "the stored solutions leave a residual %.2e"
               % s["physics_residual_of_targets"])
        h = f["history/train_loss"][...]
        expect(h[-1] < h[0] and f["model"].attrs["mollified"] == 1, "physics-only: loss %s, mollified %s"
               % (h, f["model"].attrs["mollified"]))
    # multigrid patching (1 level: 4 patches per field spread over the ranks): the same history on 1 and
    # 2 ranks, and predict at 48 x 48 reproduces the training run's figure
    mg = ["--set", "model.patching.levels=1", "--set", "model.kind=tfno"]
    rc, mg2, _ = train("mg_np2", 2, extra=mg)
    expect(rc == 0, "patched training on 2 ranks exited with %d" % rc)
    rc, mg1, _ = train("mg_np1", 1, extra=mg)
    expect(rc == 0, "patched training on 1 rank exited with %d" % rc)
    with h5py.File(mg2, "r") as f2, h5py.File(mg1, "r") as f1:
        l2, l1 = f2["history/train_loss"][...], f1["history/train_loss"][...]
        expect(np.allclose(l1, l2, rtol=1e-9, atol=0), "patched: 1 and 2 ranks give %s vs %s" % (l1, l2))
        expect(f2["summary"].attrs["patches_per_field"] == 4, "patches_per_field is not 4")
        mg48 = f2["summary"].attrs["test_rel_l2_48"]
    pred = output_file(cfg, "op_mg_predict")
    rc, _, _ = run(cfg, 2, ["predict", mg2, path("test48"), "--output", pred])
    expect(rc == 0, "npde predict of the patched model exited with %d" % rc)
    with h5py.File(pred, "r") as f:
        expect(math.isclose(f["summary"].attrs["test_rel_l2"], mg48, rel_tol=1e-9), "patched predict vs train")
    # the data files' errors: one line, exit 2
    dataset("ns", 2, 16, 0, deck_=deck_path(cfg, "ns_vorticity"), extra=("--set", "problem.time.end=0.2",
                                                                         "--set", "reference.snapshots=3"))
    junk = os.path.join(w, "op_junk.h5")
    with open(junk, "w") as fh:
        fh.write("not hdf5\n")
    cases = [(["--set", "data.train=" + path("ns")], "holds a ns_vorticity dataset"),
             (["--set", "data.train=" + junk], "as an HDF5 file"),
             (["--set", "data.test=" + path("test48")], "data.extra_test"),
             (["--set", "data.n_train=100"], "24 samples"),
             (["--set", "model.modes=[40,40]"], "fewer Fourier modes"),
             (["--set", "data.train=" + path("missing")], "does not exist"),
             (["--set", "model.kind=tfno", "--set", "model.rank=1.5"], "model.rank"),
             (["--set", "model.patching.levels=3"], "patch windows")]
    for extra, word in cases:
        rc, out, text = train("bad", 2, extra=extra)
        lines = [l for l in own_lines(text) if "npde error" in l]
        expect(rc == 2 and len(lines) == 1 and word in lines[0], "%s: exit %d, error lines %s (want '%s')"
               % (" ".join(extra), rc, lines, word))
        expect(not os.path.exists(out) and not os.path.exists(out + ".tmp"), "a file was left behind")
    rc, _, stderr = run(cfg, 2, ["predict", path("test"), path("test48")])
    expect(rc == 2 and "no trained operator" in stderr, "predict with a dataset as the model: exit %d" % rc)


def check_multidomain(cfg):
    """The decomposition decks, small: the same history on 1 and 2 ranks, a checkpoint of a 2-rank run
    restarted on 1 rank continuing bit for bit, the subdomain map, and bad decompositions."""
    import h5py
    import numpy as np
    small = ["--set", "decomposition.subdomains=[4]", "--set", "training.points.interior=512", "--set", "training.points.boundary=128", "--set",
             "training.points.initial=128", "--set", "decomposition.interface.points=16", "--set",
             "network.layers=[8,8]", "--set", "training.stages[0].iterations=30", "--set",
             "training.stages[1].iterations=30", "--set", "training.log_every=10", "--set", "reference.grid=[129]",
             "--set", "reference.snapshots=11", "--set", "training.checkpoint.every=0"]

    def train(tag, np_, env=None, extra=()):
        out = output_file(cfg, "md_" + tag.split("_")[0])  # split_a, split_b: one run, so one deck text
        ck = os.path.join(cfg.work_dir, "md_%s_checkpoints" % tag.split("_")[0])
        if "--restart" not in extra:
            shutil.rmtree(ck, ignore_errors=True)
        args = ["train", deck_path(cfg, "cpinn_burgers1d")] + small + ["--set", "output.file=" + out, "--set",
                                                                        "training.checkpoint.dir=" + ck] + list(extra)
        if env:
            old = dict(os.environ)
            os.environ.update(env)
        try:
            rc, stdout, stderr = run(cfg, np_, args)
        finally:
            if env:
                os.environ.clear()
                os.environ.update(old)
        return rc, stdout + stderr, out

    rc, stdout, out2 = train("two", 2)
    expect(rc == 0, "npde train (2 ranks) exited with %d" % rc)
    expect("4 subdomains (4x1, cpinn, cut at x = -0.5, -0.2, 0.2)" in stdout,
           "the start line does not describe the decomposition")
    rc, _, out1 = train("one", 1)
    expect(rc == 0, "npde train (1 rank) exited with %d" % rc)
    with h5py.File(out2, "r") as a, h5py.File(out1, "r") as b:
        ha = {k: a["history/" + k][()] for k in a["history"]}
        hb = {k: b["history/" + k][()] for k in b["history"]}
        for k in ("loss", "loss_pde", "loss_if_flux", "subdomain_3_loss"):
            expect(k in ha, "history lacks %s (has %s)" % (k, sorted(ha)))
            expect(np.array_equal(ha[k], hb[k]), "history %s differs between 1 and 2 ranks" % k)
        own = sum(ha["subdomain_%d_loss" % s] for s in range(4))
        expect(np.allclose(own + ha["loss_if_average"] + ha["loss_if_flux"], ha["loss"], rtol=1e-12, atol=0),
               "the subdomains' losses and the interface terms do not sum to the loss")
        ua, ub = a["fields/pinn/u"][()], b["fields/pinn/u"][()]
        expect(np.allclose(ua, ub, rtol=0, atol=1e-12), "the fields differ between 1 and 2 ranks")
        sub = a["fields/subdomain"][()]
        x = a["fields/grid/x"][()]
        expect(sub.shape == ua.shape, "fields/subdomain has shape %s, the field %s" % (sub.shape, ua.shape))
        want = np.searchsorted([-0.5, -0.2, 0.2], x, side="right")  # the deck's cuts
        expect(np.array_equal(sub[0], want), "fields/subdomain is not the 4 x-slabs of the deck's cuts")
        expect(a["summary"].attrs["subdomains"] == 4, "summary lacks subdomains = 4")
        print("cpinn_burgers1d (small): loss %.4e on 1 and 2 ranks" % ha["loss"][-1])
    # stop after a checkpoint inside the L-BFGS stage on 2 ranks, restart on 1
    rc, _, _ = train("split_a", 2, env={"NPDE_TEST_STOP_AT": "45"})
    expect(rc == 3, "the stopped run exited with %d, expected 3" % rc)
    rc, stdout, outr = train("split_b", 1, extra=("--restart",))
    expect(rc == 0 and "resuming at iteration 45" in stdout, "restart on 1 rank failed (exit %d)" % rc)
    with h5py.File(out2, "r") as a, h5py.File(outr, "r") as r:
        expect(np.array_equal(a["history/loss"][()], r["history/loss"][()]),
               "the run restarted on 1 rank does not continue the 2-rank run bit for bit")
        s = a["summary"].attrs
        expect(s["exchange_bytes_per_evaluation"] > 0 and 0 <= s["exchange_wait_fraction"] < 1,
               "summary lacks the exchange statistics of a 2-rank run")
    # a checkpoint of another decomposition is refused even with --allow-deck-change
    rc, text, _ = train("split_c", 2, extra=("--restart", "--allow-deck-change", "--set", "decomposition.subdomains=[2,2]",
                                             "--set", "decomposition.cuts={}"))
    expect(rc == 2 and "written for decomposition 'cpinn 4 cuts0 -0.5,-0.2,0.2'" in text,
           "a checkpoint of another decomposition was not refused (exit %d)" % rc)
    # ... or of the same counts cut elsewhere
    rc, text, _ = train("split_e", 2, extra=("--restart", "--allow-deck-change", "--set", "decomposition.cuts.x=[-0.5,0,0.5]"))
    expect(rc == 2 and "the deck has 'cpinn 4 cuts0 -0.5,0,0.5'" in text,
           "a checkpoint of other cuts was not refused (exit %d): %s" % (rc, text[-300:]))
    # ... or of other per-subdomain networks (the blocks of the parameter vector would not match)
    rc, text, _ = train("split_d", 2, extra=("--restart", "--allow-deck-change", "--set",
                                             "decomposition.networks=[{subdomain: [2], layers: [5, 7]}]"))
    expect(rc == 2 and "the deck has 'cpinn 4 cuts0 -0.5,-0.2,0.2 networks 2,0:5-7'" in text,
           "a checkpoint of other per-subdomain networks was not refused (exit %d): %s" % (rc, text[-300:]))
    # the Poisson deck: the subdomain map under /fields
    out = output_file(cfg, "md_xpinn")
    rc, _, _ = run(cfg, 2, ["train", deck_path(cfg, "xpinn_poisson2d"), "--set", "training.points.interior=512",
                            "--set", "training.stages[0].iterations=20", "--set", "training.stages[1].iterations=20",
                            "--set", "output.grid=[17,17]", "--set", "reference.grid=[17,17]", "--set",
                            "output.file=" + out])
    expect(rc == 0, "npde train xpinn_poisson2d exited with %d" % rc)
    with h5py.File(out, "r") as f:
        sub = f["fields/subdomain/u"][()]
        expect(sorted(np.unique(sub)) == [0, 1, 2, 3], "fields/subdomain of a 2x2 split holds %s" % np.unique(sub))
        expect(math.isfinite(f["summary"].attrs["rel_l2_exact"]), "rel_l2_exact missing")
    # FBPINN: the same history on 1 and 2 ranks; the blended solution meets the boundary condition
    fb_small = ["train", deck_path(cfg, "fbpinn_helmholtz2d"), "--set", "training.points.interior=1024", "--set",
                "network.layers=[8,8]", "--set", "decomposition.subdomains=[2,2]", "--set",
                "training.stages[0].iterations=20", "--set", "training.stages[1].iterations=20", "--set",
                "training.log_every=10", "--set", "reference.grid=[33,33]"]
    outs = []
    for np_ in (1, 2):
        outs.append(output_file(cfg, "md_fbpinn_np%d" % np_))
        rc, stdout, _ = run(cfg, np_, fb_small + ["--set", "output.file=" + outs[-1]])
        expect(rc == 0, "npde train fbpinn_helmholtz2d on %d rank(s) exited with %d" % (np_, rc))
        expect("4 subdomains (2x2, fbpinn)" in stdout, "the start line does not describe the FBPINN")
    with h5py.File(outs[0], "r") as a, h5py.File(outs[1], "r") as b:
        expect(np.array_equal(a["history/loss"][()], b["history/loss"][()]), "FBPINN history differs between 1 and 2 ranks")
        expect(np.array_equal(a["history/subdomain_3_loss"][()], b["history/subdomain_3_loss"][()]),
               "FBPINN subdomain losses differ between 1 and 2 ranks")
        u = b["fields/pinn/u"][()]
        edge = np.concatenate([u[0, :], u[-1, :], u[:, 0], u[:, -1]])
        expect(np.abs(edge).max() < 1e-12, "the blended solution is not 0 on the boundary (max %.2e)" % np.abs(edge).max())
        expect(sorted(np.unique(b["fields/subdomain"][()])) == [0, 1, 2, 3], "fields/subdomain of the FBPINN")
        # a network evaluates its extent: more points than its core's quarter, fewer than all, on any rank count
        pa, pb = a["summary"].attrs["network_points_max"], b["summary"].attrs["network_points_max"]
        expect(pa == pb and 1024 / 4 < pb < 1024, "network_points_max %s (1 rank) / %s (2 ranks)" % (pa, pb))
    # FBPINN: stopped inside the L-BFGS stage on 2 ranks, restarted on 1, the same history
    out = output_file(cfg, "md_fbpinn_split")
    ck = os.path.join(cfg.work_dir, "md_fbpinn_split_checkpoints")
    shutil.rmtree(ck, ignore_errors=True)
    split = fb_small + ["--set", "output.file=" + out, "--set", "training.checkpoint.dir=" + ck]
    old = dict(os.environ)
    os.environ["NPDE_TEST_STOP_AT"] = "30"
    try:
        rc, _, _ = run(cfg, 2, split)
    finally:
        os.environ.clear()
        os.environ.update(old)
    expect(rc == 3, "the stopped FBPINN run exited with %d, expected 3" % rc)
    rc, stdout, _ = run(cfg, 1, split + ["--restart"])
    expect(rc == 0 and "resuming at iteration 30" in stdout, "FBPINN restart on 1 rank failed (exit %d)" % rc)
    with h5py.File(outs[1], "r") as a, h5py.File(out, "r") as r:
        expect(np.array_equal(a["history/loss"][()], r["history/loss"][()]),
               "the FBPINN run restarted on 1 rank does not continue the 2-rank run bit for bit")
    # bad decompositions: one line, exit 2, nothing written
    for sets, message in ((["decomposition.subdomains=[1]", "decomposition.cuts={}"], "ranks"),
                          (["decomposition.interface.average=0", "decomposition.interface.flux=0"],
                           "every interface term has weight 0"),
                          (["problem.bc_enforcement=hard"], "set soft")):
        bad = output_file(cfg, "md_bad")
        args = ["train", deck_path(cfg, "cpinn_burgers1d"), "--set", "output.file=" + bad]
        for s_ in sets:
            args += ["--set", s_]
        rc, stdout, stderr = run(cfg, 2, args)
        lines = [l for l in (stdout + stderr).splitlines() if message in l]
        expect(rc == 2 and len(lines) == 1, "bad decomposition %s: exit %d, %d matching lines" % (sets, rc, len(lines)))
        expect(not os.path.exists(bad) and not os.path.exists(bad + ".tmp"), "a bad decomposition left a file")


def check_metalic(cfg):
    """npde metalic with tiny plays: two groups of one rank, a stop after round 2 and a restart giving the
    plays of the uninterrupted run, the surrogate reused without plays, bad input."""
    import h5py
    import numpy as np
    tiny = ["--set", "metalic.rounds=3", "--set", "metalic.warmup=2", "--set", "training.stages[0].iterations=20",
            "--set", "training.stages[1].iterations=20", "--set", "training.points.interior=256", "--set",
            "decomposition.interface.points=16", "--set", "network.layers=[8,8]", "--set", "reference.grid=[129]",
            "--set", "reference.snapshots=11"]

    def metalic(tag, env=None, extra=()):
        out = output_file(cfg, "metalic_" + tag.split("_")[0])
        ck = os.path.join(cfg.work_dir, "metalic_%s_checkpoints" % tag.split("_")[0])
        if "--restart" not in extra:
            shutil.rmtree(ck, ignore_errors=True)
        args = ["metalic", deck_path(cfg, "metalic_burgers1d")] + tiny + ["--set", "output.file=" + out, "--set",
                                                                          "training.checkpoint.dir=" + ck] + list(extra)
        old = dict(os.environ)
        os.environ.update(env or {})
        try:
            rc, stdout, stderr = run(cfg, 2, args)
        finally:
            os.environ.clear()
            os.environ.update(old)
        return rc, stdout + stderr, out

    rc, text, full = metalic("full")
    expect(rc == 0, "npde metalic exited with %d" % rc)
    expect(len(re.findall(r"^round \d/3 play \d/2", text, re.M)) == 6, "expected 6 play lines")
    expect("METALIC: viscosity -> interface terms" in text, "no recommendation table")
    rc, _, _ = metalic("split_a", env={"NPDE_TEST_STOP_AT": "2"})
    expect(rc == 3, "the stopped run exited with %d, expected 3" % rc)
    rc, text, split = metalic("split_b", extra=("--restart",))
    expect(rc == 0 and "resuming after round 2" in text, "restart failed (exit %d)" % rc)
    with h5py.File(full, "r") as a, h5py.File(split, "r") as b:
        for k in ("parameter", "mask", "reward", "error"):
            expect(np.array_equal(a["metalic/plays/" + k][()], b["metalic/plays/" + k][()]),
                   "plays/%s of the restarted run differ from the uninterrupted run's" % k)
        masks = a["metalic/plays/mask"][()]
        expect(len(masks) == 6 and masks.min() >= 1 and masks.max() <= 511, "play masks %s" % masks)
        rew, err = a["metalic/plays/reward"][()], a["metalic/plays/error"][()]
        expect(np.allclose(rew, -np.log10(err), rtol=1e-12), "reward is not -log10(error)")
        rec = a["metalic/recommendations/mask"][()]
        expect(len(rec) == 7, "expected a recommendation per test value, got %d" % len(rec))
        expect(a["metalic"].attrs["mask_bits"].startswith("continuity,average"), "mask_bits attribute")
    with h5py.File(full, "r") as a:  # one phase: the Adam mask is the mask, no Adam reward
        expect(np.array_equal(a["metalic/plays/mask_adam"][()], a["metalic/plays/mask"][()]), "one phase: mask_adam")
        expect(np.all(np.isnan(a["metalic/plays/reward_adam"][()])), "one phase: reward_adam should be NaN")
    # two phases: a mask per stage, the Adam stage scored too, a surrogate per phase
    rc, text, two = metalic("two", extra=("--set", "metalic.phases=two", "--set", "metalic.rounds=2"))
    expect(rc == 0 and "(Adam stage / L-BFGS stage)" in text, "two-phase npde metalic exited with %d" % rc)
    with h5py.File(two, "r") as f:
        m0, m1 = f["metalic/plays/mask_adam"][()], f["metalic/plays/mask"][()]
        expect(len(m1) == 4 and np.any(m0 != m1), "two phases: the plays' stage masks %s / %s" % (m0, m1))
        expect(np.all(np.isfinite(f["metalic/plays/reward_adam"][()])), "two phases: reward_adam not finite")
        expect("metalic/surrogate_adam/log_hyper" in f, "two phases: no surrogate of the Adam phase")
    # plays are deterministic: an arm once played at a value is not played there again, even when the
    # surrogate exploits alone (beta ~ 0: 4 rounds of 2 groups on two values repeated one arm before)
    rc, text, greedy = metalic("greedy", extra=("--set", "metalic.beta=1e-6", "--set", "metalic.rounds=4", "--set",
                                                "metalic.values=[0.01, 0.02]"))
    expect(rc == 0, "the greedy npde metalic exited with %d" % rc)
    with h5py.File(greedy, "r") as f:
        arms = list(zip(f["metalic/plays/parameter"][()], f["metalic/plays/mask"][()]))
        expect(len(arms) == 8 and len(set(arms)) == 8, "an arm played twice at one value: %s" % arms)
    # the surrogate reused: no plays, a mask for a new value
    out = output_file(cfg, "metalic_reuse")
    rc, text, _ = run(cfg, 1, ["metalic", deck_path(cfg, "metalic_burgers1d")] + tiny +
                      ["--set", "metalic.rounds=0", "--set", "metalic.surrogate=" + full, "--set",
                       "metalic.test_values=[0.005]", "--set", "output.file=" + out])
    expect(rc == 0 and "play 1/" not in text, "the reuse run exited with %d or played" % rc)
    with h5py.File(out, "r") as f:
        expect(len(f["metalic/plays/mask"][()]) == 6, "the reuse run does not hold the 6 earlier plays")
        expect(len(f["metalic/recommendations/mask"][()]) == 1, "the reuse run has no recommendation")
    # bad input: one line, exit 2
    for sets, message in ((["metalic.groups=3"], "metalic.groups"),
                          (["metalic.parameter=nu"], "metalic.parameter"),
                          (["metalic.rounds=0"], "metalic.rounds")):
        args = ["metalic", deck_path(cfg, "metalic_burgers1d"), "--set", "output.file=" + output_file(cfg, "metalic_bad")]
        for s_ in sets:
            args += ["--set", s_]
        rc, stdout, stderr = run(cfg, 2, args)
        lines = [l for l in (stdout + stderr).splitlines() if message in l]
        expect(rc == 2 and len(lines) == 1, "bad metalic input %s: exit %d, %d matching lines" % (sets, rc, len(lines)))
