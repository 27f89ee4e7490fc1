/* SPDX-License-Identifier: MIT */
/*
 * Flow table; see flow.h. Flows are found through analysis/index.h (the
 * set of known servers stays on uthash). Besides the index, every flow sits on
 * one of three lists ordered by last packet, so expiry and eviction look
 * only at list heads: the work per segment is O(1) however many flows are
 * tracked.
 */
#include "analysis/flow.h"
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

struct flow_entry {
	struct flow_key key;
	struct td_flow td;
	uint64_t id;
	struct flow_entry *prev;
	struct flow_entry *next;
	uint8_t list;
	uint8_t touched;       /* a packet since it was (re)queued */
};

struct flow_list_head {
	struct flow_entry *head;
	struct flow_entry *tail;
};

struct flow_table {
	struct flow_config cfg;
	struct flow_hooks hooks;
	void *ctx;
	struct idx idx;
	struct server_ep *servers;
	unsigned nservers;
	struct flow_list_head lists[LIST__COUNT];
	struct flow_stats stats;
	uint64_t now_ns;
	uint64_t next_sweep_ns;
};

#define SWEEP_EVERY_NS 1000000000ULL

static void list_unlink(struct flow_table *t, struct flow_entry *e)
{
	struct flow_list_head *l = &t->lists[e->list];

	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_append(struct flow_table *t, struct flow_entry *e,
			enum flow_list which)
{
	struct flow_list_head *l = &t->lists[which];

	e->list = (uint8_t)which;
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}


static int entry_eq(const void *e, const void *k)
{
	return !memcmp(&((const struct flow_entry *)e)->key, k,
		       sizeof(struct flow_key));
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
	return t;
}

void flow_table_free(struct flow_table *t)
{
	struct flow_entry *e, *tmp;

	if (!t)
		return;
	struct server_ep *sv, *stmp;

	for (int l = 0; l < LIST__COUNT; l++)
		for (e = t->lists[l].head; e; e = tmp) {
			tmp = e->next;
			free(e);
		}
	idx_free(&t->idx);
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

int flow_key_from_seg(const struct flow_seg *seg, struct flow_key *key)
{
	size_t alen = seg->family == SEG_IPV6 ? 16 : 4;
	int c = addr_cmp(seg->saddr, seg->daddr, alen);
	int from;

	if (!c)
		c = (int)seg->sport - (int)seg->dport;
	from = c <= 0 ? 0 : 1;
	memset(key, 0, sizeof(*key));
	memcpy(key->addr[from], seg->saddr, alen);
	memcpy(key->addr[1 - from], seg->daddr, alen);
	key->port[from] = seg->sport;
	key->port[1 - from] = seg->dport;
	key->family = seg->family;
	key->tunnel = seg->tunnel;
	return from;
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

static void finalise(struct flow_table *t, struct flow_entry *e,
		     enum flow_end why, uint64_t end_ns)
{
	struct flow_record rec = {
		.key = &e->key,
		.td = &e->td,
		.id = e->id,
		.end = why,
	};

	rec.res = td_flow_verdict(&e->td, end_ns, t->cfg.linger_ns);
	if (e->td.in_close_wait) {
		t->stats.in_close_wait--;
		/* A reused 4-tuple proves the lingering socket is gone. */
		if (why == FLOW_END_REUSED && t->hooks.close_wait)
			t->hooks.close_wait(t->ctx, &e->key, &e->td, -1,
					    end_ns);
	}
	t->hooks.done(t->ctx, &rec);
	t->stats.ended[why]++;
	t->stats.tracked--;
	list_unlink(t, e);
	idx_delete(&t->idx, idx_hash(&e->key, sizeof(e->key)), &e->key,
		   entry_eq);
	free(e);
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
static struct flow_entry *untouched_head(struct flow_table *t,
					 enum flow_list l, size_t max_moves)
{
	struct flow_entry *e;

	while ((e = t->lists[l].head) && e->touched && max_moves--) {
		e->touched = 0;
		list_unlink(t, e);
		list_append(t, e, l);
	}
	return e;
}

static void sweep(struct flow_table *t, uint64_t now)
{
	struct flow_entry *e;

	while ((e = untouched_head(t, LIST_DONE, SIZE_MAX)) &&
	       e->td.last_ns + t->cfg.grace_ns <= now)
		finalise(t, e, FLOW_END_FINISHED, e->td.last_ns);
	while ((e = untouched_head(t, LIST_ACTIVE, SIZE_MAX)) &&
	       e->td.last_ns + t->cfg.idle_ns <= now) {
		if (e->td.in_close_wait) {
			list_unlink(t, e);
			list_append(t, e, LIST_PARKED);
		} else {
			finalise(t, e, FLOW_END_IDLE, e->td.last_ns);
		}
	}
}

static void evict_one(struct flow_table *t)
{
	static const enum flow_list order[] = {LIST_DONE, LIST_ACTIVE,
					       LIST_PARKED};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		/* A few second chances, then the head goes regardless. */
		struct flow_entry *e = untouched_head(t, order[i], 8);

		if (e) {
			finalise(t, e, FLOW_END_EVICTED, t->now_ns);
			return;
		}
	}
}

static void apply(struct flow_table *t, struct flow_entry *e, unsigned ev,
		  uint64_t now)
{
	if (ev & TD_EV_CW_ENTER) {
		t->stats.in_close_wait++;
		if (t->hooks.close_wait)
			t->hooks.close_wait(t->ctx, &e->key, &e->td, 1, now);
	}
	if (ev & TD_EV_CW_LEAVE) {
		t->stats.in_close_wait--;
		if (t->hooks.close_wait)
			t->hooks.close_wait(t->ctx, &e->key, &e->td, -1, now);
	}
	enum flow_list want =
		td_flow_finished(&e->td) ? LIST_DONE : LIST_ACTIVE;

	if (e->list != want) {
		list_unlink(t, e);
		list_append(t, e, want);
		e->touched = 0;
	} else {
		e->touched = 1;
	}
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
static void learn_roles(struct flow_table *t, struct flow_entry *e)
{
	int server = 1 - e->td.client;
	struct server_ep *ep;

	if (e->td.roles_inferred) {
		int k0 = server_known(t, &e->key, 0);
		int k1 = server_known(t, &e->key, 1);

		if (k0 != k1)
			e->td.client = (int8_t)(k0 ? 1 : 0);
		return;
	}
	if (t->nservers >= SERVERS_MAX || server_known(t, &e->key, server))
		return;
	ep = malloc(sizeof(*ep));
	if (!ep)
		return;
	server_key(&e->key, server, ep);
	HASH_ADD(hh, t->servers, addr, offsetof(struct server_ep, hh), ep);
	t->nservers++;
}

uint64_t flow_key_hash(const struct flow_key *key)
{
	return idx_hash(key, sizeof(*key));
}

void flow_table_prefetch(const struct flow_table *t, uint64_t hash,
			 int step)
{
	if (step == 0)
		idx_prefetch(&t->idx, hash);
	else
		idx_prefetch_entry(&t->idx, hash,
				   (sizeof(struct flow_entry) + 63) / 64);
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
	struct flow_entry *e;
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

	e = idx_find(&t->idx, h, &key, entry_eq);
	if (e && td_flow_is_new_syn(&e->td, seg, from)) {
		finalise(t, e, FLOW_END_REUSED, e->td.last_ns);
		e = NULL;
	}
	if (e) {
		apply(t, e, td_flow_update(&e->td, seg, from), now);
		return 0;
	}

	if (t->cfg.max_flows && t->stats.tracked >= t->cfg.max_flows)
		evict_one(t);
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = key;
	e->id = ++t->stats.flows;
	e->prev = e->next = NULL;
	e->list = LIST_ACTIVE;
	e->touched = 0;
	if (idx_insert(&t->idx, h, e)) {
		free(e);
		return -ENOMEM;
	}
	t->stats.tracked++;
	if (t->stats.tracked > t->stats.peak_tracked)
		t->stats.peak_tracked = t->stats.tracked;
	list_append(t, e, LIST_ACTIVE);
	apply(t, e, td_flow_init(&e->td, seg, from), now);
	learn_roles(t, e);
	return 0;
}

static int cmp_entry_id(const void *a, const void *b)
{
	const struct flow_entry *x = *(struct flow_entry *const *)a;
	const struct flow_entry *y = *(struct flow_entry *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void flow_table_flush(struct flow_table *t, uint64_t end_ns)
{
	struct flow_entry **v, *e;
	size_t n = 0;

	/* Finalise in order of first packet: reports read naturally. */
	v = malloc((t->stats.tracked ? t->stats.tracked : 1) * sizeof(*v));
	for (int l = 0; l < LIST__COUNT; l++)
		for (e = t->lists[l].head; e; e = e->next) {
			if (!v) {
				/* No memory to sort: finalise in list order */
				break;
			}
			v[n++] = e;
		}
	if (!v) {
		for (int l = 0; l < LIST__COUNT; l++)
			while (t->lists[l].head)
				finalise(t, t->lists[l].head, FLOW_END_INPUT,
					 end_ns);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_entry_id);
	for (size_t i = 0; i < n; i++)
		finalise(t, v[i], FLOW_END_INPUT, end_ns);
	free(v);
}

void flow_table_foreach(const struct flow_table *t,
			void (*fn)(void *arg, const struct flow_key *key,
				   const struct td_flow *td, uint64_t id),
			void *arg)
{
	const struct flow_entry *e;

	for (int l = 0; l < LIST__COUNT; l++)
		for (e = t->lists[l].head; e; e = e->next)
			fn(arg, &e->key, &e->td, e->id);
}

uint64_t flow_table_id(const struct flow_table *t, const struct flow_key *key)
{
	const struct flow_entry *e =
		idx_find(&t->idx, idx_hash(key, sizeof(*key)), key, entry_eq);

	return e ? e->id : 0;
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
