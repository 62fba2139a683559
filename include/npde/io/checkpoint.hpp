// SPDX-License-Identifier: BSD-3-Clause
// Checkpoint files: an atomic, checksummed HDF5 snapshot of everything a run needs to continue.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"

namespace npde::io {

/// Schema version of the checkpoint layout; a file with another version is refused.
/// 2: the file is sealed by a whole-file checksum in its HDF5 user block (see kCheckpointUserblock).
inline constexpr int kCheckpointSchema = 2;

/// Size of the HDF5 user block at the start of every checkpoint file. It holds one text line,
/// "npde-checkpoint sha256 <64 hex digits> size <file size in bytes>\n", zero-padded: the SHA-256 of
/// all bytes after the user block. read_checkpoint verifies it before HDF5 parses anything, because
/// HDF5 itself may crash on a corrupted file instead of reporting an error.
inline constexpr std::size_t kCheckpointUserblock = 512;

/// A checkpoint's content, independent of what wrote it: texts (identity), scalars (position and
/// counters; integers are exact up to 2^53) and 1D arrays (parameters, optimiser state, history).
/// Keys of arrays may contain '/' (stored as HDF5 groups).
struct Checkpoint {
  std::map<std::string, std::string> text;
  std::map<std::string, double> scalars;
  std::map<std::string, std::vector<double>> arrays;

  /// Canonical byte serialisation (sorted keys, lengths, raw values): the checksum is its SHA-256
  /// and it is what the root rank broadcasts on restart.
  std::string serialize() const;
  static Checkpoint deserialize(const std::string& bytes);
  /// SHA-256 of serialize(), hex.
  std::string checksum() const;
  double scalar(const std::string& key) const;
  const std::vector<double>& array(const std::string& key) const;
  const std::string& string(const std::string& key) const;
};

/// A checkpoint file that cannot be used: missing, truncated, corrupted, wrong schema.
class CheckpointError : public InputError {
 public:
  using InputError::InputError;
};

/// Writes `cp` (not collective: call on one rank) as <dir>/ckpt-<tag>.h5 atomically: temporary
/// name, flush, seal (user-block checksum), fsync, rename, fsync of the directory; then removes
/// stale temporaries and all checkpoints but the new one and the `keep` - 1 newest others, and
/// finally points <dir>/latest at the new file (written the same way). Creates `dir` if needed.
/// Returns the path written. Test hook: the environment variable NPDE_TEST_CHECKPOINT_DELAY_MS
/// makes it sleep that long between sealing the temporary file and renaming it.
std::string write_checkpoint(const std::string& dir, long tag, const Checkpoint& cp, int keep);

/// Reads and validates one checkpoint file: whole-file checksum, format, schema version, array types
/// and the payload checksum. Throws CheckpointError (one line) naming the file and the problem.
Checkpoint read_checkpoint(const std::string& path);

/// Candidate files for a restart from `dir`, newest first: every ckpt-*.h5 by decreasing tag
/// (`latest` names the newest too, for people and tools; a kill between a checkpoint's rename and
/// the pointer update leaves it one behind, so the restart does not rely on it).
std::vector<std::string> restart_candidates(const std::string& dir);

/// Collective. Rank 0 finds and validates the checkpoint (explicit `file`, or the newest valid one
/// in `dir`, warning about each corrupt one it skips) and broadcasts it; every rank returns the
/// same checkpoint and its path, or throws CheckpointError with the same message.
Checkpoint load_restart(const decomp::Communicator& comm, const std::string& dir, const std::string& file,
                        std::string* path_used);

}  // namespace npde::io
