/* SPDX-License-Identifier: MIT */
/*
 * ftpeer: the scripted TCP client and server behind fintrace's scenario
 * captures and its live and kernel tests.
 *
 * One process plays one role (server or client) for one or more
 * connections and does, per connection, exactly what its options say:
 * send a request or a reply, half-close, close first after a delay, close
 * promptly / late / never once the peer's FIN is read, abort with
 * SO_LINGER {1, 0}, or leave received data unread so that close() turns
 * into a RST.  Everything runs in one poll() loop driven by monotonic
 * deadlines, so every wait is bounded, and --exit-after bounds the whole
 * process.  With -v every connection event is printed on stdout as one
 * line stamped with CLOCK_REALTIME, which scripts use to synchronise with
 * the connection (and to cross-check what a capture shows).
 *
 * "Never closes" means what it says: the descriptor stays open until the
 * process exits (--hold, --exit-after or SIGTERM), and only then does the
 * kernel close it.  Whoever records such a socket must therefore stop the
 * capture before ending the process that holds it.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEER_ERRBUF_SIZE 256
#define PEER_HOST_SIZE 128 /* numeric host, IPv6 with %scope */
#define PEER_SERV_SIZE 8
#define PEER_ADDRSTR_SIZE (PEER_HOST_SIZE + PEER_SERV_SIZE + 4)
#define PEER_MAX_CONNS 4096 /* connections per process */
#define PEER_MAX_PATTERN 64 /* entries in an --on-eof list */
#define PEER_MAX_BYTES (1ULL << 30)
#define PEER_MAX_SECS 86400ULL
#define PEER_IOBUF_SIZE 16384
#define PEER_CHUNK_MS 100      /* keep-sending: one chunk per period */
#define PEER_READS_PER_WAKE 16 /* bounded work per descriptor per wake */
#define PEER_POLL_MAX_MS 1000  /* re-check the clock at least this often */
#define PEER_NEVER UINT64_MAX  /* "no deadline" */

/* Exit statuses (documented in --help). */
#define PEER_EXIT_OK 0
#define PEER_EXIT_USAGE 1
#define PEER_EXIT_FAIL 2

static volatile sig_atomic_t stop;

enum peer_mode { PEER_SERVER, PEER_CLIENT };

/* What a connection does once it has read the peer's FIN (EOF). */
enum peer_eof {
	PEER_EOF_CLOSE,	       /* close() at once: a clean passive close */
	PEER_EOF_NEVER,	       /* keep the fd open until the process ends */
	PEER_EOF_LATE,	       /* close() after a delay */
	PEER_EOF_ABORT,	       /* close() with SO_LINGER {1, 0}: a RST */
	PEER_EOF_KEEP_SENDING, /* keep sending for a while, then close() */
};

struct peer_eof_action {
	enum peer_eof kind;
	uint64_t ms; /* delay of LATE and KEEP_SENDING */
	uint64_t then_ms; /* KEEP_SENDING: silence before the close() */
};

/* Command line; defaults in peer_opts_default. */
struct peer_opts {
	enum peer_mode mode;
	struct sockaddr_storage addr; /* -l or -c */
	socklen_t addr_len;
	struct sockaddr_storage bind_addr; /* -b, client only */
	socklen_t bind_len;
	unsigned conns;		 /* -n; server: 0 = no limit */
	uint64_t interval_ms;	 /* client: between connect()s */
	uint64_t send_bytes;	 /* sent once established */
	uint64_t send_every_ms;	 /* repeat the send; 0 = once */
	uint64_t reply_bytes;	 /* sent once, after the first data */
	uint64_t chunk_bytes;	 /* keep-sending chunk */
	int read_data;		 /* 0: never read (--no-read) */
	int shutdown_wr;	 /* shutdown(SHUT_WR) after the send */
	uint64_t close_after_ms; /* active close; PEER_NEVER = none */
	int abort_close;	 /* every close() uses SO_LINGER {1, 0} */
	struct peer_eof_action on_eof[PEER_MAX_PATTERN];
	unsigned on_eof_count;
	uint64_t hold_ms; /* PEER_NEVER = not given */
	uint64_t exit_after_ms;
	uint64_t connect_timeout_ms;
	int expect_refused;
	int verbose;
	int help;
};

static const struct peer_opts peer_opts_default = {
	.mode = PEER_SERVER,
	.conns = 1,
	.interval_ms = 1000,
	.chunk_bytes = 1000,
	.read_data = 1,
	.close_after_ms = PEER_NEVER,
	.on_eof = {{PEER_EOF_CLOSE, 0, 0}},
	.on_eof_count = 1,
	.hold_ms = PEER_NEVER,
	.exit_after_ms = 60000,
	.connect_timeout_ms = 3000,
};

enum peer_conn_state {
	PEER_CONN_UNUSED = 0,
	PEER_CONN_CONNECTING, /* client: non-blocking connect() pending */
	PEER_CONN_OPEN,	      /* established, timers and I/O active */
	PEER_CONN_LEFT_OPEN,  /* --on-eof never: fd kept, nothing more */
	PEER_CONN_CLOSED,     /* fd closed (by us, or after a reset) */
};

struct peer_conn {
	int fd;
	unsigned id; /* 1-based, in connect/accept order */
	enum peer_conn_state state;
	char local[PEER_ADDRSTR_SIZE];
	char peer[PEER_ADDRSTR_SIZE];
	uint64_t start_ms; /* connect() or accept() */
	uint64_t tx_left;  /* bytes queued for sending */
	uint64_t tx_batch; /* bytes of the batch being sent */
	uint64_t tx_total;
	uint64_t rx_total;
	uint64_t next_send_ms;	    /* --send-every */
	uint64_t close_at_ms;	    /* --close-after */
	uint64_t eof_at_ms;	    /* end of late / keep-sending */
	uint64_t next_chunk_ms;	    /* keep-sending */
	struct peer_eof_action eof; /* this connection's --on-eof */
	int eof_seen;
	int wr_shut;
	int replied;
};

/* Everything the loop needs; no other mutable state exists. */
struct peer_ctx {
	const struct peer_opts *opts;
	const char *role;	 /* "server" or "client" */
	struct peer_conn *conns; /* cap entries, used so far: count */
	unsigned cap;
	unsigned count;
	int listen_fd;
	uint64_t deadline_ms; /* --exit-after */
	uint64_t next_connect_ms;
	uint64_t idle_since_ms;
	unsigned refused;
	unsigned failed;
	unsigned established;
	char *iobuf;
	struct pollfd *pfds;
	struct peer_conn **pconns; /* pfds[i] belongs to pconns[i] */
};

static void peer_on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t peer_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t peer_add_ms(uint64_t t, uint64_t ms)
{
	return (t == PEER_NEVER || ms == PEER_NEVER || ms > PEER_NEVER - t)
		       ? PEER_NEVER
		       : t + ms;
}

static const char *peer_errname(int err)
{
	switch (err) {
	case ECONNRESET:
		return "ECONNRESET";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ECONNABORTED:
		return "ECONNABORTED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EPIPE:
		return "EPIPE";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ENETUNREACH:
		return "ENETUNREACH";
	case EADDRINUSE:
		return "EADDRINUSE";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	case EMFILE:
		return "EMFILE";
	default:
		return "errno";
	}
}

/*
 * Format a socket address as "10.77.0.1:40000" or "[fd00:77::1]:40000".
 * Never fails: an unknown family gives "?".
 */
static void peer_addr_format(const struct sockaddr_storage *ss, char *buf,
			     size_t len)
{
	char host[PEER_HOST_SIZE];
	char serv[PEER_SERV_SIZE];
	socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in);

	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host),
			serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

/*
 * Parse "ADDR:PORT", "[V6ADDR]:PORT" or, when need_port is 0, also a bare
 * "ADDR" / "V6ADDR" / "[V6ADDR]" (port 0).  Numeric only.
 * Returns 0 or -EINVAL.
 */
static int peer_addr_parse(const char *text, int need_port,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	char host[PEER_HOST_SIZE];
	const char *port = NULL;
	/* text is never NULL: getopt sets optarg for every option with an
	 * argument (the analyzer keeps an optional option's NULL). */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	const char *colon = strrchr(text, ':');
	struct addrinfo hints = {0}, *res = NULL;
	size_t hl;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end)
			return -EINVAL;
		hl = (size_t)(end - text - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -EINVAL;
		text++;
	} else if (colon && colon == strchr(text, ':')) {
		hl = (size_t)(colon - text); /* exactly one ':' */
		port = colon + 1;
	} else {
		hl = strlen(text); /* IPv4, or IPv6 without port */
	}
	if (hl == 0 || hl >= sizeof(host) || (need_port && !port) ||
	    (port && *port == '\0'))
		return -EINVAL;
	memcpy(host, text, hl);
	host[hl] = '\0';

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port ? port : "0", &hints, &res) || !res)
		return -EINVAL;
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Parse an unsigned decimal in [min, max]. Returns 0 or -EINVAL. */
static int peer_parse_u64(const char *s, uint64_t min, uint64_t max,
			  uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Parse seconds with up to three decimals ("7", "1.5", "0.250") into
 * milliseconds; at most PEER_MAX_SECS. Returns 0 or -EINVAL.
 */
static int peer_parse_secs(const char *s, uint64_t *ms)
{
	char whole[32];
	const char *dot = s ? strchr(s, '.') : NULL;
	uint64_t secs = 0, frac = 0;
	size_t wl, fl, i;

	if (!s)
		return -EINVAL;
	wl = dot ? (size_t)(dot - s) : strlen(s);
	if (wl == 0 || wl >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, wl);
	whole[wl] = '\0';
	if (peer_parse_u64(whole, 0, PEER_MAX_SECS, &secs))
		return -EINVAL;
	if (dot) {
		fl = strlen(dot + 1);
		if (fl == 0 || fl > 3)
			return -EINVAL;
		for (i = 0; i < 3; i++) {
			char d = i < fl ? dot[1 + i] : '0';

			if (d < '0' || d > '9')
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(d - '0');
		}
	}
	*ms = secs * 1000 + frac;
	return 0;
}

/*
 * Parse an --on-eof list: "ACTION[,ACTION...]" with ACTION one of close,
 * never, abort, late=SECS, keep-sending=SECS[+SECS]. Returns 0 or -EINVAL (with
 * the reason in err).
 */
static int peer_parse_eof_list(const char *text, struct peer_opts *o, char *err)
{
	char buf[1024];
	char *item, *save = NULL;
	unsigned n = 0;

	/* text is never NULL: see peer_addr_parse(). */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, PEER_ERRBUF_SIZE, "--on-eof: list too long");
		return -EINVAL;
	}
	strcpy(buf, text);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		struct peer_eof_action a = {PEER_EOF_CLOSE, 0, 0};
		int rc = 0;

		if (n == PEER_MAX_PATTERN) {
			snprintf(err, PEER_ERRBUF_SIZE,
				 "--on-eof: more than %d actions",
				 PEER_MAX_PATTERN);
			return -EINVAL;
		}
		if (!strcmp(item, "close"))
			a.kind = PEER_EOF_CLOSE;
		else if (!strcmp(item, "never"))
			a.kind = PEER_EOF_NEVER;
		else if (!strcmp(item, "abort"))
			a.kind = PEER_EOF_ABORT;
		else if (!strncmp(item, "late=", 5)) {
			a.kind = PEER_EOF_LATE;
			rc = peer_parse_secs(item + 5, &a.ms);
		} else if (!strncmp(item, "keep-sending=", 13)) {
			char *plus = strchr(item + 13, '+');

			a.kind = PEER_EOF_KEEP_SENDING;
			if (plus) {
				*plus = '\0';
				rc = peer_parse_secs(plus + 1, &a.then_ms);
			}
			rc = rc ? rc : peer_parse_secs(item + 13, &a.ms);
		} else {
			rc = -EINVAL;
		}
		if (rc) {
			snprintf(err, PEER_ERRBUF_SIZE,
				 "--on-eof: bad action '%s'", item);
			return -EINVAL;
		}
		o->on_eof[n++] = a;
	}
	if (n == 0) {
		snprintf(err, PEER_ERRBUF_SIZE, "--on-eof: empty list");
		return -EINVAL;
	}
	o->on_eof_count = n;
	return 0;
}

enum {
	OPT_INTERVAL = 256,
	OPT_SEND,
	OPT_SEND_EVERY,
	OPT_REPLY,
	OPT_CHUNK,
	OPT_READ,
	OPT_NO_READ,
	OPT_NO_READ_THEN_CLOSE,
	OPT_SHUTDOWN_WR,
	OPT_CLOSE_AFTER,
	OPT_CLOSE_FIRST,
	OPT_ABORT,
	OPT_ON_EOF,
	OPT_HOLD,
	OPT_EXIT_AFTER,
	OPT_CONNECT_TIMEOUT,
	OPT_EXPECT_REFUSED,
};

static const struct option peer_long_opts[] = {
	{"listen", required_argument, NULL, 'l'},
	{"connect", required_argument, NULL, 'c'},
	{"bind", required_argument, NULL, 'b'},
	{"conns", required_argument, NULL, 'n'},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"send", required_argument, NULL, OPT_SEND},
	{"send-every", required_argument, NULL, OPT_SEND_EVERY},
	{"reply", required_argument, NULL, OPT_REPLY},
	{"chunk", required_argument, NULL, OPT_CHUNK},
	{"read", no_argument, NULL, OPT_READ},
	{"no-read", no_argument, NULL, OPT_NO_READ},
	{"no-read-then-close", optional_argument, NULL, OPT_NO_READ_THEN_CLOSE},
	{"shutdown-wr", no_argument, NULL, OPT_SHUTDOWN_WR},
	{"close-after", required_argument, NULL, OPT_CLOSE_AFTER},
	{"close-first", optional_argument, NULL, OPT_CLOSE_FIRST},
	{"abort", no_argument, NULL, OPT_ABORT},
	{"on-eof", required_argument, NULL, OPT_ON_EOF},
	{"hold", required_argument, NULL, OPT_HOLD},
	{"exit-after", required_argument, NULL, OPT_EXIT_AFTER},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"expect-refused", no_argument, NULL, OPT_EXPECT_REFUSED},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/*
 * Parse the command line into *o (which starts as peer_opts_default).
 * Never exits and prints nothing. Returns 0, or -EINVAL with one line of
 * text in err (PEER_ERRBUF_SIZE bytes, caller owns). o->help is set when
 * --help was asked for; the other fields are then not checked.
 */
static int peer_opts_parse(int argc, char **argv, struct peer_opts *o,
			   char *err)
{
	int have_addr = 0, have_bind = 0, have_interval = 0, c, idx;
	char **av = argv + 1;
	char name[40];
	const char *bad = NULL;
	uint64_t v = 0;

	*o = peer_opts_default;
	err[0] = '\0';
	if (argc < 2) {
		snprintf(err, PEER_ERRBUF_SIZE, "missing mode (server|client)");
		return -EINVAL;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		o->help = 1;
		return 0;
	}
	if (!strcmp(argv[1], "server")) {
		o->mode = PEER_SERVER;
	} else if (!strcmp(argv[1], "client")) {
		o->mode = PEER_CLIENT;
	} else {
		snprintf(err, PEER_ERRBUF_SIZE,
			 "unknown mode '%s' (server|client)", argv[1]);
		return -EINVAL;
	}

	/* argv[1] (the mode) plays the program name for getopt. */
	optind = 1;
	opterr = 0;
	idx = -1;
	while ((c = getopt_long(argc - 1, av, ":l:c:b:n:vh", peer_long_opts,
				&idx)) != -1) {
		int rc = 0;

		if (idx >= 0)
			snprintf(name, sizeof(name), "--%s",
				 peer_long_opts[idx].name);
		else
			snprintf(name, sizeof(name), "-%c", c);
		idx = -1;

		switch (c) {
		case 'l':
		case 'c':
			if ((c == 'l') != (o->mode == PEER_SERVER)) {
				snprintf(err, PEER_ERRBUF_SIZE,
					 "-%c is for %s mode", c,
					 c == 'l' ? "server" : "client");
				return -EINVAL;
			}
			rc = peer_addr_parse(optarg, 1, &o->addr, &o->addr_len);
			have_addr = 1;
			break;
		case 'b':
			rc = peer_addr_parse(optarg, 0, &o->bind_addr,
					     &o->bind_len);
			have_bind = 1;
			break;
		case 'n':
			rc = peer_parse_u64(optarg, 0, PEER_MAX_CONNS, &v);
			o->conns = (unsigned)v;
			break;
		case OPT_INTERVAL:
			rc = peer_parse_u64(optarg, 0, PEER_MAX_SECS * 1000,
					    &o->interval_ms);
			have_interval = 1;
			break;
		case OPT_SEND:
			rc = peer_parse_u64(optarg, 0, PEER_MAX_BYTES,
					    &o->send_bytes);
			break;
		case OPT_SEND_EVERY:
			rc = peer_parse_u64(optarg, 1, PEER_MAX_SECS * 1000,
					    &o->send_every_ms);
			break;
		case OPT_REPLY:
			rc = peer_parse_u64(optarg, 0, PEER_MAX_BYTES,
					    &o->reply_bytes);
			break;
		case OPT_CHUNK:
			rc = peer_parse_u64(optarg, 1, PEER_IOBUF_SIZE,
					    &o->chunk_bytes);
			break;
		case OPT_READ:
			o->read_data = 1;
			break;
		case OPT_NO_READ:
			o->read_data = 0;
			break;
		case OPT_SHUTDOWN_WR:
			o->shutdown_wr = 1;
			break;
		case OPT_CLOSE_AFTER:
			rc = peer_parse_u64(optarg, 0, PEER_MAX_SECS * 1000,
					    &o->close_after_ms);
			break;
		case OPT_NO_READ_THEN_CLOSE:
			o->read_data = 0;
			/* fall through */
		case OPT_CLOSE_FIRST:
			o->close_after_ms = 0;
			if (optarg)
				rc = peer_parse_secs(optarg,
						     &o->close_after_ms);
			break;
		case OPT_ABORT:
			o->abort_close = 1;
			break;
		case OPT_ON_EOF:
			if (peer_parse_eof_list(optarg, o, err))
				return -EINVAL;
			break;
		case OPT_HOLD:
			rc = peer_parse_secs(optarg, &o->hold_ms);
			break;
		case OPT_EXIT_AFTER:
			rc = peer_parse_secs(optarg, &o->exit_after_ms);
			if (!rc && o->exit_after_ms == 0)
				rc = -EINVAL;
			break;
		case OPT_CONNECT_TIMEOUT:
			rc = peer_parse_u64(optarg, 1, PEER_MAX_SECS * 1000,
					    &o->connect_timeout_ms);
			break;
		case OPT_EXPECT_REFUSED:
			o->expect_refused = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			o->help = 1;
			return 0;
		case ':':
			snprintf(err, PEER_ERRBUF_SIZE,
				 "option '%s' needs a value", av[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, PEER_ERRBUF_SIZE, "unknown option '%s'",
				 av[optind - 1]);
			return -EINVAL;
		}
		if (rc) {
			snprintf(err, PEER_ERRBUF_SIZE,
				 "bad value '%s' for option %s",
				 optarg ? optarg : "", name);
			return -EINVAL;
		}
	}
	if (optind < argc - 1) {
		snprintf(err, PEER_ERRBUF_SIZE, "unexpected argument '%s'",
			 av[optind]);
		return -EINVAL;
	}

	if (!have_addr)
		bad = o->mode == PEER_SERVER ? "server needs -l ADDR:PORT"
					     : "client needs -c ADDR:PORT";
	else if (o->mode == PEER_SERVER &&
		 (have_bind || have_interval || o->expect_refused))
		bad = "-b, --interval and --expect-refused are client options";
	else if (o->mode == PEER_CLIENT && o->conns == 0)
		bad = "client needs -n of 1 or more";
	else if (have_bind && o->bind_addr.ss_family != o->addr.ss_family)
		bad = "-b and -c are of different address families";
	if (bad) {
		snprintf(err, PEER_ERRBUF_SIZE, "%s", bad);
		return -EINVAL;
	}
	return 0;
}

/* The help text is laid out as it prints. */
/* clang-format off */
static void peer_usage(FILE *f)
{
	fputs(
"usage: ftpeer server -l ADDR:PORT [options]\n"
"       ftpeer client -c ADDR:PORT [options]\n"
"\n"
"Scripted TCP peer for fintrace's scenario captures and tests. One process\n"
"plays one role for -n connections and does, per connection, what the\n"
"options say. Addresses are numeric: 10.77.0.2:9100 or [fd00:77::2]:9100.\n"
"Times in MS are integer milliseconds; times in SECS take up to three\n"
"decimals (1.5).\n"
"\n"
"Roles:\n"
"  -l, --listen ADDR:PORT  server: listen here (SO_REUSEADDR, v6-only)\n"
"  -c, --connect ADDR:PORT client: connect here\n"
"  -b, --bind ADDR[:PORT]  client: source address (default port: any)\n"
"  -n, --conns N           connections to make or accept (default 1;\n"
"                          server 0 = accept until the process ends)\n"
"      --interval MS       client: delay between connect()s (default 1000)\n"
"      --connect-timeout MS  client: give up a connect() (default 3000)\n"
"      --expect-refused    client: success means every connect() was\n"
"                          refused (RST answering the SYN)\n"
"\n"
"Per connection, once established:\n"
"      --send BYTES        send BYTES at once (a request, or a banner)\n"
"      --send-every MS     send BYTES again every MS until EOF or close\n"
"      --reply BYTES       send BYTES once, after the first data read\n"
"      --shutdown-wr       shutdown(SHUT_WR) once --send is out: our FIN,\n"
"                          the socket stays open for reading\n"
"      --read              read and discard incoming data (default)\n"
"      --no-read           never read: data piles up unread, so a later\n"
"                          close() makes the kernel send RST; EOF is not\n"
"                          seen, so only --close-after/--close-first close\n"
"      --close-after MS    close() MS after establishment: active close\n"
"      --close-first[=SECS]  the same in seconds (default 0: at once)\n"
"      --no-read-then-close[=SECS]  --no-read --close-first[=SECS]\n"
"      --abort             every close() uses SO_LINGER {1,0}: RST, no FIN\n"
"      --on-eof LIST       what to do after reading the peer's FIN (EOF):\n"
"                            close          close() at once (default)\n"
"                            never          keep the fd open until exit\n"
"                            late=SECS      close() SECS after the EOF\n"
"                            abort          close() with SO_LINGER {1,0}\n"
"                            keep-sending=SECS[+LATE]  send --chunk\n"
"                                           bytes every 100 ms for SECS,\n"
"                                           then close() (LATE seconds\n"
"                                           later: a late half-close)\n"
"                          A comma list is applied round-robin in\n"
"                          connection order: never,close,close leaks one\n"
"                          connection in three.\n"
"      --chunk BYTES       keep-sending chunk (default 1000)\n"
"\n"
"Process:\n"
"      --hold SECS         once nothing is left to do, stay alive SECS\n"
"                          more, keeping any fd left open; then exit\n"
"      --exit-after SECS   hard limit on the whole run (default 60); fds\n"
"                          left open are closed by the kernel at exit\n"
"  -v, --verbose           one line per event on stdout (see below)\n"
"  -h, --help              this text\n"
"\n"
"The process ends when every connection is made and closed (after --hold),\n"
"when --hold expires, at --exit-after, or on SIGINT/SIGTERM. Without\n"
"--hold, a connection left open (--on-eof never) keeps the process alive\n"
"until --exit-after or a signal: stop any capture before that.\n"
"\n"
"Events (-v), CLOCK_REALTIME stamped, line buffered:\n"
"  SEC.NSEC ROLE EVENT [conn=N local=ADDR:PORT peer=ADDR:PORT] [KEY=VALUE..]\n"
"  EVENT: listen, unlisten (-n reached), connect, established, accept,\n"
"  refused, error, sent, shutdown-wr, eof (action=...), close (reason=...),\n"
"  abort (reason=...), reset (err=...),\n"
"  exit (reason=done|hold|exit-after|signal, status=...).\n"
"  Scripts wait for e.g. ' established conn=1 ' or ' close conn=2 '.\n"
"\n"
"Exit status: 0 success (a reset the options asked for is success),\n"
"1 usage error, 2 failure: socket setup, connect error or timeout, an\n"
"unexpected refusal (or, with --expect-refused, an accepted connection),\n"
"or --exit-after reached while connections still had work to do.\n",
	      f);
}
/* clang-format on */

/* Print one event line (only with -v). c may be NULL. */
static void peer_event(const struct peer_ctx *ctx, const struct peer_conn *c,
		       const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void peer_event(const struct peer_ctx *ctx, const struct peer_conn *c,
		       const char *event, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if (!ctx->opts->verbose)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld.%09ld %s %s", (long long)ts.tv_sec, ts.tv_nsec, ctx->role,
	       event);
	if (c)
		printf(" conn=%u local=%s peer=%s", c->id, c->local, c->peer);
	if (fmt && *fmt) {
		putchar(' ');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	putchar('\n');
}

static void peer_eof_format(const struct peer_eof_action *a, char *buf,
			    size_t len)
{
	switch (a->kind) {
	case PEER_EOF_CLOSE:
		snprintf(buf, len, "close");
		break;
	case PEER_EOF_NEVER:
		snprintf(buf, len, "never");
		break;
	case PEER_EOF_ABORT:
		snprintf(buf, len, "abort");
		break;
	case PEER_EOF_LATE:
	case PEER_EOF_KEEP_SENDING:
		snprintf(buf, len, "%s=%" PRIu64 ".%03" PRIu64,
			 a->kind == PEER_EOF_LATE ? "late" : "keep-sending",
			 a->ms / 1000, a->ms % 1000);
		break;
	}
}

static int peer_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * Close the connection's fd. abort (or --abort) first sets SO_LINGER
 * {1, 0} so that close() sends RST instead of FIN (RFC 9293, 3.6: abort).
 */
static void peer_conn_close(struct peer_ctx *ctx, struct peer_conn *c,
			    int abort, const char *reason)
{
	int rst = abort || ctx->opts->abort_close;

	if (rst) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			rst = 0;
	}
	peer_event(ctx, c, rst ? "abort" : "close",
		   "reason=%s rx=%" PRIu64 " tx=%" PRIu64, reason, c->rx_total,
		   c->tx_total);
	close(c->fd);
	c->fd = -1;
	c->state = PEER_CONN_CLOSED;
}

/* The socket failed (RST received, write to a reset peer ...). */
static void peer_conn_reset(struct peer_ctx *ctx, struct peer_conn *c, int err)
{
	peer_event(ctx, c, "reset",
		   "err=%s errno=%d rx=%" PRIu64 " tx=%" PRIu64,
		   peer_errname(err), err, c->rx_total, c->tx_total);
	close(c->fd);
	c->fd = -1;
	c->state = PEER_CONN_CLOSED;
}

/* Establishment: arm the per-connection behaviour. */
static void peer_conn_opened(struct peer_ctx *ctx, struct peer_conn *c,
			     uint64_t now)
{
	const struct peer_opts *o = ctx->opts;

	c->state = PEER_CONN_OPEN;
	c->start_ms = now;
	c->eof = o->on_eof[(c->id - 1) % o->on_eof_count];
	c->close_at_ms = peer_add_ms(now, o->close_after_ms);
	c->tx_left = o->send_bytes;
	c->tx_batch = o->send_bytes;
	c->next_send_ms =
		o->send_every_ms ? now + o->send_every_ms : PEER_NEVER;
	c->eof_at_ms = PEER_NEVER;
	c->next_chunk_ms = PEER_NEVER;
	ctx->established++;
}

static void peer_conn_names(struct peer_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		peer_addr_format(&ss, c->local, sizeof(c->local));
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		peer_addr_format(&ss, c->peer, sizeof(c->peer));
}

/* Client: start connection number ctx->count + 1. Returns 0 or -errno. */
static int peer_client_connect(struct peer_ctx *ctx, uint64_t now)
{
	const struct peer_opts *o = ctx->opts;
	struct peer_conn *c = &ctx->conns[ctx->count];
	int fd, rc;

	fd = socket(o->addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->id = ++ctx->count;
	c->start_ms = now;
	snprintf(c->local, sizeof(c->local), "?");
	peer_addr_format(&o->addr, c->peer, sizeof(c->peer));
	rc = peer_set_nonblock(fd);
	if (!rc && o->bind_len &&
	    bind(fd, (const struct sockaddr *)&o->bind_addr, o->bind_len))
		rc = -errno;
	if (rc) {
		peer_event(ctx, c, "error", "err=%s errno=%d op=bind",
			   peer_errname(-rc), -rc);
		close(fd);
		c->fd = -1;
		c->state = PEER_CONN_CLOSED;
		return rc;
	}
	c->state = PEER_CONN_CONNECTING;
	rc = connect(fd, (const struct sockaddr *)&o->addr, o->addr_len);
	rc = rc ? errno : 0;
	peer_conn_names(c);
	peer_event(ctx, c, "connect", NULL);
	if (rc == 0) {
		peer_event(ctx, c, "established", NULL);
		peer_conn_opened(ctx, c, now);
	} else if (rc != EINPROGRESS) {
		/* Handled like an asynchronous failure, below. */
		return -rc;
	}
	return 0;
}

/* Outcome of a non-blocking connect() (err = SO_ERROR, or ETIMEDOUT). */
static void peer_client_connected(struct peer_ctx *ctx, struct peer_conn *c,
				  int err, uint64_t now)
{
	if (err == 0) {
		peer_conn_names(c);
		peer_event(ctx, c, "established", NULL);
		peer_conn_opened(ctx, c, now);
		return;
	}
	if (err == ECONNREFUSED) {
		ctx->refused++;
		peer_event(ctx, c, "refused", NULL);
	} else {
		ctx->failed++;
		peer_event(ctx, c, "error", "err=%s errno=%d op=connect",
			   peer_errname(err), err);
	}
	close(c->fd);
	c->fd = -1;
	c->state = PEER_CONN_CLOSED;
}

/* Server: accept what is pending, up to -n. Returns 0 or -errno. */
static int peer_server_accept(struct peer_ctx *ctx, uint64_t now)
{
	const struct peer_opts *o = ctx->opts;
	int i;

	for (i = 0; i < PEER_READS_PER_WAKE && ctx->listen_fd >= 0; i++) {
		struct peer_conn *c;
		int fd = accept(ctx->listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ECONNABORTED || errno == EINTR)
				return 0;
			return -errno;
		}
		c = &ctx->conns[ctx->count];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->id = ++ctx->count;
		peer_conn_names(c);
		if (peer_set_nonblock(fd)) {
			int err = errno;

			close(fd);
			c->fd = -1;
			c->state = PEER_CONN_CLOSED;
			return -err;
		}
		peer_event(ctx, c, "accept", NULL);
		peer_conn_opened(ctx, c, now);
		if ((o->conns && ctx->count >= o->conns) ||
		    ctx->count >= ctx->cap) {
			/* Later SYNs to this port are refused (RST). */
			peer_event(ctx, NULL, "unlisten", "accepted=%u",
				   ctx->count);
			close(ctx->listen_fd);
			ctx->listen_fd = -1;
		}
	}
	return 0;
}

static int peer_server_listen(struct peer_ctx *ctx)
{
	const struct peer_opts *o = ctx->opts;
	char name[PEER_ADDRSTR_SIZE];
	int fd, one = 1, rc = 0;

	fd = socket(o->addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (o->addr.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)&o->addr, o->addr_len) ||
	    listen(fd, 128))
		rc = -errno;
	if (!rc)
		rc = peer_set_nonblock(fd);
	if (rc) {
		close(fd);
		return rc;
	}
	ctx->listen_fd = fd;
	peer_addr_format(&o->addr, name, sizeof(name));
	peer_event(ctx, NULL, "listen", "local=%s", name);
	return 0;
}

/* The peer's FIN was read: apply this connection's --on-eof action. */
static void peer_conn_eof(struct peer_ctx *ctx, struct peer_conn *c,
			  uint64_t now)
{
	char act[48];

	c->eof_seen = 1;
	c->next_send_ms = PEER_NEVER;
	peer_eof_format(&c->eof, act, sizeof(act));
	peer_event(ctx, c, "eof", "rx=%" PRIu64 " action=%s", c->rx_total, act);
	switch (c->eof.kind) {
	case PEER_EOF_CLOSE:
		peer_conn_close(ctx, c, 0, "eof");
		break;
	case PEER_EOF_ABORT:
		peer_conn_close(ctx, c, 1, "eof");
		break;
	case PEER_EOF_NEVER:
		c->state = PEER_CONN_LEFT_OPEN;
		break;
	case PEER_EOF_LATE:
		c->eof_at_ms = peer_add_ms(now, c->eof.ms);
		break;
	case PEER_EOF_KEEP_SENDING:
		c->eof_at_ms = peer_add_ms(now, c->eof.ms);
		c->next_chunk_ms = now;
		break;
	}
}

static void peer_conn_read(struct peer_ctx *ctx, struct peer_conn *c,
			   uint64_t now)
{
	int i;

	for (i = 0; i < PEER_READS_PER_WAKE; i++) {
		ssize_t n = recv(c->fd, ctx->iobuf, PEER_IOBUF_SIZE, 0);

		if (n > 0) {
			c->rx_total += (uint64_t)n;
			if (ctx->opts->reply_bytes && !c->replied) {
				c->replied = 1;
				c->tx_left += ctx->opts->reply_bytes;
				c->tx_batch += ctx->opts->reply_bytes;
			}
			continue;
		}
		if (n == 0) {
			peer_conn_eof(ctx, c, now);
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			peer_conn_reset(ctx, c, errno);
		return;
	}
}

static void peer_conn_write(struct peer_ctx *ctx, struct peer_conn *c)
{
	const struct peer_opts *o = ctx->opts;
	int i;

	for (i = 0; i < PEER_READS_PER_WAKE && c->tx_left; i++) {
		size_t want = c->tx_left < PEER_IOBUF_SIZE ? (size_t)c->tx_left
							   : PEER_IOBUF_SIZE;
		ssize_t n = send(c->fd, ctx->iobuf, want, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				peer_conn_reset(ctx, c, errno);
			return;
		}
		c->tx_left -= (uint64_t)n;
		c->tx_total += (uint64_t)n;
	}
	if (c->tx_left)
		return;
	if (c->tx_batch)
		peer_event(ctx, c, "sent", "bytes=%" PRIu64 " tx=%" PRIu64,
			   c->tx_batch, c->tx_total);
	c->tx_batch = 0;
	if (o->shutdown_wr && !c->wr_shut && !c->eof_seen) {
		if (shutdown(c->fd, SHUT_WR)) {
			peer_conn_reset(ctx, c, errno);
			return;
		}
		c->wr_shut = 1;
		c->next_send_ms = PEER_NEVER;
		peer_event(ctx, c, "shutdown-wr", "tx=%" PRIu64, c->tx_total);
	}
}

/* Fire this connection's due timers. */
static void peer_conn_timers(struct peer_ctx *ctx, struct peer_conn *c,
			     uint64_t now)
{
	const struct peer_opts *o = ctx->opts;

	if (c->state == PEER_CONN_CONNECTING) {
		if (now >= peer_add_ms(c->start_ms, o->connect_timeout_ms))
			peer_client_connected(ctx, c, ETIMEDOUT, now);
		return;
	}
	if (c->state != PEER_CONN_OPEN)
		return;
	if (now >= c->close_at_ms) {
		peer_conn_close(ctx, c, 0, "close-after");
		return;
	}
	if (now >= c->eof_at_ms && c->eof.kind == PEER_EOF_KEEP_SENDING &&
	    c->eof.then_ms) {
		/* Done sending: stay silent, then close (a late half-close). */
		c->next_chunk_ms = PEER_NEVER;
		c->eof_at_ms = peer_add_ms(now, c->eof.then_ms);
		c->eof.then_ms = 0;
		peer_event(ctx, c, "keep-sending-done", "tx=%" PRIu64,
			   c->tx_total);
	}
	if (now >= c->eof_at_ms) {
		peer_conn_close(ctx, c, 0,
				c->eof.kind == PEER_EOF_LATE ? "late"
							     : "keep-sending");
		return;
	}
	if (now >= c->next_send_ms) {
		c->tx_left += o->send_bytes;
		c->tx_batch += o->send_bytes;
		c->next_send_ms =
			peer_add_ms(c->next_send_ms, o->send_every_ms);
	}
	if (now >= c->next_chunk_ms) {
		c->tx_left += o->chunk_bytes;
		c->tx_batch += o->chunk_bytes;
		c->next_chunk_ms = peer_add_ms(c->next_chunk_ms, PEER_CHUNK_MS);
	}
	/*
	 * Data queued by a timer or the establishment goes out at once, and
	 * so does a --shutdown-wr that has nothing (left) to send first.
	 */
	if (!c->wr_shut && (c->tx_left || (o->shutdown_wr && !c->eof_seen)))
		peer_conn_write(ctx, c);
}

static uint64_t peer_conn_next_deadline(const struct peer_ctx *ctx,
					const struct peer_conn *c)
{
	uint64_t t = PEER_NEVER;

	if (c->state == PEER_CONN_CONNECTING)
		return peer_add_ms(c->start_ms, ctx->opts->connect_timeout_ms);
	if (c->state != PEER_CONN_OPEN)
		return PEER_NEVER;
	if (c->close_at_ms < t)
		t = c->close_at_ms;
	if (c->eof_at_ms < t)
		t = c->eof_at_ms;
	if (c->next_send_ms < t)
		t = c->next_send_ms;
	if (c->next_chunk_ms < t)
		t = c->next_chunk_ms;
	return t;
}

/* poll() events wanted for c; -1 when c is not to be polled at all. */
static int peer_conn_poll_events(const struct peer_ctx *ctx,
				 const struct peer_conn *c)
{
	int ev = 0;

	if (c->state == PEER_CONN_CONNECTING)
		return POLLOUT;
	if (c->state != PEER_CONN_OPEN)
		return -1;
	if (c->tx_left && !c->wr_shut)
		ev |= POLLOUT;
	if (!c->eof_seen && ctx->opts->read_data)
		ev |= POLLIN;
	/*
	 * After EOF a waiting connection (late) is not polled: its POLLHUP
	 * would spin the loop, and it has nothing to say until its timer.
	 * Before EOF, events 0 still reports POLLERR (a RST).
	 */
	if (!ev && c->eof_seen)
		return -1;
	return ev;
}

static void peer_conn_handle(struct peer_ctx *ctx, struct peer_conn *c,
			     short revents, uint64_t now)
{
	if (c->state == PEER_CONN_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el))
			err = errno;
		peer_client_connected(ctx, c, err, now);
		return;
	}
	if (c->state != PEER_CONN_OPEN)
		return;
	if (revents & POLLERR) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) ||
		    err == 0)
			err = ECONNRESET;
		peer_conn_reset(ctx, c, err);
		return;
	}
	if ((revents & (POLLIN | POLLHUP)) && ctx->opts->read_data &&
	    !c->eof_seen)
		peer_conn_read(ctx, c, now);
	else if ((revents & POLLHUP) && !c->eof_seen)
		peer_conn_eof(ctx, c, now); /* not reading: hang-up */
	if (c->state == PEER_CONN_OPEN && c->tx_left && !c->wr_shut)
		peer_conn_write(ctx, c);
}

/*
 * 1 while the run still has something to do: connections to make or
 * accept, or open connections with I/O or timers ahead.
 */
static int peer_pending(const struct peer_ctx *ctx, unsigned *left_open)
{
	const struct peer_opts *o = ctx->opts;
	int pending = 0;
	unsigned i;

	*left_open = 0;
	if (o->mode == PEER_CLIENT && ctx->count < o->conns)
		pending = 1;
	if (o->mode == PEER_SERVER && ctx->listen_fd >= 0)
		pending = 1;
	for (i = 0; i < ctx->count; i++) {
		if (ctx->conns[i].state == PEER_CONN_LEFT_OPEN)
			(*left_open)++;
		else if (ctx->conns[i].state == PEER_CONN_CONNECTING ||
			 ctx->conns[i].state == PEER_CONN_OPEN)
			pending = 1;
	}
	return pending;
}

/*
 * The event loop. Returns 0, or -errno on a setup or socket failure;
 * *reason says why the loop ended.
 */
static int peer_run(struct peer_ctx *ctx, const char **reason, int *pending)
{
	const struct peer_opts *o = ctx->opts;
	uint64_t now = peer_mono_ms();
	unsigned long iter;
	int rc = 0;

	ctx->deadline_ms = peer_add_ms(now, o->exit_after_ms);
	ctx->next_connect_ms = now;
	ctx->idle_since_ms = PEER_NEVER;
	*pending = 0;
	if (o->mode == PEER_SERVER) {
		rc = peer_server_listen(ctx);
		if (rc)
			return rc;
	}

	/*
	 * Each turn waits at most PEER_POLL_MAX_MS, and the run ends at
	 * --exit-after, so the count bound below is only a safety net
	 * against a descriptor that keeps waking us without progress.
	 */
	for (iter = 0; iter < 50000000UL; iter++) {
		unsigned nfds = 0, i, left_open;
		uint64_t next = ctx->deadline_ms;
		int timeout, n;

		now = peer_mono_ms();
		if (stop) {
			*reason = "signal";
			return 0;
		}
		if (now >= ctx->deadline_ms) {
			*reason = "exit-after";
			*pending = peer_pending(ctx, &left_open);
			/* A server without -n ends this way by design. */
			if (o->mode == PEER_SERVER && o->conns == 0 &&
			    ctx->listen_fd >= 0) {
				*pending = 0;
				for (i = 0; i < ctx->count; i++)
					if (ctx->conns[i].state ==
						    PEER_CONN_OPEN ||
					    ctx->conns[i].state ==
						    PEER_CONN_CONNECTING)
						*pending = 1;
			}
			return 0;
		}

		if (o->mode == PEER_CLIENT && ctx->count < o->conns &&
		    now >= ctx->next_connect_ms) {
			rc = peer_client_connect(ctx, now);
			/* EADDRNOTAVAIL: no ephemeral port left toward the
			 * peer (TIME_WAIT); logged, and the client goes on */
			if (rc == -ECONNREFUSED || rc == -ETIMEDOUT ||
			    rc == -ENETUNREACH || rc == -EHOSTUNREACH ||
			    rc == -EADDRNOTAVAIL) {
				peer_client_connected(
					ctx, &ctx->conns[ctx->count - 1], -rc,
					now);
			} else if (rc) {
				return rc;
			}
			ctx->next_connect_ms = now + o->interval_ms;
		}

		for (i = 0; i < ctx->count; i++)
			peer_conn_timers(ctx, &ctx->conns[i], now);

		if (peer_pending(ctx, &left_open)) {
			ctx->idle_since_ms = PEER_NEVER;
		} else {
			if (ctx->idle_since_ms == PEER_NEVER)
				ctx->idle_since_ms = now;
			if (o->hold_ms != PEER_NEVER) {
				uint64_t end = peer_add_ms(ctx->idle_since_ms,
							   o->hold_ms);

				if (now >= end) {
					*reason = "hold";
					return 0;
				}
				if (end < next)
					next = end;
			} else if (left_open == 0) {
				*reason = "done";
				return 0;
			}
		}

		if (o->mode == PEER_CLIENT && ctx->count < o->conns &&
		    ctx->next_connect_ms < next)
			next = ctx->next_connect_ms;
		if (ctx->listen_fd >= 0) {
			ctx->pfds[nfds].fd = ctx->listen_fd;
			ctx->pfds[nfds].events = POLLIN;
			ctx->pconns[nfds++] = NULL;
		}
		for (i = 0; i < ctx->count; i++) {
			struct peer_conn *c = &ctx->conns[i];
			uint64_t t = peer_conn_next_deadline(ctx, c);
			int ev = peer_conn_poll_events(ctx, c);

			if (t < next)
				next = t;
			if (ev < 0)
				continue;
			ctx->pfds[nfds].fd = c->fd;
			ctx->pfds[nfds].events = (short)ev;
			ctx->pconns[nfds++] = c;
		}

		timeout = next <= now			  ? 0
			  : next - now > PEER_POLL_MAX_MS ? PEER_POLL_MAX_MS
							  : (int)(next - now);
		n = poll(ctx->pfds, nfds, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		now = peer_mono_ms();
		for (i = 0; n > 0 && i < nfds; i++) {
			short re = ctx->pfds[i].revents;

			if (!re)
				continue;
			if (!ctx->pconns[i]) {
				rc = peer_server_accept(ctx, now);
				if (rc)
					return rc;
				continue;
			}
			peer_conn_handle(ctx, ctx->pconns[i], re, now);
		}
	}
	*reason = "loop-limit";
	*pending = 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct peer_opts opts;
	struct peer_ctx ctx = {0};
	struct sigaction sa = {0};
	char err[PEER_ERRBUF_SIZE];
	const char *reason = "error";
	unsigned i, left_open = 0;
	int status = PEER_EXIT_FAIL, pending = 0, rc;

	ctx.listen_fd = -1;
	if (peer_opts_parse(argc, argv, &opts, err)) {
		fprintf(stderr, "ftpeer: %s (try --help)\n", err);
		return PEER_EXIT_USAGE;
	}
	if (opts.help) {
		peer_usage(stdout);
		return PEER_EXIT_OK;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sa.sa_handler = peer_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	ctx.opts = &opts;
	ctx.role = opts.mode == PEER_SERVER ? "server" : "client";
	ctx.cap = opts.conns ? opts.conns : PEER_MAX_CONNS;
	ctx.conns = calloc(ctx.cap, sizeof(*ctx.conns));
	ctx.pfds = calloc(ctx.cap + 1, sizeof(*ctx.pfds));
	ctx.pconns = calloc(ctx.cap + 1, sizeof(*ctx.pconns));
	ctx.iobuf = malloc(PEER_IOBUF_SIZE);
	if (!ctx.conns || !ctx.pfds || !ctx.pconns || !ctx.iobuf) {
		fprintf(stderr, "ftpeer: out of memory\n");
		goto out;
	}
	for (i = 0; i < PEER_IOBUF_SIZE; i++)
		ctx.iobuf[i] = (char)('a' + i % 26);

	rc = peer_run(&ctx, &reason, &pending);
	if (rc) {
		char name[PEER_ADDRSTR_SIZE];

		peer_addr_format(&opts.addr, name, sizeof(name));
		fprintf(stderr, "ftpeer: %s %s: %s\n", ctx.role, name,
			strerror(-rc));
		goto out;
	}
	for (i = 0; i < ctx.count; i++)
		if (ctx.conns[i].state == PEER_CONN_LEFT_OPEN)
			left_open++;
	status = PEER_EXIT_OK;
	if (pending)
		status = PEER_EXIT_FAIL;
	if (opts.mode == PEER_CLIENT) {
		if (opts.expect_refused ? (ctx.established || ctx.failed ||
					   ctx.refused != ctx.count)
					: (ctx.failed || ctx.refused))
			status = PEER_EXIT_FAIL;
	}
	peer_event(&ctx, NULL, "exit",
		   "reason=%s status=%d conns=%u established=%u refused=%u "
		   "failed=%u left-open=%u pending=%d",
		   reason, status, ctx.count, ctx.established, ctx.refused,
		   ctx.failed, left_open, pending);
	if (status != PEER_EXIT_OK)
		fprintf(stderr,
			"ftpeer: %s: run failed (reason=%s, refused=%u, "
			"failed=%u, pending=%d)\n",
			ctx.role, reason, ctx.refused, ctx.failed, pending);
out:
	for (i = 0; ctx.conns && i < ctx.count; i++)
		if (ctx.conns[i].fd >= 0 &&
		    ctx.conns[i].state != PEER_CONN_CLOSED)
			close(ctx.conns[i].fd);
	if (ctx.listen_fd >= 0)
		close(ctx.listen_fd);
	free(ctx.iobuf);
	free(ctx.pconns);
	free(ctx.pfds);
	free(ctx.conns);
	return status;
}
