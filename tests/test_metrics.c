/* SPDX-License-Identifier: MIT */
/*
 * Metrics: the exact exposition text of small registries, label escaping
 * and UTF-8 repair, the series cap and its "other" series, the fintrace
 * table (checked by promtool when it is installed), the snapshot handed
 * between threads, and the /metrics server on 127.0.0.1: its answers, its
 * errors, and that a silent client stalls neither a scrape nor the
 * server for longer than its timeout.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "metrics/http.h"
#include "metrics/registry.h"
#include "metrics/snapshot.h"
#include "metrics/table.h"

static char *render(const struct mx_registry *r)
{
	size_t len = mx_render(r, NULL, 0);
	char *s = malloc(len + 1);

	cr_assert_not_null(s);
	cr_assert_eq(mx_render(r, s, len + 1), len);
	return s;
}

static const double small_buckets[] = {0.5, 1, 10};

static struct mx_registry *small_registry(int *g, int *c, int *h)
{
	struct mx_def gauge = {.name = "t_sockets",
			       .type = MX_GAUGE,
			       .help = "Sockets.",
			       .labels = {"service"}};
	struct mx_def counter = {.name = "t_packets_total",
				 .type = MX_COUNTER,
				 .help = "Packets."};
	struct mx_def hist = {.name = "t_wait_seconds",
			      .type = MX_HISTOGRAM,
			      .help = "Waits.",
			      .labels = {"service"},
			      .buckets = small_buckets,
			      .nbuckets = 3};
	struct mx_registry *r = mx_new();

	cr_assert_not_null(r);
	*g = mx_family_add(r, &gauge);
	*c = mx_family_add(r, &counter);
	*h = mx_family_add(r, &hist);
	cr_assert(*g == 0 && *c == 1 && *h == 2);
	return r;
}

Test(metrics, exposition_exact)
{
	int g, c, h;
	struct mx_registry *r = small_registry(&g, &c, &h);
	const char *b[] = {"10.0.0.2:80"}, *a[] = {"10.0.0.1:443"};
	char *text;

	cr_assert_eq(mx_set(r, g, b, 3), 0);
	cr_assert_eq(mx_set(r, g, a, 0.25), 0);
	cr_assert_eq(mx_add(r, c, NULL, 1e6), 0);
	cr_assert_eq(mx_add(r, c, NULL, 5), 0);
	cr_assert_eq(mx_observe(r, h, a, 0.2), 0);
	cr_assert_eq(mx_observe(r, h, a, 1), 0);
	cr_assert_eq(mx_observe(r, h, a, 30), 0);
	/* two at once, as two observations */
	cr_assert_eq(mx_observe_n(r, h, b, 0.25, 2), 0);
	text = render(r);
	cr_assert_str_eq(
		text,
		"# HELP t_sockets Sockets.\n"
		"# TYPE t_sockets gauge\n"
		"t_sockets{service=\"10.0.0.1:443\"} 0.25\n"
		"t_sockets{service=\"10.0.0.2:80\"} 3\n"
		"# HELP t_packets_total Packets.\n"
		"# TYPE t_packets_total counter\n"
		"t_packets_total 1000005\n"
		"# HELP t_wait_seconds Waits.\n"
		"# TYPE t_wait_seconds histogram\n"
		"t_wait_seconds_bucket{service=\"10.0.0.1:443\",le=\"0.5\"} 1\n"
		"t_wait_seconds_bucket{service=\"10.0.0.1:443\",le=\"1\"} 2\n"
		"t_wait_seconds_bucket{service=\"10.0.0.1:443\",le=\"10\"} 2\n"
		"t_wait_seconds_bucket{service=\"10.0.0.1:443\",le=\"+Inf\"} "
		"3\n"
		"t_wait_seconds_sum{service=\"10.0.0.1:443\"} 31.2\n"
		"t_wait_seconds_count{service=\"10.0.0.1:443\"} 3\n"
		"t_wait_seconds_bucket{service=\"10.0.0.2:80\",le=\"0.5\"} 2\n"
		"t_wait_seconds_bucket{service=\"10.0.0.2:80\",le=\"1\"} 2\n"
		"t_wait_seconds_bucket{service=\"10.0.0.2:80\",le=\"10\"} 2\n"
		"t_wait_seconds_bucket{service=\"10.0.0.2:80\",le=\"+Inf\"} "
		"2\n"
		"t_wait_seconds_sum{service=\"10.0.0.2:80\"} 0.5\n"
		"t_wait_seconds_count{service=\"10.0.0.2:80\"} 2\n");
	free(text);
	mx_free(r);
}

Test(metrics, empty_families_and_unlabelled_zero)
{
	int g, c, h;
	struct mx_registry *r = small_registry(&g, &c, &h);
	char *text = render(r);

	/* labelled families without series are left out; a counter without
	 * labels is there from the start, at 0 */
	cr_assert_str_eq(text, "# HELP t_packets_total Packets.\n"
			       "# TYPE t_packets_total counter\n"
			       "t_packets_total 0\n");
	free(text);
	mx_free(r);
}

Test(metrics, histogram_without_labels_and_special_values)
{
	static const double bk[] = {0.1};
	struct mx_def hd = {.name = "h",
			    .type = MX_HISTOGRAM,
			    .help = "",
			    .buckets = bk,
			    .nbuckets = 1};
	struct mx_def gd = {.name = "g", .type = MX_GAUGE, .help = "x"};
	struct mx_registry *r = mx_new();
	int h = mx_family_add(r, &hd), g = mx_family_add(r, &gd);
	char *text;

	cr_assert_eq(mx_observe(r, h, NULL, 0.1), 0);
	cr_assert_eq(mx_observe(r, h, NULL, 1.0 / 0.0), 0);
	cr_assert_eq(mx_observe(r, h, NULL, 0.0 / 0.0), -EINVAL);
	cr_assert_eq(mx_set(r, g, NULL, -1.0 / 0.0), 0);
	text = render(r);
	cr_assert_str_eq(text, "# HELP h \n"
			       "# TYPE h histogram\n"
			       "h_bucket{le=\"0.1\"} 1\n"
			       "h_bucket{le=\"+Inf\"} 2\n"
			       "h_sum +Inf\n"
			       "h_count 2\n"
			       "# HELP g x\n"
			       "# TYPE g gauge\n"
			       "g -Inf\n");
	free(text);
	mx_free(r);
}

Test(metrics, label_and_help_escaping)
{
	struct mx_def d = {.name = "esc",
			   .type = MX_GAUGE,
			   .help = "back\\slash and\nnewline \"quoted\"",
			   .labels = {"a", "b"}};
	const char *v[] = {"C:\\dir \"x\"", "line1\nline2"};
	struct mx_registry *r = mx_new();
	int f = mx_family_add(r, &d);
	char *text;

	cr_assert_eq(mx_set(r, f, v, 1), 0);
	text = render(r);
	/* HELP escapes \ and newline only; label values also " */
	cr_assert_str_eq(
		text, "# HELP esc back\\\\slash and\\nnewline \"quoted\"\n"
		      "# TYPE esc gauge\n"
		      "esc{a=\"C:\\\\dir \\\"x\\\"\",b=\"line1\\nline2\"} 1\n");
	free(text);
	mx_free(r);
}

Test(metrics, label_values_made_valid_utf8_and_cut)
{
	struct mx_def d = {
		.name = "u", .type = MX_GAUGE, .help = "", .labels = {"comm"}};
	struct mx_registry *r = mx_new();
	int f = mx_family_add(r, &d);
	char longv[300], want[400];
	const char *v[1];
	char *text;
	size_t i;

	v[0] = "a\xff"
	       "b\xc3\xa9\xed\xa0\x80"; /* bad byte, é, surrogate */
	cr_assert_eq(mx_set(r, f, v, 1), 0);
	text = render(r);
	cr_assert_not_null(strstr(text, "u{comm=\"a?b\xc3\xa9???\"} 1\n"), "%s",
			   text);
	free(text);

	/* 126 'x' then a 2-byte character: cut before it, not inside */
	mx_family_clear(r, f);
	for (i = 0; i < 126; i++)
		longv[i] = 'x';
	strcpy(longv + 126, "\xc3\xa9tail");
	v[0] = longv;
	cr_assert_eq(mx_set(r, f, v, 2), 0);
	text = render(r);
	snprintf(want, sizeof(want), "u{comm=\"%.126s\"} 2\n", longv);
	cr_assert_not_null(strstr(text, want), "%s", text);
	free(text);
	mx_free(r);
}

Test(metrics, series_cap_collapses_to_other)
{
	struct mx_def d = {.name = "td_total",
			   .type = MX_COUNTER,
			   .help = "",
			   .labels = {"verdict", "service"},
			   .enum_labels = 1u << 0,
			   .max_series = 3};
	struct mx_registry *r = mx_new();
	int f = mx_family_add(r, &d);
	char svc[32], *text;
	const char *v[2];
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(svc, sizeof(svc), "10.0.0.%d:80", i);
		v[0] = i % 2 ? "reset" : "clean";
		v[1] = svc;
		cr_assert_eq(mx_add(r, f, v, 1), i < 3 ? 0 : 1, "i=%d", i);
	}
	/* a series that exists keeps being updated in place */
	v[0] = "clean";
	v[1] = "10.0.0.0:80";
	cr_assert_eq(mx_add(r, f, v, 10), 0);
	text = render(r);
	cr_assert_str_eq(
		text, "# HELP td_total \n"
		      "# TYPE td_total counter\n"
		      "td_total{verdict=\"clean\",service=\"10.0.0.0:80\"} 11\n"
		      "td_total{verdict=\"clean\",service=\"10.0.0.2:80\"} 1\n"
		      "td_total{verdict=\"clean\",service=\"other\"} 1\n"
		      "td_total{verdict=\"reset\",service=\"10.0.0.1:80\"} 1\n"
		      "td_total{verdict=\"reset\",service=\"other\"} 2\n");
	free(text);
	cr_assert_eq(mx_series_count(r, f), 5);
	mx_free(r);
}

Test(metrics, overflow_series_are_bounded_too)
{
	struct mx_def d = {.name = "b",
			   .type = MX_GAUGE,
			   .help = "",
			   .labels = {"kind", "service"},
			   .enum_labels = 1u << 0,
			   .max_series = 2};
	struct mx_registry *r = mx_new();
	int f = mx_family_add(r, &d);
	char kind[32], svc[32], *text;
	const char *v[2] = {kind, svc};
	int i;

	/* a caller that misuses the "enum" label still gets a bound */
	for (i = 0; i < 1000; i++) {
		snprintf(kind, sizeof(kind), "k%d", i);
		snprintf(svc, sizeof(svc), "s%d", i);
		cr_assert_geq(mx_set(r, f, v, 1), 0);
	}
	cr_assert_eq(mx_series_count(r, f), 2 + MX_OVERFLOW_MAX + 1);
	text = render(r);
	cr_assert_not_null(
		strstr(text, "b{kind=\"other\",service=\"other\"} 1\n"));
	free(text);
	mx_free(r);
}

Test(metrics, many_series_found_again)
{
	struct mx_def d = {.name = "m",
			   .type = MX_COUNTER,
			   .help = "",
			   .labels = {"service"},
			   .max_series = 500};
	struct mx_registry *r = mx_new();
	int f = mx_family_add(r, &d), i, round;
	char svc[32], *text, *p;
	const char *v[] = {svc};
	size_t lines = 0;

	/* the series array grows while the index keeps finding them */
	for (round = 0; round < 2; round++)
		for (i = 0; i < 500; i++) {
			snprintf(svc, sizeof(svc), "10.0.%d.%d:80", i / 256,
				 i % 256);
			cr_assert_eq(mx_add(r, f, v, 1), 0, "%s", svc);
		}
	cr_assert_eq(mx_series_count(r, f), 500);
	text = render(r);
	for (p = strstr(text, "\nm{"); p; p = strstr(p + 1, "\nm{")) {
		cr_assert_eq(strncmp(strchr(p, '}'), "} 2\n", 4), 0);
		lines++;
	}
	cr_assert_eq(lines, 500);
	free(text);
	mx_free(r);
}

Test(metrics, clear_removes_series)
{
	int g, c, h;
	struct mx_registry *r = small_registry(&g, &c, &h);
	const char *v[] = {"a:1"};
	char *text;

	cr_assert_eq(mx_set(r, g, v, 4), 0);
	cr_assert_eq(mx_add(r, c, NULL, 4), 0);
	mx_family_clear(r, g);
	mx_family_clear(r, c);
	mx_family_clear(r, 99);
	cr_assert_eq(mx_series_count(r, g), 0);
	text = render(r);
	cr_assert_str_eq(text, "# HELP t_packets_total Packets.\n"
			       "# TYPE t_packets_total counter\n"
			       "t_packets_total 0\n");
	free(text);
	mx_free(r);
}

Test(metrics, bad_definitions_and_updates)
{
	static const double down[] = {2, 1};
	struct mx_def d = {.name = "ok", .type = MX_GAUGE, .help = ""};
	struct mx_registry *r = mx_new();
	int f;

	f = mx_family_add(r, &d);
	cr_assert_eq(f, 0);
	cr_assert_eq(mx_family_add(r, &d), -EEXIST);
	d.name = "9bad";
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);
	d.name = "bad-name";
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);
	d.name = "x";
	d.labels[0] = "__reserved";
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);
	d.labels[0] = "a";
	d.labels[1] = "a";
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);
	d.labels[1] = NULL;
	d.labels[0] = "le";
	d.type = MX_HISTOGRAM;
	d.buckets = down + 1;
	d.nbuckets = 1;
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);
	d.labels[0] = "a";
	d.buckets = down;
	d.nbuckets = 2;
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);
	d.nbuckets = 0;
	cr_assert_eq(mx_family_add(r, &d), -EINVAL);

	cr_assert_eq(mx_observe(r, f, NULL, 1), -EINVAL);
	cr_assert_eq(mx_set(r, -1, NULL, 1), -EINVAL);
	cr_assert_eq(mx_set(r, 5, NULL, 1), -EINVAL);
	d = (struct mx_def){.name = "c_total", .type = MX_COUNTER, .help = ""};
	f = mx_family_add(r, &d);
	cr_assert_eq(mx_add(r, f, NULL, -1), -EINVAL);
	mx_free(r);
	mx_free(NULL);
}

Test(metrics, render_truncates_like_snprintf)
{
	int g, c, h;
	struct mx_registry *r = small_registry(&g, &c, &h);
	char buf[16];
	size_t len;

	len = mx_render(r, buf, sizeof(buf));
	cr_assert_gt(len, sizeof(buf));
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);
	cr_assert_eq(strncmp(buf, "# HELP t_packets", 15), 0);
	mx_free(r);
}

Test(metrics, write_to_file)
{
	int g, c, h;
	struct mx_registry *r = small_registry(&g, &c, &h);
	char *want = render(r), got[512];
	FILE *f = tmpfile();
	size_t n;

	cr_assert_not_null(f);
	cr_assert_eq(mx_write(r, f), 0);
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	cr_assert_str_eq(got, want);
	fclose(f);
	free(want);
	mx_free(r);
}

/* A registry of one mode with a bit of everything in it. */
static struct mx_registry *fintrace_registry(enum mxt_mode mode,
					     int fam[MXT__METRICS])
{
	struct mx_registry *r = mxt_new(mode, fam);
	const char *k3[] = {"10.0.0.2:9100", "print\"srv", "0123456789ab"};
	const char *svc[] = {"[2001:db8::2]:443"};
	const char *td[] = {"never-closed", "10.0.0.2:9100"};
	const char *tw[] = {"10.0.0.9", "10.0.0.2:9100"};

	cr_assert_not_null(r);
	cr_assert_eq(mx_set(r, fam[MXT_CLOSE_WAIT_SOCKETS], k3, 28), 0);
	cr_assert_eq(mx_set(r, fam[MXT_CLOSE_WAIT_OLDEST_SECONDS], k3, 25.852),
		     0);
	cr_assert_eq(mx_observe(r, fam[MXT_CLOSE_WAIT_SECONDS], svc, 5.959), 0);
	cr_assert_eq(mx_add(r, fam[MXT_TEARDOWNS_TOTAL], td, 28), 0);
	cr_assert_eq(mx_set(r, fam[MXT_TIME_WAIT_PORT_SHARE], tw, 0.5), 0);
	return r;
}

Test(metrics, table_modes)
{
	int fam[MXT__METRICS];
	struct mx_registry *r = fintrace_registry(MXT_KERNEL, fam);
	char *text = render(r), want[128];

	cr_assert_eq(fam[MXT_PACKETS_TOTAL], -1);
	cr_assert_eq(fam[MXT_KERNEL_DROPS_TOTAL], -1);
	cr_assert_eq(fam[MXT_QUEUE_DROPS_TOTAL], -1);
	cr_assert_geq(fam[MXT_BPF_LOST_RECORDS_TOTAL], 0);
	cr_assert_eq(mx_add(r, fam[MXT_PACKETS_TOTAL], NULL, 1), -EINVAL);
	cr_assert_not_null(strstr(
		text,
		"fintrace_close_wait_sockets{service=\"10.0.0.2:9100\","
		"comm=\"print\\\"srv\",container=\"0123456789ab\"} 28\n"));
	snprintf(want, sizeof(want),
		 "fintrace_build_info{version=\"%s\",mode=\"kernel\"} 1\n",
		 FT_VERSION);
	cr_assert_not_null(strstr(text, want), "%s", text);
	free(text);
	mx_free(r);

	r = mxt_new(MXT_LIVE, fam);
	cr_assert_not_null(r);
	cr_assert_eq(fam[MXT_BPF_LOST_RECORDS_TOTAL], -1);
	cr_assert_eq(mxt_def(MXT_CLOSE_WAIT_SOCKETS, MXT_LIVE)->labels[1],
		     NULL);
	cr_assert_eq(mx_add(r, fam[MXT_PACKETS_TOTAL], NULL, 7), 0);
	text = render(r);
	cr_assert_not_null(strstr(text, "fintrace_packets_total 7\n"));
	cr_assert_not_null(strstr(text, "fintrace_kernel_drops_total 0\n"));
	cr_assert_not_null(strstr(text, "fintrace_queue_drops_total 0\n"));
	free(text);
	mx_free(r);
	cr_assert_null(mxt_new((enum mxt_mode)3, fam));
	cr_assert_eq(errno, EINVAL);
}

/* promtool is in Debian's prometheus package; CI must have it. */
static int have_promtool(void)
{
	if (system("command -v promtool >/dev/null 2>&1") == 0)
		return 1;
	cr_assert_null(getenv("CI"), "promtool missing (Debian: prometheus)");
	return 0;
}

Test(metrics, promtool_accepts_the_exposition)
{
	enum mxt_mode modes[] = {MXT_LIVE, MXT_KERNEL};
	char path[] = "/tmp/ft-metrics-XXXXXX", cmd[256], out[1024];
	int fam[MXT__METRICS], fd, status;
	struct mx_registry *r;
	size_t i, n;
	FILE *f, *p;

	if (!have_promtool())
		cr_skip_test("promtool not installed (Debian: prometheus)");
	for (i = 0; i < 2; i++) {
		r = fintrace_registry(modes[i], fam);
		fd = mkstemp(path);
		cr_assert_geq(fd, 0);
		f = fdopen(fd, "w");
		cr_assert_eq(mx_write(r, f), 0);
		fclose(f);
		mx_free(r);
		/* check metrics also lints: names, units, help; any
		 * complaint is printed and fails */
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1",
			 path);
		p = popen(cmd, "r");
		cr_assert_not_null(p);
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		status = pclose(p);
		unlink(path);
		strcpy(path, "/tmp/ft-metrics-XXXXXX");
		cr_assert_eq(status, 0, "promtool (%s): %s",
			     mxt_mode_name(modes[i]), out);
		cr_assert_eq(n, 0, "promtool (%s): %s", mxt_mode_name(modes[i]),
			     out);
	}
}

Test(metrics, snapshot_outlives_publish)
{
	struct mxs *p = mxs_new();
	struct mxs_snap *a, *b;
	size_t len;

	cr_assert_not_null(p);
	a = mxs_acquire(p);
	cr_assert_str_eq(mxs_text(a, &len), "");
	cr_assert_eq(len, 0);
	cr_assert_eq(mxs_publish_text(p, "one\n", 4), 0);
	b = mxs_acquire(p);
	cr_assert_eq(mxs_publish_text(p, "two\n", 4), 0);
	/* both old texts are still readable by whoever holds them */
	cr_assert_str_eq(mxs_text(a, NULL), "");
	cr_assert_str_eq(mxs_text(b, &len), "one\n");
	mxs_release(a);
	mxs_free(p); /* b stays valid until released */
	cr_assert_str_eq(mxs_text(b, NULL), "one\n");
	mxs_release(b);
	mxs_release(NULL);
	mxs_free(NULL);
}

/* ---- HTTP ---- */

static int connect_to(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct timeval tv = {.tv_sec = 5};
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in4->sin_port = htons(port);
		len = sizeof(*in4);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(fd, (struct sockaddr *)&ss, len), 0, "connect: %s",
		     strerror(errno));
	return fd;
}

/* Send req and read the whole answer (the server closes: HTTP/1.0). */
static char *http_raw(int family, uint16_t port, const char *req)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = connect_to(family, port);
	ssize_t n;

	cr_assert_not_null(buf);
	cr_assert_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
		     (ssize_t)strlen(req));
	while ((n = recv(fd, buf + len, cap - 1 - len, 0)) > 0) {
		len += (size_t)n;
		cr_assert_lt(len, cap - 1, "answer too long");
	}
	cr_assert_eq(n, 0, "recv: %s", strerror(errno));
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* The status code of an answer ("HTTP/1.x NNN ..."), 0 if none. */
static int status(const char *answer)
{
	int code = 0;

	if (sscanf(answer, "HTTP/1.%*1[01] %3d", &code) != 1)
		return 0;
	return code;
}

static char *http_get(uint16_t port, const char *path)
{
	char req[256];

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	return http_raw(AF_INET, port, req);
}

static struct mxh *server(const char *listen, struct mxs *src,
			  unsigned timeout_s)
{
	struct mxh_config cfg = {.listen = listen, .timeout_s = timeout_s};
	char err[FT_ERRBUF_SIZE] = "";
	struct mxh *h = NULL;

	cr_assert_eq(mxh_start(&cfg, src, &h, err), 0, "%s", err);
	cr_assert_not_null(h);
	cr_assert_neq(mxh_port(h), 0);
	return h;
}

Test(metrics, http_serves_metrics_404_405)
{
	int fam[MXT__METRICS];
	struct mx_registry *r = fintrace_registry(MXT_LIVE, fam);
	struct mxs *src = mxs_new();
	struct mxh *h = server("127.0.0.1:0", src, 0);
	char *text = render(r), *got, *body;

	cr_assert_eq(mxs_publish(src, r), 0);
	got = http_get(mxh_port(h), "/metrics");
	cr_assert_eq(status(got), 200, "%s", got);
	cr_assert_not_null(strcasestr(got, "\r\nContent-Type: text/plain; "
					   "version=0.0.4; charset=utf-8\r\n"),
			   "%s", got);
	body = strstr(got, "\r\n\r\n");
	cr_assert_not_null(body);
	cr_assert_str_eq(body + 4, text);
	free(got);

	got = http_get(mxh_port(h), "/metrics?x=1"); /* query ignored */
	cr_assert_eq(status(got), 200, "%s", got);
	free(got);
	got = http_get(mxh_port(h), "/");
	cr_assert_eq(status(got), 404, "%s", got);
	free(got);
	got = http_get(mxh_port(h), "/metricsx");
	cr_assert_eq(status(got), 404, "%s", got);
	free(got);
	got = http_raw(
		AF_INET, mxh_port(h),
		"POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
	cr_assert_eq(status(got), 405, "%s", got);
	cr_assert_not_null(strcasestr(got, "\r\nAllow: GET, HEAD\r\n"), "%s",
			   got);
	free(got);
	got = http_raw(AF_INET, mxh_port(h), "HEAD /metrics HTTP/1.0\r\n\r\n");
	cr_assert_eq(status(got), 200, "%s", got);
	body = strstr(got, "\r\n\r\n");
	cr_assert_str_eq(body + 4, "");
	free(got);

	/* a new publish is what the next scrape sees */
	cr_assert_eq(mxs_publish_text(src, "x 1\n", 4), 0);
	got = http_get(mxh_port(h), "/metrics");
	cr_assert_str_eq(strstr(got, "\r\n\r\n") + 4, "x 1\n");
	free(got);

	mxh_stop(h);
	mxs_free(src);
	free(text);
	mx_free(r);
}

/* Thread ids of this process, sorted; returns how many. */
static size_t thread_ids(long *ids, size_t max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL && n < max)
		if (de->d_name[0] != '.')
			ids[n++] = strtol(de->d_name, NULL, 10);
	closedir(d);
	return n;
}

static int listed(const long *ids, size_t n, long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

Test(metrics, http_thread_blocks_signals)
{
	long before[64], after[64];
	size_t nb, na, i, checked = 0;
	struct mxs *src = mxs_new();
	char path[64], line[256];
	unsigned long long blk;
	sigset_t mask_before, mask_after;
	struct mxh *h;
	FILE *f;

	cr_assert_eq(pthread_sigmask(SIG_SETMASK, NULL, &mask_before), 0);
	nb = thread_ids(before, 64);
	h = server("127.0.0.1:0", src, 0);
	na = thread_ids(after, 64);
	/* SIGINT and SIGTERM must reach the capture, not the server */
	for (i = 0; i < na; i++) {
		if (listed(before, nb, after[i]))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%ld/status",
			 after[i]);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		blk = 0;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "SigBlk: %llx", &blk) == 1)
				break;
		fclose(f);
		cr_assert(blk & (1ULL << (SIGINT - 1)), "%ld: %llx", after[i],
			  blk);
		cr_assert(blk & (1ULL << (SIGTERM - 1)), "%ld: %llx", after[i],
			  blk);
		checked++;
	}
	cr_assert_geq(checked, 1, "no server thread found");
	/* and the caller's own mask is as it was */
	cr_assert_eq(pthread_sigmask(SIG_SETMASK, NULL, &mask_after), 0);
	cr_assert_eq(sigismember(&mask_after, SIGINT),
		     sigismember(&mask_before, SIGINT));
	cr_assert_eq(sigismember(&mask_after, SIGTERM),
		     sigismember(&mask_before, SIGTERM));
	mxh_stop(h);
	mxs_free(src);
}

Test(metrics, http_keep_alive)
{
	struct mxs *src = mxs_new();
	struct mxh *h = server("127.0.0.1:0", src, 0);
	char *got, *second;

	/* Prometheus keeps its connection open between scrapes */
	cr_assert_eq(mxs_publish_text(src, "k 1\n", 4), 0);
	got = http_raw(AF_INET, mxh_port(h),
		       "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
		       "GET /metrics HTTP/1.1\r\nHost: x\r\n"
		       "Connection: close\r\n\r\n");
	cr_assert_eq(status(got), 200, "%s", got);
	second = strstr(got + 1, "HTTP/1.1 ");
	cr_assert_not_null(second, "%s", got);
	cr_assert_eq(status(second), 200, "%s", got);
	cr_assert_str_eq(strstr(second, "\r\n\r\n") + 4, "k 1\n");
	free(got);
	mxh_stop(h);
	mxs_free(src);
}

Test(metrics, http_ipv6_loopback)
{
	struct mxs *src = mxs_new();
	struct mxh_config cfg = {.listen = "[::1]:0"};
	char err[FT_ERRBUF_SIZE] = "", *got;
	struct mxh *h = NULL;
	int ret;

	ret = mxh_start(&cfg, src, &h, err);
	if (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT) {
		mxs_free(src);
		cr_skip_test("no IPv6 loopback here: %s", err);
	}
	cr_assert_eq(ret, 0, "%s", err);
	cr_assert_eq(mxs_publish_text(src, "v6 1\n", 5), 0);
	got = http_raw(AF_INET6, mxh_port(h), "GET /metrics HTTP/1.0\r\n\r\n");
	cr_assert_str_eq(strstr(got, "\r\n\r\n") + 4, "v6 1\n");
	free(got);
	mxh_stop(h);
	mxs_free(src);
}

Test(metrics, http_port_in_use_is_one_line_error)
{
	struct mxs *src = mxs_new();
	struct mxh *h1 = server("127.0.0.1:0", src, 0), *h2 = NULL;
	char listen[64], want[64], err[FT_ERRBUF_SIZE] = "";
	struct mxh_config cfg = {.listen = listen};

	snprintf(listen, sizeof(listen), ":%u", mxh_port(h1));
	snprintf(want, sizeof(want), "metrics 127.0.0.1:%u: ", mxh_port(h1));
	cr_assert_eq(mxh_start(&cfg, src, &h2, err), -EADDRINUSE);
	cr_assert_null(h2);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
	cr_assert_not_null(strstr(err, "in use"), "%s", err);
	cr_assert_null(strchr(err, '\n'));
	mxh_stop(h1);
	mxs_free(src);
}

Test(metrics, http_bad_addresses)
{
	static const char *const bad[] = {
		"",	      "abc",	     "1.2.3.4:",       "1.2.3.4:65536",
		"1.2.3.4:-1", "1.2.3.4:80x", "localhost:9781", "::1:9781",
		"[::1]9781",  "[::1",	     "[1.2.3.4]:80",   "300.1.1.1:80",
		":",	      "[]:80",	     "1.2.3.4: 80",
	};
	struct mxs *src = mxs_new();
	char err[FT_ERRBUF_SIZE];
	struct mxh_config cfg;
	struct mxh *h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		h = NULL;
		cfg = (struct mxh_config){.listen = bad[i]};
		cr_assert_eq(mxh_start(&cfg, src, &h, err), -EINVAL, "'%s'",
			     bad[i]);
		cr_assert_null(h);
		cr_assert_eq(strncmp(err, "metrics address", 15), 0, "'%s': %s",
			     bad[i], err);
		cr_assert_null(strchr(err, '\n'));
	}
	/* an address this host does not have */
	cfg = (struct mxh_config){.listen = "192.0.2.1:9781"};
	cr_assert_eq(mxh_start(&cfg, src, &h, err), -EADDRNOTAVAIL);
	cr_assert_not_null(strstr(err, "192.0.2.1:9781"), "%s", err);
	mxs_free(src);
}

Test(metrics, http_parse_forms)
{
	static const struct {
		const char *in;
		int family;
		const char *addr;
		unsigned port;
	} ok[] = {
		{"9781", AF_INET, "127.0.0.1", 9781},
		{":9781", AF_INET, "127.0.0.1", 9781},
		{"0.0.0.0:80", AF_INET, "0.0.0.0", 80},
		{"10.1.2.3:0", AF_INET, "10.1.2.3", 0},
		{"[::1]:9100", AF_INET6, "::1", 9100},
		{"[::]:65535", AF_INET6, "::", 65535},
	};
	struct sockaddr_storage ss;
	char err[FT_ERRBUF_SIZE], host[INET6_ADDRSTRLEN];
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(mxh_parse_listen(ok[i].in, &ss, &len, err), 0,
			     "%s: %s", ok[i].in, err);
		cr_assert_eq(ss.ss_family, ok[i].family, "%s", ok[i].in);
		if (ok[i].family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			cr_assert_eq(ntohs(a->sin_port), ok[i].port);
			cr_assert_eq(len, sizeof(*a));
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			cr_assert_eq(ntohs(a->sin6_port), ok[i].port);
			cr_assert_eq(len, sizeof(*a));
		}
		cr_assert_str_eq(host, ok[i].addr, "%s", ok[i].in);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(metrics, http_silent_client_stalls_nothing, .timeout = 30)
{
	struct mxs *src = mxs_new();
	struct mxh *h = server("127.0.0.1:0", src, 1);
	struct pollfd pfd;
	int silent, half, i;
	char *got, c;
	double t0;

	cr_assert_eq(mxs_publish_text(src, "a 1\n", 4), 0);
	/* one client connects and sends nothing, another sends half a
	 * request line; scrapes keep being answered at once */
	silent = connect_to(AF_INET, mxh_port(h));
	half = connect_to(AF_INET, mxh_port(h));
	cr_assert_eq(send(half, "GET /met", 8, MSG_NOSIGNAL), 8);
	for (i = 0; i < 5; i++) {
		t0 = now_s();
		got = http_get(mxh_port(h), "/metrics");
		cr_assert_str_eq(strstr(got, "\r\n\r\n") + 4, "a 1\n");
		cr_assert_lt(now_s() - t0, 0.5, "a scrape waited");
		free(got);
	}
	/* and the server drops the silent ones after its timeout (1 s) */
	t0 = now_s();
	pfd = (struct pollfd){.fd = silent, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "still connected after 5 s");
	cr_assert_leq(recv(silent, &c, 1, 0), 0);
	pfd = (struct pollfd){.fd = half, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "still connected after 5 s");
	cr_assert_leq(recv(half, &c, 1, 0), 0);
	cr_assert_lt(now_s() - t0, 5);
	close(silent);
	close(half);
	mxh_stop(h);
	mxs_free(src);
}

struct publisher {
	struct mxs *src;
	struct mx_registry *r;
	int fam;
	atomic_int stop;
};

static void *publish_loop(void *arg)
{
	struct publisher *p = arg;

	while (!atomic_load(&p->stop)) {
		mx_add(p->r, p->fam, NULL, 1);
		if (mxs_publish(p->src, p->r) != 0)
			break;
	}
	return NULL;
}

Test(metrics, http_scrapes_during_publishing, .timeout = 60)
{
	int fam[MXT__METRICS], i;
	struct mx_registry *r = fintrace_registry(MXT_LIVE, fam);
	struct mxs *src = mxs_new();
	struct mxh *h = server("127.0.0.1:0", src, 0);
	struct publisher p = {
		.src = src, .r = r, .fam = fam[MXT_PACKETS_TOTAL]};
	pthread_t t;
	char *got, *body;
	size_t len;

	cr_assert_eq(mxs_publish(src, r), 0);
	atomic_init(&p.stop, 0);
	cr_assert_eq(pthread_create(&t, NULL, publish_loop, &p), 0);
	/* a thread publishes without pause: every answer is one whole
	 * text (build_info is its last family) */
	for (i = 0; i < 50; i++) {
		got = http_get(mxh_port(h), "/metrics");
		cr_assert_eq(status(got), 200);
		body = strstr(got, "\r\n\r\n") + 4;
		len = strlen(body);
		cr_assert_gt(len, 40);
		cr_assert_not_null(strstr(body, "fintrace_build_info{"));
		cr_assert_str_eq(body + len - 4, "} 1\n", "%s", body);
		free(got);
	}
	atomic_store(&p.stop, 1);
	pthread_join(t, NULL);
	mxh_stop(h);
	mxs_free(src);
	mx_free(r);
}

Test(metrics, http_publish_while_scraping, .timeout = 60)
{
	int fam[MXT__METRICS];
	struct mx_registry *r = fintrace_registry(MXT_LIVE, fam);
	struct mxs *src = mxs_new();
	struct mxh *h = server("127.0.0.1:0", src, 0);
	char *got;
	int i;

	/* every answer is one whole exposition, never a torn one */
	for (i = 0; i < 200; i++) {
		cr_assert_eq(mx_add(r, fam[MXT_PACKETS_TOTAL], NULL, 1), 0);
		cr_assert_eq(mxs_publish(src, r), 0);
		if (i % 10)
			continue;
		got = http_get(mxh_port(h), "/metrics");
		cr_assert_not_null(strstr(got, "fintrace_build_info{"));
		cr_assert_eq(got[strlen(got) - 1], '\n');
		free(got);
	}
	mxh_stop(h);
	mxs_free(src);
	mx_free(r);
}
