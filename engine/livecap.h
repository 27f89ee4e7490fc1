/* SPDX-License-Identifier: MIT */
/*
 * The capture thread of fintrace live. It only takes packets from
 * libpcap (capture/live.h), writes the -w file, and copies each packet
 * into a batch for the tracker, the thread that calls lcap_next(). It
 * never waits for the tracker: when no batch is free the packet is
 * dropped and counted (queue drops, told apart from the kernel's), so a
 * slow report reader, a snapshot or a burst cost analysed packets that
 * the user is told about, not packets the kernel drops unseen. The -w
 * file still gets every packet taken.
 *
 * Memory is a fixed pool of batches (engine/batchq.h), sized from the
 * snap length: at most LCAP_FRAMES frames and LCAP_BYTES bytes of
 * packets waiting in all.
 *
 * The libpcap handle is the capture thread's from lcap_start() to
 * lcap_finish(): the tracker asks for what it needs (a -w flush, the
 * end) and reads the counters the capture thread publishes.
 *
 * The end: a stop (lcap_stop(), from a signal handler too), --duration
 * or lcap_abort() ends the capture; after a stop or --duration the
 * capture thread first reads what the kernel captured before it
 * (packets stamped later are left out and not written). --count and
 * errors end it at once. Then the queue closes: lcap_next() hands out
 * every batch queued before returning NULL with lcap_done() true.
 */
#ifndef FT_ENGINE_LIVECAP_H
#define FT_ENGINE_LIVECAP_H

#include <stdint.h>

#include "capture/live.h"

#define LCAP_FRAMES_PER_BATCH 512
#define LCAP_BYTES (32u << 20) /* packet bytes waiting, at most */

struct lcap_config {
	struct live_cap *cap; /* borrowed; the capture thread's until
			       * lcap_finish() */
	unsigned snaplen;     /* bytes kept per packet (live_config's) */
	uint64_t count;	      /* stop after this many packets, 0: never */
	uint64_t duration_ns; /* stop this long after the start, 0: never */
};

/* One packet in a batch; data valid until the batch is released. */
struct lcap_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns;
	uint64_t frame; /* its number in the -w file, from 1 */
};

struct lcap_batch;

/* What the capture thread published last (each loop, and at its end). */
struct lcap_stats {
	uint64_t wall_ns;      /* when it looked, 0 before the first look */
	uint64_t received;     /* passed the kernel filter (pcap_stats) */
	uint64_t kernel_drops; /* the kernel's, for lack of buffer space */
	uint64_t if_drops;     /* the interface's or its driver's */
	uint64_t taken;	       /* packets taken from libpcap */
	uint64_t queue_drops;  /* taken, but no batch was free */
	uint64_t queue_drop_first_ns; /* stamp of the first, 0 when none */
};

/* How the capture ended; valid after lcap_finish(). */
struct lcap_end {
	uint64_t stop_ns; /* wall clock when the capture stopped */
	int count_done;	  /* --count reached */
};

struct lcap;

/*
 * Allocate the pool and start the capture thread on c->cap, signals
 * blocked in it (they are the caller's). Returns NULL with errno set and
 * the cause in err (FT_ERRBUF_SIZE). Caller ends it with lcap_finish()
 * and frees with lcap_free().
 */
struct lcap *lcap_start(const struct lcap_config *c, char *err);

/*
 * The next batch of packets, waiting for one at most until mono_ns
 * (CLOCK_MONOTONIC). NULL on time out, or when the capture has ended
 * and every batch was handed out (lcap_done()). Give each back with
 * lcap_release().
 */
struct lcap_batch *lcap_next(struct lcap *q, uint64_t mono_ns);

/* Packets in b; frame i of them (borrowed from b) in *f. */
unsigned lcap_batch_len(const struct lcap_batch *b);
void lcap_batch_frame(const struct lcap_batch *b, unsigned i,
		      struct lcap_frame *f);

/* b is free for the capture thread again. */
void lcap_release(struct lcap *q, struct lcap_batch *b);

/* 1 when the capture has ended and its last batch was handed out. */
int lcap_done(struct lcap *q);

/* The counters as the capture thread last published them. */
void lcap_stats(struct lcap *q, struct lcap_stats *st);

/* Ask the capture thread to flush the -w file on its next round. */
void lcap_flush(struct lcap *q);

/*
 * End the capture; the capture thread then reads what the kernel holds
 * from before now. Async-signal-safe; NULL is a no-op.
 */
void lcap_stop(struct lcap *q);

/* End the capture without reading what the kernel still holds. */
void lcap_abort(struct lcap *q);

/*
 * Wait for the capture thread (after lcap_done(), or it is aborted
 * first) and give the libpcap handle back to the caller. Returns 0, or
 * the capture's error (-errno: the interface failed, a -w write failed)
 * with its cause in err; *end says how it ended.
 */
int lcap_finish(struct lcap *q, struct lcap_end *end, char *err);

/* Free the pool (after lcap_finish()); NULL is a no-op. */
void lcap_free(struct lcap *q);

#endif /* FT_ENGINE_LIVECAP_H */
