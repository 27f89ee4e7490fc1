/* SPDX-License-Identifier: MIT */
/*
 * The evidence pack (fintrace read --evidence DIR/): what it holds, that
 * its manifest verifies with sha256sum -c, that the tshark commands and
 * frame numbers of its README.txt are right IN THE EVIDENCE FILE, that
 * its fintrace command gives the run's verdicts back, and that a used
 * directory is refused.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/opts.h"
#include "cmdrun.h"
#include "engine/pack.h"

#define LEAK PCAP_DIR "/print-server-leak.pcap"
#define DEMO PCAP_DIR "/demo-print-server.pcap"

TestSuite(pack, .init = cmd_setup, .fini = cmd_teardown);

/* Output of a shell command run in the pack as a number. */
static long number_of(const char *fmt, const char *dir)
{
	cr_assert_eq(cmd_run("cd '%s' && { %s; } > '%s/n' 2>/dev/null", dir,
			     fmt, cmd_tmp),
		     0, "%s", fmt);
	return strtol(cmd_slurp("n"), NULL, 10);
}

/* Flagged flows of the run (never-closed + late-close) from report.json. */
static long flagged(const char *dir)
{
	return number_of("jq -s '[.[] | select(.type == \"flow\" and "
			 "(.verdict == \"never-closed\" or .verdict == "
			 "\"late-close\"))] | length' report.json",
			 dir);
}

static void make_pack(const char *capture, const char *dir)
{
	cr_assert_eq(cmd_run(FINTRACE " read --evidence '%s/' '%s' > '%s/out'",
			     dir, capture, cmd_tmp),
		     0);
}

Test(pack, holds_every_file_and_its_manifest_verifies)
{
	char dir[512];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", cmd_path("pack"));
	make_pack(LEAK, dir);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(cmd_run("cd '%s' && ls evidence.pcap report.html "
			     "report.json FACTS.txt README.txt "
			     "MANIFEST.sha256 >/dev/null",
			     dir),
		     0);
	cr_assert_eq(
		cmd_run("cd '%s' && sha256sum --quiet -c MANIFEST.sha256", dir),
		0);
	/* every file of the pack but the manifest, and the input */
	cr_assert_eq(number_of("ls | grep -vc MANIFEST", dir), 5);
	cr_assert_eq(number_of("grep -c '  [^/]' MANIFEST.sha256", dir), 5);
	cr_assert_eq(number_of("grep -c '  /.*print-server-leak.pcap$' "
			       "MANIFEST.sha256",
			       dir),
		     1);
	/* a changed file no longer verifies */
	cr_assert_eq(cmd_run("cd '%s' && echo >> README.txt && "
			     "sha256sum --quiet -c MANIFEST.sha256 "
			     ">/dev/null 2>&1",
			     dir),
		     1);
	cr_assert_eq(number_of("grep -c '^fintrace: \\|^command: \\|^host: "
			       "\\|^kernel: \\|^run start: \\|^run end: ' "
			       "FACTS.txt",
			       dir),
		     6);
	cr_assert(cmd_jq("pack/report.json",
			 ".[-1].type == \"summary\" and "
			 ".[-1].verdicts[\"never-closed\"] == 8 and "
			 ".[-1].evidence.flows == 8 and "
			 ".[-1].evidence.error == null"));
	cr_assert_eq(
		cmd_run("grep -q 'Content-Security-Policy' '%s/report.html'",
			dir),
		0);
}

/* README.txt's commands, run as the recipient would, in the pack. */
static void readme_commands_count(const char *capture, long want)
{
	char dir[512];
	long n;

	snprintf(dir, sizeof(dir), "%s", cmd_path("pack"));
	make_pack(capture, dir);
	n = flagged(dir);
	cr_assert_eq(n, want);
	/* the command for all of them */
	cr_assert_eq(
		number_of("eval \"$(grep -m1 '^    tshark -r evidence.pcap "
			  "-Y tcp ' README.txt)\"",
			  dir),
		n);
	/* one filter per connection, each selecting only its packets */
	cr_assert_eq(number_of("grep -c '^  tshark -r evidence.pcap -Y ' "
			       "README.txt",
			       dir),
		     n);
	cr_assert_eq(number_of("grep '^  tshark -r evidence.pcap -Y ' "
			       "README.txt | while read -r cmd; do "
			       "eval \"$cmd -T fields -e tcp.stream\" | "
			       "sort -u | wc -l; done | sort -u | tr -d '\\n'",
			       dir),
		     1);
	/* every packet of the evidence is in one connection's frames */
	cr_assert_eq(number_of("grep '^  tshark -r evidence.pcap -Y ' "
			       "README.txt | while read -r cmd; do "
			       "eval \"$cmd\"; done | wc -l",
			       dir),
		     number_of("tshark -r evidence.pcap | wc -l", dir));
	/* frame numbers given are those of the evidence file */
	cr_assert_eq(number_of("grep -o 'Frames [0-9]*' README.txt | head -1 "
			       "| cut -d' ' -f2",
			       dir),
		     1);
}

Test(pack, readme_tshark_counts_the_flagged_flows)
{
	readme_commands_count(LEAK, 8);
}

Test(pack, readme_tshark_counts_the_flagged_flows_of_the_demo)
{
	readme_commands_count(DEMO, 35);
}

Test(pack, readme_fintrace_command_gives_the_verdicts_back)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", cmd_path("pack"));
	make_pack(DEMO, dir);
	cr_assert_eq(
		cmd_run("cd '%s' && cmd=$(sed -n '/^The same verdicts/{n;N;p}' "
			"README.txt | tr -d '\\\\\\n') && "
			"eval \"${cmd/fintrace/" FINTRACE "} --format json\" "
			"> '%s/again.json'",
			dir, cmd_tmp),
		0);
	cr_assert(cmd_jq("again.json",
			 ".[-1].verdicts[\"never-closed\"] == 28 and "
			 ".[-1].verdicts[\"late-close\"] == 7"));
	cr_assert_eq(
		cmd_run("grep -q 'the same 35 flagged' '%s/README.txt'", dir),
		0);
}

Test(pack, used_directory_is_refused_unless_forced)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", cmd_path("used"));
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(cmd_run("touch '%s/notes'", dir), 0);
	cr_assert_eq(cmd_run(FINTRACE " read --evidence '%s' " LEAK
				      " > /dev/null 2> '%s'",
			     dir, cmd_path("err")),
		     1);
	cr_assert(strstr(cmd_slurp("err"), "not empty"), "%s",
		  cmd_slurp("err"));
	cr_assert_eq(cmd_lines(cmd_slurp("err")), 1);
	cr_assert_eq(cmd_run("ls '%s' | wc -l | grep -qx 1", dir), 0);
	cr_assert_eq(cmd_run(FINTRACE " read --force --evidence '%s' " LEAK
				      " > /dev/null",
			     dir),
		     0);
	cr_assert_eq(
		cmd_run("cd '%s' && sha256sum --quiet -c MANIFEST.sha256", dir),
		0);
	/* an existing empty directory, named without a "/" */
	cr_assert_eq(mkdir(cmd_path("empty"), 0700), 0);
	cr_assert_eq(cmd_run(FINTRACE " read --evidence '%s' " LEAK
				      " > /dev/null",
			     cmd_path("empty")),
		     0);
	cr_assert_eq(cmd_run("test -s '%s/README.txt'", cmd_path("empty")), 0);
	/* the single-file form stays a file */
	cr_assert_eq(cmd_run(FINTRACE " read --evidence '%s' " LEAK
				      " > /dev/null",
			     cmd_path("e.pcap")),
		     0);
	cr_assert_eq(cmd_run("test -f '%s'", cmd_path("e.pcap")), 0);
}

Test(pack, sha256_test_vectors)
{
	char hex[65];

	cr_assert_eq(cmd_run("printf '' > '%s'", cmd_path("empty")), 0);
	cr_assert_eq(pack_sha256_file(cmd_path("empty"), hex), 0);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");
	cr_assert_eq(cmd_run("printf abc > '%s'", cmd_path("abc")), 0);
	cr_assert_eq(pack_sha256_file(cmd_path("abc"), hex), 0);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
	cr_assert_eq(cmd_run("head -c 1000000 /dev/zero | tr '\\0' a > '%s'",
			     cmd_path("a")),
		     0);
	cr_assert_eq(pack_sha256_file(cmd_path("a"), hex), 0);
	cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			      "f1809a48a497200e046d39ccc7112cd0");
	cr_assert_lt(pack_sha256_file(cmd_path("missing"), hex), 0);
}

Test(pack, capture_end_parses_report_times)
{
	uint64_t ns;

	cr_assert_eq(opts_parse_time("2026-11-26T11:30:02.331907123Z", &ns), 0);
	cr_assert_eq(ns, 1795692602331907123ull);
	cr_assert_eq(opts_parse_time("1970-01-01T00:00:01Z", &ns), 0);
	cr_assert_eq(ns, 1000000000ull);
	cr_assert_neq(opts_parse_time("2026-13-26T11:30:02Z", &ns), 0);
	cr_assert_neq(opts_parse_time("2026-11-26T11:30:02+02", &ns), 0);
	cr_assert_neq(opts_parse_time("-5", &ns), 0);
	cr_assert_neq(opts_parse_time("", &ns), 0);
}

/*
 * fintrace kernel --evidence DIR/: a server on loopback that never closes
 * two connections. Needs root and BPF: skipped by hand without them, a
 * failure under CI=true.
 */
Test(pack, kernel_pack_names_the_lingering_sockets)
{
	char dir[512];
	int port = 20000 + (int)(getpid() % 20000);

#ifndef HAVE_FT_BPF
	cr_skip_test("this build has no fintrace kernel (FT_BPF=OFF)");
#endif
	if (geteuid()) {
		const char *ci = getenv("CI");

		if (ci && !strcmp(ci, "true"))
			cr_assert_fail("needs root (BPF) under CI=true");
		cr_skip_test("fintrace kernel needs root (BPF)");
	}
	snprintf(dir, sizeof(dir), "%s", cmd_path("kpack"));
	cr_assert_eq(cmd_run(FINTRACE
			     " kernel --port %d --duration 5s --linger 1s "
			     "--no-progress --evidence '%s/' > '%s/k.out' "
			     "2> '%s/k.err' & k=$!; "
			     /* attached: its BPF links are open (at most
			      * 10 s), then a moment for the first sample */
			     "for i in $(seq 100); do [ $(cat /proc/$k/fdinfo/* "
			     "2>/dev/null | grep -c '^link_type') -ge 2 ] && "
			     "break; sleep 0.1; done; sleep 0.5; " BUILD_DIR
			     "/pcaps/ftpeer server -l 127.0.0.1:%d -n 0 "
			     "--on-eof never --exit-after 10 > /dev/null "
			     "2>&1 & s=$!; sleep 0.3; " BUILD_DIR
			     "/pcaps/ftpeer client -c 127.0.0.1:%d -n 2 "
			     "--interval 200 --send 100 --close-after 100 "
			     "--exit-after 5 > /dev/null 2>&1; wait $k; "
			     "rc=$?; kill $s; exit $rc",
			     port, dir, cmd_tmp, cmd_tmp, port, port),
		     0, "%s", cmd_slurp("k.err"));
	cr_assert_eq(
		cmd_run("cd '%s' && sha256sum --quiet -c MANIFEST.sha256", dir),
		0);
	cr_assert_eq(number_of("grep -c '^CLOSE-WAIT .*users:((\"ftpeer\"' "
			       "sockets.txt",
			       dir),
		     2);
	cr_assert_eq(number_of("grep -c 'stayed in CLOSE_WAIT at least' "
			       "README.txt",
			       dir),
		     2);
	cr_assert_eq(number_of("grep -c '  [a-zA-Z]' MANIFEST.sha256", dir), 5);
	cr_assert(cmd_jq("kpack/report.json",
			 ".[-1].type == \"summary\" and .[-1].mode == "
			 "\"kernel\""));
	/* a file is no pack for the kernel: it has no packets */
	cr_assert_eq(cmd_run(FINTRACE " kernel --evidence '%s' --duration 1s "
				      "2>/dev/null",
			     cmd_path("k.pcap")),
		     1);
}
