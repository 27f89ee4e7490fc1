/* SPDX-License-Identifier: MIT */
/*
 * TCP socket dumps through NETLINK_SOCK_DIAG (inet_diag_req_v2), the
 * interface `ss` uses: sockets that existed before tracing began, and
 * timewait sockets, which no state-change tracepoint reports. A dump sees
 * only the network namespace of its netlink socket, so sdg_dump_all()
 * visits every namespace in use (/proc/PID/ns/net, /run/netns/NAME).
 */
#ifndef FT_BPF_SOCKDIAG_H
#define FT_BPF_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

/* One socket of a dump. */
struct sdg_sock {
	uint64_t cookie;      /* same value as bpf_get_socket_cookie() */
	uint64_t ino;         /* socket inode; 0 for timewait and orphans */
	uint32_t netns;       /* namespace inode the dump ran in */
	uint32_t uid;
	uint32_t expires_ms;  /* timer left (timewait: until it is freed) */
	uint32_t rqueue;
	uint32_t wqueue;
	uint8_t family;       /* 4 or 6 */
	uint8_t state;        /* TCP_*; a timewait socket's substate */
	uint8_t timewait;     /* 1: a timewait socket (full socket gone) */
	uint8_t saddr[16];    /* local */
	uint8_t daddr[16];    /* remote */
	uint16_t sport;       /* local port, host order */
	uint16_t dport;       /* remote port, host order */
	const void *storage;  /* the socket's value in the BPF socket-storage
				 map asked for (borrowed, valid during the
				 callback, only 4-byte aligned: copy it
				 before reading wider fields), or NULL */
	uint32_t storage_len;
};

/* Called per socket; s is borrowed for the call. Non-zero stops the dump. */
typedef int (*sdg_fn)(void *ctx, const struct sdg_sock *s);

/*
 * Dump TCP sockets whose state bit (1 << TCP_*) is in states, of family
 * 0 (both), 4 or 6, in the calling thread's network namespace, tagging
 * them with netns. Returns 0, the callback's non-zero value, or -errno
 * with err (FT_ERRBUF_SIZE, caller's) set.
 */
int sdg_dump(uint32_t states, int family, uint32_t netns, sdg_fn fn,
	     void *ctx, char *err);

/*
 * The same in every network namespace in use, or only in those listed in
 * only[0..n_only) when n_only > 0. Enters each with setns() and returns
 * to the caller's namespace. A namespace that cannot be entered is
 * skipped. Returns 0, a callback's value, or -errno (err set) when the
 * caller's own namespace cannot be dumped or restored.
 */
int sdg_dump_all(uint32_t states, int family, const uint32_t *only,
		 size_t n_only, sdg_fn fn, void *ctx, char *err);

/*
 * sdg_dump_all() that also returns each socket's value in the BPF
 * socket-storage map map_fd (INET_DIAG_REQ_SK_BPF_STORAGES; needs
 * CAP_BPF), or every socket's value NULL when map_fd < 0.
 */
int sdg_dump_all_storage(uint32_t states, int family, const uint32_t *only,
			 size_t n_only, int map_fd, sdg_fn fn, void *ctx,
			 char *err);

/*
 * 1 when a network namespace with inode ino is in use (ours, one named
 * in /run/netns, or a process's), else 0.
 */
int sdg_netns_exists(uint32_t ino);

/* Inode of the calling thread's network namespace, 0 on error. */
uint32_t sdg_current_netns(void);

#endif /* FT_BPF_SOCKDIAG_H */
