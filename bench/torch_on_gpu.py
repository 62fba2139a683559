#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs a PyTorch peer benchmark (torch_pinn_step.py and alike) on the GPU, unchanged.

The peer scripts build their tensors and networks with PyTorch's defaults and time with
time.perf_counter(). This wrapper makes CUDA the default device and synchronises the device at
every timer read, so a timed interval covers the kernels it launched, then runs the script:

  torch_on_gpu.py PEER_SCRIPT [its arguments ...]

It first prints one line naming the device:
  torch-device name=... torch=... cuda=...
"""
import runpy
import sys
import time

import torch

if len(sys.argv) < 2:
    sys.exit("usage: torch_on_gpu.py PEER_SCRIPT [args ...]")
if not torch.cuda.is_available():
    sys.exit("torch_on_gpu.py: error: PyTorch sees no CUDA device")
torch.set_default_device("cuda")
_perf_counter = time.perf_counter


def _synchronised_perf_counter():
    torch.cuda.synchronize()
    return _perf_counter()


time.perf_counter = _synchronised_perf_counter
print(f"torch-device name={torch.cuda.get_device_name(0).replace(' ', '_')} torch={torch.__version__} "
      f"cuda={torch.version.cuda}", flush=True)
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
