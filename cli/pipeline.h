/* SPDX-License-Identifier: MIT */
/*
 * The packet pipeline shared by fintrace read and fintrace live: decoded
 * frames go to the flow table, finalised flows to the report. Owns the
 * flow table and the report writer; counts every frame it could not use.
 */
#ifndef FT_CLI_PIPELINE_H
#define FT_CLI_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/flow.h"
#include "analysis/report.h"
#include "analysis/timewait.h"
#include "capture/decode.h"
#include "cli/opts.h"

struct pipeline {
	struct flow_table *flows;
	struct rpt *rpt;
	struct tw *tw;               /* TIME_WAIT pressure */
	enum rpt_format format;
	uint64_t status[PKT__COUNT]; /* frames per decoder status */
	uint64_t frames;
	uint64_t snapped;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t filtered;           /* set by the caller */
	uint64_t drops;              /* set by the caller (live) */
	unsigned fail_on;
	int tw_nomem;                /* the TIME_WAIT tracker ran out */
	/* borrowed */
	FILE *out;
	const char *mode;
	/* optional observer of the flow table (pipeline_watch) */
	struct flow_hooks watch;
	void *watch_ctx;
};

/*
 * Set up for the options o (borrowed) writing to out (borrowed). The flow
 * table's hooks refer to pl: it must stay at the same address until
 * pipeline_free(). Returns 0 or -ENOMEM.
 */
int pipeline_init(struct pipeline *pl, const struct ft_opts *o, FILE *out,
		  const char *mode);

/*
 * Also call watch->done and watch->close_wait (each may be NULL) with ctx
 * (borrowed), after the report has seen the same event; live mode uses
 * it for its alerts. Call after pipeline_init(), before the first frame.
 */
void pipeline_watch(struct pipeline *pl, const struct flow_hooks *watch,
		    void *ctx);

/* Feed one frame (borrowed). Returns 0 or -ENOMEM. */
int pipeline_frame(struct pipeline *pl, const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen, uint64_t wall_ns, uint64_t frame, int dlt);

/*
 * Finalise every flow and write the report; error (may be NULL) is the
 * input error that ended the capture. Returns 0, or -EIO when the report
 * could not be written.
 */
int pipeline_finish(struct pipeline *pl, const char *const *inputs,
		    size_t ninputs, const char *error);

/* 1 when a finalised flow has a verdict named by --fail-on. */
int pipeline_failed(const struct pipeline *pl);

/* Free everything; safe on a zeroed or half-initialised struct. */
void pipeline_free(struct pipeline *pl);

#endif /* FT_CLI_PIPELINE_H */
