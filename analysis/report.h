/* SPDX-License-Identifier: MIT */
/*
 * Reports: aggregates finalised flows per service (server ip:port) and per
 * client host (for connections the server closed first and the client
 * left in CLOSE_WAIT), follows the number of sockets in CLOSE_WAIT over
 * time, and writes the text, JSON Lines or CSV report.
 *
 * Flow lines (JSON, CSV) are written as flows are finalised, so memory does
 * not grow with the number of flows; per-group close-wait percentiles are
 * exact up to RPT_EXACT_VALUES flows per group and estimated from a fixed
 * reservoir sample above that.
 */
#ifndef FT_ANALYSIS_REPORT_H
#define FT_ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/flow.h"

#define RPT_EXACT_VALUES 4096
#define RPT_TIMELINE 64

enum rpt_format { RPT_TEXT = 0, RPT_JSON, RPT_CSV };

struct rpt_config {
	enum rpt_format format;
	uint64_t linger_ns;
	unsigned top;          /* worst flows listed in text */
	int list_open;         /* write flows with verdict "open" too */
	FILE *out;             /* borrowed */
	const char *mode;      /* "read", "live"... (borrowed) */
};

/* A named counter of the input, e.g. {"not-tcp", 12} (borrowed strings) */
struct rpt_counter {
	const char *name;
	uint64_t value;
};

/* Facts about the input for the summary; everything is borrowed. */
struct rpt_facts {
	const char *const *inputs; /* file names or interfaces */
	size_t ninputs;
	uint64_t first_ns;         /* first packet, 0 when none */
	uint64_t last_ns;
	uint64_t packets;          /* frames read */
	uint64_t tcp_segments;     /* frames decoded as TCP */
	const struct rpt_counter *skipped; /* per reason, frames not used */
	size_t nskipped;
	uint64_t snapped;          /* TCP segments cut by the snap length */
	uint64_t drops;            /* capture drops (live), 0 offline */
	const char *error;         /* input error that ended the read, or NULL */
	const struct flow_stats *flows;
};

struct rpt;

/* New report writer; cfg is copied. NULL with errno set on failure. */
struct rpt *rpt_new(const struct rpt_config *cfg);

/* Free everything; NULL is a no-op. */
void rpt_free(struct rpt *r);

/*
 * Set the capture's start (first packet time): origin of the offsets and
 * of the CLOSE_WAIT timeline. Call before the first flow is fed.
 */
void rpt_set_origin(struct rpt *r, uint64_t wall_ns);

/*
 * The capture has dropped `drops` packets in total as of now_ns (live
 * mode). Flows whose lifetime overlaps a period with drops are marked
 * "lossy": a missing FIN or RST could change their verdict.
 */
void rpt_note_drops(struct rpt *r, uint64_t drops, uint64_t now_ns);

/* flow_hooks.done / flow_hooks.close_wait: pass r as ctx. */
void rpt_flow_done(void *r, const struct flow_record *rec);
void rpt_close_wait(void *r, const struct flow_key *key,
		    const struct td_flow *td, int delta, uint64_t now_ns);

/*
 * Write the rest of the report (text: all of it; JSON: service and summary
 * lines; CSV: nothing more) and flush. Returns 0, or -EIO when any write
 * of this report failed (disk full, closed pipe).
 */
int rpt_finish(struct rpt *r, const struct rpt_facts *facts);

/* Number of finalised flows with verdict v so far. */
uint64_t rpt_verdict_count(const struct rpt *r, enum td_verdict v);

/*
 * Formatting helpers shared by the modes. Each writes a NUL-terminated
 * string into buf (size n) and returns buf.
 */
char *rpt_fmt_iso(char *buf, size_t n, uint64_t wall_ns);
char *rpt_fmt_duration(char *buf, size_t n, uint64_t ns);
char *rpt_fmt_endpoint(char *buf, size_t n, const uint8_t *addr,
		       uint8_t family, uint16_t port);

#endif /* FT_ANALYSIS_REPORT_H */
