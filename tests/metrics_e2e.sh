#!/bin/bash
# SPDX-License-Identifier: MIT
# --metrics end to end, with Debian's prometheus scraping the real binary.
#
# Two network namespaces (client, server) are joined through a bridge in
# this namespace; their 10.x addresses exist only inside them. A server
# named "ftleak" accepts N connections from the client, which closes each
# one; the server never calls close(), so its N sockets sit in
# CLOSE_WAIT. For fintrace kernel, then fintrace live on the server's
# bridge port:
#  - prometheus (1 s scrapes, a copy of deploy/prometheus/fintrace-rules.yml
#    with short thresholds) must show fintrace_close_wait_sockets = N
#    labelled with the service (kernel: and comm="ftleak"), within 30 s;
#  - the copied FintraceCloseWaitTooOld rule must fire;
#  - promtool check metrics is clean on a scrape; any other path is 404;
#  - live: scrapers that connect and send nothing do not stall the
#    capture: the gauge still updates and the report lists the flows.
# Kernel mode also runs the server in a cgroup named like a docker
# container, when cgroup2 can be written, and checks the container label.
#
# Needs root, ip, curl, python3, prometheus and promtool: exit 77
# (skipped) without them, except under CI=true where that is a failure.
# Usage: metrics_e2e.sh FINTRACE [kernel|live|all]
set -uo pipefail

FT=${1:?usage: metrics_e2e.sh FINTRACE [kernel|live|all]}
WHAT=${2:-all}
N=5
PORT=8080
DEADLINE=30 # seconds for each wait
SRC="$(cd "$(dirname "$0")/.." && pwd)"

skip() {
	if [[ ${CI:-} == true ]]; then
		echo "metrics_e2e: cannot run under CI=true: $*" >&2
		exit 1
	fi
	echo "metrics_e2e: skipped: $*"
	exit 77
}

[[ $(id -u) == 0 ]] || skip "needs root (network namespaces, eBPF)"
for t in ip curl python3 prometheus promtool; do
	command -v $t >/dev/null || skip "$t missing"
done
[[ -x $FT ]] || skip "$FT is not built"

PY=$(command -v python3)
TAG=ftm$$
NS_C=${TAG}c
NS_S=${TAG}s
BR=${TAG}br
NET=10.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))
TMP=$(mktemp -d /tmp/metrics_e2e.XXXXXX)
CG=""
PIDS=()
FAILED=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	[[ -n $CG ]] && rmdir "$CG" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "metrics_e2e: FAIL: $*" >&2
	FAILED=1
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- the network: client and server namespaces on one bridge ---
ip link add "$BR" type bridge || skip "cannot create a bridge"
ip link set "$BR" up
for side in c s; do
	ns=${TAG}$side
	ip netns add "$ns" || skip "cannot create network namespaces"
	ip link add ${TAG}h$side type veth peer name ${TAG}n$side
	ip link set ${TAG}n$side netns "$ns"
	ip link set ${TAG}h$side master "$BR" up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set ${TAG}n$side name eth0
	ip -n "$ns" addr add "$NET.$([[ $side == c ]] && echo 1 || echo 2)/24" dev eth0
	ip -n "$ns" link set eth0 up
done
SRV=$NET.2

# The server: named ftleak, accepts N connections and never closes them.
cat >"$TMP/leak.py" <<'EOF'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"ftleak", 0, 0, 0)  # PR_SET_NAME
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(64)
open(sys.argv[4], "w").write("ready\n")
keep = [l.accept()[0] for _ in range(int(sys.argv[3]))]
time.sleep(3600)
EOF
cat >"$TMP/client.py" <<'EOF'
import socket, sys
for _ in range(int(sys.argv[3])):
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    c.close()
EOF

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ((SECONDS < end)); do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

# --- prometheus, with a copy of the rules whose thresholds are short ---
start_prometheus() { # target
	local pp
	pp=$(free_port)
	PROM=http://127.0.0.1:$pp
	sed -e 's/fintrace_close_wait_oldest_seconds > 600/fintrace_close_wait_oldest_seconds > 3/' \
		-e 's/for: 5m/for: 1s/' \
		"$SRC/deploy/prometheus/fintrace-rules.yml" >"$TMP/rules.yml"
	grep -q 'oldest_seconds > 3' "$TMP/rules.yml" || fail "rules copy: threshold not found"
	cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $TMP/rules.yml
scrape_configs:
  - job_name: fintrace
    static_configs:
      - targets: ["$1"]
EOF
	rm -rf "$TMP/data"
	prometheus --config.file="$TMP/prometheus.yml" \
		--storage.tsdb.path="$TMP/data" \
		--web.listen-address="127.0.0.1:$pp" \
		>"$TMP/prometheus.log" 2>&1 &
	PROM_PID=$!
	PIDS+=("$PROM_PID")
	wait_for $DEADLINE curl -sf "$PROM/-/ready" -o /dev/null ||
		{ fail "prometheus did not start"; tail -5 "$TMP/prometheus.log" >&2; }
}

stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# prom_value QUERY: the first sample's value, "" when none
prom_value() {
	curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
		"$PY" -c 'import json,sys
r=json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}

gauge_is() { # QUERY VALUE
	local v
	v=$(prom_value "$1")
	LAST=$v
	[[ $v == "$2" ]]
}

# prom_has QUERY LABEL=VALUE VALUE: a sample of QUERY has that label and value
prom_has() {
	curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
		"$PY" -c 'import json,sys
kv, want = sys.argv[1].split("=", 1), sys.argv[2]
r = json.load(sys.stdin)["data"]["result"]
sys.exit(0 if any(x["metric"].get(kv[0]) == kv[1] and x["value"][1] == want
                  for x in r) else 1)' "$2" "$3"
}

alert_firing() { # ALERTNAME LABEL=VALUE
	curl -sf "$PROM/api/v1/alerts" | "$PY" -c 'import json,sys
name, kv = sys.argv[1], sys.argv[2].split("=", 1)
a = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if any(x["labels"].get("alertname") == name and x["state"] == "firing"
                  and x["labels"].get(kv[0]) == kv[1] for x in a) else 1)' "$1" "$2"
}

# The server and the client; the server's sockets end in CLOSE_WAIT.
# With a cgroup directory, the server runs in it.
leak() { # cgroup-dir-or-empty
	rm -f "$TMP/ready"
	if [[ -n $1 ]]; then
		# join the cgroup first: ip netns exec remounts /sys
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' \
			sh "$1" ip netns exec "$NS_S" "$PY" "$TMP/leak.py" \
			"$SRV" $PORT $N "$TMP/ready" &
	else
		ip netns exec "$NS_S" "$PY" "$TMP/leak.py" "$SRV" $PORT $N "$TMP/ready" &
	fi
	LEAK_PID=$!
	PIDS+=("$LEAK_PID")
	wait_for 10 test -e "$TMP/ready" || { fail "the server did not start"; return 1; }
	ip netns exec "$NS_C" "$PY" "$TMP/client.py" "$SRV" $PORT $N ||
		{ fail "the client failed"; return 1; }
}

ss_close_wait() {
	ip netns exec "$NS_S" ss -Htan state close-wait "( sport = :$PORT )" | wc -l
}

# expect_leak MODE QUERY: prometheus shows N for QUERY, as ss does
expect_leak() {
	if wait_for $DEADLINE gauge_is "$2" $N; then
		echo "metrics_e2e: $1: $2 = $LAST; ss: $(ss_close_wait) in CLOSE-WAIT"
	else
		fail "$1: $2 is '$LAST', not $N (ss: $(ss_close_wait))"
	fi
}

scrape_checks() { # metrics URL
	local code
	curl -sf "$1/metrics" >"$TMP/scrape.txt" || fail "scrape of $1/metrics failed"
	promtool check metrics <"$TMP/scrape.txt" >"$TMP/promtool.txt" 2>&1 ||
		{ fail "promtool check metrics"; cat "$TMP/promtool.txt" >&2; }
	for path in / /metric /metrics/x /favicon.ico; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$1$path")
		[[ $code == 404 ]] || fail "GET $path answered $code, not 404"
	done
}

# --- fintrace kernel ---
run_kernel() {
	local mp hex=""
	echo "metrics_e2e: kernel"
	mp=$(free_port)
	if [[ -d /sys/fs/cgroup/unified ]]; then
		CGROOT=/sys/fs/cgroup/unified
	else
		CGROOT=/sys/fs/cgroup
	fi
	hex=$(printf '%08x' $$ $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM | cut -c1-64)
	hex=$(printf '%-64s' "$hex" | tr ' ' 'a')
	CG=$CGROOT/docker-$hex.scope
	if ! mkdir "$CG" 2>/dev/null; then
		echo "metrics_e2e: note: no writable cgroup2 here; container label not checked"
		CG=""
	fi
	"$FT" kernel --metrics "127.0.0.1:$mp" --linger 1s --interval 1s \
		--port $PORT --no-progress --format json -o "$TMP/kernel.json" \
		--report "$TMP/kernel.html" 2>"$TMP/kernel.err" &
	KPID=$!
	PIDS+=("$KPID")
	wait_for 15 curl -sf "http://127.0.0.1:$mp/metrics" -o /dev/null ||
		{ fail "fintrace kernel does not serve"; cat "$TMP/kernel.err" >&2; return; }
	start_prometheus "127.0.0.1:$mp"
	leak "$CG" || return 1
	expect_leak kernel "fintrace_close_wait_sockets{service=\"$SRV:$PORT\",comm=\"ftleak\"}"
	if [[ -n $CG ]]; then
		local cq="fintrace_close_wait_sockets{comm=\"ftleak\",container=\"${hex:0:12}\"}"
		wait_for 10 gauge_is "$cq" $N || fail "kernel: $cq is '$LAST', not $N"
	fi
	# README's query: services holding sockets in CLOSE_WAIT, with
	# process and container
	prom_has 'sort_desc(sum by (instance, service, comm, container) (fintrace_close_wait_sockets) > 0)' \
		comm=ftleak $N || fail "kernel: README's per-process query lacks ftleak"
	wait_for $DEADLINE alert_firing FintraceCloseWaitTooOld comm=ftleak ||
		fail "kernel: FintraceCloseWaitTooOld{comm=ftleak} not firing"
	scrape_checks "http://127.0.0.1:$mp"
	stop_pid "$KPID" ||
		{ fail "kernel: fintrace exited with status $? on SIGTERM"; tail -20 "$TMP/kernel.err" >&2; }
	stop_pid "$LEAK_PID"
	stop_pid "$PROM_PID"
	grep -q '"type":"flow".*"comm":"ftleak"' "$TMP/kernel.json" ||
		fail "kernel: the report has no socket of ftleak"
	if [[ -n $CG ]]; then
		grep -q "\"container\":\"${hex:0:12}\"" "$TMP/kernel.json" ||
			fail "kernel: the report's records lack the container"
		grep -q "(ftleak) container ${hex:0:12}" "$TMP/kernel.html" ||
			fail "kernel: the HTML report's owners lack the container"
		rmdir "$CG" 2>/dev/null
		CG=""
	fi
}

# --- fintrace live on the server's bridge port ---
run_live() {
	local mp idle=()
	echo "metrics_e2e: live"
	mp=$(free_port)
	"$FT" live -i ${TAG}hs --metrics "127.0.0.1:$mp" --linger 1s \
		--interval 1s --no-progress --format json -o "$TMP/live.json" \
		"tcp port $PORT" 2>"$TMP/live.err" &
	LPID=$!
	PIDS+=("$LPID")
	wait_for 15 curl -sf "http://127.0.0.1:$mp/metrics" -o /dev/null ||
		{ fail "fintrace live does not serve"; cat "$TMP/live.err" >&2; return; }
	# scrapers that connect and never send a byte
	for i in 1 2 3 4; do
		"$PY" -c 'import socket,sys,time
s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); time.sleep(60)' "$mp" &
		idle+=($!)
		PIDS+=($!)
	done
	start_prometheus "127.0.0.1:$mp"
	leak "" || return 1
	expect_leak live "fintrace_close_wait_sockets{service=\"$SRV:$PORT\"}"
	wait_for $DEADLINE alert_firing FintraceCloseWaitTooOld service="$SRV:$PORT" ||
		fail "live: FintraceCloseWaitTooOld{service=$SRV:$PORT} not firing"
	scrape_checks "http://127.0.0.1:$mp"
	stop_pid "$LPID" ||
		{ fail "live: fintrace exited with status $? on SIGTERM"; tail -20 "$TMP/live.err" >&2; }
	for p in "${idle[@]}"; do stop_pid "$p"; done
	stop_pid "$LEAK_PID"
	stop_pid "$PROM_PID"
	local flows
	flows=$(grep -c "\"type\":\"flow\".*\"server\":\"$SRV:$PORT\"" "$TMP/live.json")
	[[ $flows == "$N" ]] || fail "live: the report lists $flows flows to $SRV:$PORT, not $N"
	grep -q "fintrace live: ${TAG}hs: [1-9][0-9]* packets captured" "$TMP/live.err" ||
		fail "live: no packets captured"
}

case $WHAT in
kernel) run_kernel ;;
live) run_live ;;
all)
	run_kernel
	run_live
	;;
*) echo "usage: metrics_e2e.sh FINTRACE [kernel|live|all]" >&2; exit 1 ;;
esac
if ((FAILED)); then
	exit 1
fi
echo "metrics_e2e: ok"
