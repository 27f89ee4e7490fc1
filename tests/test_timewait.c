/* SPDX-License-Identifier: MIT */
/*
 * TIME_WAIT pressure: interval arithmetic, reuse detection, the Windows
 * profile, and the capture of a client that ran out of ports, against what
 * the kernel (sock_diag, through ss) and the client saw while it was
 * recorded (pcaps/timewait-exhaustion.tw).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/timewait.h"
#include "cli/opts.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)
#define FINTRACE BUILD_DIR "/cli/fintrace"

static struct flow_seg mkseg(uint16_t cport, int from_client, uint8_t flags,
			     uint32_t seq, uint32_t ack, uint64_t t)
{
	struct flow_seg s;
	uint8_t c[4] = {10, 0, 0, 1}, sv[4] = {10, 0, 0, 2};

	memset(&s, 0, sizeof(s));
	s.wall_ns = t;
	s.family = SEG_IPV4;
	memcpy(from_client ? s.saddr : s.daddr, c, 4);
	memcpy(from_client ? s.daddr : s.saddr, sv, 4);
	s.sport = from_client ? cport : 9100;
	s.dport = from_client ? 9100 : cport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	return s;
}

/* Segment s seen, with its key and hash as the pipeline passes them. */
static void seen(struct tw *t, const struct flow_seg *s)
{
	struct flow_key key;

	flow_key_from_seg(s, &key);
	tw_segment(t, s, &key, flow_key_hash(&key));
}

/* Build a td_flow of a graceful close; client_first picks the closer. */
static void close_flow(struct td_flow *f, int client_first, uint64_t t)
{
	struct flow_seg s = mkseg(40000, 1, SEG_SYN, 100, 0, t);
	int a = client_first, C = 0;

	/* endpoint index 0 = the client here: from = 0 for client */
	td_flow_init(f, &s, C);
	s = mkseg(40000, 0, SEG_SYN | SEG_ACK, 500, 101, t + 1);
	td_flow_update(f, &s, 1);
	s = mkseg(40000, a, SEG_FIN | SEG_ACK, a ? 101 : 501, a ? 501 : 101,
		  t + 10 * MS);
	td_flow_update(f, &s, a ? 0 : 1);
	s = mkseg(40000, !a, SEG_FIN | SEG_ACK, a ? 501 : 101, a ? 102 : 502,
		  t + 20 * MS);
	td_flow_update(f, &s, a ? 1 : 0);
	s = mkseg(40000, a, SEG_ACK, a ? 102 : 502, a ? 502 : 102,
		  t + 21 * MS);
	td_flow_update(f, &s, a ? 0 : 1);
}

Test(timewait, interval_starts_when_closer_acks_peer_fin)
{
	struct td_flow f;
	struct td_result r;
	struct tw_interval iv[2];

	close_flow(&f, 1, T0);
	r = td_flow_verdict(&f, T0 + SEC, 5 * SEC);
	cr_assert_eq(tw_intervals(&f, &r, TW_LINUX_NS, iv), 1);
	cr_assert_eq(iv[0].holder, 0, "the client closed first");
	cr_assert_eq(iv[0].start_ns, T0 + 21 * MS);
	cr_assert_eq(iv[0].end_ns, T0 + 21 * MS + 60 * SEC);

	close_flow(&f, 0, T0);
	r = td_flow_verdict(&f, T0 + SEC, 5 * SEC);
	cr_assert_eq(tw_intervals(&f, &r, TW_WINDOWS_NS, iv), 1);
	cr_assert_eq(iv[0].holder, 1, "the server closed first");
	cr_assert_eq(iv[0].end_ns - iv[0].start_ns, 240 * SEC);
}

Test(timewait, no_interval_without_graceful_close)
{
	struct td_flow f;
	struct td_result r;
	struct tw_interval iv[2];
	struct flow_seg s = mkseg(40000, 1, SEG_SYN, 100, 0, T0);

	td_flow_init(&f, &s, 0);
	s = mkseg(40000, 0, SEG_SYN | SEG_ACK, 500, 101, T0 + 1);
	td_flow_update(&f, &s, 1);
	s = mkseg(40000, 1, SEG_FIN | SEG_ACK, 101, 501, T0 + MS);
	td_flow_update(&f, &s, 0);
	s = mkseg(40000, 0, SEG_ACK, 501, 102, T0 + 2 * MS);
	td_flow_update(&f, &s, 1);
	/* the peer never closes: the closer sits in FIN_WAIT2 */
	r = td_flow_verdict(&f, T0 + SEC, 5 * SEC);
	cr_assert_eq(tw_intervals(&f, &r, TW_LINUX_NS, iv), 0);
	/* the peer resets: no TIME_WAIT either */
	s = mkseg(40000, 0, SEG_RST, 501, 0, T0 + 3 * MS);
	td_flow_update(&f, &s, 1);
	r = td_flow_verdict(&f, T0 + SEC, 5 * SEC);
	cr_assert_eq(tw_intervals(&f, &r, TW_LINUX_NS, iv), 0);
}

Test(timewait, simultaneous_close_both_sides_hold)
{
	struct td_flow f;
	struct td_result r;
	struct tw_interval iv[2];
	struct flow_seg s = mkseg(40000, 1, SEG_SYN, 100, 0, T0);

	td_flow_init(&f, &s, 0);
	s = mkseg(40000, 0, SEG_SYN | SEG_ACK, 500, 101, T0 + 1);
	td_flow_update(&f, &s, 1);
	s = mkseg(40000, 1, SEG_FIN | SEG_ACK, 101, 501, T0 + MS);
	td_flow_update(&f, &s, 0);
	s = mkseg(40000, 0, SEG_FIN | SEG_ACK, 501, 101, T0 + MS);
	td_flow_update(&f, &s, 1);
	s = mkseg(40000, 1, SEG_ACK, 102, 502, T0 + 2 * MS);
	td_flow_update(&f, &s, 0);
	s = mkseg(40000, 0, SEG_ACK, 502, 102, T0 + 2 * MS);
	td_flow_update(&f, &s, 1);
	r = td_flow_verdict(&f, T0 + SEC, 5 * SEC);
	cr_assert_eq(r.verdict, VD_SIMULTANEOUS);
	cr_assert_eq(tw_intervals(&f, &r, TW_LINUX_NS, iv), 2);
}

/* Feed `n` client-closed connections, one every `gap`, to t */
static void feed_closes(struct tw *t, unsigned n, uint64_t gap)
{
	struct td_flow f;
	struct flow_record rec;
	struct flow_key key;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t0 = T0 + i * gap;
		struct flow_seg s = mkseg((uint16_t)(40000 + i), 1, SEG_SYN,
					  100, 0, t0);

		close_flow(&f, 1, t0);
		f.client = 0;
		flow_key_from_seg(&s, &key);
		/* close_flow numbered the client 0; so does this key */
		cr_assert(memcmp(key.addr[0], s.saddr, 4) == 0);
		key.port[0] = (uint16_t)(40000 + i);
		memset(&rec, 0, sizeof(rec));
		rec.key = &key;
		rec.td = &f;
		rec.res = td_flow_verdict(&f, t0 + SEC, 5 * SEC);
		rec.id = i + 1;
		cr_assert_eq(tw_flow_done(t, &rec), 0);
		seen(t, &s);
	}
}

/* feed_closes() through a new tracker, then its JSON lines */
static char *run_tracker(struct tw_config *cfg, unsigned n, uint64_t gap,
			 uint64_t reuse_after)
{
	struct tw *t = tw_new(cfg);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	feed_closes(t, n, gap);
	if (reuse_after) {
		/* The first 4-tuple again, reuse_after past its last ACK. */
		struct flow_seg s = mkseg(40000, 1, SEG_SYN, 7777, 0,
					  T0 + 21 * MS + reuse_after);
		seen(t, &s);
		seen(t, &s); /* a retransmission counts once */
	}
	tw_finish(t);
	tw_write(t, out, RPT_JSON, T0);
	fclose(out);
	tw_free(t);
	return buf;
}

Test(timewait, peak_share_and_verdict)
{
	struct tw_config cfg = {.time_wait_ns = TW_LINUX_NS,
				.port_lo = 40000, .port_hi = 40099,
				.share_pct = 50, .horizon_ns = 7 * SEC};
	/* 300 closes, one every 0.5 s: 120 at once after 60 s */
	char *out = run_tracker(&cfg, 300, 500 * MS, 0);

	cr_assert(strstr(out, "\"service\":\"10.0.0.2:9100\",\"closes\":300,"
			      "\"peak\":120,"),
		  "%s", out);
	cr_assert(strstr(out, "\"share\":1.2000"), "%s", out);
	cr_assert(strstr(out, "held 120 sockets in TIME_WAIT toward "
			      "10.0.0.2:9100"),
		  "%s", out);
	free(out);
}

Test(timewait, below_share_no_verdict)
{
	struct tw_config cfg = {.time_wait_ns = TW_LINUX_NS,
				.port_lo = 32768, .port_hi = 60999,
				.share_pct = 50, .horizon_ns = 7 * SEC};
	char *out = run_tracker(&cfg, 50, SEC, 0);

	cr_assert(strstr(out, "\"peak\":50,"), "%s", out);
	cr_assert(strstr(out, "\"verdict\":null"), "%s", out);
	cr_assert_null(strstr(out, "held"), "%s", out);
	free(out);
}

Test(timewait, reuse_within_time_wait_counted_once)
{
	struct tw_config cfg = {.time_wait_ns = TW_LINUX_NS,
				.port_lo = 32768, .port_hi = 60999,
				.share_pct = 50, .horizon_ns = 7 * SEC};
	char *in = run_tracker(&cfg, 3, SEC, 10 * SEC);
	char *late = run_tracker(&cfg, 3, SEC, 61 * SEC);

	cr_assert(strstr(in, "\"reused_in_time_wait\":1,"), "%s", in);
	cr_assert_null(strstr(late, "\"reused_in_time_wait\":1,"), "%s", late);
	free(in);
	free(late);
}

Test(timewait, windows_profile)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];
	char *argv[] = {"read", "--peer-os", "windows", "x.pcap", NULL};
	char *argv2[] = {"read", "--peer-os", "windows", "--time-wait", "30s",
			 "--port-range", "1024-5000", "x.pcap", NULL};

	cr_assert_eq(opts_parse(4, argv, OPTS_READ, &o, err), 0, "%s", err);
	cr_assert_eq(o.time_wait_ns, 240 * SEC);
	cr_assert_eq(o.port_lo, 49152);
	cr_assert_eq(o.port_hi, 65535);
	cr_assert_eq(opts_parse(8, argv2, OPTS_READ, &o, err), 0, "%s", err);
	cr_assert_eq(o.time_wait_ns, 30 * SEC, "explicit values win");
	cr_assert_eq(o.port_lo, 1024);
	char *bad[] = {"read", "--port-range", "5000-1024", "x", NULL};
	cr_assert_neq(opts_parse(4, bad, OPTS_READ, &o, err), 0);
}

static long long tw_fact(const char *key)
{
	char line[256], k[64];
	long long v = -1, x;
	FILE *f = fopen(PCAP_DIR "/timewait-exhaustion.tw", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", k, &x) == 2 && !strcmp(k, key))
			v = x;
	fclose(f);
	cr_assert_neq(v, -1, "no %s in the .tw file", key);
	return v;
}

Test(timewait, capture_of_a_client_out_of_ports)
{
	char cmd[1024], line[4096];
	long long kpeak = tw_fact("kernel_peak");
	long long first_fail = tw_fact("first_eaddrnotavail_ns");
	long long peak = -1, peak_at = -1;
	double share = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "%s read --format json --port-range 40000-40199 "
		 "%s/timewait-exhaustion.pcap | jq -r 'select(.type==\"timewait\""
		 " and .service != null) | \"\\(.peak) \\(.share) "
		 "\\(.peak_at | sub(\"\\\\.[0-9]+Z$\"; \"Z\") | fromdate) "
		 "\\(.peak_at | capture(\"\\\\.(?<n>[0-9]+)Z$\").n) "
		 "\\(.verdict)\"'",
		 FINTRACE, PCAP_DIR);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p), "no timewait line");
	pclose(p);
	long long sec, nsec;
	cr_assert_eq(sscanf(line, "%lld %lf %lld %lld", &peak, &share, &sec,
			    &nsec),
		     4, "%s", line);
	peak_at = sec * 1000000000LL + nsec;
	cr_assert(llabs(peak - kpeak) <= 3, "fintrace peak %lld, kernel %lld",
		  peak, kpeak);
	cr_assert(share > 0.98, "share %f", share);
	/* connects fail once every port is taken (in TIME_WAIT, or still
	 * closing): within 0.2 s of the share reaching 100 % */
	cr_assert(llabs(peak_at - first_fail) < 200000000LL,
		  "peak at %lld, first EADDRNOTAVAIL at %lld", peak_at,
		  first_fail);
	cr_assert(strstr(line, "client 10.77.0.1 held"), "%s", line);
	cr_assert(strstr(line, "toward 10.77.0.2:9200"), "%s", line);
}

Test(timewait, kernel_samples_give_peak_and_verdict)
{
	struct tw_config cfg = {.time_wait_ns = TW_LINUX_NS,
				.port_lo = 40000, .port_hi = 40199,
				.share_pct = 50, .horizon_ns = 7 * SEC};
	struct tw *t = tw_new(&cfg);
	struct tw_sock_ep v[200];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 200; i++) {
		v[i].family = SEG_IPV4;
		v[i].laddr[0] = 10, v[i].laddr[3] = 7;
		v[i].raddr[0] = 10, v[i].raddr[3] = 2;
		v[i].lport = (uint16_t)(40000 + i);
		v[i].rport = 9100;
	}
	/* A server's own TIME_WAIT (its port is not ephemeral). */
	v[199].lport = 9100;
	v[199].rport = 50000;
	cr_assert_eq(tw_sample(t, T0, v, 50), 0);
	cr_assert_eq(tw_sample(t, T0 + SEC, v, 200), 0);
	cr_assert_eq(tw_sample(t, T0 + 2 * SEC, v, 10), 0);
	cr_assert_eq(tw_pressure_count(t), 1);
	tw_write(t, out, RPT_JSON, T0);
	fclose(out);
	cr_assert(strstr(buf, "\"client\":\"10.0.0.7\",\"service\":"
			      "\"10.0.0.2:9100\",\"closes\":null,\"peak\":199,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"holder\":\"server\",\"client\":null,"
			      "\"service\":\"10.0.0.7:9100\",\"closes\":null,"
			      "\"peak\":1,"),
		  "%s", buf);
	cr_assert(strstr(buf, "held 199 sockets in TIME_WAIT"), "%s", buf);
	free(buf);
	tw_free(t);
}

static void count_now(void *ctx, const struct tw_now *n)
{
	struct tw_now *out = ctx;

	*out = *n;
	out->client = out->service = NULL; /* borrowed for the call only */
}

/* The metrics' view: the sockets in TIME_WAIT at the capture clock. */
Test(timewait, foreach_now_follows_the_capture_clock)
{
	struct tw_config cfg = {.time_wait_ns = TW_LINUX_NS,
				.port_lo = 40000,
				.port_hi = 40099,
				.share_pct = 50,
				.horizon_ns = 7 * SEC};
	struct tw *t = tw_new(&cfg);
	struct tw_now n;
	struct flow_seg s;

	cr_assert_not_null(t);
	/* 20 closes, one a second; 30 s later every one is counted */
	feed_closes(t, 20, SEC);
	s = mkseg(50000, 1, SEG_ACK, 1, 1, T0 + 50 * SEC);
	seen(t, &s);
	memset(&n, 0, sizeof(n));
	tw_foreach_now(t, count_now, &n);
	cr_assert_eq(n.count, 20);
	cr_assert_eq(n.port, 9100);
	cr_assert_float_eq(n.share, 0.2, 1e-9);
	/* 2MSL after the last close: none left, no pair listed */
	s = mkseg(50000, 1, SEG_ACK, 1, 1, T0 + 200 * SEC);
	seen(t, &s);
	memset(&n, 0, sizeof(n));
	tw_foreach_now(t, count_now, &n);
	cr_assert_eq(n.count, 0);
	tw_free(t);
}

/*
 * Reuse and memory: connections from client 10.1.<c/256>.<c%256> to
 * service 10.9.0.<s>:9100, closed first by the client (or the server).
 */
static struct flow_seg syn_of(unsigned c, unsigned sv, uint16_t cport,
			      uint64_t t)
{
	struct flow_seg s;

	memset(&s, 0, sizeof(s));
	s.wall_ns = t;
	s.family = SEG_IPV4;
	s.saddr[0] = 10, s.saddr[1] = 1;
	s.saddr[2] = (uint8_t)(c >> 8), s.saddr[3] = (uint8_t)c;
	s.daddr[0] = 10, s.daddr[1] = 9, s.daddr[3] = (uint8_t)sv;
	s.sport = cport;
	s.dport = 9100;
	s.flags = SEG_SYN;
	s.seq = 100;
	return s;
}

/* One connection opened at t0 and closed gracefully 21 ms later; its
 * TIME_WAIT starts at t0 + 21 ms. */
static void close_one(struct tw *t, unsigned c, unsigned sv, uint16_t cport,
		      uint64_t t0, int client_first)
{
	struct td_flow f;
	struct flow_record rec;
	struct flow_key key;
	struct flow_seg s = syn_of(c, sv, cport, t0);

	close_flow(&f, client_first, t0);
	f.client = 0;
	cr_assert_eq(flow_key_from_seg(&s, &key), 0, "the client is 0");
	memset(&rec, 0, sizeof(rec));
	rec.key = &key;
	rec.td = &f;
	rec.res = td_flow_verdict(&f, t0 + SEC, 5 * SEC);
	cr_assert_eq(tw_flow_done(t, &rec), 0);
}

static void syn(struct tw *t, unsigned c, unsigned sv, uint16_t cport,
		uint64_t at)
{
	struct flow_seg s = syn_of(c, sv, cport, at);

	seen(t, &s);
}

/* The JSON line of one pair ("client" or "server" holder, service). */
static long long reused_of(struct tw *t, const char *holder,
			   const char *service)
{
	char *buf = NULL, *line, *save = NULL, want[128];
	size_t len = 0;
	long long n = -1;
	FILE *out = open_memstream(&buf, &len);

	tw_write(t, out, RPT_JSON, T0);
	fclose(out);
	snprintf(want, sizeof(want), "\"holder\":\"%s\"", holder);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *r = strstr(line, "\"reused_in_time_wait\":");

		if (strstr(line, want) && strstr(line, service) && r)
			n = atoll(r + strlen("\"reused_in_time_wait\":"));
	}
	free(buf);
	return n;
}

#define TW_CFG                                                               \
	{                                                                    \
		.time_wait_ns = TW_LINUX_NS, .port_lo = 32768,               \
		.port_hi = 60999, .share_pct = 50, .horizon_ns = 7 * SEC     \
	}

Test(timewait, reuse_edges_within_after_and_again)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t = tw_new(&cfg);
	uint64_t s0 = T0 + 21 * MS; /* start of 40000's TIME_WAIT */

	cr_assert_not_null(t);
	close_one(t, 1, 1, 40000, T0, 1);
	close_one(t, 1, 1, 40001, T0, 1);
	close_one(t, 1, 1, 40002, T0, 1);
	/* the last nanosecond of the interval: a reuse, counted once */
	syn(t, 1, 1, 40000, s0 + TW_LINUX_NS - 1);
	syn(t, 1, 1, 40000, s0 + TW_LINUX_NS - 1);
	syn(t, 1, 1, 40000, s0 + TW_LINUX_NS - 1 + SEC / 2);
	/* the interval's end itself is after it */
	syn(t, 1, 1, 40001, s0 + TW_LINUX_NS);
	/* another client's same port, another service: no 4-tuple of ours */
	syn(t, 2, 1, 40002, s0 + SEC);
	syn(t, 1, 2, 40002, s0 + SEC);
	cr_assert_eq(reused_of(t, "client", "\"10.9.0.1:9100\""), 1);
	cr_assert_eq(reused_of(t, "client", "\"service\":null"), 1,
		     "the host total counts it too");
	/* 40000 closed again: a new interval, whose reuse counts again */
	close_one(t, 1, 1, 40000, s0 + 70 * SEC, 1);
	syn(t, 1, 1, 40000, s0 + 80 * SEC);
	syn(t, 1, 1, 40000, s0 + 80 * SEC + MS);
	/* long after: nothing */
	syn(t, 1, 1, 40000, s0 + 300 * SEC);
	syn(t, 1, 1, 40002, s0 + 300 * SEC);
	tw_finish(t);
	cr_assert_eq(reused_of(t, "client", "\"10.9.0.1:9100\""), 2);
	tw_free(t);
}

Test(timewait, reuse_of_a_server_held_4_tuple)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t = tw_new(&cfg);

	cr_assert_not_null(t);
	close_one(t, 3, 4, 41000, T0, 0); /* the server closes first */
	syn(t, 3, 4, 41000, T0 + 10 * SEC);
	syn(t, 3, 4, 41000, T0 + 11 * SEC);
	tw_finish(t);
	cr_assert_eq(reused_of(t, "server", "\"10.9.0.4:9100\""), 1);
	cr_assert_eq(reused_of(t, "client", "9100"), -1, "no client pair");
	tw_free(t);
}

/*
 * Many 4-tuples at once: the table grows (and its probe runs wrap past
 * its last slot) and every one is still found; once their TIME_WAIT is
 * over a second wave takes their place without growing it further.
 */
Test(timewait, fingerprint_table_growth_and_turnover)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t = tw_new(&cfg);
	const unsigned n = 100000, per = 1000; /* 100 clients of 1000 */
	size_t one, two;

	cr_assert_not_null(t);
	for (unsigned wave = 0; wave < 3; wave++) {
		uint64_t w0 = T0 + wave * 100 * SEC;

		for (unsigned i = 0; i < n; i++)
			close_one(t, i / per, 1, (uint16_t)(40000 + i % per),
				  w0 + i * 10000ULL, 1);
		for (unsigned i = 0; i < n; i++)
			syn(t, i / per, 1, (uint16_t)(40000 + i % per),
			    w0 + SEC + i * 10000ULL);
		/* a retransmission of every SYN counts nothing more */
		for (unsigned i = 0; i < n; i++)
			syn(t, i / per, 1, (uint16_t)(40000 + i % per),
			    w0 + 2 * SEC + i * 10000ULL);
		if (wave == 1)
			one = tw_memory(t);
		if (wave == 2)
			two = tw_memory(t);
	}
	cr_assert_eq(reused_of(t, "client", "\"10.1.0.0\""), 3 * per);
	cr_assert_eq(reused_of(t, "client", "\"10.1.0.99\""), 3 * per);
	tw_finish(t);
	cr_assert(two <= one + one / 20, "memory %zu then %zu", one, two);
	tw_free(t);
}

/*
 * Constant-rate churn (100 closes a second, 64 clients, 4 services,
 * ports cycling through the ephemeral range): the tracker's memory after
 * three hours of capture is its memory after one.
 */
Test(timewait, memory_flat_over_hours_of_churn, .timeout = 120)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t = tw_new(&cfg);
	const uint64_t gap = 10 * MS, hour = 3600 * SEC;
	size_t at[4] = {0};
	unsigned h = 0;

	cr_assert_not_null(t);
	for (uint64_t i = 0, now = T0; h < 3; i++, now += gap) {
		unsigned c = (unsigned)(i % 64), sv = (unsigned)(i / 64 % 4);
		uint16_t port = (uint16_t)(32768 + (i / 256) % 28232);

		close_one(t, c, sv, port, now, 1);
		syn(t, c, sv, port, now + gap / 2);
		if (now - T0 >= (h + 1) * hour) {
			at[++h] = tw_memory(t);
			cr_log_info("after %u h: %zu bytes, %.1f per socket "
				    "in TIME_WAIT (6000)",
				    h, at[h], at[h] / 6000.0);
		}
	}
	cr_assert(at[3] <= at[1] + at[1] / 50, "1 h: %zu, 3 h: %zu", at[1],
		  at[3]);
	cr_assert(at[3] >= at[1] - at[1] / 50, "1 h: %zu, 3 h: %zu", at[1],
		  at[3]);
	/* 16 bytes in the table, 8 in the queue, and slack */
	cr_assert(at[3] / 6000 < 100, "%zu bytes", at[3]);
	tw_free(t);
}

/* What tw_write writes, in a buffer to free. */
static char *written(struct tw *t, enum rpt_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	cr_assert_not_null(out);
	tw_write(t, out, fmt, T0);
	fclose(out);
	return buf;
}

static int lines_with(const char *buf, const char *what)
{
	int n = 0;

	for (const char *p = buf; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/*
 * A close stamped before one already counted (timestamps that went back
 * 5 s) ends before it: it is counted at its own start, is in TIME_WAIT
 * at the clock until its end, and leaves the counts of its pair and of
 * the client host when it ends, as the others do: four later closes
 * make a peak of four, not five.
 */
Test(timewait, a_late_interval_counts_and_leaves)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t = tw_new(&cfg);
	struct tw_now n;
	char *buf;

	cr_assert_not_null(t);
	close_one(t, 0, 1, 40000, T0, 1);               /* ends at 60 s */
	syn(t, 9, 9, 50000, T0 + 20 * SEC);             /* counted */
	close_one(t, 0, 1, 40001, T0 + 10 * SEC, 1);    /* ends at 70 s */
	syn(t, 9, 9, 50001, T0 + 30 * SEC);
	close_one(t, 0, 1, 40002, T0 + 5 * SEC, 1);     /* late: 65 s */
	syn(t, 9, 9, 50002, T0 + 40 * SEC);
	memset(&n, 0, sizeof(n));
	tw_foreach_now(t, count_now, &n);
	cr_assert_eq(n.count, 3);
	syn(t, 9, 9, 50003, T0 + 66 * SEC);
	memset(&n, 0, sizeof(n));
	tw_foreach_now(t, count_now, &n);
	cr_assert_eq(n.count, 1, "the 4-tuples ended at 60 and 65 s are over");
	for (unsigned k = 0; k < 4; k++)
		close_one(t, 0, 1, (uint16_t)(40010 + k), T0 + (80 + k) * SEC,
			  1);
	tw_finish(t);
	buf = written(t, RPT_JSON);
	cr_assert(strstr(buf, "\"client\":\"10.1.0.0\",\"service\":"
			      "\"10.9.0.1:9100\",\"closes\":7,\"peak\":4,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"client\":\"10.1.0.0\",\"service\":null,"
			      "\"closes\":7,\"peak\":4,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"peak_offset\":83.021000000,"), "%s", buf);
	free(buf);
	tw_free(t);
}

/*
 * Ten clients close two connections each to one service, all within one
 * TIME_WAIT interval, with rows for two clients only (a pair and a host
 * total each): the eight others share the side's `other` row, which
 * holds their 16 closes, their peak together, and the reuse of one of
 * their 4-tuples; no client row is written twice.
 */
Test(timewait, pairs_past_the_cap_share_one_other_row)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t;
	char *buf;

	cfg.max_pairs = 4;
	t = tw_new(&cfg);
	cr_assert_not_null(t);
	for (unsigned c = 0; c < 10; c++)
		for (unsigned k = 0; k < 2; k++)
			close_one(t, c, 1, (uint16_t)(40000 + k),
				  T0 + (2 * c + k) * MS, 1);
	/* the server closes first once: a server row, not capped here */
	close_one(t, 1, 2, 41000, T0, 0);
	syn(t, 5, 1, 40001, T0 + 10 * SEC);
	tw_finish(t);
	buf = written(t, RPT_JSON);
	cr_assert(strstr(buf, "{\"type\":\"timewait\",\"holder\":\"client\","
			      "\"client\":\"other\",\"service\":null,"
			      "\"closes\":16,\"peak\":16,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"reused_in_time_wait\":1,\"verdict\":null}"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"client\":\"10.1.0.0\",\"service\":"
			      "\"10.9.0.1:9100\",\"closes\":2,\"peak\":2,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"client\":\"10.1.0.1\",\"service\":null,"
			      "\"closes\":2,"),
		  "%s", buf);
	cr_assert_eq(lines_with(buf, "\"holder\":\"client\""), 5, "%s", buf);
	cr_assert_eq(lines_with(buf, "\"client\":\"10.1.0.5\""), 0, "%s", buf);
	cr_assert_eq(lines_with(buf, "\"holder\":\"server\""), 1, "%s", buf);
	free(buf);
	buf = written(t, RPT_TEXT);
	cr_assert(strstr(buf, "  other clients          (past 4 client rows)  "
			      "            16     16      -       1  "),
		  "%s", buf);
	free(buf);
	tw_free(t);
}

/* The same cap for kernel samples: a socket counted once, in `other`. */
Test(timewait, kernel_samples_past_the_cap)
{
	struct tw_config cfg = {.time_wait_ns = TW_LINUX_NS,
				.port_lo = 40000, .port_hi = 40199,
				.share_pct = 50, .horizon_ns = 7 * SEC,
				.max_pairs = 2};
	struct tw *t = tw_new(&cfg);
	struct tw_sock_ep v[30];
	char *buf;

	cr_assert_not_null(t);
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 30; i++) {
		v[i].family = SEG_IPV4;
		v[i].laddr[0] = 10, v[i].laddr[3] = (uint8_t)(1 + i / 10);
		v[i].raddr[0] = 10, v[i].raddr[3] = 200;
		v[i].lport = (uint16_t)(40000 + i);
		v[i].rport = 9100;
	}
	cr_assert_eq(tw_sample(t, T0, v, 30), 0);
	cr_assert_eq(tw_sample(t, T0 + SEC, v, 30), 0);
	buf = written(t, RPT_JSON);
	cr_assert(strstr(buf, "\"client\":\"10.0.0.1\",\"service\":"
			      "\"10.0.0.200:9100\",\"closes\":null,\"peak\":10,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"client\":\"other\",\"service\":null,"
			      "\"closes\":null,\"peak\":20,"),
		  "%s", buf);
	cr_assert_eq(lines_with(buf, "\"holder\":\"client\""), 3, "%s", buf);
	free(buf);
	tw_free(t);
}

/*
 * An hour of churn at 100 closes a second from one client to one
 * service, each 4-tuple reused by a SYN 30 s into its TIME_WAIT: the
 * reuse table, about 6000 live slots, purges its dead ones in place
 * dozens of times, and every reuse is still found, none twice.
 */
Test(timewait, every_reuse_found_through_purges)
{
	struct tw_config cfg = TW_CFG;
	struct tw *t = tw_new(&cfg);
	const unsigned n = 360000, lag = 3000; /* 30 s at 10 ms */
	char *buf;

	cr_assert_not_null(t);
	for (unsigned i = 0; i < n; i++) {
		uint64_t now = T0 + i * 10 * MS;

		close_one(t, 0, 1, (uint16_t)(32768 + i % 28000), now, 1);
		if (i >= lag)
			syn(t, 0, 1, (uint16_t)(32768 + (i - lag) % 28000),
			    now + 5 * MS);
	}
	tw_finish(t);
	buf = written(t, RPT_JSON);
	cr_assert(strstr(buf, "\"client\":\"10.1.0.0\",\"service\":"
			      "\"10.9.0.1:9100\",\"closes\":360000,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\"reused_in_time_wait\":357000,"), "%s", buf);
	cr_assert(tw_memory(t) < 1024 * 1024, "%zu bytes", tw_memory(t));
	free(buf);
	tw_free(t);
}
