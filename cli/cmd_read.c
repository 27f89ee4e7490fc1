/* SPDX-License-Identifier: MIT */
/*
 * fintrace read: verdicts from saved captures.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "capture/source.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/output.h"
#include "cli/pipeline.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_progress(const struct src_reader *src, uint64_t frames,
			  double t0, int final)
{
	double frac = src_progress(src), dt = now_s() - t0;
	double rate = dt > 0 ? (double)frames / dt : 0;

	if (frac >= 0)
		fprintf(stderr, "\rfintrace: %5.1f%%  %llu packets  %.2f Mpps ",
			100.0 * frac, (unsigned long long)frames, rate / 1e6);
	else
		fprintf(stderr, "\rfintrace: %llu packets  %.2f Mpps ",
			(unsigned long long)frames, rate / 1e6);
	if (final)
		fputs("\r\033[K", stderr);
}

int cmd_read(int argc, char **argv)
{
	struct ft_opts o;
	struct pipeline pl = {0};
	struct src_reader *src = NULL;
	struct src_packet pkt;
	struct out_file out = {0};
	char err[FT_ERRBUF_SIZE] = "", ierr[FT_ERRBUF_SIZE] = "";
	char oerr[FT_OPTS_ERRBUF];
	const char *input_error = NULL;
	int rc, status = FT_EXIT_OK, progress;
	double t0 = now_s();

	if (opts_parse(argc, argv, OPTS_READ, &o, oerr)) {
		fprintf(stderr, "fintrace read: %s\n", oerr);
		fprintf(stderr, "Try 'fintrace read --help'.\n");
		return FT_EXIT_USAGE;
	}
	if (o.help) {
		fputs(opts_usage(OPTS_READ), stdout);
		return FT_EXIT_OK;
	}
	progress = o.progress < 0 ? isatty(STDERR_FILENO) : o.progress;

	src = src_open_files((const char *const *)o.args, (size_t)o.nargs,
			     o.filter, err);
	if (!src) {
		fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (out_open(&out, o.output, err)) {
		fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (pipeline_init(&pl, &o, out.fp, "read")) {
		fprintf(stderr, "fintrace read: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	while ((rc = src_next(src, &pkt, err)) == 1) {
		if (pipeline_frame(&pl, pkt.data, pkt.caplen, pkt.wirelen,
				   pkt.wall_ns, pkt.frame, pkt.dlt)) {
			snprintf(err, sizeof(err), "out of memory after %llu "
				 "packets (try --max-flows)",
				 (unsigned long long)pl.frames);
			rc = -ENOMEM;
			break;
		}
		if (progress && !(pl.frames & 0xffff))
			show_progress(src, pl.frames, t0, 0);
	}
	if (progress)
		show_progress(src, pl.frames, t0, 1);
	pl.filtered = src_get_stats(src)->filtered;
	if (rc < 0) {
		/* One line now; the report still covers what was read. */
		fprintf(stderr, "fintrace read: %s\n", err);
		snprintf(ierr, sizeof(ierr), "%s", err);
		input_error = ierr;
		status = FT_EXIT_INPUT;
	}
	rc = pipeline_finish(&pl, (const char *const *)o.args,
			     (size_t)o.nargs, input_error);
	err[0] = '\0';
	if (out_close(&out, err) || rc) {
		if (!out.quiet_epipe)
			fprintf(stderr, "fintrace read: %s\n",
				rc && !err[0] ? "cannot write the report" :
						err);
		status = FT_EXIT_INPUT;
	} else if (status == FT_EXIT_OK && pipeline_failed(&pl)) {
		status = FT_EXIT_FAIL_ON;
	}
out:
	pipeline_free(&pl);
	out_close(&out, NULL);
	src_free(src);
	return status;
}
