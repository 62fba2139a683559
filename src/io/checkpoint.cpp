// SPDX-License-Identifier: BSD-3-Clause
// Checkpoint serialisation, atomic HDF5 write, validated read, restart lookup.
#include "npde/io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "npde/core/log.hpp"
#include "npde/core/sha256.hpp"
#include "npde/io/h5_file.hpp"

namespace npde::io {

namespace fs = std::filesystem;

// ---- canonical serialisation ----------------------------------------------------------------

namespace {
void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
void put_str(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}
struct Reader {
  const std::string& b;
  std::size_t pos = 0;
  std::uint64_t u64() {
    if (pos + 8 > b.size()) throw CheckpointError("checkpoint payload is truncated");
    std::uint64_t v;
    std::memcpy(&v, b.data() + pos, 8);
    pos += 8;
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    if (n > b.size() - pos) throw CheckpointError("checkpoint payload is truncated");
    std::string s = b.substr(pos, n);
    pos += n;
    return s;
  }
};
}  // namespace

std::string Checkpoint::serialize() const {
  std::string out = "npde-checkpoint-payload-1";
  put_u64(out, text.size());
  for (const auto& [k, v] : text) {
    put_str(out, k);
    put_str(out, v);
  }
  put_u64(out, scalars.size());
  for (const auto& [k, v] : scalars) {
    put_str(out, k);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  put_u64(out, arrays.size());
  for (const auto& [k, v] : arrays) {
    put_str(out, k);
    put_u64(out, v.size());
    if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  }
  return out;
}

Checkpoint Checkpoint::deserialize(const std::string& bytes) {
  static const std::string magic = "npde-checkpoint-payload-1";
  if (bytes.compare(0, magic.size(), magic) != 0) throw CheckpointError("not a checkpoint payload");
  Reader r{bytes, magic.size()};
  Checkpoint cp;
  for (std::uint64_t i = 0, n = r.u64(); i < n; ++i) {
    std::string k = r.str();
    cp.text[k] = r.str();
  }
  for (std::uint64_t i = 0, n = r.u64(); i < n; ++i) {
    std::string k = r.str();
    const std::uint64_t bits = r.u64();
    double v;
    std::memcpy(&v, &bits, 8);
    cp.scalars[k] = v;
  }
  for (std::uint64_t i = 0, n = r.u64(); i < n; ++i) {
    std::string k = r.str();
    const std::uint64_t len = r.u64();
    if (len > (bytes.size() - r.pos) / sizeof(double)) throw CheckpointError("checkpoint payload is truncated");
    std::vector<double> v(len);
    if (len > 0) std::memcpy(v.data(), bytes.data() + r.pos, len * sizeof(double));  // v.data() may be null
    r.pos += len * sizeof(double);
    cp.arrays[k] = std::move(v);
  }
  return cp;
}

std::string Checkpoint::checksum() const { return sha256_hex(serialize()); }

double Checkpoint::scalar(const std::string& key) const {
  const auto it = scalars.find(key);
  if (it == scalars.end()) throw CheckpointError("checkpoint has no value '" + key + "'");
  return it->second;
}
const std::vector<double>& Checkpoint::array(const std::string& key) const {
  const auto it = arrays.find(key);
  if (it == arrays.end()) throw CheckpointError("checkpoint has no array '" + key + "'");
  return it->second;
}
const std::string& Checkpoint::string(const std::string& key) const {
  const auto it = text.find(key);
  if (it == text.end()) throw CheckpointError("checkpoint has no text '" + key + "'");
  return it->second;
}

// ---- durable file operations ------------------------------------------------------------------

namespace {
void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  NPDE_REQUIRE(fd >= 0, "cannot open " << path << " for fsync: " << std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  NPDE_REQUIRE(rc == 0, "fsync of " << path << " failed: " << std::strerror(errno));
}

void atomic_rename(const std::string& from, const std::string& to, const std::string& dir) {
  NPDE_REQUIRE(std::rename(from.c_str(), to.c_str()) == 0,
               "cannot rename " << from << " to " << to << ": " << std::strerror(errno));
  fsync_path(dir, true);  // the rename itself is durable only once the directory is
}

std::string tag_name(long tag) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ckpt-%010ld.h5", tag);
  return buf;
}

void write_attr_string(hid_t obj, const std::string& name, const std::string& value) {
  const auto type = h5::utf8_string_type();
  const char* p = value.c_str();
  h5::write_scalar_attribute(obj, name, type.get(), type.get(), &p);
}

// ---- the whole-file seal in the user block
constexpr const char* k_seal_magic = "npde-checkpoint sha256 ";

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open checkpoint file: " + std::strerror(errno));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The seal of a whole file's bytes (which extend past the user block).
std::string seal_line(const std::string& bytes) {
  Sha256 h;
  h.update(bytes.data() + kCheckpointUserblock, bytes.size() - kCheckpointUserblock);
  return k_seal_magic + h.hex_digest() + " size " + std::to_string(bytes.size()) + "\n";
}

/// Writes the seal of the closed HDF5 file `path` into its (otherwise unused) user block.
void seal_file(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  NPDE_REQUIRE(bytes.size() > kCheckpointUserblock, path << " is shorter than its user block");
  std::string block = seal_line(bytes);
  block.resize(kCheckpointUserblock, '\0');
  const int fd = ::open(path.c_str(), O_WRONLY);
  NPDE_REQUIRE(fd >= 0, "cannot open " << path << " to seal it: " << std::strerror(errno));
  const ssize_t n = ::pwrite(fd, block.data(), block.size(), 0);
  ::close(fd);
  NPDE_REQUIRE(n == ssize_t(block.size()), "cannot seal " << path << ": " << std::strerror(errno));
}

/// Throws CheckpointError unless the file's bytes match the seal in its user block.
void verify_seal(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  const std::string magic = k_seal_magic;
  if (bytes.size() <= kCheckpointUserblock || bytes.compare(0, magic.size(), magic) != 0) {
    if (bytes.compare(0, 8, "\x89HDF\r\n\x1a\n") == 0)
      throw CheckpointError(path + ": not an npde checkpoint (an HDF5 file without the checkpoint seal)");
    throw CheckpointError(path + ": not an npde checkpoint (" +
                          (bytes.empty() ? std::string("empty file") : "no checkpoint seal: truncated or corrupted?") +
                          ")");
  }
  const std::size_t end = bytes.find('\n');
  const std::string stored = end == std::string::npos ? std::string() : bytes.substr(0, end + 1);
  if (stored != seal_line(bytes))
    throw CheckpointError(path + ": whole-file checksum mismatch (truncated, corrupted or modified after writing)");
}

/// Test hook (NPDE_TEST_CHECKPOINT_DELAY_MS): widens the window in which a complete temporary
/// file exists but is not yet renamed, so a test can kill the run inside it.
void test_delay() {
  if (const char* ms = std::getenv("NPDE_TEST_CHECKPOINT_DELAY_MS"))
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atol(ms)));
}
}  // namespace

std::string write_checkpoint(const std::string& dir, long tag, const Checkpoint& cp, int keep) {
  h5::silence_errors();
  std::error_code ec;
  fs::create_directories(dir, ec);
  NPDE_REQUIRE(!ec, "cannot create checkpoint directory " << dir << ": " << ec.message());
  const std::string final_path = (fs::path(dir) / tag_name(tag)).string();
  const std::string tmp_path = final_path + ".tmp";
  {
    h5::PropList fcpl(NPDE_H5_CHECK(H5Pcreate(H5P_FILE_CREATE)));
    NPDE_H5_CHECK(H5Pset_userblock(fcpl.get(), kCheckpointUserblock));
    h5::File f(NPDE_H5_CHECK(H5Fcreate(tmp_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT)));
    write_attr_string(f.get(), "format", "npde-checkpoint");
    const long long schema = kCheckpointSchema;
    h5::write_scalar_attribute(f.get(), "schema_version", H5T_STD_I64LE, H5T_NATIVE_LLONG, &schema);
    write_attr_string(f.get(), "checksum", cp.checksum());
    for (const auto& [k, v] : cp.text) write_attr_string(f.get(), "text:" + k, v);
    for (const auto& [k, v] : cp.scalars)
      h5::write_scalar_attribute(f.get(), "scalar:" + k, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
    h5::PropList lcpl(NPDE_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)));
    NPDE_H5_CHECK(H5Pset_create_intermediate_group(lcpl.get(), 1));
    for (const auto& [k, v] : cp.arrays) {
      const hsize_t n = v.size();
      h5::Dataspace space(NPDE_H5_CHECK(H5Screate_simple(1, &n, nullptr)));
      h5::Dataset ds(NPDE_H5_CHECK(H5Dcreate2(f.get(), ("/arrays/" + k).c_str(), H5T_IEEE_F64LE, space.get(),
                                              lcpl.get(), H5P_DEFAULT, H5P_DEFAULT)));
      if (n > 0) NPDE_H5_CHECK(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
    }
    NPDE_H5_CHECK(H5Fflush(f.get(), H5F_SCOPE_GLOBAL));
    f.close();
  }
  seal_file(tmp_path);
  fsync_path(tmp_path, false);
  test_delay();
  atomic_rename(tmp_path, final_path, dir);
  // Files with higher tags belong to an abandoned continuation (this run restarted from an older
  // checkpoint): the new file supersedes them. Then keep the newest `keep`, the new one included.
  // So the highest tag is always the newest complete state, which is what a restart picks.
  std::vector<std::string> others;
  for (const auto& c : restart_candidates(dir)) {
    if (c == final_path) continue;
    if (fs::path(c).filename().string() > tag_name(tag))
      fs::remove(c, ec);
    else
      others.push_back(c);
  }
  std::sort(others.begin(), others.end(), std::greater<>());
  for (std::size_t i = std::size_t(std::max(keep, 1) - 1); i < others.size(); ++i) fs::remove(others[i], ec);
  // Temporaries of writes that were killed (rank 0 is the only writer of this directory).
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("ckpt-", 0) == 0 && n.size() > 7 && n.compare(n.size() - 7, 7, ".h5.tmp") == 0)
      fs::remove(e.path(), ec);
  }
  // the pointer last: a crash before this line leaves the previous pointer, still valid
  const std::string latest = (fs::path(dir) / "latest").string();
  {
    std::ofstream out(latest + ".tmp", std::ios::trunc);
    out << tag_name(tag) << "\n";
    NPDE_REQUIRE(out.good(), "cannot write " << latest << ".tmp");
  }
  fsync_path(latest + ".tmp", false);
  atomic_rename(latest + ".tmp", latest, dir);
  return final_path;
}

// ---- validated read ---------------------------------------------------------------------------

namespace {
struct ReadContext {
  Checkpoint* cp;
  std::string error;
};

herr_t visit_object(hid_t loc, const char* name, const H5O_info_t* info, void* data) {
  auto* ctx = static_cast<ReadContext*>(data);
  if (info->type != H5O_TYPE_DATASET) return 0;
  const std::string key = name;
  h5::Dataset ds(H5Dopen2(loc, name, H5P_DEFAULT));
  if (!ds.valid()) {
    ctx->error = "cannot open dataset " + key;
    return -1;
  }
  h5::Dataspace space(H5Dget_space(ds.get()));
  h5::Datatype type(H5Dget_type(ds.get()));
  if (!space.valid() || !type.valid() || H5Sget_simple_extent_ndims(space.get()) != 1 ||
      H5Tget_class(type.get()) != H5T_FLOAT || H5Tget_size(type.get()) != 8) {
    ctx->error = "dataset " + key + " is not a 1D double array";
    return -1;
  }
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  if (n > (hsize_t(1) << 34)) {
    ctx->error = "dataset " + key + " is implausibly large";
    return -1;
  }
  std::vector<double> v(n);
  if (n > 0 && H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) {
    ctx->error = "cannot read dataset " + key;
    return -1;
  }
  ctx->cp->arrays[key] = std::move(v);
  return 0;
}

herr_t visit_attribute(hid_t loc, const char* name, const H5A_info_t*, void* data) {
  auto* ctx = static_cast<ReadContext*>(data);
  const std::string n = name;
  h5::Attribute a(H5Aopen(loc, name, H5P_DEFAULT));
  h5::Datatype type(H5Aget_type(a.get()));
  if (!a.valid() || !type.valid()) {
    ctx->error = "cannot open attribute " + n;
    return -1;
  }
  if (n.rfind("scalar:", 0) == 0) {
    double v = 0;
    if (H5Tget_class(type.get()) != H5T_FLOAT || H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) {
      ctx->error = "attribute " + n + " is not a double";
      return -1;
    }
    ctx->cp->scalars[n.substr(7)] = v;
  } else if (n.rfind("text:", 0) == 0 || n == "format" || n == "checksum") {
    if (H5Tget_class(type.get()) != H5T_STRING || !H5Tis_variable_str(type.get())) {
      ctx->error = "attribute " + n + " is not a string";
      return -1;
    }
    char* p = nullptr;
    const auto mem = h5::utf8_string_type();
    if (H5Aread(a.get(), mem.get(), &p) < 0 || !p) {
      ctx->error = "cannot read attribute " + n;
      return -1;
    }
    std::string s(p);
    H5free_memory(p);
    if (n.rfind("text:", 0) == 0)
      ctx->cp->text[n.substr(5)] = s;
    else
      ctx->cp->text["__" + n] = s;
  }
  return 0;
}

/// The content of a file whose seal was verified (HDF5 may parse it safely).
Checkpoint read_sealed(const std::string& path) {
  h5::File f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) throw CheckpointError(path + ": not a readable HDF5 file (truncated or corrupted?)");
  Checkpoint cp;
  ReadContext ctx{&cp, ""};
  long long schema = -1;
  {
    h5::Attribute a(H5Aopen(f.get(), "schema_version", H5P_DEFAULT));
    if (!a.valid() || H5Aread(a.get(), H5T_NATIVE_LLONG, &schema) < 0)
      throw CheckpointError(path + ": not an npde checkpoint (no schema_version)");
  }
  if (schema != kCheckpointSchema)
    throw CheckpointError(path + ": checkpoint schema version " + std::to_string(schema) + ", this npde reads " +
                          std::to_string(kCheckpointSchema));
  hsize_t idx = 0;
  if (H5Aiterate2(f.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, visit_attribute, &ctx) < 0)
    throw CheckpointError(path + ": " + (ctx.error.empty() ? "unreadable attributes" : ctx.error));
  if (cp.text["__format"] != "npde-checkpoint") throw CheckpointError(path + ": not an npde checkpoint");
  const std::string stored = cp.text["__checksum"];
  cp.text.erase("__format");
  cp.text.erase("__checksum");
  if (h5::path_exists(f.get(), "/arrays")) {
    h5::Group g(H5Gopen2(f.get(), "/arrays", H5P_DEFAULT));
    if (!g.valid() || H5Ovisit(g.get(), H5_INDEX_NAME, H5_ITER_INC, visit_object, &ctx) < 0)
      throw CheckpointError(path + ": " + (ctx.error.empty() ? "unreadable arrays" : ctx.error));
  }
  if (cp.checksum() != stored)
    throw CheckpointError(path + ": checksum mismatch (the file is corrupted or was modified)");
  return cp;
}
}  // namespace

Checkpoint read_checkpoint(const std::string& path) {
  h5::silence_errors();
  if (!fs::is_regular_file(path)) throw CheckpointError(path + ": no such checkpoint file");
  verify_seal(path);
  try {
    return read_sealed(path);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    // an intact file that this npde cannot read after all (resources, a foreign writer)
    throw CheckpointError(path + ": " + e.what());
  }
}

std::vector<std::string> restart_candidates(const std::string& dir) {
  // Every ckpt-*.h5 is complete (it gets its name by an atomic rename), and tags never decrease
  // along one run (write_checkpoint removes higher ones), so the highest tag is the newest state,
  // even when a kill came between the rename and the update of `latest`.
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.size() > 8 && n.rfind("ckpt-", 0) == 0 && n.compare(n.size() - 3, 3, ".h5") == 0)
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end(), std::greater<>());  // zero-padded tags: by name = by tag
  return files;
}

Checkpoint load_restart(const decomp::Communicator& comm, const std::string& dir, const std::string& file,
                        std::string* path_used) {
  std::string err, bytes, used;
  if (comm.is_root()) {
    try {
      if (!file.empty()) {
        bytes = read_checkpoint(file).serialize();
        used = file;
      } else {
        for (const auto& c : restart_candidates(dir)) {
          try {
            bytes = read_checkpoint(c).serialize();
            used = c;
            break;
          } catch (const CheckpointError& e) {
            log::warn(std::string("skipping checkpoint: ") + e.what());
          }
        }
        if (used.empty()) err = "no valid checkpoint in '" + dir + "' to restart from";
      }
    } catch (const std::exception& e) {
      err = e.what();
    }
  }
  err = comm.broadcast(err);
  if (!err.empty()) throw CheckpointError(err);
  bytes = comm.broadcast(bytes);
  if (path_used) *path_used = comm.broadcast(used);
  return Checkpoint::deserialize(bytes);
}

}  // namespace npde::io
