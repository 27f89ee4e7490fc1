/* SPDX-License-Identifier: MIT */
/*
 * fintrace read: verdicts from saved captures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "capture/source.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "engine/output.h"
#include "engine/pack.h"
#include "engine/pipeline.h"
#include "engine/stages.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct read_run {
	struct pack *pack; /* or NULL */
	double t0;
	struct pipeline *pl;
	struct src_reader *src;
	const struct ft_opts *o;
};

/*
 * The inputs have ended: settle when the capture ended, and finalise
 * the flows still open while the reporter stage, if any, still runs.
 */
static void read_end(void *ctx, int rc)
{
	const struct read_run *run = ctx;
	struct pipeline *pl = run->pl;
	const struct ft_opts *o = run->o;
	const struct src_stats *st = src_get_stats(run->src);

	pl->filtered = st->filtered;
	/* Frames the filter left out still tell how long the capture ran. */
	pipeline_note_last(pl, st->last_ns);
	/* The true end: --capture-end, else what pcapng statistics say. */
	if (o->capture_end == 1)
		pipeline_set_end(pl, o->capture_end_ns);
	else if (o->capture_end == 2 && pl->first_ns)
		pipeline_set_end(pl, pl->first_ns + o->capture_end_ns);
	else if (rc == 0 && src_capture_end_ns(run->src))
		pipeline_set_end(pl, src_capture_end_ns(run->src));
	pipeline_flush(pl);
}

/*
 * Room for a descriptor per input: the files of a ring are merged with
 * every one open, and a ring of a thousand files is common. The soft
 * limit (often 1024) is raised as far as needed, up to the hard one.
 */
static void room_for_inputs(int nfiles)
{
	rlim_t need = (rlim_t)nfiles + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
			      ? need
			      : rl.rlim_max;
	/* refused: the open fails naming the file and the limit */
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

static void show_progress(void *ctx, uint64_t frames, double frac, int final)
{
	const struct read_run *run = ctx;
	double dt = now_s() - run->t0;
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

static int pack_each(void *ctx, const struct src_packet *pkt)
{
	const struct read_run *run = ctx;

	return pack_frame(run->pack, pkt->data, pkt->caplen, pkt->wirelen,
			  pkt->wall_ns, pkt->frame, pkt->dlt);
}

/* 1 when a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	if (!a || !b || !strcmp(a, "-") || !strcmp(b, "-"))
		return 0;
	if (stat(a, &x) || stat(b, &y))
		return 0;
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Refuse outputs that would overwrite an input or each other. */
static int check_outputs(const struct ft_opts *o, char *err)
{
	const char *outs[3] = {o->evidence_file, o->report_file, o->output};
	const char *names[3] = {"--evidence", "--report", "-o"};

	for (int i = 0; i < 3; i++) {
		if (!outs[i])
			continue;
		for (int k = 0; k < o->nargs; k++)
			if (same_file(outs[i], o->args[k])) {
				snprintf(err, FT_ERRBUF_SIZE,
					 "%s %s is one of the inputs", names[i],
					 outs[i]);
				return -EINVAL;
			}
		for (int k = i + 1; k < 3; k++)
			if (outs[k] && (!strcmp(outs[i], outs[k]) ||
					same_file(outs[i], outs[k]))) {
				snprintf(err, FT_ERRBUF_SIZE,
					 "%s and %s name the same file",
					 names[i], names[k]);
				return -EINVAL;
			}
	}
	return 0;
}

/*
 * The second pass of the evidence capture: read the inputs again and
 * write the frames of the flows marked during the first. An input error
 * ends it quietly (it was reported by the first pass, at the same frame).
 * Returns 0, or -errno with the cause in err.
 */
static int evidence_pass(const struct ft_opts *o, struct pipeline *pl,
			 struct ev *ev, char *err)
{
	struct src_reader *src;
	struct src_packet pkt;
	char serr[FT_ERRBUF_SIZE];
	int rc = 0;

	(void)pl;
	if (!ev_marked(ev))
		return 0;
	src = src_open_files((const char *const *)o->args, (size_t)o->nargs,
			     o->filter, err);
	if (!src)
		return -errno;
	while (src_next(src, &pkt, serr) == 1) {
		struct flow_seg seg;
		struct flow_key key;
		struct ev_frame f;
		uint64_t id;

		if (pkt_decode(pkt.dlt, pkt.data, pkt.caplen, pkt.wirelen,
			       &seg) != PKT_OK)
			continue;
		flow_key_from_seg(&seg, &key);
		id = ev_select(ev, &key, pkt.frame);
		if (!id)
			continue;
		f.data = pkt.data;
		f.caplen = pkt.caplen;
		f.wirelen = pkt.wirelen;
		f.wall_ns = pkt.wall_ns;
		f.frame = pkt.frame;
		f.dlt = pkt.dlt;
		rc = ev_write(ev, id, &f, err);
		if (rc)
			break;
	}
	src_free(src);
	return rc;
}

/* What the inputs say about themselves (format, resolution, notes). */
struct capinfos {
	struct ev_capinfo *ci;
	struct html_input *in;
	const char **notes;
	size_t n;
	int nsec; /* 1 when any input has (or may have) ns timestamps */
};

static int capinfos_read(struct capinfos *c, const struct ft_opts *o)
{
	size_t n = (size_t)o->nargs, k = 0;

	memset(c, 0, sizeof(*c));
	c->ci = calloc(n, sizeof(*c->ci));
	c->in = calloc(n, sizeof(*c->in));
	c->notes = calloc(n * EV_INFO_MAX + 1, sizeof(*c->notes));
	if (!c->ci || !c->in || !c->notes)
		return -ENOMEM;
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		struct ev_capinfo *ci = &c->ci[i];

		if (ev_capinfo_read(o->args[i], ci))
			ci->nsec = -1;
		if (ci->nsec)
			c->nsec = 1;
		c->in[i].name = o->args[i];
		c->in[i].format = ci->format[0] ? ci->format : NULL;
		c->in[i].notes = c->notes + k;
		c->in[i].nnotes = ci->nnotes;
		for (size_t j = 0; j < ci->nnotes; j++)
			c->notes[k++] = ci->notes[j];
	}
	return 0;
}

static void capinfos_free(struct capinfos *c)
{
	free(c->ci);
	free(c->in);
	free(c->notes);
}

int cmd_read(int argc, char **argv)
{
	struct ft_opts o;
	struct pipeline_config pc;
	struct pipeline pl = {0};
	struct src_reader *src = NULL;
	struct stages_config sc = {0};
	struct read_run run = {.t0 = now_s()};
	struct out_file out = {0};
	char err[FT_ERRBUF_SIZE] = "", ierr[FT_ERRBUF_SIZE] = "";
	char oerr[FT_OPTS_ERRBUF];
	const char *input_error = NULL;
	int rc, status = FT_EXIT_OK, progress, streaming = 0;
	struct ev *ev = NULL;
	struct capinfos caps = {0};
	struct pack pack = {0};
	int packed = 0, nfiles = 0, why = 0;
	char **files = NULL;
	const char *word = NULL;

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
	/* tcpdump's habit: the files, then the filter's words. */
	rc = opts_read_inputs(&o, &files, &nfiles, &word, &why, oerr);
	if (rc) {
		fprintf(stderr, "fintrace read: %s\n",
			rc == -ENOMEM ? "out of memory" : oerr);
		if (rc == -ENOMEM)
			return FT_EXIT_INPUT;
		fprintf(stderr, "Try 'fintrace read --help'.\n");
		return FT_EXIT_USAGE;
	}
	o.args = files;
	o.nargs = nfiles;
	room_for_inputs(nfiles);
	if (check_outputs(&o, err)) {
		fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_USAGE;
		goto out;
	}
	if (o.evidence_file && pack_is_dir(o.evidence_file)) {
		opts_pipeline_config(&o, &pc);
		rc = pack_open(&pack, o.evidence_file, o.force, &pc, "read",
			       argc, argv, err);
		if (rc) {
			fprintf(stderr, "fintrace read: %s\n", err);
			status = rc == -ENOTEMPTY ? FT_EXIT_USAGE
						  : FT_EXIT_INPUT;
			goto out;
		}
		packed = 1;
		o.evidence_file = pack.evidence;
	}
	if ((o.evidence_file || o.report_file) && capinfos_read(&caps, &o)) {
		fprintf(stderr, "fintrace read: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}

	src = src_open_files((const char *const *)o.args, (size_t)o.nargs, NULL,
			     err);
	if (!src) {
		fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (src_set_filter(src, o.filter, err)) {
		/* Compiled for the capture's link type: a word that started
		 * the filter may be a file name mistyped. */
		if (word)
			fprintf(stderr,
				"fintrace read: %s: neither a readable file "
				"(%s) nor the start of a filter (%s)\n",
				word, strerror(why), err);
		else
			fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (out_open(&out, o.output, err)) {
		fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (o.evidence_file) {
		/*
		 * Standard input, a named pipe or /dev/fd/N (a process
		 * substitution) cannot be read twice: buffer instead.
		 */
		struct ev_config ec = {
			.path = o.evidence_file,
			.verdicts = o.evidence_verdicts,
			.buffer_bytes = o.evidence_buffer,
			.nsec = caps.nsec,
		};

		for (int i = 0; i < o.nargs; i++) {
			struct stat st;

			if (!strcmp(o.args[i], "-") || stat(o.args[i], &st) ||
			    !S_ISREG(st.st_mode))
				streaming = 1;
		}
		ec.streaming = streaming;
		ev = ev_open(&ec, err);
		if (!ev) {
			fprintf(stderr, "fintrace read: %s\n", err);
			status = FT_EXIT_INPUT;
			goto out;
		}
	}
	opts_pipeline_config(&o, &pc);
	if (pipeline_init(&pl, &pc, out.fp, "read")) {
		fprintf(stderr, "fintrace read: out of memory\n");
		status = FT_EXIT_INPUT;
		goto out;
	}
	if (ev)
		pipeline_evidence(&pl, ev, streaming);
	run.pack = packed ? &pack : NULL;
	sc.threads = o.threads ? o.threads : stages_default_threads();
	sc.frame = packed ? pack_each : NULL;
	sc.progress = progress ? show_progress : NULL;
	sc.end = read_end;
	sc.ctx = &run;
	run.pl = &pl;
	run.src = src;
	run.o = &o;
	rc = stages_read(&pl, src, &sc, err);
	if (rc == -ENOMEM)
		snprintf(err, sizeof(err),
			 "out of memory after %llu packets (try --max-flows)",
			 (unsigned long long)pl.frames);
	if (rc < 0) {
		/* One line now; the report still covers what was read. */
		fprintf(stderr, "fintrace read: %s\n", err);
		snprintf(ierr, sizeof(ierr), "%s", err);
		input_error = ierr;
		status = FT_EXIT_INPUT;
	}
	if (ev) {
		if (!streaming && !pl.ev_err[0] &&
		    evidence_pass(&o, &pl, ev, err))
			snprintf(pl.ev_err, sizeof(pl.ev_err), "%s", err);
		if (pipeline_evidence_finish(&pl, &pc, err)) {
			fprintf(stderr, "fintrace read: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	rc = pipeline_finish(&pl, (const char *const *)o.args,
			     (size_t)o.nargs, input_error);
	if (o.report_file && pipeline_html(&pl, o.report_file, caps.in, caps.n,
					   argc, argv, err)) {
		fprintf(stderr, "fintrace read: %s\n", err);
		status = FT_EXIT_INPUT;
	}
	if (packed) {
		struct pack_run run = {
			.inputs = (const char *const *)o.args,
			.ninputs = (size_t)o.nargs,
			.inputs_are_files = 1,
			.error = input_error,
			.ev = ev,
			.c = &pc,
			.in = caps.in,
			.nin = caps.n,
			.argc = argc,
			.argv = argv,
		};

		if (pack_finish(&pack, &pl, &run, err)) {
			fprintf(stderr, "fintrace read: %s\n", err);
			status = FT_EXIT_INPUT;
		}
	}
	err[0] = '\0';
	if (out_close(&out, err) || rc) {
		if (!out.quiet_epipe)
			fprintf(stderr, "fintrace read: %s\n",
				rc && !err[0] ? "cannot write the report" :
						err);
		status = FT_EXIT_INPUT;
	} else if (status == FT_EXIT_OK && pipeline_failed(&pl)) {
		status = FT_EXIT_FAIL_ON;
	} else if (status == FT_EXIT_OK && pipeline_no_match(&pl)) {
		status = FT_EXIT_NO_MATCH;
	}
out:
	pipeline_free(&pl);
	pack_free(&pack);
	ev_free(ev);
	capinfos_free(&caps);
	out_close(&out, NULL);
	src_free(src);
	free(files);
	return status;
}
