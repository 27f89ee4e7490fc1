/* SPDX-License-Identifier: MIT */
/*
 * What the end-to-end suites share: a scratch directory per test, running
 * a shell command, and reading back a file the command wrote.
 * TU_SUITE(name) declares the Criterion suite with that directory.
 */
#ifndef FT_TESTS_TESTUTIL_H
#define FT_TESTS_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FINTRACE BUILD_DIR "/cli/fintrace"

/* The current test's scratch directory. */
static char tmpdir[256];

static inline void tu_tmpdir_make(const char *suite)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ft-%s-XXXXXX", suite);
	cr_assert_not_null(mkdtemp(tmpdir));
}

static inline void tu_tmpdir_remove(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

#define TU_SUITE(name, ...)                                              \
	static void tu_setup(void)                                       \
	{                                                                \
		tu_tmpdir_make(#name);                                   \
	}                                                                \
	static void tu_teardown(void)                                    \
	{                                                                \
		tu_tmpdir_remove();                                      \
	}                                                                \
	TestSuite(name, .init = tu_setup, .fini = tu_teardown, ##__VA_ARGS__)

/* Run a shell command (printf-style); returns its exit status, or 128 +
 * the signal that ended it. */
__attribute__((format(printf, 1, 2))) static inline int
run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	cr_assert_neq(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Any file, whole and NUL-terminated, in a malloc'ed buffer: caller
 * frees. */
static inline char *tu_slurp_path(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A file of the scratch directory, whole (up to 1 MiB), in a static
 * buffer that the next call reuses. */
static inline const char *slurp(const char *name)
{
	static char buf[1 << 20];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static inline int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#endif /* FT_TESTS_TESTUTIL_H */
