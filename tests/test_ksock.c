// SPDX-License-Identifier: MIT
/*
 * Kernel-side tracker (analysis/ksock.h) on hand-built kernel events: the
 * sequences below are the ones the BPF tracer reports for each scenario
 * (state changes, resets after an abort's CLOSE, a timewait sock taking
 * over after FIN_WAIT2).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/ksock.h"
#include "ksevents.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)
#define MS(x) ((uint64_t)(x) * 1000000ull)

struct alerts {
	int linger, closed;
	uint64_t last_cw;
};

static void count_alert(void *ctx, enum ks_alert what, const struct ks_sock *s,
			uint64_t now)
{
	struct alerts *a = ctx;

	if (what == KS_ALERT_LINGER)
		a->linger++;
	else
		a->closed++;
	a->last_cw = ks_close_wait(s, now);
}

static struct ks_table *table(int keep, struct alerts *a)
{
	struct ks_opts o = {
		.linger_ns = S(5),
		.start_ns = S(100),
		.keep_clean = keep,
		.on_alert = a ? count_alert : NULL,
		.ctx = a,
	};
	struct ks_table *t = ks_new(&o);

	cr_assert_not_null(t);
	return t;
}

static const struct ks_sock *only_sock(struct ks_table *t)
{
	const struct ks_sock **v;
	const struct ks_sock *s;
	long n = ks_list(t, &v);

	cr_assert_eq(n, 1, "listed %ld sockets", n);
	s = v[0];
	free(v);
	return s;
}

/* The listed socket with this cookie (it must be listed). */
static const struct ks_sock *sock_of(struct ks_table *t, uint64_t cookie)
{
	const struct ks_sock **v;
	const struct ks_sock *s = NULL;
	long n = ks_list(t, &v);

	for (long i = 0; i < n; i++)
		if (v[i]->cookie == cookie)
			s = v[i];
	free(v);
	cr_assert_not_null(s, "socket %" PRIu64 " not listed", cookie);
	return s;
}

static struct ks_agg group(struct ks_table *t, enum ks_group g, uint32_t pid,
			   uint64_t now)
{
	struct ks_agg *v, a;
	long n = ks_groups(t, g, now, &v), i;

	cr_assert_geq(n, 0);
	for (i = 0; i < n; i++)
		if (g != KS_BY_PROCESS || v[i].pid == pid)
			break;
	cr_assert_lt(i, n, "no group for pid %u", pid);
	a = v[i];
	free(v);
	return a;
}

static int has_process(struct ks_table *t, uint32_t pid)
{
	struct ks_agg *v;
	long n = ks_groups(t, KS_BY_PROCESS, 0, &v), i;
	int hit = 0;

	for (i = 0; i < n; i++)
		hit |= v[i].pid == pid;
	free(v);
	return hit;
}

Test(ksock, never_closed_names_the_owner)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock *s;
	struct ks_totals tot;
	struct ks_agg p;
	int i;

	for (i = 1; i <= 3; i++) {
		server_up(t, S(101), (uint64_t)i, 4242, "leaky");
		peer_fin(t, S(102), (uint64_t)i);
	}
	ks_finish(t, S(110));
	ks_totals(t, S(110), &tot);
	cr_assert_eq(tot.in_close_wait, 3);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 3);
	cr_assert_eq(tot.oldest_cw_ns, S(8));
	p = group(t, KS_BY_PROCESS, 4242, S(110));
	cr_assert_str_eq(p.comm, "leaky");
	cr_assert_eq(p.cw_now, 3);
	cr_assert_eq(p.never_closed, 3);
	cr_assert_eq(p.cw_max, S(8));

	ks_free(t);
	t = table(0, NULL);
	server_up(t, S(101), 9, 4242, "leaky");
	peer_fin(t, S(102), 9);
	ks_finish(t, S(110));
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_NEVER_CLOSED);
	cr_assert_eq(s->passive, KS_SIDE_LOCAL);
	cr_assert_eq(s->owner_pid, 4242);
	cr_assert_eq(s->owner_src, KS_SRC_ACCEPT);
	cr_assert_eq(s->role, KS_ROLE_SERVER);
	cr_assert_eq(ks_close_wait(s, S(110)), S(8));
	ks_free(t);
}

Test(ksock, late_close_alerts_then_reports_final_close_wait)
{
	struct alerts a = { 0 };
	struct ks_table *t = table(0, &a);
	const struct ks_sock *s;

	server_up(t, S(101), 7, 10, "srv");
	peer_fin(t, S(102), 7);
	cr_assert_eq(ks_next_alert_ns(t), S(107));
	ks_tick(t, S(106));
	cr_assert_eq(a.linger, 0);
	ks_tick(t, S(107));
	cr_assert_eq(a.linger, 1);
	cr_assert_eq(a.last_cw, S(5));
	cr_assert_eq(ks_next_alert_ns(t), UINT64_MAX);
	app_close(t, S(109) + MS(250), 7, 10);
	cr_assert_eq(a.closed, 1);
	cr_assert_eq(a.last_cw, S(7) + MS(250));
	ks_finish(t, S(110));
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_LATE_CLOSE);
	cr_assert_eq(s->close_wait_ns, S(7) + MS(250));
	cr_assert_eq(s->closer_pid, 10);
	cr_assert_eq(ks_time_in(s, KS_T_LAST_ACK, S(110)), MS(1));
	ks_free(t);
}

Test(ksock, crossing_between_ticks_still_alerts_before_close)
{
	struct alerts a = { 0 };
	struct ks_table *t = table(0, &a);

	server_up(t, S(101), 7, 10, "srv");
	peer_fin(t, S(102), 7);
	app_close(t, S(108), 7, 10);
	cr_assert_eq(a.linger, 1);
	cr_assert_eq(a.closed, 1);
	ks_free(t);
}

Test(ksock, clean_close_is_counted_and_forgotten)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock **v;
	struct ks_totals tot;

	server_up(t, S(101), 3, 10, "srv");
	peer_fin(t, S(102), 3);
	app_close(t, S(102) + MS(20), 3, 10);
	ks_totals(t, S(103), &tot);
	cr_assert_eq(tot.verdicts[VD_CLEAN], 1);
	cr_assert_eq(tot.tracked, 0);
	cr_assert_eq(ks_list(t, &v), 0);
	free(v);
	cr_assert_eq(group(t, KS_BY_SERVICE, 0, S(103)).cw_max, MS(20));
	ks_free(t);
}

Test(ksock, abort_and_unread_data_are_told_apart)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock **v;
	struct ks_event e;
	long n, i;
	int seen = 0;

	/* SO_LINGER 0: CLOSE in task context, then the RST (disconnect) */
	server_up(t, S(101), 1, 10, "srv");
	e = ev(S(102), 1, KS_EV_STATE, KS_TCP_ESTABLISHED, KS_TCP_CLOSE);
	task(&e, 10, "srv");
	feed(t, e);
	e = ev(S(102) + 10, 1, KS_EV_RST_SENT, KS_TCP_CLOSE, KS_TCP_CLOSE);
	e.rst = KS_RST_ABORT;
	task(&e, 10, "srv");
	feed(t, e);
	/* close() with 5 unread bytes */
	server_up(t, S(101), 2, 10, "srv");
	e = ev(S(102), 2, KS_EV_STATE, KS_TCP_ESTABLISHED, KS_TCP_CLOSE);
	e.unread = 5;
	task(&e, 10, "srv");
	feed(t, e);
	e = ev(S(102) + 10, 2, KS_EV_RST_SENT, KS_TCP_CLOSE, KS_TCP_CLOSE);
	e.rst = KS_RST_UNREAD;
	e.unread = 5;
	feed(t, e);

	n = ks_list(t, &v);
	cr_assert_eq(n, 2);
	for (i = 0; i < n; i++) {
		cr_assert_eq(v[i]->verdict, VD_RESET);
		cr_assert_eq(v[i]->rst_by, KS_SIDE_LOCAL);
		cr_assert_eq(v[i]->rst_phase, KS_PHASE_BEFORE_FIN);
		if (v[i]->cookie == 1) {
			cr_assert_eq(v[i]->rst_cause, KS_RST_ABORT);
			cr_assert_eq(v[i]->unread, 0);
		} else {
			cr_assert_eq(v[i]->rst_cause, KS_RST_UNREAD);
			cr_assert_eq(v[i]->unread, 5);
		}
		seen |= 1 << v[i]->cookie;
	}
	cr_assert_eq(seen, 6);
	free(v);
	ks_free(t);
}

Test(ksock, peer_reset_and_reset_answering_a_late_fin)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock *s;
	struct ks_event e;

	server_up(t, S(101), 1, 10, "srv");
	feed(t, ev(S(102), 1, KS_EV_RST_RECV, KS_TCP_ESTABLISHED,
		   KS_TCP_ESTABLISHED));
	feed(t, ev(S(102), 1, KS_EV_STATE, KS_TCP_ESTABLISHED, KS_TCP_CLOSE));
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_RESET);
	cr_assert_eq(s->rst_by, KS_SIDE_REMOTE);
	ks_free(t);

	t = table(0, NULL);
	server_up(t, S(101), 2, 10, "srv");
	peer_fin(t, S(102), 2);
	e = ev(S(170), 2, KS_EV_STATE, KS_TCP_CLOSE_WAIT, KS_TCP_LAST_ACK);
	task(&e, 10, "srv");
	feed(t, e);
	feed(t, ev(S(170) + MS(1), 2, KS_EV_RST_RECV, KS_TCP_LAST_ACK,
		   KS_TCP_LAST_ACK));
	feed(t, ev(S(170) + MS(1), 2, KS_EV_STATE, KS_TCP_LAST_ACK,
		   KS_TCP_CLOSE));
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_RESET);
	cr_assert_eq(s->rst_phase, KS_PHASE_LATE_FIN);
	cr_assert_not_null(s->signature);
	cr_assert_eq(group(t, KS_BY_PROCESS, 10, S(171)).late_close, 1);
	ks_free(t);
}

Test(ksock, refused_connect)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock *s;
	struct ks_event e;

	e = ev(S(101), 5, KS_EV_STATE, KS_TCP_CLOSE, KS_TCP_SYN_SENT);
	e.lport = 0;
	task(&e, 77, "curl");
	feed(t, e);
	feed(t, ev(S(101) + 50, 5, KS_EV_RST_RECV, KS_TCP_SYN_SENT,
		   KS_TCP_SYN_SENT));
	feed(t, ev(S(101) + 60, 5, KS_EV_STATE, KS_TCP_SYN_SENT, KS_TCP_CLOSE));
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_REFUSED);
	cr_assert_eq(s->role, KS_ROLE_CLIENT);
	cr_assert_eq(s->owner_pid, 77);
	cr_assert_eq(s->owner_src, KS_SRC_CONNECT);
	ks_free(t);
}

Test(ksock, same_tuple_in_two_namespaces_never_merges)
{
	struct ks_table *t = table(0, NULL);
	struct ks_event e;
	struct ks_totals tot;
	struct ks_agg *v;
	long n;
	int ns;

	for (ns = 0; ns < 2; ns++) {
		e = ev(S(101), 42, KS_EV_STATE, KS_TCP_ESTABLISHED,
		       KS_TCP_CLOSE_WAIT);
		e.netns = ns ? NETNS_B : NETNS_A;
		feed(t, e);
	}
	/* only the one in NETNS_B closes */
	e = ev(S(103), 42, KS_EV_STATE, KS_TCP_CLOSE_WAIT, KS_TCP_LAST_ACK);
	e.netns = NETNS_B;
	feed(t, e);
	ks_finish(t, S(110));
	ks_totals(t, S(110), &tot);
	cr_assert_eq(tot.sockets, 2);
	cr_assert_eq(tot.in_close_wait, 1);
	n = ks_groups(t, KS_BY_SERVICE, S(110), &v);
	cr_assert_eq(n, 2);
	cr_assert_neq(v[0].netns, v[1].netns);
	cr_assert_eq(v[0].netns, NETNS_A);
	cr_assert_eq(v[0].cw_now, 1);
	cr_assert_eq(v[1].cw_now, 0);
	free(v);
	ks_free(t);
}

Test(ksock, seeded_socket_is_pre_existing_with_a_lower_bound)
{
	struct ks_table *t = table(0, NULL);
	struct ks_seed sd;
	const struct ks_sock *s;

	memset(&sd, 0, sizeof(sd));
	sd.cookie = 99;
	sd.ino = 555;
	sd.netns = NETNS_A;
	sd.family = 4;
	sd.state = KS_TCP_CLOSE_WAIT;
	sd.lport = 8080;
	sd.rport = 50000;
	cr_assert_eq(ks_seed(t, &sd), 0);
	cr_assert_eq(ks_seed(t, &sd), -EEXIST);
	ks_set_owner(t, 555, 31, "old");
	ks_finish(t, S(112));
	s = only_sock(t);
	cr_assert(s->pre_existing);
	cr_assert_eq(s->verdict, VD_NEVER_CLOSED);
	cr_assert_eq(ks_close_wait(s, S(112)), S(12));
	cr_assert_eq(s->owner_pid, 31);
	cr_assert_eq(s->role, KS_ROLE_SERVER);
	cr_assert(s->role_inferred);
	ks_free(t);
}

Test(ksock, owner_from_proc_moves_the_count)
{
	struct ks_table *t = table(0, NULL);
	struct ks_event e;
	uint64_t inos[4];

	e = ev(S(101), 8, KS_EV_STATE, KS_TCP_ESTABLISHED, KS_TCP_CLOSE_WAIT);
	e.ino = 777;
	feed(t, e);
	cr_assert_eq(group(t, KS_BY_PROCESS, 0, S(101)).cw_now, 1);
	cr_assert_eq(ks_owner_wanted(t, inos, 4), 1);
	cr_assert_eq(inos[0], 777);
	ks_set_owner(t, 777, 321, "worker");
	cr_assert_eq(ks_owner_wanted(t, inos, 4), 0);
	cr_assert_eq(group(t, KS_BY_PROCESS, 321, S(101)).cw_now, 1);
	cr_assert_not(has_process(t, 0), "the unknown owner keeps nothing");
	ks_free(t);
}

Test(ksock, timewait_after_the_peer_closed_late)
{
	struct ks_table *t = table(1, NULL);
	const struct ks_sock *s;
	struct ks_event e;
	struct ks_tw tw;
	uint32_t netns[4];

	e = ev(S(101), 4, KS_EV_STATE, KS_TCP_CLOSE, KS_TCP_SYN_SENT);
	task(&e, 55, "client");
	feed(t, e);
	feed(t, ev(S(101) + 100, 4, KS_EV_STATE, KS_TCP_SYN_SENT,
		   KS_TCP_ESTABLISHED));
	e = ev(S(102), 4, KS_EV_STATE, KS_TCP_ESTABLISHED, KS_TCP_FIN_WAIT1);
	task(&e, 55, "client");
	feed(t, e);
	feed(t, ev(S(102) + MS(1), 4, KS_EV_STATE, KS_TCP_FIN_WAIT1,
		   KS_TCP_FIN_WAIT2));
	/* orphan: a timewait sock in FIN_WAIT2 takes over at once */
	feed(t, ev(S(102) + MS(1), 4, KS_EV_STATE, KS_TCP_FIN_WAIT2,
		   KS_TCP_CLOSE));
	cr_assert_eq(ks_tw_netns(t, netns, 4), 1);
	cr_assert_eq(netns[0], NETNS_A);
	memset(&tw, 0, sizeof(tw));
	tw.cookie = 4;
	tw.netns = NETNS_A;
	tw.substate = KS_TCP_FIN_WAIT2;
	tw.expires_ms = 59000;
	ks_tw_sample(t, S(103), &tw, 1);
	s = only_sock(t);
	cr_assert_eq(s->state, KS_TCP_FIN_WAIT2);
	cr_assert(!s->final);
	/* the peer's FIN came at 110: TIME_WAIT timer then had 60 s */
	tw.substate = KS_TCP_TIME_WAIT;
	tw.expires_ms = 59000;
	ks_tw_sample(t, S(111), &tw, 1);
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_LATE_CLOSE);
	cr_assert_eq(s->passive, KS_SIDE_REMOTE);
	cr_assert_eq(ks_time_in(s, KS_T_FIN_WAIT2, S(111)),
		     S(110) - S(102) - MS(1));
	ks_tw_sample(t, S(171), NULL, 0);
	s = only_sock(t);
	cr_assert(!s->timewait);
	cr_assert_eq(s->t[KS_T_TIME_WAIT], S(60));
	ks_free(t);
}

/*
 * A socket closed first at 102 becomes an orphan in FIN_WAIT2, which the
 * sample at 103 finds with expires_ms left on its timer; the sample at
 * 105 no longer does. The socket.
 */
static const struct ks_sock *orphan_gone(struct ks_table *t,
					 uint32_t expires_ms)
{
	struct ks_tw tw = {.cookie = 4,
			   .netns = NETNS_A,
			   .substate = KS_TCP_FIN_WAIT2,
			   .expires_ms = expires_ms};

	feed(t, ev(S(102), 4, KS_EV_STATE, KS_TCP_ESTABLISHED,
		   KS_TCP_FIN_WAIT1));
	feed(t, ev(S(102), 4, KS_EV_STATE, KS_TCP_FIN_WAIT1,
		   KS_TCP_FIN_WAIT2));
	feed(t, ev(S(102), 4, KS_EV_STATE, KS_TCP_FIN_WAIT2, KS_TCP_CLOSE));
	ks_tw_sample(t, S(103), &tw, 1);
	ks_tw_sample(t, S(105), NULL, 0);
	return only_sock(t);
}

Test(ksock, orphan_fin_wait2_that_times_out_means_the_peer_never_closed)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock *s = orphan_gone(t, 1000);

	cr_assert_eq(s->verdict, VD_NEVER_CLOSED);
	cr_assert_eq(s->passive, KS_SIDE_REMOTE);
	cr_assert_eq(s->t[KS_T_FIN_WAIT2], S(2));
	cr_assert_eq(group(t, KS_BY_PROCESS, 0, S(105)).never_closed, 0);
	ks_free(t);
}

/*
 * The same orphan gone long before its timer could fire: the peer's RST
 * killed it (no hook sees that on a timewait sock). A reset by the peer,
 * not a peer that never closed.
 */
Test(ksock, orphan_fin_wait2_gone_before_its_timer_was_reset)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock *s = orphan_gone(t, 59000);

	cr_assert_eq(s->verdict, VD_RESET, "%s", vd_name(s->verdict));
	cr_assert_eq(s->rst_by, KS_SIDE_REMOTE);
	cr_assert_eq(s->t[KS_T_FIN_WAIT2], S(3));
	cr_assert_eq(group(t, KS_BY_SERVICE, 0, S(105)).verdicts[VD_RESET], 1);
	cr_assert_eq(
		group(t, KS_BY_SERVICE, 0, S(105)).verdicts[VD_NEVER_CLOSED], 0);
	ks_free(t);
}

/*
 * An application that aborts a socket in CLOSE_WAIT (SO_LINGER 0) closes
 * it: late past --linger, as a capture of it reads; a reset before.
 */
Test(ksock, abort_from_close_wait_is_late_past_the_threshold)
{
	struct ks_table *t = table(1, NULL);
	const struct ks_sock *s;
	struct ks_event e;
	struct ks_agg a;

	server_up(t, S(100), 1, 10, "srv");
	peer_fin(t, S(101), 1);
	e = ev(S(101) + S(6), 1, KS_EV_STATE, KS_TCP_CLOSE_WAIT, KS_TCP_CLOSE);
	task(&e, 10, "srv");
	feed(t, e);
	/* the RST the abort sends comes after the close */
	e = ev(S(101) + S(6), 1, KS_EV_RST_SENT, KS_TCP_CLOSE, KS_TCP_CLOSE);
	e.rst = KS_RST_ABORT;
	task(&e, 10, "srv");
	feed(t, e);
	server_up(t, S(100), 2, 10, "srv");
	peer_fin(t, S(101), 2);
	e = ev(S(101) + S(1), 2, KS_EV_STATE, KS_TCP_CLOSE_WAIT, KS_TCP_CLOSE);
	task(&e, 10, "srv");
	feed(t, e);
	s = sock_of(t, 1);
	cr_assert_eq(s->verdict, VD_LATE_CLOSE, "%s", vd_name(s->verdict));
	cr_assert_eq(s->rst_by, KS_SIDE_LOCAL);
	cr_assert_eq(s->close_wait_ns, S(6));
	s = sock_of(t, 2);
	cr_assert_eq(s->verdict, VD_RESET, "%s", vd_name(s->verdict));
	a = group(t, KS_BY_SERVICE, 0, S(110));
	cr_assert_eq(a.verdicts[VD_LATE_CLOSE], 1);
	cr_assert_eq(a.verdicts[VD_RESET], 1);
	ks_free(t);
}

Test(ksock, percentiles_and_growth)
{
	struct ks_table *t = table(0, NULL);
	struct ks_agg a;
	uint64_t i;

	for (i = 1; i <= 10; i++) {
		server_up(t, S(100), i, 10, "srv");
		peer_fin(t, S(100), i);
	}
	for (i = 1; i <= 10; i++)
		app_close(t, S(100) + S(i), i, 10);
	a = group(t, KS_BY_SERVICE, 0, S(120));
	cr_assert_eq(a.cw_samples, 10);
	cr_assert_eq(a.cw_p50, S(5));
	cr_assert_eq(a.cw_p90, S(9));
	cr_assert_eq(a.cw_p99, S(10));
	cr_assert_eq(a.cw_max, S(10));
	cr_assert_eq(a.cw_peak, 10);
	cr_assert_eq(a.verdicts[VD_LATE_CLOSE], 5);
	cr_assert_eq(a.verdicts[VD_CLEAN], 5);
	ks_free(t);

	/* one more socket in CLOSE_WAIT every second: +3600 per hour */
	t = table(0, NULL);
	ks_tick(t, S(100));
	for (i = 1; i <= 20; i++) {
		server_up(t, S(100) + S(i), i, 10, "srv");
		peer_fin(t, S(100) + S(i), i);
		ks_tick(t, S(100) + S(i));
	}
	a = group(t, KS_BY_PROCESS, 10, S(120));
	cr_assert_float_eq(a.growth_per_hour, 3600.0, 1.0);
	cr_assert_eq(a.cw_now, 20);
	ks_free(t);
}

Test(ksock, sockets_whose_end_was_lost_are_reconciled)
{
	struct ks_table *t = table(0, NULL);
	struct ks_ref alive = { .cookie = 2, .netns = NETNS_A };
	struct ks_totals tot;
	uint32_t netns[2];

	server_up(t, S(101), 1, 10, "srv");
	peer_fin(t, S(102), 1);        /* its close was lost */
	server_up(t, S(101), 2, 10, "srv");
	peer_fin(t, S(102), 2);        /* still lingering */
	server_up(t, S(101), 3, 10, "srv");
	peer_fin(t, S(104) + MS(950), 3); /* too recent to judge */
	cr_assert_eq(ks_live_netns(t, netns, 2), 1);
	cr_assert_eq(ks_reconcile(t, S(105), MS(200), &alive, 1), 1);
	ks_finish(t, S(110));
	ks_totals(t, S(110), &tot);
	cr_assert_eq(tot.end_lost, 1);
	cr_assert_eq(tot.in_close_wait, 2);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 2);
	cr_assert_eq(tot.verdicts[VD_OPEN], 1);
	cr_assert_eq(group(t, KS_BY_PROCESS, 10, S(110)).never_closed, 2);
	ks_free(t);
}

Test(ksock, accepted_already_in_close_wait_is_a_lower_bound)
{
	struct ks_table *t = table(0, NULL);
	const struct ks_sock *s;
	struct ks_event e;

	/* with a pid filter the first record is the accept */
	e = ev(S(103), 6, KS_EV_ACCEPT, KS_TCP_CLOSE_WAIT, KS_TCP_CLOSE_WAIT);
	task(&e, 12, "late-acceptor");
	feed(t, e);
	ks_finish(t, S(110));
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_NEVER_CLOSED);
	cr_assert(s->cw_at_least);
	cr_assert_eq(ks_close_wait(s, S(110)), S(7));
	cr_assert_eq(group(t, KS_BY_PROCESS, 12, S(110)).cw_now, 1);
	ks_free(t);
}

Test(ksock, names_are_the_project_vocabulary)
{
	cr_assert_str_eq(vd_name(VD_NEVER_CLOSED), "never-closed");
	cr_assert_str_eq(vd_name(VD_LATE_CLOSE), "late-close");
	cr_assert_str_eq(vd_name(VD_FIN_UNACKED), "fin-unacked");
	cr_assert_str_eq(ks_phase_name(KS_PHASE_LATE_FIN), "late-fin");
	cr_assert_str_eq(ks_state_name(KS_TCP_CLOSE_WAIT), "CLOSE_WAIT");
	cr_assert_str_eq(ks_state_name(200), "UNKNOWN");
	cr_assert_str_eq(ks_clock_name(KS_T_TIME_WAIT), "time_wait");
}

Test(ksock, unknown_ends_are_ignored)
{
	struct ks_table *t = table(0, NULL);
	struct ks_totals tot;

	feed(t, ev(S(101), 1, KS_EV_DESTROY, KS_TCP_CLOSE, KS_TCP_CLOSE));
	feed(t, ev(S(101), 2, KS_EV_STATE, KS_TCP_LAST_ACK, KS_TCP_CLOSE));
	feed(t, ev(S(101), 0, KS_EV_STATE, KS_TCP_ESTABLISHED,
		   KS_TCP_CLOSE_WAIT));
	ks_totals(t, S(101), &tot);
	cr_assert_eq(tot.sockets, 0);
	cr_assert_eq(tot.events, 3);
	ks_free(NULL);
	ks_free(t);
}

/* ---- history records, kernel counts, blame by side ---- */

/* A record with the history the kernel keeps (bpf/event.h). */
static struct ks_event hist_ev(uint64_t t, uint64_t cookie, uint8_t kind,
			       uint8_t from, uint8_t to)
{
	struct ks_event e = ev(t, cookie, kind, from, to);

	e.flags = KS_EVF_HISTORY;
	e.ino = 1000 + cookie;
	e.role = KS_ROLE_SERVER;
	e.owner_src = KS_SRC_ACCEPT;
	e.owner_pid = 42;
	snprintf(e.owner_comm, sizeof(e.owner_comm), "%s", "leaky");
	e.passive = KS_SIDE_LOCAL;
	e.start_ns = S(100);
	e.cw_ns = S(101);
	return e;
}

Test(ksock, history_records_replay_a_late_close)
{
	struct alerts a = { 0 };
	struct ks_table *t = table(0, &a);
	struct ks_event e;
	const struct ks_sock *s;

	/* found by the walk 6 s into CLOSE_WAIT */
	e = hist_ev(S(107), 1, KS_EV_LINGER, KS_TCP_CLOSE_WAIT,
		    KS_TCP_CLOSE_WAIT);
	feed(t, e);
	feed(t, e); /* found again by the next walk: nothing changes */
	ks_tick(t, S(107));
	cr_assert_eq(a.linger, 1);
	s = only_sock(t);
	cr_assert_eq(s->cw_start_ns, S(101));
	cr_assert_eq(s->owner_pid, 42);
	cr_assert_eq(s->owner_src, KS_SRC_ACCEPT);
	cr_assert_eq(s->role, KS_ROLE_SERVER);
	/* its end: closed at 108 s by pid 42, the record comes at CLOSE */
	e = hist_ev(S(108) + MS(1), 1, KS_EV_STATE, KS_TCP_LAST_ACK,
		    KS_TCP_CLOSE);
	e.cw_end_ns = S(108);
	e.closer_pid = 42;
	snprintf(e.closer_comm, sizeof(e.closer_comm), "%s", "leaky");
	feed(t, e);
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_LATE_CLOSE, "%s", vd_name(s->verdict));
	cr_assert_eq(s->close_wait_ns, S(7));
	cr_assert_eq(s->closer_pid, 42);
	cr_assert_str_eq(s->closer_comm, "leaky");
	cr_assert_eq(a.closed, 1);
	cr_assert_eq(a.last_cw, S(7));
	ks_free(t);
}

Test(ksock, history_record_alone_rebuilds_an_unclean_end)
{
	struct ks_table *t = table(0, NULL);
	struct ks_event e;
	const struct ks_sock *s;

	/* never reported before: CLOSE_WAIT, then an abort at 102 s */
	e = hist_ev(S(102), 1, KS_EV_STATE, KS_TCP_CLOSE_WAIT, KS_TCP_CLOSE);
	e.unread = 6; /* 5 bytes and the FIN */
	feed(t, e);
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_RESET);
	cr_assert_eq(s->rst_by, KS_SIDE_LOCAL);
	cr_assert_eq(s->rst_phase, KS_PHASE_AFTER_FIN);
	cr_assert_eq(s->close_wait_ns, S(1));
	cr_assert_eq(s->unread, 5);
	ks_free(t);
}

/* Bucket of v, as tracer.bpf.c computes it (bpf/event.h). */
static unsigned bpf_bucket(uint64_t v)
{
	unsigned e = 0, i;
	uint64_t x = v;

	if (v < 4)
		return (unsigned)v;
	while (x >>= 1)
		e++;
	i = 4 * (e - 1) + (unsigned)((v >> (e - 2)) & 3);
	return i < KS_HIST_N ? i : KS_HIST_N - 1;
}

Test(ksock, histogram_buckets_agree_with_the_kernel)
{
	static const uint64_t v[] = { 0,	 1,	  3,	    4,
				      7,	 8,	  1000,	    123456,
				      MS(1),	 MS(3),	  S(5),	    S(1000) };
	unsigned i, b;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b = bpf_bucket(v[i]);
		cr_assert_leq(ks_hist_lo(b), v[i], "%u: %" PRIu64, b, v[i]);
		if (b + 1 < KS_HIST_N)
			cr_assert_lt(v[i], ks_hist_lo(b + 1), "%u: %" PRIu64,
				     b, v[i]);
	}
}

static struct ks_clean clean_of(uint32_t pid, uint16_t port, uint8_t role,
				uint64_t count)
{
	struct ks_clean c;

	memset(&c, 0, sizeof(c));
	c.netns = NETNS_A;
	c.pid = pid;
	snprintf(c.comm, sizeof(c.comm), "%s", "web");
	c.family = 4;
	c.role = role;
	c.addr[0] = 127;
	c.addr[3] = 1;
	c.port = port;
	c.count = count;
	return c;
}

Test(ksock, clean_ends_counted_in_the_kernel_keep_counts_and_percentiles)
{
	struct ks_table *t = table(0, NULL);
	struct ks_clean c = clean_of(7, 8080, KS_ROLE_SERVER, 100);
	struct ks_totals tot;
	struct ks_agg a;

	c.hist[bpf_bucket(MS(1))] = 60;
	c.hist[bpf_bucket(MS(3))] = 40;
	cr_assert_eq(ks_add_clean(t, &c), 0);
	/* and one late close, fed one by one */
	server_up(t, S(100), 1, 7, "web");
	peer_fin(t, S(101), 1);
	app_close(t, S(107), 1, 7);

	ks_totals(t, S(110), &tot);
	cr_assert_eq(tot.verdicts[VD_CLEAN], 100);
	cr_assert_eq(tot.verdicts[VD_LATE_CLOSE], 1);
	a = group(t, KS_BY_SERVICE, 0, S(110));
	cr_assert_eq(a.port, 8080);
	cr_assert_eq(a.sockets, 101);
	cr_assert_eq(a.verdicts[VD_CLEAN], 100);
	cr_assert_eq(a.cw_samples, 101);
	/* within a bucket's width (12.5 %) of what was measured */
	cr_assert(a.cw_p50 > MS(1) - MS(1) / 8 && a.cw_p50 < MS(1) + MS(1) / 8,
		  "p50 %" PRIu64, a.cw_p50);
	cr_assert(a.cw_p90 > MS(3) - MS(3) / 8 && a.cw_p90 < MS(3) + MS(3) / 8,
		  "p90 %" PRIu64, a.cw_p90);
	cr_assert_eq(a.cw_max, S(6));
	a = group(t, KS_BY_PROCESS, 7, S(110));
	cr_assert_str_eq(a.comm, "web");
	cr_assert_eq(a.verdicts[VD_CLEAN], 100);
	cr_assert_eq(a.verdicts[VD_LATE_CLOSE], 1);
	ks_free(t);
}

/* The client's end: 127.0.0.1:40000 -> 127.0.0.1:8080. */
static struct ks_event client_ev(uint64_t t, uint64_t cookie, uint8_t from,
				 uint8_t to)
{
	struct ks_event e = ev(t, cookie, KS_EV_STATE, from, to);

	e.lport = 40000;
	e.rport = 8080;
	return e;
}

static void client_closes(struct ks_table *t, uint64_t at, uint64_t cookie)
{
	struct ks_event e;

	e = client_ev(at - MS(10), cookie, KS_TCP_CLOSE, KS_TCP_SYN_SENT);
	task(&e, 9, "client");
	feed(t, e);
	feed(t, client_ev(at - MS(9), cookie, KS_TCP_SYN_SENT,
			  KS_TCP_ESTABLISHED));
	e = client_ev(at, cookie, KS_TCP_ESTABLISHED, KS_TCP_FIN_WAIT1);
	task(&e, 9, "client");
	feed(t, e);
	feed(t, client_ev(at + 1000, cookie, KS_TCP_FIN_WAIT1,
			  KS_TCP_FIN_WAIT2));
	/* its application is gone: a timewait sock takes over */
	feed(t, client_ev(at + 2000, cookie, KS_TCP_FIN_WAIT2, KS_TCP_CLOSE));
}

Test(ksock, active_closer_with_a_local_peer_is_clean_and_names_it)
{
	struct ks_table *t = table(1, NULL);
	const struct ks_sock **v;
	struct ks_totals tot;
	long n, i;
	struct ks_tw tw = { .cookie = 2, .netns = NETNS_A,
			    .expires_ms = 40000,
			    .substate = KS_TCP_FIN_WAIT2 };

	server_up(t, S(100), 1, 7, "leaky");
	client_closes(t, S(101), 2);
	peer_fin(t, S(101) + 1500, 1);
	ks_tw_sample(t, S(110), &tw, 1); /* still waiting for the FIN */
	ks_finish(t, S(120));
	ks_totals(t, S(120), &tot);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 1);
	n = ks_list(t, &v);
	cr_assert_eq(n, 2);
	for (i = 0; i < n; i++) {
		if (v[i]->cookie == 1) {
			cr_assert_eq(v[i]->verdict, VD_NEVER_CLOSED);
			cr_assert_eq(v[i]->passive, KS_SIDE_LOCAL);
			cr_assert_eq(v[i]->peer_cookie, 2);
		} else {
			cr_assert_eq(v[i]->verdict, VD_CLEAN, "%s",
				     vd_name(v[i]->verdict));
			cr_assert_eq(v[i]->passive, KS_SIDE_REMOTE);
			cr_assert_eq(v[i]->peer_cookie, 1);
		}
	}
	free(v);
	cr_assert_eq(group(t, KS_BY_PROCESS, 9, S(120)).verdicts[VD_CLEAN], 1);
	ks_free(t);
}

static struct ks_orphan orphan_of(uint64_t cookie, uint64_t since)
{
	struct ks_orphan o;

	memset(&o, 0, sizeof(o));
	o.cookie = cookie;
	o.netns = NETNS_A;
	o.family = 4;
	o.laddr[0] = 10;
	o.laddr[3] = 1;
	o.raddr[0] = 10;
	o.raddr[3] = 2;
	o.lport = 40000;
	o.rport = 8080;
	o.since_ns = since;
	return o;
}

Test(ksock, active_closer_with_a_remote_peer_blames_the_remote)
{
	struct ks_table *t = table(0, NULL);
	struct ks_clean c = clean_of(9, 8080, KS_ROLE_CLIENT, 1);
	struct ks_orphan o = orphan_of(2, S(101));
	struct ks_totals tot;
	struct ks_agg *g;
	const struct ks_sock *s;
	long n, i;

	/* the kernel counted the client's own close as clean */
	c.addr[0] = 10;
	c.addr[3] = 2;
	cr_assert_eq(ks_add_clean(t, &c), 0);
	cr_assert_eq(ks_orphan(t, &o), 0);
	cr_assert_eq(ks_orphan(t, &o), -EEXIST);
	ks_finish(t, S(110));
	ks_totals(t, S(110), &tot);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 1);
	cr_assert_eq(tot.verdicts[VD_CLEAN], 0, "the count moved");
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_NEVER_CLOSED);
	cr_assert_eq(s->passive, KS_SIDE_REMOTE);
	cr_assert_eq(s->peer_cookie, 0);
	/* under the remote service 10.0.0.2:8080, not under a process */
	n = ks_groups(t, KS_BY_SERVICE, S(110), &g);
	cr_assert_eq(n, 1);
	cr_assert_eq(g[0].role, KS_ROLE_CLIENT);
	cr_assert_eq(g[0].port, 8080);
	cr_assert_eq(g[0].sockets, 1);
	cr_assert_eq(g[0].verdicts[VD_NEVER_CLOSED], 1);
	free(g);
	n = ks_groups(t, KS_BY_PROCESS, S(110), &g);
	for (i = 0; i < n; i++)
		cr_assert_eq(g[i].verdicts[VD_NEVER_CLOSED], 0);
	free(g);
	ks_free(t);
}

Test(ksock, remote_not_yet_past_linger_at_the_end_is_closing)
{
	struct ks_table *t = table(0, NULL);
	struct ks_orphan o = orphan_of(2, S(101));
	struct ks_totals tot;

	cr_assert_eq(ks_orphan(t, &o), 0);
	ks_finish(t, S(103));
	ks_totals(t, S(103), &tot);
	cr_assert_eq(tot.verdicts[VD_CLOSING], 1);
	cr_assert_eq(tot.verdicts[VD_NEVER_CLOSED], 0);
	ks_free(t);
}

Test(ksock, local_connect_failure_is_connect_failed)
{
	struct ks_table *t = table(0, NULL);
	struct ks_event e;
	const struct ks_sock *s;

	/* EADDRNOTAVAIL: SYN_SENT -> CLOSE before any segment */
	e = client_ev(S(101), 5, KS_TCP_SYN_SENT, KS_TCP_CLOSE);
	e.flags = KS_EVF_HISTORY | KS_EVF_NO_SYN;
	e.role = KS_ROLE_CLIENT;
	e.owner_src = KS_SRC_CONNECT;
	e.owner_pid = 9;
	snprintf(e.owner_comm, sizeof(e.owner_comm), "%s", "client");
	task(&e, 9, "client");
	feed(t, e);
	s = only_sock(t);
	cr_assert_eq(s->verdict, VD_CONNECT_FAILED, "%s", vd_name(s->verdict));
	cr_assert_eq(s->owner_pid, 9);
	cr_assert_eq(s->owner_src, KS_SRC_CONNECT);
	cr_assert_eq(s->role, KS_ROLE_CLIENT);
	ks_free(t);
}

static void count_forget(void *ctx, const struct ks_sock *s)
{
	(void)s;
	++*(int *)ctx;
}

/*
 * Bounded for days: settled sockets that were not clean are kept only up
 * to max_settled (the older ones forgotten through on_forget), and
 * processes past max_aggs share one aggregate named "other".
 */
Test(ksock, settled_sockets_and_processes_are_capped)
{
	int forgotten = 0;
	struct ks_opts o = {.linger_ns = S(1),
			    .on_forget = count_forget,
			    .max_settled = 2,
			    .max_aggs = 3};
	struct ks_table *t;
	struct ks_totals tot;
	struct ks_agg *g;
	long n;
	int other = 0;

	o.ctx = &forgotten;
	t = ks_new(&o);
	cr_assert_not_null(t);
	for (uint64_t c = 1; c <= 5; c++) {
		uint64_t at = S(10 * c);

		server_up(t, at, c, (uint32_t)(100 + c), "worker");
		peer_fin(t, at + MS(10), c);
		app_close(t, at + S(3), c, (uint32_t)(100 + c));
	}
	ks_totals(t, S(100), &tot);
	cr_assert_eq(tot.verdicts[VD_LATE_CLOSE], 5);
	cr_assert_eq(tot.tracked, 2, "%" PRIu64 " sockets kept", tot.tracked);
	cr_assert_eq(forgotten, 3);
	/* the aggregates listed are those holding sockets: the kept two,
	 * both of processes past the cap (the owner is unknown until
	 * accept(), which takes the first aggregate) */
	n = ks_groups(t, KS_BY_PROCESS, S(100), &g);
	cr_assert_eq(n, 1);
	for (long i = 0; i < n; i++) {
		if (!strcmp(g[i].comm, "other")) {
			other = 1;
			cr_expect_eq(g[i].pid, 0);
			cr_expect_eq(g[i].sockets, 2);
			cr_expect_eq(g[i].late_close, 3);
		}
	}
	cr_assert(other, "no \"other\" process");
	free(g);
	ks_free(t);
}
