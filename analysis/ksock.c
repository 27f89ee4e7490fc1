// SPDX-License-Identifier: MIT
/*
 * Kernel-side socket tracker: per-socket closing-state clocks and
 * verdicts, per-process and per-service aggregates. See ksock.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "analysis/ksock.h"

#define KS_DEFAULT_LINGER_NS (5ull * 1000000000ull)
/* Close-waits kept exactly per aggregate; more go to its histogram. */
#define KS_EXACT_SAMPLES 4096
#define KS_GROWTH_PERIOD_NS 1000000000ull
#define KS_NS_PER_HOUR 3600e9
/* TCP_TIMEWAIT_LEN: Linux keeps TIME_WAIT for 60 s. */
#define KS_TIMEWAIT_LEN_NS (60ull * 1000000000ull)
/*
 * A timewait sock gone this long before the expiry its last sample gave
 * was killed, not timed out (sock_diag rounds the expiry to jiffies).
 */
#define KS_TW_EARLY_NS (100ull * 1000000ull)

struct ks_key {
	uint64_t cookie;
	uint32_t netns;
	uint32_t zero;
};

/* A socket's 4-tuple in its namespace: finds the other end on this host. */
struct tup_key {
	uint32_t netns;
	uint16_t lport;
	uint16_t rport;
	uint8_t family;
	uint8_t zero[3];
	uint8_t laddr[16];
	uint8_t raddr[16];
};

struct agg_key {
	uint32_t pid;
	uint32_t netns;
	uint8_t group;
	uint8_t family;
	uint8_t role;
	uint8_t zero;
	uint16_t port;
	uint16_t zero2;
	uint8_t addr[16];
};

struct agg {
	struct agg_key key;
	char comm[KS_COMM_LEN];
	uint64_t sockets;
	uint64_t verdicts[VD__COUNT];
	uint64_t never_closed;
	uint64_t late_close;
	uint64_t cw_now;
	uint64_t cw_peak;
	uint64_t *cw;           /* settled close-wait samples, ns: the first
				   KS_EXACT_SAMPLES, the rest in hist */
	size_t ncw, capcw;
	uint64_t cw_max;        /* longest settled close-wait */
	uint64_t hist[KS_HIST_N]; /* close-waits of clean ends counted by the
				    kernel (ks_add_clean) */
	uint64_t nhist;
	uint64_t kclean;	/* clean ends counted by the kernel */
	double sx, sy, sxx, sxy;/* growth: least squares of cw_now(hours) */
	uint64_t ngrowth;
	UT_hash_handle hh;
};

struct entry {
	struct ks_sock s;
	struct ks_key key;
	struct agg *svc;
	struct agg *proc;
	uint8_t counted;        /* verdict counted in the aggregates */
	uint8_t in_cw;
	uint8_t proc_tried;     /* /proc lookup done for the current ino */
	uint8_t in_ino_hash;
	uint8_t close_prev;     /* state before CLOSE */
	uint8_t cw_sampled;     /* close-wait added to the samples */
	uint8_t in_tup;		/* in by_tuple */
	uint8_t kept;		/* settled, kept for the list: in kept_* */
	struct entry *kept_prev, *kept_next; /* oldest first */
	struct tup_key tup;
	UT_hash_handle hh;
	UT_hash_handle hh_ino;
	UT_hash_handle hh_tup;
};

struct ks_table {
	struct ks_opts o;
	struct entry *socks;
	struct entry *by_ino;
	struct entry *by_tuple;
	struct agg *aggs;
	size_t naggs[2];        /* per enum ks_group */
	struct entry *kept_head, *kept_tail; /* settled sockets kept */
	size_t nkept;
	uint64_t events, dropped, sockets, pre_existing, end_lost;
	uint64_t in_cw, peak_cw;
	uint64_t verdicts[VD__COUNT];
	uint64_t last_growth_ns;
	uint64_t now_ns;        /* latest time fed (events, ticks) */
	int finished;
};

static int is_closing(uint8_t st)
{
	return st == KS_TCP_CLOSE_WAIT || st == KS_TCP_FIN_WAIT1 ||
	       st == KS_TCP_FIN_WAIT2 || st == KS_TCP_LAST_ACK ||
	       st == KS_TCP_CLOSING;
}

static int clock_of(uint8_t st)
{
	switch (st) {
	case KS_TCP_CLOSE_WAIT:
		return KS_T_CLOSE_WAIT;
	case KS_TCP_FIN_WAIT1:
		return KS_T_FIN_WAIT1;
	case KS_TCP_FIN_WAIT2:
		return KS_T_FIN_WAIT2;
	case KS_TCP_LAST_ACK:
		return KS_T_LAST_ACK;
	case KS_TCP_CLOSING:
		return KS_T_CLOSING;
	case KS_TCP_TIME_WAIT:
		return KS_T_TIME_WAIT;
	default:
		return -1;
	}
}

/* Copy a command name that may be shorter than, or fill, KS_COMM_LEN. */
static void copy_comm(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < KS_COMM_LEN - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static int addr_zero(const uint8_t *a)
{
	static const uint8_t z[16];

	return memcmp(a, z, 16) == 0;
}

struct ks_table *ks_new(const struct ks_opts *o)
{
	struct ks_table *t = calloc(1, sizeof(*t));

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	if (o)
		t->o = *o;
	if (!t->o.linger_ns)
		t->o.linger_ns = KS_DEFAULT_LINGER_NS;
	if (!t->o.max_aggs)
		t->o.max_aggs = KS_AGGS_MAX;
	if (!t->o.max_settled)
		t->o.max_settled = KS_SETTLED_MAX;
	t->now_ns = t->o.start_ns;
	return t;
}

static void agg_free_all(struct ks_table *t)
{
	struct agg *a, *tmp;

	HASH_ITER(hh, t->aggs, a, tmp) {
		HASH_DEL(t->aggs, a);
		free(a->cw);
		free(a);
	}
}

void ks_free(struct ks_table *t)
{
	struct entry *e, *tmp;

	if (!t)
		return;
	HASH_CLEAR(hh_ino, t->by_ino);
	HASH_CLEAR(hh_tup, t->by_tuple);
	HASH_ITER(hh, t->socks, e, tmp) {
		HASH_DEL(t->socks, e);
		free(e);
	}
	agg_free_all(t);
	free(t);
}

/* ---- aggregates ---- */

static struct agg *agg_get(struct ks_table *t, const struct agg_key *k)
{
	struct agg_key other;
	struct agg *a;

	HASH_FIND(hh, t->aggs, k, sizeof(*k), a);
	if (a)
		return a;
	if (!k->zero && t->naggs[k->group] >= t->o.max_aggs) {
		/* a churn of processes or a port scan must not grow the
		 * table: the rest of the kind shares one aggregate */
		memset(&other, 0, sizeof(other));
		other.group = k->group;
		other.zero = 1;
		a = agg_get(t, &other);
		if (a)
			memcpy(a->comm, "other", sizeof("other"));
		return a;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->key = *k;
	t->naggs[k->group]++;
	HASH_ADD(hh, t->aggs, key, sizeof(a->key), a);
	return a;
}

/* Name a's process comm, unless a is the bucket of the rest. */
static void agg_name(struct agg *a, const char *comm)
{
	if (!a->key.zero && comm && comm[0])
		copy_comm(a->comm, comm);
}

/* Bucket of ns in the close-wait histogram (see ks_hist_lo). */
static unsigned hist_index(uint64_t ns)
{
	unsigned b = 63 - (unsigned)__builtin_clzll(ns | 1), i;

	if (ns < 4)
		return (unsigned)ns;
	i = 4 * (b - 1) + (unsigned)((ns >> (b - 2)) & 3);
	return i < KS_HIST_N ? i : KS_HIST_N - 1;
}

static void agg_cw_inc(struct agg *a)
{
	if (!a)
		return;
	a->cw_now++;
	if (a->cw_now > a->cw_peak)
		a->cw_peak = a->cw_now;
}

static void agg_cw_dec(struct agg *a)
{
	if (a && a->cw_now)
		a->cw_now--;
}

static void agg_sample(struct agg *a, uint64_t ns)
{
	uint64_t *n;
	size_t cap;

	if (!a)
		return;
	if (ns > a->cw_max)
		a->cw_max = ns;
	if (a->ncw == KS_EXACT_SAMPLES) {
		/* Past the exact samples, the histogram the kernel's clean
		 * ends use: memory does not grow with the sockets seen. */
		a->hist[hist_index(ns)]++;
		a->nhist++;
		return;
	}
	if (a->ncw == a->capcw) {
		cap = a->capcw ? a->capcw * 2 : 16;
		n = realloc(a->cw, cap * sizeof(*n));
		if (!n)
			return; /* a lost sample only blurs the percentiles */
		a->cw = n;
		a->capcw = cap;
	}
	a->cw[a->ncw++] = ns;
}

/* Service of e: local ip:port of a server, remote ip:port for a client. */
static void attach_svc(struct ks_table *t, struct entry *e)
{
	struct agg_key k;
	struct ks_sock *s = &e->s;

	if (e->svc)
		return;
	if (s->role == KS_ROLE_UNKNOWN) {
		if (!s->lport || !s->rport)
			return;
		/* without the SYN, the lower port is the service
		 * (docs/architecture.md, "Roles") */
		s->role = s->lport <= s->rport ? KS_ROLE_SERVER
					       : KS_ROLE_CLIENT;
		s->role_inferred = 1;
	}
	memset(&k, 0, sizeof(k));
	k.group = KS_BY_SERVICE;
	k.netns = s->netns;
	k.family = s->family;
	k.role = s->role;
	if (s->role == KS_ROLE_SERVER) {
		if (!s->lport)
			return;
		k.port = s->lport;
		memcpy(k.addr, s->laddr, 16);
	} else {
		if (!s->rport)
			return;
		k.port = s->rport;
		memcpy(k.addr, s->raddr, 16);
	}
	e->svc = agg_get(t, &k);
	if (!e->svc)
		return;
	e->svc->sockets++;
	if (e->in_cw)
		agg_cw_inc(e->svc);
	if (e->counted) {
		e->svc->verdicts[s->verdict]++;
		if (e->cw_sampled)
			agg_sample(e->svc, s->close_wait_ns);
	}
}

static void agg_verdict(struct agg *a, const struct ks_sock *s, int delta);

/* Move e under the process pid (0: unknown owner). */
static void attach_proc(struct ks_table *t, struct entry *e, uint32_t pid,
			const char *comm)
{
	struct agg_key k;
	struct agg *a;

	memset(&k, 0, sizeof(k));
	k.group = KS_BY_PROCESS;
	k.pid = pid;
	if (e->proc && e->proc->key.pid == pid && !e->proc->key.zero) {
		agg_name(e->proc, comm);
		return;
	}
	a = agg_get(t, &k);
	if (!a)
		return;
	if (a == e->proc)
		return;
	agg_name(a, comm);
	if (e->proc) {
		e->proc->sockets--;
		if (e->in_cw)
			agg_cw_dec(e->proc);
		if (e->counted)
			agg_verdict(e->proc, &e->s, -1);
	}
	e->proc = a;
	a->sockets++;
	if (e->in_cw)
		agg_cw_inc(a);
	if (e->counted)
		agg_verdict(a, &e->s, 1);
}

/* ---- sockets ---- */

static struct entry *find(const struct ks_table *t, uint64_t cookie,
			  uint32_t netns)
{
	struct ks_key k = { .cookie = cookie, .netns = netns };
	struct entry *e;

	HASH_FIND(hh, t->socks, &k, sizeof(k), e);
	return e;
}

static struct entry *create(struct ks_table *t, uint64_t cookie,
			    uint32_t netns, uint64_t now)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->key.cookie = cookie;
	e->key.netns = netns;
	e->s.cookie = cookie;
	e->s.netns = netns;
	e->s.first_ns = now;
	e->s.state_ns = now;
	HASH_ADD(hh, t->socks, key, sizeof(e->key), e);
	t->sockets++;
	attach_proc(t, e, 0, NULL);
	return e;
}

static void set_ino(struct ks_table *t, struct entry *e, uint64_t ino)
{
	if (!ino || e->s.ino == ino)
		return;
	if (e->in_ino_hash)
		HASH_DELETE(hh_ino, t->by_ino, e);
	e->s.ino = ino;
	e->proc_tried = 0;
	HASH_ADD(hh_ino, t->by_ino, s.ino, sizeof(e->s.ino), e);
	e->in_ino_hash = 1;
}

static void cw_hook(struct ks_table *t, struct entry *e, int delta,
		    uint64_t now)
{
	if (t->o.on_close_wait)
		t->o.on_close_wait(t->o.ctx, &e->s, delta, now);
}

static void kept_unlink(struct ks_table *t, struct entry *e)
{
	if (!e->kept)
		return;
	if (e->kept_prev)
		e->kept_prev->kept_next = e->kept_next;
	else
		t->kept_head = e->kept_next;
	if (e->kept_next)
		e->kept_next->kept_prev = e->kept_prev;
	else
		t->kept_tail = e->kept_prev;
	e->kept_prev = e->kept_next = NULL;
	e->kept = 0;
	t->nkept--;
}

static void drop(struct ks_table *t, struct entry *e)
{
	kept_unlink(t, e);
	if (e->s.final && t->o.on_forget)
		t->o.on_forget(t->o.ctx, &e->s);
	if (e->in_ino_hash)
		HASH_DELETE(hh_ino, t->by_ino, e);
	if (e->in_tup)
		HASH_DELETE(hh_tup, t->by_tuple, e);
	if (e->in_cw) {
		agg_cw_dec(e->svc);
		agg_cw_dec(e->proc);
		t->in_cw--;
	}
	if (e->proc)
		e->proc->sockets--;
	HASH_DEL(t->socks, e);
	free(e);
}

/* Index e by its 4-tuple once it is known; the newest socket wins. */
static void index_tuple(struct ks_table *t, struct entry *e)
{
	const struct ks_sock *s = &e->s;
	struct entry *old;

	if (e->in_tup || !s->family || !s->lport || !s->rport)
		return;
	memset(&e->tup, 0, sizeof(e->tup));
	e->tup.netns = s->netns;
	e->tup.lport = s->lport;
	e->tup.rport = s->rport;
	e->tup.family = s->family;
	memcpy(e->tup.laddr, s->laddr, 16);
	memcpy(e->tup.raddr, s->raddr, 16);
	HASH_FIND(hh_tup, t->by_tuple, &e->tup, sizeof(e->tup), old);
	if (old) {
		HASH_DELETE(hh_tup, t->by_tuple, old);
		old->in_tup = 0;
	}
	HASH_ADD(hh_tup, t->by_tuple, tup, sizeof(e->tup), e);
	e->in_tup = 1;
}

/* The other end of e, when it is a socket of the table in e's namespace. */
static struct entry *find_peer(const struct ks_table *t, const struct entry *e)
{
	struct tup_key k;
	struct entry *p;

	if (!e->in_tup)
		return NULL;
	memset(&k, 0, sizeof(k));
	k.netns = e->tup.netns;
	k.family = e->tup.family;
	k.lport = e->tup.rport;
	k.rport = e->tup.lport;
	memcpy(k.laddr, e->tup.raddr, 16);
	memcpy(k.raddr, e->tup.laddr, 16);
	HASH_FIND(hh_tup, t->by_tuple, &k, sizeof(k), p);
	return p == e ? NULL : p;
}

/* Fill the tuple from ev where the entry does not know it yet. */
static void learn_tuple(struct entry *e, const uint8_t *laddr,
			const uint8_t *raddr, uint16_t lport, uint16_t rport,
			uint8_t family)
{
	struct ks_sock *s = &e->s;

	if (!s->family && family)
		s->family = family;
	if (addr_zero(s->laddr) && !addr_zero(laddr))
		memcpy(s->laddr, laddr, 16);
	if (addr_zero(s->raddr) && !addr_zero(raddr))
		memcpy(s->raddr, raddr, 16);
	if (!s->lport && lport)
		s->lport = lport;
	if (!s->rport && rport)
		s->rport = rport;
}

/* Owner precedence: /proc > accept/connect > any process acting on it. */
static void set_owner(struct ks_table *t, struct entry *e, uint32_t pid,
		      const char *comm, uint8_t src)
{
	struct ks_sock *s = &e->s;
	int move;

	if (!pid)
		return;
	if (s->owner_src == KS_SRC_PROC && src != KS_SRC_PROC)
		return;
	if (src == KS_SRC_TASK && s->owner_src != KS_SRC_NONE)
		return;
	/* a socket in CLOSE_WAIT moves to its new owner's count */
	move = e->in_cw && s->owner_pid != pid;
	if (move)
		cw_hook(t, e, -1, t->now_ns);
	s->owner_pid = pid;
	s->owner_src = src;
	copy_comm(s->owner_comm, comm);
	attach_proc(t, e, pid, s->owner_comm);
	if (move)
		cw_hook(t, e, 1, t->now_ns);
}

static void fire(struct ks_table *t, enum ks_alert what, struct entry *e,
		 uint64_t now)
{
	if (t->o.on_alert)
		t->o.on_alert(t->o.ctx, what, &e->s, now);
}

static void enter_cw(struct ks_table *t, struct entry *e, uint64_t now)
{
	if (e->in_cw)
		return;
	e->in_cw = 1;
	e->s.cw_start_ns = now;
	cw_hook(t, e, 1, now);
	agg_cw_inc(e->svc);
	agg_cw_inc(e->proc);
	t->in_cw++;
	if (t->in_cw > t->peak_cw)
		t->peak_cw = t->in_cw;
}

static void leave_cw(struct ks_table *t, struct entry *e, uint64_t now)
{
	if (!e->in_cw)
		return;
	e->in_cw = 0;
	e->s.close_wait_ns = now - e->s.cw_start_ns;
	cw_hook(t, e, -1, now);
	agg_cw_dec(e->svc);
	agg_cw_dec(e->proc);
	t->in_cw--;
	/* crossed between two ticks: the alert still goes out first */
	if (!e->s.alerted && e->s.close_wait_ns >= t->o.linger_ns) {
		e->s.alerted = 1;
		fire(t, KS_ALERT_LINGER, e, now);
	}
	if (e->s.alerted)
		fire(t, KS_ALERT_CLOSED, e, now);
}

/*
 * An active closer whose peer is remote and did not close (in time): the
 * verdict is the remote end's, not this process's.
 */
static int blames_remote(const struct ks_sock *s)
{
	return s->passive == KS_SIDE_REMOTE &&
	       (s->verdict == VD_NEVER_CLOSED || s->verdict == VD_LATE_CLOSE);
}

static void agg_verdict(struct agg *a, const struct ks_sock *s, int delta)
{
	int local = s->passive == KS_SIDE_LOCAL;

	if (!a)
		return;
	if (a->key.group == KS_BY_PROCESS && blames_remote(s))
		return;
	a->verdicts[s->verdict] += (uint64_t)(int64_t)delta;
	if (local && s->verdict == VD_NEVER_CLOSED)
		a->never_closed += (uint64_t)(int64_t)delta;
	if (local && (s->verdict == VD_LATE_CLOSE ||
		      (s->verdict == VD_RESET &&
		       s->rst_phase == KS_PHASE_LATE_FIN)))
		a->late_close += (uint64_t)(int64_t)delta;
}

/*
 * Set e's verdict and count it (again, if it changed) in the totals and
 * in its process and service. The close-wait of a locally passive socket
 * becomes a sample once, at the first settlement.
 */
static void settle(struct ks_table *t, struct entry *e, enum vd_verdict v,
		   uint64_t now)
{
	struct ks_sock *s = &e->s;
	struct entry *peer;

	/*
	 * Blame by side: an active closer has called close(). When its peer
	 * is a socket on this host, that socket carries the verdict.
	 */
	peer = find_peer(t, e);
	if (peer) {
		s->peer_cookie = peer->s.cookie;
		peer->s.peer_cookie = s->cookie;
		if (s->passive == KS_SIDE_REMOTE &&
		    (v == VD_NEVER_CLOSED || v == VD_LATE_CLOSE ||
		     v == VD_CLOSING))
			v = VD_CLEAN;
	}
	if (e->counted) {
		if (s->verdict == v)
			return;
		t->verdicts[s->verdict]--;
		agg_verdict(e->svc, s, -1);
		agg_verdict(e->proc, s, -1);
	}
	s->verdict = (uint8_t)v;
	s->final = 1;
	e->counted = 1;
	t->verdicts[v]++;
	agg_verdict(e->svc, s, 1);
	agg_verdict(e->proc, s, 1);
	if (!e->cw_sampled && s->passive == KS_SIDE_LOCAL &&
	    s->cw_start_ns) {
		if (e->in_cw)
			s->close_wait_ns = now - s->cw_start_ns;
		e->cw_sampled = 1;
		agg_sample(e->svc, s->close_wait_ns);
		agg_sample(e->proc, s->close_wait_ns);
	}
}

/* Forget settled sockets nobody will list. */
static void maybe_drop(struct ks_table *t, struct entry *e)
{
	const struct ks_sock *s = &e->s;

	if (t->o.keep_clean || !s->final || s->timewait || e->in_cw)
		return;
	if (s->verdict == VD_CLEAN || s->verdict == VD_OPEN) {
		drop(t, e);
		return;
	}
	/* Kept for the list and for its peer's blame, but only the
	 * newest max_settled: the report already has the rest (on_forget),
	 * and a table that grew with every leak would not run for days. */
	if (!e->kept) {
		e->kept = 1;
		e->kept_prev = t->kept_tail;
		if (t->kept_tail)
			t->kept_tail->kept_next = e;
		else
			t->kept_head = e;
		t->kept_tail = e;
		t->nkept++;
	}
	while (t->nkept > t->o.max_settled) {
		struct entry *old = t->kept_head;
		const struct ks_sock *o = &old->s;

		if (o->final && !o->timewait && !old->in_cw)
			drop(t, old);
		else
			kept_unlink(t, old); /* maybe_drop() puts it back */
	}
}

static uint8_t phase_of(uint8_t state)
{
	switch (state) {
	case KS_TCP_CLOSE_WAIT:
	case KS_TCP_FIN_WAIT1:
	case KS_TCP_FIN_WAIT2:
	case KS_TCP_LAST_ACK:
	case KS_TCP_CLOSING:
	case KS_TCP_TIME_WAIT:
		return KS_PHASE_AFTER_FIN;
	default:
		return KS_PHASE_BEFORE_FIN;
	}
}

static const char SIG_LATE_FIN[] =
	"late FIN from the passive side answered by a RST from the active "
	"closer, whose FIN_WAIT2 had already timed out";

/* The verdict of a socket whose peer was passive, from its FIN_WAIT2. */
static enum vd_verdict remote_passive_verdict(const struct ks_table *t,
					      const struct ks_sock *s)
{
	return s->t[KS_T_FIN_WAIT2] > t->o.linger_ns ? VD_LATE_CLOSE
						     : VD_CLEAN;
}

/*
 * A passive side that closed by RST after waiting wait_ns (in CLOSE_WAIT
 * here, or the peer's, seen as this side's FIN_WAIT2): late past
 * --linger, as a capture of it reads, else a reset.
 */
static enum vd_verdict rst_close_verdict(const struct ks_table *t,
					 uint64_t wait_ns)
{
	return wait_ns > t->o.linger_ns ? VD_LATE_CLOSE : VD_RESET;
}

/*
 * Still in FIN_WAIT2 at the end: the peer has not closed, for at least
 * --linger (never-closed) or not yet that long (closing).
 */
static enum vd_verdict fin_wait2_verdict(const struct ks_table *t,
					 const struct ks_sock *s, uint64_t now)
{
	return ks_time_in(s, KS_T_FIN_WAIT2, now) >= t->o.linger_ns
		       ? VD_NEVER_CLOSED
		       : VD_CLOSING;
}

/* The full socket reached CLOSE from prev. */
static void on_close(struct ks_table *t, struct entry *e, uint8_t prev,
		     const struct ks_event *ev, uint64_t now)
{
	struct ks_sock *s = &e->s;
	uint32_t unread = ev ? ev->unread : 0;

	s->closed = 1;
	s->closed_ns = now;
	e->close_prev = prev;
	/* rcv_nxt counts a received FIN as one byte */
	if (unread && s->passive == KS_SIDE_LOCAL)
		unread--;
	if (unread && !s->unread)
		s->unread = unread;

	switch (prev) {
	case KS_TCP_SYN_SENT:
		settle(t, e,
		       s->rst_by == KS_SIDE_REMOTE ? VD_REFUSED
		       : s->no_syn		   ? VD_CONNECT_FAILED
						   : VD_OPEN,
		       now);
		break;
	case KS_TCP_SYN_RECV:
		settle(t, e, s->rst_by ? VD_RESET : VD_OPEN, now);
		break;
	case KS_TCP_ESTABLISHED:
	case KS_TCP_CLOSE_WAIT:
		/* no RST received: the application aborted (RST follows) */
		if (!s->rst_by) {
			s->rst_by = KS_SIDE_LOCAL;
			s->rst_phase = phase_of(prev);
		}
		/* an abort from CLOSE_WAIT is the passive side's close */
		settle(t, e,
		       prev == KS_TCP_CLOSE_WAIT
			       ? rst_close_verdict(t, s->close_wait_ns)
			       : VD_RESET,
		       now);
		break;
	case KS_TCP_LAST_ACK:
		if (s->rst_by == KS_SIDE_REMOTE) {
			settle(t, e, VD_RESET, now);
			break;
		}
		settle(t, e, s->close_wait_ns > t->o.linger_ns
				     ? VD_LATE_CLOSE
				     : VD_CLEAN, now);
		break;
	case KS_TCP_FIN_WAIT1:
		settle(t, e, s->rst_by ? VD_RESET : VD_FIN_UNACKED, now);
		break;
	case KS_TCP_FIN_WAIT2:
		if (s->rst_by) {
			settle(t, e, VD_RESET, now);
			break;
		}
		/* a timewait sock takes over: FIN_WAIT2 orphan or TIME_WAIT */
		s->timewait = 1;
		s->tw_enter_ns = now;
		break;
	case KS_TCP_CLOSING:
		s->timewait = 1;
		s->tw_enter_ns = now;
		s->tw_sub = KS_TCP_TIME_WAIT;
		s->tw_tw_ns = now;
		settle(t, e, VD_SIMULTANEOUS, now);
		break;
	default:
		settle(t, e, VD_OPEN, now);
		break;
	}
}

static void on_state(struct ks_table *t, struct entry *e,
		     const struct ks_event *ev)
{
	struct ks_sock *s = &e->s;
	uint64_t now = ev->mono_ns;
	uint8_t prev = s->state, next = ev->newstate;
	int c;

	if (s->closed)
		return; /* the socket is gone; late or duplicate record */
	if (is_closing(prev) && now >= s->state_ns) {
		c = clock_of(prev);
		s->t[c] += now - s->state_ns;
	}
	s->state = next;
	s->state_ns = now;
	if (prev == KS_TCP_CLOSE_WAIT && next != KS_TCP_CLOSE_WAIT) {
		if (ev->in_task) {
			s->closer_pid = ev->pid;
			copy_comm(s->closer_comm, ev->comm);
		}
		leave_cw(t, e, now);
	}

	switch (next) {
	case KS_TCP_SYN_SENT:
		s->role = KS_ROLE_CLIENT;
		if (ev->in_task)
			set_owner(t, e, ev->pid, ev->comm, KS_SRC_CONNECT);
		break;
	case KS_TCP_SYN_RECV:
		if (s->role == KS_ROLE_UNKNOWN)
			s->role = KS_ROLE_SERVER;
		break;
	case KS_TCP_CLOSE_WAIT:
		if (s->passive == KS_SIDE_NONE)
			s->passive = KS_SIDE_LOCAL;
		enter_cw(t, e, now);
		break;
	case KS_TCP_FIN_WAIT1:
		if (s->passive == KS_SIDE_NONE)
			s->passive = KS_SIDE_REMOTE;
		if (ev->in_task) {
			s->closer_pid = ev->pid;
			copy_comm(s->closer_comm, ev->comm);
		}
		break;
	case KS_TCP_CLOSE:
	case KS_TCP_TIME_WAIT:
		if ((prev == KS_TCP_ESTABLISHED || prev == KS_TCP_CLOSE_WAIT) &&
		    ev->in_task && !s->rst_by) {
			s->closer_pid = ev->pid;
			copy_comm(s->closer_comm, ev->comm);
		}
		on_close(t, e, prev, ev, now);
		break;
	default:
		break;
	}
	if (ev->in_task)
		set_owner(t, e, ev->pid, ev->comm, KS_SRC_TASK);
}

static void on_rst(struct ks_table *t, struct entry *e,
		   const struct ks_event *ev)
{
	struct ks_sock *s = &e->s;
	uint8_t state = s->closed ? e->close_prev : s->state;

	if (s->timewait && s->closed && e->close_prev != KS_TCP_ESTABLISHED &&
	    e->close_prev != KS_TCP_CLOSE_WAIT && ev->kind == KS_EV_RST_SENT &&
	    ev->oldstate == KS_TCP_TIME_WAIT)
		return; /* a timewait sock answering a stray segment */
	if (ev->kind == KS_EV_RST_RECV) {
		s->rst_by = KS_SIDE_REMOTE;
		s->rst_cause = KS_RST_NONE;
		s->rst_phase = state == KS_TCP_LAST_ACK ? KS_PHASE_LATE_FIN
							: phase_of(state);
		if (s->rst_phase == KS_PHASE_LATE_FIN)
			s->signature = SIG_LATE_FIN;
	} else {
		if (s->rst_by == KS_SIDE_REMOTE)
			return; /* answering the peer's RST: not the cause */
		s->rst_by = KS_SIDE_LOCAL;
		s->rst_cause = ev->rst;
		s->rst_phase = phase_of(state);
		if (ev->unread && !s->unread)
			s->unread = ev->unread -
				    (s->passive == KS_SIDE_LOCAL ? 1 : 0);
	}
	if (ev->in_task && ev->kind == KS_EV_RST_SENT && !s->closer_pid) {
		s->closer_pid = ev->pid;
		copy_comm(s->closer_comm, ev->comm);
	}
	/*
	 * a RST after CLOSE (abort): the socket was reset, unless its
	 * passive side had already closed late (a late close stays late)
	 */
	if (s->closed && s->verdict != VD_RESET &&
	    s->verdict != VD_LATE_CLOSE) {
		if (s->timewait) {
			s->timewait = 0;
		}
		settle(t, e, VD_RESET, ev->mono_ns);
	}
}

/* One change of the history, at `at`, when e is still in `from`. */
static void replay_step(struct ks_table *t, struct entry *e,
			const struct ks_event *ev, uint8_t from, uint8_t to,
			uint64_t at, int by_closer)
{
	struct ks_event st;

	if (!at || e->s.state != from || at < e->s.state_ns || e->s.closed)
		return;
	memset(&st, 0, sizeof(st));
	st.kind = KS_EV_STATE;
	st.mono_ns = at;
	st.cookie = ev->cookie;
	st.netns = ev->netns;
	st.oldstate = from;
	st.newstate = to;
	if (by_closer && ev->closer_pid) {
		st.in_task = 1;
		st.pid = ev->closer_pid;
		copy_comm(st.comm, ev->closer_comm);
	}
	on_state(t, e, &st);
}

/*
 * The kernel sends a socket's history with the record that needs it
 * (KS_EVF_HISTORY): replay the changes before the record's own, those e
 * has not seen yet, in the order TCP makes them (RFC 9293, 3.6).
 */
static void replay(struct ks_table *t, struct entry *e,
		   const struct ks_event *ev)
{
	struct ks_sock *s = &e->s;

	if (ev->role && (s->role == KS_ROLE_UNKNOWN || s->role_inferred)) {
		s->role = ev->role;
		s->role_inferred = 0;
	}
	if (ev->start_ns && ev->start_ns < s->first_ns)
		s->first_ns = ev->start_ns;
	if (ev->owner_pid)
		set_owner(t, e, ev->owner_pid, ev->owner_comm,
			  ev->owner_src == KS_SRC_CONNECT ? KS_SRC_CONNECT
							  : KS_SRC_ACCEPT);
	if (ev->flags & KS_EVF_NO_SYN)
		s->no_syn = 1;
	/* passive: the peer's FIN, then this side's close() */
	replay_step(t, e, ev, KS_TCP_ESTABLISHED, KS_TCP_CLOSE_WAIT, ev->cw_ns,
		    0);
	replay_step(t, e, ev, KS_TCP_CLOSE_WAIT, KS_TCP_LAST_ACK, ev->cw_end_ns,
		    1);
	/* active: this side's close(), then the ACK of its FIN */
	replay_step(t, e, ev, KS_TCP_ESTABLISHED, KS_TCP_FIN_WAIT1, ev->fin_ns,
		    1);
	replay_step(t, e, ev, KS_TCP_FIN_WAIT1, KS_TCP_FIN_WAIT2, ev->fw2_ns,
		    0);
	if (ev->closer_pid && !s->closer_pid) {
		s->closer_pid = ev->closer_pid;
		copy_comm(s->closer_comm, ev->closer_comm);
	}
}

int ks_feed(struct ks_table *t, const struct ks_event *ev)
{
	struct entry *e;
	int history = (ev->flags & KS_EVF_HISTORY) != 0;

	t->events++;
	if (ev->mono_ns > t->now_ns)
		t->now_ns = ev->mono_ns;
	if (!ev->cookie)
		return 0;
	e = find(t, ev->cookie, ev->netns);
	if (!e) {
		/* nothing to learn from the end of a socket never seen */
		if (!history &&
		    (ev->kind == KS_EV_DESTROY ||
		     (ev->kind == KS_EV_STATE && ev->newstate == KS_TCP_CLOSE &&
		      ev->oldstate != KS_TCP_CLOSE_WAIT &&
		      ev->oldstate != KS_TCP_ESTABLISHED &&
		      ev->oldstate != KS_TCP_SYN_SENT)))
			return 0;
		e = create(t, ev->cookie, ev->netns,
			   history && ev->start_ns ? ev->start_ns
						   : ev->mono_ns);
		if (!e) {
			t->dropped++;
			return -ENOMEM;
		}
		e->s.state = history && (ev->cw_ns || ev->fin_ns)
				     ? KS_TCP_ESTABLISHED
				     : ev->oldstate;
		e->s.state_ns = e->s.first_ns;
	}
	learn_tuple(e, ev->laddr, ev->raddr, ev->lport, ev->rport, ev->family);
	index_tuple(t, e);
	set_ino(t, e, ev->ino);
	if (history)
		replay(t, e, ev);
	else if (ev->flags & KS_EVF_NO_SYN)
		e->s.no_syn = 1;

	switch (ev->kind) {
	case KS_EV_STATE:
		on_state(t, e, ev);
		break;
	case KS_EV_RST_SENT:
	case KS_EV_RST_RECV:
		on_rst(t, e, ev);
		/* already closed when it was sent: the end, if unseen */
		if (history && ev->oldstate == KS_TCP_CLOSE && !e->s.closed) {
			struct ks_event close = *ev;

			close.kind = KS_EV_STATE;
			close.newstate = KS_TCP_CLOSE;
			close.in_task = 0;
			on_state(t, e, &close);
		}
		break;
	case KS_EV_ACCEPT:
		if (e->s.role == KS_ROLE_UNKNOWN || e->s.role_inferred) {
			e->s.role = KS_ROLE_SERVER;
			e->s.role_inferred = 0;
		}
		set_owner(t, e, ev->pid, ev->comm, KS_SRC_ACCEPT);
		/*
		 * Already in CLOSE_WAIT when accepted: the peer closed while
		 * it waited in the accept queue, and its state change was not
		 * reported (a --pid filter knows the socket only from here).
		 */
		if (ev->oldstate == KS_TCP_CLOSE_WAIT && !e->in_cw &&
		    !e->s.closed && !e->s.cw_start_ns) {
			e->s.state = KS_TCP_CLOSE_WAIT;
			e->s.state_ns = ev->mono_ns;
			if (e->s.passive == KS_SIDE_NONE)
				e->s.passive = KS_SIDE_LOCAL;
			e->s.cw_at_least = 1;
			enter_cw(t, e, ev->mono_ns);
		}
		break;
	case KS_EV_DESTROY:
		if (!e->s.closed) {
			struct ks_event close = *ev;

			close.kind = KS_EV_STATE;
			close.oldstate = e->s.state;
			close.newstate = KS_TCP_CLOSE;
			close.in_task = 0;
			on_state(t, e, &close);
		}
		break;
	default:
		break;
	}
	attach_svc(t, e);
	maybe_drop(t, e);
	return 0;
}

int ks_seed(struct ks_table *t, const struct ks_seed *sd)
{
	struct entry *e;
	uint64_t start = t->o.start_ns;

	if (find(t, sd->cookie, sd->netns))
		return -EEXIST;
	e = create(t, sd->cookie, sd->netns, start);
	if (!e)
		return -ENOMEM;
	t->pre_existing++;
	e->s.pre_existing = 1;
	e->s.cw_at_least = sd->state == KS_TCP_CLOSE_WAIT;
	learn_tuple(e, sd->laddr, sd->raddr, sd->lport, sd->rport, sd->family);
	index_tuple(t, e);
	set_ino(t, e, sd->ino);
	e->s.state = sd->state;
	attach_svc(t, e);
	if (sd->owner_pid) {
		set_owner(t, e, sd->owner_pid, sd->owner_comm, KS_SRC_PROC);
		e->proc_tried = 1;
	}
	if (sd->state == KS_TCP_CLOSE_WAIT) {
		e->s.passive = KS_SIDE_LOCAL;
		enter_cw(t, e, start);
	} else if (sd->state == KS_TCP_FIN_WAIT2) {
		e->s.passive = KS_SIDE_REMOTE;
		if (sd->timewait) {
			e->s.closed = 1;
			e->s.closed_ns = start;
			e->close_prev = KS_TCP_FIN_WAIT2;
			e->s.timewait = 1;
			e->s.tw_seen = 1;
			e->s.tw_sub = KS_TCP_FIN_WAIT2;
			e->s.tw_enter_ns = start;
			e->s.tw_last_ns = start;
		}
	}
	return 0;
}

/* ---- clean ends counted by the kernel ---- */

uint64_t ks_hist_lo(unsigned i)
{
	unsigned e;

	if (i < 4)
		return i;
	if (i >= KS_HIST_N)
		return UINT64_MAX;
	/* bucket 4 (e - 1) + sub holds (4 + sub) << (e - 2) and up */
	e = i / 4 + 1;
	return (uint64_t)(4 + i % 4) << (e - 2);
}

uint64_t ks_hist_mid(unsigned i)
{
	uint64_t lo = ks_hist_lo(i), hi;

	if (i < 4)
		return lo;
	hi = i + 1 < KS_HIST_N ? ks_hist_lo(i + 1) : lo + lo / 4;
	return lo + (hi - lo) / 2;
}

static void agg_add_clean(struct agg *a, const struct ks_clean *c)
{
	unsigned i;

	a->sockets += c->count;
	a->verdicts[VD_CLEAN] += c->count;
	a->kclean += c->count;
	for (i = 0; i < KS_HIST_N; i++) {
		a->hist[i] += c->hist[i];
		a->nhist += c->hist[i];
	}
}

int ks_add_clean(struct ks_table *t, const struct ks_clean *c)
{
	struct agg_key k;
	struct agg *a;

	if (!c->count)
		return 0;
	t->sockets += c->count;
	t->verdicts[VD_CLEAN] += c->count;
	memset(&k, 0, sizeof(k));
	k.group = KS_BY_SERVICE;
	k.netns = c->netns;
	k.family = c->family;
	k.role = c->role;
	k.port = c->port;
	memcpy(k.addr, c->addr, 16);
	a = agg_get(t, &k);
	if (!a)
		return -ENOMEM;
	agg_add_clean(a, c);
	memset(&k, 0, sizeof(k));
	k.group = KS_BY_PROCESS;
	k.pid = c->pid;
	a = agg_get(t, &k);
	if (!a)
		return -ENOMEM;
	agg_name(a, c->comm);
	agg_add_clean(a, c);
	if (t->o.on_clean)
		t->o.on_clean(t->o.ctx, c);
	return 0;
}

int ks_orphan(struct ks_table *t, const struct ks_orphan *o)
{
	struct entry *e, *peer;
	struct ks_sock *s;
	uint64_t since = o->since_ns;

	if (find(t, o->cookie, o->netns))
		return -EEXIST;
	e = create(t, o->cookie, o->netns, since);
	if (!e)
		return -ENOMEM;
	s = &e->s;
	learn_tuple(e, o->laddr, o->raddr, o->lport, o->rport, o->family);
	index_tuple(t, e);
	s->passive = KS_SIDE_REMOTE;
	s->state = KS_TCP_FIN_WAIT2;
	s->state_ns = since;
	s->closed = 1;
	s->closed_ns = since;
	e->close_prev = KS_TCP_FIN_WAIT2;
	s->timewait = 1;
	s->tw_seen = 1;
	s->tw_sub = KS_TCP_FIN_WAIT2;
	s->tw_enter_ns = since;
	s->tw_last_ns = since;
	/* the other end's role, when it is here, gives this one's */
	peer = find_peer(t, e);
	if (peer && peer->s.role != KS_ROLE_UNKNOWN) {
		s->role = peer->s.role == KS_ROLE_SERVER ? KS_ROLE_CLIENT
							 : KS_ROLE_SERVER;
		s->role_inferred = peer->s.role_inferred;
	}
	attach_svc(t, e);
	/* the kernel counted its close as clean: the count moves here */
	if (e->svc && e->svc->kclean) {
		e->svc->kclean--;
		e->svc->sockets--;
		e->svc->verdicts[VD_CLEAN]--;
		t->verdicts[VD_CLEAN]--;
		t->sockets--;
		s->counted = 1;
		if (t->o.on_clean) {
			struct ks_clean c;

			memset(&c, 0, sizeof(c));
			c.netns = e->svc->key.netns;
			c.family = e->svc->key.family;
			c.role = e->svc->key.role;
			memcpy(c.addr, e->svc->key.addr, 16);
			c.port = e->svc->key.port;
			c.count = 1;
			c.moved = 1;
			t->o.on_clean(t->o.ctx, &c);
		}
	}
	return 0;
}

/* ---- timewait ---- */

static int cmp_tw(const void *a, const void *b)
{
	const struct ks_tw *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static void tw_ended(struct ks_table *t, struct entry *e, uint64_t now)
{
	struct ks_sock *s = &e->s;
	uint64_t end = now;

	/* it ended between the last sample that saw it and now */
	if (s->tw_expires_ns && s->tw_expires_ns < end &&
	    s->tw_expires_ns > s->tw_last_ns)
		end = s->tw_expires_ns;
	if (s->tw_sub == KS_TCP_FIN_WAIT2) {
		/*
		 * Gone before its timer could fire (timers never fire early):
		 * the peer's RST killed it, which no hook sees on a timewait
		 * sock; the peer closed. Else the timer ran out: the peer
		 * never sent FIN.
		 */
		int killed = s->tw_expires_ns &&
			     now + KS_TW_EARLY_NS < s->tw_expires_ns;

		s->t[KS_T_FIN_WAIT2] += end - s->tw_enter_ns;
		if (killed && !s->rst_by) {
			s->rst_by = KS_SIDE_REMOTE;
			s->rst_phase = phase_of(KS_TCP_FIN_WAIT2);
		}
		if (!s->final)
			settle(t, e,
			       killed ? rst_close_verdict(t,
							  s->t[KS_T_FIN_WAIT2])
				      : VD_NEVER_CLOSED,
			       now);
	} else if (s->tw_sub == KS_TCP_TIME_WAIT) {
		s->t[KS_T_TIME_WAIT] = end - s->tw_tw_ns;
		if (!s->final)
			settle(t, e, remote_passive_verdict(t, s), now);
	} else if (!s->final) {
		settle(t, e, remote_passive_verdict(t, s), now);
	}
	s->timewait = 0;
	s->state = KS_TCP_CLOSE;
	maybe_drop(t, e);
}

void ks_tw_sample(struct ks_table *t, uint64_t now, const struct ks_tw *v,
		  size_t n)
{
	struct ks_tw *sorted = NULL, key;
	const struct ks_tw *hit;
	struct entry *e, *tmp;
	struct ks_sock *s;
	uint64_t est;

	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return; /* try again at the next sample */
		memcpy(sorted, v, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_tw);
	}
	HASH_ITER(hh, t->socks, e, tmp) {
		s = &e->s;
		if (!s->timewait)
			continue;
		memset(&key, 0, sizeof(key));
		key.cookie = s->cookie;
		key.netns = s->netns;
		hit = n ? bsearch(&key, sorted, n, sizeof(*sorted), cmp_tw)
			: NULL;
		if (!hit) {
			tw_ended(t, e, now);
			continue;
		}
		if (hit->substate == KS_TCP_TIME_WAIT &&
		    s->tw_sub != KS_TCP_TIME_WAIT) {
			/*
			 * Entered TIME_WAIT since the last sample. Its timer
			 * started at TCP_TIMEWAIT_LEN before expiry; trust
			 * that only inside the window it must lie in.
			 */
			uint64_t lo = s->tw_last_ns > s->tw_enter_ns
					      ? s->tw_last_ns
					      : s->tw_enter_ns;

			if (!s->tw_seen)
				lo = s->tw_enter_ns;
			est = now + (uint64_t)hit->expires_ms * 1000000ull;
			est = est > KS_TIMEWAIT_LEN_NS
				      ? est - KS_TIMEWAIT_LEN_NS
				      : 0;
			if (est < lo || est > now)
				est = s->tw_sub == KS_TCP_FIN_WAIT2 ? now : lo;
			if (s->tw_sub == KS_TCP_FIN_WAIT2 && est > s->tw_enter_ns)
				s->t[KS_T_FIN_WAIT2] += est - s->tw_enter_ns;
			s->tw_tw_ns = est;
			s->tw_sub = KS_TCP_TIME_WAIT;
			s->state = KS_TCP_TIME_WAIT;
			if (!s->final)
				settle(t, e, remote_passive_verdict(t, s), now);
		} else if (hit->substate == KS_TCP_FIN_WAIT2 && !s->tw_sub) {
			s->tw_sub = KS_TCP_FIN_WAIT2;
			s->state = KS_TCP_FIN_WAIT2;
		}
		s->tw_seen = 1;
		s->tw_last_ns = now;
		s->tw_expires_ns = now + (uint64_t)hit->expires_ms * 1000000ull;
	}
	free(sorted);
}

size_t ks_tw_netns(const struct ks_table *t, uint32_t *netns, size_t max)
{
	const struct entry *e, *tmp;
	size_t n = 0, i;

	HASH_ITER(hh, t->socks, e, tmp) {
		if (!e->s.timewait)
			continue;
		for (i = 0; i < n; i++)
			if (netns[i] == e->s.netns)
				break;
		if (i == n && n < max)
			netns[n++] = e->s.netns;
	}
	return n;
}

/* ---- reconciliation ---- */

static int cmp_ref(const void *a, const void *b)
{
	const struct ks_ref *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static int believed_open(const struct entry *e)
{
	return !e->s.closed && !e->s.timewait && !e->s.end_lost;
}

size_t ks_live_netns(const struct ks_table *t, uint32_t *netns, size_t max)
{
	const struct entry *e, *tmp;
	size_t n = 0, i;

	HASH_ITER(hh, t->socks, e, tmp) {
		if (!believed_open(e))
			continue;
		for (i = 0; i < n; i++)
			if (netns[i] == e->s.netns)
				break;
		if (i == n && n < max)
			netns[n++] = e->s.netns;
	}
	return n;
}

size_t ks_reconcile(struct ks_table *t, uint64_t now, uint64_t quiet_ns,
		    const struct ks_ref *alive, size_t n)
{
	struct ks_ref *sorted = NULL, key;
	struct entry *e, *tmp;
	size_t gone = 0;

	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return 0;
		memcpy(sorted, alive, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_ref);
	}
	HASH_ITER(hh, t->socks, e, tmp) {
		if (!believed_open(e) || e->s.state_ns + quiet_ns > now)
			continue;
		memset(&key, 0, sizeof(key));
		key.cookie = e->s.cookie;
		key.netns = e->s.netns;
		if (n && bsearch(&key, sorted, n, sizeof(*sorted), cmp_ref))
			continue;
		gone++;
		t->end_lost++;
		e->s.end_lost = 1;
		e->s.closed = 1;
		e->s.closed_ns = now;
		if (e->in_cw) {
			/* its close-wait ended at an unknown time before now */
			e->s.alerted = 0;
			e->in_cw = 0;
			e->s.close_wait_ns = now - e->s.cw_start_ns;
			cw_hook(t, e, -1, now);
			agg_cw_dec(e->svc);
			agg_cw_dec(e->proc);
			t->in_cw--;
			e->cw_sampled = 1; /* not a measurement */
		}
		settle(t, e, VD_OPEN, now);
	}
	free(sorted);
	return gone;
}

/* ---- owners ---- */

size_t ks_owner_wanted(const struct ks_table *t, uint64_t *inos, size_t max)
{
	const struct entry *e, *tmp;
	size_t n = 0;

	HASH_ITER(hh, t->socks, e, tmp) {
		if (n == max)
			break;
		if (e->in_cw && e->s.ino && !e->proc_tried)
			inos[n++] = e->s.ino;
	}
	return n;
}

void ks_set_owner(struct ks_table *t, uint64_t ino, uint32_t pid,
		  const char *comm)
{
	struct entry *e;

	HASH_FIND(hh_ino, t->by_ino, &ino, sizeof(ino), e);
	if (!e)
		return;
	e->proc_tried = 1;
	if (pid)
		set_owner(t, e, pid, comm ? comm : "", KS_SRC_PROC);
}

/* ---- time ---- */

static void growth_sample(struct ks_table *t, uint64_t now)
{
	double x = (double)(now - t->o.start_ns) / KS_NS_PER_HOUR, y;
	struct agg *a, *tmp;

	t->last_growth_ns = now;
	HASH_ITER(hh, t->aggs, a, tmp) {
		y = (double)a->cw_now;
		a->sx += x;
		a->sy += y;
		a->sxx += x * x;
		a->sxy += x * y;
		a->ngrowth++;
	}
}

void ks_tick(struct ks_table *t, uint64_t now)
{
	struct entry *e, *tmp;

	if (now > t->now_ns)
		t->now_ns = now;
	HASH_ITER(hh, t->socks, e, tmp) {
		if (e->in_cw && !e->s.alerted &&
		    now - e->s.cw_start_ns >= t->o.linger_ns) {
			e->s.alerted = 1;
			fire(t, KS_ALERT_LINGER, e, now);
		}
	}
	if (!t->last_growth_ns ||
	    now - t->last_growth_ns >= KS_GROWTH_PERIOD_NS)
		growth_sample(t, now);
}

uint64_t ks_next_alert_ns(const struct ks_table *t)
{
	const struct entry *e, *tmp;
	uint64_t best = UINT64_MAX, at;

	HASH_ITER(hh, t->socks, e, tmp) {
		if (!e->in_cw || e->s.alerted)
			continue;
		at = e->s.cw_start_ns + t->o.linger_ns;
		if (at < best)
			best = at;
	}
	return best;
}

void ks_finish(struct ks_table *t, uint64_t now)
{
	struct entry *e, *tmp;
	struct ks_sock *s;

	if (t->finished)
		return;
	if (now > t->now_ns)
		t->now_ns = now;
	t->finished = 1;
	HASH_ITER(hh, t->socks, e, tmp) {
		s = &e->s;
		if (s->final && !s->timewait)
			continue;
		if (e->in_cw) {
			/* fewer than --linger into CLOSE_WAIT: undecided */
			settle(t, e,
			       ks_close_wait(s, now) >= t->o.linger_ns ?
				       VD_NEVER_CLOSED :
				       VD_CLOSING,
			       now);
			continue;
		}
		if (s->timewait) {
			if (s->tw_sub == KS_TCP_FIN_WAIT2)
				settle(t, e, fin_wait2_verdict(t, s, now), now);
			else if (!s->final)
				settle(t, e, remote_passive_verdict(t, s), now);
			continue;
		}
		switch (s->state) {
		case KS_TCP_FIN_WAIT2:
			settle(t, e, fin_wait2_verdict(t, s, now), now);
			break;
		case KS_TCP_FIN_WAIT1:
		case KS_TCP_LAST_ACK:
			if (now - s->state_ns >= t->o.linger_ns)
				settle(t, e, VD_FIN_UNACKED, now);
			else if (s->state == KS_TCP_LAST_ACK)
				settle(t, e, s->close_wait_ns > t->o.linger_ns
						     ? VD_LATE_CLOSE
						     : VD_CLEAN, now);
			else
				settle(t, e, VD_OPEN, now);
			break;
		case KS_TCP_CLOSING:
			settle(t, e, VD_SIMULTANEOUS, now);
			break;
		default:
			settle(t, e, VD_OPEN, now);
			break;
		}
	}
	growth_sample(t, now);
}

/* ---- reading ---- */

uint64_t ks_process_close_wait(const struct ks_table *t, uint32_t pid)
{
	struct agg_key k;
	struct agg *a;

	memset(&k, 0, sizeof(k));
	k.group = KS_BY_PROCESS;
	k.pid = pid;
	HASH_FIND(hh, t->aggs, &k, sizeof(k), a);
	return a ? a->cw_now : 0;
}

void ks_totals(const struct ks_table *t, uint64_t now, struct ks_totals *out)
{
	const struct entry *e, *tmp;
	uint64_t age;

	memset(out, 0, sizeof(*out));
	out->events = t->events;
	out->dropped = t->dropped;
	out->sockets = t->sockets;
	out->tracked = HASH_CNT(hh, t->socks);
	out->pre_existing = t->pre_existing;
	out->end_lost = t->end_lost;
	out->in_close_wait = t->in_cw;
	out->peak_close_wait = t->peak_cw;
	memcpy(out->verdicts, t->verdicts, sizeof(out->verdicts));
	HASH_ITER(hh, t->socks, e, tmp) {
		if (e->s.timewait)
			out->in_timewait++;
		if (!e->in_cw)
			continue;
		age = now > e->s.cw_start_ns ? now - e->s.cw_start_ns : 0;
		if (age > out->oldest_cw_ns)
			out->oldest_cw_ns = age;
	}
}

uint64_t ks_close_wait(const struct ks_sock *s, uint64_t now)
{
	if (!s->cw_start_ns)
		return 0;
	if (s->state == KS_TCP_CLOSE_WAIT && !s->closed)
		return now > s->cw_start_ns ? now - s->cw_start_ns : 0;
	return s->close_wait_ns;
}

uint64_t ks_time_in(const struct ks_sock *s, enum ks_clock c, uint64_t now)
{
	uint64_t v = s->t[c];

	if (s->timewait) {
		if (c == KS_T_FIN_WAIT2 && s->tw_sub != KS_TCP_TIME_WAIT &&
		    now > s->tw_enter_ns)
			v += now - s->tw_enter_ns;
		if (c == KS_T_TIME_WAIT && s->tw_sub == KS_TCP_TIME_WAIT &&
		    now > s->tw_tw_ns)
			v = now - s->tw_tw_ns;
		return v;
	}
	if (!s->closed && clock_of(s->state) == (int)c && now > s->state_ns)
		v += now - s->state_ns;
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Nearest-rank percentile of the sorted samples v[0..n) together with the
 * nhist samples of hist, each of which counts as its bucket's middle.
 */
static uint64_t pct(const uint64_t *v, size_t n, const uint64_t *hist,
		    uint64_t nhist, unsigned p)
{
	uint64_t rank, seen = 0, mid;
	size_t i = 0;
	unsigned b = 0;

	if (!n && !nhist)
		return 0;
	rank = ((n + nhist) * p + 99) / 100;
	if (rank < 1)
		rank = 1;
	for (;;) {
		while (b < KS_HIST_N && !hist[b])
			b++;
		mid = b < KS_HIST_N ? ks_hist_mid(b) : UINT64_MAX;
		if (i < n && v[i] <= mid) {
			if (++seen >= rank)
				return v[i];
			i++;
			continue;
		}
		if (b >= KS_HIST_N)
			return n ? v[n - 1] : 0;
		if (seen + hist[b] >= rank)
			return mid;
		seen += hist[b];
		b++;
	}
}

static int fill_agg(const struct ks_table *t, const struct agg *a,
		    uint64_t now, struct ks_agg *out)
{
	const struct entry *e, *tmp;
	uint64_t *v, age;
	size_t n = 0, cap = a->ncw + 1;
	double den;

	memset(out, 0, sizeof(*out));
	out->group = a->key.group;
	out->pid = a->key.pid;
	copy_comm(out->comm, a->comm);
	out->netns = a->key.netns;
	out->family = a->key.family;
	out->role = a->key.role;
	memcpy(out->addr, a->key.addr, 16);
	out->port = a->key.port;
	out->sockets = a->sockets;
	memcpy(out->verdicts, a->verdicts, sizeof(out->verdicts));
	out->never_closed = a->never_closed;
	out->late_close = a->late_close;
	out->cw_now = a->cw_now;
	out->cw_peak = a->cw_peak;

	/* settled samples plus the age of those still lingering, unsettled */
	HASH_ITER(hh, t->socks, e, tmp)
		if (e->in_cw && (e->svc == a || e->proc == a))
			cap++;
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (a->ncw)
		memcpy(v, a->cw, a->ncw * sizeof(*v));
	n = a->ncw;
	HASH_ITER(hh, t->socks, e, tmp) {
		if (!e->in_cw || (e->svc != a && e->proc != a))
			continue;
		age = now > e->s.cw_start_ns ? now - e->s.cw_start_ns : 0;
		if (age > out->oldest_cw_ns)
			out->oldest_cw_ns = age;
		if (!e->cw_sampled)
			v[n++] = age;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	out->cw_samples = n + a->nhist;
	out->cw_p50 = pct(v, n, a->hist, a->nhist, 50);
	out->cw_p90 = pct(v, n, a->hist, a->nhist, 90);
	out->cw_p99 = pct(v, n, a->hist, a->nhist, 99);
	out->cw_max = pct(v, n, a->hist, a->nhist, 100);
	if (a->cw_max > out->cw_max)
		out->cw_max = a->cw_max;
	free(v);

	den = (double)a->ngrowth * a->sxx - a->sx * a->sx;
	if (a->ngrowth >= 2 && den > 1e-18)
		out->growth_per_hour =
			((double)a->ngrowth * a->sxy - a->sx * a->sy) / den;
	return 0;
}

static int cmp_agg(const void *a, const void *b)
{
	const struct ks_agg *x = a, *y = b;

	if (x->cw_now != y->cw_now)
		return x->cw_now > y->cw_now ? -1 : 1;
	if (x->never_closed != y->never_closed)
		return x->never_closed > y->never_closed ? -1 : 1;
	if (x->cw_max != y->cw_max)
		return x->cw_max > y->cw_max ? -1 : 1;
	if (x->sockets != y->sockets)
		return x->sockets > y->sockets ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

long ks_groups(const struct ks_table *t, enum ks_group g, uint64_t now,
	       struct ks_agg **out)
{
	const struct agg *a, *tmp;
	struct ks_agg *v;
	size_t n = 0;

	*out = NULL;
	v = calloc(HASH_CNT(hh, t->aggs) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	HASH_ITER(hh, t->aggs, a, tmp) {
		if (a->key.group != g || !a->sockets)
			continue;
		if (fill_agg(t, a, now, &v[n])) {
			free(v);
			return -ENOMEM;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_agg);
	*out = v;
	return (long)n;
}

/* Sort key, lowest first: lingering sockets, then worst verdict first. */
static int severity(const struct ks_sock *s)
{
	if (s->state == KS_TCP_CLOSE_WAIT && !s->closed)
		return -1;
	return 100 - (int)vd_info((enum vd_verdict)s->verdict)->rank;
}

static int cmp_sock(const void *a, const void *b)
{
	const struct ks_sock *x = *(const struct ks_sock *const *)a;
	const struct ks_sock *y = *(const struct ks_sock *const *)b;
	int rx = severity(x), ry = severity(y);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (rx == -1 && x->cw_start_ns != y->cw_start_ns)
		return x->cw_start_ns < y->cw_start_ns ? -1 : 1;
	if (x->close_wait_ns != y->close_wait_ns)
		return x->close_wait_ns > y->close_wait_ns ? -1 : 1;
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

void ks_foreach(const struct ks_table *t,
		void (*fn)(void *ctx, const struct ks_sock *s), void *ctx)
{
	const struct entry *e, *tmp;

	HASH_ITER(hh, t->socks, e, tmp)
		fn(ctx, &e->s);
}

long ks_list(const struct ks_table *t, const struct ks_sock ***out)
{
	const struct entry *e, *tmp;
	const struct ks_sock **v;
	size_t n = 0;

	*out = NULL;
	v = calloc(HASH_CNT(hh, t->socks) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	HASH_ITER(hh, t->socks, e, tmp) {
		if (!t->o.keep_clean && !e->in_cw &&
		    (!e->s.final || e->s.verdict == VD_CLEAN ||
		     e->s.verdict == VD_OPEN))
			continue;
		v[n++] = &e->s;
	}
	qsort(v, n, sizeof(*v), cmp_sock);
	*out = v;
	return (long)n;
}

/* ---- names ---- */

const char *ks_side_name(enum ks_side s)
{
	return s == KS_SIDE_LOCAL ? "local"
	       : s == KS_SIDE_REMOTE ? "remote"
				     : "none";
}

const char *ks_role_name(enum ks_role r)
{
	return r == KS_ROLE_CLIENT ? "client"
	       : r == KS_ROLE_SERVER ? "server"
				     : "unknown";
}

const char *ks_phase_name(enum ks_phase p)
{
	switch (p) {
	case KS_PHASE_BEFORE_FIN:
		return "before-fin";
	case KS_PHASE_AFTER_FIN:
		return "after-fin";
	case KS_PHASE_LATE_FIN:
		return "late-fin";
	default:
		return "none";
	}
}

const char *ks_rst_name(enum ks_rst r)
{
	switch (r) {
	case KS_RST_OTHER:
		return "other";
	case KS_RST_UNREAD:
		return "close-with-unread-data";
	case KS_RST_ABORT:
		return "abort";
	case KS_RST_MEMORY:
		return "out-of-memory";
	case KS_RST_KEEPALIVE:
		return "timeout";
	case KS_RST_LINGER2:
		return "linger2";
	default:
		return "none";
	}
}

const char *ks_src_name(enum ks_src s)
{
	switch (s) {
	case KS_SRC_CONNECT:
		return "connect";
	case KS_SRC_ACCEPT:
		return "accept";
	case KS_SRC_TASK:
		return "close";
	case KS_SRC_PROC:
		return "proc";
	default:
		return "none";
	}
}

const char *ks_state_name(unsigned state)
{
	static const char *const names[] = {
		"UNKNOWN",   "ESTABLISHED", "SYN_SENT", "SYN_RECV",
		"FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
		"CLOSE_WAIT", "LAST_ACK",   "LISTEN",   "CLOSING",
		"NEW_SYN_RECV",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state]
							: "UNKNOWN";
}

const char *ks_clock_name(enum ks_clock c)
{
	static const char *const names[KS_T__COUNT] = {
		"close_wait", "fin_wait1", "fin_wait2",
		"last_ack",   "closing",   "time_wait",
	};

	return (unsigned)c < KS_T__COUNT ? names[c] : "?";
}
