#!/bin/bash
# SPDX-License-Identifier: MIT
# Static analysis of fintrace's own code with cppcheck and clang-tidy.
# Any finding fails (exit 1) and is printed with its path.
#
#   scripts/static-analysis.sh [BUILD_DIR]
#
# BUILD_DIR is a build configured with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
# (run-tests.sh passes its plain build); without one, build-sa is
# configured and built. clang-tidy takes the compile commands from it,
# and the BPF skeleton the kernel tracer includes.
#
# What is checked: the C sources and headers tracked by git, minus the
# BPF programs (*.bpf.c: BPF C, compiled by clang -target bpf and checked
# by the kernel's verifier) and the vendored kernel type header; build
# directories and the generated skeleton are never looked at.
#
# cppcheck: errors plus the warning, performance and portability classes
# (style is left to review and clang-format); suppressions, each with its
# reason, are in .cppcheck. It is given uthash.h and libbpf's headers (so
# that it follows HASH_* macros instead of reporting every hash entry as
# uninitialised) and scripts/cppcheck/criterion/criterion.h in place of
# Criterion's, whose macros it cannot parse.
#
# clang-tidy: the checks of .clang-tidy (tests/.clang-tidy adds test
# exceptions), one process per file. One class of findings is dropped:
# clang's analyzer reports at uthash macros (HASH_ADD/DEL/FIND/ITER)
# follow paths that break uthash's own invariants (a bucket's list and the
# application list disagree) and report "use after free" or "null
# dereference" inside the macro; a finding whose location is inside a
# uthash macro expansion is not about fintrace's code. ASan and UBSan
# runs (run-tests.sh, the fuzzers) cover that code dynamically.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build-sa}
jobs=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in cppcheck clang-tidy jq; do
	command -v "$tool" >/dev/null || {
		echo "static-analysis: $tool is not installed (setup.sh)" >&2
		exit 1
	}
done

if [[ ! -f $build/compile_commands.json ]]; then
	cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
fi
# always: an earlier build's generated skeleton may be out of date
cmake --build "$build" -j"$jobs" >/dev/null
build=$(cd "$build" && pwd)

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find analysis bench bpf capture cli metrics pcaps tests \
		-name '*.[ch]' | sort)
fi
own=()
for f in "${files[@]}"; do
	case $f in
	*.bpf.c | */vmlinux_min.h | scripts/cppcheck/*) ;;
	*) own+=("$f") ;;
	esac
done
csrc=()
for f in "${own[@]}"; do
	[[ $f == *.c ]] && csrc+=("$f")
done

status=0

# ---- cppcheck ----
mkdir -p "$tmp/inc"
ln -s /usr/include/uthash.h "$tmp/inc/uthash.h"
[[ -d /usr/include/bpf ]] && ln -s /usr/include/bpf "$tmp/inc/bpf"
start=$SECONDS
if ! cppcheck --quiet --error-exitcode=1 -j"$jobs" --std=c11 \
	--enable=warning,performance,portability --inline-suppr \
	--suppressions-list=.cppcheck \
	--suppress=missingIncludeSystem --suppress=unmatchedSuppression \
	-I . -I scripts/cppcheck -I "$tmp/inc" -I "$build/bpf" \
	-D_GNU_SOURCE -DFT_VERSION='"0"' -DBUILD_DIR='"build"' \
	-DPCAP_DIR='"pcaps"' -DSRC_DIR='"."' -DHAVE_FT_BPF=1 \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
	"${csrc[@]}" 2>"$tmp/cppcheck.log"; then
	status=1
fi
if [[ -s $tmp/cppcheck.log ]]; then
	cat "$tmp/cppcheck.log" >&2
	status=1
fi
echo "static-analysis: cppcheck, ${#csrc[@]} files," \
	"$((SECONDS - start))s: $([[ $status == 0 ]] && echo clean || echo FINDINGS)"

# ---- clang-tidy ----
# Translation units of the build that are our own files.
printf '%s\n' "${own[@]}" | sed "s|^|$src/|" | sort >"$tmp/own"
jq -r '.[].file' "$build/compile_commands.json" | sort -u >"$tmp/tus"
comm -12 "$tmp/own" "$tmp/tus" >"$tmp/check"
start=$SECONDS
mkdir -p "$tmp/tidy"
# shellcheck disable=SC2016
xargs -P "$jobs" -I{} sh -c \
	'clang-tidy -p "$1" --quiet --header-filter="$2" "$3" \
		>"$4/$(echo "$3" | tr / _).log" 2>/dev/null || true' \
	_ "$build" "^$src/(analysis|bench|bpf|capture|cli|metrics|pcaps|tests)/" \
	{} "$tmp/tidy" <"$tmp/check"

# One record per diagnostic: its line and the notes after it. Keep it
# unless it is in the build directory or inside a uthash macro.
tidy_status=0
for log in "$tmp"/tidy/*.log; do
	awk -v build="$build/" '
	function flush() {
		if (rec != "" && keep)
			printf "%s", rec
		rec = ""
	}
	/^\/.*:[0-9]+:[0-9]+: (warning|error): / {
		flush()
		keep = index($0, build) != 1
		first = 1
		rec = $0 "\n"
		next
	}
	rec != "" {
		if (first && / note: expanded from macro /) {
			if ($0 ~ /\/uthash\.h:/ && rec ~ /\[clang-analyzer-/)
				keep = 0
			first = 0
		} else if (/ note: /) {
			first = 0
		}
		rec = rec $0 "\n"
	}
	END { flush() }' "$log"
done >"$tmp/tidy.out"
if [[ -s $tmp/tidy.out ]]; then
	sed "s|$src/||g" "$tmp/tidy.out" >&2
	tidy_status=1
	status=1
fi
echo "static-analysis: clang-tidy, $(wc -l <"$tmp/check") files," \
	"$((SECONDS - start))s: $([[ $tidy_status == 0 ]] && echo clean || echo FINDINGS)"
exit $status
