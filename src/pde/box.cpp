// SPDX-License-Identifier: BSD-3-Clause
// Box geometry: extents, volume, face numbering, names and measures.
#include "npde/pde/box.hpp"

#include "npde/core/error.hpp"

#include <cmath>

namespace npde::pde {

namespace {
constexpr const char* k_face_names[6] = {"x-", "x+", "y-", "y+", "z-", "z+"};
}  // namespace

double Box::extent(int axis) const {
  NPDE_REQUIRE(axis >= 0 && axis < dim, "axis = " << axis << ", dim = " << dim);
  return upper[axis] - lower[axis];
}

double Box::volume() const {
  double v = 1.0;
  for (int a = 0; a < dim; ++a) v *= extent(a);
  return v;
}

void check_box(const Box& box) {
  NPDE_REQUIRE(box.dim >= 1 && box.dim <= 3, "dim = " << box.dim << " (1, 2 or 3 expected)");
  for (int a = 0; a < box.dim; ++a) {
    NPDE_REQUIRE(std::isfinite(box.lower[a]) && std::isfinite(box.upper[a]) && box.lower[a] < box.upper[a],
                 "axis " << a << ": lower = " << box.lower[a] << ", upper = " << box.upper[a]);
  }
}

int n_faces(const Box& box) {
  NPDE_REQUIRE(box.dim >= 1 && box.dim <= 3, "dim = " << box.dim);
  return 2 * box.dim;
}

std::string face_name(int face) {
  NPDE_REQUIRE(face >= 0 && face < 6, "face = " << face);
  return k_face_names[face];
}

int face_from_name(const std::string& name, int dim, const std::string& what) {
  NPDE_REQUIRE(dim >= 1 && dim <= 3, "dim = " << dim);
  for (int f = 0; f < 2 * dim; ++f) {
    if (name == k_face_names[f]) return f;
  }
  std::ostringstream valid;
  for (int f = 0; f < 2 * dim; ++f) valid << (f ? ", " : "") << k_face_names[f];
  NPDE_INPUT_ERROR(what << ": unknown face '" << name << "' for a " << dim << "D box (valid: " << valid.str()
                        << ")");
}

double face_measure(const Box& box, int face) {
  NPDE_REQUIRE(face >= 0 && face < n_faces(box), "face = " << face << ", dim = " << box.dim);
  double m = 1.0;
  for (int a = 0; a < box.dim; ++a) {
    if (a != face_axis(face)) m *= box.extent(a);
  }
  return m;
}

double face_coordinate(const Box& box, int face) {
  NPDE_REQUIRE(face >= 0 && face < n_faces(box), "face = " << face << ", dim = " << box.dim);
  return face_side(face) == 0 ? box.lower[face_axis(face)] : box.upper[face_axis(face)];
}

bool on_face(const Box& box, int face, const double* x) {
  const int a = face_axis(face);
  return std::fabs(x[a] - face_coordinate(box, face)) <= 1e-12 * box.extent(a);
}

}  // namespace npde::pde
