#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark suite: generates a capture with ftgen, then on that same file
# and in the same run measures fintrace against tcpdump, tshark and
# tcptrace (median wall time of several runs, packets per second, peak
# RSS), then fintrace's memory per tracked flow and the flatness of its
# memory over a long capture. Prints a Markdown report on stdout; progress
# goes to stderr. See bench/README.md for what every number means.
#
#   bench/run.sh                # the full suite (10M packets, 5 runs)
#   bench/run.sh --quick        # small sizes, one run: about a minute
#
# Big files live under --workdir (default /tmp/ftbench) and are deleted at
# the end unless --keep is given. The memory experiments stream ftgen into
# fintrace through a pipe, so they need no disk at all.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

packets=10000000
runs=5
snaplen=128
ppf=20
concurrency=10000
ipv6=0.2
mix=clean=70,never-closed=10,late-close=10,reset=10
seed=1
mem_flows=1000000
flat_big=10000000
flat_small=1000000
flat_conc=10000
flat_mix=clean=85,reset=10,refused=5
tools=fintrace,tcpdump,tshark,tcptrace
do_compare=1
do_memory=1
do_flat=1
do_live=0
do_kernel=0
keep=0
workdir=/tmp/ftbench
build=$root/build
ftgen=
rusage=
fintrace=

usage() {
	cat <<EOF
usage: bench/run.sh [OPTIONS]
  --quick                 small sizes and one run (200k packets, memory
                          experiment with 50k flows, flatness 200k/20k)
  --packets N             packets in the comparison capture ($packets)
  --runs N                runs per tool, the median is reported ($runs)
  --snaplen N             bytes kept per packet ($snaplen)
  --packets-per-flow P    ($ppf)
  --concurrency C         flows open at once in the capture ($concurrency)
  --ipv6 SHARE            share of IPv6 flows ($ipv6)
  --mix SPEC              verdict mix of the capture ($mix)
  --seed S                ($seed)
  --tools LIST            compared tools ($tools)
  --mem-flows N           tracked flows in the memory experiment ($mem_flows)
  --flat-flows BIG,SMALL  flows of the two flatness runs ($flat_big,$flat_small)
  --flat-concurrency C    flows open at once in both ($flat_conc)
  --no-compare | --no-memory | --no-flatness   skip a section
  --live | --kernel       live-capture / kernel-mode sections (not yet
                          implemented: they print what they will measure)
  --workdir DIR           where captures are written ($workdir)
  --keep                  keep the capture and raw results
  --build DIR             CMake build directory to take binaries from
  --ftgen PATH | --rusage PATH | --fintrace PATH   explicit binaries
EOF
}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

need_arg() {
	[[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"
}

is_uint() {
	[[ $1 =~ ^[0-9]+$ ]] && (($1 > 0)) || die "$2: '$1' is not a positive integer"
}

# --quick lowers the defaults; sizes given explicitly still win.
ORIG_ARGS=("$@")
quick=0
for a in "$@"; do
	[[ $a == --quick ]] && quick=1
done
if ((quick)); then
	packets=200000
	runs=1
	concurrency=2000
	mem_flows=50000
	flat_big=200000
	flat_small=20000
	flat_conc=1000
fi

while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--packets) need_arg "$@"; packets=$2; shift ;;
	--runs) need_arg "$@"; runs=$2; shift ;;
	--snaplen) need_arg "$@"; snaplen=$2; shift ;;
	--packets-per-flow) need_arg "$@"; ppf=$2; shift ;;
	--concurrency) need_arg "$@"; concurrency=$2; shift ;;
	--ipv6) need_arg "$@"; ipv6=$2; shift ;;
	--mix) need_arg "$@"; mix=$2; shift ;;
	--seed) need_arg "$@"; seed=$2; shift ;;
	--tools) need_arg "$@"; tools=$2; shift ;;
	--mem-flows) need_arg "$@"; mem_flows=$2; shift ;;
	--flat-flows)
		need_arg "$@"
		[[ $2 =~ ^([0-9]+),([0-9]+)$ ]] || die "--flat-flows: want BIG,SMALL"
		flat_big=${BASH_REMATCH[1]}
		flat_small=${BASH_REMATCH[2]}
		shift
		;;
	--flat-concurrency) need_arg "$@"; flat_conc=$2; shift ;;
	--no-compare) do_compare=0 ;;
	--no-memory) do_memory=0 ;;
	--no-flatness) do_flat=0 ;;
	--live) do_live=1 ;;
	--kernel) do_kernel=1 ;;
	--workdir) need_arg "$@"; workdir=$2; shift ;;
	--keep) keep=1 ;;
	--build) need_arg "$@"; build=$2; shift ;;
	--ftgen) need_arg "$@"; ftgen=$2; shift ;;
	--rusage) need_arg "$@"; rusage=$2; shift ;;
	--fintrace) need_arg "$@"; fintrace=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option '$1'" ;;
	esac
	shift
done

for v in packets runs snaplen ppf concurrency mem_flows flat_big flat_small flat_conc; do
	is_uint "${!v}" "$v"
done

mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)
res=$workdir/results.$$
mkdir -p "$res"
cleanup() {
	if ((keep)); then
		echo "run.sh: kept $workdir" >&2
	else
		rm -rf "$res" "$workdir/compare.pcap" "$workdir/calib.truth"
	fi
}
trap cleanup EXIT

log() {
	echo "run.sh: $*" >&2
}

# Binaries: explicit paths, else the CMake build, else compile the two
# single-file tools into the work directory (cc, no CMake needed).
build_tool() {
	local name=$1 extra=$2 out=$workdir/$1
	if [[ ! -x $out || $here/$name.c -nt $out ]]; then
		log "compiling $name into $workdir"
		cc -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE "$here/$name.c" \
			-o "$out" $extra || die "cannot compile $name"
	fi
	echo "$out"
}
if [[ -z $ftgen ]]; then
	if [[ -x $build/bench/ftgen ]]; then ftgen=$build/bench/ftgen; else ftgen=$(build_tool ftgen -lm); fi
fi
if [[ -z $rusage ]]; then
	if [[ -x $build/bench/ftrusage ]]; then rusage=$build/bench/ftrusage; else rusage=$(build_tool ftrusage ""); fi
fi
if [[ -z $fintrace && -x $build/cli/fintrace ]]; then
	fintrace=$build/cli/fintrace
fi
[[ -x $ftgen ]] || die "ftgen not found: $ftgen"
[[ -x $rusage ]] || die "ftrusage not found: $rusage"
if [[ -n $fintrace && ! -x $fintrace ]]; then
	die "fintrace not executable: $fintrace"
fi

# JSON field of the truth summary line: truth_get FILE FIELD
truth_get() {
	sed -n 's/.*"type":"summary".*"'"$2"'":\([0-9.]*\).*/\1/p' "$1" | head -1
}

# One line of ftrusage output: rusage_get FILE FIELD
rusage_get() {
	sed -n 's/.*\b'"$2"'=\([0-9]*\).*/\1/p' "$1"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print ""; exit }
		if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fmt_s() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
fmt_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
fmt_rate() {
	awk -v p="$1" -v ns="$2" 'BEGIN {
		r = p / (ns / 1e9);
		if (r >= 1e6) printf "%.2f M", r / 1e6;
		else printf "%.0f k", r / 1e3 }'
}

# ---------------------------------------------------------------- machine
machine_facts() {
	local cpu kernel mem distro
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	kernel=$(uname -sr)
	mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	distro=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	echo "## Machine"
	echo
	echo "| fact | value |"
	echo "| --- | --- |"
	echo "| date (UTC) | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
	echo "| CPU | ${cpu:-unknown} × $(nproc) |"
	echo "| memory | $mem |"
	echo "| kernel | $kernel |"
	echo "| system | ${distro:-unknown} |"
	echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
	echo "| fintrace | $(if [[ -n $fintrace ]]; then "$fintrace" --version 2>&1 | head -1; else echo "not built"; fi) |"
	echo "| fintrace binary | $(if [[ -n $fintrace ]]; then echo "\`$fintrace\`, built $(date -u -r "$fintrace" +%Y-%m-%dT%H:%M:%SZ)"; else echo "–"; fi) |"
	echo "| source tree of run.sh | $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown) |"
	echo "| ftgen | $("$ftgen" --version 2>&1 | head -1) |"
	echo "| tcpdump | $(tcpdump --version 2>&1 | head -1 | sed 's/tcpdump version //') ($(tcpdump --version 2>&1 | sed -n 's/^libpcap version \([^ ]*\).*/libpcap \1/p')) |"
	echo "| tshark | $(tshark --version 2>/dev/null | sed -n 's/^TShark (Wireshark) \([^ ]*\).*/\1/p' | head -1) |"
	echo "| tcptrace | $(tcptrace -v 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1) |"
	echo "| compiler | $(cc --version 2>/dev/null | head -1) |"
	echo
}

# ---------------------------------------------------------------- compare
# Command line of one tool on FILE (as an array in cmd).
tool_cmd() {
	local tool=$1 file=$2
	case $tool in
	fintrace) cmd=("$fintrace" read --format json -o /dev/null "$file") ;;
	tcpdump) cmd=(tcpdump -r "$file" -w /dev/null) ;;
	tshark) cmd=(tshark -r "$file" -q -z conv,tcp) ;;
	tcptrace) cmd=(tcptrace -n "$file") ;;
	*) die "unknown tool '$tool'" ;;
	esac
}

tool_available() {
	case $1 in
	fintrace) [[ -n $fintrace ]] ;;
	*) command -v "$1" >/dev/null ;;
	esac
}

# Generate a capture of about $packets packets: a short calibration run
# with the same options measures packets per flow first.
gen_capture() {
	local file=$1 calib=20000 per flows t0 t1
	"$ftgen" --flows "$calib" --concurrency "$concurrency" \
		--packets-per-flow "$ppf" --ipv6 "$ipv6" --mix "$mix" \
		--seed "$seed" --snaplen "$snaplen" -o /dev/null \
		--truth "$workdir/calib.truth"
	per=$(awk -v p="$(truth_get "$workdir/calib.truth" packets)" \
		-v f="$calib" 'BEGIN { printf "%.6f", p / f }')
	flows=$(awk -v n="$packets" -v per="$per" \
		'BEGIN { f = int(n / per + 0.999); print f < 1 ? 1 : f }')
	log "generating $file: ~$packets packets in $flows flows"
	t0=$(date +%s%N)
	"$ftgen" --flows "$flows" --concurrency "$concurrency" \
		--packets-per-flow "$ppf" --ipv6 "$ipv6" --mix "$mix" \
		--seed "$seed" --snaplen "$snaplen" -o "$file" \
		--truth "$res/compare.truth"
	t1=$(date +%s%N)
	gen_ns=$((t1 - t0))
}

compare_section() {
	local file=$workdir/compare.pcap tool r n size
	local -a list
	IFS=, read -r -a list <<<"$tools"
	gen_capture "$file"
	n=$(truth_get "$res/compare.truth" packets)
	size=$(stat -c %s "$file")
	cat "$file" >/dev/null # every tool starts from a warm page cache

	for ((r = 1; r <= runs; r++)); do
		for tool in "${list[@]}"; do
			tool_available "$tool" || continue
			tool_cmd "$tool" "$file"
			log "run $r/$runs: ${cmd[*]}"
			"$rusage" -o "$res/$tool.$r" -- "${cmd[@]}" \
				>/dev/null 2>"$res/$tool.$r.err" || true
		done
	done

	declare -gA med_ns rss_kib status min_ns max_ns cpu_ns
	for tool in "${list[@]}"; do
		tool_available "$tool" || continue
		local st
		st=$(for ((r = 1; r <= runs; r++)); do rusage_get "$res/$tool.$r" status; done | sort -u | tr '\n' ' ')
		status[$tool]=${st% }
		med_ns[$tool]=$(for ((r = 1; r <= runs; r++)); do rusage_get "$res/$tool.$r" wall_ns; done | median)
		rss_kib[$tool]=$(for ((r = 1; r <= runs; r++)); do rusage_get "$res/$tool.$r" maxrss_kib; done | sort -n | tail -1)
		min_ns[$tool]=$(for ((r = 1; r <= runs; r++)); do rusage_get "$res/$tool.$r" wall_ns; done | sort -n | head -1)
		max_ns[$tool]=$(for ((r = 1; r <= runs; r++)); do rusage_get "$res/$tool.$r" wall_ns; done | sort -n | tail -1)
		cpu_ns[$tool]=$(for ((r = 1; r <= runs; r++)); do
			echo $(($(rusage_get "$res/$tool.$r" user_ns) + $(rusage_get "$res/$tool.$r" sys_ns)))
		done | median)
	done

	echo "## Reading one capture"
	echo
	echo "Capture: $n packets in $(truth_get "$res/compare.truth" flows) flows" \
		"($(awk -v b="$size" 'BEGIN { printf "%.0f MiB", b / 1048576 }')," \
		"snaplen $snaplen, ${concurrency} flows open at once, IPv6 share $ipv6," \
		"mix \`$mix\`), generated by ftgen in $(fmt_s "$gen_ns") s" \
		"($(fmt_rate "$n" "$gen_ns") packets/s)." \
		"Median of $runs run(s) per tool on a warm page cache;" \
		"\"vs X\" is X's median time divided by this tool's (above 1: faster than X)."
	echo
	echo "| tool | command | median wall (s) | min–max (s) | CPU (s) | packets/s | peak RSS (MiB) | vs tcpdump | vs tshark | vs tcptrace |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for tool in "${list[@]}"; do
		local shown
		tool_cmd "$tool" FILE
		shown="\`${cmd[*]}\`"
		shown=${shown//$fintrace/fintrace}
		if ! tool_available "$tool"; then
			echo "| $tool | $shown | not available | | | | | | | |"
			continue
		fi
		if [[ ${status[$tool]} != 0 ]]; then
			echo "| $tool | $shown | failed (exit ${status[$tool]}: $(head -c 120 "$res/$tool.1.err" | tr '\n|' '  ')) | | | | | | | |"
			continue
		fi
		local ratios="" base
		for base in tcpdump tshark tcptrace; do
			if [[ -n ${med_ns[$base]:-} && ${status[$base]:-x} == 0 ]]; then
				ratios+=" $(awk -v a="${med_ns[$base]}" -v b="${med_ns[$tool]}" 'BEGIN { printf "%.2f", a / b }') |"
			else
				ratios+=" – |"
			fi
		done
		echo "| $tool | $shown | $(fmt_s "${med_ns[$tool]}") | $(fmt_s "${min_ns[$tool]}")–$(fmt_s "${max_ns[$tool]}") | $(fmt_s "${cpu_ns[$tool]}") | $(fmt_rate "$n" "${med_ns[$tool]}") | $(fmt_mib "${rss_kib[$tool]}") |$ratios"
	done
	echo
	rm -f "$file"
}

# ---------------------------------------------------------------- memory
# Stream a capture from ftgen into fintrace; fills RSS, WALL, STATUS, PKTS,
# PEAK. Arguments: label, then ftgen options.
fintrace_stream() {
	local label=$1
	shift
	log "memory: $label: ftgen $* | fintrace read -"
	set +e
	"$ftgen" "$@" --seed "$seed" --snaplen "$snaplen" -o - \
		--truth "$res/$label.truth" |
		"$rusage" -o "$res/$label.ru" -- "$fintrace" read \
			--format json - 2>"$res/$label.err" |
		grep -F '"type":"summary"' >"$res/$label.summary"
	set -e
	RSS=$(rusage_get "$res/$label.ru" maxrss_kib)
	WALL=$(rusage_get "$res/$label.ru" wall_ns)
	STATUS=$(rusage_get "$res/$label.ru" status)
	PKTS=$(truth_get "$res/$label.truth" packets)
	PEAK=$(truth_get "$res/$label.truth" peak_open)
	TRACKED=$(summary_num "$res/$label.summary" peak_tracked)
	EVICTED=$(summary_num "$res/$label.summary" evicted)
}

# A number from fintrace's JSON summary line, "?" when it has none.
summary_num() {
	local v
	v=$(sed -n 's/.*"'"$2"'":\([0-9]*\).*/\1/p' "$1" | head -1)
	echo "${v:-?}"
}

stream_failed() {
	[[ ${STATUS:-x} != 0 ]] && {
		echo "fintrace failed on the $1 run (exit ${STATUS:-?}): $(head -c 200 "$res/$1.err" | tr '\n' ' ')"
		echo
	}
}

memory_section() {
	echo "## Memory per tracked flow"
	echo
	if [[ -z $fintrace ]]; then
		echo "Skipped: fintrace is not built."
		echo
		return
	fi
	# never-closed flows stay in CLOSE_WAIT to the end of the capture, so
	# fintrace must hold every one of them at once.
	local base_rss base_n big_rss
	fintrace_stream mem-base --flows 1000 --concurrency 1000 \
		--packets-per-flow 1 --mix never-closed=100 --ipv6 "$ipv6"
	stream_failed mem-base && return
	base_rss=$RSS
	base_n=$TRACKED
	[[ $base_n =~ ^[0-9]+$ ]] || base_n=1000
	fintrace_stream mem-big --flows "$mem_flows" --concurrency "$mem_flows" \
		--packets-per-flow 1 --mix never-closed=100 --ipv6 "$ipv6"
	stream_failed mem-big && return
	big_rss=$RSS
	local n=$TRACKED
	[[ $n =~ ^[0-9]+$ ]] || n=$mem_flows
	echo "Capture: $mem_flows flows that all end in CLOSE_WAIT" \
		"(\`--mix never-closed=100 --packets-per-flow 1\`, $PKTS packets)," \
		"so fintrace must hold all of them at once at the end;" \
		"streamed from ftgen into \`fintrace read --format json -\`." \
		"\"tracked\" is fintrace's own peak_tracked (evicted: $EVICTED)."
	echo
	echo "| flows in capture | tracked by fintrace | peak RSS (MiB) | RSS per tracked flow (bytes) | marginal per flow (bytes) | fintrace wall (s) |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| 1000 (baseline) | $base_n | $(fmt_mib "$base_rss") | | | |"
	echo "| $mem_flows | $n | $(fmt_mib "$big_rss") | $(awk -v r="$big_rss" -v n="$n" 'BEGIN { printf "%.0f", r * 1024 / n }') | $(awk -v r="$big_rss" -v b="$base_rss" -v n="$n" -v m="$base_n" 'BEGIN { printf "%.0f", (r - b) * 1024 / (n - m) }') | $(fmt_s "$WALL") |"
	echo
}

flat_section() {
	echo "## Memory flatness over a long capture"
	echo
	if [[ -z $fintrace ]]; then
		echo "Skipped: fintrace is not built."
		echo
		return
	fi
	local small_rss small_pk small_wall small_peak small_tr
	fintrace_stream flat-small --flows "$flat_small" \
		--concurrency "$flat_conc" --packets-per-flow 1 --mix "$flat_mix" \
		--ipv6 "$ipv6"
	stream_failed flat-small && return
	small_rss=$RSS small_pk=$PKTS small_wall=$WALL small_peak=$PEAK
	small_tr=$TRACKED
	fintrace_stream flat-big --flows "$flat_big" \
		--concurrency "$flat_conc" --packets-per-flow 1 --mix "$flat_mix" \
		--ipv6 "$ipv6"
	stream_failed flat-big && return
	echo "Same traffic shape, $flat_conc flows open at once, every flow" \
		"finishes (\`--mix $flat_mix --packets-per-flow 1\`);" \
		"only the length of the capture differs. A flow table that forgets" \
		"finished flows keeps the same peak RSS (ratio near 1). Wall times" \
		"here include ftgen sharing the CPU and the JSON report going" \
		"through a pipe: for throughput, see the first table."
	echo
	echo "| flows | packets | open at once (ftgen) | peak tracked (fintrace) | peak RSS (MiB) | fintrace wall (s) | packets/s |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| $flat_small | $small_pk | $small_peak | $small_tr | $(fmt_mib "$small_rss") | $(fmt_s "$small_wall") | $(fmt_rate "$small_pk" "$small_wall") |"
	echo "| $flat_big | $PKTS | $PEAK | $TRACKED | $(fmt_mib "$RSS") | $(fmt_s "$WALL") | $(fmt_rate "$PKTS" "$WALL") |"
	echo
	echo "RSS ratio, $flat_big flows / $flat_small flows:" \
		"**$(awk -v a="$RSS" -v b="$small_rss" 'BEGIN { printf "%.2f", a / b }')**"
	echo
}

# ---------------------------------------------------------------- hooks
# Live capture: to come. Plan: replay a ftgen capture with tcpreplay onto
# one end of a veth pair in a private network namespace at fixed rates,
# run `fintrace live -i` on the other end, and report the highest rate
# with no kernel drops (pcap_stats), CPU per packet, and alert latency.
live_section() {
	echo "## Live capture"
	echo
	echo "Not measured yet (pending \`fintrace live\`): highest replay rate" \
		"without drops, CPU per packet, time from a flow crossing the" \
		"linger threshold to its alert."
	echo
}

# Kernel mode: to come. Plan: a loopback client/server in a network
# namespace opening and closing N connections per second; report the
# eBPF overhead on that workload (connections/s with and without
# `fintrace kernel`), events lost, and RSS per tracked socket.
kernel_section() {
	echo "## Kernel mode"
	echo
	echo "Not measured yet (pending \`fintrace kernel\`): connection churn" \
		"with and without tracing, lost events, memory per tracked socket."
	echo
}

# ---------------------------------------------------------------- main
echo "# fintrace benchmark"
echo
echo "Command: \`bench/run.sh ${ORIG_ARGS[*]}\`"
echo
machine_facts
((do_compare)) && compare_section
((do_memory)) && memory_section
((do_flat)) && flat_section
((do_live)) && live_section
((do_kernel)) && kernel_section
log "done"
