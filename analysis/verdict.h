/* SPDX-License-Identifier: MIT */
/*
 * The one verdict vocabulary of fintrace (docs/architecture.md, "Verdicts").
 *
 * Every engine (packets, kernel), every writer (text, JSON, CSV, HTML,
 * metrics), the option parser (--fail-on) and `fintrace states` take the
 * names, ranks and meanings from the single table behind this header, so a
 * new verdict is one row in analysis/verdict.c plus its tests.
 */
#ifndef FT_ANALYSIS_VERDICT_H
#define FT_ANALYSIS_VERDICT_H

#include <stddef.h>

enum vd_verdict {
	VD_OPEN = 0,
	VD_CLEAN,
	VD_LATE_CLOSE,
	VD_NEVER_CLOSED,
	VD_HALF_CLOSE,
	VD_RESET,
	VD_FIN_UNACKED,
	VD_SIMULTANEOUS,
	VD_REFUSED,
	VD_CLOSING,
	VD_CONNECT_FAILED,
	VD__COUNT
};

/* One row of the vocabulary; every string is static. */
struct vd_info {
	const char *name;    /* stable lower-case name: "never-closed" */
	const char *meaning; /* one line for --help, states and reports */
	unsigned rank;	     /* worst first: higher is worse, 0 for clean */
	unsigned leak : 1;   /* the passive side's application did not close
				in time: never-closed, late-close */
	unsigned listed : 1; /* listed among the worst flows by default */
};

/* The row of v; an out-of-range v gets a row named "?". Never NULL. */
const struct vd_info *vd_info(enum vd_verdict v);

/* vd_info(v)->name. */
const char *vd_name(enum vd_verdict v);

/* The verdict called name, or -1. */
int vd_parse(const char *name);

/*
 * Parse a comma-separated list of verdict names into a bit mask (bit v
 * for verdict v). Returns 0, or -EINVAL with the first unknown name in
 * bad (size n; may be NULL) when a name is unknown or the list is empty.
 */
int vd_parse_list(const char *s, unsigned *mask, char *bad, size_t n);

/*
 * Write "a, b, c" (json: "\"a\",\"b\"") of the verdicts in mask into buf
 * (size n). Returns buf.
 */
char *vd_list(char *buf, size_t n, unsigned mask, int json);

/* Order two verdicts worst first, for qsort-style comparisons. */
int vd_cmp_worse(enum vd_verdict a, enum vd_verdict b);

#endif /* FT_ANALYSIS_VERDICT_H */
