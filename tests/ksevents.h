/* SPDX-License-Identifier: MIT */
/*
 * Kernel events built by hand for the kernel tracker's tests
 * (analysis/ksock.h): the sequences the BPF tracer reports for a server
 * socket that is accepted, gets its peer's FIN and is closed by its
 * application. Every socket has the same 4-tuple, 127.0.0.1:8080 <-
 * 127.0.0.1:40000, in namespace NETNS_A; they differ by cookie.
 */
#ifndef FT_TESTS_KSEVENTS_H
#define FT_TESTS_KSEVENTS_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "analysis/ksock.h"

#define NETNS_A 4026531840u
#define NETNS_B 4026532999u

static inline struct ks_event ev(uint64_t t, uint64_t cookie, uint8_t kind,
			  uint8_t from, uint8_t to)
{
	struct ks_event e;

	memset(&e, 0, sizeof(e));
	e.mono_ns = t;
	e.cookie = cookie;
	e.netns = NETNS_A;
	e.family = 4;
	e.laddr[0] = 127;
	e.laddr[3] = 1;
	e.raddr[0] = 127;
	e.raddr[3] = 1;
	e.lport = 8080;
	e.rport = 40000;
	e.kind = kind;
	e.oldstate = from;
	e.newstate = to;
	return e;
}

static inline void feed(struct ks_table *t, struct ks_event e)
{
	cr_assert_eq(ks_feed(t, &e), 0);
}

static inline void task(struct ks_event *e, uint32_t pid, const char *comm)
{
	e->in_task = 1;
	e->pid = pid;
	snprintf(e->comm, sizeof(e->comm), "%s", comm);
}

/* Server socket up to ESTABLISHED, accepted by pid. */
static inline void server_up(struct ks_table *t, uint64_t at, uint64_t cookie,
		      uint32_t pid, const char *comm)
{
	struct ks_event e;

	feed(t, ev(at, cookie, KS_EV_STATE, KS_TCP_LISTEN, KS_TCP_SYN_RECV));
	feed(t, ev(at + 1000, cookie, KS_EV_STATE, KS_TCP_SYN_RECV,
		   KS_TCP_ESTABLISHED));
	e = ev(at + 2000, cookie, KS_EV_ACCEPT, KS_TCP_ESTABLISHED,
	       KS_TCP_ESTABLISHED);
	e.ino = 1000 + cookie;
	task(&e, pid, comm);
	feed(t, e);
}

static inline void peer_fin(struct ks_table *t, uint64_t at, uint64_t cookie)
{
	struct ks_event e = ev(at, cookie, KS_EV_STATE, KS_TCP_ESTABLISHED,
			       KS_TCP_CLOSE_WAIT);

	e.unread = 1; /* the FIN */
	e.ino = 1000 + cookie;
	feed(t, e);
}

static inline void app_close(struct ks_table *t, uint64_t at, uint64_t cookie,
		      uint32_t pid)
{
	struct ks_event e = ev(at, cookie, KS_EV_STATE, KS_TCP_CLOSE_WAIT,
			       KS_TCP_LAST_ACK);

	task(&e, pid, "srv");
	feed(t, e);
	e = ev(at + 1000000ull, cookie, KS_EV_STATE, KS_TCP_LAST_ACK, KS_TCP_CLOSE);
	e.lport = 0; /* the kernel clears it at CLOSE */
	feed(t, e);
}

#endif /* FT_TESTS_KSEVENTS_H */
