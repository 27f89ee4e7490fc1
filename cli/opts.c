/* SPDX-License-Identifier: MIT */
/*
 * Option parsing for the packet modes; see opts.h.
 */
#include "cli/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/teardown.h"

#define NS ((uint64_t)1000000000)
#define SNAPSHOT_MIN_NS (NS / 10)

const struct ft_opts ft_opts_defaults = {
	.format = RPT_TEXT,
	.linger_ns = 5 * NS,
	.idle_ns = 300 * NS,
	.grace_ns = 5 * NS,
	.top = 10,
	.top_services = 5,
	.top_clients = 5,
	.progress = -1,
	.interval_ns = 5 * NS,
	.time_wait_ns = 60 * NS,
	.port_lo = 32768,
	.port_hi = 60999,
	.tw_share = 50,
	.evidence_verdicts = (1u << VD_NEVER_CLOSED) | (1u << VD_LATE_CLOSE),
	.evidence_buffer = (uint64_t)256 << 20,
	.snaplen = 128,
	.buffer_kib = 64 * 1024,
};

enum {
	O_FORMAT = 0x100,
	O_LINGER,
	O_IDLE,
	O_GRACE,
	O_MAX_FLOWS,
	O_TOP,
	O_FAIL_ON,
	O_ALL,
	O_PROGRESS,
	O_NO_PROGRESS,
	O_VERSION,
	O_DURATION,
	O_INTERVAL,
	O_BUFFER,
	O_PROMISC,
	O_TIME_WAIT,
	O_PEER_OS,
	O_PORT_RANGE,
	O_TW_SHARE,
	O_EVIDENCE,
	O_EVIDENCE_VERDICTS,
	O_EVIDENCE_BUFFER,
	O_REPORT,
	O_PORT,
	O_PID,
	O_NETNS,
	O_RINGBUF,
	O_NO_SEED,
	O_CAPTURE_END,
	O_TOP_SERVICES,
	O_TOP_CLIENTS,
	O_ALERT_EACH,
	O_METRICS,
	O_FORCE,
	O_THREADS,
	O_SNAPSHOT_EVERY,
	O_SNAPSHOT_FILE,
	O_LOCAL_TIME,
};

#define R (1u << OPTS_READ)
#define L (1u << OPTS_LIVE)
#define K (1u << OPTS_KERNEL)
#define C (1u << OPTS_COMPARE)

/*
 * Every option of every mode, once: its name, whether it takes a value,
 * its short form (when id < 0x100) and the modes that take it. The
 * parser builds getopt's tables from it and refuses an option of another
 * mode by naming the modes that have it.
 */
static const struct opt_def {
	const char *name;
	int has_arg;
	int id;
	unsigned modes;
} opt_defs[] = {
	{"format", required_argument, O_FORMAT, R | L | K | C},
	{"output", required_argument, 'o', R | L | K | C},
	{"filter", required_argument, 'f', R | L | C},
	{"linger", required_argument, O_LINGER, R | L | K | C},
	{"idle-timeout", required_argument, O_IDLE, R | L | C},
	{"grace", required_argument, O_GRACE, R | L | C},
	{"max-flows", required_argument, O_MAX_FLOWS, R | L | C},
	{"top", required_argument, O_TOP, R | L | K},
	{"top-services", required_argument, O_TOP_SERVICES, R | L | K},
	{"top-clients", required_argument, O_TOP_CLIENTS, R | L | K},
	{"fail-on", required_argument, O_FAIL_ON, R | L | K},
	{"all", no_argument, O_ALL, R | L | K},
	{"progress", no_argument, O_PROGRESS, R | L | K},
	{"no-progress", no_argument, O_NO_PROGRESS, R | L | K},
	{"time-wait", required_argument, O_TIME_WAIT, R | L},
	{"peer-os", required_argument, O_PEER_OS, R | L},
	{"port-range", required_argument, O_PORT_RANGE, R | L | K},
	{"time-wait-share", required_argument, O_TW_SHARE, R | L | K},
	{"evidence", required_argument, O_EVIDENCE, R | L | K},
	{"evidence-verdicts", required_argument, O_EVIDENCE_VERDICTS, R | L},
	{"evidence-buffer", required_argument, O_EVIDENCE_BUFFER, R | L},
	{"report", required_argument, O_REPORT, R | L | K | C},
	{"force", no_argument, O_FORCE, R | L | K},
	{"capture-end", required_argument, O_CAPTURE_END, R},
	{"threads", required_argument, O_THREADS, R},
	{"metrics", required_argument, O_METRICS, L | K},
	{"snapshot-every", required_argument, O_SNAPSHOT_EVERY, L | K},
	{"snapshot-file", required_argument, O_SNAPSHOT_FILE, L | K},
	{"local-time", no_argument, O_LOCAL_TIME, R | L | K},
	{NULL, required_argument, 'r', R},
	{NULL, no_argument, 'n', R | L},
	{"help", no_argument, 'h', R | L | K | C},
	{"version", no_argument, O_VERSION, R | L},
	{"interface", required_argument, 'i', L},
	{"write", required_argument, 'w', L},
	{"user", required_argument, 'Z', L},
	{"duration", required_argument, O_DURATION, L | K},
	{"count", required_argument, 'c', L},
	{"interval", required_argument, O_INTERVAL, L | K},
	{"snaplen", required_argument, 's', L},
	{"buffer-size", required_argument, O_BUFFER, L},
	{NULL, required_argument, 'B', L},
	{"promisc", no_argument, O_PROMISC, L},
	{"alert-each", no_argument, O_ALERT_EACH, L | K},
	{"port", required_argument, O_PORT, K},
	{"pid", required_argument, O_PID, K},
	{"netns", required_argument, O_NETNS, K},
	{"ringbuf-size", required_argument, O_RINGBUF, K},
	{"no-seed", no_argument, O_NO_SEED, K},
	{"verbose", no_argument, 'v', K},
	{NULL, no_argument, '4', K},
	{NULL, no_argument, '6', K},
};

#undef R
#undef L
#undef K
#undef C

#define NDEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static const char *const mode_names[] = {"read", "live", "kernel", "compare"};

static const struct opt_def *opt_def_of(int id)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (opt_defs[i].id == id)
			return &opt_defs[i];
	return NULL;
}

/* getopt's long table and short string, from opt_defs. */
static void getopt_tables(struct option *lo, char *so)
{
	size_t n = 0, k = 0;

	so[k++] = ':'; /* a missing value is reported as ':' */
	for (size_t i = 0; i < NDEFS; i++) {
		const struct opt_def *d = &opt_defs[i];

		if (d->name)
			lo[n++] = (struct option){d->name, d->has_arg, NULL,
						  d->id};
		if (d->id < 0x100) {
			so[k++] = (char)d->id;
			if (d->has_arg)
				so[k++] = ':';
		}
	}
	lo[n] = (struct option){NULL, 0, NULL, 0};
	so[k] = '\0';
}

/* "live and kernel": the modes that take option d. */
static void modes_of(const struct opt_def *d, char *buf, size_t n)
{
	size_t k = 0;
	int first = 1;

	buf[0] = '\0';
	for (unsigned m = 0; m < OPTS__MODES; m++) {
		if (!(d->modes & (1u << m)))
			continue;
		k += (size_t)snprintf(buf + k, n - k, "%s%s",
				      first ? "fintrace " : " and ",
				      mode_names[m]);
		first = 0;
		if (k >= n)
			break;
	}
}

static const char usage_read[] =
	"usage: fintrace read [options] FILE... [FILTER | -- FILTER]\n"
	"Reads pcap/pcapng captures (\"-\" is standard input; several files\n"
	"are merged in time order) and tells, per TCP connection and per\n"
	"service, which side never called close() and how long its socket\n"
	"stayed in CLOSE_WAIT. As with tcpdump, the first argument after the\n"
	"files that is not a readable file starts the filter expression\n"
	"(fintrace read cap.pcap tcp port 9100); after -- it always does.\n"
	"\n"
	"  -r FILE                a capture to read, as tcpdump's -r (may be\n"
	"                         repeated; FILE arguments may follow)\n"
	"  -f, --filter EXPR      pcap filter expression (as tcpdump takes "
	"it;\n"
	"                         or its words after the files, or after --;\n"
	"                         only one of the three)\n"
	"  -n                     accepted as tcpdump takes it: fintrace\n"
	"                         never resolves names (-nn too)\n"
	"      --local-time       times in the text and HTML reports in local\n"
	"                         time (TZ) with their offset; UTC by\n"
	"                         default; JSON and CSV stay UTC\n"
	"      --format FMT       text (default), json (JSON Lines) or csv\n"
	"  -o, --output FILE      write the report to FILE\n"
	"      --linger DUR       close-wait above DUR is a late close (5s)\n"
	"      --idle-timeout DUR finalise a silent open flow after DUR (5m);\n"
	"                         flows in CLOSE_WAIT are kept to the end\n"
	"      --grace DUR        keep a finished flow DUR for stray packets "
	"(5s)\n"
	"      --max-flows N      track at most N flows, evicting the least\n"
	"                         recently seen (counted); 0 = no bound\n"
	"      --threads N        read with N threads: reader, tracker,\n"
	"                         reporter (one per core, at most 3)\n"
	"      --top N            list at most N services, client hosts and\n"
	"                         worst flows in text and HTML (5, 5, 10)\n"
	"      --top-services N, --top-clients N\n"
	"                         services, client hosts listed (N or all)\n"
	"      --fail-on LIST     exit 3 if a flow has one of these verdicts\n"
	"      --all              also list flows with verdict open "
	"(json/csv)\n"
	"      --progress, --no-progress\n"
	"                         progress on stderr (default: on a terminal)\n"
	"      --time-wait DUR    active closer's TIME_WAIT (60s; 240s with\n"
	"                         --peer-os windows)\n"
	"      --peer-os OS       linux (default) or windows: TIME_WAIT and\n"
	"                         ephemeral ports of the clients\n"
	"      --port-range LO-HI clients' ephemeral ports (32768-60999;\n"
	"                         windows 49152-65535)\n"
	"      --time-wait-share PCT\n"
	"                         TIME_WAIT verdict at this share of the\n"
	"                         port range toward one service (50)\n"
	"      --evidence FILE    write every packet of the flagged flows to\n"
	"                         FILE (pcap; one file per link type)\n"
	"      --evidence-verdicts LIST\n"
	"                         flows to keep (never-closed,late-close)\n"
	"      --evidence-buffer SIZE\n"
	"                         memory for evidence from standard input\n"
	"                         (256M; k, M, G; flows beyond are counted)\n"
	"      --evidence DIR/    an evidence pack instead (an empty or new\n"
	"                         directory): the evidence capture, report.html,\n"
	"                         report.json, FACTS.txt, README.txt (frames and\n"
	"                         filters in the evidence file) and\n"
	"                         MANIFEST.sha256 (sha256sum -c)\n"
	"      --force            write the pack into a directory that is not\n"
	"                         empty\n"
	"      --report FILE      also write a self-contained HTML report\n"
	"      --capture-end TIME|+DUR\n"
	"                         the capture ran until TIME (ISO 8601 UTC)\n"
	"                         or DUR after the first packet (default:\n"
	"                         pcapng statistics, else the last packet,\n"
	"                         a lower bound for close-waits at the end)\n"
	"  -h, --help             this text\n"
	"\n"
	"Durations: 500ms, 5s, 2m, 1h. Verdicts: clean, late-close,\n"
	"never-closed, half-close, reset, fin-unacked, simultaneous, refused,\n"
	"open. Exit: 0 analysed, 1 usage, 2 input error, 3 --fail-on hit,\n"
	"4 a filter was given and no flow matched it.\n";

static const char usage_live[] =
	"usage: fintrace live -i IFACE [options] [FILTER]\n"
	"Captures TCP on IFACE (\"any\" for all) and reports lingering\n"
	"sockets while it runs; Ctrl-C ends with the full report.\n"
	"\n"
	"  -i, --interface IFACE  interface to capture on (required)\n"
	"  -w, --write FILE       also write every captured packet to FILE\n"
	"  -Z, --user USER        drop root for USER once the capture is open\n"
	"      --duration DUR     stop after DUR\n"
	"  -c, --count N          stop after N packets\n"
	"      --interval DUR     status line, and at most one alert line per\n"
	"                         service or client host, every DUR (5s)\n"
	"      --alert-each       an alert line per socket, not per group\n"
	"  -s, --snaplen N        bytes kept per packet (128: headers; 0:\n"
	"                         262144, as tcpdump -s 0)\n"
	"      --buffer-size MB   kernel capture buffer (64)\n"
	"  -B KIB                 kernel capture buffer in KiB (tcpdump's)\n"
	"  -n                     accepted as tcpdump takes it: fintrace\n"
	"                         never resolves names (-nn too)\n"
	"      --local-time       times in text (status, alerts, report) and\n"
	"                         HTML in local time (TZ); JSON stays UTC\n"
	"      --promisc          promiscuous mode\n"
	"      --format FMT       text (default), json or csv\n"
	"  -o, --output FILE      write the report to FILE\n"
	"      --linger DUR       alert and late close above DUR (5s)\n"
	"      --idle-timeout DUR, --grace DUR, --max-flows N, --top N,\n"
	"      --top-services N, --top-clients N,\n"
	"      --fail-on LIST, --all, --time-wait DUR, --peer-os OS,\n"
	"      --port-range LO-HI, --time-wait-share PCT   as for fintrace "
	"read\n"
	"      --evidence FILE    at the end, write every packet of the "
	"flagged\n"
	"                         flows to FILE (kept in memory meanwhile)\n"
	"      --evidence-verdicts LIST, --evidence-buffer SIZE\n"
	"                         as for fintrace read (256M of packets)\n"
	"      --evidence DIR/, --force\n"
	"                         an evidence pack at the end, as for\n"
	"                         fintrace read\n"

	"      --report FILE      also write a self-contained HTML report\n"
	"      --metrics ADDR:PORT\n"
	"                         serve Prometheus metrics at\n"
	"                         http://ADDR:PORT/metrics, updated every\n"
	"                         --interval (PORT alone: 127.0.0.1:PORT)\n"
	"      --snapshot-every DUR\n"
	"                         every DUR, one JSON line with the summary\n"
	"                         so far (for log shippers)\n"
	"      --snapshot-file FILE\n"
	"                         append the snapshots to FILE (default:\n"
	"                         standard output when -o takes the report)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit: 0 analysed, 1 usage, 2 capture error, 3 --fail-on hit, 4 a\n"
	"filter was given and no flow matched it.\n";

const char *opts_usage(enum opts_mode mode)
{
	return mode == OPTS_LIVE ? usage_live : usage_read;
}

static int is_stdout(const char *path)
{
	return !path || !strcmp(path, "-");
}

/*
 * Where snapshots go (see README, "Snapshots for log shippers"): their
 * own file, or standard output when the report goes elsewhere; never
 * mixed into the report's stream or the packets of -w -. 1 with the
 * reason in err when the options conflict.
 */
static int snapshot_conflict(const struct ft_opts *o, char *err)
{
	if (o->snapshot_file && !o->snapshot_ns) {
		snprintf(err, FT_OPTS_ERRBUF,
			 "--snapshot-file needs --snapshot-every DUR");
		return 1;
	}
	if (!o->snapshot_ns)
		return 0;
	if (is_stdout(o->snapshot_file) && is_stdout(o->output)) {
		snprintf(err, FT_OPTS_ERRBUF,
			 "--snapshot-every: the report goes to standard "
			 "output; give the snapshots a file with "
			 "--snapshot-file FILE, or the report one with -o FILE");
		return 1;
	}
	if (is_stdout(o->snapshot_file) && o->write_file &&
	    !strcmp(o->write_file, "-")) {
		snprintf(err, FT_OPTS_ERRBUF,
			 "--snapshot-every: -w - writes packets to standard "
			 "output; give the snapshots a file with "
			 "--snapshot-file FILE");
		return 1;
	}
	if (o->snapshot_file && o->output &&
	    !strcmp(o->snapshot_file, o->output)) {
		snprintf(err, FT_OPTS_ERRBUF,
			 "--snapshot-file %s is also the report's file (-o): "
			 "give each its own",
			 o->snapshot_file);
		return 1;
	}
	return 0;
}

int opts_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{"ns", 1},     {"us", 1e3},   {"ms", 1e6},
		{"s", 1e9},    {"", 1e9},     {"m", 60e9},
		{"min", 60e9}, {"h", 3600e9}, {"d", 86400e9},
	};
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		v *= units[i].mult;
		if (v > 1e19)
			return -EINVAL;
		*ns = (uint64_t)(v + 0.5);
		return 0;
	}
	return -EINVAL;
}

int opts_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	double v;
	double mult = 1 << 20;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	if (!strcmp(end, "k") || !strcmp(end, "K"))
		mult = 1 << 10;
	else if (!strcmp(end, "G"))
		mult = 1 << 30;
	else if (*end && strcmp(end, "M"))
		return -EINVAL;
	v *= mult;
	if (v > 1e15)
		return -EINVAL;
	*bytes = (uint64_t)(v + 0.5);
	return 0;
}

int opts_parse_uint(const char *s, uint64_t lo, uint64_t hi, int suffix,
		    uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (suffix && (*end == 'k' || *end == 'K')) {
		v *= 1024;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		v *= 1024 * 1024;
		end++;
	}
	if (*end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return opts_parse_uint(s, 0, max, 0, out);
}

void opts_pipeline_config(const struct ft_opts *o, struct pipeline_config *c)
{
	memset(c, 0, sizeof(*c));
	c->format = o->format;
	c->linger_ns = o->linger_ns;
	c->grace_ns = o->grace_ns;
	c->idle_ns = o->idle_ns;
	c->max_flows = o->max_flows;
	c->top = o->top;
	c->top_services = o->top_services;
	c->top_clients = o->top_clients;
	c->list_open = o->list_open;
	c->fail_on = o->fail_on;
	c->time_wait_ns = o->time_wait_ns;
	c->port_lo = o->port_lo;
	c->port_hi = o->port_hi;
	c->tw_share = o->tw_share;
	c->evidence_verdicts = o->evidence_verdicts;
	c->evidence_buffer = o->evidence_buffer;
	c->filter = o->filter;
	c->local_time = o->local_time;
}

int opts_parse_verdicts(const char *s, unsigned *mask)
{
	return vd_parse_list(s, mask, NULL, 0);
}

static int join_words(char **w, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		int k = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 w[i]);
		if (k < 0 || (size_t)k >= len - used)
			return -EINVAL;
		used += (size_t)k;
	}
	return 0;
}

#define BAD(...)                                                               \
	do {                                                                   \
		snprintf(err, FT_OPTS_ERRBUF, __VA_ARGS__);                    \
		return -EINVAL;                                                \
	} while (0)

int opts_parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char a[16];
	const char *dash = strchr(s, '-');
	uint64_t l, h;

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (parse_u64(a, 65535, &l) || parse_u64(dash + 1, 65535, &h) || !l ||
	    l > h)
		return -EINVAL;
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return 0;
}

int opts_parse_time(const char *s, uint64_t *wall_ns)
{
	struct tm tm;
	const char *p;
	uint64_t frac = 0, scale = 1000000000ULL;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || (*p != 'T' && *p != ' '))
		return -EINVAL;
	p = strptime(p + 1, "%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return -EINVAL;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*wall_ns = (uint64_t)t * 1000000000ULL + frac;
	return 0;
}

int opts_parse_format(const char *s, enum rpt_format *f)
{
	if (!strcmp(s, "text"))
		*f = RPT_TEXT;
	else if (!strcmp(s, "json"))
		*f = RPT_JSON;
	else if (!strcmp(s, "csv"))
		*f = RPT_CSV;
	else
		return -EINVAL;
	return 0;
}

int opts_parse(int argc, char **argv, enum opts_mode mode, struct ft_opts *o,
	       char *err)
{
	int tw_set = 0, range_set = 0, windows = 0;
	struct option long_opts[NDEFS + 1];
	char shortopts[2 * NDEFS + 2], where[64];
	const struct opt_def *d;
	int top_set = 0, svc_set = 0, cli_set = 0;
	int dashdash = argc, c;
	uint64_t v;

	getopt_tables(long_opts, shortopts);
	*o = ft_opts_defaults;
	err[0] = '\0';
	/* Words after "--" are a filter expression, never options. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dashdash = i;
			break;
		}
	optind = 0; /* full re-initialisation (glibc), for repeated calls */
	opterr = 0;
	while ((c = getopt_long(dashdash, argv, shortopts, long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case O_FORMAT:
			if (opts_parse_format(optarg, &o->format))
				BAD("--format: \"%s\" is not text, json or csv",
				    optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'f':
			o->filter = optarg;
			break;
		case O_LINGER:
		case O_IDLE:
		case O_GRACE:
		case O_DURATION:
		case O_INTERVAL: {
			uint64_t *dst = c == O_LINGER	  ? &o->linger_ns
					: c == O_IDLE	  ? &o->idle_ns
					: c == O_GRACE	  ? &o->grace_ns
					: c == O_DURATION ? &o->duration_ns
							  : &o->interval_ns;
			if (opts_parse_duration(optarg, dst))
				BAD("%s: \"%s\" is not a duration (e.g. 500ms, "
				    "5s, 2m)",
				    argv[optind - 1], optarg);
			if ((c == O_IDLE || c == O_INTERVAL) && !*dst)
				BAD("%s must be above zero", argv[optind - 1]);
			break;
		}
		case O_THREADS:
			if (parse_u64(optarg, 1024, &v) || !v)
				BAD("--threads: \"%s\" is not a count from 1 "
				    "to 1024",
				    optarg);
			o->threads = (unsigned)v;
			break;
		case O_MAX_FLOWS:
			if (parse_u64(optarg, UINT64_MAX / 2, &o->max_flows))
				BAD("--max-flows: \"%s\" is not a count",
				    optarg);
			break;
		case O_TOP:
			if (parse_u64(optarg, 100000, &v))
				BAD("--top: \"%s\" is not a count up to 100000",
				    optarg);
			o->top = (unsigned)v;
			top_set = 1;
			break;
		case O_TOP_SERVICES:
		case O_TOP_CLIENTS:
			v = 0; /* "all": no bound */
			if (strcmp(optarg, "all") &&
			    (parse_u64(optarg, 100000, &v) || !v))
				BAD("%s: \"%s\" is not 1..100000 or all",
				    c == O_TOP_SERVICES ? "--top-services"
							: "--top-clients",
				    optarg);
			if (c == O_TOP_SERVICES) {
				o->top_services = (unsigned)v;
				svc_set = 1;
			} else {
				o->top_clients = (unsigned)v;
				cli_set = 1;
			}
			break;
		case O_FAIL_ON:
			if (opts_parse_verdicts(optarg, &o->fail_on))
				BAD("--fail-on: \"%s\" is not a list of "
				    "verdicts",
				    optarg);
			break;
		case O_ALL:
			o->list_open = 1;
			break;
		case O_PROGRESS:
			o->progress = 1;
			break;
		case O_NO_PROGRESS:
			o->progress = 0;
			break;
		case 'h':
			o->help = 1;
			break;
		case O_VERSION:
			o->version = 1;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'w':
			o->write_file = optarg;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, UINT64_MAX, &o->count) ||
			    !o->count)
				BAD("--count: \"%s\" is not a positive count",
				    optarg);
			break;
		case 's':
			/* 0 is tcpdump's "whole packets": its default 262144 */
			if (parse_u64(optarg, 262144, &v) || (v && v < 64))
				BAD("-s/--snaplen: \"%s\" is not 0 or "
				    "64..262144",
				    optarg);
			o->snaplen = v ? (unsigned)v : 262144;
			break;
		case O_BUFFER:
			if (parse_u64(optarg, 4096, &v) || !v)
				BAD("--buffer-size: \"%s\" is not 1..4096 MB",
				    optarg);
			o->buffer_kib = (unsigned)v * 1024;
			break;
		case 'B':
			/* tcpdump's -B: KiB */
			if (parse_u64(optarg, 4096 * 1024, &v) || v < 32)
				BAD("-B: \"%s\" is not 32..4194304 KiB",
				    optarg);
			o->buffer_kib = (unsigned)v;
			break;
		case 'r':
			if (o->nrfiles == FT_OPTS_RFILES)
				BAD("-r given more than %d times: give the "
				    "other files as arguments",
				    FT_OPTS_RFILES);
			o->rfiles[o->nrfiles++] = optarg;
			break;
		case 'n':
			break; /* fintrace never resolves names */
		case O_LOCAL_TIME:
			o->local_time = 1;
			break;
		case O_PROMISC:
			o->promisc = 1;
			break;
		case O_FORCE:
			o->force = 1;
			break;
		case O_ALERT_EACH:
			o->alert_each = 1;
			break;
		case O_TIME_WAIT:
			if (opts_parse_duration(optarg, &o->time_wait_ns) ||
			    !o->time_wait_ns)
				BAD("--time-wait: \"%s\" is not a duration "
				    "above "
				    "zero",
				    optarg);
			tw_set = 1;
			break;
		case O_PEER_OS:
			if (!strcmp(optarg, "windows"))
				windows = 1;
			else if (!strcmp(optarg, "linux"))
				windows = 0;
			else
				BAD("--peer-os: \"%s\" is not linux or windows",
				    optarg);
			break;
		case O_PORT_RANGE:
			if (opts_parse_range(optarg, &o->port_lo, &o->port_hi))
				BAD("--port-range: \"%s\" is not LOW-HIGH "
				    "within 1-65535",
				    optarg);
			range_set = 1;
			break;
		case O_TW_SHARE:
			if (parse_u64(optarg, 100, &v) || !v)
				BAD("--time-wait-share: \"%s\" is not 1..100",
				    optarg);
			o->tw_share = (unsigned)v;
			break;
		case O_EVIDENCE:
			o->evidence_file = optarg;
			break;
		case O_EVIDENCE_VERDICTS:
			if (opts_parse_verdicts(optarg, &o->evidence_verdicts))
				BAD("--evidence-verdicts: \"%s\" is not a list "
				    "of verdicts",
				    optarg);
			break;
		case O_EVIDENCE_BUFFER:
			if (opts_parse_size(optarg, &o->evidence_buffer) ||
			    o->evidence_buffer < 1024)
				BAD("--evidence-buffer: \"%s\" is not a size "
				    "of "
				    "at least 1k (e.g. 64M)",
				    optarg);
			break;
		case O_REPORT:
			o->report_file = optarg;
			break;
		case O_CAPTURE_END:
			o->capture_end = optarg[0] == '+' ? 2 : 1;
			if (o->capture_end == 2
				    ? opts_parse_duration(optarg + 1,
							  &o->capture_end_ns)
				    : opts_parse_time(optarg,
						      &o->capture_end_ns))
				BAD("--capture-end: \"%s\" is not a time "
				    "(2024-05-01T12:00:00Z) or +DURATION",
				    optarg);
			break;
		case O_METRICS:
			/* checked when bound, before any capture (exit 2) */
			o->metrics = optarg;
			break;
		case O_SNAPSHOT_EVERY:
			if (opts_parse_duration(optarg, &o->snapshot_ns))
				BAD("--snapshot-every: \"%s\" is not a duration "
				    "(e.g. 30s, 5m)",
				    optarg);
			if (o->snapshot_ns < SNAPSHOT_MIN_NS)
				BAD("--snapshot-every must be at least 100ms");
			break;
		case O_SNAPSHOT_FILE:
			o->snapshot_file = optarg;
			break;
		case O_PORT:
			if (opts_parse_uint(optarg, 1, 65535, 0, &v))
				BAD("--port: \"%s\" is not a port (1-65535)",
				    optarg);
			o->port = (uint16_t)v;
			break;
		case O_PID:
			if (opts_parse_uint(optarg, 1, UINT32_MAX, 0, &v))
				BAD("--pid: \"%s\" is not a process id",
				    optarg);
			o->pid = (uint32_t)v;
			break;
		case O_NETNS:
			if (opts_parse_uint(optarg, 1, UINT32_MAX, 0, &v))
				BAD("--netns: \"%s\" is not a namespace inode "
				    "(see: stat -L -c %%i /proc/PID/ns/net)",
				    optarg);
			o->netns = (uint32_t)v;
			break;
		case '4':
		case '6':
			if (o->family && o->family != (c == '4' ? 4 : 6))
				BAD("-4 and -6 exclude each other");
			o->family = c == '4' ? 4 : 6;
			break;
		case O_RINGBUF:
			if (opts_parse_uint(optarg, 4096, 1u << 30, 1, &v))
				BAD("--ringbuf-size: \"%s\" is not a size "
				    "between 4k and 1024m",
				    optarg);
			o->ringbuf = (uint32_t)v;
			break;
		case O_NO_SEED:
			o->no_seed = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case ':':
			BAD("option %s needs a value", argv[optind - 1]);
		case '?':
		default:
			if (optopt && optopt < 0x100)
				BAD("unknown or incomplete option -%c", optopt);
			BAD("unknown or incomplete option %s",
			    argv[optind - 1]);
		}
		d = opt_def_of(c);
		if (d && !(d->modes & (1u << mode))) {
			modes_of(d, where, sizeof(where));
			if (d->name)
				BAD("--%s is an option of %s", d->name, where);
			BAD("-%c is an option of %s", d->id, where);
		}
	}
	if (o->help || o->version)
		return 0;
	/* --top bounds every list; the specific options win, in any order.
	 * --top 0 only empties the worst flows: a report without a single
	 * service row says nothing. */
	if (top_set && o->top && !svc_set)
		o->top_services = o->top;
	if (top_set && o->top && !cli_set)
		o->top_clients = o->top;
	/* Windows: TcpTimedWaitDelay 240 s, dynamic ports 49152-65535. */
	if (windows && !tw_set)
		o->time_wait_ns = 240 * NS;
	if (windows && !range_set) {
		o->port_lo = 49152;
		o->port_hi = 65535;
	}
	o->args = argv + optind;
	o->nargs = dashdash - optind;
	if (snapshot_conflict(o, err))
		return -EINVAL;
	if (mode == OPTS_KERNEL) {
		/* clients' ports: each namespace's own range unless given */
		if (!range_set)
			o->port_lo = o->port_hi = 0;
		if (!o->linger_ns)
			BAD("--linger must be above zero");
		if (o->interval_ns < 10000000ull)
			BAD("--interval must be at least 10ms");
		if (optind < argc)
			BAD("unexpected argument \"%s\"", argv[optind]);
		o->nargs = 0;
		return 0;
	}
	if (mode == OPTS_COMPARE) {
		if (o->format == RPT_CSV)
			BAD("--format: compare writes text or json");
		if (dashdash < argc)
			BAD("no filter after --: use -f EXPR");
		if (o->nargs != 2)
			BAD("give two reports or captures: BEFORE AFTER");
		return 0;
	}
	if (mode == OPTS_LIVE) {
		/* All positional words form the filter expression. */
		if (!o->iface)
			BAD("-i IFACE is required");
		if (dashdash < argc) {
			if (o->nargs)
				BAD("unexpected argument \"%s\"", o->args[0]);
			o->args = argv + dashdash + 1;
			o->nargs = argc - dashdash - 1;
		}
		if (o->nargs && o->filter)
			BAD("a filter given both with -f and as arguments");
		if (o->nargs) {
			if (join_words(o->args, o->nargs, o->filter_buf,
				       sizeof(o->filter_buf)))
				BAD("filter expression too long");
			o->filter = o->filter_buf;
		}
		o->nargs = 0;
		return 0;
	}
	if (dashdash < argc - 1) {
		if (o->filter)
			BAD("a filter given both with -f and after --");
		if (join_words(argv + dashdash + 1, argc - dashdash - 1,
			       o->filter_buf, sizeof(o->filter_buf)))
			BAD("filter expression too long");
		o->filter = o->filter_buf;
		o->filter_after_dashdash = 1;
	}
	if (!o->nargs && !o->nrfiles)
		BAD("no capture file given (use - for standard input)");
	return 0;
}

/* 0 when path is standard input or a file we may read (not a directory),
 * else the errno saying why not. */
static int readable_input(const char *path)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return 0;
	if (stat(path, &st))
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (access(path, R_OK))
		return errno;
	return 0;
}

int opts_read_inputs(struct ft_opts *o, char ***files, int *nfiles,
		     const char **first_word, int *why, char *err)
{
	int n = 0, k = 0, e = 0;
	char **f;

	*files = NULL;
	*nfiles = 0;
	*first_word = NULL;
	*why = 0;
	err[0] = '\0';
	/* Without -r, the first argument is an input whatever it is: its
	 * open says what is wrong with it. */
	if (!o->filter_after_dashdash)
		for (k = o->nrfiles ? 0 : 1; k < o->nargs; k++)
			if ((e = readable_input(o->args[k])))
				break;
	if (o->filter_after_dashdash || k > o->nargs)
		k = o->nargs;
	if (k < o->nargs) {
		if (o->filter)
			BAD("a filter given both with -f and after the files "
			    "(%s: %s)",
			    o->args[k], strerror(e));
		if (join_words(o->args + k, o->nargs - k, o->filter_buf,
			       sizeof(o->filter_buf)))
			BAD("filter expression too long");
		o->filter = o->filter_buf;
		*first_word = o->args[k];
		*why = e;
	}
	f = calloc((size_t)(o->nrfiles + k) + 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (int i = 0; i < o->nrfiles; i++)
		f[n++] = (char *)o->rfiles[i];
	for (int i = 0; i < k; i++)
		f[n++] = o->args[i];
	*files = f;
	*nfiles = n;
	return 0;
}
