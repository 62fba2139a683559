#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# How well the high-dimensional PINN's network and optimiser can fit the two-body solution when it is
# given outright: plain regression, no PDE.
"""A baseline for inputs/poisson_highdim.yaml: the same network (d-128x4-1 tanh, float64), the same
optimiser (Adam, 1e-3 decaying to 1e-4 exponentially, or linearly to 0 with --schedule linear) and the
same 100 fresh points per step, trained by mean squared error against N*(x) = sum_i c_i sin(x_i +
cos x_{i+1} + x_{i+1} cos x_i), the function the PINN's network must learn (u = (1 - |x|^2) N). Prints
the relative L2 error of u at 2000 fixed points drawn like the training points. The coefficients c_i
~ N(0, 1) come from PyTorch's generator (the same law as npde's problem.coefficient_seed, not the same
draw). Needs PyTorch (Debian: python3-torch).

  scripts/studies/highdim_fit_baseline.py --dim 100 --radius uniform
  scripts/studies/highdim_fit_baseline.py --dim 100 --radius uniform --schedule linear
  scripts/studies/highdim_fit_baseline.py --dim 100 --radius uniform --points 1000   # or --width 256
"""
import argparse

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--radius", choices=["volume", "uniform"], default="uniform",
                    help="volume: uniform in the ball; uniform: the radius uniform in [0, 1] (the SDGD/STDE codes')")
    ap.add_argument("--schedule", choices=["exponential", "linear"], default="exponential")
    ap.add_argument("--width", type=int, default=128, help="hidden width (4 hidden layers)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    dt, d = torch.float64, a.dim
    c = torch.randn(d - 1, dtype=dt, generator=torch.Generator().manual_seed(a.seed))

    def n_star(x):
        u, v = x[:, :-1], x[:, 1:]
        return (c * torch.sin(u + torch.cos(v) + v * torch.cos(u))).sum(1)

    def sample(n):
        z = torch.randn(n, d, dtype=dt)
        r = torch.rand(n, 1, dtype=dt)
        return z / z.norm(dim=1, keepdim=True) * (r if a.radius == "uniform" else r ** (1.0 / d))

    w = a.width
    layers = [torch.nn.Linear(d, w), torch.nn.Tanh()]
    for _ in range(3):
        layers += [torch.nn.Linear(w, w), torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(w, 1)).to(dt)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    if a.schedule == "linear":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: max(0.0, 1 - k / a.steps))
    else:
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.1 ** (1.0 / a.steps))
    xv = sample(2000)
    bv = 1 - (xv ** 2).sum(1)
    uv = bv * n_star(xv)
    print("step  mse(N)  rel. L2 of u")
    for it in range(a.steps + 1):
        x = sample(a.points)
        loss = ((net(x)[:, 0] - n_star(x)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 2000 == 0 or it == a.steps:
            with torch.no_grad():
                err = ((bv * net(xv)[:, 0] - uv).norm() / uv.norm()).item()
            print("%5d  %.3e  %.3e" % (it, loss.item(), err), flush=True)


if __name__ == "__main__":
    main()
