// SPDX-License-Identifier: MIT
/*
 * The kernel monitor loop: tracer -> tracker, plus sock_diag seeding and
 * timewait sampling (followed sockets and TIME_WAIT pressure), plus /proc
 * owner lookup. See monitor.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/monitor.h"
#include "bpf/owner.h"
#include "bpf/sockdiag.h"

#define MON_TW_DEFAULT_NS 1000000000ull
#define MON_OWNER_DEFAULT_NS 200000000ull
#define MON_OWNER_BATCH 4096
#define MON_NETNS_MAX 256
#define MON_DRAIN_ROUNDS 1000
/*
 * The table is scanned for the next alert at most this often: a socket
 * entering CLOSE_WAIT crosses the threshold no earlier than linger later.
 */
#define MON_SCAN_NS 20000000ull
#define MON_TICK_NS 1000000000ull
#define MON_QUIET_NS 200000000ull
#define MON_TW_SHARE_DEFAULT 50
/* Linux's default net.ipv4.ip_local_port_range */
#define MON_PORT_LO_DEFAULT 32768
#define MON_PORT_HI_DEFAULT 60999
#define MON_PORT_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"

struct mon;

/* One timewait sample being collected. */
struct tw_vec {
	struct mon *m;
	struct ks_tw *v; /* followed sockets' namespaces only */
	size_t n, cap;
	struct tw_sock_ep *ep; /* TIME_WAIT, filters applied */
	size_t nep, cap_ep;
	const uint32_t *follow; /* namespaces with followed sockets */
	size_t nfollow;
	uint32_t range_ns; /* namespace of lo-hi below; 0: none */
	uint16_t lo, hi;
};

struct mon {
	struct mon_opts o;
	struct trc *trc;
	struct ks_table *ks;
	uint64_t start_ns;
	uint64_t next_tw_ns;
	uint64_t next_owner_ns;
	uint64_t next_alert_ns; /* cached ks_next_alert_ns() */
	uint64_t next_scan_ns;	/* when to refresh the cache */
	uint64_t next_tick_ns;	/* growth sampling */
	int dirty;		/* records arrived since the last scan */
	uint64_t lost_seen;	/* lost count at the last reconciliation */
	uint64_t seeded;
	uint64_t wall_off; /* wall_ns = mono_ns + wall_off */
	struct tw *tw;	   /* TIME_WAIT pressure */
	uint16_t host_lo;  /* clients' ports when a namespace's own */
	uint16_t host_hi;  /* cannot be read (or o.port_lo/hi) */
	uint64_t tw_now;   /* sockets in TIME_WAIT, last sample */
	uint64_t tw_peak;
	char reduced[FT_ERRBUF_SIZE];
};

uint64_t mon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The tracer's record kinds and reset causes are the tracker's. */
#define MON_SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(MON_SAME(TRC_EV_STATE, KS_EV_STATE) &&
		       MON_SAME(TRC_EV_RST_SENT, KS_EV_RST_SENT) &&
		       MON_SAME(TRC_EV_RST_RECV, KS_EV_RST_RECV) &&
		       MON_SAME(TRC_EV_DESTROY, KS_EV_DESTROY) &&
		       MON_SAME(TRC_EV_ACCEPT, KS_EV_ACCEPT),
	       "enum trc_kind and enum ks_kind must agree");
_Static_assert(MON_SAME(TRC_RST_NONE, KS_RST_NONE) &&
		       MON_SAME(TRC_RST_OTHER, KS_RST_OTHER) &&
		       MON_SAME(TRC_RST_UNREAD, KS_RST_UNREAD) &&
		       MON_SAME(TRC_RST_ABORT, KS_RST_ABORT) &&
		       MON_SAME(TRC_RST_MEMORY, KS_RST_MEMORY) &&
		       MON_SAME(TRC_RST_KEEPALIVE, KS_RST_KEEPALIVE) &&
		       MON_SAME(TRC_RST_LINGER2, KS_RST_LINGER2),
	       "enum trc_rst and enum ks_rst must agree");
_Static_assert(TRC_COMM_LEN == KS_COMM_LEN, "comm lengths must agree");

static int on_event(void *ctx, const struct trc_event *te)
{
	struct mon *m = ctx;
	struct ks_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.mono_ns = te->mono_ns;
	ev.cookie = te->cookie;
	ev.ino = te->ino;
	ev.netns = te->netns;
	ev.pid = te->pid;
	ev.unread = te->unread;
	memcpy(ev.laddr, te->saddr, 16);
	memcpy(ev.raddr, te->daddr, 16);
	ev.lport = te->sport;
	ev.rport = te->dport;
	ev.family = te->family;
	ev.kind = te->kind; /* enum trc_kind and enum ks_kind agree */
	ev.oldstate = te->oldstate;
	ev.newstate = te->newstate;
	ev.in_task = te->in_task;
	ev.rst = te->rst; /* enum trc_rst and enum ks_rst agree */
	memcpy(ev.comm, te->comm, KS_COMM_LEN);
	ev.comm[KS_COMM_LEN - 1] = '\0';
	ks_feed(m->ks, &ev);
	return 0;
}

/* The user-space half of the filters, for dumped sockets. */
static int pass_filters(const struct trc_opts *f, const struct sdg_sock *s)
{
	if (f->family && f->family != s->family)
		return 0;
	if (f->port && s->sport != f->port && s->dport != f->port)
		return 0;
	if (f->lport && s->sport != f->lport)
		return 0;
	if (f->rport && s->dport != f->rport)
		return 0;
	if (f->netns && s->netns != f->netns)
		return 0;
	return 1;
}

struct seed_ctx {
	struct mon *m;
	struct ks_seed *v;
	size_t n, cap;
};

static int seed_cb(void *ctx, const struct sdg_sock *s)
{
	struct seed_ctx *c = ctx;
	struct ks_seed *nv, *sd;

	if (!pass_filters(&c->m->o.trc, s))
		return 0;
	if (s->state != KS_TCP_CLOSE_WAIT && s->state != KS_TCP_FIN_WAIT2)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		nv = realloc(c->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = cap;
	}
	sd = &c->v[c->n++];
	memset(sd, 0, sizeof(*sd));
	sd->cookie = s->cookie;
	sd->ino = s->ino;
	sd->netns = s->netns;
	sd->family = s->family;
	sd->state = s->state;
	sd->timewait = s->timewait;
	memcpy(sd->laddr, s->saddr, 16);
	memcpy(sd->raddr, s->daddr, 16);
	sd->lport = s->sport;
	sd->rport = s->dport;
	return 0;
}

/*
 * Owners of the seeds, from one /proc scan; with a pid filter, keep only
 * the seeds that process holds.
 */
static void seed_owners(struct seed_ctx *c, uint32_t pid)
{
	struct own_result *res;
	size_t i, k = 0;

	res = calloc(c->n + 1, sizeof(*res));
	if (!res)
		return;
	for (i = 0; i < c->n; i++)
		res[i].ino = c->v[i].ino;
	if (own_lookup(res, c->n) < 0)
		c->n = pid ? 0 : c->n;
	/* own_lookup() sorted res by inode */
	for (i = 0; i < c->n; i++) {
		struct own_result key = {.ino = c->v[i].ino}, *hit = NULL;
		size_t j;

		for (j = 0; key.ino && j < c->n && !hit; j++)
			if (res[j].ino == key.ino)
				hit = &res[j];
		if (hit && hit->pid) {
			c->v[i].owner_pid = hit->pid;
			memcpy(c->v[i].owner_comm, hit->comm, KS_COMM_LEN);
		}
		if (!pid || c->v[i].owner_pid == pid)
			c->v[k++] = c->v[i];
	}
	c->n = k;
	free(res);
}

static void seed(struct mon *m)
{
	struct seed_ctx c = {.m = m};
	char err[FT_ERRBUF_SIZE];
	uint32_t states = 1u << KS_TCP_CLOSE_WAIT | 1u << KS_TCP_FIN_WAIT2 |
			  1u << KS_TCP_TIME_WAIT;
	uint32_t only = m->o.trc.netns;
	size_t i;

	if (sdg_dump_all(states, m->o.trc.family, only ? &only : NULL,
			 only ? 1 : 0, seed_cb, &c, err) < 0) {
		snprintf(m->reduced + strlen(m->reduced),
			 sizeof(m->reduced) - strlen(m->reduced),
			 "%sno start-up dump (%s)", m->reduced[0] ? "; " : "",
			 err);
	}
	seed_owners(&c, m->o.trc.pid);
	for (i = 0; i < c.n; i++) {
		if (ks_seed(m->ks, &c.v[i]) != 0)
			continue;
		m->seeded++;
		trc_track(m->trc, c.v[i].cookie);
	}
	free(c.v);
}

/*
 * net.ipv4.ip_local_port_range of the calling thread's network namespace
 * (/proc/sys/net follows the thread's namespace, also after setns()).
 * Returns 0 or -errno.
 */
static int read_port_range(uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	unsigned long a, b;
	ssize_t len;
	int fd;

	fd = open(MON_PORT_RANGE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	if (sscanf(buf, "%lu %lu", &a, &b) != 2 || !a || a > b || b > 65535)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int follows(const struct tw_vec *tv, uint32_t netns)
{
	size_t i;

	for (i = 0; i < tv->nfollow; i++)
		if (tv->follow[i] == netns)
			return 1;
	return 0;
}

static int tw_follow(struct tw_vec *tv, const struct sdg_sock *s)
{
	struct ks_tw *nv;

	if (tv->n == tv->cap) {
		size_t cap = tv->cap ? tv->cap * 2 : 256;

		nv = realloc(tv->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		tv->v = nv;
		tv->cap = cap;
	}
	tv->v[tv->n].cookie = s->cookie;
	tv->v[tv->n].netns = s->netns;
	tv->v[tv->n].expires_ms = s->expires_ms;
	tv->v[tv->n].substate = s->state;
	tv->n++;
	return 0;
}

static int tw_count(struct tw_vec *tv, const struct sdg_sock *s)
{
	const struct mon *m = tv->m;
	struct tw_sock_ep *nv, *e;

	if (tv->nep == tv->cap_ep) {
		size_t cap = tv->cap_ep ? tv->cap_ep * 2 : 256;

		nv = realloc(tv->ep, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		tv->ep = nv;
		tv->cap_ep = cap;
	}
	/*
	 * The callback runs while the dump is inside the socket's namespace
	 * (sdg_dump_all enters each), so its own range can be read here;
	 * once per namespace and sample.
	 */
	if (!m->o.port_lo && tv->range_ns != s->netns) {
		tv->range_ns = s->netns;
		if (read_port_range(&tv->lo, &tv->hi)) {
			tv->lo = m->host_lo;
			tv->hi = m->host_hi;
		}
	}
	e = &tv->ep[tv->nep++];
	memset(e, 0, sizeof(*e));
	memcpy(e->laddr, s->saddr, 16);
	memcpy(e->raddr, s->daddr, 16);
	e->lport = s->sport;
	e->rport = s->dport;
	e->family = s->family == 6 ? SEG_IPV6 : SEG_IPV4;
	e->netns = s->netns;
	e->port_lo = m->o.port_lo ? m->host_lo : tv->lo;
	e->port_hi = m->o.port_lo ? m->host_hi : tv->hi;
	return 0;
}

static int tw_cb(void *ctx, const struct sdg_sock *s)
{
	struct tw_vec *tv = ctx;
	int ret;

	if (!s->timewait)
		return 0;
	if (follows(tv, s->netns)) {
		ret = tw_follow(tv, s);
		if (ret)
			return ret;
	}
	if (s->state == KS_TCP_TIME_WAIT && pass_filters(&tv->m->o.trc, s))
		return tw_count(tv, s);
	return 0;
}

/*
 * One sock_diag dump of timewait sockets in every namespace in use (or
 * the one the netns filter names) serves both the sockets the table
 * follows and the TIME_WAIT pressure tracker.
 */
static void sample_timewait(struct mon *m)
{
	uint32_t netns[MON_NETNS_MAX];
	struct tw_vec tv = {.m = m, .follow = netns};
	char err[FT_ERRBUF_SIZE];
	uint32_t only = m->o.trc.netns;
	uint64_t now;

	tv.nfollow = ks_tw_netns(m->ks, netns, MON_NETNS_MAX);
	now = mon_now_ns();
	if (sdg_dump_all(1u << KS_TCP_TIME_WAIT | 1u << KS_TCP_FIN_WAIT2,
			 m->o.trc.family, only ? &only : NULL, only ? 1 : 0,
			 tw_cb, &tv, err) == 0) {
		if (tv.nfollow)
			ks_tw_sample(m->ks, now, tv.v, tv.n);
		/* -ENOMEM loses one sample's counts, not the tracker */
		tw_sample(m->tw, now + m->wall_off, tv.ep, tv.nep);
		m->tw_now = tv.nep;
		if (tv.nep > m->tw_peak)
			m->tw_peak = tv.nep;
	}
	free(tv.v);
	free(tv.ep);
}

struct ref_vec {
	struct ks_ref *v;
	size_t n, cap;
};

static int ref_cb(void *ctx, const struct sdg_sock *s)
{
	struct ref_vec *rv = ctx;
	struct ks_ref *nv;

	if (s->timewait)
		return 0;
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 256;

		nv = realloc(rv->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		rv->v = nv;
		rv->cap = cap;
	}
	memset(&rv->v[rv->n], 0, sizeof(rv->v[0]));
	rv->v[rv->n].cookie = s->cookie;
	rv->v[rv->n].netns = s->netns;
	rv->n++;
	return 0;
}

/*
 * Records were lost: ask the kernel which of the sockets believed open
 * still exist. Sockets with a record in the last MON_QUIET_NS are left
 * alone: their end may still be in the ring buffer.
 */
static void reconcile(struct mon *m)
{
	uint32_t netns[MON_NETNS_MAX];
	struct ref_vec rv = {0};
	char err[FT_ERRBUF_SIZE];
	uint32_t all = 0xfffu & ~(1u << KS_TCP_LISTEN);
	size_t n;
	uint64_t now;
	int i;

	for (i = 0; i < MON_DRAIN_ROUNDS; i++)
		if (trc_poll(m->trc, 0) <= 0)
			break;
	n = ks_live_netns(m->ks, netns, MON_NETNS_MAX);
	if (!n)
		return;
	now = mon_now_ns();
	if (sdg_dump_all(all, 0, netns, n, ref_cb, &rv, err) == 0)
		ks_reconcile(m->ks, now, MON_QUIET_NS, rv.v, rv.n);
	free(rv.v);
}

static void resolve_owners(struct mon *m)
{
	uint64_t inos[MON_OWNER_BATCH];
	struct own_result *res;
	size_t n, i;

	n = ks_owner_wanted(m->ks, inos, MON_OWNER_BATCH);
	if (!n)
		return;
	res = calloc(n, sizeof(*res));
	if (!res)
		return;
	for (i = 0; i < n; i++)
		res[i].ino = inos[i];
	if (own_lookup(res, n) >= 0)
		for (i = 0; i < n; i++)
			ks_set_owner(m->ks, res[i].ino, res[i].pid,
				     res[i].comm);
	free(res);
}

static uint64_t wall_offset(void)
{
	struct timespec w, mo;

	clock_gettime(CLOCK_REALTIME, &w);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return ((uint64_t)w.tv_sec * 1000000000ull + (uint64_t)w.tv_nsec) -
	       ((uint64_t)mo.tv_sec * 1000000000ull + (uint64_t)mo.tv_nsec);
}

struct mon *mon_new(const struct mon_opts *o, char *err)
{
	struct tw_config twc = {0};
	struct ks_opts ko;
	struct mon *m;
	int saved;

	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (o)
		m->o = *o;
	if (!m->o.tw_sample_ns)
		m->o.tw_sample_ns = MON_TW_DEFAULT_NS;
	if (!m->o.owner_scan_ns)
		m->o.owner_scan_ns = MON_OWNER_DEFAULT_NS;

	if (!m->o.tw_share_pct)
		m->o.tw_share_pct = MON_TW_SHARE_DEFAULT;
	if (m->o.port_lo && m->o.port_lo <= m->o.port_hi) {
		m->host_lo = m->o.port_lo;
		m->host_hi = m->o.port_hi;
	} else {
		m->o.port_lo = m->o.port_hi = 0;
		if (read_port_range(&m->host_lo, &m->host_hi)) {
			m->host_lo = MON_PORT_LO_DEFAULT;
			m->host_hi = MON_PORT_HI_DEFAULT;
		}
	}
	twc.time_wait_ns = TW_LINUX_NS;
	twc.port_lo = m->host_lo;
	twc.port_hi = m->host_hi;
	twc.share_pct = m->o.tw_share_pct;
	twc.on_pressure = m->o.on_tw_alert;
	twc.ctx = m->o.ctx;
	m->tw = tw_new(&twc);
	if (!m->tw) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		goto fail;
	}

	m->trc = trc_new(&m->o.trc, on_event, m, err);
	if (!m->trc)
		goto fail;
	snprintf(m->reduced, sizeof(m->reduced), "%s", trc_reduced(m->trc));
	/* the clock starts once the hooks are attached: nothing is missed */
	m->start_ns = mon_now_ns();
	m->wall_off = wall_offset();
	memset(&ko, 0, sizeof(ko));
	ko.linger_ns = m->o.linger_ns;
	ko.start_ns = m->start_ns;
	ko.keep_clean = m->o.keep_clean;
	ko.on_alert = m->o.on_alert;
	ko.on_close_wait = m->o.on_close_wait;
	ko.on_forget = m->o.on_forget;
	ko.ctx = m->o.ctx;
	m->ks = ks_new(&ko);
	if (!m->ks) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		goto fail;
	}
	if (!m->o.no_seed)
		seed(m);
	ks_tick(m->ks, m->start_ns);
	m->next_tw_ns = m->start_ns + m->o.tw_sample_ns;
	m->next_owner_ns = m->start_ns;
	m->next_alert_ns = ks_next_alert_ns(m->ks);
	m->next_scan_ns = m->start_ns + MON_SCAN_NS;
	m->next_tick_ns = m->start_ns + MON_TICK_NS;
	return m;
fail:
	saved = errno;
	mon_free(m);
	errno = saved;
	return NULL;
}

void mon_free(struct mon *m)
{
	if (!m)
		return;
	trc_free(m->trc);
	ks_free(m->ks);
	tw_free(m->tw);
	free(m);
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t x = a < b ? a : b;

	return x < c ? x : c;
}

int mon_step(struct mon *m, int max_wait_ms)
{
	uint64_t now = mon_now_ns(), until, wait_ns;
	int ret;

	if (now >= m->next_scan_ns) {
		m->next_alert_ns = ks_next_alert_ns(m->ks);
		m->next_scan_ns = now + MON_SCAN_NS;
		m->dirty = 0;
	}
	until = now +
		(uint64_t)(max_wait_ms < 0 ? 0 : max_wait_ms) * 1000000ull;
	until = min3(until, m->next_alert_ns, m->next_tw_ns);
	if (m->dirty && until > m->next_scan_ns)
		until = m->next_scan_ns;
	wait_ns = until > now ? until - now : 0;
	ret = trc_poll(m->trc, (int)((wait_ns + 999999) / 1000000));
	if (ret < 0)
		return ret;
	now = mon_now_ns();
	if (ret > 0) {
		/* new records may have put a socket in CLOSE_WAIT */
		m->dirty = 1;
		if (now >= m->next_scan_ns) {
			m->next_alert_ns = ks_next_alert_ns(m->ks);
			m->next_scan_ns = now + MON_SCAN_NS;
			m->dirty = 0;
		}
	}
	if (now >= m->next_owner_ns) {
		resolve_owners(m);
		m->next_owner_ns = now + m->o.owner_scan_ns;
	}
	if (now >= m->next_tw_ns) {
		sample_timewait(m);
		m->next_tw_ns = now + m->o.tw_sample_ns;
	}
	/* ks_tick() walks the table: only when an alert or a sample is due */
	if (now >= m->next_alert_ns || now >= m->next_tick_ns) {
		uint64_t lost = trc_lost(m->trc);

		if (lost > m->lost_seen) {
			m->lost_seen = lost;
			reconcile(m);
		}
		ks_tick(m->ks, now);
		m->next_alert_ns = ks_next_alert_ns(m->ks);
		m->next_scan_ns = now + MON_SCAN_NS;
		m->next_tick_ns = now + MON_TICK_NS;
	}
	return 0;
}

void mon_finish(struct mon *m)
{
	uint64_t now;
	int i;

	for (i = 0; i < MON_DRAIN_ROUNDS; i++)
		if (trc_poll(m->trc, 0) <= 0)
			break;
	if (trc_lost(m->trc))
		reconcile(m);
	resolve_owners(m);
	sample_timewait(m);
	now = mon_now_ns();
	ks_tick(m->ks, now);
	ks_finish(m->ks, now);
}

struct ks_table *mon_table(struct mon *m)
{
	return m->ks;
}

uint64_t mon_start_ns(const struct mon *m)
{
	return m->start_ns;
}

uint64_t mon_lost(const struct mon *m)
{
	return trc_lost(m->trc);
}

uint64_t mon_received(const struct mon *m)
{
	return trc_received(m->trc);
}

uint64_t mon_seeded(const struct mon *m)
{
	return m->seeded;
}

const char *mon_reduced(const struct mon *m)
{
	return m->reduced;
}

struct tw *mon_tw(struct mon *m)
{
	return m->tw;
}

uint64_t mon_time_wait(const struct mon *m, uint64_t *peak)
{
	if (peak)
		*peak = m->tw_peak;
	return m->tw_now;
}

int mon_port_range(const struct mon *m, uint16_t *lo, uint16_t *hi)
{
	*lo = m->host_lo;
	*hi = m->host_hi;
	return !m->o.port_lo;
}

uint64_t mon_wall_offset(const struct mon *m)
{
	return m->wall_off;
}
