/* SPDX-License-Identifier: MIT */
/*
 * fintrace read gives the same bytes whatever --threads says, and
 * whether a file is read by fintrace's own reader or piped: on every capture in pcaps/, on
 * captures written by bench's ftgen at test time (every verdict, IPv6,
 * several files merged, flows evicted by --max-flows) and on a capture
 * cut short (the input error, its exit status and the report of what
 * came before).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define FTGEN BUILD_DIR "/bench/ftgen"

TU_SUITE(threads, .timeout = 300);

static const char *const formats[] = {"json", "text", "csv"};

/*
 * Read inputs (a shell word list) with extra options in each format
 * with 1, 2 and 3 threads; every run must give the same exit status,
 * standard error and report as the one-thread run. Returns the lines of
 * the one-thread JSON report.
 */
static int same_for_every_thread_count(const char *inputs, const char *extra)
{
	int json_lines = 0;

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		int st1 = run(FINTRACE " read --threads 1 --format %s %s "
				       "-o %s/r1 %s 2>%s/e1",
			      formats[f], extra, tmpdir, inputs, tmpdir);
		char path[512], *e1;

		cr_assert_lt(st1, 128, "%s: signal %d", inputs, st1 - 128);
		e1 = strdup(slurp("e1"));
		if (!strcmp(formats[f], "json")) {
			char *r1;

			snprintf(path, sizeof(path), "%s/r1", tmpdir);
			r1 = tu_slurp_path(path);
			json_lines = lines(r1);
			free(r1);
		}
		for (int t = 2; t <= 3; t++) {
			int st = run(FINTRACE " read --threads %d --format %s "
					      "%s -o %s/rt %s 2>%s/et",
				     t, formats[f], extra, tmpdir, inputs,
				     tmpdir);

			cr_expect_eq(st, st1, "%s --threads %d --format %s: "
					      "exit %d, one thread %d",
				     inputs, t, formats[f], st, st1);
			cr_expect_eq(run("cmp %s/r1 %s/rt >&2", tmpdir, tmpdir),
				     0,
				     "%s %s --threads %d --format %s: the "
				     "report differs",
				     inputs, extra, t, formats[f]);
			cr_expect_str_eq(slurp("et"), e1,
					 "%s --threads %d: stderr differs",
					 inputs, t);
		}
		free(e1);
	}
	return json_lines;
}

static int is_capture(const char *name)
{
	static const char *const ext[] = {".pcap", ".pcapng", ".pcap.gz",
					  ".pcap.zst", ".pcap.xz"};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t k = strlen(ext[i]);

		if (n > k && !strcmp(name + n - k, ext[i]))
			return 1;
	}
	return 0;
}

Test(threads, every_capture_in_pcaps)
{
	DIR *d = opendir(PCAP_DIR);
	struct dirent *de;
	int captures = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		char path[1024];

		if (!is_capture(de->d_name))
			continue;
		snprintf(path, sizeof(path), "'%s/%s'", PCAP_DIR, de->d_name);
		/* every capture there has at least one flow */
		cr_expect_gt(same_for_every_thread_count(path, ""), 1, "%s",
			     de->d_name);
		captures++;
	}
	closedir(d);
	cr_assert_geq(captures, 30, "only %d captures in pcaps/", captures);
}

/* Two generated captures, merged, with every verdict and IPv6. */
static void generate(void)
{
	cr_assert_eq(run(FTGEN " --flows 20000 --concurrency 3000 "
			       "--ipv6 0.3 --seed 7 --mix clean=40,"
			       "never-closed=10,late-close=10,reset=10,"
			       "half-close=5,fin-unacked=5,simultaneous=5,"
			       "refused=5,open=10 -o %s/a.pcap "
			       "--truth /dev/null",
			 tmpdir),
		     0);
	cr_assert_eq(run(FTGEN " --flows 5000 --concurrency 500 --seed 8 "
			       "--services 3 -o %s/b.pcap --truth /dev/null",
			 tmpdir),
		     0);
}

Test(threads, generated_captures)
{
	char inputs[600];

	generate();
	snprintf(inputs, sizeof(inputs), "%s/a.pcap %s/b.pcap", tmpdir,
		 tmpdir);
	/* 25000 flows, not all listed (open ones are not) */
	cr_expect_gt(same_for_every_thread_count(inputs, "--all"), 25000);
	cr_expect_gt(same_for_every_thread_count(inputs,
						 "--max-flows 400 --linger 2s"),
		     1000);
}

Test(threads, input_cut_short)
{
	char inputs[300];

	generate();
	/* cut in the middle of a record */
	cr_assert_eq(run("head -c 1000003 %s/a.pcap > %s/cut.pcap", tmpdir,
			 tmpdir),
		     0);
	snprintf(inputs, sizeof(inputs), "%s/cut.pcap", tmpdir);
	cr_expect_gt(same_for_every_thread_count(inputs, ""), 50);
	cr_expect_eq(run(FINTRACE " read --threads 3 -o /dev/null %s "
				  "2>/dev/null",
			 inputs),
		     2, "a damaged input exits 2");
}

/*
 * A plain pcap file on disk is read by fintrace's own reader
 * (capture/pcapfile.c, records that straddle its buffer included);
 * through a pipe libpcap reads it. Both must give the same report (the inputs'
 * names and the error's file name aside) and the same exit status: on
 * every classic pcap in pcaps/, on generated captures with nanosecond
 * and microsecond timestamps and a snap length, and on a cut one.
 */
static void same_direct_and_piped(const char *path)
{
	const char *norm = "jq -c 'del(.inputs) | del(.error)'";
	int a = run(FINTRACE " read --threads 1 --all --format json %s "
			     "2>/dev/null | %s > %s/direct",
		    path, norm, tmpdir);
	int b = run("cat %s | " FINTRACE " read --threads 1 --all --format "
		    "json - 2>/dev/null | %s > %s/piped",
		    path, norm, tmpdir);

	cr_expect_eq(a, b, "%s: exit %d direct, %d piped", path, a, b);
	cr_expect_eq(run("cmp %s/direct %s/piped >&2", tmpdir, tmpdir), 0,
		     "%s: the file reads differently from the pipe", path);
	cr_expect_gt(lines(slurp("direct")), 1, "%s", path);
}

Test(threads, plain_file_reads_as_libpcap_does)
{
	DIR *d = opendir(PCAP_DIR);
	struct dirent *de;
	char path[1024];
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		size_t k = strlen(de->d_name);

		if (k < 6 || strcmp(de->d_name + k - 5, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "'%s/%s'", PCAP_DIR, de->d_name);
		same_direct_and_piped(path);
		n++;
	}
	closedir(d);
	cr_assert_geq(n, 25, "only %d pcap files", n);
	cr_assert_eq(run(FTGEN " --flows 3000 --precision micro --snaplen 96 "
			       "--ipv6 0.3 -o %s/us.pcap --truth /dev/null",
			 tmpdir),
		     0);
	snprintf(path, sizeof(path), "%s/us.pcap", tmpdir);
	same_direct_and_piped(path);
	generate();
	/* cut inside the reader's first buffer (1 MiB), and after refills */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(run("head -c %d %s/a.pcap > %s/cut.pcap",
				 i ? 3000003 : 1000003, tmpdir, tmpdir),
			     0);
		snprintf(path, sizeof(path), "%s/cut.pcap", tmpdir);
		same_direct_and_piped(path);
		cr_expect(strstr(slurp("direct"), "\"type\":\"summary\""));
	}
}
