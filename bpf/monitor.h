/* SPDX-License-Identifier: MIT */
/*
 * The `fintrace kernel` loop without its user interface: the tracer feeds
 * a ks_table (analysis/ksock.h); sockets already lingering when tracing
 * began are seeded from sock_diag; timewait sockets are sampled through
 * sock_diag, for the sockets it follows and for TIME_WAIT pressure (a
 * struct tw, analysis/timewait.h: sockets in TIME_WAIT per client host
 * and service against the ephemeral port range); owners of sockets in
 * CLOSE_WAIT are looked up in /proc. Tests drive it directly;
 * cli/cmd_kernel.c adds options and output.
 */
#ifndef FT_BPF_MONITOR_H
#define FT_BPF_MONITOR_H

#include <stdint.h>

#include "analysis/ksock.h"
#include "analysis/timewait.h"
#include "bpf/tracer.h"

struct mon_opts {
	struct trc_opts trc;    /* kernel filters, ring buffer size */
	uint64_t linger_ns;     /* 0: 5 s */
	uint64_t tw_sample_ns;  /* timewait sampling period; 0: 1 s */
	uint64_t owner_scan_ns; /* least time between /proc scans; 0: 200 ms */
	int no_seed;            /* 1: no start-up dump */
	int keep_clean;         /* see ks_opts */
	ks_alert_fn on_alert;   /* may be NULL; called from mon_step() */
	void *ctx;              /* borrowed, passed to every hook */
	/* the tracker's on_close_wait, on_forget and on_clean
	 * (analysis/ksock.h) */
	void (*on_close_wait)(void *ctx, const struct ks_sock *s, int delta,
			      uint64_t now_ns);
	void (*on_forget)(void *ctx, const struct ks_sock *s);
	void (*on_clean)(void *ctx, const struct ks_clean *c);
	/*
	 * TIME_WAIT pressure. Clients' ephemeral ports: port_lo-port_hi
	 * for every namespace, or when 0-0 each namespace's own
	 * net.ipv4.ip_local_port_range (read inside it at each sample; this
	 * host's when that fails, then Linux's default 32768-60999).
	 */
	uint16_t port_lo;
	uint16_t port_hi;
	unsigned tw_share_pct;  /* verdict and alert at this share; 0: 50 */
	tw_alert_fn on_tw_alert;/* may be NULL; called from mon_step() and
				 * mon_finish() with ctx, at_ns wall clock */
	int local_time;         /* the TIME_WAIT text in local time (TZ) */
};

struct mon;

/*
 * Load and attach the tracer, then seed. NULL with errno and err
 * (FT_ERRBUF_SIZE, caller's) set when BPF is unusable (see trc_new()).
 * Caller frees with mon_free().
 */
struct mon *mon_new(const struct mon_opts *o, char *err);

/*
 * Check the filters before tracing: a --pid that names no process or a
 * --netns that names no network namespace in use would only ever see
 * nothing. 0, or -ESRCH with a one-line reason in err (FT_ERRBUF_SIZE,
 * caller's).
 */
int mon_check(const struct mon_opts *o, char *err);

/* Detach and free everything. NULL is a no-op. */
void mon_free(struct mon *m);

/*
 * One round: wait up to max_wait_ms for kernel events (less when an alert
 * or a sample is due), feed them, look up owners, sample timewait sockets,
 * fire due alerts. Returns 0 or -errno (ring buffer failure).
 */
int mon_step(struct mon *m, int max_wait_ms);

/*
 * End of tracing: read what is left in the ring buffer, refresh owners and
 * timewait sockets, settle every verdict (ks_finish()). Call once.
 */
void mon_finish(struct mon *m);

/* The tracker (borrowed, owned by m). */
struct ks_table *mon_table(struct mon *m);

/* Tracing start, CLOCK_MONOTONIC ns (same clock as the kernel events). */
uint64_t mon_start_ns(const struct mon *m);

/* Now, CLOCK_MONOTONIC ns. */
uint64_t mon_now_ns(void);

/* Kernel records lost (all causes) and records received. */
uint64_t mon_lost(const struct mon *m);
/* The lost records by cause (trc_lost_by_cause()); their sum. */
uint64_t mon_lost_by_cause(const struct mon *m, struct trc_lost *out);
uint64_t mon_received(const struct mon *m);

/* Sockets seeded from the start-up dump. */
uint64_t mon_seeded(const struct mon *m);

/* What is missing compared to the full feature set; "" when nothing. */
const char *mon_reduced(const struct mon *m);

/*
 * The TIME_WAIT pressure tracker (borrowed, owned by m): one sample per
 * timewait sampling period of the sockets in TIME_WAIT that pass the
 * port, family and network namespace filters, in every namespace in use
 * (or the one --netns names). The pid filter does not apply: a timewait
 * socket has no process, and the ports are the namespace's, shared by
 * all. Times are wall clock (mon_wall_offset()).
 */
struct tw *mon_tw(struct mon *m);

/* Sockets in TIME_WAIT at the last sample; *peak (may be NULL): most. */
uint64_t mon_time_wait(const struct mon *m, uint64_t *peak);

/*
 * The clients' port range used when a namespace's own cannot be read
 * (or for all, when mon_opts named one). Returns 1 when each namespace's
 * own range is used, 0 when one range was given.
 */
int mon_port_range(const struct mon *m, uint16_t *lo, uint16_t *hi);

/* CLOCK_REALTIME - CLOCK_MONOTONIC at start: wall_ns = mono_ns + it. */
uint64_t mon_wall_offset(const struct mon *m);

#endif /* FT_BPF_MONITOR_H */
