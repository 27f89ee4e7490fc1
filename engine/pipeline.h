/* SPDX-License-Identifier: MIT */
/*
 * The packet engine: the pipeline shared by fintrace read and fintrace live:
 * decoded frames go to the flow table, finalised flows to the report. Owns the
 * flow table and the report writer; counts every frame it could not use.
 */
#ifndef FT_ENGINE_PIPELINE_H
#define FT_ENGINE_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/flow.h"
#include "analysis/report.h"
#include "analysis/timewait.h"
#include "analysis/html.h"
#include "capture/decode.h"
#include "capture/evidence.h"
#include "capture/source.h"
#include "engine/metrics.h"

/* What the packet engine needs to know; filled by the command line. */
struct pipeline_config {
	enum rpt_format format;
	uint64_t linger_ns;
	uint64_t grace_ns;     /* keep a finished flow this long */
	uint64_t idle_ns;      /* finalise a silent open flow */
	uint64_t max_flows;    /* 0: unbounded */
	unsigned top;	       /* worst flows listed */
	unsigned top_services; /* service rows listed, 0: all */
	unsigned top_clients;  /* client-host rows listed, 0: all */
	size_t max_groups;     /* report groups per side, 0: RPT_GROUPS_MAX */
	int list_open;	       /* list flows with verdict "open" */
	unsigned fail_on;      /* bit per enum vd_verdict */
	uint64_t time_wait_ns; /* TIME_WAIT pressure: 2MSL */
	uint16_t port_lo;      /* clients' ephemeral port range */
	uint16_t port_hi;
	unsigned tw_share;	    /* % of the range: the verdict */
	unsigned evidence_verdicts; /* bit per enum vd_verdict */
	uint64_t evidence_buffer;   /* bytes, streaming evidence */
	const char *filter;	    /* the user's filter (borrowed), or NULL */
	int local_time;		    /* text and HTML times in local time */
};

/*
 * Where the tracker hands what it finalises when another thread reports
 * (engine/stages.c); each call gives that thread's pipeline_report_*()
 * the same arguments, in the same order. Records and their keys are
 * borrowed for the call.
 */
struct pipeline_defer {
	void (*done)(void *ctx, const struct flow_record *rec);
	void (*close_wait)(void *ctx, const struct flow_key *key,
			   const struct td_flow *td, int delta,
			   uint64_t now_ns);
	void (*origin)(void *ctx, uint64_t wall_ns);
	void *ctx;
};

struct pipeline {
	struct flow_table *flows;
	struct rpt *rpt;
	struct tw *tw; /* TIME_WAIT pressure */
	enum rpt_format format;
	uint64_t status[PKT__COUNT]; /* frames per decoder status */
	uint64_t frames;
	uint64_t snapped;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t end_ns;             /* true end (pipeline_set_end), or 0 */
	uint64_t filtered;           /* set by the caller */
	uint64_t drops;              /* set by the caller (live) */
	uint64_t queue_drops;        /* of drops, the capture queue's (live) */
	unsigned fail_on;
	int tw_nomem; /* the TIME_WAIT tracker ran out */
	/* borrowed */
	FILE *out;
	const char *mode;
	/* optional observer of the flow table (pipeline_watch) */
	struct flow_hooks watch;
	void *watch_ctx;
	/* optional metrics (pipeline_metrics), borrowed */
	struct em *em;
	/* optional evidence capture (pipeline_evidence), borrowed */
	struct ev *ev;
	int ev_streaming;
	char ev_err[FT_ERRBUF_SIZE]; /* first evidence error, "" if none */
	int ev_dlt_set;
	struct pipeline_defer defer; /* zero: report in this thread */
};

/*
 * Set up for the options o (borrowed) writing to out (borrowed). The flow
 * table's hooks refer to pl: it must stay at the same address until
 * pipeline_free(). Returns 0 or -ENOMEM.
 */
int pipeline_init(struct pipeline *pl, const struct pipeline_config *o,
		  FILE *out, const char *mode);

/*
 * Also call watch->done and watch->close_wait (each may be NULL) with ctx
 * (borrowed), after the report has seen the same event; live mode uses
 * it for its alerts. Call after pipeline_init(), before the first frame.
 */
void pipeline_watch(struct pipeline *pl, const struct flow_hooks *watch,
		    void *ctx);

/*
 * Count each finalised flow in the metrics em (borrowed; see
 * engine/metrics.h), after the report. Call before the first frame.
 */
void pipeline_metrics(struct pipeline *pl, struct em *em);

/*
 * On each update, after the sockets in CLOSE_WAIT were listed
 * (em_cw_begin, em_cw_add_flow): set the TIME_WAIT shares and the
 * capture counters (frames, drops, evicted flows) and publish. Returns
 * em_publish()'s value; 0 without metrics.
 */
int pipeline_metrics_publish(struct pipeline *pl);

/*
 * Fill the evidence capture ev (borrowed; see capture/evidence.h) from
 * the flows: with streaming, every frame of a tracked flow is buffered
 * and each finalised flow released or dropped; without, finalised flows
 * are only marked for a second pass over the inputs. A failure of the
 * evidence (write error, memory) stops it, keeps the analysis going, and
 * leaves the cause in pl->ev_err. Call before the first frame.
 */
void pipeline_evidence(struct pipeline *pl, struct ev *ev, int streaming);

/* Feed one frame (borrowed). Returns 0 or -ENOMEM. */
int pipeline_frame(struct pipeline *pl, const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen, uint64_t wall_ns, uint64_t frame, int dlt);

/*
 * Feed one frame decoded elsewhere: its decoder status st and, when
 * PKT_OK, its segment seg with the flow key and flow_key_hash() of it
 * (all borrowed); seg->wall_ns and seg->frame are set whatever st is.
 * Streaming evidence is not filled from here (it needs the frame's
 * bytes: pipeline_frame()). Returns 0 or -ENOMEM.
 */
int pipeline_decoded(struct pipeline *pl, enum pkt_status st,
		     const struct flow_seg *seg, const struct flow_key *key,
		     uint64_t hash, int dlt);

/*
 * Hand the report's side of every finalised flow to d (copied) instead of
 * doing it here; NULL goes back to reporting here. Set while no frame is
 * being fed.
 */
void pipeline_defer(struct pipeline *pl, const struct pipeline_defer *d);

/* The report's side of the flow table's hooks and of the first frame. */
void pipeline_report_done(struct pipeline *pl, const struct flow_record *rec);
void pipeline_report_close_wait(struct pipeline *pl,
				const struct flow_key *key,
				const struct td_flow *td, int delta,
				uint64_t now_ns);
void pipeline_report_origin(struct pipeline *pl, uint64_t wall_ns);

/*
 * Finalise every flow and write the report; error (may be NULL) is the
 * input error that ended the capture. Returns 0, or -EIO when the report
 * could not be written.
 */
int pipeline_finish(struct pipeline *pl, const char *const *inputs,
		    size_t ninputs, const char *error);

/*
 * Write one snapshot of the report so far (analysis/report.h,
 * rpt_snapshot) to f (borrowed) as of now_ns (wall clock), without
 * finalising anything: flows go on. Returns 0, -ENOMEM or -EIO.
 */
int pipeline_snapshot(struct pipeline *pl, const char *const *inputs,
		      size_t ninputs, uint64_t now_ns, FILE *f);
/*
 * The observation's true end is end_ns (pcapng statistics,
 * --capture-end, live mode stopping): flows still open are finalised as
 * of it (or of the last frame, if later) and close-waits running to the
 * end are exact, not lower bounds. Call before pipeline_flush().
 */
void pipeline_set_end(struct pipeline *pl, uint64_t end_ns);

/*
 * The input went on until wall_ns with frames the filter expression
 * left out: the observation lasted that long, so close-waits running to
 * the end are measured to it (still as lower bounds). Call before
 * pipeline_flush().
 */
void pipeline_note_last(struct pipeline *pl, uint64_t wall_ns);

/* Finalise every flow now, as of the end (the last frame by default). */
void pipeline_flush(struct pipeline *pl);

/*
 * Put what the finished evidence ev (borrowed) holds in pl's summary, as
 * pipeline_evidence_finish() does for its own; error may be NULL. The
 * evidence pack's report uses it for the run's evidence.
 */
void pipeline_evidence_report(struct pipeline *pl, const struct ev *ev,
			      int streaming, const struct pipeline_config *o,
			      const char *error);

/*
 * After pipeline_flush() (and a second pass, if any): close the evidence
 * capture and put what it holds in the report's summary. Returns 0, or
 * -errno with one line naming the file in err (FT_ERRBUF_SIZE).
 */
int pipeline_evidence_finish(struct pipeline *pl,
			     const struct pipeline_config *o, char *err);

/*
 * After pipeline_finish(): write the HTML report to path, describing the
 * inputs in[0..nin) (borrowed) and the command line argv[0..argc) (the
 * sub-command's). Returns 0, or -errno with one line naming the file in
 * err.
 */
int pipeline_html(struct pipeline *pl, const char *path,
		  const struct html_input *in, size_t nin, int argc,
		  char **argv, char *err);

/* 1 when a finalised flow has a verdict named by --fail-on. */
int pipeline_failed(const struct pipeline *pl);

/* 1 when a filter was given and no flow matched it (rpt_no_flow_matched) */
int pipeline_no_match(const struct pipeline *pl);

/* Free everything; safe on a zeroed or half-initialised struct. */
void pipeline_free(struct pipeline *pl);

#endif /* FT_ENGINE_PIPELINE_H */
