/* SPDX-License-Identifier: MIT */
/*
 * The HTML report; see html.h. Charts are SVG written here from the
 * report's view: a step line per service for the CLOSE_WAIT timeline, a
 * stacked bar per close-wait range for the histogram.
 */
#include "analysis/html.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "analysis/states.h"
#include "analysis/timewait.h"

#define NS ((uint64_t)1000000000)
#define MAX_SERIES 8

static const char *const series_colour[MAX_SERIES] = {
	"#c62828", "#1565c0", "#6a1b9a", "#00838f",
	"#ef6c00", "#2e7d32", "#ad1457", "#4e342e",
};

static const struct {
	const char *label;
	const char *css;
	const char *attr;
} cw_class[RPT_CW__CLASSES] = {
	[RPT_CW_IN_TIME] = {"closed within the threshold", "ok", "in-time"},
	[RPT_CW_LATE] = {"closed late", "late", "late"},
	[RPT_CW_NEVER] = {"never closed (still in CLOSE_WAIT at the end)",
			  "never", "never"},
	[RPT_CW_OTHER] = {"reset or other", "other", "other"},
};

static const char *const bin_label[RPT_HIST_BINS] = {
	"<1ms", "1-10ms", "10-100ms",  "0.1-0.5s", "0.5-1s",
	"1-2s", "2-5s",	  "5-10s",     "10-30s",   "30s-1m",
	"1-5m", "5-30m",  "\u226530m", /* U+2265 (greater or equal), then "30m"
					*/
};

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static int utf8_len(const unsigned char *p)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

void html_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		int n;

		switch (*p) {
		case '&':
			fputs("&amp;", f);
			p++;
			continue;
		case '<':
			fputs("&lt;", f);
			p++;
			continue;
		case '>':
			fputs("&gt;", f);
			p++;
			continue;
		case '"':
			fputs("&quot;", f);
			p++;
			continue;
		case '\'':
			fputs("&#39;", f);
			p++;
			continue;
		default:
			break;
		}
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
			fputs("&#xFFFD;", f);
			p++;
			continue;
		}
		/* utf8_len stops at the NUL: p[1..3] are read only when the
		 * bytes before them are continuation bytes, never past it. */
		n = utf8_len(p);
		if (!n) {
			fputs("&#xFFFD;", f);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n, f);
		p += n;
	}
}

/* Seconds with nine decimals, as the JSON output writes them. */
static const char *secs(char *buf, size_t n, uint64_t ns)
{
	snprintf(buf, n, "%" PRIu64 ".%09" PRIu64, ns / NS, ns % NS);
	return buf;
}

static const char *dur(char *buf, size_t n, uint64_t ns)
{
	return rpt_fmt_duration(buf, n, ns);
}

/* A round step of about range/target: 1, 2 or 5 times a power of ten. */
static double nice_step(double range, int target)
{
	double raw = range / target, mag, norm;

	if (raw <= 0)
		return 1;
	mag = pow(10, floor(log10(raw)));
	norm = raw / mag;
	if (norm <= 1)
		return mag;
	if (norm <= 2)
		return 2 * mag;
	if (norm <= 5)
		return 5 * mag;
	return 10 * mag;
}

/* "12s", "1.5s", "250ms", "2m" for an axis label in seconds. */
static const char *axis_secs(char *buf, size_t n, double s)
{
	if (s == 0)
		snprintf(buf, n, "0");
	else if (s < 1)
		snprintf(buf, n, "%gms", s * 1000);
	else if (s < 120)
		snprintf(buf, n, "%gs", s);
	else if (s < 7200)
		snprintf(buf, n, "%gm", s / 60);
	else
		snprintf(buf, n, "%gh", s / 3600);
	return buf;
}

static const char style[] =
	"<style>\n"
	":root{--bad:#c62828;--late:#ef6c00;--ok:#2e7d32;--other:#757575;"
	"--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
	"Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:#fff}\n"
	"main{max-width:1180px;margin:0 auto;padding:0 24px 48px}\n"
	"header.top{padding:28px 24px 20px;background:var(--bg);"
	"border-bottom:1px solid var(--line)}\n"
	"header.top>div{max-width:1180px;margin:0 auto}\n"
	".brand{font-weight:600;color:var(--muted);letter-spacing:.04em;"
	"text-transform:uppercase;font-size:12px}\n"
	"h1{font-size:22px;margin:6px 0 14px;line-height:1.3}\n"
	"h1.leak{color:var(--bad)}h1.noleak{color:var(--ok)}\n"
	"h2{font-size:18px;margin:36px 0 10px;padding-bottom:6px;"
	"border-bottom:1px solid var(--line)}\n"
	"h3{font-size:15px;margin:20px 0 6px}\n"
	"ul.tiles{list-style:none;display:flex;flex-wrap:wrap;gap:10px;"
	"padding:0;margin:0}\n"
	"ul.tiles li{background:#fff;border:1px solid var(--line);"
	"border-radius:6px;padding:8px 14px;min-width:120px}\n"
	"ul.tiles b{display:block;font-size:24px;line-height:1.1}\n"
	"li.never b{color:var(--bad)}li.late b{color:var(--late)}"
	"li.ok b{color:var(--ok)}\n"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;"
	"gap:4px 18px;margin:0}\n"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}\n"
	"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
	"monospace;font-size:13px}\n"
	"code.filter{display:block;white-space:pre-wrap;word-break:break-all;"
	"background:var(--bg);padding:3px 6px;border-radius:4px;"
	"user-select:all}\n"
	".scroll{overflow-x:auto}\n"
	"table{border-collapse:collapse;width:100%;font-size:14px}\n"
	"th,td{text-align:left;padding:5px 6px;border-bottom:1px solid "
	"var(--line);vertical-align:top}\n"
	"th{background:var(--bg);font-weight:600}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.leak td.name{color:var(--bad);font-weight:600}\n"
	"td.n{white-space:nowrap}\n"
	"td.name .note{font-family:system-ui,sans-serif;font-weight:400}\n"
	"span.v-never-closed{color:var(--bad);font-weight:600}"
	"span.v-late-close{color:var(--late);font-weight:600}\n"
	".note{color:var(--muted);font-size:13px}\n"
	"#timewait p.verdict{color:var(--late);font-weight:600}\n"
	".legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px;"
	"margin:6px 0}\n"
	".legend i{display:inline-block;width:12px;height:12px;"
	"border-radius:2px;margin-right:6px;vertical-align:-1px}\n"
	"svg text{font:12px system-ui,sans-serif;fill:#57606a}\n"
	"svg .axis{stroke:#8c959f;stroke-width:1}"
	"svg .grid{stroke:#eaeef2;stroke-width:1}\n"
	".c-ok{fill:var(--ok)}.c-late{fill:var(--late)}"
	".c-never{fill:var(--bad)}.c-other{fill:var(--other)}\n"
	".explain p{max-width:860px}\n"
	"footer{max-width:1180px;margin:40px auto 0;padding:14px 24px;"
	"border-top:1px solid var(--line);color:var(--muted);font-size:13px}\n"
	"@media print{header.top{background:none}}\n"
	"</style>\n";

static void tile(FILE *f, const char *id, const char *cls, const char *verdict,
		 uint64_t n, const char *label)
{
	fprintf(f, "<li class=\"%s\" id=\"%s\"", cls, id);
	if (verdict)
		fprintf(f, " data-verdict=\"%s\"", verdict);
	fprintf(f, " data-count=\"%" PRIu64 "\"><b>%" PRIu64 "</b>%s</li>\n", n,
		n, label);
}

static void header(FILE *f, const struct rpt_view *v)
{
	int leak = v->verdicts[VD_NEVER_CLOSED] || v->verdicts[VD_LATE_CLOSE];
	char id[64];

	fputs("<header class=\"top\"><div>\n"
	      "<div class=\"brand\">fintrace report</div>\n",
	      f);
	fprintf(f, "<h1 id=\"headline\" class=\"%s\" data-leak=\"%d\"%s>",
		leak ? "leak" : "noleak", leak,
		v->no_match ? " data-no-match=\"1\"" : "");
	html_escape(f, v->headline);
	fputs("</h1>\n<ul class=\"tiles\" id=\"verdict-counts\">\n", f);
	tile(f, "count-flows", "", NULL, v->flows,
	     !strcmp(v->mode, "kernel") ? "TCP sockets" : "TCP flows");
	tile(f, "count-never-closed", "never", "never-closed",
	     v->verdicts[VD_NEVER_CLOSED], "never closed");
	tile(f, "count-late-close", "late", "late-close",
	     v->verdicts[VD_LATE_CLOSE], "closed late");
	tile(f, "count-clean", "ok", "clean", v->verdicts[VD_CLEAN], "clean");
	for (int i = 0; i < VD__COUNT; i++) {
		if (i == VD_NEVER_CLOSED || i == VD_LATE_CLOSE ||
		    i == VD_CLEAN || !v->verdicts[i])
			continue;
		snprintf(id, sizeof(id), "count-%s", vd_name(i));
		tile(f, id, "", vd_name(i), v->verdicts[i],
		     vd_name(i));
	}
	fputs("</ul>\n</div></header>\n", f);
}

/* What the report looked at: a capture, or the kernel's trace. */
static const char *looked_at(const struct rpt_view *v)
{
	return strcmp(v->mode, "kernel") ? "capture" : "trace";
}

static void fact(FILE *f, const char *id, const char *label)
{
	fprintf(f, "<dt>%s</dt><dd id=\"%s\"", label, id);
}

static void facts(FILE *f, const struct rpt_view *v, const struct html_meta *m)
{
	char a[48], b[48], c[32], d[32];
	int any = 0;

	int kernel = !strcmp(v->mode, "kernel");

	fprintf(f,
		"<section id=\"capture\"><h2>%s</h2>\n<dl class=\"facts\">"
		"\n",
		kernel ? "Trace" : "Capture");

	fact(f, "fact-inputs",
	     kernel			? "Traced" :
	     strcmp(v->mode, "live") ? "Input files" :
				       "Interface");
	fprintf(f, " data-count=\"%zu\">", v->ninputs);
	for (size_t i = 0; i < v->ninputs; i++) {
		const struct html_input *in =
			m && m->inputs && i < m->ninputs ? &m->inputs[i] : NULL;

		fputs("<div class=\"input\"><span class=\"mono name\">", f);
		html_escape(f, strcmp(v->inputs[i], "-") ? v->inputs[i]
							 : "standard input");
		fputs("</span>", f);
		if (in && in->format) {
			fputs(" <span class=\"note\">(", f);
			html_escape(f, in->format);
			fputs(")</span>", f);
		}
		for (size_t k = 0; in && k < in->nnotes; k++) {
			fputs("<div class=\"note capnote\">", f);
			html_escape(f, in->notes[k]);
			fputs("</div>", f);
		}
		fputs("</div>", f);
	}
	fputs("</dd>\n", f);
	fact(f, "fact-mode", "Mode");
	fprintf(f, ">fintrace %s</dd>\n", v->mode);
	fact(f, "fact-time",
	     v->local_time ? "Time range (local time)" : "Time range (UTC)");
	if (v->first_ns) {
		/* the data attributes stay UTC, for machines */
		fprintf(f,
			" data-start=\"%s\" data-end=\"%s\" "
			"data-duration=\"%s\">",
			rpt_fmt_iso(a, sizeof(a), v->first_ns),
			rpt_fmt_iso(b, sizeof(b), v->last_ns),
			secs(c, sizeof(c), v->last_ns - v->first_ns));
		fprintf(f, "%s &ndash; %s (%s)</dd>\n",
			rpt_fmt_time(a, sizeof(a), v->first_ns, v->local_time),
			rpt_fmt_time(b, sizeof(b), v->last_ns, v->local_time),
			dur(d, sizeof(d), v->last_ns - v->first_ns));
	} else {
		fputs(">no packets</dd>\n", f);
	}
	if (kernel) {
		/* no packets: the kernel's own sockets, and its records */
		fact(f, "fact-lost", "Kernel records lost");
		fprintf(f, " data-value=\"%" PRIu64 "\">%" PRIu64,
			v->lost_records, v->lost_records);
		if (v->lost_records)
			fputs(" (a socket whose end was lost counts as open, "
			      "one never seen is missing; the summary's "
			      "lost_ counters say why)",
			      f);
		fputs("</dd>\n", f);
		goto flows;
	}
	fact(f, "fact-packets", "Packets");
	fprintf(f,
		" data-value=\"%" PRIu64 "\" data-tcp=\"%" PRIu64 "\">%" PRIu64
		" frames, %" PRIu64 " TCP segments",
		v->packets, v->tcp_segments, v->packets, v->tcp_segments);
	for (size_t i = 0; i < v->nskipped; i++) {
		if (!v->skipped[i].value)
			continue;
		fprintf(f, "%s%s %" PRIu64,
			any ? ", " : "; skipped: ", v->skipped[i].name,
			v->skipped[i].value);
		any = 1;
	}
	if (v->snapped)
		fprintf(f, "; %" PRIu64 " cut by the snap length", v->snapped);
	fputs("</dd>\n", f);
	fact(f, "fact-drops", "Capture drops");
	fprintf(f, " data-value=\"%" PRIu64 "\">%" PRIu64, v->drops, v->drops);
	if (v->drops)
		fprintf(f,
			" (%" PRIu64 " flows marked lossy: a missing FIN or "
			"RST can change their verdict)",
			v->lossy_flows);
	if (v->queue_drops)
		fprintf(f, "; %" PRIu64 " of them by fintrace's capture queue",
			v->queue_drops);
	fputs("</dd>\n", f);
flows:
	fact(f, "fact-flows", kernel ? "Sockets" : "Flows");
	fprintf(f, " data-value=\"%" PRIu64 "\">%" PRIu64, v->flows, v->flows);
	if (v->has_flow_stats)
		fprintf(f,
			" (at most %" PRIu64 " tracked at once, %" PRIu64
			" evicted, %" PRIu64 " 4-tuples reused)",
			v->flow_stats.peak_tracked,
			v->flow_stats.ended[FLOW_END_EVICTED],
			v->flow_stats.ended[FLOW_END_REUSED]);
	fputs("</dd>\n", f);
	fact(f, "fact-linger", "Late-close threshold");
	fprintf(f, " data-value=\"%s\">%s in CLOSE_WAIT (--linger)</dd>\n",
		secs(a, sizeof(a), v->linger_ns),
		dur(b, sizeof(b), v->linger_ns));
	if (v->has_evidence) {
		const struct rpt_evidence *e = &v->evidence;

		fact(f, "fact-evidence", "Evidence capture");
		fprintf(f,
			" data-flows=\"%" PRIu64 "\" data-packets=\"%" PRIu64
			"\" data-cut-flows=\"%" PRIu64 "\">",
			e->flows, e->packets, e->cut_flows);
		for (size_t i = 0; i < e->nfiles; i++) {
			fputs(i ? ", <span class=\"mono\">"
				: "<span class=\"mono\">",
			      f);
			html_escape(f, e->files[i]);
			fputs("</span>", f);
		}
		fprintf(f,
			" (pcap): every packet of %" PRIu64
			" flagged flows, %" PRIu64 " packets",
			e->flows, e->packets);
		if (e->cut_flows)
			fprintf(f,
				"; %" PRIu64 " flagged flows left out: "
				"the buffer was full",
				e->cut_flows);
		if (e->error) {
			fputs("; not complete: ", f);
			html_escape(f, e->error);
		}
		fputs("</dd>\n", f);
	}
	if (v->error[0]) {
		fact(f, "fact-error", "Input error");
		fputs(">The input ended early: ", f);
		html_escape(f, v->error);
		fputs(". What was read before is reported.</dd>\n", f);
	}
	fact(f, "fact-version", "fintrace");
	fputs(">version " FT_VERSION "</dd>\n", f);
	if (m && m->command_line) {
		fact(f, "fact-command", "Command line");
		fputs("><code>", f);
		html_escape(f, m->command_line);
		fputs("</code></dd>\n", f);
	}
	if (m && m->generated) {
		fact(f, "fact-generated", "Report written");
		fputs(">", f);
		html_escape(f, m->generated);
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n</section>\n", f);
}

/* The timeline groups worth drawing: listed in the tables, and some
 * socket was in CLOSE_WAIT. */
static size_t drawn_groups(const struct rpt_view *v, size_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < v->ngroups && n < MAX_SERIES; i++)
		if (v->groups[i].listed && v->groups[i].timeline &&
		    v->groups[i].peak)
			idx[n++] = i;
	return n;
}

static void timeline(FILE *f, const struct rpt_view *v)
{
	const double W = 900, H = 300, L = 50, R = 16, T = 14, B = 40;
	double pw = W - L - R, ph = H - T - B, dursec, ymax = 0, step;
	size_t idx[MAX_SERIES], n = drawn_groups(v, idx), more = 0;
	uint64_t span =
		v->last_ns > v->origin_ns ? v->last_ns - v->origin_ns : 0;
	char a[32];

	fputs("<section id=\"timeline\"><h2>Sockets in CLOSE_WAIT over "
	      "time</h2>\n",
	      f);
	for (size_t i = 0; i < v->ngroups; i++)
		if (v->groups[i].timeline && v->groups[i].peak)
			more++;
	more -= n;
	if (!n) {
		fprintf(f,
			"<p id=\"timeline-empty\">No socket sat in CLOSE_WAIT "
			"during the %s.</p>\n</section>\n",
			looked_at(v));
		return;
	}
	for (size_t k = 0; k < n; k++)
		if ((double)v->groups[idx[k]].peak > ymax)
			ymax = (double)v->groups[idx[k]].peak;
	/* the axis ends with the capture, inside its last bucket; whole
	 * buckets only when that one would not start before the end */
	if (span <= (uint64_t)(v->nbuckets - 1) * v->bucket_ns)
		span = (uint64_t)v->nbuckets * v->bucket_ns;
	dursec = (double)span / 1e9;
	fprintf(f,
		"<p class=\"note\">The most sockets of each service (or "
		"client host) that sat in CLOSE_WAIT at once, per %s of the "
		"%s. A line that only rises is a leak: sockets enter "
		"CLOSE_WAIT and never leave it.</p>\n",
		v->bucket_ns < NS ? axis_secs(a, sizeof(a),
					      (double)v->bucket_ns / 1e9) :
				    dur(a, sizeof(a), v->bucket_ns),
		looked_at(v));
	fprintf(f,
		"<svg id=\"timeline-chart\" viewBox=\"0 0 %.0f %.0f\" "
		"width=\"100%%\" role=\"img\" aria-label=\"sockets in "
		"CLOSE_WAIT over time\" data-series=\"%zu\" "
		"data-bucket=\"%s\" data-buckets=\"%d\">\n",
		W, H, n, secs(a, sizeof(a), v->bucket_ns), v->nbuckets);
	/* y grid and labels */
	step = nice_step(ymax, 5);
	if (step < 1)
		step = 1;
	ymax = ceil(ymax / step) * step;
	for (double y = 0; y <= ymax + 1e-9; y += step) {
		double py = T + ph - ph * y / ymax;

		fprintf(f,
			"<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" "
			"y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n",
			L, L + pw, py, py, L - 6, py + 4, y);
	}
	/* x labels */
	step = nice_step(dursec, 8);
	for (double x = 0; x <= dursec + 1e-9; x += step) {
		double px = L + pw * x / dursec;

		fprintf(f,
			"<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" "
			"y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">%s</text>\n",
			px, px, T + ph, T + ph + 4, px, T + ph + 17,
			axis_secs(a, sizeof(a), x));
	}
	fprintf(f,
		"<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		"y2=\"%.1f\"/><line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" "
		"y1=\"%.1f\" y2=\"%.1f\"/>\n"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time "
		"since %s</text>\n",
		L, L + pw, T + ph, T + ph, L, L, T, T + ph, L + pw / 2, H - 4,
		strcmp(v->mode, "kernel") ? "the first packet"
					  : "the trace began");
	for (size_t k = n; k-- > 0;) {
		const struct rpt_group_view *g = &v->groups[idx[k]];
		int same = 0;

		/* a line under identical ones (a service and its only
		 * process) is drawn wider, so that its colour shows */
		for (size_t j = 0; j < k; j++)
			same += !memcmp(g->timeline, v->groups[idx[j]].timeline,
					(size_t)v->nbuckets *
						sizeof(*g->timeline));
		fputs("<g class=\"series\" data-name=\"", f);
		html_escape(f, g->name);
		fprintf(f,
			"\" data-side=\"%s\" data-peak=\"%" PRIu64
			"\" data-values=\"",
			g->client_side ? "client" : "server", g->peak);
		for (int i = 0; i < v->nbuckets; i++)
			fprintf(f, "%s%" PRIu32, i ? "," : "", g->timeline[i]);
		fprintf(f,
			"\"><polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"%d\" points=\"",
			series_colour[k], 2 + 3 * same);
		for (int i = 0; i < v->nbuckets; i++) {
			double x0 =
				L +
				pw * ((double)i * (double)v->bucket_ns / 1e9) /
					dursec;
			double x1 = L + pw *
						((double)(i + 1) *
						 (double)v->bucket_ns / 1e9) /
						dursec;
			double y = T + ph - ph * g->timeline[i] / ymax;

			if (x1 > L + pw)
				x1 = L + pw;
			fprintf(f, "%.1f,%.1f %.1f,%.1f ", x0, y, x1, y);
		}
		fputs("\"/></g>\n", f);
	}
	fputs("</svg>\n<div class=\"legend\" id=\"timeline-legend\">", f);
	for (size_t k = 0; k < n; k++) {
		const struct rpt_group_view *g = &v->groups[idx[k]];

		fprintf(f, "<span><i style=\"background:%s\"></i>%s ",
			series_colour[k], g->client_side ? "client" : "");
		html_escape(f, g->name);
		fprintf(f, " (peak %" PRIu64 ")</span>", g->peak);
	}
	fputs("</div>\n", f);
	if (more)
		fprintf(f,
			"<p class=\"note\" id=\"timeline-more\">%zu more "
			"services and client hosts had sockets in CLOSE_WAIT: "
			"not drawn (--format json has every timeline).</p>\n",
			more);
	fputs("</section>\n", f);
}

static void histogram(FILE *f, const struct rpt_view *v)
{
	const double W = 900, H = 296, L = 50, R = 16, T = 30, B = 44;
	double pw = W - L - R, ph = H - T - B, bw = pw / RPT_HIST_BINS;
	uint64_t total = 0, ymax = 0;
	double step, top;
	int lbin = 0;

	for (int i = 0; i < RPT_HIST_BINS; i++) {
		uint64_t s = 0;

		for (int c = 0; c < RPT_CW__CLASSES; c++)
			s += v->hist[i][c];
		total += s;
		if (s > ymax)
			ymax = s;
	}
	fputs("<section id=\"histogram\"><h2>How long passive sides stayed "
	      "in CLOSE_WAIT</h2>\n",
	      f);
	if (!total) {
		fputs("<p id=\"histogram-empty\" data-total=\"0\">No passive "
		      "side was seen in CLOSE_WAIT.</p>\n</section>\n",
		      f);
		return;
	}
	fprintf(f,
		"<p class=\"note\">Number of connections per close-wait "
		"time: from the passive side's ACK of its peer's FIN to its "
		"own FIN or RST (or to the end of the %s when it never "
		"closed: those bars are lower bounds).</p>\n",
		looked_at(v));
	fprintf(f,
		"<svg id=\"histogram-chart\" viewBox=\"0 0 %.0f %.0f\" "
		"width=\"100%%\" role=\"img\" aria-label=\"histogram of "
		"close-wait times\" data-total=\"%" PRIu64 "\">\n",
		W, H, total);
	step = nice_step((double)ymax, 5);
	if (step < 1)
		step = 1;
	top = ceil((double)ymax / step) * step;
	for (double y = 0; y <= top + 1e-9; y += step) {
		double py = T + ph - ph * y / top;

		fprintf(f,
			"<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" "
			"y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n",
			L, L + pw, py, py, L - 6, py + 4, y);
	}
	for (int i = 0; i < RPT_HIST_BINS; i++) {
		double x = L + bw * i, y = T + ph;
		uint64_t s = 0;

		for (int c = 0; c < RPT_CW__CLASSES; c++)
			s += v->hist[i][c];
		fprintf(f,
			"<g class=\"bin\" data-bin=\"%d\" data-label=\"%s\" "
			"data-count=\"%" PRIu64 "\"",
			i, bin_label[i], s);
		for (int c = 0; c < RPT_CW__CLASSES; c++)
			fprintf(f, " data-%s=\"%" PRIu64 "\"", cw_class[c].attr,
				v->hist[i][c]);
		fputs(">", f);
		for (int c = 0; c < RPT_CW__CLASSES; c++) {
			double h = ph * (double)v->hist[i][c] / top;

			if (!v->hist[i][c])
				continue;
			y -= h;
			fprintf(f,
				"<rect class=\"c-%s\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\"><title>%s: "
				"%" PRIu64 " %s</title></rect>",
				cw_class[c].css, x + 3, y, bw - 6, h,
				bin_label[i], v->hist[i][c], cw_class[c].label);
		}
		if (s)
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"middle\">%" PRIu64 "</text>",
				x + bw / 2, y - 4, s);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
			"</text></g>\n",
			x + bw / 2, T + ph + 16, bin_label[i]);
	}
	/* The threshold sits at the first bin edge at or above it. */
	while (lbin < RPT_HIST_BINS - 1 && rpt_hist_edges[lbin] < v->linger_ns)
		lbin++;
	if (lbin < RPT_HIST_BINS - 1) {
		double lx = L + bw * (lbin + 1);
		char a[32];

		fprintf(f,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#1f2328\" stroke-dasharray=\"4 3\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">threshold %s%s</text>\n",
			lx, lx, T - 14, T + ph, lx + 4, T - 4,
			rpt_hist_edges[lbin] == v->linger_ns ? "" : "~",
			dur(a, sizeof(a), v->linger_ns));
	}
	fprintf(f,
		"<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		"y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"middle\">close-wait</text>\n</svg>\n",
		L, L + pw, T + ph, T + ph, L + pw / 2, H - 6);
	fputs("<div class=\"legend\">", f);
	for (int c = 0; c < RPT_CW__CLASSES; c++)
		fprintf(f,
			"<span><i class=\"c-%s\" "
			"style=\"background:var(--%s)\">"
			"</i>%s</span>",
			cw_class[c].css,
			c == RPT_CW_NEVER ? "bad" : cw_class[c].css,
			cw_class[c].label);
	fputs("</div>\n</section>\n", f);
}

/* A small sparkline of a group's timeline for the table. */
static void mini_spark(FILE *f, const struct rpt_view *v,
		       const struct rpt_group_view *g)
{
	const double W = 96, H = 22;
	double dx;

	if (!g->timeline || !g->peak || v->nbuckets < 1) {
		fputs("&ndash;", f);
		return;
	}
	dx = W / v->nbuckets;
	fprintf(f,
		"<svg class=\"spark\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" aria-label=\"CLOSE_WAIT over the "
		"%s\"><polyline fill=\"none\" stroke=\"#c62828\" "
		"stroke-width=\"1.5\" points=\"",
		W, H, W, H, looked_at(v));
	for (int i = 0; i < v->nbuckets; i++) {
		double y = H - 2 - (H - 4) * g->timeline[i] / (double)g->peak;

		fprintf(f, "%.1f,%.1f %.1f,%.1f ", dx * i, y, dx * (i + 1), y);
	}
	fputs("\"/></svg>", f);
}

/* One row of the service or client-host table. */
static void group_row(FILE *f, const struct rpt_view *v,
		      const struct rpt_group_view *g)
{
	char a[32], b[32];
	uint64_t named = g->verdicts[VD_NEVER_CLOSED] +
			 g->verdicts[VD_LATE_CLOSE] + g->verdicts[VD_CLEAN] +
			 g->client_leaks;
	/* A service's flows also count those its clients left open
	 * (client_leaks), listed under the client host. */
	uint64_t other = g->flows > named ? g->flows - named : 0;
	int leak = g->verdicts[VD_NEVER_CLOSED] || g->verdicts[VD_LATE_CLOSE];

	fprintf(f, "<tr class=\"group%s\" data-name=\"", leak ? " leak" : "");
	html_escape(f, g->name);
	fprintf(f,
		"\" data-side=\"%s\" data-flows=\"%" PRIu64
		"\" data-never-closed=\"%" PRIu64
		"\" data-late-close=\"%" PRIu64 "\" data-clean=\"%" PRIu64
		"\" data-client-leaks=\"%" PRIu64 "\" data-at-end=\"%" PRIu64
		"\" data-peak=\"%" PRIu64 "\" data-cw-count=\"%" PRIu64 "\"",
		g->process ? "process" : g->client_side ? "client" : "server",
		g->flows,
		g->verdicts[VD_NEVER_CLOSED], g->verdicts[VD_LATE_CLOSE],
		g->verdicts[VD_CLEAN], g->client_leaks, g->at_end, g->peak,
		g->cw_count);
	if (g->cw_count) {
		fprintf(f, " data-p50=\"%s\"", secs(a, sizeof(a), g->p50));
		fprintf(f, " data-p90=\"%s\"", secs(a, sizeof(a), g->p90));
		fprintf(f, " data-p99=\"%s\"", secs(a, sizeof(a), g->p99));
		fprintf(f, " data-max=\"%s\"", secs(a, sizeof(a), g->max));
	}
	fputs("><td class=\"name mono\">", f);
	html_escape(f, g->name);
	if (g->client_side && g->toward[0]) {
		fputs("<div class=\"note\">toward ", f);
		if (g->toward_many)
			fputs("several services, e.g. ", f);
		html_escape(f, g->toward);
		fputs("</div>", f);
	}
	if (!g->client_side && g->client_leaks)
		fprintf(f,
			"<div class=\"note\">+ %" PRIu64
			" that clients left in CLOSE_WAIT</div>",
			g->client_leaks);
	fprintf(f,
		"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">"
		"%" PRIu64 "</td><td class=\"n\">%" PRIu64
		"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
		"</td>",
		g->flows, g->verdicts[VD_NEVER_CLOSED],
		g->verdicts[VD_LATE_CLOSE], g->verdicts[VD_CLEAN], other);
	if (g->cw_count) {
		fprintf(f, "<td class=\"n\">%s</td>",
			dur(a, sizeof(a), g->p50));
		fprintf(f, "<td class=\"n\">%s</td>",
			dur(a, sizeof(a), g->p90));
		fprintf(f, "<td class=\"n\">%s</td>",
			dur(a, sizeof(a), g->p99));
		fprintf(f, "<td class=\"n\">%s%s</td>",
			dur(a, sizeof(a), g->max), g->sampled ? " *" : "");
	} else {
		fputs("<td class=\"n\">&ndash;</td><td "
		      "class=\"n\">&ndash;</td><td class=\"n\">&ndash;"
		      "</td><td class=\"n\">&ndash;</td>",
		      f);
	}
	fprintf(f, "<td class=\"n\">%" PRIu64, g->at_end);
	if (g->at_end)
		fprintf(f, "<div class=\"note\">oldest %s</div>",
			dur(b, sizeof(b), g->oldest_at_end));
	fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">",
		g->peak);
	/* no rate of growth from a few minutes of capture */
	if (v->growth_known)
		fprintf(f, "%+.0f", g->growth_per_hour);
	else
		fputs("&ndash;", f);
	fputs("</td><td>", f);
	mini_spark(f, v, g);
	fputs("</td></tr>\n", f);
}

/* The "N more ... not listed" note under a bounded list. */
static void more_note(FILE *f, const char *id, const struct rpt_view *v,
		      const struct rpt_cut *c, enum rpt_more what)
{
	char buf[512];

	if (!rpt_fmt_more(buf, sizeof(buf), c, what, v->verdicts))
		return;
	fprintf(f,
		"<p class=\"note more\" id=\"%s\" data-beyond=\"%" PRIu64
		"\" data-quiet=\"%" PRIu64 "\">",
		id, c->beyond, c->quiet);
	html_escape(f, buf);
	fputs("</p>\n", f);
}

/* The listed rows of one side, worst first, and what is left out. */
/* The table of one kind of group: 0 services, 1 client hosts, 2 processes. */
static void group_table(FILE *f, const struct rpt_view *v, int kind)
{
	static const char *const title[] = {"Services", "Client hosts",
					    "Processes"};
	static const char *const id[] = {"service-table", "client-table",
					 "process-table"};
	static const char *const col[] = {"service", "client host",
					  "process"};
	static const char *const more[] = {"services-more", "clients-more",
					   "processes-more"};
	static const enum rpt_more what[] = {
		RPT_MORE_SERVICES, RPT_MORE_CLIENTS, RPT_MORE_PROCESSES};
	const struct rpt_cut *c = kind == 2 ? &v->processes_cut :
				  kind == 1 ? &v->clients_cut :
					      &v->services_cut;

	if (!c->rows)
		return;
	fprintf(f, "<h3>%s</h3>\n", title[kind]);
	if (c->listed) {
		fprintf(f,
			"<div class=\"scroll\"><table id=\"%s\">\n<thead><tr>"
			"<th>%s</th><th class=\"n\">%s</th><th "
			"class=\"n\">never closed</th><th class=\"n\">closed "
			"late</th><th class=\"n\">clean</th><th "
			"class=\"n\">other</th><th class=\"n\">close-wait "
			"p50</th><th class=\"n\">p90</th><th "
			"class=\"n\">p99</th><th class=\"n\">max</th><th "
			"class=\"n\">in CLOSE_WAIT at end</th><th "
			"class=\"n\">peak</th><th class=\"n\">growth "
			"/h</th><th>over the %s</th></tr></thead>\n"
			"<tbody>\n",
			id[kind], col[kind],
			!strcmp(v->mode, "kernel") ? "sockets" : "flows",
			looked_at(v));
		for (size_t i = 0; i < v->ngroups; i++) {
			const struct rpt_group_view *g = &v->groups[i];
			int k = g->process ? 2 : g->client_side;

			if (g->listed && k == kind)
				group_row(f, v, g);
		}
		fputs("</tbody></table></div>\n", f);
	}
	more_note(f, more[kind], v, c, what[kind]);
}

static void services(FILE *f, const struct rpt_view *v)
{
	fputs("<section id=\"services\"><h2>Services and client hosts</h2>\n"
	      "<p class=\"note\">A service is a server address and port; its "
	      "close-wait is the server's. A client host appears when "
	      "servers closed first and the client left its sockets in "
	      "CLOSE_WAIT. Worst first; a row with no leak and nothing in "
	      "CLOSE_WAIT is not listed.</p>\n",
	      f);
	if (!v->ngroups) {
		fputs("<p>No TCP flow was seen.</p></section>\n", f);
		return;
	}
	group_table(f, v, 2);
	group_table(f, v, 0);
	group_table(f, v, 1);
	for (size_t i = 0; i < v->ngroups; i++)
		if (v->groups[i].listed && v->groups[i].sampled) {
			fputs("<p class=\"note\">* percentiles estimated from a "
			      "histogram (within 6 %) past 128 values per "
			      "service.</p>\n",
			      f);
			break;
		}
	fputs("</section>\n", f);
}

static void worst(FILE *f, const struct rpt_view *v)
{
	char a[32];

	const char *what = !strcmp(v->mode, "kernel") ? "socket" : "flow";

	fprintf(f, "<section id=\"worst\"><h2>Worst %ss</h2>\n", what);
	if (!v->nworst) {
		if (!v->worst_cut.rows)
			fprintf(f,
				"<p id=\"worst-empty\">No %s was never closed "
				"or closed late.</p>\n",
				what);
		more_note(f, "worst-more", v, &v->worst_cut, RPT_MORE_FLOWS);
		fputs("</section>\n", f);
		return;
	}
	if (v->worst[0].owner[0])
		fputs("<p class=\"note\">Sockets seen by the kernel, with the "
		      "process that owns each.</p>\n",
		      f);
	else
		fputs("<p class=\"note\">Frame numbers are Wireshark's for "
		      "the input (merged inputs count across the merge). Paste "
		      "a filter into Wireshark's display filter bar to see the "
		      "connection.</p>\n",
		      f);
	fprintf(f,
		"<div class=\"scroll\"><table "
		"id=\"worst-table\">\n<thead><tr><th "
		"class=\"n\">flow</th><th>verdict</th><th>client</th><th>"
		"server</th><th class=\"n\">close-wait</th><th "
		"class=\"n\">%s</th></tr></thead>\n<tbody>\n",
		v->worst[0].owner[0] ? "process" : "frames");
	for (size_t i = 0; i < v->nworst; i++) {
		const struct rpt_flow_view *w = &v->worst[i];
		const char *vn = vd_name(w->verdict);

		fprintf(f,
			"<tr class=\"flow\" data-id=\"%" PRIu64
			"\" data-verdict=\"%s\" data-close-wait=\"%s\" "
			"data-first-frame=\"%" PRIu64
			"\" data-last-frame=\"%" PRIu64 "\" data-client=\"",
			w->id, vn, secs(a, sizeof(a), w->close_wait_ns),
			w->first_frame, w->last_frame);
		html_escape(f, w->client);
		fputs("\" data-server=\"", f);
		html_escape(f, w->server);
		fprintf(f,
			"\"><td class=\"n\">#%" PRIu64 "</td><td><span "
			"class=\"v-%s\">%s</span>%s%s</td><td class=\"mono\">",
			w->id, vn, vn,
			w->roles_inferred ? "<div class=\"note\">roles "
					    "inferred</div>"
					  : "",
			w->lossy ? "<div class=\"note\">packets were dropped "
				   "during this flow</div>"
				 : "");
		html_escape(f, w->client);
		fputs("</td><td class=\"mono\">", f);
		html_escape(f, w->server);
		if (w->remote)
			/* its close-wait is on the other host: what this
			 * one knows is its own wait for the FIN */
			fprintf(f,
				"</td><td class=\"n\">FIN_WAIT2 %s<div "
				"class=\"note\">the server is on another "
				"host</div></td><td class=\"n\">",
				dur(a, sizeof(a), w->fin_wait_ns));
		else
			fprintf(f,
				"</td><td class=\"n\">%s%s%s</td><td "
				"class=\"n\">",
				w->at_end && !v->end_known ? "at least " : "",
				dur(a, sizeof(a), w->close_wait_ns),
				w->at_end ? "<div class=\"note\">still in "
					    "CLOSE_WAIT at the end</div>"
					  : "");
		if (w->owner[0]) {
			/* a kernel socket: its owner instead of frames */
			html_escape(f, w->owner);
			fputs("</td></tr>\n", f);
			continue;
		}
		fprintf(f, "%" PRIu64 "&ndash;%" PRIu64 "</td></tr>\n",
			w->first_frame, w->last_frame);
		fputs("<tr class=\"filter\"><td></td><td colspan=\"5\"><code "
		      "class=\"filter\">",
		      f);
		html_escape(f, w->filter);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	more_note(f, "worst-more", v, &v->worst_cut, RPT_MORE_FLOWS);
	fputs("</section>\n", f);
}

/* The close handshake as a sequence diagram, CLOSE_WAIT highlighted. */
static void handshake_svg(FILE *f)
{
	static const struct {
		int x1, y1, x2, y2;
		const char *label;
	} msg[] = {
		{150, 62, 556, 92, "FIN: the application calls close()"},
		{560, 100, 154, 130, "ACK: sent by the kernel at once"},
		{560, 218, 154, 248, "FIN: the application calls close()"},
		{150, 256, 556, 286, "ACK"},
	};
	static const struct {
		int x, y, right;
		const char *text;
	} st[] = {
		{140, 50, 0, "ESTABLISHED"}, {140, 80, 0, "FIN_WAIT1"},
		{140, 170, 0, "FIN_WAIT2"},  {140, 262, 0, "TIME_WAIT"},
		{140, 278, 0, "(2 MSL)"},    {140, 312, 0, "CLOSED"},
		{572, 50, 1, "ESTABLISHED"}, {572, 236, 1, "LAST_ACK"},
		{572, 312, 1, "CLOSED"},
	};

	fputs("<svg id=\"handshake\" viewBox=\"0 0 760 330\" width=\"760\" "
	      "style=\"max-width:100%;height:auto\" role=\"img\" "
	      "aria-label=\"TCP close handshake\">\n"
	      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" "
	      "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
	      "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
	      "fill=\"#1f2328\"/></marker></defs>\n"
	      "<text x=\"150\" y=\"22\" text-anchor=\"middle\" "
	      "style=\"font-weight:600;fill:#1f2328\">active closer</text>"
	      "<text x=\"560\" y=\"22\" text-anchor=\"middle\" "
	      "style=\"font-weight:600;fill:#1f2328\">passive side</text>\n"
	      "<line x1=\"150\" y1=\"30\" x2=\"150\" y2=\"322\" "
	      "stroke=\"#8c959f\"/><line x1=\"560\" y1=\"30\" x2=\"560\" "
	      "y2=\"322\" stroke=\"#8c959f\"/>\n"
	      "<rect x=\"554\" y=\"100\" width=\"12\" height=\"118\" "
	      "fill=\"#c62828\"/>\n"
	      "<text x=\"574\" y=\"146\" style=\"fill:#c62828;"
	      "font-weight:600\">CLOSE_WAIT</text>"
	      "<text x=\"574\" y=\"162\" style=\"fill:#c62828\">until its "
	      "application</text><text x=\"574\" y=\"178\" "
	      "style=\"fill:#c62828\">calls close()</text>\n",
	      f);
	for (size_t i = 0; i < sizeof(msg) / sizeof(msg[0]); i++)
		fprintf(f,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#1f2328\" stroke-width=\"1.5\" "
			"marker-end=\"url(#arrow)\"/><text x=\"355\" "
			"y=\"%d\" text-anchor=\"middle\" "
			"style=\"fill:#1f2328\">%s</text>\n",
			msg[i].x1, msg[i].y1, msg[i].x2, msg[i].y2,
			(msg[i].y1 + msg[i].y2) / 2 - 8, msg[i].label);
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s"
			"</text>\n",
			st[i].x, st[i].y, st[i].right ? "start" : "end",
			st[i].text);
	fputs("</svg>\n", f);
}

static void explain(FILE *f, const struct rpt_view *v)
{
	static const char *const names[] = {"CLOSE_WAIT", "FIN_WAIT2",
					    "LAST_ACK", "TIME_WAIT"};

	fputs("<section id=\"explain\" class=\"explain\"><h2>Why a socket "
	      "stays in CLOSE_WAIT</h2>\n"
	      "<p>A TCP connection is closed once in each direction (RFC "
	      "9293, section 3.6). The side whose application calls close() "
	      "first, the <b>active closer</b>, sends a FIN. The other "
	      "side's kernel acknowledges that FIN at once, by itself, and "
	      "tells its application that the stream has ended (read() "
	      "returns 0). From that ACK on, the <b>passive side</b> is in "
	      "<b>CLOSE_WAIT</b>: its kernel is waiting for its own "
	      "application to call close(). No timer ends this state; only "
	      "close() (which sends the passive side's FIN) or the end of "
	      "the process does.</p>\n",
	      f);
	handshake_svg(f);
	fprintf(f,
		"<p>So a socket that lingers in CLOSE_WAIT points at one "
		"program: the one on the passive side, which received the "
		"end of the stream and did not close its socket. This report "
		"measures, from %s, how long each passive side took between "
		"acknowledging the FIN and sending its own. A <b>late "
		"close</b> took longer than the threshold; a <b>never "
		"closed</b> socket had sent no FIN or RST by the end of the "
		"%s. Network devices do not cause this: the ACK proves the "
		"FIN arrived, and only the application can send the FIN that "
		"is missing.</p>\n<dl class=\"facts\">\n",
		strcmp(v->mode, "kernel") ? "the packets"
					  : "the kernel's TCP state changes",
		looked_at(v));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct st_state *s = st_find(names[i]);

		if (!s)
			continue;
		fprintf(f, "<dt><b>%s</b></dt><dd>", s->name);
		html_escape(f, s->meaning);
		fputs(" ", f);
		html_escape(f, s->lingering);
		fputs(" <span class=\"note\">", f);
		html_escape(f, s->knobs);
		fputs("</span></dd>\n", f);
	}
	fputs("</dl>\n<p class=\"note\">'fintrace states' explains every TCP "
	      "state.</p>\n</section>\n",
	      f);
}

int html_write(FILE *f, const struct rpt_view *v, const struct html_meta *m)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n"
	      "<meta name=\"generator\" content=\"fintrace " FT_VERSION
	      "\">\n<title>fintrace: ",
	      f);
	html_escape(f, v->headline);
	fputs("</title>\n", f);
	fputs(style, f);
	fputs("</head>\n<body>\n", f);
	header(f, v);
	fputs("<main>\n", f);
	facts(f, v, m);
	timeline(f, v);
	histogram(f, v);
	services(f, v);
	worst(f, v);
	if (m && m->tw)
		tw_write_html(m->tw, f);
	explain(f, v);
	fputs("</main>\n<footer>Written by fintrace " FT_VERSION
	      ". This page is self-contained: no script, no font and no "
	      "request leaves it.</footer>\n</body>\n</html>\n",
	      f);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
