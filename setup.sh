#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package fintrace needs to build, test and
# record its scenario captures, then builds it into build/.
# Idempotent; run as root (or through sudo).  --no-build skips the build.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
	build-essential cmake pkg-config clang llvm
	libpcap-dev libbpf-dev bpftool libelf-dev zlib1g-dev
	# compressed captures (zstd, xz; gzip is zlib) and their tools
	libzstd-dev liblzma-dev zstd xz-utils
	uthash-dev libcriterion-dev
	# fintrace live/kernel --metrics; promtool checks the exposition and
	# the alerting rules (deploy/prometheus)
	libmicrohttpd-dev prometheus
	# systemd-analyze verify checks the units in deploy/
	systemd
	tcpdump tshark tcptrace tcpreplay jq
	iproute2 nftables procps
	# the evidence pack's SHA-256 manifest (libcrypto's EVP)
	libssl-dev
	# static analysis and fuzzing (run-tests.sh; libFuzzer is in
	# clang's runtime package)
	cppcheck clang-tidy libclang-rt-14-dev
	# bench/run.sh --kernel compares fintrace kernel with bench/tcpstates.bt
	bpftrace
	# the HTML report opened in headless Chromium (tests/html/check.sh)
	chromium chromium-driver curl fonts-dejavu-core
	# the manual page test renders it
	groff-base
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		SUDO=sudo
	else
		SUDO=
	fi
	echo "setup: installing ${missing[*]}" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ${1:-} != --no-build ]]; then
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j"$(nproc)" >/dev/null
	echo "setup: built build/cli/fintrace" >&2
fi
