/* SPDX-License-Identifier: MIT */
/*
 * The metrics fintrace exports: one table of names, types, labels, help
 * texts, buckets and series caps (README "Running on many hosts" and
 * docs/fintrace.1 document the same table), and the registry of one mode
 * built from it.
 *
 * Labels never hold a pid or a client port: a service is a listening
 * endpoint "IP:PORT" ("[IPv6]:PORT"), a client a host address, comm a
 * process name (at most 15 bytes), container a 12-hex short id
 * (analysis/container.h). Every labelled family has a series cap, past
 * which values collapse to "other" (metrics/registry.h).
 *
 * How a mode exports them (fintrace live and kernel):
 *  1. Before the capture starts, in the main thread: reg = mxt_new(mode,
 *     fam); pub = mxs_new(); mxh_start(&cfg, pub, &srv, err). An error
 *     there is err on stderr and exit status 2, before any capture.
 *  2. In the capture thread, which alone touches reg:
 *     - as each flow or socket gets its verdict: mx_add() 1 to
 *       MXT_TEARDOWNS_TOTAL {verdict name, service}, and when it had a
 *       close-wait, mx_observe() its seconds in MXT_CLOSE_WAIT_SECONDS;
 *     - on every periodic update (--interval) and once after the last
 *       packet or event: mx_family_clear() and mx_set() again the
 *       gauges of the present (MXT_CLOSE_WAIT_SOCKETS and
 *       MXT_CLOSE_WAIT_OLDEST_SECONDS per service, comm and container
 *       now holding sockets in CLOSE_WAIT; MXT_TIME_WAIT_PORT_SHARE per
 *       pair), mx_set() the capture counters from their totals
 *       (libpcap's statistics, lost records, evictions), then
 *       mxs_publish(pub, reg): one render and a pointer swap.
 *  3. At exit, after that last publish: mxh_stop(srv), mxs_free(pub),
 *     mx_free(reg).
 * service is the server endpoint of the connection (the remote one when
 * the socket that lingers is a client's), as in the reports.
 */
#ifndef FT_METRICS_TABLE_H
#define FT_METRICS_TABLE_H

#include "metrics/registry.h"

/* The modes that serve metrics; a family belongs to one or both. */
enum mxt_mode {
	MXT_LIVE = 1,	/* fintrace live: packets */
	MXT_KERNEL = 2, /* fintrace kernel: eBPF */
};

enum mxt_metric {
	/* gauge {service} (kernel: {service,comm,container}): sockets in
	 * CLOSE_WAIT now */
	MXT_CLOSE_WAIT_SOCKETS = 0,
	/* gauge, same labels: the longest any of them has been there */
	MXT_CLOSE_WAIT_OLDEST_SECONDS,
	/* histogram {service}: close-wait of the sockets that closed */
	MXT_CLOSE_WAIT_SECONDS,
	/* counter {verdict,service}: finished flows or sockets by verdict */
	MXT_TEARDOWNS_TOTAL,
	/* gauge {client,service}: sockets in TIME_WAIT / ephemeral ports */
	MXT_TIME_WAIT_PORT_SHARE,
	/* counter: packets captured (live) */
	MXT_PACKETS_TOTAL,
	/* counter: packets the kernel dropped before capture (live) */
	MXT_KERNEL_DROPS_TOTAL,
	/* counter: packets fintrace's capture queue had no room for (live) */
	MXT_QUEUE_DROPS_TOTAL,
	/* counter: BPF ring buffer records lost (kernel) */
	MXT_BPF_LOST_RECORDS_TOTAL,
	/* counter: flows or sockets evicted from a full table */
	MXT_EVICTED_FLOWS_TOTAL,
	/* gauge {version,mode}: always 1 */
	MXT_BUILD_INFO,
	MXT__METRICS
};

/*
 * The definition of metric m in mode (one of enum mxt_mode), or NULL when
 * the mode does not export it. Static storage.
 */
const struct mx_def *mxt_def(enum mxt_metric m, enum mxt_mode mode);

/* The stable name of a mode, "live" or "kernel" (build_info's label). */
const char *mxt_mode_name(enum mxt_mode mode);

/*
 * A registry with every family of mode, in enum order; fam[m] gets the
 * family id of metric m, or -1 when the mode does not export it (mx_set
 * and friends then return -EINVAL and change nothing, so callers need not
 * test). fintrace_build_info is already set.
 * Returns NULL with errno set (EINVAL for an unknown mode, ENOMEM).
 * Free with mx_free().
 */
struct mx_registry *mxt_new(enum mxt_mode mode, int fam[MXT__METRICS]);

#endif /* FT_METRICS_TABLE_H */
