/* SPDX-License-Identifier: MIT */
/*
 * Adversarial traffic, generated at test time and read by the fintrace
 * executable: a SYN flood of a million distinct flows against --max-flows
 * (peak memory stays bounded, evictions are reported), RST storms on one
 * flow and over many never-seen flows, sequence numbers that wrap and
 * segments that overlap, FIN carrying data, and FIN or RST on a flow
 * whose opening was never seen.
 *
 * Large captures are streamed into fintrace's standard input through a
 * pipe (nothing big touches the disk), and the peak RSS of the child is
 * taken from wait4().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/capwrite.h"
#include "tests/cmdrun.h"

#define T0 1700000000u

/* ---- streaming a capture into fintrace ---- */

struct feed {
	pid_t pid;
	int fd; /* write end of fintrace's standard input */
	struct cw_buf buf;
	uint64_t packets;
};

/*
 * Start "fintrace read ARGS... -" with stdout and stderr to files in the
 * scratch directory, and write a pcap header of link type lt.
 */
static void feed_start(struct feed *f, int lt, const char *const *args)
{
	char *argv[32];
	int pfd[2], n = 0;

	memset(f, 0, sizeof(*f));
	argv[n++] = (char *)FINTRACE;
	argv[n++] = (char *)"read";
	for (; *args && n < 29; args++)
		argv[n++] = (char *)*args;
	argv[n++] = (char *)"-";
	argv[n] = NULL;
	cr_assert_eq(pipe(pfd), 0);
	f->pid = fork();
	cr_assert_geq(f->pid, 0);
	if (!f->pid) {
		int out = open(cmd_path("out"), O_WRONLY | O_CREAT | O_TRUNC,
			       0600);
		int err = open(cmd_path("err"), O_WRONLY | O_CREAT | O_TRUNC,
			       0600);

		if (out < 0 || err < 0 || dup2(pfd[0], 0) < 0 ||
		    dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		close(pfd[0]);
		close(pfd[1]);
		/*
		 * In the sanitizer build, AddressSanitizer keeps freed
		 * memory in a 256 MB quarantine, which would read as growth
		 * of the RSS; keep it small (ignored by plain builds).
		 */
		{
			const char *old = getenv("ASAN_OPTIONS");
			char opt[1024];

			snprintf(opt, sizeof(opt), "%s%squarantine_size_mb=1",
				 old ? old : "", old && *old ? ":" : "");
			setenv("ASAN_OPTIONS", opt, 1);
		}
		/* A hang is a failure, not a stuck test run. */
		alarm(300);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[0]);
	f->fd = pfd[1];
	signal(SIGPIPE, SIG_IGN);
	cw_pcap_hdr(&f->buf, CW_PCAP_MAGIC_NS, 262144, (uint32_t)lt);
}

static void feed_flush(struct feed *f)
{
	size_t done = 0;

	while (done < f->buf.n) {
		ssize_t w = write(f->fd, f->buf.p + done, f->buf.n - done);

		if (w < 0 && errno == EINTR)
			continue;
		cr_assert_gt(w, 0, "fintrace stopped reading: %s",
			     strerror(errno));
		done += (size_t)w;
	}
	f->buf.n = 0;
}

/* One frame at T0 + ns. */
static void feed_frame(struct feed *f, uint64_t ns, const uint8_t *fr,
		       size_t len)
{
	cw_pcap_rec(&f->buf, T0 + (uint32_t)(ns / 1000000000ULL),
		    (uint32_t)(ns % 1000000000ULL), (uint32_t)len,
		    (uint32_t)len, fr, len);
	f->packets++;
	if (f->buf.n >= (1u << 20))
		feed_flush(f);
}

/* Close the input, wait; returns the exit status, *rss_kb the peak RSS. */
static int feed_end(struct feed *f, long *rss_kb)
{
	struct rusage ru;
	int st;

	feed_flush(f);
	cw_free(&f->buf);
	close(f->fd);
	cr_assert_eq(wait4(f->pid, &st, 0, &ru), f->pid);
	if (rss_kb)
		*rss_kb = ru.ru_maxrss;
	cr_assert(WIFEXITED(st), "fintrace killed by signal %d: %s",
		  WTERMSIG(st), cmd_slurp("err"));
	return WEXITSTATUS(st);
}

/* ---- SYN flood ---- */

/* n SYNs from distinct clients to one service, 1 µs apart. */
static int syn_flood(uint32_t n, const char *max_flows, long *rss_kb)
{
	const char *args[] = {"--format", "json", "--max-flows", max_flows,
			      NULL};
	struct cw_tcp t = cw_tcp4("10.0.0.1", 1024, "10.0.0.2", 80);
	uint8_t fr[CW_FRAME_MAX];
	struct feed f;
	size_t len;

	if (!strcmp(max_flows, "0"))
		args[2] = NULL;
	feed_start(&f, CW_LT_RAW, args);
	t.flags = 0x02;
	len = cw_frame(fr, CW_LT_RAW, &t);
	for (uint32_t i = 0; i < n; i++) {
		/* Client 10.64.0.0/10 + i, port from i: all distinct. */
		uint32_t a = htonl(0x0a400000u + (i >> 4));
		uint16_t port = htons((uint16_t)(1024 + (i & 15)));

		memcpy(fr + 12, &a, 4);
		memcpy(fr + 20, &port, 2);
		memcpy(fr + 24, &(uint32_t){htonl(i * 2654435761u)}, 4);
		feed_frame(&f, (uint64_t)i * 1000, fr, len);
	}
	return feed_end(&f, rss_kb);
}

TestSuite(adversarial, .init = cmd_setup, .fini = cmd_teardown, .timeout = 600);

/*
 * A million SYNs from distinct clients with --max-flows 10000: the table
 * never holds more than 10000 flows, every other flow is evicted and
 * counted in the summary, and the peak RSS of the million-flow run is
 * within a few MB of a 100000-flow run (memory follows the bound, not
 * the flood).
 */
Test(adversarial, syn_flood_bounded_by_max_flows)
{
	const uint32_t big = 1000000, small = 100000;
	long rss_big, rss_small;
	char cond[512];

	cr_assert_eq(syn_flood(small, "10000", &rss_small), 0, "%s",
		     cmd_slurp("err"));
	cr_assert_eq(syn_flood(big, "10000", &rss_big), 0, "%s",
		     cmd_slurp("err"));
	snprintf(cond, sizeof(cond),
		 "last | .type == \"summary\" and .packets == %u and "
		 ".flows == %u and .peak_tracked == 10000 and "
		 ".evicted == %u and .verdicts.open == %u and .error == null",
		 big, big, big - 10000, big);
	cr_assert(cmd_jq("out", cond), "%s", cmd_slurp("out"));
	/* Only the summary: open flows are not listed without --all. */
	cr_assert_eq(cmd_lines(cmd_slurp("out")), 2, "%s", cmd_slurp("out"));
	cr_log_info("SYN flood peak RSS: %ld KB for %u flows, %ld KB for %u",
		    rss_big, big, rss_small, small);
	cr_assert_lt(rss_big, rss_small + 16 * 1024,
		     "peak RSS %ld KB for %u flows vs %ld KB for %u", rss_big,
		     big, rss_small, small);
	cr_assert_lt(rss_big, 512 * 1024, "peak RSS %ld KB", rss_big);
}

/* The evictions are named in the text report too. */
Test(adversarial, syn_flood_evictions_in_text_summary)
{
	const char *args[] = {"--max-flows", "100", NULL};
	struct cw_tcp t = cw_tcp4("10.0.0.1", 1024, "10.0.0.2", 80);
	uint8_t fr[CW_FRAME_MAX];
	struct feed f;
	size_t len;

	feed_start(&f, CW_LT_RAW, args);
	t.flags = 0x02;
	len = cw_frame(fr, CW_LT_RAW, &t);
	for (uint32_t i = 0; i < 1000; i++) {
		uint16_t port = htons((uint16_t)(1024 + i));

		memcpy(fr + 20, &port, 2);
		feed_frame(&f, (uint64_t)i * 1000, fr, len);
	}
	cr_assert_eq(feed_end(&f, NULL), 0);
	cr_assert(strstr(cmd_slurp("out"), "evicted 900"), "%s",
		  cmd_slurp("out"));
}

/* ---- scripted flows ---- */

/* One segment of a script: who sends, flags, seq/ack, payload, time. */
struct step {
	int server;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t len;
	uint32_t ms;
};

#define SYN 0x02
#define FIN 0x01
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

/*
 * Write the steps as one flow 10.0.0.1:40000 <-> 10.0.0.2:80 in a pcap,
 * run fintrace --format json --all on it; returns the exit status.
 */
static int run_script(const struct step *s, size_t n)
{
	struct cw_buf b = {0};
	uint8_t fr[CW_FRAME_MAX];
	const char *file = cmd_path("script.pcap");

	cw_pcap_hdr(&b, CW_PCAP_MAGIC_NS, 262144, CW_LT_ETHERNET);
	for (size_t i = 0; i < n; i++) {
		struct cw_tcp t =
			s[i].server
				? cw_tcp4("10.0.0.2", 80, "10.0.0.1", 40000)
				: cw_tcp4("10.0.0.1", 40000, "10.0.0.2", 80);
		size_t len;
		uint64_t ns = (uint64_t)s[i].ms * 1000000ULL;

		t.flags = s[i].flags;
		t.seq = s[i].seq;
		t.ack = s[i].ack;
		t.payload = s[i].len;
		len = cw_frame(fr, CW_LT_ETHERNET, &t);
		cw_pcap_rec(&b, T0 + (uint32_t)(ns / 1000000000ULL),
			    (uint32_t)(ns % 1000000000ULL), (uint32_t)len,
			    (uint32_t)len, fr, len);
	}
	cr_assert_eq(cw_save(&b, b.n, file), 0);
	cw_free(&b);
	return cmd_run("timeout 60 %s read --format json --all %s > %s 2> %s",
		       FINTRACE, file, cmd_path("out"), cmd_path("err"));
}

/* The only flow line satisfies cond (jq). */
static void expect_flow(const char *what, const char *cond)
{
	char q[1024];

	snprintf(q, sizeof(q),
		 "map(select(.type == \"flow\")) | length == 1 and (.[0] | %s)",
		 cond);
	cr_assert(cmd_jq("out", q), "%s: flow does not satisfy %s:\n%s", what,
		  cond, cmd_slurp("out"));
}

/*
 * Both sequence spaces wrap through 2^32 during the connection: the FIN
 * sits just past the wrap and its ACK wraps too. A clean close.
 */
Test(adversarial, sequence_numbers_wrap)
{
	const uint32_t c = 0xffffff80u, s = 0xfffffff0u;
	const struct step st[] = {
		{0, SYN, c, 0, 0, 0},
		{1, SYN | ACK, s, c + 1, 0, 1},
		{0, ACK, c + 1, s + 1, 0, 2},
		{0, PSH | ACK, c + 1, s + 1, 100, 3},
		{0, PSH | ACK, c + 101, s + 1, 100, 4},
		{1, ACK, s + 1, c + 201, 0, 5},
		{1, PSH | ACK, s + 1, c + 201, 300, 6},
		{0, ACK, c + 201, s + 301, 0, 7},
		{0, FIN | ACK, c + 201, s + 301, 0, 10},
		{1, ACK, s + 301, c + 202, 0, 11},
		{1, FIN | ACK, s + 301, c + 202, 0, 20},
		{0, ACK, c + 202, s + 302, 0, 21},
	};

	cr_assert_eq(run_script(st, sizeof(st) / sizeof(st[0])), 0);
	expect_flow("wrap", ".verdict == \"clean\" and .roles == \"syn\" and "
			    ".active_closer == \"client\" and "
			    ".close_wait > 0.008 and .close_wait < 0.010");
}

/*
 * After the client's FIN the server retransmits old data, overlapping
 * what it sent before (and the client retransmits its FIN): no new data,
 * so not a half-close; the server never closes.
 */
Test(adversarial, overlapping_retransmissions_after_fin)
{
	const struct step st[] = {
		{0, SYN, 1000, 0, 0, 0},
		{1, SYN | ACK, 5000, 1001, 0, 1},
		{0, ACK, 1001, 5001, 0, 2},
		{1, PSH | ACK, 5001, 1001, 1000, 3},
		{0, ACK, 1001, 6001, 0, 4},
		{0, FIN | ACK, 1001, 6001, 0, 10},
		{1, ACK, 6001, 1002, 0, 11},
		{1, PSH | ACK, 5501, 1002, 500, 100},
		{1, PSH | ACK, 5001, 1002, 1000, 200},
		{0, FIN | ACK, 1001, 6001, 0, 300},
		{1, ACK, 6001, 1002, 0, 20000},
	};

	cr_assert_eq(run_script(st, sizeof(st) / sizeof(st[0])), 0);
	expect_flow("overlap", ".verdict == \"never-closed\" and "
			       ".in_close_wait_at_end and .fins == 2");
}

/*
 * The server's ACK of the FIN is captured before the FIN itself
 * (reordering on a SPAN port): the FIN still counts as ACKed.
 */
Test(adversarial, ack_of_fin_before_fin)
{
	const struct step st[] = {
		{0, SYN, 1000, 0, 0, 0},
		{1, SYN | ACK, 5000, 1001, 0, 1},
		{0, ACK, 1001, 5001, 0, 2},
		{1, ACK, 5001, 1002, 0, 10},
		{0, FIN | ACK, 1001, 5001, 0, 10},
		{1, ACK, 5001, 1002, 0, 9000},
	};

	cr_assert_eq(run_script(st, sizeof(st) / sizeof(st[0])), 0);
	expect_flow("reordered", ".verdict == \"never-closed\" and "
				 ".close_wait >= 8.99");
}

/*
 * FIN carrying data: the FIN occupies the sequence number after the
 * data. An ACK of the data alone leaves the FIN unACKed; an ACK of
 * data + FIN starts CLOSE_WAIT.
 */
Test(adversarial, fin_with_data)
{
	const struct step acked[] = {
		{0, SYN, 1000, 0, 0, 0},
		{1, SYN | ACK, 5000, 1001, 0, 1},
		{0, ACK, 1001, 5001, 0, 2},
		{0, PSH | FIN | ACK, 1001, 5001, 100, 10},
		{1, ACK, 5001, 1102, 0, 11},
		{1, PSH | ACK, 5001, 1102, 0, 9000},
	};
	const struct step data_only[] = {
		{0, SYN, 1000, 0, 0, 0},
		{1, SYN | ACK, 5000, 1001, 0, 1},
		{0, ACK, 1001, 5001, 0, 2},
		{0, PSH | FIN | ACK, 1001, 5001, 100, 10},
		{1, ACK, 5001, 1101, 0, 11},
		{0, PSH | FIN | ACK, 1001, 5001, 100, 400},
	};

	cr_assert_eq(run_script(acked, sizeof(acked) / sizeof(acked[0])), 0);
	expect_flow("FIN+data ACKed", ".verdict == \"never-closed\" and "
				      ".client_bytes == 100 and "
				      ".close_wait > 8.98");
	cr_assert_eq(
		run_script(data_only, sizeof(data_only) / sizeof(data_only[0])),
		0);
	expect_flow("only data ACKed",
		    ".verdict == \"fin-unacked\" and .close_wait == null and "
		    ".signature == \"fin-retransmitted\"");
}

/*
 * A FIN on a flow whose opening was never seen (capture started late):
 * roles are inferred from the ports, the FIN alone is fin-unacked, a FIN
 * that the peer ACKs and never answers is never-closed.
 */
Test(adversarial, fin_on_never_seen_flow)
{
	const struct step lone[] = {
		{0, FIN | ACK, 7000, 9000, 0, 0},
	};
	const struct step acked[] = {
		{1, FIN | ACK, 9000, 7000, 0, 0},
		{0, ACK, 7000, 9001, 0, 1},
		{0, ACK, 7000, 9001, 0, 8000},
	};

	cr_assert_eq(run_script(lone, 1), 0);
	expect_flow("lone FIN", ".verdict == \"fin-unacked\" and "
				".roles == \"inferred\" and "
				".client == \"10.0.0.1:40000\"");
	cr_assert_eq(run_script(acked, sizeof(acked) / sizeof(acked[0])), 0);
	expect_flow("server FIN ACKed", ".verdict == \"never-closed\" and "
					".roles == \"inferred\" and "
					".active_closer == \"server\"");
}

/* ---- RST storms ---- */

/*
 * 200000 RSTs, with any sequence numbers, on one established flow: one
 * flow, torn down by the first RST, every RST counted.
 */
Test(adversarial, rst_storm_on_one_flow)
{
	const char *args[] = {"--format", "json", NULL};
	struct cw_tcp t = cw_tcp4("10.0.0.1", 40000, "10.0.0.2", 80);
	uint8_t fr[CW_FRAME_MAX];
	struct feed f;
	size_t len;

	feed_start(&f, CW_LT_ETHERNET, args);
	t.flags = SYN;
	t.seq = 1000;
	len = cw_frame(fr, CW_LT_ETHERNET, &t);
	feed_frame(&f, 0, fr, len);
	t = cw_tcp4("10.0.0.2", 80, "10.0.0.1", 40000);
	t.flags = SYN | ACK;
	t.ack = 1001;
	len = cw_frame(fr, CW_LT_ETHERNET, &t);
	feed_frame(&f, 1000, fr, len);
	for (uint32_t i = 0; i < 200000; i++) {
		t = i % 2 ? cw_tcp4("10.0.0.2", 80, "10.0.0.1", 40000)
			  : cw_tcp4("10.0.0.1", 40000, "10.0.0.2", 80);
		t.flags = i % 3 ? RST : RST | ACK;
		t.seq = i * 2654435761u;
		t.ack = ~i;
		len = cw_frame(fr, CW_LT_ETHERNET, &t);
		feed_frame(&f, 2000 + (uint64_t)i * 1000, fr, len);
	}
	cr_assert_eq(feed_end(&f, NULL), 0, "%s", cmd_slurp("err"));
	cr_assert(cmd_jq("out", "last | .flows == 1 and .verdicts.reset == 1"),
		  "%s", cmd_slurp("out"));
	expect_flow("storm", ".rsts == 200000 and .reset_by == \"client\" and "
			     ".reset_phase == \"before-fin\"");
}

/*
 * 50000 RSTs on as many never-seen 4-tuples (a scan answered by RSTs, or
 * forged RSTs) with --max-flows 1000: every one is a reset flow, written
 * as it is finalised, and the table stays bounded.
 */
Test(adversarial, rst_storm_over_many_flows)
{
	const char *args[] = {"--format", "json", "--max-flows", "1000", NULL};
	struct cw_tcp t = cw_tcp4("10.0.0.2", 80, "10.0.0.1", 1024);
	uint8_t fr[CW_FRAME_MAX];
	struct feed f;
	size_t len;
	const uint32_t n = 50000;
	char cond[256];

	feed_start(&f, CW_LT_RAW, args);
	t.flags = RST | ACK;
	len = cw_frame(fr, CW_LT_RAW, &t);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = htonl(0x0a400000u + (i >> 6));
		uint16_t port = htons((uint16_t)(1024 + (i & 63)));

		memcpy(fr + 16, &a, 4);
		memcpy(fr + 22, &port, 2);
		feed_frame(&f, (uint64_t)i * 100, fr, len);
	}
	cr_assert_eq(feed_end(&f, NULL), 0, "%s", cmd_slurp("err"));
	snprintf(cond, sizeof(cond),
		 "last | .flows == %u and .verdicts.reset == %u and "
		 ".peak_tracked <= 1000",
		 n, n);
	cr_assert_eq(cmd_run("test $(grep -c '\"verdict\":\"reset\"' %s) "
			     "-eq %u && tail -n 1 %s > %s",
			     cmd_path("out"), n, cmd_path("out"),
			     cmd_path("summary")),
		     0);
	cr_assert(cmd_jq("summary", cond), "%s: %s", cond,
		  cmd_slurp("summary"));
}
