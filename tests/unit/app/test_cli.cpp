// SPDX-License-Identifier: BSD-3-Clause
// Tests of the npde command line parser and of the OpenBLAS kernel choice made at launch.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "npde/app/blas_env.hpp"
#include "npde/app/cli.hpp"

namespace {

using npde::app::blas_core_fix;
using npde::app::CommandLine;
using npde::app::parse_command_line;

/// Parses {"npde", args...} as main() would receive it.
CommandLine parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"npde"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(int(argv.size()), argv.data());
}

using Strings = std::vector<std::string>;

TEST(CommandLine, VerbAndDeck) {
  for (const char* verb : {"train", "reference", "info"}) {
    const auto cl = parse({verb, "inputs/poisson2d.yaml"});
    EXPECT_TRUE(cl.error.empty()) << cl.error;
    EXPECT_EQ(cl.verb, verb);
    EXPECT_EQ(cl.deck, "inputs/poisson2d.yaml");
    EXPECT_TRUE(cl.sets.empty() && cl.petsc_args.empty() && cl.kokkos_args.empty());
    EXPECT_FALSE(cl.help || cl.version || cl.quiet);
  }
}

TEST(CommandLine, SetsKeepTheirOrderInBothSpellings) {
  // A later --set wins in the deck parser, so the order must survive parsing.
  const auto cl = parse({"--set", "training.seed=1", "train", "d.yaml", "--set=training.seed=2", "--set",
                         "reference.petsc=-ksp_rtol=1e-10", "--quiet"});
  ASSERT_TRUE(cl.error.empty()) << cl.error;
  EXPECT_EQ(cl.sets, (Strings{"training.seed=1", "training.seed=2", "reference.petsc=-ksp_rtol=1e-10"}));
  EXPECT_EQ(cl.verb, "train");
  EXPECT_EQ(cl.deck, "d.yaml");
  EXPECT_TRUE(cl.quiet);
}

TEST(CommandLine, PetscOptionsTakeTheirValues) {
  const auto cl = parse({"reference", "d.yaml", "-ksp_type", "cg", "-ksp_monitor", "-pc_type", "gamg", "-ksp_rtol",
                         "1e-10", "-mat_shift", "-0.5", "-log_view"});
  ASSERT_TRUE(cl.error.empty()) << cl.error;
  // A flag followed by another option has no value; a negative number is a value, not an option.
  EXPECT_EQ(cl.petsc_args, (Strings{"-ksp_type", "cg", "-ksp_monitor", "-pc_type", "gamg", "-ksp_rtol", "1e-10",
                                    "-mat_shift", "-0.5", "-log_view"}));
  EXPECT_EQ(cl.deck, "d.yaml");
}

TEST(CommandLine, KokkosOptionsAreSeparated) {
  const auto cl = parse({"train", "--kokkos-num-threads=2", "d.yaml", "-ksp_type", "cg"});
  ASSERT_TRUE(cl.error.empty()) << cl.error;
  EXPECT_EQ(cl.kokkos_args, (Strings{"--kokkos-num-threads=2"}));
  EXPECT_EQ(cl.petsc_args, (Strings{"-ksp_type", "cg"}));
  EXPECT_EQ(cl.deck, "d.yaml");
}

TEST(CommandLine, HelpAndVersionNeedNoCommand) {
  for (const char* h : {"--help", "-h", "-help"}) {
    const auto cl = parse({h});
    EXPECT_TRUE(cl.help) << h;
    EXPECT_TRUE(cl.error.empty()) << h << ": " << cl.error;
  }
  const auto v = parse({"--version"});
  EXPECT_TRUE(v.version);
  EXPECT_TRUE(v.error.empty()) << v.error;
  // --help wins over an otherwise broken command line: the user asked how to write it.
  const auto hb = parse({"bogus", "--help"});
  EXPECT_TRUE(hb.help);
  EXPECT_TRUE(hb.error.empty()) << hb.error;
}

TEST(CommandLine, ErrorsAreOneLineAndNameTheProblem) {
  struct Case {
    std::initializer_list<const char*> args;
    const char* mentions;
  };
  const Case cases[] = {
      {{}, "missing command"},
      {{"trian", "d.yaml"}, "trian"},
      {{"train"}, "missing input deck"},
      {{"train", "a.yaml", "b.yaml"}, "b.yaml"},
      {{"train", "d.yaml", "--sett", "x=1"}, "--sett"},
      {{"train", "d.yaml", "--set"}, "--set"},
  };
  for (const auto& c : cases) {
    const auto cl = parse(c.args);
    ASSERT_FALSE(cl.error.empty()) << "expected an error mentioning " << c.mentions;
    EXPECT_NE(cl.error.find(c.mentions), std::string::npos) << cl.error;
    EXPECT_EQ(cl.error.find('\n'), std::string::npos) << cl.error;
  }
}

TEST(CommandLine, UsageListsCommandsAndExitCodes) {
  const std::string u = npde::app::usage();
  for (const char* word : {"usage:", "train", "reference", "info", "--set", "--quiet", "--version", "exit codes"})
    EXPECT_NE(u.find(word), std::string::npos) << word;
}

// Flag lines as /proc/cpuinfo prints them after "flags\t\t:".
const std::string k_avx512 =
    " fpu vme de pse tsc msr sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi2 avx512f avx512dq avx512cd"
    " avx512bw avx512vl avx512_vnni";
const std::string k_avx512_bf16 = k_avx512 + " avx512_bf16";
const std::string k_avx2 = " fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi1 bmi2";
const std::string k_sse = " fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt";

TEST(BlasCoreFix, GenericFallbackOnAvx512) {
  for (const char* generic : {"Prescott", "Core2", "Nehalem", "Atom", "unknown"}) {
    EXPECT_EQ(blas_core_fix(generic, k_avx512), "SkylakeX") << generic;
    EXPECT_EQ(blas_core_fix(generic, k_avx512_bf16), "Cooperlake") << generic;
  }
}

TEST(BlasCoreFix, GenericFallbackOnAvx2) {
  EXPECT_EQ(blas_core_fix("Prescott", k_avx2), "Haswell");
  // AVX-512 foundation alone (no BW/VL, as on Knights Landing) is not SkylakeX: use the AVX2 kernels.
  EXPECT_EQ(blas_core_fix("Prescott", k_avx2 + " avx512f avx512cd"), "Haswell");
}

TEST(BlasCoreFix, NothingBetterToOffer) {
  EXPECT_EQ(blas_core_fix("Prescott", k_sse), "");
  EXPECT_EQ(blas_core_fix("Prescott", ""), "");
  // Haswell kernels use FMA: AVX2 without it does not qualify; flags match whole words only.
  EXPECT_EQ(blas_core_fix("Nehalem", " sse4_2 avx avx2"), "");
  EXPECT_EQ(blas_core_fix("Nehalem", " sse4_2 xavx2 fmax"), "");
}

TEST(BlasCoreFix, DetectedCoresAreLeftAlone) {
  for (const char* good : {"SkylakeX", "Cooperlake", "Haswell", "Zen", "SapphireRapids", "Sandybridge"}) {
    EXPECT_EQ(blas_core_fix(good, k_avx512_bf16), "") << good;
    EXPECT_EQ(blas_core_fix(good, k_avx2), "") << good;
  }
}

}  // namespace
