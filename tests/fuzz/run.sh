#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs every fuzz harness for a bounded time, two at a time, starting from
# the seed corpus (regenerated from pcaps/), the committed regressions
# and whatever corpus an earlier run left in WORK_DIR.
#
#   tests/fuzz/run.sh FUZZ_BUILD_DIR [SECONDS] [WORK_DIR] [HARNESS...]
#
# FUZZ_BUILD_DIR is a build with -DFT_FUZZ=ON (see README.md); SECONDS
# per harness (default 15); WORK_DIR keeps corpora, logs and crash
# inputs (default FUZZ_BUILD_DIR/fuzz-work). Exits 1 when a harness
# finds a crash, a leak, a hang (an input running over 10 s) or a broken
# invariant, naming the input that does it.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
build=${1:?usage: tests/fuzz/run.sh FUZZ_BUILD_DIR [SECONDS] [WORK_DIR]}
secs=${2:-15}
work=${3:-$build/fuzz-work}
shift $(($# < 3 ? $# : 3))
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(decode capture tracker read ksock)
bin=$build/tests/fuzz

mkdir -p "$work"
"$bin/fuzz_seeds" "$src/pcaps" "$work/seeds" >/dev/null

# Longest input worth trying: a frame, a few captures, a record list.
max_len() {
	case $1 in
	decode) echo 4096 ;;
	tracker) echo 4096 ;;
	*) echo 20000 ;;
	esac
}

run_one() {
	local h=$1 corpus=$1 extra=()

	[[ $h == read ]] && corpus=capture
	# cmd_read reports input errors on stderr: keep the log readable.
	[[ $h == read ]] && extra+=(-close_fd_mask=2)
	mkdir -p "$work/corpus/$h" "$work/crashes/$h"
	"$bin/fuzz_$h" -max_total_time="$secs" -max_len="$(max_len "$h")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crashes/$h/" "${extra[@]}" \
		"$work/corpus/$h" "$work/seeds/$corpus" \
		"$src/tests/fuzz/regressions/$h" >"$work/$h.log" 2>&1
}

pids=()
names=()
status=0
wait_all() {
	for i in "${!pids[@]}"; do
		local h=${names[$i]}

		if wait "${pids[$i]}"; then
			printf 'fuzz %-8s %s runs, %s, no finding\n' "$h" \
				"$(sed -n 's/^stat::number_of_executed_units: *//p' \
					"$work/$h.log")" \
				"$(grep -o 'cov: [0-9]*' "$work/$h.log" | tail -n 1)"
		else
			status=1
			echo "fuzz $h: FINDING (log: $work/$h.log)" >&2
			grep -E 'ERROR|invariant|SUMMARY|Test unit written' \
				"$work/$h.log" | head -n 20 >&2 || true
			echo "reproduce: $bin/fuzz_$h <input above>;" \
				"then keep it in tests/fuzz/regressions/$h/" >&2
		fi
	done
	pids=()
	names=()
}

jobs=$(nproc)
for h in "${harnesses[@]}"; do
	run_one "$h" &
	pids+=($!)
	names+=("$h")
	((${#pids[@]} < jobs)) || wait_all
done
wait_all
exit $status
