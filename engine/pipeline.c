/* SPDX-License-Identifier: MIT */
/*
 * The packet pipeline; see pipeline.h.
 */
#include "engine/pipeline.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/output.h"

/* Stop filling the evidence after its first failure; keep the cause. */
static void ev_failed(struct pipeline *pl, int rc, const char *err)
{
	if (pl->ev_err[0])
		return;
	if (rc == -ENOMEM)
		snprintf(pl->ev_err, sizeof(pl->ev_err),
			 "out of memory buffering the evidence capture");
	else
		snprintf(pl->ev_err, sizeof(pl->ev_err), "%s", err);
}

/*
 * What a finalised flow means for everything but the flow table and the
 * TIME_WAIT tracker: the report, evidence marks, metrics, the watcher.
 * The reporter stage runs it when reading uses several threads.
 */
void pipeline_report_done(struct pipeline *pl, const struct flow_record *rec)
{
	rpt_flow_done(pl->rpt, rec);
	if (pl->ev && !pl->ev_err[0]) {
		char err[FT_ERRBUF_SIZE] = "";
		int rc = pl->ev_streaming ? ev_flow_done(pl->ev, rec->id,
							 rec->res.verdict, err)
					  : ev_mark(pl->ev, rec->key,
						    rec->td->first_frame,
						    rec->td->last_frame,
						    rec->id, rec->res.verdict);

		if (rc)
			ev_failed(pl, rc, err);
	}
	em_flow_done(pl->em, rec);
	if (pl->watch.done)
		pl->watch.done(pl->watch_ctx, rec);
}

void pipeline_report_close_wait(struct pipeline *pl,
				const struct flow_key *key,
				const struct td_flow *td, int delta,
				uint64_t now_ns)
{
	rpt_close_wait(pl->rpt, key, td, delta, now_ns);
	if (pl->watch.close_wait)
		pl->watch.close_wait(pl->watch_ctx, key, td, delta, now_ns);
}

void pipeline_report_origin(struct pipeline *pl, uint64_t wall_ns)
{
	rpt_set_origin(pl->rpt, wall_ns);
}

/*
 * The flow table's hooks: TIME_WAIT here, the rest here too or handed
 * to the reporter stage (pipeline_defer), in the same order.
 */
static void pl_done(void *ctx, const struct flow_record *rec)
{
	struct pipeline *pl = ctx;

	if (tw_flow_done(pl->tw, rec))
		pl->tw_nomem = 1;
	if (pl->defer.done)
		pl->defer.done(pl->defer.ctx, rec);
	else
		pipeline_report_done(pl, rec);
}

static void pl_close_wait(void *ctx, const struct flow_key *key,
			  const struct td_flow *td, int delta, uint64_t now_ns)
{
	struct pipeline *pl = ctx;

	if (pl->defer.close_wait)
		pl->defer.close_wait(pl->defer.ctx, key, td, delta, now_ns);
	else
		pipeline_report_close_wait(pl, key, td, delta, now_ns);
}

void pipeline_defer(struct pipeline *pl, const struct pipeline_defer *d)
{
	if (d)
		pl->defer = *d;
	else
		memset(&pl->defer, 0, sizeof(pl->defer));
}

int pipeline_init(struct pipeline *pl, const struct pipeline_config *o,
		  FILE *out, const char *mode)
{
	struct rpt_config rc = {
		.format = o->format,
		.linger_ns = o->linger_ns,
		.top = o->top,
		.top_services = o->top_services,
		.top_clients = o->top_clients,
		.max_groups = o->max_groups,
		.list_open = o->list_open,
		.out = out,
		.mode = mode,
		.filter = o->filter,
		.local_time = o->local_time,
	};
	struct flow_config fc = {
		.linger_ns = o->linger_ns,
		.grace_ns = o->grace_ns,
		.idle_ns = o->idle_ns,
		.max_flows = o->max_flows,
	};
	struct flow_hooks hooks = {
		.done = pl_done,
		.close_wait = pl_close_wait,
	};

	struct tw_config twc = {
		.time_wait_ns = o->time_wait_ns,
		.port_lo = o->port_lo,
		.port_hi = o->port_hi,
		.share_pct = o->tw_share,
		.horizon_ns = o->grace_ns + 2000000000ULL,
		.local_time = o->local_time,
		/* a client is a row per service and one for the host */
		.max_pairs = 2 * o->max_groups,
	};

	memset(pl, 0, sizeof(*pl));
	pl->format = o->format;
	pl->out = out;
	pl->mode = mode;
	pl->fail_on = o->fail_on;
	pl->rpt = rpt_new(&rc);
	if (!pl->rpt)
		return -ENOMEM;
	pl->tw = tw_new(&twc);
	if (!pl->tw)
		return -ENOMEM;
	pl->flows = flow_table_new(&fc, &hooks, pl);
	if (!pl->flows)
		return -ENOMEM;
	return 0;
}

void pipeline_watch(struct pipeline *pl, const struct flow_hooks *watch,
		    void *ctx)
{
	pl->watch = *watch;
	pl->watch_ctx = ctx;
}

void pipeline_metrics(struct pipeline *pl, struct em *em)
{
	pl->em = em;
}

int pipeline_metrics_publish(struct pipeline *pl)
{
	struct em_counters c = {
		.packets = pl->frames,
		.drops = pl->drops - pl->queue_drops,
		.queue_drops = pl->queue_drops,
		.evicted = flow_table_stats(pl->flows)->ended[FLOW_END_EVICTED],
	};

	if (!pl->em)
		return 0;
	em_time_wait(pl->em, pl->tw);
	em_counters(pl->em, &c);
	return em_publish(pl->em);
}

void pipeline_evidence(struct pipeline *pl, struct ev *ev, int streaming)
{
	pl->ev = ev;
	pl->ev_streaming = streaming;
}

/* A decoded frame, already in the flow table: streaming evidence. */
static void evidence_frame(struct pipeline *pl, const struct flow_seg *seg,
			   const struct flow_key *key, const uint8_t *data,
			   uint32_t caplen, uint32_t wirelen, int dlt)
{
	struct ev_frame f = {
		.data = data,
		.caplen = caplen,
		.wirelen = wirelen,
		.wall_ns = seg->wall_ns,
		.frame = seg->frame,
		.dlt = dlt,
	};
	char err[FT_ERRBUF_SIZE] = "";
	int rc;

	if (pl->ev_err[0])
		return;
	rc = ev_packet(pl->ev, flow_table_id(pl->flows, key), &f, err);
	if (rc)
		ev_failed(pl, rc, err);
}

int pipeline_decoded(struct pipeline *pl, enum pkt_status st,
		     const struct flow_seg *seg, const struct flow_key *key,
		     uint64_t hash, int dlt)
{
	uint64_t wall_ns = seg->wall_ns;

	pl->frames++;
	if (!pl->first_ns) {
		pl->first_ns = wall_ns;
		if (pl->defer.origin)
			pl->defer.origin(pl->defer.ctx, wall_ns);
		else
			pipeline_report_origin(pl, wall_ns);
	}
	if (wall_ns > pl->last_ns)
		pl->last_ns = wall_ns;
	pl->status[st]++;
	if (st != PKT_OK)
		return 0;
	pl->snapped += seg->snapped;
	if (flow_table_add_keyed(pl->flows, seg, key, hash) || pl->tw_nomem)
		return -ENOMEM;
	tw_segment(pl->tw, seg, key, hash);
	if (pl->ev && !pl->ev_dlt_set) {
		ev_set_default_dlt(pl->ev, dlt);
		pl->ev_dlt_set = 1;
	}
	return 0;
}

int pipeline_frame(struct pipeline *pl, const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen, uint64_t wall_ns, uint64_t frame, int dlt)
{
	struct flow_seg seg;
	struct flow_key key;
	enum pkt_status st;
	uint64_t h = 0;

	st = pkt_decode(dlt, data, caplen, wirelen, &seg);
	seg.wall_ns = wall_ns;
	seg.frame = frame;
	if (st == PKT_OK) {
		flow_key_from_seg(&seg, &key);
		h = flow_key_hash(&key);
	}
	if (pipeline_decoded(pl, st, &seg, &key, h, dlt))
		return -ENOMEM;
	if (st == PKT_OK && pl->ev && pl->ev_streaming)
		evidence_frame(pl, &seg, &key, data, caplen, wirelen, dlt);
	return 0;
}

void pipeline_note_last(struct pipeline *pl, uint64_t wall_ns)
{
	if (pl->first_ns && wall_ns > pl->last_ns)
		pl->last_ns = wall_ns;
}

void pipeline_set_end(struct pipeline *pl, uint64_t end_ns)
{
	pl->end_ns = end_ns;
	rpt_set_end_known(pl->rpt, 1);
}

/* The end of the observation: the true end when known and later. */
static uint64_t pl_end(const struct pipeline *pl)
{
	return pl->first_ns && pl->end_ns > pl->last_ns ? pl->end_ns
							: pl->last_ns;
}

void pipeline_flush(struct pipeline *pl)
{
	flow_table_flush(pl->flows, pl_end(pl));
}

void pipeline_evidence_report(struct pipeline *pl, const struct ev *ev,
			      int streaming, const struct pipeline_config *o,
			      const char *error)
{
	const struct ev_stats *st = ev_get_stats(ev);
	const char *files[RPT_EVIDENCE_FILES];
	struct rpt_evidence re;

	memset(&re, 0, sizeof(re));
	for (size_t i = 0; i < ev_files(ev) && i < RPT_EVIDENCE_FILES; i++)
		files[i] = ev_file_name(ev, i);
	re.files = files;
	re.nfiles = ev_files(ev) < RPT_EVIDENCE_FILES ? ev_files(ev)
						      : RPT_EVIDENCE_FILES;
	re.verdicts = o->evidence_verdicts;
	re.flows = st->flows;
	re.packets = st->packets;
	re.cut_flows = st->cut_flows;
	re.cut_packets = st->cut_packets;
	re.buffer_bytes = streaming ? o->evidence_buffer : 0;
	re.error = error;
	rpt_set_evidence(pl->rpt, &re);
}

int pipeline_evidence_finish(struct pipeline *pl,
			     const struct pipeline_config *o, char *err)
{
	int rc;

	if (!pl->ev)
		return 0;
	err[0] = '\0';
	rc = ev_finish(pl->ev, err);
	if (pl->ev_err[0]) {
		snprintf(err, FT_ERRBUF_SIZE, "%s", pl->ev_err);
		rc = rc ? rc : -EIO;
	}
	pipeline_evidence_report(pl, pl->ev, pl->ev_streaming, o,
				 rc ? err : NULL);
	return rc;
}

int pipeline_html(struct pipeline *pl, const char *path,
		  const struct html_input *in, size_t nin, int argc,
		  char **argv, char *err)
{
	return out_html(pl->rpt, pl->tw, path, in, nin, argc, argv, err);
}

/* The summary's facts as of last_ns; skipped holds PKT__COUNT + 1. */
static void pl_facts(const struct pipeline *pl, const char *const *inputs,
		     size_t ninputs, const char *error, uint64_t last_ns,
		     struct rpt_counter *skipped, struct rpt_facts *facts)
{
	size_t n = 0;

	for (int s = 1; s < PKT__COUNT; s++)
		skipped[n++] =
			(struct rpt_counter){pkt_status_name(s), pl->status[s]};
	skipped[n++] = (struct rpt_counter){"filtered", pl->filtered};
	memset(facts, 0, sizeof(*facts));
	facts->inputs = inputs;
	facts->ninputs = ninputs;
	facts->first_ns = pl->first_ns;
	facts->last_ns = last_ns;
	facts->packets = pl->frames + pl->filtered;
	facts->tcp_segments = pl->status[PKT_OK];
	facts->skipped = skipped;
	facts->nskipped = n;
	facts->snapped = pl->snapped;
	facts->drops = pl->drops;
	facts->queue_drops = pl->queue_drops;
	facts->error = error;
	facts->flows = flow_table_stats(pl->flows);
}

int pipeline_snapshot(struct pipeline *pl, const char *const *inputs,
		      size_t ninputs, uint64_t now_ns, FILE *f)
{
	struct rpt_counter skipped[PKT__COUNT + 1];
	struct rpt_facts facts;

	pl_facts(pl, inputs, ninputs, NULL, now_ns, skipped, &facts);
	return rpt_snapshot(pl->rpt, &facts, now_ns, f);
}

int pipeline_finish(struct pipeline *pl, const char *const *inputs,
		    size_t ninputs, const char *error)
{
	struct rpt_counter skipped[PKT__COUNT + 1];
	struct rpt_facts facts;
	int rc;

	flow_table_flush(pl->flows, pl_end(pl));
	pl_facts(pl, inputs, ninputs, error, pl_end(pl), skipped, &facts);
	/* JSON: timewait lines before the services and the summary; text:
	 * the TIME_WAIT section after the CLOSE_WAIT report. */
	tw_finish(pl->tw);
	if (pl->format == RPT_JSON)
		tw_write(pl->tw, pl->out, RPT_JSON, pl->first_ns);
	rc = rpt_finish(pl->rpt, &facts);
	if (pl->format == RPT_TEXT) {
		tw_write(pl->tw, pl->out, RPT_TEXT, pl->first_ns);
		if (fflush(pl->out) || ferror(pl->out))
			rc = rc ? rc : -EIO;
	}
	return rc;
}

int pipeline_no_match(const struct pipeline *pl)
{
	return pl->rpt && rpt_no_flow_matched(pl->rpt);
}

int pipeline_failed(const struct pipeline *pl)
{
	for (int v = 0; v < VD__COUNT; v++)
		if ((pl->fail_on & (1u << v)) &&
		    rpt_verdict_count(pl->rpt, (enum vd_verdict)v))
			return 1;
	return 0;
}

void pipeline_free(struct pipeline *pl)
{
	flow_table_free(pl->flows);
	rpt_free(pl->rpt);
	tw_free(pl->tw);
	pl->tw = NULL;
	pl->flows = NULL;
	pl->rpt = NULL;
}
