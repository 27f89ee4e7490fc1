/* SPDX-License-Identifier: MIT */
/*
 * The alert writer of live and kernel modes (engine/alerts.h) on hand-built
 * sockets: one line per group and interval with the exact counts, the
 * first crossing of a quiet group within the hold, later ones folded into
 * the next line, the "closed" line, per-socket lines (--alert-each) with
 * each mode's fields, and the text and JSON formats exactly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alerts.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
/* 2027-01-15T08:00:00Z */
#define T0 (1800000000ULL * SEC)

static char *buf;
static size_t buflen;
static size_t seen;
static FILE *out;
static int cleared;

static void setup(void)
{
	buf = NULL;
	buflen = 0;
	seen = 0;
	cleared = 0;
	out = open_memstream(&buf, &buflen);
	cr_assert_not_null(out);
}

static void teardown(void)
{
	fclose(out);
	free(buf);
}

TestSuite(alerts, .init = setup, .fini = teardown);

static void on_write(void *ctx)
{
	(void)ctx;
	cleared++;
}

static struct al *mk(int json, int each, int kernel)
{
	struct al_config c = {
		.mode = kernel ? "kernel" : "live",
		.kernel = kernel,
		.json = json,
		.each = each,
		.linger_ns = 5 * SEC,
		.interval_ns = 5 * SEC,
		.hold_ns = AL_HOLD_NS,
		.out = out,
		.before_write = on_write,
	};
	struct al *a = al_new(&c);

	cr_assert_not_null(a);
	return a;
}

/* What was written since the previous call (the stream stays open: the
 * alert writer holds it). */
static const char *taken(void)
{
	static char copy[1 << 16];

	fflush(out);
	snprintf(copy, sizeof(copy), "%s", buf ? buf + seen : "");
	seen = buflen;
	return copy;
}

static int lines_in(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Socket i: client 10.0.0.1:(40000+i) -> server 10.0.0.2:port. */
static struct al_sock sock(uint64_t id, uint16_t port, uint64_t cw_start)
{
	struct al_sock s;
	uint8_t c[4] = {10, 0, 0, 1}, v[4] = {10, 0, 0, 2};

	memset(&s, 0, sizeof(s));
	s.id = id;
	s.group = AL_BY_SERVICE;
	s.family = 4;
	memcpy(s.client, c, 4);
	memcpy(s.server, v, 4);
	s.client_port = (uint16_t)(40000 + id);
	s.server_port = port;
	s.cw_start_ns = cw_start;
	s.first_frame = 10 * id + 1;
	s.fin_frame = 10 * id + 5;
	return s;
}

static struct al *g_a;
static struct al_sock g_s[64];

/* n sockets to port 9100 enter CLOSE_WAIT 1 ms apart from T0. */
static void enter_n(struct al *a, int n)
{
	for (int i = 0; i < n; i++) {
		g_s[i] = sock((uint64_t)i + 1, 9100, T0 + (uint64_t)i * MS);
		cr_assert_eq(al_enter(a, &g_s[i]), 0);
	}
	g_a = a;
}

Test(alerts, crossings_together_make_one_line_with_the_exact_count)
{
	struct al *a = mk(0, 0, 0);
	uint64_t due;

	enter_n(a, 50);
	/* each crosses 5 s after it entered; the first is held 100 ms */
	for (int i = 0; i < 50; i++) {
		uint64_t t = T0 + 5 * SEC + (uint64_t)i * MS;

		cr_assert_eq(al_linger(a, &g_s[i], t), 0);
		due = al_tick(a, t);
		cr_assert_eq(due, T0 + 5 * SEC + 100 * MS, "due %llu",
			     (unsigned long long)(due - T0));
	}
	cr_assert_str_empty(taken());
	due = al_tick(a, T0 + 5 * SEC + 100 * MS);
	cr_assert_eq(due, UINT64_MAX);
	cr_assert_str_eq(taken(),
			 "fintrace live: ALERT 2027-01-15T08:00:05.100000000Z "
			 "service 10.0.0.2:9100: 50 sockets crossed 5s in "
			 "CLOSE_WAIT (50 in CLOSE_WAIT now, oldest 5.100s)\n");
	cr_assert_eq(cleared, 1);
	cr_assert_eq(al_lines(a), 1);
	al_free(a);
}

Test(alerts, later_crossings_are_folded_into_the_next_interval)
{
	struct al *a = mk(0, 0, 0);
	uint64_t t1 = T0 + 5 * SEC + 100 * MS, due;
	const char *s;

	enter_n(a, 4);
	al_linger(a, &g_s[0], T0 + 5 * SEC);
	al_tick(a, t1);
	cr_assert_eq(lines_in(taken()), 1);
	/* two more cross within the interval: nothing until t1 + 5 s */
	al_linger(a, &g_s[1], t1 + 1 * SEC);
	due = al_tick(a, t1 + 1 * SEC);
	cr_assert_eq(due, t1 + 5 * SEC);
	al_linger(a, &g_s[2], t1 + 2 * SEC);
	cr_assert_eq(al_tick(a, t1 + 4 * SEC), t1 + 5 * SEC);
	cr_assert_str_empty(taken());
	al_tick(a, t1 + 5 * SEC);
	s = taken();
	cr_assert_eq(lines_in(s), 1, "%s", s);
	cr_assert(strstr(s, ": 2 sockets crossed 5s in CLOSE_WAIT (4 in "
			    "CLOSE_WAIT now, oldest 10.100s)\n"),
		  "%s", s);
	/* the last one, long after: the group was quiet, so at once + hold */
	al_linger(a, &g_s[3], t1 + 20 * SEC);
	cr_assert_eq(al_tick(a, t1 + 20 * SEC), t1 + 20 * SEC + 100 * MS);
	al_tick(a, t1 + 20 * SEC + 100 * MS);
	s = taken();
	cr_assert(strstr(s, ": 1 socket crossed 5s in CLOSE_WAIT (4 in"), "%s",
		  s);
	al_free(a);
}

Test(alerts, closed_line_counts_the_closes_with_the_longest)
{
	struct al *a = mk(0, 0, 0);
	uint64_t t = T0 + 5 * SEC + 100 * MS;
	const char *s;

	enter_n(a, 3);
	for (int i = 0; i < 3; i++)
		al_linger(a, &g_s[i], T0 + 5 * SEC + (uint64_t)i * MS);
	al_tick(a, t);
	taken();
	/* two close 7 s and 8 s into CLOSE_WAIT */
	al_leave(a, &g_s[0]);
	al_closed(a, &g_s[0], T0 + 7 * SEC);
	al_leave(a, &g_s[1]);
	al_closed(a, &g_s[1], T0 + 8 * SEC + 1 * MS);
	cr_assert_eq(al_tick(a, T0 + 9 * SEC), t + 5 * SEC);
	al_tick(a, t + 5 * SEC);
	s = taken();
	cr_assert_str_eq(s,
			 "fintrace live: CLOSED 2027-01-15T08:00:10.100000000Z "
			 "service 10.0.0.2:9100: 2 sockets left CLOSE_WAIT "
			 "after crossing 5s (longest 8s; 1 in CLOSE_WAIT "
			 "now, oldest 10.098s)\n");
	/* the last one: none left */
	al_leave(a, &g_s[2]);
	al_closed(a, &g_s[2], T0 + 30 * SEC);
	cr_assert_eq(al_tick(a, T0 + 30 * SEC), T0 + 30 * SEC + 100 * MS);
	al_tick(a, T0 + 30 * SEC + 100 * MS);
	s = taken();
	cr_assert(strstr(s, ": 1 socket left CLOSE_WAIT after crossing 5s "
			    "(longest 29.998s; none in CLOSE_WAIT now)\n"),
		  "%s", s);
	al_free(a);
}

Test(alerts, crossing_and_close_in_one_tick_come_in_that_order)
{
	struct al *a = mk(1, 0, 0);
	const char *s, *l, *c;

	enter_n(a, 1);
	al_leave(a, &g_s[0]);
	al_linger(a, &g_s[0], T0 + 6 * SEC);
	al_closed(a, &g_s[0], T0 + 6 * SEC);
	al_tick(a, T0 + 6 * SEC + 100 * MS);
	s = taken();
	l = strstr(s, "\"event\":\"linger\"");
	c = strstr(s, "\"event\":\"closed\"");
	cr_assert(l && c && l < c, "%s", s);
	cr_assert_eq(lines_in(s), 2);
	al_free(a);
}

Test(alerts, json_of_a_service_group)
{
	struct al *a = mk(1, 0, 0);

	enter_n(a, 2);
	al_linger(a, &g_s[0], T0 + 5 * SEC);
	al_linger(a, &g_s[1], T0 + 5 * SEC + 1 * MS);
	al_tick(a, T0 + 5 * SEC + 100 * MS);
	cr_assert_str_eq(
		taken(),
		"{\"type\":\"alert\",\"event\":\"linger\",\"mode\":\"live\","
		"\"group\":\"service\",\"service\":\"10.0.0.2:9100\","
		"\"count\":2,\"in_close_wait\":2,\"oldest\":5.100000000,"
		"\"oldest_at_least\":false,\"linger\":5.000000000,"
		"\"time\":\"2027-01-15T08:00:05.100000000Z\"}\n");
	al_leave(a, &g_s[0]);
	al_leave(a, &g_s[1]);
	al_closed(a, &g_s[0], T0 + 6 * SEC);
	al_closed(a, &g_s[1], T0 + 6 * SEC);
	al_flush(a, T0 + 6 * SEC);
	cr_assert_str_eq(
		taken(),
		"{\"type\":\"alert\",\"event\":\"closed\",\"mode\":\"live\","
		"\"group\":\"service\",\"service\":\"10.0.0.2:9100\","
		"\"count\":2,\"longest\":6.000000000,\"longest_at_least\":"
		"false,\"in_close_wait\":0,\"oldest\":null,"
		"\"oldest_at_least\":false,\"linger\":5.000000000,"
		"\"time\":\"2027-01-15T08:00:06.000000000Z\"}\n");
	al_free(a);
}

Test(alerts, client_side_leaks_group_by_client_host)
{
	struct al *a = mk(0, 0, 0);
	struct al_sock s1 = sock(1, 9100, T0), s2 = sock(2, 9200, T0);
	const char *s;

	s1.group = s2.group = AL_BY_HOST;
	s1.passive_client = s2.passive_client = 1;
	al_enter(a, &s1);
	al_enter(a, &s2);
	al_linger(a, &s1, T0 + 5 * SEC);
	al_linger(a, &s2, T0 + 5 * SEC);
	al_flush(a, T0 + 5 * SEC);
	s = taken();
	cr_assert_str_eq(s,
			 "fintrace live: ALERT 2027-01-15T08:00:05.000000000Z "
			 "client host 10.0.0.1: 2 sockets crossed 5s in "
			 "CLOSE_WAIT (2 in CLOSE_WAIT now, oldest 5s)\n");
	al_free(a);
}

Test(alerts, json_of_a_client_host_group)
{
	struct al *a = mk(1, 0, 0);
	struct al_sock c = sock(1, 9100, T0);

	c.group = AL_BY_HOST;
	c.passive_client = 1;
	al_enter(a, &c);
	al_linger(a, &c, T0 + 5 * SEC);
	al_flush(a, T0 + 5 * SEC);
	cr_assert_str_eq(
		taken(),
		"{\"type\":\"alert\",\"event\":\"linger\",\"mode\":\"live\","
		"\"group\":\"host\",\"host\":\"10.0.0.1\",\"count\":1,"
		"\"in_close_wait\":1,\"oldest\":5.000000000,"
		"\"oldest_at_least\":false,\"linger\":5.000000000,"
		"\"time\":\"2027-01-15T08:00:05.000000000Z\"}\n");
	al_free(a);
}

Test(alerts, groups_are_kept_apart)
{
	struct al *a = mk(0, 0, 0);
	struct al_sock x = sock(1, 9100, T0), y = sock(2, 9200, T0);
	const char *s;

	al_enter(a, &x);
	al_enter(a, &y);
	al_linger(a, &x, T0 + 5 * SEC);
	al_linger(a, &y, T0 + 5 * SEC);
	al_tick(a, T0 + 5 * SEC + 100 * MS);
	s = taken();
	cr_assert_eq(lines_in(s), 2, "%s", s);
	cr_assert(strstr(s, "service 10.0.0.2:9100: 1 socket crossed 5s in "
			    "CLOSE_WAIT (1 in"));
	cr_assert(strstr(s, "service 10.0.0.2:9200: 1 socket crossed 5s in "
			    "CLOSE_WAIT (1 in"));
	al_free(a);
}

static struct al_sock ksock(uint64_t cookie, uint32_t pid, const char *comm)
{
	struct al_sock s = sock(cookie, 9100, T0);

	s.group = AL_BY_PROCESS;
	s.netns = 4026531840u;
	s.pid = pid;
	snprintf(s.comm, sizeof(s.comm), "%s", comm);
	return s;
}

Test(alerts, kernel_groups_by_process_and_service)
{
	struct al *a = mk(1, 0, 1);
	struct al_sock p1 = ksock(77, 4242, "leak\"srv"),
		       p2 = ksock(78, 4243, "other"), u = ksock(79, 0, "x");
	const char *s;

	al_enter(a, &p1);
	al_enter(a, &p2);
	al_enter(a, &u);
	al_linger(a, &p1, T0 + 5 * SEC);
	al_linger(a, &u, T0 + 5 * SEC);
	al_tick(a, T0 + 5 * SEC + 100 * MS);
	s = taken();
	cr_assert_eq(lines_in(s), 2, "%s", s);
	cr_assert(strstr(s, "{\"type\":\"alert\",\"event\":\"linger\","
			    "\"mode\":\"kernel\",\"group\":\"process\","
			    "\"pid\":4242,\"comm\":\"leak\\\"srv\","
			    "\"netns\":4026531840,\"service\":"
			    "\"10.0.0.2:9100\",\"count\":1,\"in_close_wait\""
			    ":1,"),
		  "%s", s);
	cr_assert(strstr(s, "\"group\":\"process\",\"pid\":null,\"comm\":null,"
			    "\"netns\":4026531840,\"service\":\"10.0.0.2:"
			    "9100\",\"count\":1,"),
		  "%s", s);
	al_free(a);
}

Test(alerts, kernel_text_names_the_process)
{
	struct al *a = mk(0, 0, 1);
	struct al_sock p = ksock(77, 4242, "leaksrv"), u = ksock(79, 0, "");
	const char *s;

	u.at_least = 1;
	al_enter(a, &p);
	al_enter(a, &u);
	al_linger(a, &p, T0 + 5 * SEC);
	al_linger(a, &u, T0 + 5 * SEC);
	al_flush(a, T0 + 5 * SEC);
	s = taken();
	cr_assert(strstr(s, "fintrace kernel: ALERT 2027-01-15T08:00:05."
			    "000000000Z pid 4242 (leaksrv), service "
			    "10.0.0.2:9100: 1 socket crossed 5s in CLOSE_WAIT "
			    "(1 in CLOSE_WAIT now, oldest 5s)\n"),
		  "%s", s);
	cr_assert(strstr(s, "fintrace kernel: ALERT 2027-01-15T08:00:05."
			    "000000000Z owner unknown, service 10.0.0.2:9100: "
			    "1 socket crossed 5s in CLOSE_WAIT (1 in "
			    "CLOSE_WAIT now, oldest at least 5s)\n"),
		  "%s", s);
	al_free(a);
}

Test(alerts, a_socket_that_changes_owner_moves_group)
{
	struct al *a = mk(0, 0, 1);
	struct al_sock u = ksock(79, 0, ""), p = ksock(79, 4242, "leaksrv");
	const char *s;

	al_enter(a, &u);
	al_enter(a, &p); /* the owner was found in /proc */
	al_linger(a, &p, T0 + 5 * SEC);
	al_flush(a, T0 + 5 * SEC);
	s = taken();
	cr_assert(strstr(s, "pid 4242 (leaksrv), service 10.0.0.2:9100: 1 "
			    "socket crossed 5s in CLOSE_WAIT (1 in CLOSE_WAIT "
			    "now"),
		  "%s", s);
	al_leave(a, &u); /* same socket: gone from every group */
	al_leave(a, &u); /* unknown now: ignored */
	al_linger(a, &p, T0 + 20 * SEC);
	al_flush(a, T0 + 20 * SEC);
	s = taken();
	cr_assert(strstr(s, "(none in CLOSE_WAIT now)"), "%s", s);
	al_free(a);
}

Test(alerts, each_writes_a_line_per_socket_at_once_live)
{
	struct al *a = mk(0, 1, 0);
	const char *s;

	enter_n(a, 2);
	al_linger(a, &g_s[0], T0 + 5 * SEC);
	s = taken();
	cr_assert_str_eq(
		s, "fintrace live: ALERT 2027-01-15T08:00:05.000000000Z "
		   "service 10.0.0.2:9100: socket 10.0.0.1:40001 -> "
		   "10.0.0.2:9100 crossed 5s in CLOSE_WAIT (server side since "
		   "2027-01-15T08:00:00.000000000Z; flow 1 from frame 11, FIN "
		   "in frame 15; 2 in CLOSE_WAIT now, oldest 5s)\n");
	al_linger(a, &g_s[1], T0 + 5 * SEC + 1 * MS);
	cr_assert_eq(lines_in(taken()), 1);
	g_s[0].closed_by = "fin";
	g_s[0].close_frame = 40;
	al_leave(a, &g_s[0]);
	al_closed(a, &g_s[0], T0 + 6 * SEC + 500 * MS);
	s = taken();
	cr_assert_str_eq(
		s, "fintrace live: CLOSED 2027-01-15T08:00:06.500000000Z "
		   "service 10.0.0.2:9100: socket 10.0.0.1:40001 -> "
		   "10.0.0.2:9100 left CLOSE_WAIT after 6.500s (server side, "
		   "fin in frame 40; flow 1 from frame 11, FIN in frame 15; "
		   "1 in CLOSE_WAIT now, oldest 6.499s)\n");
	cr_assert_eq(al_tick(a, T0 + 60 * SEC), UINT64_MAX);
	cr_assert_str_empty(taken());
	al_free(a);
}

Test(alerts, each_json_live_has_the_flow_fields)
{
	struct al *a = mk(1, 1, 0);

	enter_n(a, 1);
	al_linger(a, &g_s[0], T0 + 5 * SEC);
	cr_assert_str_eq(
		taken(),
		"{\"type\":\"alert\",\"event\":\"linger\",\"mode\":\"live\","
		"\"group\":\"service\",\"service\":\"10.0.0.2:9100\","
		"\"count\":1,\"in_close_wait\":1,\"oldest\":5.000000000,"
		"\"oldest_at_least\":false,\"linger\":5.000000000,"
		"\"client\":\"10.0.0.1:40001\",\"server\":\"10.0.0.2:9100\","
		"\"passive\":\"server\",\"close_wait\":5.000000000,"
		"\"close_wait_at_least\":false,\"since\":"
		"\"2027-01-15T08:00:00.000000000Z\",\"id\":1,"
		"\"first_frame\":11,\"fin_frame\":15,"
		"\"time\":\"2027-01-15T08:00:05.000000000Z\"}\n");
	g_s[0].closed_by = "peer-rst";
	g_s[0].close_frame = 0;
	al_leave(a, &g_s[0]);
	al_closed(a, &g_s[0], T0 + 7 * SEC);
	cr_assert(strstr(taken(),
			 "\"close_wait\":7.000000000,"
			 "\"close_wait_at_least\":false,\"since\":"
			 "\"2027-01-15T08:00:00.000000000Z\",\"id\":1,"
			 "\"first_frame\":11,\"fin_frame\":15,"
			 "\"closed_by\":\"peer-rst\",\"close_frame\":0,"
			 "\"time\":"));
	al_free(a);
}

Test(alerts, each_kernel_has_the_socket_fields)
{
	struct al *a = mk(1, 1, 1);
	struct al_sock p = ksock(77, 4242, "leaksrv");
	const char *s;

	p.pre_existing = 1;
	p.at_least = 1;
	al_enter(a, &p);
	al_linger(a, &p, T0 + 5 * SEC);
	s = taken();
	cr_assert(strstr(s, "\"group\":\"process\",\"pid\":4242,\"comm\":"
			    "\"leaksrv\",\"netns\":4026531840,\"service\":"
			    "\"10.0.0.2:9100\",\"count\":1,\"in_close_wait\":1,"
			    "\"oldest\":5.000000000,\"oldest_at_least\":true,"),
		  "%s", s);
	cr_assert(strstr(s, "\"close_wait_at_least\":true,\"since\":\"2027-01-"
			    "15T08:00:00.000000000Z\",\"cookie\":77,"
			    "\"pre_existing\":true,\"time\":"),
		  "%s", s);
	p.closed_by = "fin";
	p.closer_pid = 99;
	snprintf(p.closer_comm, sizeof(p.closer_comm), "reaper");
	al_leave(a, &p);
	al_closed(a, &p, T0 + 6 * SEC);
	s = taken();
	cr_assert(strstr(s, "\"event\":\"closed\""), "%s", s);
	cr_assert(strstr(s, "\"cookie\":77,\"pre_existing\":true,\"closed_by\":"
			    "\"fin\",\"closer_pid\":99,\"closer_comm\":"
			    "\"reaper\",\"time\":"),
		  "%s", s);
	al_free(a);
}

Test(alerts, each_kernel_text)
{
	struct al *a = mk(0, 1, 1);
	struct al_sock p = ksock(77, 4242, "leaksrv");
	const char *s;

	al_enter(a, &p);
	al_linger(a, &p, T0 + 5 * SEC);
	s = taken();
	cr_assert_str_eq(
		s, "fintrace kernel: ALERT 2027-01-15T08:00:05.000000000Z "
		   "pid 4242 (leaksrv), service 10.0.0.2:9100: socket "
		   "10.0.0.1:40077 -> 10.0.0.2:9100 crossed 5s in CLOSE_WAIT "
		   "(server side since 2027-01-15T08:00:00.000000000Z; cookie "
		   "77, netns 4026531840; 1 in CLOSE_WAIT now, oldest 5s)\n");
	p.closed_by = "rst";
	p.closer_pid = 4242;
	snprintf(p.closer_comm, sizeof(p.closer_comm), "leaksrv");
	al_leave(a, &p);
	al_closed(a, &p, T0 + 6 * SEC);
	s = taken();
	cr_assert_str_eq(
		s, "fintrace kernel: CLOSED 2027-01-15T08:00:06.000000000Z "
		   "pid 4242 (leaksrv), service 10.0.0.2:9100: socket "
		   "10.0.0.1:40077 -> 10.0.0.2:9100 left CLOSE_WAIT after 6s "
		   "(server side, rst by pid 4242 (leaksrv); cookie 77, netns "
		   "4026531840; none in CLOSE_WAIT now)\n");
	al_free(a);
}

Test(alerts, ipv6_service)
{
	struct al *a = mk(0, 0, 0);
	struct al_sock s6 = sock(1, 443, T0);

	s6.family = 6;
	memset(s6.server, 0, 16);
	s6.server[0] = 0xfd;
	s6.server[15] = 2;
	al_enter(a, &s6);
	al_linger(a, &s6, T0 + 5 * SEC);
	al_flush(a, T0 + 5 * SEC);
	cr_assert(strstr(taken(), "service [fd00::2]:443: 1 socket"));
	al_free(a);
}

Test(alerts, control_bytes_in_comm_are_escaped)
{
	struct al *a = mk(0, 0, 1), *j;
	struct al_sock p = ksock(1, 7, "a\nb");

	al_linger(a, &p, T0 + 5 * SEC);
	al_flush(a, T0 + 5 * SEC);
	cr_assert(strstr(taken(), "pid 7 (a_b), service"));
	al_free(a);
	j = mk(1, 0, 1);
	al_linger(j, &p, T0 + 5 * SEC);
	al_flush(j, T0 + 5 * SEC);
	cr_assert(strstr(taken(), "\"comm\":\"a\\u000ab\""));
	al_free(j);
}

Test(alerts, many_groups_come_and_go_without_leaks)
{
	struct al *a = mk(0, 0, 0);
	uint64_t t = T0;

	for (int round = 0; round < 20; round++) {
		for (uint16_t p = 1; p <= 100; p++) {
			struct al_sock s =
				sock((uint64_t)round * 1000 + p, p, t);

			cr_assert_eq(al_enter(a, &s), 0);
			if (p % 2) {
				al_linger(a, &s, t + 5 * SEC);
				al_leave(a, &s);
				al_closed(a, &s, t + 6 * SEC);
			} else {
				al_leave(a, &s);
			}
		}
		t += 10 * SEC;
		al_tick(a, t);
	}
	/* 50 groups alerted per round: a linger and a closed line each */
	cr_assert_eq(al_lines(a), 20 * 50 * 2);
	al_free(a);
	al_free(NULL);
	cr_assert_eq(strcmp(al_group_name(AL_BY_HOST), "host"), 0);
}
