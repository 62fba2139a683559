# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# Launch environment for npde runs: `source scripts/npde-env.sh` before mpirun/srun.
#
# POSIX sh, safe under `set -eu`, changes no shell options and never overrides a value the
# user already set. Set NPDE_ENV_VERBOSE=1 to print what was chosen. See docs/developing.md.

# One BLAS thread per MPI rank: npde parallelises over ranks, and a second thread pool per
# rank competes with the other ranks for the same cores.
if [ -z "${OPENBLAS_NUM_THREADS:-}" ]; then
  export OPENBLAS_NUM_THREADS=1
fi
# A user's Kokkos OpenMP build wants OMP_NUM_THREADS = cores per rank; set it yourself then.
if [ -z "${OMP_NUM_THREADS:-}" ]; then
  export OMP_NUM_THREADS=1
fi

# OpenBLAS kernel set. Debian's OpenBLAS 0.3.21 picks its kernels from the CPU model at load
# time and falls back to generic SSE kernels for models it does not know, silently. Naming
# the kernel set from the instruction-set flags avoids that; a CPU without AVX-512 is never
# given AVX-512 kernels (they would die with SIGILL).
# NPDE_CPUINFO replaces /proc/cpuinfo, to check this choice for another CPU.
_npde_flags=""
if [ -r "${NPDE_CPUINFO:-/proc/cpuinfo}" ]; then
  _npde_flags=" $(grep -m1 '^flags' "${NPDE_CPUINFO:-/proc/cpuinfo}" 2>/dev/null | sed 's/^flags[[:space:]]*:[[:space:]]*//' || true) "
fi
_npde_has() {
  case "$_npde_flags" in
    *" $1 "*) return 0 ;;
    *) return 1 ;;
  esac
}
_npde_coretype=""
if _npde_has avx512f && _npde_has avx512bw && _npde_has avx512vl && _npde_has avx512dq \
    && _npde_has avx512cd; then
  if _npde_has avx512_bf16; then
    _npde_coretype=Cooperlake
  else
    _npde_coretype=SkylakeX
  fi
elif _npde_has avx2 && _npde_has fma; then
  _npde_coretype=Haswell
fi
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if [ -n "$_npde_coretype" ]; then
    export OPENBLAS_CORETYPE="$_npde_coretype"
  fi
else
  case "$OPENBLAS_CORETYPE" in
    [Ss][Kk][Yy][Ll][Aa][Kk][Ee][Xx] | [Cc][Oo][Oo][Pp][Ee][Rr][Ll][Aa][Kk][Ee] | \
    [Ss][Aa][Pp][Pp][Hh][Ii][Rr][Ee][Rr][Aa][Pp][Ii][Dd][Ss])
      if [ -n "$_npde_flags" ] && ! _npde_has avx512f; then
        echo "npde-env: warning: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE but this CPU has no AVX-512" >&2
      fi
      ;;
  esac
fi

# OpenMPI refuses to start as root unless told twice (containers, CI runners).
if [ "$(id -u 2>/dev/null || echo 1)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

if [ "${NPDE_ENV_VERBOSE:-0}" = 1 ]; then
  echo "npde-env: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset, OpenBLAS decides>}" \
    "OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS"
fi
unset _npde_flags _npde_coretype
unset -f _npde_has
