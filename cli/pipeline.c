/* SPDX-License-Identifier: MIT */
/*
 * The packet pipeline; see pipeline.h.
 */
#include "cli/pipeline.h"

#include <errno.h>
#include <string.h>

/* The flow table's hooks: the report first, then the watcher if any. */
static void pl_done(void *ctx, const struct flow_record *rec)
{
	struct pipeline *pl = ctx;

	rpt_flow_done(pl->rpt, rec);
	if (pl->watch.done)
		pl->watch.done(pl->watch_ctx, rec);
}

static void pl_close_wait(void *ctx, const struct flow_key *key,
			  const struct td_flow *td, int delta, uint64_t now_ns)
{
	struct pipeline *pl = ctx;

	rpt_close_wait(pl->rpt, key, td, delta, now_ns);
	if (pl->watch.close_wait)
		pl->watch.close_wait(pl->watch_ctx, key, td, delta, now_ns);
}

int pipeline_init(struct pipeline *pl, const struct ft_opts *o, FILE *out,
		  const char *mode)
{
	struct rpt_config rc = {
		.format = o->format,
		.linger_ns = o->linger_ns,
		.top = o->top,
		.list_open = o->list_open,
		.out = out,
		.mode = mode,
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

	memset(pl, 0, sizeof(*pl));
	pl->out = out;
	pl->mode = mode;
	pl->fail_on = o->fail_on;
	pl->rpt = rpt_new(&rc);
	if (!pl->rpt)
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

int pipeline_frame(struct pipeline *pl, const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen, uint64_t wall_ns, uint64_t frame, int dlt)
{
	struct flow_seg seg;
	enum pkt_status st;

	pl->frames++;
	if (!pl->first_ns) {
		pl->first_ns = wall_ns;
		rpt_set_origin(pl->rpt, wall_ns);
	}
	if (wall_ns > pl->last_ns)
		pl->last_ns = wall_ns;
	st = pkt_decode(dlt, data, caplen, wirelen, &seg);
	pl->status[st]++;
	if (st != PKT_OK)
		return 0;
	pl->snapped += seg.snapped;
	seg.wall_ns = wall_ns;
	seg.frame = frame;
	return flow_table_add(pl->flows, &seg);
}

int pipeline_finish(struct pipeline *pl, const char *const *inputs,
		    size_t ninputs, const char *error)
{
	struct rpt_counter skipped[PKT__COUNT + 1];
	size_t n = 0;
	struct rpt_facts facts;

	flow_table_flush(pl->flows, pl->last_ns);
	for (int s = 1; s < PKT__COUNT; s++)
		skipped[n++] = (struct rpt_counter){pkt_status_name(s),
						    pl->status[s]};
	skipped[n++] = (struct rpt_counter){"filtered", pl->filtered};
	memset(&facts, 0, sizeof(facts));
	facts.inputs = inputs;
	facts.ninputs = ninputs;
	facts.first_ns = pl->first_ns;
	facts.last_ns = pl->last_ns;
	facts.packets = pl->frames + pl->filtered;
	facts.tcp_segments = pl->status[PKT_OK];
	facts.skipped = skipped;
	facts.nskipped = n;
	facts.snapped = pl->snapped;
	facts.drops = pl->drops;
	facts.error = error;
	facts.flows = flow_table_stats(pl->flows);
	return rpt_finish(pl->rpt, &facts);
}

int pipeline_failed(const struct pipeline *pl)
{
	for (int v = 0; v < TD__VERDICTS; v++)
		if ((pl->fail_on & (1u << v)) &&
		    rpt_verdict_count(pl->rpt, (enum td_verdict)v))
			return 1;
	return 0;
}

void pipeline_free(struct pipeline *pl)
{
	flow_table_free(pl->flows);
	rpt_free(pl->rpt);
	pl->flows = NULL;
	pl->rpt = NULL;
}
