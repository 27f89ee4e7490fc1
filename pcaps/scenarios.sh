# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# fintrace's TCP teardown scenarios, as bash functions to source.  record.sh
# uses them to record the captures in this folder, and the live-capture and
# kernel (eBPF) tests use them to build the same scenarios at test time, in
# their own network namespaces.  Needs root, iproute2, and nftables for the
# two scenarios that drop packets.  Sends traffic only between the two
# namespaces given.
#
#   source pcaps/scenarios.sh
#   FTPEER=build/pcaps/ftpeer           # the scripted peer (else PATH)
#   ftrec_ns_setup tst-a tst-b           # tst-a: client 10.77.0.1 fd00:77::1
#                                        # tst-b: server 10.77.0.2 fd00:77::2
#   (start a capture / fintrace live / fintrace kernel here)
#   ftrec_scn_server_never_closes tst-a tst-b 10.77.0.1 10.77.0.2
#   echo "$FTREC_EXPECT"                 # never-closed clean
#   (stop the capture BEFORE the next line: it ends the leaking processes)
#   ftrec_reap
#   ftrec_ns_teardown tst-a tst-b
#
# Every ftrec_scn_NAME takes CLIENT_NS SERVER_NS CLIENT_ADDR SERVER_ADDR
# (bare IPv4 or IPv6 addresses of the two namespaces; pass fd00:77::1
# fd00:77::2 for IPv6), starts the peers in the background, waits (bounded)
# until the last packet the scenario is about should have been exchanged
# plus FTREC_SETTLE seconds, and returns 0, or 1 when a peer failed or a
# wait timed out (the reason is on stderr).  Processes that hold a socket
# that must stay open are still running on return: a capture must be
# stopped before ftrec_reap ends them, or the kernel's FIN at their exit
# lands in it.  Call the functions in the current shell, not in $(...) or
# a pipeline: their background processes must stay this shell's children.
#
# On return FTREC_EXPECT lists the verdicts the scenario intends, one per
# TCP flow in order of each flow's first packet (see README.md), or is
# empty when the order is not fixed; FTREC_EXPECT_COUNTS then gives
# "verdict=count ..." instead.  FTREC_PORT is the service port used.
#
# Globals (this file's whole state): FTPEER, FTREC_LOGDIR (the peers' -v
# logs, one file per peer; a fresh temporary directory by default),
# FTREC_SETTLE, FTREC_PIDS, FTREC_CLEANUP, FTREC_EXPECT, FTREC_EXPECT_COUNTS,
# FTREC_PORT, FTREC_LAST_PID, FTREC_LAST_LOG.

FTREC_IF_C=veth-c		# interface in the client namespace
FTREC_IF_S=veth-s		# interface in the server namespace
: "${FTREC_SETTLE:=0.5}"
FTREC_PIDS=()
FTREC_CLEANUP=()
FTREC_EXPECT=""
FTREC_EXPECT_COUNTS=""
FTREC_PORT=""
FTREC_LAST_PID=""
FTREC_LAST_LOG=""

ftrec_err() {
	echo "scenarios: $*" >&2
}

# ftrec_hostport ADDR PORT: "10.77.0.2:9100" or "[fd00:77::2]:9100".
ftrec_hostport() {
	if [[ $1 == *:* ]]; then
		printf '[%s]:%s\n' "$1" "$2"
	else
		printf '%s:%s\n' "$1" "$2"
	fi
}

# ftrec_ns_setup CLIENT_NS SERVER_NS [C4 S4 C6 S6]
# Creates both namespaces and a veth pair between them (veth-c in the
# client namespace, veth-s in the server namespace; the pair is created
# directly inside the namespaces, so the names never clash with anything
# else on the host), assigns C4/24 + C6/64 and S4/24 + S6/64 (defaults
# 10.77.0.1, 10.77.0.2, fd00:77::1, fd00:77::2) without IPv6 duplicate
# address detection, and installs permanent neighbour entries both ways,
# so that no ARP or neighbour discovery runs during a scenario.
ftrec_ns_setup() {
	local nc=$1 ns=$2 c4=${3:-10.77.0.1} s4=${4:-10.77.0.2}
	local c6=${5:-fd00:77::1} s6=${6:-fd00:77::2} n mac_c mac_s

	for n in "$nc" "$ns"; do
		ip netns add "$n" || return 1
		ip -n "$n" link set lo up || return 1
		ip netns exec "$n" sysctl -qw \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_ra=0 >/dev/null || return 1
	done
	ip -n "$nc" link add "$FTREC_IF_C" type veth \
		peer name "$FTREC_IF_S" netns "$ns" || return 1
	ip -n "$nc" addr add "$c4/24" dev "$FTREC_IF_C" || return 1
	ip -n "$ns" addr add "$s4/24" dev "$FTREC_IF_S" || return 1
	ip -n "$nc" addr add "$c6/64" dev "$FTREC_IF_C" nodad || return 1
	ip -n "$ns" addr add "$s6/64" dev "$FTREC_IF_S" nodad || return 1
	ip -n "$nc" link set "$FTREC_IF_C" up || return 1
	ip -n "$ns" link set "$FTREC_IF_S" up || return 1
	mac_c=$(ip netns exec "$nc" cat "/sys/class/net/$FTREC_IF_C/address")
	mac_s=$(ip netns exec "$ns" cat "/sys/class/net/$FTREC_IF_S/address")
	ip -n "$nc" neigh replace "$s4" lladdr "$mac_s" dev "$FTREC_IF_C" \
		nud permanent || return 1
	ip -n "$nc" neigh replace "$s6" lladdr "$mac_s" dev "$FTREC_IF_C" \
		nud permanent || return 1
	ip -n "$ns" neigh replace "$c4" lladdr "$mac_c" dev "$FTREC_IF_S" \
		nud permanent || return 1
	ip -n "$ns" neigh replace "$c6" lladdr "$mac_c" dev "$FTREC_IF_S" \
		nud permanent || return 1
}

# ftrec_ns_teardown NS...: deletes the namespaces (and so the veth pair).
ftrec_ns_teardown() {
	local n

	for n in "$@"; do
		ip netns del "$n" 2>/dev/null || true
	done
}

# ftrec_addr_add CLIENT_NS SERVER_NS ADDR: one more client address
# (IPv4 /24 or IPv6 /64) with its permanent neighbour entry on the server.
ftrec_addr_add() {
	local nc=$1 ns=$2 a=$3 mac_c

	mac_c=$(ip netns exec "$nc" cat "/sys/class/net/$FTREC_IF_C/address")
	if [[ $a == *:* ]]; then
		ip -n "$nc" addr add "$a/64" dev "$FTREC_IF_C" nodad || return 1
	else
		ip -n "$nc" addr add "$a/24" dev "$FTREC_IF_C" || return 1
	fi
	ip -n "$ns" neigh replace "$a" lladdr "$mac_c" dev "$FTREC_IF_S" \
		nud permanent
}

# ftrec_peer NS NAME ARGS...: starts "ftpeer ARGS -v" in NS in the
# background; its events go to $FTREC_LOGDIR/NAME.log (stderr NAME.err).
# Sets FTREC_LAST_PID and FTREC_LAST_LOG.
ftrec_peer() {
	local n=$1 name=$2

	shift 2
	if [[ -z ${FTPEER:-} ]]; then
		FTPEER=$(command -v ftpeer) || {
			ftrec_err "set FTPEER to the ftpeer binary"
			return 1
		}
	fi
	if [[ -z ${FTREC_LOGDIR:-} ]]; then
		FTREC_LOGDIR=$(mktemp -d /tmp/ftrec-logs.XXXXXX) || return 1
	fi
	FTREC_LAST_LOG=$FTREC_LOGDIR/$name.log
	: >"$FTREC_LAST_LOG"
	ip netns exec "$n" "$FTPEER" "$@" -v >"$FTREC_LAST_LOG" \
		2>"$FTREC_LOGDIR/$name.err" &
	FTREC_LAST_PID=$!
	FTREC_PIDS+=("$FTREC_LAST_PID")
}

# ftrec_wait_line FILE REGEX SECS: waits until a line of FILE matches the
# extended REGEX. Returns 1 after SECS seconds without one.
ftrec_wait_line() {
	local f=$1 re=$2 i n

	n=$(awk -v s="$3" 'BEGIN { printf "%d", s * 50 }')
	for ((i = 0; i <= n; i++)); do
		grep -Eq -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.02
	done
	ftrec_err "timeout after $3 s waiting for /$re/ in $f"
	return 1
}

# ftrec_wait_exit PID SECS: waits until PID (a child of this shell) exits
# and returns its exit status; 124 after SECS seconds (PID left running).
ftrec_wait_exit() {
	local pid=$1 i n rc

	n=$(awk -v s="$2" 'BEGIN { printf "%d", s * 50 }')
	for ((i = 0; i <= n; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			return "$rc"
		fi
		sleep 0.02
	done
	ftrec_err "timeout after $2 s waiting for pid $pid to exit"
	return 124
}

# ftrec_wait_ok PID SECS WHAT: ftrec_wait_exit, complaining unless 0.
ftrec_wait_ok() {
	local rc=0

	ftrec_wait_exit "$1" "$2" || rc=$?
	((rc == 0)) || ftrec_err "$3 failed (status $rc)"
	return "$rc"
}

# ftrec_server NS NAME ADDR PORT ARGS...: starts a server and waits
# (at most 5 s) until it listens.
ftrec_server() {
	local n=$1 name=$2 hp

	hp=$(ftrec_hostport "$3" "$4")
	shift 4
	ftrec_peer "$n" "$name" server -l "$hp" "$@" || return 1
	ftrec_wait_line "$FTREC_LAST_LOG" ' listen ' 5
}

# ftrec_reap: ends every peer still running (SIGTERM, then SIGKILL after
# 2 s), waits for them, and runs the scenario's cleanup commands (nft
# tables, sysctls). Always returns 0.
ftrec_reap() {
	local pid i cmd

	for pid in "${FTREC_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${FTREC_PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for cmd in "${FTREC_CLEANUP[@]}"; do
		eval "$cmd" >/dev/null 2>&1 || true
	done
	FTREC_PIDS=()
	FTREC_CLEANUP=()
	return 0
}

ftrec_settle() {
	sleep "$FTREC_SETTLE"
}

# nft table "ftrec" in NS with one input-hook chain holding RULE.
ftrec_nft_drop() {
	local n=$1 rule=$2

	ip netns exec "$n" nft -f - <<-EOF || return 1
		table inet ftrec {
			chain input {
				type filter hook input priority 0; policy accept;
				$rule
			}
		}
	EOF
	FTREC_CLEANUP+=("ip netns exec '$n' nft delete table inet ftrec")
}

ftrec_nft_lift() {
	ip netns exec "$1" nft delete table inet ftrec
}

# 1. The client closes first, the server closes at once: clean.
ftrec_scn_clean_client_close() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli

	FTREC_PORT=9100 FTREC_EXPECT="clean" FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" clean-client-close-server "$s" 9100 \
		--reply 200 --exit-after 10 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" clean-client-close-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --close-after 300 \
		--exit-after 10 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 10 client || return 1
	ftrec_wait_ok "$srv" 10 server || return 1
	ftrec_settle
}

# 2. The server closes first (0.3 s after accept), the client at once.
ftrec_scn_clean_server_close() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli

	FTREC_PORT=9100 FTREC_EXPECT="clean" FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" clean-server-close-server "$s" 9100 \
		--reply 200 --close-first=0.3 --exit-after 10 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" clean-server-close-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --exit-after 10 ||
		return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 10 client || return 1
	ftrec_wait_ok "$srv" 10 server || return 1
	ftrec_settle
}

# 3. The client sends a request and closes; the server ACKs the FIN and
# never closes. 7 s later a second connection closes cleanly: its packets
# end the capture, so the leak's close-wait at capture end is about 7 s.
# The server stays alive (holding the leaked socket) until ftrec_reap.
# Also used for ipv6-leak, vlan, cooked-any* and pcapng.
ftrec_scn_server_never_closes() {
	local nc=$1 ns=$2 c=$3 s=$4 cli

	FTREC_PORT=9100 FTREC_EXPECT="never-closed clean"
	FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" server-never-closes-server "$s" 9100 -n 2 \
		--reply 200 --on-eof never,close --exit-after 60 || return 1
	ftrec_peer "$nc" server-never-closes-client client \
		-c "$(ftrec_hostport "$s" 9100)" -n 2 --interval 7000 \
		--send 300 --close-after 300 --exit-after 20 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 20 client || return 1
	ftrec_settle
}

# 4. The server closes 7 s after the client's FIN (threshold 5 s).
ftrec_scn_server_late_close() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli

	FTREC_PORT=9100 FTREC_EXPECT="late-close" FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" server-late-close-server "$s" 9100 \
		--reply 200 --on-eof late=7 --exit-after 20 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" server-late-close-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --close-after 300 \
		--exit-after 20 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 20 client || return 1
	ftrec_wait_ok "$srv" 20 server || return 1
	ftrec_settle
}

# 5. As 4, with tcp_fin_timeout=2 in the client namespace: the client's
# orphaned FIN_WAIT2 expires after 2 s, so the server's FIN 6 s after the
# client's is answered by RST. The sysctl is restored by ftrec_reap.
ftrec_scn_late_fin_rst() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli old

	FTREC_PORT=9100 FTREC_EXPECT="late-close" FTREC_EXPECT_COUNTS=""
	old=$(ip netns exec "$nc" sysctl -n net.ipv4.tcp_fin_timeout) ||
		return 1
	ip netns exec "$nc" sysctl -qw net.ipv4.tcp_fin_timeout=2 || return 1
	FTREC_CLEANUP+=("ip netns exec '$nc' sysctl -qw net.ipv4.tcp_fin_timeout=$old")
	ftrec_server "$ns" late-fin-rst-server "$s" 9100 \
		--reply 200 --on-eof late=6 --exit-after 20 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" late-fin-rst-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --close-after 300 \
		--exit-after 20 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 20 client || return 1
	ftrec_wait_ok "$srv" 20 server || return 1
	ftrec_settle
}

# 6. The server closes first; the client ACKs the FIN and never closes.
# 7 s later a second connection closes cleanly (as in 3). The client
# stays alive, holding the leaked socket, until ftrec_reap.
ftrec_scn_client_never_closes() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli

	FTREC_PORT=9100 FTREC_EXPECT="never-closed clean"
	FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" client-never-closes-server "$s" 9100 -n 2 \
		--reply 200 --close-first=0.3 --exit-after 20 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" client-never-closes-client client \
		-c "$(ftrec_hostport "$s" 9100)" -n 2 --interval 7000 \
		--send 300 --on-eof never,close --exit-after 60 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_line "$FTREC_LAST_LOG" ' close conn=2 ' 20 || return 1
	ftrec_wait_ok "$srv" 10 server || return 1
	ftrec_settle
}

# 7. The client aborts (SO_LINGER {1, 0}) after the reply: RST, no FIN.
ftrec_scn_abort_linger0() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli

	FTREC_PORT=9100 FTREC_EXPECT="reset" FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" abort-linger0-server "$s" 9100 \
		--reply 200 --exit-after 10 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" abort-linger0-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --close-after 300 \
		--abort --exit-after 10 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 10 client || return 1
	ftrec_wait_ok "$srv" 10 server || return 1
	ftrec_settle
}

# 8. The client sends 3000 bytes the server never reads; the server's
# close() 0.3 s after accept makes its kernel send RST (RFC 9293, 3.10.4).
ftrec_scn_unread_data_rst() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli

	FTREC_PORT=9100 FTREC_EXPECT="reset" FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" unread-data-rst-server "$s" 9100 \
		--no-read --close-first=0.3 --exit-after 10 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" unread-data-rst-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 3000 --exit-after 10 ||
		return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 10 client || return 1
	ftrec_wait_ok "$srv" 10 server || return 1
	ftrec_settle
}

# 9. The client sends a request and shutdown(SHUT_WR)s; the server keeps
# sending 1000 bytes every 100 ms for 1.5 s after that FIN, then closes.
ftrec_scn_half_close() {
	ftrec_half_close_run half-close keep-sending=1.5 half-close "$@"
}

# A half-close whose passive side, done sending, closes 6 s after its last
# data: later than the 5 s linger, so late-close.
ftrec_scn_late_half_close() {
	ftrec_half_close_run late-half-close keep-sending=1.5+6 late-close "$@"
}

# ftrec_half_close_run NAME ON_EOF VERDICT CLIENT_NS SERVER_NS C S: the
# client sends 300 bytes and shutdown(SHUT_WR)s; the server does ON_EOF.
ftrec_half_close_run() {
	local name=$1 on_eof=$2 nc=$4 ns=$5 s=$7 srv cli

	FTREC_PORT=9100 FTREC_EXPECT=$3 FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" "$name-server" "$s" 9100 \
		--on-eof "$on_eof" --chunk 1000 --exit-after 15 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" "$name-client" client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --shutdown-wr \
		--exit-after 15 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 15 client || return 1
	ftrec_wait_ok "$srv" 15 server || return 1
	ftrec_settle
}

# 10. The server closes 1 s after establishment and the client 50 ms later
# (so the server is the active closer), while an nft rule in each
# namespace drops incoming FINs (after any capture point: taps see packets
# before netfilter's input hook). 0.5 s later the rules are lifted and the
# retransmitted FINs cross: neither FIN was ACKed before the other was
# sent.
ftrec_scn_simultaneous_close() {
	local nc=$1 ns=$2 c=$3 s=$4 srv cli rule

	FTREC_PORT=9100 FTREC_EXPECT="simultaneous" FTREC_EXPECT_COUNTS=""
	rule="tcp sport 9100 tcp flags & fin == fin drop"
	ftrec_nft_drop "$nc" "$rule" || return 1
	rule="tcp dport 9100 tcp flags & fin == fin drop"
	ftrec_nft_drop "$ns" "$rule" || return 1
	ftrec_server "$ns" simultaneous-close-server "$s" 9100 \
		--reply 200 --close-first=1 --exit-after 10 || return 1
	srv=$FTREC_LAST_PID
	ftrec_peer "$nc" simultaneous-close-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --close-after 1050 \
		--exit-after 10 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 10 client || return 1
	ftrec_wait_ok "$srv" 10 server || return 1
	sleep 0.5
	ftrec_nft_lift "$nc" || return 1
	ftrec_nft_lift "$ns" || return 1
	# Retransmissions back off (0.2, 0.4, 0.8 s ...): wait for the next.
	sleep 2
	ftrec_settle
}

# 11. A connect() to a port nobody listens on: RST answers the SYN.
ftrec_scn_refused() {
	local nc=$1 ns=$2 c=$3 s=$4 cli

	FTREC_PORT=9200 FTREC_EXPECT="refused" FTREC_EXPECT_COUNTS=""
	ftrec_peer "$nc" refused-client client \
		-c "$(ftrec_hostport "$s" 9200)" --expect-refused \
		--exit-after 10 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_ok "$cli" 10 client || return 1
	ftrec_settle
}

# 12. After the request and reply an nft rule in the server namespace
# drops everything from the client; the client closes 1 s after
# establishment, and its FIN is retransmitted, never ACKed, for 5 s. The
# server stays alive (it never saw the FIN) until ftrec_reap, which also
# lifts the rule.
ftrec_scn_fin_unacked() {
	local nc=$1 ns=$2 c=$3 s=$4 cli fam=ip

	[[ $c == *:* ]] && fam=ip6
	FTREC_PORT=9100 FTREC_EXPECT="fin-unacked" FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" fin-unacked-server "$s" 9100 \
		--reply 200 --exit-after 60 || return 1
	ftrec_peer "$nc" fin-unacked-client client \
		-c "$(ftrec_hostport "$s" 9100)" --send 300 --close-after 1000 \
		--exit-after 10 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_line "$FTREC_LAST_LOG" ' established conn=1 ' 5 || return 1
	sleep 0.5
	ftrec_nft_drop "$ns" "$fam saddr $c drop" || return 1
	ftrec_wait_ok "$cli" 10 client || return 1
	sleep 5
}

# 16. Mid-stream: the client sends 100 bytes every 500 ms and closes 2 s
# after establishment; the server never closes. HOOK (a command, e.g. one
# that starts a capture) runs 0.3 s after establishment, before the
# close, and must return within 1.2 s. A second connection 7 s after the
# first closes cleanly and ends the capture.
ftrec_scn_midstream() {
	local nc=$1 ns=$2 c=$3 s=$4 hook=${5:-} cli t0 t1

	FTREC_PORT=9100 FTREC_EXPECT="never-closed clean"
	FTREC_EXPECT_COUNTS=""
	ftrec_server "$ns" midstream-server "$s" 9100 -n 2 \
		--on-eof never,close --exit-after 60 || return 1
	ftrec_peer "$nc" midstream-client client \
		-c "$(ftrec_hostport "$s" 9100)" -n 2 --interval 7000 \
		--send 100 --send-every 500 --close-after 2000 \
		--exit-after 20 || return 1
	cli=$FTREC_LAST_PID
	ftrec_wait_line "$FTREC_LAST_LOG" ' established conn=1 ' 5 || return 1
	sleep 0.3
	if [[ -n $hook ]]; then
		t0=$(date +%s%N)
		$hook || return 1
		t1=$(date +%s%N)
		if (((t1 - t0) > 1200000000)); then
			ftrec_err "midstream hook took too long"
			return 1
		fi
		if grep -q ' close conn=1 ' "$FTREC_LOGDIR/midstream-client.log"; then
			ftrec_err "midstream: client closed before the hook was done"
			return 1
		fi
	fi
	ftrec_wait_ok "$cli" 20 client || return 1
	ftrec_settle
}

# ftrec_print_clients NC S NAME N INTERVAL GAP SECS ADDR...: one print
# client per ADDR (bound to it), each sending N jobs of 700 bytes to S:9100
# INTERVAL ms apart and closing 150 ms after each connect, started GAP s
# apart; then waits (at most SECS s) until every one has finished.
ftrec_print_clients() {
	local nc=$1 s=$2 name=$3 n=$4 iv=$5 gap=$6 secs=$7 a i=0 pids=()

	shift 7
	for a in "$@"; do
		ftrec_peer "$nc" "$name-$i" client -b "$a" \
			-c "$(ftrec_hostport "$s" 9100)" -n "$n" --interval "$iv" \
			--send 700 --close-after 150 --exit-after "$secs" ||
			return 1
		pids+=("$FTREC_LAST_PID")
		i=$((i + 1))
		sleep "$gap"
	done
	for a in "${pids[@]}"; do
		ftrec_wait_ok "$a" "$secs" "$name" || return 1
	done
}

# 18. Quick-start demo: a print server on port 9100 that leaks, and a
# healthy IPP-like service on 631. Five client addresses (CLIENT_ADDR and
# EXTRA..., default 10.77.0.11-14, added to the client namespace) each
# send 18 print jobs of 700 bytes, 1.1 s apart, over 20 s (90 jobs); the
# print server's --on-eof pattern leaves 4 connections in 13 open for
# good (28 of 90: CLOSE_WAIT piles up), closes 1 in 13 six seconds late
# (7) and the rest (55) at once. Meanwhile CLIENT_ADDR makes 27 request/reply exchanges
# with 631, 1 s apart, all clean; they run past the print jobs so the
# capture ends about 7 s after the last print job. Two UDP datagrams to
# a closed port at the start (each answered by ICMP port unreachable)
# give the capture some non-TCP traffic. Both servers stay alive until
# ftrec_reap.
ftrec_scn_demo_print_server() {
	local nc=$1 ns=$2 c=$3 s=$4 a i pat pids=() clis=()
	local extra=("${@:5}")

	if ((${#extra[@]} == 0)); then
		extra=(10.77.0.11 10.77.0.12 10.77.0.13 10.77.0.14)
	fi
	FTREC_PORT=9100 FTREC_EXPECT=""
	FTREC_EXPECT_COUNTS="clean=82 late-close=7 never-closed=28"
	for a in "${extra[@]}"; do
		ftrec_addr_add "$nc" "$ns" "$a" || return 1
	done
	# 13 entries: prime to the 5 clients, so leaks hit every client.
	pat=close,never,close,close,never,late=6,close,never,close,close
	pat+=,never,close,close
	ftrec_server "$ns" demo-print-server "$s" 9100 -n 0 --on-eof "$pat" \
		--exit-after 120 || return 1
	ftrec_server "$ns" demo-ipp-server "$s" 631 -n 0 --reply 400 \
		--exit-after 120 || return 1
	# Non-TCP noise: UDP to the closed port 9, answered by ICMP port
	# unreachable.
	for i in 1 2; do
		ip netns exec "$nc" bash -c \
			"echo noise >/dev/udp/$s/9" 2>/dev/null || return 1
	done
	ftrec_peer "$nc" demo-ipp-client client \
		-c "$(ftrec_hostport "$s" 631)" -n 27 --interval 1000 \
		--send 150 --close-after 200 --exit-after 60 || return 1
	clis+=("$FTREC_LAST_PID")
	ftrec_print_clients "$nc" "$s" demo-print-client 18 1100 0.21 60 \
		"$c" "${extra[@]}" || return 1
	for a in "${clis[@]}"; do
		ftrec_wait_ok "$a" 60 "demo client" || return 1
	done
	# Every late close announced by the print server has happened.
	for ((i = 0; i < 500; i++)); do
		(($(grep -c 'action=late' "$FTREC_LOGDIR/demo-print-server.log") ==
		  $(grep -c 'reason=late' "$FTREC_LOGDIR/demo-print-server.log"))) &&
			break
		sleep 0.02
	done
	ftrec_settle
}

# print-server-leak / print-server-fixed: the same print server
# 10.77.0.2:9100 before and after its fix, for fintrace compare. Two
# client addresses send 12 jobs of 700 bytes each, 400 ms apart, and close
# first. Before the fix the server never closes 1 connection in 3 (8 of
# 24); after it, it closes every one at once. A status query to port 631
# 6.5 s after the last job (clean) ends the capture, so that every leaked
# socket has waited past the default --linger (5 s).
# ftrec_print_server NC NS C S PATTERN EXPECT.
ftrec_print_server() {
	local nc=$1 ns=$2 c=$3 s=$4 pat=$5

	FTREC_PORT=9100 FTREC_EXPECT="" FTREC_EXPECT_COUNTS=$6
	ftrec_addr_add "$nc" "$ns" 10.77.0.11 || return 1
	ftrec_server "$ns" print-server "$s" 9100 -n 0 --on-eof "$pat" \
		--exit-after 60 || return 1
	ftrec_server "$ns" print-status-server "$s" 631 -n 0 --reply 400 \
		--exit-after 60 || return 1
	ftrec_print_clients "$nc" "$s" print-client 12 400 0.13 30 "$c" \
		10.77.0.11 || return 1
	# The capture ends with its last packet: one status query to 631
	# 6.5 s after the last job makes every leak older than --linger.
	sleep 6.5
	ftrec_peer "$nc" print-status client -c "$(ftrec_hostport "$s" 631)" \
		-n 1 --send 150 --close-after 100 --exit-after 10 || return 1
	ftrec_wait_ok "$FTREC_LAST_PID" 10 "status client" || return 1
	ftrec_settle
}

ftrec_scn_print_server_leak() {
	ftrec_print_server "$1" "$2" "$3" "$4" close,never,close \
		"clean=17 never-closed=8"
}

ftrec_scn_print_server_fixed() {
	ftrec_print_server "$1" "$2" "$3" "$4" close "clean=25"
}

# Names of all scenarios, in record.sh's order (ftrec_scn_NAME with - as _).
FTREC_SCENARIOS=(
	clean-client-close clean-server-close server-never-closes
	server-late-close late-fin-rst client-never-closes abort-linger0
	unread-data-rst half-close simultaneous-close refused fin-unacked
	midstream demo-print-server print-server-leak print-server-fixed
)
