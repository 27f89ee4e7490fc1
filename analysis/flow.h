/* SPDX-License-Identifier: MIT */
/*
 * Flow table: one record per TCP connection (both directions), keyed by
 * the 4-tuple in a canonical order, found through the open-addressing
 * index of analysis/index.h. Records are compact (144 bytes for IPv4,
 * 168 for IPv6, in slabs: docs/architecture.md); the struct flow_key and
 * struct td_flow the hooks get are built from them for the call.
 *
 * Flows are finalised and freed while the input goes on, so memory follows
 * concurrent flows rather than total flows:
 *  - a finished flow (RST, or both FINs ACKed) after a grace period
 *    without packets (late retransmissions still land on it);
 *  - an idle flow after the idle timeout, except a flow whose passive side
 *    sits in CLOSE_WAIT: that silence is the leak being looked for, so it
 *    stays until it closes or the input ends;
 *  - a SYN that starts a new connection on the same 4-tuple finalises the
 *    previous one;
 *  - with max_flows set, the least recently seen flow is evicted (finished
 *    flows first, CLOSE_WAIT flows last) and evictions are counted.
 * Every finalised flow is handed to the done hook with its verdict.
 */
#ifndef FT_ANALYSIS_FLOW_H
#define FT_ANALYSIS_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/segment.h"
#include "analysis/teardown.h"

/* Endpoint 0 is the lower (address, port); all padding is zero. */
struct flow_key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t family;
	uint8_t pad[3];
	struct flow_tunnel tunnel; /* zero when not tunnelled */
};

enum flow_end {
	FLOW_END_FINISHED = 0, /* torn down, grace period over */
	FLOW_END_IDLE,         /* no packet within the idle timeout */
	FLOW_END_REUSED,       /* a new SYN reused the 4-tuple */
	FLOW_END_EVICTED,      /* pushed out by --max-flows */
	FLOW_END_INPUT,        /* still tracked when the input ended */
	FLOW_END__COUNT
};

struct rpt_sock; /* analysis/report.h */

/*
 * A finalised flow; valid only during the done hook (borrowed). The kernel
 * engine builds the same record for a socket, with sock set (what only
 * the kernel knows: owner, namespace, state); sock is NULL for packets.
 */
struct flow_record {
	const struct flow_key *key;
	const struct td_flow *td;
	struct td_result res;
	uint64_t id;           /* 1-based, in order of first packet */
	enum flow_end end;
	const struct rpt_sock *sock;
};

/* The hooks' key and td are built for the call: valid only during it. */
struct flow_hooks {
	/* A flow was finalised (required). */
	void (*done)(void *ctx, const struct flow_record *rec);
	/*
	 * The passive side of a flow entered (delta +1) or left (-1)
	 * CLOSE_WAIT at now_ns (optional).
	 */
	void (*close_wait)(void *ctx, const struct flow_key *key,
			   const struct td_flow *td, int delta,
			   uint64_t now_ns);
};

struct flow_config {
	uint64_t linger_ns;  /* close-wait above this is a late close */
	uint64_t grace_ns;   /* keep a finished flow this long */
	uint64_t idle_ns;    /* finalise a silent open flow after this */
	uint64_t max_flows;  /* 0: unbounded */
};

struct flow_stats {
	uint64_t flows;          /* flows created */
	uint64_t tracked;        /* flows in the table now */
	uint64_t peak_tracked;
	uint64_t in_close_wait;  /* flows whose passive side is in CLOSE_WAIT */
	uint64_t ended[FLOW_END__COUNT];
	uint64_t segments;
};

struct flow_table;

/*
 * New empty table. cfg and hooks are copied; ctx is borrowed and passed to
 * the hooks. Returns NULL with errno set on allocation failure.
 */
struct flow_table *flow_table_new(const struct flow_config *cfg,
				  const struct flow_hooks *hooks, void *ctx);

/* Free the table and every flow still in it, without calling hooks. */
void flow_table_free(struct flow_table *t);

/*
 * Feed one segment (borrowed). Finalises flows whose time has come as the
 * capture clock (seg->wall_ns) advances. Returns 0, or -ENOMEM.
 */
int flow_table_add(struct flow_table *t, const struct flow_seg *seg);

/* The hash of a key that flow_table_add_keyed() and the index use. */
uint64_t flow_key_hash(const struct flow_key *key);

/*
 * flow_table_add() for a segment whose key (flow_key_from_seg()) and
 * hash (flow_key_hash()) are known already (borrowed).
 */
int flow_table_add_keyed(struct flow_table *t, const struct flow_seg *seg,
			 const struct flow_key *key, uint64_t hash);

/*
 * Start loading what a later flow_table_add_keyed() with this hash will
 * read, so its cache misses overlap other work: step 0 the index slot,
 * step 1 (some frames later, the slot loaded) the flow itself. A hint
 * only.
 */
void flow_table_prefetch(const struct flow_table *t, uint64_t hash,
			 int step);

/* Finalise every flow as of end_ns (end of input); the table is empty. */
void flow_table_flush(struct flow_table *t, uint64_t end_ns);

/*
 * Write the tunnel t as text ("vxlan:42", "gre:10.0.0.1>10.0.0.2") into
 * buf (n bytes); "" when t is not a tunnel. Returns buf.
 */
char *flow_tunnel_format(const struct flow_tunnel *t, char *buf, size_t n);

/* Build the canonical key of a segment; returns the sender's index. */
int flow_key_from_seg(const struct flow_seg *seg, struct flow_key *key);

/*
 * The other way: set the segment's family, addresses, ports and tunnel
 * from key and the sender's index (what flow_key_from_seg() returned),
 * as the decoder had set them. The rest of seg is left as it is.
 */
void flow_seg_from_key(const struct flow_key *key, int from,
		       struct flow_seg *seg);

/*
 * Call fn for every tracked flow (live status, alerts); fn must not change
 * the table. key and td are built for the call (borrowed, valid during it).
 */
void flow_table_foreach(const struct flow_table *t,
			void (*fn)(void *arg, const struct flow_key *key,
				   const struct td_flow *td, uint64_t id),
			void *arg);

/*
 * The id of the flow tracked under key, or 0 when none is. O(1); safe to
 * call from the hooks (the flow is still in the table during them).
 */
uint64_t flow_table_id(const struct flow_table *t, const struct flow_key *key);

const struct flow_stats *flow_table_stats(const struct flow_table *t);

const char *flow_end_name(enum flow_end e);

#endif /* FT_ANALYSIS_FLOW_H */
