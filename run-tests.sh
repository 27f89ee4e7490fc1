#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds fintrace twice (plain, and with AddressSanitizer + UBSan) and runs
# the whole test suite in both builds.  Tests that need root, BPF or network
# namespaces skip with a reason when run unprivileged by hand; under CI=true
# a skip is a failure.  Then static analysis (cppcheck, clang-tidy:
# scripts/static-analysis.sh) and a libFuzzer build whose harnesses each
# run for FT_FUZZ_SECONDS (15; 0 skips them; tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"

for variant in build build-san; do
	san=OFF
	[[ $variant == build-san ]] && san=ON
	cmake -S . -B "$variant" -DFT_SANITIZE=$san -DFT_WERROR=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
	cmake --build "$variant" -j"$(nproc)" >/dev/null
	echo "== tests ($variant, sanitizers $san)"
	ctest --test-dir "$variant" --output-on-failure -j1
done

echo "== static analysis"
scripts/static-analysis.sh build

fuzz_secs=${FT_FUZZ_SECONDS:-15}
if ((fuzz_secs > 0)); then
	CC=clang cmake -S . -B build-fuzz -DFT_FUZZ=ON -DFT_TESTS=OFF -DFT_WERROR=ON \
		-DFT_BPF=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build-fuzz -j"$(nproc)" >/dev/null
	echo "== fuzz (${fuzz_secs}s per harness)"
	tests/fuzz/run.sh build-fuzz "$fuzz_secs"
fi
