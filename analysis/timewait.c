/* SPDX-License-Identifier: MIT */
/*
 * TIME_WAIT pressure; see timewait.h.
 *
 * Flows are finalised a grace period after their last packet, so their
 * TIME_WAIT intervals arrive slightly out of start order. They wait in a
 * pending list until the capture clock is horizon_ns past their start,
 * then are counted in start order: per (holder, service) pair a min-heap
 * of the end times of the sockets now in TIME_WAIT gives the count at
 * each start, hence the peak.
 */
#include "analysis/timewait.h"
#include "analysis/index.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>


#define NS ((uint64_t)1000000000)

struct tw_heap {
	uint64_t *v;
	size_t n;
	size_t cap;
};

enum tw_side { TW_CLIENT = 0, TW_SERVER };

struct tw_pkey {
	uint8_t holder[16];  /* the host holding the sockets */
	uint8_t service[16]; /* the server (for client holders), or 0 */
	uint16_t port;       /* the service port, or 0 for a host total */
	uint8_t family;
	uint8_t side;        /* enum tw_side of the holder */
	uint32_t netns;      /* kernel samples: the holder's namespace */
};

struct tw_pair {
	struct tw_pkey key;
	struct tw_heap ends;
	uint64_t closes;
	uint64_t peak;
	uint64_t peak_ns;
	uint64_t reused;
	uint64_t sample_gen;   /* the kernel sample sample_n belongs to */
	uint64_t sample_n;
	uint16_t port_lo;      /* its own port range; 0-0: the tracker's */
	uint16_t port_hi;
	uint8_t alerted;       /* on_pressure was called */
	struct tw_pair *next_all;  /* every pair, for writing and freeing */
};

struct tw_pending {
	uint64_t start;
	uint64_t end;
	struct tw_pair *pair;
	struct tw_pair *host;  /* per-host total, client holders only */
};

/* The last TIME_WAIT interval of a 4-tuple, for reuse detection. */
struct tw_sock {
	struct flow_key key;
	uint64_t start;
	uint64_t end;
	struct tw_pair *pair;
	struct tw_pair *host;
	struct tw_sock *next;  /* FIFO in order of registration */
	uint8_t reused;
	uint8_t requeue;       /* its end moved later: not in FIFO order */
};

/* Direct-mapped cache in front of the pair table: most flows repeat a
 * (client, service) pair seen a moment ago. */
#define TW_CACHE 4096

struct tw {
	struct tw_config cfg;
	struct tw_pair *pairs;      /* list of every pair */
	size_t npairs;
	struct idx pair_idx;
	struct idx sock_idx;
	struct tw_pair *cache[TW_CACHE];
	struct tw_sock *socks;
	struct tw_sock *fifo_head;
	struct tw_sock *fifo_tail;
	struct tw_pending *pending;
	size_t npending;
	size_t cap_pending;
	uint64_t now_ns;
	uint64_t next_commit_ns;
	uint64_t samples;      /* kernel samples taken (tw_sample) */
	int crossed;           /* a pair reached the share in this sample */
};

struct tw *tw_new(const struct tw_config *cfg)
{
	struct tw *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (t->cfg.port_hi < t->cfg.port_lo) {
		uint16_t x = t->cfg.port_lo;

		t->cfg.port_lo = t->cfg.port_hi;
		t->cfg.port_hi = x;
	}
	return t;
}

void tw_free(struct tw *t)
{
	struct tw_pair *p, *ptmp;
	struct tw_sock *s, *stmp;

	if (!t)
		return;
	for (p = t->pairs; p; p = ptmp) {
		ptmp = p->next_all;
		free(p->ends.v);
		free(p);
	}
	for (s = t->fifo_head; s; s = stmp) {
		stmp = s->next;
		free(s);
	}
	idx_free(&t->pair_idx);
	idx_free(&t->sock_idx);
	free(t->pending);
	free(t);
}

int tw_intervals(const struct td_flow *td, const struct td_result *res,
		 uint64_t time_wait_ns, struct tw_interval out[2])
{
	const struct td_dir *d = td->dir;
	int a = res->active, p, n = 0;

	/* A RST ends TIME_WAIT at once (Linux accepts it: tcp_rfc1337=0),
	 * and a RST instead of a FIN means nobody enters it. */
	if (d[0].has_rst || d[1].has_rst)
		return 0;
	if (res->verdict == VD_SIMULTANEOUS) {
		/* Both sides pass CLOSING and both hold TIME_WAIT (3.6.1) */
		for (int i = 0; i < 2; i++) {
			uint64_t s;

			if (!d[i].has_fin || !d[i].fin_acked ||
			    !d[1 - i].has_fin)
				continue;
			s = d[i].fin_ack_ns > d[1 - i].fin_ns ? d[i].fin_ack_ns :
								d[1 - i].fin_ns;
			out[n++] = (struct tw_interval){s, s + time_wait_ns, i};
		}
		return n;
	}
	if (a < 0)
		return 0;
	p = 1 - a;
	if (!d[a].has_fin || !d[p].has_fin)
		return 0;
	/* The active closer enters TIME_WAIT as it ACKs the peer's FIN. */
	uint64_t s = d[p].fin_acked ? d[p].fin_ack_ns : d[p].fin_ns;
	out[0] = (struct tw_interval){s, s + time_wait_ns, a};
	return 1;
}

static int heap_push(struct tw_heap *h, uint64_t v)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 16;
		uint64_t *nv = realloc(h->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		h->v = nv;
		h->cap = cap;
	}
	i = h->n++;
	while (i && h->v[(i - 1) / 2] > v) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = v;
	return 0;
}

static void heap_pop(struct tw_heap *h)
{
	uint64_t last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= last)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

/* Count one interval: sockets whose TIME_WAIT ended leave first. */
static void count(struct tw_pair *p, uint64_t start, uint64_t end)
{
	while (p->ends.n && p->ends.v[0] <= start)
		heap_pop(&p->ends);
	if (heap_push(&p->ends, end))
		return;
	if (p->ends.n > p->peak) {
		p->peak = p->ends.n;
		p->peak_ns = start;
	}
}

/* The pending intervals form a binary min-heap on their start. */
static void pending_push(struct tw *t, const struct tw_pending *e)
{
	size_t i = t->npending++;

	while (i && t->pending[(i - 1) / 2].start > e->start) {
		t->pending[i] = t->pending[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	t->pending[i] = *e;
}

static void pending_pop(struct tw *t)
{
	struct tw_pending last = t->pending[--t->npending];
	size_t i = 0, n = t->npending;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && t->pending[c + 1].start < t->pending[c].start)
			c++;
		if (t->pending[c].start >= last.start)
			break;
		t->pending[i] = t->pending[c];
		i = c;
	}
	if (n)
		t->pending[i] = last;
}

/* Count, in start order, every pending interval that began by upto. */
static void commit(struct tw *t, uint64_t upto)
{
	while (t->npending && t->pending[0].start <= upto) {
		struct tw_pending e = t->pending[0];

		pending_pop(t);
		count(e.pair, e.start, e.end);
		if (e.host)
			count(e.host, e.start, e.end);
	}
}

static unsigned pkey_slot(const struct tw_pkey *k)
{
	uint64_t a, b, c;

	memcpy(&a, k->holder, 8);
	memcpy(&b, k->service, 8);
	memcpy(&c, k->holder + 8, 8);
	a = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL) ^ c ^
	    ((uint64_t)k->port << 32 | k->side);
	a ^= a >> 29;
	a *= 0xbf58476d1ce4e5b9ULL;
	return (unsigned)(a >> 40) & (TW_CACHE - 1);
}

static int pair_eq(const void *e, const void *k)
{
	return !memcmp(&((const struct tw_pair *)e)->key, k,
		       sizeof(struct tw_pkey));
}

static int sock_eq(const void *e, const void *k)
{
	return !memcmp(&((const struct tw_sock *)e)->key, k,
		       sizeof(struct flow_key));
}

static struct tw_pair *pair_get(struct tw *t, const struct tw_pkey *k)
{
	unsigned slot = pkey_slot(k);
	struct tw_pair *p = t->cache[slot];
	uint64_t h;

	if (p && !memcmp(&p->key, k, sizeof(*k)))
		return p;
	h = idx_hash(k, sizeof(*k));
	p = idx_find(&t->pair_idx, h, k, pair_eq);
	if (p) {
		t->cache[slot] = p;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->key = *k;
	if (idx_insert(&t->pair_idx, h, p)) {
		free(p);
		return NULL;
	}
	p->next_all = t->pairs;
	t->pairs = p;
	t->npairs++;
	t->cache[slot] = p;
	return p;
}

static int remember_sock(struct tw *t, const struct flow_key *key,
			 const struct tw_pending *e)
{
	uint64_t h = idx_hash(key, sizeof(*key));
	struct tw_sock *s = idx_find(&t->sock_idx, h, key, sock_eq);

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->key = *key;
		if (idx_insert(&t->sock_idx, h, s)) {
			free(s);
			return -ENOMEM;
		}
		if (t->fifo_tail)
			t->fifo_tail->next = s;
		else
			t->fifo_head = s;
		t->fifo_tail = s;
	} else if (e->end > s->end) {
		/* The 4-tuple again: its place in the FIFO is now too early */
		s->requeue = 1;
	}
	s->start = e->start;
	if (e->end > s->end)
		s->end = e->end;
	s->pair = e->pair;
	s->host = e->host;
	s->reused = 0;
	return 0;
}

int tw_flow_done(struct tw *t, const struct flow_record *rec)
{
	struct tw_interval iv[2];
	int n = tw_intervals(rec->td, &rec->res, t->cfg.time_wait_ns, iv);
	const struct flow_key *k = rec->key;
	int server = 1 - rec->td->client;

	for (int i = 0; i < n; i++) {
		struct tw_pkey pk;
		struct tw_pending e = {.start = iv[i].start_ns,
				       .end = iv[i].end_ns};
		int holder = iv[i].holder;

		memset(&pk, 0, sizeof(pk));
		memcpy(pk.holder, k->addr[holder], 16);
		pk.family = k->family;
		pk.side = holder == server ? TW_SERVER : TW_CLIENT;
		if (pk.side == TW_CLIENT) {
			memcpy(pk.service, k->addr[server], 16);
			pk.port = k->port[server];
		} else {
			pk.port = k->port[server];
		}
		e.pair = pair_get(t, &pk);
		if (!e.pair)
			return -ENOMEM;
		e.pair->closes++;
		if (pk.side == TW_CLIENT) {
			memset(pk.service, 0, sizeof(pk.service));
			pk.port = 0;
			e.host = pair_get(t, &pk);
			if (!e.host)
				return -ENOMEM;
			e.host->closes++;
		}
		if (t->npending == t->cap_pending) {
			size_t cap = t->cap_pending ? 2 * t->cap_pending : 256;
			struct tw_pending *np =
				realloc(t->pending, cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			t->pending = np;
			t->cap_pending = cap;
		}
		pending_push(t, &e);
		if (remember_sock(t, k, &e))
			return -ENOMEM;
	}
	return 0;
}

void tw_segment(struct tw *t, const struct flow_seg *seg)
{
	if (seg->wall_ns > t->now_ns)
		t->now_ns = seg->wall_ns;
	if ((seg->flags & (SEG_SYN | SEG_ACK | SEG_RST)) == SEG_SYN &&
	    idx_count(&t->sock_idx)) {
		struct flow_key key;
		struct tw_sock *s;

		flow_key_from_seg(seg, &key);
		s = idx_find(&t->sock_idx, idx_hash(&key, sizeof(key)), &key,
			     sock_eq);
		/* One count per reuse, not per retransmitted SYN. */
		if (s && !s->reused && seg->wall_ns >= s->start &&
		    seg->wall_ns < s->end) {
			s->reused = 1;
			s->pair->reused++;
			if (s->host)
				s->host->reused++;
		}
	}
	if (t->now_ns < t->next_commit_ns)
		return;
	t->next_commit_ns = t->now_ns + NS;
	if (t->now_ns > t->cfg.horizon_ns)
		commit(t, t->now_ns - t->cfg.horizon_ns);
	/*
	 * Forget sockets whose TIME_WAIT is over. The FIFO is in end order
	 * but for 4-tuples used again, whose end moved later: those go back
	 * to the tail once, or they would hold up everything behind them.
	 */
	while (t->fifo_head) {
		struct tw_sock *s = t->fifo_head;

		if (s->end >= t->now_ns && !s->requeue)
			break;
		t->fifo_head = s->next;
		if (!t->fifo_head)
			t->fifo_tail = NULL;
		s->next = NULL;
		if (s->end >= t->now_ns) {
			s->requeue = 0;
			if (t->fifo_tail)
				t->fifo_tail->next = s;
			else
				t->fifo_head = s;
			t->fifo_tail = s;
			continue;
		}
		idx_delete(&t->sock_idx, idx_hash(&s->key, sizeof(s->key)),
			   &s->key, sock_eq);
		free(s);
	}
}

static unsigned range_size(const struct tw *t, const struct tw_pair *p)
{
	if (p && p->port_hi)
		return (unsigned)p->port_hi - p->port_lo + 1;
	return (unsigned)t->cfg.port_hi - t->cfg.port_lo + 1;
}

/* n sockets of pair p reach the share (client pairs toward a service) */
static int at_share(const struct tw *t, const struct tw_pair *p, uint64_t n)
{
	return p->key.side == TW_CLIENT && p->key.port &&
	       n * 100 >= (uint64_t)t->cfg.share_pct * range_size(t, p);
}

/* One more socket of the current sample for pair p. */
static void sample_one(struct tw *t, struct tw_pair *p, uint64_t now)
{
	if (p->sample_gen != t->samples) {
		p->sample_gen = t->samples;
		p->sample_n = 0;
	}
	if (++p->sample_n > p->peak) {
		p->peak = p->sample_n;
		p->peak_ns = now;
	}
	if (!p->alerted && t->cfg.on_pressure && at_share(t, p, p->sample_n))
		t->crossed = 1;
}

/* on_pressure for the pairs that reached the share in this sample. */
static void alert_crossed(struct tw *t, uint64_t now)
{
	for (struct tw_pair *p = t->pairs; p; p = p->next_all) {
		struct tw_alert a;

		if (p->alerted || p->sample_gen != t->samples ||
		    !at_share(t, p, p->sample_n))
			continue;
		p->alerted = 1;
		memset(&a, 0, sizeof(a));
		a.client = p->key.holder;
		a.service = p->key.service;
		a.port = p->key.port;
		a.family = p->key.family;
		a.netns = p->key.netns;
		a.count = p->sample_n;
		a.share = (double)p->sample_n / range_size(t, p);
		a.port_lo = p->port_hi ? p->port_lo : t->cfg.port_lo;
		a.port_hi = p->port_hi ? p->port_hi : t->cfg.port_hi;
		a.at_ns = now;
		t->cfg.on_pressure(t->cfg.ctx, &a);
	}
}

int tw_sample(struct tw *t, uint64_t now_ns, const struct tw_sock_ep *v,
	      size_t n)
{
	t->samples++;
	t->crossed = 0;
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	for (size_t i = 0; i < n; i++) {
		struct tw_pkey pk;
		struct tw_pair *p;
		int own = v[i].port_lo && v[i].port_lo <= v[i].port_hi;
		uint16_t lo = own ? v[i].port_lo : t->cfg.port_lo;
		uint16_t hi = own ? v[i].port_hi : t->cfg.port_hi;
		int client = v[i].lport >= lo && v[i].lport <= hi;

		memset(&pk, 0, sizeof(pk));
		memcpy(pk.holder, v[i].laddr, 16);
		pk.family = v[i].family;
		pk.side = client ? TW_CLIENT : TW_SERVER;
		pk.netns = v[i].netns;
		if (client) {
			memcpy(pk.service, v[i].raddr, 16);
			pk.port = v[i].rport;
		} else {
			pk.port = v[i].lport;
		}
		p = pair_get(t, &pk);
		if (!p)
			return -ENOMEM;
		if (own) {
			p->port_lo = lo;
			p->port_hi = hi;
		}
		sample_one(t, p, now_ns);
		if (client) {
			memset(pk.service, 0, sizeof(pk.service));
			pk.port = 0;
			p = pair_get(t, &pk);
			if (!p)
				return -ENOMEM;
			if (own) {
				p->port_lo = lo;
				p->port_hi = hi;
			}
			sample_one(t, p, now_ns);
		}
	}
	if (t->crossed)
		alert_crossed(t, now_ns);
	return 0;
}

void tw_finish(struct tw *t)
{
	commit(t, UINT64_MAX);
}

static double share(const struct tw *t, const struct tw_pair *p)
{
	return (double)p->peak / range_size(t, p);
}

static int pressing(const struct tw *t, const struct tw_pair *p)
{
	return at_share(t, p, p->peak);
}

unsigned tw_pressure_count(struct tw *t)
{
	unsigned n = 0;

	for (struct tw_pair *p = t->pairs; p; p = p->next_all)
		n += (unsigned)pressing(t, p);
	return n;
}

/* Sockets of pair p in TIME_WAIT now (see tw_foreach_now). */
static uint64_t count_now(const struct tw *t, const struct tw_pair *p)
{
	uint64_t n = 0;

	if (t->samples)
		return p->sample_gen == t->samples ? p->sample_n : 0;
	for (size_t i = 0; i < p->ends.n; i++)
		n += p->ends.v[i] > t->now_ns;
	return n;
}

void tw_foreach_now(const struct tw *t,
		    void (*fn)(void *ctx, const struct tw_now *n), void *ctx)
{
	for (const struct tw_pair *p = t->pairs; p; p = p->next_all) {
		struct tw_now n;

		if (p->key.side != TW_CLIENT || !p->key.port)
			continue;
		memset(&n, 0, sizeof(n));
		n.count = count_now(t, p);
		if (!n.count)
			continue;
		n.client = p->key.holder;
		n.service = p->key.service;
		n.port = p->key.port;
		n.family = p->key.family;
		n.netns = p->key.netns;
		n.share = (double)n.count / range_size(t, p);
		fn(ctx, &n);
	}
}

static char *addr_str(char *buf, size_t n, const uint8_t *a, uint8_t fam)
{
	if (!inet_ntop(fam == SEG_IPV6 ? AF_INET6 : AF_INET, a, buf,
		       (socklen_t)n))
		snprintf(buf, n, "?");
	return buf;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct tw_pair *x = *(struct tw_pair *const *)a;
	const struct tw_pair *y = *(struct tw_pair *const *)b;

	if (x->peak != y->peak)
		return x->peak > y->peak ? -1 : 1;
	return x->closes > y->closes ? -1 : x->closes < y->closes;
}

static void verdict_line(const struct tw *t, const struct tw_pair *p, int local,
			 char *buf, size_t n)
{
	char h[64], svc[80], at[48];

	addr_str(h, sizeof(h), p->key.holder, p->key.family);
	rpt_fmt_endpoint(svc, sizeof(svc), p->key.service, p->key.family,
			 p->key.port);
	snprintf(buf, n,
		 "client %s held %" PRIu64 " sockets in TIME_WAIT toward %s "
		 "at %s (%.0f%% of its ephemeral ports); it is the active "
		 "closer, so keep connections alive or let the server close "
		 "first",
		 h, p->peak, svc,
		 rpt_fmt_time(at, sizeof(at), p->peak_ns, local),
		 100.0 * share(t, p));
}

static void write_json(const struct tw *t, FILE *f, struct tw_pair **v,
		       size_t n, uint64_t origin)
{
	char h[64], svc[80], at[48], line[512];

	for (size_t i = 0; i < n; i++) {
		const struct tw_pair *p = v[i];
		uint64_t off = p->peak_ns > origin ? p->peak_ns - origin : 0;
		int client = p->key.side == TW_CLIENT;

		addr_str(h, sizeof(h), p->key.holder, p->key.family);
		fprintf(f, "{\"type\":\"timewait\",\"holder\":\"%s\",",
			client ? "client" : "server");
		if (client && p->key.port)
			fprintf(f, "\"client\":\"%s\",\"service\":\"%s\",", h,
				rpt_fmt_endpoint(svc, sizeof(svc),
						 p->key.service, p->key.family,
						 p->key.port));
		else if (client)
			fprintf(f, "\"client\":\"%s\",\"service\":null,", h);
		else
			fprintf(f, "\"client\":null,\"service\":\"%s\",",
				rpt_fmt_endpoint(svc, sizeof(svc),
						 p->key.holder, p->key.family,
						 p->key.port));
		if (p->key.netns)
			fprintf(f, "\"netns\":%u,", p->key.netns);
		if (t->samples)
			fprintf(f, "\"closes\":null,\"peak\":%" PRIu64 ",",
				p->peak);
		else
			fprintf(f,
				"\"closes\":%" PRIu64 ",\"peak\":%" PRIu64
				",",
				p->closes, p->peak);
		if (p->peak)
			fprintf(f,
				"\"peak_at\":\"%s\",\"peak_offset\":%" PRIu64
				".%09" PRIu64 ",",
				rpt_fmt_iso(at, sizeof(at), p->peak_ns),
				off / NS, off % NS);
		else
			fprintf(f, "\"peak_at\":null,\"peak_offset\":null,");
		fprintf(f,
			"\"time_wait\":%" PRIu64 ".%09" PRIu64
			",\"port_range\":[%u,%u],",
			t->cfg.time_wait_ns / NS, t->cfg.time_wait_ns % NS,
			p->port_hi ? p->port_lo : t->cfg.port_lo,
			p->port_hi ? p->port_hi : t->cfg.port_hi);
		if (client && p->key.port)
			fprintf(f, "\"share\":%.4f,", share(t, p));
		else
			fprintf(f, "\"share\":null,");
		fprintf(f, "\"reused_in_time_wait\":%" PRIu64 ",\"verdict\":",
			p->reused);
		if (pressing(t, p)) {
			verdict_line(t, p, 0, line, sizeof(line));
			fprintf(f, "\"%s\"}\n", line);
		} else {
			fputs("null}\n", f);
		}
	}
}

static void write_text(const struct tw *t, FILE *f, struct tw_pair **v,
		       size_t n)
{
	char h[64], svc[80], at[48], line[512];
	size_t shown = 0, rows = 0;
	int own = 0;

	for (size_t i = 0; i < n; i++)
		own |= v[i]->port_hi && (v[i]->port_lo != t->cfg.port_lo ||
					 v[i]->port_hi != t->cfg.port_hi);
	if (own)
		fprintf(f,
			"\nTIME_WAIT (the active closer holds each 4-tuple "
			"%" PRIu64 "s after the last ACK; client ports: each "
			"namespace's ip_local_port_range, %u-%u here)\n",
			t->cfg.time_wait_ns / NS, t->cfg.port_lo,
			t->cfg.port_hi);
	else
		fprintf(f,
			"\nTIME_WAIT (the active closer holds each 4-tuple "
			"%" PRIu64 "s after the last ACK; client ports %u-%u, "
			"%u per service)\n",
			t->cfg.time_wait_ns / NS, t->cfg.port_lo,
			t->cfg.port_hi, range_size(t, NULL));
	for (size_t i = 0; i < n; i++)
		if (pressing(t, v[i])) {
			verdict_line(t, v[i], t->cfg.local_time, line,
				     sizeof(line));
			fprintf(f, "  %s\n", line);
		}
	fprintf(f, "  %-22s %-28s %7s %6s %6s %7s  %s\n", "holder", "toward",
		"closes", "peak", "share", "reused", "peak at");
	for (size_t i = 0; i < n; i++)
		rows += v[i]->key.side != TW_CLIENT || v[i]->key.port;
	for (size_t i = 0; i < n && shown < 10; i++) {
		const struct tw_pair *p = v[i];
		int client = p->key.side == TW_CLIENT;

		if (client && !p->key.port)
			continue; /* host totals only in JSON */
		shown++;
		addr_str(h, sizeof(h), p->key.holder, p->key.family);
		if (client)
			rpt_fmt_endpoint(svc, sizeof(svc), p->key.service,
					 p->key.family, p->key.port);
		else
			snprintf(svc, sizeof(svc), "its clients (port %u)",
				 p->key.port);
		if (t->samples)
			fprintf(f, "  %-22s %-28s %7s %6" PRIu64, h, svc, "-",
				p->peak);
		else
			fprintf(f, "  %-22s %-28s %7" PRIu64 " %6" PRIu64, h,
				svc, p->closes, p->peak);
		if (client)
			fprintf(f, " %5.1f%%", 100.0 * share(t, p));
		else
			fprintf(f, " %6s", "-");
		fprintf(f, " %7" PRIu64 "  %s\n", p->reused,
			p->peak ? rpt_fmt_time(at, sizeof(at), p->peak_ns,
					       t->cfg.local_time)
				: "-");
	}
	if (rows > shown)
		fprintf(f,
			"  ... %zu more TIME_WAIT row%s not listed: past the "
			"first 10 "
			"(--format json lists all)\n",
			rows - shown, rows - shown == 1 ? "" : "s");
}

unsigned tw_write(struct tw *t, FILE *f, enum rpt_format fmt,
		  uint64_t origin_ns)
{
	size_t n = t->npairs, i = 0;
	struct tw_pair **v;

	if (!n || fmt == RPT_CSV)
		return tw_pressure_count(t);
	v = calloc(n, sizeof(*v));
	if (!v)
		return tw_pressure_count(t);
	for (struct tw_pair *p = t->pairs; p; p = p->next_all)
		v[i++] = p;
	qsort(v, n, sizeof(*v), pair_cmp);
	if (fmt == RPT_JSON)
		write_json(t, f, v, n, origin_ns);
	else
		write_text(t, f, v, n);
	free(v);
	return tw_pressure_count(t);
}
