// SPDX-License-Identifier: BSD-3-Clause
// A scratch folder shared by all ranks of an MPI test, removed at the end.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "npde/decomp/communicator.hpp"

namespace npde::test {

/// <build>/test_scratch/<tag>_<pid of rank 0>: created empty by rank 0, removed by rank 0 when
/// the object goes out of scope. Collective constructor and destructor (one barrier each), so no
/// rank writes before the folder exists or after it is gone. Needs NPDE_BINARY_DIR (set for every
/// test target by tests/CMakeLists.txt).
class SharedScratch {
 public:
  SharedScratch(const decomp::Communicator& comm, const std::string& tag) : m_comm(comm) {
    const std::string name = comm.broadcast(tag + "_" + std::to_string(::getpid()));
    m_dir = std::filesystem::path(NPDE_BINARY_DIR) / "test_scratch" / name;
    if (comm.is_root()) {
      std::filesystem::remove_all(m_dir);
      std::filesystem::create_directories(m_dir);
    }
    comm.barrier();
  }
  ~SharedScratch() {
    m_comm.barrier();
    if (m_comm.is_root()) std::filesystem::remove_all(m_dir);
  }
  SharedScratch(const SharedScratch&) = delete;
  SharedScratch& operator=(const SharedScratch&) = delete;

  /// Path of `name` inside the folder.
  std::string file(const std::string& name) const { return (m_dir / name).string(); }
  const std::filesystem::path& dir() const { return m_dir; }

 private:
  decomp::Communicator m_comm;
  std::filesystem::path m_dir;
};

}  // namespace npde::test
