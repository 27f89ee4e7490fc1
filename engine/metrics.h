/* SPDX-License-Identifier: MIT */
/*
 * The metrics of a running mode (fintrace live, fintrace kernel), shared
 * by both engines: the registry of metrics/table.h, its /metrics server
 * and the feeding that table.h describes, from the engines' own events.
 *
 *  - em_start() (main thread, before any capture) builds the registry,
 *    binds ADDR:PORT and starts the server;
 *  - as each flow or socket gets its verdict, the engine calls
 *    em_flow_done() (teardowns and close-wait histogram);
 *  - on every --interval and once at the end, the capture thread lists
 *    the sockets in CLOSE_WAIT now with em_cw_add() between em_cw_begin()
 *    and em_publish(), gives the TIME_WAIT pressure (em_time_wait()) and
 *    the capture counters (em_counters()); em_publish() sets the gauges
 *    and renders the text the server hands out;
 *  - em_stop() after the last publish.
 * Everything but em_start()/em_stop() runs in one thread (the capture's),
 * and every function takes a NULL struct em as "no metrics": callers do
 * not test.
 *
 * service is the server endpoint "IP:PORT" ("[IPv6]:PORT") of the
 * connection, the remote one when the lingering socket is a client's, as
 * in the reports.
 */
#ifndef FT_ENGINE_METRICS_H
#define FT_ENGINE_METRICS_H

#include <stdint.h>

#include "analysis/flow.h"
#include "analysis/timewait.h"
#include "metrics/table.h"

#define EM_SERVICE_SIZE 64 /* "[IPv6]:PORT" and NUL */

struct em;

/*
 * Build the registry of mode (MXT_LIVE or MXT_KERNEL), bind listen
 * ("ADDR:PORT", see mxh_parse_listen) and serve /metrics. Returns the
 * handle, or NULL with errno set and one line naming ADDR:PORT and the
 * cause in err (FT_ERRBUF_SIZE, caller's). Free with em_stop().
 */
struct em *em_start(enum mxt_mode mode, const char *listen, char *err);

/* Stop the server and free everything; NULL is a no-op. */
void em_stop(struct em *m);

/* The port the server listens on (the one chosen for port 0). */
uint16_t em_port(const struct em *m);

/* The service of a flow: its server endpoint (key index 1 - client). */
void em_service(char buf[EM_SERVICE_SIZE], const struct flow_key *key,
		int client);

/*
 * A flow or socket got its verdict (rec borrowed): one more in
 * fintrace_teardowns_total{verdict,service}, and its close-wait in
 * fintrace_close_wait_seconds{service} when the passive side closed. A
 * socket whose clean end em_clean() counted already (rec->sock->counted,
 * an orphan the kernel's count moved to) is not counted again.
 */
void em_flow_done(struct em *m, const struct flow_record *rec);

struct rpt_clean;

/* em_flow_done() for clean ends a kernel counted (c borrowed). */
void em_clean(struct em *m, const struct rpt_clean *c);

/* Start listing the sockets in CLOSE_WAIT now (forgets the last list). */
void em_cw_begin(struct em *m);

/*
 * One socket in CLOSE_WAIT now, there for age_ns. comm and container are
 * ignored in live mode (NULL is ""). Strings are copied. Returns 0 or
 * -ENOMEM (that socket is not counted).
 */
int em_cw_add(struct em *m, const char *service, const char *comm,
	      const char *container, uint64_t age_ns);

/* em_cw_add() for a flow whose passive side is in CLOSE_WAIT. */
int em_cw_add_flow(struct em *m, const struct flow_key *key, int client,
		   uint64_t age_ns);

/*
 * fintrace_time_wait_port_share{client,service} from tw (borrowed; may be
 * NULL): the pairs tw_foreach_now() lists, set anew.
 */
void em_time_wait(struct em *m, const struct tw *tw);

/* The capture's totals; a counter the mode does not export is ignored. */
struct em_counters {
	uint64_t packets; /* live: packets captured */
	uint64_t drops;	  /* live: kernel and interface drops */
	uint64_t queue_drops; /* live: fintrace's capture queue was full */
	uint64_t lost;	  /* kernel: BPF records lost */
	uint64_t evicted; /* flows or sockets evicted from a full table */
};
void em_counters(struct em *m, const struct em_counters *c);

/*
 * Set the CLOSE_WAIT gauges from the list given since em_cw_begin() (a
 * series per service, or per service, comm and container in kernel mode:
 * count and oldest age) and make the text current. Returns 0 or -ENOMEM
 * (the previous text stays current).
 */
int em_publish(struct em *m);

#endif /* FT_ENGINE_METRICS_H */
