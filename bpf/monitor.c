// SPDX-License-Identifier: MIT
/*
 * The kernel monitor loop: tracer -> tracker, plus sock_diag seeding and
 * timewait sampling (followed sockets and TIME_WAIT pressure), plus /proc
 * owner lookup. See monitor.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

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
#define MON_FIN_TIMEOUT_PATH "/proc/sys/net/ipv4/tcp_fin_timeout"
/* Linux's default net.ipv4.tcp_fin_timeout, seconds */
#define MON_FIN_TIMEOUT_DEFAULT 60
/* The kernel scan runs every linger / MON_SCAN_DIV, within these bounds. */
#define MON_SCAN_DIV 5
#define MON_SCAN_MIN_NS 10000000ull
#define MON_SCAN_MAX_NS 1000000000ull
#define MON_LINGER_DEFAULT_NS 5000000000ull
#define MON_SEED_NS 64
/*
 * A dump walks every socket of a namespace, TIME_WAIT ones included: on a
 * busy host that is most of fintrace's CPU. Its next run waits at least
 * this many times what the last one cost, which keeps each kind of dump
 * at 2 % of a core at most.
 */
#define MON_DUTY 50

/* Last cumulative clean-end counts read for one kernel key. */
struct clean_seen {
	struct trc_agg_key key;
	struct trc_agg_val val;
	UT_hash_handle hh;
};

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
	uint32_t fin_ns; /* namespace of fin_ms below; 0: none */
	uint64_t fin_ms; /* its tcp_fin_timeout */
	uint64_t now;
	uint64_t orphan_age; /* orphans in FIN_WAIT2 this long are followed */
	struct ks_orphan *orph;
	size_t norph, cap_orph;
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
	uint64_t scan_ns; /* kernel scan period */
	uint32_t seed_ns[MON_SEED_NS]; /* namespaces with TIME_WAIT at start */
	size_t nseed_ns;
	uint64_t next_kscan_ns;
	struct clean_seen *clean; /* last counts read, per kernel key */
	char reduced[FT_ERRBUF_SIZE];
};

/*
 * v (n used of *cap) with room for one more element of size bytes: v
 * itself, or a larger copy (*cap updated); NULL when out of memory, v
 * left as it was.
 */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap * 2 : 64;
	void *nv;

	if (n < *cap)
		return v;
	nv = realloc(v, c * size);
	if (nv)
		*cap = c;
	return nv;
}

/* CPU time of the calling thread, ns: user and system (the dumps'). */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The later of now + period and now + MON_DUTY times what a run cost. */
static uint64_t next_run(uint64_t now, uint64_t period, uint64_t cost)
{
	uint64_t d = cost * MON_DUTY;

	return now + (d > period ? d : period);
}

uint64_t mon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The socket's history kept in the kernel (its storage), into ev. */
static void history_of(struct ks_event *ev, const struct trc_sk *sk)
{
	ev->flags |= KS_EVF_HISTORY;
	ev->role = sk->role;
	ev->owner_src = sk->owner_src;
	ev->passive = sk->passive;
	ev->start_ns = sk->start_ns;
	ev->cw_ns = sk->cw_ns;
	ev->cw_end_ns = sk->cw_end_ns;
	ev->fin_ns = sk->fin_ns;
	ev->fw2_ns = sk->fw2_ns;
	ev->owner_pid = sk->owner_pid;
	ev->closer_pid = sk->closer_pid;
	memcpy(ev->owner_comm, sk->owner_comm, KS_COMM_LEN);
	ev->owner_comm[KS_COMM_LEN - 1] = '\0';
	memcpy(ev->closer_comm, sk->closer_comm, KS_COMM_LEN);
	ev->closer_comm[KS_COMM_LEN - 1] = '\0';
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
_Static_assert(TRC_HIST_N == KS_HIST_N, "histograms must agree");
_Static_assert(MON_SAME(TRC_EV_LINGER, KS_EV_LINGER) &&
		       MON_SAME(TRC_ROLE_CLIENT, KS_ROLE_CLIENT) &&
		       MON_SAME(TRC_ROLE_SERVER, KS_ROLE_SERVER) &&
		       MON_SAME(TRC_SRC_CONNECT, KS_SRC_CONNECT) &&
		       MON_SAME(TRC_SRC_ACCEPT, KS_SRC_ACCEPT) &&
		       MON_SAME(TRC_SIDE_LOCAL, KS_SIDE_LOCAL) &&
		       MON_SAME(TRC_SIDE_REMOTE, KS_SIDE_REMOTE),
	       "the tracer's and the tracker's names must agree");

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
	if (te->flags & TRC_EVF_NO_SYN)
		ev.flags |= KS_EVF_NO_SYN;
	if (te->flags & TRC_EVF_SK)
		history_of(&ev, &te->sk);
	ks_feed(m->ks, &ev);
	return 0;
}

/* A dumped socket's addresses and ports, into the tracker's fields. */
static void copy_tuple(const struct sdg_sock *s, uint8_t *laddr,
		       uint8_t *raddr, uint16_t *lport, uint16_t *rport)
{
	memcpy(laddr, s->saddr, 16);
	memcpy(raddr, s->daddr, 16);
	*lport = s->sport;
	*rport = s->dport;
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

/* New clean ends since the last read of the kernel's counters. */
static void on_clean(void *ctx, const struct trc_agg_key *k,
		     const struct trc_agg_val *v)
{
	struct mon *m = ctx;
	struct clean_seen *seen;
	struct ks_clean c;
	int i;

	HASH_FIND(hh, m->clean, k, sizeof(*k), seen);
	if (!seen) {
		seen = calloc(1, sizeof(*seen));
		if (!seen)
			return; /* counted at the next read */
		seen->key = *k;
		HASH_ADD(hh, m->clean, key, sizeof(seen->key), seen);
	}
	if (v->clean <= seen->val.clean)
		return;
	memset(&c, 0, sizeof(c));
	c.netns = k->netns;
	c.pid = k->pid;
	memcpy(c.comm, v->comm, KS_COMM_LEN);
	c.comm[KS_COMM_LEN - 1] = '\0';
	c.family = k->family;
	c.role = k->role;
	memcpy(c.addr, k->addr, 16);
	c.port = k->port;
	c.count = v->clean - seen->val.clean;
	for (i = 0; i < KS_HIST_N; i++)
		c.hist[i] = v->hist[i] >= seen->val.hist[i]
				    ? v->hist[i] - seen->val.hist[i]
				    : 0;
	if (ks_add_clean(m->ks, &c) == 0)
		seen->val = *v;
}

static void read_clean(struct mon *m)
{
	trc_clean_read(m->trc, on_clean, m);
}

static void resolve_owners(struct mon *m);

/*
 * The namespaces a dump visits: the --netns one; else those in which the
 * kernel gave a socket storage, and with timewait, those of the sockets
 * the table follows and of the seeds. Up to max; returns the count.
 */
static size_t active_netns(struct mon *m, uint32_t *v, size_t max,
			   int timewait)
{
	uint32_t more[MON_NETNS_MAX];
	size_t n, k, i, j;

	if (m->o.trc.netns) {
		v[0] = m->o.trc.netns;
		return 1;
	}
	n = trc_netns(m->trc, v, max);
	if (!timewait)
		return n;
	k = ks_tw_netns(m->ks, more, MON_NETNS_MAX);
	for (i = 0; i < m->nseed_ns && k < MON_NETNS_MAX; i++)
		more[k++] = m->seed_ns[i];
	for (i = 0; i < k && n < max; i++) {
		for (j = 0; j < n && v[j] != more[i]; j++)
			;
		if (j == n)
			v[n++] = more[i];
	}
	return n;
}

/* A walk of the sockets in closing states, with their storage. */
struct scan_ctx {
	struct mon *m;
	uint64_t min_ns;
	uint64_t fed;
	struct ks_event *wait; /* pid filter: owner to check in /proc */
	size_t nwait, capwait;
};

static int scan_cb(void *ctx, const struct sdg_sock *s)
{
	struct scan_ctx *c = ctx;
	const struct trc_opts *f = &c->m->o.trc;
	struct trc_sk st;
	struct ks_event ev, *nv;
	uint64_t since, now;

	if (!s->storage || s->storage_len < sizeof(st) || s->timewait ||
	    !pass_filters(f, s))
		return 0;
	/* a netlink attribute is only 4-byte aligned: copy it out */
	memcpy(&st, s->storage, sizeof(st));
	since = s->state == KS_TCP_CLOSE_WAIT ? st.cw_ns : st.state_ns;
	now = mon_now_ns();
	if (!since || now < since || now - since < c->min_ns)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = KS_EV_LINGER;
	ev.mono_ns = now;
	ev.cookie = s->cookie;
	ev.ino = s->ino;
	ev.netns = s->netns;
	copy_tuple(s, ev.laddr, ev.raddr, &ev.lport, &ev.rport);
	ev.family = s->family;
	ev.oldstate = ev.newstate = s->state;
	history_of(&ev, &st);
	if (!f->pid || (st.flags & TRC_SK_MATCH) || st.owner_pid == f->pid) {
		ks_feed(c->m->ks, &ev);
		c->fed++;
		return 0;
	}
	if (!ev.ino)
		return 0;
	nv = grow(c->wait, c->nwait, &c->capwait, sizeof(*nv));
	if (!nv)
		return 0;
	c->wait = nv;
	c->wait[c->nwait++] = ev;
	return 0;
}

/* Of the sockets the pid filter could not decide, those pid holds. */
static void scan_pid(struct scan_ctx *c)
{
	struct own_result *res;
	size_t i, j;

	res = calloc(c->nwait, sizeof(*res));
	if (!res)
		return;
	for (i = 0; i < c->nwait; i++)
		res[i].ino = c->wait[i].ino;
	if (own_lookup(res, c->nwait) >= 0)
		for (i = 0; i < c->nwait; i++)
			for (j = 0; j < c->nwait; j++)
				if (res[j].ino == c->wait[i].ino &&
				    res[j].pid == c->m->o.trc.pid) {
					ks_feed(c->m->ks, &c->wait[i]);
					c->fed++;
					break;
				}
	free(res);
}

/*
 * The walk a silent leak needs: sockets in a closing state for at least
 * min_ns, found through sock_diag with the storage the kernel keeps for
 * each (bpf/event.h), fed with their history. Those already known are
 * fed again, which changes nothing.
 */
static void kernel_scan(struct mon *m, uint64_t min_ns)
{
	struct scan_ctx c = {.m = m, .min_ns = min_ns};
	char err[FT_ERRBUF_SIZE];
	uint32_t netns[MON_NETNS_MAX];
	size_t n = active_netns(m, netns, MON_NETNS_MAX, 0);
	uint32_t states = 1u << KS_TCP_CLOSE_WAIT | 1u << KS_TCP_FIN_WAIT1 |
			  1u << KS_TCP_FIN_WAIT2 | 1u << KS_TCP_LAST_ACK |
			  1u << KS_TCP_CLOSING;

	if (!n)
		return; /* no socket has storage yet */
	sdg_dump_all_storage(states, m->o.trc.family, netns, n,
			     trc_storage_fd(m->trc), scan_cb, &c, err);
	if (c.nwait)
		scan_pid(&c);
	free(c.wait);
	if (c.fed) {
		/* owners first: the alerts that follow name them */
		resolve_owners(m);
		m->next_alert_ns = ks_next_alert_ns(m->ks);
	}
}

struct seed_ctx {
	struct mon *m;
	struct ks_seed *v;
	size_t n, cap;
};

static int seed_cb(void *ctx, const struct sdg_sock *s)
{
	struct seed_ctx *c = ctx;
	struct mon *m = c->m;
	struct ks_seed *nv, *sd;
	size_t i;

	if (!pass_filters(&m->o.trc, s))
		return 0;
	/* TIME_WAIT from before tracing: its namespace is sampled too */
	if (s->timewait) {
		for (i = 0; i < m->nseed_ns && m->seed_ns[i] != s->netns; i++)
			;
		if (i == m->nseed_ns && i < MON_SEED_NS)
			m->seed_ns[m->nseed_ns++] = s->netns;
	}
	if (s->state != KS_TCP_CLOSE_WAIT && s->state != KS_TCP_FIN_WAIT2)
		return 0;
	nv = grow(c->v, c->n, &c->cap, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	c->v = nv;
	sd = &c->v[c->n++];
	memset(sd, 0, sizeof(*sd));
	sd->cookie = s->cookie;
	sd->ino = s->ino;
	sd->netns = s->netns;
	sd->family = s->family;
	sd->state = s->state;
	sd->timewait = s->timewait;
	copy_tuple(s, sd->laddr, sd->raddr, &sd->lport, &sd->rport);
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

	nv = grow(tv->v, tv->n, &tv->cap, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	tv->v = nv;
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

	nv = grow(tv->ep, tv->nep, &tv->cap_ep, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	tv->ep = nv;
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

/*
 * net.ipv4.tcp_fin_timeout of the calling thread's namespace, in ms; how
 * long an orphan FIN_WAIT2 socket waits for the peer's FIN.
 */
static uint64_t read_fin_timeout_ms(void)
{
	char buf[32];
	unsigned long v;
	ssize_t len;
	int fd;

	fd = open(MON_FIN_TIMEOUT_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MON_FIN_TIMEOUT_DEFAULT * 1000ull;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return MON_FIN_TIMEOUT_DEFAULT * 1000ull;
	buf[len] = '\0';
	if (sscanf(buf, "%lu", &v) != 1 || !v)
		return MON_FIN_TIMEOUT_DEFAULT * 1000ull;
	return (uint64_t)v * 1000ull;
}

/*
 * An orphan FIN_WAIT2 socket: its application closed and the peer has
 * not sent its FIN. Its timer started at tcp_fin_timeout, which dates
 * its entry; past the threshold it is handed to the tracker.
 */
static int tw_orphan(struct tw_vec *tv, const struct sdg_sock *s)
{
	struct ks_orphan *nv, *o;
	uint64_t age;

	if (tv->fin_ns != s->netns) {
		tv->fin_ns = s->netns;
		tv->fin_ms = read_fin_timeout_ms();
	}
	age = tv->fin_ms > s->expires_ms ? tv->fin_ms - s->expires_ms : 0;
	age *= 1000000ull;
	if (age < tv->orphan_age || age > tv->now)
		return 0;
	nv = grow(tv->orph, tv->norph, &tv->cap_orph, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	tv->orph = nv;
	o = &tv->orph[tv->norph++];
	memset(o, 0, sizeof(*o));
	o->cookie = s->cookie;
	o->netns = s->netns;
	o->family = s->family;
	copy_tuple(s, o->laddr, o->raddr, &o->lport, &o->rport);
	o->since_ns = tv->now - age;
	return 0;
}

static int tw_cb(void *ctx, const struct sdg_sock *s)
{
	struct tw_vec *tv = ctx;
	int ret;

	if (!s->timewait)
		return 0;
	/* the pid filter: an orphan has no process left to match */
	if (s->state == KS_TCP_FIN_WAIT2 && !tv->m->o.trc.pid &&
	    pass_filters(&tv->m->o.trc, s)) {
		ret = tw_orphan(tv, s);
		if (ret)
			return ret;
	}
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
static void sample_timewait(struct mon *m, uint64_t orphan_age)
{
	uint32_t netns[MON_NETNS_MAX];
	struct tw_vec tv = {.m = m, .follow = netns};
	char err[FT_ERRBUF_SIZE];
	uint32_t visit[MON_NETNS_MAX];
	size_t i, nv;
	uint64_t now;
	int ret = 0;

	tv.nfollow = ks_tw_netns(m->ks, netns, MON_NETNS_MAX);
	nv = active_netns(m, visit, MON_NETNS_MAX, 1);
	now = mon_now_ns();
	tv.now = now;
	tv.orphan_age = orphan_age;
	if (nv)
		ret = sdg_dump_all(1u << KS_TCP_TIME_WAIT |
					   1u << KS_TCP_FIN_WAIT2,
				   m->o.trc.family, visit, nv, tw_cb, &tv, err);
	if (ret == 0) {
		if (tv.nfollow)
			ks_tw_sample(m->ks, now, tv.v, tv.n);
		for (i = 0; i < tv.norph; i++)
			ks_orphan(m->ks, &tv.orph[i]);
		/* -ENOMEM loses one sample's counts, not the tracker */
		tw_sample(m->tw, now + m->wall_off, tv.ep, tv.nep);
		m->tw_now = tv.nep;
		if (tv.nep > m->tw_peak)
			m->tw_peak = tv.nep;
	}
	free(tv.v);
	free(tv.ep);
	free(tv.orph);
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
	nv = grow(rv->v, rv->n, &rv->cap, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	rv->v = nv;
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
	twc.local_time = m->o.local_time;
	twc.ctx = m->o.ctx;
	m->tw = tw_new(&twc);
	if (!m->tw) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		goto fail;
	}

	if (!m->o.linger_ns)
		m->o.linger_ns = MON_LINGER_DEFAULT_NS;
	m->o.trc.linger_ns = m->o.linger_ns;
	/*
	 * accept() is hooked only for a pid filter: a syscall tracepoint
	 * sends every system call of every process through the slow path,
	 * and the owner of a socket that lingers comes from /proc anyway
	 * (that of a clean one from its close()).
	 */
	if (!m->o.trc.pid)
		m->o.trc.no_accept = 1;
	m->scan_ns = m->o.linger_ns / MON_SCAN_DIV;
	if (m->scan_ns < MON_SCAN_MIN_NS)
		m->scan_ns = MON_SCAN_MIN_NS;
	if (m->scan_ns > MON_SCAN_MAX_NS)
		m->scan_ns = MON_SCAN_MAX_NS;
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
	ko.on_clean = m->o.on_clean;
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
	m->next_kscan_ns = m->start_ns + m->scan_ns;
	return m;
fail:
	saved = errno;
	mon_free(m);
	errno = saved;
	return NULL;
}

int mon_check(const struct mon_opts *o, char *err)
{
	if (o->trc.pid && kill((pid_t)o->trc.pid, 0) != 0 && errno == ESRCH) {
		snprintf(err, FT_ERRBUF_SIZE, "--pid %u: no such process",
			 o->trc.pid);
		return -ESRCH;
	}
	if (o->trc.netns && !sdg_netns_exists(o->trc.netns)) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "--netns %u: no network namespace with this inode "
			 "(see 'lsns -t net')",
			 o->trc.netns);
		return -ESRCH;
	}
	return 0;
}

void mon_free(struct mon *m)
{
	struct clean_seen *c, *tmp;

	if (!m)
		return;
	HASH_ITER(hh, m->clean, c, tmp)
	{
		HASH_DEL(m->clean, c);
		free(c);
	}
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
	uint64_t now = mon_now_ns(), until, wait_ns, cpu;
	int ret;

	if (now >= m->next_scan_ns) {
		m->next_alert_ns = ks_next_alert_ns(m->ks);
		m->next_scan_ns = now + MON_SCAN_NS;
		m->dirty = 0;
	}
	until = now +
		(uint64_t)(max_wait_ms < 0 ? 0 : max_wait_ms) * 1000000ull;
	until = min3(until, m->next_alert_ns, m->next_tw_ns);
	if (until > m->next_kscan_ns)
		until = m->next_kscan_ns;
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
	if (now >= m->next_kscan_ns || now >= m->next_tw_ns) {
		/* before the timewait sample: peers of orphans are known */
		cpu = thread_cpu_ns();
		kernel_scan(m, m->o.linger_ns);
		m->next_kscan_ns =
			next_run(now, m->scan_ns, thread_cpu_ns() - cpu);
	}
	if (now >= m->next_tw_ns) {
		/* an orphan takes over its clean count: have it first */
		read_clean(m);
		cpu = thread_cpu_ns();
		sample_timewait(m, m->o.linger_ns);
		m->next_tw_ns = next_run(now, m->o.tw_sample_ns,
					 thread_cpu_ns() - cpu);
	}
	/* ks_tick() walks the table: only when an alert or a sample is due */
	if (now >= m->next_alert_ns || now >= m->next_tick_ns) {
		uint64_t lost = trc_lost(m->trc);

		if (lost > m->lost_seen) {
			m->lost_seen = lost;
			reconcile(m);
		}
		if (now >= m->next_tick_ns)
			read_clean(m);
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
	/* every socket still in a closing state, however briefly */
	kernel_scan(m, 0);
	read_clean(m);
	if (trc_lost(m->trc))
		reconcile(m);
	resolve_owners(m);
	sample_timewait(m, 0);
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

uint64_t mon_lost_by_cause(const struct mon *m, struct trc_lost *out)
{
	return trc_lost_by_cause(m->trc, out);
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
