# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Shared set-up for scripts/quickstart.sh and scripts/test.sh: packages, configure, build.
#
# Sourced by bash scripts running under `set -euo pipefail`; defines npde_* functions and
# runs nothing by itself. Knobs: NPDE_BUILD_DIR (default <repo>/build), NPDE_CMAKE_ARGS
# (extra configure arguments, split on whitespace), NPDE_BUILD_JOBS (default nproc).

NPDE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NPDE_BUILD_DIR="${NPDE_BUILD_DIR:-$NPDE_ROOT/build}"
# A relative NPDE_BUILD_DIR means relative to where the user called from (scripts cd later).
[[ "$NPDE_BUILD_DIR" == /* ]] || NPDE_BUILD_DIR="$PWD/$NPDE_BUILD_DIR"

# Debian 12 names. The python3 ones serve scripts/ (reference data, plots), not the build.
NPDE_PACKAGES=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin petsc-dev slepc-dev libhdf5-openmpi-dev
  libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev
  libyaml-cpp-dev libmuparser-dev libopenblas-dev libgtest-dev libfftw3-dev
  python3 python3-numpy python3-h5py python3-matplotlib
)

npde_log() { echo "== $*"; }
npde_die() {
  echo "npde: error: $*" >&2
  exit 1
}

# Debian packages from NPDE_PACKAGES that are not installed, one per line.
npde_missing_debian_packages() {
  local pkg status
  for pkg in "${NPDE_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
      echo "$pkg"
    fi
  done
}

# Off Debian there is no package database to ask; probe the tools and pkg-config modules
# instead (Kokkos, HDF5, GTest and BLAS are left to CMake, which names what it misses).
npde_missing_tools() {
  command -v cmake >/dev/null || echo "cmake>=3.20"
  command -v c++ >/dev/null || command -v g++ >/dev/null || echo "C++17-compiler"
  command -v pkg-config >/dev/null || echo "pkg-config"
  command -v mpicxx >/dev/null || echo "MPI(mpicxx)"
  command -v mpirun >/dev/null || echo "MPI(mpirun)"
  if command -v pkg-config >/dev/null; then
    pkg-config --exists PETSc || pkg-config --exists petsc || echo "PETSc(pkg-config)"
    pkg-config --exists slepc || echo "SLEPc(pkg-config,optional)"
    pkg-config --exists yaml-cpp || echo "yaml-cpp"
    pkg-config --exists muparser || echo "muparser"
  fi
}

# What to tell someone who cannot (or may not) install Debian packages.
npde_print_manual_hints() {
  cat <<EOF
   Debian 12 names: ${NPDE_PACKAGES[*]}
   To use your own installs, point CMake at them and re-run, e.g.
     export PKG_CONFIG_PATH=\$PETSC_DIR/\$PETSC_ARCH/lib/pkgconfig:\$SLEPC_DIR/\$PETSC_ARCH/lib/pkgconfig:\$PKG_CONFIG_PATH
     export NPDE_CMAKE_ARGS="-DKokkos_ROOT=/opt/kokkos -DKokkosKernels_ROOT=/opt/kokkos-kernels -DCMAKE_PREFIX_PATH=/opt/hdf5;/opt/yaml-cpp;/opt/muparser;/opt/openblas"
EOF
}

# Installs the missing Debian packages as root; elsewhere reports them and carries on, so
# that a configure against the user's own installs can still succeed.
npde_ensure_packages() {
  if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    local missing
    missing="$(npde_missing_tools | tr '\n' ' ')"
    if [[ -n "$missing" ]]; then
      npde_log "not Debian (no apt-get/dpkg): not installing; missing: $missing"
      npde_print_manual_hints
    else
      npde_log "not Debian (no apt-get/dpkg): tools found, CMake will check the libraries"
    fi
    return 0
  fi
  local -a missing
  mapfile -t missing < <(npde_missing_debian_packages)
  if ((${#missing[@]} == 0)); then
    npde_log "packages: all ${#NPDE_PACKAGES[@]} present"
    return 0
  fi
  if [[ "$(id -u)" != 0 ]]; then
    npde_log "not root: not installing; missing: ${missing[*]}"
    echo "   as root: apt-get install --no-install-recommends ${missing[*]}"
    npde_print_manual_hints
    return 0
  fi
  npde_log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || npde_die "apt-get update failed (no network or broken sources?)"
  apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || npde_die "apt-get install failed for: ${missing[*]}"
}

# Configures when there is no cache yet or when NPDE_CMAKE_ARGS asks for something; an
# existing build re-configures itself from `cmake --build` whenever a CMakeLists changes.
npde_configure() {
  command -v cmake >/dev/null || npde_die "cmake not found (need >= 3.20; Debian: apt-get install cmake)"
  local -a extra=()
  if [[ -n "${NPDE_CMAKE_ARGS:-}" ]]; then
    read -r -a extra <<<"$NPDE_CMAKE_ARGS"
  fi
  if [[ -f "$NPDE_BUILD_DIR/CMakeCache.txt" && ${#extra[@]} -eq 0 ]]; then
    npde_log "configure: up to date ($NPDE_BUILD_DIR/CMakeCache.txt exists)"
    return 0
  fi
  # Release only for a fresh cache, so a build type chosen earlier survives a re-configure.
  local -a type=()
  if [[ ! -f "$NPDE_BUILD_DIR/CMakeCache.txt" ]]; then
    type=(-DCMAKE_BUILD_TYPE=Release)
  fi
  local -a shown=("$NPDE_BUILD_DIR" "${type[@]}" "${extra[@]}")
  npde_log "configuring: ${shown[*]}"
  if ! cmake -S "$NPDE_ROOT" -B "$NPDE_BUILD_DIR" "${type[@]}" "${extra[@]}"; then
    npde_print_manual_hints >&2
    npde_die "CMake configure failed (the CMake error above names the missing piece)"
  fi
}

# CPUs this process may use. GNU nproc obeys OMP_NUM_THREADS, which npde-env.sh sets to 1.
npde_cpu_count() {
  env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 2
}

npde_build() {
  local jobs="${NPDE_BUILD_JOBS:-$(npde_cpu_count)}"
  npde_log "building: cmake --build $NPDE_BUILD_DIR -j$jobs"
  cmake --build "$NPDE_BUILD_DIR" -j"$jobs" || npde_die "build failed (compiler errors above)"
}

# Physical cores as OpenMPI counts its default slots (hardware threads do not count).
npde_physical_cores() {
  local n=""
  if command -v lscpu >/dev/null; then
    n="$(lscpu -p=Core,Socket 2>/dev/null | grep -v '^#' | sort -u | wc -l || true)"
  fi
  local online
  online="$(npde_cpu_count)"
  if [[ -z "$n" || "$n" -eq 0 || "$n" -gt "$online" ]]; then
    n="$online"
  fi
  echo "$n"
}

# mpirun arguments for <ranks> ranks: --oversubscribe when there are fewer cores than ranks.
npde_mpirun_args() {
  local ranks="$1"
  local -a args=(-n "$ranks")
  if ((ranks > $(npde_physical_cores))); then
    args+=(--oversubscribe)
  fi
  echo "${args[*]}"
}

# The whole set-up both entry scripts share: environment, packages, configure, build.
npde_setup() {
  npde_ensure_packages
  # shellcheck source=scripts/npde-env.sh
  source "$NPDE_ROOT/scripts/npde-env.sh"
  npde_log "environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}" \
    "OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS" \
    "${OMPI_ALLOW_RUN_AS_ROOT:+OMPI_ALLOW_RUN_AS_ROOT=1}"
  npde_configure
  npde_build
}
