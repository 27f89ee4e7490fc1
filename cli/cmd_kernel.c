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
#include "cli/signals.h"

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
#include "analysis/html.h"
#include "bpf/monitor.h"
#include "engine/alerts.h"
#include "engine/kernel.h"
#include "cli/opts.h"
#include "engine/output.h"
#include "engine/pack.h"

#define NS ((uint64_t)1000000000)

static const char usage[] =
	"usage: fintrace kernel [options]\n"
	"Traces this host's TCP state changes with eBPF (needs root and a\n"
	"kernel with BTF) and names the process holding each socket that\n"
	"lingers in CLOSE_WAIT. Ctrl-C ends with the full report.\n"
	"\n"
	"      --linger DUR       alert and late close above DUR (5s)\n"
	"      --duration DUR     stop after DUR\n"
	"      --interval DUR     status line on stderr, and at most one\n"
	"                         alert line per process and service,\n"
	"                         every DUR (5s)\n"
	"      --alert-each       an alert line per socket, not per group\n"
	"      --port P           only sockets with local or remote port P\n"
	"      --pid N            only sockets process N connected, accepted\n"
	"                         or closed\n"
	"      --netns INO        only the network namespace with inode INO\n"
	"  -4, -6                 only IPv4 / IPv6\n"
	"      --format FMT       text (default), json (JSON Lines) or csv\n"
	"  -o, --output FILE      write the report to FILE\n"
	"      --report FILE.html write the HTML report (for a vendor) to "
	"FILE\n"
	"      --evidence DIR/    at the end, an evidence pack in DIR (empty\n"
	"                         or new): report.html, report.json,\n"
	"                         sockets.txt (the lingering sockets as\n"
	"                         ss -tanp shows them), FACTS.txt, README.txt\n"
	"                         and MANIFEST.sha256\n"
	"      --force            write the pack into a used directory\n"
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
	"      --local-time       times in text (alerts, report) and HTML in\n"
	"                         local time (TZ); JSON stays UTC\n"
	"      --progress, --no-progress\n"
	"                         status line (default on: redrawn on a\n"
	"                         terminal, plain lines otherwise)\n"
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
	"  -v, --verbose          libbpf messages on stderr\n"
	"  -h, --help             this text\n"
	"\n"
	"Durations: 500ms, 5s, 2m, 1h. Exit: 0 traced, 1 usage, 2 BPF\n"
	"unavailable or failed, 3 --fail-on hit.\n";

/* ---- output ---- */


struct kctx {
	const struct ft_opts *o;
	FILE *out;
	uint64_t wall_off; /* wall_ns = mono_ns + wall_off */
	uint64_t start_ns;
	struct mon *m;          /* borrowed, NULL until started */
	struct krep *kr;        /* the report model */
	struct krep *kr2;       /* the evidence pack's JSON report, or NULL */
	struct al *al;		/* alerts (engine/alerts.h) */
	uint64_t al_due;	/* next grouped alert line, wall ns */
	int tty_status;         /* status line redrawn in place */
	int status_shown;
	struct out_file *snap;  /* --snapshot-every, or NULL */
};

static char *dur(char *buf, size_t n, uint64_t ns)
{
	return rpt_fmt_duration(buf, n, ns);
}

static void clear_status(struct kctx *k)
{
	if (k->tty_status && k->status_shown) {
		fputs("\r\033[K", stderr);
		k->status_shown = 0;
	}
}

/*
 * The alerts' view of s (this host's socket, the side in CLOSE_WAIT),
 * grouped by owning process and service; times to wall clock.
 */
static void al_sock_of(const struct kctx *k, const struct ks_sock *s,
		       struct al_sock *a)
{
	int local_server = s->role == KS_ROLE_SERVER ||
			   (s->role == KS_ROLE_UNKNOWN && s->lport <= s->rport);

	memset(a, 0, sizeof(*a));
	a->id = s->cookie;
	a->netns = s->netns;
	a->group = AL_BY_PROCESS;
	a->family = s->family;
	a->passive_client = !local_server;
	memcpy(local_server ? a->server : a->client, s->laddr, 16);
	memcpy(local_server ? a->client : a->server, s->raddr, 16);
	a->server_port = local_server ? s->lport : s->rport;
	a->client_port = local_server ? s->rport : s->lport;
	a->pid = s->owner_pid;
	memcpy(a->comm, s->owner_comm, AL_COMM_LEN);
	a->cw_start_ns = s->cw_start_ns + k->wall_off;
	a->at_least = s->cw_at_least;
	a->pre_existing = s->pre_existing;
	a->closer_pid = s->closer_pid;
	memcpy(a->closer_comm, s->closer_comm, AL_COMM_LEN);
	if (s->end_lost)
		a->closed_by = NULL;
	else if (s->rst_by == KS_SIDE_LOCAL)
		a->closed_by = "rst";
	else if (s->rst_by == KS_SIDE_REMOTE)
		a->closed_by = "peer-rst";
	else
		a->closed_by = "fin";
}

static void on_alert(void *ctx, enum ks_alert what, const struct ks_sock *s,
		     uint64_t now)
{
	struct kctx *k = ctx;
	struct al_sock a;

	al_sock_of(k, s, &a);
	/* Alerts are best effort: without memory, no alert. */
	if (what == KS_ALERT_LINGER)
		al_linger(k->al, &a, now + k->wall_off);
	else
		al_closed(k->al, &a, now + k->wall_off);
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

	if (!inet_ntop(a->family == SEG_IPV6 ? AF_INET6 : AF_INET, a->client, c,
		       sizeof(c)))
		snprintf(c, sizeof(c), "?");
	rpt_fmt_endpoint(svc, sizeof(svc), a->service, a->family, a->port);
	rpt_fmt_time(t, sizeof(t), a->at_ns, !json && k->o->local_time);
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
	struct trc_lost lc;
	char b[48], why[200] = "";
	uint64_t now = mon_now_ns(), lost = mon_lost_by_cause(m, &lc);

	ks_totals(mon_table(m), now, &tot);
	if (lost)
		snprintf(why, sizeof(why),
			 " (%" PRIu64 " ring full, %" PRIu64
			 " refused by the ring, %" PRIu64
			 " counter map full, %" PRIu64 " hook runs skipped)",
			 lc.full, lc.refused, lc.map, lc.skipped);
	if (lc.accept_skipped)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 ", %" PRIu64 " accept hook runs skipped",
			 lc.accept_skipped);
	if (k->tty_status)
		fputs("\r\033[K", stderr);
	fprintf(stderr,
		"fintrace kernel: %" PRIu64 " sockets tracked, %" PRIu64
		" in CLOSE_WAIT (oldest %s), %" PRIu64 " in TIME_WAIT, %" PRIu64
		" events, %" PRIu64 " lost%s%s",
		tot.tracked, tot.in_close_wait,
		dur(b, sizeof(b), tot.oldest_cw_ns), mon_time_wait(m, NULL),
		mon_received(m), lost, why,
		k->tty_status && !last ? "" : "\n");
	k->status_shown = k->tty_status && !last;
	fflush(stderr);
}

/* ---- final report ---- */

/* The tracker's report hooks (ctx: the kctx). */
static void on_close_wait(void *ctx, const struct ks_sock *s, int delta,
			  uint64_t now_ns)
{
	struct kctx *k = ctx;
	struct al_sock a;

	krep_close_wait(k->kr, s, delta, now_ns);
	if (k->kr2)
		krep_close_wait(k->kr2, s, delta, now_ns);
	al_sock_of(k, s, &a);
	if (delta > 0)
		al_enter(k->al, &a);
	else
		al_leave(k->al, &a);
}

/* Before an alert line on stderr: clear the status line. */
static void clear_for_alert(void *ctx)
{
	struct kctx *k = ctx;

	if (k->o->format != RPT_JSON)
		clear_status(k);
}

static void on_forget(void *ctx, const struct ks_sock *s)
{
	struct kctx *k = ctx;

	krep_forget(k->kr, s);
	if (k->kr2)
		krep_forget(k->kr2, s);
}

static void on_clean(void *ctx, const struct ks_clean *c)
{
	struct kctx *k = ctx;

	krep_clean(k->kr, c);
	if (k->kr2)
		krep_clean(k->kr2, c);
}

/*
 * The evidence pack of a kernel run, once kr's report is written: the
 * same report in JSON (kr2, to jout), the HTML one, then sockets.txt,
 * FACTS.txt, README.txt and the manifest. Returns 0, or -errno with one
 * line naming the file in err.
 */
static int write_pack(struct pack *pack, struct out_file *jout, struct krep *kr,
		      struct krep *kr2, struct mon *m, uint64_t now,
		      const struct kctx *k, const struct rpt_counter *extra,
		      size_t nextra, const char *what, int argc, char **argv,
		      char *err)
{
	const char *inputs[1] = {what};
	struct html_input hin = {.name = what, .format = "kernel"};
	struct pack_run run = {.inputs = inputs, .ninputs = 1};
	int rc;

	err[0] = '\0';
	rc = krep_finish(kr2, mon_table(m), mon_tw(m), now, extra, nextra,
			 NULL);
	if (out_close(jout, err) || rc) {
		if (!err[0])
			snprintf(err, FT_ERRBUF_SIZE,
				 "report.json of the evidence pack: cannot "
				 "write");
		return rc ? rc : -EIO;
	}
	rc = out_html(krep_report(kr), mon_tw(m), pack->html, &hin, 1, argc,
		      argv, err);
	if (rc)
		return rc;
	return pack_finish_kernel(pack, &run, k->start_ns + k->wall_off,
				  now + k->wall_off, err);
}

/* --metrics: the present, from the tracker, and the lost records. */
static void metrics_update(struct kctx *k, struct mon *m)
{
	struct em_counters c = {.lost = mon_lost(m)};

	krep_metrics_update(k->kr, mon_table(m), mon_tw(m), &c, mon_now_ns());
}

#define KCOUNTERS 16

/*
 * The tracing's counters for the summary, as of now (mono); how many.
 * What was lost is told by cause only when something was.
 */
static size_t counters(struct mon *m, uint64_t now,
		       struct rpt_counter extra[KCOUNTERS])
{
	struct trc_lost lc;
	uint64_t lost = mon_lost_by_cause(m, &lc);
	struct ks_totals tot;
	uint64_t tw_now, tw_peak;
	size_t n = 0;

	ks_totals(mon_table(m), now, &tot);
	tw_now = mon_time_wait(m, &tw_peak);
	extra[n++] = (struct rpt_counter){"sockets", tot.sockets};
	extra[n++] = (struct rpt_counter){"pre_existing", tot.pre_existing};
	extra[n++] = (struct rpt_counter){"events", mon_received(m)};
	extra[n++] = (struct rpt_counter){"lost_events", lost};
	if (lost) {
		extra[n++] = (struct rpt_counter){"lost_ring_full", lc.full};
		extra[n++] = (struct rpt_counter){"lost_refused", lc.refused};
		extra[n++] = (struct rpt_counter){"lost_map_full", lc.map};
		extra[n++] =
			(struct rpt_counter){"lost_skipped_runs", lc.skipped};
	}
	if (lc.accept_skipped)
		extra[n++] = (struct rpt_counter){"accept_runs_skipped",
						  lc.accept_skipped};
	extra[n++] = (struct rpt_counter){"dropped_events", tot.dropped};
	extra[n++] = (struct rpt_counter){"ended_unseen", tot.end_lost};
	extra[n++] =
		(struct rpt_counter){"in_close_wait_at_end", tot.in_close_wait};
	extra[n++] =
		(struct rpt_counter){"peak_close_wait", tot.peak_close_wait};
	extra[n++] = (struct rpt_counter){"time_wait_at_end", tw_now};
	extra[n++] = (struct rpt_counter){"peak_time_wait", tw_peak};
	extra[n++] = (struct rpt_counter){"time_wait_pressure",
					  tw_pressure_count(mon_tw(m))};
	return n;
}

/*
 * --snapshot-every: the report so far, one line. A snapshot that cannot
 * be written ends the snapshots (one line on stderr), not the tracing.
 */
static void snapshot(struct kctx *k, struct mon *m)
{
	struct rpt_counter extra[KCOUNTERS];
	char err[FT_ERRBUF_SIZE] = "";
	uint64_t now = mon_now_ns();
	size_t n = counters(m, now, extra);

	if (!krep_snapshot(k->kr, now, extra, n, k->snap->fp))
		return;
	if (!out_close(k->snap, err) || k->snap->quiet_epipe)
		snprintf(err, sizeof(err), "%s: cannot write a snapshot",
			 k->snap->name);
	clear_status(k);
	fprintf(stderr, "fintrace kernel: %s; no more snapshots\n", err);
	k->snap = NULL;
}

/* What was traced, for the report's header: "port 9100, pid 42". */
static void traced_what(const struct ft_opts *o, char *buf, size_t n)
{
	size_t k = 0;

	buf[0] = '\0';
	if (o->port)
		k += (size_t)snprintf(buf + k, n - k, "port %u, ", o->port);
	if (o->pid && k < n)
		k += (size_t)snprintf(buf + k, n - k, "pid %u, ", o->pid);
	if (o->netns && k < n)
		k += (size_t)snprintf(buf + k, n - k, "netns %u, ", o->netns);
	if (o->family && k < n)
		k += (size_t)snprintf(buf + k, n - k, "IPv%u, ", o->family);
	if (k >= 2 && k < n)
		buf[k - 2] = '\0';
	else
		snprintf(buf, n, "all TCP sockets");
}

int cmd_kernel(int argc, char **argv)
{
	struct ft_opts o;
	struct mon_opts mo;
	struct kctx k;
	struct out_file out;
	struct sig_saved saved;
	int signals = 0;
	struct mon *m = NULL;
	struct krep *kr = NULL, *kr2 = NULL;
	struct em *em = NULL;
	struct krep_config kc;
	struct pack pack = {0};
	struct out_file jout = {0};
	struct out_file snap = {0};
	struct timespec rt, mt;
	char err[FT_ERRBUF_SIZE], what[128];
	uint64_t now, end = UINT64_MAX, next_status, next_snap, wait;
	int status = FT_EXIT_OK, ret, progress, periodic, out_opened = 0;

	memset(&out, 0, sizeof(out));
	if (opts_parse(argc, argv, OPTS_KERNEL, &o, err)) {
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
	periodic = progress || o.metrics;
	k.tty_status = progress && isatty(STDERR_FILENO);

	memset(&mo, 0, sizeof(mo));
	mo.trc.port = o.port;
	mo.trc.family = o.family;
	mo.trc.pid = o.pid;
	mo.trc.netns = o.netns;
	mo.trc.ringbuf_bytes = o.ringbuf;
	mo.linger_ns = o.linger_ns;
	mo.no_seed = o.no_seed;
	mo.keep_clean = o.list_open;
	mo.trc.every_end = o.list_open;
	mo.on_alert = on_alert;
	mo.ctx = &k;
	mo.port_lo = o.port_lo;
	mo.port_hi = o.port_hi;
	mo.tw_share_pct = o.tw_share;
	mo.on_tw_alert = on_tw_alert;
	mo.local_time = o.local_time;
	mo.on_close_wait = on_close_wait;
	mo.on_forget = on_forget;
	mo.on_clean = on_clean;

	if (mon_check(&mo, err)) {
		fprintf(stderr, "fintrace kernel: %s\n", err);
		return FT_EXIT_USAGE;
	}
	if (o.metrics) {
		/* A port in use must not cost a trace: bind first. */
		em = em_start(MXT_KERNEL, o.metrics, err);
		if (!em) {
			fprintf(stderr, "fintrace kernel: %s\n", err);
			return FT_EXIT_INPUT;
		}
	}
	if (out_open(&out, o.output, err)) {
		fprintf(stderr, "fintrace kernel: %s\n", err);
		em_stop(em);
		return FT_EXIT_INPUT;
	}
	out_opened = 1;
	k.out = out.fp;
	if (o.snapshot_ns) {
		if (out_append(&snap, o.snapshot_file, err)) {
			fprintf(stderr, "fintrace kernel: %s\n", err);
			status = FT_EXIT_INPUT;
			goto out;
		}
		k.snap = &snap;
	}
	if (o.evidence_file) {
		/* no packets here: only the pack (a directory) */
		ret = pack_is_dir(o.evidence_file)
			      ? pack_open_dir(&pack, o.evidence_file, o.force,
					      "kernel", argc, argv, err)
			      : -EINVAL;
		if (ret == -EINVAL)
			snprintf(err, sizeof(err),
				 "--evidence %s: fintrace kernel records no "
				 "packets; give a directory (DIR/) for an "
				 "evidence pack",
				 o.evidence_file);
		if (!ret)
			ret = out_open(&jout, pack.json, err);
		if (ret) {
			fprintf(stderr, "fintrace kernel: %s\n", err);
			status = ret == -ENOTEMPTY || ret == -EINVAL
					 ? FT_EXIT_USAGE
					 : FT_EXIT_INPUT;
			goto out;
		}
	}

	/* the report model, before tracing: seeding already feeds it */
	traced_what(&o, what, sizeof(what));
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	memset(&kc, 0, sizeof(kc));
	kc.format = o.format;
	kc.linger_ns = o.linger_ns;
	kc.top = o.top;
	kc.top_services = o.top_services;
	kc.top_clients = o.top_clients;
	kc.all = o.list_open;
	kc.local_time = o.local_time;
	kc.start_ns = (uint64_t)mt.tv_sec * NS + (uint64_t)mt.tv_nsec;
	kc.wall_off =
		(uint64_t)rt.tv_sec * NS + (uint64_t)rt.tv_nsec - kc.start_ns;
	kc.what = what;
	kr = krep_new(&kc, out.fp);
	if (!kr) {
		fprintf(stderr, "fintrace kernel: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	k.kr = kr;
	/* seeding already feeds the alerts: wall clock until the monitor's */
	k.wall_off = kc.wall_off;
	k.al_due = UINT64_MAX;
	k.al = al_new_watch("kernel", o.format == RPT_JSON, o.alert_each,
			    o.local_time,
			    o.linger_ns, o.interval_ns, out.fp,
			    clear_for_alert, &k);
	if (!k.al) {
		fprintf(stderr, "fintrace kernel: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	krep_metrics(kr, em);
	if (jout.fp) {
		struct krep_config jc = kc;

		jc.format = RPT_JSON;
		kr2 = krep_new(&jc, jout.fp);
		if (!kr2) {
			fprintf(stderr, "fintrace kernel: out of memory\n");
			status = FT_EXIT_INPUT;
			goto out;
		}
		k.kr2 = kr2;
	}

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

	/* SIGINT, SIGTERM, SIGHUP (the terminal closed): the full report */
	if (!sig_install(&saved, NULL))
		signals = 1;

	if (o.duration_ns)
		end = k.start_ns + o.duration_ns;
	next_status = k.start_ns + o.interval_ns;
	next_snap = k.start_ns + o.snapshot_ns;
	while (!sig_stop) {
		now = mon_now_ns();
		if (now >= end)
			break;
		wait = end - now;
		if (periodic && next_status - now < wait)
			wait = next_status > now ? next_status - now : 0;
		if (k.snap && next_snap - now < wait)
			wait = next_snap > now ? next_snap - now : 0;
		if (wait > 1000000000ull)
			wait = 1000000000ull;
		if (k.al_due != UINT64_MAX) {
			uint64_t due = k.al_due - k.wall_off;

			if (due <= now)
				wait = 0;
			else if (due - now < wait)
				wait = due - now;
		}
		ret = mon_step(m, (int)((wait + 999999) / 1000000));
		k.al_due = al_tick(k.al, mon_now_ns() + k.wall_off);
		if (ret < 0) {
			clear_status(&k);
			fprintf(stderr,
				"fintrace kernel: reading the ring buffer "
				"failed: %s\n",
				strerror(-ret));
			status = FT_EXIT_INPUT;
			break;
		}
		if (periodic && mon_now_ns() >= next_status) {
			if (progress)
				status_line(&k, m, 0);
			metrics_update(&k, m);
			next_status += o.interval_ns;
			if (next_status < mon_now_ns())
				next_status = mon_now_ns() + o.interval_ns;
		}
		if (k.snap && mon_now_ns() >= next_snap) {
			snapshot(&k, m);
			next_snap += o.snapshot_ns;
			if (next_snap < mon_now_ns())
				next_snap = mon_now_ns() + o.snapshot_ns;
		}
	}
	mon_finish(m);
	al_flush(k.al, mon_now_ns() + k.wall_off);
	if (progress)
		status_line(&k, m, 1);
	metrics_update(&k, m);
	now = mon_now_ns();
	{
		struct rpt_counter extra[KCOUNTERS];
		size_t nextra = counters(m, now, extra);

		if (krep_finish(kr, mon_table(m), mon_tw(m), now, extra, nextra,
				status == FT_EXIT_OK
					? NULL
					: "reading the ring buffer failed"))
			status = FT_EXIT_INPUT;
		/* the verdicts of the last sockets; gauges as at the end */
		em_publish(em);
		if (kr2 && write_pack(&pack, &jout, kr, kr2, m, now, &k, extra,
				      nextra, what,
				      argc, argv, err)) {
			fprintf(stderr, "fintrace kernel: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	if (o.report_file) {
		struct html_input hin = {.name = what, .format = "kernel"};

		if (out_html(krep_report(kr), mon_tw(m), o.report_file, &hin,
			     1, argc, argv, err)) {
			fprintf(stderr, "fintrace kernel: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	if (status == FT_EXIT_OK) {
		for (int v = 0; v < VD__COUNT; v++)
			if ((o.fail_on & (1u << v)) &&
			    rpt_verdict_count(krep_report(kr),
					      (enum vd_verdict)v))
				status = FT_EXIT_FAIL_ON;
	}
out:
	if (signals)
		sig_restore(&saved);
	/* detach before writing the last bytes: nothing stays attached */
	mon_free(m);
	al_free(k.al);
	krep_free(kr);
	em_stop(em);
	krep_free(kr2);
	out_close(&jout, NULL);
	out_close(&snap, NULL);
	if (out_opened && out_close(&out, err)) {
		fprintf(stderr, "fintrace kernel: %s\n", err);
		if (status == FT_EXIT_OK)
			status = FT_EXIT_INPUT;
	}
	return status;
}

#endif /* HAVE_FT_BPF */
