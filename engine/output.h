/* SPDX-License-Identifier: MIT */
/*
 * The report's output stream: standard output or a file (-o), with write
 * errors turned into one line naming the destination and its cause. A
 * closed pipe (fintrace ... | head) is a quiet end, not an error message.
 */
#ifndef FT_ENGINE_OUTPUT_H
#define FT_ENGINE_OUTPUT_H

#include <stdio.h>

struct out_file {
	FILE *fp;          /* buffered stream over fd */
	int fd;
	const char *name;  /* borrowed; "standard output" for stdout */
	int is_stdout;
	int write_errno;   /* first failed write(2), kept for the message */
	int quiet_epipe;   /* set by out_close() when the reader went away */
	int closed;
};

/*
 * Open path (NULL or "-": standard output) with mode (e.g. 0644). o must
 * stay at the same address until out_close(). Returns 0, or -errno with
 * the cause in err (FT_ERRBUF_SIZE bytes).
 */
int out_open(struct out_file *o, const char *path, char *err);

/*
 * As out_open(), but an existing file is appended to, never truncated
 * (snapshot lines for a log shipper that follows the file).
 */
int out_append(struct out_file *o, const char *path, char *err);

/*
 * Flush and close (standard output's descriptor stays open). Returns 0, or
 * -errno with "NAME: write error: cause" in err (when err is not NULL).
 * Calling it again, or on a zeroed struct, is a no-op returning 0.
 */
int out_close(struct out_file *o, char *err);

/*
 * "fintrace" and argv[0..argc) as a shell would take them back (quoted
 * where needed), for reports; truncated to n bytes.
 */
void out_command_line(char *buf, size_t n, int argc, char **argv);

struct rpt;
struct html_input;
struct tw;

/*
 * After rpt_finish(r): write the HTML report of r to path, with the
 * TIME_WAIT section of tw when not NULL (borrowed), describing the
 * inputs in[0..nin) (borrowed) and the command line argv[0..argc) (the
 * sub-command's). Returns 0, or -errno with one line naming the file in
 * err (FT_ERRBUF_SIZE).
 */
int out_html(const struct rpt *r, const struct tw *tw, const char *path,
	     const struct html_input *in, size_t nin, int argc, char **argv,
	     char *err);

#endif /* FT_ENGINE_OUTPUT_H */
