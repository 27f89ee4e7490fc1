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
	ip netns del ftrec-m 2>/dev/null || true
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
# namespace; returns once it is capturing.  With DUMPCAP set (its extra
# arguments, e.g. more -i), dumpcap instead: pcapng, whose interface
# statistics blocks state when the capture stopped.
DUMPCAP=()
USE_DUMPCAP=0
capture_start() {
	local file=$1 iface=$2 filter=$3

	shift 3
	TD_ERR=$file.err
	if ((USE_DUMPCAP)); then
		ip netns exec "$NS_S" dumpcap -n -i "$iface" -f "$filter" \
			"${DUMPCAP[@]}" -w "$file" 2>"$TD_ERR" &
		TD_PID=$!
		ftrec_wait_line "$TD_ERR" '^Capturing on' 5 ||
			die "dumpcap did not start: $(cat "$TD_ERR")"
		sleep 1 # every interface open
		return
	fi
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
	if ((USE_DUMPCAP)); then
		! grep -q "dropped on interface.*: [0-9]*/[1-9]" "$TD_ERR" ||
			die "dumpcap dropped packets: $(cat "$TD_ERR")"
		return
	fi
	dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$TD_ERR")
	[[ $dropped == 0 ]] || die "tcpdump dropped packets: $(cat "$TD_ERR")"
}

MID_ARGS=()
midstream_hook() {
	capture_start "${MID_ARGS[@]}"
}

# record NAME SCENARIO FAMILY [--any] [--sll1] [--vlan] [--pcapng]
#        [--midstream] [--filter EXPR] [--desc TEXT]
#        [--dumpcap] [--dumpcap-args "ARGS"] [--vxlan VNI] [--gzip]
#        [--wrap MODE] [--expect "VERDICTS"] [--tun]
# --dumpcap records with dumpcap (pcapng with interface statistics: the
# true end); --dumpcap-args adds to its command line (e.g. a second -i);
# --vxlan runs the scenario between vxlan devices (VNI) over the veth pair
# (addresses 10.78.0.1 and 10.78.0.2) and captures the outer packets;
# --gzip stores the capture gzip-compressed (NAME.pcap.gz).
# --wrap MODE (wrap.bpf.c: 1 MPLS, 2 GRE with key, 3 GRE bridging, 4
# ERSPAN II, 5 ERSPAN III, 6 IPv4 in IPv4, 7 PPPoE, 8 Geneve, 9 IPv6 in
# IPv4, for FAMILY 6, 10 VXLAN 1 and a second copy as VXLAN 2): a tc
# program on veth-s copies each packet, with that encapsulation pushed,
# to a mirror veth (mir-a, its peer in namespace ftrec-m), where the
# capture runs; the real exchange is untouched.
# --tun adds tun0 (raw IP, no packets) in the server namespace, for a
# capture on interfaces of several link types.
# --expect: the verdicts the capture must give, when the capture itself
# changes them from the scenario's (a one-direction filter).
record() {
	local name=$1 scn=$2 fam=$3 iface=$FTREC_IF_S filter=tcp
	local ext=pcap raw got want desc="" any=0 sll1=0 vlan=0 pcapng=0 mid=0
	local c=$C4 s=$S4 tdargs=() start end vni=0 gz=0 wrap=0 expect=""
	local tun=0

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
		--dumpcap) USE_DUMPCAP=1 ;;
		--dumpcap-args) read -ra DUMPCAP <<<"$2"; shift ;;
		--vxlan) vni=$2; shift ;;
		--gzip) gz=1 ;;
		--wrap) wrap=$2; shift ;;
		--expect) expect=$2; shift ;;
		--tun) tun=1 ;;
		*) die "record: bad option $1" ;;
		esac
		shift
	done
	[[ $fam == 6 ]] && c=$C6 s=$S6
	((any)) && iface=any
	((any && !sll1)) && tdargs+=(-y LINUX_SLL2)
	((sll1)) && tdargs+=(-y LINUX_SLL)
	((pcapng)) && tdargs+=(--time-stamp-precision=nano) && ext=pcapng
	((USE_DUMPCAP)) && ext=pcapng

	start=$(date +%s)
	raw=$TMP/$name.raw.pcap
	ftrec_ns_setup "$NS_C" "$NS_S" "$C4" "$S4" "$C6" "$S6" ||
		die "$name: namespace setup failed"
	if ((vni)); then
		vxlan_setup "$vni"
		c=10.78.0.1 s=10.78.0.2
	fi
	if ((tun)); then
		ip -n "$NS_S" tuntap add mode tun dev tun0 || die "no tun"
		ip -n "$NS_S" link set tun0 up
	fi
	if ((wrap)); then
		wrap_setup "$wrap"
		iface=mir-a filter="not ip6 and not arp"
	fi
	if ((mid)); then
		MID_ARGS=("$raw" "$iface" "$filter" "${tdargs[@]}")
		"ftrec_scn_${scn//-/_}" "$NS_C" "$NS_S" "$c" "$s" \
			midstream_hook || die "$name: scenario failed"
	else
		capture_start "$raw" "$iface" "$filter" "${tdargs[@]}"
		"ftrec_scn_${scn//-/_}" "$NS_C" "$NS_S" "$c" "$s" ||
			die "$name: scenario failed"
	fi
	# dumpcap: a silence before the stop, which only its interface
	# statistics (the true end) show.
	((USE_DUMPCAP)) && sleep 10
	capture_stop
	ftrec_reap
	ftrec_ns_teardown "$NS_C" "$NS_S"
	ip netns del "$NS_M" 2>/dev/null || true

	if ((USE_DUMPCAP)); then
		cp "$raw" "$TMP/$name.pcapng"
	elif ((vlan)); then
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
	if ((gz)); then
		gzip -9n <"$TMP/$name.$ext" >"$TMP/$name.$ext.gz"
		ext=$ext.gz
	fi
	FTREC_INNER=$((vni > 0 || wrap > 0)) "$HERE/expected.sh" "$TMP/$name.$ext" \
		"$desc" >"$TMP/$name.expected"
	USE_DUMPCAP=0
	DUMPCAP=()

	got=$(awk '!/^#/ { printf "%s%s", sep, $4; sep = " " }' \
		"$TMP/$name.expected")
	if [[ -n $expect ]]; then
		want=$expect
	elif [[ -n $FTREC_EXPECT ]]; then
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

	rm -f "$HERE/$name.pcap" "$HERE/$name.pcapng" "$HERE/$name.pcap.gz"
	cp "$TMP/$name.$ext" "$HERE/$name.$ext"
	cp "$TMP/$name.expected" "$HERE/$name.expected"
	end=$(date +%s)
	printf 'record: %-22s %3d frames %7d bytes %3d s  %s\n' "$name.$ext" \
		"$(capinfos -c -M "$HERE/$name.$ext" |
			awk '/Number of packets/ { print $NF }')" \
		"$(stat -c %s "$HERE/$name.$ext")" $((end - start)) "$got"
}

# vxlan_setup VNI: vxlan devices vx0 in both namespaces over the veth
# pair, 10.78.0.1/24 (client) and 10.78.0.2/24 (server), neighbours
# permanent so that no ARP crosses the tunnel during a scenario.
vxlan_setup() {
	local vni=$1 mc ms

	ip -n "$NS_C" link add vx0 type vxlan id "$vni" local "$C4" \
		remote "$S4" dstport 4789 dev "$FTREC_IF_C" ||
		die "vxlan: no vxlan device"
	ip -n "$NS_S" link add vx0 type vxlan id "$vni" local "$S4" \
		remote "$C4" dstport 4789 dev "$FTREC_IF_S" ||
		die "vxlan: no vxlan device"
	ip -n "$NS_C" addr add 10.78.0.1/24 dev vx0
	ip -n "$NS_S" addr add 10.78.0.2/24 dev vx0
	ip -n "$NS_C" link set vx0 up
	ip -n "$NS_S" link set vx0 up
	mc=$(ip netns exec "$NS_C" cat /sys/class/net/vx0/address)
	ms=$(ip netns exec "$NS_S" cat /sys/class/net/vx0/address)
	ip -n "$NS_C" neigh replace 10.78.0.2 lladdr "$ms" dev vx0 nud permanent
	ip -n "$NS_S" neigh replace 10.78.0.1 lladdr "$mc" dev vx0 nud permanent
}

# wrap_setup MODE: the mirror pair and wrap.bpf.c on veth-s (see record).
NS_M=ftrec-m
wrap_setup() {
	local mode=$1 idx

	ip netns add "$NS_M" || die "wrap: namespace $NS_M"
	ip -n "$NS_S" link add mir-a type veth peer name mir-b netns "$NS_M" ||
		die "wrap: mirror veth"
	ip netns exec "$NS_S" sysctl -qw net.ipv6.conf.mir-a.disable_ipv6=1
	ip netns exec "$NS_M" sysctl -qw net.ipv6.conf.mir-b.disable_ipv6=1
	ip -n "$NS_S" link set mir-a up
	ip -n "$NS_M" link set mir-b up
	idx=$(ip netns exec "$NS_S" cat /sys/class/net/mir-a/ifindex)
	clang -O2 -g -target bpf -DWRAP_MODE="$mode" -DWRAP_MIRROR="$idx" \
		-idirafter "/usr/include/$(gcc -print-multiarch)" \
		-c "$HERE/wrap.bpf.c" -o "$TMP/wrap.o" || die "wrap: clang"
	ip netns exec "$NS_S" tc qdisc add dev "$FTREC_IF_S" clsact
	for dir in ingress egress; do
		ip netns exec "$NS_S" tc filter add dev "$FTREC_IF_S" "$dir" \
			bpf da obj "$TMP/wrap.o" sec tc ||
			die "wrap: tc filter ($dir)"
	done
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
run late-half-close late-half-close 4 \
	--desc "Client shutdown(SHUT_WR); server sends 1.5 s more, then closes 6 s after its last data."
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
run isb-end server-never-closes 4 --dumpcap \
	--desc "dumpcap pcapng; its interface statistics state the true end, 10 s after the last packet."
run vxlan-leak server-never-closes 4 --vxlan 42 --filter "udp port 4789" \
	--desc "VXLAN 42 between vxlan devices over the veth pair; server leak + clean flow."
run multi-iface server-never-closes 4 --dumpcap --tun \
	--dumpcap-args "-s 65535 -i lo -s 128 -i tun0" \
	--desc "dumpcap on veth-s (Ethernet, snap 65535), lo (snap 128) and tun0 (raw IP): two link types, two snap lengths."
run one-way-client server-never-closes 4 \
	--filter "tcp and src host 10.77.0.1" --expect "open open" \
	--desc "Only the client's packets (capture filter src host 10.77.0.1): seen one way."
run one-way-server server-never-closes 4 \
	--filter "tcp and src host 10.77.0.2" --expect "open open" \
	--desc "Only the server's packets (capture filter src host 10.77.0.2): seen one way."
run gzip-leak server-never-closes 4 --gzip \
	--desc "gzip-compressed pcap; server leak + clean flow."
run mpls-leak server-never-closes 4 --wrap 1 \
	--desc "MPLS labels 100/200 pushed by a tc program (wrap.bpf.c); server leak + clean flow."
run gre-key-leak server-never-closes 4 --wrap 2 \
	--desc "GRE key 10 + sequence, pushed by a tc program (wrap.bpf.c); server leak + clean flow."
run gre-teb-leak server-never-closes 4 --wrap 3 \
	--desc "GRE bridging (0x6558), no key, pushed by a tc program; server leak + clean flow."
run erspan2-leak server-never-closes 4 --wrap 4 \
	--desc "ERSPAN type II session 5 in GRE, pushed by a tc program; server leak + clean flow."
run erspan3-leak server-never-closes 4 --wrap 5 \
	--desc "ERSPAN type III session 9 in GRE, pushed by a tc program; server leak + clean flow."
run ipip-leak server-never-closes 4 --wrap 6 \
	--desc "IPv4 in IPv4, pushed by a tc program (wrap.bpf.c); server leak + clean flow."
run vxlan-tenants server-never-closes 4 --wrap 10 \
	--expect "never-closed never-closed clean clean" \
	--desc "Each packet copied as VXLAN 1 and VXLAN 2 by wrap.bpf.c: two tenants, same inner addresses and ports."
run ip6ip-leak server-never-closes 6 --wrap 9 \
	--desc "IPv6 in IPv4 (protocol 41), pushed by a tc program (wrap.bpf.c); server leak + clean flow."
run pppoe-leak server-never-closes 4 --wrap 7 \
	--desc "PPPoE session 0x1234, pushed by a tc program (wrap.bpf.c); server leak + clean flow."
run geneve-leak server-never-closes 4 --wrap 8 \
	--desc "Geneve VNI 7 with an option, pushed by a tc program; server leak + clean flow."
run demo-print-server demo-print-server 4 --filter "tcp or udp or icmp" \
	--desc "Print server 10.77.0.2:9100 never closes 28 of 90; 631 is healthy."
run print-server-leak print-server-leak 4 \
	--desc "Print server 10.77.0.2:9100 never closes 8 of 24 (before its fix); clean status query to 631."
run print-server-fixed print-server-fixed 4 \
	--desc "The same print server after its fix: all 24 closed at once; clean status query to 631."
