// SPDX-License-Identifier: BSD-3-Clause
// SHA-256 (FIPS 180-4) for deck fingerprints and checkpoint checksums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace npde {

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t n);
  void update(const std::string& s) { update(s.data(), s.size()); }
  /// Finishes and returns the digest as 64 lowercase hex characters (the object is then spent).
  std::string hex_digest();

 private:
  void block(const unsigned char* p);
  std::uint32_t m_h[8];
  unsigned char m_buf[64];
  std::size_t m_buf_len = 0;
  std::uint64_t m_total = 0;
};

/// SHA-256 of a byte string, hex.
std::string sha256_hex(const std::string& bytes);

}  // namespace npde
