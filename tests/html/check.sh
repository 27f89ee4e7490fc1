#!/bin/bash
# SPDX-License-Identifier: MIT
# Opens fintrace's HTML report of the demo capture in headless Chromium
# (through chromedriver's WebDriver protocol, with curl and jq), checks that
# it renders without console errors, reads the text a person sees on the
# rendered page (tests/html/visible.js) and compares it with the JSON
# output of the same run (tests/html/visible.jq), and saves a screenshot;
# as root, the same for a fintrace kernel report of traffic on loopback.
# Every further argument is a report built from
# hostile input: it must render with no script, no event handler
# attribute and no console error, and show the hostile text as text.
#
# usage: check.sh FINTRACE PCAP_DIR OUTDIR [HOSTILE.html...]
# Exit: 0 passed, 77 skipped (no Chromium, and not under CI=true), 1 failed.
set -euo pipefail

FT=$1
PCAPS=$2
OUT=$3
shift 3
HOSTILE=("$@")

CHROME=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
DRIVER=${CHROMEDRIVER:-$(command -v chromedriver || true)}
if [[ -z $CHROME || -z $DRIVER ]]; then
	if [[ ${CI:-} == true ]]; then
		echo "check.sh: chromium or chromedriver is missing" \
			"(setup.sh installs them)" >&2
		exit 1
	fi
	echo "check.sh: chromium or chromedriver is missing: skipped" >&2
	exit 77
fi
for tool in curl jq base64; do
	command -v $tool >/dev/null || {
		echo "check.sh: $tool is missing" >&2
		exit 1
	}
done

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/ft-html-XXXXXX)
DRIVER_PID=
SID=
BASE=
cleanup() {
	if [[ -n $SID ]]; then
		curl -s -m 5 -X DELETE "$BASE/session/$SID" >/dev/null || true
	fi
	if [[ -n $DRIVER_PID ]]; then
		kill "$DRIVER_PID" 2>/dev/null || true
		wait "$DRIVER_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "check.sh: $*" >&2
	exit 1
}

# ---- chromedriver on a free local port ----
# The log exists before the driver starts: the background job opens it
# only when it runs, and a sed on a missing file would end the script.
: >"$WORK/driver.log"
"$DRIVER" --port=0 --log-level=WARNING >"$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
for _ in $(seq 100); do
	port=$(sed -n 's/.*started successfully on port \([0-9]*\).*/\1/p' \
		"$WORK/driver.log")
	[[ -n $port ]] && break
	kill -0 "$DRIVER_PID" 2>/dev/null || break
	sleep 0.1
done
[[ -n ${port:-} ]] || fail "chromedriver did not start: $(cat "$WORK/driver.log")"
BASE=http://127.0.0.1:$port

# POST/GET/DELETE a WebDriver command; prints .value, fails on an error.
wd() {
	local method=$1 path=$2 body=${3:-} resp
	if [[ -n $body ]]; then
		resp=$(curl -s -m 30 -X "$method" -H 'Content-Type: application/json' \
			--data-binary @- "$BASE$path" <<<"$body")
	else
		resp=$(curl -s -m 30 -X "$method" "$BASE$path")
	fi
	if jq -e '.value | type == "object" and has("error")' \
		<<<"$resp" >/dev/null 2>&1; then
		fail "WebDriver $method $path: $(jq -c .value <<<"$resp")"
	fi
	jq -c .value <<<"$resp"
}

caps=$(jq -n --arg bin "$CHROME" --arg prof "$WORK/profile" '{
  capabilities: {alwaysMatch: {
    browserName: "chrome",
    "goog:loggingPrefs": {browser: "ALL"},
    "goog:chromeOptions": {binary: $bin, args: [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-dev-shm-usage",
      "--disable-default-apps", "--disable-extensions",
      ("--user-data-dir=" + $prof), "--window-size=1280,1000"]}}}}')
SID=$(wd POST /session "$caps" | jq -r .sessionId)
[[ -n $SID && $SID != null ]] || fail "no WebDriver session"

# What a reader sees (tests/html/visible.js), compared with the JSON
# report of the same run by tests/html/visible.jq.
HERE=$(cd "$(dirname "$0")" && pwd)
PAGE_JS=$(cat "$HERE/visible.js")

browser_errors() {
	wd POST "/session/$SID/se/log" '{"type":"browser"}' |
		jq -c '[.[] | select(.level == "SEVERE" or .level == "WARNING")]'
}

# Report of capture $1 saved as $OUT/$2.html (screenshot $2.png), its
# visible text checked against the JSON output of the same run; $3 $4 $5
# are the bounds of the services, client hosts and worst flows that the
# further arguments (fintrace options) give.
check_report() {
	local pcap=$1 name=$2 s=$3 c=$4 f=$5
	shift 5
	"$FT" read --format json --all "$pcap" --report "$OUT/$name.html" \
		"$@" >"$WORK/$name.json" ||
		fail "fintrace read --format json --report $pcap failed"
	check_page "$name" "$s" "$c" "$f"
}

# $OUT/$1.html (screenshot $1.png) checked against $WORK/$1.json; $2 $3
# $4 the bounds of the services, client hosts and worst flows.
check_page() {
	local name=$1 tops page errs h diffs
	tops=$(jq -n --argjson s "$2" --argjson c "$3" --argjson f "$4" \
		'{services: $s, clients: $c, flows: $f}')
	wd POST "/session/$SID/url" "$(jq -n --arg u "file://$OUT/$name.html" '{url: $u}')" >/dev/null
	page=$(wd POST "/session/$SID/execute/sync" "$(jq -n --arg s "$PAGE_JS" '{script: $s, args: []}')")
	echo "$page" >"$OUT/$name-page.json"
	errs=$(browser_errors)
	[[ $errs == "[]" ]] || fail "console errors in $name.html: $errs"

	# Full-page screenshot: grow the window to the page.
	h=$(jq .height <<<"$page")
	wd POST "/session/$SID/window/rect" "{\"width\":1280,\"height\":$((h + 40))}" >/dev/null
	wd GET "/session/$SID/screenshot" | jq -r . | base64 -d >"$OUT/$name.png"
	[[ -s $OUT/$name.png ]] || fail "no screenshot"
	wd POST "/session/$SID/window/rect" '{"width":1280,"height":1000}' >/dev/null

	diffs=$(jq -n --slurpfile js "$WORK/$name.json" --argjson p "$page" \
		--argjson top "$tops" -f "$HERE/visible.jq") ||
		fail "$name.html: visible.jq failed"
	[[ $diffs == "[]" ]] ||
		fail "$name.html shows other than the JSON output (page text in" \
			"$OUT/$name-page.json): $(jq -r '.[]' <<<"$diffs")"
}

# ---- the demo, a client-side leak, and shorter lists ----
check_report "$PCAPS/demo-print-server.pcap" report 5 5 10
check_report "$PCAPS/client-never-closes.pcap" client-leak 5 5 10
check_report "$PCAPS/demo-print-server.pcap" report-top3 3 3 3 --top 3
# A client out of ports: the TIME_WAIT section, its verdict and row.
check_report "$PCAPS/timewait-exhaustion.pcap" timewait 5 5 10 \
	--port-range 40000-40199
# Many services and client hosts (bench's ftgen, next to fintrace's build):
# every list cut, quiet rows, timelines left out of the chart.
FTGEN=$(dirname "$FT")/../bench/ftgen
[[ -x $FTGEN ]] || fail "no $FTGEN to write a capture with many services"
"$FTGEN" --flows 3000 --concurrency 300 --packets-per-flow 6 \
	--services 20 --clients 400 -o "$WORK/many.pcap" --truth /dev/null ||
	fail "ftgen failed"
check_report "$WORK/many.pcap" many 5 5 10

# ---- fintrace kernel (root): 30 clean connections on loopback, counted
# in the kernel, and 3 whose server never closes ----
kernel_page=
if [[ $(id -u) -eq 0 ]]; then
	kport=$((30000 + $$ % 20000))
	"$FT" kernel --format json --duration 5s --linger 1s --port "$kport" \
		--no-progress --report "$OUT/kernel.html" \
		>"$WORK/kernel.json" 2>"$WORK/kernel.err" &
	kpid=$!
	# attached: its BPF links are open (at most 10 s)
	for _ in $(seq 100); do
		[[ $(cat /proc/$kpid/fdinfo/* 2>/dev/null |
			grep -c '^link_type') -ge 2 ]] && break
		sleep 0.1
	done
	# the 3 stay open until the end of tracing: the script sleeps on
	python3 - "$kport" "$WORK/traffic.done" <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
kept = []
for i in range(33):
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = srv.accept()
    c.sendall(b"job")
    a.recv(3)
    c.close()
    a.recv(1)  # end of stream
    if i < 30:
        a.close()
    else:
        kept.append(a)  # never closed while traced
open(sys.argv[2], "w").close()
time.sleep(30)
EOF
	tpid=$!
	wait "$kpid" || fail "fintrace kernel failed: $(cat "$WORK/kernel.err")"
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null || true
	[[ -e $WORK/traffic.done ]] || fail "the kernel report's traffic failed"
	jq -e -s '[.[] | select(.type == "summary")][0] |
		.flows == 66 and .verdicts.clean == 63 and
		.verdicts["never-closed"] == 3' "$WORK/kernel.json" >/dev/null ||
		fail "fintrace kernel's summary is not 66 sockets, 63 clean," \
			"3 never closed: $(grep '"type":"summary"' "$WORK/kernel.json")"
	# one process made every socket: its row has all 66, once each
	jq -e -s '[.[] | select(.type == "process")] |
		length == 1 and .[0].flows == 66 and .[0].verdicts.clean == 63' \
		"$WORK/kernel.json" >/dev/null ||
		fail "fintrace kernel's process rows are not one of 66 sockets:" \
			"$(grep '"type":"process"' "$WORK/kernel.json")"
	cp "$WORK/kernel.json" "$OUT/kernel.json" # beside its page
	check_page kernel 5 5 10
	kernel_page=" and kernel.html"
elif [[ ${CI:-} == true ]]; then
	fail "the kernel report needs root under CI=true"
else
	echo "check.sh: fintrace kernel needs root: its report not checked" >&2
fi

# ---- reports built from hostile input ----
read -r -d '' HOSTILE_JS <<'EOF' || true
const all = (s) => Array.from(document.querySelectorAll(s));
return {
  scripts: all('script').length,
  handlers: all('*').filter(e => Array.from(e.attributes)
    .some(a => a.name.toLowerCase().startsWith('on'))).map(e => e.outerHTML.slice(0, 80)),
  iframes: all('iframe, object, embed, img, form, link, meta[http-equiv="refresh"]').length,
  text: document.body.textContent,
  alerted: window.__alerted === true
};
EOF
i=0
for h in "${HOSTILE[@]}"; do
	i=$((i + 1))
	wd POST "/session/$SID/url" "$(jq -n --arg u "file://$h" '{url: $u}')" >/dev/null
	page=$(wd POST "/session/$SID/execute/sync" "$(jq -n --arg s "$HOSTILE_JS" '{script: $s, args: []}')")
	errs=$(browser_errors)
	[[ $errs == "[]" ]] || fail "console errors in $h: $errs"
	jq -e '.scripts == 0 and (.handlers | length) == 0 and .iframes == 0 and
	       (.text | contains("<script>")) and (.text | contains("onerror="))' \
		<<<"$page" >/dev/null || fail "markup from the input got into $h: $page"
	wd GET "/session/$SID/screenshot" | jq -r . | base64 -d >"$OUT/hostile-$i.png"
done
echo "check.sh: what report.html, client-leak.html, report-top3.html, timewait.html, many.html$kernel_page show agrees with the JSON output; ${#HOSTILE[@]} hostile reports inert; screenshot $OUT/report.png"
