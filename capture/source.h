/* SPDX-License-Identifier: MIT */
/*
 * Packet sources: saved captures (pcap through libpcap, pcapng through
 * our own reader so that interfaces of several link types and snap
 * lengths and the interface statistics are read; nanosecond timestamps
 * kept, several files merged in timestamp order, "-" for standard input,
 * gzip, zstd or xz compression recognised by its magic bytes) behind one
 * iterator.
 *
 * A filter expression, as tcpdump takes it, is compiled for each input's
 * link type and applied in user space, so frame numbers still count every
 * frame of the input and match what Wireshark shows.
 */
#ifndef FT_CAPTURE_SOURCE_H
#define FT_CAPTURE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#define FT_ERRBUF_SIZE 256

/* One frame; data is borrowed and valid until the next src_next(). */
struct src_packet {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns;
	int dlt;	/* link type of the input it came from */
	unsigned input; /* index of that input */
	/* Not next to wall_ns: a reader copies both into a struct
	 * flow_seg, where they are neighbours, and a copy of neighbours
	 * becomes one 16-byte load, which stalls on two 8-byte stores. */
	uint64_t frame; /* 1-based, across the merged inputs */
};

struct src_stats {
	uint64_t frames;    /* frames read, filtered or not */
	uint64_t filtered;  /* frames the filter expression rejected */
	uint64_t backwards; /* frames whose time went back within one input */
	uint64_t last_ns;   /* latest time of a frame read, filtered or not */
};

struct src_reader;

/*
 * Open every path (borrowed; "-" is standard input) and compile filter
 * (may be NULL). Returns NULL on failure with the one-line cause in err
 * (FT_ERRBUF_SIZE bytes, naming the file) and errno set.
 */
struct src_reader *src_open_files(const char *const *paths, size_t n,
				  const char *filter, char *err);

/*
 * Replace the filter of r by filter (borrowed until src_free(); NULL: no
 * filter), compiled for the link type of each input's first frame (a
 * pcapng input's later link types when they are met), before the first
 * src_next(), once. src_open_files(..., filter, ...) is src_open_files(...,
 * NULL, ...) and this. Returns 0, or -EINVAL with the cause in err
 * naming the input it was compiled for: FILE: filter "EXPR": CAUSE.
 */
int src_set_filter(struct src_reader *r, const char *filter, char *err);

/*
 * Next frame in timestamp order. Returns 1 with *pkt filled, 0 at the end
 * of every input, or -EIO with the cause in err (naming the file) when an
 * input is damaged; frames read before stay valid.
 */
int src_next(struct src_reader *r, struct src_packet *pkt, char *err);

/* Fraction of the input bytes read so far (0..1), or -1 when unknown. */
double src_progress(const struct src_reader *r);

/*
 * The true end of the capture in ns since the epoch, as pcapng interface
 * statistics state it (isb_endtime), the latest over the inputs; 0 when
 * unknown (a pcap file, a pcapng file without statistics among the
 * inputs). Meaningful once src_next() has returned 0: the statistics are
 * written after the packets.
 */
uint64_t src_capture_end_ns(const struct src_reader *r);

/* Counters so far (borrowed, valid until src_free()). */
const struct src_stats *src_get_stats(const struct src_reader *r);

/* Close every input; NULL is a no-op. */
void src_free(struct src_reader *r);

#endif /* FT_CAPTURE_SOURCE_H */
