/* SPDX-License-Identifier: MIT */
/*
 * A main() for the fuzz harnesses in builds without libFuzzer (gcc, or
 * the plain and sanitizer builds of run-tests.sh): runs every file named
 * on the command line, and every file in every directory named, through
 * LLVMFuzzerTestOneInput once, so the seed corpus and the committed crash
 * inputs replay in every build. Arguments starting with '-' are libFuzzer
 * flags and are ignored, so one command line suits both kinds of build.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Run one file; returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (!f)
		goto out;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	/* An exact-size heap copy, as libFuzzer gives, for ASan. */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* Every regular file in dir, in name order; returns files run or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **ents = NULL;
	char path[4096];
	long n = 0;
	int k = scandir(dir, &ents, NULL, alphasort);

	if (k < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < k; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && !stat(path, &st) &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path))
				n = -1;
			else if (n >= 0)
				n++;
		}
		free(ents[i]);
	}
	free(ents);
	return n;
}

int main(int argc, char **argv)
{
	long total = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			long n = replay_dir(argv[i]);

			if (n < 0)
				bad = 1;
			else
				total += n;
		} else if (replay_file(argv[i])) {
			bad = 1;
		} else {
			total++;
		}
	}
	fprintf(stderr, "replay: %ld inputs\n", total);
	return bad;
}
