/* SPDX-License-Identifier: MIT */
/*
 * fintrace compare BEFORE AFTER: per service, was the leak fixed? Each
 * input is a capture (analysed here as fintrace read does, its JSON
 * report kept in a temporary file) or a JSON Lines report of fintrace
 * read, live or kernel, told apart by their first bytes. The comparison
 * itself is analysis/compare.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "analysis/json.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "engine/analyse.h"
#include "engine/output.h"

static const char usage[] =
	"usage: fintrace compare [options] BEFORE AFTER\n"
	"Compares two observations of the same services, before and after a\n"
	"change, and gives one verdict per service (per process for fintrace\n"
	"kernel reports): fixed, still leaking, worse, no leak, new or gone.\n"
	"BEFORE and AFTER are each a capture (pcap or pcapng, analysed as\n"
	"fintrace read does) or a JSON Lines report written by fintrace read,\n"
	"live or kernel with --format json; the content tells which.\n"
	"\n"
	"  -f, --filter EXPR      pcap filter expression for captures\n"
	"      --format FMT       text (default) or json (JSON Lines)\n"
	"  -o, --output FILE      write the comparison to FILE\n"
	"      --report FILE      also write a self-contained HTML page\n"
	"      --linger DUR       for captures: close-wait above DUR is a "
	"late\n"
	"                         close (5s)\n"
	"      --idle-timeout DUR, --grace DUR, --max-flows N\n"
	"                         for captures, as for fintrace read\n"
	"  -h, --help             this text\n"
	"\n"
	"AFTER is worse for a service when it has more never-closed\n"
	"connections per connection (at least one, and 10%, more than\n"
	"BEFORE's share predicts for AFTER's connections; the same for\n"
	"late-close), or when its close-wait p90 is above 1.25 times BEFORE's\n"
	"and at least 1s higher. A service on one side only is new or gone,\n"
	"never worse. A JSON report must come from a fintrace of the same\n"
	"major.minor version.\n"
	"Exit: 0 compared, 1 usage, 2 input error, 3 AFTER is worse for a\n"
	"service.\n";

/* Longest JSON line taken from a report. */
#define LINE_MAX_BYTES JSON_MAX_TEXT

/*
 * Feed every line of fp to r. Returns 0, or -errno with the cause in err
 * (CMP_ERRBUF).
 */
static int read_lines(FILE *fp, struct cmp_report *r, char *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int c, rc = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		c = getc(fp);
		if (c == EOF || c == '\n') {
			if (n || c == '\n')
				rc = cmp_report_line(r, buf, n, err);
			n = 0;
			if (rc || c == EOF)
				break;
			continue;
		}
		if (n + 1 >= cap) {
			char *nb;

			if (cap >= LINE_MAX_BYTES) {
				snprintf(err, CMP_ERRBUF,
					 "line %llu: longer than %zu bytes",
					 (unsigned long long)r->lines + 1,
					 (size_t)LINE_MAX_BYTES);
				rc = -EINVAL;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		buf[n++] = (char)c;
	}
	if (!rc && ferror(fp)) {
		snprintf(err, CMP_ERRBUF, "read error: %s", strerror(errno));
		rc = -EIO;
	}
	free(buf);
	return rc;
}

enum input_kind { IN_UNKNOWN, IN_CAPTURE, IN_JSON };

static enum input_kind sniff(FILE *fp)
{
	static const uint32_t magics[] = {0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d,
					  0x4d3cb2a1, 0x0a0d0d0a};
	unsigned char b[4];
	uint32_t m;
	int c;

	if (fread(b, 1, 4, fp) == 4) {
		m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
		for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
			if (m == magics[i])
				return IN_CAPTURE;
	}
	rewind(fp);
	while ((c = getc(fp)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		;
	rewind(fp);
	return c == '{' ? IN_JSON : IN_UNKNOWN;
}

/*
 * One side of the comparison from path. Returns 0, or -errno with one
 * line naming path in err (FT_ERRBUF_SIZE).
 */
static int load(const char *path, const struct ft_opts *o, struct cmp_report *r,
		char *err)
{
	char cerr[CMP_ERRBUF] = "";
	struct pipeline_config pc;
	FILE *fp = NULL, *tmp = NULL;
	int rc = 0;

	cmp_report_init(r, path);
	fp = fopen(path, "rb");
	if (!fp) {
		rc = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
		goto out;
	}
	switch (sniff(fp)) {
	case IN_CAPTURE:
		tmp = tmpfile();
		if (!tmp) {
			rc = -errno;
			snprintf(err, FT_ERRBUF_SIZE,
				 "%s: no temporary file for its report: %s",
				 path, strerror(errno));
			goto out;
		}
		/* The reader's messages name the file already. */
		opts_pipeline_config(o, &pc);
		rc = analyse_files(&path, 1, o->filter, &pc, 0, tmp, err);
		if (rc)
			goto out;
		rewind(tmp);
		rc = read_lines(tmp, r, cerr);
		break;
	case IN_JSON:
		rc = read_lines(fp, r, cerr);
		break;
	default:
		rc = -EINVAL;
		snprintf(cerr, sizeof(cerr),
			 "neither a capture (pcap, pcapng) nor a fintrace "
			 "JSON Lines report");
		break;
	}
	if (!rc)
		rc = cmp_report_finish(r, FT_VERSION, cerr);
	if (rc && cerr[0])
		snprintf(err, FT_ERRBUF_SIZE, "%s: %.200s", path, cerr);
	else if (rc == -ENOMEM)
		snprintf(err, FT_ERRBUF_SIZE, "%s: out of memory", path);
out:
	if (tmp)
		fclose(tmp);
	if (fp)
		fclose(fp);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct ft_opts o;
	struct cmp_report before, after;
	struct cmp_result res = {0};
	struct out_file out = {0}, html = {0};
	char err[FT_ERRBUF_SIZE] = "", oerr[FT_OPTS_ERRBUF];
	char cmdline[1024];
	int status = FT_EXIT_OK, rc;

	cmp_report_init(&before, "");
	cmp_report_init(&after, "");
	if (opts_parse(argc, argv, OPTS_COMPARE, &o, oerr)) {
		fprintf(stderr, "fintrace compare: %s\n", oerr);
		fprintf(stderr, "Try 'fintrace compare --help'.\n");
		return FT_EXIT_USAGE;
	}
	if (o.help) {
		fputs(usage, stdout);
		return FT_EXIT_OK;
	}
	if (load(o.args[0], &o, &before, err) ||
	    load(o.args[1], &o, &after, err)) {
		fprintf(stderr, "fintrace compare: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (cmp_diff(&before, &after, &res)) {
		fprintf(stderr, "fintrace compare: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (out_open(&out, o.output, err)) {
		fprintf(stderr, "fintrace compare: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	rc = o.format == RPT_JSON ? cmp_write_json(out.fp, &res)
				  : cmp_write_text(out.fp, &res);
	if (out_close(&out, err) || rc) {
		if (!out.quiet_epipe)
			fprintf(stderr, "fintrace compare: %s\n",
				err[0] ? err : "cannot write the comparison");
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (o.report_file) {
		out_command_line(cmdline, sizeof(cmdline), argc, argv);
		err[0] = '\0';
		if (out_open(&html, o.report_file, err) ||
		    (rc = cmp_write_html(html.fp, &res, cmdline),
		     out_close(&html, err)) ||
		    rc) {
			fprintf(stderr, "fintrace compare: %s\n",
				err[0] ? err : o.report_file);
			status = FT_EXIT_INPUT;
			goto out;
		}
	}
	if (cmp_worse(&res))
		status = FT_EXIT_FAIL_ON;
out:
	out_close(&out, NULL);
	out_close(&html, NULL);
	cmp_result_free(&res);
	cmp_report_free(&before);
	cmp_report_free(&after);
	return status;
}
