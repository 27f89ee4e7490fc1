/* SPDX-License-Identifier: MIT */
/*
 * Test capture writer: builds pcap and pcapng files byte by byte in memory,
 * including files no capture tool would write (lengths that lie, unknown
 * or malformed blocks, a cut at any offset), and TCP frames for every link
 * type the decoder knows. The broken-capture and adversarial suites and the
 * fuzz seed generator use it; it is header-only so that each of them
 * compiles its own copy. Allocation failure aborts: these are tests.
 *
 * Files are written in the host's byte order (both formats allow it; the
 * readers swap), except where a test asks for the other order with
 * cw_buf.swap.
 */
#ifndef FT_TESTS_CAPWRITE_H
#define FT_TESTS_CAPWRITE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CW_PCAP_MAGIC_US 0xa1b2c3d4u
#define CW_PCAP_MAGIC_NS 0xa1b23c4du
#define CW_NG_SHB 0x0a0d0d0au
#define CW_NG_IDB 0x00000001u
#define CW_NG_SPB 0x00000003u
#define CW_NG_EPB 0x00000006u
#define CW_NG_BOM 0x1a2b3c4du

/* Link types (LINKTYPE_* numbers as written in files). */
#define CW_LT_NULL 0
#define CW_LT_ETHERNET 1
#define CW_LT_RAW 101
#define CW_LT_LOOP 108
#define CW_LT_SLL 113
#define CW_LT_SLL2 276

/* A growable byte buffer; swap writes integers in the other byte order. */
struct cw_buf {
	uint8_t *p;
	size_t n;
	size_t cap;
	int swap;
};

static inline void cw_put(struct cw_buf *b, const void *d, size_t len)
{
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->n + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	if (d)
		memcpy(b->p + b->n, d, len);
	else
		memset(b->p + b->n, 0, len);
	b->n += len;
}

static inline void cw_u16(struct cw_buf *b, uint16_t v)
{
	if (b->swap)
		v = (uint16_t)(v >> 8 | v << 8);
	cw_put(b, &v, 2);
}

static inline void cw_u32(struct cw_buf *b, uint32_t v)
{
	if (b->swap)
		v = __builtin_bswap32(v);
	cw_put(b, &v, 4);
}

static inline void cw_free(struct cw_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Write the first len bytes of b to path; returns 0 or -1. */
static inline int cw_save(const struct cw_buf *b, size_t len, const char *path)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (len > b->n)
		len = b->n;
	if (len && fwrite(b->p, 1, len, f) != len)
		rc = -1;
	if (fclose(f))
		rc = -1;
	return rc;
}

/* ---- pcap ---- */

/* File header, version 2.4. */
static inline void cw_pcap_hdr(struct cw_buf *b, uint32_t magic,
			       uint32_t snaplen, uint32_t linktype)
{
	cw_u32(b, magic);
	cw_u16(b, 2);
	cw_u16(b, 4);
	cw_u32(b, 0); /* thiszone */
	cw_u32(b, 0); /* sigfigs */
	cw_u32(b, snaplen);
	cw_u32(b, linktype);
}

/*
 * One record: the header says caplen and len, and ndata bytes of data
 * follow (ndata may differ from caplen to write a lying record).
 */
static inline void cw_pcap_rec(struct cw_buf *b, uint32_t sec, uint32_t frac,
			       uint32_t caplen, uint32_t len, const void *data,
			       size_t ndata)
{
	cw_u32(b, sec);
	cw_u32(b, frac);
	cw_u32(b, caplen);
	cw_u32(b, len);
	cw_put(b, data, ndata);
}

/* ---- pcapng ---- */

/* A block with explicit total-length fields (before and after the body). */
static inline void cw_ng_raw(struct cw_buf *b, uint32_t type, uint32_t len_head,
			     uint32_t len_tail, const void *body, size_t nbody)
{
	cw_u32(b, type);
	cw_u32(b, len_head);
	cw_put(b, body, nbody);
	cw_u32(b, len_tail);
}

/* A well-formed block; the body is padded to 32 bits. */
static inline void cw_ng_block(struct cw_buf *b, uint32_t type,
			       const void *body, size_t nbody)
{
	size_t pad = (4 - nbody % 4) % 4;
	uint32_t total = (uint32_t)(12 + nbody + pad);

	cw_u32(b, type);
	cw_u32(b, total);
	cw_put(b, body, nbody);
	cw_put(b, NULL, pad);
	cw_u32(b, total);
}

/* Section header: version 1.0, section length unknown. */
static inline void cw_ng_shb(struct cw_buf *b)
{
	struct cw_buf body = {.swap = b->swap};

	cw_u32(&body, CW_NG_BOM);
	cw_u16(&body, 1);
	cw_u16(&body, 0);
	cw_u32(&body, 0xffffffffu);
	cw_u32(&body, 0xffffffffu);
	cw_ng_block(b, CW_NG_SHB, body.p, body.n);
	cw_free(&body);
}

/*
 * Interface description; tsresol_ns set adds if_tsresol = 9 (timestamps
 * in ns), otherwise the default microseconds apply.
 */
static inline void cw_ng_idb(struct cw_buf *b, uint16_t linktype,
			     uint32_t snaplen, int tsresol_ns)
{
	struct cw_buf body = {.swap = b->swap};

	cw_u16(&body, linktype);
	cw_u16(&body, 0);
	cw_u32(&body, snaplen);
	if (tsresol_ns) {
		uint8_t v[4] = {9, 0, 0, 0};

		cw_u16(&body, 9); /* if_tsresol */
		cw_u16(&body, 1);
		cw_put(&body, v, 4);
		cw_u32(&body, 0); /* opt_endofopt */
	}
	cw_ng_block(b, CW_NG_IDB, body.p, body.n);
	cw_free(&body);
}

/* Enhanced packet block; ts is in the interface's units. */
static inline void cw_ng_epb(struct cw_buf *b, uint32_t ifid, uint64_t ts,
			     uint32_t caplen, uint32_t len, const void *data)
{
	struct cw_buf body = {.swap = b->swap};

	cw_u32(&body, ifid);
	cw_u32(&body, (uint32_t)(ts >> 32));
	cw_u32(&body, (uint32_t)ts);
	cw_u32(&body, caplen);
	cw_u32(&body, len);
	cw_put(&body, data, caplen);
	cw_ng_block(b, CW_NG_EPB, body.p, body.n);
	cw_free(&body);
}

/* ---- frames ---- */

/* A TCP segment to put in a frame; addresses in network order. */
struct cw_tcp {
	int family; /* 4 or 6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t window;
	uint16_t payload; /* zero bytes of payload */
};

#define CW_FRAME_MAX 2048

static inline void cw_be16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static inline void cw_be32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/*
 * Build a whole frame of link type lt (CW_LT_*) into out (CW_FRAME_MAX
 * bytes) carrying t; returns its length. Checksums are left zero: the
 * decoder never checks them.
 */
static inline size_t cw_frame(uint8_t *out, int lt, const struct cw_tcp *t)
{
	size_t off = 0, iplen = t->family == 6 ? 40 : 20;
	size_t tot = iplen + 20 + t->payload;
	uint16_t etype = t->family == 6 ? 0x86dd : 0x0800;
	uint8_t *ip, *th;

	if (tot + 20 > CW_FRAME_MAX)
		abort();
	memset(out, 0, tot + 20);
	switch (lt) {
	case CW_LT_ETHERNET:
		out[0] = 0x02;
		out[6] = 0x02;
		out[11] = 1;
		cw_be16(out + 12, etype);
		off = 14;
		break;
	case CW_LT_SLL:
		cw_be16(out + 2, 1); /* ARPHRD_ETHER */
		cw_be16(out + 4, 6);
		cw_be16(out + 14, etype);
		off = 16;
		break;
	case CW_LT_SLL2:
		cw_be16(out, etype);
		cw_be32(out + 4, 2); /* ifindex */
		cw_be16(out + 8, 1);
		out[11] = 6;
		off = 20;
		break;
	case CW_LT_NULL: {
		uint32_t af = t->family == 6 ? 10 : 2;

		memcpy(out, &af, 4);
		off = 4;
		break;
	}
	case CW_LT_LOOP:
		cw_be32(out, t->family == 6 ? 10 : 2);
		off = 4;
		break;
	default: /* raw IP */
		break;
	}
	ip = out + off;
	if (t->family == 6) {
		ip[0] = 0x60;
		cw_be16(ip + 4, (uint16_t)(20 + t->payload));
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, t->saddr, 16);
		memcpy(ip + 24, t->daddr, 16);
	} else {
		ip[0] = 0x45;
		cw_be16(ip + 2, (uint16_t)tot);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, t->saddr, 4);
		memcpy(ip + 16, t->daddr, 4);
	}
	th = ip + iplen;
	cw_be16(th, t->sport);
	cw_be16(th + 2, t->dport);
	cw_be32(th + 4, t->seq);
	cw_be32(th + 8, t->ack);
	th[12] = 5 << 4;
	th[13] = t->flags;
	cw_be16(th + 14, t->window ? t->window : 65535);
	return off + tot;
}

/* An IPv4 cw_tcp from dotted quads and ports (host order). */
static inline struct cw_tcp cw_tcp4(const char *src, uint16_t sport,
				    const char *dst, uint16_t dport)
{
	struct cw_tcp t;

	memset(&t, 0, sizeof(t));
	t.family = 4;
	inet_pton(AF_INET, src, t.saddr);
	inet_pton(AF_INET, dst, t.daddr);
	t.sport = sport;
	t.dport = dport;
	return t;
}

#endif /* FT_TESTS_CAPWRITE_H */
