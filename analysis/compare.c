/* SPDX-License-Identifier: MIT */
/*
 * fintrace compare: reading two JSON Lines reports, one verdict per
 * service, and the writers; see compare.h.
 */
#include "analysis/compare.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/html.h"
#include "analysis/json.h"
#include "analysis/report.h"

static const char *const verdict_names[CMP__VERDICTS] = {
	[CMP_WORSE] = "worse", [CMP_STILL_LEAKING] = "still leaking",
	[CMP_NEW] = "new",     [CMP_FIXED] = "fixed",
	[CMP_GONE] = "gone",   [CMP_NO_LEAK] = "no leak",
};

const char *cmp_verdict_name(enum cmp_verdict v)
{
	return (unsigned)v < CMP__VERDICTS ? verdict_names[v] : "?";
}

void cmp_report_init(struct cmp_report *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
}

void cmp_report_free(struct cmp_report *r)
{
	free(r->g);
	r->g = NULL;
	r->n = r->cap = 0;
}

static int bad(char *err, const struct cmp_report *r, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, CMP_ERRBUF, "line %" PRIu64 ": ", r->lines);

	va_start(ap, fmt);
	if (k > 0 && k < CMP_ERRBUF)
		vsnprintf(err + k, CMP_ERRBUF - (size_t)k, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A count: a non-negative integral number. */
static int count_of(const struct json_value *v, uint64_t *out)
{
	double d;

	if (json_num(v, &d) || d < 0 || d > 9007199254740992.0 || d != floor(d))
		return -EINVAL;
	*out = (uint64_t)d;
	return 0;
}

/* A duration or rate in seconds: any finite number. */
static int secs_of(const struct json_value *v, double *out)
{
	return json_num(v, out);
}

static struct cmp_stats *group_of(struct cmp_report *r, const char *key,
				  enum cmp_kind kind, int *fresh)
{
	struct cmp_stats *g;

	for (size_t i = 0; i < r->n; i++)
		if (r->g[i].kind == kind && !strcmp(r->g[i].key, key)) {
			*fresh = 0;
			return &r->g[i];
		}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct cmp_stats *ng = realloc(r->g, cap * sizeof(*ng));

		if (!ng)
			return NULL;
		r->g = ng;
		r->cap = cap;
	}
	g = &r->g[r->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->key, sizeof(g->key), "%s", key);
	g->kind = kind;
	*fresh = 1;
	return g;
}

/*
 * The numbers of a service or process record into s. Returns 0, or
 * -EINVAL naming the missing field in err.
 */
static int read_stats(const struct cmp_report *r, const struct json_value *o,
		      struct cmp_stats *s, char *err)
{
	const struct json_value *vd = json_get(o, "verdicts");
	const struct json_value *cw = json_get(o, "close_wait");
	const struct json_value *gr;

	if (count_of(json_get(o, "flows"), &s->flows))
		return bad(err, r, "no \"flows\" count");
	if (count_of(json_get(vd, "never-closed"), &s->never_closed) ||
	    count_of(json_get(vd, "late-close"), &s->late_close))
		return bad(err, r,
			   "no \"verdicts\" with never-closed and "
			   "late-close counts");
	if (count_of(json_get(cw, "count"), &s->cw_count))
		return bad(err, r, "no \"close_wait\" count");
	if (s->cw_count && (secs_of(json_get(cw, "p50"), &s->p50) ||
			    secs_of(json_get(cw, "p90"), &s->p90) ||
			    secs_of(json_get(cw, "p99"), &s->p99) ||
			    secs_of(json_get(cw, "max"), &s->max)))
		return bad(err, r, "\"close_wait\" lacks p50, p90, p99 or max");
	if (count_of(json_get(o, "peak_close_wait"), &s->peak))
		return bad(err, r, "no \"peak_close_wait\" count");
	if (count_of(json_get(o, "in_close_wait_at_end"), &s->at_end))
		return bad(err, r, "no \"in_close_wait_at_end\" count");
	/* null: too short a capture for a rate of growth (NAN: unknown) */
	gr = json_get(o, "growth_per_hour");
	if (gr && gr->type == JSON_NULL)
		s->growth = NAN;
	else if (secs_of(gr, &s->growth))
		return bad(err, r, "no \"growth_per_hour\"");
	return 0;
}

/*
 * Processes are matched by name (a fixed program restarts with another
 * pid): records of one name add up; percentiles and peaks, which do
 * not, keep the highest (an upper bound for the comparison).
 */
static void merge_stats(struct cmp_stats *g, const struct cmp_stats *s)
{
	g->flows += s->flows;
	g->never_closed += s->never_closed;
	g->late_close += s->late_close;
	g->at_end += s->at_end;
	g->growth += s->growth;
	g->peak += s->peak;
	if (s->cw_count) {
		g->p50 = g->cw_count ? fmax(g->p50, s->p50) : s->p50;
		g->p90 = g->cw_count ? fmax(g->p90, s->p90) : s->p90;
		g->p99 = g->cw_count ? fmax(g->p99, s->p99) : s->p99;
		g->max = g->cw_count ? fmax(g->max, s->max) : s->max;
		g->cw_count += s->cw_count;
	}
}

static int take_group(struct cmp_report *r, const struct json_value *o,
		      enum cmp_kind kind, char *err)
{
	struct cmp_stats s = {0}, *g;
	const char *key;
	char buf[CMP_KEY_MAX];
	int fresh, rc;

	if (kind == CMP_SERVICE) {
		const char *side = json_str(json_get(o, "side"));

		if (!side)
			return bad(err, r, "service record without \"side\"");
		if (strcmp(side, "server"))
			return 0; /* client hosts: not a service */
		key = json_str(json_get(o, "service"));
		if (!key || !*key)
			return bad(err, r,
				   "service record without "
				   "\"service\"");
	} else {
		key = json_str(json_get(o, "comm"));
		if (!key) {
			snprintf(buf, sizeof(buf), "(unknown process)");
			key = buf;
		}
	}
	if (strlen(key) >= CMP_KEY_MAX)
		return bad(err, r, "name longer than %d bytes",
			   CMP_KEY_MAX - 1);
	rc = read_stats(r, o, &s, err);
	if (rc)
		return rc;
	g = group_of(r, key, kind, &fresh);
	if (!g)
		return -ENOMEM;
	if (fresh) {
		s.kind = kind;
		memcpy(s.key, g->key, sizeof(s.key));
		*g = s;
	} else if (kind == CMP_PROCESS) {
		merge_stats(g, &s);
	} else {
		return bad(err, r, "service %s twice", key);
	}
	return 0;
}

static int take_summary(struct cmp_report *r, const struct json_value *o,
			char *err)
{
	const char *v = json_str(json_get(o, "version"));
	const char *m = json_str(json_get(o, "mode"));

	if (r->has_summary)
		return bad(err, r, "a second summary record");
	if (!v)
		return bad(err, r, "summary without a \"version\"");
	snprintf(r->version, sizeof(r->version), "%s", v);
	snprintf(r->mode, sizeof(r->mode), "%s", m ? m : "");
	if (count_of(json_get(o, "flows"), &r->flows))
		r->flows = 0;
	r->has_summary = 1;
	return 0;
}

int cmp_report_line(struct cmp_report *r, const char *line, size_t len,
		    char *err)
{
	static const char flow_head[] = "{\"type\":\"flow\",";
	char jerr[JSON_ERRBUF];
	struct json_doc *d;
	const struct json_value *o;
	const char *type;
	int rc = 0;

	r->lines++;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	/* Flow records are most of a report and say nothing new here. */
	if (len >= sizeof(flow_head) - 1 &&
	    !memcmp(line, flow_head, sizeof(flow_head) - 1))
		return 0;
	d = json_parse(line, len, jerr);
	if (!d)
		return errno == ENOMEM ? -ENOMEM
				       : bad(err, r, "not JSON (%s)", jerr);
	o = json_root(d);
	type = json_str(json_get(o, "type"));
	if (!type)
		rc = bad(err, r, "not a JSON object with a \"type\"");
	else if (r->has_summary)
		rc = bad(err, r, "a record after the summary");
	else if (!strcmp(type, "service"))
		rc = take_group(r, o, CMP_SERVICE, err);
	else if (!strcmp(type, "process"))
		rc = take_group(r, o, CMP_PROCESS, err);
	else if (!strcmp(type, "summary"))
		rc = take_summary(r, o, err);
	json_free(d);
	return rc;
}

/* Length of "MAJOR.MINOR" at the start of v, or 0. */
static size_t major_minor(const char *v)
{
	const char *p = v;

	for (int part = 0; part < 2; part++) {
		if (part && *p++ != '.')
			return 0;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p && *p != '.' ? 0 : (size_t)(p - v);
}

int cmp_report_finish(const struct cmp_report *r, const char *version,
		      char *err)
{
	size_t a, b;

	if (!r->has_summary) {
		snprintf(err, CMP_ERRBUF,
			 "no summary record: not a complete fintrace JSON "
			 "report (fintrace %s writes one last)",
			 version);
		return -EINVAL;
	}
	a = major_minor(r->version);
	b = major_minor(version);
	if (!a || a != b || strncmp(r->version, version, a)) {
		snprintf(err, CMP_ERRBUF,
			 "written by fintrace %s, whose report schema may "
			 "differ from this fintrace %s (major.minor must "
			 "match); run this fintrace on the capture instead",
			 r->version, version);
		return -EINVAL;
	}
	return 0;
}

/* Share rule: after has more per connection than before predicts. */
static int more_per_conn(uint64_t nb, uint64_t fb, uint64_t na, uint64_t fa,
			 double *expect)
{
	double e = fb ? (double)nb * (double)fa / (double)fb : 0;

	*expect = e;
	return (double)na >= e + CMP_SHARE_MIN_MORE &&
	       (double)na >= e * (1 + CMP_SHARE_REL_MORE);
}

static enum cmp_verdict judge(const struct cmp_stats *b,
			      const struct cmp_stats *a, char *why, size_t n)
{
	const struct {
		uint64_t before, after;
		const char *what;
	} shares[] = {
		{b->never_closed, a->never_closed, "never closed"},
		{b->late_close, a->late_close, "closed late"},
	};
	double e;
	double pb = b->cw_count ? b->p90 : 0, pa = a->cw_count ? a->p90 : 0;

	why[0] = '\0';
	for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++) {
		if (!more_per_conn(shares[i].before, b->flows, shares[i].after,
				   a->flows, &e))
			continue;
		snprintf(why, n,
			 "%" PRIu64 " %s where %.1f were expected from before",
			 shares[i].after, shares[i].what, e);
		return CMP_WORSE;
	}
	if (a->cw_count && pa > pb * CMP_P90_RATIO &&
	    pa - pb >= CMP_P90_MIN_MORE_S) {
		snprintf(why, n, "close-wait p90 %.3fs, was %.3fs", pa, pb);
		return CMP_WORSE;
	}
	if (a->never_closed || a->late_close)
		return CMP_STILL_LEAKING;
	if (b->never_closed || b->late_close)
		return CMP_FIXED;
	return CMP_NO_LEAK;
}

static int row_cmp(const void *x, const void *y)
{
	const struct cmp_row *a = x, *b = y;
	const struct cmp_stats *sa = a->after ? a->after : a->before;
	const struct cmp_stats *sb = b->after ? b->after : b->before;

	if (a->verdict != b->verdict)
		return (int)a->verdict - (int)b->verdict;
	if (sa->kind != sb->kind)
		return (int)sa->kind - (int)sb->kind;
	return strcmp(sa->key, sb->key);
}

static const struct cmp_stats *find(const struct cmp_report *r,
				    const struct cmp_stats *s)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->g[i].kind == s->kind && !strcmp(r->g[i].key, s->key))
			return &r->g[i];
	return NULL;
}

int cmp_diff(const struct cmp_report *before, const struct cmp_report *after,
	     struct cmp_result *res)
{
	size_t n = 0;

	memset(res, 0, sizeof(*res));
	res->before_name = before->name;
	res->after_name = after->name;
	if (before->n + after->n) {
		res->rows = calloc(before->n + after->n, sizeof(*res->rows));
		if (!res->rows)
			return -ENOMEM;
	}
	for (size_t i = 0; i < before->n; i++) {
		struct cmp_row *row = &res->rows[n++];

		row->before = &before->g[i];
		row->after = find(after, row->before);
		row->verdict = row->after ? judge(row->before, row->after,
						  row->why, sizeof(row->why))
					  : CMP_GONE;
	}
	for (size_t i = 0; i < after->n; i++) {
		if (find(before, &after->g[i]))
			continue;
		res->rows[n].after = &after->g[i];
		res->rows[n++].verdict = CMP_NEW;
	}
	res->n = n;
	if (n)
		qsort(res->rows, n, sizeof(*res->rows), row_cmp);
	for (size_t i = 0; i < n; i++)
		res->counts[res->rows[i].verdict]++;
	return 0;
}

void cmp_result_free(struct cmp_result *res)
{
	free(res->rows);
	res->rows = NULL;
	res->n = 0;
}

int cmp_worse(const struct cmp_result *res)
{
	return res->counts[CMP_WORSE] > 0;
}

static const char *row_key(const struct cmp_row *row)
{
	return (row->after ? row->after : row->before)->key;
}

void cmp_verdict_line(char *buf, size_t n, const struct cmp_row *row)
{
	const struct cmp_stats *b = row->before, *a = row->after;
	const char *v = cmp_verdict_name(row->verdict);

	if (!b)
		snprintf(buf, n,
			 "%s: %" PRIu64 " of %" PRIu64
			 " never closed after, not seen before: %s",
			 a->key, a->never_closed, a->flows, v);
	else if (!a)
		snprintf(buf, n,
			 "%s: %" PRIu64 " of %" PRIu64
			 " never closed before, not seen after: %s",
			 b->key, b->never_closed, b->flows, v);
	else
		snprintf(buf, n,
			 "%s: %" PRIu64 " of %" PRIu64
			 " never closed before, %" PRIu64 " of %" PRIu64
			 " after: %s%s%s",
			 b->key, b->never_closed, b->flows, a->never_closed,
			 a->flows, v, row->why[0] ? " (" : "",
			 row->why[0] ? row->why : "");
	if (row->why[0] && strlen(buf) + 2 <= n)
		strcat(buf, ")");
}

/* The rows of the per-service table: a count, a time or a rate. */
enum metric_kind { M_COUNT, M_SECS, M_RATE };

static const struct metric {
	const char *name;
	enum metric_kind kind;
	size_t off; /* in struct cmp_stats */
} metrics[] = {
	{"connections", M_COUNT, offsetof(struct cmp_stats, flows)},
	{"never-closed", M_COUNT, offsetof(struct cmp_stats, never_closed)},
	{"late-close", M_COUNT, offsetof(struct cmp_stats, late_close)},
	{"close-wait p50", M_SECS, offsetof(struct cmp_stats, p50)},
	{"close-wait p90", M_SECS, offsetof(struct cmp_stats, p90)},
	{"close-wait p99", M_SECS, offsetof(struct cmp_stats, p99)},
	{"close-wait max", M_SECS, offsetof(struct cmp_stats, max)},
	{"peak in CLOSE_WAIT", M_COUNT, offsetof(struct cmp_stats, peak)},
	{"in CLOSE_WAIT at end", M_COUNT, offsetof(struct cmp_stats, at_end)},
	{"growth per hour", M_RATE, offsetof(struct cmp_stats, growth)},
};

#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

/* One side's value of metric m as text: "-" when it has none. */
static void metric(char *buf, size_t n, const struct cmp_stats *s,
		   const struct metric *m)
{
	const char *p;
	uint64_t u;
	double d;

	if (!s || (m->kind == M_SECS && !s->cw_count)) {
		snprintf(buf, n, "-");
		return;
	}
	p = (const char *)s + m->off;
	if (m->kind == M_COUNT) {
		memcpy(&u, p, sizeof(u));
		snprintf(buf, n, "%" PRIu64, u);
		return;
	}
	memcpy(&d, p, sizeof(d));
	if (isnan(d))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, m->kind == M_SECS ? "%.3fs" : "%.1f", d);
}

static void count_line(FILE *f, const struct cmp_result *res)
{
	int first = 1;

	for (int v = 0; v < CMP__VERDICTS; v++) {
		if (!res->counts[v])
			continue;
		fprintf(f, "%s%" PRIu64 " %s", first ? "" : ", ",
			res->counts[v], cmp_verdict_name(v));
		first = 0;
	}
	if (first)
		fputs("no services in either report", f);
}

int cmp_write_text(FILE *f, const struct cmp_result *res)
{
	char line[512], vb[32], va[32];

	fprintf(f, "before: %s\nafter:  %s\n", res->before_name,
		res->after_name);
	for (size_t i = 0; i < res->n; i++) {
		const struct cmp_row *row = &res->rows[i];

		cmp_verdict_line(line, sizeof(line), row);
		fprintf(f, "\n%s%s\n",
			(row->after ? row->after : row->before)->kind ==
					CMP_PROCESS
				? "process "
				: "",
			line);
		fprintf(f, "  %-22s %12s %12s\n", "", "before", "after");
		for (size_t m = 0; m < NMETRICS; m++) {
			metric(vb, sizeof(vb), row->before, &metrics[m]);
			metric(va, sizeof(va), row->after, &metrics[m]);
			fprintf(f, "  %-22s %12s %12s\n", metrics[m].name, vb,
				va);
		}
	}
	fputs("\n", f);
	count_line(f, res);
	fputs(cmp_worse(res) ? ": AFTER is worse\n" : "\n", f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

static void json_side(FILE *f, const struct cmp_stats *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fprintf(f,
		"{\"flows\":%" PRIu64 ",\"never_closed\":%" PRIu64
		",\"late_close\":%" PRIu64
		",\"close_wait\":{\"count\":%" PRIu64,
		s->flows, s->never_closed, s->late_close, s->cw_count);
	if (s->cw_count)
		fprintf(f,
			",\"p50\":%.9f,\"p90\":%.9f,\"p99\":%.9f,\"max\":%.9f",
			s->p50, s->p90, s->p99, s->max);
	fprintf(f,
		"},\"peak_close_wait\":%" PRIu64
		",\"in_close_wait_at_end\":%" PRIu64 ",\"growth_per_hour\":",
		s->peak, s->at_end);
	if (isnan(s->growth))
		fputs("null}", f);
	else
		fprintf(f, "%.1f}", s->growth);
}

int cmp_write_json(FILE *f, const struct cmp_result *res)
{
	char line[512];

	for (size_t i = 0; i < res->n; i++) {
		const struct cmp_row *row = &res->rows[i];
		const struct cmp_stats *s =
			row->after ? row->after : row->before;

		fprintf(f, "{\"type\":\"compare\",\"kind\":\"%s\",\"%s\":",
			s->kind == CMP_PROCESS ? "process" : "service",
			s->kind == CMP_PROCESS ? "comm" : "service");
		rpt_json_string(f, s->key);
		fprintf(f, ",\"verdict\":\"%s\",\"why\":",
			cmp_verdict_name(row->verdict));
		if (row->why[0])
			rpt_json_string(f, row->why);
		else
			fputs("null", f);
		cmp_verdict_line(line, sizeof(line), row);
		fputs(",\"line\":", f);
		rpt_json_string(f, line);
		fputs(",\"before\":", f);
		json_side(f, row->before);
		fputs(",\"after\":", f);
		json_side(f, row->after);
		fputs("}\n", f);
	}
	fputs("{\"type\":\"compare-summary\",\"version\":\"" FT_VERSION
	      "\",\"before\":",
	      f);
	rpt_json_string(f, res->before_name);
	fputs(",\"after\":", f);
	rpt_json_string(f, res->after_name);
	fputs(",\"verdicts\":{", f);
	for (int v = 0; v < CMP__VERDICTS; v++)
		fprintf(f, "%s\"%s\":%" PRIu64, v ? "," : "",
			cmp_verdict_name(v), res->counts[v]);
	fprintf(f, "},\"worse\":%s}\n", cmp_worse(res) ? "true" : "false");
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

static const char html_style[] =
	"<style>\n"
	"body{margin:0 auto;max-width:1100px;padding:20px 24px 48px;"
	"font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,"
	"Arial,sans-serif;color:#1f2328}\n"
	"h1{font-size:22px}h2{font-size:17px;margin:28px 0 8px}\n"
	"table{border-collapse:collapse;font-size:14px}\n"
	"th,td{text-align:right;padding:4px 10px;border-bottom:1px solid "
	"#d0d7de;font-variant-numeric:tabular-nums}\n"
	"th{background:#f6f8fa}td.m,th.m{text-align:left}\n"
	"p.verdict{font-weight:600}\n"
	".v-worse{color:#c62828}.v-still-leaking{color:#ef6c00}"
	".v-fixed{color:#2e7d32}.v-new,.v-gone,.v-no-leak{color:#57606a}\n"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px}"
	"dt{color:#57606a}dd{margin:0}\n"
	".note{color:#57606a;font-size:13px}\n"
	"</style>\n";

/* "still leaking" as a class name: "still-leaking". */
static void verdict_class(char *buf, size_t n, enum cmp_verdict v)
{
	snprintf(buf, n, "v-%s", cmp_verdict_name(v));
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			*p = '-';
}

int cmp_write_html(FILE *f, const struct cmp_result *res,
		   const char *command_line)
{
	char line[512], vb[32], va[32], cls[32];

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"generator\" content=\"fintrace " FT_VERSION
	      "\">\n<title>fintrace compare</title>\n",
	      f);
	fputs(html_style, f);
	fputs("</head>\n<body>\n<h1 id=\"headline\" data-worse=\"", f);
	fprintf(f, "%d\">", cmp_worse(res));
	count_line(f, res);
	fputs(cmp_worse(res) ? ": AFTER is worse" : "", f);
	fputs("</h1>\n<dl>\n<dt>before</dt><dd id=\"before\">", f);
	html_escape(f, res->before_name);
	fputs("</dd>\n<dt>after</dt><dd id=\"after\">", f);
	html_escape(f, res->after_name);
	fputs("</dd>\n", f);
	if (command_line) {
		fputs("<dt>command</dt><dd><code>", f);
		html_escape(f, command_line);
		fputs("</code></dd>\n", f);
	}
	fputs("<dt>fintrace</dt><dd>" FT_VERSION "</dd>\n</dl>\n", f);
	for (size_t i = 0; i < res->n; i++) {
		const struct cmp_row *row = &res->rows[i];

		verdict_class(cls, sizeof(cls), row->verdict);
		fputs("<section class=\"service\" data-key=\"", f);
		html_escape(f, row_key(row));
		fprintf(f, "\" data-verdict=\"%s\">\n<h2>",
			cmp_verdict_name(row->verdict));
		html_escape(f, row_key(row));
		cmp_verdict_line(line, sizeof(line), row);
		fprintf(f, "</h2>\n<p class=\"verdict %s\">", cls);
		html_escape(f, line);
		fputs("</p>\n<table>\n<tr><th class=\"m\"></th><th>before</th>"
		      "<th>after</th></tr>\n",
		      f);
		for (size_t m = 0; m < NMETRICS; m++) {
			metric(vb, sizeof(vb), row->before, &metrics[m]);
			metric(va, sizeof(va), row->after, &metrics[m]);
			fprintf(f,
				"<tr><td class=\"m\">%s</td><td>%s</td>"
				"<td>%s</td></tr>\n",
				metrics[m].name, vb, va);
		}
		fputs("</table>\n</section>\n", f);
	}
	fputs("<p class=\"note\">AFTER is worse for a service when it has "
	      "more never-closed (or late-close) connections per connection "
	      "than BEFORE (at least one, and 10%, more than BEFORE's share "
	      "predicts), or a close-wait p90 above 1.25 times BEFORE's and "
	      "at least 1 s higher.</p>\n</body>\n</html>\n",
	      f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
