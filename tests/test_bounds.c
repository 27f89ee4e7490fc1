/* SPDX-License-Identifier: MIT */
/*
 * Reports stay bounded however big the capture: a 500 k-flow capture
 * written by bench's ftgen at test time gives a text report of a screen
 * and an HTML report under 1 MB, whose lists are the worst services,
 * client hosts and flows of the JSON report of the same capture, in its
 * order, no listed row all zeros, each list closed by a line that gives
 * the exact number left out.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define FTGEN BUILD_DIR "/bench/ftgen"

TU_SUITE(bounds, .timeout = 180);

/* What a text list shows: its rows' first words, and its "more" line. */
struct list {
	char names[64][64];
	size_t n;
	int has_more;
	uint64_t more, beyond, quiet;
	unsigned top;
	char line[512]; /* the more line, after "  ... " */
};

/*
 * "4086 more client hosts not listed: 3687 past --top-clients 5, 399
 * with no leak and nothing in CLOSE_WAIT (...)" (after the "... ").
 */
static void parse_more(const char *s, struct list *l)
{
	const char *why = strstr(s, ": "), *past = strstr(s, "past --top");
	char *end;

	cr_assert_not_null(why, "%s", s);
	l->has_more = 1;
	snprintf(l->line, sizeof(l->line), "%s", s);
	l->more = strtoull(s, NULL, 10);
	why += 2;
	if (past)
		l->top = (unsigned)strtoul(strchr(past + 5, ' ') + 1, NULL, 10);
	if (past && strstr(s, "with no leak")) {
		l->beyond = strtoull(why, &end, 10);
		cr_assert_neq(end, why, "%s", s);
		l->quiet = strtoull(strstr(s, ", ") + 2, NULL, 10);
	} else if (past) {
		l->beyond = l->more;
	} else {
		cr_assert(strstr(s, "no leak and nothing in CLOSE_WAIT"), "%s",
			  s);
		l->quiet = l->more;
	}
	cr_assert_eq(l->beyond + l->quiet, l->more, "%s", s);
}

/* The services, client hosts and worst flows lists of a text report. */
static void parse_text(char *text, struct list *svc, struct list *cli,
		       struct list *worst)
{
	struct list *cur = NULL;
	char *save = NULL;

	memset(svc, 0, sizeof(*svc));
	memset(cli, 0, sizeof(*cli));
	memset(worst, 0, sizeof(*worst));
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "SERVICES (", 10)) {
			cur = svc;
		} else if (!strncmp(l, "CLIENT HOSTS (", 14)) {
			cur = cli;
		} else if (!strncmp(l, "WORST FLOWS (", 13)) {
			cur = worst;
		} else if (!cur) {
			continue;
		} else if (!strncmp(l, "  ... ", 6)) {
			parse_more(l + 6, cur);
			cur = NULL;
		} else if (cur == worst && !strncmp(l, "  #", 3)) {
			cr_assert_lt(cur->n, 64);
			sscanf(l + 3, "%63s", cur->names[cur->n++]);
		} else if (l[0] == ' ' || !strncmp(l, "service ", 8) ||
			   !strncmp(l, "client ", 7)) {
			continue; /* under a row, or the column names */
		} else if (cur != worst) {
			cr_assert_lt(cur->n, 64, "%s", l);
			sscanf(l, "%63s", cur->names[cur->n++]);
		} else {
			cur = NULL; /* a line of the next part */
		}
	}
}

/*
 * What the JSON report says, from jq: per side the number of records, of
 * quiet ones (nothing to show), the non-quiet names worst first; and the
 * flows of the worst list, worst first.
 */
struct truth {
	uint64_t rows[2], quiet[2], worst;
	char *names[2]; /* one a line (malloc'ed) */
};

static const char quiet_jq[] =
	"def quiet: .verdicts[\"never-closed\"] == 0 and "
	".verdicts[\"late-close\"] == 0 and (.client_leaks // 0) == 0 and "
	".in_close_wait_at_end == 0 and .peak_close_wait == 0 and "
	"(.close_wait.max // 0) == 0;";

static void read_truth(const char *json, struct truth *t)
{
	static const char *const side[2] = {"server", "client"};
	char path[512];
	FILE *f;

	for (int s = 0; s < 2; s++) {
		cr_assert_eq(run("jq -r '%s select(.type == \"service\" and "
				 ".side == \"%s\") | "
				 "[(if quiet then 1 else 0 end), "
				 "(.service // .host)] | @tsv' %s > "
				 "%s/side%d.tsv",
				 quiet_jq, side[s], json, tmpdir, s),
			     0);
		cr_assert_eq(run("awk -F'\\t' '{n++; q += $1} END "
				 "{print n + 0, q + 0}' %s/side%d.tsv > "
				 "%s/count%d; awk -F'\\t' '$1 == 0 {print "
				 "$2}' %s/side%d.tsv > %s/names%d",
				 tmpdir, s, tmpdir, s, tmpdir, s, tmpdir, s),
			     0);
		snprintf(path, sizeof(path), "%s/count%d", tmpdir, s);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		cr_assert_eq(fscanf(f, "%" SCNu64 " %" SCNu64, &t->rows[s],
				    &t->quiet[s]),
			     2);
		fclose(f);
		snprintf(path, sizeof(path), "%s/names%d", tmpdir, s);
		t->names[s] = tu_slurp_path(path);
	}
	cr_assert_eq(run("jq -r 'select(.type == \"summary\") | "
			 ".verdicts[\"never-closed\"] + "
			 ".verdicts[\"late-close\"] + .verdicts.closing' %s "
			 "> %s/worst",
			 json, tmpdir),
		     0);
	snprintf(path, sizeof(path), "%s/worst", tmpdir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%" SCNu64, &t->worst), 1);
	fclose(f);
}

/* The rows of l are the first l->n names of names (one a line). */
static void check_order(const struct list *l, const char *names,
			const char *what)
{
	const char *p = names;

	for (size_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->names[i]);

		cr_assert(p && *p, "%s: row %zu (%s) is not in the JSON", what,
			  i, l->names[i]);
		cr_expect(!strncmp(p, l->names[i], len) && p[len] == '\n',
			  "%s: row %zu is %s, the JSON's is %.60s", what, i,
			  l->names[i], p);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

/* A bounded list of a side: listed + left out = the JSON's records. */
static void check_list(const struct list *l, const struct truth *t, int s,
		       unsigned top, const char *what)
{
	uint64_t shown_max = t->rows[s] - t->quiet[s];

	if (top && shown_max > top)
		shown_max = top;
	cr_expect_eq(l->n, shown_max, "%s: %zu rows listed, expected %" PRIu64,
		     what, l->n, shown_max);
	cr_expect_eq(l->n + l->more, t->rows[s],
		     "%s: %zu listed + %" PRIu64 " more != %" PRIu64
		     " JSON records",
		     what, l->n, l->more, t->rows[s]);
	cr_expect_eq(l->quiet, t->quiet[s],
		     "%s: %" PRIu64 " said quiet, the JSON has %" PRIu64, what,
		     l->quiet, t->quiet[s]);
	if (l->beyond)
		cr_expect_eq(l->top, top, "%s: the more line names --top %u",
			     what, l->top);
	check_order(l, t->names[s], what);
}

static uint64_t file_size(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return (uint64_t)st.st_size;
}

Test(bounds, large_capture_gives_bounded_text_and_html)
{
	struct list svc, cli, worst;
	struct truth t;
	char path[512], *text, *html;

	/* 500 k flows, 3 M packets, 10000 client hosts; about a second */
	cr_assert_eq(run("%s --flows 500000 --concurrency 10000 "
			 "--packets-per-flow 6 --clients 10000 --snaplen 128 "
			 "-o %s/x.pcap --truth /dev/null",
			 FTGEN, tmpdir),
		     0);
	/* JSON (no flow lines kept: the service and summary records). */
	cr_assert_eq(run("%s read --format json %s/x.pcap | grep -v "
			 "'^{\"type\":\"flow\"' > %s/x.json",
			 FINTRACE, tmpdir, tmpdir),
		     0);
	snprintf(path, sizeof(path), "%s/x.json", tmpdir);
	read_truth(path, &t);
	cr_assert_gt(t.rows[1], 5000, "a client host per client");

	/* Text and HTML of one run, with the defaults. */
	cr_assert_eq(run("%s read %s/x.pcap --report %s/x.html > %s/x.txt",
			 FINTRACE, tmpdir, tmpdir, tmpdir),
		     0);
	snprintf(path, sizeof(path), "%s/x.txt", tmpdir);
	text = tu_slurp_path(path);
	cr_expect_leq(lines(text), 80, "%d lines of text", lines(text));
	parse_text(text, &svc, &cli, &worst);
	check_list(&svc, &t, 0, 5, "services");
	check_list(&cli, &t, 1, 5, "client hosts");
	cr_assert(svc.has_more && cli.has_more);
	cr_expect_eq(worst.n, 10);
	cr_expect_eq(worst.n + worst.more, t.worst,
		     "worst flows: %zu + %" PRIu64 " more != %" PRIu64, worst.n,
		     worst.more, t.worst);
	free(text);

	cr_expect_lt(file_size("x.html"), 1000000, "HTML of %" PRIu64 " bytes",
		     file_size("x.html"));
	snprintf(path, sizeof(path), "%s/x.html", tmpdir);
	html = tu_slurp_path(path);
	{
		size_t rows[2] = {0, 0};
		const char *tables[2] = {"id=\"service-table\"",
					 "id=\"client-table\""};

		for (int s = 0; s < 2; s++) {
			const char *p = strstr(html, tables[s]);
			const char *end = p ? strstr(p, "</table>") : NULL;

			cr_assert(p && end, "%s missing", tables[s]);
			while ((p = strstr(p + 1, "<tr class=\"group")) &&
			       p < end)
				rows[s]++;
		}
		cr_expect_eq(rows[0], svc.n, "HTML lists %zu services",
			     rows[0]);
		cr_expect_eq(rows[1], cli.n, "HTML lists %zu client hosts",
			     rows[1]);
	}
	/* the same more lines */
	{
		const struct list *l[3] = {&svc, &cli, &worst};
		const char *id[3] = {"services-more", "clients-more",
				     "worst-more"};

		for (int i = 0; i < 3; i++) {
			const char *p = strstr(html, id[i]);

			cr_assert_not_null(p, "no #%s", id[i]);
			p = strchr(p, '>');
			cr_expect(p && !strncmp(p + 1, l[i]->line,
						strlen(l[i]->line)),
				  "#%s: %.200s, text: %s", id[i], p,
				  l[i]->line);
		}
	}
	free(html);

	/* --top 3: three of each, the more lines grow by as much. */
	cr_assert_eq(run("%s read %s/x.pcap --top 3 > %s/x3.txt", FINTRACE,
			 tmpdir, tmpdir),
		     0);
	snprintf(path, sizeof(path), "%s/x3.txt", tmpdir);
	text = tu_slurp_path(path);
	parse_text(text, &svc, &cli, &worst);
	check_list(&svc, &t, 0, 3, "services, --top 3");
	check_list(&cli, &t, 1, 3, "client hosts, --top 3");
	cr_expect_eq(worst.n, 3);
	cr_expect_eq(worst.n + worst.more, t.worst);
	free(text);
	free(t.names[0]);
	free(t.names[1]);
}
