/* SPDX-License-Identifier: MIT */
/*
 * The capture reader (capture/source.h) on hand-built files: pcapng read
 * by fintrace's own reader (interfaces of several link types, snap
 * lengths and timestamp resolutions, both byte orders, simple packet
 * blocks, interface statistics and the true end they state), the filter
 * compiled per link type, and pcap through libpcap (no true end known).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include "capture/decode.h"
#include "capture/source.h"
#include "tests/capwrite.h"

#define T0_S 1700000000ULL
#define NS 1000000000ULL

static char path[256];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/ft-test-source-%d.cap",
		 (int)getpid());
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(source, .init = setup, .fini = teardown);

/* An interface description with if_tsresol res (raw byte), if any. */
static void idb(struct cw_buf *b, uint16_t lt, uint32_t snaplen, int res)
{
	struct cw_buf body = {.swap = b->swap};

	cw_u16(&body, lt);
	cw_u16(&body, 0);
	cw_u32(&body, snaplen);
	if (res >= 0) {
		uint8_t v[4] = {(uint8_t)res, 0, 0, 0};

		cw_u16(&body, 9);
		cw_u16(&body, 1);
		cw_put(&body, v, 4);
		cw_u32(&body, 0);
	}
	cw_ng_block(b, CW_NG_IDB, body.p, body.n);
	cw_free(&body);
}

/* Interface statistics with isb_endtime end (in the units given). */
static void isb(struct cw_buf *b, uint32_t ifid, uint64_t ts, uint64_t end)
{
	struct cw_buf body = {.swap = b->swap};

	cw_u32(&body, ifid);
	cw_u32(&body, (uint32_t)(ts >> 32));
	cw_u32(&body, (uint32_t)ts);
	cw_u16(&body, 3); /* isb_endtime */
	cw_u16(&body, 8);
	cw_u32(&body, (uint32_t)(end >> 32));
	cw_u32(&body, (uint32_t)end);
	cw_u32(&body, 0);
	cw_ng_block(b, 5, body.p, body.n);
	cw_free(&body);
}

/* A SYN on link type lt, from client port sport. */
static size_t syn(uint8_t *fr, int lt, uint16_t sport)
{
	struct cw_tcp t = cw_tcp4("10.0.0.1", sport, "10.0.0.2", 80);

	t.flags = 0x02;
	return cw_frame(fr, lt, &t);
}

/* A pcapng section with one Ethernet interface (ns) and one SYN at T0;
 * returns the frame's length (the frame is left in fr). */
static size_t one_syn(struct cw_buf *b, uint8_t *fr)
{
	size_t n = syn(fr, CW_LT_ETHERNET, 40000);

	cw_ng_shb(b);
	idb(b, CW_LT_ETHERNET, 262144, 9);
	cw_ng_epb(b, 0, T0_S * NS, (uint32_t)n, (uint32_t)n, fr);
	return n;
}

struct got {
	uint64_t ns[8];
	int dlt[8];
	uint64_t frame[8];
	int n;
	uint64_t end;
};

static int read_all(const char *filter, struct got *g)
{
	const char *paths[1] = {path};
	char err[FT_ERRBUF_SIZE];
	struct src_reader *r = src_open_files(paths, 1, filter, err);
	struct src_packet p;
	int rc;

	memset(g, 0, sizeof(*g));
	cr_assert_not_null(r, "%s", err);
	while ((rc = src_next(r, &p, err)) == 1 && g->n < 8) {
		struct flow_seg seg;

		cr_assert_eq(
			pkt_decode(p.dlt, p.data, p.caplen, p.wirelen, &seg),
			PKT_OK);
		g->ns[g->n] = p.wall_ns;
		g->dlt[g->n] = p.dlt;
		g->frame[g->n] = p.frame;
		g->n++;
	}
	cr_assert_eq(rc, 0, "%s", err);
	g->end = src_capture_end_ns(r);
	src_free(r);
	return 0;
}

/*
 * Ethernet (ns) and raw IP (µs, snap 128) and Linux cooked (2^-10 s)
 * interfaces, in both byte orders: every packet with its link type and
 * time, frames numbered as Wireshark does, the end from the statistics.
 */
Test(source, pcapng_several_interfaces_both_byte_orders)
{
	for (int swap = 0; swap < 2; swap++) {
		struct cw_buf b = {.swap = swap};
		uint8_t fr[CW_FRAME_MAX];
		struct got g;
		size_t n;

		cw_ng_shb(&b);
		idb(&b, CW_LT_ETHERNET, 262144, 9);
		idb(&b, CW_LT_RAW, 128, -1);
		idb(&b, CW_LT_SLL, 65535, 0x80 | 10);
		n = syn(fr, CW_LT_ETHERNET, 40000);
		cw_ng_epb(&b, 0, T0_S * NS + 5, (uint32_t)n, (uint32_t)n, fr);
		n = syn(fr, CW_LT_RAW, 40001);
		cw_ng_epb(&b, 1, T0_S * 1000000 + 7, (uint32_t)n, (uint32_t)n,
			  fr);
		n = syn(fr, CW_LT_SLL, 40002);
		cw_ng_epb(&b, 2, (T0_S + 1) * 1024 + 512, (uint32_t)n,
			  (uint32_t)n, fr);
		isb(&b, 0, T0_S * NS + 9 * NS, T0_S * NS + 10 * NS);
		cr_assert_eq(cw_save(&b, b.n, path), 0);
		read_all(NULL, &g);
		cr_assert_eq(g.n, 3, "swap %d", swap);
		cr_assert_eq(g.dlt[0], CW_LT_ETHERNET);
		cr_assert_eq(g.dlt[1], DLT_RAW,
			     "LINKTYPE_RAW as libpcap has it");
		cr_assert_eq(g.dlt[2], CW_LT_SLL);
		cr_assert_eq(g.ns[0], T0_S * NS + 5);
		cr_assert_eq(g.ns[1], T0_S * NS + 7000);
		cr_assert_eq(g.ns[2], (T0_S + 1) * NS + NS / 2);
		cr_assert_eq(g.frame[2], 3);
		cr_assert_eq(g.end, T0_S * NS + 10 * NS);
		cw_free(&b);
	}
}

/* The filter is compiled for each link type met. */
Test(source, filter_per_link_type)
{
	struct cw_buf b = {0};
	uint8_t fr[CW_FRAME_MAX];
	struct got g;
	size_t n;

	cw_ng_shb(&b);
	idb(&b, CW_LT_ETHERNET, 262144, 9);
	idb(&b, CW_LT_RAW, 262144, 9);
	for (int i = 0; i < 4; i++) {
		int lt = i % 2 ? CW_LT_RAW : CW_LT_ETHERNET;

		n = syn(fr, lt, (uint16_t)(40000 + i));
		cw_ng_epb(&b, (uint32_t)(i % 2), T0_S * NS + (uint64_t)i,
			  (uint32_t)n, (uint32_t)n, fr);
	}
	cr_assert_eq(cw_save(&b, b.n, path), 0);
	read_all("tcp src port 40001 or tcp src port 40002", &g);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.frame[0], 2);
	cr_assert_eq(g.frame[1], 3);
	cr_assert_eq(g.end, 0, "no statistics: end unknown");
	cw_free(&b);
}

/*
 * dumpcap 4.0 writes statistics times in µs whatever if_tsresol says:
 * an end that would fall before the packets is read in µs.
 */
Test(source, statistics_in_microseconds_on_a_ns_interface)
{
	struct cw_buf b = {0};
	uint8_t fr[CW_FRAME_MAX];
	struct got g;

	one_syn(&b, fr);
	isb(&b, 0, (T0_S + 20) * 1000000, (T0_S + 20) * 1000000);
	cr_assert_eq(cw_save(&b, b.n, path), 0);
	read_all(NULL, &g);
	cr_assert_eq(g.end, (T0_S + 20) * NS);
	cw_free(&b);
}

/* Simple packet blocks: interface 0, the snap length, no time. */
Test(source, simple_packet_blocks)
{
	struct cw_buf b = {0};
	uint8_t fr[CW_FRAME_MAX];
	struct got g;
	size_t n = one_syn(&b, fr);

	{
		struct cw_buf body = {0};

		cw_u32(&body, (uint32_t)n);
		cw_put(&body, fr, n);
		cw_ng_block(&b, CW_NG_SPB, body.p, body.n);
		cw_free(&body);
	}
	cr_assert_eq(cw_save(&b, b.n, path), 0);
	read_all(NULL, &g);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.ns[1], T0_S * NS, "the previous packet's time");
	cw_free(&b);
}

/* pcap goes through libpcap: read whole, no true end. */
Test(source, pcap_has_no_true_end)
{
	struct cw_buf b = {0};
	uint8_t fr[CW_FRAME_MAX];
	struct got g;
	size_t n = syn(fr, CW_LT_ETHERNET, 40000);

	cw_pcap_hdr(&b, CW_PCAP_MAGIC_NS, 65535, CW_LT_ETHERNET);
	cw_pcap_rec(&b, (uint32_t)T0_S, 123, (uint32_t)n, (uint32_t)n, fr,
		    (uint32_t)n);
	cr_assert_eq(cw_save(&b, b.n, path), 0);
	read_all(NULL, &g);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.ns[0], T0_S * NS + 123);
	cr_assert_eq(g.end, 0);
	cw_free(&b);
}

/* A filter that does not compile fails the open, naming the file. */
Test(source, bad_filter_names_the_file)
{
	struct cw_buf b = {0};
	const char *paths[1] = {path};
	char err[FT_ERRBUF_SIZE];
	struct src_reader *r;

	cw_ng_shb(&b);
	idb(&b, CW_LT_ETHERNET, 262144, 9);
	cr_assert_eq(cw_save(&b, b.n, path), 0);
	r = src_open_files(paths, 1, "tcp port banana", err);
	cr_assert_null(r);
	cr_assert(strstr(err, path) && strstr(err, "filter"), "%s", err);
	cw_free(&b);
}

/*
 * pcapng blocks are read in place from a window of 1 MiB: a file of
 * several MiB whose blocks end at every offset modulo 4 KiB (padding
 * blocks of 0 to 2 KiB between the packets), one block of 3 MiB (larger
 * than the window) and a second section in the other byte order, read
 * plain and gzip-compressed (a stream that returns short reads): every
 * packet comes out, in order, with its own port, time and number.
 */
#define WIN_PKTS 6000

static void window_pcapng(struct cw_buf *b)
{
	static uint8_t pad[3u << 20];
	uint8_t fr[CW_FRAME_MAX];

	cw_ng_shb(b);
	idb(b, CW_LT_ETHERNET, 262144, 9);
	for (int i = 0; i < WIN_PKTS; i++) {
		size_t n = syn(fr, CW_LT_ETHERNET, (uint16_t)(10000 + i));

		if (i == WIN_PKTS / 2) {
			/* the rest in the other byte order: a new section */
			b->swap = !b->swap;
			cw_ng_shb(b);
			idb(b, CW_LT_ETHERNET, 262144, 9);
		}
		cw_ng_epb(b, 0, T0_S * NS + (uint64_t)i * 1000, (uint32_t)n,
			  (uint32_t)n, fr);
		/* a custom block (type 0xbad), skipped by readers */
		cw_ng_block(b, 0xbad, pad,
			    i == WIN_PKTS / 4 ? sizeof(pad)
					      : (size_t)(i * 37 % 2048));
	}
}

static void expect_window_read(const char *file)
{
	const char *paths[1] = {file};
	char err[FT_ERRBUF_SIZE];
	struct src_reader *r = src_open_files(paths, 1, NULL, err);
	struct src_packet p;
	double last = 0, first = -1;
	int rc, n = 0;

	cr_assert_not_null(r, "%s: %s", file, err);
	while ((rc = src_next(r, &p, err)) == 1) {
		struct flow_seg seg;
		double frac = src_progress(r);

		/* the share of the file read: known and growing */
		cr_assert(frac >= last && frac <= 1,
			  "%s: progress %f after %f", file, frac, last);
		last = frac;
		if (first < 0)
			first = frac;
		cr_assert_lt(n, WIN_PKTS);
		cr_assert_eq(
			pkt_decode(p.dlt, p.data, p.caplen, p.wirelen, &seg),
			PKT_OK, "%s: packet %d", file, n);
		cr_assert_eq(seg.sport, 10000 + n, "%s: packet %d", file, n);
		cr_assert_eq(p.wall_ns, T0_S * NS + (uint64_t)n * 1000);
		cr_assert_eq(p.frame, (uint64_t)n + 1);
		n++;
	}
	cr_assert_eq(rc, 0, "%s: %s", file, err);
	cr_assert_eq(n, WIN_PKTS, "%s", file);
	cr_assert_lt(first, 1, "%s: all read at the first packet", file);
	cr_assert_eq(src_progress(r), 1.0, "%s: all read", file);
	src_free(r);
}

/*
 * The same for pcap: records of every size up to 2 KiB past the frame
 * (trailing bytes a decoder ignores), read by pread() from the file and
 * by reads of the stream from its gzip copy.
 */
static void window_pcap(struct cw_buf *b)
{
	static uint8_t rec[CW_FRAME_MAX + 2048];

	cw_pcap_hdr(b, CW_PCAP_MAGIC_NS, 262144, CW_LT_ETHERNET);
	for (int i = 0; i < WIN_PKTS; i++) {
		size_t n = syn(rec, CW_LT_ETHERNET, (uint16_t)(10000 + i));
		size_t pad = (size_t)(i * 37 % 2048);

		memset(rec + n, 0, pad);
		cw_pcap_rec(b, (uint32_t)T0_S, (uint32_t)i * 1000,
			    (uint32_t)(n + pad), (uint32_t)(n + pad), rec,
			    (uint32_t)(n + pad));
	}
}

/* b saved and read whole, then its gzip copy. */
static void expect_window_plain_and_gzip(struct cw_buf *b)
{
	char gz[300], cmd[700];

	cr_assert_gt(b->n, 6u << 20, "several windows: %zu bytes", b->n);
	cr_assert_eq(cw_save(b, b->n, path), 0);
	expect_window_read(path);
	snprintf(gz, sizeof(gz), "%s.gz", path);
	snprintf(cmd, sizeof(cmd), "gzip -1 -c '%s' > '%s'", path, gz);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	expect_window_read(gz);
	unlink(gz);
	cw_free(b);
}

Test(source, pcap_records_across_the_read_window)
{
	struct cw_buf b = {0};

	window_pcap(&b);
	expect_window_plain_and_gzip(&b);
}

Test(source, pcapng_blocks_across_the_read_window)
{
	struct cw_buf b = {0};

	window_pcapng(&b);
	expect_window_plain_and_gzip(&b);
}
