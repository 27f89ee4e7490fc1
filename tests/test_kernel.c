// SPDX-License-Identifier: MIT
/*
 * `fintrace kernel` against the real TCP stack: forked processes (named
 * with prctl(PR_SET_NAME)) leak, close late, abort or close with unread
 * data on loopback, or in two network namespaces created here (ftk-*,
 * ftk2-*), while the tracer (bpf/monitor.h) watches; the verdicts, owners
 * and times it reports are compared with what the test did and measured.
 * TIME_WAIT pressure: a client limited to 100 ports runs out of them, and
 * fintrace's count is compared with the kernel's (ss). Needs root and a
 * kernel with BTF: skipped otherwise when run by hand, failed under
 * CI=true.
 */
#include <criterion/criterion.h>

#ifndef HAVE_FT_BPF

Test(kernel, built_without_bpf)
{
	const char *ci = getenv("CI");

	if (ci && !strcmp(ci, "true"))
		cr_assert_fail("fintrace was built without the eBPF tracer "
			       "(clang, bpftool or libbpf missing)");
	cr_skip_test("built without the eBPF tracer");
}

#else

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "analysis/ksock.h"
#include "bpf/monitor.h"
#include "bpf/tracer.h"

#define MS(x) ((uint64_t)(x)*1000000ull)
#define FINTRACE BUILD_DIR "/cli/fintrace"

/* ---- environment ---- */

static int in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

static void need_bpf(void)
{
	const char *why = NULL;

	if (geteuid() != 0)
		why = "needs root and BPF: run as root (CI does)";
	else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		why = "needs root and BPF: this kernel has no BTF";
	if (!why)
		return;
	if (in_ci())
		cr_assert_fail("%s", why);
	cr_skip_test("%s", why);
}

static uint64_t now_ns(void)
{
	return mon_now_ns();
}

/* ---- sockets ---- */

static int listener(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0, "bind: %s",
		     strerror(errno));
	cr_assert_eq(listen(fd, 64), 0);
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET6
			      ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Connect to 127.0.0.1:port, from local port lport when not 0. */
static int connect_to(uint16_t port, uint16_t lport)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lport) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		a.sin_port = htons(lport);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return -1;
		}
	}
	a.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* Read until EOF (the peer's FIN); bounded by a 5 s receive timeout. */
static void read_to_eof(int fd)
{
	struct timeval tv = {.tv_sec = 5};
	char buf[256];
	int i;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 1000; i++)
		if (read(fd, buf, sizeof(buf)) <= 0)
			break;
}

/* ---- child processes ---- */

enum srv_mode {
	SRV_LEAK,  /* read to EOF, never close */
	SRV_LATE,  /* read to EOF, close after delay_ms; report measured */
	SRV_ABORT, /* first conn: SO_LINGER 0 close; second: unread data */
	SRV_ABORT_LATE, /* read to EOF, SO_LINGER 0 close after delay_ms */
};

struct child {
	pid_t pid;
	int ready; /* read end: the child writes when it is done */
	int hold;  /* write end: closing it lets the child exit */
};

/*
 * Fork a child named comm that runs fn(arg, ready) (fn may write to the
 * ready pipe as it goes), writes fn's result to the ready pipe, then
 * waits for hold to close. A 30 s alarm bounds it.
 */
static struct child spawn_fn(const char *comm,
			     uint64_t (*fn)(void *arg, int ready), void *arg)
{
	struct child c;
	int rp[2], hp[2];
	uint64_t res;
	char b;

	cr_assert_eq(pipe(rp), 0);
	cr_assert_eq(pipe(hp), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		close(rp[0]);
		close(hp[1]);
		alarm(30);
		prctl(PR_SET_NAME, comm, 0, 0, 0);
		res = fn(arg, rp[1]);
		if (write(rp[1], &res, sizeof(res)) < 0)
			_exit(1);
		while (read(hp[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(rp[1]);
	close(hp[0]);
	c.ready = rp[0];
	c.hold = hp[1];
	return c;
}

struct srv_args {
	int lfd, nconn;
	enum srv_mode mode;
	unsigned delay_ms;
};

/* The server's work in its child; see spawn_server(). */
static uint64_t serve(void *arg, int ready)
{
	const struct srv_args *a = arg;
	int conns[64], i;
	uint64_t measured = 0, t0;

	(void)ready;
	for (i = 0; i < a->nconn && i < 64; i++)
		conns[i] = accept(a->lfd, NULL, NULL);
	for (i = 0; i < a->nconn && i < 64; i++) {
		if (a->mode == SRV_ABORT) {
			struct linger lg = {1, 0};

			if (i == 0) {
				setsockopt(conns[i], SOL_SOCKET, SO_LINGER,
					   &lg, sizeof(lg));
			} else {
				usleep(200000); /* data arrives */
			}
			close(conns[i]);
			continue;
		}
		read_to_eof(conns[i]);
		if (a->mode == SRV_ABORT_LATE) {
			struct linger lg = {1, 0};

			usleep(a->delay_ms * 1000);
			setsockopt(conns[i], SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
			close(conns[i]);
		}
		if (a->mode == SRV_LATE) {
			t0 = now_ns();
			usleep(a->delay_ms * 1000);
			close(conns[i]);
			measured = now_ns() - t0;
		}
	}
	return measured;
}

/*
 * Fork a server on lfd named comm. It accepts nconn connections and
 * handles them per mode, writes a uint64_t (measured close-wait for
 * SRV_LATE, else 0) to the ready pipe, then waits for hold to close.
 */
static struct child spawn_server(int lfd, const char *comm, int nconn,
				 enum srv_mode mode, unsigned delay_ms)
{
	struct srv_args a = {
		.lfd = lfd, .nconn = nconn, .mode = mode, .delay_ms = delay_ms};

	return spawn_fn(comm, serve, &a);
}

static void reap(struct child *c)
{
	int st;

	if (c->hold >= 0)
		close(c->hold);
	c->hold = -1;
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, &st, 0);
	}
	c->pid = 0;
	if (c->ready >= 0)
		close(c->ready);
	c->ready = -1;
}

/*
 * Keep the monitor running (m may be NULL) until the child reports, at
 * most 10 s. Returns the child's uint64_t.
 */
static uint64_t wait_child(struct mon *m, struct child *c)
{
	struct pollfd p = {.fd = c->ready, .events = POLLIN};
	uint64_t v = 0, end = now_ns() + MS(10000);

	while (now_ns() < end) {
		if (m)
			cr_assert_eq(mon_step(m, 10), 0);
		if (poll(&p, 1, m ? 0 : 10) == 1) {
			cr_assert_eq(read(c->ready, &v, sizeof(v)),
				     (ssize_t)sizeof(v), "child died");
			return v;
		}
	}
	cr_assert_fail("child %d did not report within 10 s", c->pid);
	return 0;
}

static void pump(struct mon *m, unsigned ms)
{
	uint64_t end = now_ns() + MS(ms);

	while (now_ns() < end)
		cr_assert_eq(mon_step(m, 10), 0);
}

struct alerts {
	int linger, closed;
	uint64_t closed_cw;
	uint32_t pid;
};

static void on_alert(void *ctx, enum ks_alert what, const struct ks_sock *s,
		     uint64_t now)
{
	struct alerts *a = ctx;

	if (!a)
		return;
	if (what == KS_ALERT_LINGER) {
		a->linger++;
		a->pid = s->owner_pid;
	} else {
		a->closed++;
		a->closed_cw = ks_close_wait(s, now);
	}
}

/* keep_clean: clean sockets stay listed (active closers blamed away). */
static struct mon *start_keep(uint16_t port, uint64_t linger, struct alerts *a,
			      int keep_clean)
{
	struct mon_opts o;
	char err[FT_ERRBUF_SIZE];
	struct mon *m;

	memset(&o, 0, sizeof(o));
	o.trc.port = port;
	o.linger_ns = linger;
	o.tw_sample_ns = MS(200);
	o.keep_clean = keep_clean;
	o.on_alert = on_alert;
	o.ctx = a;
	m = mon_new(&o, err);
	cr_assert_not_null(m, "cannot start the tracer: %s", err);
	return m;
}

static struct mon *start(uint16_t port, uint64_t linger, struct alerts *a)
{
	return start_keep(port, linger, a, 0);
}

static int find_agg(struct mon *m, enum ks_group g, uint32_t pid,
		    struct ks_agg *out)
{
	struct ks_agg *v;
	long n = ks_groups(mon_table(m), g, mon_now_ns(), &v), i;
	int hit = 0;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid && !hit) {
			*out = v[i];
			hit = 1;
		}
	free(v);
	return hit;
}

/* The socket with this local and remote port (0: any), or NULL. */
static const struct ks_sock *find_sock(struct mon *m, uint16_t lport,
				       uint16_t rport)
{
	const struct ks_sock **v, *s = NULL;
	long n = ks_list(mon_table(m), &v), i;

	for (i = 0; i < n; i++)
		if (v[i]->lport == lport && (!rport || v[i]->rport == rport)) {
			s = v[i];
			break;
		}
	free(v);
	return s;
}

/* ---- tests ---- */

Test(kernel, leaking_server_is_named_by_pid_and_command)
{
	struct alerts a = {0};
	struct child c;
	struct mon *m;
	struct ks_agg p;
	uint16_t port;
	int lfd, fd, i;

	need_bpf();
	lfd = listener(AF_INET, &port);
	m = start(port, MS(300), &a);
	c = spawn_server(lfd, "ftk-leaky", 3, SRV_LEAK, 0);
	for (i = 0; i < 3; i++) {
		fd = connect_to(port, 0);
		cr_assert_geq(fd, 0);
		close(fd); /* the client's FIN */
	}
	wait_child(m, &c);
	pump(m, 600);
	mon_finish(m);

	cr_assert(find_agg(m, KS_BY_PROCESS, (uint32_t)c.pid, &p),
		  "no process entry for the server pid %d", c.pid);
	cr_assert_str_eq(p.comm, "ftk-leaky");
	cr_assert_eq(p.cw_now, 3, "in CLOSE_WAIT: %" PRIu64, p.cw_now);
	cr_assert_eq(p.never_closed, 3);
	cr_assert_geq(p.cw_max, MS(500));
	cr_assert_eq(a.linger, 3, "alerts: %d", a.linger);
	cr_assert_eq(a.pid, (uint32_t)c.pid);
	cr_assert_eq(mon_lost(m), 0);
	mon_free(m);
	reap(&c);
	close(lfd);
}

Test(kernel, late_close_is_measured_within_50ms)
{
	struct alerts a = {0};
	const struct ks_sock *s;
	struct child c;
	struct mon *m;
	uint64_t measured, got, diff, srv_cookie;
	uint16_t port, cport;
	int lfd, fd;

	need_bpf();
	lfd = listener(AF_INET, &port);
	m = start_keep(port, MS(300), &a, 1);
	c = spawn_server(lfd, "ftk-late", 1, SRV_LATE, 700);
	fd = connect_to(port, 0);
	cr_assert_geq(fd, 0);
	cport = local_port(fd);
	close(fd);
	measured = wait_child(m, &c);
	pump(m, 300);
	mon_finish(m);

	s = find_sock(m, port, cport);
	cr_assert_not_null(s, "server socket not reported");
	cr_assert_eq(s->verdict, VD_LATE_CLOSE, "verdict %s",
		     vd_name(s->verdict));
	cr_assert_eq(s->passive, KS_SIDE_LOCAL);
	got = s->close_wait_ns;
	diff = got > measured ? got - measured : measured - got;
	cr_assert_lt(diff, MS(50),
		     "close-wait %" PRIu64 " ns, the server measured %" PRIu64,
		     got, measured);
	cr_assert_eq(s->closer_pid, (uint32_t)c.pid);
	cr_assert_str_eq(s->closer_comm, "ftk-late");
	cr_assert_eq(a.linger, 1);
	cr_assert_eq(a.closed, 1);
	cr_assert_eq(a.closed_cw, got);
	/*
	 * The client's side: FIN_WAIT2 while the server lingered. It closed
	 * first; its peer is on this host and carries the late close.
	 */
	srv_cookie = s->cookie;
	s = find_sock(m, cport, port);
	cr_assert_not_null(s, "client socket not reported");
	cr_assert_eq(s->passive, KS_SIDE_REMOTE);
	cr_assert_geq(ks_time_in(s, KS_T_FIN_WAIT2, mon_now_ns()), MS(600));
	cr_assert_eq(s->verdict, VD_CLEAN, "client verdict %s",
		     vd_name(s->verdict));
	cr_assert_eq(s->peer_cookie, srv_cookie);
	mon_free(m);
	reap(&c);
	close(lfd);
}

Test(kernel, abort_and_close_with_unread_data_are_told_apart)
{
	const struct ks_sock *s;
	struct child c;
	struct mon *m;
	uint16_t port, p1, p2;
	int lfd, fd1, fd2;

	need_bpf();
	lfd = listener(AF_INET, &port);
	m = start(port, MS(300), NULL);
	c = spawn_server(lfd, "ftk-abort", 2, SRV_ABORT, 0);
	fd1 = connect_to(port, 0);
	cr_assert_geq(fd1, 0);
	p1 = local_port(fd1);
	usleep(20000); /* accepted in this order */
	fd2 = connect_to(port, 0);
	cr_assert_geq(fd2, 0);
	p2 = local_port(fd2);
	cr_assert_eq(write(fd2, "hello", 5), 5);
	wait_child(m, &c);
	pump(m, 300);
	mon_finish(m);

	s = find_sock(m, port, p1);
	cr_assert_not_null(s);
	cr_assert_eq(s->verdict, VD_RESET);
	cr_assert_eq(s->rst_by, KS_SIDE_LOCAL);
	cr_assert_eq(s->rst_cause, KS_RST_ABORT, "cause %s",
		     ks_rst_name(s->rst_cause));
	cr_assert_eq(s->unread, 0);
	s = find_sock(m, port, p2);
	cr_assert_not_null(s);
	cr_assert_eq(s->verdict, VD_RESET);
	cr_assert_eq(s->rst_by, KS_SIDE_LOCAL);
	cr_assert_eq(s->rst_cause, KS_RST_UNREAD, "cause %s",
		     ks_rst_name(s->rst_cause));
	cr_assert_eq(s->unread, 5);
	/* the clients saw the resets arrive */
	s = find_sock(m, p1, port);
	cr_assert_not_null(s);
	cr_assert_eq(s->rst_by, KS_SIDE_REMOTE);
	mon_free(m);
	close(fd1);
	close(fd2);
	reap(&c);
	close(lfd);
}

/*
 * A server that aborts (SO_LINGER 0) a socket it left in CLOSE_WAIT past
 * --linger closed it late, by RST, as a capture of it reads; not a mere
 * reset.
 */
Test(kernel, abort_after_the_threshold_in_close_wait_is_a_late_close)
{
	const struct ks_sock *s;
	struct child c;
	struct mon *m;
	uint16_t port, cport;
	int lfd, fd;

	need_bpf();
	lfd = listener(AF_INET, &port);
	m = start(port, MS(300), NULL);
	c = spawn_server(lfd, "ftk-abortlate", 1, SRV_ABORT_LATE, 600);
	fd = connect_to(port, 0);
	cr_assert_geq(fd, 0);
	cport = local_port(fd);
	close(fd);
	wait_child(m, &c);
	pump(m, 300);
	mon_finish(m);
	s = find_sock(m, port, cport);
	cr_assert_not_null(s);
	cr_assert_eq(s->verdict, VD_LATE_CLOSE, "%s", vd_name(s->verdict));
	cr_assert_eq(s->rst_by, KS_SIDE_LOCAL);
	cr_assert_eq(s->rst_cause, KS_RST_ABORT, "cause %s",
		     ks_rst_name(s->rst_cause));
	cr_assert_geq(s->close_wait_ns, MS(600));
	cr_assert_lt(s->close_wait_ns, MS(2000));
	mon_free(m);
	reap(&c);
	close(lfd);
}

Test(kernel, socket_lingering_before_tracing_is_pre_existing)
{
	const struct ks_sock *s;
	struct child c;
	struct mon *m;
	uint64_t t_fin, t_end, srv_cookie;
	uint16_t port, cport;
	int lfd, fd;

	need_bpf();
	lfd = listener(AF_INET, &port);
	c = spawn_server(lfd, "ftk-old", 1, SRV_LEAK, 0);
	fd = connect_to(port, 0);
	cr_assert_geq(fd, 0);
	cport = local_port(fd);
	close(fd);
	wait_child(NULL, &c);
	t_fin = now_ns();
	usleep(300000);
	m = start_keep(port, MS(200), NULL, 1);
	cr_assert_geq(mon_seeded(m), 1);
	pump(m, 400);
	mon_finish(m);
	t_end = now_ns();

	s = find_sock(m, port, cport);
	cr_assert_not_null(s, "pre-existing socket not reported");
	cr_assert(s->pre_existing);
	cr_assert_eq(s->verdict, VD_NEVER_CLOSED);
	cr_assert_eq(s->owner_pid, (uint32_t)c.pid);
	cr_assert_str_eq(s->owner_comm, "ftk-old");
	cr_assert_eq(s->owner_src, KS_SRC_PROC);
	/* "at least": the age since tracing began, never more than true */
	cr_assert_leq(ks_close_wait(s, t_end), t_end - t_fin);
	cr_assert_geq(ks_close_wait(s, t_end), MS(400));
	/*
	 * The active closer's orphan FIN_WAIT2 was seeded too; it closed,
	 * and its peer on this host carries the verdict.
	 */
	srv_cookie = s->cookie;
	s = find_sock(m, cport, port);
	cr_assert_not_null(s);
	cr_assert(s->pre_existing);
	cr_assert_eq(s->passive, KS_SIDE_REMOTE);
	cr_assert_eq(s->verdict, VD_CLEAN, "client verdict %s",
		     vd_name(s->verdict));
	cr_assert_eq(s->peer_cookie, srv_cookie);
	mon_free(m);
	reap(&c);
	close(lfd);
}

Test(kernel, ipv6_sockets_keep_their_addresses)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6};
	const struct ks_sock **v;
	struct child c;
	struct mon *m;
	uint16_t port;
	long n, i, hits = 0;
	int lfd, fd;

	need_bpf();
	lfd = listener(AF_INET6, &port);
	m = start(port, MS(300), NULL);
	c = spawn_server(lfd, "ftk-six", 1, SRV_LEAK, 0);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin6_addr = in6addr_loopback;
	a.sin6_port = htons(port);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	wait_child(m, &c);
	pump(m, 400); /* past --linger: never-closed, not closing */
	mon_finish(m);
	n = ks_list(mon_table(m), &v);
	for (i = 0; i < n; i++) {
		if (v[i]->lport != port)
			continue;
		cr_assert_eq(v[i]->family, 6);
		cr_assert_arr_eq(v[i]->laddr, &in6addr_loopback, 16);
		cr_assert_arr_eq(v[i]->raddr, &in6addr_loopback, 16);
		cr_assert_eq(v[i]->verdict, VD_NEVER_CLOSED);
		hits++;
	}
	free(v);
	cr_assert_eq(hits, 1);
	mon_free(m);
	reap(&c);
	close(lfd);
}

Test(kernel, pid_filter_keeps_only_that_process)
{
	const struct ks_sock **v;
	struct mon_opts o;
	struct child c1, c2;
	struct mon *m;
	char err[FT_ERRBUF_SIZE];
	uint16_t p1, p2;
	long n, i, mine = 0;
	int l1, l2, fd, k;

	need_bpf();
	l1 = listener(AF_INET, &p1);
	l2 = listener(AF_INET, &p2);
	c1 = spawn_server(l1, "ftk-pid-a", 2, SRV_LEAK, 0);
	c2 = spawn_server(l2, "ftk-pid-b", 2, SRV_LEAK, 0);
	memset(&o, 0, sizeof(o));
	o.trc.pid = (uint32_t)c1.pid;
	o.linger_ns = MS(300);
	m = mon_new(&o, err);
	cr_assert_not_null(m, "%s", err);
	for (k = 0; k < 2; k++) {
		fd = connect_to(p1, 0);
		cr_assert_geq(fd, 0);
		close(fd);
		fd = connect_to(p2, 0);
		cr_assert_geq(fd, 0);
		close(fd);
	}
	wait_child(m, &c1);
	wait_child(m, &c2);
	pump(m, 300);
	mon_finish(m);
	n = ks_list(mon_table(m), &v);
	for (i = 0; i < n; i++) {
		cr_assert_eq(v[i]->owner_pid, (uint32_t)c1.pid,
			     "socket %u -> %u of pid %u passed the filter",
			     v[i]->lport, v[i]->rport, v[i]->owner_pid);
		if (v[i]->lport == p1 && v[i]->verdict == VD_NEVER_CLOSED)
			mine++;
	}
	free(v);
	cr_assert_eq(mine, 2);
	mon_free(m);
	reap(&c1);
	reap(&c2);
	close(l1);
	close(l2);
}

/* ---- namespaces ---- */

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void netns_del(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", name);
	sh(cmd);
}

/*
 * In namespace name: a server on 127.0.0.1:port and a client bound to
 * 127.0.0.1:cport; the client closes, the server never does.
 */
static struct child spawn_in_netns(const char *name, uint16_t port,
				   uint16_t cport)
{
	char path[64];
	int rp[2], hp[2], nsfd, lfd, cfd, sfd, one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct child c;
	uint64_t zero = 0;
	char b;

	cr_assert_eq(pipe(rp), 0);
	cr_assert_eq(pipe(hp), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		close(rp[0]);
		close(hp[1]);
		alarm(30);
		prctl(PR_SET_NAME, "ftk-ns", 0, 0, 0);
		snprintf(path, sizeof(path), "/run/netns/%s", name);
		nsfd = open(path, O_RDONLY);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0)
			_exit(2);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons(port);
		if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
		    listen(lfd, 4))
			_exit(3);
		cfd = connect_to(port, cport);
		if (cfd < 0)
			_exit(4);
		sfd = accept(lfd, NULL, NULL);
		close(cfd);
		read_to_eof(sfd);
		if (write(rp[1], &zero, sizeof(zero)) < 0)
			_exit(5);
		while (read(hp[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(rp[1]);
	close(hp[0]);
	c.ready = rp[0];
	c.hold = hp[1];
	return c;
}

static uint32_t netns_ino(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (stat(path, &st) != 0)
		return 0;
	return (uint32_t)st.st_ino;
}

Test(kernel, same_tuple_in_two_namespaces_is_kept_apart)
{
	char na[32], nb[32], cmd[256];
	const struct ks_sock **v;
	struct child ca, cb;
	struct mon *m;
	long n, i, hits = 0;
	uint32_t seen[2] = {0, 0};
	uint16_t port = 18000 + (uint16_t)(getpid() % 1000), cport = 45123;

	need_bpf();
	snprintf(na, sizeof(na), "ftk-a%d", (int)getpid());
	snprintf(nb, sizeof(nb), "ftk-b%d", (int)getpid());
	netns_del(na);
	netns_del(nb);
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %s && ip netns add %s && "
		 "ip -n %s link set lo up && ip -n %s link set lo up",
		 na, nb, na, nb);
	if (sh(cmd) != 0) {
		netns_del(na);
		netns_del(nb);
		cr_assert_fail("cannot create network namespaces %s and %s", na,
			       nb);
	}
	m = start(port, MS(300), NULL);
	ca = spawn_in_netns(na, port, cport);
	cb = spawn_in_netns(nb, port, cport);
	wait_child(m, &ca);
	wait_child(m, &cb);
	pump(m, 300);
	mon_finish(m);

	n = ks_list(mon_table(m), &v);
	for (i = 0; i < n; i++) {
		if (v[i]->lport != port || v[i]->rport != cport)
			continue;
		cr_assert_eq(v[i]->verdict, VD_NEVER_CLOSED);
		cr_assert_eq(v[i]->owner_pid, v[i]->netns == netns_ino(na)
						      ? (uint32_t)ca.pid
						      : (uint32_t)cb.pid);
		if (hits < 2)
			seen[hits] = v[i]->netns;
		hits++;
	}
	free(v);
	cr_assert_eq(hits, 2, "server sockets with the same tuple: %ld", hits);
	cr_assert_neq(seen[0], seen[1]);
	cr_assert(seen[0] == netns_ino(na) || seen[0] == netns_ino(nb));
	cr_assert(seen[1] == netns_ino(na) || seen[1] == netns_ino(nb));
	mon_free(m);
	reap(&ca);
	reap(&cb);
	netns_del(na);
	netns_del(nb);
}

/* ---- lost events ---- */

static int count_cb(void *ctx, const struct trc_event *ev)
{
	(void)ev;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* close() with SO_LINGER 0: a RST, an unclean end the kernel reports. */
static void abort_close(int fd)
{
	struct linger lg = {1, 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * Up to n connections to port, each accepted on lfd, closed by the client
 * first, read to EOF by the server and closed (abort: with a RST). Bounded
 * by 10 s; m (may be NULL) is stepped every 100. Returns how many ran.
 */
static int churn(int lfd, uint16_t port, int n, int abort, struct mon *m)
{
	uint64_t end = now_ns() + MS(10000);
	int k, fd, sfd, done = 0;

	for (k = 0; k < n && now_ns() < end; k++) {
		fd = connect_to(port, 0);
		if (fd < 0)
			break;
		sfd = accept(lfd, NULL, NULL);
		close(fd);
		if (sfd >= 0) {
			read_to_eof(sfd);
			if (abort)
				abort_close(sfd);
			else
				close(sfd);
		}
		done++;
		if (m && k % 100 == 0)
			cr_assert_eq(mon_step(m, 0), 0);
	}
	return done;
}

Test(kernel, lost_events_are_counted_and_reported)
{
	struct trc_opts o;
	struct trc *t;
	char err[FT_ERRBUF_SIZE];
	uint64_t got = 0, end;
	uint16_t port;
	int lfd, fd, sfd, i, done = 0;

	need_bpf();
	lfd = listener(AF_INET, &port);
	memset(&o, 0, sizeof(o));
	o.port = port;
	o.ringbuf_bytes = 4096; /* one page: a few dozen records */
	o.no_accept = 1;
	t = trc_new(&o, count_cb, &got, err);
	cr_assert_not_null(t, "%s", err);
	/*
	 * A bounded burst, not read until it is over. Clean ends are only
	 * counted, so the server aborts: every connection ends in records.
	 */
	end = now_ns() + MS(5000);
	for (i = 0; i < 200 && now_ns() < end; i++) {
		fd = connect_to(port, 0);
		if (fd < 0)
			break;
		sfd = accept(lfd, NULL, NULL);
		close(fd);
		if (sfd >= 0)
			abort_close(sfd);
		done++;
	}
	cr_assert_geq(done, 100);
	for (i = 0; i < 100 && trc_poll(t, 0) > 0; i++)
		;
	cr_assert_gt(trc_lost(t), 0, "nothing lost: %" PRIu64 " received", got);
	cr_assert_gt(got, 0);
	cr_assert_eq(trc_received(t), got);
	trc_free(t);
	close(lfd);
}

Test(kernel, lost_events_do_not_invent_leaks)
{
	struct mon_opts o;
	struct ks_totals tot;
	struct mon *m;
	char err[FT_ERRBUF_SIZE];
	uint16_t port;
	int lfd;

	need_bpf();
	lfd = listener(AF_INET, &port);
	memset(&o, 0, sizeof(o));
	o.trc.port = port;
	o.trc.ringbuf_bytes = 4096;
	o.linger_ns = MS(300);
	m = mon_new(&o, err);
	cr_assert_not_null(m, "%s", err);
	/*
	 * The server aborts after reading EOF: no socket lingers, and every
	 * one ends in records (clean ends would only be counted), most of
	 * which the one-page ring buffer loses.
	 */
	churn(lfd, port, 300, 1, NULL);
	pump(m, 400);
	mon_finish(m);
	ks_totals(mon_table(m), mon_now_ns(), &tot);
	cr_assert_gt(mon_lost(m), 0);
	cr_assert_eq(tot.in_close_wait, 0, "%" PRIu64 " in CLOSE_WAIT",
		     tot.in_close_wait);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 0);
	cr_assert_eq(tot.verdicts[VD_LATE_CLOSE], 0);
	mon_free(m);
	close(lfd);
}

/* ---- the command ---- */

/*
 * The prog_id lines of process pid's descriptors (/proc/PID/fdinfo) into
 * ids, up to max; how many; the attached links (link_type lines) into
 * *links when not NULL.
 */
static int held(pid_t pid, uint32_t *ids, int max, int *links)
{
	char path[64], line[128];
	int n = 0, fd;
	uint32_t id;
	FILE *f;

	if (links)
		*links = 0;
	for (fd = 0; fd < 256; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (n < max && sscanf(line, "prog_id: %u", &id) == 1)
				ids[n++] = id;
			if (links && !strncmp(line, "link_type:", 10))
				(*links)++;
		}
		fclose(f);
	}
	return n;
}

/*
 * Ids of the BPF programs process pid holds (its program and link
 * descriptors, /proc/PID/fdinfo), up to max. Other work on the machine
 * may load programs of the same names: these are fintrace's own.
 */
static int held_programs(pid_t pid, uint32_t *ids, int max)
{
	return held(pid, ids, max, NULL);
}

/* Number of loaded BPF programs named like ours. */
static int our_programs(void)
{
	struct bpf_prog_info info;
	uint32_t id = 0, len;
	int fd, n = 0, guard;

	for (guard = 0; guard < 100000; guard++) {
		if (bpf_prog_get_next_id(id, &id))
			break;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strncmp(info.name, "handle_set_stat", 15))
			n++;
		close(fd);
	}
	return n;
}

/*
 * In a runner: wait (at most 2 s: another fintrace on the host may unload
 * meanwhile) until a program like ours is loaded beyond the before count,
 * then a moment for it to attach, so that the connections that follow are
 * traced from their SYN even on a busy host.
 */
static void wait_traced(int before)
{
	for (int i = 0; i < 40 && our_programs() <= before; i++)
		usleep(50000);
	usleep(500000);
}

/* 1 once none of ids[0..n) is loaded any more. Bounded: 3 s. */
static int programs_gone(const uint32_t *ids, int n)
{
	int i, fd, left = n;

	for (int round = 0; round < 60 && left; round++) {
		left = 0;
		for (i = 0; i < n; i++) {
			fd = bpf_prog_get_fd_by_id(ids[i]);
			if (fd >= 0) {
				close(fd);
				left++;
			}
		}
		if (left)
			usleep(50000);
	}
	return !left;
}

/*
 * Start the fintrace binary at path with args, as user as_user when not
 * 0; its stdout (and stderr when with_stderr) on the pipe *out_fd.
 */
static pid_t spawn_fintrace(const char *path, char *const args[], int *out_fd,
			    uid_t as_user, int with_stderr)
{
	int p[2];
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		if (with_stderr)
			dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		if (as_user && setuid(as_user) != 0)
			_exit(99);
		execv(path, args);
		_exit(98);
	}
	close(p[1]);
	*out_fd = p[0];
	return pid;
}

/*
 * Everything until end of file on fd into out (n bytes; the rest is read
 * and dropped, so the writer never meets a closed pipe); closes fd.
 */
static void read_all(int fd, char *out, size_t n)
{
	char sink[4096];
	size_t len = 0;
	ssize_t r;

	while (len + 1 < n && (r = read(fd, out + len, n - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	while ((r = read(fd, sink, sizeof(sink))) > 0 ||
	       (r < 0 && errno == EINTR))
		;
	close(fd);
}

/*
 * Run the fintrace binary at path with args; its stdout (and stderr when
 * with_stderr) into out (n bytes). As user as_user when not 0. Returns
 * its exit status.
 */
static int run_fintrace(const char *path, char *const args[], char *out,
			size_t n, uid_t as_user, int with_stderr)
{
	int fd, st;
	pid_t pid = spawn_fintrace(path, args, &fd, as_user, with_stderr);

	read_all(fd, out, n);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void need_fintrace(void)
{
	if (access(FINTRACE, X_OK) == 0)
		return;
	if (in_ci())
		cr_assert_fail("%s was not built", FINTRACE);
	cr_skip_test("%s was not built", FINTRACE);
}

/*
 * A child that connects n times to port on loopback once fintrace is
 * tracing (more of our programs loaded than before) and closes each
 * connection; returns its pid.
 */
static pid_t connect_later(uint16_t port, int n, int before)
{
	pid_t runner = fork();
	int fd;

	cr_assert_geq(runner, 0);
	if (runner == 0) {
		wait_traced(before);
		for (int i = 0; i < n; i++) {
			fd = connect_to(port, 0);
			if (fd >= 0)
				close(fd);
		}
		_exit(0);
	}
	return runner;
}

/*
 * 1 when jq -e -s prog holds over json (fintrace's JSON Lines output);
 * the failing output is kept in /tmp for the message.
 */
static int jq_holds(const char *json, const char *prog)
{
	char path[64], cmd[4096];
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "/tmp/ftk-jq-%d.json", (int)getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(json, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "jq -e -s '%s' %s >/dev/null", prog, path);
	st = system(cmd);
	if (st == 0)
		unlink(path);
	return st == 0;
}

/*
 * Start fintrace with args, its stdout on *out_fd; wait until it has
 * attached its three state and reset hooks (bounded: 4 s), the ids of
 * the programs it holds into ids[0..*nids), at most 64. Returns its pid.
 */
static pid_t start_traced(char *const args[], int *out_fd, uint32_t *ids,
			  int *nids)
{
	pid_t ft = spawn_fintrace(FINTRACE, args, out_fd, 0, 0);
	int links = 0;

	*nids = 0;
	for (int i = 0; i < 80 && (*nids < 3 || links < 3); i++) {
		usleep(50000);
		*nids = held(ft, ids, 64, &links);
	}
	return ft;
}

/* Its stdout into out (n bytes) to its end; its exit status. */
static int end_traced(pid_t ft, int out_fd, char *out, size_t n)
{
	int st;

	read_all(out_fd, out, n);
	waitpid(ft, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* start_traced(), then end_traced(). */
static int run_traced(char *const args[], char *out, size_t n, uint32_t *ids,
		      int *nids)
{
	int out_fd;
	pid_t ft = start_traced(args, &out_fd, ids, nids);

	return end_traced(ft, out_fd, out, n);
}

/* A run of leak_run(): what it leaves to check. */
struct leak_run {
	uint16_t port;
	pid_t server;  /* the server that never closes (reaped) */
	pid_t runner;  /* the process that connected and closed */
	uint32_t ids[64];
	int nids;      /* fintrace's BPF programs, seen while it ran */
	int rc;        /* fintrace's exit status */
};

/*
 * fintrace kernel --port PORT, then the args extra (NULL ended, at most
 * 12), while conns clients connect on loopback, once it has attached,
 * and close at once, and a server named comm reads them and never
 * closes. Its stdout into out (n bytes). Skips without BPF or a built
 * fintrace; fails when fintrace did not attach.
 */
static void leak_run(const char *comm, int conns, const char *const *extra,
		     char *out, size_t n, struct leak_run *lr)
{
	char portarg[16];
	char *args[18] = {"fintrace", "kernel", "--port", portarg};
	struct child c;
	int lfd, before, i = 4;

	need_bpf();
	need_fintrace();
	for (; *extra && i < 16; extra++)
		args[i++] = (char *)*extra;
	args[i] = NULL;
	lfd = listener(AF_INET, &lr->port);
	snprintf(portarg, sizeof(portarg), "%u", lr->port);
	c = spawn_server(lfd, comm, conns, SRV_LEAK, 0);
	lr->server = c.pid;
	/* clients after fintrace has started: the leak happens while traced */
	before = our_programs();
	lr->runner = connect_later(lr->port, conns, before);
	lr->nids = 0;
	lr->rc = run_traced(args, out, n, lr->ids, &lr->nids);
	waitpid(lr->runner, NULL, 0);
	reap(&c);
	close(lfd);
	cr_assert_geq(lr->nids, 3, "fintrace kernel did not attach");
}

Test(kernel, fintrace_kernel_reports_the_leak_and_detaches)
{
	static char out[65536];
	static const char *const args[] = {
		"--duration", "3500ms",	      "--linger",   "400ms",
		"--format",   "json",	      "--interval", "500ms",
		"--fail-on",  "never-closed", "--alert-each", NULL,
	};
	char pidpat[64];
	struct leak_run lr;

	leak_run("ftk-cmdleak", 2, args, out, sizeof(out), &lr);
	cr_assert_eq(lr.rc, 3, "exit %d (3: --fail-on hit)\n%s", lr.rc, out);
	snprintf(pidpat, sizeof(pidpat), "\"pid\":%d,\"comm\":\"ftk-cmdleak\"",
		 (int)lr.server);
	cr_assert(strstr(out, "\"type\":\"alert\",\"event\":\"linger\""),
		  "no alert:\n%s", out);
	cr_assert(strstr(out, pidpat), "no %s in:\n%s", pidpat, out);
	/* --alert-each: one alert per socket, and each names its socket as
	 * the report does (cookie, process, endpoints, never closed) */
	{
		char prog[2048];

		snprintf(prog, sizeof(prog),
			 "[.[] | select(.type==\"alert\")] as $a | "
			 "[.[] | select(.type==\"flow\" and .verdict == "
			 "\"never-closed\" and .passive == \"local\")] as $f | "
			 "($a | length) == 2 and ($f | length) == 2 and "
			 "($a | map(.cookie) | unique | length) == 2 and "
			 "($a | all(. as $x | .event == \"linger\" and "
			 ".mode == \"kernel\" and .group == \"process\" and "
			 ".pid == %d and .comm == \"ftk-cmdleak\" and "
			 ".service == \"127.0.0.1:%u\" and .count == 1 and "
			 ".passive == \"server\" and .close_wait >= 0.4 and "
			 ".close_wait < 1 and .linger == 0.4 and "
			 "($f | any(.cookie == $x.cookie and .netns == "
			 "$x.netns and .pid == $x.pid and .local == "
			 "\"server\" and .server == $x.server and .client == "
			 "$x.client))))",
			 (int)lr.server, lr.port);
		cr_assert(jq_holds(out, prog),
			  "alerts and sockets disagree:\n%s", out);
	}
	cr_assert(strstr(out, "{\"type\":\"process\"") &&
			  strstr(out, "\"in_close_wait_at_end\":2"),
		  "no process line with 2 in CLOSE_WAIT:\n%s", out);
	cr_assert(strstr(out, "\"type\":\"summary\""), "%s", out);
	cr_assert(strstr(out, "\"lost_events\":0"), "%s", out);
	cr_assert(strstr(out, "\"type\":\"service\""), "%s", out);
	cr_assert(programs_gone(lr.ids, lr.nids),
		  "BPF programs still loaded after fintrace exited");
}

/*
 * --all on a server that never closes, its clients on this host closing
 * first: each of the 6 sockets is listed once (a client's socket, an
 * orphan in FIN_WAIT2 at the end, was listed twice: at its close, and
 * again as the timewait sock that took over under another cookie), the
 * clients' with the process that connected them, and the headline
 * counts 3 connections, not the 6 sockets of both ends. The server's
 * process row has the service's CLOSE_WAIT timeline, and its peak of 3
 * when the last of them entered CLOSE_WAIT, though its owner may be found
 * (from /proc) only once a socket is past --linger: its count goes back
 * to when each socket entered CLOSE_WAIT. A run in which the kernel lost
 * records is tried again, at most twice.
 */
Test(kernel, fintrace_kernel_all_lists_each_end_of_a_leak_once)
{
	static char out[65536];
	static const char *const args[] = {"--duration", "3s", "--linger",
					   "400ms", "--all", "--format",
					   "json", NULL};
	char prog[1536];
	struct leak_run lr;
	int run;

	for (run = 1; run <= 3; run++) {
		leak_run("ftk-allleak", 3, args, out, sizeof(out), &lr);
		cr_assert_eq(lr.rc, 0, "exit %d\n%s", lr.rc, out);
		if (jq_holds(out, "[.[] | select(.type == \"summary\")][0] | "
				  ".lost_events == 0"))
			break;
		fprintf(stderr, "run %d lost records; again\n", run);
	}
	cr_assert_leq(run, 3, "records lost in 3 runs:\n%s", out);
	snprintf(prog, sizeof(prog),
		 "[.[] | select(.type == \"flow\")] as $f | "
		 "[.[] | select(.type == \"summary\")][0] as $s | "
		 "($f | length) == 6 and ($f | map(.cookie) | unique | length) "
		 "== 6 and ([$f[] | select(.local == \"client\" and .verdict "
		 "== \"clean\" and .state == \"FIN_WAIT2\" and .pid == %d)] "
		 "| length) == 3 and ([$f[] | select(.local == \"server\" and "
		 ".verdict == \"never-closed\" and .pid == %d)] | length) == 3 "
		 "and $s.flows == 6 and ($s.headline | startswith(\"server "
		 "127.0.0.1:%u never closed 3 of 3 connections after the "
		 "client closed\")) and "
		 "([.[] | select(.type == \"process\" and .pid == %d)][0]) "
		 "as $p | ([.[] | select(.type == \"service\")][0]) as $v | "
		 "$p.peak_close_wait == 3 and $p.timeline == $v.timeline and "
		 "$p.peak_offset == ([$f[] | select(.local == \"server\") | "
		 ".close_wait_start_offset] | max)",
		 (int)lr.runner, (int)lr.server, lr.port, (int)lr.server);
	cr_assert(jq_holds(out, prog),
		  "not each socket once, or not 3 connections:\n%s", out);
}

/*
 * The first number after the start of the line that begins with head in
 * the text report buf, and the one after it; 0 when not found.
 */
static int row_counts(const char *buf, const char *head, unsigned long *a,
		      unsigned long *b)
{
	const char *p = buf;
	size_t n = strlen(head);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, head, n) && (p[n] == ' ' || p[n] == '\t'))
			return sscanf(p + n, "%lu %lu", a, b) == 2;
	return 0;
}

/* The text report out has a row head of socks sockets, clean clean. */
static void expect_row(const char *out, const char *head,
		       unsigned long socks, unsigned long clean)
{
	unsigned long s = 0, c = 0;

	cr_assert(row_counts(out, head, &s, &c), "no row %s:\n%s", head, out);
	cr_assert(s == socks && c == clean,
		  "%s: %lu sockets, %lu clean, not %lu and %lu\n%s", head, s,
		  c, socks, clean, out);
}

/*
 * fintrace kernel --duration 3s --port PORT, then the args extra (NULL
 * ended, at most 6), while 40 clients connect to PORT on loopback and
 * close, and a server named comm reads each connection to its end and
 * closes it at once; with stall, fintrace is stopped (SIGSTOP) until
 * they are done. Its stdout into out (n bytes), the port into *port; it
 * must exit 0. Skips without BPF or a built fintrace.
 */
static void clean_run(const char *comm, const char *const *extra, int stall,
		      char *out, size_t n, uint16_t *port, pid_t *server)
{
	char portarg[16];
	char *args[14] = {"fintrace", "kernel", "--duration", "3s", "--port",
			  portarg};
	struct child c;
	uint32_t ids[64];
	int lfd, rc, before, nids = 0, i = 6, out_fd;
	pid_t runner, ft;

	need_bpf();
	need_fintrace();
	for (; *extra && i < 12; extra++)
		args[i++] = (char *)*extra;
	args[i] = NULL;
	lfd = listener(AF_INET, port);
	snprintf(portarg, sizeof(portarg), "%u", *port);
	c = spawn_server(lfd, comm, 40, SRV_LATE, 0);
	*server = c.pid;
	before = our_programs();
	runner = connect_later(*port, 40, before);
	ft = start_traced(args, &out_fd, ids, &nids);
	if (stall) {
		/* the connections come and go while fintrace reads nothing */
		kill(ft, SIGSTOP);
		waitpid(runner, NULL, 0);
		wait_child(NULL, &c);
		usleep(200000); /* the last ACKs */
		kill(ft, SIGCONT);
	}
	rc = end_traced(ft, out_fd, out, n);
	waitpid(runner, NULL, 0);
	reap(&c);
	close(lfd);
	cr_assert_geq(nids, 3, "fintrace kernel did not attach");
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, out);
}

/*
 * clean_run() until the JSON summary's cond (a jq expression) holds, at
 * most 3 times: a run can lose kernel records whatever fintrace does
 * (the kernel skips a hook's run on a CPU where it is already running;
 * the summary says so, lost_skipped_runs), and such a run cannot list,
 * or even count, every socket. A NULL cond is for a text report: the
 * run must say that it lost no kernel record.
 */
static void clean_run_whole(const char *comm, const char *const *extra,
			    int stall, char *out, size_t n, uint16_t *port,
			    pid_t *server, const char *cond)
{
	static const char whole[] = "lost_events 0,";
	char prog[256] = "";

	if (cond)
		snprintf(prog, sizeof(prog),
			 "[.[] | select(.type == \"summary\")][0] | %s",
			 cond);
	for (int run = 1; run <= 3; run++) {
		clean_run(comm, extra, stall, out, n, port, server);
		if (cond ? jq_holds(out, prog) : strstr(out, whole) != NULL)
			return;
		fprintf(stderr, "run %d: %s does not hold; again\n", run,
			cond ? cond : whole);
	}
	cr_assert_fail("%s held in none of 3 runs:\n%s", cond ? cond : whole,
		       out);
}

/*
 * Clean ends are counted in the kernel, not sent one by one: the text
 * report still counts every one of them, in its headline, its service
 * and process rows and its socket line, as `ss` would have seen them. A
 * run in which the kernel skipped hook runs cannot: it is tried again.
 */
Test(kernel, fintrace_kernel_report_counts_clean_ends)
{
	static char out[65536];
	static const char *const none[] = {NULL};
	char row[64];
	uint16_t port;
	pid_t srv;

	clean_run_whole("ftk-clean", none, 0, out, sizeof(out), &port, &srv,
			NULL);
	cr_assert(strstr(out, "no leak: every passive side closed within 5s "
			      "(80 sockets, 80 clean, 0 reset, 0 still open)"),
		  "headline without the 80 clean sockets:\n%s", out);
	cr_assert(strstr(out, "\nsockets  80, 80 clean\n"), "%s", out);
	cr_assert(strstr(out, "kernel   sockets 80,"), "%s", out);
	snprintf(row, sizeof(row), "127.0.0.1:%u", port);
	expect_row(out, row, 80, 80);
	snprintf(row, sizeof(row), "pid %d (ftk-clean)", (int)srv);
	expect_row(out, row, 40, 40);
}

/*
 * --all lists every socket: the clean ends come as records then, each a
 * flow line, and are not counted twice. A run in which the kernel lost
 * records (it says so, by cause) cannot list them all: such a run is
 * tried again, at most twice.
 */
Test(kernel, fintrace_kernel_all_lists_clean_ends)
{
	static char out[262144];
	static const char *const all[] = {"--all", "--format", "json", NULL};
	char prog[512];
	uint16_t port;
	pid_t srv;

	clean_run_whole("ftk-clall", all, 0, out, sizeof(out), &port, &srv,
			".lost_events == 0");
	snprintf(prog, sizeof(prog),
		 "([.[] | select(.type == \"flow\" and .verdict == \"clean\" "
		 "and .server == \"127.0.0.1:%u\")] | length) == 80 and "
		 "([.[] | select(.type == \"summary\")][0] | .flows == 80 "
		 "and .verdicts.clean == 80)",
		 port);
	cr_assert(jq_holds(out, prog), "not 80 clean sockets listed once:\n%s",
		  out);
}

/*
 * --all with a ring too small for a burst that comes while fintrace reads
 * nothing: the records are lost, told by cause (the ring was full), and
 * each lost clean end is still counted in the kernel, so the totals and
 * the service row hold every socket.
 */
Test(kernel, fintrace_kernel_all_counts_clean_ends_it_cannot_list)
{
	static char out[262144];
	static const char *const all[] = {"--all", "--format", "json",
					  "--ringbuf-size", "4096", NULL};
	char prog[768];
	uint16_t port;
	pid_t srv;

	/* runs the kernel skipped count nothing: such a run is tried again */
	clean_run_whole("ftk-clstall", all, 1, out, sizeof(out), &port, &srv,
			"(.lost_skipped_runs // 0) == 0");
	snprintf(prog, sizeof(prog),
		 "([.[] | select(.type == \"flow\")] | length) as $listed | "
		 "[.[] | select(.type == \"summary\")][0] as $s | "
		 "$listed < 80 and $s.flows == 80 and $s.verdicts.clean == 80 "
		 "and $s.lost_events > 0 and $s.lost_ring_full + "
		 "$s.lost_refused == $s.lost_events and $s.lost_ring_full > 0 "
		 "and $s.events == $listed and "
		 "$s.events + $s.lost_events == 80 and "
		 "([.[] | select(.type == \"service\" and .service == "
		 "\"127.0.0.1:%u\")][0] | .flows == 80)",
		 port);
	cr_assert(jq_holds(out, prog),
		  "lost clean ends not counted, or not told:\n%s", out);
}

/*
 * --local-time: the text report's and the alert lines' times carry the
 * offset of TZ (Asia/Kolkata: +05:30, no daylight saving) and no UTC
 * time is left in them; the JSON report of the same run stays UTC.
 */
Test(kernel, fintrace_kernel_local_time_in_text_only)
{
	static char out[65536];
	char portarg[16], jpath[] = "/tmp/ftk-localtime-XXXXXX", *json;
	struct child c;
	uint16_t port;
	int lfd, rc, before, jfd;
	pid_t runner;
	FILE *jf;
	long n;

	need_bpf();
	need_fintrace();
	jfd = mkstemp(jpath);
	cr_assert_geq(jfd, 0);
	close(jfd);
	lfd = listener(AF_INET, &port);
	snprintf(portarg, sizeof(portarg), "%u", port);
	c = spawn_server(lfd, "ftk-localtime", 2, SRV_LEAK, 0);
	before = our_programs();
	runner = connect_later(port, 2, before);
	setenv("TZ", "Asia/Kolkata", 1);
	{
		char dir[64];
		/* the pack's report.json: the same run in JSON */
		char *const args[] = {
			"fintrace",   "kernel",	  "--duration", "2500ms",
			"--linger",   "400ms",	  "--port",	portarg,
			"--interval", "500ms",	  "--no-progress",
			"--local-time", "--evidence", dir, NULL,
		};

		snprintf(dir, sizeof(dir), "%s.d/", jpath);
		rc = run_fintrace(FINTRACE, args, out, sizeof(out), 0, 1);
		snprintf(dir, sizeof(dir), "%s.d/report.json", jpath);
		jf = fopen(dir, "r");
	}
	waitpid(runner, NULL, 0);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, out);
	cr_assert(strstr(out, "\ntraced   20") &&
			  strstr(out, "+05:30, "),
		  "no local capture time:\n%s", out);
	cr_assert(strstr(out, "fintrace kernel: ALERT 20") &&
			  strstr(strstr(out, "ALERT 20"), "+05:30 pid"),
		  "no local alert time:\n%s", out);
	/* a kernel report's time is the trace's: no capture here */
	cr_assert(strstr(out, "\n    CLOSE_WAIT over the trace: ") &&
			  !strstr(out, "capture"),
		  "a sparkline not over the trace:\n%s", out);
	cr_assert_null(strstr(out, "Z "), "a UTC time in the text:\n%s", out);
	cr_assert_null(strstr(out, "Z,"), "a UTC time in the text:\n%s", out);
	cr_assert_not_null(jf, "no report.json in the pack:\n%s", out);
	fseek(jf, 0, SEEK_END);
	n = ftell(jf);
	rewind(jf);
	json = calloc(1, (size_t)n + 1);
	cr_assert_not_null(json);
	cr_assert_eq(fread(json, 1, (size_t)n, jf), (size_t)n);
	fclose(jf);
	cr_assert(strstr(json, "\"type\":\"summary\"") &&
			  strstr(json, "Z\",\"end\":\"20"),
		  "the JSON is not in UTC:\n%s", json);
	cr_assert_null(strstr(json, "+05:30"), "%s", json);
	free(json);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s %s.d", jpath, jpath);
		cr_assert_eq(system(cmd), 0);
	}
	reap(&c);
	close(lfd);
}

/*
 * 50 sockets of one process cross --linger together: one grouped alert
 * line for the process and its service, with the exact count, while
 * tracing; nothing more in the following intervals.
 */
Test(kernel, fintrace_kernel_groups_many_leaks_in_one_alert)
{
	static char out[1 << 20];
	char portarg[16], prog[1024];
	struct child c;
	uint16_t port;
	int lfd, rc, before;
	pid_t runner;

	need_bpf();
	need_fintrace();
	before = our_programs();
	lfd = listener(AF_INET, &port);
	snprintf(portarg, sizeof(portarg), "%u", port);
	c = spawn_server(lfd, "ftk-many", 50, SRV_LEAK, 0);
	runner = fork();
	cr_assert_geq(runner, 0);
	if (runner == 0) {
		int fds[50];

		wait_traced(before);
		for (int i = 0; i < 50; i++)
			fds[i] = connect_to(port, 0);
		usleep(300000); /* all accepted: the owner is known */
		for (int i = 0; i < 50; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		_exit(0);
	}
	{
		char *const args[] = {
			"fintrace", "kernel", "--duration", "5s",
			"--linger", "400ms",  "--port",	    portarg,
			"--format", "json",   "--interval", "1s",
			NULL,
		};

		rc = run_fintrace(FINTRACE, args, out, sizeof(out), 0, 0);
	}
	waitpid(runner, NULL, 0);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, out);
	snprintf(prog, sizeof(prog),
		 "[.[] | select(.type==\"alert\")] as $a | "
		 "($a | length) == 1 and $a[0].event == \"linger\" and "
		 "$a[0].mode == \"kernel\" and $a[0].group == \"process\" "
		 "and $a[0].pid == %d and $a[0].comm == \"ftk-many\" and "
		 "$a[0].service == \"127.0.0.1:%u\" and $a[0].count == 50 "
		 "and $a[0].in_close_wait == 50 and $a[0].oldest >= 0.4 and "
		 "$a[0].oldest < 1 and $a[0].cookie == null and "
		 "([.[] | select(.type == \"flow\" and .verdict == "
		 "\"never-closed\" and .pid == %d)] | length == 50)",
		 (int)c.pid, port, (int)c.pid);
	cr_assert(jq_holds(out, prog), "not one alert for the 50:\n%s", out);
	reap(&c);
	close(lfd);
}

/*
 * The vendor's HTML report names the process that leaks: rendered by
 * headless Chromium, the process table's row and the worst sockets show
 * its pid and command with the exact count.
 */
Test(kernel, fintrace_kernel_report_names_the_leaking_process)
{
	static char out[65536], dom[1 << 20];
	char portarg[16], html[64], cmd[256], row[160], own[64];
	struct child c;
	uint16_t port;
	int lfd, rc;
	pid_t runner;
	FILE *p;
	size_t n;

	need_bpf();
	need_fintrace();
	lfd = listener(AF_INET, &port);
	snprintf(portarg, sizeof(portarg), "%u", port);
	snprintf(html, sizeof(html), "/tmp/ftk-report-%d.html", (int)getpid());
	c = spawn_server(lfd, "ftk-htmleak", 3, SRV_LEAK, 0);
	runner = connect_later(port, 3, our_programs());
	{
		char *const args[] = {
			"fintrace", "kernel",  "--duration", "2500ms",
			"--linger", "400ms",   "--port",     portarg,
			"--report", html,      "--format",   "json",
			NULL,
		};

		rc = run_fintrace(FINTRACE, args, out, sizeof(out), 0, 0);
	}
	waitpid(runner, NULL, 0);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, out);
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 chromium --headless --no-sandbox --disable-gpu "
		 "--dump-dom file://%s 2>/dev/null",
		 html);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(dom, 1, sizeof(dom) - 1, p);
	dom[n] = '\0';
	cr_assert_eq(pclose(p), 0, "chromium failed on %s", html);
	unlink(html);
	snprintf(own, sizeof(own), "pid %d (ftk-htmleak)", (int)c.pid);
	/* the process row: name, sockets, never closed */
	snprintf(row, sizeof(row),
		 "<td class=\"name mono\">%s</td><td class=\"n\">3</td><td "
		 "class=\"n\">3</td>",
		 own);
	cr_assert(strstr(dom, row), "no row \"%s\" in:\n%s", row, dom);
	{
		const char *h = strstr(dom, "id=\"headline\""), *e, *w;

		cr_assert_not_null(h, "%s", dom);
		e = strstr(h, "</");
		w = strstr(h, own);
		cr_assert(w && w < e, "the headline does not name %s", own);
	}
	snprintf(row, sizeof(row), "<td class=\"n\">%s</td>", own);
	cr_assert(strstr(dom, row), "worst sockets lack %s", own);
	reap(&c);
	close(lfd);
}

/*
 * --snapshot-every in kernel mode: a process named ftk-snapleak accepts
 * 4 connections on loopback and never closes them. Every second a line
 * of JSON goes to the --snapshot-file (the report to -o): at least two
 * lines, each one valid JSON object of type "snapshot", the last with
 * exactly 4 sockets in CLOSE_WAIT on the service and under the leaking
 * process, named by pid and command.
 */
Test(kernel, fintrace_kernel_snapshots_name_the_leaking_process)
{
	static char out[65536];
	char portarg[16], snaps[64], report[64], prog[1024], cmd[256];
	struct child c;
	uint16_t port;
	int lfd, rc;
	pid_t runner;

	need_bpf();
	need_fintrace();
	lfd = listener(AF_INET, &port);
	snprintf(portarg, sizeof(portarg), "%u", port);
	snprintf(snaps, sizeof(snaps), "/tmp/ftk-snaps-%d.jsonl", (int)getpid());
	snprintf(report, sizeof(report), "/tmp/ftk-snaprep-%d.json",
		 (int)getpid());
	unlink(snaps);
	c = spawn_server(lfd, "ftk-snapleak", 4, SRV_LEAK, 0);
	runner = connect_later(port, 4, our_programs());
	{
		char *const args[] = {
			"fintrace", "kernel", "--duration", "3500ms",
			"--linger", "400ms", "--port", portarg,
			"--format", "json", "-o", report,
			"--snapshot-every", "1s", "--snapshot-file", snaps,
			"--no-progress", NULL,
		};

		rc = run_fintrace(FINTRACE, args, out, sizeof(out), 0, 1);
	}
	waitpid(runner, NULL, 0);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, out);
	cr_assert_str_eq(out, "", "nothing on standard output or stderr");
	/* one object per line, every line parses on its own */
	snprintf(cmd, sizeof(cmd),
		 "test \"$(jq -c . %s | wc -l)\" = \"$(wc -l < %s)\"", snaps,
		 snaps);
	cr_assert_eq(system(cmd), 0, "not one JSON object per line");
	snprintf(prog, sizeof(prog),
		 "jq -e -s 'length >= 2 and all(.type == \"snapshot\" and "
		 ".mode == \"kernel\" and .span > 0) and "
		 "last.in_close_wait == 4 and "
		 "([last.services[] | select(.service == \"127.0.0.1:%u\")] "
		 "| length == 1 and .[0].in_close_wait == 4) and "
		 "([last.processes[] | select(.pid == %d and .comm == "
		 "\"ftk-snapleak\")] | length == 1 and .[0].in_close_wait == "
		 "4)' %s >/dev/null",
		 port, (int)c.pid, snaps);
	rc = system(prog);
	if (rc) {
		FILE *f = fopen(snaps, "r");
		size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;

		out[n] = '\0';
		if (f)
			fclose(f);
	}
	cr_assert_eq(rc, 0, "snapshots:\n%s", out);
	unlink(snaps);
	unlink(report);
	reap(&c);
	close(lfd);
}

Test(kernel, fintrace_kernel_without_privileges_says_what_is_missing)
{
	static char out[4096];
	char dir[] = "/tmp/ftk-binXXXXXX", bin[64], cmd[256];
	char *const args[] = {"fintrace", "kernel", "--duration", "1s", NULL};
	int rc;

	need_bpf();
	need_fintrace();
	/* a copy that an unprivileged user can reach, wherever the build is */
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(bin, sizeof(bin), "%s/fintrace", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && chmod 755 %s", FINTRACE, bin,
		 bin);
	cr_assert_eq(sh(cmd), 0);
	rc = run_fintrace(bin, args, out, sizeof(out), 65534, 1);
	unlink(bin);
	rmdir(dir);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "needs root"), "%s", out);
	cr_assert(strstr(out, "fintrace live"), "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1,
		     "not one line: %s", out);
}

Test(kernel, library_detaches_on_free)
{
	struct mon *m;
	uint32_t ids[64];
	int n;

	need_bpf();
	cr_assert_eq(held_programs(getpid(), ids, 64), 0);
	m = start(1, MS(300), NULL);
	n = held_programs(getpid(), ids, 64);
	cr_assert_geq(n, 3, "programs held: %d", n);
	mon_free(m);
	cr_assert(programs_gone(ids, n));
	cr_assert_eq(held_programs(getpid(), ids, 64), 0);
}

/* ---- TIME_WAIT pressure ---- */

struct tw_alerts {
	int n;
	uint64_t count;
	double share;
	uint16_t port;
};

static void on_tw_alert(void *ctx, const struct tw_alert *a)
{
	struct tw_alerts *t = ctx;

	t->n++;
	t->count = a->count;
	t->share = a->share;
	t->port = a->port;
}

Test(kernel, time_wait_pressure_with_a_given_port_range)
{
	struct tw_alerts ta = {0};
	struct mon_opts o;
	struct mon *m;
	char err[FT_ERRBUF_SIZE], *buf = NULL;
	size_t len = 0;
	FILE *f;
	/* below the ephemeral range (32768-60999): no socket of another
	 * test (a churn's TIME_WAIT clients) holds these ports */
	uint16_t port, lo = (uint16_t)(21000 + (getpid() % 1000) * 10), got;
	uint64_t peak = 0;
	int lfd, fd, sfd, i, made = 0;

	need_bpf();
	lfd = listener(AF_INET, &port);
	memset(&o, 0, sizeof(o));
	o.trc.port = port;
	o.linger_ns = MS(300);
	o.tw_sample_ns = MS(100);
	o.port_lo = lo;
	o.port_hi = (uint16_t)(lo + 9);
	o.tw_share_pct = 50;
	o.on_tw_alert = on_tw_alert;
	o.ctx = &ta;
	m = mon_new(&o, err);
	cr_assert_not_null(m, "%s", err);
	cr_assert_eq(mon_port_range(m, &lo, &got), 0, "not the given range");
	cr_assert_eq(got, lo + 9);
	/* ten clients, bound to the ten ports, close first: TIME_WAIT */
	for (i = 0; i < 10; i++) {
		fd = connect_to(port, (uint16_t)(lo + i));
		if (fd < 0)
			continue;
		sfd = accept(lfd, NULL, NULL);
		close(fd);
		if (sfd >= 0) {
			read_to_eof(sfd);
			close(sfd);
		}
		made++;
	}
	cr_assert_geq(made, 8, "only %d connections", made);
	pump(m, 500);
	cr_assert_eq(ta.n, 1, "time-wait-pressure alerts: %d", ta.n);
	cr_assert_geq(ta.count, 5);
	cr_assert_eq(ta.port, port);
	cr_assert_geq(mon_time_wait(m, &peak), (uint64_t)made);
	cr_assert_eq(peak, (uint64_t)made);
	mon_finish(m);
	cr_assert_eq(ta.n, 1, "alerted again: %d", ta.n);
	f = open_memstream(&buf, &len);
	cr_assert_eq(tw_write(mon_tw(m), f, RPT_JSON, 0), 1);
	fclose(f);
	cr_assert(strstr(buf, "\"verdict\":\"client 127.0.0.1 held "), "%s",
		  buf);
	free(buf);
	mon_free(m);
	close(lfd);
}

/*
 * The client namespace has 100 ephemeral ports; its client closes first
 * and reconnects every 10 ms, so connects fail with EADDRNOTAVAIL after
 * about 100. fintrace kernel, in the root namespace without --netns,
 * must count them like the kernel does and alert while it runs.
 */
#define FTPEER BUILD_DIR "/pcaps/ftpeer"
#define TW_C "10.78.0.1"
#define TW_S "10.78.0.2"

static struct {
	char nc[32], ns[32], dir[64];
	pid_t server, client, fintrace;
} twe;

static void tw_env_fini(void)
{
	pid_t *p[] = {&twe.client, &twe.server, &twe.fintrace};
	char cmd[160];

	for (size_t i = 0; i < 3; i++)
		if (*p[i] > 0) {
			kill(*p[i], SIGKILL);
			waitpid(*p[i], NULL, 0);
			*p[i] = 0;
		}
	if (twe.nc[0])
		netns_del(twe.nc);
	if (twe.ns[0])
		netns_del(twe.ns);
	if (twe.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", twe.dir);
		sh(cmd);
	}
	memset(&twe, 0, sizeof(twe));
}

/* Run argv in namespace ns (NULL: ours), stdout to out, stderr to err. */
static pid_t spawn_in(const char *ns, char *const argv[], const char *out,
		      const char *err)
{
	char path[64];
	pid_t pid = fork();
	int fd;

	cr_assert_geq(pid, 0);
	if (pid)
		return pid;
	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
			_exit(97);
		close(fd);
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		dup2(fd, STDOUT_FILENO);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	execv(argv[0], argv);
	_exit(98);
}

/* The whole file at path into buf (n bytes, NUL-terminated). */
static size_t slurp(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t len = 0;

	if (f) {
		len = fread(buf, 1, n - 1, f);
		fclose(f);
	}
	buf[len] = '\0';
	return len;
}

/* The line of buf holding every one of up to three strings, or NULL. */
static const char *line_with(const char *buf, const char *a, const char *b,
			     const char *c, char *line, size_t n)
{
	const char *p = buf, *e;
	size_t len;

	while (*p) {
		e = strchr(p, '\n');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len < n) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (strstr(line, a) && (!b || strstr(line, b)) &&
			    (!c || strstr(line, c)))
				return line;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return NULL;
}

/* The number after "key": in line, or -1. */
static double json_num(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* TIME_WAIT sockets the kernel counts in namespace ns (ss: sock_diag). */
static int ss_time_wait(const char *ns)
{
	char cmd[160];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s ss -Htan state time-wait | wc -l", ns);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static void need_ftpeer(void)
{
	if (access(FTPEER, X_OK) == 0)
		return;
	if (in_ci())
		cr_assert_fail("%s was not built (target ftpeer)", FTPEER);
	cr_skip_test("%s was not built (target ftpeer)", FTPEER);
}

Test(kernel, fintrace_kernel_sees_a_client_run_out_of_ports,
     .fini = tw_env_fini)
{
	static char out[1 << 20], errs[65536], clog[65536];
	char cmd[1024], portarg[16], listen[32], target[32], svc[48];
	char fout[96], ferr[96], slog[96], serr[96], clogp[96], cerr[96];
	char line[4096], pat[64], *ok;
	const char *tw, *al, *sum;
	uint16_t port = (uint16_t)(19100 + getpid() % 500);
	uint64_t end;
	int st, kpeak = 0, n, alert_live = 0, failed = 0, i;
	double peak, share;

	need_bpf();
	need_fintrace();
	need_ftpeer();
	snprintf(twe.nc, sizeof(twe.nc), "ftk2-twc%d", (int)getpid());
	snprintf(twe.ns, sizeof(twe.ns), "ftk2-tws%d", (int)getpid());
	netns_del(twe.nc);
	netns_del(twe.ns);
	snprintf(twe.dir, sizeof(twe.dir), "/tmp/ftk2-tw%d", (int)getpid());
	mkdir(twe.dir, 0700);
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %1$s && ip netns add %2$s && "
		 "ip -n %1$s link set lo up && ip -n %2$s link set lo up && "
		 "ip -n %1$s link add ftk2c type veth peer name ftk2s netns "
		 "%2$s && "
		 "ip -n %1$s addr add " TW_C "/24 dev ftk2c && "
		 "ip -n %2$s addr add " TW_S "/24 dev ftk2s && "
		 "ip -n %1$s link set ftk2c up && ip -n %2$s link set ftk2s up "
		 "&& "
		 "ip netns exec %1$s sysctl -qw "
		 "net.ipv4.ip_local_port_range='40000 40099'",
		 twe.nc, twe.ns);
	cr_assert_eq(sh(cmd), 0, "cannot set up namespaces %s and %s", twe.nc,
		     twe.ns);
	snprintf(fout, sizeof(fout), "%s/fintrace.json", twe.dir);
	snprintf(ferr, sizeof(ferr), "%s/fintrace.err", twe.dir);
	snprintf(slog, sizeof(slog), "%s/server.log", twe.dir);
	snprintf(serr, sizeof(serr), "%s/server.err", twe.dir);
	snprintf(clogp, sizeof(clogp), "%s/client.log", twe.dir);
	snprintf(cerr, sizeof(cerr), "%s/client.err", twe.dir);
	snprintf(portarg, sizeof(portarg), "%u", port);
	snprintf(listen, sizeof(listen), TW_S ":%u", port);
	snprintf(target, sizeof(target), TW_S ":%u", port);
	snprintf(svc, sizeof(svc), "\"service\":\"" TW_S ":%u\"", port);

	{
		char *const a[] = {FTPEER,	   "server", "-l",	listen,
				   "-n",	   "0",	     "--reply", "64",
				   "--exit-after", "20",     "-v",	NULL};

		twe.server = spawn_in(twe.ns, a, slog, serr);
	}
	{
		char *const a[] = {FINTRACE,	 "kernel",     "--format",
				   "json",	 "-o",	       fout,
				   "--duration", "6s",	       "--interval",
				   "500ms",	 "--progress", "--port",
				   portarg,	 NULL};

		twe.fintrace = spawn_in(NULL, a, "/dev/null", ferr);
	}
	/* both ready: the server listens, fintrace printed a status line */
	end = now_ns() + MS(5000);
	for (i = 0; i < 1000 && now_ns() < end; i++) {
		slurp(slog, clog, sizeof(clog));
		slurp(ferr, errs, sizeof(errs));
		if (strstr(clog, " listen ") && strstr(errs, "in TIME_WAIT"))
			break;
		usleep(20000);
	}
	cr_assert(strstr(clog, " listen "), "server did not listen: %s", clog);
	cr_assert(strstr(errs, "in TIME_WAIT"), "no status line: %s", errs);

	{
		char *const a[] = {FTPEER,
				   "client",
				   "-c",
				   target,
				   "-n",
				   "130",
				   "--interval",
				   "10",
				   "--send",
				   "32",
				   "--close-after",
				   "20",
				   "--connect-timeout",
				   "1000",
				   "--exit-after",
				   "30",
				   "-v",
				   NULL};

		twe.client = spawn_in(twe.nc, a, clogp, cerr);
	}
	/* the kernel's count while it runs, and fintrace's alert (bounded) */
	end = now_ns() + MS(8000);
	for (i = 0; i < 400 && now_ns() < end; i++) {
		n = ss_time_wait(twe.nc);
		if (n > kpeak)
			kpeak = n;
		if (!alert_live && waitpid(twe.fintrace, &st, WNOHANG) == 0 &&
		    slurp(fout, out, sizeof(out)) &&
		    strstr(out, "\"event\":\"time-wait-pressure\""))
			alert_live = 1;
		if (twe.client > 0 &&
		    waitpid(twe.client, &st, WNOHANG) == twe.client) {
			twe.client = 0;
			end = now_ns() + MS(1200);
		}
		usleep(50000);
	}
	cr_assert_eq(twe.client, 0, "client still running after 8 s");
	cr_assert_eq(waitpid(twe.fintrace, &st, 0), twe.fintrace);
	twe.fintrace = 0;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fintrace: %d\n%s", st,
		  slurp(ferr, errs, sizeof(errs)) ? errs : "");
	slurp(fout, out, sizeof(out));
	slurp(clogp, clog, sizeof(clog));
	for (ok = clog; (ok = strstr(ok, "err=EADDRNOTAVAIL")); ok++)
		failed++;
	cr_assert_gt(failed, 0, "no connect failed: %s", clog);
	cr_assert_geq(kpeak, 95, "the kernel counted only %d", kpeak);

	tw = line_with(out, "\"type\":\"timewait\"", "\"client\":\"" TW_C "\"",
		       svc, line, sizeof(line));
	cr_assert_not_null(tw, "no timewait line for " TW_C " -> %s in:\n%s",
			   target, out);
	peak = json_num(tw, "peak");
	share = json_num(tw, "share");
	cr_log_info("TIME_WAIT peak: fintrace %.0f, kernel (ss) %d; %d "
		    "EADDRNOTAVAIL",
		    peak, kpeak, failed);
	cr_assert(peak >= kpeak - 3 && peak <= kpeak + 3,
		  "fintrace peak %.0f, kernel (ss) %d: %s", peak, kpeak, tw);
	cr_assert(share >= 0.97 && share <= 1.0, "share %f: %s", share, tw);
	cr_assert(strstr(tw, "\"port_range\":[40000,40099]"), "%s", tw);
	snprintf(pat, sizeof(pat), "\"netns\":%u", netns_ino(twe.nc));
	cr_assert(strstr(tw, pat), "not namespace %s (%s): %s", twe.nc, pat,
		  tw);
	cr_assert(strstr(tw, "\"verdict\":\"client " TW_C " held ") &&
			  strstr(tw, "toward " TW_S ":") &&
			  strstr(tw, "it is the active closer"),
		  "%s", tw);

	cr_assert(alert_live, "no alert while fintrace ran:\n%s", out);
	al = line_with(out, "\"event\":\"time-wait-pressure\"",
		       "\"client\":\"" TW_C "\"", svc, line, sizeof(line));
	cr_assert_not_null(al, "%s", out);
	cr_assert_geq(json_num(al, "count"), 50, "%s", al);
	cr_assert_geq(json_num(al, "share"), 0.5, "%s", al);
	cr_assert_eq(strstr(strstr(out, "\"event\":\"time-wait-pressure\"") + 1,
			    "\"event\":\"time-wait-pressure\""),
		     NULL, "more than one alert:\n%s", out);
	sum = line_with(out, "\"type\":\"summary\"", NULL, NULL, line,
			sizeof(line));
	cr_assert_not_null(sum, "%s", out);
	cr_assert_geq(json_num(sum, "time_wait_pressure"), 1, "%s", sum);
	cr_assert_geq(json_num(sum, "peak_time_wait"), peak, "%s", sum);
	/* the timewait lines come before the summary */
	cr_assert_lt(strstr(out, "\"type\":\"timewait\""),
		     strstr(out, "\"type\":\"summary\""));
}

/* ---- blame by side, connect failures, churn ---- */

/* Enter network namespace name (/run/netns); 0 or -1. */
static int enter_netns(const char *name)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/* Connect to addr:port (network order address) and close, n times. */
static int connect_close(uint32_t addr, uint16_t port, int n)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int i, fd, ok = 0;

	a.sin_addr.s_addr = addr;
	a.sin_port = htons(port);
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			ok++;
		close(fd);
	}
	return ok;
}

Test(kernel, server_that_never_closes_is_blamed_not_the_client_that_closed)
{
	const struct ks_sock **v;
	struct ks_totals tot;
	struct child c;
	struct mon *m;
	uint16_t port;
	long n, i, server = 0, client = 0;
	int lfd;

	need_bpf();
	lfd = listener(AF_INET, &port);
	m = start_keep(port, MS(300), NULL, 1);
	c = spawn_server(lfd, "ftk-blame", 8, SRV_LEAK, 0);
	cr_assert_eq(connect_close(htonl(INADDR_LOOPBACK), port, 8), 8);
	wait_child(m, &c);
	pump(m, 600);
	mon_finish(m);

	ks_totals(mon_table(m), mon_now_ns(), &tot);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 8, "never-closed %" PRIu64,
		     tot.verdicts[VD_NEVER_CLOSED]);
	/* each end once, the clients' closes clean */
	cr_assert_eq(tot.sockets, 16, "sockets %" PRIu64, tot.sockets);
	cr_assert_eq(tot.verdicts[VD_CLEAN], 8, "clean %" PRIu64,
		     tot.verdicts[VD_CLEAN]);
	n = ks_list(mon_table(m), &v);
	for (i = 0; i < n; i++) {
		if (v[i]->lport == port) {
			cr_assert_eq(v[i]->verdict, VD_NEVER_CLOSED);
			cr_assert_eq(v[i]->passive, KS_SIDE_LOCAL);
			cr_assert_eq(v[i]->owner_pid, (uint32_t)c.pid);
			server++;
		} else if (v[i]->rport == port) {
			/* FIN_WAIT2: it called close(); its peer is here */
			cr_assert_eq(v[i]->verdict, VD_CLEAN, "client %s",
				     vd_name(v[i]->verdict));
			cr_assert_eq(v[i]->passive, KS_SIDE_REMOTE);
			cr_assert_neq(v[i]->peer_cookie, 0);
			client++;
		}
	}
	free(v);
	cr_assert_eq(server, 8);
	cr_assert_eq(client, 8, "client sockets followed: %ld", client);
	cr_assert_eq(mon_lost(m), 0);
	mon_free(m);
	reap(&c);
	close(lfd);
}

static struct {
	char nc[32], ns[32];
} bl;

static void blame_env_fini(void)
{
	netns_del(bl.nc);
	netns_del(bl.ns);
}

#define BL_C "10.79.0.1"
#define BL_S "10.79.0.2"

/* In bl.ns: listen on BL_S:*port, say so, read 6 connections to EOF. */
static uint64_t remote_server(void *arg, int ready)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	uint16_t port = *(uint16_t *)arg;
	int lfd, one = 1, conns[6], k;
	uint64_t zero = 0;

	if (enter_netns(bl.ns))
		_exit(2);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, BL_S, &a.sin_addr);
	a.sin_port = htons(port);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 16))
		_exit(3);
	if (write(ready, &zero, sizeof(zero)) < 0)
		_exit(4);
	for (k = 0; k < 6; k++)
		conns[k] = accept(lfd, NULL, NULL);
	for (k = 0; k < 6; k++)
		read_to_eof(conns[k]);
	return 0;
}

/*
 * In bl.nc: a connect nobody answers, then one with no ephemeral port
 * left. Returns the first errno << 32 | the second's.
 */
static uint64_t connect_failures(void *arg, int ready)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int lfd, fd1, fd2, one = 1, e1, e2;

	(void)ready;
	if (enter_netns(bl.nc))
		_exit(2);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(*(uint16_t *)arg);
	/* nobody listens: refused */
	fd1 = socket(AF_INET, SOCK_STREAM, 0);
	e1 = connect(fd1, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	close(fd1);
	/* one ephemeral port, taken: the second connect fails here */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4))
		_exit(3);
	fd1 = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd1, (struct sockaddr *)&a, sizeof(a)))
		_exit(4);
	fd2 = socket(AF_INET, SOCK_STREAM, 0);
	e2 = connect(fd2, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	close(fd2);
	return (uint64_t)e1 << 32 | (uint32_t)e2;
}

Test(kernel, remote_that_never_closes_is_named_from_the_client_namespace,
     .fini = blame_env_fini)
{
	char cmd[768];
	const struct ks_sock **v;
	struct ks_totals tot;
	struct ks_agg *g;
	struct mon_opts o;
	struct mon *mo;
	char err[FT_ERRBUF_SIZE];
	struct child srv;
	uint16_t port = (uint16_t)(21000 + getpid() % 500);
	long n, i, remote = 0, k;
	int got;
	pid_t cli;

	need_bpf();
	snprintf(bl.nc, sizeof(bl.nc), "ftk-blc%d", (int)getpid());
	snprintf(bl.ns, sizeof(bl.ns), "ftk-bls%d", (int)getpid());
	blame_env_fini();
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %1$s && ip netns add %2$s && "
		 "ip -n %1$s link set lo up && ip -n %2$s link set lo up && "
		 "ip -n %1$s link add ftkbc type veth peer name ftkbs netns "
		 "%2$s && "
		 "ip -n %1$s addr add " BL_C "/24 dev ftkbc && "
		 "ip -n %2$s addr add " BL_S "/24 dev ftkbs && "
		 "ip -n %1$s link set ftkbc up && ip -n %2$s link set ftkbs up",
		 bl.nc, bl.ns);
	cr_assert_eq(sh(cmd), 0, "cannot set up namespaces %s and %s", bl.nc,
		     bl.ns);

	/* the server, in its namespace: reads to EOF, never closes */
	srv = spawn_fn("ftk-rsrv", remote_server, &port);
	wait_child(NULL, &srv); /* listening */

	/* fintrace sees only the client's namespace */
	memset(&o, 0, sizeof(o));
	o.trc.netns = netns_ino(bl.nc);
	o.trc.port = port;
	o.linger_ns = MS(300);
	o.tw_sample_ns = MS(200);
	mo = mon_new(&o, err);
	cr_assert_not_null(mo, "%s", err);

	cli = fork();
	cr_assert_geq(cli, 0);
	if (cli == 0) {
		uint32_t addr;

		alarm(30);
		prctl(PR_SET_NAME, "ftk-rcli", 0, 0, 0);
		if (enter_netns(bl.nc))
			_exit(2);
		inet_pton(AF_INET, BL_S, &addr);
		got = connect_close(addr, port, 6);
		_exit(got == 6 ? 0 : 1);
	}
	wait_child(mo, &srv); /* the server has read every EOF */
	pump(mo, 700);
	mon_finish(mo);
	waitpid(cli, &got, 0);
	cr_assert(WIFEXITED(got) && WEXITSTATUS(got) == 0, "client failed");

	ks_totals(mon_table(mo), mon_now_ns(), &tot);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 6, "never-closed %" PRIu64,
		     tot.verdicts[VD_NEVER_CLOSED]);
	/* the kernel's clean count of each close moved to its verdict */
	cr_assert_eq(tot.sockets, 6, "sockets %" PRIu64, tot.sockets);
	cr_assert_eq(tot.verdicts[VD_CLEAN], 0);
	n = ks_list(mon_table(mo), &v);
	for (i = 0; i < n; i++) {
		cr_assert_eq(v[i]->netns, netns_ino(bl.nc));
		if (v[i]->verdict != VD_NEVER_CLOSED)
			continue;
		/* the client's socket: the remote end never closed */
		cr_assert_eq(v[i]->rport, port);
		cr_assert_eq(v[i]->passive, KS_SIDE_REMOTE);
		cr_assert_eq(v[i]->peer_cookie, 0);
		remote++;
	}
	free(v);
	cr_assert_eq(remote, 6);
	/* counted under the remote service, not under a process */
	n = ks_groups(mon_table(mo), KS_BY_SERVICE, mon_now_ns(), &g);
	for (i = 0, k = 0; i < n; i++)
		if (g[i].port == port && g[i].role == KS_ROLE_CLIENT)
			k += g[i].verdicts[VD_NEVER_CLOSED];
	free(g);
	cr_assert_eq(k, 6, "under the service %s:%u: %ld", BL_S, port, k);
	n = ks_groups(mon_table(mo), KS_BY_PROCESS, mon_now_ns(), &g);
	for (i = 0; i < n; i++)
		cr_assert_eq(g[i].verdicts[VD_NEVER_CLOSED], 0,
			     "never-closed under pid %u", g[i].pid);
	free(g);
	cr_assert_eq(mon_lost(mo), 0);
	mon_free(mo);
	reap(&srv);
}

Test(kernel, refused_and_local_connect_failure_are_told_apart,
     .fini = blame_env_fini)
{
	char cmd[256];
	const struct ks_sock **v;
	struct mon *m;
	struct child c;
	uint16_t port = (uint16_t)(22000 + getpid() % 500);
	long n, i, refused = 0, failed = 0;
	uint64_t res;

	need_bpf();
	snprintf(bl.nc, sizeof(bl.nc), "ftk-cf%d", (int)getpid());
	bl.ns[0] = '\0';
	netns_del(bl.nc);
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %1$s && ip -n %1$s link set lo up && "
		 "ip netns exec %1$s sysctl -qw "
		 "net.ipv4.ip_local_port_range='40000 40000'",
		 bl.nc);
	cr_assert_eq(sh(cmd), 0, "cannot set up namespace %s", bl.nc);
	m = start(port, MS(300), NULL);
	c = spawn_fn("ftk-cfail", connect_failures, &port);
	res = wait_child(m, &c);
	cr_assert_eq(res >> 32, ECONNREFUSED, "first connect: %s",
		     strerror((int)(res >> 32)));
	cr_assert_eq((uint32_t)res, EADDRNOTAVAIL, "second connect: %s",
		     strerror((int)(uint32_t)res));
	pump(m, 200);
	mon_finish(m);
	n = ks_list(mon_table(m), &v);
	for (i = 0; i < n; i++) {
		if (v[i]->netns != netns_ino(bl.nc) || v[i]->rport != port)
			continue;
		if (v[i]->verdict == VD_REFUSED)
			refused++;
		if (v[i]->verdict == VD_CONNECT_FAILED) {
			failed++;
			cr_assert(v[i]->no_syn);
			cr_assert_eq(v[i]->owner_pid, (uint32_t)c.pid);
			cr_assert_str_eq(v[i]->owner_comm, "ftk-cfail");
		}
	}
	free(v);
	cr_assert_eq(refused, 1);
	cr_assert_eq(failed, 1);
	mon_free(m);
	reap(&c);
}

Test(kernel, churn_of_clean_connections_loses_nothing)
{
	struct ks_totals tot;
	struct ks_agg *g;
	struct mon *m;
	uint16_t port;
	long n, i, cw = 0;
	int lfd, done;

	need_bpf();
	lfd = listener(AF_INET, &port);
	m = start(port, MS(300), NULL); /* the default ring buffer */
	/* bounded: 3000 connections or 10 s, the monitor read in between */
	done = churn(lfd, port, 3000, 0, m);
	cr_assert_geq(done, 1000);
	pump(m, 300);
	mon_finish(m);
	ks_totals(mon_table(m), mon_now_ns(), &tot);
	cr_assert_eq(mon_lost(m), 0);
	/* both ends of every connection, counted in the kernel */
	cr_assert_eq(tot.verdicts[VD_CLEAN], 2 * (uint64_t)done,
		     "clean %" PRIu64 " of %d connections",
		     tot.verdicts[VD_CLEAN], done);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 0);
	cr_assert_eq(tot.in_close_wait, 0);
	/* every server close-wait is in the service's percentiles */
	n = ks_groups(mon_table(m), KS_BY_SERVICE, mon_now_ns(), &g);
	for (i = 0; i < n; i++)
		if (g[i].port == port && g[i].role == KS_ROLE_SERVER) {
			cw = (long)g[i].cw_samples;
			cr_assert_lt(g[i].cw_p50, MS(300));
		}
	free(g);
	cr_assert_eq(cw, done);
	mon_free(m);
	close(lfd);
}

Test(kernel, pid_or_netns_of_nothing_is_a_usage_error)
{
	char out[4096], pidarg[16];
	pid_t gone;
	int rc;

	need_bpf();
	need_fintrace();
	gone = fork();
	cr_assert_geq(gone, 0);
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)gone);
	{
		char *const args[] = {"fintrace",   "kernel", "--pid", pidarg,
				      "--duration", "1s",     NULL};

		rc = run_fintrace(FINTRACE, args, out, sizeof(out), 0, 1);
	}
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "no such process"), "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "%s", out);
	{
		char *const args[] = {"fintrace",   "kernel", "--netns", "1",
				      "--duration", "1s",     NULL};

		rc = run_fintrace(FINTRACE, args, out, sizeof(out), 0, 1);
	}
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "no network namespace"), "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "%s", out);
}

#endif /* HAVE_FT_BPF */

/*
 * A run killed with SIGKILL leaves nothing attached (links and programs
 * go with the process's descriptors), and one ended with SIGHUP (its
 * terminal closed) writes the full report, like SIGINT.
 */
Test(kernel, sigkill_leaves_nothing_and_sighup_reports)
{
	/* port 9 (discard): a small report whatever else this host runs */
	char *const args[] = {"fintrace",   "kernel", "--format",
			      "json",	    "--port", "9",
			      "--duration", "20s",    NULL};
	uint32_t ids[64];
	int fd, st, n;
	static char out[1 << 20];

	need_bpf();
	need_fintrace();
	for (int round = 0; round < 2; round++) {
		int sig = round ? SIGHUP : SIGKILL;
		pid_t pid = spawn_fintrace(FINTRACE, args, &fd, 0, 0);

		/* attached once it holds its programs (bounded: 5 s) */
		n = 0;
		for (int i = 0; i < 100 && n < 3; i++) {
			usleep(50000);
			n = held_programs(pid, ids, 64);
		}
		cr_assert_geq(n, 3, "fintrace kernel did not attach");
		/* its handlers go in right after the attach */
		usleep(300000);
		n = held_programs(pid, ids, 64);
		cr_assert_eq(kill(pid, sig), 0);
		read_all(fd, out, sizeof(out));
		waitpid(pid, &st, 0);
		cr_assert(programs_gone(ids, n),
			  "programs left after signal %d", sig);
		if (sig == SIGKILL) {
			cr_assert(WIFSIGNALED(st));
		} else {
			cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				  "SIGHUP: status %d", st);
			cr_assert(strstr(out, "\"type\":\"summary\""), "%s",
				  out);
		}
	}
}
