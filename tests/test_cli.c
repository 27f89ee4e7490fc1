/* SPDX-License-Identifier: MIT */
/*
 * The fintrace executable end to end: JSON Lines that parse with every
 * documented field, CSV, exit statuses, one-line errors that name the
 * file, partial reports after a damaged input, merged and piped inputs.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

TU_SUITE(cli);

/* The documented fields (README "JSON output"), in order. */
static const char flow_keys[] =
	"[\"type\",\"id\",\"verdict\",\"client\",\"server\",\"roles\","
	"\"active_closer\",\"reset_by\",\"reset_phase\",\"signature\","
	"\"start\",\"start_offset\",\"end\",\"end_offset\",\"duration\","
	"\"close_wait\",\"close_wait_start_offset\",\"close_wait_end_offset\","
	"\"in_close_wait_at_end\",\"fin_wait\",\"client_fin_offset\","
	"\"server_fin_offset\",\"client_rst_offset\",\"server_rst_offset\","
	"\"packets\",\"fins\",\"rsts\",\"client_bytes\",\"server_bytes\","
	"\"first_frame\",\"last_frame\",\"end_reason\",\"lossy\",\"filter\","
	"\"close_wait_at_least\",\"tunnel\",\"one_way\"]";

static const char service_keys[] =
	"[\"type\",\"side\",\"service\",\"flows\",\"verdicts\","
	"\"client_leaks\",\"close_wait\",\"in_close_wait_at_end\","
	"\"oldest_at_end\",\"peak_close_wait\",\"peak_offset\","
	"\"growth_per_hour\",\"timeline_bucket\",\"timeline\","
	"\"worst_flows\"]";

static const char summary_keys[] =
	"[\"type\",\"version\",\"mode\",\"inputs\",\"linger\",\"start\","
	"\"end\",\"duration\",\"packets\",\"tcp_segments\",\"snapped\","
	"\"drops\",\"queue_drops\",\"skipped\",\"flows\",\"verdicts\",\"peak_tracked\","
	"\"evicted\",\"reused\",\"idle_expired\",\"lossy_flows\","
	"\"one_way_flows\",\"filter\",\"filter_matched\",\"headline\","
	"\"error\"]";

Test(cli, json_lines_parse_with_documented_fields)
{
	int rc = run("set -e; for f in %s/*.pcap %s/*.pcapng; do "
		     "[ -e \"$f\" ] || continue; "
		     "%s read --format json --all \"$f\" > %s/out.json; "
		     /* every line is one JSON object */
		     "jq -e -c . %s/out.json > /dev/null; "
		     "jq -e -s --argjson fk '%s' --argjson sk '%s' "
		     "--argjson mk '%s' "
		     "'(map(select(.type==\"flow\") | keys_unsorted == $fk) "
		     "| all) and "
		     "(map(select(.type==\"service\" and .side==\"server\") | "
		     "keys_unsorted == $sk) | all) and "
		     "(map(select(.type==\"summary\")) | length == 1) and "
		     "(last | .type == \"summary\" and keys_unsorted == $mk) and "
		     "((map(select(.type==\"flow\")) | length) == "
		     "last.flows) and "
		     "(map(select(.type==\"flow\") | .verdict) | "
		     "all(IN(\"clean\",\"late-close\",\"never-closed\","
		     "\"half-close\",\"reset\",\"fin-unacked\",\"simultaneous\","
		     "\"refused\",\"open\")))' %s/out.json > /dev/null "
		     "|| { echo \"bad JSON for $f\" >&2; exit 1; }; done",
		     PCAP_DIR, PCAP_DIR, FINTRACE, tmpdir, tmpdir, flow_keys,
		     service_keys, summary_keys, tmpdir);

	cr_assert_eq(rc, 0);
}

Test(cli, json_times_absolute_and_offsets)
{
	cr_assert_eq(run("%s read --format json %s/server-late-close.pcap > "
			 "%s/o.json",
			 FINTRACE, PCAP_DIR, tmpdir),
		     0);
	cr_assert_eq(run("jq -e -s 'map(select(.type==\"flow\"))[0] | "
			 "(.start | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}"
			 "\\\\.[0-9]{9}Z$\")) and .close_wait > 5 and "
			 ".verdict == \"late-close\" and "
			 "(.close_wait_end_offset - .close_wait_start_offset - "
			 ".close_wait | fabs) < 1e-6' %s/o.json > /dev/null",
			 tmpdir),
		     0);
}

Test(cli, csv_one_row_per_flow)
{
	cr_assert_eq(run("%s read --format csv --all %s/demo-print-server.pcap "
			 "> %s/o.csv && %s read --format json --all "
			 "%s/demo-print-server.pcap | jq -s 'map(select(.type"
			 "==\"flow\")) | length' > %s/n",
			 FINTRACE, PCAP_DIR, tmpdir, FINTRACE, PCAP_DIR,
			 tmpdir),
		     0);
	int flows = atoi(slurp("n"));
	const char *csv = slurp("o.csv");

	cr_assert_gt(flows, 10);
	cr_assert_eq(strncmp(csv, "id,verdict,client,server,", 25), 0);
	cr_assert_eq(lines(csv), flows + 1);
}

Test(cli, demo_headline_names_the_leak)
{
	cr_assert_eq(run("%s read %s/demo-print-server.pcap > %s/o.txt",
			 FINTRACE, PCAP_DIR, tmpdir),
		     0);
	const char *t = slurp("o.txt");

	cr_assert(strstr(t, "server 10.77.0.2:9100 never closed "), "%s", t);
	cr_assert(strstr(t, "connections after the client closed"), "%s", t);
	cr_assert(strstr(t, "WORST FLOWS"));
	cr_assert(strstr(t, "frame.number>="));
}

/*
 * Frames a filter leaves out still tell how long the capture ran: the
 * leak that lasts to the end reads the same with "tcp port 9100" as
 * without (28 never closed, oldest at least 25.852s), not cut at the
 * last frame the filter kept.
 */
Test(cli, filter_keeps_the_capture_end)
{
	static const char headline[] =
		"server 10.77.0.2:9100 never closed 28 of 90 connections "
		"after the client closed; oldest in CLOSE_WAIT at least "
		"25.852s at end of capture";

	cr_assert_eq(run("%s read %s/demo-print-server.pcap tcp port 9100 "
			 "> %s/f.txt",
			 FINTRACE, PCAP_DIR, tmpdir),
		     0);
	cr_assert(strstr(slurp("f.txt"), headline), "%s", slurp("f.txt"));
	cr_assert(strstr(slurp("f.txt"), ", 26.258s, 973 frames, 699 TCP "
					 "segments"),
		  "%s", slurp("f.txt"));
	cr_assert_eq(run("%s read %s/demo-print-server.pcap > %s/u.txt",
			 FINTRACE, PCAP_DIR, tmpdir),
		     0);
	cr_assert(strstr(slurp("u.txt"), headline), "%s", slurp("u.txt"));
}

Test(cli, fail_on_exit_status)
{
	cr_assert_eq(run("%s read --fail-on never-closed "
			 "%s/server-never-closes.pcap > /dev/null",
			 FINTRACE, PCAP_DIR),
		     3);
	cr_assert_eq(run("%s read --fail-on never-closed "
			 "%s/clean-client-close.pcap > /dev/null",
			 FINTRACE, PCAP_DIR),
		     0);
}

Test(cli, missing_file_one_line_exit_2)
{
	cr_assert_eq(run("%s read /nonexistent/x.pcap > %s/out 2> %s/err",
			 FINTRACE, tmpdir, tmpdir),
		     2);
	const char *e = slurp("err");

	cr_assert_eq(lines(e), 1, "%s", e);
	cr_assert(strstr(e, "/nonexistent/x.pcap"));
	cr_assert(strstr(e, "No such file"));
}

Test(cli, not_a_capture_exit_2)
{
	cr_assert_eq(run("%s read %s/test_cli.c > /dev/null 2> %s/err",
			 FINTRACE, SRC_DIR "/tests", tmpdir),
		     2);
	const char *e = slurp("err");

	cr_assert_eq(lines(e), 1, "%s", e);
	cr_assert(strstr(e, "test_cli.c"));
}

Test(cli, bad_filter_exit_2)
{
	cr_assert_eq(run("%s read %s/refused.pcap -- 'tcp port 99999' "
			 "> /dev/null 2> %s/err",
			 FINTRACE, PCAP_DIR, tmpdir),
		     2);
	const char *e = slurp("err");

	cr_assert_eq(lines(e), 1, "%s", e);
	cr_assert(strstr(e, "refused.pcap"));
	cr_assert(strstr(e, "filter"));
}

Test(cli, truncated_capture_still_reported)
{
	/* Cut the demo capture in the middle of a record. */
	cr_assert_eq(run("head -c 3001 %s/demo-print-server.pcap > "
			 "%s/cut.pcap",
			 PCAP_DIR, tmpdir),
		     0);
	cr_assert_eq(run("%s read --format json %s/cut.pcap > %s/out "
			 "2> %s/err",
			 FINTRACE, tmpdir, tmpdir, tmpdir),
		     2);
	cr_assert_eq(lines(slurp("err")), 1);
	cr_assert(strstr(slurp("err"), "cut.pcap"));
	cr_assert_eq(run("jq -e -s 'last | .type == \"summary\" and "
			 ".error != null and .flows > 0' %s/out > /dev/null",
			 tmpdir),
		     0);
}

Test(cli, usage_error_exit_1)
{
	cr_assert_eq(run("%s read --format xml x 2> /dev/null", FINTRACE), 1);
	cr_assert_eq(run("%s 2> /dev/null", FINTRACE), 1);
	cr_assert_eq(run("%s frobnicate 2> /dev/null", FINTRACE), 1);
	cr_assert_eq(run("%s read --help > /dev/null", FINTRACE), 0);
}

Test(cli, full_disk_is_an_error)
{
	cr_assert_eq(run("%s read %s/demo-print-server.pcap -o /dev/full "
			 "2> %s/err",
			 FINTRACE, PCAP_DIR, tmpdir),
		     2);
	cr_assert(strstr(slurp("err"), "No space left"));
}

Test(cli, stdin_and_split_files_give_same_verdicts)
{
	const char *demo = PCAP_DIR "/demo-print-server.pcap";

	cr_assert_eq(run("%s read --format csv --all %s | cut -d, -f2-9 | "
			 "sort > %s/whole",
			 FINTRACE, demo, tmpdir),
		     0);
	cr_assert_eq(run("cat %s | %s read --format csv --all - | "
			 "cut -d, -f2-9 | sort > %s/stdin",
			 demo, FINTRACE, tmpdir),
		     0);
	/* Rotated capture: two halves, given in the wrong order. */
	cr_assert_eq(run("editcap -r %s %s/a.pcap 1-400 && "
			 "editcap %s %s/b.pcap 1-400 && "
			 "%s read --format csv --all %s/b.pcap %s/a.pcap | "
			 "cut -d, -f2-9 | sort > %s/split",
			 demo, tmpdir, demo, tmpdir, FINTRACE, tmpdir, tmpdir,
			 tmpdir),
		     0);
	cr_assert_eq(run("cmp -s %s/whole %s/stdin", tmpdir, tmpdir), 0);
	cr_assert_eq(run("cmp -s %s/whole %s/split", tmpdir, tmpdir), 0);
}

Test(cli, filter_expression_selects_flows)
{
	cr_assert_eq(run("%s read --format json %s/demo-print-server.pcap "
			 "-f 'tcp port 631' | jq -e -s '(map(select(.type=="
			 "\"flow\")) | length > 0 and all(.server | "
			 "endswith(\":631\"))) and (last.skipped.filtered > 0)' "
			 "> /dev/null",
			 FINTRACE, PCAP_DIR),
		     0);
}

/*
 * The true end: without it a close-wait running to the last packet is
 * "at least"; pcapng statistics or --capture-end make it exact and
 * longer.
 */
Test(cli, capture_end_makes_close_wait_exact)
{
	const char *leak = "map(select(.type==\"flow\" and "
			   ".verdict==\"never-closed\"))[0]";

	cr_assert_eq(run("%s read --format json %s/server-never-closes.pcap "
			 "> %s/a.json && %s read --format json --capture-end "
			 "+60s %s/server-never-closes.pcap > %s/b.json && %s "
			 "read --format json %s/isb-end.pcapng > %s/c.json",
			 FINTRACE, PCAP_DIR, tmpdir, FINTRACE, PCAP_DIR, tmpdir,
			 FINTRACE, PCAP_DIR, tmpdir),
		     0);
	cr_assert_eq(run("jq -e -s '%s | .close_wait_at_least and "
			 ".close_wait < 8' %s/a.json > /dev/null",
			 leak, tmpdir),
		     0, "%s", slurp("a.json"));
	cr_assert_eq(run("jq -e -s '(%s | (.close_wait_at_least | not) and "
			 "(.close_wait_start_offset + .close_wait - 60 | "
			 "fabs) < 1e-6) and (last | .duration == 60)' "
			 "%s/b.json > /dev/null",
			 leak, tmpdir),
		     0, "%s", slurp("b.json"));
	cr_assert_eq(run("jq -e -s '%s | (.close_wait_at_least | not) and "
			 ".close_wait > 17' %s/c.json > /dev/null",
			 leak, tmpdir),
		     0, "%s", slurp("c.json"));
	cr_assert_eq(run("%s read %s/server-never-closes.pcap | grep -q "
			 "'close-wait at least'",
			 FINTRACE, PCAP_DIR),
		     0);
}

/* A bad --metrics address, or a port in use: one line, exit 2, before
 * any capture (neither needs the privileges capture needs). */
Test(cli, metrics_address_errors_exit_2)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	const char *e;

	cr_assert_eq(run("%s live -i lo --metrics 1.2.3:99 > /dev/null "
			 "2> %s/err",
			 FINTRACE, tmpdir),
		     2);
	e = slurp("err");
	cr_assert_eq(lines(e), 1, "%s", e);
	cr_assert(strstr(e, "1.2.3"), "%s", e);
	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	for (int k = 0; k < 2; k++) {
		cr_assert_eq(run("%s %s --metrics 127.0.0.1:%u > /dev/null "
				 "2> %s/err",
				 FINTRACE, k ? "kernel" : "live -i lo",
				 ntohs(a.sin_port), tmpdir),
			     2);
		e = slurp("err");
		cr_assert_eq(lines(e), 1, "%s", e);
		cr_assert(strstr(e, "Address already in use"), "%s", e);
	}
	close(fd);
}

/*
 * tcpdump habits: the filter's words after the files, -r, -n, --local-time
 * and a filter that matched nothing. Run in the scratch directory on a
 * copy named cap.pcap, so that messages are exact.
 */
#define DEMO PCAP_DIR "/demo-print-server.pcap"

static void cap_here(void)
{
	cr_assert_eq(run("cp %s %s/cap.pcap", DEMO, tmpdir), 0);
}

/* The scratch file `name` holds text, or the test fails showing it. */
static void has_text(const char *name, const char *text)
{
	const char *s = slurp(name);

	cr_assert(strstr(s, text), "%s", s);
}

Test(cli, filter_words_after_the_files_as_filter_option)
{
	cap_here();
	cr_assert_eq(run("cd %s && %s read --format json cap.pcap tcp port "
			 "9100 > words.json && %s read --format json "
			 "--filter 'tcp port 9100' cap.pcap > opt.json && "
			 "%s read --format json cap.pcap -- tcp port 9100 > "
			 "dash.json && cat cap.pcap | %s read --format json - "
			 "tcp port 9100 > stdin.json",
			 tmpdir, FINTRACE, FINTRACE, FINTRACE, FINTRACE),
		     0);
	/* the same flows, field for field; the summary names the filter */
	cr_assert_eq(
		run("cd %s && for f in words opt dash stdin; do "
		    "jq -c 'select(.type==\"flow\")' $f.json > $f.flows; "
		    "done && cmp words.flows opt.flows && "
		    "cmp words.flows dash.flows && "
		    "cmp words.flows stdin.flows && "
		    "test $(wc -l < words.flows) -eq 90 && "
		    "jq -e -s 'last | .filter == \"tcp port 9100\" and "
		    ".filter_matched == true and .skipped.filtered == 274' "
		    "words.json > /dev/null",
		    tmpdir),
		0, "%s", slurp("words.json"));
}

Test(cli, argument_neither_file_nor_filter_is_one_line_exit_2)
{
	cap_here();
	cr_assert_eq(run("cd %s && %s read cap.pcap nosuch.pcap > out "
			 "2> err",
			 tmpdir, FINTRACE),
		     2);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: nosuch.pcap: neither a readable "
			 "file (No such file or directory) nor the start of "
			 "a filter (cap.pcap: filter \"nosuch.pcap\": can't "
			 "parse filter expression: syntax error)\n");
	cr_assert_str_eq(slurp("out"), "");
	/* the whole filter in the cause, its first word named */
	cr_assert_eq(run("cd %s && %s read cap.pcap tcp prot 9100 > out "
			 "2> err",
			 tmpdir, FINTRACE),
		     2);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: tcp: neither a readable file (No "
			 "such file or directory) nor the start of a filter "
			 "(cap.pcap: filter \"tcp prot 9100\": can't parse "
			 "filter expression: syntax error)\n");
	/* a directory is not a readable file either */
	cr_assert_eq(run("cd %s && mkdir d && %s read cap.pcap d 2> err",
			 tmpdir, FINTRACE),
		     2);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: d: neither a readable file (Is a "
			 "directory) nor the start of a filter (cap.pcap: "
			 "filter \"d\": can't parse filter expression: syntax "
			 "error)\n");
	/* without -r the first argument is a file, whatever it looks like */
	cr_assert_eq(
		run("cd %s && %s read tcp port 9100 2> err", tmpdir, FINTRACE),
		2);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: tcp: No such file or directory\n");
	/* a file named like a filter word is a file */
	cr_assert_eq(run("cd %s && cp cap.pcap tcp && %s read --format csv "
			 "cap.pcap tcp port 9100 > two.csv && %s read "
			 "--format csv -r cap.pcap -r tcp -- port 9100 > "
			 "r.csv && cmp two.csv r.csv && test $(wc -l < "
			 "two.csv) -eq 91",
			 tmpdir, FINTRACE, FINTRACE),
		     0);
}

Test(cli, filter_option_and_filter_words_exclude_each_other)
{
	cap_here();
	cr_assert_eq(run("cd %s && %s read -f tcp cap.pcap port 9100 > out "
			 "2> err",
			 tmpdir, FINTRACE),
		     1);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: a filter given both with -f and "
			 "after the files (port: No such file or directory)\n"
			 "Try 'fintrace read --help'.\n");
	cr_assert_eq(run("cd %s && %s read -f tcp cap.pcap -- port 9100 "
			 "2> err",
			 tmpdir, FINTRACE),
		     1);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: a filter given both with -f and "
			 "after --\nTry 'fintrace read --help'.\n");
}

Test(cli, r_option_repeated_as_tcpdump)
{
	cr_assert_eq(run("editcap -r %s %s/a.pcap 1-400 && "
			 "editcap %s %s/b.pcap 1-400 && cd %s && "
			 "%s read --format csv --all %s > whole.csv && "
			 "%s read --format csv --all -r b.pcap -r a.pcap > "
			 "r.csv && %s read --format csv --all -r b.pcap "
			 "a.pcap > mixed.csv && cmp whole.csv r.csv && "
			 "cmp whole.csv mixed.csv",
			 DEMO, tmpdir, DEMO, tmpdir, tmpdir, FINTRACE, DEMO,
			 FINTRACE, FINTRACE),
		     0);
	/* with -r, every argument may be the filter */
	cr_assert_eq(run("cd %s && %s read --format json -r a.pcap -r "
			 "b.pcap tcp port 631 > r.json && %s read --format "
			 "json -f 'tcp port 631' a.pcap b.pcap > f.json && "
			 "jq -c 'select(.type==\"flow\")' r.json > r.flows && "
			 "jq -c 'select(.type==\"flow\")' f.json > f.flows && "
			 "test -s r.flows && cmp r.flows f.flows",
			 tmpdir, FINTRACE, FINTRACE),
		     0);
	cr_assert_eq(run("cd %s && %s read -r a.pcap nosuch.pcap 2> err",
			 tmpdir, FINTRACE),
		     2);
	cr_assert_str_eq(slurp("err"),
			 "fintrace read: nosuch.pcap: neither a readable "
			 "file (No such file or directory) nor the start of "
			 "a filter (a.pcap: filter \"nosuch.pcap\": can't "
			 "parse filter expression: syntax error)\n");
	cr_assert_eq(run("%s live -i lo -r x.pcap 2> %s/err", FINTRACE, tmpdir),
		     1);
	cr_assert_str_eq(slurp("err"),
			 "fintrace live: -r is an option of fintrace read\n"
			 "Try 'fintrace live --help'.\n");
}

Test(cli, n_is_accepted_and_changes_nothing)
{
	cr_assert_eq(run("cd %s && %s read --format json %s > plain.json && "
			 "%s read -n --format json %s > n.json && "
			 "%s read -nn --format json %s > nn.json && "
			 "cmp plain.json n.json && cmp plain.json nn.json",
			 tmpdir, FINTRACE, DEMO, FINTRACE, DEMO, FINTRACE,
			 DEMO),
		     0);
}

Test(cli, local_time_in_text_and_html_json_stays_utc)
{
	cap_here();
	cr_assert_eq(run("cd %s && TZ=Asia/Kolkata %s read --local-time "
			 "--report r.html cap.pcap > local.txt && "
			 "TZ=Asia/Kolkata %s read cap.pcap > utc.txt && "
			 "TZ=America/St_Johns %s read --local-time cap.pcap > "
			 "nf.txt",
			 tmpdir, FINTRACE, FINTRACE, FINTRACE),
		     0);
	has_text("local.txt", "\ncapture  2026-11-26T17:01:04.385646000+05:30, "
			      "26.269s, 973 frames, 969 TCP segments\n");
	has_text("utc.txt",
		 "\ncapture  2026-11-26T11:31:04.385646000Z, 26.269s, "
		 "973 frames, 969 TCP segments\n");
	/* a negative offset with minutes (Newfoundland, winter: -03:30) */
	has_text("nf.txt", "\ncapture  2026-11-26T08:01:04.385646000-03:30, ");
	cr_assert(strstr(slurp("r.html"), "Time range (local time)"));
	cr_assert(strstr(slurp("r.html"),
			 ">2026-11-26T17:01:04.385646000+05:30 &ndash; "
			 "2026-11-26T17:01:30.655536000+05:30 ("),
		  "no local time range in the HTML");
	/* machines keep UTC: the data attributes, and JSON */
	cr_assert(strstr(slurp("r.html"),
			 "data-start=\"2026-11-26T11:31:04.385646000Z\""));
	cr_assert_eq(run("cd %s && TZ=Asia/Kolkata %s read --local-time "
			 "--format json cap.pcap > l.json && %s read --format "
			 "json cap.pcap > u.json && cmp l.json u.json",
			 tmpdir, FINTRACE, FINTRACE),
		     0);
	/* the TIME_WAIT section's sentence and table in local time too */
	cr_assert_eq(run("cd %s && TZ=Asia/Kolkata %s read --local-time "
			 "--port-range 40000-40199 %s/timewait-exhaustion.pcap "
			 "> tw.txt",
			 tmpdir, FINTRACE, PCAP_DIR),
		     0);
	has_text("tw.txt", "\n  client 10.77.0.1 held 200 sockets in TIME_WAIT "
			   "toward 10.77.0.2:9200 at "
			   "2026-11-26T17:03:36.626257000+05:30 (100% of its "
			   "ephemeral ports); ");
	has_text("tw.txt", "    200    200 100.0%       0  "
			   "2026-11-26T17:03:36.626257000+05:30\n");
}

Test(cli, filter_that_matched_no_flow_says_so_exit_4)
{
	cap_here();
	cr_assert_eq(run("cd %s && %s read --report r.html cap.pcap tcp "
			 "port 9999 > out.txt",
			 tmpdir, FINTRACE),
		     4);
	cr_assert_str_eq(slurp("out.txt"),
			 "fintrace read: cap.pcap\n"
			 "capture  no packets\n"
			 "linger   5s (a passive side in CLOSE_WAIT longer is "
			 "a late close)\n"
			 "\n"
			 "no flow matched the filter \"tcp port 9999\"\n"
			 "\n"
			 "flows    0; peak tracked 0, evicted 0, 4-tuples "
			 "reused 0\n"
			 "skipped  filtered 973\n");
	has_text("r.html", "data-no-match=\"1\">no flow matched the filter "
			   "&quot;tcp port 9999&quot;</h1>");
	cr_assert_eq(run("cd %s && %s read --format json -f 'tcp port 9999' "
			 "cap.pcap > o.json",
			 tmpdir, FINTRACE),
		     4);
	cr_assert_eq(run("cd %s && jq -e -s 'last | .filter == \"tcp port "
			 "9999\" and .filter_matched == false and .flows == 0 "
			 "and .headline == \"no flow matched the filter "
			 "\\\"tcp port 9999\\\"\"' o.json > /dev/null",
			 tmpdir),
		     0, "%s", slurp("o.json"));
	/* a filter that matched: the usual headline and exit status */
	cr_assert_eq(run("cd %s && %s read cap.pcap tcp port 631 > m.txt",
			 tmpdir, FINTRACE),
		     0);
	cr_assert(strstr(slurp("m.txt"), "\nno leak: every passive side "
					 "closed within 5s ("));
	/* without a filter: no leak is exit 0, the fields are null */
	cr_assert_eq(run("cd %s && %s read --format json %s/clean-client-"
			 "close.pcap | jq -e -s 'last | .filter == null and "
			 ".filter_matched == null' > /dev/null",
			 tmpdir, FINTRACE, PCAP_DIR),
		     0);
}
