/* SPDX-License-Identifier: MIT */
/*
 * Teardown state machine of one TCP connection as seen on the wire.
 *
 * A struct td_flow accumulates what both endpoints did (SYN, data, FIN,
 * the ACK of each FIN, RST) from segments fed in capture order, and
 * td_flow_verdict() turns that into a verdict of analysis/verdict.h
 * (docs/architecture.md describes them): who closed
 * first (the active closer), how long the other side stayed in CLOSE_WAIT
 * (RFC 9293, 3.6: from the moment it ACKs the peer's FIN until its
 * application calls close()), and whether that is a leak.
 *
 * The machine runs on struct td_state, the compact form the flow table
 * stores (112 bytes); struct td_flow is its expanded, read-only view
 * (td_state_view()), which the verdict, the hooks and the writers read.
 *
 * Endpoints are numbered 0 and 1 by the caller (the flow key's order); every
 * function takes the index of the endpoint that sent the segment. No I/O,
 * no allocation: the caller owns the structs.
 */
#ifndef FT_ANALYSIS_TEARDOWN_H
#define FT_ANALYSIS_TEARDOWN_H

#include <stdint.h>

#include "analysis/segment.h"
#include "analysis/verdict.h"

/* When a RST was sent, relative to the FINs. */
enum td_phase {
	TD_PHASE_NONE = 0,
	TD_PHASE_BEFORE_FIN,    /* no FIN seen before the RST */
	TD_PHASE_AFTER_FIN,     /* sent after the active closer's FIN */
	TD_PHASE_ANSWERING_FIN, /* the active closer answered the late FIN */
	TD__PHASES
};

/* Named patterns worth pointing out in a record. */
enum td_signature {
	TD_SIG_NONE = 0,
	/* passive side's late FIN answered by RST: the active closer's
	 * FIN_WAIT2 had already timed out (Linux tcp_fin_timeout) */
	TD_SIG_LATE_FIN_RST,
	/* the active closer reset the connection while its peer sat in
	 * CLOSE_WAIT (it gave up waiting, or its socket was gone) */
	TD_SIG_RST_IN_CLOSE_WAIT,
	/* the FIN was retransmitted: the peer did not ACK it in time */
	TD_SIG_FIN_RETRANSMITTED,
	TD__SIGNATURES
};

/* What one endpoint sent. Times are wall-clock ns; 0 means "not seen". */
struct td_dir {
	uint64_t fin_ns;      /* first FIN from this endpoint */
	uint64_t fin_ack_ns;  /* when the peer first ACKed that FIN */
	uint64_t rst_ns;      /* first RST from this endpoint */
	uint64_t data_after_peer_fin_ns; /* last new data after peer's FIN */
	uint64_t fin_frame;
	uint64_t rst_frame;
	uint64_t bytes;       /* payload bytes, retransmissions included */
	uint32_t packets;
	uint32_t fins;        /* FIN segments, retransmissions included */
	uint32_t rsts;        /* RST segments */
	uint32_t fin_seq;     /* sequence number the FIN occupies */
	uint32_t nxt;         /* highest sequence end sent so far */
	uint32_t max_ack;     /* highest ACK sent so far */
	uint8_t ack_moved;    /* an ACK advanced past the first ACK sent */
	uint8_t has_nxt;
	uint8_t has_ack;
	uint8_t has_fin;
	uint8_t fin_acked;
	uint8_t has_rst;
	uint8_t sent_syn;     /* a SYN without ACK */
	uint8_t sent_synack;
};

struct td_flow {
	struct td_dir dir[2];
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t first_frame;
	uint64_t last_frame;
	uint64_t cw_start_ns; /* passive side entered CLOSE_WAIT */
	uint32_t syn_isn;     /* client's initial sequence number */
	int8_t client;        /* endpoint index of the client */
	int8_t active;        /* endpoint index of the first FIN, or -1 */
	uint8_t roles_inferred;
	uint8_t simultaneous;
	uint8_t in_close_wait; /* passive side is in CLOSE_WAIT now */
};

/*
 * The compact form. Times are offsets from first_ns (48 bits: 78 hours),
 * frames offsets from first_frame (32 bits), fin_ack a 32-bit offset from
 * the same side's FIN. What is rare lives in a struct td_ext the caller
 * attaches on demand: RST times, frames and counts, the time of data sent
 * after the peer's FIN, and, once a value does not fit (a time before
 * first_ns from merged files, a FIN ACKed more than 4.3 s after it was
 * sent, a flow longer than 78 hours or than 2^32 frames), every time and
 * frame in full (TD_ST_WIDE). Counters saturate where it is harmless:
 * bytes at 2^48 - 1 (256 TiB), FIN segments at 65535 (only "more than
 * one" matters to the verdict).
 */
struct td_side {
	uint32_t fin_lo;      /* fin_ns - first_ns, bits 0..31 */
	uint32_t fin_ack;     /* fin_ack_ns - fin_ns */
	uint32_t fin_frame;   /* fin_frame - first_frame */
	uint32_t bytes_lo;
	uint32_t packets;
	uint32_t fin_seq;
	uint32_t nxt;
	uint32_t max_ack;
	uint16_t fin_hi;      /* fin_ns - first_ns, bits 32..47 */
	uint16_t bytes_hi;
	uint16_t fins;
	uint8_t bits;         /* TD_SD_* */
	uint8_t pad;
};

/* Bits of struct td_side: the flags of struct td_dir. */
#define TD_SD_HAS_NXT 0x01
#define TD_SD_HAS_ACK 0x02
#define TD_SD_HAS_FIN 0x04
#define TD_SD_FIN_ACKED 0x08
#define TD_SD_HAS_RST 0x10
#define TD_SD_SENT_SYN 0x20
#define TD_SD_SENT_SYNACK 0x40
#define TD_SD_ACK_MOVED 0x80

struct td_state {
	uint64_t first_ns;
	uint64_t first_frame;
	uint32_t last_lo;     /* last_ns - first_ns, bits 0..31 */
	uint32_t last_frame;  /* last_frame - first_frame */
	uint32_t syn_isn;
	uint16_t last_hi;     /* last_ns - first_ns, bits 32..47 */
	uint8_t bits;         /* TD_ST_* */
	int8_t active;        /* endpoint index of the first FIN, or -1 */
	struct td_side dir[2];
};

#define TD_ST_CLIENT1 0x01        /* endpoint 1 is the client */
#define TD_ST_ROLES_INFERRED 0x02
#define TD_ST_SIMULTANEOUS 0x04
#define TD_ST_IN_CLOSE_WAIT 0x08  /* passive side is in CLOSE_WAIT now */
#define TD_ST_CW_ENTERED 0x10     /* it entered: cw_start is the FIN's ACK */
#define TD_ST_EXT 0x20            /* a struct td_ext is attached */
#define TD_ST_WIDE 0x40           /* times and frames are in the ext */

/* The rare part of a flow (zeroed by the caller when attached). */
struct td_ext {
	uint64_t rst_ns[2];
	uint64_t data_after_peer_fin_ns[2];
	uint64_t rst_frame[2];
	uint32_t rsts[2];
	/* With TD_ST_WIDE: */
	uint64_t last_ns;
	uint64_t last_frame;
	uint64_t fin_ns[2];
	uint64_t fin_ack_ns[2];
	uint64_t fin_frame[2];
};

/* Bits returned by td_state_update(): what this segment changed. */
#define TD_EV_CW_ENTER 0x01  /* passive side entered CLOSE_WAIT */
#define TD_EV_CW_LEAVE 0x02  /* passive side left CLOSE_WAIT */
#define TD_EV_FINISHED 0x04  /* the flow is over (RST, or both FINs ACKed) */

struct td_result {
	enum vd_verdict verdict;
	enum td_phase reset_phase;
	enum td_signature signature;
	int active;           /* endpoint index of the active closer, or -1 */
	int reset_by;         /* endpoint index of the first RST, or -1 */
	uint64_t cw_start_ns; /* 0 when there is no close-wait */
	uint64_t cw_end_ns;   /* the passive side's close, or the end time */
	uint64_t close_wait_ns;
	uint64_t fin_wait_ns; /* active closer's wait for the peer's FIN */
	uint8_t has_close_wait;
	uint8_t has_fin_wait;
	uint8_t in_close_wait_at_end;
	/*
	 * Only one endpoint's segments were captured, and they acknowledge
	 * what the other sent meanwhile: a SYN-ACK, or ACK numbers that
	 * advance over data never captured (asymmetric routing, a
	 * one-direction capture filter). The peer was there, but whether it
	 * ACKed or sent a FIN cannot be seen. Such a flow has no verdict
	 * about the unseen side: it is open, or reset when the seen side
	 * sent a RST.
	 */
	uint8_t one_way;
};

/*
 * Start the compact state of a flow whose first segment is seg, sent by
 * endpoint `from`, without applying it (td_state_update() does): roles
 * are taken from a SYN or SYN-ACK, otherwise inferred from the ports: the
 * endpoint with the ephemeral (higher) port is the client.
 */
void td_state_init(struct td_state *s, const struct flow_seg *seg, int from);

/*
 * 1 when seg, from endpoint `from`, may store what only a struct td_ext
 * holds and none is attached yet: the caller then attaches a zeroed one
 * (td_state_attach()) before td_state_update().
 */
int td_state_needs_ext(const struct td_state *s, const struct flow_seg *seg,
		       int from);

/* Mark s as having its ext (which the caller keeps and passes along). */
static inline void td_state_attach(struct td_state *s)
{
	s->bits |= TD_ST_EXT;
}

/*
 * Apply one segment from endpoint `from` (0 or 1); returns TD_EV_* bits.
 * x is the attached ext, or NULL when none is (td_state_needs_ext()
 * returned 0).
 */
unsigned td_state_update(struct td_state *s, struct td_ext *x,
			 const struct flow_seg *seg, int from);

/*
 * 1 when a SYN from `from` starts a new connection on the same 4-tuple
 * (the previous one ended, or this SYN's ISN differs from the one seen),
 * 0 when it belongs to this flow (e.g. a retransmitted SYN).
 */
int td_state_is_new_syn(const struct td_state *s, const struct flow_seg *seg,
			int from);

/* 1 when the flow is over: a RST was seen, or both FINs were ACKed. */
int td_state_finished(const struct td_state *s);

/* The time of the flow's last segment (x: as for td_state_update()). */
uint64_t td_state_last_ns(const struct td_state *s, const struct td_ext *x);

/* The endpoint index of the client, and setting it. */
static inline int td_state_client(const struct td_state *s)
{
	return (s->bits & TD_ST_CLIENT1) ? 1 : 0;
}

static inline void td_state_set_client(struct td_state *s, int client)
{
	if (client)
		s->bits |= TD_ST_CLIENT1;
	else
		s->bits &= (uint8_t)~TD_ST_CLIENT1;
}

/* 1 when the passive side is in CLOSE_WAIT now. */
static inline int td_state_in_close_wait(const struct td_state *s)
{
	return !!(s->bits & TD_ST_IN_CLOSE_WAIT);
}

/* Write the expanded view of s (and its ext x, or NULL) into f. */
void td_state_view(const struct td_state *s, const struct td_ext *x,
		   struct td_flow *f);

/*
 * The same machine on an expanded record, for tests and tools that build
 * a flow by hand: td_flow_init() starts f from its first segment and
 * applies it, td_flow_update() applies one more. Both return TD_EV_* bits.
 */
unsigned td_flow_init(struct td_flow *f, const struct flow_seg *seg,
		      int from);
unsigned td_flow_update(struct td_flow *f, const struct flow_seg *seg,
			int from);

/* 1 when the flow is over: a RST was seen, or both FINs were ACKed. */
int td_flow_finished(const struct td_flow *f);

/*
 * The verdict of the flow as of end_ns (the end of the capture, or the
 * time the flow was finalised), with linger threshold linger_ns.
 */
struct td_result td_flow_verdict(const struct td_flow *f, uint64_t end_ns,
				 uint64_t linger_ns);

/* Stable names: "before-fin", "late-fin-answered-by-rst"... */
const char *td_phase_name(enum td_phase p);
const char *td_signature_name(enum td_signature s);

#endif /* FT_ANALYSIS_TEARDOWN_H */
