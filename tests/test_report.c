/* SPDX-License-Identifier: MIT */
/*
 * Reports from hand-built flows: close-wait percentiles, the CLOSE_WAIT
 * timeline and its growth, headlines for server- and client-side leaks,
 * and JSON escaping of strings that come from the input.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

struct fixture {
	struct rpt *r;
	struct flow_table *t;
	char *buf;
	size_t len;
	FILE *out;
};

/*
 * top_clients: client-host rows listed in text, 0: all; max_groups: rows
 * kept per side, 0: the default.
 */
static void fx_open_cfg(struct fixture *fx, enum rpt_format fmt,
			unsigned top_clients, size_t max_groups)
{
	struct rpt_config rc = {.format = fmt,
				.linger_ns = 5 * SEC,
				.top = 5,
				.mode = "read",
				.top_clients = top_clients,
				.max_groups = max_groups};
	struct flow_config fc = {
		.linger_ns = 5 * SEC, .grace_ns = 2 * SEC, .idle_ns = 600 * SEC};
	struct flow_hooks hooks = {.done = rpt_flow_done,
				   .close_wait = rpt_close_wait};

	memset(fx, 0, sizeof(*fx));
	fx->out = open_memstream(&fx->buf, &fx->len);
	cr_assert_not_null(fx->out);
	rc.out = fx->out;
	fx->r = rpt_new(&rc);
	fx->t = flow_table_new(&fc, &hooks, fx->r);
	rpt_set_origin(fx->r, T0);
}

static void fx_open_top(struct fixture *fx, enum rpt_format fmt,
			unsigned top_clients)
{
	fx_open_cfg(fx, fmt, top_clients, 0);
}

static void fx_open(struct fixture *fx, enum rpt_format fmt)
{
	fx_open_top(fx, fmt, 0);
}

static const char *fx_finish(struct fixture *fx, const char *const *inputs,
			     size_t n, uint64_t end_ns)
{
	struct rpt_facts facts = {.inputs = inputs, .ninputs = n,
				  .first_ns = T0, .last_ns = end_ns};

	flow_table_flush(fx->t, end_ns);
	facts.flows = flow_table_stats(fx->t);
	cr_assert_eq(rpt_finish(fx->r, &facts), 0);
	fclose(fx->out);
	return fx->buf;
}

static void fx_free(struct fixture *fx)
{
	flow_table_free(fx->t);
	rpt_free(fx->r);
	free(fx->buf);
}

static void seg(struct flow_table *t, uint8_t client_host, uint16_t cport,
		int from_client, uint8_t flags, uint32_t seq, uint32_t ack,
		uint64_t t_ns)
{
	struct flow_seg s;
	uint8_t c[4] = {10, 0, 1, client_host}, sv[4] = {10, 0, 0, 2};

	memset(&s, 0, sizeof(s));
	s.wall_ns = t_ns;
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

/*
 * A connection opened at t0 whose closer (client_closes: 1 client, 0
 * server) sends the first FIN at t0 + 1 ms, ACKed at t0 + 2 ms.
 */
static void conn_open(struct flow_table *t, uint8_t host, uint16_t port,
		      uint64_t t0, int client_closes)
{
	int a = client_closes;

	seg(t, host, port, 1, SEG_SYN, 100, 0, t0);
	seg(t, host, port, 0, SEG_SYN | SEG_ACK, 500, 101, t0 + 1);
	seg(t, host, port, 1, SEG_ACK, 101, 501, t0 + 2);
	seg(t, host, port, a, SEG_FIN | SEG_ACK, a ? 101 : 501, a ? 501 : 101,
	    t0 + MS);
	seg(t, host, port, !a, SEG_ACK, a ? 501 : 101, a ? 102 : 502,
	    t0 + 2 * MS);
}

/* The passive side of that connection closes at time tc. */
static void conn_close(struct flow_table *t, uint8_t host, uint16_t port,
		       uint64_t tc, int client_closes)
{
	int a = client_closes;

	seg(t, host, port, !a, SEG_FIN | SEG_ACK, a ? 501 : 101,
	    a ? 102 : 502, tc);
	seg(t, host, port, a, SEG_ACK, a ? 102 : 502, a ? 502 : 102,
	    tc + MS);
}

/* Open, then close after cw_ns (never when 0); only for flows that do
 * not overlap in time with others fed later. */
static void conn(struct flow_table *t, uint8_t host, uint16_t port,
		 uint64_t t0, int client_closes, uint64_t cw_ns)
{
	conn_open(t, host, port, t0, client_closes);
	if (cw_ns)
		conn_close(t, host, port, t0 + 2 * MS + cw_ns, client_closes);
}

Test(report, close_wait_percentiles_exact)
{
	struct fixture fx;
	const char *out;

	fx_open(&fx, RPT_JSON);
	for (uint16_t i = 1; i <= 100; i++)
		conn(fx.t, 1, (uint16_t)(30000 + i), T0 + i * 10 * MS, 1,
		     i * MS);
	out = fx_finish(&fx, NULL, 0, T0 + 10 * SEC);
	cr_assert(strstr(out, "\"close_wait\":{\"count\":100,"
			      "\"p50\":0.050000000,\"p90\":0.090000000,"
			      "\"p99\":0.099000000,\"max\":0.100000000,"
			      "\"sampled\":false}"),
		  "%s", out);
	cr_assert(strstr(out, "\"verdicts\":{\"open\":0,\"clean\":100,"));
	fx_free(&fx);
}

Test(report, kernel_counted_clean_ends)
{
	struct fixture fx;
	const uint64_t cw_ns[1] = {4 * MS};
	const uint64_t cw_count[1] = {3};
	struct rpt_clean c = {.family = SEG_IPV4,
			      .addr = {10, 0, 0, 2},
			      .port = 9100,
			      .server = 1,
			      .pid = 42,
			      .comm = "printd",
			      .count = 5,
			      .cw_ns = cw_ns,
			      .cw_count = cw_count,
			      .ncw = 1};
	const char *out;

	fx_open(&fx, RPT_JSON);
	for (uint16_t i = 1; i <= 10; i++)
		conn(fx.t, 1, (uint16_t)(30000 + i), T0 + i * 10 * MS, 1, MS);
	rpt_sock_clean(fx.r, &c);
	/* the clients' ends: counted, their close-waits under no service */
	c.server = 0;
	c.pid = 43;
	c.comm = "lpr";
	rpt_sock_clean(fx.r, &c);
	/* two of them turned out to be sockets of their own: taken back */
	c.count = 2;
	c.moved = 1;
	c.ncw = 0;
	rpt_sock_clean(fx.r, &c);
	out = fx_finish(&fx, NULL, 0, T0 + 10 * SEC);
	cr_assert(strstr(out, "{\"type\":\"service\",\"side\":\"server\","
			      "\"service\":\"10.0.0.2:9100\",\"flows\":18,"),
		  "%s", out);
	cr_assert(strstr(out, "\"verdicts\":{\"open\":0,\"clean\":18,"), "%s",
		  out);
	/* 10 exact values and 3 estimated: sampled */
	cr_assert(strstr(out, "\"close_wait\":{\"count\":13,"), "%s", out);
	cr_assert(strstr(out, "\"sampled\":true"), "%s", out);
	cr_assert(strstr(out, "{\"type\":\"process\",\"pid\":42,\"comm\":"
			      "\"printd\",\"flows\":5,"),
		  "%s", out);
	cr_assert(strstr(out, "(18 flows, 18 clean, 0 reset, 0 still open)"),
		  "%s", out);
	fx_free(&fx);
}

/* The line of out that starts with head holds want. */
static void expect_in_line(const char *out, const char *head, const char *want)
{
	const char *p = strstr(out, head), *nl;

	cr_assert_not_null(p, "no line %s in:\n%s", head, out);
	nl = strchr(p, '\n');
	cr_assert_not_null(nl);
	cr_assert(memmem(p, (size_t)(nl - p), want, strlen(want)),
		  "%.*s\nhas not %s", (int)(nl - p), p, want);
}

/*
 * The kernel's walk finds a socket's owner (from /proc) only once it is
 * past --linger: the socket entered CLOSE_WAIT with no owner (its
 * service counted it then), and moves to its process later (-1 from no
 * owner, +1 to the process). The process row counts it from when it
 * entered CLOSE_WAIT, as its service does: the same timeline, and its
 * peak of 2 when the second socket entered, at 2 s, not when its owner
 * was found.
 */
Test(report, kernel_owner_found_late_counts_from_close_wait)
{
	struct fixture fx;
	struct flow_key key = {.addr = {{10, 0, 0, 1}, {10, 0, 0, 2}},
			       .port = {40001, 9100},
			       .family = SEG_IPV4};
	struct td_flow td = {.client = 0, .active = 0};
	struct rpt_sock none = {0}, owner = {.pid = 42, .comm = "printd"};
	const char *out, *want = "\"peak_close_wait\":2,\"peak_offset\":"
				    "2.000000000,\"growth_per_hour\":null,"
				    "\"timeline_bucket\":0.250000000,"
				    "\"timeline\":[0,0,0,0,1,1,1,1,2,2,2,2,";

	fx_open(&fx, RPT_JSON);
	for (int i = 0; i < 2; i++) {
		uint64_t since = T0 + (uint64_t)(i + 1) * SEC;

		key.port[0] = (uint16_t)(40001 + i);
		td.cw_start_ns = since;
		rpt_sock_close_wait(fx.r, &key, &td, &none, 1, since);
		rpt_sock_close_wait(fx.r, &key, &td, &none, -1,
				    since + 600 * MS);
		rpt_sock_close_wait(fx.r, &key, &td, &owner, 1,
				    since + 600 * MS);
	}
	/* their records at the end: both still in CLOSE_WAIT */
	for (int i = 0; i < 2; i++) {
		uint64_t since = T0 + (uint64_t)(i + 1) * SEC;
		struct flow_record rec = {
			.key = &key,
			.td = &td,
			.res = {.verdict = VD_NEVER_CLOSED,
				.active = 0,
				.has_close_wait = 1,
				.cw_start_ns = since,
				.close_wait_ns = T0 + 10 * SEC - since,
				.in_close_wait_at_end = 1},
			.id = (uint64_t)i + 1,
			.end = FLOW_END_INPUT,
			.sock = &owner};

		key.port[0] = (uint16_t)(40001 + i);
		td.cw_start_ns = since;
		rpt_flow_done(fx.r, &rec);
	}
	out = fx_finish(&fx, NULL, 0, T0 + 10 * SEC);
	expect_in_line(out, "{\"type\":\"process\",\"pid\":42,", want);
	expect_in_line(out, "{\"type\":\"service\",\"side\":\"server\",",
		       want);
	fx_free(&fx);
}

/*
 * Kernel records lost: the text report says how many and what that
 * means for its counts, on a line of its own; none lost, no line.
 */
Test(report, kernel_lost_records_are_told_in_text)
{
	struct fixture fx;
	struct rpt_facts facts = {.first_ns = T0, .last_ns = T0 + 10 * SEC};

	for (int lost = 0; lost <= 7; lost += 7) {
		fx_open(&fx, RPT_TEXT);
		conn(fx.t, 1, 30001, T0, 1, MS);
		flow_table_flush(fx.t, facts.last_ns);
		facts.flows = flow_table_stats(fx.t);
		facts.lost_records = (uint64_t)lost;
		cr_assert_eq(rpt_finish(fx.r, &facts), 0);
		fclose(fx.out);
		if (lost)
			cr_assert(strstr(fx.buf,
					 "\nlost     7 kernel records (the "
					 "lost_ counters below say why): a "
					 "socket whose end was lost counts as "
					 "open (ended_unseen)"),
				  "%s", fx.buf);
		else
			cr_assert(!strstr(fx.buf, "\nlost "), "%s", fx.buf);
		fx_free(&fx);
	}
}

/*
 * Kernel sockets whose peer on another host never closed: the server is
 * blamed as seen from here (this host's wait in FIN_WAIT2), and not the
 * process that did close().
 */
Test(report, kernel_peer_on_another_host)
{
	struct rpt_config rc = {.format = RPT_TEXT,
				.sockets = 1,
				.linger_ns = SEC,
				.top = 5,
				.mode = "kernel"};
	struct rpt_facts facts = {.first_ns = T0, .last_ns = T0 + 6 * SEC};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct rpt *r;

	cr_assert_not_null(out);
	rc.out = out;
	r = rpt_new(&rc);
	rpt_set_origin(r, T0);
	rpt_set_end_known(r, 1);
	for (uint16_t i = 0; i < 3; i++) {
		struct flow_key key;
		struct td_flow td;
		struct rpt_sock sock = {.pid = 42,
					.comm = "lpr",
					.local = "client",
					.passive = "remote",
					.state = "FIN_WAIT2"};
		struct flow_record rec;

		memset(&key, 0, sizeof(key));
		memset(&td, 0, sizeof(td));
		memset(&rec, 0, sizeof(rec));
		key.family = SEG_IPV4;
		memcpy(key.addr[0], (uint8_t[4]){10, 0, 0, 1}, 4);
		memcpy(key.addr[1], (uint8_t[4]){10, 0, 0, 2}, 4);
		key.port[0] = (uint16_t)(40000 + i);
		key.port[1] = 9100;
		td.client = 0;
		td.active = 0;
		td.first_ns = T0 + SEC;
		td.last_ns = T0 + 6 * SEC;
		rec.key = &key;
		rec.td = &td;
		rec.sock = &sock;
		rec.id = i + 1;
		rec.res.verdict = VD_NEVER_CLOSED;
		rec.res.active = 0;
		rec.res.has_fin_wait = 1;
		rec.res.fin_wait_ns = (4 + i) * SEC;
		rpt_flow_done(r, &rec);
	}
	cr_assert_eq(rpt_finish(r, &facts), 0);
	fclose(out);
	cr_assert(strstr(buf, "server 10.0.0.2:9100, on another host, never "
			      "closed 3 of 3 connections after this host's "
			      "clients closed: they have waited up to 6s in "
			      "FIN_WAIT2 for its FIN (threshold 1s)\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "  #3     never-closed 10.0.0.1:40002 -> "
			      "10.0.0.2:9100  FIN_WAIT2 6s (the server is on "
			      "another host)  pid 42 (lpr)\n"),
		  "%s", buf);
	/* not blamed: pid 42 called close() */
	cr_assert_null(strstr(buf, "owner pid 42"), "%s", buf);
	cr_assert_null(strstr(buf, "\npid 42 (lpr) "), "%s", buf);
	rpt_free(r);
	free(buf);
}

Test(report, large_groups_are_sampled)
{
	struct fixture fx;
	const char *out;

	fx_open(&fx, RPT_JSON);
	for (unsigned i = 0; i < 6000; i++)
		conn(fx.t, (uint8_t)(i % 200), (uint16_t)(20000 + i),
		     T0 + i * MS, 1, 1 * MS);
	out = fx_finish(&fx, NULL, 0, T0 + 20 * SEC);
	cr_assert(strstr(out, "\"count\":6000,\"p50\":0.001000000"), "%s",
		  out);
	cr_assert(strstr(out, "\"sampled\":true"));
	fx_free(&fx);
}

Test(report, rising_leak_has_positive_growth_and_peak)
{
	struct fixture fx;
	const char *out, *svc;

	fx_open(&fx, RPT_JSON);
	/* One leaked connection every 6 s for 6 minutes. */
	for (uint16_t i = 0; i < 60; i++)
		conn(fx.t, 1, (uint16_t)(30000 + i), T0 + i * 6 * SEC, 1, 0);
	out = fx_finish(&fx, NULL, 0, T0 + 360 * SEC);
	svc = strstr(out, "{\"type\":\"service\"");
	cr_assert_not_null(svc, "%s", out);
	cr_assert(strstr(svc, "\"in_close_wait_at_end\":60"));
	cr_assert(strstr(svc, "\"peak_close_wait\":60"));
	/* about 600 sockets per hour */
	double g = strtod(strstr(svc, "\"growth_per_hour\":") + 18, NULL);
	cr_assert(g > 450 && g < 750, "growth %f", g);
	cr_assert(strstr(out, "never closed 60 of 60 connections"), "%s",
		  out);
	fx_free(&fx);
}

/* Under 5 minutes of capture a growth rate would be noise: null. */
Test(report, no_growth_rate_from_a_short_capture)
{
	struct fixture fx;
	const char *out;

	fx_open(&fx, RPT_JSON);
	for (uint16_t i = 0; i < 60; i++)
		conn(fx.t, 1, (uint16_t)(30000 + i), T0 + i * SEC, 1, 0);
	out = fx_finish(&fx, NULL, 0, T0 + 60 * SEC);
	cr_assert(strstr(out, "\"growth_per_hour\":null"), "%s", out);
	cr_assert(strstr(out, "\"close_wait_at_least\":true"), "%s", out);
	fx_free(&fx);
}

Test(report, steady_state_has_no_growth)
{
	struct fixture fx;
	const char *out;

	fx_open(&fx, RPT_JSON);
	/* One new connection a second, each lingering 2.5 s: flat at 2-3 */
	for (uint16_t i = 0; i < 62; i++) {
		if (i < 60)
			conn_open(fx.t, 1, (uint16_t)(30000 + i),
				  T0 + i * SEC, 1);
		if (i >= 2)
			conn_close(fx.t, 1, (uint16_t)(30000 + i - 2),
				   T0 + i * SEC + 502 * MS, 1);
	}
	out = fx_finish(&fx, NULL, 0, T0 + 64 * SEC);
	double g = strtod(strstr(out, "\"growth_per_hour\":") + 18, NULL);
	cr_assert(g > -200 && g < 200, "growth %f", g);
	cr_assert(strstr(out, "\"peak_close_wait\":3,"), "%s", out);
	cr_assert(strstr(out, "no leak"), "%s", out);
	fx_free(&fx);
}

Test(report, client_side_leak_headline)
{
	struct fixture fx;
	const char *out;

	fx_open(&fx, RPT_TEXT);
	for (uint16_t i = 0; i < 4; i++)
		conn(fx.t, 7, (uint16_t)(30000 + i), T0 + i * SEC, 0, 0);
	conn(fx.t, 7, 31000, T0 + 5 * SEC, 0, MS);
	out = fx_finish(&fx, NULL, 0, T0 + 30 * SEC);
	cr_assert(strstr(out, "client 10.0.1.7 never closed 4 of 5 "
			      "connections after the server (10.0.0.2:9100) "
			      "closed"),
		  "%s", out);
	cr_assert(strstr(out, "CLIENT HOSTS"));
	cr_assert(strstr(out, "+ 4 connections that clients left"));
	fx_free(&fx);
}

/* Client hosts 1..7 leave 1..7 sockets in CLOSE_WAIT; three are listed. */
Test(report, text_lists_are_bounded_with_exact_more_lines)
{
	struct fixture fx;
	const char *out, *more;
	uint16_t port = 30000;

	fx_open_top(&fx, RPT_TEXT, 3);
	for (uint8_t h = 1; h <= 7; h++)
		for (uint8_t k = 0; k < h; k++, port++)
			conn(fx.t, h, port, T0 + (port - 30000) * 10 * MS, 0,
			     0);
	out = fx_finish(&fx, NULL, 0, T0 + 60 * SEC);
	cr_assert(strstr(out, "\n10.0.1.7 "), "%s", out);
	cr_assert(strstr(out, "\n10.0.1.5 "), "%s", out);
	cr_assert_null(strstr(out, "\n10.0.1.4 "), "%s", out);
	more = strstr(out, "  ... 4 more client hosts not listed: past "
			   "--top-clients 3 (--format json lists all)\n");
	cr_assert_not_null(more, "%s", out);
	/* 28 never-closed flows, 5 listed */
	cr_assert(strstr(out, "  ... 23 more never-closed flows not listed: "
			      "past --top 5 (--format json lists all)\n"),
		  "%s", out);
	fx_free(&fx);
}

Test(report, input_strings_are_escaped)
{
	struct fixture fx;
	const char *inputs[] = {"evil\"name\n\\x.pcap"};
	const char *out;

	fx_open(&fx, RPT_JSON);
	out = fx_finish(&fx, inputs, 1, T0);
	cr_assert(strstr(out, "\"inputs\":[\"evil\\\"name\\u000a\\\\x.pcap\"]"),
		  "%s", out);
	fx_free(&fx);
}

Test(report, formatting_helpers)
{
	char b[64];

	cr_assert_str_eq(rpt_fmt_duration(b, sizeof(b), 0), "0s");
	cr_assert_str_eq(rpt_fmt_duration(b, sizeof(b), 500 * MS), "500ms");
	cr_assert_str_eq(rpt_fmt_duration(b, sizeof(b), 5 * SEC), "5s");
	cr_assert_str_eq(rpt_fmt_duration(b, sizeof(b), 7250 * MS), "7.250s");
	cr_assert_str_eq(rpt_fmt_duration(b, sizeof(b), 133 * SEC), "2m13s");
	cr_assert_str_eq(rpt_fmt_duration(b, sizeof(b), 3 * 3600 * SEC),
			 "3h00m");
	cr_assert_str_eq(rpt_fmt_iso(b, sizeof(b), T0 + 5),
			 "2023-11-14T22:13:20.000000005Z");
	uint8_t a6[16] = {0xfd, 0, 0, 0x77, [15] = 1};
	cr_assert_str_eq(rpt_fmt_endpoint(b, sizeof(b), a6, SEG_IPV6, 80),
			 "[fd00:77::1]:80");
}

/*
 * Past RPT_EXACT_VALUES, percentiles come from the histogram: within 6 %
 * of the exact ones, the maximum exact, "sampled" true.
 */
Test(report, percentiles_past_the_exact_values_are_within_6_percent)
{
	struct fixture fx;
	const char *out, *cw;
	double p50, p90, p99, max;

	fx_open(&fx, RPT_JSON);
	for (uint16_t i = 1; i <= 1000; i++)
		conn(fx.t, 1, (uint16_t)(20000 + i), T0 + (uint64_t)i * 2 * SEC,
		     1, i * MS);
	out = fx_finish(&fx, NULL, 0, T0 + 3000 * SEC);
	cw = strstr(out, "\"close_wait\":{\"count\":1000,");
	cr_assert_not_null(cw, "%s", out);
	cr_assert_eq(sscanf(cw,
			    "\"close_wait\":{\"count\":1000,\"p50\":%lf,"
			    "\"p90\":%lf,\"p99\":%lf,\"max\":%lf,",
			    &p50, &p90, &p99, &max),
		     4, "%s", cw);
	cr_expect(p50 > 0.500 * 0.94 && p50 < 0.500 * 1.06, "p50 %f", p50);
	cr_expect(p90 > 0.900 * 0.94 && p90 < 0.900 * 1.06, "p90 %f", p90);
	cr_expect(p99 > 0.990 * 0.94 && p99 <= 1.0, "p99 %f", p99);
	cr_expect_float_eq(max, 0.1 * 10, 1e-9, "max %f", max);
	cr_assert(strstr(cw, "\"sampled\":true"), "%s", cw);
	fx_free(&fx);
}

/*
 * Rows are capped per side: past max_groups, new client hosts count in
 * one row named "other", with their verdicts.
 */
Test(report, rows_past_the_cap_count_in_other)
{
	struct fixture fx;
	const char *out;

	fx_open_cfg(&fx, RPT_JSON, 0, 3);
	/* five client hosts each leave one connection in CLOSE_WAIT after
	 * the server closed; the last two are past the cap */
	for (uint8_t h = 1; h <= 5; h++)
		conn(fx.t, h, (uint16_t)(30000 + h), T0 + h * SEC, 0, 0);
	out = fx_finish(&fx, NULL, 0, T0 + 60 * SEC);
	for (uint8_t h = 1; h <= 3; h++) {
		char host[64];

		snprintf(host, sizeof(host), "\"host\":\"10.0.1.%u\"", h);
		cr_expect(strstr(out, host), "no row %s: %s", host, out);
	}
	cr_expect_null(strstr(out, "\"host\":\"10.0.1.4\""), "%s", out);
	cr_assert(strstr(out, "\"host\":\"other\",\"flows\":2,"), "%s",
		  out);
	cr_assert(strstr(out, "\"never-closed\":5"), "%s", out);
	fx_free(&fx);
}

/*
 * A snapshot while connections linger: one line, the sockets in
 * CLOSE_WAIT now on their service, the report going on afterwards.
 */
Test(report, snapshot_counts_close_wait_now)
{
	struct fixture fx;
	const char *inputs[1] = {"eth0"};
	struct rpt_facts x = {.inputs = inputs, .ninputs = 1, .first_ns = T0};
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	const char *out;

	cr_assert_not_null(f);
	fx_open(&fx, RPT_JSON);
	for (uint16_t i = 1; i <= 3; i++)
		conn_open(fx.t, 1, (uint16_t)(40000 + i), T0 + i * MS, 1);
	x.last_ns = T0 + 30 * SEC;
	cr_assert_eq(rpt_snapshot(fx.r, &x, x.last_ns, f), 0);
	fclose(f);
	cr_assert_eq(memchr(line, '\n', len), line + len - 1, "%s", line);
	cr_assert(strncmp(line, "{\"type\":\"snapshot\",\"time\":\"", 27) == 0,
		  "%s", line);
	cr_assert(strstr(line, "\"span\":30.000000000,"), "%s", line);
	cr_assert(strstr(line, "\"in_close_wait\":3,\"services\":[{\"type\":"
			       "\"service\",\"side\":\"server\",\"service\":"
			       "\"10.0.0.2:9100\""),
		  "%s", line);
	cr_assert(strstr(line, "\"services_more\":0,\"hosts\":[],"), "%s",
		  line);
	free(line);
	/* the report goes on: the three never closed at the end */
	out = fx_finish(&fx, NULL, 0, T0 + 60 * SEC);
	cr_assert(strstr(out, "\"never-closed\":3"), "%s", out);
	fx_free(&fx);
}
