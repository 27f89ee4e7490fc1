/* SPDX-License-Identifier: MIT */
/*
 * Teardown state machine: see teardown.h. Sequence numbers are compared in
 * modulo-2^32 serial arithmetic (RFC 9293, 3.4), so wrapping sequence
 * spaces and out-of-order segments are handled alike.
 */
#include "analysis/teardown.h"

#include <string.h>

static int seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static int seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The FIN of endpoint `fin_from` was just ACKed at now_ns. */
static unsigned fin_acked(struct td_flow *f, int fin_from, uint64_t now_ns)
{
	struct td_dir *fin = &f->dir[fin_from];
	struct td_dir *peer = &f->dir[1 - fin_from];

	fin->fin_acked = 1;
	fin->fin_ack_ns = now_ns > fin->fin_ns ? now_ns : fin->fin_ns;
	/*
	 * The peer of the active closer enters CLOSE_WAIT when it ACKs the
	 * FIN (RFC 9293, 3.6, case 2), unless it has already closed.
	 */
	if (fin_from == f->active && !f->simultaneous && !peer->has_fin &&
	    !peer->has_rst && !fin->has_rst) {
		f->cw_start_ns = fin->fin_ack_ns;
		f->in_close_wait = 1;
		return TD_EV_CW_ENTER;
	}
	return 0;
}

static void set_roles(struct td_flow *f, const struct flow_seg *seg, int from)
{
	if (!(seg->flags & SEG_SYN))
		return;
	if (seg->flags & SEG_ACK) {
		f->dir[from].sent_synack = 1;
		if (f->roles_inferred) {
			f->client = (int8_t)(1 - from);
			f->roles_inferred = 0;
		}
	} else if (!f->dir[from].sent_syn) {
		f->dir[from].sent_syn = 1;
		f->syn_isn = seg->seq;
		f->client = (int8_t)from;
		f->roles_inferred = 0;
	}
}

unsigned td_flow_init(struct td_flow *f, const struct flow_seg *seg, int from)
{
	memset(f, 0, sizeof(*f));
	f->active = -1;
	f->first_ns = seg->wall_ns;
	f->last_ns = seg->wall_ns;
	f->first_frame = seg->frame;
	f->last_frame = seg->frame;
	/* Without a SYN the endpoint with the ephemeral port is the client. */
	f->roles_inferred = 1;
	f->client = (int8_t)(seg->sport >= seg->dport ? from : 1 - from);
	return td_flow_update(f, seg, from);
}

unsigned td_flow_update(struct td_flow *f, const struct flow_seg *seg,
			int from)
{
	struct td_dir *d = &f->dir[from];
	struct td_dir *p = &f->dir[1 - from];
	uint64_t now = seg->wall_ns;
	uint8_t fl = seg->flags;
	uint32_t syn = (fl & SEG_SYN) ? 1 : 0;
	uint32_t data_end = seg->seq + syn + seg->payload_len;
	uint32_t seg_end = data_end + ((fl & SEG_FIN) ? 1 : 0);
	int was_finished = td_flow_finished(f);
	unsigned ev = 0;

	if (now > f->last_ns)
		f->last_ns = now;
	if (seg->frame > f->last_frame)
		f->last_frame = seg->frame;
	d->packets++;
	d->bytes += seg->payload_len;
	set_roles(f, seg, from);

	/* New data (not a retransmission) after the peer's FIN: half-close */
	if (seg->payload_len && p->has_fin &&
	    (!d->has_nxt || seq_gt(data_end, d->nxt)))
		d->data_after_peer_fin_ns = now;
	if (!d->has_nxt || seq_gt(seg_end, d->nxt)) {
		d->nxt = seg_end;
		d->has_nxt = 1;
	}

	if (fl & SEG_ACK) {
		if (!d->has_ack)
			d->first_ack = seg->ack;
		if (!d->has_ack || seq_gt(seg->ack, d->max_ack)) {
			d->max_ack = seg->ack;
			d->has_ack = 1;
		}
		/* A FIN consumes one sequence number: ACK = FIN's seq + 1. */
		if (p->has_fin && !p->fin_acked &&
		    seq_ge(seg->ack, p->fin_seq + 1))
			ev |= fin_acked(f, 1 - from, now);
	}

	if (fl & SEG_FIN) {
		d->fins++;
		if (!d->has_fin) {
			d->has_fin = 1;
			d->fin_ns = now;
			d->fin_frame = seg->frame;
			d->fin_seq = data_end;
			if (f->active < 0)
				f->active = (int8_t)from;
			else if (!p->fin_acked)
				/* Both FINs sent before either was ACKed. */
				f->simultaneous = 1;
			/* Captured out of order: the peer's ACK came first. */
			if (p->has_ack && seq_ge(p->max_ack, d->fin_seq + 1))
				ev |= fin_acked(f, from, now);
		}
	}

	if (fl & SEG_RST) {
		d->rsts++;
		if (!d->has_rst) {
			d->has_rst = 1;
			d->rst_ns = now;
			d->rst_frame = seg->frame;
		}
	}

	if (f->in_close_wait && f->active >= 0) {
		int passive = 1 - f->active;

		if ((from == passive && (fl & (SEG_FIN | SEG_RST))) ||
		    (from == f->active && (fl & SEG_RST))) {
			f->in_close_wait = 0;
			ev |= TD_EV_CW_LEAVE;
		}
	}
	/* Entered and left with one segment (FIN+ACK): no CLOSE_WAIT. */
	if ((ev & (TD_EV_CW_ENTER | TD_EV_CW_LEAVE)) ==
	    (TD_EV_CW_ENTER | TD_EV_CW_LEAVE))
		ev &= ~(unsigned)(TD_EV_CW_ENTER | TD_EV_CW_LEAVE);
	if (!was_finished && td_flow_finished(f))
		ev |= TD_EV_FINISHED;
	return ev;
}

int td_flow_is_new_syn(const struct td_flow *f, const struct flow_seg *seg,
		       int from)
{
	const struct td_dir *d = &f->dir[from];

	if ((seg->flags & (SEG_SYN | SEG_ACK)) != SEG_SYN)
		return 0;
	if (d->sent_syn)
		/* The same ISN is a retransmitted (or duplicated) SYN. */
		return seg->seq != f->syn_isn;
	if (f->dir[1 - from].sent_syn)
		return 0; /* simultaneous open: both sent a SYN */
	/* A SYN on a flow first seen mid-stream starts a new connection. */
	return 1;
}

int td_flow_finished(const struct td_flow *f)
{
	return f->dir[0].has_rst || f->dir[1].has_rst ||
	       (f->dir[0].fin_acked && f->dir[1].fin_acked);
}

static int first_rst(const struct td_flow *f)
{
	const struct td_dir *d = f->dir;

	if (d[0].has_rst && (!d[1].has_rst || d[0].rst_ns <= d[1].rst_ns))
		return 0;
	return d[1].has_rst ? 1 : -1;
}

/* Only endpoint `seen` was captured, acknowledging the other's sends. */
static int one_way_from(const struct td_flow *f, int seen)
{
	const struct td_dir *d = &f->dir[seen];

	return !f->dir[1 - seen].packets && d->has_ack &&
	       (d->sent_synack || d->max_ack != d->first_ack);
}

/* The verdict once the active closer's FIN was ACKed. */
static void verdict_after_ack(const struct td_flow *f, uint64_t end_ns,
			      uint64_t linger_ns, struct td_result *r)
{
	int a = f->active, p = 1 - a;
	const struct td_dir *ad = &f->dir[a], *pd = &f->dir[p];
	uint64_t start = ad->fin_ack_ns;
	uint64_t pclose = 0, arst = ad->has_rst ? ad->rst_ns : 0;
	uint64_t idle_from = start;
	int by_rst = 0;

	if (pd->has_fin)
		pclose = pd->fin_ns;
	if (pd->has_rst && (!pclose || pd->rst_ns < pclose)) {
		pclose = pd->rst_ns;
		by_rst = 1;
	}
	/* The application is still writing while it sends data. */
	if (pd->data_after_peer_fin_ns > idle_from)
		idle_from = pd->data_after_peer_fin_ns;

	r->has_close_wait = 1;
	r->cw_start_ns = start;
	if (pclose) {
		int late = sub0(pclose, idle_from) > linger_ns;

		r->cw_end_ns = pclose;
		r->close_wait_ns = sub0(pclose, start);
		if (arst && arst >= pclose && !by_rst) {
			r->reset_by = a;
			r->reset_phase = TD_PHASE_ANSWERING_FIN;
			if (late)
				r->signature = TD_SIG_LATE_FIN_RST;
		}
		if (late)
			r->verdict = VD_LATE_CLOSE;
		else if (by_rst)
			r->verdict = VD_RESET;
		else if (arst && arst >= pclose)
			r->verdict = VD_RESET;
		else if (pd->data_after_peer_fin_ns)
			r->verdict = VD_HALF_CLOSE;
		else if (!pd->fin_acked)
			r->verdict = VD_FIN_UNACKED;
		else
			r->verdict = VD_CLEAN;
		return;
	}
	if (arst) {
		/* The active closer reset the socket lingering in CLOSE_WAIT */
		r->cw_end_ns = arst;
		r->close_wait_ns = sub0(arst, start);
		r->verdict = VD_RESET;
		r->signature = TD_SIG_RST_IN_CLOSE_WAIT;
		return;
	}
	r->cw_end_ns = end_ns > start ? end_ns : start;
	r->close_wait_ns = sub0(end_ns, start);
	r->in_close_wait_at_end = 1;
	if (pd->data_after_peer_fin_ns && sub0(end_ns, idle_from) <= linger_ns)
		r->verdict = VD_HALF_CLOSE;
	else if (r->close_wait_ns < linger_ns)
		r->verdict = VD_CLOSING; /* undecided: may still close in time */
	else
		r->verdict = VD_NEVER_CLOSED;
}

struct td_result td_flow_verdict(const struct td_flow *f, uint64_t end_ns,
				 uint64_t linger_ns)
{
	struct td_result r;
	const struct td_dir *d = f->dir;
	int client = f->client, server = 1 - client;
	int a = f->active, p;

	memset(&r, 0, sizeof(r));
	r.active = a;
	r.reset_by = first_rst(f);
	r.verdict = VD_OPEN;

	if (r.reset_by >= 0)
		r.reset_phase = TD_PHASE_BEFORE_FIN;
	/*
	 * Seen one way: one side acknowledged what the other sent during
	 * the capture (its SYN, or data: the ACK number advanced; RFC 9293,
	 * 3.4), yet none of the other's segments were captured. Its ACK of
	 * a FIN, its own FIN and its RST would all be invisible: a FIN left
	 * "unacked" says nothing about it, no close-wait can be timed, and
	 * which FIN came first is unknown (no active closer). Only what the
	 * seen side did is told. A lone segment whose ACK never moves
	 * proves no peer alive now: that FIN stays fin-unacked.
	 */
	if (one_way_from(f, 0) || one_way_from(f, 1)) {
		r.one_way = 1;
		r.active = -1;
		if (r.reset_by >= 0) {
			r.verdict = VD_RESET;
			if (a >= 0 && d[a].fin_ns <= d[r.reset_by].rst_ns)
				r.reset_phase = TD_PHASE_AFTER_FIN;
		}
		return r;
	}
	/* RST answered the SYN: nothing was ever accepted. */
	if (!f->roles_inferred && d[client].sent_syn &&
	    !d[server].sent_synack && r.reset_by == server && !d[0].has_fin &&
	    !d[1].has_fin && !d[server].bytes) {
		r.verdict = VD_REFUSED;
		return r;
	}
	if (a < 0) {
		if (r.reset_by >= 0)
			r.verdict = VD_RESET;
		return r;
	}
	p = 1 - a;
	if (d[a].fins > 1)
		r.signature = TD_SIG_FIN_RETRANSMITTED;
	if (d[p].has_fin) {
		r.has_fin_wait = 1;
		r.fin_wait_ns = sub0(d[p].fin_ns, d[a].fin_ns);
	} else if (!d[a].has_rst && !d[p].has_rst) {
		r.has_fin_wait = 1;
		r.fin_wait_ns = sub0(end_ns, d[a].fin_ns);
	}
	if (r.reset_by >= 0) {
		if (d[r.reset_by].rst_ns < d[a].fin_ns) {
			r.verdict = VD_RESET;
			return r;
		}
		r.reset_phase = TD_PHASE_AFTER_FIN;
	}
	if (f->simultaneous) {
		r.verdict = VD_SIMULTANEOUS;
		return r;
	}
	if (!d[a].fin_acked) {
		r.verdict = r.reset_by >= 0 ? VD_RESET : VD_FIN_UNACKED;
		return r;
	}
	verdict_after_ack(f, end_ns, linger_ns, &r);
	return r;
}

const char *td_phase_name(enum td_phase p)
{
	static const char *const names[TD__PHASES] = {
		[TD_PHASE_NONE] = "",
		[TD_PHASE_BEFORE_FIN] = "before-fin",
		[TD_PHASE_AFTER_FIN] = "after-fin",
		[TD_PHASE_ANSWERING_FIN] = "answering-fin",
	};
	return (unsigned)p < TD__PHASES ? names[p] : "?";
}

const char *td_signature_name(enum td_signature s)
{
	static const char *const names[TD__SIGNATURES] = {
		[TD_SIG_NONE] = "",
		[TD_SIG_LATE_FIN_RST] = "late-fin-answered-by-rst",
		[TD_SIG_RST_IN_CLOSE_WAIT] = "rst-while-in-close-wait",
		[TD_SIG_FIN_RETRANSMITTED] = "fin-retransmitted",
	};
	return (unsigned)s < TD__SIGNATURES ? names[s] : "?";
}
