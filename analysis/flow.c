/* SPDX-License-Identifier: MIT */
/*
 * Flow table; see flow.h. Each flow is a fixed-size record in a slab (one
 * for IPv4 flows, one for IPv6: the addresses are the record's tail),
 * named by a 32-bit number: no allocation per flow, no allocator header.
 * The index (analysis/index.h, idx32) maps a key's hash to that number;
 * the record holds the key (its tunnel as a number in a small side
 * table), the compact teardown state (struct td_state), the list links
 * as numbers; the few flows that need an extension (struct td_ext, its
 * own slab) find it by record number in a second index. The expanded
 * struct td_flow and struct flow_key the hooks read are built when a
 * hook is called.
 *
 * The set of known servers stays on uthash. Besides the index, every flow
 * sits on one of three lists ordered by last packet, so expiry and
 * eviction look only at list heads: the work per segment is O(1) however
 * many flows are tracked.
 */
#include "analysis/flow.h"
#include "analysis/bigmem.h"
#include "analysis/index.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* uthash (the server set) hashes with idx_hash in place of its default
 * Jenkins hash, which shows in profiles. */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                \
	do {                                                                \
		(hashv) = (unsigned)idx_hash(keyptr, keylen);               \
	} while (0)

#include <uthash.h>

_Static_assert(sizeof(struct flow_key) == 56, "flow_key is seven words");

/* A server endpoint learned from a SYN, to orient mid-stream flows. */
struct server_ep {
	uint8_t addr[16];
	uint16_t port;
	uint8_t family;
	uint8_t pad;
	UT_hash_handle hh;
};

/* Known servers kept at most: a SYN flood to every port stays bounded. */
#define SERVERS_MAX 65536

enum flow_list {
	LIST_ACTIVE = 0, /* open or closing, idle timeout applies */
	LIST_DONE,       /* finished, waiting out the grace period */
	LIST_PARKED,     /* silent in CLOSE_WAIT: kept until the end */
	LIST__COUNT
};

/*
 * Fixed-size records named by numbers from 1 (0 is "none"), in chunks
 * of 16384 that never move; a freed record holds the next free number.
 * A flow chunk is over 2 MiB, so it gets huge pages (bigmem.h): records
 * are reached at random, one TLB miss each with small pages.
 */
#define SLAB_SHIFT 14
#define SLAB_MAX 0x7ffffffeU

struct slab {
	size_t size;             /* bytes per record */
	unsigned char **chunks;
	uint32_t nchunks;
	uint32_t used;           /* numbers handed out so far, plus one */
	uint32_t free;           /* first free number, or 0 */
};

static void *slab_at(const struct slab *s, uint32_t n)
{
	return s->chunks[n >> SLAB_SHIFT] +
	       (size_t)(n & ((1U << SLAB_SHIFT) - 1)) * s->size;
}

/* A record's number, or 0 when memory (or numbers) ran out. */
static uint32_t slab_alloc(struct slab *s)
{
	uint32_t n = s->free;

	if (n) {
		memcpy(&s->free, slab_at(s, n), sizeof(s->free));
		return n;
	}
	if (!s->used)
		s->used = 1;
	if (s->used > SLAB_MAX)
		return 0;
	if (s->used >> SLAB_SHIFT == s->nchunks) {
		unsigned char **v =
			realloc(s->chunks, (s->nchunks + 1) * sizeof(*v));

		if (!v)
			return 0;
		s->chunks = v;
		v[s->nchunks] = bigmem_zalloc(s->size << SLAB_SHIFT);
		if (!v[s->nchunks])
			return 0;
		s->nchunks++;
	}
	return s->used++;
}

static void slab_free(struct slab *s, uint32_t n)
{
	memcpy(slab_at(s, n), &s->free, sizeof(s->free));
	s->free = n;
}

static void slab_release(struct slab *s)
{
	for (uint32_t i = 0; i < s->nchunks; i++)
		bigmem_free(s->chunks[i], s->size << SLAB_SHIFT);
	free(s->chunks);
}

/*
 * One flow: 144 bytes for IPv4, 168 for IPv6. Its number in the table
 * is its slab number, with REC_V6 set for the IPv6 slab. Its ext, when
 * td.bits has TD_ST_EXT, is found by that number in ext_idx.
 */
struct flow_rec {
	struct td_state td;   /* 112 */
	uint32_t id_lo;       /* the flow id, 48 bits */
	uint32_t prev;        /* record numbers on its list, 0: none */
	uint32_t next;
	uint32_t tunnel;      /* number in tunnels, 0: not tunnelled */
	uint16_t port[2];
	uint16_t id_hi;
	uint8_t family;
	uint8_t bits;         /* REC_LIST (enum flow_list), REC_TOUCHED */
	uint8_t addr[];       /* endpoint 0's address, then endpoint 1's */
};

#define REC_V6 0x80000000U
#define REC_LIST 0x03     /* LIST__COUNT: on no list (flushing) */
#define REC_TOUCHED 0x04  /* a packet since it was (re)queued */

_Static_assert(offsetof(struct flow_rec, addr) == 136,
	       "an IPv4 record is 144 bytes, an IPv6 one 168");

/* An ext and the record it belongs to. */
struct ext_rec {
	struct td_ext x;
	uint32_t owner;
};

/* An interned tunnel: its number is its place in flow_table.tunnels. */
struct tunnel_ent {
	struct flow_tunnel tun;
	uint32_t n;
	UT_hash_handle hh;
};

struct flow_list_head {
	uint32_t head;
	uint32_t tail;
};

struct flow_table {
	struct flow_config cfg;
	struct flow_hooks hooks;
	void *ctx;
	struct idx32 idx;
	struct slab recs[2];  /* IPv4, IPv6 */
	struct slab exts;
	struct idx32 ext_idx; /* record number to ext number */
	struct tunnel_ent *tunnel_set;
	struct flow_tunnel *tunnels; /* [0] unused */
	uint32_t ntunnels;
	uint32_t tunnels_cap;
	struct server_ep *servers;
	unsigned nservers;
	struct flow_list_head lists[LIST__COUNT];
	struct flow_stats stats;
	uint64_t now_ns;
	uint64_t next_sweep_ns;
};

#define SWEEP_EVERY_NS 1000000000ULL

static size_t addr_len(uint8_t family)
{
	return family == SEG_IPV6 ? 16 : 4;
}

static struct flow_rec *rec_at(const struct flow_table *t, uint32_t n)
{
	return slab_at(&t->recs[n >> 31], n & ~REC_V6);
}

static uint64_t rec_id(const struct flow_rec *r)
{
	return (uint64_t)r->id_hi << 32 | r->id_lo;
}

static enum flow_list rec_list(const struct flow_rec *r)
{
	return (enum flow_list)(r->bits & REC_LIST);
}

static void rec_set_list(struct flow_rec *r, unsigned list, int touched)
{
	r->bits = (uint8_t)(list | (touched ? REC_TOUCHED : 0));
}

static int ext_eq(const void *ctx, uint32_t e, const void *k)
{
	const struct flow_table *t = ctx;
	const struct ext_rec *er = slab_at(&t->exts, e);

	return er->owner == *(const uint32_t *)k;
}

/* The ext of record n, or NULL when it has none. */
static struct td_ext *rec_ext(const struct flow_table *t, uint32_t n)
{
	uint32_t e;

	if (!(rec_at(t, n)->td.bits & TD_ST_EXT))
		return NULL;
	e = idx32_find(&t->ext_idx, idx_hash(&n, sizeof(n)), &n, ext_eq, t);
	return e ? &((struct ext_rec *)slab_at(&t->exts, e))->x : NULL;
}

/* Free the ext of record n, if any. */
static void ext_drop(struct flow_table *t, uint32_t n)
{
	uint32_t e;

	if (!(rec_at(t, n)->td.bits & TD_ST_EXT))
		return;
	e = idx32_delete(&t->ext_idx, idx_hash(&n, sizeof(n)), &n, ext_eq, t);
	if (e)
		slab_free(&t->exts, e);
}

/* The full key of record r. */
static void rec_key(const struct flow_table *t, const struct flow_rec *r,
		    struct flow_key *k)
{
	size_t alen = addr_len(r->family);

	memset(k, 0, sizeof(*k));
	memcpy(k->addr[0], r->addr, alen);
	memcpy(k->addr[1], r->addr + alen, alen);
	k->port[0] = r->port[0];
	k->port[1] = r->port[1];
	k->family = r->family;
	if (r->tunnel)
		k->tunnel = t->tunnels[r->tunnel];
}

static uint64_t rec_last_ns(const struct flow_table *t, uint32_t n)
{
	const struct flow_rec *r = rec_at(t, n);

	return td_state_last_ns(&r->td, (r->td.bits & TD_ST_WIDE)
						? rec_ext(t, n)
						: NULL);
}

static int tunnel_none(const struct flow_tunnel *tun)
{
	static const struct flow_tunnel zero;

	return !memcmp(tun, &zero, sizeof(zero));
}

static int rec_eq(const void *ctx, uint32_t n, const void *k)
{
	const struct flow_table *t = ctx;
	const struct flow_key *key = k;
	const struct flow_rec *r = rec_at(t, n);

	if (r->family != key->family || r->port[0] != key->port[0] ||
	    r->port[1] != key->port[1])
		return 0;
	/* fixed sizes, compared in place rather than by a call */
	if (key->family == SEG_IPV6
		    ? memcmp(r->addr, key->addr[0], 16) ||
			      memcmp(r->addr + 16, key->addr[1], 16)
		    : memcmp(r->addr, key->addr[0], 4) ||
			      memcmp(r->addr + 4, key->addr[1], 4))
		return 0;
	if (!r->tunnel)
		return tunnel_none(&key->tunnel);
	return !memcmp(&t->tunnels[r->tunnel], &key->tunnel,
		       sizeof(key->tunnel));
}

/* The number of tunnel tun (0 when not tunnelled), interned on first
 * sight; tunnels stay until the table is freed. 0 with errno on failure */
static int tunnel_number(struct flow_table *t, const struct flow_tunnel *tun,
			 uint32_t *n)
{
	struct tunnel_ent *te;

	*n = 0;
	if (tunnel_none(tun))
		return 0;
	HASH_FIND(hh, t->tunnel_set, tun, sizeof(*tun), te);
	if (te) {
		*n = te->n;
		return 0;
	}
	if (t->ntunnels + 1 >= t->tunnels_cap) {
		uint32_t cap = t->tunnels_cap ? 2 * t->tunnels_cap : 16;
		struct flow_tunnel *v;

		if (cap <= t->tunnels_cap)
			return -ENOMEM;
		v = realloc(t->tunnels, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->tunnels = v;
		t->tunnels_cap = cap;
	}
	te = calloc(1, sizeof(*te));
	if (!te)
		return -ENOMEM;
	te->tun = *tun;
	te->n = ++t->ntunnels;
	t->tunnels[te->n] = *tun;
	HASH_ADD(hh, t->tunnel_set, tun, sizeof(te->tun), te);
	*n = te->n;
	return 0;
}

static void list_unlink(struct flow_table *t, uint32_t n)
{
	struct flow_rec *r = rec_at(t, n);
	struct flow_list_head *l = &t->lists[rec_list(r)];

	if (r->prev)
		rec_at(t, r->prev)->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		rec_at(t, r->next)->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = 0;
}

static void list_append(struct flow_table *t, uint32_t n,
			enum flow_list which)
{
	struct flow_list_head *l = &t->lists[which];
	struct flow_rec *r = rec_at(t, n);

	rec_set_list(r, which, r->bits & REC_TOUCHED);
	r->next = 0;
	r->prev = l->tail;
	if (l->tail)
		rec_at(t, l->tail)->next = n;
	else
		l->head = n;
	l->tail = n;
}

struct flow_table *flow_table_new(const struct flow_config *cfg,
				  const struct flow_hooks *hooks, void *ctx)
{
	struct flow_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->hooks = *hooks;
	t->ctx = ctx;
	t->recs[0].size = (offsetof(struct flow_rec, addr) + 2 * 4 + 7) & ~7UL;
	t->recs[1].size = (offsetof(struct flow_rec, addr) + 2 * 16 + 7) & ~7UL;
	t->exts.size = sizeof(struct ext_rec);
	return t;
}

void flow_table_free(struct flow_table *t)
{
	struct server_ep *sv, *stmp;
	struct tunnel_ent *te, *ttmp;

	if (!t)
		return;
	slab_release(&t->recs[0]);
	slab_release(&t->recs[1]);
	slab_release(&t->exts);
	idx32_free(&t->ext_idx);
	idx32_free(&t->idx);
	HASH_ITER(hh, t->tunnel_set, te, ttmp)
	{
		HASH_DEL(t->tunnel_set, te);
		free(te);
	}
	free(t->tunnels);
	HASH_ITER(hh, t->servers, sv, stmp)
	{
		HASH_DEL(t->servers, sv);
		free(sv);
	}
	free(t);
}

/* memcmp() of two addresses, inline for IPv4 (once per packet). */
static int addr_cmp(const uint8_t *a, const uint8_t *b, size_t alen)
{
	if (alen == 4) {
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			     (uint32_t)a[2] << 8 | a[3];
		uint32_t y = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
			     (uint32_t)b[2] << 8 | b[3];

		return (x > y) - (x < y);
	}
	return memcmp(a, b, alen);
}

/* The index in key of the segment's sender. */
static int flow_key_from(const struct flow_seg *seg, const struct flow_key *key)
{
	size_t alen = seg->family == SEG_IPV6 ? 16 : 4;

	return addr_cmp(key->addr[0], seg->saddr, alen) ||
	       key->port[0] != seg->sport;
}

/* n bytes at p (n at most 8) as the first bytes of a word, as memcpy would. */
static uint64_t word_at(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

/* The key's word of ports and family: port[0], port[1], family, zeros. */
static uint64_t ports_word(uint16_t p0, uint16_t p1, uint8_t family)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)p0 | (uint64_t)p1 << 16 | (uint64_t)family << 32;
#else
	return (uint64_t)p0 << 48 | (uint64_t)p1 << 32 |
	       (uint64_t)family << 24;
#endif
}

static void put_word(struct flow_key *key, size_t i, uint64_t v)
{
	memcpy((char *)key + 8 * i, &v, 8);
}

int flow_key_from_seg(const struct flow_seg *seg, struct flow_key *key)
{
	/*
	 * Built in registers and stored as whole words: this runs for
	 * every frame, and its hash reads the key back at once, which
	 * stalls when a word it loads was stored in pieces (the store is
	 * not forwarded to the load).
	 */
	const uint8_t *lo = seg->saddr, *hi = seg->daddr;
	int v6 = seg->family == SEG_IPV6, c, from;
	uint16_t p0 = seg->sport, p1 = seg->dport;

	_Static_assert(sizeof(*key) == 56 &&
			       offsetof(struct flow_key, port) == 32 &&
			       offsetof(struct flow_key, family) == 36 &&
			       offsetof(struct flow_key, tunnel) == 40 &&
			       sizeof(struct flow_tunnel) == 16,
		       "flow_key's layout, word by word");
	c = v6 ? memcmp(seg->saddr, seg->daddr, 16)
	       : addr_cmp(seg->saddr, seg->daddr, 4);
	from = c ? c > 0 : seg->sport > seg->dport;
	if (from) {
		lo = seg->daddr, hi = seg->saddr;
		p0 = seg->dport, p1 = seg->sport;
	}
	if (v6) {
		put_word(key, 0, word_at(lo, 8));
		put_word(key, 1, word_at(lo + 8, 8));
		put_word(key, 2, word_at(hi, 8));
		put_word(key, 3, word_at(hi + 8, 8));
	} else {
		put_word(key, 0, word_at(lo, 4));
		put_word(key, 1, 0);
		put_word(key, 2, word_at(hi, 4));
		put_word(key, 3, 0);
	}
	put_word(key, 4, ports_word(p0, p1, seg->family));
	put_word(key, 5, word_at((const uint8_t *)&seg->tunnel, 8));
	put_word(key, 6, word_at((const uint8_t *)&seg->tunnel + 8, 8));
	return from;
}

void flow_seg_from_key(const struct flow_key *key, int from,
		       struct flow_seg *seg)
{
	seg->family = key->family;
	memcpy(seg->saddr, key->addr[from], 16);
	memcpy(seg->daddr, key->addr[!from], 16);
	seg->sport = key->port[from];
	seg->dport = key->port[!from];
	seg->tunnel = key->tunnel;
}

char *flow_tunnel_format(const struct flow_tunnel *t, char *buf, size_t n)
{
	static const char *const names[SEG_TUN__COUNT] = {
		[SEG_TUN_VXLAN] = "vxlan", [SEG_TUN_GENEVE] = "geneve",
		[SEG_TUN_GRE] = "gre",	   [SEG_TUN_ERSPAN] = "erspan",
		[SEG_TUN_MPLS] = "mpls",   [SEG_TUN_IPIP] = "ipip",
		[SEG_TUN_IP6IP] = "ip6ip", [SEG_TUN_PPPOE] = "pppoe",
	};
	const uint8_t *o = t->outer;

	if (!t->kind || t->kind >= SEG_TUN__COUNT)
		snprintf(buf, n, "%s", "");
	else if (t->outer_family == SEG_IPV4)
		snprintf(buf, n, "%s:%u.%u.%u.%u>%u.%u.%u.%u", names[t->kind],
			 o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
	else if (t->outer_family == SEG_IPV6)
		snprintf(buf, n, "%s:v6#%02x%02x%02x%02x>%02x%02x%02x%02x",
			 names[t->kind], o[0], o[1], o[2], o[3], o[4], o[5],
			 o[6], o[7]);
	else
		snprintf(buf, n, "%s:%u", names[t->kind], t->id);
	return buf;
}

static void finalise(struct flow_table *t, uint32_t n, enum flow_end why,
		     uint64_t end_ns)
{
	struct flow_rec *r = rec_at(t, n);
	struct flow_key key;
	struct td_flow td;
	struct flow_record rec = {
		.key = &key,
		.td = &td,
		.id = rec_id(r),
		.end = why,
	};

	rec_key(t, r, &key);
	td_state_view(&r->td, rec_ext(t, n), &td);
	rec.res = td_flow_verdict(&td, end_ns, t->cfg.linger_ns);
	if (td.in_close_wait) {
		t->stats.in_close_wait--;
		/* A reused 4-tuple proves the lingering socket is gone. */
		if (why == FLOW_END_REUSED && t->hooks.close_wait)
			t->hooks.close_wait(t->ctx, &key, &td, -1, end_ns);
	}
	t->hooks.done(t->ctx, &rec);
	t->stats.ended[why]++;
	t->stats.tracked--;
	if (rec_list(r) < LIST__COUNT)
		list_unlink(t, n);
	idx32_delete(&t->idx, idx_hash(&key, sizeof(key)), &key, rec_eq, t);
	ext_drop(t, n);
	slab_free(&t->recs[n >> 31], n & ~REC_V6);
}

/* Finalise what has run out of time; CLOSE_WAIT flows are parked. */
/*
 * The lists are kept in order lazily (second chance, as the CLOCK page
 * replacement does): a packet only marks its flow touched, and a touched
 * flow found at a list head goes back to the tail. Moving a flow on every
 * packet would touch its two neighbours, two more cache misses per packet.
 * A silent flow is thus finalised between one and two timeouts after its
 * last packet.
 */
static uint32_t untouched_head(struct flow_table *t, enum flow_list l,
			       size_t max_moves)
{
	uint32_t n;

	while ((n = t->lists[l].head) &&
	       (rec_at(t, n)->bits & REC_TOUCHED) && max_moves--) {
		rec_at(t, n)->bits &= (uint8_t)~REC_TOUCHED;
		list_unlink(t, n);
		list_append(t, n, l);
	}
	return n;
}

static void sweep(struct flow_table *t, uint64_t now)
{
	uint32_t n;
	uint64_t last;

	while ((n = untouched_head(t, LIST_DONE, SIZE_MAX)) &&
	       (last = rec_last_ns(t, n)) + t->cfg.grace_ns <= now)
		finalise(t, n, FLOW_END_FINISHED, last);
	while ((n = untouched_head(t, LIST_ACTIVE, SIZE_MAX)) &&
	       (last = rec_last_ns(t, n)) + t->cfg.idle_ns <= now) {
		if (td_state_in_close_wait(&rec_at(t, n)->td)) {
			list_unlink(t, n);
			list_append(t, n, LIST_PARKED);
		} else {
			finalise(t, n, FLOW_END_IDLE, last);
		}
	}
}

static void evict_one(struct flow_table *t)
{
	static const enum flow_list order[] = {LIST_DONE, LIST_ACTIVE,
					       LIST_PARKED};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		/* A few second chances, then the head goes regardless. */
		uint32_t n = untouched_head(t, order[i], 8);

		if (n) {
			finalise(t, n, FLOW_END_EVICTED, t->now_ns);
			return;
		}
	}
}

/* Tell the close_wait hook (if any) about flow n's delta. */
static void close_wait_hook(struct flow_table *t, uint32_t n, int delta,
			    uint64_t now)
{
	const struct flow_rec *r = rec_at(t, n);
	struct flow_key key;
	struct td_flow td;

	if (!t->hooks.close_wait)
		return;
	rec_key(t, r, &key);
	td_state_view(&r->td, rec_ext(t, n), &td);
	t->hooks.close_wait(t->ctx, &key, &td, delta, now);
}

static void apply(struct flow_table *t, uint32_t n, unsigned ev,
		  uint64_t now)
{
	struct flow_rec *r;

	if (ev & TD_EV_CW_ENTER) {
		t->stats.in_close_wait++;
		close_wait_hook(t, n, 1, now);
	}
	if (ev & TD_EV_CW_LEAVE) {
		t->stats.in_close_wait--;
		close_wait_hook(t, n, -1, now);
	}
	r = rec_at(t, n);
	enum flow_list want =
		td_state_finished(&r->td) ? LIST_DONE : LIST_ACTIVE;

	if (rec_list(r) != want) {
		list_unlink(t, n);
		list_append(t, n, want);
		rec_set_list(r, want, 0);
	} else {
		rec_set_list(r, want, 1);
	}
}

/*
 * Attach an ext to record n when seg needs one. Returns 0, or -ENOMEM.
 */
static int ensure_ext(struct flow_table *t, uint32_t n,
		      const struct flow_seg *seg, int from)
{
	struct flow_rec *r = rec_at(t, n);
	struct ext_rec *er;
	uint32_t e;

	if (!td_state_needs_ext(&r->td, seg, from))
		return 0;
	e = slab_alloc(&t->exts);
	if (!e)
		return -ENOMEM;
	er = slab_at(&t->exts, e);
	memset(er, 0, sizeof(*er));
	er->owner = n;
	if (idx32_insert(&t->ext_idx, idx_hash(&n, sizeof(n)), e)) {
		slab_free(&t->exts, e);
		return -ENOMEM;
	}
	td_state_attach(&r->td);
	return 0;
}

static void server_key(const struct flow_key *k, int idx,
		       struct server_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->addr, k->addr[idx], 16);
	ep->port = k->port[idx];
	ep->family = k->family;
}

static int server_known(const struct flow_table *t, const struct flow_key *k,
			int idx)
{
	struct server_ep ep, *found;

	server_key(k, idx, &ep);
	HASH_FIND(hh, t->servers, &ep, offsetof(struct server_ep, hh), found);
	return found != NULL;
}

/*
 * Roles: a flow that began with a SYN teaches its server endpoint; one
 * first seen mid-stream is oriented toward an endpoint known to be a
 * server (the one shared by many flows) before the port rule applies.
 */
static void learn_roles(struct flow_table *t, struct flow_rec *r,
			const struct flow_key *key)
{
	int server = 1 - td_state_client(&r->td);
	struct server_ep *ep;

	if (r->td.bits & TD_ST_ROLES_INFERRED) {
		int k0 = server_known(t, key, 0);
		int k1 = server_known(t, key, 1);

		if (k0 != k1)
			td_state_set_client(&r->td, k0 ? 1 : 0);
		return;
	}
	if (t->nservers >= SERVERS_MAX || server_known(t, key, server))
		return;
	ep = malloc(sizeof(*ep));
	if (!ep)
		return;
	server_key(key, server, ep);
	HASH_ADD(hh, t->servers, addr, offsetof(struct server_ep, hh), ep);
	t->nservers++;
}

/*
 * A new record for key, started from seg (not applied yet), its ext
 * attached if seg needs one, and indexed under h. Returns its number, or
 * 0 when memory ran out (nothing is left behind).
 */
static uint32_t rec_new(struct flow_table *t, const struct flow_key *key,
			uint64_t h, const struct flow_seg *seg, int from)
{
	int v6 = key->family == SEG_IPV6;
	size_t alen = addr_len(key->family);
	uint32_t tunnel, n = slab_alloc(&t->recs[v6]);
	struct flow_rec *r;

	if (!n)
		return 0;
	r = slab_at(&t->recs[v6], n);
	if (v6)
		n |= REC_V6;
	memset(r, 0, sizeof(*r));
	td_state_init(&r->td, seg, from);
	if (tunnel_number(t, &key->tunnel, &tunnel) ||
	    ensure_ext(t, n, seg, from))
		goto fail;
	r->tunnel = tunnel;
	memcpy(r->addr, key->addr[0], alen);
	memcpy(r->addr + alen, key->addr[1], alen);
	r->port[0] = key->port[0];
	r->port[1] = key->port[1];
	r->family = key->family;
	if (idx32_insert(&t->idx, h, n))
		goto fail;
	return n;
fail:
	ext_drop(t, n);
	slab_free(&t->recs[v6], n & ~REC_V6);
	return 0;
}

uint64_t flow_key_hash(const struct flow_key *key)
{
	return idx_hash(key, sizeof(*key));
}

void flow_table_prefetch(const struct flow_table *t, uint64_t hash,
			 int step)
{
	const struct idx32_slot *s = idx32_home(&t->idx, hash);
	const char *r;

	if (!s)
		return;
	if (step == 0) {
		__builtin_prefetch(s);
		return;
	}
	/* the slot is loaded by now: the record it names, if it matches */
	if (s->h != (uint32_t)hash || !idx32_live(s->e))
		return;
	r = (const char *)rec_at(t, s->e);
	for (size_t off = 0; off < sizeof(struct flow_rec); off += 64)
		__builtin_prefetch(r + off);
}

int flow_table_add(struct flow_table *t, const struct flow_seg *seg)
{
	struct flow_key key;

	flow_key_from_seg(seg, &key);
	return flow_table_add_keyed(t, seg, &key, flow_key_hash(&key));
}

int flow_table_add_keyed(struct flow_table *t, const struct flow_seg *seg,
			 const struct flow_key *kp, uint64_t h)
{
	const struct flow_key key = *kp;
	struct flow_rec *r;
	uint32_t n;
	int from = flow_key_from(seg, &key);
	uint64_t now = seg->wall_ns;

	/* Timestamps may step back across merged files: never rewind. */
	if (now > t->now_ns)
		t->now_ns = now;
	if (t->now_ns >= t->next_sweep_ns) {
		sweep(t, t->now_ns);
		t->next_sweep_ns = t->now_ns + SWEEP_EVERY_NS;
	}
	t->stats.segments++;

	n = idx32_find(&t->idx, h, &key, rec_eq, t);
	if (n && td_state_is_new_syn(&rec_at(t, n)->td, seg, from)) {
		finalise(t, n, FLOW_END_REUSED, rec_last_ns(t, n));
		n = 0;
	}
	if (n) {
		if (ensure_ext(t, n, seg, from))
			return -ENOMEM;
		r = rec_at(t, n);
		apply(t, n, td_state_update(&r->td, rec_ext(t, n), seg, from),
		      now);
		return 0;
	}

	if (t->cfg.max_flows && t->stats.tracked >= t->cfg.max_flows)
		evict_one(t);
	n = rec_new(t, &key, h, seg, from);
	if (!n)
		return -ENOMEM;
	r = rec_at(t, n);
	++t->stats.flows;
	r->id_lo = (uint32_t)t->stats.flows;
	r->id_hi = (uint16_t)(t->stats.flows >> 32);
	t->stats.tracked++;
	if (t->stats.tracked > t->stats.peak_tracked)
		t->stats.peak_tracked = t->stats.tracked;
	list_append(t, n, LIST_ACTIVE);
	apply(t, n, td_state_update(&r->td, rec_ext(t, n), seg, from), now);
	learn_roles(t, r, &key);
	return 0;
}

/* Merge two chains (next links) sorted by id. */
static uint32_t merge_by_id(const struct flow_table *t, uint32_t a,
			    uint32_t b)
{
	uint32_t head = 0, *tail = &head;

	while (a && b) {
		uint32_t *from =
			rec_id(rec_at(t, a)) < rec_id(rec_at(t, b)) ? &a : &b;

		*tail = *from;
		tail = &rec_at(t, *from)->next;
		*from = *tail;
	}
	*tail = a ? a : b;
	return head;
}

/* A record's id and number, to sort by id. */
struct flush_item {
	uint64_t id;
	uint32_t n;
};

/*
 * Records sorted at once through an array at the flush (512 KiB of it);
 * more are sorted chunk by chunk and the sorted chains merged. Without
 * memory for it, chunks of FLUSH_SMALL on the stack.
 */
#define FLUSH_CHUNK 32768
#define FLUSH_SMALL 256

static int flush_item_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct flush_item *)a)->id;
	uint64_t y = ((const struct flush_item *)b)->id;

	return (x > y) - (x < y);
}

/* Sort n > 0 items by id and chain their records so; returns the head. */
static uint32_t chain_sorted(struct flow_table *t, struct flush_item *v,
			     size_t n)
{
	qsort(v, n, sizeof(*v), flush_item_cmp);
	for (size_t k = 0; k + 1 < n; k++)
		rec_at(t, v[k].n)->next = v[k + 1].n;
	rec_at(t, v[n - 1].n)->next = 0;
	return v[0].n;
}

/* Sorted chains waiting to be merged, larger below (a binary counter). */
struct flush_runs {
	struct {
		uint32_t head;
		uint64_t n;
	} r[64];
	int top;
};

static void runs_push(struct flow_table *t, struct flush_runs *s,
		      uint32_t head, uint64_t n)
{
	while (s->top && s->r[s->top - 1].n <= n) {
		s->top--;
		head = merge_by_id(t, s->r[s->top].head, head);
		n += s->r[s->top].n;
	}
	s->r[s->top].head = head;
	s->r[s->top].n = n;
	s->top++;
}

/*
 * Every record chained in order of id: the lists' records sorted in
 * chunks through the array v (cap items), the chunks' chains merged.
 */
static uint32_t flush_sorted(struct flow_table *t, struct flush_item *v,
			     size_t cap)
{
	struct flush_runs runs = {.top = 0};
	uint32_t head = 0, n, next;
	size_t i = 0;

	for (int l = 0; l < LIST__COUNT; l++) {
		for (n = t->lists[l].head; n; n = next) {
			next = rec_at(t, n)->next;
			rec_set_list(rec_at(t, n), LIST__COUNT, 0);
			v[i++] = (struct flush_item){rec_id(rec_at(t, n)), n};
			if (i == cap) {
				runs_push(t, &runs, chain_sorted(t, v, i), i);
				i = 0;
			}
		}
		t->lists[l].head = t->lists[l].tail = 0;
	}
	if (i)
		runs_push(t, &runs, chain_sorted(t, v, i), i);
	while (runs.top--)
		head = merge_by_id(t, runs.r[runs.top].head, head);
	return head;
}

void flow_table_flush(struct flow_table *t, uint64_t end_ns)
{
	size_t cap = t->stats.tracked < FLUSH_CHUNK ? t->stats.tracked
						    : FLUSH_CHUNK;
	struct flush_item small[FLUSH_SMALL];
	struct flush_item *v = cap > FLUSH_SMALL ? malloc(cap * sizeof(*v))
						 : NULL;
	uint32_t head, n;

	/*
	 * Finalise in order of first packet: reports read naturally. The
	 * ids are sorted in a bounded array, which stays in cache (a
	 * chain's merge sort costs a cache miss a step); the flush needs
	 * no heap memory, only works faster with it.
	 */
	head = v ? flush_sorted(t, v, cap)
		 : flush_sorted(t, small, FLUSH_SMALL);
	free(v);
	while ((n = head)) {
		head = rec_at(t, n)->next;
		finalise(t, n, FLOW_END_INPUT, end_ns);
	}
}

void flow_table_foreach(const struct flow_table *t,
			void (*fn)(void *arg, const struct flow_key *key,
				   const struct td_flow *td, uint64_t id),
			void *arg)
{
	struct flow_key key;
	struct td_flow td;

	for (int l = 0; l < LIST__COUNT; l++)
		for (uint32_t n = t->lists[l].head; n;
		     n = rec_at(t, n)->next) {
			const struct flow_rec *r = rec_at(t, n);

			rec_key(t, r, &key);
			td_state_view(&r->td, rec_ext(t, n), &td);
			fn(arg, &key, &td, rec_id(r));
		}
}

uint64_t flow_table_id(const struct flow_table *t, const struct flow_key *key)
{
	uint32_t n = idx32_find(&t->idx, idx_hash(key, sizeof(*key)), key,
				rec_eq, t);

	return n ? rec_id(rec_at(t, n)) : 0;
}

const struct flow_stats *flow_table_stats(const struct flow_table *t)
{
	return &t->stats;
}

const char *flow_end_name(enum flow_end e)
{
	static const char *const names[FLOW_END__COUNT] = {
		[FLOW_END_FINISHED] = "finished",
		[FLOW_END_IDLE] = "idle",
		[FLOW_END_REUSED] = "reused",
		[FLOW_END_EVICTED] = "evicted",
		[FLOW_END_INPUT] = "end-of-input",
	};
	return (unsigned)e < FLOW_END__COUNT ? names[e] : "?";
}
