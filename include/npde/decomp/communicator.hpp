// SPDX-License-Identifier: BSD-3-Clause
// npde's own communicator: a duplicate of the one it is given, so library messages never
// match user messages. Every collective operation npde performs goes through it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace npde::decomp {

/// Handle to a duplicated MPI communicator (shared; freed with the last copy).
/// Collective operations are marked so; they must be called by every rank in the same order.
class Communicator {
 public:
  /// Duplicate of MPI_COMM_WORLD. Collective on MPI_COMM_WORLD.
  static Communicator world();
  /// Duplicate of MPI_COMM_SELF (for per-rank solves).
  static Communicator self();
  /// Collective. The ranks with the same `color` form a new communicator, ordered as in this one.
  Communicator split(int color) const;

  int rank() const;
  int size() const;
  bool is_root() const { return rank() == 0; }

  /// Collective. Blocks until every rank arrives.
  void barrier() const;
  /// Collective. In-place elementwise sum over ranks of n host values.
  void allreduce_sum(double* data, std::size_t n) const;
  void allreduce_sum(float* data, std::size_t n) const;
  /// Collective. Sum / max / min of one value over ranks.
  double sum(double v) const;
  long long sum(long long v) const;
  double max(double v) const;
  double min(double v) const;
  /// Collective. True on every rank iff `v` is true on any rank (one reduction).
  bool any(bool v) const;
  /// Collective. Broadcast a string from root (rank 0) to all ranks.
  std::string broadcast(const std::string& s) const;
  /// Collective. Gathers one string per rank onto every rank.
  std::vector<std::string> allgather(const std::string& s) const;
  /// Collective. Gathers variable-length double arrays from all ranks onto every rank,
  /// concatenated in rank order.
  std::vector<double> allgatherv(const std::vector<double>& local) const;

  /// Terminates every process of the job (MPI_Abort): for failures that may have hit one rank only.
  [[noreturn]] void abort(int code) const;

  /// Opaque native handle (an MPI_Comm); use decomp/mpi_native.hpp to read it.
  void* native_handle() const;

 private:
  struct Impl;
  explicit Communicator(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}
  std::shared_ptr<Impl> m_impl;
};

/// Contiguous block partition of n items over `size` parts: [begin, end) of part `rank`.
/// The first n % size parts get one extra item.
struct Range {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
};
Range block_range(std::size_t n, int rank, int size);

}  // namespace npde::decomp
