/* SPDX-License-Identifier: MIT */
/*
 * TIME_WAIT pressure: who is about to run out of ports.
 *
 * The active closer of a graceful close holds its 4-tuple in TIME_WAIT for
 * 2MSL after it ACKs the peer's FIN (RFC 9293, 3.6.1; 60 s on Linux,
 * 240 s by default on Windows, TcpTimedWaitDelay). A client that closes
 * first and reconnects fast runs out of ephemeral ports toward one service
 * (the 4-tuple must be unique), and its connects fail with EADDRNOTAVAIL.
 *
 * This module takes finalised flows, computes each TIME_WAIT interval,
 * and follows the number of sockets in TIME_WAIT per (client host,
 * service) pair and per client host over capture time: peak, when, and
 * the share of the ephemeral port range. It also counts SYNs that reuse a
 * 4-tuple still within its TIME_WAIT interval (tcp_tw_reuse, or a peer
 * that ignores TIME_WAIT). No I/O but the writer. Memory follows the
 * sockets in TIME_WAIT at once, never the length of the capture: per
 * socket, 16 bytes in a flat table of 4-tuple fingerprints (for reuse) at
 * most three quarters full, and 8 bytes in each count it belongs to
 * (its pair, and its client host); no allocation per socket. Pairs and
 * host totals are capped per side (max_pairs): past the cap, what a new
 * pair or host would have counted goes to one `other` row of its side
 * (the sum of them all, so its peak is theirs together).
 */
#ifndef FT_ANALYSIS_TIMEWAIT_H
#define FT_ANALYSIS_TIMEWAIT_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/flow.h"
#include "analysis/report.h"

#define TW_LINUX_NS (60ULL * 1000000000ULL)
#define TW_WINDOWS_NS (240ULL * 1000000000ULL)

/* Pairs and client host totals kept per side by default (max_pairs). */
#define TW_PAIRS_MAX 32768

/*
 * A (client host, service) pair of a kernel sample (tw_sample) whose
 * count of sockets in TIME_WAIT reached the configured share of its
 * ephemeral ports. Addresses are borrowed for the call.
 */
struct tw_alert {
	const uint8_t *client;  /* 16 bytes; IPv4 in the first 4 */
	const uint8_t *service;
	uint16_t port;          /* the service's port */
	uint8_t family;         /* SEG_IPV4 or SEG_IPV6 */
	uint32_t netns;         /* as in tw_sock_ep; 0 when not known */
	uint64_t count;         /* sockets in TIME_WAIT in this sample */
	double share;           /* count / ports in the range */
	uint16_t port_lo;       /* the range the share is of */
	uint16_t port_hi;
	uint64_t at_ns;         /* the sample's time (tw_sample's now_ns) */
};

typedef void (*tw_alert_fn)(void *ctx, const struct tw_alert *a);

struct tw_config {
	uint64_t time_wait_ns; /* 2MSL */
	uint16_t port_lo;      /* ephemeral port range of the clients */
	uint16_t port_hi;
	unsigned share_pct;    /* verdict when the peak reaches this share */
	/* intervals are counted in start order once the capture clock is
	 * this far past their start (flows finalise after a grace period) */
	uint64_t horizon_ns;
	int local_time; /* text times in local time (TZ); JSON stays UTC */
	/* pairs and host totals kept per side, the side's `other` row not
	 * counted; 0: TW_PAIRS_MAX */
	size_t max_pairs;
	/* called once per pair, from tw_sample(), when a sample's count
	 * first reaches share_pct; may be NULL */
	tw_alert_fn on_pressure;
	void *ctx;             /* borrowed, passed to on_pressure */
};

/* One TIME_WAIT interval of one socket. */
struct tw_interval {
	uint64_t start_ns;
	uint64_t end_ns;
	int holder;            /* endpoint index in the flow key */
};

struct tw;

/* New tracker; cfg is copied. NULL with errno set on failure. */
struct tw *tw_new(const struct tw_config *cfg);

/* Free everything; NULL is a no-op. */
void tw_free(struct tw *t);

/*
 * The TIME_WAIT intervals of a finalised flow (0, 1, or 2 for a
 * simultaneous close) into out[2]; returns how many. Pure function.
 */
int tw_intervals(const struct td_flow *td, const struct td_result *res,
		 uint64_t time_wait_ns, struct tw_interval out[2]);

/* A finalised flow (flow_hooks.done). Returns 0 or -ENOMEM. */
int tw_flow_done(struct tw *t, const struct flow_record *rec);

/*
 * A segment was seen (call for every segment, after the flow table), of
 * the flow key (flow_key_from_seg()) key and its hash (flow_key_hash()):
 * a SYN on a 4-tuple still in TIME_WAIT is counted as reuse; the capture
 * clock advances and intervals old enough are counted.
 */
void tw_segment(struct tw *t, const struct flow_seg *seg,
		const struct flow_key *key, uint64_t hash);

/*
 * A hint, a few segments ahead of tw_segment() on the same segment (its
 * SEG_* flags) and hash: the reuse table's slot a SYN will probe is
 * fetched into cache.
 */
void tw_prefetch(const struct tw *t, uint8_t flags, uint64_t hash);

/* One socket in TIME_WAIT found by a kernel dump (sock_diag). */
struct tw_sock_ep {
	uint8_t laddr[16];     /* local (this host) */
	uint8_t raddr[16];     /* remote */
	uint16_t lport;        /* host order */
	uint16_t rport;
	uint8_t family;        /* SEG_IPV4 or SEG_IPV6 */
	/* The network namespace the socket lives in: each has its own
	 * ports, so equal addresses in two namespaces are counted apart.
	 * 0 when not known. */
	uint32_t netns;
	/* That namespace's ephemeral port range (ip_local_port_range);
	 * 0-0: the tracker's port_lo-port_hi. */
	uint16_t port_lo;
	uint16_t port_hi;
};

/*
 * A sample from the kernel (fintrace kernel): the sockets in TIME_WAIT at
 * now_ns (borrowed; wall clock, as the report prints it). The local side
 * holds them; it counts as a client toward the remote ip:port when its
 * port is in the ephemeral range (its own, or the tracker's), else as a
 * server on its own port. Peaks come from the sampled counts; "closes" is
 * then unknown and written as null. A client pair whose count reaches the
 * share calls cfg.on_pressure once. Returns 0 or -ENOMEM.
 */
int tw_sample(struct tw *t, uint64_t now_ns, const struct tw_sock_ep *v,
	      size_t n);

/* End of input: count every pending interval. */
void tw_finish(struct tw *t);

/*
 * Write the TIME_WAIT section (text) or "timewait" lines (JSON); nothing
 * for CSV. origin_ns is the capture start. Pairs from kernel samples
 * carry their namespace ("netns", when known) and their own port range.
 * Returns the number of pairs whose peak reached the configured share.
 */
unsigned tw_write(struct tw *t, FILE *f, enum rpt_format fmt,
		  uint64_t origin_ns);

/*
 * The HTML report's TIME_WAIT section (analysis/html.c): the text
 * section's sentence, verdicts and first rows as a table
 * (#timewait-table, a row per pair: tr.tw, tr.leak when it reached the
 * share), and #timewait-more for the rows left out. Nothing when no
 * socket entered TIME_WAIT.
 */
void tw_write_html(const struct tw *t, FILE *f);

/* One client host's sockets in TIME_WAIT toward one service now. */
struct tw_now {
	const uint8_t *client; /* 16 bytes; IPv4 in the first 4 (borrowed) */
	const uint8_t *service;
	uint16_t port;	/* the service's port */
	uint8_t family; /* SEG_IPV4 or SEG_IPV6 */
	uint32_t netns; /* kernel samples; 0 when not known */
	uint64_t count;
	double share; /* count / ports in the client's range */
};

/*
 * Call fn for every (client host, service) pair with sockets in TIME_WAIT
 * now: at the last kernel sample, or for packets at the capture clock,
 * among the intervals counted so far (they are counted a horizon after
 * their start). n is borrowed for the call; fn must not change t.
 */
void tw_foreach_now(const struct tw *t,
		    void (*fn)(void *ctx, const struct tw_now *n), void *ctx);

/*
 * Bytes the tracker holds now (its arrays and records, as allocated,
 * without the allocator's own overhead).
 */
size_t tw_memory(const struct tw *t);

/* Number of pairs whose peak share reached the configured share. */
unsigned tw_pressure_count(struct tw *t);

#endif /* FT_ANALYSIS_TIMEWAIT_H */
