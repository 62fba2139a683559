// SPDX-License-Identifier: BSD-3-Clause
// Scalar, execution/memory spaces and the View shapes npde uses everywhere.
#pragma once

#include <Kokkos_Core.hpp>

#include <string>

namespace npde {

/// Default execution space (the Kokkos installation decides: Serial, OpenMP, CUDA, ...).
using ExecSpace = Kokkos::DefaultExecutionSpace;
/// Memory space of ExecSpace.
using MemSpace = ExecSpace::memory_space;
/// Host execution space (for host mirrors and host-side loops).
using HostExecSpace = Kokkos::DefaultHostExecutionSpace;
/// Host memory space.
using HostSpace = Kokkos::HostSpace;

/// True when device memory can be read on the host (every non-GPU build).
inline constexpr bool device_is_host =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;

/// Rank-1 device View, contiguous.
template <class T>
using View1 = Kokkos::View<T*, Kokkos::LayoutLeft, MemSpace>;
/// Rank-2 device View, column-major (LayoutLeft): element (i, j) at i + extent(0) * j.
template <class T>
using View2 = Kokkos::View<T**, Kokkos::LayoutLeft, MemSpace>;
/// Rank-1 host View.
template <class T>
using HostView1 = Kokkos::View<T*, Kokkos::LayoutLeft, HostSpace>;
/// Rank-2 host View, column-major.
template <class T>
using HostView2 = Kokkos::View<T**, Kokkos::LayoutLeft, HostSpace>;
/// Unmanaged rank-2 column-major View over existing memory (parameter blocks, workspaces).
template <class T, class Space = MemSpace>
using UView2 = Kokkos::View<T**, Kokkos::LayoutLeft, Space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
/// Unmanaged rank-1 View over existing memory.
template <class T, class Space = MemSpace>
using UView1 = Kokkos::View<T*, Kokkos::LayoutLeft, Space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

/// Floating-point precision of a run (`training.precision`).
enum class Precision { Double, Float };

/// "double" or "float".
inline std::string to_string(Precision p) { return p == Precision::Double ? "double" : "float"; }

}  // namespace npde
