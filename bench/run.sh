#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark suite: generates a capture with ftgen, then on that same file
# and in the same run measures fintrace against tcpdump, tshark and
# tcptrace (median wall time of several runs, packets per second, peak
# RSS), then fintrace's memory per tracked flow and the flatness of its
# memory over a long capture. With --live, fintrace live and tcpdump
# capture the same load of short loopback connections at rising rates
# (kernel drops, CPU per packet); with --kernel, a connection-churn load
# runs untraced, under fintrace kernel and under a bpftrace tcpstates
# (connections per second, overhead). Prints a Markdown report on stdout;
# progress goes to stderr. See bench/README.md for what every number
# means.
#
#   bench/run.sh                     # the offline suite (10M packets, 5 runs)
#   bench/run.sh --live --kernel     # everything (root)
#   bench/run.sh --quick             # small sizes, one run: about a minute
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
flat_mid=3000000
flat_conc=10000
flat_mix=clean=85,reset=10,refused=5
tools=fintrace,fintrace-1t,fintrace-3t,tcpdump,tshark,tcptrace,fintrace-ng,tcpdump-ng
do_compare=1
do_memory=1
do_flat=1
do_live=0
do_kernel=0
live_rates=1000,2000,5000,10000,20000,40000,max
live_dur=5
live_buf=64
kern_runs=5
kern_dur=5
kern_conc=32
keep=0
workdir=/tmp/ftbench
build=$root/build
ftgen=
rusage=
fintrace=
ftload=

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
  --flat-flows BIG,SMALL[,MIDDLE]
                          flows of the flatness runs ($flat_big,$flat_small,$flat_mid);
                          MIDDLE, a capture longer than 60 s, is left out when 0
  --flat-concurrency C    flows open at once in both ($flat_conc)
  --no-compare | --no-memory | --no-flatness   skip a section
  --live                  live capture: fintrace live vs tcpdump on a
                          loopback load at rising rates (root)
  --live-rates LIST       connections/s of each step, "max" for a closed
                          loop ($live_rates)
  --live-duration S       seconds of load per step ($live_dur)
  --live-buffer MB        capture buffer of both tools ($live_buf)
  --kernel                kernel mode: connection churn untraced, under
                          fintrace kernel and under bench/tcpstates.bt
                          (root, bpftrace)
  --kernel-runs N         runs per configuration, median ($kern_runs)
  --kernel-duration S     seconds per run ($kern_dur)
  --kernel-concurrency C  connections open at once ($kern_conc)
  --workdir DIR           where captures are written ($workdir)
  --keep                  keep the capture and raw results
  --build DIR             CMake build directory to take binaries from
  --ftgen PATH | --rusage PATH | --fintrace PATH | --ftload PATH
                          explicit binaries
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
	flat_mid=0
	flat_conc=1000
	live_rates=1000,max
	live_dur=2
	kern_runs=1
	kern_dur=2
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
		[[ $2 =~ ^([0-9]+),([0-9]+)(,([0-9]+))?$ ]] ||
			die "--flat-flows: want BIG,SMALL[,MIDDLE]"
		flat_big=${BASH_REMATCH[1]}
		flat_small=${BASH_REMATCH[2]}
		flat_mid=${BASH_REMATCH[4]:-0}
		shift
		;;
	--flat-concurrency) need_arg "$@"; flat_conc=$2; shift ;;
	--no-compare) do_compare=0 ;;
	--no-memory) do_memory=0 ;;
	--no-flatness) do_flat=0 ;;
	--live) do_live=1 ;;
	--kernel) do_kernel=1 ;;
	--live-rates) need_arg "$@"; live_rates=$2; shift ;;
	--live-duration) need_arg "$@"; live_dur=$2; shift ;;
	--live-buffer) need_arg "$@"; live_buf=$2; shift ;;
	--kernel-runs) need_arg "$@"; kern_runs=$2; shift ;;
	--kernel-duration) need_arg "$@"; kern_dur=$2; shift ;;
	--kernel-concurrency) need_arg "$@"; kern_conc=$2; shift ;;
	--ftload) need_arg "$@"; ftload=$2; shift ;;
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

for v in packets runs snaplen ppf concurrency mem_flows flat_big flat_small \
	flat_conc live_dur live_buf kern_runs kern_dur kern_conc; do
	is_uint "${!v}" "$v"
done
((live_dur <= 60 && kern_dur <= 60)) || die "--live-duration, --kernel-duration: at most 60 s"
[[ $live_rates =~ ^(max|[0-9]+)(,(max|[0-9]+))*$ ]] ||
	die "--live-rates: want a list like 1000,5000,max"

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
	if ((do_live || do_kernel)); then
		ns_gone "$ns_live"
		ns_gone "$ns_kern"
	fi
	if [[ -n $stats_was ]]; then
		sysctl -q -w kernel.bpf_stats_enabled="$stats_was" || true
	fi
	if ((tracefs_mounted)); then
		umount /sys/kernel/tracing 2>/dev/null || true
	fi
}
# Network namespaces of the live and kernel loads (removed at exit).
ns_live=ftb-live-$$
ns_kern=ftb-kern-$$
stats_was=
tracefs_mounted=0
ns_gone() {
	ip netns del "$1" 2>/dev/null || true
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
if [[ -z $ftload ]] && ((do_live || do_kernel)); then
	if [[ -x $build/bench/ftload ]]; then ftload=$build/bench/ftload; else ftload=$(build_tool ftload ""); fi
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
fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
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
	echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; each section gives its own) |"
	echo "| fintrace | $(if [[ -n $fintrace ]]; then "$fintrace" --version 2>&1 | head -1; else echo "not built"; fi) |"
	echo "| fintrace binary | $(if [[ -n $fintrace ]]; then echo "\`$fintrace\`, built $(date -u -r "$fintrace" +%Y-%m-%dT%H:%M:%SZ)"; else echo "–"; fi) |"
	echo "| source tree of run.sh | $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown) |"
	echo "| ftgen | $("$ftgen" --version 2>&1 | head -1) |"
	echo "| tcpdump | $(tcpdump --version 2>&1 | head -1 | sed 's/tcpdump version //') ($(tcpdump --version 2>&1 | sed -n 's/^libpcap version \([^ ]*\).*/libpcap \1/p')) |"
	echo "| tshark | $(tshark --version 2>/dev/null | sed -n 's/^TShark (Wireshark) \([^ ]*\).*/\1/p' | head -1) |"
	echo "| tcptrace | $(tcptrace -v 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1) |"
	if ((do_kernel)); then
		echo "| bpftrace | $(bpftrace --version 2>/dev/null | sed 's/^bpftrace //') |"
	fi
	echo "| compiler | $(cc --version 2>/dev/null | head -1) |"
	echo
}

# ---------------------------------------------------------------- compare
# Command line of one tool on FILE (as an array in cmd).
tool_cmd() {
	local tool=$1 file=$2
	case $tool in
	fintrace) cmd=("$fintrace" read --format json -o /dev/null "$file") ;;
	fintrace-1t) cmd=("$fintrace" read --threads 1 --format json -o /dev/null "$file") ;;
	fintrace-3t) cmd=("$fintrace" read --threads 3 --format json -o /dev/null "$file") ;;
	fintrace-ng) cmd=("$fintrace" read --format json -o /dev/null "${file%.pcap}.pcapng") ;;
	tcpdump) cmd=(tcpdump -r "$file" -w /dev/null) ;;
	tcpdump-ng) cmd=(tcpdump -r "${file%.pcap}.pcapng" -w /dev/null) ;;
	tshark) cmd=(tshark -r "$file" -q -z conv,tcp) ;;
	tcptrace) cmd=(tcptrace -n "$file") ;;
	*) die "unknown tool '$tool'" ;;
	esac
}

tool_available() {
	case $1 in
	fintrace | fintrace-1t | fintrace-3t) [[ -n $fintrace ]] ;;
	# the same capture as pcapng (dumpcap's format), made by editcap
	fintrace-ng) [[ -n $fintrace ]] && command -v editcap >/dev/null ;;
	tcpdump-ng) command -v tcpdump >/dev/null && command -v editcap >/dev/null ;;
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
	if [[ ,$tools, == *-ng,* ]] && command -v editcap >/dev/null; then
		log "converting $file to pcapng (editcap)"
		editcap -F pcapng "$file" "${file%.pcap}.pcapng"
		cat "${file%.pcap}.pcapng" >/dev/null
	fi
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
		local ratios="" base b
		for base in tcpdump tshark tcptrace; do
			# a pcapng row is compared with tcpdump on the pcapng
			b=$base
			[[ $tool == *-ng ]] && b=$base-ng
			if [[ -n ${med_ns[$b]:-} && ${status[$b]:-x} == 0 ]]; then
				ratios+=" $(fmt_ratio "${med_ns[$b]}" "${med_ns[$tool]}") |"
			else
				ratios+=" – |"
			fi
		done
		echo "| $tool | $shown | $(fmt_s "${med_ns[$tool]}") | $(fmt_s "${min_ns[$tool]}")–$(fmt_s "${max_ns[$tool]}") | $(fmt_s "${cpu_ns[$tool]}") | $(fmt_rate "$n" "${med_ns[$tool]}") | $(fmt_mib "${rss_kib[$tool]}") |$ratios"
	done
	echo
	if [[ -n ${med_ns[fintrace-ng]:-} ]]; then
		echo "The -ng rows read the same packets as pcapng" \
			"($(awk -v b="$(stat -c %s "${file%.pcap}.pcapng")" 'BEGIN { printf "%.0f MiB", b / 1048576 }')," \
			"converted by \`editcap -F pcapng\`, dumpcap's format);" \
			"their \"vs tcpdump\" is tcpdump on that pcapng file."
		echo
	fi
	rm -f "$file" "${file%.pcap}.pcapng"
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

# One flatness run: ftgen FLOWS | fintrace read -. Appends its table row
# to FLAT_ROWS; sets RSS (KiB) for the ratios and FLAT_SECS (the
# capture's length).
flat_run() {
	fintrace_stream "flat-$1" --flows "$1" \
		--concurrency "$flat_conc" --packets-per-flow 1 --mix "$flat_mix" \
		--ipv6 "$ipv6"
	stream_failed "flat-$1" && return 1
	local first last
	first=$(truth_get "$res/flat-$1.truth" first_ns)
	last=$(truth_get "$res/flat-$1.truth" last_ns)
	FLAT_SECS=$(awk -v a="$first" -v b="$last" \
		'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	FLAT_ROWS+="| $1 | $PKTS | $FLAT_SECS | $PEAK | $TRACKED | $(fmt_mib "$RSS") | $(fmt_s "$WALL") | $(fmt_rate "$PKTS" "$WALL") |"$'\n'
	return 0
}

flat_section() {
	echo "## Memory flatness over a long capture"
	echo
	if [[ -z $fintrace ]]; then
		echo "Skipped: fintrace is not built."
		echo
		return
	fi
	local small_rss mid_rss=0 mid_secs=0
	FLAT_ROWS=
	flat_run "$flat_small" || return
	small_rss=$RSS
	if ((flat_mid)); then
		flat_run "$flat_mid" || return
		mid_rss=$RSS mid_secs=$FLAT_SECS
	fi
	flat_run "$flat_big" || return
	echo "Same traffic shape, $flat_conc flows open at once, every flow" \
		"finishes (\`--mix $flat_mix --packets-per-flow 1\`);" \
		"only the length of the capture differs. A flow table that forgets" \
		"finished flows keeps the same peak RSS (ratio near 1). Wall times" \
		"here include ftgen sharing the CPU and the JSON report going" \
		"through a pipe: for throughput, see the first table."
	echo
	echo "| flows | packets | capture (s) | open at once (ftgen) | peak tracked (fintrace) | peak RSS (MiB) | fintrace wall (s) | packets/s |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s' "$FLAT_ROWS"
	echo
	echo "RSS ratio, $flat_big flows / $flat_small flows:" \
		"**$(fmt_ratio "$RSS" "$small_rss")**"
	if ((flat_mid)); then
		echo
		echo "RSS ratio, $flat_big flows / $flat_mid flows:" \
			"**$(fmt_ratio "$RSS" "$mid_rss")**."
		echo
		echo "Every socket that closes cleanly holds TIME_WAIT for 60 s" \
			"of capture time, and the reuse of a 4-tuple still in" \
			"TIME_WAIT is found exactly, so a capture shorter than 60 s" \
			"holds fewer of them at once than a longer one; two captures" \
			"both longer than 60 s should have the same peak."
		awk -v s="$mid_secs" 'BEGIN { exit !(s < 60) }' &&
			echo "Here the $flat_mid-flow capture lasts $mid_secs s," \
				"shorter than that: a middle run of more flows shows" \
				"the plateau."
	fi
	echo
}

# ---------------------------------------------------------------- live/kernel
# Shared by the live and kernel sections: root, namespaces, ftload.
need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "Skipped: needs root (network namespaces, packet capture, eBPF)."
		echo
		return 1
	fi
	if ! command -v ip >/dev/null; then
		echo "Skipped: \`ip\` (iproute2) is not installed."
		echo
		return 1
	fi
	return 0
}

# A new, empty namespace with only lo up: no other traffic, and no
# TIME_WAIT sockets left by the previous run.
ns_fresh() {
	ns_gone "$1"
	ip netns add "$1" && ip -n "$1" link set lo up
}

# wait_for FILE PATTERN SECONDS PID: 0 once FILE has PATTERN, 1 when PID
# ended or the time ran out.
wait_for() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# A key=value field of an ftload or ftrusage line: kv FILE KEY
kv() {
	local v
	v=$(sed -n 's/.*\b'"$2"'=\([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1)
	echo "${v:-}"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------- live
# One capture of one load step. live_run TOOL RATE TAG: TOOL captures lo
# of a fresh namespace while ftload runs there for $live_dur seconds;
# the capture lasts 3 s longer than the load (it starts before, waits
# for "listening on" from the tool, and stops after the load ends).
live_run() {
	local tool=$1 rate=$2 tag=$3 cap=$((live_dur + 3)) pid
	local -a cmd
	ns_fresh "$ns_live" || { log "live: cannot create $ns_live"; return 1; }
	case $tool in
	fintrace)
		cmd=("$fintrace" live -i lo --duration "${cap}s"
			--snaplen "$snaplen" --buffer-size "$live_buf"
			--format json -o "$res/$tag.json" --no-progress)
		;;
	tcpdump)
		cmd=(timeout -s INT "$cap" tcpdump -i lo -n -s "$snaplen"
			-B $((live_buf * 1024)) -w /dev/null tcp)
		;;
	esac
	log "live: $tool, $rate connections/s: ${cmd[*]}"
	ip netns exec "$ns_live" "$rusage" -o "$res/$tag.ru" -- "${cmd[@]}" \
		>/dev/null 2>"$res/$tag.err" &
	pid=$!
	if ! wait_for "$res/$tag.err" "listening on" 10 "$pid"; then
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" || true
		ns_gone "$ns_live"
		return 1
	fi
	ip netns exec "$ns_live" "$ftload" --rate "${rate/max/0}" \
		--duration "$live_dur" -o "$res/$tag.load" \
		2>"$res/$tag.load.err" || true
	wait "$pid" || true
	ns_gone "$ns_live"
	sleep 1 # the kernel frees the namespace's sockets in the background
}

# Kernel drops and packets captured of one run, from the tool's own
# closing lines (both read pcap_stats at the end of the capture).
live_counts() {
	local tool=$1 tag=$2
	case $tool in
	fintrace)
		DROPS=$(sed -n 's/.*, \([0-9]*\) dropped by the kernel.*/\1/p' "$res/$tag.err" | tail -1)
		# packets its capture thread had no room for count as lost too
		local queue
		queue=$(sed -n 's/.*, \([0-9]*\) dropped by fintrace (queue full).*/\1/p' "$res/$tag.err" | tail -1)
		[[ -n $DROPS ]] && DROPS=$((DROPS + ${queue:-0}))
		CAPTURED=$(sed -n 's/.*: \([0-9]*\) packets captured,.*/\1/p' "$res/$tag.err" | tail -1)
		FLOWS=$(summary_num "$res/$tag.json" flows)
		CLEAN=$(sed -n 's/.*"type":"summary".*"clean":\([0-9]*\).*/\1/p' "$res/$tag.json" | head -1)
		;;
	tcpdump)
		DROPS=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$res/$tag.err" | tail -1)
		CAPTURED=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$res/$tag.err" | tail -1)
		FLOWS=
		CLEAN=
		;;
	esac
	COMPLETED=$(kv "$res/$tag.load" completed)
	CPS=$(kv "$res/$tag.load" conn_per_s)
	local u s
	u=$(kv "$res/$tag.ru" user_ns)
	s=$(kv "$res/$tag.ru" sys_ns)
	CPU_NS=$((${u:-0} + ${s:-0}))
}

live_section() {
	echo "## Live capture"
	echo
	need_root || return 0
	if [[ -z $fintrace ]] || ! command -v tcpdump >/dev/null; then
		echo "Skipped: needs fintrace and tcpdump."
		echo
		return
	fi
	local load0 rate tag tool i=0
	local -a rates order
	local -A best_step best_rate best_cps best_pps broken best_txt
	IFS=, read -r -a rates <<<"$live_rates"
	load0=$(loadavg)
	echo "Load: ftload in a network namespace of its own (nothing else" \
		"on its lo), one client process and one server process:" \
		"short connections (handshake, a 100-byte request, a 400-byte" \
		"response, the client closes first, the server closes at the" \
		"end of stream), 10 packets each, started at the given rate" \
		"for $live_dur s from 256 client addresses (\`max\`: a closed" \
		"loop of 32 connections at once, as fast as the machine goes)." \
		"At each step each tool captures its own run of the same load" \
		"on that lo (fintrace first at odd steps, tcpdump first at even" \
		"ones), with the same snap length ($snaplen), capture buffer" \
		"($live_buf MiB) and kernel filter (\`tcp\`):"
	echo
	echo "- fintrace: \`fintrace live -i lo --duration $((live_dur + 3))s --snaplen $snaplen --buffer-size $live_buf --format json -o FILE --no-progress\`"
	echo "- tcpdump: \`tcpdump -i lo -n -s $snaplen -B $((live_buf * 1024)) -w /dev/null tcp\`, stopped by SIGINT after $((live_dur + 3)) s"
	echo
	echo "*drops* is what each tool reports at the end from" \
		"pcap_stats (fintrace: \"dropped by the kernel\" plus the" \
		"packets its capture thread found no room for, \"dropped by" \
		"fintrace (queue full)\"; tcpdump:" \
		"\"packets dropped by kernel\"). *achieved* is the load's own" \
		"count of completed connections over $live_dur s; it falls" \
		"short of the target when the two cores, shared by client," \
		"server, kernel and capturing tool, run out. *packets/s* is" \
		"packets captured over $live_dur s (lo shows each packet twice" \
		"to the capture, once as outgoing, which libpcap skips; these" \
		"are the ones kept). *CPU* is the tool's own user + system" \
		"time (wait4), per packet captured and as a share of one core" \
		"over the load's $live_dur s."
	echo
	echo "Load average at the start of this section: $load0."
	echo
	echo "| target conn/s | tool | achieved conn/s | packets/s | drops | CPU per packet (µs) | CPU (% of a core) | flows seen (clean) |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for rate in "${rates[@]}"; do
		i=$((i + 1))
		if ((i % 2)); then order=(fintrace tcpdump); else order=(tcpdump fintrace); fi
		for tool in "${order[@]}"; do
			tag=live.$i.$tool
			if ! live_run "$tool" "$rate" "$tag"; then
				echo "| $rate | $tool | failed: $(tail -1 "$res/$tag.err" 2>/dev/null | tr '|' ' ') | | | | | |" >"$res/$tag.row"
				broken[$tool]=1
				continue
			fi
			live_counts "$tool" "$tag"
			if [[ -z $DROPS || -z $CAPTURED || -z $COMPLETED ]]; then
				echo "| $rate | $tool | failed: $(tail -1 "$res/$tag.err" "$res/$tag.load.err" 2>/dev/null | tr '\n|' '  ') | | | | | |" >"$res/$tag.row"
				broken[$tool]=1
				continue
			fi
			local pps flows=–
			pps=$(awk -v p="$CAPTURED" -v d="$live_dur" 'BEGIN { printf "%.0f", p / d }')
			[[ $tool == fintrace ]] && flows="$FLOWS ($CLEAN)"
			echo "| $rate | $tool | $CPS | $pps | $DROPS |" \
				"$(awk -v c="$CPU_NS" -v p="$CAPTURED" 'BEGIN { printf "%.2f", p ? c / 1e3 / p : 0 }') |" \
				"$(awk -v c="$CPU_NS" -v d="$live_dur" 'BEGIN { printf "%.1f", c / 1e7 / d }') |" \
				"$flows |" >"$res/$tag.row"
			# The highest step with no drop at it or below.
			if [[ -z ${broken[$tool]:-} ]]; then
				if ((DROPS == 0)); then
					best_step[$tool]=$i
					best_rate[$tool]=$rate
					best_pps[$tool]=$pps
					best_cps[$tool]=$CPS
				else
					broken[$tool]=1
				fi
			fi
		done
		for tool in fintrace tcpdump; do
			cat "$res/live.$i.$tool.row"
		done
	done
	echo
	echo "Load average at the end: $(loadavg)."
	echo
	for tool in fintrace tcpdump; do
		if [[ -z ${best_step[$tool]:-} ]]; then
			best_txt[$tool]="none (drops from the first step)"
		else
			best_txt[$tool]="step \`${best_rate[$tool]}\` (${best_cps[$tool]} connections/s, ${best_pps[$tool]} packets/s achieved)"
			[[ -z ${broken[$tool]:-} ]] && best_txt[$tool]+=", the last step: no drop anywhere"
		fi
	done
	echo "Highest step with zero drops at it and at every step" \
		"below: fintrace **${best_txt[fintrace]}**; tcpdump" \
		"**${best_txt[tcpdump]}**. Target (fintrace sustains at least" \
		"the rate tcpdump sustains):" \
		"$(if ((${best_step[fintrace]:-0} >= ${best_step[tcpdump]:-0})); then echo "**met**"; else echo "**not met**"; fi)."
	echo
}

# ---------------------------------------------------------------- kernel
# Make sure tracefs is mounted (bpftrace reads tracepoint formats there);
# what was mounted here is unmounted at exit.
tracefs_ready() {
	mountpoint -q /sys/kernel/tracing && return 0
	mount -t tracefs nodev /sys/kernel/tracing || return 1
	tracefs_mounted=1
	log "kernel: mounted tracefs on /sys/kernel/tracing (unmounted at exit)"
}

# A helper that bpftrace -c runs: the load, measured by ftrusage, and, in
# the diagnostic run, bpftool's program statistics before bpftrace exits.
write_kload() {
	cat >"$res/kload.sh" <<EOS
#!/bin/bash
# kload.sh LOAD_OUT RUSAGE_OUT [BPFTOOL_OUT]
"$rusage" -o "\$2" -- ip netns exec "$ns_kern" "$ftload" --rate 0 \\
	--duration "$kern_dur" --concurrency "$kern_conc" -o "\$1"
if [[ -n \${3:-} ]]; then bpftool prog show --json >"\$3"; fi
EOS
}

# Sum of run_time_ns and run_cnt of the programs in a bpftool JSON list
# whose id is not in BEFORE and whose name matches RE, and, when an ATTACHED
# list is given (ids loaded once the tracer had attached), is in it: other
# work on the machine may load programs of the same names meanwhile.
# "ns runs".
bpf_prog_stats() {
	local attached=null
	[[ -n ${4:-} && -s $4 ]] && attached=$(cat "$4")
	jq -r --argjson before "$(cat "$2")" --arg re "$3" \
		--argjson attached "$attached" '
		[.[] | select(.id as $i | $before | any(. == $i) | not)
		     | select(.id as $i | $attached == null or ($attached | any(. == $i)))
		     | select(.name | test($re))]
		| "\(map(.run_time_ns // 0) | add // 0) \(map(.run_cnt // 0) | add // 0)"' "$1"
}

# has_bpf_link PID: 0 once the process holds a BPF link (it has attached).
has_bpf_link() {
	local f
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == anon_inode:bpf_link ]] && return 0
	done
	return 1
}

# One run: kernel_run CONFIG TAG [diag]. Fills $res/TAG.load (ftload's
# line), TAG.load.ru (the load's CPU), TAG.ru (the tracer's, with the
# load inside it for bpftrace), TAG.err, and TAG.bpf for diag runs.
kernel_run() {
	local cfg=$1 tag=$2 diag=${3:-} pid child i all
	ns_fresh "$ns_kern" || { log "kernel: cannot create $ns_kern"; return 1; }
	if [[ -n $diag ]]; then
		bpftool prog show --json | jq -c '[.[].id]' >"$res/$tag.before"
	fi
	case $cfg in
	untraced)
		bash "$res/kload.sh" "$res/$tag.load" "$res/$tag.load.ru" \
			2>"$res/$tag.err" || true
		;;
	fintrace | fintrace-all | floor)
		# floor: the same binary and hooks, every program empty;
		# fintrace-all: --all, a record for every socket's end
		all=
		[[ $cfg == fintrace-all ]] && all=--all
		FT_BPF_FLOOR=$([[ $cfg == floor ]] && echo 1 || echo 0) \
		"$rusage" -o "$res/$tag.ru" -- "$fintrace" kernel \
			--duration "$((kern_dur + 30))s" --format json \
			${all:+"$all"} -o /dev/null 2>"$res/$tag.err" &
		pid=$!
		# Attached once fintrace holds its BPF links.
		for ((i = 0; i < 200; i++)); do
			child=$(pgrep -P "$pid" | head -1 || true)
			if [[ -n $child ]] && has_bpf_link "$child"; then
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		sleep 0.5
		if [[ -n $diag ]]; then
			bpftool prog show --json | jq -c '[.[].id]' >"$res/$tag.attached"
		fi
		bash "$res/kload.sh" "$res/$tag.load" "$res/$tag.load.ru" \
			${diag:+"$res/$tag.bpf"} 2>>"$res/$tag.err" || true
		kill -INT "$child" 2>/dev/null || true
		wait "$pid" || true
		;;
	bpftrace)
		"$rusage" -o "$res/$tag.ru" -- bpftrace -c \
			"/bin/bash $res/kload.sh $res/$tag.load $res/$tag.load.ru${diag:+ $res/$tag.bpf}" \
			"$here/tcpstates.bt" >/dev/null 2>"$res/$tag.err" || true
		;;
	esac
	ns_gone "$ns_kern"
	sleep 2 # the kernel frees the namespace's sockets in the background
}

kernel_section() {
	echo "## Kernel mode"
	echo
	need_root || return 0
	if [[ -z $fintrace ]] || ! command -v bpftrace >/dev/null ||
		! command -v jq >/dev/null || ! command -v bpftool >/dev/null; then
		echo "Skipped: needs fintrace, bpftrace, bpftool and jq."
		echo
		return
	fi
	if [[ $workdir =~ [[:space:]] ]]; then
		echo "Skipped: --workdir must have no spaces (bpftrace -c splits its command line)."
		echo
		return
	fi
	if ! tracefs_ready; then
		echo "Skipped: cannot mount tracefs on /sys/kernel/tracing."
		echo
		return
	fi
	write_kload
	local cfg r load0
	local -a cfgs=(untraced fintrace fintrace-all floor bpftrace)
	local ev ev_all
	local -A med_cps min_cps max_cps lcpu tcpu
	load0=$(loadavg)
	# Interleaved, so that load from elsewhere hits every configuration.
	for ((r = 1; r <= kern_runs; r++)); do
		for cfg in "${cfgs[@]}"; do
			log "kernel: run $r/$kern_runs, $cfg"
			kernel_run "$cfg" "k.$cfg.$r"
		done
	done
	for cfg in "${cfgs[@]}"; do
		med_cps[$cfg]=$(for ((r = 1; r <= kern_runs; r++)); do kv "$res/k.$cfg.$r.load" conn_per_s; done | median)
		min_cps[$cfg]=$(for ((r = 1; r <= kern_runs; r++)); do kv "$res/k.$cfg.$r.load" conn_per_s; done | sort -n | head -1)
		max_cps[$cfg]=$(for ((r = 1; r <= kern_runs; r++)); do kv "$res/k.$cfg.$r.load" conn_per_s; done | sort -n | tail -1)
		# CPU per connection (µs): the load's, and the tracer's own
		# (bpftrace's rusage holds the load it ran: subtract it).
		lcpu[$cfg]=$(for ((r = 1; r <= kern_runs; r++)); do
			awk -v u="$(kv "$res/k.$cfg.$r.load.ru" user_ns)" -v s="$(kv "$res/k.$cfg.$r.load.ru" sys_ns)" \
				-v n="$(kv "$res/k.$cfg.$r.load" completed)" 'BEGIN { if (n) printf "%.1f\n", (u + s) / n / 1e3 }'
		done | median)
		tcpu[$cfg]=$(for ((r = 1; r <= kern_runs; r++)); do
			[[ -f $res/k.$cfg.$r.ru ]] || continue
			awk -v u="$(kv "$res/k.$cfg.$r.ru" user_ns)" -v s="$(kv "$res/k.$cfg.$r.ru" sys_ns)" \
				-v lu="$(kv "$res/k.$cfg.$r.load.ru" user_ns)" -v ls="$(kv "$res/k.$cfg.$r.load.ru" sys_ns)" \
				-v nest="$([[ $cfg == bpftrace ]] && echo 1 || echo 0)" \
				-v n="$(kv "$res/k.$cfg.$r.load" completed)" \
				'BEGIN { t = u + s; if (nest) t -= lu + ls; if (n) printf "%.1f\n", t / n / 1e3 }'
		done | median)
	done
	# fintrace's own count of records and of records lost (ring buffer
	# full), from its last status line.
	ev=$(for ((r = 1; r <= kern_runs; r++)); do
		sed -n 's/.* \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p' "$res/k.fintrace.$r.err" | tail -1
	done)
	ev_all=$(for ((r = 1; r <= kern_runs; r++)); do
		sed -n 's/.* \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p' "$res/k.fintrace-all.$r.err" | tail -1
	done)

	echo "Load: ftload in a network namespace of its own, a closed loop of" \
		"$kern_conc connections at once for $kern_dur s (the same short" \
		"connections as the live section: 10 packets and 10 TCP state" \
		"changes each, 5 per endpoint), as fast as the machine goes." \
		"A new namespace for every run, so that each starts without" \
		"TIME_WAIT sockets. $kern_runs runs per configuration," \
		"interleaved (untraced, fintrace, fintrace-all, floor, bpftrace," \
		"then again); the" \
		"median is reported."
	echo
	echo "- untraced: the load alone"
	echo "- fintrace: \`fintrace kernel --duration $((kern_dur + 30))s --format json -o /dev/null\`, attached before the load starts and stopped (SIGINT) when it ends: all its hooks (state changes, resets, accept), sockets of every namespace, its walk of closing sockets and its 1 s TIME_WAIT sampling"
	echo "- fintrace-all: the same command with \`--all\`: every socket's end is a record through the ring buffer, clean ones too (without it a clean end is a per-CPU counter)"
	echo "- floor: the same command with \`FT_BPF_FLOOR=1\`: the same programs on the same hooks, each returning at once: what attaching costs before any work"
	echo "- bpftrace: \`bpftrace -c LOAD bench/tcpstates.bt > /dev/null\`: bcc's tcpstates in bpftrace (tracepoint \`sock:inet_sock_set_state\`, a map of the last change's time keyed by socket address, one printf per change with the time in the previous state)"
	echo
	echo "*overhead* is the share of the untraced rate lost: 1 − traced /" \
		"untraced, from the medians. *load CPU* is the load's own user +" \
		"system time per connection (the BPF programs run inside it)," \
		"*tracer CPU* the tracer process's (for bpftrace, minus the" \
		"load it ran)."
	echo
	echo "Load average at the start of this section: $load0."
	echo
	echo "| configuration | conn/s (median) | min–max | overhead | load CPU per conn (µs) | tracer CPU per conn (µs) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for cfg in "${cfgs[@]}"; do
		local ovh=–
		if [[ -z ${med_cps[$cfg]} ]]; then
			echo "| $cfg | failed: $(tail -1 "$res/k.$cfg.1.err" 2>/dev/null | tr '|' ' ') | | | | |"
			continue
		fi
		if [[ $cfg != untraced && -n ${med_cps[untraced]} ]]; then
			ovh=$(awk -v a="${med_cps[$cfg]}" -v b="${med_cps[untraced]}" 'BEGIN { printf "%.1f %%", (1 - a / b) * 100 }')
		fi
		echo "| $cfg | ${med_cps[$cfg]} | ${min_cps[$cfg]}–${max_cps[$cfg]} | $ovh | ${lcpu[$cfg]:-–} | ${tcpu[$cfg]:-–} |"
	done
	echo
	if [[ -n ${med_cps[untraced]} && -n ${med_cps[fintrace]} && -n ${med_cps[bpftrace]} ]]; then
		awk -v u="${med_cps[untraced]}" -v f="${med_cps[fintrace]}" -v b="${med_cps[bpftrace]}" 'BEGIN {
			fo = (1 - f / u) * 100; bo = (1 - b / u) * 100;
			printf "Target (fintrace costs at most 5 %% of the untraced rate, and less than the bpftrace program): "
			printf "at most 5 %%: **%s** (%.1f %%); less than bpftrace: **%s** (%.1f %% against %.1f %%).\n",
				fo <= 5 ? "met" : "not met", fo, fo < bo ? "met" : "not met", fo, bo }'
		echo
	fi
	echo "fintrace's records and lost records per run:" \
		"$(echo "$ev" | awk 'NF == 2 { printf "%s%s/%s", sep, $1, $2; sep = ", " }');" \
		"with --all: $(echo "$ev_all" | awk 'NF == 2 { printf "%s%s/%s", sep, $1, $2; sep = ", " }')."
	echo
	kernel_diag
	echo "Load average at the end: $(loadavg)."
	echo
}

# Where the time goes: one more run per tracer with the kernel's BPF
# statistics on (kernel.bpf_stats_enabled: run time and count of every
# program), read before the tracer exits.
kernel_diag() {
	local cfg tag ns runs n re
	stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo)
	if [[ -z $stats_was ]] || ! sysctl -q -w kernel.bpf_stats_enabled=1; then
		stats_was=
		return
	fi
	echo "Where the time goes (one more run each, with" \
		"\`kernel.bpf_stats_enabled=1\`, which adds two clock reads to" \
		"every program run; *BPF* is the run time of the tracer's" \
		"programs, inside the load's CPU time):"
	echo
	echo "| configuration | conn/s | BPF program runs per conn | ns per run | BPF µs per conn | tracer CPU per conn (µs) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for cfg in fintrace fintrace-all floor bpftrace; do
		tag=k.$cfg.diag
		log "kernel: $cfg with BPF statistics"
		kernel_run "$cfg" "$tag" diag
		case $cfg in
		fintrace | fintrace-all | floor) re='^handle_' ;;
		bpftrace) re='^inet_sock_set' ;;
		esac
		n=$(kv "$res/$tag.load" completed)
		if [[ ! -s $res/$tag.bpf || -z $n ]]; then
			echo "| $cfg | failed | | | | |"
			continue
		fi
		read -r ns runs < <(bpf_prog_stats "$res/$tag.bpf" "$res/$tag.before" "$re" "$res/$tag.attached")
		awk -v ns="$ns" -v runs="$runs" -v n="$n" -v cfg="$cfg" \
			-v cps="$(kv "$res/$tag.load" conn_per_s)" \
			-v u="$(kv "$res/$tag.ru" user_ns)" -v s="$(kv "$res/$tag.ru" sys_ns)" \
			-v lu="$(kv "$res/$tag.load.ru" user_ns)" -v ls="$(kv "$res/$tag.load.ru" sys_ns)" \
			'BEGIN {
				t = u + s; if (cfg == "bpftrace") t -= lu + ls;
				printf "| %s | %s | %.1f | %.0f | %.2f | %.2f |\n", cfg, cps,
					runs / n, runs ? ns / runs : 0, ns / n / 1e3, t / n / 1e3 }'
	done
	sysctl -q -w kernel.bpf_stats_enabled="$stats_was" || true
	stats_was=
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
