#!/bin/bash
# SPDX-License-Identifier: MIT
# Records pcaps/timewait-exhaustion.pcap: a client whose ephemeral port
# range is only 200 ports (40000-40199) opens and closes connections to
# 10.77.0.2:9200 every 15 ms, closing first, so each socket it closes sits
# in TIME_WAIT for 60 s. After 200 connections every connect() fails with
# EADDRNOTAVAIL. While it runs, the kernel's own count of TIME_WAIT sockets
# in the client namespace is sampled with ss (sock_diag) every 50 ms.
#
# Writes next to this script:
#   timewait-exhaustion.pcap      headers-only capture (snap length 96)
#   timewait-exhaustion.expected  per-flow verdicts (expected.sh)
#   timewait-exhaustion.tw        what the kernel and the client saw:
#       port_range LOW-HIGH
#       kernel_peak N              most TIME_WAIT sockets ss counted
#       connects_ok N / connects_failed N
#       first_eaddrnotavail_ns T   CLOCK_REALTIME of the first failure
# Run as root: bash pcaps/record-timewait.sh (takes about 15 s).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NS_C=ftrec-twa
NS_S=ftrec-twb
C4=10.77.0.1
S4=10.77.0.2
PORT=9200
LO=40000
HI=40199
NAME=timewait-exhaustion

source "$HERE/scenarios.sh"

TD_PID=""
SAMPLER=""
TMP=$(mktemp -d /tmp/ftrec-tw.XXXXXX)

cleanup() {
	[[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null
	[[ -n $TD_PID ]] && kill -INT "$TD_PID" 2>/dev/null
	ftrec_reap
	ftrec_ns_teardown "$NS_C" "$NS_S"
	rm -rf "$TMP"
}
trap cleanup EXIT

((EUID == 0)) || { echo "record-timewait: run as root" >&2; exit 1; }
if [[ -z ${FTPEER:-} ]]; then
	build=${FTREC_BUILD:-/tmp/ftrec-build}
	cmake -S "$ROOT" -B "$build" >/dev/null
	cmake --build "$build" --target ftpeer >/dev/null
	FTPEER=$build/pcaps/ftpeer
fi
export FTPEER
FTREC_LOGDIR=$TMP

ftrec_ns_setup "$NS_C" "$NS_S" "$C4" "$S4"
ip netns exec "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="$LO $HI"

ip netns exec "$NS_S" tcpdump -n -i "$FTREC_IF_S" -s 96 --immediate-mode \
	-U -w "$TMP/$NAME.pcap" tcp 2>"$TMP/tcpdump.err" &
TD_PID=$!
ftrec_wait_line "$TMP/tcpdump.err" '^tcpdump: listening on' 5

# The kernel's view: TIME_WAIT sockets in the client namespace (bounded).
(
	for ((i = 0; i < 400; i++)); do
		n=$(ip netns exec "$NS_C" ss -Htan state time-wait | wc -l)
		echo "$(date +%s%N) $n"
		sleep 0.05
	done
) >"$TMP/samples" &
SAMPLER=$!

ftrec_server "$NS_S" tw-server "$S4" "$PORT" -n 0 --reply 64 \
	--exit-after 30
ftrec_peer "$NS_C" tw-client client -c "$S4:$PORT" -n 260 --interval 15 \
	--send 32 --close-after 40 --connect-timeout 1000 --exit-after 30
cli=$FTREC_LAST_PID
ftrec_wait_exit "$cli" 30 || true	# exits non-zero: connects failed
sleep 1
kill -INT "$TD_PID"
ftrec_wait_exit "$TD_PID" 5 || true
TD_PID=""
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
SAMPLER=""

log=$TMP/tw-client.log
ok=$(grep -c ' established ' "$log" || true)
failed=$(grep -c 'err=EADDRNOTAVAIL' "$log" || true)
first=$(awk '/err=EADDRNOTAVAIL/ { split($1, t, "."); \
	printf "%s%09d\n", t[1], t[2]; exit }' "$log")
peak=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$TMP/samples")
((failed > 0)) || { echo "record-timewait: no connect failed ($ok ok, TIME_WAIT peak $peak)" >&2; tail -3 "$log" >&2; cat "$TMP"/*.err >&2; exit 1; }

cp "$TMP/$NAME.pcap" "$HERE/$NAME.pcap"
"$HERE/expected.sh" "$HERE/$NAME.pcap" \
	"client with 200 ephemeral ports closes first and reconnects every 15 ms" \
	>"$HERE/$NAME.expected"
cat >"$HERE/$NAME.tw" <<EOT
# Recorded by record-timewait.sh: what the kernel and the client saw.
port_range $LO-$HI
kernel_peak $peak
connects_ok $ok
connects_failed $failed
first_eaddrnotavail_ns $first
EOT
echo "record-timewait: $ok connects, $failed EADDRNOTAVAIL," \
	"kernel TIME_WAIT peak $peak"
