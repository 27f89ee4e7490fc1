/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the kernel socket tracker (analysis/ksock.h): the
 * input is a stream of 16-byte operations on a small set of sockets, as
 * fintrace kernel would make them from a ring buffer that may lose,
 * repeat or reorder records: state changes between any two TCP states,
 * RSTs, accepts and destroys, start-up seeds, timewait samples,
 * reconciliations after lost records, owner lookups and clock ticks, with
 * time stepping forward or back. Then the tracing ends and every report
 * view is taken.
 *
 * Operation: [0] op, [1] socket (bits 0-2 cookie, bit 3 namespace,
 * bit 4 inode known, bit 5 IPv6, bit 6 port cleared), [2] event kind,
 * [3] old state, [4] new state, [5..6] time step in ms (bit 15: back),
 * [7] in_task | rst cause << 1, [8..9] local port, [10..11] remote port,
 * [12..13] pid or unread bytes, [14] address byte, [15] timer / substate.
 *
 * Checked besides memory errors: the totals agree with the table (in
 * CLOSE_WAIT <= tracked <= seen), every listed socket has fields in range,
 * and after ks_finish() every listed socket's verdict is settled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/ksock.h"
#include "fuzz.h"

#define MS 1000000ULL
#define OP 16

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t alerts;

static void fz_alert(void *ctx, enum ks_alert what, const struct ks_sock *s,
		     uint64_t now)
{
	(void)ctx;
	(void)now;
	FZ_CHECK(what == KS_ALERT_LINGER || what == KS_ALERT_CLOSED);
	FZ_CHECK(s != NULL);
	alerts++;
}

static void fz_check_sock(const struct ks_sock *s, uint64_t now)
{
	FZ_CHECK(s->verdict < VD__COUNT);
	FZ_CHECK(s->passive <= KS_SIDE_REMOTE);
	FZ_CHECK(s->rst_by <= KS_SIDE_REMOTE);
	FZ_CHECK(s->role <= KS_ROLE_SERVER);
	FZ_CHECK(s->rst_phase <= KS_PHASE_LATE_FIN);
	FZ_CHECK(s->owner_src <= KS_SRC_PROC);
	FZ_CHECK(memchr(s->owner_comm, '\0', KS_COMM_LEN) != NULL);
	FZ_CHECK(memchr(s->closer_comm, '\0', KS_COMM_LEN) != NULL);
	FZ_CHECK(vd_name((enum vd_verdict)s->verdict) != NULL);
	FZ_CHECK(ks_state_name(s->state) != NULL);
	for (int c = 0; c < KS_T__COUNT; c++)
		(void)ks_time_in(s, (enum ks_clock)c, now);
	(void)ks_close_wait(s, now);
}

/* Every view a report takes, checked against the totals. */
static void fz_views(struct ks_table *t, uint64_t now, int finished)
{
	const struct ks_sock **list = NULL;
	struct ks_agg *agg = NULL;
	struct ks_totals tot;
	long n;

	ks_totals(t, now, &tot);
	FZ_CHECK(tot.in_close_wait <= tot.tracked);
	FZ_CHECK(tot.tracked <= tot.sockets);
	FZ_CHECK(tot.peak_close_wait >= tot.in_close_wait);
	n = ks_list(t, &list);
	FZ_CHECK(n >= 0 && (uint64_t)n <= tot.tracked);
	for (long i = 0; i < n; i++) {
		fz_check_sock(list[i], now);
		if (finished)
			FZ_CHECK(list[i]->final);
	}
	free(list);
	for (int g = KS_BY_PROCESS; g <= KS_BY_SERVICE; g++) {
		n = ks_groups(t, (enum ks_group)g, now, &agg);
		FZ_CHECK(n >= 0);
		for (long i = 0; i < n; i++) {
			FZ_CHECK(agg[i].group == g);
			FZ_CHECK(agg[i].cw_now <= tot.in_close_wait);
			FZ_CHECK(agg[i].cw_p50 <= agg[i].cw_p90);
			FZ_CHECK(agg[i].cw_p90 <= agg[i].cw_p99);
			FZ_CHECK(agg[i].cw_p99 <= agg[i].cw_max);
		}
		free(agg);
		agg = NULL;
	}
}

static void fz_op(struct ks_table *t, const uint8_t *r, uint64_t *now)
{
	uint8_t op = r[0] % 10, sk = r[1];
	uint64_t cookie = 1 + (sk & 7);
	uint32_t netns = 4026531840u + ((sk >> 3) & 1);
	uint16_t step = rd16(r + 5);
	int v6 = (sk >> 5) & 1;

	if (step & 0x8000)
		*now -= *now > (step & 0x7fffu) * MS ? (step & 0x7fffu) * MS
						     : *now - 1;
	else
		*now += step * MS;

	switch (op) {
	case 0:
	case 1:
	case 2:
	case 3: {
		struct ks_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.mono_ns = *now;
		ev.cookie = cookie;
		ev.netns = netns;
		ev.ino = (sk >> 4) & 1 ? 1000 + (sk & 7) : 0;
		ev.family = v6 ? 6 : 4;
		ev.laddr[0] = ev.raddr[0] = v6 ? 0x20 : 10;
		ev.laddr[v6 ? 15 : 3] = r[14];
		ev.raddr[v6 ? 15 : 3] = (uint8_t)(r[14] + 1);
		ev.lport = (sk >> 6) & 1 ? 0 : rd16(r + 8);
		ev.rport = rd16(r + 10);
		ev.kind = (uint8_t)(1 + r[2] % 5);
		ev.oldstate = (uint8_t)(r[3] % 14);
		ev.newstate = (uint8_t)(r[4] % 14);
		ev.in_task = r[7] & 1;
		ev.rst = (uint8_t)((r[7] >> 1) % 7);
		ev.pid = rd16(r + 12);
		ev.unread = rd16(r + 12);
		memcpy(ev.comm, "fuzz-peer-name", 15);
		FZ_CHECK(ks_feed(t, &ev) == 0);
		break;
	}
	case 4: {
		struct ks_seed s;
		int rc;

		memset(&s, 0, sizeof(s));
		s.cookie = cookie;
		s.netns = netns;
		s.ino = 1000 + (sk & 7);
		s.family = v6 ? 6 : 4;
		s.state = r[2] & 1 ? KS_TCP_CLOSE_WAIT : KS_TCP_FIN_WAIT2;
		s.timewait = r[2] >> 1 & 1;
		s.laddr[0] = s.raddr[0] = v6 ? 0x20 : 10;
		s.lport = rd16(r + 8);
		s.rport = rd16(r + 10);
		s.owner_pid = rd16(r + 12);
		memcpy(s.owner_comm, "seeded-owner", 13);
		rc = ks_seed(t, &s);
		FZ_CHECK(rc == 0 || rc == -EEXIST);
		break;
	}
	case 5: {
		struct ks_tw v[2];
		uint32_t ns[4];
		size_t k = ks_tw_netns(t, ns, 4);

		FZ_CHECK(k <= 4);
		memset(v, 0, sizeof(v));
		for (int i = 0; i < 2; i++) {
			v[i].cookie = 1 + ((sk >> (3 * i)) & 7);
			v[i].netns = netns;
			v[i].expires_ms = (uint32_t)r[15] * 1000;
			v[i].substate =
				r[2] & 1 ? KS_TCP_TIME_WAIT : KS_TCP_FIN_WAIT2;
		}
		ks_tw_sample(t, *now, v, r[3] % 3);
		break;
	}
	case 6: {
		struct ks_ref alive[3];
		uint32_t ns[4];
		size_t k = ks_live_netns(t, ns, 4);

		FZ_CHECK(k <= 4);
		memset(alive, 0, sizeof(alive));
		for (int i = 0; i < 3; i++) {
			alive[i].cookie = 1 + ((r[8 + i] >> 1) & 7);
			alive[i].netns = netns;
		}
		(void)ks_reconcile(t, *now, (uint64_t)r[15] * 100 * MS, alive,
				   r[3] % 4);
		break;
	}
	case 7: {
		uint64_t inos[8];
		size_t k = ks_owner_wanted(t, inos, 8);

		FZ_CHECK(k <= 8);
		for (size_t i = 0; i < k; i++)
			ks_set_owner(t, inos[i], r[12], "lookup-owner-xy");
		ks_set_owner(t, 1000 + (sk & 7), rd16(r + 12), "x");
		break;
	}
	case 8:
		ks_tick(t, *now);
		(void)ks_next_alert_ns(t);
		(void)ks_process_close_wait(t, rd16(r + 12));
		break;
	default:
		fz_views(t, *now, 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_opts o = {
		.on_alert = fz_alert,
	};
	struct ks_table *t;
	uint64_t now = 1000000 * MS;

	if (size < 2)
		return 0;
	o.linger_ns = (uint64_t)data[0] * 100 * MS;
	o.keep_clean = data[1] & 1;
	o.start_ns = now;
	t = ks_new(&o);
	FZ_CHECK(t);
	for (size_t off = 2; off + OP <= size; off += OP)
		fz_op(t, data + off, &now);
	ks_finish(t, now);
	fz_views(t, now, 1);
	ks_free(t);
	return 0;
}
