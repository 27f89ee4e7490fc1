/* SPDX-License-Identifier: MIT */
/*
 * Broken captures, generated at test time and read by the fintrace
 * executable under timeout(1): a file cut at every kind of boundary (file
 * header, record or block header, record data; pcap and pcapng), bad
 * magic, lengths that lie, zero-length records, timestamps going
 * backwards, unknown and malformed pcapng blocks, several interfaces.
 *
 * Every case states what it expects, and is one of two:
 *  - tolerated: exit 0, nothing on stderr, a full report;
 *  - an input error: exit 2, one line on stderr naming the file and the
 *    cause, and on stdout the report of what was read before it (the
 *    summary carries the error), or no report when the file could not be
 *    opened at all (nothing was analysed).
 * Never a crash, a sanitizer report or a hang.
 *
 * The base capture holds two flows over 12 frames: a clean close and a
 * client-closed connection whose server never closes (never-closed).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/capwrite.h"
#include "tests/cmdrun.h"

#define T0 1700000000u
#define NFRAMES 12

struct frm {
	uint64_t ns; /* offset from T0 */
	uint8_t b[CW_FRAME_MAX];
	uint32_t len;
};

static struct frm frames[NFRAMES];

/* The two flows of the base capture, for link type lt. */
static void build_frames(int lt)
{
	static const struct {
		int flow;   /* 0: clean, 1: never closed */
		int server; /* sent by the server */
		uint8_t flags;
		uint32_t seq, ack;
		uint64_t ms;
	} s[NFRAMES] = {
		{0, 0, 0x02, 100, 0, 0},    {0, 1, 0x12, 500, 101, 1},
		{0, 0, 0x10, 101, 501, 2},  {1, 0, 0x02, 900, 0, 3},
		{1, 1, 0x12, 300, 901, 4},  {1, 0, 0x10, 901, 301, 5},
		{1, 0, 0x11, 901, 301, 20}, {1, 1, 0x10, 301, 902, 21},
		{0, 0, 0x11, 101, 501, 29990}, {0, 1, 0x10, 501, 102, 29991},
		{0, 1, 0x11, 501, 102, 29992}, {0, 0, 0x10, 102, 502, 30000},
	};

	for (int i = 0; i < NFRAMES; i++) {
		const char *cli = s[i].flow ? "10.0.0.3" : "10.0.0.1";
		uint16_t cport = s[i].flow ? 40001 : 40000;
		struct cw_tcp t = s[i].server
					  ? cw_tcp4("10.0.0.2", 80, cli, cport)
					  : cw_tcp4(cli, cport, "10.0.0.2", 80);

		t.flags = s[i].flags;
		t.seq = s[i].seq;
		t.ack = s[i].ack;
		frames[i].len = (uint32_t)cw_frame(frames[i].b, lt, &t);
		frames[i].ns = s[i].ms * 1000000ULL;
	}
}

/* The base capture as pcap (µs); rec[i] is where record i starts. */
static void base_pcap(struct cw_buf *b, size_t *rec, int lt)
{
	build_frames(lt);
	cw_pcap_hdr(b, CW_PCAP_MAGIC_US, 65535, (uint32_t)lt);
	for (int i = 0; i < NFRAMES; i++) {
		if (rec)
			rec[i] = b->n;
		cw_pcap_rec(b, T0 + (uint32_t)(frames[i].ns / 1000000000ULL),
			    (uint32_t)(frames[i].ns % 1000000000ULL / 1000),
			    frames[i].len, frames[i].len, frames[i].b,
			    frames[i].len);
	}
}

/* The base capture as pcapng (ns); blk[i] is where EPB i starts. */
static void base_pcapng(struct cw_buf *b, size_t *blk)
{
	build_frames(CW_LT_ETHERNET);
	cw_ng_shb(b);
	cw_ng_idb(b, CW_LT_ETHERNET, 262144, 1);
	for (int i = 0; i < NFRAMES; i++) {
		if (blk)
			blk[i] = b->n;
		cw_ng_epb(b, 0, T0 * 1000000000ULL + frames[i].ns,
			  frames[i].len, frames[i].len, frames[i].b);
	}
}

/* What a case expects; see the comment at the top. */
struct want {
	int status;	   /* 0 or 2 */
	int report;	   /* a report (summary line) on stdout */
	const char *cause; /* part of the stderr line, or NULL */
	long packets;	   /* summary.packets, or -1 */
	const char *jq;	   /* more about the summary (jq), or NULL */
};

/* The two verdicts of the whole base capture. */
#define WHOLE                                                                  \
	".flows == 2 and .verdicts.clean == 1 and "                            \
	".verdicts[\"never-closed\"] == 1"

/* Read file, by name or (piped) through a pipe on standard input. */
static void expect_input(const char *what, const char *file, int piped,
			 struct want w)
{
	const char *err, *out;
	const char *name = piped ? "standard input" : file;
	char cond[1024];
	int st;

	if (piped)
		st = cmd_run("cat '%s' | timeout -k 5 60 %s read --format "
			     "json - > %s 2> %s",
			     file, FINTRACE, cmd_path("out"), cmd_path("err"));
	else
		st = cmd_run("timeout -k 5 60 %s read --format json '%s' > "
			     "%s 2> %s",
			     FINTRACE, file, cmd_path("out"), cmd_path("err"));
	cr_assert_neq(st, CMD_TIMED_OUT, "%s: fintrace hung", what);
	err = cmd_slurp("err");
	cr_assert_eq(st, w.status, "%s: exit status %d, wanted %d; stderr: %s",
		     what, st, w.status, err);
	if (st == 0) {
		cr_assert_eq(err[0], '\0', "%s: stderr: %s", what, err);
	} else {
		cr_assert_eq(cmd_lines(err), 1, "%s: stderr: %s", what, err);
		cr_assert(strstr(err, name), "%s: not named: %s", what, err);
		cr_assert(!strncmp(err, "fintrace read: ", 15), "%s: %s", what,
			  err);
		if (w.cause)
			cr_assert(strstr(err, w.cause),
				  "%s: wanted \"%s\" in: %s", what, w.cause,
				  err);
	}
	if (!w.report) {
		out = cmd_slurp("out");
		cr_assert_eq(out[0], '\0', "%s: unexpected report: %s", what,
			     out);
		return;
	}
	snprintf(cond, sizeof(cond),
		 "(map(select(.type == \"summary\")) | length == 1) and "
		 "(last | .type == \"summary\" and (.error != null) == %s "
		 "and (%ld < 0 or .packets == %ld) and (%s))",
		 st ? "true" : "false", w.packets, w.packets,
		 w.jq ? w.jq : "true");
	cr_assert(cmd_jq("out", cond), "%s: report does not satisfy %s:\n%s",
		  what, cond, cmd_slurp("out"));
}

static void expect_read(const char *what, const char *file, struct want w)
{
	expect_input(what, file, 0, w);
}

/*
 * Write the first len bytes of b as a file and read it, by name or
 * (piped) from a pipe (no size known, no pread).
 */
static void expect_cut_as(const char *what, const struct cw_buf *b,
			  size_t len, int piped, struct want w)
{
	const char *file = cmd_path("cut.cap");

	cr_assert_eq(cw_save(b, len, file), 0);
	expect_input(what, file, piped, w);
}

static void expect_cut(const char *what, const struct cw_buf *b, size_t len,
		       struct want w)
{
	expect_cut_as(what, b, len, 0, w);
}

TestSuite(broken, .init = cmd_setup, .fini = cmd_teardown, .timeout = 600);

/* The base captures themselves are read completely. */
Test(broken, base_captures_are_whole)
{
	struct cw_buf b = {0};

	base_pcap(&b, NULL, CW_LT_ETHERNET);
	expect_cut("pcap", &b, b.n, (struct want){0, 1, NULL, NFRAMES, WHOLE});
	cw_free(&b);
	base_pcapng(&b, NULL);
	expect_cut("pcapng", &b, b.n,
		   (struct want){0, 1, NULL, NFRAMES, WHOLE});
	cw_free(&b);
}

/*
 * An empty file, and a pcap file header cut at every byte: the file
 * cannot be opened, so exit 2 and no report.
 */
Test(broken, pcap_file_header_cut)
{
	struct cw_buf b = {0};
	char what[64];

	base_pcap(&b, NULL, CW_LT_ETHERNET);
	for (size_t n = 0; n < 24; n++) {
		snprintf(what, sizeof(what), "pcap header cut at %zu", n);
		expect_cut(what, &b, n, (struct want){2, 0, NULL, -1, NULL});
	}
	cw_free(&b);
}

/* Records cut in the cut tests: the first, the second, one in the
 * middle (a FIN) and the last. */
static const int cut_recs[] = {0, 1, 6, NFRAMES - 1};

/*
 * The pcap cut inside records: at the start of one (a shorter but valid
 * capture: tolerated, the records before it reported), inside its
 * 16-byte header, right after the header and inside its data (exit 2,
 * "truncated", the records before it reported). From a file and from a
 * pipe, whose records are read another way (no size to check against).
 */
Test(broken, pcap_record_cut)
{
	struct cw_buf b = {0};
	size_t rec[NFRAMES];
	char what[64];

	base_pcap(&b, rec, CW_LT_ETHERNET);
	for (int piped = 0; piped < 2; piped++) {
		for (size_t r = 0; r < sizeof(cut_recs) / sizeof(cut_recs[0]);
		     r++) {
			static const size_t at[] = {1, 8, 15, 16, 17, 40};
			int i = cut_recs[r];

			snprintf(what, sizeof(what),
				 "pcap%s cut before record %d",
				 piped ? " piped" : "", i);
			expect_cut_as(what, &b, rec[i], piped,
				      (struct want){0, 1, NULL, i, NULL});
			for (size_t k = 0; k < sizeof(at) / sizeof(at[0]);
			     k++) {
				snprintf(what, sizeof(what),
					 "pcap%s cut %zu bytes into record %d",
					 piped ? " piped" : "", at[k], i);
				expect_cut_as(what, &b, rec[i] + at[k], piped,
					      (struct want){2, 1, "truncated",
							    i, NULL});
			}
		}
	}
	cw_free(&b);
}

/* Not a capture: unknown magic numbers. Exit 2, no report. */
Test(broken, bad_magic)
{
	static const uint32_t magics[] = {0, 0xdeadbeef, 0xa1b2c3d5,
					  0x0a0d0d0b};
	struct cw_buf b = {0};

	base_pcap(&b, NULL, CW_LT_ETHERNET);
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		char what[64];

		memcpy(b.p, &magics[i], 4);
		snprintf(what, sizeof(what), "magic %#x", magics[i]);
		expect_cut(what, &b, b.n,
			   (struct want){2, 0, "format", -1, NULL});
	}
	cw_free(&b);
}

/*
 * Every file flavour libpcap writes or reads: nanosecond magic, the other
 * byte order, both. Tolerated, same verdicts.
 */
Test(broken, pcap_flavours)
{
	for (int swap = 0; swap < 2; swap++) {
		for (int ns = 0; ns < 2; ns++) {
			struct cw_buf b = {.swap = swap};
			char what[64];

			build_frames(CW_LT_ETHERNET);
			cw_pcap_hdr(&b,
				    ns ? CW_PCAP_MAGIC_NS : CW_PCAP_MAGIC_US,
				    65535, CW_LT_ETHERNET);
			for (int i = 0; i < NFRAMES; i++)
				cw_pcap_rec(&b,
					    T0 + (uint32_t)(frames[i].ns /
							    1000000000ULL),
					    (uint32_t)(frames[i].ns %
						       1000000000ULL /
						       (ns ? 1 : 1000)),
					    frames[i].len, frames[i].len,
					    frames[i].b, frames[i].len);
			snprintf(what, sizeof(what), "swap %d ns %d", swap, ns);
			expect_cut(what, &b, b.n,
				   (struct want){0, 1, NULL, NFRAMES, WHOLE});
			cw_free(&b);
		}
	}
}

/*
 * Record lengths that lie. A captured length above the file's snap length
 * but within what libpcap accepts for the link type is read and cut to
 * the snap length (tolerated: libpcap's rule for files from old
 * systems); 0xffffffff, or above the link type's maximum, is an input
 * error after the records before it.
 */
Test(broken, record_length_beyond_snaplen)
{
	struct cw_buf b = {0};
	uint8_t big[600];

	build_frames(CW_LT_ETHERNET);
	/* Snap length 96: every frame fits; then one of 600 bytes. */
	cw_pcap_hdr(&b, CW_PCAP_MAGIC_US, 96, CW_LT_ETHERNET);
	for (int i = 0; i < NFRAMES; i++)
		cw_pcap_rec(&b, T0, (uint32_t)i, frames[i].len, frames[i].len,
			    frames[i].b, frames[i].len);
	memset(big, 0, sizeof(big));
	memcpy(big, frames[0].b, frames[0].len);
	cw_pcap_rec(&b, T0 + 40, 0, sizeof(big), sizeof(big), big, sizeof(big));
	cw_pcap_rec(&b, T0 + 41, 0, frames[0].len, frames[0].len, frames[0].b,
		    frames[0].len);
	expect_cut("caplen 600 > snaplen 96", &b, b.n,
		   (struct want){0, 1, NULL, NFRAMES + 2, NULL});
	cw_free(&b);

	for (int k = 0; k < 2; k++) {
		static const uint32_t lens[] = {0xffffffffu, 0x10000000u};
		char what[64];

		base_pcap(&b, NULL, CW_LT_ETHERNET);
		/* The header claims lens[k] bytes; a few follow. */
		cw_pcap_rec(&b, T0 + 50, 0, lens[k], lens[k], big, 64);
		snprintf(what, sizeof(what), "caplen %#x", lens[k]);
		expect_cut(what, &b, b.n,
			   (struct want){2, 1, "length", NFRAMES, WHOLE});
		cw_free(&b);
	}
}

/*
 * Zero-length records, and records whose original length is smaller than
 * the captured one or zero (TSO): tolerated; the empty records are
 * counted as truncated frames, the flows are unchanged.
 */
Test(broken, zero_and_odd_lengths)
{
	struct cw_buf b = {0};

	build_frames(CW_LT_ETHERNET);
	cw_pcap_hdr(&b, CW_PCAP_MAGIC_US, 65535, CW_LT_ETHERNET);
	for (int i = 0; i < NFRAMES; i++) {
		uint32_t len = i % 3 == 1 ? 10 : i % 3 == 2 ? 0 : frames[i].len;

		cw_pcap_rec(&b, T0, (uint32_t)(2 * i), 0, 0, NULL, 0);
		cw_pcap_rec(&b, T0 + (uint32_t)(frames[i].ns / 1000000000ULL),
			    (uint32_t)(frames[i].ns % 1000000000ULL / 1000) + 1,
			    frames[i].len, len, frames[i].b, frames[i].len);
	}
	expect_cut("zero-length records", &b, b.n,
		   (struct want){0, 1, NULL, 2 * NFRAMES,
				 WHOLE " and .skipped.truncated == 12"});
	cw_free(&b);
}

/*
 * Timestamps going backwards inside one file (a clock step, a bad
 * merge): tolerated; the flows keep their verdicts (frames are taken in
 * file order) and no duration is negative.
 */
Test(broken, timestamps_backwards)
{
	struct cw_buf b = {0};

	build_frames(CW_LT_ETHERNET);
	cw_pcap_hdr(&b, CW_PCAP_MAGIC_US, 65535, CW_LT_ETHERNET);
	for (int i = 0; i < NFRAMES; i++) {
		/* Every other frame is stamped an hour in the past. */
		uint32_t sec = T0 + (uint32_t)(frames[i].ns / 1000000000ULL);

		cw_pcap_rec(&b, i % 2 ? sec - 3600 : sec,
			    (uint32_t)(frames[i].ns % 1000000000ULL / 1000),
			    frames[i].len, frames[i].len, frames[i].b,
			    frames[i].len);
	}
	expect_cut("timestamps backwards", &b, b.n,
		   (struct want){0, 1, NULL, NFRAMES,
				 WHOLE " and .duration >= 0"});
	cr_assert(cmd_jq("out", "map(select(.type == \"flow\")) | "
				"all(.duration >= 0)"));
	cw_free(&b);
}

/* A link type the decoder does not know: tolerated, frames counted. */
Test(broken, unsupported_link_type)
{
	struct cw_buf b = {0};

	base_pcap(&b, NULL, CW_LT_ETHERNET);
	memcpy(b.p + 20, &(uint32_t){105}, 4); /* IEEE 802.11 */
	expect_cut("link type 105", &b, b.n,
		   (struct want){0, 1, NULL, NFRAMES,
				 ".flows == 0 and "
				 ".skipped[\"unsupported-link\"] == 12"});
	cw_free(&b);
}

/*
 * A ring of 200 files merged (the base capture, then empty ones) under a
 * soft limit of 64 descriptors: fintrace raises it toward the hard limit
 * (330: one descriptor per input fits, two would not) and reads them
 * all. Under a hard limit of 100, exit 2 with one line naming a file,
 * the number of inputs and the limit.
 */
#define RING_FILES 200

Test(broken, ring_of_many_files)
{
	struct cw_buf b = {0}, empty = {0};
	char path[256];
	int st;

	base_pcap(&b, NULL, CW_LT_ETHERNET);
	cw_pcap_hdr(&empty, CW_PCAP_MAGIC_US, 65535, CW_LT_ETHERNET);
	for (int i = 0; i < RING_FILES; i++) {
		const struct cw_buf *f = i ? &empty : &b;

		snprintf(path, sizeof(path), "ring_%03d.pcap", i);
		cr_assert_eq(cw_save(f, f->n, cmd_path(path)), 0);
	}
	st = cmd_run("ulimit -S -n 64 && ulimit -H -n 330 && timeout 60 %s "
		     "read --format json %s/ring_*.pcap > %s 2> %s",
		     FINTRACE, cmd_tmp, cmd_path("out"), cmd_path("err"));
	cr_assert_eq(st, 0, "stderr: %s", cmd_slurp("err"));
	snprintf(path, sizeof(path), "last | .packets == %d and ", NFRAMES);
	cr_assert(cmd_jq("out", strcat(path, WHOLE)), "%s", cmd_slurp("out"));
	st = cmd_run("ulimit -n 100 && timeout 60 %s read --format json "
		     "%s/ring_*.pcap > %s 2> %s",
		     FINTRACE, cmd_tmp, cmd_path("out"), cmd_path("err"));
	cr_assert_eq(st, 2);
	cr_assert_eq(cmd_lines(cmd_slurp("err")), 1, "%s", cmd_slurp("err"));
	cr_assert(strstr(cmd_slurp("err"), "ring_") &&
			  strstr(cmd_slurp("err"), "200 inputs") &&
			  strstr(cmd_slurp("err"), "at most 100"),
		  "%s", cmd_slurp("err"));
	cw_free(&b);
	cw_free(&empty);
}

/* A directory given as a capture: exit 2, no report. */
Test(broken, directory_as_input)
{
	expect_read("directory", cmd_tmp, (struct want){2, 0, NULL, -1, NULL});
}

/*
 * A damaged file merged with a good one: exit 2 naming the damaged file;
 * the report covers every frame read before the error.
 */
Test(broken, merge_with_damaged_file)
{
	struct cw_buf b = {0};
	size_t rec[NFRAMES];
	const char *good = cmd_path("good.pcap"), *bad = cmd_path("bad.pcap");
	int st;

	base_pcap(&b, rec, CW_LT_ETHERNET);
	cr_assert_eq(cw_save(&b, b.n, good), 0);
	cr_assert_eq(cw_save(&b, rec[6] + 20, bad), 0);
	st = cmd_run("timeout 60 %s read --format json %s %s > %s 2> %s",
		     FINTRACE, good, bad, cmd_path("out"), cmd_path("err"));
	cr_assert_eq(st, 2);
	cr_assert_eq(cmd_lines(cmd_slurp("err")), 1);
	cr_assert(strstr(cmd_slurp("err"), "bad.pcap"), "%s", cmd_slurp("err"));
	cr_assert(cmd_jq("out", "last | .error != null and .packets >= 12"));
	cw_free(&b);
}

/* ---- pcapng ---- */

/*
 * The section header block cut at every byte, a file that ends after it,
 * and the interface description block cut anywhere: libpcap finds no
 * interface (so no link type) and the file cannot be opened: exit 2, no
 * report.
 */
Test(broken, pcapng_header_blocks_cut)
{
	struct cw_buf b = {0};
	size_t blk[NFRAMES];
	char what[64];

	base_pcapng(&b, blk);
	for (size_t n = 0; n < blk[0]; n++) {
		snprintf(what, sizeof(what), "pcapng cut at %zu of %zu", n,
			 blk[0]);
		expect_cut(what, &b, n, (struct want){2, 0, NULL, -1, NULL});
	}
	cw_free(&b);
}

/*
 * Enhanced packet blocks (cut_recs) cut at their start (a valid shorter
 * file: tolerated), inside the block header, inside the data and inside
 * the trailing length (exit 2, the packets before it reported).
 */
Test(broken, pcapng_packet_block_cut)
{
	struct cw_buf b = {0};
	size_t blk[NFRAMES];
	char what[64];

	base_pcapng(&b, blk);
	for (size_t r = 0; r < sizeof(cut_recs) / sizeof(cut_recs[0]); r++) {
		int i = cut_recs[r];
		size_t end = i + 1 < NFRAMES ? blk[i + 1] : b.n;
		size_t at[] = {1, 4, 8, 27, 28, 40, end - blk[i] - 2};

		snprintf(what, sizeof(what), "pcapng cut before EPB %d", i);
		expect_cut(what, &b, blk[i],
			   (struct want){0, 1, NULL, i, NULL});
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			snprintf(what, sizeof(what),
				 "pcapng cut %zu bytes into EPB %d", at[k], i);
			expect_cut(what, &b, blk[i] + at[k],
				   (struct want){2, 1, NULL, i, NULL});
		}
	}
	cw_free(&b);
}

/*
 * Block types this reader does not know (custom, reserved, a systemd
 * journal export, a decryption secrets block...) between the packets:
 * skipped, every packet read.
 */
Test(broken, pcapng_unknown_blocks)
{
	static const uint32_t types[] = {0x0badcafe, 0x00000bad, 0x40000bad,
					 0x00000009, 0x0000000a, 0x80000001};
	struct cw_buf b = {0};

	build_frames(CW_LT_ETHERNET);
	cw_ng_shb(&b);
	cw_ng_block(&b, types[0], "before the interface", 20);
	cw_ng_idb(&b, CW_LT_ETHERNET, 262144, 1);
	for (int i = 0; i < NFRAMES; i++) {
		cw_ng_block(&b, types[i % 6], "0123456789abcdefghij",
			    (size_t)i);
		cw_ng_epb(&b, 0, T0 * 1000000000ULL + frames[i].ns,
			  frames[i].len, frames[i].len, frames[i].b);
	}
	expect_cut("unknown blocks", &b, b.n,
		   (struct want){0, 1, NULL, NFRAMES, WHOLE});
	cw_free(&b);
}

/*
 * Malformed blocks after six good packets: a total length below the
 * minimum, not a multiple of 4, beyond the end of the file, absurdly
 * large, a packet longer than its block, an unknown interface. Exit 2,
 * the six packets reported.
 */
Test(broken, pcapng_malformed_blocks)
{
	static const struct {
		const char *what;
		uint32_t type, head, tail;
		size_t nbody;
	} bad[] = {
		{"length 0", CW_NG_EPB, 0, 0, 20},
		{"length 8", CW_NG_EPB, 8, 8, 20},
		{"length 13", CW_NG_EPB, 13, 13, 20},
		{"length beyond the file", 0x0badcafe, 4096, 4096, 20},
		{"length 0xfffffff0", 0x0badcafe, 0xfffffff0u, 0xfffffff0u, 20},
		{"EPB shorter than its header", CW_NG_EPB, 24, 24, 12},
	};
	size_t blk[NFRAMES];

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct cw_buf b = {0};
		uint8_t body[64] = {0};

		base_pcapng(&b, blk);
		b.n = blk[6];
		cw_ng_raw(&b, bad[k].type, bad[k].head, bad[k].tail, body,
			  bad[k].nbody);
		cw_put(&b, NULL, 64);
		expect_cut(bad[k].what, &b, b.n,
			   (struct want){2, 1, NULL, 6, NULL});
		cw_free(&b);
	}
	for (int k = 0; k < 2; k++) {
		struct cw_buf b = {0};

		base_pcapng(&b, blk);
		b.n = blk[6];
		if (k == 0) {
			/* caplen 1500 in a block holding 60 bytes */
			cw_ng_epb(&b, 0, T0 * 1000000000ULL, 60, 60,
				  frames[0].b);
			memcpy(b.p + blk[6] + 20, &(uint32_t){1500}, 4);
		} else {
			cw_ng_epb(&b, 7, T0 * 1000000000ULL, frames[0].len,
				  frames[0].len, frames[0].b);
		}
		expect_cut(k ? "unknown interface 7" : "caplen > block", &b,
			   b.n, (struct want){2, 1, NULL, 6, NULL});
		cw_free(&b);
	}
}

/*
 * Several interfaces. Two of the same link type and snap length (a
 * capture on two Ethernet ports, one in µs and one in ns) are merged
 * into one stream: tolerated.
 *
 * libpcap 1.10 refuses an interface whose link type or snap length
 * differs from the first; fintrace reads pcapng itself, so these are
 * read whole too: Ethernet + raw IP + Linux cooked (a capture on several
 * kinds of interface), and two Ethernet interfaces with different snap
 * lengths.
 */
Test(broken, pcapng_several_interfaces)
{
	struct cw_buf b = {0};
	struct frm raw[NFRAMES], sll[NFRAMES];

	build_frames(CW_LT_ETHERNET);
	cw_ng_shb(&b);
	cw_ng_idb(&b, CW_LT_ETHERNET, 262144, 1);
	cw_ng_idb(&b, CW_LT_ETHERNET, 262144, 0);
	for (int i = 0; i < NFRAMES; i++)
		cw_ng_epb(&b, (uint32_t)(i % 2),
			  i % 2 ? T0 * 1000000ULL + frames[i].ns / 1000
				: T0 * 1000000000ULL + frames[i].ns,
			  frames[i].len, frames[i].len, frames[i].b);
	expect_cut("two Ethernet interfaces", &b, b.n,
		   (struct want){0, 1, NULL, NFRAMES, WHOLE});
	cw_free(&b);

	build_frames(CW_LT_RAW);
	memcpy(raw, frames, sizeof(raw));
	build_frames(CW_LT_SLL);
	memcpy(sll, frames, sizeof(sll));
	build_frames(CW_LT_ETHERNET);
	for (int k = 0; k < 2; k++) {
		cw_ng_shb(&b);
		cw_ng_idb(&b, CW_LT_ETHERNET, 262144, 1);
		for (int i = 0; i < 6; i++)
			cw_ng_epb(&b, 0, T0 * 1000000000ULL + frames[i].ns,
				  frames[i].len, frames[i].len, frames[i].b);
		if (k) {
			cw_ng_idb(&b, CW_LT_ETHERNET, 65535, 1);
		} else {
			cw_ng_idb(&b, CW_LT_RAW, 262144, 1);
			cw_ng_idb(&b, CW_LT_SLL, 262144, 1);
		}
		for (int i = 6; i < NFRAMES; i++) {
			const struct frm *f = k	      ? &frames[i]
					      : i % 2 ? &raw[i]
						      : &sll[i];

			cw_ng_epb(&b,
				  k	  ? 1
				  : i % 2 ? 1
					  : 2,
				  T0 * 1000000000ULL + f->ns, f->len, f->len,
				  f->b);
		}
		expect_cut(k ? "snap lengths 262144 and 65535"
			     : "Ethernet + raw IP + cooked",
			   &b, b.n, (struct want){0, 1, NULL, NFRAMES, WHOLE});
		cw_free(&b);
	}
}

/*
 * A second section (pcapng files joined with cat) in the same byte order:
 * tolerated, every packet read; in the other byte order too (libpcap
 * 1.10 read the new section's length unswapped and stopped).
 */
Test(broken, pcapng_second_section)
{
	for (int swap = 0; swap < 2; swap++) {
		struct cw_buf b = {0}, c = {.swap = swap};

		build_frames(CW_LT_ETHERNET);
		cw_ng_shb(&b);
		cw_ng_idb(&b, CW_LT_ETHERNET, 262144, 1);
		for (int i = 0; i < 6; i++)
			cw_ng_epb(&b, 0, T0 * 1000000000ULL + frames[i].ns,
				  frames[i].len, frames[i].len, frames[i].b);
		cw_ng_shb(&c);
		cw_ng_idb(&c, CW_LT_ETHERNET, 262144, 1);
		for (int i = 6; i < NFRAMES; i++)
			cw_ng_epb(&c, 0, T0 * 1000000000ULL + frames[i].ns,
				  frames[i].len, frames[i].len, frames[i].b);
		cw_put(&b, c.p, c.n);
		expect_cut(swap ? "second section swapped" : "second section",
			   &b, b.n, (struct want){0, 1, NULL, NFRAMES, WHOLE});
		cw_free(&b);
		cw_free(&c);
	}
}

/*
 * Compressed captures (gzip, zstd, xz; pcap and pcapng) are read whole,
 * from a file and from standard input. A compressed file cut short or
 * damaged is an input error, one line naming the file and the codec.
 */
Test(broken, compressed_inputs)
{
	static const char *const tools[] = {"gzip", "zstd -q", "xz"};
	static const char *const names[] = {"gzip", "zstd", "xz"};
	struct cw_buf b = {0};
	char plain[512], file[512], what[64];

	for (int ng = 0; ng < 2; ng++) {
		if (ng)
			base_pcapng(&b, NULL);
		else
			base_pcap(&b, NULL, CW_LT_ETHERNET);
		snprintf(plain, sizeof(plain), "%s", cmd_path("plain.cap"));
		cr_assert_eq(cw_save(&b, b.n, plain), 0);
		cw_free(&b);
		for (int t = 0; t < 3; t++) {
			snprintf(file, sizeof(file), "%s",
				 cmd_path("packed.cap"));
			cr_assert_eq(cmd_run("%s -c %s > %s", tools[t], plain,
					     file),
				     0);
			snprintf(what, sizeof(what), "%s %s", names[t],
				 ng ? "pcapng" : "pcap");
			expect_read(what, file,
				    (struct want){0, 1, NULL, NFRAMES, WHOLE});
			cr_assert_eq(cmd_run("timeout 60 %s read --format json "
					     "- < %s > %s",
					     FINTRACE, file, cmd_path("out")),
				     0, "%s on standard input", what);
			cr_assert(cmd_jq("out", "last | " WHOLE), "%s", what);
			/* cut in the middle of the compressed stream */
			cr_assert_eq(cmd_run("head -c $(( $(stat -c %%s %s) "
					     "* 2 / 3 )) %s > %s.cut && mv "
					     "%s.cut %s",
					     file, file, file, file, file),
				     0);
			/* a report of what came before, if anything did */
			cr_assert_eq(cmd_run("timeout 60 %s read %s > /dev/null "
					     "2> %s",
					     FINTRACE, file, cmd_path("err")),
				     2, "%s cut", what);
			cr_assert_eq(cmd_lines(cmd_slurp("err")), 1);
			cr_assert(strstr(cmd_slurp("err"), file) &&
					  strstr(cmd_slurp("err"), names[t]),
				  "%s cut: %s", what, cmd_slurp("err"));
		}
	}
	/* damaged deflate data after a good gzip header */
	cr_assert_eq(cmd_run("printf '\\037\\213\\010\\000\\000\\000"
			     "\\000\\000\\000\\003\\377\\377\\377"
			     "\\377' > %s",
			     file),
		     0);
	expect_read("damaged gzip", file,
		    (struct want){2, 0, "gzip data corrupt", -1, NULL});
}

/*
 * Inputs that can be read only once: a named pipe and a process
 * substitution (/dev/fd/N), with --evidence. The evidence must come from
 * the one read (as for standard input), not from a second open that
 * blocks on the pipe forever or finds it drained: exit 0, and the
 * evidence holds the never-closed flow's 5 packets. With --report, the
 * pipe is not opened before the analysis (its writer would die).
 */
Test(broken, pipe_inputs_with_evidence)
{
	struct cw_buf b = {0};
	char cap[512], fifo[512], ev[512];
	int st;

	snprintf(cap, sizeof(cap), "%s", cmd_path("base.pcap"));
	snprintf(fifo, sizeof(fifo), "%s", cmd_path("fifo"));
	snprintf(ev, sizeof(ev), "%s", cmd_path("ev.pcap"));
	base_pcap(&b, NULL, CW_LT_ETHERNET);
	cr_assert_eq(cw_save(&b, b.n, cap), 0);
	cw_free(&b);

	st = cmd_run("mkfifo %s && { cat %s > %s & } && timeout -k 5 30 %s "
		     "read --format json %s --evidence %s > %s 2> %s",
		     fifo, cap, fifo, FINTRACE, fifo, ev, cmd_path("out"),
		     cmd_path("err"));
	cr_assert_neq(st, CMD_TIMED_OUT, "fintrace hung on a named pipe");
	cr_assert_eq(st, 0, "named pipe: %s", cmd_slurp("err"));
	cr_assert(cmd_jq("out", "last | " WHOLE " and .error == null"));
	cr_assert_eq(cmd_run("test \"$(%s read --format json %s | tail -n 1 | "
			     "jq .packets)\" = 5",
			     FINTRACE, ev),
		     0, "evidence from a named pipe");

	st = cmd_run("timeout -k 5 30 %s read --format json <(cat %s) "
		     "--evidence %s > %s 2> %s",
		     FINTRACE, cap, ev, cmd_path("out"), cmd_path("err"));
	cr_assert_neq(st, CMD_TIMED_OUT, "fintrace hung on /dev/fd/N");
	cr_assert_eq(st, 0, "process substitution: %s", cmd_slurp("err"));
	cr_assert(cmd_jq("out", "last | " WHOLE " and .error == null"));
	cr_assert_eq(cmd_run("test \"$(%s read --format json %s | tail -n 1 | "
			     "jq .packets)\" = 5",
			     FINTRACE, ev),
		     0, "evidence from a process substitution");

	for (int i = 0; i < 5; i++) {
		st = cmd_run("rm -f %s && mkfifo %s && { cat %s > %s & } && "
			     "timeout -k 5 30 %s read --format json %s "
			     "--report %s > %s 2> %s",
			     fifo, fifo, cap, fifo, FINTRACE, fifo,
			     cmd_path("r.html"), cmd_path("out"),
			     cmd_path("err"));
		cr_assert_neq(st, CMD_TIMED_OUT, "hung on a named pipe");
		cr_assert_eq(st, 0, "--report: %s", cmd_slurp("err"));
		cr_assert(cmd_jq("out", "last | " WHOLE));
	}
}
