// SPDX-License-Identifier: BSD-3-Clause
// A box split into a Cartesian grid of subdomains (multi-domain PINNs): their cores and overlapping
// extents, their owner ranks (contiguous blocks of the Cartesian order), the interfaces between
// neighbours, and FBPINN's smooth partition of unity. Geometry only: no communication.
#pragma once

#include <array>
#include <vector>

#include "npde/decomp/communicator.hpp"

namespace npde::decomp {

/// One subdomain. Its core is cell `cell` of the Cartesian grid; its extent is the core widened by
/// overlap x (core width) / 2 on every side that is not on the box's boundary (so neighbours share a
/// band of overlap x width). With cuts of unequal widths the band across a face is overlap x the
/// narrower of the two cores' widths, so an extent never reaches past its neighbours' cores.
struct Subdomain {
  int index = 0;
  std::array<int, 3> cell{0, 0, 0};
  std::vector<double> core_lower, core_upper;  ///< the core cell
  std::vector<double> lower, upper;            ///< the extent (= core without overlap)
  int owner = 0;                               ///< the rank holding it
};

/// The face between two neighbouring subdomains: `lower` (the one below along `axis`) and `upper`.
struct Interface {
  int lower = 0, upper = 0, axis = 0;
  double position = 0;                    ///< the plane x_axis = position
  std::vector<double> face_lower, face_upper;  ///< the face's extent (along `axis` both are `position`)
};

class BoxPartition {
 public:
  /// [in] lower, upper: the box (1 to 3 dimensions); [in] counts: subdomains per axis, each >= 1;
  /// [in] overlap in [0, 1); [in] ranks: how many ranks share the subdomains (at most their number);
  /// [in] cuts: per axis, empty (equal widths) or the counts[a] - 1 interior positions of the faces,
  /// strictly increasing inside the box (missing trailing axes: equal widths).
  /// Throws InputError (one line, naming decomposition.subdomains / .overlap / .cuts) otherwise.
  BoxPartition(std::vector<double> lower, std::vector<double> upper, std::vector<int> counts, double overlap, int ranks,
               std::vector<std::vector<double>> cuts = {});

  int dims() const { return int(m_lower.size()); }
  int size() const { return int(m_subdomains.size()); }
  int ranks() const { return m_ranks; }
  double overlap() const { return m_overlap; }
  const std::vector<int>& counts() const { return m_counts; }
  const Subdomain& operator[](int s) const { return m_subdomains[std::size_t(s)]; }
  /// Index of the cell (i, j, k) in the Cartesian order (x fastest).
  int index_of(const std::array<int, 3>& cell) const;
  /// The subdomains of `rank`: [begin, end) of the Cartesian order (block_range of size() over ranks()).
  Range owned(int rank) const { return block_range(std::size_t(size()), rank, m_ranks); }
  /// The subdomain whose core holds x (a point on a shared face belongs to the upper one; the box's
  /// upper boundary to the last cell). Points outside the box are clamped.
  int locate(const double* x) const;
  /// Every face between two neighbouring cores, ordered by (lower, axis).
  const std::vector<Interface>& interfaces() const { return m_interfaces; }
  /// The face neighbours of subdomain s, ascending.
  std::vector<int> neighbours(int s) const;
  /// The ranks other than `rank` that hold a neighbour of one of its subdomains, ascending.
  std::vector<int> neighbour_ranks(int rank) const;
  /// FBPINN's window of subdomain s at x: the product over axes of cos^2(pi/2 (x - c)/r), c the
  /// extent's centre and r its half-width, on the extent (0 outside); along an axis with one
  /// subdomain the factor is 1.
  double window(int s, const double* x) const;
  /// The window and its derivatives at x: w, dw[a] = dw/dx_a and d2w[a] = d2w/dx_a^2 for a < dims()
  /// (all zero outside the extent). The window is C1; its second derivative jumps only at the centre of
  /// an edge subdomain, where no other window reaches, so the normalised windows are smooth.
  void window_jet(int s, const double* x, double& w, double* dw, double* d2w) const;
  /// The partition of unity at x: (subdomain, w_s(x) / sum_k w_k(x)) for every subdomain whose
  /// window is positive there; the weights sum to 1.
  std::vector<std::pair<int, double>> unity(const double* x) const;

 private:
  std::vector<double> m_lower, m_upper, m_width;
  std::vector<std::vector<double>> m_cuts;  ///< per axis: empty (equal widths) or the faces' positions
  std::vector<int> m_counts;
  double m_overlap = 0;
  int m_ranks = 1;
  std::vector<Subdomain> m_subdomains;
  std::vector<Interface> m_interfaces;
};

}  // namespace npde::decomp
