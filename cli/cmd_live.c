/* SPDX-License-Identifier: MIT */
/*
 * fintrace live: verdicts from a live interface, alerts while the capture
 * runs, and at the end the same report as fintrace read.
 *
 * Two threads: the capture thread (engine/livecap.h) only takes packets
 * from libpcap, writes the -w file and queues copies in batches; this
 * thread, the tracker, waits for a batch for at most one tick (100 ms),
 * hands it to the pipeline, and on every tick looks for sockets whose
 * close-wait has crossed --linger. A slow report reader, a snapshot or
 * a burst then delays the tracker only: the capture thread keeps
 * emptying the kernel's buffer, and what its queue has no room for is
 * counted as queue drops, reported as the kernel's drops are. Sockets in
 * CLOSE_WAIT are kept on a list ordered by the time they entered it (fed
 * by the flow table's close-wait events), so a tick looks only at the
 * head of that list: the work follows alerts, never the number of flows.
 * The crossings, and the closes of sockets that crossed, go to the
 * grouped alerts (engine/alerts.h); the loop also wakes up when the next
 * crossing or grouped line is due, so a first alert is not a tick late.
 *
 * SIGINT, SIGTERM, SIGHUP, --duration and --count end the capture; what the
 * kernel had already captured by then is read (drained) before the
 * report, so a socket that closed just before the stop is not reported
 * as never closed. The end is in order: the capture thread stops, every
 * packet it queued is tracked, then the report is written.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "capture/live.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/signals.h"
#include "engine/alerts.h"
#include "engine/clock.h"
#include "engine/livecap.h"
#include "engine/output.h"
#include "engine/pipeline.h"
#include "capture/evidence.h"
#include "engine/pack.h"
#include "analysis/html.h"

#define TICK_NS (100 * (uint64_t)1000000)
#define BUFFER_TIMEOUT_MS 100
#define CAP_NET_ADMIN_BIT 12
#define CAP_NET_RAW_BIT 13

/* Touched by the signal handler, and only there besides setup. */
static struct lcap *volatile sig_lc;

/* A passive side in CLOSE_WAIT now. */
struct cw_entry {
	struct flow_key key;
	uint64_t id;
	uint64_t cw_start_ns;
	uint64_t first_frame;
	uint64_t fin_frame; /* the active closer's */
	int8_t client;
	int8_t passive;
	uint8_t alerted;
	struct cw_entry *prev; /* list ordered by cw_start_ns */
	struct cw_entry *next;
	UT_hash_handle hh;
};

enum status_mode { STATUS_OFF = 0, STATUS_LINES, STATUS_TERMINAL };

struct live_ctx {
	const struct ft_opts *o;
	struct pipeline pl;
	struct live_cap *cap;
	struct lcap *lc; /* the capture thread */
	FILE *out; /* the report stream (borrowed) */
	int dlt;
	struct al *al; /* alerts: on the report stream (JSON), else stderr */
	uint64_t wake_wall_ns; /* next crossing or grouped line due */
	enum status_mode status;
	int status_drawn; /* a terminal status line is on screen */
	/* sockets in CLOSE_WAIT */
	struct cw_entry *cw_hash;
	struct cw_entry *cw_head;
	struct cw_entry *cw_tail;
	struct cw_entry *cw_pending; /* first entry not alerted yet */
	/* end of the capture */
	uint64_t stop_ns; /* packets stamped later are not taken */
	int oom;
	int out_failed; /* the report stream failed */
	struct lcap_stats st;
	uint64_t tick_wall_ns;
	struct em *em; /* --metrics, or NULL */
	struct pack *pack; /* --evidence DIR/, or NULL */
	struct out_file *snap; /* --snapshot-every, or NULL */
};

/* On SIGINT, SIGTERM or SIGHUP (cli/signals.h): end the capture. */
static void on_stop(void)
{
	lcap_stop(sig_lc);
}

/* ---- terminal status line ---- */

static void status_clear(struct live_ctx *c)
{
	if (c->status_drawn) {
		fputs("\r\033[K", stderr);
		c->status_drawn = 0;
	}
}

static void status_show(struct live_ctx *c, uint64_t wall_ns)
{
	const struct flow_stats *fs = flow_table_stats(c->pl.flows);
	char oldest[48] = "", d[32], when[48];

	if (c->status == STATUS_OFF)
		return;
	if (c->cw_head) {
		uint64_t t0 = c->cw_head->cw_start_ns;

		rpt_fmt_duration(d, sizeof(d), wall_ns > t0 ? wall_ns - t0 : 0);
		snprintf(oldest, sizeof(oldest), " (oldest %s)", d);
	}
	if (c->status == STATUS_TERMINAL) {
		fputs("\r\033[K", stderr);
		c->status_drawn = 1;
	} else {
		/* Seconds are enough in a log; cut the ISO time there
		 * and keep its zone: Z, or the local offset. */
		rpt_fmt_time(when, sizeof(when), wall_ns, c->o->local_time);
		fprintf(stderr, "fintrace live: %.19s%s ", when,
			strlen(when) > 29 ? when + 29 : "Z");
	}
	fprintf(stderr,
		"%s: %" PRIu64 " flows, %" PRIu64 " in CLOSE_WAIT%s, %" PRIu64
		" packets, %" PRIu64 " queue drops, %" PRIu64
		" kernel drops, %" PRIu64 " interface drops",
		c->o->iface, fs->tracked, fs->in_close_wait, oldest,
		c->pl.frames, c->st.queue_drops, c->st.kernel_drops,
		c->st.if_drops);
	fputs(c->status == STATUS_TERMINAL ? " " : "\n", stderr);
	fflush(stderr);
}

/* Alerts on stderr go under (not through) the status line. */
static void clear_for_alert(void *arg)
{
	struct live_ctx *c = arg;

	if (c->o->format != RPT_JSON)
		status_clear(c);
}

/* One line on stderr, under (not through) the status line. */
static void say(struct live_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct live_ctx *c, const char *fmt, ...)
{
	va_list ap;

	status_clear(c);
	fputs("fintrace live: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* ---- alerts ---- */

/* The alerts' view of e: grouped by service, or by client host when the
 * client side lingers. */
static void al_sock_of(const struct cw_entry *e, struct al_sock *s)
{
	const struct flow_key *k = &e->key;

	memset(s, 0, sizeof(*s));
	s->id = e->id;
	s->passive_client = e->passive == e->client;
	s->group = s->passive_client ? AL_BY_HOST : AL_BY_SERVICE;
	s->family = k->family;
	memcpy(s->client, k->addr[e->client], 16);
	memcpy(s->server, k->addr[1 - e->client], 16);
	s->client_port = k->port[e->client];
	s->server_port = k->port[1 - e->client];
	s->cw_start_ns = e->cw_start_ns;
	s->first_frame = e->first_frame;
	s->fin_frame = e->fin_frame;
}

/* e crossed --linger (closed_by NULL) or, having crossed, closed. */
static void alert(struct live_ctx *c, const struct cw_entry *e, uint64_t now_ns,
		  const char *closed_by, uint64_t close_frame)
{
	struct al_sock s;

	al_sock_of(e, &s);
	s.closed_by = closed_by;
	s.close_frame = close_frame;
	/* Alerts are best effort: without memory, no alert. */
	if (closed_by)
		al_closed(c->al, &s, now_ns);
	else
		al_linger(c->al, &s, now_ns);
}

/* Insert by cw_start_ns, from the tail: entries come nearly in order. */
static void cw_insert(struct live_ctx *c, struct cw_entry *e)
{
	struct cw_entry *p = c->cw_tail;
	int before_pending = 0;

	while (p && p->cw_start_ns > e->cw_start_ns) {
		if (p == c->cw_pending)
			before_pending = 1;
		p = p->prev;
	}
	e->prev = p;
	e->next = p ? p->next : c->cw_head;
	if (e->next)
		e->next->prev = e;
	else
		c->cw_tail = e;
	if (p)
		p->next = e;
	else
		c->cw_head = e;
	if (!c->cw_pending || before_pending)
		c->cw_pending = e;
}

static void cw_remove(struct live_ctx *c, struct cw_entry *e)
{
	if (c->cw_pending == e)
		c->cw_pending = e->next;
	if (e->prev)
		e->prev->next = e->next;
	else
		c->cw_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->cw_tail = e->prev;
	HASH_DEL(c->cw_hash, e);
	free(e);
}

/* e is no longer in CLOSE_WAIT, and no longer followed. */
static void cw_drop(struct live_ctx *c, struct cw_entry *e)
{
	struct al_sock s;

	al_sock_of(e, &s);
	al_leave(c->al, &s);
	cw_remove(c, e);
}

/* How the passive side left CLOSE_WAIT, and in which frame (0: none). */
static const char *closed_by(const struct td_flow *td, int passive,
			     uint64_t *frame)
{
	const struct td_dir *p = &td->dir[passive];

	*frame = 0;
	if (p->has_rst && (!p->has_fin || p->rst_ns < p->fin_ns)) {
		*frame = p->rst_frame;
		return "rst";
	}
	if (p->has_fin) {
		*frame = p->fin_frame;
		return "fin";
	}
	if (td->dir[1 - passive].has_rst) {
		*frame = td->dir[1 - passive].rst_frame;
		return "peer-rst";
	}
	return "reused"; /* a new SYN on the 4-tuple */
}

/* flow_hooks.close_wait, after the report's. */
static void watch_close_wait(void *arg, const struct flow_key *key,
			     const struct td_flow *td, int delta,
			     uint64_t now_ns)
{
	struct live_ctx *c = arg;
	struct cw_entry *e;
	struct al_sock s;
	const char *how;
	uint64_t cw, frame;

	HASH_FIND(hh, c->cw_hash, key, sizeof(*key), e);
	if (delta > 0) {
		if (e)
			cw_drop(c, e);
		if (td->active < 0)
			return;
		/* Alerts are best effort: without memory, no alert. */
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->key = *key;
		e->id = flow_table_id(c->pl.flows, key);
		e->cw_start_ns = td->cw_start_ns ? td->cw_start_ns : now_ns;
		e->client = td->client;
		e->passive = (int8_t)(1 - td->active);
		e->first_frame = td->first_frame;
		e->fin_frame = td->dir[td->active].fin_frame;
		HASH_ADD(hh, c->cw_hash, key, sizeof(e->key), e);
		cw_insert(c, e);
		al_sock_of(e, &s);
		al_enter(c->al, &s);
		return;
	}
	if (!e)
		return;
	al_sock_of(e, &s);
	al_leave(c->al, &s);
	cw = now_ns > e->cw_start_ns ? now_ns - e->cw_start_ns : 0;
	/* Crossed and closed between two ticks: both events, in order. */
	if (!e->alerted && cw > c->o->linger_ns) {
		alert(c, e, now_ns, NULL, 0);
		e->alerted = 1;
	}
	if (e->alerted) {
		how = closed_by(td, e->passive, &frame);
		alert(c, e, now_ns, how, frame);
	}
	cw_remove(c, e);
}

/* flow_hooks.done: a flow finalised in CLOSE_WAIT leaves the list. */
static void watch_done(void *arg, const struct flow_record *rec)
{
	struct live_ctx *c = arg;
	struct cw_entry *e;

	HASH_FIND(hh, c->cw_hash, rec->key, sizeof(*rec->key), e);
	if (e)
		cw_drop(c, e);
}

/* Crossings up to wall_ns, then the grouped lines due; sets wake_wall_ns */
static void check_alerts(struct live_ctx *c, uint64_t wall_ns)
{
	struct cw_entry *e;
	uint64_t next;

	while ((e = c->cw_pending) &&
	       e->cw_start_ns + c->o->linger_ns < wall_ns) {
		if (!e->alerted) {
			alert(c, e, wall_ns, NULL, 0);
			e->alerted = 1;
		}
		c->cw_pending = e->next;
	}
	c->wake_wall_ns = al_tick(c->al, wall_ns);
	if (e) {
		next = e->cw_start_ns + c->o->linger_ns + 1;
		if (next < c->wake_wall_ns)
			c->wake_wall_ns = next;
	}
}

static void cw_free_all(struct live_ctx *c)
{
	struct cw_entry *e, *tmp;

	HASH_ITER(hh, c->cw_hash, e, tmp)
	{
		HASH_DEL(c->cw_hash, e);
		free(e);
	}
	c->cw_head = c->cw_tail = c->cw_pending = NULL;
}

/* --metrics: the sockets in CLOSE_WAIT now, then the engine's part. */
static void metrics_update(struct live_ctx *c, uint64_t wall_ns)
{
	if (!c->em)
		return;
	em_cw_begin(c->em);
	for (struct cw_entry *e = c->cw_head; e; e = e->next)
		em_cw_add_flow(c->em, &e->key, e->client,
			       wall_ns > e->cw_start_ns
				       ? wall_ns - e->cw_start_ns
				       : 0);
	pipeline_metrics_publish(&c->pl);
}

/* ---- capture ---- */

/* A batch from the capture thread, through the pipeline. */
static void track(struct live_ctx *c, const struct lcap_batch *b)
{
	unsigned n = lcap_batch_len(b);
	struct lcap_frame f;

	for (unsigned i = 0; i < n && !c->oom; i++) {
		lcap_batch_frame(b, i, &f);
		if (pipeline_frame(&c->pl, f.data, f.caplen, f.wirelen,
				   f.wall_ns, f.frame, c->dlt) ||
		    (c->pack && pack_frame(c->pack, f.data, f.caplen, f.wirelen,
					   f.wall_ns, f.frame, c->dlt))) {
			c->oom = 1;
			lcap_abort(c->lc);
		}
	}
}

/*
 * Drop counters, the kernel's and the capture queue's: drops mark the
 * flows of their time as lossy. The time is when the capture thread read
 * the counters (wall_ns before its first look).
 */
static void update_stats(struct live_ctx *c, uint64_t wall_ns)
{
	uint64_t drops, open;

	lcap_stats(c->lc, &c->st);
	if (c->st.wall_ns)
		wall_ns = c->st.wall_ns;
	drops = c->st.kernel_drops + c->st.if_drops + c->st.queue_drops;
	c->pl.queue_drops = c->st.queue_drops;
	if (drops > c->pl.drops) {
		/*
		 * They happened between the previous look and now: open the
		 * report's drop period at the previous look (as if all but
		 * one came then) and close it now, so that every flow alive
		 * in between is marked lossy. The queue's first drop has a
		 * stamp: the tracker may be behind, open the period there
		 * when it is earlier.
		 */
		open = c->tick_wall_ns;
		if (c->st.queue_drop_first_ns &&
		    (!open || c->st.queue_drop_first_ns < open))
			open = c->st.queue_drop_first_ns;
		if (open && drops - 1 > c->pl.drops)
			rpt_note_drops(c->pl.rpt, drops - 1, open);
		rpt_note_drops(c->pl.rpt, drops, wall_ns);
		c->pl.drops = drops;
	}
	c->tick_wall_ns = wall_ns;
}

/* ---- privileges ---- */

/* Bit `bit` of this process's effective capabilities: 1, 0, -1 unknown */
static int have_cap(int bit)
{
	char line[256];
	unsigned long long v;
	FILE *f = fopen("/proc/self/status", "r");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			rc = (int)((v >> bit) & 1);
			break;
		}
	fclose(f);
	return rc;
}

static void permission_message(const struct ft_opts *o, const char *err)
{
	int raw = have_cap(CAP_NET_RAW_BIT);
	int admin = have_cap(CAP_NET_ADMIN_BIT);
	const char *missing;

	if (!raw && o->promisc && !admin)
		missing = "CAP_NET_RAW and CAP_NET_ADMIN";
	else if (!raw)
		missing = "CAP_NET_RAW";
	else if (o->promisc && !admin)
		missing = "CAP_NET_ADMIN (for --promisc)";
	else
		missing = NULL;
	if (!missing) {
		fprintf(stderr, "fintrace live: %s\n", err);
		return;
	}
	fprintf(stderr,
		"fintrace live: cannot capture on %s: missing %s; run as root "
		"or grant it once with: setcap cap_net_raw,cap_net_admin=eip "
		"$(command -v fintrace)\n",
		o->iface, missing);
}

/*
 * Become user (setgroups, setgid, setuid, as tcpdump -Z does) for good.
 * Returns 0 or -errno with err set.
 */
static int drop_privileges(const char *user, uid_t uid, gid_t gid, char *err)
{
	if (initgroups(user, gid) || setgid(gid) || setuid(uid)) {
		int e = errno;

		snprintf(err, FT_ERRBUF_SIZE, "-Z %s: cannot switch user: %s",
			 user, strerror(e));
		return -e;
	}
	if (uid && (!setuid(0) || !geteuid())) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "-Z %s: root could be regained after the switch",
			 user);
		return -EPERM;
	}
	return 0;
}

/* SIGHUP (the terminal closed) ends the capture like SIGINT/SIGTERM. */
/*
 * The capture loop; returns when a signal, --duration, --count, an
 * error or a dead report reader ends it. Returns 0 or -errno, err set.
 */
/*
 * --snapshot-every: the report so far, one line. A snapshot that cannot
 * be written ends the snapshots (one line on stderr), not the capture.
 */
static void snapshot(struct live_ctx *c, uint64_t wall_ns)
{
	const char *inputs[1] = {c->o->iface};
	char err[FT_ERRBUF_SIZE] = "";

	if (!pipeline_snapshot(&c->pl, inputs, 1, wall_ns, c->snap->fp))
		return;
	if (!out_close(c->snap, err) || c->snap->quiet_epipe)
		snprintf(err, sizeof(err), "%s: cannot write a snapshot",
			 c->snap->name);
	say(c, "%s; no more snapshots", err);
	c->snap = NULL;
}

/*
 * The tracker's loop: ticks, and the capture thread's batches until it
 * has ended (a signal, --duration, --count, an error) and every batch it
 * queued was tracked. A dead report reader or no memory ends the capture
 * from here.
 */
static void run(struct live_ctx *c)
{
	const struct ft_opts *o = c->o;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t next_tick = t0, next_status = t0 + o->interval_ns;
	uint64_t next_snap = t0 + o->snapshot_ns;
	struct lcap_batch *b;

	for (;;) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC), wall;
		int ending = c->oom || c->out_failed;

		if (now >= next_tick && !ending) {
			wall = clock_ns(CLOCK_REALTIME);
			check_alerts(c, wall);
			update_stats(c, wall);
			/*
			 * Flow lines and alerts reach a reader promptly. When
			 * the report cannot be written (reader gone, disk
			 * full) capturing is pointless: stop, and let the
			 * report's close tell why.
			 */
			if (fflush(c->out) || ferror(c->out)) {
				c->out_failed = 1;
				lcap_abort(c->lc);
				continue;
			}
			if (now >= next_status) {
				status_show(c, wall);
				metrics_update(c, wall);
				lcap_flush(c->lc);
				next_status = now + o->interval_ns;
			}
			if (c->snap && now >= next_snap) {
				snapshot(c, wall);
				next_snap += o->snapshot_ns;
				if (next_snap <= now)
					next_snap = now + o->snapshot_ns;
			}
			next_tick = now + TICK_NS;
			/* A crossing or a grouped line due before the tick */
			if (c->wake_wall_ns > wall &&
			    c->wake_wall_ns - wall < TICK_NS)
				next_tick = now + (c->wake_wall_ns - wall);
		}
		b = lcap_next(c->lc, ending ? now + TICK_NS : next_tick);
		if (b) {
			/* Without memory the rest is only given back. */
			if (!c->oom)
				track(c, b);
			lcap_release(c->lc, b);
		} else if (lcap_done(c->lc)) {
			return;
		}
	}
}

int cmd_live(int argc, char **argv)
{
	struct ft_opts o;
	struct pipeline_config pc;
	struct live_ctx ctx;
	struct live_config lc;
	struct out_file out = {0}, snap = {0};
	struct flow_hooks watch = {
		.done = watch_done,
		.close_wait = watch_close_wait,
	};
	struct sig_saved saved;
	struct passwd *pw;
	char err[FT_ERRBUF_SIZE] = "", ierr[FT_ERRBUF_SIZE] = "";
	char oerr[FT_OPTS_ERRBUF], lg[32];
	const char *input_error = NULL;
	const char *inputs[1];
	char *user = NULL;
	struct ev *ev = NULL;
	struct pack pack = {0};
	struct html_input hin = {0};
	uid_t uid = 0;
	gid_t gid = 0;
	int status = FT_EXIT_OK, signals = 0, rc;

	memset(&ctx, 0, sizeof(ctx));
		if (opts_parse(argc, argv, OPTS_LIVE, &o, oerr)) {
		fprintf(stderr, "fintrace live: %s\n", oerr);
		fprintf(stderr, "Try 'fintrace live --help'.\n");
		return FT_EXIT_USAGE;
	}
	if (o.help) {
		fputs(opts_usage(OPTS_LIVE), stdout);
		return FT_EXIT_OK;
	}
	if (o.write_file && !strcmp(o.write_file, "-") &&
	    (!o.output || !strcmp(o.output, "-"))) {
		fprintf(stderr,
			"fintrace live: -w - writes packets to standard "
			"output: give the report a file with -o\n");
		return FT_EXIT_USAGE;
	}
	ctx.o = &o;
	inputs[0] = o.iface;

	if (o.user) {
		/* Resolve now: a typo must not cost a capture. */
		errno = 0;
		pw = getpwnam(o.user);
		if (!pw) {
			fprintf(stderr, "fintrace live: -Z %s: %s\n", o.user,
				errno ? strerror(errno) : "no such user");
			return FT_EXIT_INPUT;
		}
		if (geteuid()) {
			fprintf(stderr,
				"fintrace live: -Z %s: only root can switch "
				"users (this process runs as uid %u)\n",
				o.user, (unsigned)geteuid());
			return FT_EXIT_INPUT;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		user = strdup(pw->pw_name);
		if (!user) {
			fprintf(stderr, "fintrace live: out of memory\n");
			return FT_EXIT_INPUT;
		}
	}

	if (o.metrics) {
		/* A port in use must not cost a capture: bind first. */
		ctx.em = em_start(MXT_LIVE, o.metrics, err);
		if (!ctx.em) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = FT_EXIT_INPUT;
			goto out;
		}
	}
	lc = (struct live_config){
		.iface = o.iface,
		.filter = o.filter,
		.snaplen = o.snaplen,
		.buffer_kib = o.buffer_kib,
		.timeout_ms = BUFFER_TIMEOUT_MS,
		.promisc = o.promisc,
	};
	ctx.cap = live_open(&lc, err);
	if (!ctx.cap) {
		if (errno == EPERM)
			permission_message(&o, err);
		else
			fprintf(stderr, "fintrace live: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	ctx.dlt = live_datalink(ctx.cap);
	if (o.write_file && live_write_open(ctx.cap, o.write_file, err)) {
		fprintf(stderr, "fintrace live: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (out_open(&out, o.output, err)) {
		fprintf(stderr, "fintrace live: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (o.snapshot_ns) {
		if (out_append(&snap, o.snapshot_file, err)) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = FT_EXIT_INPUT;
			goto out;
		}
		ctx.snap = &snap;
	}
	if (o.evidence_file && pack_is_dir(o.evidence_file)) {
		opts_pipeline_config(&o, &pc);
		rc = pack_open(&pack, o.evidence_file, o.force, &pc, "live",
			       argc, argv, err);
		/* -Z: the pack's last files are written as that user */
		if (!rc && user && chown(pack.dir, uid, gid)) {
			rc = -errno;
			snprintf(err, sizeof(err), "%s: %s", o.evidence_file,
				 strerror(errno));
		}
		if (rc) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = rc == -ENOTEMPTY ? FT_EXIT_USAGE
						  : FT_EXIT_INPUT;
			goto out;
		}
		ctx.pack = &pack;
		o.evidence_file = pack.evidence;
	}
	if (o.evidence_file) {
		/* One pass only: packets of undecided flows wait in memory. */
		struct ev_config ec = {
			.path = o.evidence_file,
			.verdicts = o.evidence_verdicts,
			.buffer_bytes = o.evidence_buffer,
			.nsec = 1,
			.streaming = 1,
		};

		ev = ev_open(&ec, err);
		if (!ev) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = FT_EXIT_INPUT;
			goto out;
		}
	}
	/* Everything that needs root is open: give root up. */
	if (user && drop_privileges(user, uid, gid, err)) {
		fprintf(stderr, "fintrace live: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	ctx.al = al_new_watch("live", o.format == RPT_JSON, o.alert_each,
			      o.local_time, o.linger_ns, o.interval_ns, out.fp,
			      clear_for_alert, &ctx);
	if (!ctx.al) {
		fprintf(stderr, "fintrace live: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	opts_pipeline_config(&o, &pc);
	if (pipeline_init(&ctx.pl, &pc, out.fp, "live")) {
		fprintf(stderr, "fintrace live: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	pipeline_watch(&ctx.pl, &watch, &ctx);
	pipeline_metrics(&ctx.pl, ctx.em);
	if (ev)
		pipeline_evidence(&ctx.pl, ev, 1);
	ctx.out = out.fp;
	if (!o.progress)
		ctx.status = STATUS_OFF;
	else
		ctx.status =
			isatty(STDERR_FILENO) ? STATUS_TERMINAL : STATUS_LINES;

	/* -Z is done: the capture thread starts as that user. */
	{
		struct lcap_config qc = {
			.cap = ctx.cap,
			.snaplen = o.snaplen,
			.count = o.count,
			.duration_ns = o.duration_ns,
		};

		ctx.lc = lcap_start(&qc, err);
	}
	if (!ctx.lc) {
		fprintf(stderr, "fintrace live: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	sig_lc = ctx.lc;
	rc = sig_install(&saved, on_stop);
	if (rc) {
		fprintf(stderr, "fintrace live: signals: %s\n", strerror(-rc));
		status = FT_EXIT_INPUT;
		goto out;
	}
	signals = 1;
	if (*live_warning(ctx.cap))
		say(&ctx, "warning: %s", live_warning(ctx.cap));
	say(&ctx,
	    "listening on %s (%s), snapshot length %u, linger %s%s%s; "
	    "Ctrl-C ends with the report",
	    o.iface, live_datalink_name(ctx.cap), o.snaplen,
	    rpt_fmt_duration(lg, sizeof(lg), o.linger_ns),
	    o.write_file ? ", writing to " : "",
	    o.write_file ? o.write_file : "");

	run(&ctx);
	{
		struct lcap_end end;

		rc = lcap_finish(ctx.lc, &end, err);
		ctx.stop_ns = end.stop_ns;
	}
	if (ctx.oom) {
		snprintf(err, sizeof(err),
			 "out of memory after %" PRIu64
			 " packets (try --max-flows)",
			 ctx.pl.frames);
		rc = -ENOMEM;
	}
	if (rc) {
		/* One line now; the report still covers what was captured. */
		say(&ctx, "%s", err);
		snprintf(ierr, sizeof(ierr), "%s", err);
		input_error = ierr;
		status = FT_EXIT_INPUT;
	}
	/* Crossings folded into a line not yet due: written now. */
	check_alerts(&ctx, ctx.stop_ns);
	al_flush(ctx.al, ctx.stop_ns);
	update_stats(&ctx, ctx.stop_ns);
	metrics_update(&ctx, ctx.stop_ns);
	status_clear(&ctx);
	fprintf(stderr,
		"fintrace live: %s: %" PRIu64 " packets captured, %" PRIu64
		" received by the filter, %" PRIu64
		" dropped by the kernel, %" PRIu64
		" dropped by the interface, %" PRIu64
		" dropped by fintrace (queue full)\n",
		o.iface, ctx.st.taken, ctx.st.received, ctx.st.kernel_drops,
		ctx.st.if_drops, ctx.st.queue_drops);
	if (live_write_close(ctx.cap, err)) {
		if (!input_error) {
			fprintf(stderr, "fintrace live: %s\n", err);
			snprintf(ierr, sizeof(ierr), "%s", err);
			input_error = ierr;
		}
		status = FT_EXIT_INPUT;
	}
	/* A socket still in CLOSE_WAIT has been there until the stop. */
	if (ctx.pl.first_ns && ctx.stop_ns > ctx.pl.last_ns)
		ctx.pl.last_ns = ctx.stop_ns;
	{
		uint64_t now = clock_ns(CLOCK_REALTIME);

		pipeline_set_end(&ctx.pl, ctx.stop_ns && ctx.stop_ns < now
						  ? ctx.stop_ns
						  : now);
	}
	if (ev) {
		pipeline_flush(&ctx.pl);
		if (pipeline_evidence_finish(&ctx.pl, &pc, err)) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	rc = pipeline_finish(&ctx.pl, inputs, 1, input_error);
	/* the verdicts of the last flows; the gauges stay as at the stop */
	pipeline_metrics_publish(&ctx.pl);
	hin.name = o.iface;
	hin.format = "live capture";
	if (ctx.pack) {
		struct pack_run run = {
			.inputs = inputs,
			.ninputs = 1,
			.error = input_error,
			.ev = ev,
			.c = &pc,
			.in = &hin,
			.nin = 1,
			.argc = argc,
			.argv = argv,
		};

		if (pack_finish(&pack, &ctx.pl, &run, err)) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	if (o.report_file) {
		if (pipeline_html(&ctx.pl, o.report_file, &hin, 1, argc, argv,
				  err)) {
			fprintf(stderr, "fintrace live: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	err[0] = '\0';
	if (out_close(&out, err) || rc) {
		if (!out.quiet_epipe)
			fprintf(stderr, "fintrace live: %s\n",
				rc && !err[0] ? "cannot write the report"
					      : err);
		status = FT_EXIT_INPUT;
	} else if (status == FT_EXIT_OK && pipeline_failed(&ctx.pl)) {
		status = FT_EXIT_FAIL_ON;
	} else if (status == FT_EXIT_OK && pipeline_no_match(&ctx.pl)) {
		status = FT_EXIT_NO_MATCH;
	}
out:
	if (signals)
		sig_restore(&saved);
	sig_lc = NULL;
	lcap_free(ctx.lc);
	cw_free_all(&ctx);
	al_free(ctx.al);
	pipeline_free(&ctx.pl);
	pack_free(&pack);
	ev_free(ev);
	out_close(&out, NULL);
	out_close(&snap, NULL);
	live_free(ctx.cap);
	em_stop(ctx.em);
	free(user);
	return status;
}
