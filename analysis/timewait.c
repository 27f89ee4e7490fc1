/* SPDX-License-Identifier: MIT */
/*
 * TIME_WAIT pressure; see timewait.h.
 *
 * Flows are finalised a grace period after their last packet, so their
 * TIME_WAIT intervals arrive slightly out of start order. They wait in a
 * pending min-heap on their start (16 bytes each: the start and the
 * pair's number; every interval lasts time_wait_ns) until the capture
 * clock is horizon_ns past their start, then are counted in start order.
 * Counted intervals not yet over wait in one queue for all pairs, in end
 * order (start order is end order: an interval is appended), 8 bytes
 * each (the end as a 32-bit offset in a chunk of 4 KiB, the pair's
 * number). Before an interval is counted, those that ended by its start
 * leave the queue and the counts of their pair and its client host; the
 * count of a pair as its interval joins is its number of sockets in
 * TIME_WAIT at that start, hence the peak. Intervals that end before the
 * last one queued (timestamps that go backwards) wait in a min-heap on
 * their end instead, 16 bytes each.
 *
 * Reuse detection keeps, per 4-tuple whose TIME_WAIT may not be over, 16
 * bytes in one flat open-addressing table (linear probing): a 61-bit
 * fingerprint of the flow key with three flag bits (which endpoint holds
 * TIME_WAIT, which one is the server, reuse already counted) and the end
 * of its last interval (its start is the end less time_wait_ns). Slots
 * whose interval ended before the last tick of the capture clock are
 * dead: a new 4-tuple takes the first dead slot on its probe path, and
 * when live and dead slots fill three quarters of the table the dead ones
 * are emptied in place (backward shift), or, when the live ones fill more
 * than 60 % of it or less than an eighth, it is rebuilt with the live
 * ones only, at most half full, the old table's pages given back to
 * the kernel by the MiB as they are copied (a table of 64 MiB growing
 * does not hold 96 at once). At a steady churn the table keeps its
 * size, with no second table beside it while the dead slots go (the
 * rebuild of a table already large enough had doubled the memory for a
 * moment and then held twice the slots needed). A SYN is matched by its
 * fingerprint; two different 4-tuples share one with probability 2^-61
 * per comparison, so among 10^7 4-tuples in TIME_WAIT at once a wrong
 * match (a reuse counted for a 4-tuple never reused) is expected about
 * once every 2 * 10^11 SYNs, and only when the SYN falls within the other
 * 4-tuple's interval. The pair of a reuse is found again from the SYN's
 * own key and the two endpoint bits. Only timestamps that go backwards
 * could tell this from a record per 4-tuple: a SYN stamped before the
 * end less time_wait_ns of a 4-tuple given two intervals (a simultaneous
 * close) but after the later one's start, or before the last tick on a
 * 4-tuple whose slot that tick made dead.
 *
 * Memory therefore follows the sockets in TIME_WAIT at once (about 30
 * bytes each in the table and 8 in the queue), plus one record per pair,
 * whatever the length of the capture: tw_memory(). The pairs of a side
 * (with the client host totals) are at most max_pairs, plus its `other`
 * row, which takes what the rest would have counted.
 */
#include "analysis/timewait.h"
#include "analysis/bigmem.h"
#include "analysis/html.h"
#include "analysis/lbuf.h"
#include "analysis/index.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


#define NS ((uint64_t)1000000000)

/*
 * The intervals counted and not over, in end order: chunks of TW_CHUNK
 * entries, each an end as an offset from its chunk's base (a chunk takes
 * ends less than 2^32 ns past its first) and the number of its pair.
 * Commit order is start order, hence end order, so an interval is
 * appended; one that ends before the last appended (timestamps that went
 * backwards) waits in a small min-heap on its end instead.
 */
#define TW_CHUNK 509 /* a chunk is 4 KiB */

struct tw_live {
	uint32_t off;  /* end - chunk base */
	uint32_t pair; /* tw.pv index, TW_LIVE_HOST when its host counted it */
};

#define TW_LIVE_HOST 0x80000000u

struct tw_chunk {
	struct tw_chunk *next;
	uint64_t base;
	uint32_t head; /* entries before head have left */
	uint32_t n;
	struct tw_live e[TW_CHUNK];
};

enum tw_side { TW_CLIENT = 0, TW_SERVER };

struct tw_pkey {
	uint8_t holder[16];  /* the host holding the sockets */
	uint8_t service[16]; /* the server (for client holders), or 0 */
	uint16_t port;       /* the service port, or 0 for a host total */
	uint8_t family;
	uint8_t side;        /* enum tw_side of the holder */
	uint32_t netns;      /* kernel samples: the holder's namespace */
	uint8_t other;       /* the side's row past max_pairs: all else 0 */
	uint8_t pad[3];
};

struct tw_pair {
	struct tw_pkey key;
	uint64_t n;            /* its counted intervals not over */
	uint64_t closes;
	uint64_t peak;
	uint64_t peak_ns;
	uint64_t reused;
	uint64_t sample_gen;   /* the kernel sample sample_n belongs to */
	uint64_t sample_n;
	struct tw_pair *host;  /* a client pair's host total, or NULL */
	uint32_t id;           /* index in tw.pv */
	uint16_t port_lo;      /* its own port range; 0-0: the tracker's */
	uint16_t port_hi;
	uint8_t alerted;       /* on_pressure was called */
	struct tw_pair *next_all;  /* every pair, for writing and freeing */
};

/*
 * A time and a pair's number, in a binary min-heap on the time: the
 * intervals waiting to be counted (their start; each ends time_wait_ns
 * later) and the late ones counted (their end, with TW_LIVE_HOST).
 */
struct tw_at {
	uint64_t at;
	uint32_t pair;
};

struct tw_heap {
	struct tw_at *v;
	size_t n;
	size_t cap;
};

/*
 * A 4-tuple's last TIME_WAIT interval, for reuse detection: fp is 0 for
 * an empty slot, else the key's fingerprint (hash bits 3-63, never 0)
 * with TW_FP_* flags in bits 0-2.
 */
struct tw_fp {
	uint64_t fp;
	uint64_t end;
};

#define TW_FP_HOLDER1 1ULL  /* endpoint 1 of the flow key holds it */
#define TW_FP_SERVER1 2ULL  /* endpoint 1 is the server */
#define TW_FP_REUSED 4ULL   /* a SYN within the interval was counted */
#define TW_FP_FLAGS 7ULL
#define TW_FP_MIN 64        /* slots of the smallest table */
#define TW_FP_GIVE 0xffff   /* a rebuild gives back the old slots by 1 MiB */

/* Direct-mapped cache in front of the pair table: most flows repeat a
 * (client, service) pair seen a moment ago. */
#define TW_CACHE 4096

struct tw {
	struct tw_config cfg;
	struct tw_pair *pairs;      /* list of every pair */
	size_t npairs;
	size_t nside[2];            /* pairs per side, `other` not counted */
	struct tw_pair *other[2];   /* each side's row past the cap, or NULL */
	struct tw_pair **pv;        /* every pair by id */
	size_t cap_pv;
	struct idx pair_idx;
	struct tw_pair *cache[TW_CACHE];
	struct tw_fp *fps;          /* reuse table, cap_fp slots */
	size_t cap_fp;              /* 0 or a power of two */
	size_t used_fp;             /* slots not empty: live or dead */
	uint64_t swept_ns;          /* slots ending before this are dead */
	struct tw_chunk *live;      /* intervals not over: first chunk */
	struct tw_chunk *live_tail;
	struct tw_chunk *spare;     /* an empty chunk kept for the next */
	size_t nchunks;             /* allocated, the spare included */
	uint64_t live_last;         /* end of the last appended */
	struct tw_heap late;        /* counted, ending before live_last */
	struct tw_heap pending;     /* not counted yet */
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
	if (!t->cfg.max_pairs)
		t->cfg.max_pairs = TW_PAIRS_MAX;
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

	if (!t)
		return;
	for (p = t->pairs; p; p = ptmp) {
		ptmp = p->next_all;
		free(p);
	}
	while (t->live) {
		struct tw_chunk *c = t->live->next;

		free(t->live);
		t->live = c;
	}
	free(t->spare);
	free(t->late.v);
	idx_free(&t->pair_idx);
	free(t->pv);
	bigmem_free(t->fps, t->cap_fp * sizeof(*t->fps));
	free(t->pending.v);
	free(t);
}

size_t tw_memory(const struct tw *t)
{
	const struct idx *x = &t->pair_idx;
	size_t n = sizeof(*t);

	n += t->npairs * sizeof(struct tw_pair);
	n += t->nchunks * sizeof(struct tw_chunk);
	n += (t->late.cap + t->pending.cap) * sizeof(struct tw_at);
	n += t->cap_pv * sizeof(*t->pv);
	n += t->cap_fp * sizeof(*t->fps);
	if (x->cur)
		n += (x->cur_mask + 1) * sizeof(struct idx_slot);
	if (x->old)
		n += (x->old_mask + 1) * sizeof(struct idx_slot);
	return n;
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

/* One interval of pair number pair (TW_LIVE_HOST: its host too) is over. */
static void live_leave(struct tw *t, uint32_t pair)
{
	struct tw_pair *p = t->pv[pair & ~TW_LIVE_HOST];

	p->n--;
	if (pair & TW_LIVE_HOST)
		p->host->n--;
}

static int heap_push(struct tw_heap *h, uint64_t at, uint32_t pair)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		struct tw_at *nv = realloc(h->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		h->v = nv;
		h->cap = cap;
	}
	for (i = h->n++; i && h->v[(i - 1) / 2].at > at; i = (i - 1) / 2)
		h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = (struct tw_at){at, pair};
	return 0;
}

/* Take the first; the heap of a burst is not kept once it drained. */
static void heap_pop(struct tw_heap *h)
{
	struct tw_at last = h->v[--h->n];
	size_t i = 0, n = h->n;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h->v[c + 1].at < h->v[c].at)
			c++;
		if (h->v[c].at >= last.at)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (n) {
		h->v[i] = last;
	} else if (h->cap > 256) {
		free(h->v);
		h->v = NULL;
		h->cap = 0;
	}
}

/* The intervals that ended by upto leave the counts of their pairs. */
static void live_drop(struct tw *t, uint64_t upto)
{
	struct tw_chunk *c;

	while ((c = t->live)) {
		while (c->head < c->n && c->base + c->e[c->head].off <= upto)
			live_leave(t, c->e[c->head++].pair);
		if (c->head < c->n)
			break;
		/* an emptied chunk: the tail is kept for appending */
		if (!c->next) {
			c->head = c->n = 0;
			break;
		}
		t->live = c->next;
		if (t->spare) {
			free(c);
			t->nchunks--;
		} else {
			t->spare = c;
		}
	}
	while (t->late.n && t->late.v[0].at <= upto) {
		live_leave(t, t->late.v[0].pair);
		heap_pop(&t->late);
	}
}

/* Append an interval of pair number pair|host flag, ending at end. */
static int live_add(struct tw *t, uint64_t end, uint32_t pair)
{
	struct tw_chunk *c = t->live_tail;

	if (c && end < t->live_last)
		return heap_push(&t->late, end, pair);
	if (!c || c->n == TW_CHUNK || end - c->base > UINT32_MAX) {
		if (c && c->head == c->n) {
			/* the tail is empty: start it again from end */
			c->head = c->n = 0;
		} else {
			struct tw_chunk *nc = t->spare;

			if (nc) {
				t->spare = NULL;
			} else {
				nc = malloc(sizeof(*nc));
				if (!nc)
					return -ENOMEM;
				t->nchunks++;
			}
			nc->next = NULL;
			nc->head = nc->n = 0;
			if (c)
				c->next = nc;
			else
				t->live = nc;
			t->live_tail = c = nc;
		}
		c->base = end;
	}
	c->e[c->n++] = (struct tw_live){(uint32_t)(end - c->base), pair};
	t->live_last = end;
	return 0;
}

/* Count one interval of pair p: those that ended by its start leave. */
static void count(struct tw *t, struct tw_pair *p, uint64_t start,
		  uint64_t end)
{
	struct tw_pair *h = p->host;

	live_drop(t, start);
	if (live_add(t, end, p->id | (h ? TW_LIVE_HOST : 0)))
		return;
	if (++p->n > p->peak) {
		p->peak = p->n;
		p->peak_ns = start;
	}
	if (h && ++h->n > h->peak) {
		h->peak = h->n;
		h->peak_ns = start;
	}
}

/* Count, in start order, every pending interval that began by upto. */
static void commit(struct tw *t, uint64_t upto)
{
	while (t->pending.n && t->pending.v[0].at <= upto) {
		struct tw_at e = t->pending.v[0];

		heap_pop(&t->pending);
		count(t, t->pv[e.pair], e.at, e.at + t->cfg.time_wait_ns);
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

static struct tw_pair *pair_find(struct tw *t, const struct tw_pkey *k)
{
	unsigned slot = pkey_slot(k);
	struct tw_pair *p = t->cache[slot];

	if (p && !memcmp(&p->key, k, sizeof(*k)))
		return p;
	p = idx_find(&t->pair_idx, idx_hash(k, sizeof(*k)), k, pair_eq);
	if (p)
		t->cache[slot] = p;
	return p;
}

/* The pair keyed k, or the row it went to past the cap, or NULL. */
static struct tw_pair *pair_or_other(struct tw *t, const struct tw_pkey *k)
{
	struct tw_pair *p = pair_find(t, k);

	return p ? p : t->other[k->side];
}

/*
 * The pair keyed k, created when new; past max_pairs on its side, the
 * side's `other` row. NULL when memory ran out.
 */
static struct tw_pair *pair_get(struct tw *t, const struct tw_pkey *k)
{
	struct tw_pair *p = pair_find(t, k);

	if (p)
		return p;
	if (!k->other && t->nside[k->side] >= t->cfg.max_pairs) {
		/* A scan or a churn of clients must not grow the tracker:
		 * the rest of the side shares one row. */
		struct tw_pkey ok;

		if (t->other[k->side])
			return t->other[k->side];
		memset(&ok, 0, sizeof(ok));
		ok.side = k->side;
		ok.other = 1;
		t->other[k->side] = pair_get(t, &ok);
		return t->other[k->side];
	}
	if (t->npairs == t->cap_pv) {
		size_t cap = t->cap_pv ? 2 * t->cap_pv : 64;
		struct tw_pair **nv;

		if (cap > UINT32_MAX)
			return NULL;
		nv = realloc(t->pv, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		t->pv = nv;
		t->cap_pv = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->key = *k;
	if (idx_insert(&t->pair_idx, idx_hash(k, sizeof(*k)), p)) {
		free(p);
		return NULL;
	}
	p->id = (uint32_t)t->npairs;
	t->pv[t->npairs++] = p;
	t->nside[k->side] += !k->other;
	p->next_all = t->pairs;
	t->pairs = p;
	t->cache[pkey_slot(k)] = p;
	return p;
}

/* The pair key of holder h (endpoint index) when endpoint sv serves. */
static void pkey_of(struct tw_pkey *pk, const struct flow_key *k, int h,
		    int sv)
{
	memset(pk, 0, sizeof(*pk));
	memcpy(pk->holder, k->addr[h], 16);
	pk->family = k->family;
	pk->side = h == sv ? TW_SERVER : TW_CLIENT;
	if (pk->side == TW_CLIENT)
		memcpy(pk->service, k->addr[sv], 16);
	pk->port = k->port[sv];
}

/* The fingerprint of a key whose flow_key_hash() is h. */
static uint64_t fp_of_hash(uint64_t h)
{
	uint64_t fp = h & ~TW_FP_FLAGS;

	return fp ? fp : TW_FP_FLAGS + 1;
}

static uint64_t fp_of(const struct flow_key *key)
{
	return fp_of_hash(flow_key_hash(key));
}

static size_t fp_home(const struct tw *t, uint64_t fp)
{
	/* the high bits: the low ones are the flags' place */
	return (size_t)(fp >> 17 ^ fp >> 40) & (t->cap_fp - 1);
}

static int fp_live(const struct tw *t, const struct tw_fp *s)
{
	return s->fp && s->end >= t->swept_ns;
}

/*
 * Give the kernel back the pages wholly inside [from, to) and return
 * where the next call starts: the old table's, behind the copy, so that
 * the old table and the new one are never both resident in full.
 */
static char *give_back(char *from, char *to)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)from + pg - 1) & ~(pg - 1);
	uintptr_t b = (uintptr_t)to & ~(pg - 1);

	if (b <= a)
		return from;
	/* advice only: a refusal keeps them until the old table is freed */
	(void)madvise((void *)a, b - a, MADV_DONTNEED);
	return (char *)b;
}

/*
 * Rebuild the reuse table with its live slots only, at most half full
 * with one more, so that dead slots never pile up. Returns 0 or -ENOMEM
 * (the table is then unchanged).
 */
static int fp_rebuild(struct tw *t)
{
	size_t live = 0, cap = TW_FP_MIN;
	struct tw_fp *nv;
	char *kept = (char *)t->fps;

	for (size_t i = 0; i < t->cap_fp; i++)
		live += (size_t)fp_live(t, &t->fps[i]);
	while (cap < 2 * (live + 1))
		cap *= 2;
	nv = bigmem_zalloc(cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap_fp; i++) {
		const struct tw_fp *s = &t->fps[i];
		size_t j;

		if ((i & TW_FP_GIVE) == TW_FP_GIVE)
			kept = give_back(kept, (char *)s);
		if (!fp_live(t, s))
			continue;
		j = (size_t)(s->fp >> 17 ^ s->fp >> 40) & (cap - 1);
		while (nv[j].fp)
			j = (j + 1) & (cap - 1);
		nv[j] = *s;
	}
	bigmem_free(t->fps, t->cap_fp * sizeof(*t->fps));
	t->fps = nv;
	t->cap_fp = cap;
	t->used_fp = live;
	return 0;
}

/*
 * Empty slot i, moving back into it each later slot of its cluster that
 * may sit there (the backward shift of linear probing: Knuth's
 * Algorithm R), so that no probe path is cut.
 */
static void fp_delete(struct tw *t, size_t i)
{
	size_t m = t->cap_fp - 1, j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & m;
		if (!t->fps[j].fp)
			break;
		k = fp_home(t, t->fps[j].fp);
		/* j stays unless its home is cyclically in (i, j] */
		if (i <= j ? i < k && k <= j : i < k || k <= j)
			continue;
		t->fps[i] = t->fps[j];
		i = j;
	}
	t->fps[i] = (struct tw_fp){0, 0};
	t->used_fp--;
}

/*
 * Empty the dead slots where they are: no second table, so the memory
 * of a table at its steady size never doubles for a moment.
 */
static void fp_purge(struct tw *t)
{
	size_t m = t->cap_fp - 1, i = 0;

	/* from an empty slot on: no cluster spans the start of the pass */
	while (t->fps[i].fp)
		i = (i + 1) & m;
	for (size_t n = 0; n < t->cap_fp; n++) {
		i = (i + 1) & m;
		/* what the shift brings into i is looked at in its turn */
		while (t->fps[i].fp && !fp_live(t, &t->fps[i]))
			fp_delete(t, i);
	}
}

/*
 * Room for one more slot in a table three quarters used: its dead slots
 * purged in place while the live ones fill at most 60 % of it, else a
 * table rebuilt to twice them (larger, or smaller after a burst).
 */
static int fp_make_room(struct tw *t)
{
	size_t live = 0;

	for (size_t i = 0; i < t->cap_fp; i++)
		live += (size_t)fp_live(t, &t->fps[i]);
	if (5 * (live + 1) <= 3 * t->cap_fp && 8 * live >= t->cap_fp) {
		fp_purge(t);
		return 0;
	}
	return fp_rebuild(t);
}

/*
 * The 4-tuple's latest interval, held by endpoint h with sv serving: a
 * live slot of the same 4-tuple keeps the later end (a simultaneous
 * close gives two intervals), and its reuse may be counted again.
 */
static int remember_sock(struct tw *t, const struct flow_key *key, int h,
			 int sv, uint64_t end)
{
	uint64_t fp = fp_of(key);
	uint64_t flags = (h ? TW_FP_HOLDER1 : 0) | (sv ? TW_FP_SERVER1 : 0);
	struct tw_fp *dead = NULL, *s;
	size_t i;

	if (!t->cap_fp && fp_rebuild(t))
		return -ENOMEM;
	for (i = fp_home(t, fp);; i = (i + 1) & (t->cap_fp - 1)) {
		s = &t->fps[i];
		if (!s->fp)
			break;
		if ((s->fp & ~TW_FP_FLAGS) == fp) {
			if (fp_live(t, s) && s->end > end)
				end = s->end;
			*s = (struct tw_fp){fp | flags, end};
			return 0;
		}
		if (!dead && !fp_live(t, s))
			dead = s;
	}
	if (dead) {
		*dead = (struct tw_fp){fp | flags, end};
		return 0;
	}
	if (4 * (t->used_fp + 1) > 3 * t->cap_fp) {
		if (fp_make_room(t))
			return -ENOMEM;
		for (i = fp_home(t, fp); t->fps[i].fp;
		     i = (i + 1) & (t->cap_fp - 1))
			;
		s = &t->fps[i];
	}
	*s = (struct tw_fp){fp | flags, end};
	t->used_fp++;
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
		struct tw_pair *p;
		int holder = iv[i].holder;

		pkey_of(&pk, k, holder, server);
		p = pair_get(t, &pk);
		if (!p)
			return -ENOMEM;
		p->closes++;
		if (pk.side == TW_CLIENT && !p->key.other && !p->host) {
			struct tw_pair *h;

			memset(pk.service, 0, sizeof(pk.service));
			pk.port = 0;
			h = pair_get(t, &pk);
			if (!h)
				return -ENOMEM;
			/* a host past the cap: its pairs' closes are in
			 * their own rows, not again in `other` */
			if (!h->key.other)
				p->host = h;
		}
		if (p->host)
			p->host->closes++;
		if (heap_push(&t->pending, iv[i].start_ns, p->id) ||
		    remember_sock(t, k, holder, server, iv[i].end_ns))
			return -ENOMEM;
	}
	return 0;
}

/* A SYN on the 4-tuple of slot s, within its interval: count it once. */
static void count_reuse(struct tw *t, struct tw_fp *s, const struct flow_key *k)
{
	struct tw_pkey pk;
	struct tw_pair *p;

	s->fp |= TW_FP_REUSED;
	pkey_of(&pk, k, (s->fp & TW_FP_HOLDER1) ? 1 : 0,
		(s->fp & TW_FP_SERVER1) ? 1 : 0);
	p = pair_or_other(t, &pk);
	if (!p)
		return;
	p->reused++;
	if (p->host)
		p->host->reused++;
}

/* A segment (its flags) that may reuse a 4-tuple in TIME_WAIT: a SYN alone. */
static int tw_syn(const struct tw *t, uint8_t flags)
{
	return (flags & (SEG_SYN | SEG_ACK | SEG_RST)) == SEG_SYN && t->used_fp;
}

void tw_prefetch(const struct tw *t, uint8_t flags, uint64_t hash)
{
	if (tw_syn(t, flags))
		__builtin_prefetch(&t->fps[fp_home(t, fp_of_hash(hash))]);
}

void tw_segment(struct tw *t, const struct flow_seg *seg,
		const struct flow_key *key, uint64_t hash)
{
	if (seg->wall_ns > t->now_ns)
		t->now_ns = seg->wall_ns;
	if (tw_syn(t, seg->flags)) {
		uint64_t fp = fp_of_hash(hash);

		for (size_t i = fp_home(t, fp); t->fps[i].fp;
		     i = (i + 1) & (t->cap_fp - 1)) {
			struct tw_fp *s = &t->fps[i];

			if ((s->fp & ~TW_FP_FLAGS) != fp)
				continue;
			/* One count per reuse, not per retransmitted SYN. */
			if (fp_live(t, s) && !(s->fp & TW_FP_REUSED) &&
			    seg->wall_ns + t->cfg.time_wait_ns >= s->end &&
			    seg->wall_ns < s->end)
				count_reuse(t, s, key);
			break;
		}
	}
	if (t->now_ns < t->next_commit_ns)
		return;
	t->next_commit_ns = t->now_ns + NS;
	if (t->now_ns > t->cfg.horizon_ns)
		commit(t, t->now_ns - t->cfg.horizon_ns);
	/* Sockets whose TIME_WAIT is over are forgotten: their slots are
	 * dead from now on, reused, or emptied when the table is full. */
	t->swept_ns = t->now_ns;
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

/* A socket of pair p in this sample; lo-hi its own port range, lo 0 if
 * none is known. */
static void sample_in(struct tw *t, struct tw_pair *p, uint16_t lo,
		      uint16_t hi, uint64_t now)
{
	if (lo && !p->key.other) {
		p->port_lo = lo;
		p->port_hi = hi;
	}
	sample_one(t, p, now);
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
		sample_in(t, p, own ? lo : 0, hi, now_ns);
		if (client && !p->key.other) {
			memset(pk.service, 0, sizeof(pk.service));
			pk.port = 0;
			p = pair_get(t, &pk);
			if (!p)
				return -ENOMEM;
			/* past the cap, the pair's socket is in `other`
			 * already */
			if (!p->key.other)
				sample_in(t, p, own ? lo : 0, hi, now_ns);
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

/*
 * Per pair, its counted intervals over by the capture clock, into gone
 * (npairs counts): the first ones of the chunks and those of the heap.
 */
static void tally_over(const struct tw *t, uint32_t *gone)
{
	for (const struct tw_chunk *c = t->live; c; c = c->next) {
		uint32_t i = c->head;

		for (; i < c->n && c->base + c->e[i].off <= t->now_ns; i++)
			gone[c->e[i].pair & ~TW_LIVE_HOST]++;
		if (i < c->n)
			break;
	}
	for (size_t i = 0; i < t->late.n; i++)
		if (t->late.v[i].at <= t->now_ns)
			gone[t->late.v[i].pair & ~TW_LIVE_HOST]++;
}

void tw_foreach_now(const struct tw *t,
		    void (*fn)(void *ctx, const struct tw_now *n), void *ctx)
{
	uint32_t *gone = NULL;

	if (!t->samples && t->npairs) {
		/* without it (no memory), the counts at the last commit */
		gone = calloc(t->npairs, sizeof(*gone));
		if (gone)
			tally_over(t, gone);
	}
	for (const struct tw_pair *p = t->pairs; p; p = p->next_all) {
		struct tw_now n;

		if (p->key.side != TW_CLIENT || !p->key.port)
			continue;
		memset(&n, 0, sizeof(n));
		if (t->samples)
			n.count = p->sample_gen == t->samples ? p->sample_n : 0;
		else
			n.count = p->n - (gone ? gone[p->id] : 0);
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
	free(gone);
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
	char h[LB_ADDR_MAX], svc[80], at[48];

	lb_fmt_addr(h, p->key.holder, p->key.family);
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

/* One row per pair, built without printf: there can be tens of thousands. */
static void write_json(const struct tw *t, FILE *f, struct tw_pair **v,
		       size_t n, uint64_t origin)
{
	char line[512];
	struct lbuf b;

	lb_init(&b, f);
	for (size_t i = 0; i < n; i++) {
		const struct tw_pair *p = v[i];
		uint64_t off = p->peak_ns > origin ? p->peak_ns - origin : 0;
		int client = p->key.side == TW_CLIENT;

		lb_str(&b, client ? "{\"type\":\"timewait\",\"holder\":\"client\","
				  : "{\"type\":\"timewait\",\"holder\":\"server\",");
		if (p->key.other) {
			/* the side's row past the cap */
			lb_str(&b, client ? "\"client\":\"other\",\"service\":null,"
					  : "\"client\":null,\"service\":\"other\",");
		} else if (client) {
			size_t len = lb_fmt_addr(line, p->key.holder,
						 p->key.family);

			lb_str(&b, "\"client\":\"");
			lb_raw(&b, line, len);
			lb_str(&b, "\",\"service\":");
			if (p->key.port) {
				lb_ch(&b, '"');
				lb_endpoint(&b, p->key.service, p->key.family,
					    p->key.port);
				lb_str(&b, "\",");
			} else {
				lb_str(&b, "null,");
			}
		} else {
			lb_str(&b, "\"client\":null,\"service\":\"");
			lb_endpoint(&b, p->key.holder, p->key.family,
				    p->key.port);
			lb_str(&b, "\",");
		}
		if (p->key.netns) {
			lb_str(&b, "\"netns\":");
			lb_u64(&b, p->key.netns);
			lb_ch(&b, ',');
		}
		lb_str(&b, "\"closes\":");
		if (t->samples)
			lb_str(&b, "null");
		else
			lb_u64(&b, p->closes);
		lb_str(&b, ",\"peak\":");
		lb_u64(&b, p->peak);
		if (p->peak) {
			lb_str(&b, ",\"peak_at\":\"");
			lb_iso(&b, p->peak_ns);
			lb_str(&b, "\",\"peak_offset\":");
			lb_ns(&b, off);
			lb_str(&b, ",");
		} else {
			lb_str(&b, ",\"peak_at\":null,\"peak_offset\":null,");
		}
		lb_str(&b, "\"time_wait\":");
		lb_ns(&b, t->cfg.time_wait_ns);
		lb_str(&b, ",\"port_range\":[");
		lb_u64(&b, p->port_hi ? p->port_lo : t->cfg.port_lo);
		lb_ch(&b, ',');
		lb_u64(&b, p->port_hi ? p->port_hi : t->cfg.port_hi);
		lb_str(&b, "],");
		if (client && p->key.port) {
			/* one printf: a fraction, and only for these rows */
			snprintf(line, sizeof(line), "\"share\":%.4f,",
				 share(t, p));
			lb_str(&b, line);
		} else {
			lb_str(&b, "\"share\":null,");
		}
		lb_str(&b, "\"reused_in_time_wait\":");
		lb_u64(&b, p->reused);
		lb_str(&b, ",\"verdict\":");
		if (pressing(t, p)) {
			verdict_line(t, p, 0, line, sizeof(line));
			lb_ch(&b, '"');
			lb_str(&b, line);
			lb_str(&b, "\"}\n");
		} else {
			lb_str(&b, "null}\n");
		}
	}
	lb_flush(&b);
}

/* Whether the text lists p: not a client host's total, but `other`. */
static int listed(const struct tw_pair *p)
{
	return p->key.side != TW_CLIENT || p->key.port || p->key.other;
}

/* What a listed row shows in the text and HTML tables, as text. */
struct tw_cells {
	char holder[LB_ADDR_MAX];
	char toward[80];
	char closes[24];
	char peak[24];
	char share[24];
	char reused[24];
	char at[48];
};

static void row_cells(const struct tw *t, const struct tw_pair *p,
		      struct tw_cells *c)
{
	int client = p->key.side == TW_CLIENT;

	if (p->key.other) {
		snprintf(c->holder, sizeof(c->holder), "%s",
			 client ? "other clients" : "other servers");
		snprintf(c->toward, sizeof(c->toward), "(past %zu %s)",
			 t->cfg.max_pairs,
			 client ? "client rows" : "server rows");
	} else {
		lb_fmt_addr(c->holder, p->key.holder, p->key.family);
		if (client)
			rpt_fmt_endpoint(c->toward, sizeof(c->toward),
					 p->key.service, p->key.family,
					 p->key.port);
		else
			snprintf(c->toward, sizeof(c->toward),
				 "its clients (port %u)", p->key.port);
	}
	if (t->samples)
		snprintf(c->closes, sizeof(c->closes), "-");
	else
		snprintf(c->closes, sizeof(c->closes), "%" PRIu64, p->closes);
	snprintf(c->peak, sizeof(c->peak), "%" PRIu64, p->peak);
	if (client && p->key.port)
		snprintf(c->share, sizeof(c->share), "%5.1f%%",
			 100.0 * share(t, p));
	else
		snprintf(c->share, sizeof(c->share), "-");
	snprintf(c->reused, sizeof(c->reused), "%" PRIu64, p->reused);
	if (p->peak)
		rpt_fmt_time(c->at, sizeof(c->at), p->peak_ns,
			     t->cfg.local_time);
	else
		snprintf(c->at, sizeof(c->at), "-");
}

/* The sentence above the table: the interval and the port range. */
static void intro(const struct tw *t, struct tw_pair **v, size_t n,
		  char *buf, size_t len)
{
	int own = 0;

	for (size_t i = 0; i < n; i++)
		own |= v[i]->port_hi && (v[i]->port_lo != t->cfg.port_lo ||
					 v[i]->port_hi != t->cfg.port_hi);
	if (own)
		snprintf(buf, len,
			 "the active closer holds each 4-tuple %" PRIu64
			 "s after the last ACK; client ports: each "
			 "namespace's ip_local_port_range, %u-%u here",
			 t->cfg.time_wait_ns / NS, t->cfg.port_lo,
			 t->cfg.port_hi);
	else
		snprintf(buf, len,
			 "the active closer holds each 4-tuple %" PRIu64
			 "s after the last ACK; client ports %u-%u, %u per "
			 "service",
			 t->cfg.time_wait_ns / NS, t->cfg.port_lo,
			 t->cfg.port_hi, range_size(t, NULL));
}

/* Rows the text and HTML tables list at most; JSON has them all. */
#define TW_SHOWN 10

/* The rows listed (host totals only in JSON), and how many are shown. */
static size_t listed_rows(struct tw_pair **v, size_t n, size_t *shown)
{
	size_t rows = 0;

	for (size_t i = 0; i < n; i++)
		rows += listed(v[i]);
	*shown = rows < TW_SHOWN ? rows : TW_SHOWN;
	return rows;
}

static void more_line(size_t rows, size_t shown, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%zu more TIME_WAIT row%s not listed: past the first %d "
		 "(--format json lists all)",
		 rows - shown, rows - shown == 1 ? "" : "s", TW_SHOWN);
}

static void write_text(const struct tw *t, FILE *f, struct tw_pair **v,
		       size_t n)
{
	char line[512];
	size_t shown, rows = listed_rows(v, n, &shown);

	intro(t, v, n, line, sizeof(line));
	fprintf(f, "\nTIME_WAIT (%s)\n", line);
	for (size_t i = 0; i < n; i++)
		if (pressing(t, v[i])) {
			verdict_line(t, v[i], t->cfg.local_time, line,
				     sizeof(line));
			fprintf(f, "  %s\n", line);
		}
	fprintf(f, "  %-22s %-28s %7s %6s %6s %7s  %s\n", "holder", "toward",
		"closes", "peak", "share", "reused", "peak at");
	for (size_t i = 0, k = 0; i < n && k < shown; i++) {
		struct tw_cells c;

		if (!listed(v[i]))
			continue;
		k++;
		row_cells(t, v[i], &c);
		fprintf(f, "  %-22s %-28s %7s %6s %6s %7s  %s\n", c.holder,
			c.toward, c.closes, c.peak, c.share, c.reused, c.at);
	}
	if (rows > shown) {
		more_line(rows, shown, line, sizeof(line));
		fprintf(f, "  ... %s\n", line);
	}
}

static void write_html(const struct tw *t, FILE *f, struct tw_pair **v,
		       size_t n)
{
	static const char *const head[] = {"holder", "toward", "closes",
					   "peak", "share", "reused",
					   "peak at"};
	char line[512];
	size_t shown, rows = listed_rows(v, n, &shown);

	fputs("<section id=\"timewait\"><h2>Sockets in TIME_WAIT</h2>\n"
	      "<p class=\"note\">",
	      f);
	intro(t, v, n, line, sizeof(line));
	line[0] = (char)toupper((unsigned char)line[0]);
	html_escape(f, line);
	fputs(". A client holding many toward one service runs out of "
	      "ports for it (EADDRNOTAVAIL); reused counts SYNs on a "
	      "4-tuple still in TIME_WAIT.</p>\n",
	      f);
	for (size_t i = 0; i < n; i++)
		if (pressing(t, v[i])) {
			verdict_line(t, v[i], t->cfg.local_time, line,
				     sizeof(line));
			fputs("<p class=\"verdict\">", f);
			html_escape(f, line);
			fputs("</p>\n", f);
		}
	fputs("<div class=\"scroll\"><table id=\"timewait-table\">\n"
	      "<thead><tr>",
	      f);
	for (size_t i = 0; i < sizeof(head) / sizeof(*head); i++)
		fprintf(f, "<th%s>%s</th>", i >= 2 && i <= 5 ? " class=\"n\"" : "",
			head[i]);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t i = 0, k = 0; i < n && k < shown; i++) {
		struct tw_cells c;
		const char *cell[7];

		if (!listed(v[i]))
			continue;
		k++;
		row_cells(t, v[i], &c);
		cell[0] = c.holder, cell[1] = c.toward, cell[2] = c.closes;
		cell[3] = c.peak, cell[4] = c.share, cell[5] = c.reused;
		cell[6] = c.at;
		fprintf(f, "<tr class=\"tw%s\" data-peak=\"%" PRIu64 "\">",
			pressing(t, v[i]) ? " leak" : "", v[i]->peak);
		for (size_t j = 0; j < 7; j++) {
			fputs(j >= 2 && j <= 5 ? "<td class=\"n\">"
			      : j == 0	   ? "<td class=\"mono name\">"
			      : j == 1	   ? "<td class=\"mono\">"
					   : "<td>",
			      f);
			/* the share without its padding */
			html_escape(f, cell[j] + strspn(cell[j], " "));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	if (rows > shown) {
		more_line(rows, shown, line, sizeof(line));
		fputs("<p class=\"note more\" id=\"timewait-more\">", f);
		html_escape(f, line);
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
}

/* Every pair, worst first, in an array to free; NULL when none. */
static struct tw_pair **sorted_pairs(const struct tw *t)
{
	size_t i = 0;
	struct tw_pair **v;

	if (!t->npairs)
		return NULL;
	v = calloc(t->npairs, sizeof(*v));
	if (!v)
		return NULL;
	for (struct tw_pair *p = t->pairs; p; p = p->next_all)
		v[i++] = p;
	qsort(v, t->npairs, sizeof(*v), pair_cmp);
	return v;
}

void tw_write_html(const struct tw *t, FILE *f)
{
	struct tw_pair **v = sorted_pairs(t);

	if (!v)
		return;
	write_html(t, f, v, t->npairs);
	free(v);
}

unsigned tw_write(struct tw *t, FILE *f, enum rpt_format fmt,
		  uint64_t origin_ns)
{
	struct tw_pair **v;

	if (fmt == RPT_CSV)
		return tw_pressure_count(t);
	v = sorted_pairs(t);
	if (!v)
		return tw_pressure_count(t);
	if (fmt == RPT_JSON)
		write_json(t, f, v, t->npairs, origin_ns);
	else
		write_text(t, f, v, t->npairs);
	free(v);
	return tw_pressure_count(t);
}
