/* SPDX-License-Identifier: MIT */
/*
 * Minimal pcapng reader: see pcapng_internal.h. Each block is read whole
 * into a window read from the stream by the MiB (window.h, grown for a
 * larger block) and parsed in place, its lengths checked (at least 12, a multiple
 * of 4, at most SRC_NG_BLOCK_MAX, the trailing copy equal to the leading
 * one) before any field is read, and every field read is inside it.
 * Block and option layouts: draft-ietf-opsawg-pcapng, sections 4 and 3.5.
 */
#include "capture/pcapng_internal.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "capture/source.h"
#include "capture/window.h"

#define SRC_NG_BLOCK_MAX (16u * 1024 * 1024) /* libpcap's limit too */
#define SRC_NG_IFACES_MAX 65536u
#define SRC_NG_BOM 0x1a2b3c4du
#define SRC_NG_LINKTYPE_RAW 101

enum {
	NG_IDB = 1,
	NG_PB = 2, /* obsolete packet block */
	NG_SPB = 3,
	NG_ISB = 5,
	NG_EPB = 6,
};

struct ng_iface {
	int dlt;
	uint32_t snaplen;
	uint64_t units;	  /* timestamp units per second */
	int64_t offset_s; /* if_tsoffset */
};

/*
 * Blocks are read in place from a window (window.h), not copied out one
 * by one: two small reads a packet cost more than decoding it. As with
 * pcap files (pcapfile.c), a pipe is read by the MiB.
 */
struct src_ng {
	struct src_stream *s;
	int swap;
	const uint8_t *buf; /* the current block, inside w */
	struct src_win w;   /* blocks read ahead */
	int eof;
	struct ng_iface *ifaces;
	size_t nifaces, ifaces_cap;
	uint64_t end_ns;
	uint64_t last_ns;
};

static uint16_t rd16(const struct src_ng *ng, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ng->swap ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint32_t rd32(const struct src_ng *ng, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ng->swap ? __builtin_bswap32(v) : v;
}

/* A 64-bit timestamp stored as two 32-bit words, high first. */
static uint64_t rd_ts(const struct src_ng *ng, const uint8_t *p)
{
	return (uint64_t)rd32(ng, p) << 32 | rd32(ng, p + 4);
}

/*
 * Have n bytes from the next block on in the window. Returns 1; 0 when
 * the stream ended first, with *got the bytes there are; -EIO or -ENOMEM
 * with err set.
 */
static int fill(struct src_ng *ng, size_t n, size_t *got, char *err)
{
	struct src_win *w = &ng->w;

	if (src_win_buffered(w) >= n)
		return 1;
	if (src_win_room(w, n)) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return -ENOMEM;
	}
	while (w->have < n && !ng->eof) {
		long k = src_stream_read(ng->s, w->buf + w->have,
					 w->cap - w->have);

		if (k < 0) {
			snprintf(err, FT_ERRBUF_SIZE, "%s",
				 src_stream_error(ng->s));
			return -EIO;
		}
		ng->eof = k == 0;
		w->have += (size_t)k;
	}
	*got = w->have;
	return w->have >= n;
}

/*
 * Read the next block whole: ng->buf points at it in the window until the
 * next read. Returns 1 with *type and *len set, 0 at a clean end of file,
 * -EIO with err set.
 */
static int read_block(struct src_ng *ng, uint32_t *type, uint32_t *len,
		      char *err)
{
	const uint8_t *h;
	size_t got = 0, need = 8;
	int rc = fill(ng, need, &got, err);

	if (!rc && !got) {
		/* the end: the window is not needed any more */
		src_win_free(&ng->w);
		return 0;
	}
	if (rc <= 0)
		goto cut;
	h = ng->w.buf + ng->w.at;
	memcpy(type, h, 4);
	if (*type == SRC_NG_MAGIC) {
		uint32_t bom;

		/* A new section may change the byte order. */
		need = 12;
		rc = fill(ng, need, &got, err);
		if (rc <= 0)
			goto cut;
		h = ng->w.buf + ng->w.at;
		memcpy(&bom, h + 8, 4);
		if (bom == SRC_NG_BOM)
			ng->swap = 0;
		else if (bom == __builtin_bswap32(SRC_NG_BOM))
			ng->swap = 1;
		else {
			snprintf(err, FT_ERRBUF_SIZE,
				 "pcapng section header with a bad byte-order "
				 "magic");
			return -EIO;
		}
	} else {
		*type = rd32(ng, h);
	}
	*len = rd32(ng, h + 4);
	if (*len < 12 || *len % 4 || *len > SRC_NG_BLOCK_MAX ||
	    (*type == SRC_NG_MAGIC && *len < 28)) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng block of type 0x%x with invalid length %u",
			 *type, *len);
		return -EIO;
	}
	need = *len;
	rc = fill(ng, need, &got, err);
	if (rc <= 0)
		goto cut;
	ng->buf = ng->w.buf + ng->w.at;
	ng->w.at += *len;
	if (rd32(ng, ng->buf + *len - 4) != *len) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng block of type 0x%x: trailing length %u is not "
			 "%u",
			 *type, rd32(ng, ng->buf + *len - 4), *len);
		return -EIO;
	}
	return 1;
cut:
	if (rc == 0)
		snprintf(err, FT_ERRBUF_SIZE,
			 "truncated pcapng block (%zu of %zu bytes)", got, need);
	return rc < 0 ? rc : -EIO;
}

/*
 * Walk the options from off to end of the block in ng->buf, calling fn
 * for each (code, value, length). Stops at opt_endofopt or at an option
 * that does not fit.
 */
static void walk_options(const struct src_ng *ng, uint32_t off, uint32_t end,
			 void (*fn)(void *arg, uint16_t code, const uint8_t *v,
				    uint16_t len),
			 void *arg)
{
	while (off + 4 <= end) {
		uint16_t code = rd16(ng, ng->buf + off);
		uint16_t len = rd16(ng, ng->buf + off + 2);

		if (code == 0 || off + 4 + (uint32_t)len > end)
			return;
		fn(arg, code, ng->buf + off + 4, len);
		off += 4 + (((uint32_t)len + 3) & ~3u);
	}
}

struct idb_opts {
	const struct src_ng *ng;
	struct ng_iface *ifc;
};

static void idb_option(void *arg, uint16_t code, const uint8_t *v, uint16_t len)
{
	struct idb_opts *o = arg;

	if (code == 9 && len >= 1) { /* if_tsresol */
		uint8_t r = v[0] & 0x7f;
		uint64_t u = 1;

		/* High bit: a power of two, else of ten. Beyond what 64
		 * bits hold, keep the default. */
		if (v[0] & 0x80) {
			if (r < 64)
				u = 1ULL << r;
		} else if (r <= 19) {
			while (r--)
				u *= 10;
		}
		if (u > 1 || (v[0] & 0x7f) == 0)
			o->ifc->units = u;
	} else if (code == 14 && len >= 8) { /* if_tsoffset, a whole s64 */
		uint64_t x;

		memcpy(&x, v, 8);
		o->ifc->offset_s =
			(int64_t)(o->ng->swap ? __builtin_bswap64(x) : x);
	}
}

/* Timestamp ts of interface ifc in ns since the epoch. */
static uint64_t ts_ns(const struct ng_iface *ifc, uint64_t ts)
{
	uint64_t sec = ts / ifc->units, frac = ts % ifc->units, ns;

	if (ifc->units <= 1000000000ULL && 1000000000ULL % ifc->units == 0)
		ns = frac * (1000000000ULL / ifc->units);
	else /* powers of two, finer than ns: 64-bit mantissa, exact */
		ns = (uint64_t)((long double)frac * 1e9L /
				(long double)ifc->units);
	return (uint64_t)((int64_t)sec + ifc->offset_s) * 1000000000ULL + ns;
}

static int add_iface(struct src_ng *ng, uint32_t len, char *err)
{
	struct ng_iface *ifc;
	struct idb_opts o;

	if (len < 20) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng interface description block too short");
		return -EIO;
	}
	if (ng->nifaces == SRC_NG_IFACES_MAX) {
		snprintf(err, FT_ERRBUF_SIZE, "more than %u pcapng interfaces",
			 SRC_NG_IFACES_MAX);
		return -EIO;
	}
	if (ng->nifaces == ng->ifaces_cap) {
		size_t cap = ng->ifaces_cap ? 2 * ng->ifaces_cap : 4;
		struct ng_iface *p = realloc(ng->ifaces, cap * sizeof(*p));

		if (!p) {
			snprintf(err, FT_ERRBUF_SIZE, "out of memory");
			return -ENOMEM;
		}
		ng->ifaces = p;
		ng->ifaces_cap = cap;
	}
	ifc = &ng->ifaces[ng->nifaces++];
	ifc->dlt = rd16(ng, ng->buf + 8);
	/* LINKTYPE_RAW is DLT_RAW to libpcap (whose filters we compile). */
	if (ifc->dlt == SRC_NG_LINKTYPE_RAW)
		ifc->dlt = DLT_RAW;
	ifc->snaplen = rd32(ng, ng->buf + 12);
	ifc->units = 1000000; /* default: microseconds */
	ifc->offset_s = 0;
	o = (struct idb_opts){ng, ifc};
	walk_options(ng, 16, len - 4, idb_option, &o);
	return 0;
}

static void isb_option(void *arg, uint16_t code, const uint8_t *v, uint16_t len)
{
	const uint8_t **end = arg;

	if (code == 3 && len == 8) /* isb_endtime, high word first */
		*end = v;
}

static int read_isb(struct src_ng *ng, uint32_t len, char *err)
{
	const uint8_t *endopt = NULL;
	const struct ng_iface *ifc;
	uint32_t ifid;
	uint64_t ts, end;

	if (len < 24) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng interface statistics block too short");
		return -EIO;
	}
	ifid = rd32(ng, ng->buf + 8);
	if (ifid >= ng->nifaces)
		return 0; /* statistics of nothing we read: ignore */
	ifc = &ng->ifaces[ifid];
	ts = rd_ts(ng, ng->buf + 12);
	walk_options(ng, 20, len - 4, isb_option, &endopt);
	if (endopt)
		ts = rd_ts(ng, endopt);
	end = ts_ns(ifc, ts);
	/*
	 * dumpcap 4.0 writes statistics times in microseconds whatever the
	 * interface's resolution: an end before the packets already read
	 * cannot be, so read it that way when that makes it one.
	 */
	if (end < ng->last_ns && ifc->units != 1000000) {
		struct ng_iface us = *ifc;

		us.units = 1000000;
		if (ts_ns(&us, ts) >= ng->last_ns)
			end = ts_ns(&us, ts);
	}
	if (end > ng->end_ns)
		ng->end_ns = end;
	return 0;
}

/* A packet block of type type in ng->buf: fill pkt. 1, or -EIO. */
static int read_packet(struct src_ng *ng, uint32_t type, uint32_t len,
		       struct src_ng_packet *pkt, char *err)
{
	uint32_t ifid, hdr, caplen, wirelen;
	uint64_t ts = 0;
	const struct ng_iface *ifc;

	hdr = type == NG_SPB ? 12 : 28;
	if (len < hdr + 4) {
		snprintf(err, FT_ERRBUF_SIZE, "pcapng packet block too short");
		return -EIO;
	}
	if (type == NG_SPB) {
		ifid = 0;
		wirelen = rd32(ng, ng->buf + 8);
		caplen = wirelen;
	} else {
		ifid = type == NG_PB ? rd16(ng, ng->buf + 8)
				     : rd32(ng, ng->buf + 8);
		ts = rd_ts(ng, ng->buf + 12);
		caplen = rd32(ng, ng->buf + 20);
		wirelen = rd32(ng, ng->buf + 24);
	}
	if (ifid >= ng->nifaces) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng packet on unknown interface %u", ifid);
		return -EIO;
	}
	ifc = &ng->ifaces[ifid];
	if (type == NG_SPB) {
		/* No length of its own: the snap length and the block. */
		if (ifc->snaplen && caplen > ifc->snaplen)
			caplen = ifc->snaplen;
		if (caplen > len - hdr - 4)
			caplen = len - hdr - 4;
	} else if (caplen > len - hdr - 4) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng packet of %u bytes in a block of %u", caplen,
			 len);
		return -EIO;
	}
	pkt->data = ng->buf + hdr;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	/* A simple packet block has no time: that of the previous one. */
	pkt->wall_ns = type == NG_SPB ? ng->last_ns : ts_ns(ifc, ts);
	ng->last_ns = pkt->wall_ns;
	pkt->dlt = ifc->dlt;
	pkt->snaplen = ifc->snaplen;
	return 1;
}

int src_ng_next(struct src_ng *ng, struct src_ng_packet *pkt, char *err)
{
	for (;;) {
		uint32_t type, len;
		int rc = read_block(ng, &type, &len, err);

		if (rc <= 0)
			return rc;
		rc = 0;
		switch (type) {
		case SRC_NG_MAGIC:
			ng->nifaces = 0; /* interfaces are per section */
			break;
		case NG_IDB:
			rc = add_iface(ng, len, err);
			break;
		case NG_ISB:
			rc = read_isb(ng, len, err);
			break;
		case NG_EPB:
		case NG_SPB:
		case NG_PB:
			return read_packet(ng, type, len, pkt, err);
		default:
			break; /* name resolution, comments, custom... */
		}
		if (rc)
			return rc;
	}
}

struct src_ng *src_ng_open(struct src_stream *s, char *err)
{
	struct src_ng *ng = calloc(1, sizeof(*ng));
	uint32_t type, len;
	int rc;

	if (!ng) {
		src_stream_free(s);
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ng->s = s;
	rc = read_block(ng, &type, &len, err);
	if (rc == 1 && type != SRC_NG_MAGIC) {
		snprintf(err, FT_ERRBUF_SIZE, "not a pcapng file");
		rc = -EINVAL;
	}
	/* Up to the first interface: without one there is no link type. */
	while (rc == 1 && !ng->nifaces) {
		rc = read_block(ng, &type, &len, err);
		if (rc == 1 && type == NG_IDB)
			rc = add_iface(ng, len, err) ? -EIO : 1;
		else if (rc == 1 &&
			 (type == NG_EPB || type == NG_SPB || type == NG_PB)) {
			snprintf(err, FT_ERRBUF_SIZE,
				 "pcapng packet before any interface");
			rc = -EIO;
		}
	}
	if (rc == 0)
		snprintf(err, FT_ERRBUF_SIZE,
			 "pcapng file with no interface description");
	if (rc <= 0) {
		src_ng_free(ng);
		errno = rc ? -rc : EINVAL;
		return NULL;
	}
	return ng;
}

uint64_t src_ng_end_ns(const struct src_ng *ng)
{
	return ng->end_ns;
}

int src_ng_first_link(const struct src_ng *ng, uint32_t *snaplen)
{
	*snaplen = ng->ifaces[0].snaplen;
	return ng->ifaces[0].dlt;
}

const struct src_stream *src_ng_stream(const struct src_ng *ng)
{
	return ng->s;
}

void src_ng_free(struct src_ng *ng)
{
	if (!ng)
		return;
	src_stream_free(ng->s);
	src_win_free(&ng->w);
	free(ng->ifaces);
	free(ng);
}
