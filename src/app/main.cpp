// SPDX-License-Identifier: BSD-3-Clause
// The npde command (being written).
int main() { return 0; }
