// SPDX-License-Identifier: BSD-3-Clause
// The npde command: a thin driver over the library (see app/driver.hpp).
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdio>

#include "npde/app/blas_env.hpp"
#include "npde/app/cli.hpp"
#include "npde/app/driver.hpp"
#include "npde/app/signals.hpp"
#include "npde/core/log.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/reference/petsc_env.hpp"

int main(int argc, char** argv) {
  // 1. BLAS environment first: OpenBLAS reads it when it is loaded, so this may re-execute us.
  npde::app::ensure_blas_environment(argv);
  npde::nn::blas_set_single_thread();
  // 2. MPI, then our own arguments (Kokkos 3.4 would print its own help block for --help).
  MPI_Init(&argc, &argv);
  int rc = npde::app::ExitSuccess;
  {
    const auto comm = npde::decomp::Communicator::world();
    npde::log::set_rank(comm.rank(), comm.size());
    const auto cl = npde::app::parse_command_line(argc, argv);
    if (cl.help) {
      if (comm.is_root()) std::fputs(npde::app::usage().c_str(), stdout);
    } else if (!cl.error.empty()) {
      if (comm.is_root()) std::fprintf(stderr, "npde error: %s\n", cl.error.c_str());
      rc = npde::app::ExitInput;
    } else {
      // 3. Kokkos, then PETSc, each with only its own options; finalised in reverse order.
      std::vector<std::string> kargs{argv[0]};
      kargs.insert(kargs.end(), cl.kokkos_args.begin(), cl.kokkos_args.end());
      std::vector<std::string> pargs{argv[0]};
      pargs.insert(pargs.end(), cl.petsc_args.begin(), cl.petsc_args.end());
      std::vector<char*> kptr, pptr;
      for (auto& s : kargs) kptr.push_back(s.data());
      for (auto& s : pargs) pptr.push_back(s.data());
      int kc = int(kptr.size()), pc = int(pptr.size());
      kptr.push_back(nullptr);
      pptr.push_back(nullptr);
      char** kv = kptr.data();
      char** pv = pptr.data();
      Kokkos::initialize(kc, kv);
      npde::reference::initialize(&pc, &pv);
      if (cl.version) {
        if (comm.is_root()) std::printf("%s\n", npde::app::version_text().c_str());
      } else {
        npde::app::install_stop_signals();
        rc = npde::app::run(comm, cl);  // every View it made is out of scope when it returns
      }
      npde::reference::finalize();
      Kokkos::finalize();
    }
    if (rc == npde::app::ExitFailure && comm.size() > 1) {
      // A runtime failure may have hit one rank only; the others could wait forever in a collective.
      std::fflush(stdout);
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, rc);
    }
  }
  MPI_Finalize();
  return rc;
}
