// SPDX-License-Identifier: BSD-3-Clause
// Checkpoint files: bit-exact round trips, rotation, and refusal of every truncated or corrupted copy.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "npde/core/sha256.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/io/checkpoint.hpp"

namespace fs = std::filesystem;
using npde::io::Checkpoint;
using npde::io::CheckpointError;

namespace {

// A fresh folder per test under the build tree, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag)
      : m_dir(fs::path(NPDE_BINARY_DIR) / "test_scratch" / ("ckpt_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  std::string path(const std::string& name = "") const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

// Values whose bits a lossy path would change: signed zero, subnormals, infinities, NaN, 2^53 + 1.
Checkpoint make_sample(std::uint64_t seed) {
  Checkpoint cp;
  cp.text["deck"] = "problem:\n  pde: poisson\n# --set training.seed=3\n";
  cp.text["precision"] = "double";
  cp.text["utf8 key"] = "\xce\xbb = 0.5, \xe2\x88\x87u";
  cp.text["empty"] = "";
  cp.scalars["global_iteration"] = 9007199254740993.0 - 1.0;
  cp.scalars["lr_scale"] = 0.125;
  cp.scalars["negative_zero"] = -0.0;
  cp.scalars["nan"] = std::numeric_limits<double>::quiet_NaN();
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> params(257);
  for (auto& v : params) v = normal(gen);
  params[0] = -0.0;
  params[1] = std::numeric_limits<double>::denorm_min();
  params[2] = std::numeric_limits<double>::infinity();
  params[3] = std::numeric_limits<double>::quiet_NaN();
  cp.arrays["params"] = params;
  cp.arrays["adam/m"] = std::vector<double>(params.rbegin(), params.rend());
  cp.arrays["history/loss"] = {1.0, 0.5, 0.25};
  cp.arrays["lbfgs/rho"] = {};
  return cp;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// A CheckpointError must be one line naming the file (it is printed as the run's only error line).
void expect_one_line_naming(const CheckpointError& e, const std::string& path) {
  const std::string m = e.what();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find(path), std::string::npos) << m;
}

// Outcome of reading a damaged copy: refused cleanly, or accepted with exactly the original content.
void expect_refused_or_identical(const std::string& path, const std::string& original_bytes, const std::string& what) {
  try {
    const Checkpoint got = npde::io::read_checkpoint(path);
    EXPECT_EQ(got.serialize(), original_bytes) << what << ": a different payload was accepted";
  } catch (const CheckpointError& e) {
    expect_one_line_naming(e, path);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": exception other than CheckpointError: " << e.what();
  }
}

// Rewrites the user-block seal of an HDF5 file as documented in checkpoint.hpp, as a deliberate
// edit (or a foreign writer) would, so the checks behind the seal can be reached.
void reseal(const std::string& path) {
  std::string bytes = read_bytes(path);
  const std::size_t ub = npde::io::kCheckpointUserblock;
  ASSERT_GT(bytes.size(), ub);
  std::string line = "npde-checkpoint sha256 " + npde::sha256_hex(bytes.substr(ub)) + " size " +
                     std::to_string(bytes.size()) + "\n";
  line.resize(ub, '\0');
  bytes.replace(0, ub, line);
  write_bytes(path, bytes);
}

// Opens `path` read-write, overwrites the scalar integer attribute schema_version and reseals.
void set_schema_version(const std::string& path, long long version) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
  ASSERT_GE(a, 0);
  EXPECT_GE(H5Awrite(a, H5T_NATIVE_LLONG, &version), 0);
  H5Aclose(a);
  H5Fclose(f);
  reseal(path);
}

// An HDF5 file with one dataset and no checkpoint attributes; with a user block if `userblock`.
void write_plain_hdf5(const std::string& path, bool userblock) {
  const hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (userblock) H5Pset_userblock(fcpl, npde::io::kCheckpointUserblock);
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hsize_t n = 4;
  const double v[4] = {1, 2, 3, 4};
  const hid_t s = H5Screate_simple(1, &n, nullptr);
  const hid_t d = H5Dcreate2(f, "u", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  H5Sclose(s);
  H5Fclose(f);
  H5Pclose(fcpl);
}

}  // namespace

TEST(Checkpoint, SerializeRoundTripIsBitExact) {
  const Checkpoint cp = make_sample(1);
  const std::string bytes = cp.serialize();
  const Checkpoint back = Checkpoint::deserialize(bytes);
  EXPECT_EQ(back.serialize(), bytes);
  EXPECT_EQ(back.text, cp.text);
  ASSERT_EQ(back.arrays.size(), cp.arrays.size());
  for (const auto& [k, v] : cp.arrays) {
    ASSERT_EQ(back.array(k).size(), v.size()) << k;
    if (!v.empty()) {  // memcmp must not see the null data() of an empty vector
      EXPECT_EQ(std::memcmp(back.array(k).data(), v.data(), v.size() * sizeof(double)), 0) << k;
    }
  }
  EXPECT_TRUE(std::signbit(back.scalar("negative_zero")));
  EXPECT_TRUE(std::isnan(back.scalar("nan")));
  EXPECT_EQ(back.checksum(), cp.checksum());
  EXPECT_EQ(cp.checksum().size(), 64u);
  // The checksum sees every value: one changed bit of one parameter changes it.
  Checkpoint changed = cp;
  changed.arrays["params"][100] = std::nextafter(changed.arrays["params"][100], 1e300);
  EXPECT_NE(changed.checksum(), cp.checksum());
  EXPECT_THROW(cp.scalar("missing"), CheckpointError);
  EXPECT_THROW(cp.array("missing"), CheckpointError);
  EXPECT_THROW(cp.string("missing"), CheckpointError);
}

TEST(Checkpoint, DeserializeRefusesEveryTruncatedPayload) {
  const std::string bytes = make_sample(2).serialize();
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(Checkpoint::deserialize(bytes.substr(0, n)), CheckpointError) << "prefix of " << n << " bytes";
  EXPECT_THROW(Checkpoint::deserialize("npde-checkpoint-payload-2" + bytes.substr(25)), CheckpointError);
}

TEST(Checkpoint, FileRoundTripIsBitExact) {
  ScratchDir dir("roundtrip");
  const Checkpoint cp = make_sample(3);
  const std::string path = npde::io::write_checkpoint(dir.path(), 42, cp, 3);
  EXPECT_EQ(path, dir.path("ckpt-0000000042.h5"));
  EXPECT_EQ(npde::io::read_checkpoint(path).serialize(), cp.serialize());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_FALSE(fs::exists(dir.path("latest.tmp")));
  // The seal is the documented line: resealing an untouched file changes no byte.
  const std::string bytes = read_bytes(path);
  reseal(path);
  EXPECT_EQ(read_bytes(path), bytes);
}

TEST(Checkpoint, KeepsTheNewestAndPointsLatestAtIt) {
  ScratchDir dir("keep");
  for (long tag = 10; tag <= 50; tag += 10) npde::io::write_checkpoint(dir.path(), tag, make_sample(tag), 3);
  // a killed write leaves a temporary behind; the next write removes it
  write_bytes(dir.path("ckpt-0000000055.h5.tmp"), "partial");
  npde::io::write_checkpoint(dir.path(), 60, make_sample(60), 3);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-0000000040.h5", "ckpt-0000000050.h5", "ckpt-0000000060.h5",
                                             "latest"}));
  EXPECT_EQ(read_bytes(dir.path("latest")), "ckpt-0000000060.h5\n");
  EXPECT_EQ(npde::io::restart_candidates(dir.path()),
            (std::vector<std::string>{dir.path("ckpt-0000000060.h5"), dir.path("ckpt-0000000050.h5"),
                                      dir.path("ckpt-0000000040.h5")}));
  // A run restarted from an older checkpoint writes smaller tags: the file just written is kept
  // (latest must never point at a removed file), older ones make room.
  const std::string p = npde::io::write_checkpoint(dir.path(), 5, make_sample(5), 3);
  EXPECT_TRUE(fs::exists(p));
  EXPECT_EQ(read_bytes(dir.path("latest")), "ckpt-0000000005.h5\n");
  EXPECT_EQ(npde::io::restart_candidates(dir.path()).front(), p);
  EXPECT_EQ(npde::io::read_checkpoint(npde::io::restart_candidates(dir.path()).front()).serialize(),
            make_sample(5).serialize());
  // keep = 1 leaves only the newest.
  npde::io::write_checkpoint(dir.path(), 70, make_sample(70), 1);
  EXPECT_EQ(npde::io::restart_candidates(dir.path()), (std::vector<std::string>{dir.path("ckpt-0000000070.h5")}));
}

TEST(Checkpoint, EveryTruncatedFileIsRefused) {
  ScratchDir dir("truncated");
  const std::string good = npde::io::write_checkpoint(dir.path(), 1, make_sample(4), 3);
  const std::string bytes = read_bytes(good);
  ASSERT_GT(bytes.size(), 1000u);
  std::mt19937_64 gen(20240601);
  std::uniform_int_distribution<std::size_t> length(1, bytes.size() - 2);
  std::vector<std::size_t> lengths{0, 1, bytes.size() / 2, bytes.size() - 1};
  while (lengths.size() < 24) lengths.push_back(length(gen));
  for (std::size_t n : lengths) {
    const std::string path = dir.path("cut-" + std::to_string(n) + ".h5");
    write_bytes(path, bytes.substr(0, n));
    try {
      npde::io::read_checkpoint(path);
      ADD_FAILURE() << "a copy truncated to " << n << " of " << bytes.size() << " bytes was accepted";
    } catch (const CheckpointError& e) {
      expect_one_line_naming(e, path);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "truncated to " << n << ": exception other than CheckpointError: " << e.what();
    }
  }
}

TEST(Checkpoint, BitFlipsAreRefusedOrHarmless) {
  ScratchDir dir("bitflip");
  const Checkpoint cp = make_sample(5);
  const std::string original = cp.serialize();
  const std::string good = npde::io::write_checkpoint(dir.path(), 1, cp, 3);
  const std::string bytes = read_bytes(good);
  // Only the zero padding of the user block after the seal line is unused by both HDF5 and the seal.
  const std::size_t padding_begin = bytes.find('\n') + 1;
  ASSERT_LT(padding_begin, npde::io::kCheckpointUserblock);
  std::mt19937_64 gen(777);
  std::uniform_int_distribution<std::size_t> offset(0, bytes.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7);
  std::vector<std::size_t> offsets{0, padding_begin - 1, padding_begin, npde::io::kCheckpointUserblock,
                                   bytes.size() - 1};
  while (offsets.size() < 64) offsets.push_back(offset(gen));
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t at = offsets[i];
    std::string damaged = bytes;
    damaged[at] = char(damaged[at] ^ (1 << bit(gen)));
    const std::string path = dir.path("flip-" + std::to_string(i) + ".h5");
    write_bytes(path, damaged);
    const bool harmless = at >= padding_begin && at < npde::io::kCheckpointUserblock;
    expect_refused_or_identical(path, original, "flip at byte " + std::to_string(at));
    bool accepted = false;
    try {
      npde::io::read_checkpoint(path);
      accepted = true;
    } catch (const std::exception&) {
    }
    EXPECT_EQ(accepted, harmless) << "flip at byte " << at << " of " << bytes.size();
  }
  // A flipped parameter bit is caught even when the file is resealed (payload checksum).
  const std::string needle(reinterpret_cast<const char*>(&cp.arrays.at("params")[4]), 8);
  const std::size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  for (int i = 0; i < 8; ++i) {
    std::string damaged = bytes;
    damaged[at + std::size_t(i)] = char(damaged[at + std::size_t(i)] ^ (1 << bit(gen)));
    const std::string path = dir.path("payload-" + std::to_string(i) + ".h5");
    write_bytes(path, damaged);
    reseal(path);
    try {
      npde::io::read_checkpoint(path);
      ADD_FAILURE() << "a changed parameter was accepted";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
    }
  }
}

TEST(Checkpoint, LoadRestartSkipsACorruptNewestFile) {
  ScratchDir dir("fallback");
  const auto comm = npde::decomp::Communicator::self();
  for (long tag = 1; tag <= 3; ++tag) npde::io::write_checkpoint(dir.path(), tag, make_sample(100 + tag), 3);
  const std::string newest = dir.path("ckpt-0000000003.h5");
  std::string bytes = read_bytes(newest);
  write_bytes(newest, bytes.substr(0, bytes.size() / 2));
  // a stale temporary of an interrupted write is not a candidate
  write_bytes(dir.path("ckpt-0000000004.h5.tmp"), bytes.substr(0, 100));

  std::string used;
  testing::internal::CaptureStderr();
  const Checkpoint cp = npde::io::load_restart(comm, dir.path(), "", &used);
  const std::string warnings = testing::internal::GetCapturedStderr();
  EXPECT_EQ(used, dir.path("ckpt-0000000002.h5"));
  EXPECT_EQ(cp.serialize(), make_sample(102).serialize());
  EXPECT_NE(warnings.find("skipping checkpoint"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find(newest), std::string::npos) << warnings;

  // An explicit file is used or refused, never replaced by another one.
  try {
    npde::io::load_restart(comm, dir.path(), newest, &used);
    ADD_FAILURE() << "an explicit corrupt checkpoint was accepted";
  } catch (const CheckpointError& e) {
    expect_one_line_naming(e, newest);
  }
  EXPECT_EQ(npde::io::load_restart(comm, dir.path(), dir.path("ckpt-0000000001.h5"), &used).serialize(),
            make_sample(101).serialize());
  EXPECT_EQ(used, dir.path("ckpt-0000000001.h5"));

  // Nothing valid left: refused with a message naming the folder.
  for (long tag = 1; tag <= 2; ++tag) write_bytes(dir.path("ckpt-000000000" + std::to_string(tag) + ".h5"), "x");
  testing::internal::CaptureStderr();
  try {
    npde::io::load_restart(comm, dir.path(), "", &used);
    ADD_FAILURE() << "a folder of corrupt checkpoints was accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path()), std::string::npos) << e.what();
  }
  testing::internal::GetCapturedStderr();
  ScratchDir empty("empty");
  EXPECT_THROW(npde::io::load_restart(comm, empty.path("missing"), "", &used), CheckpointError);
}

TEST(Checkpoint, RefusesOtherSchemasAndOtherFiles) {
  ScratchDir dir("schema");
  const std::string path = npde::io::write_checkpoint(dir.path(), 7, make_sample(6), 3);
  set_schema_version(path, npde::io::kCheckpointSchema + 1);
  try {
    npde::io::read_checkpoint(path);
    ADD_FAILURE() << "a future schema was accepted";
  } catch (const CheckpointError& e) {
    expect_one_line_naming(e, path);
    EXPECT_NE(std::string(e.what()).find("schema version"), std::string::npos) << e.what();
  }
  // An HDF5 file that is not a checkpoint (e.g. a results file passed to --restart by mistake).
  // and one with a valid seal but none of the checkpoint attributes.
  for (bool sealed : {false, true}) {
    const std::string other = dir.path(sealed ? "sealed.h5" : "results.h5");
    write_plain_hdf5(other, sealed);
    if (sealed) reseal(other);
    try {
      npde::io::read_checkpoint(other);
      ADD_FAILURE() << "an HDF5 file without checkpoint attributes was accepted";
    } catch (const CheckpointError& e) {
      expect_one_line_naming(e, other);
      EXPECT_NE(std::string(e.what()).find("not an npde checkpoint"), std::string::npos) << e.what();
    }
  }
  // A checkpoint whose payload was edited consistently at the HDF5 level and resealed: the payload
  // checksum still catches it.
  const std::string edited = npde::io::write_checkpoint(dir.path(), 8, make_sample(7), 3);
  {
    const hid_t f = H5Fopen(edited.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hid_t d = H5Dopen2(f, "/arrays/history/loss", H5P_DEFAULT);
    ASSERT_GE(d, 0);
    const double v[3] = {1.0, 0.5, 0.125};
    EXPECT_GE(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Dclose(d);
    H5Fclose(f);
  }
  reseal(edited);
  try {
    npde::io::read_checkpoint(edited);
    ADD_FAILURE() << "an edited payload was accepted";
  } catch (const CheckpointError& e) {
    expect_one_line_naming(e, edited);
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  const std::string text = dir.path("deck.h5");
  write_bytes(text, "problem:\n  pde: poisson\n");
  EXPECT_THROW(npde::io::read_checkpoint(text), CheckpointError);
  EXPECT_THROW(npde::io::read_checkpoint(dir.path("absent.h5")), CheckpointError);
  EXPECT_THROW(npde::io::read_checkpoint(dir.path()), CheckpointError);
}
