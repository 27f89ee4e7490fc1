/* SPDX-License-Identifier: MIT */
/*
 * Flow table: both directions in one record, port reuse, finalising on
 * grace and idle timeouts, CLOSE_WAIT flows kept, --max-flows eviction.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/flow.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

struct sink {
	unsigned n;
	struct {
		uint64_t id;
		enum vd_verdict verdict;
		enum flow_end end;
		uint64_t close_wait_ns;
		uint16_t client_port;
	} rec[64];
	int cw_delta;
};

static void on_done(void *ctx, const struct flow_record *r)
{
	struct sink *s = ctx;

	if (s->n >= 64) {
		s->n++; /* counted, not kept */
		return;
	}
	s->rec[s->n].id = r->id;
	s->rec[s->n].verdict = r->res.verdict;
	s->rec[s->n].end = r->end;
	s->rec[s->n].close_wait_ns = r->res.close_wait_ns;
	s->rec[s->n].client_port = r->key->port[r->td->client];
	s->n++;
}

static void on_cw(void *ctx, const struct flow_key *k,
		  const struct td_flow *td, int delta, uint64_t now)
{
	struct sink *s = ctx;

	(void)k;
	(void)td;
	(void)now;
	s->cw_delta += delta;
}

static struct flow_table *table(struct sink *s, uint64_t max_flows)
{
	struct flow_config cfg = {
		.linger_ns = 5 * SEC,
		.grace_ns = 2 * SEC,
		.idle_ns = 60 * SEC,
		.max_flows = max_flows,
	};
	struct flow_hooks hooks = {.done = on_done, .close_wait = on_cw};
	struct flow_table *t;

	memset(s, 0, sizeof(*s));
	t = flow_table_new(&cfg, &hooks, s);
	cr_assert_not_null(t);
	return t;
}

/* A segment of client 10.0.0.1:cport <-> server 10.0.0.2:9100. */
static void seg(struct flow_table *t, uint16_t cport, int from_client,
		uint8_t flags, uint32_t seq, uint32_t ack, uint64_t t_ms)
{
	struct flow_seg s;
	uint8_t c[4] = {10, 0, 0, 1}, sv[4] = {10, 0, 0, 2};

	memset(&s, 0, sizeof(s));
	s.wall_ns = T0 + t_ms * MS;
	s.family = SEG_IPV4;
	memcpy(from_client ? s.saddr : s.daddr, c, 4);
	memcpy(from_client ? s.daddr : s.saddr, sv, 4);
	s.sport = from_client ? cport : 9100;
	s.dport = from_client ? 9100 : cport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	cr_assert_eq(flow_table_add(t, &s), 0);
}

/* Handshake and client close; the server ACKs the FIN (CLOSE_WAIT). */
static void open_and_client_fin(struct flow_table *t, uint16_t cport,
				uint32_t cisn, uint64_t t_ms)
{
	seg(t, cport, 1, SEG_SYN, cisn, 0, t_ms);
	seg(t, cport, 0, SEG_SYN | SEG_ACK, 500, cisn + 1, t_ms + 1);
	seg(t, cport, 1, SEG_ACK, cisn + 1, 501, t_ms + 2);
	seg(t, cport, 1, SEG_FIN | SEG_ACK, cisn + 1, 501, t_ms + 3);
	seg(t, cport, 0, SEG_ACK, 501, cisn + 2, t_ms + 4);
}

Test(flow, both_directions_one_record)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);

	open_and_client_fin(t, 40000, 1000, 0);
	cr_assert_eq(flow_table_stats(t)->tracked, 1);
	cr_assert_eq(flow_table_stats(t)->in_close_wait, 1);
	cr_assert_eq(s.cw_delta, 1);
	flow_table_flush(t, T0 + 10 * SEC);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.rec[0].verdict, VD_NEVER_CLOSED);
	cr_assert_eq(s.rec[0].end, FLOW_END_INPUT);
	cr_assert_eq(s.rec[0].client_port, 40000);
	cr_assert_eq(flow_table_stats(t)->tracked, 0);
	flow_table_free(t);
}

Test(flow, finished_flow_freed_after_grace)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);

	open_and_client_fin(t, 40000, 1000, 0);
	seg(t, 40000, 0, SEG_FIN | SEG_ACK, 501, 1002, 10);
	seg(t, 40000, 1, SEG_ACK, 1002, 502, 11);
	cr_assert_eq(s.cw_delta, 0);
	/* Another flow's packets move the capture clock past the grace. */
	seg(t, 40001, 1, SEG_SYN, 1, 0, 1500);
	cr_assert_eq(s.n, 0);
	seg(t, 40001, 1, SEG_SYN, 1, 0, 3100); /* swept once a second */
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.rec[0].verdict, VD_CLEAN);
	cr_assert_eq(s.rec[0].end, FLOW_END_FINISHED);
	cr_assert_eq(flow_table_stats(t)->tracked, 1);
	flow_table_flush(t, T0 + 4 * SEC);
	flow_table_free(t);
}

Test(flow, port_reuse_starts_new_flow)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);

	open_and_client_fin(t, 40000, 1000, 0);
	seg(t, 40000, 0, SEG_FIN | SEG_ACK, 501, 1002, 10);
	seg(t, 40000, 1, SEG_ACK, 1002, 502, 11);
	/* Same 4-tuple, new ISN, within the grace period. */
	seg(t, 40000, 1, SEG_SYN, 90000, 0, 100);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.rec[0].end, FLOW_END_REUSED);
	cr_assert_eq(s.rec[0].verdict, VD_CLEAN);
	cr_assert_eq(flow_table_stats(t)->flows, 2);
	/* A retransmission of the new SYN stays in the new flow. */
	seg(t, 40000, 1, SEG_SYN, 90000, 0, 1100);
	cr_assert_eq(flow_table_stats(t)->flows, 2);
	flow_table_flush(t, T0 + 2 * SEC);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.rec[1].id, 2);
	cr_assert_eq(s.rec[1].verdict, VD_OPEN);
	flow_table_free(t);
}

Test(flow, idle_open_flow_finalised_close_wait_kept)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);

	/* Flow A: open, then silent. Flow B: in CLOSE_WAIT, then silent. */
	seg(t, 40000, 1, SEG_SYN, 1, 0, 0);
	open_and_client_fin(t, 40001, 1000, 0);
	seg(t, 40002, 1, SEG_SYN, 1, 0, 61000);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.rec[0].client_port, 40000);
	cr_assert_eq(s.rec[0].end, FLOW_END_IDLE);
	cr_assert_eq(flow_table_stats(t)->in_close_wait, 1);
	/* The lingering socket finally closes, 2 minutes later. */
	seg(t, 40001, 0, SEG_FIN | SEG_ACK, 501, 1002, 120004);
	seg(t, 40001, 1, SEG_ACK, 1002, 502, 120005);
	flow_table_flush(t, T0 + 121 * SEC);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.rec[1].verdict, VD_LATE_CLOSE);
	cr_assert_eq(s.rec[1].close_wait_ns, 120000 * MS);
	cr_assert_eq(s.cw_delta, 0);
	flow_table_free(t);
}

Test(flow, max_flows_evicts_least_recent)
{
	struct sink s;
	struct flow_table *t = table(&s, 3);

	for (uint16_t p = 0; p < 10; p++)
		seg(t, (uint16_t)(40000 + p), 1, SEG_SYN, 1, 0, p);
	cr_assert_eq(flow_table_stats(t)->tracked, 3);
	cr_assert_eq(flow_table_stats(t)->ended[FLOW_END_EVICTED], 7);
	cr_assert_eq(s.n, 7);
	for (unsigned i = 0; i < 7; i++) {
		cr_assert_eq(s.rec[i].client_port, 40000 + i);
		cr_assert_eq(s.rec[i].end, FLOW_END_EVICTED);
	}
	flow_table_flush(t, T0 + SEC);
	cr_assert_eq(s.n, 10);
	flow_table_free(t);
}

Test(flow, eviction_prefers_finished_flows)
{
	struct sink s;
	struct flow_table *t = table(&s, 2);

	open_and_client_fin(t, 40000, 1000, 0);      /* in CLOSE_WAIT */
	seg(t, 40001, 1, SEG_SYN, 1, 0, 10);
	seg(t, 40001, 0, SEG_RST | SEG_ACK, 0, 2, 11); /* finished */
	seg(t, 40002, 1, SEG_SYN, 1, 0, 20);           /* evicts 40001 */
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.rec[0].client_port, 40001);
	cr_assert_eq(s.rec[0].verdict, VD_REFUSED);
	flow_table_flush(t, T0 + SEC);
	flow_table_free(t);
}

Test(flow, ipv6_and_key_canonical)
{
	struct flow_seg a, b;
	struct flow_key ka, kb;

	memset(&a, 0, sizeof(a));
	a.family = SEG_IPV6;
	a.saddr[0] = 0xfd;
	a.saddr[15] = 2;
	a.daddr[0] = 0xfd;
	a.daddr[15] = 1;
	a.sport = 9100;
	a.dport = 50000;
	b = a;
	memcpy(b.saddr, a.daddr, 16);
	memcpy(b.daddr, a.saddr, 16);
	b.sport = a.dport;
	b.dport = a.sport;
	cr_assert_eq(flow_key_from_seg(&a, &ka), 1);
	cr_assert_eq(flow_key_from_seg(&b, &kb), 0);
	cr_assert_eq(memcmp(&ka, &kb, sizeof(ka)), 0);
	cr_assert_eq(ka.port[0], 50000);
}

/* The key and the sender's index give back the segment's endpoints. */
Test(flow, segment_endpoints_from_key)
{
	struct flow_seg in[2], out;
	struct flow_key k;

	memset(in, 0, sizeof(in));
	in[0].family = SEG_IPV6;
	in[0].saddr[0] = 0xfd, in[0].saddr[15] = 2;
	in[0].daddr[0] = 0xfd, in[0].daddr[15] = 1;
	in[0].sport = 9100, in[0].dport = 50000;
	in[1].family = SEG_IPV4;
	memcpy(in[1].saddr, (uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(in[1].daddr, (uint8_t[]){10, 0, 0, 2}, 4);
	in[1].sport = 40000, in[1].dport = 443;
	in[1].tunnel.kind = SEG_TUN_VXLAN;
	in[1].tunnel.id = 42;
	for (int i = 0; i < 2; i++) {
		int from = flow_key_from_seg(&in[i], &k);

		cr_assert_eq(from, !i); /* one swapped, one not */
		memset(&out, 0xa5, sizeof(out));
		flow_seg_from_key(&k, from, &out);
		cr_assert_eq(out.family, in[i].family);
		cr_assert_arr_eq(out.saddr, in[i].saddr, 16);
		cr_assert_arr_eq(out.daddr, in[i].daddr, 16);
		cr_assert_eq(out.sport, in[i].sport);
		cr_assert_eq(out.dport, in[i].dport);
		cr_assert_arr_eq(&out.tunnel, &in[i].tunnel,
				 sizeof(out.tunnel));
	}
}

Test(flow, free_with_flows_inside)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);

	for (uint16_t p = 0; p < 100; p++)
		open_and_client_fin(t, (uint16_t)(30000 + p), p * 7u, p);
	cr_assert_eq(flow_table_stats(t)->tracked, 100);
	flow_table_free(t); /* leak-checked under ASan */
	flow_table_free(NULL);
}

Test(flow, midstream_roles_follow_known_server)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);
	struct flow_seg g;
	uint8_t c[4] = {10, 0, 0, 1}, sv[4] = {10, 0, 0, 2};

	/* A server on a high port, 50000, learnt from a SYN ... */
	memset(&g, 0, sizeof(g));
	g.family = SEG_IPV4;
	g.wall_ns = T0;
	memcpy(g.saddr, c, 4);
	memcpy(g.daddr, sv, 4);
	g.sport = 40000;
	g.dport = 50000;
	g.flags = SEG_SYN;
	cr_assert_eq(flow_table_add(t, &g), 0);
	/* ... then a flow first seen mid-stream, client port 40001 < 50000:
	 * the port rule alone would call 10.0.0.2:50000 the client. */
	memcpy(g.saddr, sv, 4);
	memcpy(g.daddr, c, 4);
	g.sport = 50000;
	g.dport = 40001;
	g.flags = SEG_ACK;
	g.wall_ns = T0 + MS;
	cr_assert_eq(flow_table_add(t, &g), 0);
	flow_table_flush(t, T0 + SEC);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.rec[1].client_port, 40001);
	flow_table_free(t);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The most keys any one of 65536 buckets of 16 bits of h, from bit at, got. */
static unsigned fullest_bucket(const uint64_t *h, size_t n, unsigned at)
{
	static unsigned count[1 << 16];
	unsigned most = 0;

	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++) {
		unsigned *c = &count[(h[i] >> at) & 0xffff];

		if (++*c > most)
			most = *c;
	}
	return most;
}

/*
 * The flow key's hash, on the keys of an incident: 256 clients in one
 * /24 with 4096 ports each, towards one service. The index's home slot
 * is in its low bits, its fingerprint the low 32 bits, the TIME_WAIT
 * table's the whole 64: no two keys may share a hash, and every 16 bits
 * must spread (16 keys a bucket on average; a uniform hash puts at most
 * about 40 in the fullest of 65536). Keys that are the same words in
 * another order (one address block swapped with the other) differ too.
 */
Test(flow, key_hashes_differ_and_spread)
{
	enum { N = 1 << 20 };
	uint64_t *h = malloc(N * sizeof(*h));
	struct flow_key k, swapped;
	uint8_t tmp[16];

	cr_assert_not_null(h);
	for (size_t i = 0; i < N; i++) {
		memset(&k, 0, sizeof(k));
		k.family = SEG_IPV4;
		k.addr[0][0] = 10, k.addr[0][1] = 1, k.addr[0][2] = 0;
		k.addr[0][3] = (uint8_t)(i >> 12);
		k.addr[1][0] = 10, k.addr[1][1] = 2, k.addr[1][3] = 1;
		k.port[0] = (uint16_t)(32768 + (i & 0xfff));
		k.port[1] = 443;
		h[i] = flow_key_hash(&k);
	}
	for (unsigned at = 0; at <= 48; at += 16)
		cr_expect_leq(fullest_bucket(h, N, at), 48,
			      "bits %u to %u of the hash cluster", at, at + 15);
	qsort(h, N, sizeof(*h), cmp_u64);
	for (size_t i = 1; i < N; i++)
		cr_assert_neq(h[i], h[i - 1], "two keys share hash %#llx",
			      (unsigned long long)h[i]);
	free(h);

	k.addr[0][15] = 7; /* the two blocks differ in their last word too */
	swapped = k;
	memcpy(tmp, swapped.addr[0], 16);
	memcpy(swapped.addr[0], swapped.addr[1], 16);
	memcpy(swapped.addr[1], tmp, 16);
	cr_assert_neq(flow_key_hash(&k), flow_key_hash(&swapped));
}

/* The index under churn: growth while draining, deletes in both arrays. */
Test(flow, index_survives_growth_and_churn)
{
	struct sink s;
	struct flow_table *t = table(&s, 0);
	struct flow_seg g;
	struct flow_key k;
	const unsigned N = 60000, LIVE = 20000;

	memset(&g, 0, sizeof(g));
	g.family = SEG_IPV4;
	g.flags = SEG_SYN;
	g.saddr[0] = 10;
	g.daddr[0] = 10;
	g.daddr[3] = 2;
	g.dport = 9100;
	for (unsigned i = 0; i < N; i++) {
		g.saddr[2] = (uint8_t)(i >> 8);
		g.saddr[3] = (uint8_t)i;
		g.sport = (uint16_t)(1024 + i % 50000);
		g.wall_ns = T0 + i;
		cr_assert_eq(flow_table_add(t, &g), 0);
		if (i >= LIVE) {
			/* reset the flow LIVE back: it finishes and goes */
			unsigned j = i - LIVE;
			struct flow_seg r = g;

			r.saddr[2] = (uint8_t)(j >> 8);
			r.saddr[3] = (uint8_t)j;
			r.sport = (uint16_t)(1024 + j % 50000);
			r.flags = SEG_RST;
			cr_assert_eq(flow_table_add(t, &r), 0);
		}
	}
	/* Every live flow is found under its id, every reset one is not
	 * (its grace period is not over, but its id is the old one). */
	for (unsigned i = 0; i < N; i += 7) {
		g.saddr[2] = (uint8_t)(i >> 8);
		g.saddr[3] = (uint8_t)i;
		g.sport = (uint16_t)(1024 + i % 50000);
		flow_key_from_seg(&g, &k);
		cr_assert_eq(flow_table_id(t, &k), i + 1, "flow %u", i);
	}
	/* Past the grace period the reset flows are finalised and gone. */
	g.saddr[0] = 11;
	g.wall_ns = T0 + 10 * SEC;
	cr_assert_eq(flow_table_add(t, &g), 0);
	cr_assert_eq(flow_table_stats(t)->tracked, LIVE + 1);
	for (unsigned i = 0; i < N - LIVE; i += 11) {
		g.saddr[0] = 10;
		g.saddr[2] = (uint8_t)(i >> 8);
		g.saddr[3] = (uint8_t)i;
		g.sport = (uint16_t)(1024 + i % 50000);
		flow_key_from_seg(&g, &k);
		cr_assert_eq(flow_table_id(t, &k), 0, "flow %u still there", i);
	}
	flow_table_flush(t, T0 + 11 * SEC);
	cr_assert_eq(flow_table_stats(t)->tracked, 0);
	flow_table_free(t);
}

/* Deletes (evictions) while the index grows and drains. */
Test(flow, index_deletes_during_growth)
{
	struct sink s;
	const unsigned N = 50000, MAX = 600; /* grows at 513 */
	struct flow_table *t = table(&s, MAX);
	struct flow_seg g;
	struct flow_key k;

	memset(&g, 0, sizeof(g));
	g.family = SEG_IPV6;
	g.flags = SEG_SYN;
	g.saddr[0] = 0xfd;
	g.daddr[0] = 0xfd;
	g.daddr[15] = 2;
	g.dport = 443;
	for (unsigned i = 0; i < N; i++) {
		g.saddr[13] = (uint8_t)(i >> 16);
		g.saddr[14] = (uint8_t)(i >> 8);
		g.saddr[15] = (uint8_t)i;
		g.sport = 40000;
		g.wall_ns = T0 + i;
		cr_assert_eq(flow_table_add(t, &g), 0);
	}
	cr_assert_eq(flow_table_stats(t)->tracked, MAX);
	for (unsigned i = 0; i < N; i += 3) {
		g.saddr[13] = (uint8_t)(i >> 16);
		g.saddr[14] = (uint8_t)(i >> 8);
		g.saddr[15] = (uint8_t)i;
		flow_key_from_seg(&g, &k);
		cr_assert_eq(flow_table_id(t, &k), i >= N - MAX ? i + 1 : 0,
			     "flow %u", i);
	}
	flow_table_flush(t, T0 + SEC);
	cr_assert_eq(s.n, N);
	flow_table_free(t);
}

struct order {
	uint64_t n;
	uint64_t last_id;
	int out_of_order;
};

/* Client i's address, 10.x.y.z: one of its own per flow. */
static void client_of(uint8_t c[4], unsigned i)
{
	c[0] = 10;
	c[1] = (uint8_t)(i >> 16);
	c[2] = (uint8_t)(i >> 8);
	c[3] = (uint8_t)i;
}

static void on_done_order(void *ctx, const struct flow_record *r)
{
	struct order *o = ctx;

	if (r->id <= o->last_id)
		o->out_of_order = 1;
	o->last_id = r->id;
	o->n++;
}

/*
 * The flush finalises in order of first packet whatever the order of
 * the lists: more flows than one sorting chunk holds, in three states,
 * touched last to first.
 */
Test(flow, flush_finalises_in_order_of_first_packet)
{
	struct flow_config cfg = {
		.linger_ns = 5 * SEC,
		.grace_ns = 2 * SEC,
		.idle_ns = 600 * SEC,
	};
	struct flow_hooks hooks = {.done = on_done_order};
	struct order o = {0};
	struct flow_table *t = flow_table_new(&cfg, &hooks, &o);
	const unsigned N = 100000;
	uint8_t c[4] = {10, 0, 0, 1}, sv[4] = {10, 200, 0, 2};
	struct flow_seg g;

	cr_assert_not_null(t);
	memset(&g, 0, sizeof(g));
	g.family = SEG_IPV4;
	memcpy(g.saddr, c, 4);
	memcpy(g.daddr, sv, 4);
	g.sport = 40000;
	g.dport = 9100;
	for (unsigned i = 0; i < N; i++) {
		client_of(c, i);
		memcpy(g.saddr, c, 4);
		g.seq = 1000;
		g.flags = SEG_SYN;
		g.wall_ns = T0 + i * 1000;
		cr_assert_eq(flow_table_add(t, &g), 0);
	}
	/* last to first: a third get a client FIN, a third an ACK */
	for (unsigned i = N; i-- > 0;) {
		if (i % 3 == 0)
			continue;
		client_of(c, i);
		memcpy(g.saddr, c, 4);
		g.seq = 1001;
		g.flags = i % 3 == 1 ? (SEG_FIN | SEG_ACK) : SEG_ACK;
		g.wall_ns = T0 + SEC + (N - i) * 1000;
		cr_assert_eq(flow_table_add(t, &g), 0);
	}
	cr_assert_eq(flow_table_stats(t)->tracked, N);
	flow_table_flush(t, T0 + 2 * SEC);
	cr_assert_eq(o.n, N);
	cr_assert_not(o.out_of_order);
	cr_assert_eq(o.last_id, N);
	flow_table_free(t);
}
