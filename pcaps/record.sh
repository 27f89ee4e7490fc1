#!/bin/bash
# SPDX-License-Identifier: MIT
#
# record.sh [NAME...]: regenerates the scenario captures in this folder and
# their .expected files (all of them, or only the NAMEs given).  Run as
# root on Linux with tcpdump, tshark (editcap) and tcpreplay (tcprewrite)
# installed; takes about three minutes.  Never needed to build or test:
# the captures are committed.
#
# Each capture gets fresh namespaces ftrec-a (client: 10.77.0.1/24,
# fd00:77::1/64) and ftrec-b (server: 10.77.0.2/24, fd00:77::2/64) joined
# by a veth pair, tcpdump on the server's veth (or on "any"), one scenario
# from scenarios.sh, then tcpdump is stopped (before the processes holding
# leaked sockets end) and everything is torn down.  The capture filter is
# "tcp" except for the demo, which also keeps UDP and ICMP.  expected.sh derives
# NAME.expected from the capture, and the verdicts it finds must be those
# the scenario intends (FTREC_EXPECT), or the run fails.
#
# Environment: FTPEER (an ftpeer binary; default: build it with CMake in
# FTREC_BUILD, default /tmp/ftrec-build), KEEP_LOGS=1 keeps the peers'
# event logs.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NS_C=ftrec-a
NS_S=ftrec-b
C4=10.77.0.1
S4=10.77.0.2
C6=fd00:77::1
S6=fd00:77::2

# shellcheck source=pcaps/scenarios.sh
source "$HERE/scenarios.sh"

TD_PID=""
TD_ERR=""
TMP=""

die() {
	echo "record: $*" >&2
	exit 1
}

cleanup() {
	if [[ -n $TD_PID ]]; then
		kill -INT "$TD_PID" 2>/dev/null || true
		ftrec_wait_exit "$TD_PID" 5 >/dev/null 2>&1 || true
		TD_PID=""
	fi
	ftrec_reap
	ftrec_ns_teardown "$NS_C" "$NS_S"
	if [[ -n $TMP && ${KEEP_LOGS:-0} != 1 ]]; then
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

((EUID == 0)) || die "must run as root (network namespaces, tcpdump)"
for tool in ip nft tcpdump tshark editcap capinfos tcprewrite; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
for n in "$NS_C" "$NS_S"; do
	if ip netns list | grep -qw "$n"; then
		die "namespace $n exists (an earlier run?): ip netns del $n"
	fi
done

if [[ -z ${FTPEER:-} ]]; then
	build=${FTREC_BUILD:-/tmp/ftrec-build}
	cmake -S "$ROOT" -B "$build" >/dev/null ||
		die "cmake configure failed"
	cmake --build "$build" --target ftpeer >/dev/null ||
		die "building ftpeer failed"
	FTPEER=$build/pcaps/ftpeer
fi
[[ -x $FTPEER ]] || die "no ftpeer binary at $FTPEER"
export FTPEER

TMP=$(mktemp -d /tmp/ftrec-rec.XXXXXX)
FTREC_LOGDIR=$TMP/logs
mkdir -p "$FTREC_LOGDIR"

# capture_start FILE IFACE FILTER [TCPDUMP_ARGS...]: tcpdump in the server
# namespace; returns once it is capturing.
capture_start() {
	local file=$1 iface=$2 filter=$3

	shift 3
	TD_ERR=$file.err
	ip netns exec "$NS_S" tcpdump -n -i "$iface" --immediate-mode -U \
		-w "$file" "$@" "$filter" 2>"$TD_ERR" &
	TD_PID=$!
	ftrec_wait_line "$TD_ERR" '^tcpdump: listening on' 5 ||
		die "tcpdump did not start: $(cat "$TD_ERR")"
}

# capture_stop: SIGINT to tcpdump, and no packet may have been dropped.
capture_stop() {
	local dropped

	kill -INT "$TD_PID"
	ftrec_wait_exit "$TD_PID" 5 || die "tcpdump did not stop"
	TD_PID=""
	dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$TD_ERR")
	[[ $dropped == 0 ]] || die "tcpdump dropped packets: $(cat "$TD_ERR")"
}

MID_ARGS=()
midstream_hook() {
	capture_start "${MID_ARGS[@]}"
}

# record NAME SCENARIO FAMILY [--any] [--sll1] [--vlan] [--pcapng]
#        [--midstream] [--filter EXPR] [--desc TEXT]
record() {
	local name=$1 scn=$2 fam=$3 iface=$FTREC_IF_S filter=tcp
	local ext=pcap raw got want desc="" any=0 sll1=0 vlan=0 pcapng=0 mid=0
	local c=$C4 s=$S4 tdargs=() start end

	shift 3
	while (($#)); do
		case $1 in
		--any) any=1 ;;
		--sll1) sll1=1 ;;
		--vlan) vlan=1 ;;
		--pcapng) pcapng=1 ;;
		--midstream) mid=1 ;;
		--filter) filter=$2; shift ;;
		--desc) desc=$2; shift ;;
		*) die "record: bad option $1" ;;
		esac
		shift
	done
	[[ $fam == 6 ]] && c=$C6 s=$S6
	((any)) && iface=any
	((any && !sll1)) && tdargs+=(-y LINUX_SLL2)
	((sll1)) && tdargs+=(-y LINUX_SLL)
	((pcapng)) && tdargs+=(--time-stamp-precision=nano) && ext=pcapng

	start=$(date +%s)
	raw=$TMP/$name.raw.pcap
	ftrec_ns_setup "$NS_C" "$NS_S" "$C4" "$S4" "$C6" "$S6" ||
		die "$name: namespace setup failed"
	if ((mid)); then
		MID_ARGS=("$raw" "$iface" "$filter" "${tdargs[@]}")
		"ftrec_scn_${scn//-/_}" "$NS_C" "$NS_S" "$c" "$s" \
			midstream_hook || die "$name: scenario failed"
	else
		capture_start "$raw" "$iface" "$filter" "${tdargs[@]}"
		"ftrec_scn_${scn//-/_}" "$NS_C" "$NS_S" "$c" "$s" ||
			die "$name: scenario failed"
	fi
	capture_stop
	ftrec_reap
	ftrec_ns_teardown "$NS_C" "$NS_S"

	if ((vlan)); then
		tcprewrite --enet-vlan=add --enet-vlan-tag=100 \
			--enet-vlan-cfi=0 --enet-vlan-pri=0 \
			--infile="$raw" --outfile="$TMP/$name.pcap" ||
			die "$name: tcprewrite failed"
	elif ((pcapng)); then
		editcap -F pcapng "$raw" "$TMP/$name.pcapng" ||
			die "$name: editcap failed"
	else
		cp "$raw" "$TMP/$name.pcap"
	fi
	"$HERE/expected.sh" "$TMP/$name.$ext" "$desc" >"$TMP/$name.expected"

	got=$(awk '!/^#/ { printf "%s%s", sep, $4; sep = " " }' \
		"$TMP/$name.expected")
	if [[ -n $FTREC_EXPECT ]]; then
		want=$FTREC_EXPECT
	else
		want=$FTREC_EXPECT_COUNTS
		got=$(awk '!/^#/ { n[$4]++ }
			END { for (v in n) print v "=" n[v] }' \
			"$TMP/$name.expected" | sort | tr '\n' ' ')
		got=${got% }
	fi
	[[ $got == "$want" ]] ||
		die "$name: verdicts '$got', scenario intends '$want'" \
			"(capture kept in $TMP; KEEP_LOGS=1 keeps it)"

	rm -f "$HERE/$name.pcap" "$HERE/$name.pcapng"
	cp "$TMP/$name.$ext" "$HERE/$name.$ext"
	cp "$TMP/$name.expected" "$HERE/$name.expected"
	end=$(date +%s)
	printf 'record: %-22s %3d frames %7d bytes %3d s  %s\n' "$name.$ext" \
		"$(capinfos -c -M "$HERE/$name.$ext" |
			awk '/Number of packets/ { print $NF }')" \
		"$(stat -c %s "$HERE/$name.$ext")" $((end - start)) "$got"
}

want_all=1
declare -A WANT=()
for n in "$@"; do
	WANT[$n]=1
	want_all=0
done

run() {
	if ((want_all)) || [[ -n ${WANT[$1]:-} ]]; then
		record "$@"
	fi
}

run clean-client-close clean-client-close 4 \
	--desc "Client closes first, server closes at once."
run clean-server-close clean-server-close 4 \
	--desc "Server closes first, client closes at once."
run server-never-closes server-never-closes 4 \
	--desc "Server never closes flow 1; flow 2 (7 s later) is clean."
run server-late-close server-late-close 4 \
	--desc "Server closes 7 s after the client FIN."
run late-fin-rst late-fin-rst 4 \
	--desc "Server FIN 6 s late; client FIN_WAIT2 expired (fin_timeout 2 s): RST."
run client-never-closes client-never-closes 4 \
	--desc "Server closes first; client never closes flow 1; flow 2 clean."
run abort-linger0 abort-linger0 4 \
	--desc "Client aborts with SO_LINGER {1,0}: RST, no FIN."
run unread-data-rst unread-data-rst 4 \
	--desc "Server closes with unread data: its kernel sends RST."
run half-close half-close 4 \
	--desc "Client shutdown(SHUT_WR); server sends 1.5 s more, then closes."
run simultaneous-close simultaneous-close 4 \
	--desc "Both FINs dropped by nft until both sides closed: they cross."
run refused refused 4 \
	--desc "SYN to a closed port answered by RST."
run fin-unacked fin-unacked 4 \
	--desc "Client FIN dropped by nft at the server: retransmitted, never ACKed."
run ipv6-leak server-never-closes 6 \
	--desc "IPv6: server never closes flow 1; flow 2 is clean."
run vlan server-never-closes 4 --vlan \
	--desc "802.1Q tag 100 added by tcprewrite; server leak + clean flow."
run cooked-any server-never-closes 4 --any \
	--desc "tcpdump -i any, Linux cooked v2 (SLL2); server leak + clean flow."
run cooked-any-v1 server-never-closes 4 --any --sll1 \
	--desc "tcpdump -i any -y LINUX_SLL (cooked v1); server leak + clean flow."
run midstream midstream 4 --midstream \
	--desc "Capture starts mid-connection (no SYN): roles inferred; leak + clean."
run pcapng-leak server-never-closes 4 --pcapng \
	--desc "pcapng with nanosecond timestamps; server leak + clean flow."
run demo-print-server demo-print-server 4 --filter "tcp or udp or icmp" \
	--desc "Print server 10.77.0.2:9100 never closes 28 of 90; 631 is healthy."
run print-server-leak print-server-leak 4 \
	--desc "Print server 10.77.0.2:9100 never closes 8 of 24 (before its fix); clean status query to 631."
run print-server-fixed print-server-fixed 4 \
	--desc "The same print server after its fix: all 24 closed at once; clean status query to 631."
