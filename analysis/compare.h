/* SPDX-License-Identifier: MIT */
/*
 * fintrace compare: two reports of the same services, before and after a
 * change, and one verdict per service. A report is read from fintrace's
 * own JSON Lines (the `service` records with side server, and `process`
 * records of fintrace kernel) one line at a time; the comparison and its
 * writers (text, JSON Lines, HTML) are pure and unit-tested.
 *
 * Per service (or process), AFTER is worse than BEFORE when
 *  - it has more never-closed connections per connection: at least one
 *    more, and at least 10% more, than BEFORE's share of never-closed
 *    predicts for AFTER's number of connections; or the same for
 *    late-close connections; or
 *  - its close-wait p90 is higher beyond noise: above 1.25 times BEFORE's
 *    p90 and at least 1 s above it.
 * Otherwise a service whose leaks (never-closed and late-close) all went
 * away is "fixed", one that still has some is "still leaking", and one
 * with none on either side "no leak". A service in one report only is
 * "new" or "gone"; those never make the comparison worse.
 */
#ifndef FT_ANALYSIS_COMPARE_H
#define FT_ANALYSIS_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CMP_ERRBUF 256
#define CMP_KEY_MAX 96

/* Noise bounds of the definition above. */
#define CMP_SHARE_MIN_MORE 1.0	/* connections above the prediction */
#define CMP_SHARE_REL_MORE 0.10 /* and this share above it */
#define CMP_P90_RATIO 1.25	/* p90 above BEFORE's times this */
#define CMP_P90_MIN_MORE_S 1.0	/* and at least this many seconds above */

enum cmp_kind { CMP_SERVICE = 0, CMP_PROCESS };

/* What one report says about one service (server ip:port) or process. */
struct cmp_stats {
	char key[CMP_KEY_MAX]; /* "10.77.0.2:9100", or the process name */
	enum cmp_kind kind;
	uint64_t flows;
	uint64_t never_closed;
	uint64_t late_close;
	uint64_t cw_count;	   /* close-waits measured; 0: no percentiles */
	double p50, p90, p99, max; /* close-wait, seconds */
	uint64_t peak;		   /* most sockets in CLOSE_WAIT at once */
	double growth;		   /* CLOSE_WAIT sockets per hour */
	uint64_t at_end;	   /* still in CLOSE_WAIT at the end */
};

/* One report, built line by line. */
struct cmp_report {
	char name[256];	  /* the file it came from (for messages) */
	char version[32]; /* the summary's "version", "" before it */
	char mode[16];	  /* read, live, kernel */
	int has_summary;
	uint64_t flows; /* the summary's flows */
	uint64_t lines; /* lines seen */
	struct cmp_stats *g;
	size_t n, cap;
};

/* An empty report named name (borrowed, copied). */
void cmp_report_init(struct cmp_report *r, const char *name);

/* Free what r holds; r may then be initialised again. */
void cmp_report_free(struct cmp_report *r);

/*
 * Take one line (without its newline; empty lines are skipped). Returns
 * 0, or -EINVAL with "line N: cause" in err (CMP_ERRBUF) when it is not
 * a JSON object with a "type", or a service/process/summary record lacks
 * a field, or -ENOMEM.
 */
int cmp_report_line(struct cmp_report *r, const char *line, size_t len,
		    char *err);

/*
 * After the last line: check that a summary was seen and that its
 * version has the same major.minor as version (this fintrace's). Returns
 * 0, or -EINVAL with the cause in err.
 */
int cmp_report_finish(const struct cmp_report *r, const char *version,
		      char *err);

enum cmp_verdict {
	CMP_WORSE = 0,
	CMP_STILL_LEAKING,
	CMP_NEW,
	CMP_FIXED,
	CMP_GONE,
	CMP_NO_LEAK,
	CMP__VERDICTS,
};

/* "worse", "still leaking", "new", "fixed", "gone", "no leak". */
const char *cmp_verdict_name(enum cmp_verdict v);

struct cmp_row {
	const struct cmp_stats *before; /* borrowed; NULL: new */
	const struct cmp_stats *after;	/* borrowed; NULL: gone */
	enum cmp_verdict verdict;
	char why[160]; /* what made it worse, or "" */
};

struct cmp_result {
	const char *before_name; /* borrowed */
	const char *after_name;
	struct cmp_row *rows; /* worst verdict first, then by key */
	size_t n;
	uint64_t counts[CMP__VERDICTS];
};

/*
 * Compare before with after (both borrowed: they must outlive res).
 * Returns 0 or -ENOMEM. Free with cmp_result_free().
 */
int cmp_diff(const struct cmp_report *before, const struct cmp_report *after,
	     struct cmp_result *res);

void cmp_result_free(struct cmp_result *res);

/* 1 when some service is worse after: fintrace compare exits 3. */
int cmp_worse(const struct cmp_result *res);

/* "10.77.0.2:9100: 28 of 90 never closed before, 0 of 95 after: fixed" */
void cmp_verdict_line(char *buf, size_t n, const struct cmp_row *row);

/*
 * Writers. Each returns 0, or -EIO when a write to f failed. Text: one
 * verdict line per service and its numbers; JSON Lines: one
 * {"type":"compare",...} per service and a {"type":"compare-summary"};
 * HTML: one self-contained page (no script; every string escaped);
 * command_line may be NULL.
 */
int cmp_write_text(FILE *f, const struct cmp_result *res);
int cmp_write_json(FILE *f, const struct cmp_result *res);
int cmp_write_html(FILE *f, const struct cmp_result *res,
		   const char *command_line);

#endif /* FT_ANALYSIS_COMPARE_H */
