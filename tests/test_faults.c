/* SPDX-License-Identifier: MIT */
/*
 * Output faults: nothing is reported as a success that was not written.
 *
 *  - a full disk (-o /dev/full, standard output on /dev/full, the HTML
 *    report and the evidence capture on /dev/full): exit 2 and one line
 *    naming the destination and "No space left on device";
 *  - a write that fails half-way (the file size limit, RLIMIT_FSIZE):
 *    exit 2, "File too large";
 *  - an output path that cannot be created (missing directory, a
 *    directory, below a regular file): exit 2, one line naming it, and
 *    no report anywhere;
 *  - an output that names one of the inputs: refused with exit 1 before
 *    anything is written, the input left intact;
 *  - a reader that goes away (fintrace ... | head -c 100): a quiet end,
 *    nothing on stderr, exit status 2 (the report was not delivered
 *    whole), and no hang.
 *
 * Also: files that hold captured packets (read --evidence, live -w) are
 * made 0600 whatever the umask, an existing file included; the report
 * itself follows the umask.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/capwrite.h"
#include "tests/cmdrun.h"

#define DEMO PCAP_DIR "/demo-print-server.pcap"
#define LEAK PCAP_DIR "/server-never-closes.pcap"

TestSuite(faults, .init = cmd_setup, .fini = cmd_teardown, .timeout = 300);

/* Exit status of fintrace ARGS with stderr to err, stdout to out. */
static int fin(const char *args)
{
	int st = cmd_run("timeout -k 5 120 %s read %s > %s 2> %s", FINTRACE,
			 args, cmd_path("out"), cmd_path("err"));

	cr_assert_neq(st, CMD_TIMED_OUT, "fintrace read %s: hung", args);
	return st;
}

/* stderr is exactly one line holding every string given. */
static void one_line_with(const char *a, const char *b)
{
	const char *e = cmd_slurp("err");

	cr_assert_eq(cmd_lines(e), 1, "stderr: %s", e);
	cr_assert(!strncmp(e, "fintrace read: ", 15), "stderr: %s", e);
	cr_assert(strstr(e, a), "wanted \"%s\" in: %s", a, e);
	if (b)
		cr_assert(strstr(e, b), "wanted \"%s\" in: %s", b, e);
}

Test(faults, full_disk_every_format)
{
	static const char *const fmts[] = {"text", "json", "csv"};

	for (int i = 0; i < 3; i++) {
		char args[512];

		snprintf(args, sizeof(args), "--format %s %s -o /dev/full",
			 fmts[i], DEMO);
		cr_assert_eq(fin(args), 2, "%s: %s", fmts[i], cmd_slurp("err"));
		one_line_with("/dev/full: write error", "No space left");
	}
}

Test(faults, full_standard_output)
{
	int st = cmd_run("%s read --format json %s > /dev/full 2> %s", FINTRACE,
			 DEMO, cmd_path("err"));

	cr_assert_eq(st, 2);
	one_line_with("standard output: write error", "No space left");
}

/* The HTML report and the evidence capture, when the build has them. */
Test(faults, full_disk_report_and_evidence)
{
	if (cmd_run("%s read --help | grep -q -- --evidence", FINTRACE))
		cr_skip_test("this build has no --evidence or --report");
	cr_assert_eq(fin("--report /dev/full " LEAK), 2, "%s",
		     cmd_slurp("err"));
	one_line_with("/dev/full", "No space left");
	cr_assert_eq(fin("--evidence /dev/full " LEAK), 2, "%s",
		     cmd_slurp("err"));
	one_line_with("/dev/full", "No space left");
}

/* A write that fails half-way: the size limit stops the report. */
Test(faults, write_fails_half_way)
{
	int st = cmd_run("trap '' XFSZ; ulimit -f 4; timeout 120 %s read "
			 "--format json --all %s -o %s 2> %s",
			 FINTRACE, DEMO, cmd_path("r.json"), cmd_path("err"));

	cr_assert_eq(st, 2, "%s", cmd_slurp("err"));
	one_line_with("r.json: write error", "File too large");
}

Test(faults, unwritable_output_paths)
{
	char args[1024];

	cr_assert_eq(cmd_run("touch %s", cmd_path("plain")), 0);
	snprintf(args, sizeof(args), "%s -o %s/no/such/dir/r.txt", DEMO,
		 cmd_tmp);
	cr_assert_eq(fin(args), 2);
	one_line_with("no/such/dir/r.txt", "No such file or directory");
	cr_assert_eq(cmd_slurp("out")[0], '\0');

	snprintf(args, sizeof(args), "%s -o %s", DEMO, cmd_tmp);
	cr_assert_eq(fin(args), 2);
	one_line_with(cmd_tmp, "Is a directory");
	cr_assert_eq(cmd_slurp("out")[0], '\0');

	snprintf(args, sizeof(args), "%s -o %s/r.txt", DEMO, cmd_path("plain"));
	cr_assert_eq(fin(args), 2);
	one_line_with("plain/r.txt", "Not a directory");
	cr_assert_eq(cmd_slurp("out")[0], '\0');

	/* The HTML report and the evidence, when the build has them. */
	if (cmd_run("%s read --help | grep -q -- --evidence", FINTRACE))
		return;
	snprintf(args, sizeof(args), "%s --report %s/no/r.html", LEAK, cmd_tmp);
	cr_assert_eq(fin(args), 2);
	one_line_with("no/r.html", "No such file or directory");
	snprintf(args, sizeof(args), "%s --evidence %s/no/e.pcap", LEAK,
		 cmd_tmp);
	cr_assert_eq(fin(args), 2);
	one_line_with("no/e.pcap", "No such file or directory");
}

/*
 * -o naming one of the inputs would truncate the capture before it is
 * read: refused (a usage error), the capture untouched.
 */
Test(faults, output_is_an_input)
{
	char args[2048], cap[512];

	snprintf(cap, sizeof(cap), "%s", cmd_path("in.pcap"));
	cr_assert_eq(cmd_run("cp %s %s", DEMO, cap), 0);
	snprintf(args, sizeof(args), "%s -o %s", cap, cap);
	cr_assert_eq(fin(args), 1, "%s", cmd_slurp("err"));
	one_line_with("in.pcap", NULL);
	cr_assert_eq(cmd_run("cmp -s %s %s", DEMO, cap), 0,
		     "the input was overwritten");
	/* The same file under another name. */
	cr_assert_eq(cmd_run("ln -s in.pcap %s", cmd_path("link.pcap")), 0);
	snprintf(args, sizeof(args), "%s %s -o %s", DEMO, cmd_path("link.pcap"),
		 cap);
	cr_assert_eq(fin(args), 1, "%s", cmd_slurp("err"));
	cr_assert_eq(cmd_run("cmp -s %s %s", DEMO, cap), 0,
		     "the input was overwritten");
}

/* A capture whose JSON report (--all) is several MB. */
static void big_capture(const char *path)
{
	struct cw_buf b = {0};
	uint8_t fr[CW_FRAME_MAX];
	struct cw_tcp t = cw_tcp4("10.0.0.1", 1024, "10.0.0.2", 80);
	size_t len;

	cw_pcap_hdr(&b, CW_PCAP_MAGIC_US, 65535, CW_LT_RAW);
	t.flags = 0x02;
	len = cw_frame(fr, CW_LT_RAW, &t);
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t a = htonl(0x0a400000u + i);

		memcpy(fr + 12, &a, 4);
		cw_pcap_rec(&b, 1700000000u, i, (uint32_t)len, (uint32_t)len,
			    fr, len);
	}
	cr_assert_eq(cw_save(&b, b.n, path), 0);
	cw_free(&b);
}

/*
 * The reader goes away after 100 bytes: fintrace ends quietly (no
 * "Broken pipe" message, no SIGPIPE death) with status 2, since the
 * report was not delivered whole. The report is far larger than the pipe
 * and stdio buffers, so the write failure is certain.
 */
Test(faults, closed_pipe_quiet_exit_2)
{
	char cap[512];
	int st;

	snprintf(cap, sizeof(cap), "%s", cmd_path("big.pcap"));
	big_capture(cap);
	for (int i = 0; i < 3; i++) {
		static const char *const fmts[] = {"json --all", "csv --all",
						   "text"};

		st = cmd_run("set -o pipefail; timeout -k 5 120 %s read "
			     "--format %s %s 2> %s | head -c 100 > %s",
			     FINTRACE, fmts[i], cap, cmd_path("err"),
			     cmd_path("out"));
		if (i == 2) {
			/* The text report is short: it fits the pipe. */
			cr_assert(st == 0 || st == 2, "text: status %d", st);
		} else {
			cr_assert_eq(st, 2, "%s: status %d, stderr: %s",
				     fmts[i], st, cmd_slurp("err"));
		}
		cr_assert_eq(cmd_slurp("err")[0], '\0', "stderr: %s",
			     cmd_slurp("err"));
		cr_assert_eq(strlen(cmd_slurp("out")), 100);
	}
}

static unsigned mode_of(const char *name)
{
	struct stat st;

	cr_assert_eq(stat(cmd_path(name), &st), 0, "%s not written", name);
	return st.st_mode & 07777;
}

/*
 * The evidence capture holds the captured traffic: 0600 even with
 * umask 0, also when it replaces a world-readable file, while the text
 * report follows the umask.
 */
Test(faults, evidence_file_mode_0600)
{
	if (cmd_run("%s read --help | grep -q -- --evidence", FINTRACE))
		cr_skip_test("this build has no --evidence");
	cr_assert_eq(cmd_run("umask 0; %s read %s --evidence %s -o %s",
			     FINTRACE, LEAK, cmd_path("ev.pcap"),
			     cmd_path("r.txt")),
		     0);
	cr_assert_eq(mode_of("ev.pcap"), 0600, "evidence mode %o",
		     mode_of("ev.pcap"));
	cr_assert_eq(mode_of("r.txt"), 0644, "report mode %o",
		     mode_of("r.txt"));
	cr_assert_eq(cmd_run("install -m 644 /dev/null %s && umask 0 && "
			     "%s read %s --evidence %s > /dev/null",
			     cmd_path("old.pcap"), FINTRACE, LEAK,
			     cmd_path("old.pcap")),
		     0);
	cr_assert_eq(mode_of("old.pcap"), 0600, "evidence mode %o",
		     mode_of("old.pcap"));
}

/*
 * fintrace live -w keeps the raw packets: 0600, a new file or an
 * existing world-readable one. Runs on the loopback of a network
 * namespace of its own (root); under CI=true a skip is a failure.
 */
Test(faults, live_write_file_mode_0600)
{
	int st;

	if (cmd_run("%s live --help 2>&1 | grep -q -- --write", FINTRACE))
		cr_skip_test("this build has no fintrace live -w");
	if (geteuid()) {
		cr_assert_null(getenv("CI"), "live -w test needs root");
		cr_skip_test("needs root for a network namespace");
	}
	cr_assert_eq(cmd_run("ip netns add ftf-faults-w && "
			     "ip netns exec ftf-faults-w ip link set lo up"),
		     0);
	st = cmd_run("install -m 644 /dev/null %s && umask 0 && "
		     "for f in %s %s; do timeout -k 5 30 ip netns exec "
		     "ftf-faults-w %s live -i lo -w $f --duration 500ms "
		     "> /dev/null 2> %s || exit 1; done",
		     cmd_path("old.pcap"), cmd_path("new.pcap"),
		     cmd_path("old.pcap"), FINTRACE, cmd_path("err"));
	cmd_run("ip netns del ftf-faults-w");
	cr_assert_eq(st, 0, "%s", cmd_slurp("err"));
	cr_assert_eq(mode_of("new.pcap"), 0600, "-w mode %o",
		     mode_of("new.pcap"));
	cr_assert_eq(mode_of("old.pcap"), 0600, "-w mode %o",
		     mode_of("old.pcap"));
}
