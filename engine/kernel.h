/* SPDX-License-Identifier: MIT */
/*
 * The kernel engine's report: turns the kernel tracker's sockets
 * (analysis/ksock.h) into the records of the one report model
 * (analysis/report.h), so that `fintrace kernel` writes the same text,
 * JSON Lines, CSV and HTML as `fintrace read`, with what only the kernel
 * knows (owner, namespace, closing-state times) added to each record and
 * a table per owning process.
 *
 * A socket becomes a record once: when the tracker forgets it (settled,
 * not kept for the list) or at the end of tracing. Its CLOSE_WAIT periods
 * are followed as they happen, for the peak and growth of each service
 * and process. Times are converted from the kernel's CLOCK_MONOTONIC to
 * wall clock with one offset taken when tracing began.
 */
#ifndef FT_ENGINE_KERNEL_H
#define FT_ENGINE_KERNEL_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/ksock.h"
#include "analysis/report.h"
#include "analysis/timewait.h"
#include "engine/metrics.h"

struct krep_config {
	enum rpt_format format;
	uint64_t linger_ns;
	unsigned top;	   /* worst sockets listed */
	unsigned top_services; /* service and process rows, 0: all */
	unsigned top_clients;  /* client-host rows, 0: all */
	size_t max_groups;     /* report groups per side, 0: RPT_GROUPS_MAX */
	size_t ctr_cache;      /* owners whose container is cached (cleared
				  when full), 0: 4096 */
	int all;	   /* list clean and open sockets too */
	int local_time;	   /* text and HTML times in local time (TZ) */
	uint64_t wall_off; /* wall_ns = mono_ns + wall_off */
	uint64_t start_ns; /* tracing began, mono */
	const char *what;  /* what was traced, for the header: "all TCP
			      sockets", "port 9100"... (borrowed) */
};

struct krep;

/*
 * New report writing to out (borrowed). NULL with errno set on failure.
 * Pass krep_close_wait, krep_forget and krep_clean, with the krep as
 * ctx, to the tracker (struct mon_opts / struct ks_opts).
 */
struct krep *krep_new(const struct krep_config *c, FILE *out);

/* Free everything; NULL is a no-op. */
void krep_free(struct krep *k);

/* The tracker's hooks (ctx: the krep). */
void krep_close_wait(void *ctx, const struct ks_sock *s, int delta,
		     uint64_t now_ns);
void krep_forget(void *ctx, const struct ks_sock *s);
void krep_clean(void *ctx, const struct ks_clean *c);

/*
 * A snapshot of the report so far (rpt_snapshot) as of now_ns (mono) to
 * f (borrowed), with the tracing's counters extra[0..nextra) (borrowed).
 * Sockets still held count by their CLOSE_WAIT only: they become records
 * when forgotten or at the end. Returns 0, -ENOMEM or -EIO.
 */
int krep_snapshot(struct krep *k, uint64_t now_ns,
		  const struct rpt_counter *extra, size_t nextra, FILE *f);

/*
 * End of tracing at now_ns (mono; after ks_finish()): every socket still
 * held by t becomes a record, then the report is written, with the
 * TIME_WAIT pressure of tw (may be NULL), the counters of the tracing
 * itself extra[0..nextra) (borrowed; events, lost records...) and error
 * (may be NULL) saying why tracing stopped early. Returns 0, or -EIO
 * when the report could not be written.
 */
int krep_finish(struct krep *k, const struct ks_table *t, struct tw *tw,
		uint64_t now_ns, const struct rpt_counter *extra, size_t nextra,
		const char *error);

/*
 * Also count each socket's verdict in the metrics em (borrowed; see
 * engine/metrics.h) as it becomes a record. Call before tracing.
 */
void krep_metrics(struct krep *k, struct em *em);

/*
 * Update the metrics given to krep_metrics() at now_ns (mono) and
 * publish them: the sockets of t in CLOSE_WAIT now (this host's side has
 * not called close()) per service, owner's comm and container; the
 * TIME_WAIT shares of tw (may be NULL); the counters c (borrowed).
 * Returns em_publish()'s value; 0 without metrics.
 */
int krep_metrics_update(struct krep *k, const struct ks_table *t,
			const struct tw *tw, const struct em_counters *c,
			uint64_t now_ns);

/*
 * The container short id (12 hex, analysis/container.h) of process pid,
 * "" when it runs in none or is unknown (pid 0, gone). Read from
 * /proc/PID/cgroup once per pid and comm, then cached. The string is
 * borrowed from k, valid until the next call.
 */
const char *krep_container(struct krep *k, uint32_t pid, const char *comm);

/* The report model (borrowed), e.g. for the HTML writer. */
struct rpt *krep_report(struct krep *k);

#endif /* FT_ENGINE_KERNEL_H */
