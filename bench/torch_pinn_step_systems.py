#!/usr/bin/python3
"""PyTorch reference for one PINN training step of a space-time equation and of a system, side by
side with npde's `bench_pinn_step --equation burgers navier_stokes` (a sibling of
/work/shared/bench/torch_pinn_step.py, which does the Poisson case; same options, timing and output).

One step = MLP forward on N points, the derivatives the residual reads by nested reverse-mode
autograd (torch.autograd.grad with create_graph=True, the way Python PINN libraries compute them),
loss = sum over residuals of mean(r^2), backward for the weight gradients, one Adam step.

  burgers        inputs (x, t), output u (network 2-64x4-1): u_x, u_t from one grad of u, u_xx from a
                 grad of u_x; r = u_t + u u_x - nu u_xx, nu = 0.01/pi.
  navier_stokes  inputs (x, y), outputs (u, v, p) (network 2-64x4-3): grads of u, v and p, then
                 u_xx, u_yy, v_xx, v_yy from grads of u_x, u_y, v_x, v_y;
                 r1 = u u_x + v u_y + p_x - (u_xx + u_yy)/Re, r2 = u v_x + v v_y + p_y - (v_xx + v_yy)/Re,
                 r3 = u_x + v_y, Re = 100.

These are npde's pde::BurgersEquation and pde::NavierStokesEquation with zero forcing; npde weights
each residual 1/N as here. Prints one line per configuration:

  torch-eq eq=burgers arch=2-64x4-1 channels=4 dtype=float64 N=10000 threads=2 step_ms_min=...
           step_ms_median=... points_per_s=... gflops=... loss_first=... loss_last=...

gflops counts the useful matmul work of npde's jet formulation, C channels through every layer
forward and twice that backward: 3*C*2*N*sum(w_i*w_{i+1}), with C = 4 for both (Burgers: value,
u_x, u_t, u_xx; Navier-Stokes: value, two tangents and the Laplacian, for all three outputs at
once: the outputs are the last layer's width). The same count is used for npde.
Needs Debian's python3-torch. Usage:
  torch_pinn_step_systems.py [--equation burgers navier_stokes] [--threads 2] [--arch 2-64x4-1]
                             [--n 1000 10000 100000] [--dtype float64 float32] [--reps 5] [--min-time 0.5]
--arch gives the hidden layers; inputs and outputs are the equation's (as in bench_pinn_step).

Thread and BLAS settings as in torch_pinn_step.py: T torch threads, OpenBLAS single-threaded (set
below), OPENBLAS_CORETYPE left as the caller set it (the first line names the kernel in use); for
PyTorch's best large-N figures run it with LD_PRELOAD=libjemalloc.so.2
MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 (scripts/bench.sh does).
"""
import argparse, math, os, statistics, time

EQUATIONS = {  # name: (inputs, outputs, jet channels of npde's JetMlp)
    "burgers": (2, 1, 4),
    "navier_stokes": (2, 3, 4),
}
NU = 0.01 / math.pi
RE = 100.0

ap = argparse.ArgumentParser()
ap.add_argument("--equation", nargs="+", default=list(EQUATIONS), choices=list(EQUATIONS))
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--arch", nargs="+", default=["2-64x4-1"])
ap.add_argument("--n", nargs="+", type=int, default=[1000, 10000, 100000])
ap.add_argument("--dtype", nargs="+", default=["float64", "float32"])
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--min-time", type=float, default=0.5)
a = ap.parse_args()
os.environ["OMP_NUM_THREADS"] = str(a.threads)
os.environ["OPENBLAS_NUM_THREADS"] = "1"  # two thread pools on the same cores slow PyTorch 2-3x
os.environ["MKL_NUM_THREADS"] = "1"
import ctypes, ctypes.util  # noqa: E402
import torch  # noqa: E402  (after the thread variables)
torch.set_num_threads(a.threads)
core = "unknown"
try:
    lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
except OSError:
    pass
print(f"torch-eq-info torch={torch.__version__} threads={a.threads} openblas_core={core} "
      f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '<unset>')}", flush=True)


def parse_hidden(s):
    _, h, _ = s.split("-")
    w, k = h.split("x")
    return [int(w)] * int(k)


def grad(y, x):
    """dy/dx for every point (y one column), kept differentiable for the next derivative."""
    return torch.autograd.grad(y.sum(), x, create_graph=True)[0]


def burgers_loss(net, x):
    u = net(x)
    g = grad(u, x)                      # (u_x, u_t)
    u_x, u_t = g[:, 0:1], g[:, 1:2]
    u_xx = grad(u_x, x)[:, 0:1]
    r = u_t + u * u_x - NU * u_xx
    return (r ** 2).mean()


def navier_stokes_loss(net, x):
    w = net(x)
    u, v, p = w[:, 0:1], w[:, 1:2], w[:, 2:3]
    gu, gv, gp = grad(u, x), grad(v, x), grad(p, x)
    u_x, u_y, v_x, v_y = gu[:, 0:1], gu[:, 1:2], gv[:, 0:1], gv[:, 1:2]
    lap_u = grad(u_x, x)[:, 0:1] + grad(u_y, x)[:, 1:2]
    lap_v = grad(v_x, x)[:, 0:1] + grad(v_y, x)[:, 1:2]
    r1 = u * u_x + v * u_y + gp[:, 0:1] - lap_u / RE
    r2 = u * v_x + v * v_y + gp[:, 1:2] - lap_v / RE
    r3 = u_x + v_y
    return (r1 ** 2).mean() + (r2 ** 2).mean() + (r3 ** 2).mean()


LOSSES = {"burgers": burgers_loss, "navier_stokes": navier_stokes_loss}

for eq in a.equation:
    din, dout, channels = EQUATIONS[eq]
    for arch_text in a.arch:
        hidden = parse_hidden(arch_text)
        arch = f"{din}-{hidden[0]}x{len(hidden)}-{dout}"
        widths = [din] + hidden + [dout]
        macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
        for dt in a.dtype:
            dtype = getattr(torch, dt)
            for n in a.n:
                torch.manual_seed(0)
                layers, prev = [], din
                for w in hidden:
                    layers += [torch.nn.Linear(prev, w), torch.nn.Tanh()]
                    prev = w
                layers.append(torch.nn.Linear(prev, dout))
                net = torch.nn.Sequential(*layers).to(dtype)
                opt = torch.optim.Adam(net.parameters(), lr=1e-3)
                x = torch.rand(n, din, dtype=dtype).requires_grad_(True)
                loss_fn = LOSSES[eq]
                last = [0.0]

                def step():
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(net, x)
                    loss.backward()
                    opt.step()
                    last[0] = loss.item()

                step()
                first = last[0]
                step()
                per = []
                for _ in range(a.reps):
                    k, t0 = 0, time.perf_counter()
                    while True:
                        step(); k += 1
                        el = time.perf_counter() - t0
                        if el >= a.min_time and k >= 2:
                            break
                    per.append(el / k)
                tmin, tmed = min(per), statistics.median(per)
                flops = 3 * channels * 2 * n * macs
                print(f"torch-eq eq={eq} arch={arch} channels={channels} dtype={dt} N={n} threads={a.threads} "
                      f"step_ms_min={tmin*1e3:.3f} step_ms_median={tmed*1e3:.3f} points_per_s={n/tmin:.4e} "
                      f"gflops={flops/tmin/1e9:.2f} loss_first={first:.4e} loss_last={last[0]:.4e}", flush=True)
