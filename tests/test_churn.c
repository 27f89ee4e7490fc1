/* SPDX-License-Identifier: MIT */
/*
 * Memory flat over time: long simulated churns driven through the
 * trackers as the watching modes drive them, with the heap in use
 * measured at a quarter of the run and at its end.
 *
 * - packets (fintrace live): a million connections over 48 simulated
 *   hours, hand-built frames through the packet pipeline, flows finalised
 *   as the capture clock advances. Most close cleanly, some with the
 *   server closing first; one in 500 stays 2 minutes in CLOSE_WAIT
 *   (late-close); and a scan (a third of the connections: refused SYNs
 *   to endpoints never probed before) makes a new service on every
 *   probe, and teaches the flow table a new server endpoint until its
 *   bound (65536). One connection in ten comes from a client host never
 *   seen before (65536 of them, then again from the first), so the
 *   report's client rows and the TIME_WAIT rows of those that close
 *   first reach their caps too.
 * - kernel (fintrace kernel): the socket tracker (analysis/ksock.c) and
 *   the kernel engine's report (engine/kernel.c) fed what the monitor
 *   feeds them: clean ends counted by the kernel each second, owners
 *   that come and go (a new pid every few seconds), and late closes
 *   from short-lived workers, each with its own pid.
 *
 * The report's groups are capped lower than by default (max_groups) so
 * that the caps are reached early in the run: from then on every table
 * must stay the size it was. Also: how long a snapshot of a large report
 * takes.
 *
 * The memory in use is the heap's, mallinfo2()'s (AddressSanitizer's own
 * count under FT_SANITIZE), plus the big tables' own mappings
 * (bigmem_mapped(): index arrays, flow slabs, the TIME_WAIT reuse
 * table). Nothing here is timed but the snapshot figure, which is
 * printed, with a generous bound.
 */
#include <criterion/criterion.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "analysis/bigmem.h"
#include "analysis/ksock.h"
#include "analysis/report.h"
#include "engine/kernel.h"
#include "engine/pipeline.h"
#include "ksevents.h"

#if defined(__SANITIZE_ADDRESS__)
#define FT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FT_ASAN 1
#endif
#endif
#ifdef FT_ASAN
/* AddressSanitizer's runtime (sanitizer/allocator_interface.h, which
 * not every compiler installs) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

/* Bytes of heap in use now, with the big tables mapped apart. */
static size_t heap_in_use(void)
{
#ifdef FT_ASAN
	return __sanitizer_get_current_allocated_bytes() + bigmem_mapped();
#else
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd + bigmem_mapped();
#endif
}

/* The end may exceed the quarter by 2 % plus 64 KB (allocator slack). */
static void expect_flat(const char *what, size_t quarter, size_t end)
{
	size_t margin = quarter / 50 + 64 * 1024;

	cr_log_info("%s: heap in use %zu bytes at 25 %%, %zu at 100 %%", what,
		    quarter, end);
	fprintf(stderr, "%s: heap in use %zu bytes at 25 %%, %zu at 100 %%\n",
		what, quarter, end);
	cr_expect_leq(end, quarter + margin,
		      "%s: memory grew from %zu to %zu bytes between a quarter "
		      "and the end of the run",
		      what, quarter, end);
}

/* ---- packets ---- */

struct wire {
	struct pipeline pl;
	uint64_t frame;
};

/* One IPv4 TCP segment, no options, no payload (DLT_RAW). */
static void send_seg(struct wire *w, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport, uint32_t seq,
		     uint32_t ack, uint8_t flags, uint64_t t)
{
	uint8_t b[40];

	memset(b, 0, sizeof(b));
	b[0] = 0x45;
	b[3] = 40;
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
	for (int i = 0; i < 4; i++) {
		b[24 + i] = (uint8_t)(seq >> (24 - 8 * i));
		b[28 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	b[32] = 0x50;
	b[33] = flags;
	b[34] = 0xff;
	cr_assert_eq(pipeline_frame(&w->pl, b, 40, 40, t, ++w->frame, DLT_RAW),
		     0);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

/* A connection whose passive side is still to close, in order of time. */
struct pending {
	uint8_t cli[4];
	uint16_t cport;
	uint16_t sport;
	uint64_t at;
};

static const uint8_t srv_addr[4] = {10, 0, 0, 2};

/* Handshake, then the client's FIN and the server's ACK of it. */
static void open_and_fin(struct wire *w, const uint8_t *c, uint16_t cp,
			 uint16_t sp, uint64_t t)
{
	send_seg(w, c, cp, srv_addr, sp, 1000, 0, F_SYN, t);
	send_seg(w, srv_addr, sp, c, cp, 5000, 1001, F_SYN | F_ACK, t + MS);
	send_seg(w, c, cp, srv_addr, sp, 1001, 5001, F_ACK, t + 2 * MS);
	send_seg(w, c, cp, srv_addr, sp, 1001, 5001, F_FIN | F_ACK,
		 t + 3 * MS);
	send_seg(w, srv_addr, sp, c, cp, 5001, 1002, F_ACK, t + 4 * MS);
}

/* The server's FIN at t, the client's ACK. */
static void server_closes(struct wire *w, const uint8_t *c, uint16_t cp,
			  uint16_t sp, uint64_t t)
{
	send_seg(w, srv_addr, sp, c, cp, 5001, 1002, F_FIN | F_ACK, t);
	send_seg(w, c, cp, srv_addr, sp, 1002, 5002, F_ACK, t + MS);
}

#define WIRE_CONNS 1000000u
#define WIRE_HOSTS 64u
#define FRESH_EVERY 10u /* a connection from a new client host */
#define WIRE_SPACING (48ULL * 3600 * SEC / WIRE_CONNS) /* 172.8 ms */
#define LATE_EVERY 500u
#define LATE_NS (120 * SEC)
#define SCAN_EVERY 3u
#define PENDING_MAX 4096u

/* The packet engine as fintrace live configures it by default. */
static struct pipeline_config live_config(void)
{
	return (struct pipeline_config){
		.format = RPT_JSON,
		.linger_ns = 5 * SEC,
		.grace_ns = 5 * SEC,
		.idle_ns = 300 * SEC,
		.top = 10,
		.top_services = 5,
		.top_clients = 5,
		.time_wait_ns = 60 * SEC,
		.port_lo = 32768,
		.port_hi = 60999,
		.tw_share = 50,
	};
}

Test(churn, packet_pipeline_memory_is_flat, .timeout = 600)
{
	struct pipeline_config pc = live_config();
	static struct pending q[PENDING_MAX];
	size_t qhead = 0, qtail = 0, quarter = 0;
	struct wire w;
	FILE *out = fopen("/dev/null", "w");
	uint64_t t = T0;

	cr_assert_not_null(out);
	/* caps reached in the first quarter: see the top of the file */
	pc.max_groups = 256;
	memset(&w, 0, sizeof(w));
	cr_assert_eq(pipeline_init(&w.pl, &pc, out, "live"), 0);
	for (uint32_t i = 0; i < WIRE_CONNS; i++) {
		uint8_t c[4] = {10, 1, 0, (uint8_t)(i % WIRE_HOSTS)};
		uint16_t cp = (uint16_t)(32768 + (i / WIRE_HOSTS) % 28000);
		uint16_t sp = (uint16_t)(8000 + i % 8);

		if (i % FRESH_EVERY == FRESH_EVERY / 2) {
			uint32_t k = i / FRESH_EVERY;

			c[1] = 2;
			c[2] = (uint8_t)(k >> 8);
			c[3] = (uint8_t)k;
		}

		t += WIRE_SPACING;
		/* the late closes that are due */
		while (qhead != qtail && q[qhead].at <= t) {
			struct pending *p = &q[qhead];

			server_closes(&w, p->cli, p->cport, p->sport, p->at);
			qhead = (qhead + 1) % PENDING_MAX;
		}
		if (i == WIRE_CONNS / 4)
			quarter = heap_in_use();
		if (i % LATE_EVERY == 1) {
			struct pending *p = &q[qtail];

			open_and_fin(&w, c, cp, sp, t);
			memcpy(p->cli, c, 4);
			p->cport = cp;
			p->sport = sp;
			p->at = t + LATE_NS;
			qtail = (qtail + 1) % PENDING_MAX;
			cr_assert_neq(qtail, qhead, "too many pending closes");
			continue;
		}
		if (i % SCAN_EVERY == 0) {
			/* a probe of an endpoint never probed before: refused */
			uint32_t k = i / SCAN_EVERY;
			uint8_t a[4] = {10, 3, (uint8_t)(k >> 8), (uint8_t)k};
			uint16_t port = (uint16_t)(1 + (k >> 16));

			send_seg(&w, c, cp, a, port, 77, 0, F_SYN, t);
			send_seg(&w, a, port, c, cp, 0, 78, F_RST | F_ACK,
				 t + MS);
			continue;
		}
		if (i % 7 == 3) {
			/* the server closes first; the client, 20 ms later */
			send_seg(&w, c, cp, srv_addr, sp, 1000, 0, F_SYN, t);
			send_seg(&w, srv_addr, sp, c, cp, 5000, 1001,
				 F_SYN | F_ACK, t + MS);
			send_seg(&w, c, cp, srv_addr, sp, 1001, 5001, F_ACK,
				 t + 2 * MS);
			send_seg(&w, srv_addr, sp, c, cp, 5001, 1001,
				 F_FIN | F_ACK, t + 3 * MS);
			send_seg(&w, c, cp, srv_addr, sp, 1001, 5002, F_ACK,
				 t + 4 * MS);
			send_seg(&w, c, cp, srv_addr, sp, 1001, 5002,
				 F_FIN | F_ACK, t + 24 * MS);
			send_seg(&w, srv_addr, sp, c, cp, 5002, 1002, F_ACK,
				 t + 25 * MS);
			continue;
		}
		/* clean: the server closes 5 to 40 ms after the client */
		open_and_fin(&w, c, cp, sp, t);
		server_closes(&w, c, cp, sp, t + 5 * MS + (i % 8) * 5 * MS);
	}
	expect_flat("packets", quarter, heap_in_use());
	/* and the report is still right */
	cr_expect_geq(rpt_verdict_count(w.pl.rpt, VD_REFUSED),
		      WIRE_CONNS / SCAN_EVERY - WIRE_CONNS / LATE_EVERY);
	cr_expect_geq(rpt_verdict_count(w.pl.rpt, VD_LATE_CLOSE),
		      WIRE_CONNS / LATE_EVERY - 2);
	pipeline_free(&w.pl);
	fclose(out);
}

/* ---- kernel ---- */

#define K_SECONDS (48u * 3600u)
#define K_CLEAN_PER_SEC 20u
#define K_LATE_EVERY_S 17u  /* a late close every 17 s */
#define K_OWNER_EVERY_S 5u  /* a new owning process every 5 s */

Test(churn, kernel_tracker_memory_is_flat, .timeout = 600)
{
	struct krep_config kc = {
		.format = RPT_JSON,
		.linger_ns = 5 * SEC,
		.top = 10,
		.top_services = 5,
		.top_clients = 5,
		.wall_off = T0,
		.start_ns = SEC,
		.what = "all TCP sockets",
		.max_groups = 256,
		.ctr_cache = 256,
	};
	struct ks_opts ko = {
		.linger_ns = 5 * SEC,
		.start_ns = SEC,
		.on_close_wait = krep_close_wait,
		.on_forget = krep_forget,
		.on_clean = krep_clean,
		.max_aggs = 256,
		.max_settled = 256,
	};
	struct { uint64_t cookie, at; uint32_t pid; } q[64];
	size_t qhead = 0, qtail = 0, quarter = 0;
	FILE *out = fopen("/dev/null", "w");
	struct krep *kr;
	struct ks_table *t;
	struct ks_totals tot;
	uint64_t cookie = 1, late = 0;

	cr_assert_not_null(out);
	kr = krep_new(&kc, out);
	cr_assert_not_null(kr);
	ko.ctx = kr;
	t = ks_new(&ko);
	cr_assert_not_null(t);
	for (uint32_t s = 1; s <= K_SECONDS; s++) {
		uint64_t now = (uint64_t)s * SEC + SEC;
		uint32_t owner = 1000 + s / K_OWNER_EVERY_S;
		struct ks_clean c;

		if (s == K_SECONDS / 4)
			quarter = heap_in_use();
		/* what the kernel counted this second: clean ends */
		memset(&c, 0, sizeof(c));
		c.netns = NETNS_A;
		c.pid = owner;
		snprintf(c.comm, sizeof(c.comm), "api");
		c.family = 4;
		c.role = KS_ROLE_SERVER;
		c.addr[0] = 10;
		c.addr[3] = 2;
		c.port = (uint16_t)(8000 + s % 4);
		c.count = K_CLEAN_PER_SEC;
		c.hist[40 + s % 8] = K_CLEAN_PER_SEC / 2;
		c.hist[12] = K_CLEAN_PER_SEC - K_CLEAN_PER_SEC / 2;
		cr_assert_eq(ks_add_clean(t, &c), 0);
		/* late closes: each from a worker of its own */
		while (qhead != qtail && q[qhead].at <= now) {
			app_close(t, q[qhead].at, q[qhead].cookie,
				  q[qhead].pid);
			qhead = (qhead + 1) % 64;
		}
		if (s % K_LATE_EVERY_S == 0) {
			uint32_t pid = 100000 + s;

			/* accepted by the worker, then the peer's FIN */
			server_up(t, now, cookie, pid, "worker");
			peer_fin(t, now + MS, cookie);
			q[qtail].cookie = cookie++;
			q[qtail].at = now + 120 * SEC;
			q[qtail].pid = pid;
			qtail = (qtail + 1) % 64;
			cr_assert_neq(qtail, qhead);
			late++;
		}
		ks_tick(t, now);
	}
	expect_flat("kernel", quarter, heap_in_use());
	ks_totals(t, (uint64_t)K_SECONDS * SEC, &tot);
	cr_expect_geq(tot.verdicts[VD_LATE_CLOSE], late - 8);
	cr_expect_eq(tot.sockets, (uint64_t)K_SECONDS * K_CLEAN_PER_SEC + late);
	ks_free(t);
	krep_free(kr);
	fclose(out);
}

/* ---- snapshots ---- */

/*
 * A snapshot of a large report: as many services and client hosts as a
 * report keeps (RPT_GROUPS_MAX each), each with its close-waits and
 * timeline, through the packet pipeline. How long the snapshot takes is
 * printed (the capture waits that long); the line stays within the
 * --top bounds.
 */
Test(churn, snapshot_of_a_large_report, .timeout = 300)
{
	struct pipeline_config pc = live_config();
	const char *inputs[1] = {"eth0"};
	FILE *out = fopen("/dev/null", "w");
	char *line = NULL;
	size_t len = 0;
	FILE *snap = open_memstream(&line, &len);
	struct timespec a, b;
	struct wire w;
	uint64_t t = T0, ns;

	cr_assert_not_null(out);
	cr_assert_not_null(snap);
	memset(&w, 0, sizeof(w));
	cr_assert_eq(pipeline_init(&w.pl, &pc, out, "live"), 0);
	for (uint32_t i = 0; i < 2 * RPT_GROUPS_MAX * 10; i++) {
		uint32_t h = (i / 2) % RPT_GROUPS_MAX;
		uint8_t c[4] = {10, 2, (uint8_t)(h >> 8), (uint8_t)h};
		uint16_t sp = (uint16_t)(1024 + i % RPT_GROUPS_MAX);
		uint16_t cp = (uint16_t)(33000 + i / RPT_GROUPS_MAX);

		t += MS;
		if (i % 2) {
			/* the client side lingers: a client-host row */
			send_seg(&w, c, cp, srv_addr, sp, 1000, 0, F_SYN, t);
			send_seg(&w, srv_addr, sp, c, cp, 5000, 1001,
				 F_SYN | F_ACK, t + MS);
			send_seg(&w, srv_addr, sp, c, cp, 5001, 1001,
				 F_FIN | F_ACK, t + 2 * MS);
			send_seg(&w, c, cp, srv_addr, sp, 1001, 5002, F_ACK,
				 t + 3 * MS);
			send_seg(&w, c, cp, srv_addr, sp, 1001, 5002,
				 F_FIN | F_ACK, t + 3 * MS + (i % 97) * MS);
			send_seg(&w, srv_addr, sp, c, cp, 5002, 1002, F_ACK,
				 t + 4 * MS + (i % 97) * MS);
		} else {
			open_and_fin(&w, c, cp, sp, t);
			server_closes(&w, c, cp, sp,
				      t + 5 * MS + (i % 89) * MS);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_eq(pipeline_snapshot(&w.pl, inputs, 1, t, snap), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fclose(snap);
	ns = (uint64_t)(b.tv_sec - a.tv_sec) * SEC + (uint64_t)b.tv_nsec -
	     (uint64_t)a.tv_nsec;
	fprintf(stderr,
		"snapshot of %u services and %u client hosts: %.1f ms, "
		"%zu bytes\n",
		(unsigned)RPT_GROUPS_MAX, (unsigned)RPT_GROUPS_MAX,
		(double)ns / 1e6, len);
	cr_expect_lt(ns, 2 * SEC, "a snapshot took %.1f ms", (double)ns / 1e6);
	/* one line, five rows per side */
	cr_assert_gt(len, 0);
	cr_expect_eq(memchr(line, '\n', len), line + len - 1);
	cr_expect_lt(len, 64 * 1024, "a %zu-byte line", len);
	cr_expect(strstr(line, "\"services_more\":"), "%s", line);
	free(line);
	pipeline_free(&w.pl);
	fclose(out);
}
