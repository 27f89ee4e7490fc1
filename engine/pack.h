/* SPDX-License-Identifier: MIT */
/*
 * The evidence pack (--evidence DIR): one directory a vendor can be sent,
 * holding
 *  - evidence.pcap (one file per link type: capture/evidence.h), every
 *    packet of the flagged connections;
 *  - report.html and report.json, the reports of the same run (the JSON
 *    one from a second report model fed the same frames);
 *  - FACTS.txt: fintrace's version, the command line, host, kernel, and
 *    when the run and the capture started and ended;
 *  - README.txt, for the recipient: each flagged connection with its
 *    frame numbers and Wireshark display filter IN THE EVIDENCE FILE (they
 *    come from fintrace's own analysis of that file, so they are valid
 *    there however the frames were renumbered), tshark commands, and the
 *    fintrace command that gives the same verdicts from it (with
 *    --capture-end: the evidence file ends with its last flagged packet);
 *  - MANIFEST.sha256, in `sha256sum -c` format: every input (by absolute
 *    path) and every file above.
 * fintrace kernel has no packets: its pack holds report.html and
 * report.json, sockets.txt (the sockets still lingering at the end, as
 * ss -tanp shows them, with their process), FACTS.txt, README.txt and the
 * manifest.
 * The directory is created with mode 0700 when missing; an existing one
 * must be empty unless forced.
 */
#ifndef FT_ENGINE_PACK_H
#define FT_ENGINE_PACK_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/evidence.h"
#include "engine/output.h"
#include "engine/pipeline.h"

#define PACK_NAME_MAX 4096

struct pack {
	char dir[PACK_NAME_MAX];
	char evidence[PACK_NAME_MAX]; /* DIR/evidence.pcap */
	char html[PACK_NAME_MAX];     /* DIR/report.html */
	char json[PACK_NAME_MAX];     /* DIR/report.json */
	char cmdline[PACK_NAME_MAX];
	const char *mode; /* "read", "live" (borrowed) */
	uint64_t run_start_ns;
	uint64_t first_ns, last_ns; /* the capture (pack_finish) */
	uint64_t lingering;	    /* kernel: sockets in sockets.txt */
	struct out_file jout;
	struct pipeline pl; /* the JSON report's model */
	int pl_ready;
};

/*
 * 1 when path names a pack rather than a file: an existing directory, or
 * a path ending in "/".
 */
int pack_is_dir(const char *path);

/*
 * Make path (see above; not empty unless force) the pack of a run of
 * mode with the configuration c (borrowed; the JSON report uses it) and
 * the sub-command's argv[0..argc). p must stay at the same address until
 * pack_free(). Returns 0, or -errno with one line naming the directory
 * in err (FT_ERRBUF_SIZE); -ENOTEMPTY when it is not empty.
 */
int pack_open(struct pack *p, const char *path, int force,
	      const struct pipeline_config *c, const char *mode, int argc,
	      char **argv, char *err);

/* Hand a frame (borrowed) to the pack's JSON report. Returns 0 or -ENOMEM. */
int pack_frame(struct pack *p, const uint8_t *data, uint32_t caplen,
	       uint32_t wirelen, uint64_t wall_ns, uint64_t frame, int dlt);

/* What pack_finish() needs to know of the run, beside its pipeline. */
struct pack_run {
	const char *const *inputs; /* files (or interface) analysed */
	size_t ninputs;
	int inputs_are_files; /* 1: hashed in the manifest */
	const char *error;    /* input error that ended the run, or NULL */
	const struct ev *ev;  /* the finished evidence (borrowed) */
	const struct pipeline_config *c;
	const struct html_input *in; /* for report.html (see pipeline_html) */
	size_t nin;
	int argc; /* the sub-command's command line */
	char **argv;
};

/*
 * After the run pl (its report written, its evidence finished): write
 * report.html, finish report.json, then write FACTS.txt, README.txt and
 * MANIFEST.sha256. Returns 0, or -errno with one line naming the file in
 * err.
 */
int pack_finish(struct pack *p, struct pipeline *pl, const struct pack_run *run,
		char *err);

/*
 * fintrace kernel: make path the pack (as pack_open, without a JSON
 * report of its own: the caller writes p->json and p->html).
 */
int pack_open_dir(struct pack *p, const char *path, int force, const char *mode,
		  int argc, char **argv, char *err);

/*
 * fintrace kernel, once report.json and report.html are written: write
 * sockets.txt (the sockets still lingering at the end, in ss -tanp
 * style, from report.json), FACTS.txt, README.txt and MANIFEST.sha256.
 * run->ev is NULL; run->inputs[0] says what was traced. Returns 0, or
 * -errno with one line naming the file in err.
 */
int pack_finish_kernel(struct pack *p, const struct pack_run *run,
		       uint64_t start_wall_ns, uint64_t end_wall_ns, char *err);

/* Free what the pack holds (files already written stay); zeroed: no-op. */
void pack_free(struct pack *p);

/*
 * SHA-256 of the file path as 64 lower-case hex digits in hex (65
 * bytes). Returns 0 or -errno.
 */
int pack_sha256_file(const char *path, char *hex);

#endif /* FT_ENGINE_PACK_H */
