// SPDX-License-Identifier: BSD-3-Clause
// Non-blocking point-to-point messages between ranks (the interface exchange of multi-domain PINNs):
// receives and sends are posted, local work goes on, finish() completes them. A message to the own
// rank is the same call; it is copied at finish() without MPI.
#pragma once

#include <cstddef>
#include <memory>

#include "npde/decomp/communicator.hpp"

namespace npde::decomp {

class Exchange {
 public:
  explicit Exchange(const Communicator& comm);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Posts the receive of n doubles from rank `source` with `tag` (>= 0, below 32768) into dst, which
  /// must stay valid until finish().
  void receive(int source, int tag, double* dst, std::size_t n);
  /// Posts the send of n doubles to rank `dest` with `tag`; src must stay valid and unchanged until
  /// finish(). A send to the own rank needs a matching receive (same tag and size) before finish().
  void send(int dest, int tag, const double* src, std::size_t n);
  /// Lets the posted messages advance without waiting for them (MPI_Testall): large messages move
  /// only while their ranks are inside MPI, so a caller computing between posting and finish() calls
  /// this now and then.
  void progress();
  /// Completes every posted message (received data is in place afterwards). Throws npde::Error for a
  /// message to the own rank without a matching receive.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace npde::decomp
