/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the whole of `fintrace read`: the input is written
 * to a capture file and cmd_read() runs on it with options picked by the
 * input's last byte (format, --all, a tiny --max-flows, --linger 1ms,
 * --evidence with more or fewer verdicts, --report), so that the evidence
 * capture (two passes), the HTML report and TIME_WAIT pressure see the
 * same hostile inputs as the reader.
 *
 * Checked besides memory errors: the exit status is 0, 2 or 3 (never a
 * usage error for a valid command line); the evidence capture written,
 * if any, reads back without error; nothing is left to stdout.
 *
 * cmd_read reports input errors on stderr; run with -close_fd_mask=2 to
 * keep the log readable (sanitizer reports still come through).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/source.h"
#include "cli/commands.h"
#include "fuzz.h"

static char dir[64];
static char in_path[96], ev_path[96], html_path[96];

static void fz_clean(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char path[sizeof(dir) + 260];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

static void fz_remove_dir(void)
{
	fz_clean();
	rmdir(dir);
}

static int fz_setup(void)
{
	if (dir[0])
		return 0;
	snprintf(dir, sizeof(dir), "/dev/shm/ftf-fuzz-read-XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/ftf-fuzz-read-XXXXXX");
		if (!mkdtemp(dir))
			return -1;
	}
	snprintf(in_path, sizeof(in_path), "%s/in.pcap", dir);
	snprintf(ev_path, sizeof(ev_path), "%s/ev.pcap", dir);
	snprintf(html_path, sizeof(html_path), "%s/r.html", dir);
	atexit(fz_remove_dir);
	return 0;
}

/* Every evidence file (one per link type) reads back to its end. */
static void fz_check_evidence(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	FZ_CHECK(d);
	while ((de = readdir(d))) {
		char path[sizeof(dir) + 260], err[FT_ERRBUF_SIZE];
		const char *paths[1] = {path};
		struct src_reader *r;
		struct src_packet p;
		int rc;

		if (strncmp(de->d_name, "ev.", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = src_open_files(paths, 1, NULL, err);
		if (!r) {
			fprintf(stderr, "evidence unreadable: %s\n", err);
			FZ_CHECK(r);
		}
		while ((rc = src_next(r, &p, err)) == 1)
			;
		if (rc)
			fprintf(stderr, "evidence damaged: %s\n", err);
		FZ_CHECK(rc == 0);
		src_free(r);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {"text", "json", "csv"};
	char *argv[32];
	int argc = 0, st;
	uint8_t b;
	FILE *f;

	if (!size || fz_setup())
		return 0;
	fz_clean();
	f = fopen(in_path, "wb");
	FZ_CHECK(f);
	FZ_CHECK(fwrite(data, 1, size, f) == size);
	FZ_CHECK(fclose(f) == 0);

	b = data[size - 1];
	argv[argc++] = "read";
	argv[argc++] = "--no-progress";
	argv[argc++] = "--format";
	argv[argc++] = (char *)fmts[b % 3];
	argv[argc++] = "-o";
	argv[argc++] = "/dev/null";
	argv[argc++] = "--fail-on";
	argv[argc++] = "never-closed";
	if (b & 4)
		argv[argc++] = "--all";
	if (b & 8) {
		argv[argc++] = "--max-flows";
		argv[argc++] = "3";
	}
	if (b & 16) {
		argv[argc++] = "--evidence";
		argv[argc++] = ev_path;
		if (b & 32) {
			argv[argc++] = "--evidence-verdicts";
			argv[argc++] = "never-closed,late-close,reset,open,"
				       "clean,half-close,fin-unacked";
		}
	}
	if (b & 64) {
		argv[argc++] = "--report";
		argv[argc++] = html_path;
	}
	if (b & 128) {
		argv[argc++] = "--linger";
		argv[argc++] = "1ms";
	}
	argv[argc++] = in_path;
	argv[argc] = NULL;

	st = cmd_read(argc, argv);
	if (st != FT_EXIT_OK && st != FT_EXIT_INPUT && st != FT_EXIT_FAIL_ON)
		fprintf(stderr, "fintrace read exit status %d\n", st);
	FZ_CHECK(st == FT_EXIT_OK || st == FT_EXIT_INPUT ||
		 st == FT_EXIT_FAIL_ON);
	if (b & 16)
		fz_check_evidence();
	return 0;
}
