/* SPDX-License-Identifier: MIT */
/*
 * Classic pcap files (version 2.4, either byte order, micro- or
 * nanosecond timestamps) read straight into a buffer of the reader's
 * own: large pread() calls, no copy into stdio's buffer and again into
 * libpcap's, no lock per record. A memory map of the file would save
 * the copy but costs a page fault every 64 KiB read, and a fault costs
 * more than the copy (on a paravirtualised guest, several times more);
 * the buffer is reused, so the resident size does not grow with the
 * file. libpcap still opens every file first (it checks the header and
 * gives the link type and snap length); the records of this format are
 * then read here: from a regular, uncompressed file by pread(), from
 * anything else (a pipe, compression) by large reads of its stream
 * (libpcap then checks a copy of the header, not the stream). Older
 * versions go through libpcap, pcapng through the pcapng reader.
 * Records are what libpcap would hand out: a record longer than the
 * snap length is cut to it, a file cut short is the same one-line
 * error. Internal to capture/.
 */
#ifndef FT_CAPTURE_PCAPFILE_INTERNAL_H
#define FT_CAPTURE_PCAPFILE_INTERNAL_H

#include <stdint.h>

#include "capture/source.h"
#include "capture/stream_internal.h"

struct src_pf_packet {
	const uint8_t *data; /* in the reader's buffer: valid until the
				next src_pf_next() or src_pf_free() */
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns;
};

struct src_pf;

/*
 * Open path when it is a regular classic pcap file of version 2.4, with
 * snaplen the snap length libpcap gives it; NULL otherwise (read it
 * through libpcap then).
 */
struct src_pf *src_pf_open(const char *path, uint32_t snaplen);

/* Whether hdr (24 bytes) is a file header read here: version 2.4. */
int src_pf_header_ok(const uint8_t *hdr);

/*
 * Read the records of s (borrowed), a stream whose file header hdr (24
 * bytes, src_pf_header_ok()) was just read from it; NULL without memory.
 * Its size is unknown: src_pf_size() is 0.
 */
struct src_pf *src_pf_open_stream(struct src_stream *s, const uint8_t *hdr,
				  uint32_t snaplen);

/*
 * Next record. Returns 1 with *pkt filled, 0 at the end of the file, or
 * -EIO with the cause in err (FT_ERRBUF_SIZE, without the file name).
 */
int src_pf_next(struct src_pf *pf, struct src_pf_packet *pkt, char *err);

/* Bytes read so far and in all, for progress. */
uint64_t src_pf_pos(const struct src_pf *pf);
uint64_t src_pf_size(const struct src_pf *pf);

/* Close and free; NULL is a no-op. */
void src_pf_free(struct src_pf *pf);

#endif /* FT_CAPTURE_PCAPFILE_INTERNAL_H */
