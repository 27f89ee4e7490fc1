// SPDX-License-Identifier: MIT
/*
 * `fintrace kernel`: traces this host's TCP state changes with eBPF and
 * reports, per process and per service, the sockets left in CLOSE_WAIT
 * (the application never called close()) and how long each lingered,
 * and, from sock_diag samples, which client hosts hold so many sockets in
 * TIME_WAIT toward one service that they are about to run out of ports.
 * Options, the status line, alerts and the final report live here; the
 * tracing loop is bpf/monitor.h and the rules are analysis/ksock.h and
 * analysis/timewait.h.
 */
#include <errno.h>
#include <stdio.h>

#include "cli/commands.h"

#ifndef HAVE_FT_BPF

int cmd_kernel(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr,
		"fintrace kernel: this build has no eBPF support (clang, "
		"bpftool or libbpf were missing when it was built); use "
		"'fintrace live -i IFACE' instead\n");
	return FT_EXIT_INPUT;
}

#else /* HAVE_FT_BPF */

#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/ksock.h"
#include "analysis/report.h"
#include "analysis/timewait.h"
#include "bpf/monitor.h"
#include "cli/opts.h"
#include "cli/output.h"

#define NS ((uint64_t)1000000000)

struct kopts {
	uint64_t linger_ns;
	uint64_t duration_ns;  /* 0: until SIGINT/SIGTERM */
	uint64_t interval_ns;  /* status line period */
	uint32_t pid;
	uint32_t netns;
	uint16_t port;
	uint8_t family;
	enum rpt_format format;
	const char *output;
	unsigned fail_on;      /* bit per enum vd_verdict */
	unsigned top;
	int all;
	int progress;          /* -1: when stderr is a terminal */
	uint32_t ringbuf;
	int no_seed;
	int verbose;
	int help;
	uint16_t port_lo;      /* clients' ports; 0-0: each namespace's */
	uint16_t port_hi;
	unsigned tw_share;     /* TIME_WAIT verdict and alert, % of ports */
};

static const struct kopts kopts_defaults = {
	.linger_ns = 5 * NS,
	.interval_ns = 5 * NS,
	.format = RPT_TEXT,
	.top = 10,
	.progress = -1,
	.tw_share = 50,
};

static const char usage[] =
	"usage: fintrace kernel [options]\n"
	"Traces this host's TCP state changes with eBPF (needs root and a\n"
	"kernel with BTF) and names the process holding each socket that\n"
	"lingers in CLOSE_WAIT. Ctrl-C ends with the full report.\n"
	"\n"
	"      --linger DUR       alert and late close above DUR (5s)\n"
	"      --duration DUR     stop after DUR\n"
	"      --interval DUR     status line on stderr every DUR (5s)\n"
	"      --port P           only sockets with local or remote port P\n"
	"      --pid N            only sockets process N connected, accepted\n"
	"                         or closed\n"
	"      --netns INO        only the network namespace with inode INO\n"
	"  -4, -6                 only IPv4 / IPv6\n"
	"      --format FMT       text (default), json (JSON Lines) or csv\n"
	"  -o, --output FILE      write the report to FILE\n"
	"      --top N            worst sockets listed in text (10)\n"
	"      --all              list clean and open sockets too\n"
	"      --fail-on LIST     exit 3 when a socket has one of these\n"
	"                         verdicts (comma-separated)\n"
	"      --ringbuf-size B   kernel ring buffer bytes (256k)\n"
	"      --no-seed          do not look for sockets already lingering\n"
	"      --port-range LO-HI clients' ephemeral ports, for TIME_WAIT\n"
	"                         pressure (default: each network\n"
	"                         namespace's net.ipv4.ip_local_port_range)\n"
	"      --time-wait-share PCT\n"
	"                         TIME_WAIT alert and verdict when a client\n"
	"                         holds this share of its ports toward one\n"
	"                         service (50)\n"
	"      --progress, --no-progress\n"
	"                         status line (default on: redrawn on a\n"
	"                         terminal, plain lines otherwise)\n"
	"  -v, --verbose          libbpf messages on stderr\n"
	"  -h, --help             this text\n"
	"\n"
	"Durations: 500ms, 5s, 2m, 1h. Exit: 0 traced, 1 usage, 2 BPF\n"
	"unavailable or failed, 3 --fail-on hit.\n";

enum {
	K_LINGER = 0x100,
	K_DURATION,
	K_INTERVAL,
	K_PORT,
	K_PID,
	K_NETNS,
	K_FORMAT,
	K_TOP,
	K_ALL,
	K_FAIL_ON,
	K_RINGBUF,
	K_NO_SEED,
	K_PROGRESS,
	K_NO_PROGRESS,
	K_PORT_RANGE,
	K_TW_SHARE,
};

static const struct option kopts_long[] = {
	{"linger", required_argument, NULL, K_LINGER},
	{"duration", required_argument, NULL, K_DURATION},
	{"interval", required_argument, NULL, K_INTERVAL},
	{"port", required_argument, NULL, K_PORT},
	{"pid", required_argument, NULL, K_PID},
	{"netns", required_argument, NULL, K_NETNS},
	{"format", required_argument, NULL, K_FORMAT},
	{"output", required_argument, NULL, 'o'},
	{"top", required_argument, NULL, K_TOP},
	{"all", no_argument, NULL, K_ALL},
	{"fail-on", required_argument, NULL, K_FAIL_ON},
	{"ringbuf-size", required_argument, NULL, K_RINGBUF},
	{"no-seed", no_argument, NULL, K_NO_SEED},
	{"progress", no_argument, NULL, K_PROGRESS},
	{"no-progress", no_argument, NULL, K_NO_PROGRESS},
	{"port-range", required_argument, NULL, K_PORT_RANGE},
	{"time-wait-share", required_argument, NULL, K_TW_SHARE},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Unsigned integer in [lo, hi] with an optional k/m suffix (x1024). */
static int parse_uint(const char *s, uint64_t lo, uint64_t hi, int suffix,
		      uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
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

#define BAD(...)                                                  \
	do {                                                      \
		snprintf(err, FT_ERRBUF_SIZE, __VA_ARGS__);       \
		return -EINVAL;                                   \
	} while (0)

/*
 * Parse argv (argv[0] = "kernel") into *o from the defaults. Returns 0 or
 * -EINVAL with the message in err. Never exits, never prints.
 */
static int kopts_parse(int argc, char **argv, struct kopts *o, char *err)
{
	uint64_t v;
	int c;

	*o = kopts_defaults;
	optind = 0; /* full reset: sub-commands parse their own argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":46o:vh", kopts_long, NULL)) !=
	       -1) {
		switch (c) {
		case K_LINGER:
			if (opts_parse_duration(optarg, &o->linger_ns) ||
			    !o->linger_ns)
				BAD("--linger: \"%s\" is not a duration", optarg);
			break;
		case K_DURATION:
			if (opts_parse_duration(optarg, &o->duration_ns) ||
			    !o->duration_ns)
				BAD("--duration: \"%s\" is not a duration",
				    optarg);
			break;
		case K_INTERVAL:
			if (opts_parse_duration(optarg, &o->interval_ns) ||
			    o->interval_ns < 10000000ull)
				BAD("--interval: \"%s\" is not a duration of "
				    "at least 10ms", optarg);
			break;
		case K_PORT:
			if (parse_uint(optarg, 1, 65535, 0, &v))
				BAD("--port: \"%s\" is not a port (1-65535)",
				    optarg);
			o->port = (uint16_t)v;
			break;
		case K_PID:
			if (parse_uint(optarg, 1, UINT32_MAX, 0, &v))
				BAD("--pid: \"%s\" is not a process id", optarg);
			o->pid = (uint32_t)v;
			break;
		case K_NETNS:
			if (parse_uint(optarg, 1, UINT32_MAX, 0, &v))
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
		case K_FORMAT:
			if (opts_parse_format(optarg, &o->format))
				BAD("--format: \"%s\" is not text, json or csv",
				    optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case K_TOP:
			if (parse_uint(optarg, 0, 1000000, 0, &v))
				BAD("--top: \"%s\" is not a count", optarg);
			o->top = (unsigned)v;
			break;
		case K_ALL:
			o->all = 1;
			break;
		case K_FAIL_ON:
			if (opts_parse_verdicts(optarg, &o->fail_on))
				BAD("--fail-on: \"%s\" is not a list of "
				    "verdicts (e.g. never-closed,late-close)",
				    optarg);
			break;
		case K_RINGBUF:
			if (parse_uint(optarg, 4096, 1u << 30, 1, &v))
				BAD("--ringbuf-size: \"%s\" is not a size "
				    "between 4k and 1024m", optarg);
			o->ringbuf = (uint32_t)v;
			break;
		case K_NO_SEED:
			o->no_seed = 1;
			break;
		case K_PROGRESS:
			o->progress = 1;
			break;
		case K_NO_PROGRESS:
			o->progress = 0;
			break;
		case K_PORT_RANGE:
			if (opts_parse_range(optarg, &o->port_lo, &o->port_hi))
				BAD("--port-range: \"%s\" is not LOW-HIGH "
				    "within 1-65535",
				    optarg);
			break;
		case K_TW_SHARE:
			if (parse_uint(optarg, 1, 100, 0, &v))
				BAD("--time-wait-share: \"%s\" is not 1..100",
				    optarg);
			o->tw_share = (unsigned)v;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = 1;
			break;
		case ':':
			BAD("option %s needs a value", argv[optind - 1]);
		default:
			BAD("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		BAD("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

/* ---- output ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct kctx {
	const struct kopts *o;
	FILE *out;
	uint64_t wall_off;      /* wall_ns = mono_ns + wall_off */
	uint64_t start_ns;
	struct mon *m;          /* borrowed, NULL until started */
	int tty_status;         /* status line redrawn in place */
	int status_shown;
};

static char *secs(char *buf, size_t n, uint64_t ns)
{
	snprintf(buf, n, "%" PRIu64 ".%09" PRIu64, ns / NS, ns % NS);
	return buf;
}

static char *iso(const struct kctx *k, char *buf, size_t n, uint64_t mono)
{
	return rpt_fmt_iso(buf, n, mono + k->wall_off);
}

static char *dur(char *buf, size_t n, uint64_t ns)
{
	return rpt_fmt_duration(buf, n, ns);
}

/* A comm safe for CSV and text: no commas, quotes or control bytes. */
static const char *clean_comm(char *buf, const char *comm)
{
	size_t i;

	for (i = 0; i < KS_COMM_LEN - 1 && comm[i]; i++)
		buf[i] = (comm[i] == ',' || comm[i] == '"' ||
			  (unsigned char)comm[i] < 0x20)
				 ? '_'
				 : comm[i];
	buf[i] = '\0';
	return buf;
}

static void endpoints(const struct ks_sock *s, char *l, char *r, size_t n)
{
	rpt_fmt_endpoint(l, n, s->laddr, s->family, s->lport);
	rpt_fmt_endpoint(r, n, s->raddr, s->family, s->rport);
}

static void clear_status(struct kctx *k)
{
	if (k->tty_status && k->status_shown) {
		fputs("\r\033[K", stderr);
		k->status_shown = 0;
	}
}

/* "pid 123 (nginx)" or "owner unknown" */
static char *owner_text(char *buf, size_t n, const struct ks_sock *s)
{
	char c[KS_COMM_LEN];

	if (s->owner_pid)
		snprintf(buf, n, "pid %u (%s)", s->owner_pid,
			 clean_comm(c, s->owner_comm));
	else
		snprintf(buf, n, "owner unknown");
	return buf;
}

static void on_alert(void *ctx, enum ks_alert what, const struct ks_sock *s,
		     uint64_t now)
{
	struct kctx *k = ctx;
	char l[64], r[64], b[48], t[48], own[64], c[KS_COMM_LEN];
	uint64_t cw = ks_close_wait(s, now);
	uint64_t held = k->m && s->owner_pid
				? ks_process_close_wait(mon_table(k->m),
							s->owner_pid)
				: 0;
	/* JSON: a line of the report; text and CSV: stderr, as in live */
	FILE *f = k->o->format == RPT_JSON ? k->out : stderr;

	endpoints(s, l, r, sizeof(l));
	clear_status(k);
	if (k->o->format == RPT_JSON) {
		fprintf(f, "{\"type\":\"alert\",\"event\":\"%s\","
			   "\"time\":\"%s\",\"pid\":",
			what == KS_ALERT_LINGER ? "linger" : "closed",
			iso(k, t, sizeof(t), now));
		if (s->owner_pid)
			fprintf(f, "%u,\"comm\":", s->owner_pid);
		else
			fputs("null,\"comm\":", f);
		if (s->owner_pid)
			rpt_json_string(f, s->owner_comm);
		else
			fputs("null", f);
		fprintf(f, ",\"local\":\"%s\",\"remote\":\"%s\",\"netns\":%u,"
			   "\"cookie\":%" PRIu64 ",\"close_wait\":%s,"
			   "\"close_wait_at_least\":%s,\"pre_existing\":%s,"
			   "\"linger\":%s,\"state\":\"%s\","
			   "\"process_close_wait\":%" PRIu64 "}\n",
			l, r, s->netns, s->cookie, secs(b, sizeof(b), cw),
			s->cw_at_least ? "true" : "false",
			s->pre_existing ? "true" : "false",
			secs(t, sizeof(t), k->o->linger_ns),
			ks_state_name(s->state), held);
	} else if (what == KS_ALERT_LINGER) {
		fprintf(f, "ALERT %s %s %s <- %s: in CLOSE_WAIT for %s%s%s",
			iso(k, t, sizeof(t), now), owner_text(own, sizeof(own), s),
			l, r, s->cw_at_least ? "at least " : "",
			dur(b, sizeof(b), cw),
			s->pre_existing ? " (already lingering when tracing "
					  "began)"
					: "");
		if (held)
			fprintf(f, "; the process holds %" PRIu64
				   " socket%s in CLOSE_WAIT",
				held, held == 1 ? "" : "s");
		fputc('\n', f);
	} else {
		fprintf(f, "CLOSED %s %s %s <- %s: left CLOSE_WAIT after %s%s",
			iso(k, t, sizeof(t), now), owner_text(own, sizeof(own), s),
			l, r, s->cw_at_least ? "at least " : "",
			dur(b, sizeof(b), cw));
		if (s->closer_pid && s->closer_pid != s->owner_pid)
			fprintf(f, ", closed by pid %u (%s)", s->closer_pid,
				clean_comm(c, s->closer_comm));
		fputc('\n', f);
	}
	fflush(f);
}

/*
 * A client host reached --time-wait-share of its ports toward one service
 * (once per pair): JSON, an alert line in the report; else one line on
 * stderr.
 */
static void on_tw_alert(void *ctx, const struct tw_alert *a)
{
	struct kctx *k = ctx;
	char c[64], svc[80], t[48];
	int json = k->o->format == RPT_JSON;
	FILE *f = json ? k->out : stderr;

	if (!inet_ntop(a->family == SEG_IPV6 ? AF_INET6 : AF_INET, a->client,
		       c, sizeof(c)))
		snprintf(c, sizeof(c), "?");
	rpt_fmt_endpoint(svc, sizeof(svc), a->service, a->family, a->port);
	rpt_fmt_iso(t, sizeof(t), a->at_ns);
	clear_status(k);
	if (json)
		fprintf(f,
			"{\"type\":\"alert\",\"event\":\"time-wait-pressure\","
			"\"time\":\"%s\",\"client\":\"%s\",\"service\":\"%s\","
			"\"netns\":%u,\"count\":%" PRIu64 ",\"share\":%.4f,"
			"\"port_range\":[%u,%u],\"time_wait_share\":%.2f}\n",
			t, c, svc, a->netns, a->count, a->share, a->port_lo,
			a->port_hi, k->o->tw_share / 100.0);
	else
		fprintf(f,
			"ALERT %s client %s holds %" PRIu64 " sockets in "
			"TIME_WAIT toward %s: %.0f%% of its ephemeral ports "
			"(%u-%u, netns %u); it closes first, and its connects "
			"fail with EADDRNOTAVAIL when none is left\n",
			t, c, a->count, svc, 100.0 * a->share, a->port_lo,
			a->port_hi, a->netns);
	fflush(f);
}

static void status_line(struct kctx *k, struct mon *m, int last)
{
	struct ks_totals tot;
	char b[48];
	uint64_t now = mon_now_ns();

	ks_totals(mon_table(m), now, &tot);
	if (k->tty_status)
		fputs("\r\033[K", stderr);
	fprintf(stderr,
		"fintrace kernel: %" PRIu64 " sockets tracked, %" PRIu64
		" in CLOSE_WAIT (oldest %s), %" PRIu64 " in TIME_WAIT, %" PRIu64
		" events, %" PRIu64 " lost%s",
		tot.tracked, tot.in_close_wait,
		dur(b, sizeof(b), tot.oldest_cw_ns), mon_time_wait(m, NULL),
		mon_received(m), mon_lost(m),
		k->tty_status && !last ? "" : "\n");
	k->status_shown = k->tty_status && !last;
	fflush(stderr);
}

/* ---- final report ---- */

static const char *const csv_header =
	"cookie,netns,verdict,local,remote,role,roles,state,passive,pid,comm,"
	"owner_from,closer_pid,closer_comm,pre_existing,close_wait,"
	"close_wait_at_least,fin_wait1,fin_wait2,last_ack,closing,time_wait,"
	"reset_by,reset_phase,reset_cause,unread,signature\n";

static int cw_lingering(const struct ks_sock *s)
{
	return s->state == KS_TCP_CLOSE_WAIT && !s->closed;
}

static void put_clock(FILE *f, const struct ks_sock *s, enum ks_clock c,
		      uint64_t now, int json)
{
	char b[48];
	uint64_t v = ks_time_in(s, c, now);
	int seen = v || (c == KS_T_TIME_WAIT && s->tw_sub == KS_TCP_TIME_WAIT);

	if (json)
		fprintf(f, ",\"%s\":%s", ks_clock_name(c),
			seen ? secs(b, sizeof(b), v) : "null");
	else
		fprintf(f, ",%s", seen ? secs(b, sizeof(b), v) : "");
}

static void flow_json(FILE *f, const struct ks_sock *s, uint64_t now)
{
	char l[64], r[64], b[48];
	int c;

	endpoints(s, l, r, sizeof(l));
	fprintf(f, "{\"type\":\"flow\",\"mode\":\"kernel\",\"cookie\":%" PRIu64
		   ",\"netns\":%u,\"verdict\":\"%s\",\"local\":\"%s\","
		   "\"remote\":\"%s\",\"role\":\"%s\",\"roles\":\"%s\","
		   "\"state\":\"%s\",\"passive\":",
		s->cookie, s->netns, vd_name(s->verdict), l, r,
		ks_role_name(s->role), s->role_inferred ? "inferred" : "syn",
		ks_state_name(s->state));
	if (s->passive)
		fprintf(f, "\"%s\"", ks_side_name(s->passive));
	else
		fputs("null", f);
	fputs(",\"pid\":", f);
	if (s->owner_pid) {
		fprintf(f, "%u,\"comm\":", s->owner_pid);
		rpt_json_string(f, s->owner_comm);
		fprintf(f, ",\"owner_from\":\"%s\"", ks_src_name(s->owner_src));
	} else {
		fputs("null,\"comm\":null,\"owner_from\":null", f);
	}
	fputs(",\"closer_pid\":", f);
	if (s->closer_pid) {
		fprintf(f, "%u,\"closer_comm\":", s->closer_pid);
		rpt_json_string(f, s->closer_comm);
	} else {
		fputs("null,\"closer_comm\":null", f);
	}
	fprintf(f, ",\"ino\":%" PRIu64 ",\"pre_existing\":%s", s->ino,
		s->pre_existing ? "true" : "false");
	if (s->peer_cookie)
		fprintf(f, ",\"peer\":%" PRIu64, s->peer_cookie);
	else
		fputs(",\"peer\":null", f);
	if (s->cw_start_ns)
		fprintf(f, ",\"close_wait\":%s", secs(b, sizeof(b),
						      ks_close_wait(s, now)));
	else
		fputs(",\"close_wait\":null", f);
	fprintf(f, ",\"close_wait_at_least\":%s,\"in_close_wait_at_end\":%s",
		s->cw_at_least && s->cw_start_ns ? "true" : "false",
		cw_lingering(s) ? "true" : "false");
	for (c = KS_T_FIN_WAIT1; c < KS_T__COUNT; c++)
		put_clock(f, s, (enum ks_clock)c, now, 1);
	fprintf(f, ",\"time_wait_sampled\":%s", s->tw_seen ? "true" : "false");
	if (s->rst_by)
		fprintf(f, ",\"reset_by\":\"%s\",\"reset_phase\":\"%s\","
			   "\"reset_cause\":\"%s\"",
			ks_side_name(s->rst_by), ks_phase_name(s->rst_phase),
			ks_rst_name(s->rst_cause));
	else
		fputs(",\"reset_by\":null,\"reset_phase\":null,"
		      "\"reset_cause\":null", f);
	fprintf(f, ",\"unread\":%u,\"age\":%s,\"signature\":", s->unread,
		secs(b, sizeof(b),
		     (s->closed ? s->closed_ns : now) - s->first_ns));
	if (s->signature)
		rpt_json_string(f, s->signature);
	else
		fputs("null", f);
	fputs("}\n", f);
}

static void flow_csv(FILE *f, const struct ks_sock *s, uint64_t now)
{
	char l[64], r[64], b[48], c1[KS_COMM_LEN], c2[KS_COMM_LEN];
	int c;

	endpoints(s, l, r, sizeof(l));
	fprintf(f, "%" PRIu64 ",%u,%s,%s,%s,%s,%s,%s,%s,", s->cookie,
		s->netns, vd_name(s->verdict), l, r,
		ks_role_name(s->role), s->role_inferred ? "inferred" : "syn",
		ks_state_name(s->state),
		s->passive ? ks_side_name(s->passive) : "");
	if (s->owner_pid)
		fprintf(f, "%u,%s,%s,", s->owner_pid,
			clean_comm(c1, s->owner_comm),
			ks_src_name(s->owner_src));
	else
		fputs(",,,", f);
	if (s->closer_pid)
		fprintf(f, "%u,%s,", s->closer_pid,
			clean_comm(c2, s->closer_comm));
	else
		fputs(",,", f);
	fprintf(f, "%s,", s->pre_existing ? "true" : "false");
	if (s->cw_start_ns)
		fputs(secs(b, sizeof(b), ks_close_wait(s, now)), f);
	fprintf(f, ",%s", s->cw_at_least && s->cw_start_ns ? "true"
							   : "false");
	for (c = KS_T_FIN_WAIT1; c < KS_T__COUNT; c++)
		put_clock(f, s, (enum ks_clock)c, now, 0);
	if (s->rst_by)
		fprintf(f, ",%s,%s,%s", ks_side_name(s->rst_by),
			ks_phase_name(s->rst_phase), ks_rst_name(s->rst_cause));
	else
		fputs(",,,", f);
	fprintf(f, ",%u,%s\n", s->unread, s->signature ? s->signature : "");
}

static void flow_text(FILE *f, const struct ks_sock *s, uint64_t now,
		      uint64_t start)
{
	char l[64], r[64], b[48], own[64], c[KS_COMM_LEN];

	endpoints(s, l, r, sizeof(l));
	fprintf(f, "  %-12s %s %s %s %s", vd_name(s->verdict),
		owner_text(own, sizeof(own), s), l,
		s->role == KS_ROLE_CLIENT ? "->" : "<-", r);
	if (s->cw_start_ns)
		fprintf(f, ", close-wait %s%s%s",
			s->cw_at_least ? "at least " : "",
			dur(b, sizeof(b), ks_close_wait(s, now)),
			cw_lingering(s) ? " (still in CLOSE_WAIT)" : "");
	if (s->passive == KS_SIDE_REMOTE && ks_time_in(s, KS_T_FIN_WAIT2, now))
		fprintf(f, ", waited %s%s in FIN_WAIT2 for the peer's FIN",
			s->pre_existing ? "at least " : "",
			dur(b, sizeof(b), ks_time_in(s, KS_T_FIN_WAIT2, now)));
	if (s->rst_by)
		fprintf(f, ", reset by %s %s (%s)",
			s->rst_by == KS_SIDE_LOCAL ? "this host" : "the peer",
			ks_phase_name(s->rst_phase), ks_rst_name(s->rst_cause));
	if (s->closer_pid && s->closer_pid != s->owner_pid)
		fprintf(f, ", closed by pid %u (%s)", s->closer_pid,
			clean_comm(c, s->closer_comm));
	if (s->pre_existing)
		fprintf(f, " [already lingering when tracing began, age at "
			   "least %s]",
			dur(b, sizeof(b), now - start));
	fprintf(f, " netns %u\n", s->netns);
	if (s->signature)
		fprintf(f, "               %s\n", s->signature);
}

static void agg_name(char *buf, size_t n, const struct ks_agg *a)
{
	char c[KS_COMM_LEN];

	if (a->group == KS_BY_PROCESS) {
		if (a->pid)
			snprintf(buf, n, "pid %u (%s)", a->pid,
				 clean_comm(c, a->comm));
		else
			snprintf(buf, n, "owner unknown");
	} else {
		size_t pre = a->role == KS_ROLE_CLIENT ? 3 : 0;

		/* a client-side group: the remote service they talk to */
		memcpy(buf, "to ", pre);
		rpt_fmt_endpoint(buf + pre, n - pre, a->addr, a->family,
				 a->port);
	}
}

static void verdicts_json(FILE *f, const uint64_t *v)
{
	int i, first = 1;

	fputc('{', f);
	for (i = 0; i < VD__COUNT; i++) {
		if (!v[i])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",",
			vd_name(i), v[i]);
		first = 0;
	}
	fputc('}', f);
}

static void agg_json(FILE *f, const struct ks_agg *a)
{
	char name[64], b[48];

	agg_name(name, sizeof(name), a);
	if (a->group == KS_BY_PROCESS) {
		fputs("{\"type\":\"process\",\"pid\":", f);
		if (a->pid) {
			fprintf(f, "%u,\"comm\":", a->pid);
			rpt_json_string(f, a->comm);
		} else {
			fputs("null,\"comm\":null", f);
		}
	} else {
		rpt_fmt_endpoint(name, sizeof(name), a->addr, a->family,
				 a->port);
		fprintf(f, "{\"type\":\"service\",\"mode\":\"kernel\","
			   "\"side\":\"%s\",\"service\":\"%s\",\"netns\":%u",
			a->role == KS_ROLE_CLIENT ? "client" : "server", name,
			a->netns);
	}
	fprintf(f, ",\"sockets\":%" PRIu64 ",\"verdicts\":", a->sockets);
	verdicts_json(f, a->verdicts);
	fprintf(f, ",\"never_closed\":%" PRIu64 ",\"late_close\":%" PRIu64
		   ",\"close_wait\":{\"count\":%" PRIu64,
		a->never_closed, a->late_close, a->cw_samples);
	if (a->cw_samples) {
		fprintf(f, ",\"p50\":%s", secs(b, sizeof(b), a->cw_p50));
		fprintf(f, ",\"p90\":%s", secs(b, sizeof(b), a->cw_p90));
		fprintf(f, ",\"p99\":%s", secs(b, sizeof(b), a->cw_p99));
		fprintf(f, ",\"max\":%s", secs(b, sizeof(b), a->cw_max));
	}
	fprintf(f, "},\"in_close_wait_at_end\":%" PRIu64
		   ",\"oldest_at_end\":%s,\"peak_close_wait\":%" PRIu64
		   ",\"growth_per_hour\":%.1f}\n",
		a->cw_now, secs(b, sizeof(b), a->oldest_cw_ns), a->cw_peak,
		a->growth_per_hour);
}

static void agg_text(FILE *f, const struct ks_agg *a)
{
	char name[64], b1[32], b2[32], b3[32], b4[32], b5[32];

	agg_name(name, sizeof(name), a);
	fprintf(f, "  %-28s %" PRIu64 " in CLOSE_WAIT now (peak %" PRIu64
		   ", %+.1f/h), %" PRIu64 " sockets, never-closed %" PRIu64
		   ", late-close %" PRIu64,
		name, a->cw_now, a->cw_peak, a->growth_per_hour, a->sockets,
		a->never_closed, a->late_close);
	if (a->cw_now)
		fprintf(f, ", oldest %s", dur(b5, sizeof(b5), a->oldest_cw_ns));
	if (a->cw_samples)
		fprintf(f, "\n  %-28s close-wait p50 %s p90 %s p99 %s max %s",
			"", dur(b1, sizeof(b1), a->cw_p50),
			dur(b2, sizeof(b2), a->cw_p90),
			dur(b3, sizeof(b3), a->cw_p99),
			dur(b4, sizeof(b4), a->cw_max));
	if (a->verdicts[VD_RESET])
		fprintf(f, ", resets %" PRIu64, a->verdicts[VD_RESET]);
	fputc('\n', f);
}

static void headline(char *buf, size_t n, const struct ks_agg *procs,
		     long np, unsigned tw_pressure, unsigned tw_share)
{
	char name[64], b[32];
	uint64_t late = 0;
	long i;

	for (i = 0; i < np; i++)
		late += procs[i].late_close;
	if (np > 0 && procs[0].cw_now) {
		agg_name(name, sizeof(name), &procs[0]);
		snprintf(buf, n,
			 "%s holds %" PRIu64 " socket%s in CLOSE_WAIT "
			 "(oldest %s): it has not called close() after the "
			 "peer's FIN",
			 name, procs[0].cw_now, procs[0].cw_now == 1 ? "" : "s",
			 dur(b, sizeof(b), procs[0].oldest_cw_ns));
	} else if (late) {
		snprintf(buf, n,
			 "%" PRIu64 " socket%s closed late (CLOSE_WAIT above "
			 "the linger threshold); none is lingering now",
			 late, late == 1 ? "" : "s");
	} else if (tw_pressure) {
		/* the other face of a teardown problem: the active closer */
		snprintf(buf, n,
			 "no socket lingered in CLOSE_WAIT, but %u client%s "
			 "held %u%% or more of %s ephemeral ports in "
			 "TIME_WAIT toward one service (see TIME_WAIT)",
			 tw_pressure, tw_pressure == 1 ? "" : "s", tw_share,
			 tw_pressure == 1 ? "its" : "their");
	} else {
		snprintf(buf, n, "no socket lingered in CLOSE_WAIT");
	}
}

static void summary_json(FILE *f, const struct kctx *k, struct mon *m,
			 const struct ks_totals *tot, uint64_t now,
			 const char *head)
{
	uint64_t tw_now, tw_peak;
	char b[48];

	fprintf(f, "{\"type\":\"summary\",\"version\":\"%s\","
		   "\"mode\":\"kernel\",\"start\":\"%s\"",
		FT_VERSION, iso(k, b, sizeof(b), k->start_ns));
	fprintf(f, ",\"end\":\"%s\"", iso(k, b, sizeof(b), now));
	fprintf(f, ",\"duration\":%s", secs(b, sizeof(b), now - k->start_ns));
	fprintf(f, ",\"linger\":%s", secs(b, sizeof(b), k->o->linger_ns));
	fprintf(f, ",\"sockets\":%" PRIu64 ",\"pre_existing\":%" PRIu64
		   ",\"events\":%" PRIu64 ",\"lost_events\":%" PRIu64
		   ",\"dropped_events\":%" PRIu64 ",\"ended_unseen\":%" PRIu64
		   ",\"in_close_wait_at_end\":%" PRIu64
		   ",\"peak_close_wait\":%" PRIu64 ",\"oldest_at_end\":%s",
		tot->sockets, tot->pre_existing, mon_received(m), mon_lost(m),
		tot->dropped, tot->end_lost, tot->in_close_wait, tot->peak_close_wait,
		secs(b, sizeof(b), tot->oldest_cw_ns));
	tw_now = mon_time_wait(m, &tw_peak);
	fprintf(f, ",\"time_wait_at_end\":%" PRIu64
		   ",\"peak_time_wait\":%" PRIu64
		   ",\"time_wait_pressure\":%u",
		tw_now, tw_peak, tw_pressure_count(mon_tw(m)));
	fputs(",\"verdicts\":", f);
	verdicts_json(f, tot->verdicts);
	fputs(",\"reduced\":", f);
	if (mon_reduced(m)[0])
		rpt_json_string(f, mon_reduced(m));
	else
		fputs("null", f);
	fputs(",\"headline\":", f);
	rpt_json_string(f, head);
	fputs("}\n", f);
}

static void summary_text(FILE *f, const struct kctx *k, struct mon *m,
			 const struct ks_totals *tot, uint64_t now,
			 const char *head)
{
	uint64_t tw_now, tw_peak;
	char b[32], l[32];
	int i, any;

	fprintf(f, "fintrace kernel: %s\n", head);
	fprintf(f, "traced %s (linger %s): %" PRIu64 " sockets, %" PRIu64
		   " already lingering when tracing began, %" PRIu64
		   " events, %" PRIu64 " lost\n",
		dur(b, sizeof(b), now - k->start_ns),
		dur(l, sizeof(l), k->o->linger_ns), tot->sockets,
		tot->pre_existing, mon_received(m), mon_lost(m));
	tw_now = mon_time_wait(m, &tw_peak);
	fprintf(f, "in CLOSE_WAIT at the end: %" PRIu64 " (peak %" PRIu64
		   "); in TIME_WAIT: %" PRIu64 " (peak %" PRIu64
		   ")\nverdicts:",
		tot->in_close_wait, tot->peak_close_wait, tw_now, tw_peak);
	for (i = 0, any = 0; i < VD__COUNT; i++)
		if (tot->verdicts[i]) {
			fprintf(f, " %s %" PRIu64, vd_name(i),
				tot->verdicts[i]);
			any = 1;
		}
	fputs(any ? "\n" : " none\n", f);
	if (mon_lost(m))
		fprintf(f, "WARNING: %" PRIu64 " kernel events were lost (ring "
			   "buffer full): some sockets may be missing or "
			   "wrong (%" PRIu64 " ended unseen, counted as open); "
			   "try --ringbuf-size\n",
			mon_lost(m), tot->end_lost);
	if (mon_reduced(m)[0])
		fprintf(f, "reduced: %s\n", mon_reduced(m));
}

/* Returns 0, or -EIO when the report could not be written. */
static int final_report(struct kctx *k, struct mon *m)
{
	struct ks_table *t = mon_table(m);
	const struct ks_sock **socks = NULL;
	struct ks_agg *procs = NULL, *svcs = NULL;
	struct ks_totals tot;
	long ns, np, nv, i;
	uint64_t now = mon_now_ns();
	char head[256];
	FILE *f = k->out;
	int ret = 0;

	ks_totals(t, now, &tot);
	ns = ks_list(t, &socks);
	np = ks_groups(t, KS_BY_PROCESS, now, &procs);
	nv = ks_groups(t, KS_BY_SERVICE, now, &svcs);
	if (ns < 0 || np < 0 || nv < 0) {
		ret = -ENOMEM;
		goto out;
	}
	headline(head, sizeof(head), procs, np,
		 tw_pressure_count(mon_tw(m)), k->o->tw_share);
	if (k->o->format == RPT_JSON) {
		for (i = 0; i < ns; i++)
			flow_json(f, socks[i], now);
		/* as in fintrace read: timewait lines before the services */
		tw_write(mon_tw(m), f, RPT_JSON, k->start_ns + k->wall_off);
		for (i = 0; i < nv; i++)
			agg_json(f, &svcs[i]);
		for (i = 0; i < np; i++)
			agg_json(f, &procs[i]);
		summary_json(f, k, m, &tot, now, head);
	} else if (k->o->format == RPT_CSV) {
		fputs(csv_header, f);
		for (i = 0; i < ns; i++)
			flow_csv(f, socks[i], now);
	} else {
		summary_text(f, k, m, &tot, now, head);
		if (np) {
			fputs("\nprocesses (worst first):\n", f);
			for (i = 0; i < np; i++)
				agg_text(f, &procs[i]);
		}
		if (nv) {
			fputs("\nservices (worst first):\n", f);
			for (i = 0; i < nv; i++)
				agg_text(f, &svcs[i]);
		}
		if (ns) {
			fprintf(f, "\nworst sockets (%ld of %ld):\n",
				ns < (long)k->o->top ? ns : (long)k->o->top, ns);
			for (i = 0; i < ns && i < (long)k->o->top; i++)
				flow_text(f, socks[i], now, k->start_ns);
		}
		tw_write(mon_tw(m), f, RPT_TEXT, k->start_ns + k->wall_off);
	}
out:
	free(socks);
	free(procs);
	free(svcs);
	return ret;
}

static int fail_on_hit(const struct kopts *o, struct mon *m)
{
	struct ks_totals tot;
	int v;

	if (!o->fail_on)
		return 0;
	ks_totals(mon_table(m), mon_now_ns(), &tot);
	for (v = 0; v < VD__COUNT; v++)
		if ((o->fail_on & (1u << v)) && tot.verdicts[v])
			return 1;
	return 0;
}

int cmd_kernel(int argc, char **argv)
{
	struct kopts o;
	struct mon_opts mo;
	struct kctx k;
	struct out_file out;
	struct sigaction sa;
	struct mon *m = NULL;
	char err[FT_ERRBUF_SIZE];
	uint64_t now, end = UINT64_MAX, next_status, wait;
	int status = FT_EXIT_OK, ret, progress, out_opened = 0;

	memset(&out, 0, sizeof(out));
	if (kopts_parse(argc, argv, &o, err)) {
		fprintf(stderr,
			"fintrace kernel: %s (see 'fintrace kernel --help')\n",
			err);
		return FT_EXIT_USAGE;
	}
	if (o.help) {
		fputs(usage, stdout);
		return FT_EXIT_OK;
	}
	if (o.verbose || getenv("FT_DEBUG"))
		trc_set_verbose(o.verbose > 1 || getenv("FT_DEBUG") ? 2 : 1);

	memset(&k, 0, sizeof(k));
	k.o = &o;
	progress = o.progress < 0 ? 1 : o.progress;
	k.tty_status = progress && isatty(STDERR_FILENO);

	memset(&mo, 0, sizeof(mo));
	mo.trc.port = o.port;
	mo.trc.family = o.family;
	mo.trc.pid = o.pid;
	mo.trc.netns = o.netns;
	mo.trc.ringbuf_bytes = o.ringbuf;
	mo.linger_ns = o.linger_ns;
	mo.no_seed = o.no_seed;
	mo.keep_clean = o.all;
	mo.on_alert = on_alert;
	mo.ctx = &k;
	mo.port_lo = o.port_lo;
	mo.port_hi = o.port_hi;
	mo.tw_share_pct = o.tw_share;
	mo.on_tw_alert = on_tw_alert;

	if (mon_check(&mo, err)) {
		fprintf(stderr, "fintrace kernel: %s\n", err);
		return FT_EXIT_USAGE;
	}
	if (out_open(&out, o.output, err)) {
		fprintf(stderr, "fintrace kernel: %s\n", err);
		return FT_EXIT_INPUT;
	}
	out_opened = 1;
	k.out = out.fp;

	m = mon_new(&mo, err);
	if (!m) {
		fprintf(stderr,
			"fintrace kernel: cannot trace with eBPF: %s; "
			"'fintrace live -i IFACE' works from packets "
			"instead\n",
			err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	k.start_ns = mon_start_ns(m);
	k.wall_off = mon_wall_offset(m);
	k.m = m;
	if (mon_reduced(m)[0])
		fprintf(stderr, "fintrace kernel: reduced: %s\n",
			mon_reduced(m));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* the terminal closed: report too */

	if (o.duration_ns)
		end = k.start_ns + o.duration_ns;
	next_status = k.start_ns + o.interval_ns;
	while (!stop) {
		now = mon_now_ns();
		if (now >= end)
			break;
		wait = end - now;
		if (progress && next_status - now < wait)
			wait = next_status > now ? next_status - now : 0;
		if (wait > 1000000000ull)
			wait = 1000000000ull;
		ret = mon_step(m, (int)((wait + 999999) / 1000000));
		if (ret < 0) {
			clear_status(&k);
			fprintf(stderr,
				"fintrace kernel: reading the ring buffer "
				"failed: %s\n",
				strerror(-ret));
			status = FT_EXIT_INPUT;
			break;
		}
		if (progress && mon_now_ns() >= next_status) {
			status_line(&k, m, 0);
			next_status += o.interval_ns;
			if (next_status < mon_now_ns())
				next_status = mon_now_ns() + o.interval_ns;
		}
	}
	mon_finish(m);
	if (progress)
		status_line(&k, m, 1);
	if (final_report(&k, m))
		status = FT_EXIT_INPUT;
	if (status == FT_EXIT_OK && fail_on_hit(&o, m))
		status = FT_EXIT_FAIL_ON;
out:
	/* detach before writing the last bytes: nothing stays attached */
	mon_free(m);
	if (out_opened && out_close(&out, err)) {
		fprintf(stderr, "fintrace kernel: %s\n", err);
		if (status == FT_EXIT_OK)
			status = FT_EXIT_INPUT;
	}
	return status;
}

#endif /* HAVE_FT_BPF */
