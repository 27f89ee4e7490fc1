/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the flow tracker and the report: the input is a
 * list of small segment records, fed to a flow table with a tiny
 * --max-flows and then flushed into a report written to /dev/null.
 *
 * Header (4 bytes): [0] bits 0-2 max flows (0: unbounded), bits 4-5 report
 * format, bit 6 --all, bit 7 --top 0; [1] linger, [2] grace (100 ms
 * units); [3] idle timeout (s).
 * Record (12 bytes):
 *   [0]     endpoints: bits 0-1 host A, 2-3 host B, 4 IPv6, 5 B sends,
 *           6-7 port pair
 *   [1]     TCP flags
 *   [2..3]  time step in ms; bit 15 set steps back instead
 *   [4..5]  seq, relative to the sender's ISN (signed)
 *   [6..7]  ack, relative to the receiver's ISN (signed)
 *   [8..9]  payload length
 *   [10]    window
 *   [11]    bit 0 snapped, bit 1 ISNs near the 2^32 wrap, bit 2 frame
 *           number repeats the previous one
 * Relative sequence numbers let the fuzzer reach FINs that are ACKed,
 * retransmitted, overlapping and wrapping without guessing 32-bit values.
 *
 * Checked besides memory errors: every finalised flow has fields in range;
 * the table's counters add up; the table is empty after the flush.
 */
#include <string.h>

#include "analysis/flow.h"
#include "analysis/report.h"
#include "fuzz.h"

#define MS 1000000ULL
#define REC 12

static FILE *devnull;

struct fz_ctx {
	struct rpt *rpt;
	uint64_t linger_ns;
	uint64_t done;
	uint64_t cw_enter;
	uint64_t cw_leave;
};

/* What each verdict means (DESIGN.md), in terms of what was seen. */
static void fz_check_verdict(const struct fz_ctx *x,
			     const struct flow_record *rec)
{
	const struct td_result *r = &rec->res;
	const struct td_dir *d = rec->td->dir;
	int rst = d[0].has_rst || d[1].has_rst;

	switch (r->verdict) {
	case VD_CLEAN:
		/* both sides sent FIN and both FINs were ACKed */
		FZ_CHECK(d[0].has_fin && d[1].has_fin);
		FZ_CHECK(d[0].fin_acked && d[1].fin_acked);
		FZ_CHECK(r->close_wait_ns <= x->linger_ns ||
			 d[1 - r->active].data_after_peer_fin_ns);
		break;
	case VD_LATE_CLOSE:
		FZ_CHECK(r->close_wait_ns > x->linger_ns);
		FZ_CHECK(!r->in_close_wait_at_end);
		break;
	case VD_NEVER_CLOSED:
		/* the passive side ACKed the FIN and sent no FIN/RST */
		FZ_CHECK(d[r->active].has_fin && d[r->active].fin_acked);
		FZ_CHECK(!d[1 - r->active].has_fin);
		FZ_CHECK(!d[1 - r->active].has_rst);
		FZ_CHECK(r->in_close_wait_at_end);
		break;
	case VD_RESET:
		FZ_CHECK(rst && r->reset_by >= 0);
		break;
	case VD_REFUSED:
		FZ_CHECK(rst && !d[0].has_fin && !d[1].has_fin);
		break;
	case VD_SIMULTANEOUS:
		FZ_CHECK(d[0].has_fin && d[1].has_fin);
		break;
	case VD_FIN_UNACKED:
		FZ_CHECK(d[0].has_fin || d[1].has_fin);
		break;
	case VD_HALF_CLOSE:
		FZ_CHECK(r->active >= 0 &&
			 d[1 - r->active].data_after_peer_fin_ns);
		break;
	case VD_OPEN:
		FZ_CHECK(!rst);
		break;
	default:
		break;
	}
}

static void fz_done(void *c, const struct flow_record *rec)
{
	struct fz_ctx *x = c;
	const struct td_result *r = &rec->res;
	const struct td_flow *td = rec->td;

	FZ_CHECK((unsigned)r->verdict < VD__COUNT);
	FZ_CHECK((unsigned)r->reset_phase < TD__PHASES);
	FZ_CHECK((unsigned)r->signature < TD__SIGNATURES);
	FZ_CHECK(r->active >= -1 && r->active <= 1);
	FZ_CHECK(r->reset_by >= -1 && r->reset_by <= 1);
	FZ_CHECK(td->client == 0 || td->client == 1);
	FZ_CHECK(td->first_ns <= td->last_ns);
	FZ_CHECK(td->first_frame <= td->last_frame);
	FZ_CHECK((unsigned)rec->end < FLOW_END__COUNT);
	FZ_CHECK(rec->id >= 1);
	/* Only a flow still in CLOSE_WAIT can be in it at the end. */
	if (r->in_close_wait_at_end)
		FZ_CHECK(r->has_close_wait);
	if (r->verdict == VD_NEVER_CLOSED || r->verdict == VD_LATE_CLOSE)
		FZ_CHECK(r->has_close_wait && r->active >= 0);
	fz_check_verdict(x, rec);
	x->done++;
	rpt_flow_done(x->rpt, rec);
}

static void fz_close_wait(void *c, const struct flow_key *key,
			  const struct td_flow *td, int delta, uint64_t now)
{
	struct fz_ctx *x = c;

	FZ_CHECK(delta == 1 || delta == -1);
	FZ_CHECK(td->active == 0 || td->active == 1);
	if (delta > 0)
		x->cw_enter++;
	else
		x->cw_leave++;
	FZ_CHECK(x->cw_leave <= x->cw_enter);
	rpt_close_wait(x->rpt, key, td, delta, now);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void fz_segment(const uint8_t *r, struct flow_seg *s, uint64_t *t,
		       uint64_t *frame)
{
	static const uint16_t ports[4][2] = {
		{40000, 80},
		{80, 40000},
		{443, 443},
		{65535, 0},
	};
	int ha = r[0] & 3, hb = (r[0] >> 2) & 3, v6 = (r[0] >> 4) & 1;
	int b_sends = (r[0] >> 5) & 1, pp = r[0] >> 6;
	int src = b_sends ? hb : ha, dst = b_sends ? ha : hb;
	uint16_t step = rd16(r + 2);
	/* ISN of each host: fixed, or just below the wrap. */
	uint32_t wrap = (r[11] & 2) ? 0xffffff00u : 0x10000000u;
	uint32_t isn_src = wrap + 0x1000u * (uint32_t)src;
	uint32_t isn_dst = wrap + 0x1000u * (uint32_t)dst;

	memset(s, 0, sizeof(*s));
	/* Back in time, but never to 0: the tracker's "not seen". */
	if (step & 0x8000)
		*t = *t > (step & 0x7fffu) * MS ? *t - (step & 0x7fffu) * MS
						: 1;
	else
		*t += step * MS;
	if (!(r[11] & 4))
		++*frame;
	s->wall_ns = *t;
	s->frame = *frame;
	s->family = v6 ? SEG_IPV6 : SEG_IPV4;
	s->saddr[0] = s->daddr[0] = v6 ? 0x20 : 10;
	s->saddr[v6 ? 15 : 3] = (uint8_t)(1 + src);
	s->daddr[v6 ? 15 : 3] = (uint8_t)(1 + dst);
	s->sport = ports[pp][b_sends];
	s->dport = ports[pp][!b_sends];
	s->flags = r[1];
	s->seq = isn_src + (uint32_t)(int32_t)(int16_t)rd16(r + 4);
	s->ack = isn_dst + (uint32_t)(int32_t)(int16_t)rd16(r + 6);
	s->payload_len = rd16(r + 8);
	s->window = r[10];
	s->snapped = r[11] & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_ctx x = {0};
	struct flow_table *t;
	struct flow_seg seg;
	const struct flow_stats *fs;
	struct rpt_facts facts = {0};
	uint64_t now = 1700000000ULL * 1000000000ULL, frame = 0, first = 0;
	uint64_t last = 0, ended = 0;

	if (size < 4)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	FZ_CHECK(devnull);

	struct rpt_config rc = {
		.format = (enum rpt_format)(((data[0] >> 4) & 3) % 3),
		.linger_ns = data[1] * 100 * MS,
		.top = data[0] & 0x80 ? 0 : 10,
		.list_open = (data[0] >> 6) & 1,
		.out = devnull,
		.mode = "read",
	};
	struct flow_config fc = {
		.linger_ns = rc.linger_ns,
		.grace_ns = data[2] * 100 * MS,
		.idle_ns = (data[3] + 1ULL) * 1000 * MS,
		.max_flows = data[0] & 7,
	};
	struct flow_hooks hooks = {
		.done = fz_done,
		.close_wait = fz_close_wait,
	};

	x.linger_ns = rc.linger_ns;
	x.rpt = rpt_new(&rc);
	FZ_CHECK(x.rpt);
	t = flow_table_new(&fc, &hooks, &x);
	FZ_CHECK(t);
	for (size_t off = 4; off + REC <= size; off += REC) {
		fz_segment(data + off, &seg, &now, &frame);
		if (!first) {
			first = seg.wall_ns;
			rpt_set_origin(x.rpt, first);
		}
		if (seg.wall_ns > last)
			last = seg.wall_ns;
		FZ_CHECK(flow_table_add(t, &seg) == 0);
		fs = flow_table_stats(t);
		if (fc.max_flows)
			FZ_CHECK(fs->tracked <= fc.max_flows);
		FZ_CHECK(fs->in_close_wait <= fs->tracked);
		FZ_CHECK(fs->peak_tracked >= fs->tracked);
	}
	flow_table_flush(t, last);
	fs = flow_table_stats(t);
	FZ_CHECK(fs->tracked == 0);
	FZ_CHECK(fs->in_close_wait == 0);
	for (int e = 0; e < FLOW_END__COUNT; e++)
		ended += fs->ended[e];
	FZ_CHECK(ended == fs->flows);
	FZ_CHECK(x.done == fs->flows);

	facts.first_ns = first;
	facts.last_ns = last;
	facts.packets = fs->segments;
	facts.tcp_segments = fs->segments;
	facts.flows = fs;
	rpt_finish(x.rpt, &facts);
	flow_table_free(t);
	rpt_free(x.rpt);
	return 0;
}
