/* SPDX-License-Identifier: MIT */
/*
 * The metric table of fintrace. Changing a name or a label breaks every
 * dashboard and alert built on it: add, do not rename.
 */
#include "metrics/table.h"

#include <errno.h>
#include <stddef.h>

#define BOTH (MXT_LIVE | MXT_KERNEL)

/* close-wait of the sockets that closed, in seconds: from a prompt close
 * through the linger threshold (5 s by default) to a day */
static const double close_wait_buckets[] = {
	0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400,
};

struct mxt_row {
	enum mxt_metric metric;
	unsigned modes;
	struct mx_def def;
};

/* One row per metric and label set; a metric may have a row per mode. */
static const struct mxt_row table[] = {
	{MXT_CLOSE_WAIT_SOCKETS,
	 MXT_LIVE,
	 {.name = "fintrace_close_wait_sockets",
	  .type = MX_GAUGE,
	  .help = "Sockets in CLOSE_WAIT now (the application has not "
		  "called close()), per service.",
	  .labels = {"service"},
	  .max_series = 200}},
	{MXT_CLOSE_WAIT_SOCKETS,
	 MXT_KERNEL,
	 {.name = "fintrace_close_wait_sockets",
	  .type = MX_GAUGE,
	  .help = "Sockets in CLOSE_WAIT now (the application has not "
		  "called close()), per service, process name and container.",
	  .labels = {"service", "comm", "container"},
	  .max_series = 500}},
	{MXT_CLOSE_WAIT_OLDEST_SECONDS,
	 MXT_LIVE,
	 {.name = "fintrace_close_wait_oldest_seconds",
	  .type = MX_GAUGE,
	  .help = "Time the oldest socket now in CLOSE_WAIT has been there, "
		  "per service.",
	  .labels = {"service"},
	  .max_series = 200}},
	{MXT_CLOSE_WAIT_OLDEST_SECONDS,
	 MXT_KERNEL,
	 {.name = "fintrace_close_wait_oldest_seconds",
	  .type = MX_GAUGE,
	  .help = "Time the oldest socket now in CLOSE_WAIT has been there, "
		  "per service, process name and container.",
	  .labels = {"service", "comm", "container"},
	  .max_series = 500}},
	{MXT_CLOSE_WAIT_SECONDS,
	 BOTH,
	 {.name = "fintrace_close_wait_seconds",
	  .type = MX_HISTOGRAM,
	  .help = "Time the sockets that closed spent in CLOSE_WAIT, per "
		  "service.",
	  .labels = {"service"},
	  .buckets = close_wait_buckets,
	  .nbuckets =
		  sizeof(close_wait_buckets) / sizeof(close_wait_buckets[0]),
	  .max_series = 100}},
	{MXT_TEARDOWNS_TOTAL,
	 BOTH,
	 {.name = "fintrace_teardowns_total",
	  .type = MX_COUNTER,
	  .help = "Finished connections by verdict (clean, late-close, "
		  "never-closed, ...) and service.",
	  .labels = {"verdict", "service"},
	  .enum_labels = 1u << 0,
	  .max_series = 1000}},
	{MXT_TIME_WAIT_PORT_SHARE,
	 BOTH,
	 {.name = "fintrace_time_wait_port_share",
	  .type = MX_GAUGE,
	  .help = "Share (0 to 1) of a client host's ephemeral ports held in "
		  "TIME_WAIT toward one service.",
	  .labels = {"client", "service"},
	  .max_series = 200}},
	{MXT_PACKETS_TOTAL,
	 MXT_LIVE,
	 {.name = "fintrace_packets_total",
	  .type = MX_COUNTER,
	  .help = "Packets captured."}},
	{MXT_KERNEL_DROPS_TOTAL,
	 MXT_LIVE,
	 {.name = "fintrace_kernel_drops_total",
	  .type = MX_COUNTER,
	  .help = "Packets the kernel or the interface dropped before "
		  "capture: verdicts are lower bounds when this grows."}},
	{MXT_QUEUE_DROPS_TOTAL,
	 MXT_LIVE,
	 {.name = "fintrace_queue_drops_total",
	  .type = MX_COUNTER,
	  .help = "Packets captured but not analysed: fintrace's capture "
		  "queue was full (the analysis fell behind)."}},
	{MXT_BPF_LOST_RECORDS_TOTAL,
	 MXT_KERNEL,
	 {.name = "fintrace_bpf_lost_records_total",
	  .type = MX_COUNTER,
	  .help = "Records the BPF ring buffer had no room for."}},
	{MXT_EVICTED_FLOWS_TOTAL,
	 BOTH,
	 {.name = "fintrace_evicted_flows_total",
	  .type = MX_COUNTER,
	  .help = "Flows or sockets evicted from a full table before their "
		  "end."}},
	{MXT_BUILD_INFO,
	 BOTH,
	 {.name = "fintrace_build_info",
	  .type = MX_GAUGE,
	  .help = "fintrace version and mode; always 1.",
	  .labels = {"version", "mode"},
	  .max_series = 1}},
};

#define NROWS (sizeof(table) / sizeof(table[0]))

const struct mx_def *mxt_def(enum mxt_metric m, enum mxt_mode mode)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (table[i].metric == m && (table[i].modes & mode))
			return &table[i].def;
	return NULL;
}

const char *mxt_mode_name(enum mxt_mode mode)
{
	return mode == MXT_KERNEL ? "kernel" : "live";
}

struct mx_registry *mxt_new(enum mxt_mode mode, int fam[MXT__METRICS])
{
	struct mx_registry *r;
	const char *info[2];
	int m, ret;

	if (mode != MXT_LIVE && mode != MXT_KERNEL) {
		errno = EINVAL;
		return NULL;
	}
	r = mx_new();
	if (!r)
		return NULL;
	for (m = 0; m < MXT__METRICS; m++) {
		const struct mx_def *d = mxt_def((enum mxt_metric)m, mode);

		fam[m] = -1;
		if (!d)
			continue;
		ret = mx_family_add(r, d);
		if (ret < 0) {
			mx_free(r);
			errno = -ret;
			return NULL;
		}
		fam[m] = ret;
	}
	info[0] = FT_VERSION;
	info[1] = mxt_mode_name(mode);
	ret = mx_set(r, fam[MXT_BUILD_INFO], info, 1);
	if (ret < 0) {
		mx_free(r);
		errno = -ret;
		return NULL;
	}
	return r;
}
