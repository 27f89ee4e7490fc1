/* SPDX-License-Identifier: MIT */
/*
 * Evidence captures: a pcap file holding every packet of the
 * flows whose verdict was flagged (never-closed and late-close by default),
 * in their original order with their original timestamps, so that a vendor
 * can open it in Wireshark and fintrace reads the same verdicts from it.
 *
 * Two ways to fill it:
 *  - two passes, for inputs that can be read again (files): during the
 *    analysis, ev_mark() keeps only what identifies each flagged flow
 *    (its 4-tuple and its first and last frame numbers: a 4-tuple can be
 *    reused); a second read of the same inputs hands every frame to
 *    ev_select(), and the frames it selects go to ev_write();
 *  - streaming, for standard input and live captures: ev_packet() buffers
 *    each tracked flow's packets in one queue in capture order, and
 *    ev_flow_done() drops the buffer of a flow that ends with an unflagged
 *    verdict or releases a flagged one; packets are written as soon as no
 *    undecided flow's packet is before them. The queue is bounded: when it
 *    is full, the undecided flows holding the most memory are cut (their
 *    packets dropped, the rest of them ignored) and, if they end flagged,
 *    counted in ev_stats.cut_flows. Leaks hold little memory (a request,
 *    a FIN, an ACK) while they wait for their verdict.
 *
 * File format: classic pcap, readable by Wireshark and by fintrace, with
 * nanosecond timestamps unless every input is known to have microsecond
 * ones (ev_config.nsec). One file holds one link type, so inputs with
 * several link types give one file per link type: the first link type
 * written goes to the given name, each other one to the name with the
 * link type inserted before the extension ("e.pcap" and
 * "e.linux_sll2.pcap"); `fintrace read` given all of them merges them
 * back in time order. (libpcap reads no pcapng file whose interfaces have
 * different link types, so pcapng would not be read back.) Files are
 * created with mode 0600: they hold packet payloads.
 *
 * The module does no analysis: callers pass the flow ids, keys and
 * verdicts that the flow table gave them.
 */
#ifndef FT_CAPTURE_EVIDENCE_H
#define FT_CAPTURE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/flow.h"

#define EV_DEFAULT_VERDICTS ((1u << VD_NEVER_CLOSED) | (1u << VD_LATE_CLOSE))
#define EV_DEFAULT_BUFFER ((uint64_t)256 << 20)
#define EV_MAX_FILES 8 /* link types in one evidence capture */

struct ev_config {
	const char *path;      /* borrowed */
	unsigned verdicts;     /* bit per td_verdict: flows to keep */
	uint64_t buffer_bytes; /* streaming bound (packets + overhead) */
	int nsec;	       /* 1: nanosecond timestamps, 0: microseconds */
	int streaming;	       /* 1: ev_packet/ev_flow_done, 0: two passes */
};

/* One frame (borrowed, copied when kept). */
struct ev_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns;
	uint64_t frame; /* frame number in the input */
	int dlt;
};

struct ev_stats {
	uint64_t flows;	      /* flagged flows written */
	uint64_t packets;     /* packets written */
	uint64_t cut_flows;   /* flagged flows left out: the buffer was full */
	uint64_t cut_packets; /* their packets that were dropped */
	uint64_t peak_bytes;  /* most bytes buffered at once (streaming) */
	size_t files;	      /* files written, one per link type */
};

struct ev;

/*
 * Create cfg->path (truncated, mode 0600) for evidence; cfg is copied (the
 * path too).
 * Returns NULL with "FILE: cause" in err (FT_ERRBUF_SIZE) and errno set.
 */
struct ev *ev_open(const struct ev_config *cfg, char *err);

/* Close without reporting; NULL is a no-op. */
void ev_free(struct ev *e);

/* 1 when a flow with verdict v is kept. */
int ev_wants(const struct ev *e, int verdict);

/* Link type of the file when nothing is kept (default: Ethernet). */
void ev_set_default_dlt(struct ev *e, int dlt);

/* Files of the evidence (the given one first), valid until ev_free(). */
size_t ev_files(const struct ev *e);
const char *ev_file_name(const struct ev *e, size_t i);

/* ---- two passes ---- */

/*
 * First pass: the flow id with key k (borrowed) spanning frames
 * first..last ended with verdict v; kept when v is wanted. Returns 0 or
 * -ENOMEM.
 */
int ev_mark(struct ev *e, const struct flow_key *k, uint64_t first,
	    uint64_t last, uint64_t id, int verdict);

/* Number of flows ev_mark() kept. */
uint64_t ev_marked(const struct ev *e);

/*
 * Second pass: the id of the marked flow that frame f (its key k) belongs
 * to, or 0 when none does.
 */
uint64_t ev_select(const struct ev *e, const struct flow_key *k,
		   uint64_t frame);

/*
 * Write frame f of flow id (to the file of its link type, created when
 * needed). Returns 0, or -errno with the cause in err.
 */
int ev_write(struct ev *e, uint64_t id, const struct ev_frame *f, char *err);

/* ---- streaming ---- */

/*
 * Buffer frame f (copied) of the tracked flow id. Returns 0, -ENOMEM, or
 * -errno of a failed write with the cause in err.
 */
int ev_packet(struct ev *e, uint64_t id, const struct ev_frame *f, char *err);

/*
 * Flow id was finalised with verdict v: write or drop its packets.
 * Returns 0, or -errno of a failed write with the cause in err.
 */
int ev_flow_done(struct ev *e, uint64_t id, int verdict, char *err);

/* ---- both ---- */

/*
 * Write what is still buffered (flows never finalised are dropped),
 * flush and close the file. Returns 0, or -errno with "FILE: write error:
 * cause" in err. The stats stay readable until ev_free().
 */
int ev_finish(struct ev *e, char *err);

const struct ev_stats *ev_get_stats(const struct ev *e);

/* ---- what a capture file says about itself ---- */

#define EV_INFO_MAX 16

/* Strings are NUL-terminated copies of the file's bytes, not escaped. */
struct ev_capinfo {
	char format[8]; /* "pcap" or "pcapng" */
	int nsec;	/* 1 ns, 0 us, -1 unknown */
	size_t nnotes;
	char notes[EV_INFO_MAX][256]; /* "comment: ...", "interface: eth0" */
};

/*
 * Read the header of the capture file path: format, timestamp resolution,
 * and for pcapng the section's comments, hardware, OS and application and
 * each interface's name and description (first section only). Returns 0,
 * or -errno (not a regular file, unreadable, unknown format).
 */
int ev_capinfo_read(const char *path, struct ev_capinfo *ci);

#endif /* FT_CAPTURE_EVIDENCE_H */
