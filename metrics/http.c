/* SPDX-License-Identifier: MIT */
/*
 * /metrics over libmicrohttpd: address parsing, our own listening socket
 * (for exact errors and port 0), and the request handler.
 */
#include "metrics/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct mxh {
	struct MHD_Daemon *daemon;
	struct mxs *src;
	uint16_t port;
};

/* Port text to a number; -1 when it is not 0..65535 in decimal. */
static long parse_port(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	return v;
}

int mxh_parse_listen(const char *listen, struct sockaddr_storage *addr,
		     socklen_t *len, char *err)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon, *h = MXH_DEFAULT_ADDR;
	size_t hlen = strlen(MXH_DEFAULT_ADDR);
	long p;

	memset(addr, 0, sizeof(*addr));
	if (!listen || !*listen) {
		snprintf(err, FT_ERRBUF_SIZE, "metrics address is empty");
		return -EINVAL;
	}
	if (listen[0] == '[') {
		colon = strchr(listen, ']');
		if (!colon || colon[1] != ':') {
			snprintf(err, FT_ERRBUF_SIZE,
				 "metrics address '%s': expected [IPv6]:PORT",
				 listen);
			return -EINVAL;
		}
		h = listen + 1;
		hlen = (size_t)(colon - h);
		port = colon + 2;
	} else {
		colon = strrchr(listen, ':');
		if (colon && colon != listen) {
			h = listen;
			hlen = (size_t)(colon - listen);
		}
		port = colon ? colon + 1 : listen;
	}
	p = parse_port(port);
	if (p < 0) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "metrics address '%s': port '%s' is not 0 to 65535",
			 listen, port);
		return -EINVAL;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "metrics address '%s': no valid address before the "
			 "port",
			 listen);
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (listen[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (listen[0] == '[' &&
	    inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	snprintf(err, FT_ERRBUF_SIZE,
		 "metrics address '%s': '%s' is not a numeric %s address%s",
		 listen, host, listen[0] == '[' ? "IPv6" : "IPv4",
		 listen[0] == '[' ? ""
				  : " (IPv6 goes in brackets: [::1]:PORT)");
	return -EINVAL;
}

/* "ADDR:PORT" or "[ADDR]:PORT" of addr, for messages. */
static void addr_name(char *out, size_t size, const struct sockaddr_storage *a)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;

	if (a->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(in4->sin_port));
	}
}

/* A socket bound to addr and listening; -errno with err filled. */
static int listen_on(const char *text, const struct sockaddr_storage *addr,
		     socklen_t len, char *err)
{
	int fd, one = 1, ret;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "metrics %s: socket: %s", text,
			 strerror(-ret));
		return ret;
	}
	/* a restart must not wait for the last run's TIME_WAIT sockets */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, len) != 0 ||
	    listen(fd, 16) != 0) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "metrics %s: cannot listen: %s",
			 text, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

static void release_snap(void *cls)
{
	mxs_release(cls);
}

static enum MHD_Result reply_static(struct MHD_Connection *c, unsigned status,
				    const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* What *con_cls points to once a GET or HEAD has been seen. */
static const char headers_seen;

/*
 * MHD calls this once when the headers are in, then once per piece of
 * body, then once more with none left. A GET or HEAD is answered at the
 * last call: answering earlier makes MHD close the connection, and
 * Prometheus keeps its connection open between scrapes. Any other
 * method gets its 405 at once, its body unread (MHD then closes).
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct mxh *h = cls;
	struct MHD_Response *r;
	struct mxs_snap *snap;
	enum MHD_Result ret;
	const char *text;
	size_t len;

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "method not allowed: use GET\n");
	if (!*con_cls) {
		*con_cls = (void *)&headers_seen;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a GET with a body: ignored */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return reply_static(c, MHD_HTTP_NOT_FOUND,
				    "not found: fintrace serves /metrics\n");
	snap = mxs_acquire(h->src);
	text = mxs_text(snap, &len);
	r = MHD_create_response_from_buffer_with_free_callback_cls(
		len, (void *)text, release_snap, snap);
	if (!r) {
		mxs_release(snap);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* MHD's own messages go nowhere: only main talks to the user. */
static void quiet(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

int mxh_start(const struct mxh_config *cfg, struct mxs *src, struct mxh **out,
	      char *err)
{
	struct sockaddr_storage addr, bound;
	socklen_t len, blen = sizeof(bound);
	struct mxh *h = NULL;
	char name[INET6_ADDRSTRLEN + 16];
	sigset_t all, old;
	int fd = -1, ret;

	*out = NULL;
	ret = mxh_parse_listen(cfg->listen, &addr, &len, err);
	if (ret)
		return ret;
	addr_name(name, sizeof(name), &addr);
	fd = listen_on(name, &addr, len, err);
	if (fd < 0)
		return fd;
	h = calloc(1, sizeof(*h));
	if (!h) {
		ret = -ENOMEM;
		snprintf(err, FT_ERRBUF_SIZE, "metrics %s: out of memory",
			 name);
		goto out;
	}
	h->src = src;
	memset(&bound, 0, sizeof(bound));
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
		h->port = ntohs(
			bound.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&bound)->sin6_port
				: ((struct sockaddr_in *)&bound)->sin_port);
	/* the server thread inherits a full signal mask: SIGINT and SIGTERM
	 * go to the threads that stop the capture, never to this one */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = 0;
	h->daemon = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD |
			(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(cfg->timeout_s ? cfg->timeout_s : MXH_TIMEOUT_S),
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(cfg->max_conns ? cfg->max_conns : MXH_MAX_CONNS),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)MXH_MAX_CONNS_PER_IP, MHD_OPTION_EXTERNAL_LOGGER,
		quiet, NULL, MHD_OPTION_END);
	ret = errno ? -errno : -EIO;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->daemon) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "metrics %s: cannot start the HTTP server: %s", name,
			 strerror(-ret));
		goto out;
	}
	*out = h;
	return 0;
out:
	/* MHD may or may not have closed the socket it was given */
	if (fd >= 0 && fcntl(fd, F_GETFD) != -1)
		close(fd);
	free(h);
	return ret;
}

uint16_t mxh_port(const struct mxh *h)
{
	return h ? h->port : 0;
}

void mxh_stop(struct mxh *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
