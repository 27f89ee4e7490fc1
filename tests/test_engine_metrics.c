/* SPDX-License-Identifier: MIT */
/*
 * engine/metrics: what a mode exports, read back through its own /metrics
 * server: teardowns and close-wait per verdict and service, the sockets
 * in CLOSE_WAIT now (count and oldest per series, gone when they close),
 * TIME_WAIT shares, counters, and the start-up errors (exit 2 material).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analysis/timewait.h"
#include "engine/metrics.h"
#include "metrics/http.h"

#define SEC 1000000000ULL

/* GET /metrics from the server on port; malloc'd body (caller frees). */
static char *scrape(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	const char req[] = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
	size_t n = 0, cap = 1 << 20;
	char *buf = malloc(cap), *body;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t k;

	cr_assert_not_null(buf);
	cr_assert(fd >= 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	while (n < cap - 1 && (k = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
	cr_assert(strstr(buf, " 200 "), "%s", buf);
	body = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(body);
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

static struct em *start(enum mxt_mode mode)
{
	char err[FT_ERRBUF_SIZE] = "";
	struct em *m = em_start(mode, "127.0.0.1:0", err);

	cr_assert_not_null(m, "%s", err);
	cr_assert_gt(em_port(m), 0);
	return m;
}

/*
 * A flow 10.0.0.1:40000 (client) -> 10.0.0.2:8080 with verdict v, of
 * socket sock (NULL: from packets).
 */
static void sock_flow(struct em *m, enum vd_verdict v, uint64_t cw_ns,
		      int at_end, const struct rpt_sock *sock)
{
	struct flow_key key;
	struct td_flow td;
	struct flow_record rec;

	memset(&key, 0, sizeof(key));
	memset(&td, 0, sizeof(td));
	memset(&rec, 0, sizeof(rec));
	key.family = SEG_IPV4;
	inet_pton(AF_INET, "10.0.0.1", key.addr[0]);
	inet_pton(AF_INET, "10.0.0.2", key.addr[1]);
	key.port[0] = 40000;
	key.port[1] = 8080;
	td.client = 0;
	rec.key = &key;
	rec.td = &td;
	rec.res.verdict = v;
	rec.res.has_close_wait = cw_ns > 0;
	rec.res.close_wait_ns = cw_ns;
	rec.res.in_close_wait_at_end = (uint8_t)at_end;
	rec.sock = sock;
	em_flow_done(m, &rec);
}

static void flow(struct em *m, enum vd_verdict v, uint64_t cw_ns, int at_end)
{
	sock_flow(m, v, cw_ns, at_end, NULL);
}

Test(engine_metrics, bad_address_and_port_in_use)
{
	char err[FT_ERRBUF_SIZE] = "";
	struct em *a, *b;
	char listen[32];

	cr_assert_null(em_start(MXT_LIVE, "1.2.3:99", err));
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(err, "1.2.3"), "%s", err);
	a = start(MXT_KERNEL);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", em_port(a));
	b = em_start(MXT_LIVE, listen, err);
	cr_assert_null(b);
	cr_assert_eq(errno, EADDRINUSE, "%s", err);
	cr_assert(strstr(err, listen), "%s", err);
	cr_assert_null(strchr(err, '\n'));
	em_stop(a);
}

Test(engine_metrics, null_is_no_metrics)
{
	struct em_counters c = {0};

	em_flow_done(NULL, NULL);
	em_cw_begin(NULL);
	cr_assert_eq(em_cw_add(NULL, "x", NULL, NULL, 1), 0);
	em_time_wait(NULL, NULL);
	em_counters(NULL, &c);
	cr_assert_eq(em_publish(NULL), 0);
	cr_assert_eq(em_port(NULL), 0);
	em_stop(NULL);
}

Test(engine_metrics, served_before_the_first_update)
{
	struct em *m = start(MXT_LIVE);
	char *t = scrape(em_port(m));

	cr_assert(strstr(t, "fintrace_build_info{version=\"" FT_VERSION
			    "\",mode=\"live\"} 1"),
		  "%s", t);
	free(t);
	em_stop(m);
}

Test(engine_metrics, teardowns_and_close_wait_histogram)
{
	struct em *m = start(MXT_LIVE);
	char *t;

	flow(m, VD_CLEAN, 0, 0);
	flow(m, VD_CLEAN, 0, 0);
	flow(m, VD_LATE_CLOSE, 7 * SEC, 0);
	/* still in CLOSE_WAIT at the end: counted, not in the histogram */
	flow(m, VD_NEVER_CLOSED, 9 * SEC, 1);
	cr_assert_eq(em_publish(m), 0);
	t = scrape(em_port(m));
	cr_assert(strstr(t, "fintrace_teardowns_total{verdict=\"clean\","
			    "service=\"10.0.0.2:8080\"} 2\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_teardowns_total{verdict=\"late-close\","
			    "service=\"10.0.0.2:8080\"} 1\n"));
	cr_assert(strstr(t, "fintrace_teardowns_total{verdict=\"never-closed\","
			    "service=\"10.0.0.2:8080\"} 1\n"));
	cr_assert(strstr(t, "fintrace_close_wait_seconds_count{service="
			    "\"10.0.0.2:8080\"} 1\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_close_wait_seconds_sum{service="
			    "\"10.0.0.2:8080\"} 7\n"),
		  "%s", t);
	free(t);
	em_stop(m);
}

/* Clean ends a kernel counted join the teardowns of their service and
 * the close-wait histogram, one observation per end. */
Test(engine_metrics, clean_ends_counted_by_the_kernel)
{
	struct em *m = start(MXT_KERNEL);
	const uint64_t cw_ns[2] = {SEC / 2, 2 * SEC};
	const uint64_t cw_count[2] = {3, 1};
	struct rpt_clean c = {
		.family = SEG_IPV4,
		.port = 8080,
		.server = 1,
		.count = 6,
		.cw_ns = cw_ns,
		.cw_count = cw_count,
		.ncw = 2,
	};
	char *t;

	struct rpt_sock orphan = {.pid = 7, .counted = 1};

	inet_pton(AF_INET, "10.0.0.2", c.addr);
	flow(m, VD_CLEAN, 0, 0);
	em_clean(m, &c);
	/* one of the six turns out an orphan (a dump found it): its count
	 * moves to the socket, which then ends; it stays counted once */
	c.count = 1;
	c.moved = 1;
	c.ncw = 0;
	em_clean(m, &c);
	sock_flow(m, VD_CLEAN, SEC, 0, &orphan);
	cr_assert_eq(em_publish(m), 0);
	t = scrape(em_port(m));
	cr_assert(strstr(t, "fintrace_teardowns_total{verdict=\"clean\","
			    "service=\"10.0.0.2:8080\"} 7\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_close_wait_seconds_count{service="
			    "\"10.0.0.2:8080\"} 4\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_close_wait_seconds_sum{service="
			    "\"10.0.0.2:8080\"} 3.5\n"),
		  "%s", t);
	free(t);
	em_stop(m);
}

Test(engine_metrics, close_wait_now_per_service_comm_container)
{
	struct em *m = start(MXT_KERNEL);
	char *t;

	em_cw_begin(m);
	em_cw_add(m, "10.0.0.2:8080", "java", "3f2a9c0d1e2b", 3 * SEC);
	em_cw_add(m, "10.0.0.2:8080", "java", "3f2a9c0d1e2b", 12 * SEC);
	em_cw_add(m, "10.0.0.2:8080", "nginx", "", 1 * SEC);
	cr_assert_eq(em_publish(m), 0);
	t = scrape(em_port(m));
	cr_assert(strstr(t, "fintrace_close_wait_sockets{service=\"10.0.0.2:"
			    "8080\",comm=\"java\",container=\"3f2a9c0d1e2b\"} "
			    "2\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_close_wait_oldest_seconds{service=\"10."
			    "0.0.2:8080\",comm=\"java\",container="
			    "\"3f2a9c0d1e2b\"} 12\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_close_wait_sockets{service=\"10.0.0.2:"
			    "8080\",comm=\"nginx\",container=\"\"} 1\n"),
		  "%s", t);
	free(t);

	/* they closed: the series go at the next update */
	em_cw_begin(m);
	cr_assert_eq(em_publish(m), 0);
	t = scrape(em_port(m));
	cr_assert_null(strstr(t, "fintrace_close_wait_sockets{"), "%s", t);
	free(t);
	em_stop(m);
}

Test(engine_metrics, live_labels_only_the_service)
{
	struct em *m = start(MXT_LIVE);
	struct flow_key key;
	char *t;

	memset(&key, 0, sizeof(key));
	key.family = SEG_IPV6;
	key.addr[0][15] = 1;
	key.addr[1][15] = 2;
	key.port[0] = 443;
	key.port[1] = 50000;
	em_cw_begin(m);
	/* client is endpoint 1: the service is endpoint 0 */
	em_cw_add_flow(m, &key, 1, 2 * SEC);
	em_cw_add(m, "[::1]:443", "ignored", "ignored", 5 * SEC);
	cr_assert_eq(em_publish(m), 0);
	t = scrape(em_port(m));
	cr_assert(strstr(t, "fintrace_close_wait_sockets{service=\"[::1]:443\"}"
			    " 2\n"),
		  "%s", t);
	cr_assert(strstr(t, "fintrace_close_wait_oldest_seconds{service="
			    "\"[::1]:443\"} 5\n"),
		  "%s", t);
	free(t);
	em_stop(m);
}

Test(engine_metrics, overflow_keeps_the_sum_and_the_oldest)
{
	struct em *m = start(MXT_LIVE);
	char svc[32], *t;

	em_cw_begin(m);
	/* the live cap is 200 series: 250 services, one socket each */
	for (int i = 0; i < 250; i++) {
		snprintf(svc, sizeof(svc), "10.0.%d.%d:80", i / 200, i % 200);
		em_cw_add(m, svc, NULL, NULL, (uint64_t)(i + 1) * SEC);
	}
	cr_assert_eq(em_publish(m), 0);
	t = scrape(em_port(m));
	cr_assert(strstr(t, "fintrace_close_wait_sockets{service=\"other\"} "
			    "50\n"),
		  "%s", t);
	/* uthash lists in insertion order: the last 50 overflow */
	cr_assert(strstr(t, "fintrace_close_wait_oldest_seconds{service="
			    "\"other\"} 250\n"),
		  "%s", t);
	free(t);
	em_stop(m);
}

Test(engine_metrics, counters_of_each_mode)
{
	struct em *l = start(MXT_LIVE), *k = start(MXT_KERNEL);
	struct em_counters c = {
		.packets = 1234, .drops = 5, .queue_drops = 2, .lost = 7,
		.evicted = 3};
	char *t;

	em_counters(l, &c);
	em_counters(k, &c);
	em_publish(l);
	em_publish(k);
	t = scrape(em_port(l));
	cr_assert(strstr(t, "fintrace_packets_total 1234\n"), "%s", t);
	cr_assert(strstr(t, "fintrace_kernel_drops_total 5\n"));
	cr_assert(strstr(t, "fintrace_queue_drops_total 2\n"), "%s", t);
	cr_assert(strstr(t, "fintrace_evicted_flows_total 3\n"));
	cr_assert_null(strstr(t, "fintrace_bpf_lost_records_total"));
	free(t);
	t = scrape(em_port(k));
	cr_assert(strstr(t, "fintrace_bpf_lost_records_total 7\n"), "%s", t);
	cr_assert_null(strstr(t, "fintrace_packets_total"));
	cr_assert_null(strstr(t, "fintrace_queue_drops_total"));
	free(t);
	em_stop(l);
	em_stop(k);
}

Test(engine_metrics, time_wait_share_of_the_last_sample)
{
	struct tw_config cfg = {.time_wait_ns = 60 * SEC,
				.port_lo = 40000,
				.port_hi = 40099,
				.share_pct = 50};
	struct tw *tw = tw_new(&cfg);
	struct em *m = start(MXT_KERNEL);
	struct tw_sock_ep v[30];
	char *t;

	cr_assert_not_null(tw);
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 30; i++) {
		inet_pton(AF_INET, "10.0.0.1", v[i].laddr);
		inet_pton(AF_INET, "10.0.0.2", v[i].raddr);
		v[i].lport = (uint16_t)(40000 + i);
		v[i].rport = 8080;
		v[i].family = SEG_IPV4;
	}
	cr_assert_eq(tw_sample(tw, 1 * SEC, v, 30), 0);
	em_time_wait(m, tw);
	em_publish(m);
	t = scrape(em_port(m));
	cr_assert(strstr(t, "fintrace_time_wait_port_share{client=\"10.0.0.1\","
			    "service=\"10.0.0.2:8080\"} 0.3\n"),
		  "%s", t);
	free(t);
	/* the next sample has none: the series goes */
	cr_assert_eq(tw_sample(tw, 2 * SEC, v, 0), 0);
	em_time_wait(m, tw);
	em_publish(m);
	t = scrape(em_port(m));
	cr_assert_null(strstr(t, "fintrace_time_wait_port_share{"), "%s", t);
	free(t);
	tw_free(tw);
	em_stop(m);
}

Test(engine_metrics, set_max_keeps_the_larger)
{
	static const struct mx_def d = {.name = "g",
					.type = MX_GAUGE,
					.help = "h",
					.labels = {"a"},
					.max_series = 1};
	static const struct mx_def c = {
		.name = "c", .type = MX_COUNTER, .help = "h"};
	struct mx_registry *r = mx_new();
	const char *x[1] = {"x"}, *y[1] = {"y"}, *z[1] = {"z"};
	char buf[512];
	int g, k;

	cr_assert_not_null(r);
	g = mx_family_add(r, &d);
	k = mx_family_add(r, &c);
	cr_assert_eq(mx_set_max(r, g, x, 4), 0);
	cr_assert_eq(mx_set_max(r, g, x, 2), 0);
	/* y and z share the overflow series: their maximum */
	cr_assert_eq(mx_set_max(r, g, y, 9), 1);
	cr_assert_eq(mx_set_max(r, g, z, 3), 1);
	cr_assert_eq(mx_set_max(r, k, NULL, 1), -EINVAL);
	mx_render(r, buf, sizeof(buf));
	cr_assert(strstr(buf, "g{a=\"x\"} 4\n"), "%s", buf);
	cr_assert(strstr(buf, "g{a=\"other\"} 9\n"), "%s", buf);
	mx_free(r);
}
