/* SPDX-License-Identifier: MIT */
/*
 * Teardown state machine: see teardown.h. Sequence numbers are compared in
 * modulo-2^32 serial arithmetic (RFC 9293, 3.4), so wrapping sequence
 * spaces and out-of-order segments are handled alike.
 */
#include "analysis/teardown.h"

#include <string.h>

_Static_assert(sizeof(struct td_state) == 112, "td_state is 112 bytes");

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

#define OFF48_MAX ((1ULL << 48) - 1)

static uint64_t off48(uint32_t lo, uint16_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

static int wide(const struct td_state *s)
{
	return s->bits & TD_ST_WIDE;
}

/* 1 when t has a 48-bit offset from the flow's first time. */
static int time_fits(const struct td_state *s, uint64_t t)
{
	return t >= s->first_ns && t - s->first_ns <= OFF48_MAX;
}

/* 1 when frame has a 32-bit offset from the flow's first frame. */
static int frame_fits(const struct td_state *s, uint64_t frame)
{
	return frame >= s->first_frame && frame - s->first_frame <= UINT32_MAX;
}

static uint64_t last_ns(const struct td_state *s, const struct td_ext *x)
{
	return wide(s) ? x->last_ns : s->first_ns + off48(s->last_lo, s->last_hi);
}

static uint64_t last_frame(const struct td_state *s, const struct td_ext *x)
{
	return wide(s) ? x->last_frame : s->first_frame + s->last_frame;
}

/* The FIN time of endpoint i as the compact form holds it. */
static uint64_t fin_ns_compact(const struct td_state *s, int i)
{
	return s->first_ns + off48(s->dir[i].fin_lo, s->dir[i].fin_hi);
}

static uint64_t fin_ns(const struct td_state *s, const struct td_ext *x, int i)
{
	return wide(s) ? x->fin_ns[i] : fin_ns_compact(s, i);
}

static uint64_t fin_ack_ns(const struct td_state *s, const struct td_ext *x,
			   int i)
{
	return wide(s) ? x->fin_ack_ns[i] : fin_ns(s, x, i) + s->dir[i].fin_ack;
}

static uint64_t fin_frame(const struct td_state *s, const struct td_ext *x,
			  int i)
{
	return wide(s) ? x->fin_frame[i] : s->first_frame + s->dir[i].fin_frame;
}

/* A value does not fit: every time and frame moves into the ext. */
static void widen(struct td_state *s, struct td_ext *x)
{
	x->last_ns = last_ns(s, x);
	x->last_frame = last_frame(s, x);
	for (int i = 0; i < 2; i++) {
		x->fin_ns[i] = fin_ns(s, x, i);
		x->fin_ack_ns[i] = fin_ack_ns(s, x, i);
		x->fin_frame[i] = fin_frame(s, x, i);
	}
	s->bits |= TD_ST_WIDE;
}

static void set_last_ns(struct td_state *s, struct td_ext *x, uint64_t t)
{
	if (!wide(s) && !time_fits(s, t))
		widen(s, x);
	if (wide(s)) {
		x->last_ns = t;
	} else {
		s->last_lo = (uint32_t)(t - s->first_ns);
		s->last_hi = (uint16_t)((t - s->first_ns) >> 32);
	}
}

static void set_last_frame(struct td_state *s, struct td_ext *x,
			   uint64_t frame)
{
	if (!wide(s) && !frame_fits(s, frame))
		widen(s, x);
	if (wide(s))
		x->last_frame = frame;
	else
		s->last_frame = (uint32_t)(frame - s->first_frame);
}

/* Endpoint i sent its first FIN at t in frame. */
static void set_fin(struct td_state *s, struct td_ext *x, int i, uint64_t t,
		    uint64_t frame)
{
	struct td_side *d = &s->dir[i];

	if (!wide(s) && (!time_fits(s, t) || !frame_fits(s, frame)))
		widen(s, x);
	if (wide(s)) {
		x->fin_ns[i] = t;
		x->fin_frame[i] = frame;
	} else {
		d->fin_lo = (uint32_t)(t - s->first_ns);
		d->fin_hi = (uint16_t)((t - s->first_ns) >> 32);
		d->fin_frame = (uint32_t)(frame - s->first_frame);
	}
}

/* The FIN of endpoint i was ACKed at t, which is not before the FIN. */
static void set_fin_ack(struct td_state *s, struct td_ext *x, int i,
			uint64_t t)
{
	uint64_t fin = fin_ns(s, x, i);

	if (!wide(s) && t - fin > UINT32_MAX)
		widen(s, x);
	if (wide(s))
		x->fin_ack_ns[i] = t;
	else
		s->dir[i].fin_ack = (uint32_t)(t - fin);
}

static void add_bytes(struct td_side *d, uint32_t n)
{
	uint64_t b = off48(d->bytes_lo, d->bytes_hi) + n;

	if (b > OFF48_MAX)
		b = OFF48_MAX;
	d->bytes_lo = (uint32_t)b;
	d->bytes_hi = (uint16_t)(b >> 32);
}

/* The FIN of endpoint `fin_from` was just ACKed at now_ns. */
static unsigned fin_acked(struct td_state *s, struct td_ext *x, int fin_from,
			  uint64_t now_ns)
{
	struct td_side *fin = &s->dir[fin_from];
	struct td_side *peer = &s->dir[1 - fin_from];
	uint64_t fns = fin_ns(s, x, fin_from);

	fin->bits |= TD_SD_FIN_ACKED;
	set_fin_ack(s, x, fin_from, now_ns > fns ? now_ns : fns);
	/*
	 * The peer of the active closer enters CLOSE_WAIT when it ACKs the
	 * FIN (RFC 9293, 3.6, case 2), unless it has already closed.
	 */
	if (fin_from == s->active && !(s->bits & TD_ST_SIMULTANEOUS) &&
	    !(peer->bits & (TD_SD_HAS_FIN | TD_SD_HAS_RST)) &&
	    !(fin->bits & TD_SD_HAS_RST)) {
		s->bits |= TD_ST_IN_CLOSE_WAIT | TD_ST_CW_ENTERED;
		return TD_EV_CW_ENTER;
	}
	return 0;
}

static void set_roles(struct td_state *s, const struct flow_seg *seg,
		      int from)
{
	struct td_side *d = &s->dir[from];

	if (!(seg->flags & SEG_SYN))
		return;
	if (seg->flags & SEG_ACK) {
		d->bits |= TD_SD_SENT_SYNACK;
		if (s->bits & TD_ST_ROLES_INFERRED) {
			td_state_set_client(s, 1 - from);
			s->bits &= (uint8_t)~TD_ST_ROLES_INFERRED;
		}
	} else if (!(d->bits & TD_SD_SENT_SYN)) {
		d->bits |= TD_SD_SENT_SYN;
		s->syn_isn = seg->seq;
		td_state_set_client(s, from);
		s->bits &= (uint8_t)~TD_ST_ROLES_INFERRED;
	}
}

void td_state_init(struct td_state *s, const struct flow_seg *seg, int from)
{
	memset(s, 0, sizeof(*s));
	s->active = -1;
	s->first_ns = seg->wall_ns;
	s->first_frame = seg->frame;
	/* Without a SYN the endpoint with the ephemeral port is the client. */
	s->bits = TD_ST_ROLES_INFERRED;
	td_state_set_client(s, seg->sport >= seg->dport ? from : 1 - from);
}

int td_state_needs_ext(const struct td_state *s, const struct flow_seg *seg,
		       int from)
{
	uint64_t now = seg->wall_ns;

	if (s->bits & TD_ST_EXT)
		return 0;
	if ((seg->flags & SEG_RST) || !time_fits(s, now) ||
	    !frame_fits(s, seg->frame))
		return 1;
	/* Data after the peer's FIN: its time is kept in the ext. */
	if (seg->payload_len && (s->dir[1 - from].bits & TD_SD_HAS_FIN))
		return 1;
	/* A FIN ACKed more than 2^32 ns after it was sent. */
	for (int i = 0; i < 2; i++)
		if ((s->dir[i].bits & (TD_SD_HAS_FIN | TD_SD_FIN_ACKED)) ==
			    TD_SD_HAS_FIN &&
		    now > fin_ns_compact(s, i) &&
		    now - fin_ns_compact(s, i) > UINT32_MAX)
			return 1;
	return 0;
}

unsigned td_state_update(struct td_state *s, struct td_ext *x,
			 const struct flow_seg *seg, int from)
{
	struct td_side *d = &s->dir[from];
	struct td_side *p = &s->dir[1 - from];
	uint64_t now = seg->wall_ns;
	uint8_t fl = seg->flags;
	uint32_t syn = (fl & SEG_SYN) ? 1 : 0;
	uint32_t data_end = seg->seq + syn + seg->payload_len;
	uint32_t seg_end = data_end + ((fl & SEG_FIN) ? 1 : 0);
	int was_finished = td_state_finished(s);
	unsigned ev = 0;

	if (now > last_ns(s, x))
		set_last_ns(s, x, now);
	if (seg->frame > last_frame(s, x))
		set_last_frame(s, x, seg->frame);
	d->packets++;
	add_bytes(d, seg->payload_len);
	set_roles(s, seg, from);

	/* New data (not a retransmission) after the peer's FIN: half-close */
	if (seg->payload_len && (p->bits & TD_SD_HAS_FIN) &&
	    (!(d->bits & TD_SD_HAS_NXT) || seq_gt(data_end, d->nxt)))
		x->data_after_peer_fin_ns[from] = now;
	if (!(d->bits & TD_SD_HAS_NXT) || seq_gt(seg_end, d->nxt)) {
		d->nxt = seg_end;
		d->bits |= TD_SD_HAS_NXT;
	}

	if (fl & SEG_ACK) {
		if (!(d->bits & TD_SD_HAS_ACK)) {
			d->max_ack = seg->ack;
			d->bits |= TD_SD_HAS_ACK;
		} else if (seq_gt(seg->ack, d->max_ack)) {
			d->max_ack = seg->ack;
			d->bits |= TD_SD_ACK_MOVED;
		}
		/* A FIN consumes one sequence number: ACK = FIN's seq + 1. */
		if ((p->bits & (TD_SD_HAS_FIN | TD_SD_FIN_ACKED)) ==
			    TD_SD_HAS_FIN &&
		    seq_ge(seg->ack, p->fin_seq + 1))
			ev |= fin_acked(s, x, 1 - from, now);
	}

	if (fl & SEG_FIN) {
		if (d->fins < UINT16_MAX)
			d->fins++;
		if (!(d->bits & TD_SD_HAS_FIN)) {
			d->bits |= TD_SD_HAS_FIN;
			set_fin(s, x, from, now, seg->frame);
			d->fin_seq = data_end;
			if (s->active < 0)
				s->active = (int8_t)from;
			else if (!(p->bits & TD_SD_FIN_ACKED))
				/* Both FINs sent before either was ACKed. */
				s->bits |= TD_ST_SIMULTANEOUS;
			/* Captured out of order: the peer's ACK came first. */
			if ((p->bits & TD_SD_HAS_ACK) &&
			    seq_ge(p->max_ack, d->fin_seq + 1))
				ev |= fin_acked(s, x, from, now);
		}
	}

	if (fl & SEG_RST) {
		x->rsts[from]++;
		if (!(d->bits & TD_SD_HAS_RST)) {
			d->bits |= TD_SD_HAS_RST;
			x->rst_ns[from] = now;
			x->rst_frame[from] = seg->frame;
		}
	}

	if ((s->bits & TD_ST_IN_CLOSE_WAIT) && s->active >= 0) {
		int passive = 1 - s->active;

		if ((from == passive && (fl & (SEG_FIN | SEG_RST))) ||
		    (from == s->active && (fl & SEG_RST))) {
			s->bits &= (uint8_t)~TD_ST_IN_CLOSE_WAIT;
			ev |= TD_EV_CW_LEAVE;
		}
	}
	/* Entered and left with one segment (FIN+ACK): no CLOSE_WAIT. */
	if ((ev & (TD_EV_CW_ENTER | TD_EV_CW_LEAVE)) ==
	    (TD_EV_CW_ENTER | TD_EV_CW_LEAVE))
		ev &= ~(unsigned)(TD_EV_CW_ENTER | TD_EV_CW_LEAVE);
	if (!was_finished && td_state_finished(s))
		ev |= TD_EV_FINISHED;
	return ev;
}

int td_state_is_new_syn(const struct td_state *s, const struct flow_seg *seg,
			int from)
{
	if ((seg->flags & (SEG_SYN | SEG_ACK)) != SEG_SYN)
		return 0;
	if (s->dir[from].bits & TD_SD_SENT_SYN)
		/* The same ISN is a retransmitted (or duplicated) SYN. */
		return seg->seq != s->syn_isn;
	if (s->dir[1 - from].bits & TD_SD_SENT_SYN)
		return 0; /* simultaneous open: both sent a SYN */
	/* A SYN on a flow first seen mid-stream starts a new connection. */
	return 1;
}

int td_state_finished(const struct td_state *s)
{
	return ((s->dir[0].bits | s->dir[1].bits) & TD_SD_HAS_RST) ||
	       (s->dir[0].bits & s->dir[1].bits & TD_SD_FIN_ACKED);
}

uint64_t td_state_last_ns(const struct td_state *s, const struct td_ext *x)
{
	return last_ns(s, x);
}

void td_state_view(const struct td_state *s, const struct td_ext *x,
		   struct td_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->first_ns = s->first_ns;
	f->last_ns = last_ns(s, x);
	f->first_frame = s->first_frame;
	f->last_frame = last_frame(s, x);
	f->syn_isn = s->syn_isn;
	f->client = (s->bits & TD_ST_CLIENT1) ? 1 : 0;
	f->active = s->active;
	f->roles_inferred = !!(s->bits & TD_ST_ROLES_INFERRED);
	f->simultaneous = !!(s->bits & TD_ST_SIMULTANEOUS);
	f->in_close_wait = !!(s->bits & TD_ST_IN_CLOSE_WAIT);
	for (int i = 0; i < 2; i++) {
		const struct td_side *d = &s->dir[i];
		struct td_dir *o = &f->dir[i];

		if (d->bits & TD_SD_HAS_FIN) {
			o->fin_ns = fin_ns(s, x, i);
			o->fin_frame = fin_frame(s, x, i);
		}
		if (d->bits & TD_SD_FIN_ACKED)
			o->fin_ack_ns = fin_ack_ns(s, x, i);
		if (x) {
			o->rst_ns = x->rst_ns[i];
			o->rst_frame = x->rst_frame[i];
			o->rsts = x->rsts[i];
			o->data_after_peer_fin_ns = x->data_after_peer_fin_ns[i];
		}
		o->bytes = off48(d->bytes_lo, d->bytes_hi);
		o->packets = d->packets;
		o->fins = d->fins;
		o->fin_seq = d->fin_seq;
		o->nxt = d->nxt;
		o->max_ack = d->max_ack;
		o->has_nxt = !!(d->bits & TD_SD_HAS_NXT);
		o->has_ack = !!(d->bits & TD_SD_HAS_ACK);
		o->has_fin = !!(d->bits & TD_SD_HAS_FIN);
		o->fin_acked = !!(d->bits & TD_SD_FIN_ACKED);
		o->has_rst = !!(d->bits & TD_SD_HAS_RST);
		o->sent_syn = !!(d->bits & TD_SD_SENT_SYN);
		o->sent_synack = !!(d->bits & TD_SD_SENT_SYNACK);
		o->ack_moved = !!(d->bits & TD_SD_ACK_MOVED);
	}
	if ((s->bits & TD_ST_CW_ENTERED) && s->active >= 0)
		f->cw_start_ns = f->dir[s->active].fin_ack_ns;
}

/* The compact form of a view, every time and frame kept in full. */
static void state_of_view(const struct td_flow *f, struct td_state *s,
			  struct td_ext *x)
{
	memset(s, 0, sizeof(*s));
	memset(x, 0, sizeof(*x));
	s->first_ns = f->first_ns;
	s->first_frame = f->first_frame;
	s->syn_isn = f->syn_isn;
	s->active = f->active;
	s->bits = TD_ST_EXT | TD_ST_WIDE;
	td_state_set_client(s, f->client);
	if (f->roles_inferred)
		s->bits |= TD_ST_ROLES_INFERRED;
	if (f->simultaneous)
		s->bits |= TD_ST_SIMULTANEOUS;
	if (f->in_close_wait)
		s->bits |= TD_ST_IN_CLOSE_WAIT;
	if (f->in_close_wait || f->cw_start_ns)
		s->bits |= TD_ST_CW_ENTERED;
	x->last_ns = f->last_ns;
	x->last_frame = f->last_frame;
	for (int i = 0; i < 2; i++) {
		const struct td_dir *o = &f->dir[i];
		struct td_side *d = &s->dir[i];
		uint64_t b;

		x->fin_ns[i] = o->fin_ns;
		x->fin_ack_ns[i] = o->fin_ack_ns;
		x->fin_frame[i] = o->fin_frame;
		x->rst_ns[i] = o->rst_ns;
		x->rst_frame[i] = o->rst_frame;
		x->rsts[i] = o->rsts;
		x->data_after_peer_fin_ns[i] = o->data_after_peer_fin_ns;
		b = o->bytes > OFF48_MAX ? OFF48_MAX : o->bytes;
		d->bytes_lo = (uint32_t)b;
		d->bytes_hi = (uint16_t)(b >> 32);
		d->packets = o->packets;
		d->fins = (uint16_t)(o->fins < UINT16_MAX ? o->fins : UINT16_MAX);
		d->fin_seq = o->fin_seq;
		d->nxt = o->nxt;
		d->max_ack = o->max_ack;
		d->bits = (uint8_t)((o->has_nxt ? TD_SD_HAS_NXT : 0) |
				    (o->has_ack ? TD_SD_HAS_ACK : 0) |
				    (o->has_fin ? TD_SD_HAS_FIN : 0) |
				    (o->fin_acked ? TD_SD_FIN_ACKED : 0) |
				    (o->has_rst ? TD_SD_HAS_RST : 0) |
				    (o->sent_syn ? TD_SD_SENT_SYN : 0) |
				    (o->sent_synack ? TD_SD_SENT_SYNACK : 0) |
				    (o->ack_moved ? TD_SD_ACK_MOVED : 0));
	}
}

unsigned td_flow_init(struct td_flow *f, const struct flow_seg *seg, int from)
{
	struct td_state s;
	struct td_ext x;
	unsigned ev;

	td_state_init(&s, seg, from);
	memset(&x, 0, sizeof(x));
	td_state_attach(&s);
	ev = td_state_update(&s, &x, seg, from);
	td_state_view(&s, &x, f);
	return ev;
}

unsigned td_flow_update(struct td_flow *f, const struct flow_seg *seg,
			int from)
{
	struct td_state s;
	struct td_ext x;
	unsigned ev;

	state_of_view(f, &s, &x);
	ev = td_state_update(&s, &x, seg, from);
	td_state_view(&s, &x, f);
	return ev;
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
	       (d->sent_synack || d->ack_moved);
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
