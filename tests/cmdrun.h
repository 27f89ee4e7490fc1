/* SPDX-License-Identifier: MIT */
/*
 * Helpers for suites that run the fintrace executable: a scratch
 * directory per test, shell commands with their exit status, small files
 * read back, and jq conditions on JSON Lines output.
 */
#ifndef FT_TESTS_CMDRUN_H
#define FT_TESTS_CMDRUN_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define FINTRACE BUILD_DIR "/cli/fintrace"

/* A command cut off by timeout(1) exits with this status. */
#define CMD_TIMED_OUT 124

static char cmd_tmp[256];

static inline void cmd_setup(void)
{
	snprintf(cmd_tmp, sizeof(cmd_tmp), "/tmp/ft-test-XXXXXX");
	cr_assert_not_null(mkdtemp(cmd_tmp));
}

/* FT_TEST_KEEP=1 keeps the scratch directories, to look at a failure. */
static inline void cmd_teardown(void)
{
	char cmd[512];

	if (getenv("FT_TEST_KEEP")) {
		fprintf(stderr, "kept %s\n", cmd_tmp);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cmd_tmp);
	cr_assert_eq(system(cmd), 0);
}

/*
 * cmd_tmp/name in a static buffer, one of four used in turn: enough for
 * the arguments of one call; copy a path that must live longer.
 */
static inline const char *cmd_path(const char *name)
{
	static char bufs[4][512];
	static int k;
	char *b = bufs[k++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", cmd_tmp, name);
	return b;
}

/*
 * Run a command line with bash (for pipefail and PIPESTATUS); returns its
 * exit status, or 128 + the signal that killed it.
 */
static inline int cmd_run(const char *fmt, ...)
{
	char cmd[8192], *line, *o;
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* bash -c '...', with every ' written as '\'' */
	line = malloc(strlen(cmd) * 4 + 16);
	cr_assert_not_null(line);
	o = line + sprintf(line, "bash -c '");
	for (const char *p = cmd; *p; p++) {
		if (*p == '\'')
			o += sprintf(o, "'\\''");
		else
			*o++ = *p;
	}
	strcpy(o, "'");
	st = system(line);
	free(line);
	cr_assert_neq(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The whole of cmd_tmp/name (up to 1 MiB) in a static buffer. */
static inline const char *cmd_slurp(const char *name)
{
	static char buf[1 << 20];
	FILE *f = fopen(cmd_path(name), "r");
	size_t n;

	cr_assert_not_null(f, "%s", name);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static inline int cmd_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* 1 when jq -e -s EXPR holds on cmd_tmp/name (JSON Lines). */
static inline int cmd_jq(const char *name, const char *expr)
{
	return cmd_run("jq -e -s '%s' '%s' > /dev/null 2>&1", expr,
		       cmd_path(name)) == 0;
}

#endif /* FT_TESTS_CMDRUN_H */
