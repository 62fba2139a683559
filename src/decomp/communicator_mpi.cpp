// SPDX-License-Identifier: BSD-3-Clause
// MPI implementation of decomp::Communicator.
#include <mpi.h>

#include <cstdlib>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"

#define NPDE_MPI_CHECK(call)                                                  \
  do {                                                                        \
    const int npde_mpi_rc_ = (call);                                          \
    NPDE_REQUIRE(npde_mpi_rc_ == MPI_SUCCESS, #call " returned " << npde_mpi_rc_); \
  } while (0)

namespace npde::decomp {

struct Communicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  explicit Impl(MPI_Comm parent) {
    // Duplicate: npde's messages can then never match the application's.
    NPDE_MPI_CHECK(MPI_Comm_dup(parent, &comm));
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
  }
  ~Impl() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

Communicator Communicator::world() { return Communicator(std::make_shared<Impl>(MPI_COMM_WORLD)); }
Communicator Communicator::self() { return Communicator(std::make_shared<Impl>(MPI_COMM_SELF)); }

Communicator Communicator::split(int color) const {
  MPI_Comm part = MPI_COMM_NULL;
  NPDE_MPI_CHECK(MPI_Comm_split(m_impl->comm, color, m_impl->rank, &part));
  auto impl = std::make_shared<Impl>(part);  // a duplicate of the part, owned as every other
  MPI_Comm_free(&part);
  return Communicator(std::move(impl));
}

int Communicator::rank() const { return m_impl->rank; }
int Communicator::size() const { return m_impl->size; }
void* Communicator::native_handle() const { return &m_impl->comm; }

void Communicator::abort(int code) const {
  MPI_Abort(m_impl->comm, code);
  std::abort();  // MPI_Abort does not return; keeps [[noreturn]] honest
}

void Communicator::barrier() const { NPDE_MPI_CHECK(MPI_Barrier(m_impl->comm)); }

void Communicator::allreduce_sum(double* data, std::size_t n) const {
  if (m_impl->size == 1 || n == 0) return;
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, m_impl->comm));
}
void Communicator::allreduce_sum(float* data, std::size_t n) const {
  if (m_impl->size == 1 || n == 0) return;
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_FLOAT, MPI_SUM, m_impl->comm));
}
double Communicator::sum(double v) const {
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, m_impl->comm));
  return v;
}
long long Communicator::sum(long long v) const {
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_LONG_LONG, MPI_SUM, m_impl->comm));
  return v;
}
double Communicator::max(double v) const {
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, m_impl->comm));
  return v;
}
double Communicator::min(double v) const {
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MIN, m_impl->comm));
  return v;
}
bool Communicator::any(bool v) const {
  int x = v ? 1 : 0;
  NPDE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_INT, MPI_MAX, m_impl->comm));
  return x != 0;
}

std::string Communicator::broadcast(const std::string& s) const {
  unsigned long long n = s.size();
  NPDE_MPI_CHECK(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, m_impl->comm));
  std::string out = m_impl->rank == 0 ? s : std::string(n, '\0');
  if (n > 0) NPDE_MPI_CHECK(MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, m_impl->comm));
  return out;
}

namespace {
/// Collective. Gathers every rank's item count n; fills counts and displacements, returns the total.
int gather_counts(MPI_Comm comm, int p, int n, std::vector<int>& counts, std::vector<int>& displs) {
  counts.assign(p, 0);
  displs.assign(p, 0);
  NPDE_MPI_CHECK(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm));
  int total = 0;
  for (int r = 0; r < p; ++r) {
    displs[r] = total;
    total += counts[r];
  }
  return total;
}
}  // namespace

std::vector<std::string> Communicator::allgather(const std::string& s) const {
  const int p = m_impl->size, n = static_cast<int>(s.size());
  std::vector<int> counts, displs;
  std::string all(gather_counts(m_impl->comm, p, n, counts, displs), '\0');
  NPDE_MPI_CHECK(MPI_Allgatherv(s.data(), n, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR,
                                m_impl->comm));
  std::vector<std::string> out(p);
  for (int r = 0; r < p; ++r) out[r] = all.substr(displs[r], counts[r]);
  return out;
}

std::vector<double> Communicator::allgatherv(const std::vector<double>& local) const {
  const int p = m_impl->size, n = static_cast<int>(local.size());
  std::vector<int> counts, displs;
  std::vector<double> all(gather_counts(m_impl->comm, p, n, counts, displs));
  NPDE_MPI_CHECK(MPI_Allgatherv(local.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                                MPI_DOUBLE, m_impl->comm));
  return all;
}

Range block_range(std::size_t n, int rank, int size) {
  const std::size_t q = n / size, r = n % size, k = static_cast<std::size_t>(rank);
  Range out;
  out.begin = k * q + (k < r ? k : r);
  out.end = out.begin + q + (k < r ? 1 : 0);
  return out;
}

}  // namespace npde::decomp
