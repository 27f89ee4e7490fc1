/* SPDX-License-Identifier: MIT */
/*
 * A bounded registry of Prometheus metric families and its text
 * exposition (format 0.0.4).
 *
 * A family is a gauge, a counter or a histogram with fixed buckets, and
 * has up to MX_LABELS_MAX label names. A series is one tuple of label
 * values. Each family holds at most def.max_series series; once it is
 * full, a new tuple is counted in an overflow series whose label values
 * are "other", except those of labels marked in def.enum_labels (labels
 * such as a verdict that take a few values known in advance), which keep
 * their value. The overflow series are bounded too (MX_OVERFLOW_MAX, then
 * one series with every value "other"), so a family never holds more than
 * max_series + MX_OVERFLOW_MAX + 1 series whatever its callers do.
 *
 * Label values are copied, cut to MX_VALUE_SIZE - 1 bytes at a character
 * boundary, and bytes that are not valid UTF-8 become '?' (a process
 * name can hold any byte; one invalid byte would fail the whole scrape).
 *
 * No locking and no I/O but mx_write(): one thread owns a registry.
 * To serve it from another thread, publish it (metrics/snapshot.h).
 */
#ifndef FT_METRICS_REGISTRY_H
#define FT_METRICS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MX_LABELS_MAX 4
#define MX_VALUE_SIZE 128 /* a label value, with its NUL */
#define MX_BUCKETS_MAX 16 /* histogram bounds, +Inf not counted */
#define MX_FAMILIES_MAX 32
#define MX_SERIES_DEFAULT 256 /* max_series when the def says 0 */
#define MX_OVERFLOW_MAX 16    /* overflow series that keep enum labels */
#define MX_OTHER "other"

enum mx_type {
	MX_GAUGE = 0,
	MX_COUNTER,
	MX_HISTOGRAM,
};

/*
 * One family. Every pointer is borrowed and must outlive the registry
 * (in practice: static tables). Names follow the Prometheus data model:
 * a metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*, a label name
 * [a-zA-Z_][a-zA-Z0-9_]* and does not start with "__"; a histogram may
 * not use the label "le".
 */
struct mx_def {
	const char *name;
	enum mx_type type;
	const char *help;		   /* one line */
	const char *labels[MX_LABELS_MAX]; /* names; NULL after the last */
	unsigned enum_labels;  /* bit i: labels[i] kept in overflow series */
	const double *buckets; /* histogram: increasing upper bounds */
	unsigned nbuckets;     /* 1..MX_BUCKETS_MAX for a histogram */
	unsigned max_series;   /* 0: MX_SERIES_DEFAULT */
};

struct mx_registry;

/* New empty registry. NULL with errno set (ENOMEM). Free with mx_free. */
struct mx_registry *mx_new(void);

/* Free the registry and its series; NULL is a no-op. */
void mx_free(struct mx_registry *r);

/*
 * Add a family; def is copied (its strings are borrowed). Families are
 * written in the order they were added.
 * Returns the family's id (>= 0), -EINVAL for a bad name, label or bucket
 * list, -EEXIST for a name already registered, -ENOSPC past
 * MX_FAMILIES_MAX, -ENOMEM.
 */
int mx_family_add(struct mx_registry *r, const struct mx_def *def);

/*
 * Update the series of family fam whose label values are values[0..n-1]
 * (n = the family's label count; values may be NULL when it has none; a
 * NULL value is ""):
 *   mx_set     gauge or counter: set the value (a counter's total read
 *              from elsewhere, such as libpcap's statistics);
 *   mx_add     gauge or counter: add delta (a counter takes delta >= 0);
 *   mx_set_max gauge: keep the larger of its value (0 when new) and v, so
 *              that tuples sharing an overflow series keep their maximum;
 *   mx_observe histogram: count one observation x;
 *   mx_observe_n histogram: count n observations of x at once.
 * Returns 0, 1 when the values were counted in an overflow series, -EINVAL
 * for a family id out of range (a negative id: a family that this mode
 * does not have, see metrics/table.h), the wrong type or a negative
 * counter delta, -ENOMEM.
 */
int mx_set(struct mx_registry *r, int fam, const char *const *values, double v);
int mx_add(struct mx_registry *r, int fam, const char *const *values,
	   double delta);
int mx_set_max(struct mx_registry *r, int fam, const char *const *values,
	       double v);
int mx_observe(struct mx_registry *r, int fam, const char *const *values,
	       double x);
int mx_observe_n(struct mx_registry *r, int fam, const char *const *values,
		 double x, uint64_t n);

/*
 * Remove every series of family fam: gauges that describe the present
 * (sockets in CLOSE_WAIT per service) are cleared and set again on each
 * update, so that what is gone disappears and the cap applies to what is
 * there now. A family without labels keeps its one series, set to 0.
 * An id out of range is a no-op.
 */
void mx_family_clear(struct mx_registry *r, int fam);

/* Series held by family fam, overflow series included; 0 if out of range. */
size_t mx_series_count(const struct mx_registry *r, int fam);

/*
 * Write the text exposition: per family with at least one series, its
 * # HELP and # TYPE lines, then its series sorted by label values;
 * a histogram writes name_bucket{...,le="B"} (cumulative, up to
 * le="+Inf"), name_sum and name_count per series. A family without
 * labels always has its one series.
 * mx_write: returns 0 or -errno (a write error on f).
 * mx_render: writes at most size bytes, NUL included (buf may be NULL when
 * size is 0) and returns the length of the whole text, as snprintf does.
 */
int mx_write(const struct mx_registry *r, FILE *f);
size_t mx_render(const struct mx_registry *r, char *buf, size_t size);

#endif /* FT_METRICS_REGISTRY_H */
