/* SPDX-License-Identifier: MIT */
/*
 * The /metrics endpoint: an HTTP server (libmicrohttpd) on its own thread
 * that serves the last text published to a struct mxs.
 *
 *   GET or HEAD /metrics  200, Content-Type: text/plain; version=0.0.4
 *   any other path        404
 *   any other method      405, Allow: GET, HEAD
 *
 * One internal thread runs an epoll loop over every connection, so a
 * client that connects and sends nothing, or reads slowly, holds one
 * connection slot and nothing else; after timeout_s seconds without
 * progress MHD closes it. Connections are capped in total and per client
 * address. The server never touches the registry: it only takes a
 * reference to the published text (metrics/snapshot.h).
 *
 * The server thread starts with every signal blocked, so SIGINT and
 * SIGTERM reach the threads that stop the capture. The listening socket
 * is bound in mxh_start(), in the caller's thread, so that a port in use
 * or a bad address is an error before any capture starts.
 */
#ifndef FT_METRICS_HTTP_H
#define FT_METRICS_HTTP_H

#include <stdint.h>
#include <sys/socket.h>

#include "metrics/snapshot.h"

#ifndef FT_ERRBUF_SIZE
#define FT_ERRBUF_SIZE 256
#endif

#define MXH_DEFAULT_ADDR "127.0.0.1"
#define MXH_DEFAULT_PORT 9781 /* fintrace's port; see README */
#define MXH_TIMEOUT_S 10      /* idle connection timeout */
#define MXH_MAX_CONNS 32
#define MXH_MAX_CONNS_PER_IP 8

struct mxh_config {
	const char *listen; /* "ADDR:PORT", ":PORT", "PORT", "[V6]:PORT" */
	unsigned timeout_s; /* 0: MXH_TIMEOUT_S */
	unsigned max_conns; /* 0: MXH_MAX_CONNS */
};

struct mxh;

/*
 * Parse a listen address. ADDR is a numeric IPv4 address or an IPv6
 * address in brackets; without ADDR ("9781", ":9781") it is
 * MXH_DEFAULT_ADDR. PORT is 0..65535 (0: any free port).
 * Returns 0 with *addr and *len filled, or -EINVAL with a line naming the
 * text and what is wrong in err (FT_ERRBUF_SIZE, caller's).
 */
int mxh_parse_listen(const char *listen, struct sockaddr_storage *addr,
		     socklen_t *len, char *err);

/*
 * Bind cfg->listen and start serving src (borrowed, not NULL: it must
 * outlive the server, so call mxs_free() after mxh_stop()).
 * Returns 0 with *out set, or -errno with one line in err naming
 * ADDR:PORT and the cause: -EINVAL (unparseable address), -EADDRINUSE,
 * -EADDRNOTAVAIL (no such local address), -EACCES (a privileged port),
 * -ENOMEM, or what socket(2) and libmicrohttpd failed with.
 */
int mxh_start(const struct mxh_config *cfg, struct mxs *src, struct mxh **out,
	      char *err);

/* The port the server listens on (useful after port 0). */
uint16_t mxh_port(const struct mxh *h);

/*
 * Stop the thread, close every connection and the listening socket,
 * free h. Responses being sent keep their own reference to the text.
 * NULL is a no-op.
 */
void mxh_stop(struct mxh *h);

#endif /* FT_METRICS_HTTP_H */
