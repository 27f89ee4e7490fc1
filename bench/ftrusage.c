// SPDX-License-Identifier: MIT
/*
 * ftrusage: runs one command and records what it cost, for bench/run.sh.
 *
 *   ftrusage -o RESULT -- COMMAND [ARG...]
 *
 * The command inherits standard input, output and error. When it ends,
 * one line is written to RESULT:
 *
 *   wall_ns=N user_ns=N sys_ns=N maxrss_kib=N status=N
 *
 * wall_ns is monotonic-clock time from fork to reap; user/sys and the peak
 * resident set size come from wait4() and cover the command alone (and
 * any children it waited for). status is the exit code, or 128 + the
 * signal number. ftrusage exits with the same status, or 125 when it could
 * not run the command, like env(1).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RU_EXIT_FAIL 125
#define RU_EXIT_NOEXEC 127

static uint64_t ru_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t ru_tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL +
	       (uint64_t)tv->tv_usec * 1000ULL;
}

int main(int argc, char **argv)
{
	const char *result = NULL;
	struct rusage ru;
	uint64_t t0, t1;
	FILE *fp = NULL;
	int wstatus = 0, status = RU_EXIT_FAIL, c;
	pid_t pid;

	while ((c = getopt(argc, argv, "+o:h")) != -1) {
		if (c == 'o') {
			result = optarg;
		} else {
			fprintf(stderr, "usage: ftrusage -o RESULT -- COMMAND "
					"[ARG...]\n");
			return c == 'h' ? 0 : RU_EXIT_FAIL;
		}
	}
	if (!result || optind >= argc) {
		fprintf(stderr, "ftrusage: need -o RESULT and a command\n");
		return RU_EXIT_FAIL;
	}
	fp = fopen(result, "w");
	if (!fp) {
		fprintf(stderr, "ftrusage: %s: %s\n", result, strerror(errno));
		return RU_EXIT_FAIL;
	}

	t0 = ru_mono_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ftrusage: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "ftrusage: %s: %s\n", argv[optind],
			strerror(errno));
		_exit(RU_EXIT_NOEXEC);
	}
	while (wait4(pid, &wstatus, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "ftrusage: wait4: %s\n",
				strerror(errno));
			goto out;
		}
	}
	t1 = ru_mono_ns();
	status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
				    : 128 + WTERMSIG(wstatus);
	fprintf(fp,
		"wall_ns=%" PRIu64 " user_ns=%" PRIu64 " sys_ns=%" PRIu64
		" maxrss_kib=%ld status=%d\n",
		t1 - t0, ru_tv_ns(&ru.ru_utime), ru_tv_ns(&ru.ru_stime),
		ru.ru_maxrss, status);
out:
	if (fclose(fp) && status == 0) {
		fprintf(stderr, "ftrusage: %s: %s\n", result, strerror(errno));
		status = RU_EXIT_FAIL;
	}
	return status;
}
