#!/bin/bash
# SPDX-License-Identifier: MIT
# Opens fintrace's HTML report of the demo capture in headless Chromium
# (through chromedriver's WebDriver protocol, with curl and jq), checks that
# it renders without console errors, reads the numbers on the page and
# compares them with `fintrace read --format json` of the same capture,
# and saves a screenshot. Every further argument is a report built from
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

# What the page shows, as data: every number the test compares.
read -r -d '' PAGE_JS <<'EOF' || true
const q = (s) => document.querySelector(s);
const all = (s) => Array.from(document.querySelectorAll(s));
const n = (v) => (v === undefined || v === null || v === "") ? null : Number(v);
const tl = q('#timeline-chart polyline');
return {
  title: document.title,
  headline: q('#headline').textContent,
  headlineVisible: q('#headline').getBoundingClientRect().height > 0,
  tiles: all('#verdict-counts li').map(li => ({
    verdict: li.dataset.verdict || 'flows', count: n(li.dataset.count),
    shown: li.querySelector('b').textContent})),
  packets: n(q('#fact-packets').dataset.value),
  services: all('#service-table tr.group, #client-table tr.group').map(tr => ({
    name: tr.dataset.name, side: tr.dataset.side,
    flows: n(tr.dataset.flows), never: n(tr.dataset.neverClosed),
    late: n(tr.dataset.lateClose), clean: n(tr.dataset.clean),
    at_end: n(tr.dataset.atEnd), peak: n(tr.dataset.peak),
    p50: n(tr.dataset.p50), p90: n(tr.dataset.p90),
    p99: n(tr.dataset.p99), max: n(tr.dataset.max),
    cells: Array.from(tr.cells).slice(1, 6).map(c => Number(c.textContent))})),
  worst: all('#worst-table tr.flow').map(tr => ({
    id: n(tr.dataset.id), verdict: tr.dataset.verdict,
    first: n(tr.dataset.firstFrame), last: n(tr.dataset.lastFrame),
    close_wait: n(tr.dataset.closeWait)})),
  filters: all('#worst-table code.filter').length,
  series: all('#timeline-chart g.series').map(g => ({
    name: g.dataset.name, peak: n(g.dataset.peak),
    values: g.dataset.values.split(',').map(Number)})),
  timelineDrawn: tl ? tl.getBBox().width > 100 : false,
  histTotal: n(q('#histogram-chart').dataset.total),
  histBars: all('#histogram-chart rect').length,
  scripts: all('script').length,
  handlers: all('*').filter(e => Array.from(e.attributes)
    .some(a => a.name.toLowerCase().startsWith('on'))).length,
  height: document.documentElement.scrollHeight
};
EOF

browser_errors() {
	wd POST "/session/$SID/se/log" '{"type":"browser"}' |
		jq -c '[.[] | select(.level == "SEVERE" or .level == "WARNING")]'
}

# Report of capture $1 saved as $OUT/$2.html (screenshot $2.png), checked
# against the JSON output of the same capture.
check_report() {
	local pcap=$1 name=$2 page errs h
	"$FT" read --format json --all "$pcap" >"$WORK/$name.json" ||
		fail "fintrace read --format json $pcap failed"
	"$FT" read "$pcap" --report "$OUT/$name.html" >/dev/null ||
		fail "fintrace read --report $pcap failed"
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

	jq -e -n --slurpfile js "$WORK/$name.json" --argjson p "$page" '
	  ($js | map(select(.type == "summary"))[0]) as $s |
	  ($js | map(select(.type == "service"))) as $svc |
	  ($js | map(select(.type == "flow"))) as $flows |
	  def close(a; b): (a == null and b == null) or
	    (a != null and b != null and ((a - b) | fabs) < 1e-6);
	  def check(cond; what): if cond then true else error(what) end;
	  check($p.headline == $s.headline; "headline differs") and
	  check($p.title | contains($s.headline); "title lacks the headline") and
	  check($p.headlineVisible; "headline not rendered") and
	  check($p.scripts == 0 and $p.handlers == 0; "script in the page") and
	  check($p.packets == $s.packets; "packets differ") and
	  check(($p.tiles | map(.count | tostring) == map(.shown)); "tiles show other numbers") and
	  check(($p.tiles[] | select(.verdict == "flows") | .count) == $s.flows; "flow count differs") and
	  check(all($p.tiles[] | select(.verdict != "flows");
	            .count == $s.verdicts[.verdict]); "verdict counts differ") and
	  check(($p.tiles | map(select(.verdict == "never-closed" or .verdict == "late-close")) | length) == 2;
	        "never-closed or late-close tile missing") and
	  check(all($p.services[] as $r |
	    ($svc | map(select((.service // .host) == $r.name and .side == $r.side))[0]) as $j |
	    $j != null and $r.flows == $j.flows and
	    $r.never == $j.verdicts["never-closed"] and
	    $r.late == $j.verdicts["late-close"] and $r.clean == $j.verdicts.clean and
	    $r.at_end == $j.in_close_wait_at_end and $r.peak == $j.peak_close_wait and
	    $r.cells[0] == $r.flows and $r.cells[1] == $r.never and
	    $r.cells[2] == $r.late and $r.cells[3] == $r.clean and
	    close($r.p50; $j.close_wait.p50) and close($r.p90; $j.close_wait.p90) and
	    close($r.p99; $j.close_wait.p99) and close($r.max; $j.close_wait.max);
	    .); "a service row differs from the JSON") and
	  check(($p.worst | length) == ([$flows[] | select(.verdict == "never-closed" or .verdict == "late-close")] | length | if . > 10 then 10 else . end);
	        "worst flows: wrong number of rows") and
	  check($p.filters == ($p.worst | length); "a worst flow lacks its filter") and
	  check(all($p.worst[] as $w | ($flows | map(select(.id == $w.id))[0]) as $f |
	    $f != null and $w.verdict == $f.verdict and $w.first == $f.first_frame and
	    $w.last == $f.last_frame and close($w.close_wait; $f.close_wait); .);
	    "a worst flow differs from the JSON") and
	  check($p.histTotal == ([$flows[] | select(.close_wait != null)] | length);
	        "histogram total differs from the flows with a close-wait") and
	  check($p.histBars > 0; "histogram has no bar") and
	  check($p.timelineDrawn; "timeline not drawn") and
	  check(all($p.series[] as $t |
	    ($svc | map(select((.service // .host) == $t.name))[0]) as $j |
	    $j != null and $t.peak == $j.peak_close_wait and $t.values == $j.timeline; .);
	    "a timeline series differs from the JSON")
	' >/dev/null || fail "$name.html disagrees with the JSON output (page data in $OUT/$name-page.json)"
}

# ---- the demo, and a client-side leak ----
check_report "$PCAPS/demo-print-server.pcap" report
check_report "$PCAPS/client-never-closes.pcap" client-leak

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
echo "check.sh: report.html and client-leak.html agree with the JSON output; ${#HOSTILE[@]} hostile reports inert; screenshot $OUT/report.png"
