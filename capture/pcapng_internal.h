/* SPDX-License-Identifier: MIT */
/*
 * A minimal pcapng reader (section header, interface description,
 * enhanced, simple and obsolete packet blocks, interface statistics),
 * either byte order, any number of sections and interfaces of any link
 * types and snap lengths: what libpcap 1.10 refuses, and the interface
 * statistics (the capture's true end) that libpcap does not expose.
 * Internal to capture/.
 */
#ifndef FT_CAPTURE_PCAPNG_INTERNAL_H
#define FT_CAPTURE_PCAPNG_INTERNAL_H

#include <stdint.h>

#include "capture/stream_internal.h"

/* pcapng files start with the section header block's type. */
#define SRC_NG_MAGIC 0x0a0d0d0au

/* One packet; data is borrowed and valid until the next src_ng_next(). */
struct src_ng_packet {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns;
	int dlt;
	uint32_t snaplen; /* of its interface */
};

struct src_ng;

/*
 * Start reading s (takes ownership, also on failure): the section header
 * and every block up to the first interface description are read now.
 * Returns NULL with errno set and the cause in err (FT_ERRBUF_SIZE,
 * without the file name).
 */
struct src_ng *src_ng_open(struct src_stream *s, char *err);

/*
 * Next packet block. Returns 1 with *pkt filled, 0 at the end of the
 * file, or -EIO with the cause in err (without the file name).
 */
int src_ng_next(struct src_ng *ng, struct src_ng_packet *pkt, char *err);

/*
 * The latest end of capture an interface statistics block states
 * (isb_endtime, else the block's own time), in ns; 0 when none was read.
 */
uint64_t src_ng_end_ns(const struct src_ng *ng);

/* Link type and snap length of the first interface of the file. */
int src_ng_first_link(const struct src_ng *ng, uint32_t *snaplen);

/* The stream being read (borrowed), for progress. */
const struct src_stream *src_ng_stream(const struct src_ng *ng);

/* Free ng and its stream; NULL is a no-op. */
void src_ng_free(struct src_ng *ng);

#endif /* FT_CAPTURE_PCAPNG_INTERNAL_H */
