// SPDX-License-Identifier: BSD-3-Clause
// XDMF 3 sidecar files that let ParaView open npde's HDF5 output on its rectilinear grid.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace npde::io {

/// Writes an XDMF 3 description of a rectilinear grid whose heavy data live in an HDF5 file.
/// 1D: a "2DRectMesh" one point thick (y = 0 given inline); 2D: "2DRectMesh" with VXVY geometry;
/// 3D: "3DRectMesh" with VXVYVZ geometry. Coordinates are read from <grid_group>/x, /y, /z of
/// lengths nx, ny, nz. Each attribute is a node-centred scalar read from its HDF5 dataset, whose
/// shape must be the grid's in HDF5 order ({nx}, {ny, nx} or {nz, ny, nx}).
/// [in] xmf_path: file to write (overwritten); [in] h5_filename: the HDF5 file as the .xmf should
/// name it, normally relative to the .xmf's folder (e.g. "run.h5"); [in] dims_xyz: {nx[, ny[, nz]]},
/// fastest first, each > 0; [in] attributes: (display name, absolute HDF5 dataset path) pairs.
/// Not collective: call on one rank. Throws npde::Error if the file cannot be written.
void write_xdmf(const std::string& xmf_path, const std::string& h5_filename,
                const std::vector<unsigned long long>& dims_xyz,
                const std::vector<std::pair<std::string, std::string>>& attributes,
                const std::string& grid_group = "/fields/grid");

/// Writes an XDMF 3 description of a series on the same rectilinear grid: a "Temporal" collection
/// with one uniform grid per series entry, which ParaView steps through as time steps. Grid
/// topology, geometry and coordinates as in write_xdmf. Entry s has <Time Value="series_values[s]">
/// (the time of a snapshot; for eigenmodes, the mode index, since ParaView orders steps by value)
/// and, per attribute, a HyperSlab DataItem selecting slab s of the attribute's HDF5 dataset,
/// whose shape must be {n_series, nx}, {n_series, ny, nx} or {n_series, nz, ny, nx}.
/// [in] series_values: one value per entry (n_series = its size, > 0); [in] attributes:
/// (display name, absolute HDF5 dataset path) pairs of series datasets. Other arguments as
/// write_xdmf. Not collective: call on one rank. Throws npde::Error if the file cannot be written.
void write_xdmf_series(const std::string& xmf_path, const std::string& h5_filename,
                       const std::vector<unsigned long long>& dims_xyz, const std::vector<double>& series_values,
                       const std::vector<std::pair<std::string, std::string>>& attributes,
                       const std::string& grid_group = "/fields/grid");

/// The sidecar's name for an HDF5 file: "<path minus .h5>.xmf" ("out.h5" -> "out.xmf"; a name
/// without the .h5 suffix just gets ".xmf" appended).
std::string xdmf_path_for(const std::string& h5_path);

/// The last component of a path ("dir/out.h5" -> "out.h5"), as the .xmf names its HDF5 file.
std::string file_name_of(const std::string& path);

}  // namespace npde::io
