// SPDX-License-Identifier: BSD-3-Clause
// npde's version and the git commit it was built from (for --version and provenance attributes).
#pragma once

#include <string>

namespace npde {

/// Release version, e.g. "0.1.0".
const char* version();
/// Short git hash of the build, or "unknown".
const char* git_hash();
/// "0.1.0 (abc123def456)".
std::string version_string();

}  // namespace npde
