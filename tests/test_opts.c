/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing of the packet modes: defaults, every option's
 * checks, durations, verdict lists and the filter after "--".
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/teardown.h"
#include "cli/opts.h"

#define SEC 1000000000ULL

/*
 * The argv of a PARSE() is a compound literal that ends with the enclosing
 * block, while o->args points into it: parse a copy that lives on.
 */
static int parse(enum opts_mode m, struct ft_opts *o, char *err, int argc,
		 char **argv)
{
	static char *saved[8][32];
	static unsigned next;
	char **copy = saved[next++ % 8];

	cr_assert_lt(argc, 32);
	memcpy(copy, argv, (size_t)(argc + 1) * sizeof(*copy));
	return opts_parse(argc, copy, m, o, err);
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define PARSE(mode, o, err, ...) \
	parse(mode, o, err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(opts, defaults)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap"), 0);
	cr_assert_eq(o.format, RPT_TEXT);
	cr_assert_eq(o.linger_ns, 5 * SEC);
	cr_assert_eq(o.max_flows, 0);
	cr_assert_eq(o.nargs, 1);
	cr_assert_str_eq(o.args[0], "a.pcap");
	cr_assert_null(o.filter);
}

Test(opts, read_options_and_files_in_any_order)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap", "--format",
			   "json", "b.pcapng", "--linger", "500ms",
			   "--max-flows", "1000", "-o", "out.json",
			   "--fail-on", "never-closed,late-close"),
		     0, "%s", err);
	cr_assert_eq(o.format, RPT_JSON);
	cr_assert_eq(o.linger_ns, 500000000ULL);
	cr_assert_eq(o.max_flows, 1000);
	cr_assert_str_eq(o.output, "out.json");
	cr_assert_eq(o.fail_on, (1u << VD_NEVER_CLOSED) | (1u << VD_LATE_CLOSE));
	cr_assert_eq(o.nargs, 2);
	cr_assert_str_eq(o.args[1], "b.pcapng");
}

Test(opts, filter_after_dashdash)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap", "--", "tcp",
			   "port", "9100"),
		     0, "%s", err);
	cr_assert_eq(o.nargs, 1);
	cr_assert_str_eq(o.filter, "tcp port 9100");
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "-f", "tcp", "a.pcap",
			    "--", "port", "1"),
		      0);
}

Test(opts, errors_are_one_line)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read"), 0);
	cr_assert(strstr(err, "no capture file"));
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--format", "xml",
			    "a"),
		      0);
	cr_assert(strstr(err, "xml"));
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--linger", "5x",
			    "a"),
		      0);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--linger", "-1s",
			    "a"),
		      0);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--max-flows",
			    "12abc", "a"),
		      0);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--max-flows",
			    "-5", "a"),
		      0);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--fail-on", "leaky",
			    "a"),
		      0);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--bogus", "a"), 0);
	cr_assert(strstr(err, "--bogus"), "%s", err);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "-i", "eth0", "a"),
		      0);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--duration", "5s",
			    "a"),
		      0);
	cr_assert(strstr(err, "live"), "%s", err);
	cr_assert_null(strchr(err, '\n'));
}

Test(opts, durations)
{
	uint64_t ns;

	cr_assert_eq(opts_parse_duration("500ms", &ns), 0);
	cr_assert_eq(ns, 500000000ULL);
	cr_assert_eq(opts_parse_duration("5s", &ns), 0);
	cr_assert_eq(ns, 5 * SEC);
	cr_assert_eq(opts_parse_duration("2m", &ns), 0);
	cr_assert_eq(ns, 120 * SEC);
	cr_assert_eq(opts_parse_duration("1h", &ns), 0);
	cr_assert_eq(ns, 3600 * SEC);
	cr_assert_eq(opts_parse_duration("1.5s", &ns), 0);
	cr_assert_eq(ns, 1500000000ULL);
	cr_assert_eq(opts_parse_duration("7", &ns), 0);
	cr_assert_eq(ns, 7 * SEC);
	cr_assert_eq(opts_parse_duration("250us", &ns), 0);
	cr_assert_eq(ns, 250000ULL);
	cr_assert_neq(opts_parse_duration("", &ns), 0);
	cr_assert_neq(opts_parse_duration("s", &ns), 0);
	cr_assert_neq(opts_parse_duration("5 s", &ns), 0);
	cr_assert_neq(opts_parse_duration("1e30s", &ns), 0);
	cr_assert_neq(opts_parse_duration("5sec", &ns), 0);
}

Test(opts, live_filter_words_and_required_interface)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "veth0", "-w",
			   "x.pcap", "--duration", "30s", "tcp", "port",
			   "9100"),
		     0, "%s", err);
	cr_assert_str_eq(o.iface, "veth0");
	cr_assert_str_eq(o.write_file, "x.pcap");
	cr_assert_eq(o.duration_ns, 30 * SEC);
	cr_assert_str_eq(o.filter, "tcp port 9100");
	cr_assert_neq(PARSE(OPTS_LIVE, &o, err, "live", "tcp"), 0);
	cr_assert(strstr(err, "-i"));
	cr_assert_neq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "x", "-c",
			    "0"),
		      0);
}

Test(opts, alert_each_is_a_live_option)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo"), 0, "%s",
		     err);
	cr_assert_eq(o.alert_each, 0);
	cr_assert_eq(o.interval_ns, 5 * SEC);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo",
			   "--alert-each", "--interval", "2s"),
		     0, "%s", err);
	cr_assert_eq(o.alert_each, 1);
	cr_assert_eq(o.interval_ns, 2 * SEC);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--alert-each", "a"),
		      0);
	cr_assert(strstr(err, "--alert-each is an option of fintrace live"),
		  "%s", err);
}

Test(opts, repeated_calls_start_fresh)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "--all", "x"), 0);
	cr_assert(o.list_open);
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "y"), 0);
	cr_assert_not(o.list_open);
	cr_assert_str_eq(o.args[0], "y");
}

Test(opts, capture_end_time_or_duration)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];
	uint64_t ns;

	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap",
			   "--capture-end", "2024-05-01T12:00:00.25Z"),
		     0, "%s", err);
	cr_assert_eq(o.capture_end, 1);
	cr_assert_eq(o.capture_end_ns, 1714564800ULL * SEC + SEC / 4);
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap",
			   "--capture-end", "+10m"),
		     0, "%s", err);
	cr_assert_eq(o.capture_end, 2);
	cr_assert_eq(o.capture_end_ns, 600 * SEC);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "a.pcap",
			    "--capture-end", "yesterday"),
		      0);
	cr_assert(strstr(err, "--capture-end"), "%s", err);
	cr_assert_eq(opts_parse_time("2024-05-01 12:00:00", &ns), 0);
	cr_assert_eq(ns, 1714564800ULL * SEC);
	cr_assert_neq(opts_parse_time("2024-05-01T12:00:00+02", &ns), 0);
	cr_assert_neq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo",
			    "--capture-end", "+1m"),
		      0);
}

Test(opts, top_bounds_every_list_and_the_specific_options_win)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap"), 0);
	cr_assert_eq(o.top, 10);
	cr_assert_eq(o.top_services, 5);
	cr_assert_eq(o.top_clients, 5);
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap", "--top", "3"),
		     0);
	cr_assert(o.top == 3 && o.top_services == 3 && o.top_clients == 3);
	/* in either order */
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "--top-services", "20",
			   "a.pcap", "--top", "3", "--top-clients", "all"),
		     0, "%s", err);
	cr_assert(o.top == 3 && o.top_services == 20 && o.top_clients == 0);
	/* --top 0 empties the worst flows only */
	cr_assert_eq(
		PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "--top", "0"), 0,
		"%s", err);
	cr_assert(o.top == 0 && o.top_services == 5 && o.top_clients == 5);
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap",
			   "--top-services", "0"),
		     -EINVAL);
	cr_assert(strstr(err, "--top-services"), "%s", err);
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap",
			   "--top-clients", "some"),
		     -EINVAL);
	cr_assert(strstr(err, "--top-clients"), "%s", err);
}

Test(opts, metrics_for_live_and_kernel_only)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_null(ft_opts_defaults.metrics);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "--metrics",
			   "127.0.0.1:9782"),
		     0, "%s", err);
	cr_assert_str_eq(o.metrics, "127.0.0.1:9782");
	/* the address is checked when bound, before capture: exit 2 */
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "--metrics",
			   "not-an-address"),
		     0, "%s", err);
	cr_assert_str_eq(o.metrics, "not-an-address");
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--metrics", "9781",
			    "x.pcap"),
		      0);
	cr_assert(strstr(err, "--metrics is an option of fintrace live and "
			      "kernel"),
		  "%s", err);
}

/*
 * --snapshot-every / --snapshot-file: live and kernel only; the snapshots
 * and the report never share a stream.
 */
Test(opts, snapshot_destinations)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "--snapshot-every",
			   "30s", "--snapshot-file", "/var/log/ft.jsonl"),
		     0, "%s", err);
	cr_assert_eq(o.snapshot_ns, 30 * SEC);
	cr_assert_str_eq(o.snapshot_file, "/var/log/ft.jsonl");
	/* the report to a file: snapshots on standard output */
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-o",
			   "r.json", "--snapshot-every", "1m"),
		     0, "%s", err);
	cr_assert_null(o.snapshot_file);
	/* both on standard output */
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo",
			   "--snapshot-every", "1s"),
		     -EINVAL);
	cr_assert(strstr(err, "--snapshot-file FILE"), "%s", err);
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "-o", "-",
			   "--snapshot-every", "1s", "--snapshot-file", "-"),
		     -EINVAL);
	/* the same file for both */
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "-o", "a.json",
			   "--snapshot-every", "1s", "--snapshot-file",
			   "a.json"),
		     -EINVAL);
	cr_assert(strstr(err, "give each its own"), "%s", err);
	/* packets on standard output */
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-w", "-",
			   "-o", "r.json", "--snapshot-every", "1s"),
		     -EINVAL);
	/* a file without a period */
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "--snapshot-file",
			   "s.jsonl", "-o", "r.json"),
		     -EINVAL);
	cr_assert(strstr(err, "needs --snapshot-every"), "%s", err);
	/* too often, not a duration, wrong mode */
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "--snapshot-every",
			   "10ms", "-o", "r.json"),
		     -EINVAL);
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "--snapshot-every",
			   "often", "-o", "r.json"),
		     -EINVAL);
	cr_assert_neq(PARSE(OPTS_READ, &o, err, "read", "--snapshot-every",
			    "1s", "x.pcap"),
		      0);
	cr_assert(strstr(err, "is an option of fintrace live and kernel"),
		  "%s", err);
}

Test(opts, live_takes_tcpdump_s_and_B)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF];

	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo"), 0);
	cr_assert_eq(o.snaplen, 128);
	cr_assert_eq(o.buffer_kib, 64 * 1024);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-s", "0",
			   "-B", "2048", "-nn", "--local-time"),
		     0, "%s", err);
	cr_assert_eq(o.snaplen, 262144);
	cr_assert_eq(o.buffer_kib, 2048);
	cr_assert_eq(o.local_time, 1);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-s200",
			   "--buffer-size", "2"),
		     0, "%s", err);
	cr_assert_eq(o.snaplen, 200);
	cr_assert_eq(o.buffer_kib, 2048);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "--snaplen",
			   "96"),
		     0, "%s", err);
	cr_assert_eq(o.snaplen, 96);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-s", "10"),
		     -EINVAL);
	cr_assert_str_eq(err, "-s/--snaplen: \"10\" is not 0 or 64..262144");
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-B", "8"),
		     -EINVAL);
	cr_assert_str_eq(err, "-B: \"8\" is not 32..4194304 KiB");
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "-s", "0", "a.pcap"),
		     -EINVAL);
	cr_assert_str_eq(err, "--snaplen is an option of fintrace live");
	cr_assert_eq(PARSE(OPTS_KERNEL, &o, err, "kernel", "-n"), -EINVAL);
	cr_assert_str_eq(err, "-n is an option of fintrace read and live");
}

Test(opts, read_inputs_files_then_filter_words)
{
	struct ft_opts o;
	char err[FT_OPTS_ERRBUF], **files;
	const char *word;
	int n, why;

	/* -r files first, then the readable arguments, then the filter */
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "-r",
			   PCAP_DIR "/refused.pcap", "-n",
			   PCAP_DIR "/half-close.pcap", "tcp", "port", "9100"),
		     0, "%s", err);
	cr_assert_eq(opts_read_inputs(&o, &files, &n, &word, &why, err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(files[0], PCAP_DIR "/refused.pcap");
	cr_assert_str_eq(files[1], PCAP_DIR "/half-close.pcap");
	cr_assert_str_eq(o.filter, "tcp port 9100");
	cr_assert_str_eq(word, "tcp");
	cr_assert_eq(why, ENOENT);
	free(files);
	/* without -r the first argument is a file, even one that is not */
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "nosuch.pcap", "-"), 0);
	cr_assert_eq(opts_read_inputs(&o, &files, &n, &word, &why, err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(files[1], "-");
	cr_assert_null(o.filter);
	cr_assert_null(word);
	free(files);
	/* after --, every argument before it is a file */
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "a.pcap", "tcp", "--",
			   "port", "1"),
		     0);
	cr_assert_eq(opts_read_inputs(&o, &files, &n, &word, &why, err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(o.filter, "port 1");
	cr_assert_null(word);
	free(files);
	/* the filter once */
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "-f", "tcp",
			   PCAP_DIR "/refused.pcap", "port", "1"),
		     0);
	cr_assert_eq(opts_read_inputs(&o, &files, &n, &word, &why, err),
		     -EINVAL);
	cr_assert_null(files);
	cr_assert_str_eq(err, "a filter given both with -f and after the "
			      "files (port: No such file or directory)");
	/* -r alone is enough; -r is read's */
	cr_assert_eq(PARSE(OPTS_READ, &o, err, "read", "-r", "x.pcap"), 0);
	cr_assert_eq(o.nrfiles, 1);
	cr_assert_eq(PARSE(OPTS_LIVE, &o, err, "live", "-i", "lo", "-r", "x"),
		     -EINVAL);
	cr_assert_str_eq(err, "-r is an option of fintrace read");
}
