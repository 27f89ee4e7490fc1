# SPDX-License-Identifier: MIT
# Compares what a reader sees in fintrace's HTML report ($p, written by
# tests/html/visible.js) with the JSON report of the same run ($js, every
# line, read with --all), numbers formatted as analysis/html.c formats
# them. $top holds the bounds the run used: {services, clients, flows}.
# Prints the list of differences; [] when the page says what the JSON
# says.

# ---- formatting, as rpt_fmt_duration() and the HTML writer do ----
def pad($n): tostring | if length >= $n then . else
	([range($n - length)] | map("0") | join("")) + . end;
def ns: if . == null then null else . * 1000000000 | round end;
def dur: . as $n |
	if $n == 0 then "0s"
	elif $n < 1000 then "\($n)ns"
	elif $n < 1000000 then "\($n / 1000 | floor)us"
	elif $n < 1000000000 then "\($n / 1000000 | floor)ms"
	else ($n / 1000000000 | floor) as $s |
		if $s < 60 and ($n % 1000000000) == 0 then "\($s)s"
		elif $s < 60 then
			"\($s).\(($n % 1000000000) / 1000000 | floor | pad(3))s"
		elif $s < 3600 then "\($s / 60 | floor)m\($s % 60 | pad(2))s"
		else "\($s / 3600 | floor)h\(($s % 3600) / 60 | floor | pad(2))m"
		end
	end;
def secs_dur: ns | dur;
def ndash: "\u2013";

# A row with nothing to show is not listed (analysis/report.c).
def quiet: .verdicts["never-closed"] == 0 and .verdicts["late-close"] == 0
	and (.client_leaks // 0) == 0 and .in_close_wait_at_end == 0
	and .peak_close_wait == 0 and (.close_wait.max // 0) == 0;

# The sentence under a bounded list (rpt_fmt_more()).
def more_text($listed; $beyond; $quiet; $top; $one; $many; $opt; $kinds):
	($beyond + $quiet) as $left |
	if $left == 0 then null else
	"\($left) \(if $listed > 0 then "more " else "" end)\($kinds)" +
	"\(if $left == 1 then $one else $many end) not listed: " +
	(if $beyond > 0 and $quiet > 0 then
		"\($beyond) past \($opt) \($top), \($quiet) with no leak and " +
		"nothing in CLOSE_WAIT"
	 elif $beyond > 0 then "past \($opt) \($top)"
	 else "no leak and nothing in CLOSE_WAIT" end) +
	" (--format json lists all)" end;

def diff($what; $shown; $want):
	if $shown == $want then empty
	else "\($what): the page shows \($shown | tojson), the JSON says " +
		"\($want | tojson)" end;

($js | map(select(.type == "summary"))[0]) as $s |
($js | map(select(.type == "service"))) as $svc |
($js | map(select(.type == "flow"))) as $flows |
{"late-close": 9, "never-closed": 10, "closing": 8} as $rank |
($s.mode == "kernel") as $kernel |

# ---- headline, tiles, facts ----
[
	diff("headline"; $p.headline; $s.headline),
	(if $p.headlineShown then empty else "the headline is not rendered" end),
	(if ($p.title | contains($s.headline)) then empty
	 else "the title lacks the headline" end),
	(if $p.scripts == 0 and $p.handlers == 0 then empty
	 else "script in the page" end),

	# "117\nTCP flows" ("TCP sockets" in kernel mode), "28\nnever
	# closed": number over label
	($p.tiles[] | split("\n") as [$n, $lbl] |
		({"TCP flows": "flows", "TCP sockets": "flows",
		  "never closed": "never-closed",
		  "closed late": "late-close"}[$lbl] // $lbl) as $v |
		if $v == "flows" then diff("tile \($lbl)"; $n; "\($s.flows)")
		elif $s.verdicts[$v] == null then "tile \($lbl): no such verdict"
		else diff("tile \($lbl)"; $n; "\($s.verdicts[$v])") end),
	([$p.tiles[] | split("\n")[1]] as $lbls |
		($s.verdicts | to_entries[] | select(.value > 0) | .key) as $v |
		({"never-closed": "never closed", "late-close": "closed late"}[$v]
		 // $v) as $lbl |
		if ($lbls | index($lbl)) then empty
		else "no tile for \($v) (\($s.verdicts[$v]) flows)" end),

	(if $s.mode == "kernel"
	 then diff("facts: kernel records lost";
		$p.facts["Kernel records lost"] | split(" ")[0];
		"\($s.lost_events)")
	 else diff("facts: packets"; $p.facts["Packets"] | split(";")[0];
		"\($s.packets) frames, \($s.tcp_segments) TCP segments") end),
	diff("facts: flows"; $p.facts["Flows"] // $p.facts["Sockets"] |
		split(" ")[0]; "\($s.flows)"),
	diff("facts: threshold"; $p.facts["Late-close threshold"];
		"\($s.linger | secs_dur) in CLOSE_WAIT (--linger)"),
	(if $s.start then diff("facts: time range"; $p.facts["Time range (UTC)"];
		"\($s.start) \(ndash) \($s.end) (\($s.duration | secs_dur))")
	 else empty end),

	# ---- TIME_WAIT: verdicts, the first 10 rows (no host totals) ----
	([$js[] | select(.type == "timewait") |
	  select(.holder == "server" or .service != null or
		 .client == "other")] |
	 .[0:10]) as $tw |
	([$js[] | select(.type == "timewait") |
	  select(.holder == "server" or .service != null or
		 .client == "other")] | length) as $ntw |
	(if $ntw == 0 then
		(if $p.timewait == null then empty
		 else "a TIME_WAIT table with no timewait line in the JSON" end)
	 else
		diff("TIME_WAIT verdicts"; $p.timewaitVerdicts;
			[$js[] | select(.type == "timewait" and .verdict != null) |
			 .verdict]),
		diff("TIME_WAIT head"; $p.timewait.head; ["holder", "toward",
			"closes", "peak", "share", "reused", "peak at"]),
		diff("TIME_WAIT rows"; $p.timewait.rows; [$tw | to_entries[] |
			.key as $i | .value |
			(.holder == "client") as $c |
			[if .client == "other" then "other clients"
			 elif .service == "other" then "other servers"
			 elif $c then .client
			 else .service | sub(":[0-9]+$"; "") |
				sub("^\\[(?<a>.*)\\]$"; "\(.a)") end,
			 if .client == "other" or .service == "other" then
				# the cap is not in the JSON: its shape only
				($p.timewait.rows[$i][1] // "" |
				 if test("^\\(past [0-9]+ (client|server) rows\\)$")
				 then . else "(past N rows)" end)
			 elif $c then .service
			 else "its clients (port \(.service | sub(".*:"; "")))" end,
			 if .closes == null then "-" else "\(.closes)" end,
			 "\(.peak)",
			 if .share == null then "-" else
				# as printf's %.1f: from the peak and the range,
				# not the JSON's rounded share
				(.peak * 1000 / (.port_range[1] - .port_range[0] + 1) |
				 round) as $t |
				"\($t / 10 | floor).\($t % 10)%" end,
			 "\(.reused_in_time_wait)",
			 .peak_at // "-"]]),
		diff("TIME_WAIT more line"; $p.timewaitMore;
			if $ntw > 10 then "\($ntw - 10) more TIME_WAIT row" +
				"\(if $ntw == 11 then "" else "s" end) not listed: " +
				"past the first 10 (--format json lists all)"
			else null end)
	 end),

	# ---- the service and client-host tables ----
	((["server", $p.services, $p.more.services, $top.services, "service",
	  "services", "--top-services"],
	 ["client", $p.clients, $p.more.clients, $top.clients, "client host",
	  "client hosts", "--top-clients"]) as
		[$side, $t, $more, $bound, $one, $many, $opt] |
	($svc | map(select(.side == $side))) as $all |
	($all | map(select(quiet | not))) as $loud |
	($loud | .[0:(if $bound == 0 then length else $bound end)]) as $want |
	(if $t == null then [] else $t.rows end) as $rows |
	(
		diff("\($side) rows listed"; [$rows[] | .[0] | split("\n")[0]];
			[$want[] | .service // .host]),
		(if $t != null and ($t.shown | not) then "\($side) table not rendered"
		 else empty end),
		diff("\($side) more line"; $more;
			more_text($rows | length; ($loud | length) - ($rows | length);
				($all | length) - ($loud | length); $bound; $one; $many;
				$opt; "")),
		# kernel mode counts sockets where the others count flows
		($t.head // [] | map(if . == "sockets" then "flows" else . end) |
		 . as $head | $rows[] as $r |
		 ($r[0] | split("\n")) as $name |
		 ($all | map(select((.service // .host) == $name[0]))[0]) as $j |
		 def cell($h): $r[$head | index($h)];
		 "\($side) \($name[0])" as $w |
		 if $j == null then "\($w): not in the JSON" else
		 ($j.verdicts["never-closed"] + $j.verdicts["late-close"] +
		  $j.verdicts.clean + ($j.client_leaks // 0)) as $named |
		 diff("\($w) name notes"; $name[1:];
			if $side == "client" then
				["toward \(if $j.toward_many then "several services, e.g. "
				  else "" end)\($j.toward)"]
			elif $j.client_leaks > 0 then
				["+ \($j.client_leaks) that clients left in CLOSE_WAIT"]
			else [] end),
		 diff("\($w) flows"; cell("flows"); "\($j.flows)"),
		 diff("\($w) never closed"; cell("never closed");
			"\($j.verdicts["never-closed"])"),
		 diff("\($w) closed late"; cell("closed late");
			"\($j.verdicts["late-close"])"),
		 diff("\($w) clean"; cell("clean"); "\($j.verdicts.clean)"),
		 diff("\($w) other"; cell("other");
			"\(if $j.flows > $named then $j.flows - $named else 0 end)"),
		 ($j.close_wait as $cw |
		  diff("\($w) close-wait p50, p90, p99, max";
			[cell("close-wait p50"), cell("p90"), cell("p99"), cell("max")];
			if $cw.count > 0 then
				[($cw.p50, $cw.p90, $cw.p99 | secs_dur),
				 "\($cw.max | secs_dur)\(if $cw.sampled then " *"
				  else "" end)"]
			else [ndash, ndash, ndash, ndash] end)),
		 diff("\($w) in CLOSE_WAIT at end"; cell("in CLOSE_WAIT at end");
			"\($j.in_close_wait_at_end)" +
			(if $j.in_close_wait_at_end > 0 then
				"\noldest \($j.oldest_at_end | secs_dur)" else "" end)),
		 diff("\($w) peak"; cell("peak"); "\($j.peak_close_wait)"),
		 # the JSON keeps one decimal of what the page rounds
		 (if $j.growth_per_hour == null then
			diff("\($w) growth"; cell("growth /h"); ndash)
		  else
			(cell("growth /h") | ltrimstr("+") | tonumber) as $g |
			(if ($g - $j.growth_per_hour | fabs) <= 0.55 then empty
			 else "\($w) growth: the page shows " +
				"\(cell("growth /h")), the JSON says " +
				"\($j.growth_per_hour)" end)
		  end),
		 diff("\($w) sparkline"; cell(if $kernel then "over the trace"
					 else "over the capture" end);
			if $j.peak_close_wait > 0 then "" else ndash end)
		 end)
	)),

	# ---- worst flows ----
	(([$flows[] | select($rank[.verdict])] |
	 sort_by([-$rank[.verdict], -(.close_wait | ns // 0), .id])) as $cand |
	($cand[0:$top.flows]) as $want |
	(if $p.worst == null then [] else $p.worst.rows end) as $rows |
	([$rows[] | select(.[0] | startswith("#"))]) as $frows |
	([range(0; $rows | length) as $i |
	  select($rows[$i][0] | startswith("#")) |
	  $rows[$i + 1] // [] | map(select(. != "")) | .[0]]) as $filters |
	(
		diff("worst flows listed"; [$frows[] | .[0]];
			[$want[] | "#\(.id)"]),
		diff("worst flows more line"; $p.more.worst;
			more_text($frows | length; ($cand | length) - ($frows | length);
				0; $top.flows; "flow"; "flows"; "--top";
				[$s.verdicts | to_entries[] |
				 select($rank[.key] and .value > 0) | .key] |
				 if length > 0 then join(" or ") + " " else "" end)),
		(if ($cand | length) == 0 then
			diff("worst flows empty note"; $p.worstEmpty;
				"No \(if $kernel then "socket" else "flow" end) was " +
				"never closed or closed late.")
		 else empty end),
		(range(0; [$frows, $want] | map(length) | min) as $i |
		 $frows[$i] as $r | $want[$i] as $f | "worst #\($f.id)" as $w |
		 diff("\($w) verdict"; $r[1]; ([$f.verdict] +
			(if $f.roles == "inferred" then ["roles inferred"] else [] end) +
			(if $f.lossy then ["packets were dropped during this flow"]
			 else [] end)) | join("\n")),
		 diff("\($w) client"; $r[2]; $f.client),
		 diff("\($w) server"; $r[3]; $f.server),
		 diff("\($w) close-wait"; $r[4];
			if $f.passive == "remote" then
				"FIN_WAIT2 \($f.fin_wait | ns // 0 | dur)\nthe server " +
				"is on another host"
			else
			(if $f.close_wait_at_least then "at least " else "" end) +
			"\($f.close_wait | ns // 0 | dur)" +
			(if $f.in_close_wait_at_end then
				"\nstill in CLOSE_WAIT at the end" else "" end) end),
		 # a kernel socket: its owner instead of frames, no filter
		 (if $kernel then
			diff("\($w) process"; $r[5];
				if $f.pid == null then "owner unknown"
				else "pid \($f.pid) (\($f.comm))" +
					(if $f.container then " container \($f.container)"
					 else "" end) end)
		  else
			diff("\($w) frames"; $r[5];
				"\($f.first_frame)\(ndash)\($f.last_frame)"),
			diff("\($w) filter"; $filters[$i]; $f.filter)
		  end))
	)),

	# ---- charts ----
	# histogram: per bin its count (when any) and its label
	(([1e6, 1e7, 1e8, 5e8, 1e9, 2e9, 5e9, 1e10, 3e10, 6e10, 3e11, 1.8e12])
		as $edges |
	(["<1ms", "1-10ms", "10-100ms", "0.1-0.5s", "0.5-1s", "1-2s", "2-5s",
	  "5-10s", "10-30s", "30s-1m", "1-5m", "5-30m", "\u226530m"]) as $bins |
	([$flows[] | select(.close_wait != null) | (.close_wait | ns) as $c |
	  [$edges[] | select(. <= $c)] | length] |
	 reduce .[] as $b ([range(13) | 0]; .[$b] += 1)) as $counts |
	([$edges[] | select(. < ($s.linger | ns))] | length) as $lb |
	(if ($counts | add) == 0 and ($kernel | not) then
		(if $p.histogram == null then empty
		 else "a histogram drawn with no close-wait" end)
	 elif $kernel then
		# the clean ends the kernel counted have no line of their own:
		# the bars from the threshold on (records) only
		diff("histogram bars from the threshold"; $p.histogramBins[$lb:];
			[range($lb; 13) as $i | (if $counts[$i] > 0 then
			 ["\($counts[$i])"] else [] end) + [$bins[$i]]])
	 else
		diff("histogram bars"; $p.histogramBins;
			[range(13) as $i | (if $counts[$i] > 0 then ["\($counts[$i])"]
			 else [] end) + [$bins[$i]]]),
		(if $lb < 12 then
			(if ($p.histogram.all | index("threshold " +
				(if $edges[$lb] == ($s.linger | ns) then "" else "~" end) +
				($s.linger | secs_dur))) then empty
			 else "histogram: no threshold label for \($s.linger)s" end)
		 else empty end),
		([$p.histogram.axis[] | select(test("^[0-9]+$")) | tonumber]) as $y |
		(if ($y | min) == 0 and ($y | max) >= ($counts | max) then empty
		 else "histogram: y labels \($y) do not span 0 to the highest " +
			"bar (\($counts | max))" end),
		(if $p.histogram.hidden == 0 then empty
		 else "histogram: \($p.histogram.hidden) labels not rendered" end)
	 end)),

	# timeline: the listed rows with sockets in CLOSE_WAIT, 8 at most
	(def firsts($n): .[0:(if $n == 0 then length else $n end)];
	([$svc | to_entries[] | select(.value | quiet | not)] |
	 (map(select(.value.side == "server")) | firsts($top.services)) +
	 (map(select(.value.side == "client")) | firsts($top.clients)) |
	 sort_by(.key) | map(.value | select(.peak_close_wait > 0)) |
	 # then the owning processes (kernel)
	 . + [$js[] | select(.type == "process" and (quiet | not) and
		.peak_close_wait > 0)] |
	 .[0:8]) as $drawn |
	(if ($drawn | length) == 0 then
		(if $p.timeline == null then empty
		 else "a timeline drawn with no socket in CLOSE_WAIT" end)
	 else
		diff("timeline legend"; $p.timelineLegend;
			[$drawn[] | "\(if .side == "client" then "client " else "" end)" +
			 "\(.service // .host // "pid \(.pid) (\(.comm))")" +
			 " (peak \(.peak_close_wait))"]),
		(if ($p.timelineNote | contains("per \($drawn[0].timeline_bucket |
			secs_dur) of the \(if $kernel then "trace"
				    else "capture" end)")) then empty
		 else "timeline note: \($p.timelineNote | tojson) does not give " +
			"the bucket of \($drawn[0].timeline_bucket)s" end),
		([$p.timeline.axis[] | select(test("^[0-9]+$")) | tonumber]) as $y |
		(if ($y | max) >= ([$drawn[].peak_close_wait] | max) and
		    ($y | min) == 0 then empty
		 else "timeline: y labels \($y) do not span 0 to the peak" end),
		(if ($p.timeline.all | index(if $kernel
				then "time since the trace began"
				else "time since the first packet" end)) then
			empty else "timeline: no x axis title" end),
		(if $p.timeline.hidden == 0 then empty
		 else "timeline: \($p.timeline.hidden) labels not rendered" end),
		(if $p.timelineCovered == 0 then empty
		 else "timeline: \($p.timelineCovered) lines hidden under " +
			"identical ones" end),
		([$svc[] | select(.peak_close_wait > 0)] | length) as $peaked |
		diff("timeline more line"; $p.timelineMore;
			if $peaked > ($drawn | length) then
				"\($peaked - ($drawn | length)) more services and client " +
				"hosts had sockets in CLOSE_WAIT: not drawn (--format json " +
				"has every timeline)."
			else null end)
	 end))
]
