#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds fintrace twice (plain, and with AddressSanitizer + UBSan) and runs
# the whole test suite in both builds.  Tests that need root, BPF or network
# namespaces skip with a reason when run unprivileged by hand; under CI=true
# a skip is a failure.
set -euo pipefail
cd "$(dirname "$0")"

for variant in build build-san; do
	san=OFF
	[[ $variant == build-san ]] && san=ON
	cmake -S . -B "$variant" -DFT_SANITIZE=$san \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$variant" -j"$(nproc)" >/dev/null
	echo "== tests ($variant, sanitizers $san)"
	ctest --test-dir "$variant" --output-on-failure -j1
done
