/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seeds PCAP_DIR OUT_DIR: writes the seed corpora of the fuzz
 * harnesses into OUT_DIR/{decode,capture,tracker}.
 *
 *  decode   the first frames of every scenario capture (one seed per
 *           frame, prefixed with the harness's link-type byte; the
 *           tunnel captures seed every encapsulation: MPLS, PPPoE, GRE
 *           with a key, bridged, ERSPAN II and III, IP in IP, VXLAN,
 *           Geneve), and a TCP segment built for every link type, IPv4
 *           and IPv6;
 *  capture  every scenario capture, gzip-compressed ones too (the large
 *           ones cut to 16 KiB, which
 *           also seeds the truncation path), two captures joined for the
 *           merge, and small hand-built pcap and pcapng files (ns
 *           timestamps, swapped byte order, an unknown block type, two
 *           interfaces);
 *  tracker  segment records for each teardown (clean, never-closed,
 *           late-close, reset, refused, simultaneous, half-close,
 *           wrapping sequence numbers) and many flows for --max-flows;
 *  ksock    kernel event streams: a server leaking in CLOSE_WAIT, a clean
 *           passive and active close, a reset, a seeded socket, lost
 *           records and timewait samples.
 *
 * Seeds are regenerated at every run, from the captures in the tree, so
 * the corpus is code and needs no binary files in git.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/source.h"
#include "fuzz.h"
#include "tests/capwrite.h"

#define CAPTURE_MAX (16 * 1024)
#define FRAMES_PER_FILE 12

static const char *out_dir;
static unsigned nseeds;

static void seed(const char *kind, const char *name, const void *d, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, kind, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f)) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	nseeds++;
}

static int dlt_index(int dlt)
{
	for (size_t i = 0; i < FZ_NDLTS; i++)
		if (fz_dlts[i] == dlt)
			return (int)i;
	return -1;
}

/* A decode seed: link-type byte, length byte (0: not cut), frame. */
static void seed_frame(const char *name, int dlt, const uint8_t *d, size_t n)
{
	struct cw_buf b = {0};
	int idx = dlt_index(dlt);
	uint8_t h[2] = {(uint8_t)(idx < 0 ? 0 : idx), 0};

	if (idx < 0)
		return;
	cw_put(&b, h, 2);
	cw_put(&b, d, n);
	seed("decode", name, b.p, b.n);
	cw_free(&b);
}

static void from_capture(const char *dir, const char *file)
{
	char path[4096], name[512];
	char err[FT_ERRBUF_SIZE];
	const char *paths[1] = {path};
	struct src_reader *r;
	struct src_packet p;
	struct cw_buf b = {0};
	FILE *f;
	size_t n;
	int k = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "rb");
	if (!f)
		return;
	cw_put(&b, NULL, CAPTURE_MAX);
	n = fread(b.p, 1, CAPTURE_MAX, f);
	fclose(f);
	seed("capture", file, b.p, n);
	cw_free(&b);

	r = src_open_files(paths, 1, NULL, err);
	if (!r)
		return;
	while (k < FRAMES_PER_FILE && src_next(r, &p, err) == 1) {
		snprintf(name, sizeof(name), "%s-%d", file, k++);
		seed_frame(name, p.dlt, p.data, p.caplen);
	}
	src_free(r);
}

/* One frame per link type and family, SYN-ACK with 10 bytes of data. */
static void built_frames(void)
{
	static const int lts[] = {CW_LT_ETHERNET, CW_LT_SLL,  CW_LT_SLL2,
				  CW_LT_RAW,	  CW_LT_NULL, CW_LT_LOOP};
	uint8_t fr[CW_FRAME_MAX];
	char name[64];

	for (size_t i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			struct cw_tcp t =
				cw_tcp4("10.0.0.1", 80, "10.0.0.2", 40000);
			size_t n;

			t.family = fam;
			t.flags = 0x12;
			t.payload = 10;
			n = cw_frame(fr, lts[i], &t);
			snprintf(name, sizeof(name), "built-%d-v%d", lts[i],
				 fam);
			seed_frame(name, lts[i] == CW_LT_RAW ? 101 : lts[i], fr,
				   n);
		}
	}
}

/* Small hand-built captures of every file flavour the reader knows. */
static void built_captures(void)
{
	struct cw_tcp t = cw_tcp4("10.0.0.1", 40000, "10.0.0.2", 80);
	uint8_t fr[CW_FRAME_MAX];
	struct cw_buf b = {0};
	size_t n;

	/* pcap, ns magic, other byte order, raw IP. */
	b.swap = 1;
	cw_pcap_hdr(&b, CW_PCAP_MAGIC_NS, 65535, CW_LT_RAW);
	t.flags = 0x02;
	n = cw_frame(fr, CW_LT_RAW, &t);
	cw_pcap_rec(&b, 1700000000, 5, (uint32_t)n, (uint32_t)n, fr, n);
	t.flags = 0x11;
	n = cw_frame(fr, CW_LT_RAW, &t);
	cw_pcap_rec(&b, 1700000001, 5, (uint32_t)n, (uint32_t)n, fr, n);
	seed("capture", "built-pcap-ns-swapped", b.p, b.n);
	cw_free(&b);

	/* pcapng: an unknown block between packets, ns resolution. */
	cw_ng_shb(&b);
	cw_ng_idb(&b, CW_LT_ETHERNET, 262144, 1);
	t.flags = 0x02;
	n = cw_frame(fr, CW_LT_ETHERNET, &t);
	cw_ng_epb(&b, 0, 1700000000000000000ULL, (uint32_t)n, (uint32_t)n, fr);
	cw_ng_block(&b, 0x0badcafe, "unknown", 7);
	t.flags = 0x11;
	n = cw_frame(fr, CW_LT_ETHERNET, &t);
	cw_ng_epb(&b, 0, 1700000001000000000ULL, (uint32_t)n, (uint32_t)n, fr);
	seed("capture", "built-pcapng-unknown-block", b.p, b.n);
	cw_free(&b);

	/* pcapng: two interfaces of the same link type, µs resolution. */
	cw_ng_shb(&b);
	cw_ng_idb(&b, CW_LT_SLL, 65535, 0);
	cw_ng_idb(&b, CW_LT_SLL, 65535, 0);
	t.flags = 0x04;
	n = cw_frame(fr, CW_LT_SLL, &t);
	cw_ng_epb(&b, 1, 1700000000000000ULL, (uint32_t)n, (uint32_t)n, fr);
	cw_ng_epb(&b, 0, 1700000000000001ULL, (uint32_t)n, (uint32_t)n, fr);
	seed("capture", "built-pcapng-two-interfaces", b.p, b.n);
	cw_free(&b);
}

/* Two whole captures joined by the harness's separator: a merge. */
static void joined(const char *dir, const char *a, const char *b)
{
	struct cw_buf buf = {0};
	const char *files[2] = {a, b};

	for (int i = 0; i < 2; i++) {
		char path[4096];
		uint8_t chunk[4096];
		size_t n;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "rb");
		if (!f)
			return;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			cw_put(&buf, chunk, n);
		fclose(f);
		if (!i)
			cw_put(&buf, "FTSPLIT!", 8);
	}
	seed("capture", "joined", buf.p, buf.n);
	cw_free(&buf);
}

/* ---- tracker records (see fuzz_tracker.c) ---- */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void rec(struct cw_buf *b, uint8_t ep, int b_sends, uint8_t flags,
		unsigned step_ms, int seq, int ack, unsigned len)
{
	uint8_t r[12] = {
		(uint8_t)(ep | (b_sends ? 0x20 : 0)),
		flags,
		(uint8_t)(step_ms >> 8),
		(uint8_t)step_ms,
		(uint8_t)((unsigned)seq >> 8),
		(uint8_t)seq,
		(uint8_t)((unsigned)ack >> 8),
		(uint8_t)ack,
		(uint8_t)(len >> 8),
		(uint8_t)len,
		64,
		0,
	};

	cw_put(b, r, sizeof(r));
}

/* Host A (0) is the client on port 40000, host B (1) the server on 80. */
#define EP 0x04

/* Handshake and one exchange: client at seq 101, server at 201. */
static void opening(struct cw_buf *b, uint8_t ep)
{
	rec(b, ep, 0, F_SYN, 0, 0, 0, 0);
	rec(b, ep, 1, F_SYN | F_ACK, 1, 0, 1, 0);
	rec(b, ep, 0, F_ACK, 1, 1, 1, 0);
	rec(b, ep, 0, F_PSH | F_ACK, 1, 1, 1, 100);
	rec(b, ep, 1, F_ACK, 1, 1, 101, 0);
	rec(b, ep, 1, F_PSH | F_ACK, 5, 1, 101, 200);
	rec(b, ep, 0, F_ACK, 1, 101, 201, 0);
}

static void tracker_seed(const char *name, uint8_t hdr0,
			 void (*body)(struct cw_buf *))
{
	struct cw_buf b = {0};
	uint8_t h[4] = {hdr0, 50, 50, 60}; /* linger 5 s, grace 5 s */

	cw_put(&b, h, 4);
	body(&b);
	seed("tracker", name, b.p, b.n);
	cw_free(&b);
}

static void t_clean(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 0, F_FIN | F_ACK, 10, 101, 201, 0);
	rec(b, EP, 1, F_ACK, 1, 201, 102, 0);
	rec(b, EP, 1, F_FIN | F_ACK, 100, 201, 102, 0);
	rec(b, EP, 0, F_ACK, 1, 102, 202, 0);
}

static void t_never(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 0, F_FIN | F_ACK, 10, 101, 201, 0);
	rec(b, EP, 1, F_ACK, 1, 201, 102, 0);
	rec(b, EP, 0, F_FIN | F_ACK, 30000, 101, 201, 0);
}

static void t_late(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 1, F_FIN | F_ACK, 10, 201, 101, 0);
	rec(b, EP, 0, F_ACK, 1, 101, 202, 0);
	rec(b, EP, 0, F_FIN | F_ACK, 7000, 101, 202, 0);
	rec(b, EP, 1, F_RST, 1, 202, 0, 0);
}

static void t_reset(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 0, F_RST | F_ACK, 10, 101, 201, 0);
	rec(b, EP, 0, F_RST, 1, 101, 0, 0);
}

static void t_refused(struct cw_buf *b)
{
	rec(b, EP, 0, F_SYN, 0, 0, 0, 0);
	rec(b, EP, 1, F_RST | F_ACK, 1, 0, 1, 0);
	rec(b, EP, 0, F_SYN, 1000, 0, 0, 0);
	rec(b, EP, 1, F_RST | F_ACK, 1, 0, 1, 0);
}

static void t_simultaneous(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 0, F_FIN | F_ACK, 10, 101, 201, 0);
	rec(b, EP, 1, F_FIN | F_ACK, 0, 201, 101, 0);
	rec(b, EP, 0, F_ACK, 1, 102, 202, 0);
	rec(b, EP, 1, F_ACK, 0, 202, 102, 0);
}

static void t_half(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 0, F_FIN | F_ACK, 10, 101, 201, 0);
	rec(b, EP, 1, F_ACK, 1, 201, 102, 0);
	rec(b, EP, 1, F_PSH | F_ACK, 500, 201, 102, 1000);
	rec(b, EP, 0, F_ACK, 1, 102, 1201, 0);
	rec(b, EP, 1, F_FIN | F_ACK, 500, 1201, 102, 0);
	rec(b, EP, 0, F_ACK, 1, 102, 1202, 0);
}

/* ISNs just below 2^32 (record byte 11 bit 1): every number wraps. */
static void t_wrap(struct cw_buf *b)
{
	opening(b, EP);
	rec(b, EP, 0, F_FIN | F_ACK, 10, 101, 201, 0);
	rec(b, EP, 1, F_ACK, 1, 201, 102, 0);
	/* Set the wrap bit on every record written so far. */
	for (size_t off = 4; off + 12 <= b->n; off += 12)
		b->p[off + 11] |= 2;
}

/* Eight clients, each leaving a flow open: evictions with max 3. */
static void t_many(struct cw_buf *b)
{
	for (uint8_t i = 0; i < 8; i++) {
		uint8_t ep = (uint8_t)((i & 3) | 0x04 | (i & 4 ? 0x40 : 0));

		rec(b, ep, 0, F_SYN, 10, 0, 0, 0);
		rec(b, ep, 1, F_SYN | F_ACK, 1, 0, 1, 0);
		rec(b, ep, 0, F_FIN | F_ACK, 1, 1, 1, 0);
		rec(b, ep, 1, F_ACK, 1, 1, 2, 0);
	}
}

/* ---- kernel event streams (see fuzz_ksock.c) ---- */

enum {
	K_ESTAB = 1,
	K_SYN_SENT,
	K_SYN_RECV,
	K_FIN1,
	K_FIN2,
	K_TW,
	K_CLOSE,
	K_CW,
	K_LAST_ACK,
	K_LISTEN
};
enum {
	OP_FEED = 0,
	OP_SEED = 4,
	OP_TW = 5,
	OP_RECONCILE = 6,
	OP_OWNER = 7,
	OP_TICK = 8,
	OP_VIEWS = 9
};

/* One 16-byte operation on socket sk (cookie sk + 1, inode known). */
static void kop(struct cw_buf *b, uint8_t op, uint8_t sk, uint8_t kind,
		uint8_t from, uint8_t to, unsigned step_ms)
{
	uint8_t r[16] = {
		op,
		(uint8_t)(sk | 0x10),
		kind,
		from,
		to,
		(uint8_t)(step_ms >> 8),
		(uint8_t)step_ms,
		1, /* in_task */
		0x1f,
		0x90, /* local port 8080 */
		(uint8_t)(0x90 + sk),
		0x00, /* remote port */
		0x03,
		0xe8, /* pid 1000 */
		(uint8_t)(2 + sk),
		30,
	};

	cw_put(b, r, sizeof(r));
}

static void ksock_seed(const char *name, void (*body)(struct cw_buf *))
{
	struct cw_buf b = {0};
	uint8_t h[2] = {50, 1}; /* linger 5 s, keep clean sockets */

	cw_put(&b, h, 2);
	body(&b);
	kop(&b, OP_VIEWS, 0, 0, 0, 0, 1);
	seed("ksock", name, b.p, b.n);
	cw_free(&b);
}

/* Accepted, the peer closes, the server never does; ticks past linger. */
static void k_leak(struct cw_buf *b)
{
	kop(b, OP_FEED, 0, 1, K_SYN_RECV, K_ESTAB, 0);
	kop(b, OP_FEED, 0, 5, K_ESTAB, K_ESTAB, 1);
	kop(b, OP_FEED, 0, 1, K_ESTAB, K_CW, 100);
	kop(b, OP_OWNER, 0, 0, 0, 0, 1);
	kop(b, OP_TICK, 0, 0, 0, 0, 6000);
	kop(b, OP_TICK, 0, 0, 0, 0, 30000);
}

/* Passive close in time, then an active close through TIME_WAIT. */
static void k_clean(struct cw_buf *b)
{
	kop(b, OP_FEED, 0, 1, K_SYN_RECV, K_ESTAB, 0);
	kop(b, OP_FEED, 0, 1, K_ESTAB, K_CW, 10);
	kop(b, OP_FEED, 0, 1, K_CW, K_LAST_ACK, 200);
	kop(b, OP_FEED, 0, 1, K_LAST_ACK, K_CLOSE, 1);
	kop(b, OP_FEED, 0, 4, K_CLOSE, K_CLOSE, 1);
	kop(b, OP_FEED, 1, 1, K_CLOSE, K_SYN_SENT, 5);
	kop(b, OP_FEED, 1, 1, K_SYN_SENT, K_ESTAB, 1);
	kop(b, OP_FEED, 1, 1, K_ESTAB, K_FIN1, 10);
	kop(b, OP_FEED, 1, 1, K_FIN1, K_FIN2, 1);
	kop(b, OP_FEED, 1, 1, K_FIN2, K_TW, 20);
	kop(b, OP_TW, 1, 1, 0, 0, 1000);
	kop(b, OP_FEED, 1, 1, K_TW, K_CLOSE, 1);
	kop(b, OP_TW, 1, 1, 0, 0, 60000);
}

/* A reset while in CLOSE_WAIT, with unread data. */
static void k_reset(struct cw_buf *b)
{
	kop(b, OP_FEED, 2, 1, K_SYN_RECV, K_ESTAB, 0);
	kop(b, OP_FEED, 2, 1, K_ESTAB, K_CW, 10);
	kop(b, OP_FEED, 2, 2, K_CW, K_CW, 3000);
	kop(b, OP_FEED, 2, 1, K_CW, K_CLOSE, 0);
	kop(b, OP_FEED, 2, 3, K_CLOSE, K_CLOSE, 1);
}

/* Lingering before tracing began; records lost; a reconciliation. */
static void k_seeded(struct cw_buf *b)
{
	kop(b, OP_SEED, 3, 1, 0, 0, 0);
	kop(b, OP_SEED, 4, 2, 0, 0, 0);
	kop(b, OP_FEED, 5, 1, K_ESTAB, K_CW, 10);
	kop(b, OP_TICK, 0, 0, 0, 0, 7000);
	kop(b, OP_RECONCILE, 3, 0, 1, 0, 1000);
	kop(b, OP_TW, 4, 0, 1, 0, 1000);
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = {"decode", "capture", "tracker",
					    "ksock"};
	struct dirent **ents;
	char path[4096];
	int k;

	if (argc != 3) {
		fprintf(stderr, "usage: fuzz_seeds PCAP_DIR OUT_DIR\n");
		return 1;
	}
	out_dir = argv[2];
	mkdir(out_dir, 0755);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out_dir, kinds[i]);
		if (mkdir(path, 0755) && errno != EEXIST) {
			fprintf(stderr, "fuzz_seeds: %s: %s\n", path,
				strerror(errno));
			return 1;
		}
	}
	k = scandir(argv[1], &ents, NULL, alphasort);
	if (k < 0) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	for (int i = 0; i < k; i++) {
		const char *d = ents[i]->d_name;
		size_t len = strlen(d);

		if ((len > 5 && !strcmp(d + len - 5, ".pcap")) ||
		    (len > 7 && !strcmp(d + len - 7, ".pcapng")) ||
		    (len > 8 && !strcmp(d + len - 8, ".pcap.gz")))
			from_capture(argv[1], d);
		free(ents[i]);
	}
	free(ents);
	built_frames();
	built_captures();
	joined(argv[1], "clean-client-close.pcap", "server-late-close.pcap");

	tracker_seed("clean", 0x00, t_clean);
	tracker_seed("never-closed-json", 0x10, t_never);
	tracker_seed("late-close-csv", 0x20, t_late);
	tracker_seed("reset", 0x40, t_reset);
	tracker_seed("refused", 0x10, t_refused);
	tracker_seed("simultaneous", 0x00, t_simultaneous);
	tracker_seed("half-close", 0x10, t_half);
	tracker_seed("wrap", 0x00, t_wrap);
	tracker_seed("many-max3", 0x13, t_many);
	ksock_seed("leak", k_leak);
	ksock_seed("clean", k_clean);
	ksock_seed("reset", k_reset);
	ksock_seed("seeded", k_seeded);
	printf("fuzz_seeds: %u seeds in %s\n", nseeds, out_dir);
	return 0;
}
