// SPDX-License-Identifier: BSD-3-Clause
// Axis-aligned box domains in one to three dimensions and the numbering and naming of their faces.
#pragma once

#include <string>

namespace npde::pde {

/// Axis-aligned box in 1..3 dimensions; only the first `dim` entries of lower/upper are used.
struct Box {
  int dim = 1;
  double lower[3] = {0, 0, 0};
  double upper[3] = {1, 1, 1};
  /// upper[axis] - lower[axis], for 0 <= axis < dim.
  double extent(int axis) const;
  /// Product of the extents over the dim axes (length, area or volume).
  double volume() const;
};

/// Throws npde::Error unless 1 <= dim <= 3 and lower < upper (finite) on every used axis.
void check_box(const Box& box);

/// Faces are numbered face = 2*axis + side (side 0 = lower, 1 = upper); names "x-","x+","y-","y+","z-","z+".
/// Number of faces of the box: 2*dim.
int n_faces(const Box& box);
/// Axis normal to `face` (face / 2).
inline int face_axis(int face) { return face / 2; }
/// Side of `face`: 0 for the lower bound, 1 for the upper bound.
inline int face_side(int face) { return face % 2; }
/// Name of a face ("x-", ..., "z+"); throws npde::Error for face outside [0, 6).
std::string face_name(int face);
/// Parses "x-" etc. for a box of dimension `dim`; throws npde::InputError naming `what` and listing
/// the valid names for this dim otherwise.
int face_from_name(const std::string& name, int dim, const std::string& what);
/// Measure of a face: product of the other extents (1 for the point faces of a 1D box).
double face_measure(const Box& box, int face);
/// Coordinate of the plane that holds `face` (lower or upper bound of its axis).
double face_coordinate(const Box& box, int face);
/// True if the point x lies on the plane of `face`: x[axis] equals its coordinate within 1e-12 of the
/// extent (edges and corners lie on several faces).
bool on_face(const Box& box, int face, const double* x);

}  // namespace npde::pde
