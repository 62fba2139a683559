// SPDX-License-Identifier: BSD-3-Clause
// OpenBLAS environment check and one-time re-execution.
#include "npde/app/blas_env.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "npde/nn/gemm.hpp"

namespace npde::app {

namespace {
std::set<std::string> split_flags(const std::string& line) {
  std::istringstream is(line);
  std::set<std::string> s;
  std::string w;
  while (is >> w) s.insert(w);
  return s;
}

std::string cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 5, "flags") == 0) return line.substr(line.find(':') + 1);
  return "";
}
}  // namespace

std::string blas_core_fix(const std::string& detected, const std::string& flags_line) {
  // Cores OpenBLAS 0.3.21 falls back to when it does not know a CPU model.
  static const std::set<std::string> generic{"Prescott", "Core2", "Nehalem", "Penryn", "Dunnington",
                                             "Katmai",   "Northwood", "Banias", "Atom", "unknown"};
  if (!generic.count(detected)) return "";
  const auto f = split_flags(flags_line);
  const bool avx512 = f.count("avx512f") && f.count("avx512bw") && f.count("avx512vl") && f.count("avx512dq") &&
                      f.count("avx512cd");
  if (avx512) return f.count("avx512_bf16") ? "Cooperlake" : "SkylakeX";
  if (f.count("avx2") && f.count("fma")) return "Haswell";
  return "";
}

void ensure_blas_environment(char** argv) {
  if (std::getenv("NPDE_NO_REEXEC")) return;
  bool changed = false;
  if (!std::getenv("OPENBLAS_NUM_THREADS")) {
    setenv("OPENBLAS_NUM_THREADS", "1", 1);  // MPI ranks own the cores; a second pool halves speed
    changed = true;
  }
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    const std::string fix = blas_core_fix(nn::blas_core_name(), cpu_flags());
    if (!fix.empty()) {
      setenv("OPENBLAS_CORETYPE", fix.c_str(), 1);
      changed = true;
    }
  }
  if (!changed) return;
  setenv("NPDE_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

}  // namespace npde::app
