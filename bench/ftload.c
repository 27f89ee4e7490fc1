// SPDX-License-Identifier: MIT
/*
 * ftload: a bounded load of short TCP connections, for bench/run.sh.
 *
 *   ftload --rate 5000 --duration 5      # 5000 connections/s for 5 s
 *   ftload --rate 0 --duration 5         # as fast as it goes (closed loop)
 *
 * One process, two halves: the parent is the client, a forked child is
 * the server (a listening socket on --server, port --port or one the
 * kernel picks). Every connection does what a short HTTP exchange does:
 * three-way handshake, a --request-byte request, a --response-byte
 * response, then the client closes first (FIN), the server reads the
 * end of stream and closes too (FIN), and the client's socket ends in
 * TIME_WAIT. Both halves are single-threaded epoll loops on non-blocking
 * sockets.
 *
 * Open loop (--rate N): the k-th connection is started at k/N seconds,
 * whether or not earlier ones have finished (at most --concurrency open
 * at once; a connection that cannot start on time starts late, and the
 * achieved rate says so). Closed loop (--rate 0): --concurrency
 * connections are kept open; each one that finishes starts the next, so
 * the rate is what the machine can do.
 *
 * Clients connect from --clients source addresses (127.1.0.1 upwards by
 * default, with IP_BIND_ADDRESS_NO_PORT) so that the TIME_WAIT sockets
 * of one address never use up its ephemeral ports, whatever the rate.
 *
 * Bounded: connections stop being started after --duration (at most
 * 120 s) or --max-connections; the ones still open get --drain more
 * seconds, then are closed. An alarm ends both processes if anything
 * hangs, and the server dies with the client (PR_SET_PDEATHSIG).
 *
 * Output, one line on standard output or in -o FILE (keys as in
 * ftrusage):
 *
 *   rate=N duration_ns=N started=N completed=N failed=N unfinished=N
 *   elapsed_ns=N conn_per_s=N
 *
 * completed counts exchanges whose whole response arrived before the
 * client closed; conn_per_s is completed / duration. Exit status 0, 1
 * for a usage error, 2 when the load could not run (or any connection
 * failed, with the first error on stderr).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FT_VERSION
#define FT_VERSION "dev"
#endif

#define LD_ERRBUF_SIZE 256
#define LD_NS ((uint64_t)1000000000)
#define LD_MAX_RATE 1000000ULL
#define LD_MAX_DURATION_NS (120ULL * LD_NS)
#define LD_MAX_CONCURRENCY 16384ULL
#define LD_MAX_CLIENTS 65534ULL
#define LD_MAX_BYTES 65536ULL
#define LD_EVENTS 256
/* Seconds past --duration + --drain after which an alarm ends both. */
#define LD_WATCHDOG_S 10

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct ld_opts {
	uint64_t rate;	      /* connections/s; 0: closed loop */
	uint64_t duration_ns; /* starting connections for this long */
	uint64_t drain_ns;    /* then waiting this long for open ones */
	uint64_t concurrency; /* connections open at once, at most */
	uint64_t clients;     /* source addresses */
	uint64_t request;     /* bytes client -> server */
	uint64_t response;    /* bytes server -> client */
	uint64_t max_conns;   /* connections started, at most */
	uint64_t port;	      /* server port; 0: the kernel picks */
	const char *server;   /* server IPv4 address */
	const char *client;   /* first client source address */
	const char *output;   /* result line goes here; NULL: stdout */
	int help;
	int version;
};

static const struct ld_opts ld_opts_default = {
	.rate = 1000,
	.duration_ns = 5 * LD_NS,
	.drain_ns = 2 * LD_NS,
	.concurrency = 0, /* 4096 open loop, 32 closed loop */
	.clients = 256,
	.request = 100,
	.response = 400,
	.max_conns = 10000000,
	.port = 0,
	.server = "127.0.0.1",
	.client = "127.1.0.1",
};

/* Per-socket state of either half, indexed by file descriptor. */
struct ld_conn {
	uint32_t done; /* bytes read (server: request; client: response) */
	uint8_t used;
	uint8_t sent; /* client: request written; server: response written */
};

struct ld_client {
	const struct ld_opts *o;
	struct ld_conn *conns;
	size_t nconns;
	int ep;
	struct sockaddr_in server;
	uint32_t client_base; /* host order */
	uint64_t started, completed, failed, open;
	char *req;
	char first_err[LD_ERRBUF_SIZE];
};

static uint64_t ld_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LD_NS + (uint64_t)ts.tv_nsec;
}

static int opt_u64(const char *name, const char *s, uint64_t lo, uint64_t hi,
		   uint64_t *out, char *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < lo || v > hi) {
		snprintf(err, LD_ERRBUF_SIZE,
			 "--%s: '%s' is not an integer in [%" PRIu64
			 ", %" PRIu64 "]",
			 name, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Seconds with up to nine decimals ("5", "0.25"), in (0, max_ns]. */
static int opt_secs(const char *name, const char *s, uint64_t max_ns,
		    uint64_t *out, char *err)
{
	uint64_t whole = 0, frac = 0, scale = LD_NS;
	const char *p = s;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > max_ns / LD_NS)
			goto bad;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && scale > 1; p++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p || whole * LD_NS + frac > max_ns)
		goto bad;
	*out = whole * LD_NS + frac;
	return 0;
bad:
	snprintf(err, LD_ERRBUF_SIZE,
		 "--%s: '%s' is not a number of seconds up to %" PRIu64, name,
		 s, (uint64_t)(max_ns / LD_NS));
	return -EINVAL;
}

enum {
	OPT_RATE = 256,
	OPT_DURATION,
	OPT_DRAIN,
	OPT_CONCURRENCY,
	OPT_CLIENTS,
	OPT_REQUEST,
	OPT_RESPONSE,
	OPT_MAX_CONNS,
	OPT_PORT,
	OPT_SERVER,
	OPT_CLIENT,
	OPT_OUTPUT,
	OPT_VERSION,
};

static const struct option ld_long_opts[] = {
	{"rate", required_argument, NULL, OPT_RATE},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"drain", required_argument, NULL, OPT_DRAIN},
	{"concurrency", required_argument, NULL, OPT_CONCURRENCY},
	{"clients", required_argument, NULL, OPT_CLIENTS},
	{"request", required_argument, NULL, OPT_REQUEST},
	{"response", required_argument, NULL, OPT_RESPONSE},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNS},
	{"port", required_argument, NULL, OPT_PORT},
	{"server", required_argument, NULL, OPT_SERVER},
	{"client", required_argument, NULL, OPT_CLIENT},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void ld_usage(FILE *fp)
{
	fputs("usage: ftload [OPTIONS]\n"
	      "Opens short TCP connections to a server it runs itself and\n"
	      "prints one line of counts. Bounded in time and count.\n"
	      "\n"
	      "  --rate N             connections started per second (1000);\n"
	      "                       0: closed loop, as fast as it goes\n"
	      "  --duration S         seconds to start connections (5; <= "
	      "120)\n"
	      "  --drain S            seconds then left to open ones (2)\n"
	      "  --concurrency C      open at once, at most (4096; closed\n"
	      "                       loop: exactly, 32)\n"
	      "  --clients N          client source addresses (256)\n"
	      "  --client ADDR        first of them (127.1.0.1)\n"
	      "  --server ADDR        server address (127.0.0.1)\n"
	      "  --port P             server port (0: the kernel picks)\n"
	      "  --request B          request bytes (100)\n"
	      "  --response B         response bytes (400)\n"
	      "  --max-connections N  connections started, at most "
	      "(10000000)\n"
	      "  -o, --output FILE    write the result line to FILE\n"
	      "  --version            print the version\n",
	      fp);
}

/* Never exits. Returns 0, or -EINVAL with a one-line message in err. */
static int ld_opts_parse(int argc, char **argv, struct ld_opts *o, char *err)
{
	struct in_addr a;
	int c, ret = 0;

	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, ":o:h", ld_long_opts,
					NULL)) != -1) {
		switch (c) {
		case OPT_RATE:
			ret = opt_u64("rate", optarg, 0, LD_MAX_RATE, &o->rate,
				      err);
			break;
		case OPT_DURATION:
			ret = opt_secs("duration", optarg, LD_MAX_DURATION_NS,
				       &o->duration_ns, err);
			if (!ret && !o->duration_ns) {
				snprintf(err, LD_ERRBUF_SIZE,
					 "--duration: must be above 0");
				ret = -EINVAL;
			}
			break;
		case OPT_DRAIN:
			ret = opt_secs("drain", optarg, 60 * LD_NS,
				       &o->drain_ns, err);
			break;
		case OPT_CONCURRENCY:
			ret = opt_u64("concurrency", optarg, 1,
				      LD_MAX_CONCURRENCY, &o->concurrency, err);
			break;
		case OPT_CLIENTS:
			ret = opt_u64("clients", optarg, 1, LD_MAX_CLIENTS,
				      &o->clients, err);
			break;
		case OPT_REQUEST:
			ret = opt_u64("request", optarg, 1, LD_MAX_BYTES,
				      &o->request, err);
			break;
		case OPT_RESPONSE:
			ret = opt_u64("response", optarg, 1, LD_MAX_BYTES,
				      &o->response, err);
			break;
		case OPT_MAX_CONNS:
			ret = opt_u64("max-connections", optarg, 1, 100000000,
				      &o->max_conns, err);
			break;
		case OPT_PORT:
			ret = opt_u64("port", optarg, 0, 65535, &o->port, err);
			break;
		case OPT_SERVER:
		case OPT_CLIENT:
			if (inet_pton(AF_INET, optarg, &a) != 1) {
				snprintf(err, LD_ERRBUF_SIZE,
					 "--%s: '%s' is not an IPv4 address",
					 c == OPT_SERVER ? "server" : "client",
					 optarg);
				ret = -EINVAL;
			} else if (c == OPT_SERVER) {
				o->server = optarg;
			} else {
				o->client = optarg;
			}
			break;
		case 'o':
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case 'h':
			o->help = 1;
			break;
		case OPT_VERSION:
			o->version = 1;
			break;
		case ':':
			snprintf(err, LD_ERRBUF_SIZE, "%s needs a value",
				 argv[optind - 1]);
			ret = -EINVAL;
			break;
		default:
			snprintf(err, LD_ERRBUF_SIZE, "unknown option '%s'",
				 argv[optind - 1]);
			ret = -EINVAL;
			break;
		}
	}
	if (!ret && optind < argc) {
		snprintf(err, LD_ERRBUF_SIZE, "unexpected argument '%s'",
			 argv[optind]);
		ret = -EINVAL;
	}
	if (!ret && !o->concurrency)
		o->concurrency = o->rate ? 4096 : 32;
	return ret;
}

/* Room for every descriptor the load can hold; 0 or -errno. */
static int ld_raise_nofile(uint64_t need, size_t *limit)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur < need + 64 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur > need + 64)
			rl.rlim_cur = need + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	if (rl.rlim_cur < need + 16)
		return -EMFILE;
	*limit = rl.rlim_cur;
	return 0;
}

static int ld_ep_add(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int ld_ep_mod(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

/*
 * The server half: accepts, reads a request, writes the response, closes
 * at the client's end of stream. Runs until SIGTERM (or the alarm).
 */
static volatile sig_atomic_t srv_stop;

static void srv_on_term(int sig)
{
	(void)sig;
	srv_stop = 1;
}

static void srv_close(int ep, struct ld_conn *conns, int fd)
{
	(void)ep; /* close() takes the descriptor out of the epoll set */
	conns[fd].used = 0;
	close(fd);
}

static void srv_readable(int ep, struct ld_conn *conns, int fd, const char *buf,
			 const struct ld_opts *o)
{
	char in[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, in, sizeof(in));
		if (n > 0) {
			conns[fd].done += (uint32_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		srv_close(ep, conns, fd); /* end of stream, or an error */
		return;
	}
	if (!conns[fd].sent && conns[fd].done >= o->request) {
		/* Small enough for one write into an empty send buffer. */
		n = write(fd, buf, o->response);
		if (n != (ssize_t)o->response) {
			srv_close(ep, conns, fd);
			return;
		}
		conns[fd].sent = 1;
	}
}

static int srv_run(int lfd, const struct ld_opts *o, size_t limit)
{
	struct epoll_event evs[LD_EVENTS];
	struct ld_conn *conns = calloc(limit, sizeof(*conns));
	char *buf = malloc(o->response);
	int ep = epoll_create1(EPOLL_CLOEXEC), i, n, fd;

	if (!conns || !buf || ep < 0 || ld_ep_add(ep, lfd, EPOLLIN)) {
		fprintf(stderr, "ftload: server: %s\n",
			ep < 0 ? strerror(errno) : "out of memory");
		return 2;
	}
	memset(buf, 'r', o->response);
	while (!srv_stop) {
		n = epoll_wait(ep, evs, LD_EVENTS, 100);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				srv_readable(ep, conns, evs[i].data.fd, buf, o);
				continue;
			}
			for (;;) {
				fd = accept4(lfd, NULL, NULL,
					     SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				if ((size_t)fd >= limit ||
				    ld_ep_add(ep, fd, EPOLLIN)) {
					close(fd);
					continue;
				}
				conns[fd] = (struct ld_conn){.used = 1};
			}
		}
	}
	close(ep);
	free(buf);
	free(conns);
	return 0;
}

/* The client half. */
static void cli_fail(struct ld_client *c, const char *what, int e)
{
	if (!c->first_err[0])
		snprintf(c->first_err, sizeof(c->first_err), "%s: %s", what,
			 strerror(e));
	c->failed++;
}

static void cli_close(struct ld_client *c, int fd)
{
	c->conns[fd].used = 0;
	c->open--;
	close(fd);
}

/* Start connection number c->started; counts a failure on error. */
static void cli_start(struct ld_client *c)
{
	struct sockaddr_in src = {.sin_family = AF_INET};
	int one = 1, fd;
	uint64_t k = c->started++;

	src.sin_addr.s_addr =
		htonl(c->client_base + (uint32_t)(k % c->o->clients));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_fail(c, "socket", errno);
		return;
	}
	if ((size_t)fd >= c->nconns) {
		close(fd);
		cli_fail(c, "socket", EMFILE);
		return;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		       sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		cli_fail(c, "bind", errno);
		close(fd);
		return;
	}
	if (connect(fd, (struct sockaddr *)&c->server, sizeof(c->server)) &&
	    errno != EINPROGRESS) {
		cli_fail(c, "connect", errno);
		close(fd);
		return;
	}
	if (ld_ep_add(c->ep, fd, EPOLLOUT | EPOLLIN)) {
		cli_fail(c, "epoll", errno);
		close(fd);
		return;
	}
	c->conns[fd] = (struct ld_conn){.used = 1};
	c->open++;
}

static void cli_event(struct ld_client *c, int fd, uint32_t events)
{
	struct ld_conn *s = &c->conns[fd];
	char in[4096];
	socklen_t len = sizeof(int);
	int e = 0;
	ssize_t n;

	if (!s->used)
		return;
	if (!s->sent) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) || e) {
			cli_fail(c, "connect", e ? e : errno);
			cli_close(c, fd);
			return;
		}
		n = write(fd, c->req, c->o->request);
		if (n != (ssize_t)c->o->request) {
			cli_fail(c, "write", n < 0 ? errno : EIO);
			cli_close(c, fd);
			return;
		}
		s->sent = 1;
		ld_ep_mod(c->ep, fd, EPOLLIN);
		return;
	}
	for (;;) {
		n = read(fd, in, sizeof(in));
		if (n > 0) {
			s->done += (uint32_t)n;
			if (s->done >= c->o->response)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		cli_fail(c, "read", n < 0 ? errno : ECONNRESET);
		cli_close(c, fd);
		return;
	}
	/* The whole response: the client closes first (FIN). */
	c->completed++;
	cli_close(c, fd);
}

static int cli_run(struct ld_client *c, uint64_t *elapsed_ns)
{
	const struct ld_opts *o = c->o;
	struct epoll_event evs[LD_EVENTS];
	uint64_t t0 = ld_mono_ns(), now = t0, due, next_ns;
	uint64_t stop_ns = t0 + o->duration_ns, drain_end = 0;
	int i, n, timeout;

	for (;;) {
		now = ld_mono_ns();
		if (now < stop_ns) {
			if (o->rate) {
				/* Connections due by now: k/rate <= elapsed. */
				due = (uint64_t)((unsigned __int128)(now - t0) *
						 o->rate / LD_NS) +
				      1;
			} else {
				due = UINT64_MAX;
			}
			if (due > o->max_conns)
				due = o->max_conns;
			while (c->started < due && c->open < o->concurrency)
				cli_start(c);
		} else if (!drain_end) {
			drain_end = now + o->drain_ns;
		}
		if (drain_end && (!c->open || now >= drain_end))
			break;
		/* Wake for the next due start, the stop, or every 100 ms. */
		timeout = 100;
		if (o->rate && now < stop_ns && c->open < o->concurrency) {
			next_ns =
				t0 + (uint64_t)((unsigned __int128)c->started *
						LD_NS / o->rate);
			if (next_ns <= now)
				timeout = 0;
			else if (next_ns - now < 100000000)
				timeout = (int)((next_ns - now + 999999) /
						1000000);
		}
		if (now < stop_ns &&
		    stop_ns - now < (uint64_t)timeout * 1000000)
			timeout = (int)((stop_ns - now + 999999) / 1000000);
		n = epoll_wait(c->ep, evs, LD_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			cli_fail(c, "epoll_wait", errno);
			break;
		}
		for (i = 0; i < n; i++)
			cli_event(c, evs[i].data.fd, evs[i].events);
	}
	*elapsed_ns = ld_mono_ns() - t0;
	return 0;
}

/* Listening socket on the server address; -errno with text in err. */
static int ld_listen(const struct ld_opts *o, struct sockaddr_in *addr,
		     char *err)
{
	socklen_t len = sizeof(*addr);
	int one = 1, fd, e;

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons((uint16_t)o->port);
	inet_pton(AF_INET, o->server, &addr->sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)addr, &len)) {
		e = errno;
		snprintf(err, LD_ERRBUF_SIZE, "server %s:%" PRIu64 ": %s",
			 o->server, o->port, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct ld_opts opts = ld_opts_default;
	struct ld_client c;
	FILE *res = stdout;
	struct sockaddr_in srv;
	struct sigaction sa;
	struct in_addr base;
	char err[LD_ERRBUF_SIZE] = "";
	uint64_t elapsed = 0;
	unsigned watchdog;
	size_t limit = 0;
	pid_t child = -1;
	int lfd = -1, ret, status = 1, ws;

	memset(&c, 0, sizeof(c));
	c.ep = -1;
	ret = ld_opts_parse(argc, argv, &opts, err);
	if (ret) {
		fprintf(stderr, "ftload: %s (try --help)\n", err);
		goto out;
	}
	if (opts.help || opts.version) {
		if (opts.help)
			ld_usage(stdout);
		else
			printf("ftload %s\n", FT_VERSION);
		status = 0;
		goto out;
	}
	status = 2;
	if (opts.output) {
		res = fopen(opts.output, "w");
		if (!res) {
			fprintf(stderr, "ftload: %s: %s\n", opts.output,
				strerror(errno));
			goto out;
		}
	}
	inet_pton(AF_INET, opts.client, &base);
	watchdog = (unsigned)((opts.duration_ns + opts.drain_ns) / LD_NS) +
		   LD_WATCHDOG_S;
	alarm(watchdog);
	/* Both halves may hold every connection at once. */
	ret = ld_raise_nofile(opts.concurrency, &limit);
	if (ret) {
		fprintf(stderr,
			"ftload: cannot open %" PRIu64
			" descriptors: %s (ulimit -n)\n",
			opts.concurrency, strerror(-ret));
		goto out;
	}
	lfd = ld_listen(&opts, &srv, err);
	if (lfd < 0) {
		fprintf(stderr, "ftload: %s\n", err);
		goto out;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "ftload: fork: %s\n", strerror(errno));
		goto out;
	}
	if (child == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = srv_on_term;
		sigaction(SIGTERM, &sa, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(2);
		_exit(srv_run(lfd, &opts, limit));
	}
	close(lfd);
	lfd = -1;

	c.o = &opts;
	c.server = srv;
	c.client_base = ntohl(base.s_addr);
	c.nconns = limit;
	c.conns = calloc(limit, sizeof(*c.conns));
	c.req = malloc(opts.request);
	c.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!c.conns || !c.req || c.ep < 0) {
		fprintf(stderr, "ftload: %s\n",
			c.ep < 0 ? strerror(errno) : "out of memory");
		goto out;
	}
	memset(c.req, 'q', opts.request);
	cli_run(&c, &elapsed);
	fprintf(res,
		"rate=%" PRIu64 " duration_ns=%" PRIu64 " started=%" PRIu64
		" completed=%" PRIu64 " failed=%" PRIu64 " unfinished=%" PRIu64
		" elapsed_ns=%" PRIu64 " conn_per_s=%" PRIu64 "\n",
		opts.rate, opts.duration_ns, c.started, c.completed, c.failed,
		c.open, elapsed,
		(uint64_t)((double)c.completed * LD_NS /
			   (double)opts.duration_ns));
	if (c.first_err[0])
		fprintf(stderr,
			"ftload: %" PRIu64 " connections failed; first: %s\n",
			c.failed, c.first_err);
	status = c.failed ? 2 : 0;
	if (fflush(res) || ferror(res)) {
		fprintf(stderr, "ftload: %s: write error\n",
			opts.output ? opts.output : "stdout");
		status = 2;
	}
out:
	if (c.ep >= 0)
		close(c.ep);
	if (lfd >= 0)
		close(lfd);
	if (child > 0) {
		kill(child, SIGTERM);
		while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
			;
	}
	if (res && res != stdout && fclose(res) && !status)
		status = 2;
	free(c.req);
	free(c.conns);
	return status;
}
