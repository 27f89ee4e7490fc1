/* SPDX-License-Identifier: MIT */
/*
 * Classic pcap files (version 2.4, either byte order, micro- or
 * nanosecond timestamps) read in place from a memory map: no copy of
 * the file into stdio's buffer and again into libpcap's, no lock per
 * record. libpcap still opens every file first (it checks the header
 * and gives the link type and snap length); a regular, uncompressed
 * file of this format is then read here, anything else (a pipe,
 * compression, an older version, pcapng) through libpcap or the pcapng
 * reader. Pages already read leave the map every 32 MiB, so the
 * resident size does not grow with the file. Records are what libpcap
 * would hand out: a record longer than
 * the snap length is cut to it, a file cut short is the same one-line
 * error. Internal to capture/.
 */
#ifndef FT_CAPTURE_PCAPMAP_INTERNAL_H
#define FT_CAPTURE_PCAPMAP_INTERNAL_H

#include <stdint.h>

#include "capture/source.h"

struct src_pm_packet {
	const uint8_t *data; /* in the map, valid until src_pm_free() */
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns;
};

struct src_pm;

/*
 * Map path when it is a regular classic pcap file of version 2.4, with
 * snaplen the snap length libpcap gives it; NULL otherwise (read it
 * through libpcap then).
 */
struct src_pm *src_pm_open(const char *path, uint32_t snaplen);

/*
 * Next record. Returns 1 with *pkt filled, 0 at the end of the file, or
 * -EIO with the cause in err (FT_ERRBUF_SIZE, without the file name).
 */
int src_pm_next(struct src_pm *pm, struct src_pm_packet *pkt, char *err);

/* Bytes read so far and in all, for progress. */
uint64_t src_pm_pos(const struct src_pm *pm);
uint64_t src_pm_size(const struct src_pm *pm);

/* Unmap and free; NULL is a no-op. */
void src_pm_free(struct src_pm *pm);

#endif /* FT_CAPTURE_PCAPMAP_INTERNAL_H */
