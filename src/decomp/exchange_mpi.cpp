// SPDX-License-Identifier: BSD-3-Clause
// MPI implementation of decomp::Exchange: MPI_Irecv / MPI_Isend, MPI_Waitall.
#include "npde/decomp/exchange.hpp"

#include <mpi.h>

#include <algorithm>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/mpi_native.hpp"

namespace npde::decomp {

struct Exchange::Impl {
  Communicator comm;
  std::vector<MPI_Request> requests;
  struct Local {
    int tag;
    double* dst;
    const double* src;
    std::size_t n;
  };
  std::vector<Local> local_receives, local_sends;
};

Exchange::Exchange(const Communicator& comm) : m_impl(std::make_unique<Impl>(Impl{comm, {}, {}, {}})) {}

Exchange::~Exchange() {
  // never leave a request pending on unwinding
  if (!m_impl->requests.empty())
    MPI_Waitall(int(m_impl->requests.size()), m_impl->requests.data(), MPI_STATUSES_IGNORE);
}

void Exchange::receive(int source, int tag, double* dst, std::size_t n) {
  NPDE_REQUIRE(tag >= 0 && tag < 32768, "message tag " << tag << " out of range");
  if (source == m_impl->comm.rank()) {
    m_impl->local_receives.push_back({tag, dst, nullptr, n});
    return;
  }
  m_impl->requests.emplace_back();
  const int rc = MPI_Irecv(dst, int(n), MPI_DOUBLE, source, tag, native(m_impl->comm), &m_impl->requests.back());
  NPDE_REQUIRE(rc == MPI_SUCCESS, "MPI_Irecv returned " << rc);
}

void Exchange::send(int dest, int tag, const double* src, std::size_t n) {
  NPDE_REQUIRE(tag >= 0 && tag < 32768, "message tag " << tag << " out of range");
  if (dest == m_impl->comm.rank()) {
    m_impl->local_sends.push_back({tag, nullptr, src, n});
    return;
  }
  m_impl->requests.emplace_back();
  // MPI_Isend takes a non-const buffer only in old MPI headers
  const int rc = MPI_Isend(const_cast<double*>(src), int(n), MPI_DOUBLE, dest, tag, native(m_impl->comm),
                           &m_impl->requests.back());
  NPDE_REQUIRE(rc == MPI_SUCCESS, "MPI_Isend returned " << rc);
}

void Exchange::progress() {
  if (m_impl->requests.empty()) return;
  int done = 0;  // completed requests become MPI_REQUEST_NULL, which finish()'s Waitall skips
  const int rc = MPI_Testall(int(m_impl->requests.size()), m_impl->requests.data(), &done, MPI_STATUSES_IGNORE);
  NPDE_REQUIRE(rc == MPI_SUCCESS, "MPI_Testall returned " << rc);
}

void Exchange::finish() {
  for (const auto& s : m_impl->local_sends) {
    auto r = std::find_if(m_impl->local_receives.begin(), m_impl->local_receives.end(),
                          [&](const Impl::Local& l) { return l.tag == s.tag; });
    NPDE_REQUIRE(r != m_impl->local_receives.end() && r->n == s.n,
                 "a message to the own rank (tag " << s.tag << ", " << s.n << " values) has no matching receive");
    std::copy(s.src, s.src + s.n, r->dst);
    m_impl->local_receives.erase(r);
  }
  m_impl->local_sends.clear();
  NPDE_REQUIRE(m_impl->local_receives.empty(), "a receive from the own rank has no matching send");
  if (!m_impl->requests.empty()) {
    const int rc = MPI_Waitall(int(m_impl->requests.size()), m_impl->requests.data(), MPI_STATUSES_IGNORE);
    m_impl->requests.clear();
    NPDE_REQUIRE(rc == MPI_SUCCESS, "MPI_Waitall returned " << rc);
  }
}

}  // namespace npde::decomp
