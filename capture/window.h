/* SPDX-License-Identifier: MIT */
/*
 * The read-ahead window of the pcap and pcapng readers: records and
 * blocks are parsed in place in one buffer filled by large reads. It
 * starts at SRC_WIN_FIRST bytes and doubles at each refill up to
 * SRC_WIN_MAX (or to a larger record), and is freed at the input's end:
 * of a ring of hundreds of files merged, only those being read hold a
 * large window. Internal to capture/.
 */
#ifndef FT_CAPTURE_WINDOW_H
#define FT_CAPTURE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bytes asked of the input at a time once grown: large enough that the
 * system calls cost nothing next to the records, small enough to stay in
 * the core's cache while they are decoded.
 */
#define SRC_WIN_MAX (1u << 20)
#define SRC_WIN_FIRST (64u << 10)

struct src_win {
	uint8_t *buf;
	size_t cap;  /* bytes of buf */
	size_t at;   /* the next record's offset in buf */
	size_t have; /* bytes of buf read from the input */
};

/* Bytes read ahead from the next record on. */
static inline size_t src_win_buffered(const struct src_win *w)
{
	return w->have - w->at;
}

/*
 * Before a refill: the bytes from the next record on move to the start,
 * and the window grows (doubling up to SRC_WIN_MAX, or to want when that
 * is more) so that want bytes fit. Returns 0 or -ENOMEM (unchanged).
 */
int src_win_room(struct src_win *w, size_t want);

/* Free the buffer; the window is empty and may grow again. */
void src_win_free(struct src_win *w);

#endif /* FT_CAPTURE_WINDOW_H */
