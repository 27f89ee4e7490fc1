/* SPDX-License-Identifier: MIT */
/*
 * Teardown state machine on hand-built segment sequences: every verdict,
 * retransmitted and out-of-order FINs, mid-stream starts, RST in each
 * phase, and sequence numbers that wrap.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "analysis/teardown.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define LINGER (5 * SEC)

/* A two-party conversation that keeps sequence numbers for its segments */
struct conv {
	struct td_state st; /* what the flow table keeps */
	struct td_ext x;    /* attached when the state asks for it */
	struct td_flow f;   /* the view of st after the last segment */
	uint32_t nxt[2];   /* next sequence number of each endpoint */
	uint64_t frame;
	unsigned ev;       /* TD_EV_* bits of the last segment */
	int started;
};

enum { C = 0, S = 1 }; /* endpoint 0 is the client in these tests */

static void conv_init(struct conv *cv, uint32_t cisn, uint32_t sisn)
{
	memset(cv, 0, sizeof(*cv));
	cv->nxt[C] = cisn;
	cv->nxt[S] = sisn;
}

/* Apply s as the flow table does, and refresh the view. */
static unsigned feed(struct conv *cv, const struct flow_seg *s, int from)
{
	struct td_ext *x;

	if (!cv->started) {
		cv->started = 1;
		td_state_init(&cv->st, s, from);
	}
	if (td_state_needs_ext(&cv->st, s, from))
		td_state_attach(&cv->st);
	x = (cv->st.bits & TD_ST_EXT) ? &cv->x : NULL;
	cv->ev = td_state_update(&cv->st, x, s, from);
	td_state_view(&cv->st, x, &cv->f);
	return cv->ev;
}

/* Send a segment from `from` at wall_ns in frame, with flags and len
 * payload bytes. */
static unsigned send_seg(struct conv *cv, int from, uint8_t flags,
			 uint32_t len, uint64_t wall_ns, uint64_t frame)
{
	struct flow_seg s;

	memset(&s, 0, sizeof(s));
	s.wall_ns = wall_ns;
	s.frame = frame;
	s.family = SEG_IPV4;
	s.sport = from == C ? 40000 : 9100;
	s.dport = from == C ? 9100 : 40000;
	s.seq = cv->nxt[from];
	s.ack = (flags & SEG_ACK) ? cv->nxt[1 - from] : 0;
	s.flags = flags;
	s.payload_len = len;
	cv->nxt[from] += len + ((flags & SEG_SYN) ? 1 : 0) +
			 ((flags & SEG_FIN) ? 1 : 0);
	return feed(cv, &s, from);
}

/* Send a segment from `from` at t_ms with flags and len payload bytes. */
static unsigned send_at(struct conv *cv, int from, uint8_t flags,
			uint32_t len, uint64_t t_ms)
{
	return send_seg(cv, from, flags, len,
			1700000000ULL * SEC + t_ms * MS, ++cv->frame);
}

/* A segment with explicit seq/ack (retransmissions, reordering). */
static unsigned send_raw(struct conv *cv, int from, uint8_t flags,
			 uint32_t seq, uint32_t ack, uint32_t len,
			 uint64_t t_ms)
{
	struct flow_seg s;

	memset(&s, 0, sizeof(s));
	s.wall_ns = 1700000000ULL * SEC + t_ms * MS;
	s.frame = ++cv->frame;
	s.family = SEG_IPV4;
	s.sport = from == C ? 40000 : 9100;
	s.dport = from == C ? 9100 : 40000;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.payload_len = len;
	return feed(cv, &s, from);
}

static void handshake(struct conv *cv, uint64_t t)
{
	send_at(cv, C, SEG_SYN, 0, t);
	send_at(cv, S, SEG_SYN | SEG_ACK, 0, t + 1);
	send_at(cv, C, SEG_ACK, 0, t + 2);
	send_at(cv, C, SEG_ACK | SEG_PSH, 100, t + 3);
	send_at(cv, S, SEG_ACK, 0, t + 4);
}

static struct td_result verdict_at(struct conv *cv, uint64_t end_ms)
{
	return td_flow_verdict(&cv->f, 1700000000ULL * SEC + end_ms * MS,
			       LINGER);
}

Test(teardown, clean_client_close)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	cr_assert(send_at(&cv, S, SEG_ACK, 0, 11) & TD_EV_CW_ENTER);
	cr_assert(send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 20) & TD_EV_CW_LEAVE);
	cr_assert(send_at(&cv, C, SEG_ACK, 0, 21) & TD_EV_FINISHED);
	r = verdict_at(&cv, 30);
	cr_assert_eq(r.verdict, VD_CLEAN);
	cr_assert_eq(r.active, C);
	cr_assert_eq(r.reset_by, -1);
	cr_assert_eq(r.close_wait_ns, 9 * MS);
	cr_assert_eq(r.fin_wait_ns, 10 * MS);
	cr_assert_eq(cv.f.client, C);
	cr_assert_eq(cv.f.roles_inferred, 0);
}

Test(teardown, clean_server_close_fin_ack_together)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 10);
	/* The ACK of the FIN rides on the client's own FIN. */
	cr_assert_eq(send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 12) &
			     (TD_EV_CW_ENTER | TD_EV_CW_LEAVE),
		     0);
	send_at(&cv, S, SEG_ACK, 0, 13);
	r = verdict_at(&cv, 20);
	cr_assert_eq(r.verdict, VD_CLEAN);
	cr_assert_eq(r.active, S);
	cr_assert_eq(r.close_wait_ns, 0);
}

Test(teardown, late_close)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 7011);
	send_at(&cv, C, SEG_ACK, 0, 7012);
	r = verdict_at(&cv, 8000);
	cr_assert_eq(r.verdict, VD_LATE_CLOSE);
	cr_assert_eq(r.close_wait_ns, 7000 * MS);
	cr_assert_eq(r.signature, TD_SIG_NONE);
}

Test(teardown, at_threshold_is_clean)
{
	struct conv cv;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 5010);
	send_at(&cv, C, SEG_ACK, 0, 5011);
	cr_assert_eq(verdict_at(&cv, 6000).verdict, VD_CLEAN);
}

Test(teardown, never_closed)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	cr_assert(cv.f.in_close_wait);
	r = verdict_at(&cv, 60011);
	cr_assert_eq(r.verdict, VD_NEVER_CLOSED);
	cr_assert_eq(r.close_wait_ns, 60000 * MS);
	cr_assert(r.in_close_wait_at_end);
	cr_assert_eq(r.active, C);
}

/* DESIGN.md: fewer than --linger into CLOSE_WAIT at the end is undecided */
Test(teardown, short_close_wait_at_end_is_closing)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	r = verdict_at(&cv, 11 + 4999); /* 4.999 s with a 5 s linger */
	cr_assert_eq(r.verdict, VD_CLOSING, "%s", vd_name(r.verdict));
	cr_assert(r.in_close_wait_at_end);
	cr_assert_eq(r.close_wait_ns, 4999 * MS);
	r = verdict_at(&cv, 11 + 5000); /* waited the threshold */
	cr_assert_eq(r.verdict, VD_NEVER_CLOSED, "%s", vd_name(r.verdict));
}

Test(teardown, client_never_closes_after_server_fin)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, C, SEG_ACK, 0, 11);
	r = verdict_at(&cv, 9011);
	cr_assert_eq(r.verdict, VD_NEVER_CLOSED);
	cr_assert_eq(r.active, S);
	cr_assert_eq(r.close_wait_ns, 9000 * MS);
}

Test(teardown, late_fin_answered_by_rst)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 6011);
	/* The client's FIN_WAIT2 timed out: its kernel answers with RST. */
	send_raw(&cv, C, SEG_RST, cv.nxt[C], 0, 0, 6012);
	r = verdict_at(&cv, 7000);
	cr_assert_eq(r.verdict, VD_LATE_CLOSE);
	cr_assert_eq(r.signature, TD_SIG_LATE_FIN_RST);
	cr_assert_eq(r.reset_by, C);
	cr_assert_eq(r.reset_phase, TD_PHASE_ANSWERING_FIN);
	cr_assert_eq(r.close_wait_ns, 6000 * MS);
}

Test(teardown, rst_before_any_fin)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	cr_assert(send_at(&cv, S, SEG_RST | SEG_ACK, 0, 10) & TD_EV_FINISHED);
	r = verdict_at(&cv, 20);
	cr_assert_eq(r.verdict, VD_RESET);
	cr_assert_eq(r.reset_by, S);
	cr_assert_eq(r.reset_phase, TD_PHASE_BEFORE_FIN);
	cr_assert_eq(r.active, -1);
}

Test(teardown, passive_aborts_in_close_wait)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	cr_assert(send_at(&cv, S, SEG_RST | SEG_ACK, 0, 100) & TD_EV_CW_LEAVE);
	r = verdict_at(&cv, 200);
	cr_assert_eq(r.verdict, VD_RESET);
	cr_assert_eq(r.reset_by, S);
	cr_assert_eq(r.reset_phase, TD_PHASE_AFTER_FIN);
	cr_assert_eq(r.close_wait_ns, 89 * MS);
}

Test(teardown, passive_aborts_late_is_late_close)
{
	struct conv cv;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	send_at(&cv, S, SEG_RST | SEG_ACK, 0, 8011);
	cr_assert_eq(verdict_at(&cv, 9000).verdict, VD_LATE_CLOSE);
}

Test(teardown, active_resets_while_peer_in_close_wait)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	send_raw(&cv, C, SEG_RST, cv.nxt[C], 0, 0, 3011);
	r = verdict_at(&cv, 4000);
	cr_assert_eq(r.verdict, VD_RESET);
	cr_assert_eq(r.reset_by, C);
	cr_assert_eq(r.signature, TD_SIG_RST_IN_CLOSE_WAIT);
	cr_assert_eq(r.close_wait_ns, 3000 * MS);
	cr_assert_not(cv.f.in_close_wait);
}

Test(teardown, refused)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 0);
	send_at(&cv, C, SEG_SYN, 0, 0);
	send_raw(&cv, S, SEG_RST | SEG_ACK, 0, 1001, 0, 1);
	r = verdict_at(&cv, 10);
	cr_assert_eq(r.verdict, VD_REFUSED);
	cr_assert_eq(r.reset_by, S);
}

Test(teardown, half_close_with_data_flowing)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	/* The server keeps streaming for 8 s after the client's FIN. */
	for (uint64_t t = 1000; t <= 8000; t += 1000) {
		send_at(&cv, S, SEG_ACK | SEG_PSH, 1000, t);
		send_at(&cv, C, SEG_ACK, 0, t + 1);
	}
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 8100);
	send_at(&cv, C, SEG_ACK, 0, 8101);
	r = verdict_at(&cv, 9000);
	cr_assert_eq(r.verdict, VD_HALF_CLOSE);
	cr_assert_eq(r.close_wait_ns, 8089 * MS);
}

Test(teardown, half_close_then_silence_is_never_closed)
{
	struct conv cv;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	send_at(&cv, S, SEG_ACK | SEG_PSH, 1000, 500);
	cr_assert_eq(verdict_at(&cv, 2000).verdict, VD_HALF_CLOSE);
	cr_assert_eq(verdict_at(&cv, 60000).verdict, VD_NEVER_CLOSED);
}

Test(teardown, retransmitted_data_is_not_half_close)
{
	struct conv cv;
	uint32_t old;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	old = cv.nxt[S];
	send_at(&cv, S, SEG_ACK | SEG_PSH, 500, 5);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	/* A retransmission of data sent before the FIN arrived. */
	send_raw(&cv, S, SEG_ACK | SEG_PSH, old, cv.nxt[C], 500, 12);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 20);
	send_at(&cv, C, SEG_ACK, 0, 21);
	cr_assert_eq(verdict_at(&cv, 30).verdict, VD_CLEAN);
}

Test(teardown, fin_unacked_and_retransmitted)
{
	struct conv cv;
	struct td_result r;
	uint32_t fseq;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	fseq = cv.nxt[C];
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	for (int i = 1; i <= 4; i++)
		send_raw(&cv, C, SEG_FIN | SEG_ACK, fseq, cv.nxt[S], 0,
			 10 + 200 * i);
	r = verdict_at(&cv, 5000);
	cr_assert_eq(r.verdict, VD_FIN_UNACKED);
	cr_assert_eq(r.signature, TD_SIG_FIN_RETRANSMITTED);
	cr_assert_eq(cv.f.dir[C].fins, 5);
	cr_assert_eq(cv.f.dir[C].fin_ns, 1700000000ULL * SEC + 10 * MS);
}

Test(teardown, retransmitted_fin_then_acked_is_clean)
{
	struct conv cv;
	uint32_t fseq;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	fseq = cv.nxt[C];
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_raw(&cv, C, SEG_FIN | SEG_ACK, fseq, cv.nxt[S], 0, 210);
	send_at(&cv, S, SEG_ACK, 0, 211);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 300);
	send_at(&cv, C, SEG_ACK, 0, 301);
	cr_assert_eq(verdict_at(&cv, 400).verdict, VD_CLEAN);
	/* close-wait runs from the ACK, not from the first FIN */
	cr_assert_eq(verdict_at(&cv, 400).close_wait_ns, 89 * MS);
}

Test(teardown, duplicated_packets_are_harmless)
{
	struct conv cv;
	uint32_t cf, sf;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	cf = cv.nxt[C];
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_raw(&cv, C, SEG_FIN | SEG_ACK, cf, cv.nxt[S], 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	send_raw(&cv, S, SEG_ACK, cv.nxt[S], cv.nxt[C], 0, 11);
	sf = cv.nxt[S];
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 20);
	send_raw(&cv, S, SEG_FIN | SEG_ACK, sf, cv.nxt[C], 0, 20);
	send_at(&cv, C, SEG_ACK, 0, 21);
	cr_assert_eq(verdict_at(&cv, 30).verdict, VD_CLEAN);
	cr_assert_eq(verdict_at(&cv, 30).close_wait_ns, 9 * MS);
	cr_assert_eq(cv.f.dir[C].fins + cv.f.dir[S].fins, 4);
}

Test(teardown, ack_captured_before_fin)
{
	struct conv cv;
	uint32_t fseq;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	fseq = cv.nxt[C];
	/* The server's ACK of the FIN reached the capture first. */
	send_raw(&cv, S, SEG_ACK, cv.nxt[S], fseq + 1, 0, 10);
	send_raw(&cv, C, SEG_FIN | SEG_ACK, fseq, cv.nxt[S], 0, 10);
	cr_assert(cv.f.dir[C].fin_acked);
	cr_assert(cv.f.in_close_wait);
	cv.nxt[C] = fseq + 1;
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 30);
	send_at(&cv, C, SEG_ACK, 0, 31);
	r = verdict_at(&cv, 40);
	cr_assert_eq(r.verdict, VD_CLEAN);
	cr_assert_eq(r.close_wait_ns, 20 * MS);
}

Test(teardown, simultaneous_close)
{
	struct conv cv;
	uint32_t cf, sf;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	cf = cv.nxt[C];
	sf = cv.nxt[S];
	/* Both FINs cross: neither acknowledges the other's. */
	send_raw(&cv, C, SEG_FIN | SEG_ACK, cf, sf, 0, 10);
	send_raw(&cv, S, SEG_FIN | SEG_ACK, sf, cf, 0, 10);
	send_raw(&cv, C, SEG_ACK, cf + 1, sf + 1, 0, 11);
	send_raw(&cv, S, SEG_ACK, sf + 1, cf + 1, 0, 11);
	r = verdict_at(&cv, 20);
	cr_assert_eq(r.verdict, VD_SIMULTANEOUS);
	cr_assert(td_flow_finished(&cv.f));
	cr_assert_not(cv.f.in_close_wait);
}

Test(teardown, open_flow)
{
	struct conv cv;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	cr_assert_eq(verdict_at(&cv, 100).verdict, VD_OPEN);
	cr_assert_not(td_flow_finished(&cv.f));
}

Test(teardown, midstream_start_infers_roles)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	/* First packet: server (port 9100) data to the client. */
	send_at(&cv, S, SEG_ACK | SEG_PSH, 100, 0);
	cr_assert(cv.f.roles_inferred);
	cr_assert_eq(cv.f.client, C);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, S, SEG_ACK, 0, 11);
	r = verdict_at(&cv, 7011);
	cr_assert_eq(r.verdict, VD_NEVER_CLOSED);
	cr_assert_eq(r.active, C);
}

Test(teardown, synack_fixes_roles)
{
	struct conv cv;

	conv_init(&cv, 1000, 5000);
	/* Only the SYN-ACK was captured; the server uses a high port. */
	send_raw(&cv, C, SEG_SYN | SEG_ACK, 1000, 5001, 0, 0);
	cr_assert_eq(cv.f.roles_inferred, 0);
	cr_assert_eq(cv.f.client, S);
}

Test(teardown, new_syn_detection)
{
	struct conv cv;
	struct flow_seg s;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	memset(&s, 0, sizeof(s));
	s.flags = SEG_SYN;
	s.seq = 1000;
	cr_assert_not(td_state_is_new_syn(&cv.st, &s, C), "retransmitted SYN");
	s.seq = 777777;
	cr_assert(td_state_is_new_syn(&cv.st, &s, C), "new ISN, new flow");
	s.flags = SEG_SYN | SEG_ACK;
	cr_assert_not(td_state_is_new_syn(&cv.st, &s, C));
	s.flags = SEG_SYN;
	cr_assert_not(td_state_is_new_syn(&cv.st, &s, S), "simultaneous open");
}

Test(teardown, sequence_numbers_wrap)
{
	struct conv cv;
	struct td_result r;

	/* The client's FIN sits right at the 2^32 boundary. */
	conv_init(&cv, 0xffffff00u, 0xfffffff0u);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_ACK | SEG_PSH, 0x9a, 5);
	cr_assert_eq(cv.nxt[C], 0xffffffffu);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	cr_assert_eq(cv.nxt[C], 0);
	cr_assert(send_at(&cv, S, SEG_ACK, 0, 11) & TD_EV_CW_ENTER);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 20);
	send_at(&cv, C, SEG_ACK, 0, 21);
	r = verdict_at(&cv, 30);
	cr_assert_eq(r.verdict, VD_CLEAN);
	cr_assert_eq(r.close_wait_ns, 9 * MS);
}

Test(teardown, stale_ack_does_not_ack_fin)
{
	struct conv cv;
	uint32_t fseq;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	fseq = cv.nxt[C];
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	/* ACK = FIN's seq (not + 1): the FIN itself is not acknowledged */
	send_raw(&cv, S, SEG_ACK, cv.nxt[S], fseq, 0, 11);
	cr_assert_not(cv.f.dir[C].fin_acked);
	cr_assert_eq(verdict_at(&cv, 20).verdict, VD_FIN_UNACKED);
}

Test(teardown, names_round_trip)
{
	for (int v = 0; v < VD__COUNT; v++)
		cr_assert_eq(vd_parse(vd_name(v)), v);
	cr_assert_eq(vd_parse("leaky"), -1);
	cr_assert_str_eq(vd_name(VD_NEVER_CLOSED), "never-closed");
	cr_assert_str_eq(td_phase_name(TD_PHASE_ANSWERING_FIN),
			 "answering-fin");
	cr_assert_str_eq(td_signature_name(TD_SIG_LATE_FIN_RST),
			 "late-fin-answered-by-rst");
}

/*
 * Seen one way: only the client's segments (a capture filter, asymmetric
 * routing). Its ACKs acknowledge the server's SYN-ACK and data, so the
 * server was there: its FIN left apparently unACKed is no "fin-unacked",
 * and nothing about the server is told.
 */
Test(teardown, one_way_client_only_is_not_fin_unacked)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	send_at(&cv, C, SEG_SYN, 0, 0);
	cv.nxt[S] += 1; /* the server's SYN-ACK, not captured */
	send_at(&cv, C, SEG_ACK, 0, 2);
	send_at(&cv, C, SEG_ACK | SEG_PSH, 100, 3);
	cv.nxt[S] += 200; /* its reply, not captured */
	send_at(&cv, C, SEG_ACK, 0, 5);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 10);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 300);
	r = verdict_at(&cv, 20000);
	cr_assert(r.one_way);
	cr_assert_eq(r.verdict, VD_OPEN, "%s", vd_name(r.verdict));
	cr_assert_eq(r.active, -1);
	cr_assert_not(r.has_close_wait);
	cr_assert_not(r.in_close_wait_at_end);
}

/* Only the server's segments: it ACKs a FIN never seen and stays
 * silent. Not a leak we can time: open, one way. */
Test(teardown, one_way_server_only_has_no_close_wait)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	cv.nxt[C] += 1;
	send_at(&cv, S, SEG_SYN | SEG_ACK, 0, 1);
	cv.nxt[C] += 100;
	send_at(&cv, S, SEG_ACK, 0, 4);
	cv.nxt[C] += 1; /* the client's FIN */
	send_at(&cv, S, SEG_ACK, 0, 11);
	r = verdict_at(&cv, 20000);
	cr_assert(r.one_way);
	cr_assert_eq(r.verdict, VD_OPEN);
	cr_assert_eq(cv.f.client, C, "roles from the SYN-ACK");
	cr_assert_not(cv.f.roles_inferred);
}

/* The seen side's own RST is seen: reset, still one way. */
Test(teardown, one_way_rst_of_the_seen_side)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	send_at(&cv, C, SEG_SYN, 0, 0);
	cv.nxt[S] += 1;
	send_at(&cv, C, SEG_ACK, 0, 2);
	cv.nxt[S] += 50; /* server data, not captured */
	send_at(&cv, C, SEG_ACK, 0, 10);
	send_at(&cv, C, SEG_RST | SEG_ACK, 0, 50);
	r = verdict_at(&cv, 100);
	cr_assert(r.one_way);
	cr_assert_eq(r.verdict, VD_RESET);
	cr_assert_eq(r.reset_by, C);
}

/* A SYN nobody answered is not "one way": nothing proves a peer; nor is
 * a lone FIN whose ACK never moves (that stays fin-unacked). */
Test(teardown, unanswered_syn_is_not_one_way)
{
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	send_at(&cv, C, SEG_SYN, 0, 0);
	send_at(&cv, C, SEG_SYN, 0, 1000);
	r = verdict_at(&cv, 3000);
	cr_assert_not(r.one_way);
	cr_assert_eq(r.verdict, VD_OPEN);

	conv_init(&cv, 1000, 5000);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 0);
	send_raw(&cv, C, SEG_FIN | SEG_ACK, 1000, 5000, 0, 300);
	r = verdict_at(&cv, 3000);
	cr_assert_not(r.one_way);
	cr_assert_eq(r.verdict, VD_FIN_UNACKED);
}

/* Times and frames the compact form cannot hold come back exact: a FIN
 * ACKed 10 s after it was sent, a time before the flow's first (merged
 * files), 100 hours later, frames 2^33 apart. */
Test(teardown, compact_state_keeps_exact_values_past_its_offsets)
{
	const uint64_t t0 = 1700000000ULL * SEC + 123;
	const uint64_t hours = 3600ULL * SEC;
	struct conv cv;
	struct td_result r;

	conv_init(&cv, 1000, 5000);
	send_seg(&cv, C, SEG_SYN, 0, t0, 7);
	send_seg(&cv, S, SEG_SYN | SEG_ACK, 0, t0 + 1, 8);
	send_seg(&cv, C, SEG_ACK, 0, t0 + 2, 9);
	cr_assert_not(cv.st.bits & TD_ST_EXT, "nothing rare yet");
	send_seg(&cv, S, SEG_FIN | SEG_ACK, 0, t0 + 3, 10);
	send_seg(&cv, C, SEG_ACK, 0, t0 + 3 + 10 * SEC, 11);
	cr_assert(cv.st.bits & TD_ST_WIDE, "an ACK 10 s after its FIN");
	cr_assert_eq(cv.f.dir[S].fin_ns, t0 + 3);
	cr_assert_eq(cv.f.dir[S].fin_ack_ns, t0 + 3 + 10 * SEC);
	cr_assert_eq(cv.f.cw_start_ns, t0 + 3 + 10 * SEC);
	cr_assert(cv.f.in_close_wait);

	send_seg(&cv, C, SEG_FIN | SEG_ACK, 0, t0 + 100 * hours,
		(1ULL << 33) + 5);
	cr_assert_eq(cv.f.last_ns, t0 + 100 * hours);
	cr_assert_eq(cv.f.last_frame, (1ULL << 33) + 5);
	cr_assert_eq(cv.f.dir[C].fin_frame, (1ULL << 33) + 5);
	cr_assert_eq(cv.f.first_ns, t0);
	cr_assert_eq(cv.f.first_frame, 7);
	r = verdict_at(&cv, 0);
	cr_assert_eq(r.verdict, VD_LATE_CLOSE);
	cr_assert_eq(r.close_wait_ns, 100 * hours - 3 - 10 * SEC);

	/* Merged files: a RST stamped before the flow's first packet. */
	conv_init(&cv, 1000, 5000);
	send_seg(&cv, C, SEG_SYN, 0, t0, 1);
	send_seg(&cv, S, SEG_RST | SEG_ACK, 0, t0 - 5 * MS, 2);
	cr_assert(cv.st.bits & TD_ST_EXT, "RST times are kept in full");
	cr_assert_eq(cv.f.dir[S].rst_ns, t0 - 5 * MS);
	cr_assert_eq(cv.f.dir[S].rst_frame, 2);
	cr_assert_eq(cv.f.dir[S].rsts, 1);
	cr_assert_eq(cv.f.last_ns, t0, "the last time never steps back");
	cr_assert_eq(verdict_at(&cv, 0).verdict, VD_REFUSED);

	/* ... and a FIN: its offset would be negative. */
	conv_init(&cv, 1000, 5000);
	send_seg(&cv, C, SEG_ACK, 0, t0, 1);
	send_seg(&cv, S, SEG_FIN | SEG_ACK, 0, t0 - 5 * MS, 2);
	cr_assert(cv.st.bits & TD_ST_WIDE);
	cr_assert_eq(cv.f.dir[S].fin_ns, t0 - 5 * MS);
	cr_assert_eq(cv.f.dir[S].fin_frame, 2);
}

/* A RST needs the extension; a plain clean flow never does. */
Test(teardown, extension_only_for_rare_fields)
{
	struct conv cv;

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, C, SEG_FIN | SEG_ACK, 0, 100);
	send_at(&cv, S, SEG_FIN | SEG_ACK, 0, 110);
	send_at(&cv, C, SEG_ACK, 0, 120);
	cr_assert_not(cv.st.bits & TD_ST_EXT);
	cr_assert_eq(verdict_at(&cv, 200).verdict, VD_CLEAN);
	cr_assert_eq(cv.f.dir[C].bytes, 100);

	conv_init(&cv, 1000, 5000);
	handshake(&cv, 0);
	send_at(&cv, S, SEG_RST, 0, 50);
	cr_assert(cv.st.bits & TD_ST_EXT);
	cr_assert_not(cv.st.bits & TD_ST_WIDE);
	cr_assert_eq(cv.f.dir[S].rst_ns, 1700000000ULL * SEC + 50 * MS);
	cr_assert_eq(cv.f.dir[S].rst_frame, 6);
}
