// SPDX-License-Identifier: BSD-3-Clause
// SHA-256 against the FIPS 180-4 example vectors, and incremental == one-shot hashing.
#include <gtest/gtest.h>

#include "npde/core/sha256.hpp"

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(npde::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(npde::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(npde::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(npde::sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalMatchesOneShot) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += char(i * 7 + 3);
  for (std::size_t cut : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 999u}) {
    npde::Sha256 h;
    h.update(s.substr(0, cut));
    h.update(s.substr(cut));
    EXPECT_EQ(h.hex_digest(), npde::sha256_hex(s)) << cut;
  }
  EXPECT_NE(npde::sha256_hex("abd"), npde::sha256_hex("abc"));
}
