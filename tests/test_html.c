/* SPDX-License-Identifier: MIT */
/*
 * The HTML report (--report): escaping of every string that comes from the
 * input, a report of a capture whose file name, pcapng comments and
 * interface names carry markup, and the demo report opened in headless
 * Chromium (tests/html/check.sh): no console error, and the text shown on
 * the rendered page says what `fintrace read --format json` says in the
 * same run. The screenshot goes to BUILD_DIR/artifacts/report.png.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#include "analysis/html.h"

TU_SUITE(html);

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	html_escape(f, s);
	fclose(f);
	return buf;
}

Test(html, escape_markup_quotes_controls_and_bad_utf8)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"<script>alert('x')</script>",
		 "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
		{"a & b \"c\"", "a &amp; b &quot;c&quot;"},
		{"tab\there", "tab\there"},
		{"bell\x07", "bell&#xFFFD;"},
		{"del\x7f", "del&#xFFFD;"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},		  /* valid UTF-8 */
		{"\xe2\x89\xa5 30m", "\xe2\x89\xa5 30m"}, /* valid 3 bytes */
		{"\xf0\x9f\x90\x9b", "\xf0\x9f\x90\x9b"}, /* valid 4 bytes */
		{"bad\xff\xfe", "bad&#xFFFD;&#xFFFD;"},
		{"cut\xe2\x89", "cut&#xFFFD;&#xFFFD;"}, /* truncated */
		{"overlong\xc0\xbc", "overlong&#xFFFD;&#xFFFD;"},
		{"surrogate\xed\xa0\x80", "surrogate&#xFFFD;&#xFFFD;&#xFFFD;"},
		{"", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(cases[i].in);

		cr_expect_str_eq(got, cases[i].out, "case %zu", i);
		free(got);
	}
}

/* ---- a capture whose strings are hostile ---- */

struct blk {
	uint8_t b[1 << 16];
	size_t n;
};

static void put(struct blk *k, const void *p, size_t n)
{
	cr_assert_lt(k->n + n, sizeof(k->b));
	memcpy(k->b + k->n, p, n);
	k->n += n;
}

static void put32(struct blk *k, uint32_t v)
{
	put(k, &v, 4);
}

static void put16(struct blk *k, uint16_t v)
{
	put(k, &v, 2);
}

static void opt(struct blk *k, uint16_t code, const char *s)
{
	static const uint8_t zero[4];
	size_t len = strlen(s);

	put16(k, code);
	put16(k, (uint16_t)len);
	put(k, s, len);
	put(k, zero, (4 - len % 4) % 4);
}

/* Write block type with body k (its total length filled in). */
static void block(FILE *f, uint32_t type, const struct blk *k)
{
	uint32_t len = (uint32_t)k->n + 12;

	fwrite(&type, 4, 1, f);
	fwrite(&len, 4, 1, f);
	fwrite(k->b, 1, k->n, f);
	fwrite(&len, 4, 1, f);
}

/*
 * path: a pcapng copy of server-never-closes.pcap whose section and
 * interface carry markup in their comments and names.
 */
static void hostile_pcapng(const char *path)
{
	FILE *in = fopen(PCAP_DIR "/server-never-closes.pcap", "rb");
	FILE *out = fopen(path, "wb");
	static struct blk k;
	uint32_t gh[6], rh[4];
	uint8_t data[65536];

	cr_assert_not_null(in);
	cr_assert_not_null(out, "%s", path);
	cr_assert_eq(fread(gh, 4, 6, in), 6);
	cr_assert_eq(gh[0], 0xa1b2c3d4, "a little-endian microsecond pcap");
	k.n = 0;
	put32(&k, 0x1A2B3C4D);
	put16(&k, 1);
	put16(&k, 0);
	put32(&k, 0xffffffff);
	put32(&k, 0xffffffff);
	opt(&k, 1, "<script>alert('shb')</script>");
	opt(&k, 2, "<img src=x onerror=alert(1)>");
	opt(&k, 3, "\"quoted\" & 'single' \x01\xff\xfe bad utf-8");
	opt(&k, 4, "</title></head><body onload=alert(3)>");
	put32(&k, 0);
	block(out, 0x0A0D0D0A, &k);
	k.n = 0;
	put16(&k, (uint16_t)gh[5]);
	put16(&k, 0);
	put32(&k, 262144);
	opt(&k, 2, "<script>alert('if')</script>");
	opt(&k, 3, "<svg onload=alert(2)>");
	opt(&k, 1, "</dd><iframe src=x></iframe>");
	put32(&k, 0);
	block(out, 1, &k);
	while (fread(rh, 4, 4, in) == 4) {
		uint64_t us = (uint64_t)rh[0] * 1000000 + rh[1];
		static const uint8_t zero[4];

		cr_assert_leq(rh[2], sizeof(data));
		cr_assert_eq(fread(data, 1, rh[2], in), rh[2]);
		k.n = 0;
		put32(&k, 0);
		put32(&k, (uint32_t)(us >> 32));
		put32(&k, (uint32_t)us);
		put32(&k, rh[2]);
		put32(&k, rh[3]);
		put(&k, data, rh[2]);
		put(&k, zero, (4 - rh[2] % 4) % 4);
		block(out, 6, &k);
	}
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

/* The hostile capture's report; its path is written to html. */
static void hostile_report(char *html, size_t n)
{
	char cap[512];

	snprintf(cap, sizeof(cap), "%s/<svg onload=alert(1)> & \"x\".pcapng",
		 tmpdir);
	hostile_pcapng(cap);
	snprintf(html, n, "%s/hostile.html", tmpdir);
	cr_assert_eq(run("%s read '%s' --report %s > %s/out.txt", FINTRACE, cap,
			 html, tmpdir),
		     0);
}

Test(html, hostile_strings_cannot_inject_markup)
{
	static const char *const raw[] = {
		"<script",     "<img",	       "<iframe",
		"<svg onload", "<body onload", "</title></head>",
		"\x01",	       "\xff",
	};
	static const char *const shown[] = {
		/* the file name (inputs and command line) */
		"&lt;svg onload=alert(1)&gt; &amp; &quot;x&quot;.pcapng",
		/* section comment, hardware, os, application */
		"comment: &lt;script&gt;alert(&#39;shb&#39;)&lt;/script&gt;",
		"hardware: &lt;img src=x onerror=alert(1)&gt;",
		"os: &quot;quoted&quot; &amp; &#39;single&#39; &#xFFFD;"
		"&#xFFFD;&#xFFFD; bad utf-8",
		"application: &lt;/title&gt;&lt;/head&gt;&lt;body "
		"onload=alert(3)&gt;",
		/* interface name and description, interface comment */
		"interface: &lt;script&gt;alert(&#39;if&#39;)&lt;/script&gt; "
		"(&lt;svg onload=alert(2)&gt;)",
		"interface comment: &lt;/dd&gt;&lt;iframe src=x&gt;&lt;/iframe"
		"&gt;",
	};
	char html[512];
	char *page;

	hostile_report(html, sizeof(html));
	page = tu_slurp_path(html);
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		cr_expect_null(strstr(page, raw[i]), "raw \"%s\" in the page",
			       raw[i]);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		cr_expect_not_null(strstr(page, shown[i]), "\"%s\" not shown",
				   shown[i]);
	/* No script can run even if something slipped through. */
	cr_expect_not_null(
		strstr(page, "Content-Security-Policy\" content=\"default-src "
			     "'none'"));
	free(page);
}

/* The HTML report of pcaps/NAME, read whole (free it). */
static char *report_of(const char *name)
{
	char html[512];

	snprintf(html, sizeof(html), "%s/r.html", tmpdir);
	cr_assert_eq(run("%s read %s/%s --report %s > /dev/null", FINTRACE,
			 PCAP_DIR, name, html),
		     0, "%s", name);
	return tu_slurp_path(html);
}

Test(html, report_without_leak)
{
	char *page = report_of("refused.pcap");

	cr_expect_not_null(strstr(page, "id=\"headline\" class=\"noleak\""));
	cr_expect_not_null(strstr(page, "id=\"timeline-empty\""));
	cr_expect_not_null(strstr(page, "id=\"worst-empty\""));
	cr_expect_not_null(strstr(page, "id=\"count-refused\""));
	free(page);
}

/*
 * The CLOSE_WAIT timeline's time axis ends with the capture (7.3 s), not
 * with its last whole bucket: labels up to 7s, none at 8s, and 7s at 7/7.3
 * of the plot's width (50 + 834 * 7 / 7.3 = 849.6), where an axis of 59
 * whole buckets of 125 ms (7.375 s) would put it at 841.6 and one of 8
 * buckets of 1 s at 779.8.
 */
Test(html, timeline_axis_ends_with_the_capture)
{
	char *page = report_of("server-never-closes.pcap"), *chart, *end;

	cr_assert_not_null(strstr(page, "(7.300s)"), "the capture's length");
	chart = strstr(page, "id=\"timeline-chart\"");
	cr_assert_not_null(chart);
	end = strstr(chart, "</svg>");
	cr_assert_not_null(end);
	*end = '\0';
	cr_expect_not_null(strstr(chart, "<text x=\"849.6\" y=\"277.0\" "
					 "text-anchor=\"middle\">7s</text>"),
			   "%s", chart);
	cr_expect_null(strstr(chart, ">8s</text>"), "%s", chart);
	free(page);
}

/*
 * A capture of a few seconds gets a timeline of many buckets, not one or
 * two of a second: 7.3 s in buckets of 125 ms is 59 of them, and the note
 * above the chart says so.
 */
Test(html, short_capture_timeline_has_fine_buckets)
{
	char *page = report_of("server-never-closes.pcap"), *chart;

	cr_expect_not_null(strstr(page, "per 125ms of the capture"), "%s",
			   page);
	chart = strstr(page, "id=\"timeline-chart\"");
	cr_assert_not_null(chart);
	cr_expect_not_null(strstr(chart, "data-bucket=\"0.125000000\" "
					 "data-buckets=\"59\""),
			   "%.400s", chart);
	free(page);
}

Test(html, write_error_is_one_line_exit_2)
{
	char err[512];
	char *e;

	snprintf(err, sizeof(err), "%s/err", tmpdir);
	cr_assert_eq(run("%s read %s/refused.pcap --report /dev/full "
			 "> /dev/null 2> %s",
			 FINTRACE, PCAP_DIR, err),
		     2);
	e = tu_slurp_path(err);
	cr_expect(strstr(e, "/dev/full") && strstr(e, "No space left"), "%s",
		  e);
	cr_expect_eq(strchr(e, '\n') - e + 1, (long)strlen(e), "%s", e);
	free(e);
}

/*
 * The demo report in headless Chromium, and the hostile one: no console
 * error, no script, and the text a reader sees (headline, tiles, table
 * cells, the lists and their "more" lines, chart labels) says what the
 * JSON output of the same run says (tests/html/visible.{js,jq}). Under
 * CI=true a missing Chromium is a failure (check.sh exits 1), by hand a
 * skip.
 */
Test(html, renders_in_chromium_with_the_json_numbers, .timeout = 120)
{
	char html[512];
	int rc;

	hostile_report(html, sizeof(html));
	rc = run("bash %s/tests/html/check.sh %s %s %s/artifacts '%s' "
		 "> %s/check.log 2>&1",
		 SRC_DIR, FINTRACE, PCAP_DIR, BUILD_DIR, html, tmpdir);
	if (rc == 77)
		cr_skip_test("chromium or chromedriver is not installed "
			     "(setup.sh installs them)");
	if (rc) {
		char log[512];
		char *l;

		snprintf(log, sizeof(log), "%s/check.log", tmpdir);
		l = tu_slurp_path(log);
		cr_assert_fail("check.sh: %s", l);
	}
}

/*
 * The text report draws the CLOSE_WAIT sparkline under every service and
 * client host that never closed or closed late, in every scenario.
 */
Test(html, text_sparkline_under_every_leaking_service)
{
	char path[512];
	int checked = 0;

	snprintf(path, sizeof(path), "%s/names", tmpdir);
	cr_assert_eq(run("for f in %s/*.pcap %s/*.pcapng; do "
			 "%s read --format json \"$f\" | jq -r --arg f \"$f\" "
			 "'select(.type == \"service\" and "
			 "(.verdicts[\"never-closed\"] + "
			 ".verdicts[\"late-close\"]) > 0) | "
			 "\"\\($f)\\t\\(.service // .host)\"'; done > %s",
			 PCAP_DIR, PCAP_DIR, FINTRACE, path),
		     0);
	{
		char *names = tu_slurp_path(path), *save = NULL;

		for (char *l = strtok_r(names, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(l, '\t'), *text, *row, out[512];
			char head[128], cmd[1024];

			cr_assert_not_null(tab, "%s", l);
			*tab = '\0';
			snprintf(out, sizeof(out), "%s/text", tmpdir);
			snprintf(cmd, sizeof(cmd), "%s read '%s' > %s",
				 FINTRACE, l, out);
			cr_assert_eq(run("%s", cmd), 0);
			text = tu_slurp_path(out);
			snprintf(head, sizeof(head), "\n%s ", tab + 1);
			row = strstr(text, head);
			cr_assert_not_null(row, "%s: no row for %s", l,
					   tab + 1);
			row = strchr(row + 1, '\n');
			/* an optional "+ N connections ..." line first */
			if (row && !strncmp(row, "\n    + ", 7))
				row = strchr(row + 1, '\n');
			cr_expect(row && !strncmp(row,
						  "\n    CLOSE_WAIT over the "
						  "capture: ",
						  34),
				  "%s: no sparkline under %s", l, tab + 1);
			checked++;
			free(text);
		}
		free(names);
	}
	cr_assert_gt(checked, 5);
}
