// SPDX-License-Identifier: MIT
/*
 * NETLINK_SOCK_DIAG dumps of TCP sockets, in one or every network
 * namespace. See sockdiag.h.
 */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "bpf/sockdiag.h"
#include "bpf/tracer.h"

#define SDG_BUF 32768
#define SDG_MAX_NS 4096

static void fill_sock(struct sdg_sock *s, const struct inet_diag_msg *m,
		      uint32_t netns)
{
	memset(s, 0, sizeof(*s));
	s->cookie = (uint64_t)m->id.idiag_cookie[0] |
		    (uint64_t)m->id.idiag_cookie[1] << 32;
	s->ino = m->idiag_inode;
	s->netns = netns;
	s->uid = m->idiag_uid;
	s->expires_ms = m->idiag_expires;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->family = m->idiag_family == AF_INET6 ? 6 : 4;
	s->state = m->idiag_state;
	/* idiag_timer 3: the timewait timer, only timewait sockets have it */
	s->timewait = m->idiag_timer == 3;
	memcpy(s->saddr, m->id.idiag_src, s->family == 6 ? 16 : 4);
	memcpy(s->daddr, m->id.idiag_dst, s->family == 6 ? 16 : 4);
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
}

/*
 * The BPF socket storage the reply carries after the message, if any:
 * INET_DIAG_SK_BPF_STORAGES { SK_DIAG_BPF_STORAGE { MAP_VALUE } }.
 */
static void find_storage(struct sdg_sock *s, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const char *p = (const char *)m + NLMSG_ALIGN(sizeof(*m));
	const char *end = (const char *)h + h->nlmsg_len;
	const struct nlattr *a, *b, *c;
	const char *pb, *pc, *eb, *ec;

	for (; p + NLA_HDRLEN <= end; p += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) != INET_DIAG_SK_BPF_STORAGES)
			continue;
		eb = p + a->nla_len;
		for (pb = p + NLA_HDRLEN; pb + NLA_HDRLEN <= eb;
		     pb += NLA_ALIGN(b->nla_len)) {
			b = (const struct nlattr *)pb;
			if (b->nla_len < NLA_HDRLEN || pb + b->nla_len > eb)
				return;
			ec = pb + b->nla_len;
			for (pc = pb + NLA_HDRLEN; pc + NLA_HDRLEN <= ec;
			     pc += NLA_ALIGN(c->nla_len)) {
				c = (const struct nlattr *)pc;
				if (c->nla_len < NLA_HDRLEN ||
				    pc + c->nla_len > ec)
					return;
				if ((c->nla_type & NLA_TYPE_MASK) ==
				    SK_DIAG_BPF_STORAGE_MAP_VALUE) {
					s->storage = pc + NLA_HDRLEN;
					s->storage_len =
						c->nla_len - NLA_HDRLEN;
					return;
				}
			}
		}
	}
}

/* A dump request, with the socket-storage map asked for. */
struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
	struct nlattr stgs;
	struct nlattr map;
	uint32_t fd;
};

/*
 * One family's dump on an open NETLINK_SOCK_DIAG socket; with the BPF
 * socket storage of map_fd when map_fd >= 0.
 */
static int dump_family(int fd, int af, uint32_t states, uint32_t netns,
		       int map_fd, sdg_fn fn, void *ctx, char *err)
{
	struct diag_req req;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct sdg_sock s;
	char *buf = NULL;
	ssize_t len;
	int ret = 0, done = 0, rounds;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)af;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = states;
	if (map_fd >= 0) {
		req.stgs.nla_type =
			NLA_F_NESTED | INET_DIAG_REQ_SK_BPF_STORAGES;
		req.stgs.nla_len = NLA_HDRLEN + NLA_HDRLEN + sizeof(uint32_t);
		req.map.nla_type = SK_DIAG_BPF_STORAGE_REQ_MAP_FD;
		req.map.nla_len = NLA_HDRLEN + sizeof(uint32_t);
		req.fd = (uint32_t)map_fd;
	} else {
		req.nlh.nlmsg_len = offsetof(struct diag_req, stgs);
	}
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "sock_diag request: %s",
			 strerror(errno));
		return ret;
	}
	buf = malloc(SDG_BUF);
	if (!buf) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return -ENOMEM;
	}
	/* Bounded: a dump of a million sockets needs far fewer reads. */
	for (rounds = 0; !done && !ret && rounds < 1000000; rounds++) {
		struct nlmsghdr *h;

		len = recv(fd, buf, SDG_BUF, 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			snprintf(err, FT_ERRBUF_SIZE, "sock_diag reply: %s",
				 strerror(errno));
			break;
		}
		if (len == 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				ret = e->error ? e->error : -EIO;
				snprintf(err, FT_ERRBUF_SIZE,
					 "sock_diag error: %s", strerror(-ret));
				break;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len <
				    NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			fill_sock(&s, NLMSG_DATA(h), netns);
			if (map_fd >= 0)
				find_storage(&s, h);
			ret = fn(ctx, &s);
			if (ret)
				break;
		}
	}
	free(buf);
	return ret;
}

static int dump_one(uint32_t states, int family, uint32_t netns, int map_fd,
		    sdg_fn fn, void *ctx, char *err);

int sdg_dump(uint32_t states, int family, uint32_t netns, sdg_fn fn, void *ctx,
	     char *err)
{
	return dump_one(states, family, netns, -1, fn, ctx, err);
}

static int dump_one(uint32_t states, int family, uint32_t netns, int map_fd,
		    sdg_fn fn, void *ctx, char *err)
{
	int fd, ret = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "NETLINK_SOCK_DIAG socket: %s",
			 strerror(errno));
		return ret;
	}
	if (family != 6)
		ret = dump_family(fd, AF_INET, states, netns, map_fd, fn, ctx,
				  err);
	if (!ret && family != 4) {
		/* a fresh socket: the first dump may have stopped early */
		close(fd);
		fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			    NETLINK_SOCK_DIAG);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, FT_ERRBUF_SIZE,
				 "NETLINK_SOCK_DIAG socket: %s",
				 strerror(errno));
			return ret;
		}
		ret = dump_family(fd, AF_INET6, states, netns, map_fd, fn, ctx,
				  err);
	}
	close(fd);
	return ret;
}

uint32_t sdg_current_netns(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) != 0)
		return 0;
	return (uint32_t)st.st_ino;
}

struct ns_set {
	uint32_t ino[SDG_MAX_NS];
	size_t n;
};

static int ns_seen(const struct ns_set *set, uint32_t ino)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->ino[i] == ino)
			return 1;
	return 0;
}

static int ns_wanted(const uint32_t *only, size_t n_only, uint32_t ino)
{
	size_t i;

	if (!n_only)
		return 1;
	for (i = 0; i < n_only; i++)
		if (only[i] == ino)
			return 1;
	return 0;
}

/*
 * Enter the namespace at path (when it is new and wanted), dump, return.
 * Returns 0 or the callback's value; -errno only when the way back to
 * home fails.
 */
static int visit(const char *path, int home, struct ns_set *set,
		 uint32_t states, int family, const uint32_t *only,
		 size_t n_only, int map_fd, sdg_fn fn, void *ctx, char *err)
{
	struct stat st;
	char lerr[FT_ERRBUF_SIZE];
	int fd, ret;

	if (stat(path, &st) != 0)
		return 0;
	if (ns_seen(set, (uint32_t)st.st_ino) ||
	    !ns_wanted(only, n_only, (uint32_t)st.st_ino))
		return 0;
	if (set->n < SDG_MAX_NS)
		set->ino[set->n++] = (uint32_t)st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (setns(fd, CLONE_NEWNET) != 0) {
		close(fd);
		return 0;
	}
	close(fd);
	ret = dump_one(states, family, (uint32_t)st.st_ino, map_fd, fn, ctx,
		       lerr);
	if (ret < 0)
		ret = 0; /* a namespace going away mid-dump is not fatal */
	if (setns(home, CLONE_NEWNET) != 0) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "cannot return to the original network namespace: %s",
			 strerror(errno));
		return -errno;
	}
	return ret;
}

/*
 * Call fn with the path of every network namespace in use: those named in
 * /run/netns, then each process's. Stops at fn's non-zero value, which it
 * returns.
 */
static int each_ns_path(int (*fn)(void *ctx, const char *path), void *ctx)
{
	struct dirent *de;
	char path[300];
	DIR *d;
	int pass, ret = 0;

	for (pass = 0; pass < 2 && !ret; pass++) {
		d = opendir(pass ? "/proc" : "/run/netns");
		if (!d)
			continue;
		while (!ret && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (pass &&
			    (de->d_name[0] < '0' || de->d_name[0] > '9'))
				continue;
			snprintf(path, sizeof(path),
				 pass ? "/proc/%s/ns/net" : "/run/netns/%s",
				 de->d_name);
			ret = fn(ctx, path);
		}
		closedir(d);
	}
	return ret;
}

struct visit_ctx {
	int home;
	struct ns_set *set;
	uint32_t states;
	int family;
	const uint32_t *only;
	size_t n_only;
	int map_fd;
	sdg_fn fn;
	void *ctx;
	char *err;
};

static int visit_cb(void *ctx, const char *path)
{
	struct visit_ctx *v = ctx;

	return visit(path, v->home, v->set, v->states, v->family, v->only,
		     v->n_only, v->map_fd, v->fn, v->ctx, v->err);
}

int sdg_dump_all(uint32_t states, int family, const uint32_t *only,
		 size_t n_only, sdg_fn fn, void *ctx, char *err)
{
	return sdg_dump_all_storage(states, family, only, n_only, -1, fn, ctx,
				    err);
}

int sdg_dump_all_storage(uint32_t states, int family, const uint32_t *only,
			 size_t n_only, int map_fd, sdg_fn fn, void *ctx,
			 char *err)
{
	struct ns_set *set = NULL;
	uint32_t self;
	int home = -1, ret = 0;
	struct visit_ctx vc = {.states = states,
			       .family = family,
			       .only = only,
			       .n_only = n_only,
			       .map_fd = map_fd,
			       .fn = fn,
			       .ctx = ctx,
			       .err = err};

	set = calloc(1, sizeof(*set));
	if (!set) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return -ENOMEM;
	}
	self = sdg_current_netns();
	if (ns_wanted(only, n_only, self)) {
		ret = dump_one(states, family, self, map_fd, fn, ctx, err);
		if (ret)
			goto out;
	}
	set->ino[set->n++] = self;
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		goto out; /* no way back: stay in our own namespace */
	vc.home = home;
	vc.set = set;

	ret = each_ns_path(visit_cb, &vc);
out:
	if (home >= 0)
		close(home);
	free(set);
	return ret;
}

static int same_ino(void *ctx, const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && (uint32_t)st.st_ino == *(uint32_t *)ctx;
}

int sdg_netns_exists(uint32_t ino)
{
	if (sdg_current_netns() == ino)
		return 1;
	return each_ns_path(same_ino, &ino);
}
