/* SPDX-License-Identifier: MIT */
/*
 * Grouped alerts of the watching modes; see alerts.h.
 *
 * Each group keeps the sockets it has in CLOSE_WAIT on a list ordered by
 * the time they entered it (entries come nearly in order: inserted from
 * the tail), so the oldest is its head. Groups with crossings or closes
 * not yet written are on a pending list, the only one al_tick() walks;
 * groups that wrote a line recently are on a cool-down list in the order
 * they wrote, and a group is freed once it is empty, has nothing pending
 * and its interval is over (so a leak that comes and goes still gets one
 * line per interval).
 */
#include "engine/alerts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "analysis/report.h"

#define NS ((uint64_t)1000000000)
#define LINE_MAX_LEN 1024

struct al_gkey {
	uint32_t netns;
	uint32_t pid;
	uint16_t port;
	uint8_t group;
	uint8_t family;
	uint8_t addr[16];
	char comm[AL_COMM_LEN];
};

struct al_grp;

/* A socket in CLOSE_WAIT. */
struct al_member {
	struct al_skey {
		uint64_t id;
		uint32_t netns;
		uint32_t zero;
	} key;
	uint64_t cw_start_ns;
	uint8_t at_least;
	struct al_grp *g;
	struct al_member *prev, *next; /* g's list, by cw_start_ns */
	UT_hash_handle hh;
};

struct al_grp {
	struct al_gkey key;
	uint64_t in_cw;
	struct al_member *head, *tail;
	/* pending since the last line */
	uint64_t crossed;
	uint64_t closed;
	uint64_t longest_ns; /* longest close-wait among the closed */
	uint8_t longest_at_least;
	uint8_t pending;
	uint8_t cooling;
	uint64_t first_ns;	      /* first pending event */
	uint64_t last_line_ns;	      /* 0: none yet */
	struct al_grp *pprev, *pnext; /* pending list */
	struct al_grp *cprev, *cnext; /* cool-down list, by last_line_ns */
	UT_hash_handle hh;
};

struct al {
	struct al_config c;
	struct al_grp *groups;
	struct al_member *members;
	struct al_grp *pend_head, *pend_tail;
	struct al_grp *cool_head, *cool_tail;
	uint64_t now_ns; /* latest time seen */
	uint64_t lines;
};

/* One line being built. */
struct line {
	char buf[LINE_MAX_LEN];
	size_t n;
};

static void put(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->n >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	k = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += (size_t)k;
	if (l->n >= sizeof(l->buf))
		l->n = sizeof(l->buf) - 1;
}

/* A JSON string; comm is the only text not of our own making. */
static void put_json_str(struct line *l, const char *s)
{
	put(l, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			put(l, "\\%c", ch);
		else if (ch < 0x20)
			put(l, "\\u%04x", ch);
		else
			put(l, "%c", ch);
	}
	put(l, "\"");
}

/* A comm safe for a line of text: no control bytes. */
static void put_text_comm(struct line *l, const char *s)
{
	for (size_t i = 0; i < AL_COMM_LEN && s[i]; i++)
		put(l, "%c", (unsigned char)s[i] < 0x20 ? '_' : s[i]);
}

static void put_secs(struct line *l, uint64_t ns)
{
	put(l, "%" PRIu64 ".%09" PRIu64, ns / NS, ns % NS);
}

static void put_dur(struct line *l, uint64_t ns)
{
	char d[32];

	put(l, "%s", rpt_fmt_duration(d, sizeof(d), ns));
}

const char *al_group_name(enum al_group g)
{
	switch (g) {
	case AL_BY_HOST:
		return "host";
	case AL_BY_PROCESS:
		return "process";
	case AL_BY_SERVICE:
	default:
		return "service";
	}
}

static void gkey_of(struct al_gkey *k, const struct al_sock *s)
{
	memset(k, 0, sizeof(*k));
	k->group = s->group;
	k->family = s->family;
	if (s->group == AL_BY_HOST) {
		memcpy(k->addr, s->client, 16);
		return;
	}
	memcpy(k->addr, s->server, 16);
	k->port = s->server_port;
	if (s->group == AL_BY_PROCESS) {
		k->netns = s->netns;
		k->pid = s->pid;
		if (s->pid)
			memcpy(k->comm, s->comm, AL_COMM_LEN - 1);
	}
}

/* ---- lists ---- */

static void pend_add(struct al *a, struct al_grp *g, uint64_t now)
{
	if (g->pending)
		return;
	g->pending = 1;
	g->first_ns = now;
	g->pnext = NULL;
	g->pprev = a->pend_tail;
	if (a->pend_tail)
		a->pend_tail->pnext = g;
	else
		a->pend_head = g;
	a->pend_tail = g;
}

static void pend_del(struct al *a, struct al_grp *g)
{
	if (!g->pending)
		return;
	if (g->pprev)
		g->pprev->pnext = g->pnext;
	else
		a->pend_head = g->pnext;
	if (g->pnext)
		g->pnext->pprev = g->pprev;
	else
		a->pend_tail = g->pprev;
	g->pending = 0;
}

static void cool_del(struct al *a, struct al_grp *g)
{
	if (!g->cooling)
		return;
	if (g->cprev)
		g->cprev->cnext = g->cnext;
	else
		a->cool_head = g->cnext;
	if (g->cnext)
		g->cnext->cprev = g->cprev;
	else
		a->cool_tail = g->cprev;
	g->cooling = 0;
}

static void cool_add(struct al *a, struct al_grp *g)
{
	cool_del(a, g);
	g->cooling = 1;
	g->cnext = NULL;
	g->cprev = a->cool_tail;
	if (a->cool_tail)
		a->cool_tail->cnext = g;
	else
		a->cool_head = g;
	a->cool_tail = g;
}

static int interval_over(const struct al *a, const struct al_grp *g,
			 uint64_t now)
{
	return !g->last_line_ns || now >= g->last_line_ns + a->c.interval_ns;
}

/* Take the head of the cool-down list off it when its interval is over. */
static struct al_grp *cool_pop(struct al *a, uint64_t now)
{
	struct al_grp *g = a->cool_head;

	if (!g || !interval_over(a, g, now))
		return NULL;
	a->cool_head = g->cnext;
	if (a->cool_head)
		a->cool_head->cprev = NULL;
	else
		a->cool_tail = NULL;
	g->cnext = NULL;
	g->cooling = 0;
	return g;
}

/* Free g when nothing needs it any more. */
static void grp_collect(struct al *a, struct al_grp *g)
{
	if (g->in_cw || g->pending || !interval_over(a, g, a->now_ns))
		return;
	cool_del(a, g);
	HASH_DEL(a->groups, g);
	free(g);
}

static struct al_grp *grp_get(struct al *a, const struct al_sock *s)
{
	struct al_gkey k;
	struct al_grp *g;

	gkey_of(&k, s);
	HASH_FIND(hh, a->groups, &k, sizeof(k), g);
	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->key = k;
	HASH_ADD(hh, a->groups, key, sizeof(g->key), g);
	return g;
}

static void see(struct al *a, uint64_t now)
{
	if (now > a->now_ns)
		a->now_ns = now;
}

/* ---- lines ---- */

/* A host's address, without a port. */
static char *fmt_host(char *buf, size_t n, const struct al_gkey *k)
{
	if (!inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->addr, buf,
		       (socklen_t)n))
		snprintf(buf, n, "?");
	return buf;
}

static void put_group_text(struct line *l, const struct al_gkey *k)
{
	char ep[64];

	if (k->group == AL_BY_HOST) {
		put(l, "client host %s", fmt_host(ep, sizeof(ep), k));
		return;
	}
	if (k->group == AL_BY_PROCESS) {
		if (k->pid) {
			put(l, "pid %u (", k->pid);
			put_text_comm(l, k->comm);
			put(l, "), ");
		} else {
			put(l, "owner unknown, ");
		}
	}
	put(l, "service %s",
	    rpt_fmt_endpoint(ep, sizeof(ep), k->addr, k->family, k->port));
}

static void put_group_json(struct line *l, const struct al_gkey *k)
{
	char ep[64];

	put(l, ",\"group\":\"%s\"", al_group_name((enum al_group)k->group));
	if (k->group == AL_BY_HOST) {
		put(l, ",\"host\":\"%s\"", fmt_host(ep, sizeof(ep), k));
		return;
	}
	if (k->group == AL_BY_PROCESS) {
		if (k->pid) {
			put(l, ",\"pid\":%u,\"comm\":", k->pid);
			put_json_str(l, k->comm);
		} else {
			put(l, ",\"pid\":null,\"comm\":null");
		}
		put(l, ",\"netns\":%u", k->netns);
	}
	put(l, ",\"service\":\"%s\"",
	    rpt_fmt_endpoint(ep, sizeof(ep), k->addr, k->family, k->port));
}

/* "(28 in CLOSE_WAIT now, oldest 25.9s)" and its JSON fields. */
static void put_now(struct line *l, const struct al *a, const struct al_grp *g,
		    uint64_t now, int json)
{
	const struct al_member *o = g->head;
	uint64_t age = o && now > o->cw_start_ns ? now - o->cw_start_ns : 0;

	if (json) {
		put(l, ",\"in_close_wait\":%" PRIu64 ",\"oldest\":", g->in_cw);
		if (o)
			put_secs(l, age);
		else
			put(l, "null");
		put(l, ",\"oldest_at_least\":%s",
		    o && o->at_least ? "true" : "false");
		put(l, ",\"linger\":");
		put_secs(l, a->c.linger_ns);
		return;
	}
	if (!o) {
		put(l, "none in CLOSE_WAIT now");
		return;
	}
	put(l, "%" PRIu64 " in CLOSE_WAIT now, oldest %s", g->in_cw,
	    o->at_least ? "at least " : "");
	put_dur(l, age);
}

static void put_time_json(struct line *l, uint64_t now)
{
	char t[48];

	put(l, ",\"time\":\"%s\"}\n", rpt_fmt_iso(t, sizeof(t), now));
}

static void put_head(struct line *l, const struct al *a, int closed,
		     uint64_t now)
{
	char t[48];

	if (a->c.json) {
		put(l, "{\"type\":\"alert\",\"event\":\"%s\",\"mode\":\"%s\"",
		    closed ? "closed" : "linger", a->c.mode);
		return;
	}
	put(l, "fintrace %s: %s %s ", a->c.mode, closed ? "CLOSED" : "ALERT",
	    rpt_fmt_time(t, sizeof(t), now, a->c.local_time));
}

static void emit(struct al *a, const struct line *l)
{
	if (a->c.before_write)
		a->c.before_write(a->c.ctx);
	fwrite(l->buf, 1, l->n, a->c.out);
	/* A monitor reading the stream must see it now. */
	fflush(a->c.out);
	a->lines++;
}

/* The grouped line of g's crossings (closed 0) or closes (closed 1). */
static void grp_line(struct al *a, const struct al_grp *g, int closed,
		     uint64_t now)
{
	uint64_t n = closed ? g->closed : g->crossed;
	struct line l = {.n = 0};

	put_head(&l, a, closed, now);
	if (a->c.json) {
		put_group_json(&l, &g->key);
		put(&l, ",\"count\":%" PRIu64, n);
		if (closed) {
			put(&l, ",\"longest\":");
			put_secs(&l, g->longest_ns);
			put(&l, ",\"longest_at_least\":%s",
			    g->longest_at_least ? "true" : "false");
		}
		put_now(&l, a, g, now, 1);
		put_time_json(&l, now);
		emit(a, &l);
		return;
	}
	put_group_text(&l, &g->key);
	put(&l, ": %" PRIu64 " socket%s ", n, n == 1 ? "" : "s");
	if (closed)
		put(&l, "left CLOSE_WAIT after crossing ");
	else
		put(&l, "crossed ");
	put_dur(&l, a->c.linger_ns);
	if (closed) {
		put(&l, " (longest %s", g->longest_at_least ? "at least " : "");
		put_dur(&l, g->longest_ns);
		put(&l, "; ");
	} else {
		put(&l, " in CLOSE_WAIT (");
	}
	put_now(&l, a, g, now, 0);
	put(&l, ")\n");
	emit(a, &l);
}

/* The per-socket line (each). */
static void sock_line(struct al *a, const struct al_grp *g,
		      const struct al_sock *s, int closed, uint64_t now)
{
	char cli[64], srv[64], since[48];
	uint64_t cw = now > s->cw_start_ns ? now - s->cw_start_ns : 0;
	const char *passive = s->passive_client ? "client" : "server";
	struct line l = {.n = 0};

	rpt_fmt_endpoint(cli, sizeof(cli), s->client, s->family,
			 s->client_port);
	rpt_fmt_endpoint(srv, sizeof(srv), s->server, s->family,
			 s->server_port);
	rpt_fmt_time(since, sizeof(since), s->cw_start_ns,
		     a->c.local_time && !a->c.json);
	put_head(&l, a, closed, now);
	if (a->c.json) {
		put_group_json(&l, &g->key);
		put(&l, ",\"count\":1");
		put_now(&l, a, g, now, 1);
		put(&l,
		    ",\"client\":\"%s\",\"server\":\"%s\",\"passive\":\"%s\","
		    "\"close_wait\":",
		    cli, srv, passive);
		put_secs(&l, cw);
		put(&l, ",\"close_wait_at_least\":%s,\"since\":\"%s\"",
		    s->at_least ? "true" : "false", since);
		if (a->c.kernel)
			put(&l, ",\"cookie\":%" PRIu64 ",\"pre_existing\":%s",
			    s->id, s->pre_existing ? "true" : "false");
		else
			put(&l,
			    ",\"id\":%" PRIu64 ",\"first_frame\":%" PRIu64
			    ",\"fin_frame\":%" PRIu64,
			    s->id, s->first_frame, s->fin_frame);
		if (closed) {
			put(&l, ",\"closed_by\":");
			if (s->closed_by)
				put(&l, "\"%s\"", s->closed_by);
			else
				put(&l, "null");
			if (!a->c.kernel) {
				put(&l, ",\"close_frame\":%" PRIu64,
				    s->close_frame);
			} else if (s->closer_pid) {
				put(&l, ",\"closer_pid\":%u,\"closer_comm\":",
				    s->closer_pid);
				put_json_str(&l, s->closer_comm);
			}
		}
		put_time_json(&l, now);
		emit(a, &l);
		return;
	}
	put_group_text(&l, &g->key);
	put(&l, ": socket %s -> %s ", cli, srv);
	if (closed)
		put(&l, "left CLOSE_WAIT after %s",
		    s->at_least ? "at least " : "");
	else
		put(&l, "crossed ");
	put_dur(&l, closed ? cw : a->c.linger_ns);
	put(&l, "%s (%s side", closed ? "" : " in CLOSE_WAIT", passive);
	if (!closed)
		put(&l, " since %s%s", s->at_least ? "before " : "", since);
	if (closed && s->closed_by)
		put(&l, ", %s", s->closed_by);
	if (closed && !a->c.kernel && s->close_frame)
		put(&l, " in frame %" PRIu64, s->close_frame);
	if (closed && a->c.kernel && s->closer_pid) {
		put(&l, " by pid %u (", s->closer_pid);
		put_text_comm(&l, s->closer_comm);
		put(&l, ")");
	}
	if (a->c.kernel)
		put(&l, "; cookie %" PRIu64 ", netns %u%s", s->id, s->netns,
		    s->pre_existing ? ", already lingering when tracing began"
				    : "");
	else
		put(&l, "; flow %" PRIu64 " from frame %" PRIu64, s->id,
		    s->first_frame);
	if (!a->c.kernel && s->fin_frame)
		put(&l, ", FIN in frame %" PRIu64, s->fin_frame);
	put(&l, "; ");
	put_now(&l, a, g, now, 0);
	put(&l, ")\n");
	emit(a, &l);
}

/* Write g's pending lines at now. */
static void grp_flush(struct al *a, struct al_grp *g, uint64_t now)
{
	if (g->crossed)
		grp_line(a, g, 0, now);
	if (g->closed)
		grp_line(a, g, 1, now);
	g->crossed = g->closed = 0;
	g->longest_ns = 0;
	g->longest_at_least = 0;
	g->last_line_ns = now;
	pend_del(a, g);
	cool_add(a, g);
}

static uint64_t grp_due(const struct al *a, const struct al_grp *g)
{
	uint64_t due = g->first_ns + a->c.hold_ns;

	if (g->last_line_ns && g->last_line_ns + a->c.interval_ns > due)
		due = g->last_line_ns + a->c.interval_ns;
	return due;
}

/* ---- API ---- */

struct al *al_new(const struct al_config *c)
{
	struct al *a = calloc(1, sizeof(*a));

	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	a->c = *c;
	if (!a->c.interval_ns)
		a->c.interval_ns = 5 * NS;
	if (!a->c.mode)
		a->c.mode = "live";
	if (!a->c.out)
		a->c.out = stderr;
	return a;
}

struct al *al_new_watch(const char *mode, int json, int each, int local_time,
			uint64_t linger_ns, uint64_t interval_ns,
			FILE *report, void (*before_write)(void *ctx),
			void *ctx)
{
	return al_new(&(struct al_config){
		.mode = mode,
		.kernel = !strcmp(mode, "kernel"),
		.json = json,
		.each = each,
		.local_time = local_time,
		.linger_ns = linger_ns,
		.interval_ns = interval_ns,
		.hold_ns = AL_HOLD_NS,
		/* JSON: lines of the report; text and CSV: stderr */
		.out = json ? report : stderr,
		.before_write = before_write,
		.ctx = ctx,
	});
}

void al_free(struct al *a)
{
	struct al_member *m, *mt;
	struct al_grp *g, *gt;

	if (!a)
		return;
	HASH_ITER(hh, a->members, m, mt)
	{
		HASH_DEL(a->members, m);
		free(m);
	}
	HASH_ITER(hh, a->groups, g, gt)
	{
		HASH_DEL(a->groups, g);
		free(g);
	}
	free(a);
}

static struct al_member *member_find(const struct al *a,
				     const struct al_sock *s)
{
	struct al_skey k = {.id = s->id, .netns = s->netns, .zero = 0};
	struct al_member *m;

	HASH_FIND(hh, a->members, &k, sizeof(k), m);
	return m;
}

/* Take m off its group's list; the group may go. */
static void member_unlink(struct al *a, struct al_member *m)
{
	struct al_grp *g = m->g;

	if (m->prev)
		m->prev->next = m->next;
	else
		g->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		g->tail = m->prev;
	g->in_cw--;
	m->g = NULL;
	grp_collect(a, g);
}

int al_enter(struct al *a, const struct al_sock *s)
{
	struct al_member *m = member_find(a, s), *p;
	struct al_grp *g;

	if (m) {
		member_unlink(a, m);
	} else {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		m->key.id = s->id;
		m->key.netns = s->netns;
		HASH_ADD(hh, a->members, key, sizeof(m->key), m);
	}
	g = grp_get(a, s);
	if (!g) {
		HASH_DEL(a->members, m);
		free(m);
		return -ENOMEM;
	}
	m->cw_start_ns = s->cw_start_ns;
	m->at_least = s->at_least;
	m->g = g;
	for (p = g->tail; p && p->cw_start_ns > m->cw_start_ns; p = p->prev)
		;
	m->prev = p;
	m->next = p ? p->next : g->head;
	if (m->next)
		m->next->prev = m;
	else
		g->tail = m;
	if (p)
		p->next = m;
	else
		g->head = m;
	g->in_cw++;
	return 0;
}

void al_leave(struct al *a, const struct al_sock *s)
{
	struct al_member *m = member_find(a, s);

	if (!m)
		return;
	HASH_DEL(a->members, m);
	member_unlink(a, m);
	free(m);
}

/* A crossing (closed 0) or a close (closed 1) of s at now. */
static int note(struct al *a, const struct al_sock *s, int closed, uint64_t now)
{
	struct al_grp *g;
	uint64_t cw;

	see(a, now);
	g = grp_get(a, s);
	if (!g)
		return -ENOMEM;
	if (a->c.each) {
		sock_line(a, g, s, closed, now);
		grp_collect(a, g);
		return 0;
	}
	pend_add(a, g, now);
	if (!closed) {
		g->crossed++;
		return 0;
	}
	g->closed++;
	cw = now > s->cw_start_ns ? now - s->cw_start_ns : 0;
	if (cw > g->longest_ns) {
		g->longest_ns = cw;
		g->longest_at_least = s->at_least;
	}
	return 0;
}

int al_linger(struct al *a, const struct al_sock *s, uint64_t now_ns)
{
	return note(a, s, 0, now_ns);
}

int al_closed(struct al *a, const struct al_sock *s, uint64_t now_ns)
{
	return note(a, s, 1, now_ns);
}

uint64_t al_tick(struct al *a, uint64_t now_ns)
{
	struct al_grp *g, *next;
	uint64_t next_due = UINT64_MAX, due;

	see(a, now_ns);
	for (g = a->pend_head; g; g = next) {
		next = g->pnext;
		due = grp_due(a, g);
		if (due <= now_ns)
			grp_flush(a, g, now_ns);
		else if (due < next_due)
			next_due = due;
	}
	while ((g = cool_pop(a, now_ns)))
		grp_collect(a, g);
	return next_due;
}

void al_flush(struct al *a, uint64_t now_ns)
{
	struct al_grp *g;

	see(a, now_ns);
	while ((g = a->pend_head))
		grp_flush(a, g, now_ns);
}

uint64_t al_lines(const struct al *a)
{
	return a->lines;
}
