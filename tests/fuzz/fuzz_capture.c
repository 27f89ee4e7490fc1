/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the capture-file path of fintrace read: the input
 * is written to in-memory files (memfd) and read back through
 * src_open_files(), the decoder, the flow table and the report, exactly as
 * cmd_read does, with the report going to /dev/null.
 *
 * The input is one capture, or up to FZ_FILES captures separated by the
 * 8 bytes "FTSPLIT!" (merged in time order like rotated files). Its last
 * byte also picks the options: report format, --all, a tiny --max-flows,
 * a filter expression, --linger and --top, so every report path runs.
 *
 * Checked besides memory errors: an input error is one line that names
 * one of the files; the flow table is empty after the report; every frame
 * is either filtered or seen by the pipeline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/source.h"
#include "cli/opts.h"
#include "engine/pipeline.h"
#include "fuzz.h"

#define FZ_FILES 3
#define FZ_SEP "FTSPLIT!"
#define FZ_SEP_LEN 8

static const char *const filters[] = {
	"tcp[tcpflags] & (tcp-fin|tcp-rst) != 0 or port 80",
	"ip6 or vlan",
};

static const uint64_t lingers[] = {
	5000000000ULL,
	0,
	1000000ULL,
	3600000000000ULL,
};

static int fds[FZ_FILES] = {-1, -1, -1};
static char paths[FZ_FILES][32];
static FILE *devnull;

static int fz_setup(void)
{
	if (devnull)
		return 0;
	for (int i = 0; i < FZ_FILES; i++) {
		fds[i] = memfd_create("fuzz-capture", 0);
		if (fds[i] < 0)
			return -errno;
		snprintf(paths[i], sizeof(paths[i]), "/proc/self/fd/%d",
			 fds[i]);
	}
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : -errno;
}

static void fz_fill(int fd, const uint8_t *d, size_t n)
{
	FZ_CHECK(ftruncate(fd, 0) == 0);
	while (n) {
		ssize_t w = write(fd, d, n);

		FZ_CHECK(w > 0);
		d += w;
		n -= (size_t)w;
	}
	FZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
}

/* The error names one of the inputs and is a single line. */
static void fz_check_err(const char *err, size_t n)
{
	int named = 0;

	FZ_CHECK(err[0] != '\0');
	FZ_CHECK(strchr(err, '\n') == NULL);
	for (size_t i = 0; i < n; i++)
		named |= !strncmp(err, paths[i], strlen(paths[i]));
	FZ_CHECK(named);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *inputs[FZ_FILES];
	char err[FT_ERRBUF_SIZE];
	struct pipeline pl = {0};
	struct src_reader *src = NULL;
	struct src_packet pkt;
	const struct flow_stats *fs;
	struct ft_opts o = ft_opts_defaults;
	struct pipeline_config pc;
	const uint8_t *p = data, *end = data + size;
	size_t n = 0;
	uint8_t b;
	int rc;

	if (!size || fz_setup())
		return 0;
	/* Split on the separator; the last part runs to the end. */
	while (n < FZ_FILES) {
		const uint8_t *s = n + 1 < FZ_FILES
					   ? memmem(p, (size_t)(end - p),
						    FZ_SEP, FZ_SEP_LEN)
					   : NULL;
		const uint8_t *e = s ? s : end;

		fz_fill(fds[n], p, (size_t)(e - p));
		inputs[n] = paths[n];
		n++;
		if (!s)
			break;
		p = s + FZ_SEP_LEN;
	}

	b = data[size - 1];
	o.format = (enum rpt_format)(b % 3);
	o.list_open = (b >> 2) & 1;
	o.max_flows = (b >> 3) & 1 ? 2 : 0;
	o.linger_ns = lingers[(b >> 5) & 3];
	o.top = b >> 7 ? 0 : 10;
	o.filter = (b >> 4) & 1 ? filters[(b >> 5) & 1] : NULL;

	src = src_open_files(inputs, n, o.filter, err);
	if (!src) {
		fz_check_err(err, n);
		return 0;
	}
	opts_pipeline_config(&o, &pc);
	FZ_CHECK(pipeline_init(&pl, &pc, devnull, "read") == 0);
	while ((rc = src_next(src, &pkt, err)) == 1) {
		FZ_CHECK(pkt.input < n);
		FZ_CHECK(pkt.frame == src_get_stats(src)->frames);
		FZ_CHECK(pipeline_frame(&pl, pkt.data, pkt.caplen, pkt.wirelen,
					pkt.wall_ns, pkt.frame, pkt.dlt) == 0);
	}
	pl.filtered = src_get_stats(src)->filtered;
	if (rc < 0)
		fz_check_err(err, n);
	FZ_CHECK(pl.frames + pl.filtered == src_get_stats(src)->frames);
	/* A second call after the end (or an error) must not move on. */
	FZ_CHECK(src_next(src, &pkt, err) == rc);
	pipeline_finish(&pl, inputs, n, rc < 0 ? err : NULL);
	fs = flow_table_stats(pl.flows);
	FZ_CHECK(fs->tracked == 0);
	FZ_CHECK(fs->in_close_wait == 0);
	pipeline_free(&pl);
	src_free(src);
	return 0;
}
