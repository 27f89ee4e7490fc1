#!/bin/bash
# SPDX-License-Identifier: MIT
# Smoke test of the benchmark tools (ctest bench_smoke): ftgen writes
# valid, deterministic captures with the packet count its truth claims and
# consistent sequence numbers and checksums (as tcpdump and tshark see
# them); fintrace, when given, finds the verdicts of the truth; ftload
# completes the connections it is asked for; bench/run.sh in a reduced
# quick mode prints its tables, and, as root, its live section at one
# low rate finds no drop and every connection clean. Under 30 s.
#
#   smoke.sh --ftgen PATH --rusage PATH [--fintrace PATH] [--ftload PATH]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ftgen=
rusage=
fintrace=
ftload=
while (($#)); do
	case $1 in
	--ftgen) ftgen=$2; shift ;;
	--rusage) rusage=$2; shift ;;
	--fintrace) fintrace=$2; shift ;;
	--ftload) ftload=$2; shift ;;
	*) echo "smoke.sh: unknown argument '$1'" >&2; exit 1 ;;
	esac
	shift
done
[[ -x $ftgen && -x $rusage ]] || {
	echo "usage: smoke.sh --ftgen PATH --rusage PATH [--fintrace PATH] [--ftload PATH]" >&2
	exit 1
}

tmp=$(mktemp -d /tmp/ftbench-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() {
	echo "ok: $*"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

summary_field() {
	sed -n 's/.*"type":"summary".*"'"$2"'":\([0-9]*\).*/\1/p' "$1"
}

all_mix=clean=20,late-close=10,never-closed=10,half-close=10,reset=10
all_mix+=,fin-unacked=10,simultaneous=10,refused=10,open=10
cap=$tmp/all.pcap
"$ftgen" --flows 2000 --concurrency 300 --mix "$all_mix" -o "$cap" \
	--truth "$tmp/all.truth"
want=$(summary_field "$tmp/all.truth" packets)
flows=$(summary_field "$tmp/all.truth" flows)

# The file is a valid capture with as many packets as the truth says.
got=$(tcpdump -nn -r "$cap" 2>/dev/null | wc -l)
check "tcpdump reads $got of $want packets" test "$got" -eq "$want"
got=$(tshark -r "$cap" -T fields -e frame.number 2>/dev/null | wc -l)
check "tshark reads $got of $want packets" test "$got" -eq "$want"
check "ns pcap magic" test "$(od -An -tx1 -N4 "$cap" | tr -d ' ')" = 4d3cb2a1

# Checksums are right and tshark sees no sequence or ACK anomaly besides
# the FIN retransmissions of fin-unacked flows.
bad=$(tshark -r "$cap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
	-Y 'tcp.checksum.status != 1 || ip.checksum.status == 0 ||
	    (tcp.analysis.flags && !tcp.analysis.retransmission)' \
	2>/dev/null | wc -l)
check "no bad checksum or TCP anomaly ($bad)" test "$bad" -eq 0
convs=$(tshark -r "$cap" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
check "tshark sees $convs of $flows conversations" test "$convs" -eq "$flows"

# Same seed, same bytes; another seed, other bytes.
"$ftgen" --flows 2000 --concurrency 300 --mix "$all_mix" -o "$tmp/again.pcap" \
	--truth /dev/null
check "same seed gives identical bytes" cmp -s "$cap" "$tmp/again.pcap"
"$ftgen" --flows 2000 --concurrency 300 --mix "$all_mix" --seed 2 \
	-o "$tmp/other.pcap" --truth /dev/null
check "another seed gives other bytes" \
	bash -c "! cmp -s '$cap' '$tmp/other.pcap'"

# Microsecond pcap, IPv6 only, a short snap length, standard output.
"$ftgen" --flows 200 --precision micro --ipv6 1 --snaplen 96 \
	--truth "$tmp/v6.truth" -o - >"$tmp/v6.pcap"
check "us pcap magic" test "$(od -An -tx1 -N4 "$tmp/v6.pcap" | tr -d ' ')" = d4c3b2a1
got=$(tcpdump -nn -r "$tmp/v6.pcap" ip6 2>/dev/null | wc -l)
check "IPv6-only us capture has $got packets" \
	test "$got" -eq "$(summary_field "$tmp/v6.truth" packets)"

# Bad options are refused with exit status 1.
for bad_opt in "--flows 0" "--flows 12x" "--ipv6 1.5" "--mix bogus=1" \
	"--mix clean=0" "--snaplen 999999" "--linger-late 7.x" "stray"; do
	set +e
	# shellcheck disable=SC2086
	"$ftgen" $bad_opt -o /dev/null 2>/dev/null
	rc=$?
	set -e
	check "ftgen $bad_opt exits 1" test "$rc" -eq 1
done

# fintrace finds exactly the verdicts of the truth.
if [[ -n $fintrace ]]; then
	if "$fintrace" read --format json -o "$tmp/all.json" "$cap" 2>"$tmp/ft.err"; then
		ok "fintrace reads the capture"
		if command -v jq >/dev/null; then
			a=$(grep '"type":"summary"' "$tmp/all.truth" | jq -cS ".verdicts | with_entries(select(.value > 0))")
			b=$(grep '"type":"summary"' "$tmp/all.json" | jq -cS ".verdicts | with_entries(select(.value > 0))")
			check "fintrace verdicts match the truth ($b)" test "$a" = "$b"
		fi
	else
		fail "fintrace read failed: $(head -c 200 "$tmp/ft.err")"
	fi
fi

# The harness, reduced: one run of each tool on a tiny capture.
args=(--quick --packets 20000 --runs 1 --mem-flows 5000
	--flat-flows 20000,5000,10000 --flat-concurrency 500 --workdir "$tmp/bench"
	--ftgen "$ftgen" --rusage "$rusage")
[[ -n $fintrace ]] && args+=(--fintrace "$fintrace")
if "$here/run.sh" "${args[@]}" >"$tmp/report.md" 2>"$tmp/run.err"; then
	ok "run.sh --quick exits 0"
else
	fail "run.sh --quick failed: $(tail -3 "$tmp/run.err")"
fi
check "report has the machine facts" grep -q '^| CPU | ' "$tmp/report.md"
check "report has the comparison table" \
	grep -q '^| tool | command | median wall (s)' "$tmp/report.md"
for tool in tcpdump tshark tcptrace ${fintrace:+fintrace}; do
	check "report has a measured $tool row" \
		grep -Eq "^\| $tool \| .* \| [0-9]+\.[0-9]{3} \|" "$tmp/report.md"
done
if [[ -n $fintrace ]]; then
	check "report has the memory table" grep -q "^| flows in capture |" "$tmp/report.md"
	check "report has the flatness ratio" \
		grep -q '^RSS ratio, 20000 flows / 5000 flows: \*\*[0-9.]*\*\*' \
		"$tmp/report.md"
	check "report has the ratio to the middle flatness run" \
		grep -q '^RSS ratio, 20000 flows / 10000 flows: \*\*[0-9.]*\*\*' \
		"$tmp/report.md"
	check "report has the three flatness rows, with capture lengths" \
		test "$(sed -n '/^## Memory flatness/,$p' "$tmp/report.md" |
			grep -Ec '^\| (5000|10000|20000) \| [0-9]+ \| [0-9]+\.[0-9] \|')" = 3
fi
if ((failed)); then
	echo "--- report"
	cat "$tmp/report.md"
fi

# ftload: 100 connections in half a second on this host's loopback, all
# completed; bad options refused.
if [[ -n $ftload ]]; then
	if "$ftload" --rate 200 --duration 0.5 >"$tmp/load.out" 2>"$tmp/load.err"; then
		ok "ftload runs"
		check "ftload completes 100 of 100 connections ($(cat "$tmp/load.out"))" \
			grep -q 'started=100 completed=100 failed=0 unfinished=0' "$tmp/load.out"
	else
		fail "ftload failed: $(head -c 200 "$tmp/load.err")"
	fi
	for bad_opt in "--rate x" "--duration 0" "--duration 121" \
		"--server 1.2.3" "--concurrency 0" "stray"; do
		set +e
		# shellcheck disable=SC2086
		"$ftload" $bad_opt 2>/dev/null
		rc=$?
		set -e
		check "ftload $bad_opt exits 1" test "$rc" -eq 1
	done
fi

# The row of TOOL at the 500 conn/s step of the live table: no drop,
# 450 or more connections/s achieved, and (fintrace) "N (N)" flows seen
# with N of 450 or more.
live_row_ok() {
	awk -F'|' -v tool="$1" '
		$2 == " 500 " && $3 == " " tool " " {
			found = 1
			achieved = $4 + 0; drops = $6
			gsub(/ /, "", drops)
			if (drops != "0" || achieved < 450) bad = 1
			if (tool == "fintrace") {
				if (split($9, f, /[ ()]+/) < 3) bad = 1
				n = f[2] + 0; clean = f[3] + 0
				if (n < 450 || clean != n) bad = 1
			}
		}
		END { exit !(found && !bad) }' "$2"
}

# The live section at one low rate, as root (namespaces, capture).
if [[ -n $fintrace && -n $ftload && $(id -u) -eq 0 ]] &&
	command -v tcpdump >/dev/null && command -v ip >/dev/null; then
	if "$here/run.sh" --no-compare --no-memory --no-flatness --live \
		--live-rates 500 --live-duration 1 --workdir "$tmp/live" \
		--ftgen "$ftgen" --rusage "$rusage" --fintrace "$fintrace" \
		--ftload "$ftload" >"$tmp/live.md" 2>"$tmp/live.err"; then
		ok "run.sh --live exits 0"
	else
		fail "run.sh --live failed: $(tail -3 "$tmp/live.err")"
	fi
	# The load, not the tool, sets *achieved*: on two shared cores
	# (slower still under the sanitizers) it may end a connection or
	# two short of 500, so the rows must show no drop, at least 450
	# connections/s, and for fintrace as many clean flows as flows.
	check "live: fintrace saw 450 or more flows, all clean, without drops" \
		live_row_ok fintrace "$tmp/live.md"
	check "live: tcpdump captured 450 or more connections/s without drops" \
		live_row_ok tcpdump "$tmp/live.md"
	if ((failed)); then
		echo "--- live report"
		cat "$tmp/live.md"
	fi
else
	echo "skip: live section (needs root, fintrace, ftload, tcpdump, ip)"
fi

echo "smoke: $passed passed, $failed failed"
((failed == 0))
