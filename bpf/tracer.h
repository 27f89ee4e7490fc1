/* SPDX-License-Identifier: MIT */
/*
 * Loader and reader of tracer.bpf.c: opens the skeleton, sets the
 * const volatile filters, loads, attaches, and hands each ring-buffer
 * record to a callback. The state-change hook is required; the reset and accept
 * hooks are optional and their absence is reported as reduced features, not as
 * an error. Clean ends are not records but per-CPU counters, read with
 * trc_clean_read(). Links are file descriptors: nothing stays attached once
 * trc_free() ran or the process exited.
 */
#ifndef FT_BPF_TRACER_H
#define FT_BPF_TRACER_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/event.h"

#ifndef FT_ERRBUF_SIZE
#define FT_ERRBUF_SIZE 256
#endif

/* Filters and sizes; zero means "no filter" / "default". */
struct trc_opts {
	uint16_t port;          /* local or remote port */
	uint16_t lport;         /* local port */
	uint16_t rport;         /* remote port */
	uint8_t family;         /* 0 (both), 4 or 6 */
	uint32_t pid;           /* sockets this process connected/accepted/closed */
	uint32_t netns;         /* network namespace inode */
	uint32_t ringbuf_bytes; /* rounded up to a power of two >= page size;
				   0 = 256 KiB */
	int no_accept;          /* 1: do not hook accept() (no tracefs use) */
	uint64_t linger_ns;	/* CLOSE_WAIT past this is late; 0: 5 s */
	int floor;		/* 1: programs attached but empty (the
				   benchmark's floor); nothing is reported */
	int every_end;		/* 1: a clean end is a record too, not only
				   counted (the list of --all) */
};

/* Hooks that attached. */
enum trc_feature {
	TRC_F_STATE = 1 << 0,
	TRC_F_RST_SENT = 1 << 1,
	TRC_F_RST_RECV = 1 << 2,
	TRC_F_DESTROY = 1 << 3, /* (no longer used: CLOSE ends a socket) */
	TRC_F_ACCEPT = 1 << 4,
};

struct trc;

/*
 * Called once per record, in trc_poll()'s thread. ev is borrowed: it points
 * into the ring buffer and is valid only during the call. A negative return
 * stops the current trc_poll() call, which returns it.
 */
typedef int (*trc_event_fn)(void *ctx, const struct trc_event *ev);

/*
 * Open, configure, load and attach. Returns NULL with errno set and a one-
 * line reason in err (FT_ERRBUF_SIZE bytes, caller's) when BPF cannot be
 * used: EPERM not root, ENOENT no kernel BTF, EINVAL/EACCES verifier
 * rejection, others from libbpf. o may be NULL for defaults. fn/ctx are
 * borrowed. Caller frees with trc_free().
 */
struct trc *trc_new(const struct trc_opts *o, trc_event_fn fn, void *ctx,
		    char *err);

/* Release everything: links, programs, maps. trc_free(NULL) is a no-op. */
void trc_free(struct trc *t);

/*
 * Wait up to timeout_ms (-1: forever, 0: do not wait) for records and
 * deliver them, with those queued without a wake-up. Returns the number
 * delivered, 0 on timeout or signal, a callback's negative value, or
 * -errno.
 */
int trc_poll(struct trc *t, int timeout_ms);

/*
 * Network namespaces in which a socket got storage (up to max into
 * netns): the only ones a walk of sockets with storage needs to visit.
 * Returns the count.
 */
size_t trc_netns(const struct trc *t, uint32_t *netns, size_t max);

/*
 * The socket-storage map (struct trc_sk values), for sock_diag dumps
 * that return each socket's storage (sdg_dump_all_storage()). Borrowed.
 */
int trc_storage_fd(const struct trc *t);

/*
 * Called once per (namespace, owner, service, role) with the cumulative
 * counts of clean ends summed over CPUs; both borrowed for the call.
 */
typedef void (*trc_clean_fn)(void *ctx, const struct trc_agg_key *k,
			     const struct trc_agg_val *v);

/* Read the clean-end counters. 0 or -errno. */
int trc_clean_read(struct trc *t, trc_clean_fn fn, void *ctx);

/* TRC_F_* bits of the hooks that attached. */
unsigned trc_features(const struct trc *t);

/*
 * Human-readable list of what is missing ("no reset hooks; no accept hook:
 * tracefs unavailable"), or "" when everything attached. Borrowed, valid
 * until trc_free().
 */
const char *trc_reduced(const struct trc *t);

/* What was lost, by cause, all CPUs. */
struct trc_lost {
	uint64_t full;	  /* the ring buffer had no room */
	uint64_t refused; /* the ring had room; its reservation failed */
	uint64_t map;	  /* a clean end found its counter map full */
	uint64_t skipped; /* runs of the state and reset hooks the kernel
			     skipped: a program already running on the
			     CPU (bpf_prog_info.recursion_misses) */
	uint64_t accept_skipped; /* the same for the accept hooks: no record
				    is lost, the owner comes from /proc;
				    not in the sum */
};

/* The causes in *out; returns the sum of those that lose records. */
uint64_t trc_lost_by_cause(const struct trc *t, struct trc_lost *out);

/* Records the kernel could not queue and program runs it skipped. */
uint64_t trc_lost(const struct trc *t);

/*
 * Let the kernel filters pass every later record of the socket with this
 * cookie (a socket found by a dump, which the filters matched in user
 * space). 0 or -errno.
 */
int trc_track(struct trc *t, uint64_t cookie);

/* Records delivered so far. */
uint64_t trc_received(const struct trc *t);

/* 1: print libbpf's warnings and debug messages on stderr. Call once. */
void trc_set_verbose(int verbose);

#endif /* FT_BPF_TRACER_H */
